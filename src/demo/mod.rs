//! `dealcast demo`: everything dealcast does, on a fresh machine with no configuration, no credentials and no
//! internet, in under a minute. A fake shop is served on loopback from bundled pages ([`catalogue`],
//! [`fake_shop`]); its past (60, 20 and 2 days ago) is replayed through the real scraper, store and judge with a
//! clock set back, so that the 30-day rule has a history to work on; a `dry_run` publisher writes the posts it would
//! make; and then the shop keeps changing prices while the demo runs.
//!
//! The demo works in its own private cluster (`<data dir>/demo`), never in the user's database: it empties it at
//! start.

pub mod catalogue;
pub mod fake_shop;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;

use crate::deals::score::ScoreWeights;
use crate::harvest::{Clock, HarvestError, harvest_shop};
use crate::publish::accounts::AccountConfig;
use crate::publish::publisher::{PublishError, Publisher, SentPost};
use crate::scrape::crawl::CrawlOptions;
use crate::scrape::fetch::{FetchSettings, Fetcher, HostPolicy, PrivateHostAllowance};
use crate::scrape::registry::Shop;
use crate::scrape::shop_spec::ShopSpec;
use catalogue::PAST_EPOCH_DAYS_AGO;
use fake_shop::FakeShop;

/// The demo shop's id.
pub const SHOP_ID: &str = "boutique_demo";

/// The demo's publishing account.
pub const ACCOUNT: &str = "demo";

/// Why the demo could not go on.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("could not start the demo shop on loopback")]
    Shop(#[source] std::io::Error),
    #[error("the demo shop's file is invalid: {0}")]
    ShopSpec(String),
    #[error("could not set up fetching")]
    Fetcher(#[source] crate::scrape::fetch::FetchError),
    #[error("could not empty the demo database")]
    Reset(#[source] sqlx::Error),
    #[error(transparent)]
    Harvest(#[from] HarvestError),
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// The demo's moving parts, once its past has been replayed.
pub struct Demo {
    pub shop: FakeShop,
    spec: Shop,
    fetcher: Fetcher,
    publisher: Publisher,
    pool: PgPool,
    weights: ScoreWeights,
}

/// What the set-up found and would post.
#[derive(Debug, Clone)]
pub struct DemoStart {
    pub offers: u64,
    pub posts: Vec<SentPost>,
}

/// The demo shop's file, pointing at the fake shop.
fn shop_file(base: &str) -> String {
    format!(
        "name = \"Boutique Démo\"\nhomepage = \"{base}\"\ncurrency = \"EUR\"\nlanguage = \"fr\"\n\
         schedule = \"0 */5 * * * *\"\n\n[engine]\nkind = \"json_ld\"\n\n[crawl]\nstart_urls = [\"{base}promotions\"]\n\
         product_links = \"a.product-link\"\nmax_pages = 50\nmax_depth = 2\n\n[politeness]\nmin_delay_ms = 0\n\
         max_concurrency = 4\n"
    )
}

/// The demo's account: records its posts, sends nothing.
fn account() -> AccountConfig {
    toml::from_str(&format!(
        "name = \"{ACCOUNT}\"\nplatform = \"dry_run\"\nposts_per_slot = 3\nmin_spacing_minutes = 0\n\
         schedule = \"0 */5 * * * *\"\n"
    ))
    .expect("the demo account is valid")
}

fn fixed_clock(at: DateTime<Utc>) -> Clock {
    Arc::new(move || at)
}

impl Demo {
    /// Starts the fake shop, empties the demo database, replays the shop's past and writes the would-be posts.
    pub async fn start(pool: PgPool) -> Result<(Demo, DemoStart), DemoError> {
        sqlx::query(
            "TRUNCATE review_decisions, publications, accounts, price_observations, offers, scrape_runs,
                      shops, jobs CASCADE",
        )
        .execute(&pool)
        .await
        .map_err(DemoError::Reset)?;
        let shop = FakeShop::start().await.map_err(DemoError::Shop)?;
        let spec: ShopSpec = crate::common::toml_problems::parse_all(&shop_file(&shop.base_url()))
            .map_err(|problems| DemoError::ShopSpec(format!("{problems:?}")))?;
        let spec = Shop { id: SHOP_ID.to_string(), file: PathBuf::from("(built into dealcast demo)"), spec };
        // The demo's own shop is on loopback: its address alone is allowed, not the rest of loopback.
        let shop_host = url::Url::parse(&shop.base_url()).ok().and_then(|url| url.host_str().map(str::to_string));
        let allowance = PrivateHostAllowance::parse_list(&shop_host.unwrap_or_default(), "the demo shop")
            .map_err(|error| DemoError::ShopSpec(error.to_string()))?;
        let fetcher = Fetcher::new(FetchSettings {
            default_host_policy: HostPolicy { min_delay: std::time::Duration::ZERO, max_concurrency: 4 },
            allow_private_hosts: allowance,
            ..FetchSettings::default()
        })
        .map_err(DemoError::Fetcher)?;
        let publisher = Publisher::for_preview(pool.clone(), account(), "demo")?;
        let demo = Demo { shop, spec, fetcher, publisher, pool, weights: ScoreWeights::default() };

        let now = Utc::now();
        for (epoch, days_ago) in PAST_EPOCH_DAYS_AGO.iter().enumerate() {
            demo.shop.set_epoch(epoch as u32);
            demo.harvest(fixed_clock(now - TimeDelta::days(*days_ago))).await?;
        }
        demo.shop.set_epoch(PAST_EPOCH_DAYS_AGO.len() as u32);
        let offers = demo.harvest(fixed_clock(now)).await?;
        let report = demo.publisher.slot_now(now).await?;
        Ok((demo, DemoStart { offers, posts: report.sent }))
    }

    /// One scrape of the demo shop at the clock's time; how many offers it saw.
    async fn harvest(&self, clock: Clock) -> Result<u64, DemoError> {
        let harvest = harvest_shop(
            &self.pool,
            &self.fetcher,
            &self.spec,
            &CrawlOptions::default(),
            "demo",
            &self.weights,
            &clock,
        )
        .await?;
        Ok(harvest.counts.seen)
    }

    /// The next live round: prices move, the shop is scraped again, the publisher ticks.
    pub async fn round(&self) -> Result<(u64, Vec<SentPost>), DemoError> {
        self.shop.set_epoch(self.shop.epoch() + 1);
        let now = Utc::now();
        let offers = self.harvest(fixed_clock(now)).await?;
        let report = self.publisher.tick(now).await?;
        Ok((offers, report.sent))
    }
}

/// An offer whose announced reduction the 30-day rule exposed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FakeDiscount {
    pub title: String,
    pub claimed_discount_pct: Option<rust_decimal::Decimal>,
    pub reference_price: Option<rust_decimal::Decimal>,
    pub currency: String,
}

/// The offers judged `inflated`.
pub async fn fake_discounts(pool: &PgPool) -> Result<Vec<FakeDiscount>, sqlx::Error> {
    sqlx::query_as(
        "SELECT title, claimed_discount_pct, reference_price, COALESCE(currency::text, 'EUR') AS currency
         FROM offers WHERE verdict = 'inflated' ORDER BY id",
    )
    .fetch_all(pool)
    .await
}
