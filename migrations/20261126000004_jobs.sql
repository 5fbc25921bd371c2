-- jobs: the work queue shared by every dealcast worker on every machine (scrapes, publishing slots). Workers claim
-- due jobs with `FOR UPDATE SKIP LOCKED` and hold a lease (locked_until); a job whose worker died is claimed again
-- once its lease expires. PostgreSQL is the only coordinator: no broker.
CREATE TABLE jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- What to do ('scrape', 'publish', ...) and to what (a shop id, an account id).
    kind          text NOT NULL,
    key           text NOT NULL,
    payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    -- The schedule slot this job was created for: several schedulers creating the same slot insert it once.
    scheduled_for timestamptz NOT NULL DEFAULT now(),
    -- When it may run next (later than scheduled_for after a retry with backoff).
    run_at        timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    locked_by     text,
    locked_until  timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    UNIQUE (kind, key, scheduled_for),
    CHECK (status <> 'running' OR (locked_by IS NOT NULL AND locked_until IS NOT NULL))
);

-- What a worker looks for: pending jobs that are due, and running jobs whose lease expired.
CREATE INDEX jobs_pending_due ON jobs (run_at) WHERE status = 'pending';
CREATE INDEX jobs_running_lease ON jobs (locked_until) WHERE status = 'running';
-- One running job per (kind, key): a shop is never scraped by two workers at once.
CREATE UNIQUE INDEX jobs_one_running_per_key ON jobs (kind, key) WHERE status = 'running';
