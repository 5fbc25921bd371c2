//! Why a slot would post fewer deals than it wants, in numbers an operator can act on.
//!
//! It exists for an account's first day. A shop just added has thousands of crossed-out prices, but dealcast has
//! never seen those prices before their reductions, so none has a real discount yet and an account that posts real
//! discounts posts nothing; without a word, that looks broken. [`explain`] sorts the best deals of the account's
//! shops and categories by the first reason each is not a candidate (shop unhealthy, already posted, no real discount
//! yet, verdict not allowed, below the minimum), counts the candidates the slot's rules hold back (per-shop cap and
//! spread, quiet hours, caps, budget), and says, for each young shop, when real discounts can be expected: at the
//! first price falls a harvest observes, and for every claim once 30 days of history back it.
//!
//! The reasons come from the same SQL conditions as `selection` (its `IN_SCOPE`, `SHOP_HEALTHY` and
//! `ALREADY_POSTED`), so the counts cannot drift from what a slot really chooses.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use sqlx::PgPool;

use super::accounts::{AccountConfig, ClaimedDeals, Mode};
use super::outbox;
use super::pacing::{PacingRules, may_send};
use super::selection::{
    ALREADY_POSTED, IN_SCOPE, SHOP_HEALTHY, bind_account, claim_only, eligible, pick, shop_history,
};
use super::shortfall_wording::ShortfallWording;
use crate::common::placeholders::fill;
use crate::deals::honesty::REFERENCE_WINDOW_DAYS;

/// How many of the account's best deals are sorted by reason.
const EXAMINED: i64 = 1000;

/// Why one of the best deals is not a candidate, in the order they are tested (a deal counts once, for the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Its shop's last harvest was judged unhealthy.
    ShopUnhealthy,
    /// The account posted it (or it waits to go out, or for review), or the same product from another shop.
    AlreadyPosted,
    /// No price was seen before its reduction, so only the shop's claim is known.
    NoRealDiscountYet,
    /// Its verdict is not among the account's `filters.verdicts`.
    VerdictNotAllowed,
    /// Its real discount is zero or less, or below `filters.min_real_discount`, or its score below `min_score`.
    BelowMinimum,
    /// A candidate the slot's rules hold back: per-shop daily cap, spread across shops, quiet hours, caps, budget.
    Held,
}

impl Reason {
    /// The reason in `words`' language.
    pub fn words(self, words: &ShortfallWording) -> &'static str {
        match self {
            Reason::ShopUnhealthy => words.shop_unhealthy,
            Reason::AlreadyPosted => words.already_posted,
            Reason::NoRealDiscountYet => words.no_real_discount_yet,
            Reason::VerdictNotAllowed => words.verdict_not_allowed,
            Reason::BelowMinimum => words.below_minimum,
            Reason::Held => words.held,
        }
    }

    fn of_code(code: &str) -> Option<Reason> {
        Some(match code {
            "shop_unhealthy" => Reason::ShopUnhealthy,
            "already_posted" => Reason::AlreadyPosted,
            "no_real_discount_yet" => Reason::NoRealDiscountYet,
            "verdict_not_allowed" => Reason::VerdictNotAllowed,
            "below_minimum" => Reason::BelowMinimum,
            _ => return None,
        })
    }
}

/// A shop with less than 30 days of history whose deals have no real discount yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YoungShop {
    pub id: String,
    pub name: String,
    /// When dealcast first saw one of its offers.
    pub first_seen_at: DateTime<Utc>,
    /// Offers of the shop whose price dealcast has seen change.
    pub offers_with_price_changes: i64,
    /// When its history covers the 30-day window, so that every claim can be checked.
    pub history_complete_at: DateTime<Utc>,
    /// Its active deals that have no real discount yet.
    pub waiting_deals: i64,
}

/// Why a slot of one account would post fewer deals than it wants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shortfall {
    pub account: String,
    /// Posts a slot wants (`posts_per_slot`).
    pub wanted: usize,
    /// Posts that would go out now.
    pub going: usize,
    /// How many of the best deals of the account's shops and categories were sorted by reason.
    pub examined: usize,
    /// How many of them each reason kept out, in [`Reason`] order, zeros left out.
    pub reasons: Vec<(Reason, usize)>,
    /// What holds the account's posts back right now (quiet hours, spacing, a cap, the budget), if anything.
    pub held: Option<String>,
    /// Young shops whose deals wait for a real discount, and when to expect one.
    pub young_shops: Vec<YoungShop>,
    /// Deals with only the shop's claim that the review queue would show (`filters.claimed = "review"`), if on.
    pub claims_for_review: Option<usize>,
    /// What the operator could change, when something could.
    pub hint: Option<Hint>,
}

impl Shortfall {
    /// True when the slot posts all it wants.
    pub fn is_full(&self) -> bool {
        self.going >= self.wanted
    }

