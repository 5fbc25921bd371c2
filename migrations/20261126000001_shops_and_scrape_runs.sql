-- Shops and the record of every scrape run.

-- shops: one row per shop file `scrapers/<id>.toml` that has ever been loaded. The file is the source of truth for
-- how to scrape; this row holds what the database needs to join on and what changes at run time (health).
CREATE TABLE shops (
    id               text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_]*$'),
    name             text NOT NULL,
    homepage         text NOT NULL,
    -- Multiplies the deal score of this shop's offers (from the shop file).
    weight           numeric(6, 3) NOT NULL DEFAULT 1 CHECK (weight >= 0),
    -- Scraper health: a run far below the usual offer count or with an error spike makes a shop unhealthy, and
    -- its latest deals are then held back from publishing until a healthy run or an operator's acknowledgement.
    healthy          boolean NOT NULL DEFAULT true,
    unhealthy_reason text,
    acknowledged_at  timestamptz,
    acknowledged_by  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- scrape_runs: one row per run of one shop's scraper, written when it starts and completed when it ends. It is the
-- shop's health record (counts, errors by kind, duration) shown in the UI and used to judge the next run.
CREATE TABLE scrape_runs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id        text NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    -- Which worker ran it (host and process), for operators of several machines.
    worker         text,
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    status         text NOT NULL DEFAULT 'running'
                   CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned')),
    pages_fetched  integer NOT NULL DEFAULT 0 CHECK (pages_fetched >= 0),
    offers_seen    integer NOT NULL DEFAULT 0 CHECK (offers_seen >= 0),
    offers_new     integer NOT NULL DEFAULT 0 CHECK (offers_new >= 0),
    offers_changed integer NOT NULL DEFAULT 0 CHECK (offers_changed >= 0),
    -- Error counts by kind, such as {"http_404": 3, "timeout": 1, "parse": 2}.
    errors         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(errors) = 'object'),
    -- The health verdict given to this run when it ended (NULL while running).
    healthy        boolean,
    note           text,
    CHECK (finished_at IS NULL OR finished_at >= started_at)
);

CREATE INDEX scrape_runs_by_shop ON scrape_runs (shop_id, started_at DESC);
