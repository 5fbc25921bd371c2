-- What the publisher must share between processes and remember across restarts, beyond the outbox itself.

ALTER TABLE accounts
    -- X answered 429: no request of this account may go out before this instant (from `x-rate-limit-reset`).
    ADD COLUMN rate_limited_until timestamptz,
    -- The latest schedule slot a publisher has handled, so that each slot is served once across every process.
    ADD COLUMN last_slot_at       timestamptz,
    -- The account's handle on its platform, to link to its posts.
    ADD COLUMN remote_username    text;

ALTER TABLE publications
    -- The slot whose selection made this row (NULL for rows made outside a slot, such as curated approvals).
    ADD COLUMN slot_at  timestamptz,
    -- When a curator approved a curated row: approved rows go out at the next slots, oldest approval first.
    ADD COLUMN approved_at timestamptz;

-- Pacing reads the account's recent posts (spacing, daily and monthly caps, budget) at every tick.
CREATE INDEX publications_sent_by_account ON publications (account_id, claimed_at)
    WHERE status IN ('claimed', 'published');

-- Two accounts never post identical text, and no account repeats itself: no two rows queued, being sent or sent
-- share a text (by its hash: texts are up to 280 weighted characters but may be longer in bytes).
CREATE UNIQUE INDEX publications_distinct_text ON publications (md5(text))
    WHERE status IN ('queued', 'claimed', 'published');
