//! The Atom feeds: the best current deals (`/feed.atom`) and the best deals of one shop (`/shops/{id}/feed.atom`),
//! for feed readers and for people who build on dealcast without its API.
//!
//! Written with `atom_syndication`, which escapes every text it writes: scraped titles reach the XML as text, never
//! as markup. Entry ids are the deal pages' addresses, which never change for an offer, so a reader shows a deal once
//! however often its price moves; `updated` is when the deal was last judged.
//!
//! A deal whose latest post has expired (`publish::followups`: the price went up, the discount fell below the one
//! the post showed, out of stock, gone) says so: its title starts with "[Terminé]", its summary opens with when and
//! why, and its `updated` moves to the expiry (when that is later than the judgement), so that a reader that showed
//! the deal as posted shows it again, ended. A deal ended for good is no longer listed, so the deals of the latest
//! [`RECENT_POSTS`] posts whose post expired stay in the feed after the listed ones: a reader still learns that the
//! deal it saw posted is over.

use std::collections::HashMap;

use atom_syndication::{Entry, Feed, FixedDateTime, Link, Person, Text};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;

use super::WebState;
use super::error::{PageError, WebError};
use super::security::web_link;
use super::text::{Lang, fill};
use super::views::verdict_words;
use crate::publish::expiry::{ExpiryFigures, ExpiryReason};
use crate::store::deal_queries::{self, Activity, DealFilter, DealRow};
use crate::store::publication_queries::{EndedPost, ended_posts, recently_posted_and_ended};
use crate::store::shop_overview;

/// How many deals a feed holds.
pub const FEED_SIZE: i64 = 50;
/// How many of the latest posts a feed looks back on for deals that ended after they were posted.
pub const RECENT_POSTS: i64 = 20;
/// Feeds are in French, like the posts dealcast publishes.
const FEED_LANG: Lang = Lang::Fr;
/// The word that marks a deal whose post expired, as the account's reply says it.
const ENDED: &str = "Terminé";

/// The routes of the feeds.
pub fn routes() -> Router<WebState> {
    Router::new().route("/feed.atom", get(best_deals)).route("/shops/{id}/feed.atom", get(shop_deals))
}

async fn best_deals(State(state): State<WebState>) -> Result<Response, PageError> {
    let fail = |error: WebError| PageError::new(error, FEED_LANG);
    let mut rows = state
        .list_deals(&DealFilter { limit: FEED_SIZE, ..DealFilter::default() })
        .await
        .map_err(|e| fail(e.into()))?;
    add_ended_after_posting(&state, None, &mut rows).await.map_err(fail)?;
    let ended = ended_of(&state, &rows).await.map_err(fail)?;
    let t = FEED_LANG.texts();
    Ok(atom_response(&feed(&state, t.feed_title.to_owned(), "feed.atom", &rows, &ended)))
}

async fn shop_deals(State(state): State<WebState>, Path(shop_id): Path<String>) -> Result<Response, PageError> {
    let fail = |error: WebError| PageError::new(error, FEED_LANG);
    let shop = shop_overview::shop_names(state.pool())
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .find(|(id, _)| *id == shop_id)
        .ok_or_else(|| fail(WebError::NotFound(format!("there is no shop {shop_id:?}"))))?;
    let filter = DealFilter { shop: Some(shop.0.clone()), limit: FEED_SIZE, ..DealFilter::default() };
    let mut rows = state.list_deals(&filter).await.map_err(|e| fail(e.into()))?;
    add_ended_after_posting(&state, Some(&shop.0), &mut rows).await.map_err(fail)?;
    let ended = ended_of(&state, &rows).await.map_err(fail)?;
    let title = fill(FEED_LANG.texts().feed_shop_title, &[("shop", &shop.1)]);
    Ok(atom_response(&feed(&state, title, &format!("shops/{}/feed.atom", shop.0), &rows, &ended)))
}

/// Appends to `rows` the deals (of shop `shop_id` when given) whose recent post expired and that are not among them.
async fn add_ended_after_posting(
    state: &WebState,
    shop_id: Option<&str>,
    rows: &mut Vec<DealRow>,
) -> Result<(), WebError> {
    let ended = recently_posted_and_ended(state.pool(), shop_id, RECENT_POSTS).await?;
    let missing: Vec<i64> = ended.into_iter().filter(|id| !rows.iter().any(|row| row.id == *id)).collect();
    let any = DealFilter { activity: Activity::Any, ..DealFilter::default() };
    rows.extend(deal_queries::read_listed(state.pool(), missing, &any, None).await?);
    Ok(())
}

/// How the latest post of each of `rows` ended, by offer id, for those whose post expired.
async fn ended_of(state: &WebState, rows: &[DealRow]) -> Result<HashMap<i64, EndedPost>, WebError> {
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let ended = ended_posts(state.pool(), &ids).await?;
    Ok(ended.into_iter().map(|post| (post.offer_id, post)).collect())
}