    /// The explanation in `words`' language, one line each, for a terminal or a page.
    pub fn lines(&self, words: &ShortfallWording) -> Vec<String> {
        let count = |n: usize| n.to_string();
        let mut lines = vec![fill(
            words.summary,
            &[("going", &count(self.going)), ("wanted", &count(self.wanted)), ("examined", &count(self.examined))],
        )];
        if self.reasons.is_empty() {
            lines.push(format!("  {}", words.nothing_judged));
        }
        for (reason, count) in &self.reasons {
            lines.push(format!("  {count:>6}  {}", reason.words(words)));
        }
        if let Some(hold) = &self.held {
            lines.push(fill(words.waiting_now, &[("hold", hold)]));
        }
        for shop in &self.young_shops {
            let changes = match shop.offers_with_price_changes {
                0 => words.no_price_change.to_string(),
                n => fill(words.price_changes, &[("count", &n.to_string())]),
            };
            lines.push(fill(
                words.young_shop,
                &[
                    ("id", &shop.id),
                    ("name", &shop.name),
                    ("first_seen", &shop.first_seen_at.format("%Y-%m-%d %H:%M UTC").to_string()),
                    ("changes", &changes),
                    ("waiting", &shop.waiting_deals.to_string()),
                    ("complete", &shop.history_complete_at.format("%Y-%m-%d").to_string()),
                ],
            ));
        }
        if let Some(claims) = self.claims_for_review {
            lines.push(fill(words.claims_for_review, &[("count", &count(claims))]));
        }
        match self.hint {
            Some(Hint::ReviewClaims) => lines.push(words.hint_review_claims.to_string()),
            Some(Hint::AutoNeverClaims) => lines.push(words.hint_auto_never_claims.to_string()),
            None => {}
        }
        lines
    }
}

/// What the operator could change, when the best deals wait for a real discount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hint {
    /// A curated account could review the shops' claims (`filters.claimed = "review"`).
    ReviewClaims,
    /// An auto account never posts a claim alone; a curated one could review them.
    AutoNeverClaims,
}

/// Why a slot of `account` at `now` would post fewer deals than it wants (see the module documentation).
pub async fn explain(pool: &PgPool, account: &AccountConfig, now: DateTime<Utc>) -> Result<Shortfall, sqlx::Error> {
    let wanted = account.posts_per_slot as usize;
    let rules = PacingRules::of(account);
    let candidates = eligible(pool, account, now).await?;
    let history = shop_history(pool, &account.name, rules.day_start(now)).await?;
    let picked = pick(&candidates, wanted, account.per_shop_daily_cap, &history).len();
    let sent = outbox::sent_so_far(pool, &account.name, rules.day_start(now), rules.month_start(now)).await?;
    let held = may_send(&rules, &sent, now, rules.cost_of(true)).err().map(|hold| hold.to_string());
    let going = if held.is_some() { 0 } else { picked };

    let counted = count_reasons(pool, account, now).await?;
    let examined = counted.iter().map(|(_, _, count)| *count).sum::<i64>();
    let eligible_examined = counted.iter().filter(|(code, ..)| code == "eligible").map(|(.., n)| *n).sum::<i64>();
    let mut reasons: Vec<(Reason, usize)> = Vec::new();
    for reason in [
        Reason::ShopUnhealthy,
        Reason::AlreadyPosted,
        Reason::NoRealDiscountYet,
        Reason::VerdictNotAllowed,
        Reason::BelowMinimum,
    ] {
        let count: i64 =
            counted.iter().filter(|(code, ..)| Reason::of_code(code) == Some(reason)).map(|(.., n)| *n).sum();
        reasons.push((reason, to_usize(count)));
    }
    let held_back = to_usize(eligible_examined).min(wanted).saturating_sub(going);
    reasons.push((Reason::Held, held_back));
    reasons.retain(|(_, count)| *count > 0);

    let mut waiting_shops: Vec<String> = counted
        .iter()
        .filter(|(code, ..)| Reason::of_code(code) == Some(Reason::NoRealDiscountYet))
        .map(|(_, shop, _)| shop.clone())
        .collect();
    waiting_shops.sort();
    waiting_shops.dedup();
    let waiting = !waiting_shops.is_empty();
    let young_shops = if waiting { young_shops(pool, &waiting_shops, now).await? } else { Vec::new() };
    let reviews_claims = account.mode == Mode::Curated && account.filters.claimed == ClaimedDeals::Review;
    let claims_for_review = if reviews_claims { Some(claim_only(pool, account, now).await?.len()) } else { None };
    let hint = match (waiting, reviews_claims, account.mode) {
        (true, false, Mode::Curated) => Some(Hint::ReviewClaims),
        (true, false, Mode::Auto) => Some(Hint::AutoNeverClaims),
        _ => None,
    };
    Ok(Shortfall {
        account: account.name.clone(),
        wanted,
        going,
        examined: to_usize(examined),
        reasons,
        held,
        young_shops,
        claims_for_review,
        hint,
    })
}

