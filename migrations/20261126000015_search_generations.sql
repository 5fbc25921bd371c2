-- Search generations: what lets a web server keep the deal lists in its own memory (`store::deal_index`) and know,
-- with one primary-key read per request, whether its copy is current.
--
-- Issue 6's load benchmark: with a million offers, a search with filters ("casque sans fil" from 20 % off) cost
-- PostgreSQL 15-56 ms (its three words hold 41k-83k offers each; the GIN indexes intersect them, then thousands of
-- rows are read to test the discount), and "Jardin from 200 €" 12 ms (the price is not in the offers' indexes, see
-- migration 0014). Two cores at 50 connections leave about a millisecond per request. A server holding the search
-- rows as compressed sets of positions in score order answers those lists in microseconds, then reads only the
-- page's offers; it needs to know what changed since it loaded.
--
-- search_generation: one row, one counter. Every refresh of the search rows (`store::search_index`) takes the
--   next generation first, in its own transaction, and stamps every row it writes with it. Refreshes therefore
--   queue on this row and commit in generation order: a reader that sees generation G sees every row stamped G or
--   less, and none stamped more.
-- offer_search.generation: the generation that last wrote the row; a server that holds generation G reads the
--   rows stamped above G.
-- offer_search_removed: the search rows deleted (their offer was deleted, e.g. with its shop), with the
--   generation their deletion took, so that a server forgets them too.

CREATE TABLE search_generation (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    generation bigint NOT NULL
);
INSERT INTO search_generation (generation) VALUES (1);

-- The rows written before this migration keep generation 0: a server loads everything at its start anyway.
ALTER TABLE offer_search ADD COLUMN generation bigint NOT NULL DEFAULT 0;
-- offer_search's updates are never HOT (the score, price and state they write are in `offer_search_ranked`), so
-- indexing the generation costs them one index entry more, not a heap rewrite.
CREATE INDEX offer_search_by_generation ON offer_search (generation);

CREATE TABLE offer_search_removed (
    offer_id   bigint NOT NULL,
    generation bigint NOT NULL,
    removed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX offer_search_removed_by_generation ON offer_search_removed (generation);

-- One generation per deleting statement. A deletion waits for a running refresh (and a refresh for a running
-- deletion): deleting a shop while its harvest refreshes can end in a deadlock, which PostgreSQL breaks by failing
-- one of the two; both are retried by their callers (the next harvest, the operator).
CREATE FUNCTION dealcast_note_removed_search_rows() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    taken bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM removed) THEN
        RETURN NULL;
    END IF;
    UPDATE search_generation SET generation = generation + 1 RETURNING generation INTO taken;
    INSERT INTO offer_search_removed (offer_id, generation) SELECT offer_id, taken FROM removed;
    RETURN NULL;
END;
$$;

CREATE TRIGGER offer_search_removed_rows AFTER DELETE ON offer_search
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION dealcast_note_removed_search_rows();
