//! The search index of the deals: `offer_search` (each offer's folded title and brand, its French words, its
//! distinct words) and `search_words` (every distinct word, trigram-indexed for typos and partial words), brought up
//! to date with the offers by one set-based statement.
//!
//! It exists to keep search out of the write path of offers: indexing the text on `offers` itself made every stored
//! offer pay for unaccent, stemming and dozens of GIN entries while its harvest waited, which slowed down storing new
//! offers far more than the search rows written afterwards do. Here an offer's search row is written after its harvest
//! has stored and judged the offers, and only for offers that have no row yet or whose title or brand changed (a plain
//! text comparison, no unaccent). Each row also holds copies of what the deal lists filter and order by (score, shop,
//! category, price, real discount, verdict, whether the offer runs): a search picks its page from the rows alone
//! (migration 0014), and a row whose offer was judged, repriced or ended gets the new values copied. Re-seeing an
//! unchanged catalogue costs one primary-key probe per offer and writes nothing.
//!
//! The price of that: search results lag a harvest by this one statement. An offer stored by a harvest still running is
//! listed (filters, score order) but not found by a search until its harvest ends, and a search orders and filters its
//! results by the values of the last refresh (then tests the offers' own values on the page it shows, so a lagging copy
//! can shorten a page but never show an offer outside the filters); an offer inserted or rescored by other means (a
//! test, a hand-written SQL fix) is searched as it is once [`refresh_all`] runs.
//!
//! Each refresh takes the next search generation (migration 0015) and stamps the rows it writes with it, so that a
//! web server holding the deal lists in memory (`deal_index`) reads only what changed since its copy.

use sqlx::PgPool;

/// The statement bringing the search rows of the offers matching `$offers` (a condition on `offers o`, whose
/// parameters start at `$2`) up to date, stamping each row it writes with generation `$1`, and returning how many
/// rows it wrote: offers with no row or whose title or brand changed get their row computed (and their words added
/// to `search_words`, in word order, so that two refreshes adding the same new words wait for each other instead of
/// deadlocking); offers whose score or filtered columns alone changed get them copied.
///
/// Each offer's search row is looked up by its primary key (OFFSET 0 keeps the subquery a parameterised probe):
/// joining instead let PostgreSQL hash the whole table, a million rows, to refresh one shop's thousands. A macro
/// rather than one statement with `($1 IS NULL OR o.shop_id = $1)`: PostgreSQL's reused generic plan would then read
/// every shop's offers.
macro_rules! refresh_sql {
    ($offers:literal) => {
        concat!(
            "WITH current AS (
                SELECT o.id, o.title, o.brand, o.score, o.shop_id, o.category, o.price, o.real_discount_pct,
                    o.verdict, o.active,
                    s.offer_id IS NULL OR s.title <> o.title OR s.brand IS DISTINCT FROM o.brand AS retitled,
                    (s.score, s.category, s.price, s.real_discount_pct, s.verdict, s.active)
                        IS DISTINCT FROM (o.score, o.category, o.price, o.real_discount_pct, o.verdict, o.active)
                        AS moved
                FROM offers o
                LEFT JOIN LATERAL (
                    SELECT s.offer_id, s.title, s.brand, s.score, s.category, s.price, s.real_discount_pct,
                        s.verdict, s.active
                    FROM offer_search s WHERE s.offer_id = o.id OFFSET 0) s ON true
                WHERE ",
            $offers,
            "
            ), written AS (
                INSERT INTO offer_search (offer_id, title, brand, folded, words, tokens, score, shop_id, category,
                    price, real_discount_pct, verdict, active, generation)
                SELECT id, title, brand, folded, to_tsvector('french'::regconfig, folded),
                    dealcast_search_tokens(folded), score, shop_id, category, price, real_discount_pct, verdict,
                    active, $1
                FROM (SELECT c.*, dealcast_search_row_text(c.title, c.brand) AS folded
                      FROM current c WHERE c.retitled) AS stale
                ON CONFLICT (offer_id) DO UPDATE
                    SET title = EXCLUDED.title, brand = EXCLUDED.brand, folded = EXCLUDED.folded,
                        words = EXCLUDED.words, tokens = EXCLUDED.tokens, score = EXCLUDED.score,
                        category = EXCLUDED.category, price = EXCLUDED.price,
                        real_discount_pct = EXCLUDED.real_discount_pct, verdict = EXCLUDED.verdict,
                        active = EXCLUDED.active, generation = EXCLUDED.generation
                RETURNING tokens
            ), new_words AS (
                INSERT INTO search_words (word)
                SELECT DISTINCT unnest(tokens) AS word FROM written ORDER BY word
                ON CONFLICT (word) DO NOTHING
            ), synced AS (
                UPDATE offer_search s
                SET score = c.score, category = c.category, price = c.price,
                    real_discount_pct = c.real_discount_pct, verdict = c.verdict, active = c.active,
                    generation = $1
                FROM current c
                WHERE s.offer_id = c.id AND c.moved AND NOT c.retitled
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM written) + (SELECT count(*) FROM synced)"
        )
    };
}