fn to_usize(count: i64) -> usize {
    usize::try_from(count).unwrap_or(0)
}

/// The account's best deals, by the first reason each is not a candidate (`eligible` when it is one) and shop.
async fn count_reasons(
    pool: &PgPool,
    account: &AccountConfig,
    now: DateTime<Utc>,
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    let sql = format!(
        "WITH best AS (
             SELECT CASE
                 WHEN NOT {SHOP_HEALTHY} THEN 'shop_unhealthy'
                 WHEN {ALREADY_POSTED} THEN 'already_posted'
                 WHEN o.real_discount_pct IS NULL THEN 'no_real_discount_yet'
                 WHEN NOT (o.verdict = ANY($3)) THEN 'verdict_not_allowed'
                 WHEN o.real_discount_pct <= 0 OR o.real_discount_pct < $5 OR o.score < $4 THEN 'below_minimum'
                 ELSE 'eligible' END AS reason, o.shop_id
             FROM offers o
             JOIN shops s ON s.id = o.shop_id
             LEFT JOIN scrape_runs r ON r.id = o.last_run_id
             WHERE {IN_SCOPE}
             ORDER BY o.score DESC, o.id
             LIMIT $8)
         SELECT reason, shop_id, count(*) FROM best GROUP BY reason, shop_id"
    );
    // Built only from this crate's constant SQL fragments: no input is in the text, every value is bound.
    let query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    bind_account(query, account, now, account.filters.verdicts.clone(), EXAMINED).fetch_all(pool).await
}

/// Those of `shops` (whose best deals have no real discount yet) first seen less than 30 days before `now`.
async fn young_shops(pool: &PgPool, shops: &[String], now: DateTime<Utc>) -> Result<Vec<YoungShop>, sqlx::Error> {
    let window = TimeDelta::days(REFERENCE_WINDOW_DAYS);
    let rows: Vec<(String, String, DateTime<Utc>, i64, i64)> = sqlx::query_as(
        "SELECT s.id, s.name, min(o.first_seen_at),
                (SELECT count(*) FROM (
                     SELECT po.offer_id FROM price_observations po JOIN offers changed ON changed.id = po.offer_id
                     WHERE changed.shop_id = s.id GROUP BY po.offer_id HAVING count(DISTINCT po.price) > 1) c),
                count(*) FILTER (WHERE o.active AND o.verdict IS NOT NULL AND o.real_discount_pct IS NULL)
         FROM shops s JOIN offers o ON o.shop_id = s.id
         WHERE s.id = ANY($1)
         GROUP BY s.id, s.name
         HAVING min(o.first_seen_at) > $2
         ORDER BY s.id",
    )
    .bind(shops)
    .bind(now - window)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, first_seen_at, offers_with_price_changes, waiting_deals)| YoungShop {
            id,
            name,
            first_seen_at,
            offers_with_price_changes,
            history_complete_at: first_seen_at + window,
            waiting_deals,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::shortfall_wording::{ENGLISH, FRENCH};

    fn shortfall() -> Shortfall {
        let first = DateTime::parse_from_rfc3339("2026-12-07T09:00:00Z").unwrap().with_timezone(&Utc);
        Shortfall {
            account: "twittzat".into(),
            wanted: 2,
            going: 0,
            examined: 40,
            reasons: vec![(Reason::NoRealDiscountYet, 38), (Reason::BelowMinimum, 2)],
            held: None,
            young_shops: vec![YoungShop {
                id: "maison".into(),
                name: "Maison".into(),
                first_seen_at: first,
                offers_with_price_changes: 0,
                history_complete_at: first + TimeDelta::days(30),
                waiting_deals: 38,
            }],
            claims_for_review: None,
            hint: None,
        }
    }

    #[test]
    fn the_explanation_names_each_reason_with_its_count_and_when_real_discounts_come() {
        let text = shortfall().lines(&ENGLISH).join("\n");
        assert!(text.starts_with("0 of the 2 post(s) a slot wants would go out now. Of the 40 best"), "{text}");
        assert!(text.contains("      38  no real discount yet"), "{text}");
        assert!(text.contains("       2  real discount or score below"), "{text}");
        assert!(text.contains("first seen 2026-12-07 09:00 UTC, no price change observed yet"), "{text}");
        assert!(text.contains("every claim can be checked from 2027-01-06 (30 days of history)"), "{text}");
        assert!(!shortfall().is_full());
        let french = shortfall().lines(&FRENCH).join("\n");
        assert!(french.starts_with("0 publication(s) sur les 2 voulues par créneau"), "{french}");
        assert!(french.contains("      38  pas encore de réduction réelle"), "{french}");
        assert!(french.contains("vérifiée à partir du 2027-01-06 (30 jours d'historique)"), "{french}");
    }
}
