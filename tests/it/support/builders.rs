//! One set of builders for the rows tests start from: shops, and offers with their price history. Each test says
//! only what matters to it (`OfferSeed::new("shop_a", "Robe").seen(day, "29.99", Some("39.99"))`); everything else
//! takes a plain default (EUR, in stock, active, seen now).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

/// A test amount, written as text ("19.99").
pub fn dec(text: &str) -> Decimal {
    text.parse().expect("test amounts are valid decimals")
}

/// A shop row: homepage https://shop.example/, healthy unless told otherwise.
pub struct ShopSeed<'a> {
    id: &'a str,
    name: &'a str,
    unhealthy_reason: Option<&'a str>,
    unhealthy: bool,
}

impl<'a> ShopSeed<'a> {
    /// A healthy shop named like its id.
    pub fn new(id: &'a str) -> Self {
        ShopSeed { id, name: id, unhealthy_reason: None, unhealthy: false }
    }

    pub fn name(mut self, name: &'a str) -> Self {
        self.name = name;
        self
    }

    /// Marked unhealthy, with `reason` when there is one.
    pub fn unhealthy(mut self, reason: Option<&'a str>) -> Self {
        self.unhealthy = true;
        self.unhealthy_reason = reason;
        self
    }

    pub async fn insert(self, pool: &PgPool) {
        sqlx::query(
            "INSERT INTO shops (id, name, homepage, healthy, unhealthy_reason)
             VALUES ($1, $2, 'https://shop.example/', $3, $4)",
        )
        .bind(self.id)
        .bind(self.name)
        .bind(!self.unhealthy)
        .bind(self.unhealthy_reason)
        .execute(pool)
        .await
        .expect("insert a shop");
    }
}

/// An offer and its price history; its current state is its last observation.
pub struct OfferSeed<'a> {
    shop: &'a str,
    title: &'a str,
    url: Option<String>,
    brand: Option<&'a str>,
    gtin: Option<&'a str>,
    category: Option<&'a str>,
    image_url: Option<&'a str>,
    flags: serde_json::Value,
    active: bool,
    last_seen_at: Option<DateTime<Utc>>,
    history: Vec<(DateTime<Utc>, Decimal, Option<Decimal>)>,
}

impl<'a> OfferSeed<'a> {
    /// An active, in-stock offer in EUR of `shop`, at `https://<shop>.example/p/<title>` unless given a URL.
    pub fn new(shop: &'a str, title: &'a str) -> Self {
        OfferSeed {
            shop,
            title,
            url: None,
            brand: None,
            gtin: None,
            category: None,
            image_url: None,
            flags: serde_json::json!([]),
            active: true,
            last_seen_at: None,
            history: Vec::new(),
        }
    }

    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    pub fn brand(mut self, brand: Option<&'a str>) -> Self {
        self.brand = brand;
        self
    }

    pub fn gtin(mut self, gtin: Option<&'a str>) -> Self {
        self.gtin = gtin;
        self
    }

    pub fn category(mut self, category: &'a str) -> Self {
        self.category = Some(category);
        self
    }

    pub fn image_url(mut self, image_url: &'a str) -> Self {
        self.image_url = Some(image_url);
        self
    }

    /// The quality flags the offer carries (a JSON array).
    pub fn flags(mut self, flags: serde_json::Value) -> Self {
        self.flags = flags;
        self
    }

    /// Ended at its last sighting (no longer on sale).
    pub fn ended(mut self) -> Self {
        self.active = false;
        self
    }

    /// When a harvest last saw it (default: now).
    pub fn last_seen(mut self, at: DateTime<Utc>) -> Self {
        self.last_seen_at = Some(at);
        self
    }

    /// Seen at `at` for `price`, "was `previous`" when the shop showed a crossed-out price.
    pub fn seen(mut self, at: DateTime<Utc>, price: &str, previous: Option<&str>) -> Self {
        self.history.push((at, dec(price), previous.map(dec)));
        self
    }

    /// Sold at `before` from 40 days before `now`, then at `after` ("was `before`") for the last two days, and
    /// last seen `now`: a real reduction by the 30-day rule.
    pub fn real_reduction(self, before: &str, after: &str, now: DateTime<Utc>) -> Self {
        self.seen(now - chrono::TimeDelta::days(40), before, None)
            .seen(now - chrono::TimeDelta::days(2), after, Some(before))
            .last_seen(now)
    }

    /// Seen at each of `history`'s (time, price, previous price).
    pub fn history(self, history: &[(DateTime<Utc>, &str, Option<&str>)]) -> Self {
        history.iter().fold(self, |seed, &(at, price, previous)| seed.seen(at, price, previous))
    }

    /// Writes the offer and its observations; returns the offer's id.
    pub async fn insert(self, pool: &PgPool) -> i64 {
        let (first, _, _) = *self.history.first().expect("an offer needs at least one observation");
        let (_, price, previous) = *self.history.last().expect("an offer needs at least one observation");
        let url = self
            .url
            .unwrap_or_else(|| format!("https://{}.example/p/{}", self.shop, self.title.replace([' ', ','], "-")));
        let last_seen = self.last_seen_at.unwrap_or_else(Utc::now);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO offers (shop_id, canonical_url, url, title, brand, gtin, category, image_url, currency, price,
                 previous_price, availability, quality_flags, first_seen_at, last_seen_at, active, ended_at)
             VALUES ($1, $2, $2, $3, $4, $5, $6, $7, 'EUR', $8, $9, 'in_stock', $10, $11, $12, $13,
                     CASE WHEN $13 THEN NULL ELSE $12 END)
             RETURNING id",
        )
        .bind(self.shop)
        .bind(&url)
        .bind(self.title)
        .bind(self.brand)
        .bind(self.gtin)
        .bind(self.category)
        .bind(self.image_url)
        .bind(price)
        .bind(previous)
        .bind(&self.flags)
        .bind(first)
        .bind(last_seen)
        .bind(self.active)
        .fetch_one(pool)
        .await
        .expect("insert an offer");
        for (at, price, previous) in &self.history {
            sqlx::query(
                "INSERT INTO price_observations (offer_id, observed_at, currency, price, previous_price, availability)
                 VALUES ($1, $2, 'EUR', $3, $4, 'in_stock')",
            )
            .bind(id)
            .bind(at)
            .bind(price)
            .bind(previous)
            .execute(pool)
            .await
            .expect("insert an observation");
        }
        id
    }
}
