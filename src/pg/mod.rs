//! The private PostgreSQL cluster dealcast runs by itself when no `DATABASE_URL` is given: finding the server
//! programs, running them as the right user with a clean environment, and writing files beside the cluster without
//! following planted links. Below the store, which connects to what runs here.

pub mod local_cluster;
pub mod pg_binaries;
pub mod run_as;
pub mod safe_files;

pub use local_cluster::{ClusterError, ClusterLease, Durability, LocalCluster};
