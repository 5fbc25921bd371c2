-- Searching and filtering the deals (the web UI, the API, `dealcast deals search`): French full-text search that
-- ignores accents, trigram matching for typos and partial words, and indexes so that every filter of the deals list
-- stays an index scan in score order.

-- Both extensions are "trusted" (PostgreSQL 13+): the database owner may create them without being a superuser.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- `unaccent(text)` is only STABLE (its dictionary could be changed), so it cannot appear in an index. This wrapper
-- names the dictionary and is declared IMMUTABLE, which is true as long as nobody edits unaccent.rules; after such an
-- edit, REINDEX the two search indexes. The SQL-standard body is resolved now, so it does not depend on the
-- search_path of whoever calls it later (pg_dump restores run with an empty one).
CREATE FUNCTION dealcast_fold(input text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT lower(unaccent('unaccent'::regdictionary, input));
END;

-- The text a search looks in: the title and the brand, folded (lower case, no accents). Queries must call it
-- exactly like the indexes below do, so that the planner matches them.
CREATE FUNCTION dealcast_search_text(title text, brand text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT dealcast_fold(coalesce(title, '') || ' ' || coalesce(brand, ''));
END;

-- French words with their stems ("chaussures" finds "chaussure").
CREATE INDEX offers_search_words ON offers
    USING gin (to_tsvector('french'::regconfig, dealcast_search_text(title, brand)));
-- Trigrams: typos ("chausure"), partial words ("aspi") and literal substrings ("50%").
CREATE INDEX offers_search_trigrams ON offers USING gin (dealcast_search_text(title, brand) gin_trgm_ops);

-- The best deals of one shop, or of one category, in score order (the home page's filters).
CREATE INDEX offers_best_by_shop ON offers (shop_id, score DESC, id) WHERE active AND score IS NOT NULL;
CREATE INDEX offers_best_by_category ON offers (category, score DESC, id) WHERE active AND score IS NOT NULL;
-- Lists that include ended deals (`offers_best` only holds active ones).
CREATE INDEX offers_scored ON offers (score DESC, id) WHERE score IS NOT NULL;