/// Brings the search rows of `shop_id`'s offers up to date (new offers, retitled offers, new scores, prices,
/// verdicts, categories, ended offers); returns how many rows it wrote. Called by a harvest once its offers are
/// stored, ended and judged.
pub async fn refresh_shop(pool: &PgPool, shop_id: &str) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let generation = next_generation(&mut tx).await?;
    let written: i64 =
        sqlx::query_scalar(refresh_sql!("o.shop_id = $2")).bind(generation).bind(shop_id).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(u64::try_from(written).unwrap_or_default())
}

/// Brings the search rows of the offers `offer_ids` up to date; returns how many rows it wrote. Called by the
/// rescoring (`harvest::rescoring`) for the offers whose score it rewrote, so that searches and the in-memory deal
/// lists follow it as they follow a harvest.
pub async fn refresh_offers(pool: &PgPool, offer_ids: &[i64]) -> Result<u64, sqlx::Error> {
    if offer_ids.is_empty() {
        return Ok(0);
    }
    let mut tx = pool.begin().await?;
    let generation = next_generation(&mut tx).await?;
    let written: i64 =
        sqlx::query_scalar(refresh_sql!("o.id = ANY($2)")).bind(generation).bind(offer_ids).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(u64::try_from(written).unwrap_or_default())
}

/// Brings the search rows of every offer up to date, then forgets the words no offer holds any more (after
/// retitled or deleted offers) and the deletions older than a day (servers holding the deal lists in memory read
/// them within seconds; one that missed some only shows pages a row short). Returns how many search rows it wrote.
pub async fn refresh_all(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let generation = next_generation(&mut tx).await?;
    let written: i64 = sqlx::query_scalar(refresh_sql!("true")).bind(generation).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    sqlx::query(
        "DELETE FROM search_words w
         WHERE NOT EXISTS (SELECT 1 FROM offer_search s WHERE s.tokens @> ARRAY[w.word])",
    )
    .execute(pool)
    .await?;
    sqlx::query("DELETE FROM offer_search_removed WHERE removed_at < now() - interval '1 day'").execute(pool).await?;
    Ok(u64::try_from(written).unwrap_or_default())
}

/// Takes the next search generation for the rows `tx` writes (migration 0015): the row stays locked until `tx`
/// ends, so refreshes commit in generation order and a reader seeing generation G has every row stamped G or less.
async fn next_generation(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("UPDATE search_generation SET generation = generation + 1 RETURNING generation")
        .fetch_one(&mut **tx)
        .await
}

/// The generation of the latest refresh of the search rows, or of the latest deletion of some.
pub async fn current_generation(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT generation FROM search_generation").fetch_one(pool).await
}
