//! The re-check before posting: a deal chosen for a post is minutes to hours old, and posting an expired deal is
//! what followers of deal accounts complain about most. So just before a post is sent (and before a curated post
//! is approved), its product page is fetched again, politely (the crawler's [`Fetcher`]: robots.txt, the shop
//! file's politeness), read with the shop's own engine, stored as a new observation and judged again as a harvest
//! would. Then [`recheck_verdict`](super::recheck_verdict) says whether the deal still holds.
//!
//! A check has three outcomes ([`RecheckOutcome`]): the deal holds and is posted; it is over (price up, discount
//! below the account's minimum, out of stock, page gone) and is dropped with the reason; or the shop could not be
//! asked (timeout, 5xx, refused connection, no shop file), and the post waits for the account's next slot: it is
//! never sent unchecked. Each check is capped by the account's `recheck_timeout_secs`, so a slow shop delays
//! nothing else. The fetched page comes back with the result ([`RecheckedPage`]), to be kept as evidence.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use url::Url;

use super::accounts::AccountConfig;
use super::recheck_verdict::{DropReason, drop_reason};
use crate::deals::score::ScoreWeights;
use crate::harvest::{ingest, judgements};
use crate::scrape::crawl::apply_politeness;
use crate::scrape::engines::dispatch::extract_document;
use crate::scrape::fetch::{FetchError, Fetcher, RawBody, decode_body};
use crate::scrape::normalize::{NormalizedOffer, ObservationSource, normalize};
use crate::scrape::offer::OfferKind;
use crate::scrape::registry::Shop;
use crate::scrape::shop_spec::EngineSpec;
use crate::store::kept_counts;
use crate::store::rechecked_offers::{self, PostedDeal};

/// What a re-check concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecheckOutcome {
    /// The deal holds (same price or cheaper, in stock, discount still enough): post it.
    Holds,
    /// The deal is over: do not post it.
    Dropped(DropReason),
    /// The deal could not be checked (the shop did not answer in time, failed, or is unknown): wait, never post it
    /// unchecked.
    Unchecked(String),
}

/// The product page a re-check read, as the shop sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecheckedPage {
    /// Where the page came from, after redirects.
    pub url: Url,
    pub status: u16,
    pub content_type: Option<String>,
    /// The body's bytes, after any `Content-Encoding` was undone.
    pub body: Vec<u8>,
    pub fetched_at: DateTime<Utc>,
}

/// One re-check: its outcome and the page read, when one was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recheck {
    pub outcome: RecheckOutcome,
    pub page: Option<RecheckedPage>,
}

impl Recheck {
    fn unchecked(reason: impl Into<String>) -> Recheck {
        Recheck { outcome: RecheckOutcome::Unchecked(reason.into()), page: None }
    }
}

/// Re-checks deals against their shops. Cheap to clone: the fetcher and the shop files are shared.
#[derive(Clone)]
pub struct Rechecker {
    fetcher: Fetcher,
    shops: Arc<HashMap<String, Shop>>,
    weights: ScoreWeights,
}

impl std::fmt::Debug for Rechecker {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shops: Vec<&str> = self.shops.keys().map(String::as_str).collect();
        shops.sort_unstable();
        formatter.debug_struct("Rechecker").field("shops", &shops).finish_non_exhaustive()
    }
}

impl Rechecker {
    /// A rechecker fetching through `fetcher` (shared with the harvests, so one host's limits hold for both),
    /// reading each shop's pages as its file in `shops` says, judging with `weights`.
    pub fn new(fetcher: Fetcher, shops: impl IntoIterator<Item = Shop>, weights: ScoreWeights) -> Rechecker {
        let shops = shops.into_iter().map(|shop| (shop.id.clone(), shop)).collect();
        Rechecker { fetcher, shops: Arc::new(shops), weights }
    }

