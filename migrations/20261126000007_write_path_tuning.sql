-- Tuning for the write path (a crawl stores thousands of offers a second, and every visit touches every offer).
-- Offers are rewritten at each visit (last_seen_at): free space on each page lets PostgreSQL update them in place
-- without touching their indexes (HOT updates).
ALTER TABLE offers SET (fillfactor = 70);

-- The unique (shop_id, canonical_url) index already serves every lookup by shop.
DROP INDEX offers_active_by_shop;

-- Run ids on offers and observations are provenance, not ownership: checking them on every write costs a lookup per
-- row, and runs are never deleted while their offers matter.
ALTER TABLE offers DROP CONSTRAINT offers_last_run_id_fkey;
ALTER TABLE price_observations DROP CONSTRAINT price_observations_run_id_fkey;

-- An observation is identified by its offer and time; a surrogate id was one more index to maintain per row.
ALTER TABLE price_observations DROP CONSTRAINT price_observations_pkey;
ALTER TABLE price_observations DROP COLUMN id;
ALTER TABLE price_observations DROP CONSTRAINT price_observations_offer_id_observed_at_key;
ALTER TABLE price_observations ADD CONSTRAINT price_observations_pkey PRIMARY KEY (offer_id, observed_at);