fn atom_response(feed: &Feed) -> Response {
    ([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], feed.to_string()).into_response()
}

/// The feed at `path` (relative to the site's base URL) of `rows`, those of `ended` marked as ended.
fn feed(state: &WebState, title: String, path: &str, rows: &[DealRow], ended: &HashMap<i64, EndedPost>) -> Feed {
    let base = state.base_url();
    let absolute = |relative: &str| base.join(relative).map_or_else(|_| relative.to_owned(), |url| url.to_string());
    let now: FixedDateTime = Utc::now().fixed_offset();
    let entries: Vec<Entry> = rows
        .iter()
        .map(|row| {
            let ended = ended.get(&row.id).map(|post| (post, state.time_zone()));
            entry(row, &absolute(&format!("deals/{}", row.id)), ended, now)
        })
        .collect();
    Feed {
        title: Text::plain(title),
        id: absolute(path),
        updated: now,
        links: vec![
            Link {
                href: absolute(path),
                rel: "self".to_owned(),
                mime_type: Some("application/atom+xml".to_owned()),
                ..Link::default()
            },
            Link {
                href: absolute(""),
                rel: "alternate".to_owned(),
                mime_type: Some("text/html".to_owned()),
                ..Link::default()
            },
        ],
        authors: vec![Person { name: "dealcast".to_owned(), ..Person::default() }],
        entries,
        ..Feed::default()
    }
}

/// One deal as an entry: "title — price (-30 %)", its verdict in words, a link to its page and one to the shop;
/// when its latest post `ended` (with the readers' time zone), marked so, with when and why.
fn entry(row: &DealRow, page: &str, ended: Option<(&EndedPost, chrono_tz::Tz)>, now: FixedDateTime) -> Entry {
    let lang = FEED_LANG;
    let t = lang.texts();
    let currency = row.currency.as_deref();
    let price = row.price.map(|price| lang.money(price, currency)).unwrap_or_default();
    let discount = row
        .real_discount_pct
        .filter(|pct| !pct.is_zero() && pct.is_sign_positive())
        .map(|pct| format!(" ({})", lang.percent(-pct)))
        .unwrap_or_default();
    let (_, verdict) = verdict_words(row.verdict.as_deref(), t);
    let mut summary = ended.map(|(post, zone)| format!("{}. ", ended_line(post, zone, currency))).unwrap_or_default();
    summary.push_str(&format!("{} · {price}{discount} · {verdict}", row.shop_name));
    if let Some(reference) = row.reference_price {
        summary.push_str(&format!(" · {} : {}", t.reference_price, lang.money(reference, currency)));
    }
    let mark = ended.map(|_| format!("[{ENDED}] ")).unwrap_or_default();
    let judged = row.judged_at.map_or(now, |at| at.fixed_offset());
    let updated = ended.map_or(judged, |(post, _)| judged.max(post.expired_at.fixed_offset()));
    let mut links = vec![Link { href: page.to_owned(), rel: "alternate".to_owned(), ..Link::default() }];
    if let Some(shop_url) = web_link(&row.url) {
        links.push(Link { href: shop_url, rel: "related".to_owned(), ..Link::default() });
    }
    Entry {
        title: Text::plain(format!("{mark}{} — {price}{discount}", row.title)),
        id: page.to_owned(),
        updated,
        authors: vec![Person { name: row.shop_name.clone(), ..Person::default() }],
        links,
        summary: Some(Text::plain(summary)),
        ..Entry::default()
    }
}

/// When and why the deal of `post` ended, in French like the account's reply: "Terminé le 07/12/2026 13:00 CET : le
/// prix est remonté à 44,90 €"; amounts in the post's currency (else the deal's, `currency`).
fn ended_line(post: &EndedPost, zone: chrono_tz::Tz, currency: Option<&str>) -> String {
    let figures = ExpiryFigures { price: post.price, discount: post.discount, posted_discount: post.posted_discount };
    let currency = post.currency.as_deref().or(currency).unwrap_or_default();
    let why = ExpiryReason::parse(&post.reason)
        .map_or_else(|| post.reason.replace('_', " "), |reason| reason.in_french(&figures, currency));
    format!("{ENDED} le {} : {why}", FEED_LANG.date_time(post.expired_at, zone))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal::Decimal;

    #[test]
    fn an_ended_post_is_told_in_french_in_the_readers_time_zone() {
        let post = EndedPost {
            offer_id: 1,
            expired_at: Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).single().expect("a valid date"),
            reason: "below_posted_discount".into(),
            currency: Some("EUR".into()),
            price: None,
            discount: Some(Decimal::new(100, 1)),
            posted_discount: Some(Decimal::new(400, 1)),
        };
        assert_eq!(
            ended_line(&post, chrono_tz::Europe::Paris, None),
            "Terminé le 07/12/2026 13:00 CET : la réduction n'est plus que de -10\u{a0}% (au lieu de -40\u{a0}%)"
        );
    }
}