    /// Re-checks the deal of post `publication_id` for `account` at `now`: fetches its product page (within the
    /// account's time cap), stores what the page says as a new observation, judges the offer again, and says
    /// whether the deal holds. Only a database failure is an error.
    pub async fn recheck(
        &self,
        pool: &sqlx::PgPool,
        account: &AccountConfig,
        publication_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Recheck, sqlx::Error> {
        let Some(deal) = rechecked_offers::posted_deal(pool, publication_id).await? else {
            return Ok(Recheck::unchecked(format!("post {publication_id} or its offer is no longer in the database")));
        };
        let Some(shop) = self.shops.get(&deal.shop_id) else {
            return Ok(Recheck::unchecked(format!("there is no shop file for the shop `{}`", deal.shop_id)));
        };
        let Ok(url) = Url::parse(&deal.url) else {
            return Ok(Recheck::unchecked(format!("the offer's URL {:?} cannot be fetched", deal.url)));
        };
        apply_politeness(shop, &self.fetcher, std::slice::from_ref(&url));
        let cap = account.recheck_timeout();
        let max_bytes = self.fetcher.settings().max_body_bytes;
        let raw = match tokio::time::timeout(cap, self.fetcher.fetch_bytes(&url, max_bytes)).await {
            Err(_) => {
                return Ok(Recheck::unchecked(format!("{url}: the shop did not answer within {} s", cap.as_secs())));
            }
            Ok(Err(FetchError::NotFound { status, .. })) => {
                rechecked_offers::end_gone_offer(pool, deal.offer_id, now).await?;
                kept_counts::recount_shop(pool, &deal.shop_id).await?;
                return Ok(Recheck { outcome: RecheckOutcome::Dropped(DropReason::Gone { status }), page: None });
            }
            Ok(Err(error)) => return Ok(Recheck::unchecked(error.to_string())),
            Ok(Ok(raw)) => raw,
        };
        let page = RecheckedPage {
            url: raw.url.clone(),
            status: raw.status,
            content_type: raw.content_type.clone(),
            body: Vec::new(),
            fetched_at: now,
        };
        let found = match offer_on_page(shop, &deal, &raw) {
            Ok(found) => found,
            Err(reason) => {
                return Ok(Recheck { outcome: RecheckOutcome::Unchecked(reason), page: Some(with_body(page, raw)) });
            }
        };
        let Some(found) = found else {
            return Ok(Recheck {
                outcome: RecheckOutcome::Dropped(DropReason::NoOffer),
                page: Some(with_body(page, raw)),
            });
        };
        // The run that last saw the offer stays its run: a re-check is not a harvest, and must not count as one
        // when a harvest later ends the offers it did not see. (Offers always come from a run; 0 only for rows
        // made by hand.)
        ingest::store_offers(pool, &deal.shop_id, deal.last_run_id.unwrap_or_default(), &[found], now).await?;
        judgements::judge_offers(pool, &[deal.offer_id], &self.weights, now).await?;
        // The page may have brought an ended offer back, or the judgement taken its score away.
        kept_counts::recount_shop(pool, &deal.shop_id).await?;
        let outcome = match rechecked_offers::offer_now(pool, deal.offer_id).await? {
            Some(offer) => match drop_reason(&deal, &offer, account.filters.min_real_discount) {
                Some(reason) => RecheckOutcome::Dropped(reason),
                None => RecheckOutcome::Holds,
            },
            None => RecheckOutcome::Dropped(DropReason::NoOffer),
        };
        Ok(Recheck { outcome, page: Some(with_body(page, raw)) })
    }
}

fn with_body(page: RecheckedPage, raw: RawBody) -> RecheckedPage {
    RecheckedPage { body: raw.bytes, ..page }
}

/// The engine that reads a shop's product pages: the shop's own, except for the engines that read an API or a feed
/// rather than pages (Shopify's products.json, a product feed), whose product pages are read through their
/// structured data, as `auto` does.
fn page_engine(shop: &Shop) -> &EngineSpec {
    match &shop.spec.engine {
        EngineSpec::Shopify | EngineSpec::Feed => &EngineSpec::Auto,
        engine => engine,
    }
}

/// The offer of `deal` on the fetched page, normalised and keyed as stored; `None` when the page does not show it
/// with a price; `Err` when the page cannot be read at all. The offer is the page's product with the deal's
/// canonical URL, or, on the deal's own page (not redirected elsewhere), its only priced product (a page whose
/// structured data names a variant's URL).
fn offer_on_page(shop: &Shop, deal: &PostedDeal, raw: &RawBody) -> Result<Option<NormalizedOffer>, String> {
    let (text, _) = decode_body(&raw.bytes, raw.content_type.as_deref());
    let currency = &shop.spec.currency.0;
    let offers = extract_document(page_engine(shop), &text, &raw.url, Some(currency), shop.spec.timezone.0)
        .map_err(|error| format!("{}: the page could not be read: {error}", raw.url))?;
    let products: Vec<NormalizedOffer> = offers
        .iter()
        .filter_map(|offer| normalize(offer, Some(&raw.url), currency).ok())
        .filter(|offer| offer.kind == OfferKind::Product && offer.price.is_some())
        .collect();
    let on_own_page = crate::scrape::canonical_url::canonicalize(&raw.url).as_str() == deal.canonical_url;
    let found = match products.iter().position(|offer| offer.canonical_url == deal.canonical_url) {
        Some(index) => Some(products[index].clone()),
        None if on_own_page && products.len() == 1 => products.into_iter().next(),
        None => None,
    };
    // The history says this price was seen by the re-check, not by a harvest.
    Ok(found.map(|offer| NormalizedOffer {
        canonical_url: deal.canonical_url.clone(),
        source: ObservationSource::Recheck,
        ..offer
    }))
}
