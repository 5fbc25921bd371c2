//! The errors of the job queue, one variant per step that can fail, each naming the job or worker involved so a
//! log line says which job was affected.

/// A step of the job queue that failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("Could not enqueue the {kind} job for `{key}`: {source}")]
    Enqueue {
        kind: String,
        key: String,
        #[source]
        source: sqlx::Error,
    },

    #[error("Worker {worker} could not claim a job: {source}")]
    Claim {
        worker: String,
        #[source]
        source: sqlx::Error,
    },

    #[error("Worker {worker} could not extend its lease on job {job_id}: {source}")]
    ExtendLease {
        job_id: i64,
        worker: String,
        #[source]
        source: sqlx::Error,
    },

    #[error("Worker {worker} could not record the end of job {job_id}: {source}")]
    Finish {
        job_id: i64,
        worker: String,
        #[source]
        source: sqlx::Error,
    },

    /// The job is no longer held by this worker: its lease expired and another worker took it over (or it was
    /// cancelled). The other worker's outcome stands; this one's is dropped.
    #[error("Job {job_id} is no longer held by worker {worker} (its lease expired and another worker took it over)")]
    LeaseLost { job_id: i64, worker: String },

    #[error("The scheduler could not enqueue due jobs: {source}")]
    Schedule {
        #[source]
        source: sqlx::Error,
    },

    #[error("The worker options are not usable: {reason}")]
    Options { reason: String },

    #[error("A worker task of {worker} stopped abnormally: {source}")]
    WorkerTask {
        worker: String,
        #[source]
        source: tokio::task::JoinError,
    },
}

/// Why one run of a job failed. The worker stores [`JobFailure::chain_text`] as the job's `last_error` and logs it,
/// so whoever reads the `jobs` table or the log sees the failure with every cause under it
/// ("harvest of shop x failed: storing the offers of x failed: error communicating with database: connection
/// refused"), not only the outermost step.
#[derive(Debug, thiserror::Error)]
pub enum JobFailure {
    /// The worker claimed a job of a kind that none of its handlers runs.
    #[error("no handler runs jobs of kind {kind:?}")]
    NoHandler { kind: String },

    /// The handler panicked; `message` is the panic's, when it had one.
    #[error("the job handler panicked: {message}")]
    Panicked { message: String },

    /// The handler's own typed error (a scrape's, a rescoring's), kept whole with its causes. Boxed because the
    /// handlers live above the queue and the queue does not know their error types.
    #[error(transparent)]
    Handler(Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl JobFailure {
    /// A handler's typed error as a job failure.
    pub fn handler(error: impl std::error::Error + Send + Sync + 'static) -> JobFailure {
        JobFailure::Handler(Box::new(error))
    }

    /// The failure and every cause under it, as stored in the `jobs` table (see [`cause_chain`]).
    pub fn chain_text(&self) -> String {
        cause_chain(self)
    }
}

/// `error`'s message followed by each of its causes' (`std::error::Error::source`), joined by `: `. A cause whose
/// message already ends the text is not repeated: many errors write their cause into their own message (as
/// `sqlx::Error` does with the I/O error under it) and also return it as their source.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(current) = cause {
        let message = current.to_string();
        if !text.ends_with(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        cause = current.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step that failed, with its cause as source only (its message does not repeat it).
    #[derive(Debug, thiserror::Error)]
    #[error("fetching the catalogue of {shop} failed")]
    struct Step {
        shop: &'static str,
        #[source]
        source: std::io::Error,
    }

    /// A step that writes its cause into its message and also returns it as its source.
    #[derive(Debug, thiserror::Error)]
    #[error("storing the offers failed: {source}")]
    struct Storing {
        #[source]
        source: sqlx::Error,
    }

    fn refused() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused")
    }

    #[test]
    fn a_handler_failure_is_stored_with_every_cause_under_it() {
        let failure = JobFailure::handler(Step { shop: "kiabi", source: refused() });
        assert_eq!(failure.chain_text(), "fetching the catalogue of kiabi failed: connection refused");
    }

    #[test]
    fn a_cause_already_written_into_the_message_above_it_is_not_repeated() {
        let failure = JobFailure::handler(Storing { source: sqlx::Error::Io(refused()) });
        assert_eq!(
            failure.chain_text(),
            "storing the offers failed: error communicating with database: connection refused"
        );
    }

    #[test]
    fn failures_of_the_worker_itself_say_what_happened() {
        assert_eq!(
            JobFailure::NoHandler { kind: "publish".to_owned() }.chain_text(),
            "no handler runs jobs of kind \"publish\""
        );
        assert_eq!(
            JobFailure::Panicked { message: "engine bug".to_owned() }.chain_text(),
            "the job handler panicked: engine bug"
        );
    }
}
