-- Search moves out of the offers write path. Migration 0010 indexed the folded title and brand of every offer with
-- two GIN expression indexes on `offers`: every inserted offer computed unaccent and its French tsvector twice and
-- wrote about fifty GIN entries (~35 µs), which halved the rate at which a harvest stores new offers (issue 4).
--
-- The search fields now live in `offer_search`, one row per offer, written after a harvest has stored its offers
-- (`store::search_index::refresh_shop`, one set-based statement) rather than by the insert itself: no trigger and no
-- generated column on `offers`, so storing an offer costs what it cost before 0010. Search results lag a harvest by
-- that one statement.
--
-- Typos and partial words are resolved among the distinct words first (`search_words`: thousands of rows, not a
-- million), then the offers holding one of the words found are looked up by an array index: "chausure" becomes
-- {chaussures} before any offer is read, instead of a trigram test against every offer's whole text.
--
-- A search lists its matches best first, and a frequent word matches tens of thousands of offers: sorting them all
-- by score, or walking the offers in score order and looking each one's search row up, costs milliseconds a
-- request. So each row also holds a copy of its offer's score, and one index holds the rows in score order with
-- their words: a search walks it (an index-only scan, a few hundred index entries for a common word) and reads only
-- the offers it lists. The copy is written by the same refresh, so the order of search results lags the judge by
-- that statement too.

DROP INDEX offers_search_words;
DROP INDEX offers_search_trigrams;

-- The distinct words of a folded text, split at white space: a query word is a literal substring of the text exactly
-- when it is a substring of one of these words (a query word holds no white space), so per-word matching on them
-- keeps the meaning of migration 0010's LIKE on the whole text.
CREATE FUNCTION dealcast_search_tokens(folded text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT coalesce(array_agg(DISTINCT token ORDER BY token), '{}')
    FROM regexp_split_to_table(folded, '\s+') AS token
    WHERE token <> '';
END;

-- offer_search: one row per offer, what a search looks in (computed from the offer's title and brand, with a copy
-- of its score for the order of the results).
CREATE TABLE offer_search (
    offer_id    bigint PRIMARY KEY REFERENCES offers (id) ON DELETE CASCADE,
    -- The title and brand the row was computed from: a changed offer is found by comparing them, without unaccent.
    title       text NOT NULL,
    brand       text,
    -- dealcast_search_row_text(title, brand): lower case, no accents.
    folded      text NOT NULL,
    -- French words with their stems ("chaussures" finds "chaussure").
    words       tsvector NOT NULL,
    -- dealcast_search_tokens(folded): what typos and partial words are matched against (through `search_words`).
    tokens      text[] NOT NULL,
    -- offers.score when the row was last refreshed (NULL: not a deal).
    score       numeric(12, 4)
);
-- A rare word or combination: its offers straight from the words (then sorted, they are few).
CREATE INDEX offer_search_words ON offer_search USING gin (words);
CREATE INDEX offer_search_tokens ON offer_search USING gin (tokens);
-- A common word: the deals in score order with what a search tests, so that walking them never reads the table.
-- Index rows are limited to a third of a page: `folded` only holds the start of very long titles (see below).
CREATE INDEX offer_search_ranked ON offer_search (score DESC, offer_id) INCLUDE (words, tokens)
    WHERE score IS NOT NULL;

-- search_words: every token of every offer_search row (a word no offer holds any more only costs its row;
-- `refresh_all` prunes them).
CREATE TABLE search_words (
    word text PRIMARY KEY
);
-- Typos ("chausure": word similarity) and partial words ("aspi": LIKE) among the words.
CREATE INDEX search_words_trigrams ON search_words USING gin (word gin_trgm_ops);

-- The words near one query word: those containing it (`query_pattern` is '%word%' with LIKE's wildcards escaped, folded)
-- or similar to it (pg_trgm's word similarity above its threshold: typos). The planner underrates the trigram
-- index here and scans the table or its primary key, computing the trigrams of every word (~1 µs each: a millisecond
-- per query word with the benchmark's thousand words); the trigram index answers in tens of microseconds, hence the
-- settings, which only leave it bitmap scans.
CREATE FUNCTION dealcast_near_words(query_pattern text, query_word text) RETURNS text[]
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET enable_seqscan = off
    SET enable_indexscan = off
    SET enable_indexonlyscan = off
BEGIN ATOMIC
    SELECT coalesce(array_agg(w.word), '{}') FROM search_words w WHERE w.word LIKE query_pattern OR w.word %> query_word;
END;

-- The folded text of an offer's search row: its title (its first 300 characters: a search index row must fit in a
-- third of a page) and its brand.
CREATE FUNCTION dealcast_search_row_text(title text, brand text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT dealcast_search_text(left(title, 300), left(brand, 100));
END;

INSERT INTO offer_search (offer_id, title, brand, folded, words, tokens, score)
SELECT id, title, brand, folded, to_tsvector('french'::regconfig, folded), dealcast_search_tokens(folded), score
FROM (SELECT id, title, brand, score, dealcast_search_row_text(title, brand) AS folded FROM offers) AS o;

INSERT INTO search_words (word)
SELECT DISTINCT unnest(tokens) FROM offer_search;
