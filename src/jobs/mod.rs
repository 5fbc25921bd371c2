//! dealcast's work queue and the loop that drains it. Scrapes (and later publishing slots) are rows of the `jobs`
//! table; any number of `dealcast worker` processes, on any number of machines, claim them with
//! `FOR UPDATE SKIP LOCKED` and hold a lease they keep extending while they work. PostgreSQL is the only
//! coordinator: a worker that dies (even by `kill -9`) simply stops extending its lease, and once the lease expires
//! another worker takes the job over. No worker keeps state in memory that correctness depends on.
//!
//! - [`app_clock`]: the clock a worker dates its work by (the wall clock; shifted by a test hook in test builds);
//! - [`queue`]: the SQL of the queue (enqueue, claim, extend a lease, complete, fail with backoff, give back);
//! - [`schedule`]: which cron slots are due, computed on the shop's wall clock (pure, no I/O);
//! - [`scheduler`]: turning schedules into jobs, the [`Scheduler`] trait and a cron-table implementation;
//! - [`handler_set`]: several job handlers run by one worker;
//! - [`worker`]: the worker loop ([`run_worker`]) and the [`JobHandler`] trait the job kinds implement.

pub mod app_clock;
pub mod error;
pub mod handler_set;
pub mod queue;
pub mod schedule;
pub mod scheduler;
pub mod worker;

pub use error::{JobError, JobFailure, cause_chain};
pub use handler_set::HandlerSet;
pub use queue::{Job, QueueClock, claim, complete, enqueue, extend_lease, fail, release, retry_delay};
pub use schedule::due_slots;
pub use scheduler::{CronScheduler, ScheduledJob, Scheduler};
pub use worker::{JobHandler, WorkerOptions, run_worker};
