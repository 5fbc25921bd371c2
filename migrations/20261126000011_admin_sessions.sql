-- The web admin's sessions and login attempts. Both live in PostgreSQL rather than in a process's memory, so that
-- every process serving the UI (`dealcast serve`, `dealcast run`, several of them behind one proxy) accepts the
-- same sessions and counts the same failed logins, and a restart neither logs the operator out nor forgets an
-- attack in progress.

-- admin_sessions: one row per logged-in browser. The cookie holds a random token; only its SHA-256 is stored, so
-- that reading this table (a backup, a replica) does not let anyone in. Each session has its own CSRF token.
CREATE TABLE admin_sessions (
    token_sha256 bytea       PRIMARY KEY,
    csrf_token   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    -- The client that logged in (its IP address), for the operator's eyes only.
    client       text        NOT NULL
);

-- Expired sessions are deleted at each login.
CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);

-- admin_login_attempts: every failed login (and the successful ones, for the record), to limit attempts per client
-- and overall within a time window. Rows older than a day are deleted at each login.
CREATE TABLE admin_login_attempts (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client       text        NOT NULL,
    attempted_at timestamptz NOT NULL,
    succeeded    boolean     NOT NULL DEFAULT false
);

CREATE INDEX admin_login_attempts_recent ON admin_login_attempts (attempted_at) WHERE NOT succeeded;
CREATE INDEX admin_login_attempts_by_client ON admin_login_attempts (client, attempted_at) WHERE NOT succeeded;
