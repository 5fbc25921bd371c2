//! A spawned `dealcast` process that is killed when the test lets go of it, also when an assertion fails first.
//! A `std::process::Child` is not killed on drop: a failed test would leave its workers running after it, scraping
//! and holding whatever file descriptors they inherited.

use std::ops::{Deref, DerefMut};
use std::process::Child;

/// Owns a child process; dropping it kills and reaps the process if it is still running.
pub struct KillOnDrop(pub Child);

impl Deref for KillOnDrop {
    type Target = Child;

    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
