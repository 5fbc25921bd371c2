//! The search index of the deals: `offer_search` (each offer's folded title and brand, its French words, its
//! distinct words) and `search_words` (every distinct word, trigram-indexed for typos and partial words), brought up
//! to date with the offers by one set-based statement.
//!
//! It exists to keep search out of the write path of offers (issue 4): indexing the text on `offers` itself cost
//! every stored offer about 35 µs of unaccent, stemming and GIN entries, and halved how fast a harvest stores new
//! offers. Here an offer's search row is written after its harvest has stored and judged the offers, and only for
//! offers that have no row yet or whose title or brand changed (a plain text comparison, no unaccent); a row whose
//! offer was judged to a new score gets the new score copied (searches walk the rows in score order). Re-seeing an
//! unchanged catalogue costs one join and writes nothing.
//!
//! The price of that: search results lag a harvest by this one statement. An offer stored by a harvest still
//! running is listed (filters, score order) but not found by a search until its harvest ends, and a search orders
//! its results by the scores of the last refresh; an offer inserted or rescored by other means (a test, a
//! hand-written SQL fix) is searched as it is once [`refresh_all`] runs.

use sqlx::PgPool;

/// The statement bringing the search rows of the offers matching `$offers` (a condition on `offers o`) up to date,
/// returning how many rows it wrote: offers with no row or whose title or brand changed get their row computed
/// (and their words added to `search_words`, in word order, so that two refreshes adding the same new words wait for
/// each other instead of deadlocking); offers whose score alone changed get it copied. A macro rather than one
/// statement with `($1 IS NULL OR o.shop_id = $1)`: PostgreSQL's reused generic plan would then read every shop's
/// offers.
macro_rules! refresh_sql {
    ($offers:literal) => {
        concat!(
            "WITH stale AS (
                SELECT o.id, o.title, o.brand, o.score, dealcast_search_row_text(o.title, o.brand) AS folded
                FROM offers o LEFT JOIN offer_search s ON s.offer_id = o.id
                WHERE ",
            $offers,
            " AND (s.offer_id IS NULL OR s.title <> o.title OR s.brand IS DISTINCT FROM o.brand)
            ), written AS (
                INSERT INTO offer_search (offer_id, title, brand, folded, words, tokens, score)
                SELECT id, title, brand, folded, to_tsvector('french'::regconfig, folded),
                    dealcast_search_tokens(folded), score
                FROM stale
                ON CONFLICT (offer_id) DO UPDATE
                    SET title = EXCLUDED.title, brand = EXCLUDED.brand, folded = EXCLUDED.folded,
                        words = EXCLUDED.words, tokens = EXCLUDED.tokens, score = EXCLUDED.score
                RETURNING tokens
            ), new_words AS (
                INSERT INTO search_words (word)
                SELECT DISTINCT unnest(tokens) AS word FROM written ORDER BY word
                ON CONFLICT (word) DO NOTHING
            ), rescored AS (
                UPDATE offer_search s SET score = o.score
                FROM offers o
                WHERE o.id = s.offer_id AND ",
            $offers,
            " AND s.score IS DISTINCT FROM o.score AND s.title = o.title AND s.brand IS NOT DISTINCT FROM o.brand
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM written) + (SELECT count(*) FROM rescored)"
        )
    };
}

/// Brings the search rows of `shop_id`'s offers up to date (new offers, retitled offers, new scores); returns how
/// many rows it wrote. Called by a harvest once its offers are stored and judged.
pub async fn refresh_shop(pool: &PgPool, shop_id: &str) -> Result<u64, sqlx::Error> {
    let written: i64 = sqlx::query_scalar(refresh_sql!("o.shop_id = $1")).bind(shop_id).fetch_one(pool).await?;
    Ok(u64::try_from(written).unwrap_or_default())
}

/// Brings the search rows of every offer up to date, then forgets the words no offer holds any more (after
/// retitled or deleted offers). Returns how many search rows it wrote.
pub async fn refresh_all(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let written: i64 = sqlx::query_scalar(refresh_sql!("true")).fetch_one(pool).await?;
    sqlx::query(
        "DELETE FROM search_words w
         WHERE NOT EXISTS (SELECT 1 FROM offer_search s WHERE s.tokens @> ARRAY[w.word])",
    )
    .execute(pool)
    .await?;
    Ok(u64::try_from(written).unwrap_or_default())
}
