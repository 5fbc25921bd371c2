-- Issue 14: published deals followed until they end, and the evidence behind every post. (Scores on the clock need
-- no schema: the time a score holds is kept in its parts, `offers.score_parts->'as_of'`.)

-- Published deals followed: a published post whose deal ended within the account's `follow_hours` (price up, out of
-- stock, gone) is marked expired, with when and why; the post itself stays `published` (it went out, its cost stays
-- counted), and readers see it as `expired`. With `on_expiry = "reply"` the account replies to it once: the reply
-- is an outbox row of its own (`reply_to` the post), claimed before it is sent and reconciled like any post.
ALTER TABLE publications
    ADD COLUMN expired_at    timestamptz,
    ADD COLUMN expiry_reason text CHECK (expiry_reason IN ('price_up', 'out_of_stock', 'gone')),
    -- The price the deal went up to (`price_up`), in the post's currency.
    ADD COLUMN expiry_price  numeric(14, 4),
    ADD COLUMN reply_to      bigint REFERENCES publications (id) ON DELETE CASCADE,
    ADD CHECK (expired_at IS NULL OR expiry_reason IS NOT NULL);

-- Never more than one follow-up per post, whatever its state.
CREATE UNIQUE INDEX publications_one_follow_up ON publications (reply_to) WHERE reply_to IS NOT NULL;

-- The posts a publisher watches at each tick: its published, unexpired posts, by time.
CREATE INDEX publications_followed ON publications (account_id, published_at)
    WHERE status = 'published' AND expired_at IS NULL AND reply_to IS NULL;

-- publication_evidence: the evidence behind a sent post: the observations that gave its price and claim, the reference window's lowest
-- price and when it was seen, and a gzip copy of the product page fetched for it, if any (bounded in size, pruned
-- after a configurable time while the rest is kept).
CREATE TABLE publication_evidence (
    publication_id    bigint PRIMARY KEY REFERENCES publications (id) ON DELETE CASCADE,
    -- [{observed_at, price, previous_price, currency, availability}], oldest first.
    observations      jsonb NOT NULL,
    reference_price   numeric(14, 4),
    reference_seen_at timestamptz,
    page_url          text,
    page_gzip         bytea,
    -- The page's size before compression, and whether it was cut to the bound first.
    page_bytes        integer CHECK (page_bytes >= 0),
    page_truncated    boolean NOT NULL DEFAULT false,
    page_pruned_at    timestamptz,
    recorded_at       timestamptz NOT NULL,
    CHECK (page_gzip IS NULL OR page_bytes IS NOT NULL)
);

CREATE INDEX publication_evidence_pages ON publication_evidence (recorded_at) WHERE page_gzip IS NOT NULL;
