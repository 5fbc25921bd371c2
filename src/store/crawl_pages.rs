//! The crawl's page memory in PostgreSQL (`crawl_pages`): loaded when a harvest starts, written back with what the
//! crawl learnt when it ends, so the next harvest of the shop sends validators, skips pages whose sitemap date did
//! not move and takes listing cards for unchanged products.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;

use crate::scrape::crawl_memory::{CrawlMemory, PageMemory, PageRole, PageVisit};
use crate::scrape::fetch::Validators;

/// One `crawl_pages` row as read.
#[derive(sqlx::FromRow)]
struct PageRow {
    url: String,
    role: String,
    etag: Option<String>,
    last_modified: Option<String>,
    sitemap_lastmod: Option<DateTime<Utc>>,
    visited_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
    offer_urls: Vec<String>,
    next_pages: Vec<String>,
    product_links: Vec<String>,
    card_agrees: Option<bool>,
}

/// What earlier harvests remember of `shop_id`'s pages.
pub async fn load(
    pool: &PgPool,
    shop_id: &str,
    now: DateTime<Utc>,
    refresh: TimeDelta,
    listing_first: bool,
) -> Result<CrawlMemory, sqlx::Error> {
    let rows: Vec<PageRow> = sqlx::query_as(
        "SELECT url, role, etag, last_modified, sitemap_lastmod, visited_at, read_at, offer_urls, next_pages,
                product_links, card_agrees
         FROM crawl_pages WHERE shop_id = $1",
    )
    .bind(shop_id)
    .fetch_all(pool)
    .await?;
    let pages: HashMap<String, PageMemory> = rows
        .into_iter()
        .filter_map(|row| {
            let role = PageRole::parse(&row.role)?;
            let memory = PageMemory {
                role,
                validators: Validators { etag: row.etag, last_modified: row.last_modified },
                sitemap_lastmod: row.sitemap_lastmod,
                visited_at: row.visited_at,
                read_at: row.read_at,
                offer_urls: row.offer_urls,
                next_pages: row.next_pages,
                product_links: row.product_links,
                card_agrees: row.card_agrees,
            };
            Some((row.url, memory))
        })
        .collect();
    Ok(CrawlMemory { pages, now, refresh, listing_first })
}

/// Remembers what a harvest learnt of its pages (one statement per 1,000 pages).
pub async fn save(pool: &PgPool, shop_id: &str, visits: &[PageVisit]) -> Result<(), sqlx::Error> {
    for chunk in visits.chunks(1000) {
        let column = |field: fn(&PageVisit) -> Option<String>| chunk.iter().map(field).collect::<Vec<_>>();
        // Arrays of arrays must be rectangular in PostgreSQL: the text arrays travel as JSON.
        let json = |field: fn(&PageMemory) -> &Vec<String>| {
            chunk
                .iter()
                .map(|visit| serde_json::to_string(field(&visit.memory)).unwrap_or_default())
                .collect::<Vec<_>>()
        };
        sqlx::query(
            "INSERT INTO crawl_pages AS p (shop_id, url, role, etag, last_modified, sitemap_lastmod, visited_at,
                 read_at, offer_urls, next_pages, product_links, card_agrees)
             SELECT $1, v.url, v.role, v.etag, v.last_modified, v.sitemap_lastmod, v.visited_at, v.read_at,
                 ARRAY(SELECT jsonb_array_elements_text(v.offer_urls::jsonb)),
                 ARRAY(SELECT jsonb_array_elements_text(v.next_pages::jsonb)),
                 ARRAY(SELECT jsonb_array_elements_text(v.product_links::jsonb)), v.card_agrees
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[],
                 $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::boolean[])
                 AS v (url, role, etag, last_modified, sitemap_lastmod, visited_at, read_at, offer_urls, next_pages,
                     product_links, card_agrees)
             ON CONFLICT (shop_id, url) DO UPDATE SET role = EXCLUDED.role, etag = EXCLUDED.etag,
                 last_modified = EXCLUDED.last_modified,
                 sitemap_lastmod = COALESCE(EXCLUDED.sitemap_lastmod, p.sitemap_lastmod),
                 visited_at = EXCLUDED.visited_at, read_at = COALESCE(EXCLUDED.read_at, p.read_at),
                 offer_urls = EXCLUDED.offer_urls, next_pages = EXCLUDED.next_pages,
                 product_links = EXCLUDED.product_links, card_agrees = EXCLUDED.card_agrees",
        )
        .bind(shop_id)
        .bind(column(|visit| Some(visit.url.clone())))
        .bind(column(|visit| Some(visit.memory.role.as_str().to_string())))
        .bind(column(|visit| visit.memory.validators.etag.clone()))
        .bind(column(|visit| visit.memory.validators.last_modified.clone()))
        .bind(chunk.iter().map(|visit| visit.memory.sitemap_lastmod).collect::<Vec<_>>())
        .bind(chunk.iter().map(|visit| visit.memory.visited_at).collect::<Vec<_>>())
        .bind(chunk.iter().map(|visit| visit.memory.read_at).collect::<Vec<_>>())
        .bind(json(|memory| &memory.offer_urls))
        .bind(json(|memory| &memory.next_pages))
        .bind(json(|memory| &memory.product_links))
        .bind(chunk.iter().map(|visit| visit.memory.card_agrees).collect::<Vec<_>>())
        .execute(pool)
        .await?;
    }
    Ok(())
}
