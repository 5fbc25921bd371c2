-- A search with filters ("chausure noir" under 200 €, "robe rouge" in one shop) answers from the search rows alone.
-- With migration 0012 a search found its matches in `offer_search` and then looked each one's offer up to test the
-- filters: a common word with a selective filter read thousands of offers (a second at the benchmark's million
-- offers, see the issue 6 notes). So each search row now also holds a copy of the columns the filters test, written
-- by the same refresh that copies the score (`store::search_index`), and the indexes a search uses hold them too:
--
-- - `offer_search_ranked` (the walk in score order for a common word) includes them, so that the walk rejects an
--   entry without reading any table;
-- - the two GIN indexes (a rare word, or a word with a selective filter) hold the shop, the category and the
--   verdict beside the words (btree_gin), so that "robe rouge" in one shop intersects the three inside one index
--   and reads a few hundred rows, not the thousands holding both words.
--
-- The copies lag the offers by one refresh, like the score: a harvest refreshes its shop's rows after storing,
-- ending and judging its offers. A list still tests the offers' own columns on the rows it returns (a handful), so
-- it never shows an ended offer, or one outside the price range, because a copy is behind.

-- Trusted (PostgreSQL 13+): the database owner may create it without being a superuser.
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- Rebuilt rather than updated in place: an UPDATE of every row would leave the table twice its size until a
-- VACUUM, which cannot run inside a migration.
CREATE TABLE offer_search_filtered AS
SELECT s.offer_id, s.title, s.brand, s.folded, s.words, s.tokens, s.score,
       o.shop_id, o.category, o.price, o.real_discount_pct, o.verdict, o.active
FROM offer_search s JOIN offers o ON o.id = s.offer_id;

DROP TABLE offer_search;
ALTER TABLE offer_search_filtered RENAME TO offer_search;
ALTER TABLE offer_search
    ALTER COLUMN title SET NOT NULL,
    ALTER COLUMN folded SET NOT NULL,
    ALTER COLUMN words SET NOT NULL,
    ALTER COLUMN tokens SET NOT NULL,
    ALTER COLUMN shop_id SET NOT NULL,
    ALTER COLUMN active SET NOT NULL,
    ADD PRIMARY KEY (offer_id),
    ADD FOREIGN KEY (offer_id) REFERENCES offers (id) ON DELETE CASCADE;

COMMENT ON COLUMN offer_search.shop_id IS 'offers.shop_id (never changes)';
COMMENT ON COLUMN offer_search.category IS 'offers.category when the row was last refreshed';
COMMENT ON COLUMN offer_search.price IS 'offers.price when the row was last refreshed';
COMMENT ON COLUMN offer_search.real_discount_pct IS 'offers.real_discount_pct when the row was last refreshed';
COMMENT ON COLUMN offer_search.verdict IS 'offers.verdict when the row was last refreshed';
COMMENT ON COLUMN offer_search.active IS 'offers.active when the row was last refreshed';

-- A rare word or combination, alone or with an exact filter: its rows straight from the index (then sorted, they are
-- few). The filter columns come after the words: a search without filters uses the first column only.
CREATE INDEX offer_search_words ON offer_search USING gin (words, shop_id, category, verdict);
CREATE INDEX offer_search_tokens ON offer_search USING gin (tokens, shop_id, category, verdict);
-- A common word: the deals in score order with everything a search and its filters test (an index-only walk).
CREATE INDEX offer_search_ranked ON offer_search (score DESC, offer_id)
    INCLUDE (words, tokens, active, price, real_discount_pct, verdict, category, shop_id)
    WHERE score IS NOT NULL;

-- The deal lists without a search walk the offers in score order by these indexes (migrations 0006 and 0010) and
-- used to read each offer the walk passed to test the real discount: with the discount in the index keys, after the
-- order, the walk tests it on the index entries and reads only the offers it lists. The real discount is written
-- only by the judge, which rewrites the score (in these indexes already) at the same time, so no update that could
-- stay HOT loses it. The price is NOT put in these keys, though it would speed up price ranges the same way ("Jardin
-- from 200 €": 49 ms → 1.7 ms at a million offers): a harvest writes new prices before the judge runs, and with the
-- price indexed, each repriced offer's update would write new entries in every index of `offers` (measured, two runs of
-- `cargo bench --bench ingest` minutes apart: the re-seen pass at 44 % of the raw rate with the price in the keys, 62 %
-- without). Price ranges are served by the page cache.
CREATE INDEX offers_best_filtered ON offers (score DESC, id, real_discount_pct) WHERE active AND score IS NOT NULL;
DROP INDEX offers_best;
ALTER INDEX offers_best_filtered RENAME TO offers_best;
CREATE INDEX offers_best_by_shop_filtered ON offers (shop_id, score DESC, id, real_discount_pct)
    WHERE active AND score IS NOT NULL;
DROP INDEX offers_best_by_shop;
ALTER INDEX offers_best_by_shop_filtered RENAME TO offers_best_by_shop;
CREATE INDEX offers_best_by_category_filtered ON offers (category, score DESC, id, real_discount_pct)
    WHERE active AND score IS NOT NULL;
DROP INDEX offers_best_by_category;
ALTER INDEX offers_best_by_category_filtered RENAME TO offers_best_by_category;
