//! A running site for the admin and browser tests: a fresh database with two healthy shops and one unhealthy, offers
//! with real reductions judged by the real judge (one titled like an attack), a curated `dry_run` account whose
//! publisher slot put its deals in the review queue (and whose configuration the site knows), and `web::serve` on a loopback port with the admin enabled.

use chrono::{DateTime, Utc};
use dealcast::deals::score::ScoreWeights;
use dealcast::harvest::judgements::judge_offers;
use dealcast::publish::accounts::AccountConfig;
use dealcast::publish::publisher::Publisher;
use dealcast::web::admin::password::{AdminPasswordHash, hash_password};
use dealcast::web::{self, WebState};
use sqlx::PgPool;

use super::TestDb;
use super::builders::{OfferSeed, ShopSeed};

/// The admin password of the test site.
pub const PASSWORD: &str = "correct horse battery staple";

/// A title an attacker would scrape into the database.
pub const SCRIPT_TITLE: &str = "<script>alert(1)</script>";

/// The curated account whose posts wait for review.
pub const CURATED: &str = "revue";

/// The unhealthy shop.
pub const SICK_SHOP: &str = "fnac";

/// A running site over a seeded database.
pub struct AdminSite {
    pub db: TestDb,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub base: String,
    /// The offers, by title.
    pub offers: Vec<(String, i64)>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl AdminSite {
    /// The id of the offer titled `title`.
    pub fn offer(&self, title: &str) -> i64 {
        self.offers.iter().find(|(t, _)| t == title).map(|(_, id)| *id).expect("a seeded offer")
    }

    /// The ids of the posts waiting for review, oldest first.
    pub async fn pending(&self) -> Vec<(i64, i64, String)> {
        sqlx::query_as(
            "SELECT id, offer_id, text FROM publications WHERE status = 'pending_review' ORDER BY created_at, id",
        )
        .fetch_all(&self.db.pool)
        .await
        .expect("the pending posts")
    }

    /// The status of publication `id`.
    pub async fn status(&self, id: i64) -> String {
        sqlx::query_scalar("SELECT status FROM publications WHERE id = $1")
            .bind(id)
            .fetch_one(&self.db.pool)
            .await
            .expect("a publication")
    }
}

/// An offer sold at `before` for 40 days, at `after` for the last 2 (a real reduction); returns its id.
async fn add_offer(
    pool: &PgPool,
    shop: &str,
    n: usize,
    title: &str,
    before: &str,
    after: &str,
    now: DateTime<Utc>,
) -> i64 {
    OfferSeed::new(shop, title)
        .url(format!("https://www.{shop}.example/p/{n}"))
        .category("Mode")
        .real_reduction(before, after, now)
        .insert(pool)
        .await
}

/// The seeded site, served with the admin enabled (with [`PASSWORD`]) or disabled.
pub async fn start(admin_enabled: bool) -> AdminSite {
    start_at(admin_enabled, None).await
}

/// The seeded site, announcing `public_url` (e.g. an `https://` address behind a proxy) instead of its loopback one.
pub async fn start_at(admin_enabled: bool, public_url: Option<&str>) -> AdminSite {
    start_configured(admin_enabled, public_url, &[]).await
}

/// The seeded site with the admin enabled, believing the `X-Forwarded-For` of requests from `trusted_proxies`.
pub async fn start_behind_proxies(trusted_proxies: &[&str]) -> AdminSite {
    start_configured(true, None, trusted_proxies).await
}

async fn start_configured(admin_enabled: bool, public_url: Option<&str>, trusted_proxies: &[&str]) -> AdminSite {
    let db = super::fresh_database().await;
    let pool = &db.pool;
    let now = Utc::now();
    ShopSeed::new("kiabi").name("Kiabi").insert(pool).await;
    ShopSeed::new("sephora").name("Sephora").insert(pool).await;
    ShopSeed::new(SICK_SHOP).name("Fnac").unhealthy(Some("the run saw 3 offers, under 50 % of the median of the last 5 healthy runs (120) <img src=x onerror=alert(1)>")).insert(pool).await;
    let mut offers = Vec::new();
    for (n, (shop, title, before, after)) in [
        ("kiabi", "Chaussures de running Kiprun", "100", "60"),
        ("kiabi", "Jean droit brut", "39.99", "29.99"),
        ("kiabi", SCRIPT_TITLE, "50", "40"),
        ("sephora", "Palette Nude 12 teintes", "49", "29.40"),
        ("sephora", "Mascara volume intense", "20", "17"),
    ]
    .into_iter()
    .enumerate()
    {
        offers.push((title.to_owned(), add_offer(pool, shop, n, title, before, after, now).await));
    }
    let ids: Vec<i64> = offers.iter().map(|(_, id)| *id).collect();
    judge_offers(pool, &ids, &ScoreWeights::default(), now).await.expect("judge the offers");
    // What a harvest does once its offers are stored and judged: searches look in the search index.
    dealcast::store::search_index::refresh_all(pool).await.expect("index the offers for search");

    let account: AccountConfig = toml::from_str(&format!(
        "name = \"{CURATED}\"\nplatform = \"dry_run\"\nmode = \"curated\"\nposts_per_slot = 5\nmin_spacing_minutes = 0\n\
         per_shop_daily_cap = 5\n"
    ))
    .expect("a valid account");
    let publisher = Publisher::new(pool.clone(), account.clone(), "test", |_| None).expect("a dry-run publisher");
    let report = publisher.slot_now(now).await.expect("a publisher slot");
    assert!(report.queued >= 3, "the curated slot queued its deals for review: {report:?}");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let address = listener.local_addr().expect("the bound address");
    let base = format!("http://{address}");
    let hash = admin_enabled
        .then(|| AdminPasswordHash::try_from(hash_password(PASSWORD).expect("a hash")).expect("a valid hash"));
    let public = url::Url::parse(public_url.unwrap_or(&base)).expect("a URL");
    let proxies = trusted_proxies.iter().map(|proxy| proxy.parse().expect("a trusted proxy")).collect();
    let state = WebState::new(db.pool.clone(), public)
        .with_admin_password(hash)
        .with_trusted_proxies(proxies)
        .with_accounts(vec![account]);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    AdminSite { db, base, offers, _stop: stop }
}
