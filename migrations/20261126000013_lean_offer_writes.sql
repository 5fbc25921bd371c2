-- The write path of a harvest (src/store/ingest.rs) stores thousands of offers a second; this migration removes the
-- per-row work that bought nothing a statement-level check cannot give (measured with `cargo bench --bench ingest`,
-- figures in the issue 4 notes).
--
-- 1. No products table. A product across shops is its normalised GTIN-14, which every offer already carries in
--    `offers.gtin` (checked, indexed below). The table cost a row, two index entries and a foreign-key check per new
--    offer, for a name and brand that the offers hold anyway.
-- 2. Foreign keys of offers (to shops) and of price observations (to offers) become statement-level checks. A
--    foreign key checks each inserted row with its own query and row lock (which writes WAL and, with four batches
--    in flight on one shop, a multixact on the shop row): with the products row, that was more than half of the
--    time of storing a new offer. The checks below test a whole statement's new rows with one anti-join; deleting a
--    shop or an offer still deletes what hangs from it. What they do not do is lock: a row inserted while another
--    transaction deletes its parent is not stopped, and an UPDATE of `offers.shop_id` or `price_observations.offer_id`
--    is not checked (PostgreSQL gives transition tables to no UPDATE OF trigger, and one on every UPDATE would tax
--    each re-seen offer): dealcast never changes either column, and deletes shops and offers only by an operator's
--    hand, never while it runs, so both are accepted for the write speed.

ALTER TABLE offers DROP CONSTRAINT offers_product_id_fkey;
DROP INDEX offers_by_product;
ALTER TABLE offers DROP COLUMN product_id;
DROP TABLE products;
-- "The same product in other shops" (the deal page, `deals show`) and the publisher's "one GTIN once".
CREATE INDEX offers_by_gtin ON offers (gtin) WHERE gtin IS NOT NULL;

ALTER TABLE offers DROP CONSTRAINT offers_shop_id_fkey;
ALTER TABLE price_observations DROP CONSTRAINT price_observations_offer_id_fkey;

-- Arguments: the new rows' column, the parent table, its key. Transition tables are visible to EXECUTE.
CREATE FUNCTION dealcast_check_parents() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    EXECUTE format('SELECT a.%1$I::text FROM added a WHERE NOT EXISTS (SELECT 1 FROM %2$I p WHERE p.%3$I = a.%1$I) LIMIT 1',
                   TG_ARGV[0], TG_ARGV[1], TG_ARGV[2])
        INTO missing;
    IF missing IS NOT NULL THEN
        RAISE foreign_key_violation USING
            MESSAGE = format('%s.%s %L: there is no such row in %s', TG_TABLE_NAME, TG_ARGV[0], missing, TG_ARGV[1]),
            TABLE = TG_TABLE_NAME, COLUMN = TG_ARGV[0];
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER offers_shop_exists AFTER INSERT ON offers
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION dealcast_check_parents('shop_id', 'shops', 'id');
CREATE TRIGGER observations_offer_exists AFTER INSERT ON price_observations
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT
    EXECUTE FUNCTION dealcast_check_parents('offer_id', 'offers', 'id');

-- The cascades the foreign keys did. Arguments: the child table, its column holding the deleted rows' id.
CREATE FUNCTION dealcast_delete_children() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DELETE FROM %1$I c USING removed r WHERE c.%2$I = r.id', TG_ARGV[0], TG_ARGV[1]);
    RETURN NULL;
END $$;

CREATE TRIGGER shops_delete_offers AFTER DELETE ON shops
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION dealcast_delete_children('offers', 'shop_id');
CREATE TRIGGER offers_delete_observations AFTER DELETE ON offers
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
    EXECUTE FUNCTION dealcast_delete_children('price_observations', 'offer_id');
