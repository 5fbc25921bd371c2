//! Publishing deals to social accounts: what is said to each platform and how.

pub mod x;
