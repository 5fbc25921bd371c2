-- Publishing: the accounts that post, the outbox of their posts, and the decisions of human curators.

-- accounts: one row per `[[accounts]]` entry of dealcast.toml that has been used. The file holds the rules; this
-- row holds the state that must survive restarts and be shared by every worker (paused, the remote user id).
CREATE TABLE accounts (
    id             text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$'),
    platform       text NOT NULL CHECK (platform IN ('x', 'dry_run', 'mastodon', 'bluesky')),
    mode           text NOT NULL DEFAULT 'auto' CHECK (mode IN ('auto', 'curated')),
    -- The account's id on its platform (X's numeric user id), learned at the first post.
    remote_user_id text,
    paused         boolean NOT NULL DEFAULT false,
    paused_reason  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- publications: the outbox. One row per (account, deal), where the deal key names an offer at a price, so the same
-- offer may be posted again only as a new deal (a clearly lower price). A row is claimed in a committed transaction
-- before the request goes out and completed with the remote post id after it; a row claimed but never completed
-- (a crash) is reconciled against the account's recent posts instead of being posted blindly again.
CREATE TABLE publications (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    offer_id      bigint NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    deal_key      text NOT NULL,
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN (
                      'pending_review', -- curated mode: waits for a person
                      'rejected',       -- a person said no
                      'queued',         -- approved or auto mode: waits for a slot
                      'claimed',        -- a publisher is sending it (or crashed while sending)
                      'published',      -- the platform accepted it; remote_id is set
                      'failed',         -- gave up; last_error says why
                      'cancelled'       -- the deal ended or no longer qualifies
                  )),
    text          text NOT NULL,
    link          text,
    currency      char(3) CHECK (currency ~ '^[A-Z]{3}$'),
    price         numeric(14, 4) CHECK (price >= 0),
    score         numeric(10, 4),
    scheduled_for timestamptz,
    claimed_at    timestamptz,
    claimed_by    text,
    published_at  timestamptz,
    remote_id     text,
    remote_url    text,
    -- What the post cost against the account's budget, in the budget's currency.
    cost          numeric(12, 4) CHECK (cost >= 0),
    attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, deal_key),
    CHECK (status <> 'published' OR (remote_id IS NOT NULL AND published_at IS NOT NULL))
);

CREATE INDEX publications_by_account_status ON publications (account_id, status, created_at);
CREATE INDEX publications_by_offer ON publications (offer_id);
-- The same remote post is never recorded twice for one account.
CREATE UNIQUE INDEX publications_remote_id ON publications (account_id, remote_id) WHERE remote_id IS NOT NULL;

-- review_decisions: what curators decided about queued posts of curated accounts, kept as an audit trail (who,
-- when, what text they approved or why they rejected).
CREATE TABLE review_decisions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    publication_id bigint NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    decision       text NOT NULL CHECK (decision IN ('approved', 'rejected', 'edited')),
    -- The text as the curator left it, when they edited it.
    edited_text    text,
    reason         text,
    decided_by     text NOT NULL,
    decided_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX review_decisions_by_publication ON review_decisions (publication_id, decided_at);
