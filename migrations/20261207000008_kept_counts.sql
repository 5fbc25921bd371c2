-- `/metrics` and the shops page (`/shops`, `/api/shops`, the admin dashboard) read counts kept up to date
-- instead of counting every offer and every run at each request: a public `/metrics` scraped every few seconds
-- must not cost a pass over a million offers, nor wait behind a long write to them.
--
-- shop_counts: one row per shop, recounted by the writers after what changes it (`store::kept_counts`): a
-- harvest (when its run starts and when it ends), the rescoring job and every expiry of promotions, a re-check
-- before posting that ends or re-judges an offer. A recount reads one shop's offers through the shop's indexes and
-- its runs through `scrape_runs_by_shop`; a request reads this table only.
CREATE TABLE shop_counts (
    shop_id        text PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    -- Offers still on the shop (`offers.active`).
    active_offers  bigint NOT NULL DEFAULT 0 CHECK (active_offers >= 0),
    -- Active offers with a score: the shop's deals.
    active_deals   bigint NOT NULL DEFAULT 0 CHECK (active_deals >= 0),
    -- Runs by status: {"succeeded": 12, "failed": 1, "running": 1}.
    runs_by_status jsonb NOT NULL DEFAULT '{}',
    -- Errors by kind, summed over every finished run: {"http_404": 3}. Only whole counts are summed: the errors
    -- object is the scraper's, and one odd value must not break the count.
    errors_by_kind jsonb NOT NULL DEFAULT '{}',
    -- When the row was last recounted (the database's clock).
    counted_at     timestamptz NOT NULL DEFAULT now()
);

-- Recounts one shop's row. Two statements, each with its own snapshot (plpgsql, READ COMMITTED): the first takes the
-- row's lock, so the counts of the second are read after any recount that committed before, and a slow recount
-- cannot overwrite a newer one with older figures.
CREATE FUNCTION dealcast_recount_shop(shop text) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO shop_counts AS c (shop_id) VALUES (shop)
        ON CONFLICT (shop_id) DO UPDATE SET counted_at = c.counted_at;
    UPDATE shop_counts SET
        active_offers = (SELECT count(*) FROM offers o WHERE o.shop_id = shop AND o.active),
        active_deals = (SELECT count(*) FROM offers o WHERE o.shop_id = shop AND o.active AND o.score IS NOT NULL),
        runs_by_status = (
            SELECT COALESCE(jsonb_object_agg(r.status, r.runs), '{}')
            FROM (SELECT status, count(*) AS runs FROM scrape_runs WHERE shop_id = shop GROUP BY status) r),
        errors_by_kind = (
            SELECT COALESCE(jsonb_object_agg(e.kind, e.errors), '{}')
            FROM (SELECT e.key AS kind, sum(e.value::text::bigint)::bigint AS errors
                  FROM scrape_runs r CROSS JOIN LATERAL jsonb_each(r.errors) AS e
                  WHERE r.shop_id = shop AND r.status <> 'running' AND jsonb_typeof(e.value) = 'number'
                        AND e.value::text ~ '^[0-9]{1,18}$'
                  GROUP BY e.key) e),
        counted_at = now()
    WHERE shop_id = shop;
END
$$;

-- The counts of the data already there.
SELECT dealcast_recount_shop(id) FROM shops;
