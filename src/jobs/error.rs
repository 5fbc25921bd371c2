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
