-- What dealcast concluded about each offer: the quality problems found in its data, the honesty of its claimed
-- reduction under the EU rule (reference = lowest price of the 30 days before the reduction began), and its score.
ALTER TABLE offers
    -- [{"kind": "price_rejected", "reason": "a price of 0 is not a price"}, ...] from the latest visit.
    ADD COLUMN quality_flags        jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(quality_flags) = 'array'),
    -- A percentage the shop announces for a promotion without a price ("-20 %").
    ADD COLUMN discount_percent     numeric(6, 2),
    ADD COLUMN verdict              text CHECK (verdict IN ('honest', 'inflated', 'unverified')),
    ADD COLUMN reference_price      numeric(14, 4) CHECK (reference_price >= 0),
    ADD COLUMN real_discount_pct    numeric(7, 2),
    ADD COLUMN claimed_discount_pct numeric(7, 2),
    ADD COLUMN reduction_started_at timestamptz,
    ADD COLUMN score                numeric(12, 4),
    -- The score's parts, so that every ranking can be explained (`dealcast deals show`).
    ADD COLUMN score_parts          jsonb,
    ADD COLUMN judged_at            timestamptz;

-- "Best deals" is one index scan.
CREATE INDEX offers_best ON offers (score DESC, id) WHERE active AND score IS NOT NULL;

ALTER TABLE scrape_runs
    ADD COLUMN offers_rejected integer NOT NULL DEFAULT 0 CHECK (offers_rejected >= 0),
    ADD COLUMN offers_ended    integer NOT NULL DEFAULT 0 CHECK (offers_ended >= 0);
