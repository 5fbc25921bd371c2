//! Several [`JobHandler`]s as one, so that one worker runs every job kind (scrapes, rescoring): each job goes to
//! the handler that names its kind.

use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;

use crate::jobs::{Job, JobFailure, JobHandler};

/// Handlers of distinct job kinds, run as one.
pub struct HandlerSet {
    handlers: Vec<Arc<dyn JobHandler>>,
}

impl HandlerSet {
    /// The handlers; a kind named by two of them goes to the first.
    pub fn new(handlers: Vec<Arc<dyn JobHandler>>) -> HandlerSet {
        HandlerSet { handlers }
    }
}

impl JobHandler for HandlerSet {
    fn kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = self.handlers.iter().flat_map(|handler| handler.kinds()).collect();
        let mut seen = std::collections::HashSet::new();
        kinds.retain(|kind| seen.insert(*kind));
        kinds
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobFailure>> {
        match self.handlers.iter().find(|handler| handler.kinds().contains(&job.kind.as_str())) {
            Some(handler) => handler.run(job),
            None => {
                let failure = JobFailure::NoHandler { kind: job.kind.clone() };
                async move { Err(failure) }.boxed()
            }
        }
    }
}
