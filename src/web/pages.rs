//! The HTML pages: the deals with their filters and search, one deal, the shops' health, the publications. Each
//! handler reads its query, asks `store`, turns rows into words with `views`, and renders its askama template.
//! They only read: nothing a visitor does here changes the database.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::response::Html;
use axum::routing::get;

use super::WebState;
use super::chart::{PriceChart, price_chart};
use super::error::{PageError, WebError};
use super::params::{self, deal_filter_query};
use super::security::web_link;
use super::text::{Lang, Texts};
use super::views::{
    DealCard, SelectOption, availability_words, deal_card, href, shop_link, verdict_sentence, verdict_words,
};
use crate::store::deal_queries::{self, Activity, DealCursor, DealFilter};
use crate::store::evidence;
use crate::store::publication_queries::{self, PUBLIC_STATUSES, PublicPublication};
use crate::store::shop_overview;

/// The routes of the pages.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/", get(home))
        .route("/deals/{id}", get(deal))
        .route("/shops", get(shops))
        .route("/publications", get(publications))
}

/// Who is asking, as far as words go: the language to answer in, and whether they chose it with `?lang=` (then
/// links keep it).
#[derive(Debug, Clone, Copy)]
pub struct Visitor {
    pub lang: Lang,
    pub chosen: Option<Lang>,
}

impl Visitor {
    /// The visitor of a request: `?lang=` first, then `Accept-Language`, then French. An unknown `?lang=` is a bad
    /// request (answered in the header's language).
    pub fn of(query: Option<&str>, headers: &HeaderMap) -> Result<Visitor, PageError> {
        let preferred = headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .map_or(Lang::Fr, Lang::from_accept_language);
        match params::lang(query) {
            Ok(chosen) => Ok(Visitor { lang: chosen.unwrap_or(preferred), chosen }),
            Err(bad) => Err(PageError::new(bad, preferred)),
        }
    }

    /// `error`, answered as a page in this visitor's language.
    pub fn error(&self, error: impl Into<WebError>) -> PageError {
        PageError::new(error, self.lang)
    }
}

/// What every page's frame shows: the title and the navigation, in the visitor's language.
pub struct Layout {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub title: String,
    pub home_href: String,
    pub shops_href: String,
    pub publications_href: String,
    pub admin_href: String,
    pub other_lang_href: String,
}

impl Layout {
    /// The frame of the page at `path` whose own query (without `lang`) is `query`.
    pub fn new(visitor: Visitor, title: impl Into<String>, path: &str, query: &str) -> Layout {
        let other = match visitor.lang {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        };
        Layout {
            t: visitor.lang.texts(),
            lang: visitor.lang.code(),
            title: title.into(),
            home_href: href("/", "", visitor.chosen),
            shops_href: href("/shops", "", visitor.chosen),
            publications_href: href("/publications", "", visitor.chosen),
            admin_href: href("/admin", "", visitor.chosen),
            other_lang_href: href(path, query, Some(other)),
        }
    }
}

fn render(page: &impl Template, visitor: Visitor) -> Result<Html<String>, PageError> {
    page.render().map(Html).map_err(|error| visitor.error(error))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    q: String,
    category: String,
    min_discount: String,
    min_price: String,
    max_price: String,
    shops: Vec<SelectOption>,
    verdicts: Vec<SelectOption>,
    states: Vec<SelectOption>,
    lang_field: Option<&'static str>,
    deals: Vec<DealCard>,
    next_href: Option<String>,
    first_href: Option<String>,
}

/// One page of deals and, when there are more, the cursor of the next: asks for one deal more than the page holds.
pub async fn deal_page(
    state: &WebState,
    filter: &DealFilter,
) -> Result<(Vec<deal_queries::DealRow>, Option<DealCursor>), sqlx::Error> {
    let mut rows = state.list_deals(&DealFilter { limit: filter.limit + 1, ..filter.clone() }).await?;
    let page_size = usize::try_from(filter.limit).unwrap_or(usize::MAX);
    let next = if rows.len() > page_size {
        rows.truncate(page_size);
        rows.last().and_then(DealCursor::after)
    } else {
        None
    };
    Ok((rows, next))
}

async fn home(
    State(state): State<WebState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Html<Bytes>, PageError> {
    let visitor = Visitor::of(query.as_deref(), &headers)?;
    let filter = params::deal_filter(query.as_deref()).map_err(|bad| visitor.error(bad))?;
    // Everything the page depends on: the filter (canonical, so equivalent URLs share a page) and the language.
    let key = format!(
        "home {} {} {}",
        visitor.lang.code(),
        visitor.chosen.map_or("-", Lang::code),
        deal_filter_query(&filter, true)
    );
    let page =
        state.cached_page(key, home_page(&state, visitor, &filter)).await.map_err(|error| visitor.error(error))?;
    Ok(Html(page))
}

/// The home page of `filter`, rendered.
async fn home_page(state: &WebState, visitor: Visitor, filter: &DealFilter) -> Result<Bytes, WebError> {
    let t = visitor.lang.texts();
    let (rows, next) = deal_page(state, filter).await?;
    let shop_names = state.shop_names().await?;

    let next_href = next.map(|cursor| {
        href("/", &deal_filter_query(&DealFilter { after: Some(cursor), ..filter.clone() }, true), visitor.chosen)
    });
    let first_href = filter.after.map(|_| href("/", &deal_filter_query(filter, false), visitor.chosen));
    let shown = |value: Option<rust_decimal::Decimal>| value.map(|v| v.normalize().to_string()).unwrap_or_default();
    let single_verdict = match filter.verdicts.as_slice() {
        [only] => Some(only.as_str()),
        _ => None,
    };
    let page = HomePage {
        layout: Layout::new(visitor, t.nav_deals, "/", &deal_filter_query(filter, true)),
        q: filter.search.clone().unwrap_or_default(),
        category: filter.category.clone().unwrap_or_default(),
        min_discount: shown(filter.min_real_discount),
        min_price: shown(filter.min_price),
        max_price: shown(filter.max_price),
        shops: shop_names
            .iter()
            .map(|(id, name)| {
                // A shop chosen by name (an API-style link) still shows as selected.
                let chosen = filter.shop.as_deref().is_some_and(|s| s == id || s.eq_ignore_ascii_case(name));
                SelectOption { value: id.clone(), label: name.clone(), selected: chosen }
            })
            .collect(),
        verdicts: ["honest", "inflated", "unverified"]
            .into_iter()
            .map(|verdict| SelectOption::new(verdict, verdict_words(Some(verdict), t).1, single_verdict))
            .collect(),
        states: [(Activity::Active, t.state_active), (Activity::Ended, t.state_ended), (Activity::Any, t.state_all)]
            .into_iter()
            .map(|(activity, label)| SelectOption::new(activity.as_str(), label, Some(filter.activity.as_str())))
            .collect(),
        lang_field: visitor.chosen.map(Lang::code),
        deals: rows.iter().map(|row| deal_card(row, visitor.lang, visitor.chosen, state.images())).collect(),
        next_href,
        first_href,
    };
    Ok(Bytes::from(page.render()?))
}

/// One observation of the history table.
struct HistoryLine {
    date: String,
    price: String,
    previous: String,
    availability: &'static str,
}

/// One publication, worded.
pub struct PublicationLine {
    account: String,
    platform: String,
    status: String,
    when: String,
    link: Option<String>,
    text: String,
    /// Why and when the deal ended, for an expired post.
    expired: Option<String>,
    /// What the post was based on (the deal page only).
    evidence: Option<String>,
    offer_href: String,
    offer_title: String,
    shop_name: String,
}

fn publication_line(public: &PublicPublication, visitor: Visitor, zone: chrono_tz::Tz) -> PublicationLine {
    let record = public.record();
    PublicationLine {
        account: record.account_id.clone(),
        platform: record.platform.clone(),
        status: record.status.clone(),
        when: record.published_at.map(|at| visitor.lang.date_time(at, zone)).unwrap_or_default(),
        link: record.remote_url.as_deref().and_then(web_link),
        text: record.text.clone(),
        expired: record.expiry_reason.as_deref().map(|reason| match record.expired_at {
            Some(at) => format!("{reason} · {}", visitor.lang.date_time(at, zone)),
            None => reason.to_string(),
        }),
        evidence: None,
        offer_href: href(&format!("/deals/{}", record.offer_id), "", visitor.chosen),
        offer_title: record.offer_title.clone(),
        shop_name: record.shop_name.clone(),
    }
}

#[derive(Template)]
#[template(path = "deal.html")]
struct DealPage {
    layout: Layout,
    title: String,
    brand: Option<String>,
    category: Option<String>,
    image: Option<String>,
    shop_name: String,
    shop_unhealthy: Option<String>,
    ended: bool,
    offer_link: Option<String>,
    price: String,
    reference: Option<String>,
    claimed: Option<String>,
    real_discount: Option<String>,
    claimed_discount: Option<String>,
    availability: &'static str,
    promo_code: Option<String>,
    promo_text: Option<String>,
    ends_at: Option<String>,
    first_seen: String,
    last_seen: String,
    score: Option<String>,
    verdict_class: &'static str,
    verdict_label: &'static str,
    verdict_sentence: String,
    explanation: Vec<String>,
    quality_flags: Vec<String>,
    chart: Option<PriceChart>,
    history: Vec<HistoryLine>,
    elsewhere: Vec<DealCard>,
    publications: Vec<PublicationLine>,
}

/// A deal id from the path; anything else is no deal at all.
pub fn deal_id(raw: &str) -> Result<i64, WebError> {
    raw.parse::<i64>().map_err(|_| WebError::NotFound(format!("there is no deal {raw:?}")))
}

async fn deal(
    State(state): State<WebState>,
    Path(raw_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    let visitor = Visitor::of(query.as_deref(), &headers)?;
    let zone = state.time_zone();
    let (lang, t) = (visitor.lang, visitor.lang.texts());
    let id = deal_id(&raw_id).map_err(|error| visitor.error(error))?;
    let detail = deal_queries::deal_detail(state.pool(), id)
        .await
        .map_err(|error| visitor.error(error))?
        .ok_or_else(|| visitor.error(WebError::NotFound(format!("there is no deal {id}"))))?;
    let posts =
        publication_queries::public_publications_of_offer(state.pool(), id).await.map_err(|e| visitor.error(e))?;
    let offer = &detail.offer;
    let currency = offer.currency.as_deref();
    let money = |value: Option<rust_decimal::Decimal>| value.map(|v| lang.money(v, currency));
    let (verdict_class, verdict_label) = verdict_words(offer.verdict.as_deref(), t);
    let page = DealPage {
        layout: Layout::new(visitor, offer.title.clone(), &format!("/deals/{id}"), ""),
        title: offer.title.clone(),
        brand: offer.brand.clone(),
        category: offer.category.clone(),
        image: offer.image_url.as_deref().and_then(|raw| state.images().source(raw)),
        shop_name: offer.shop_name.clone(),
        shop_unhealthy: (!offer.shop_healthy)
            .then(|| offer.shop_unhealthy_reason.clone().unwrap_or_else(|| t.unknown.to_owned())),
        ended: !offer.active,
        offer_link: shop_link(offer),
        price: money(offer.price).unwrap_or_else(|| t.unknown.to_owned()),
        reference: money(offer.reference_price),
        claimed: money(offer.previous_price.filter(|claim| offer.price.is_none_or(|price| *claim > price))),
        real_discount: offer.real_discount_pct.map(|pct| lang.percent(-pct)),
        claimed_discount: offer.claimed_discount_pct.or(offer.discount_percent).map(|pct| lang.percent(-pct)),
        availability: availability_words(offer.availability.as_deref(), t),
        promo_code: offer.promo_code.clone(),
        promo_text: offer.promo_text.clone(),
        ends_at: offer.ends_at.map(|at| lang.date_time(at, zone)),
        first_seen: lang.date_time(offer.first_seen_at, zone),
        last_seen: lang.date_time(offer.last_seen_at, zone),
        score: offer.score.map(|score| score.round_dp(2).normalize().to_string()),
        verdict_class,
        verdict_label,
        verdict_sentence: verdict_sentence(offer, lang, zone),
        explanation: detail
            .score_parts
            .as_ref()
            .map(|parts| parts.explain_in(lang.score_wording()))
            .unwrap_or_default(),
        quality_flags: detail.quality_flags.iter().map(|flag| flag.reason.clone()).collect(),
        chart: price_chart(&detail.history, currency, offer.reference_price, offer.last_seen_at, lang, zone),
        history: detail
            .history
            .iter()
            .rev()
            .map(|o| HistoryLine {
                date: lang.date_time(o.observed_at, zone),
                price: lang.money(o.price, Some(&o.currency)),
                previous: o.previous_price.map(|p| lang.money(p, Some(&o.currency))).unwrap_or_default(),
                availability: availability_words(o.availability.as_deref(), t),
            })
            .collect(),
        elsewhere: detail.elsewhere.iter().map(|row| deal_card(row, lang, visitor.chosen, state.images())).collect(),
        publications: Vec::new(),
    };
    let mut page = page;
    for post in &posts {
        let mut line = publication_line(post, visitor, zone);
        let evidence = evidence::evidence_of(state.pool(), post.record().id).await.map_err(|e| visitor.error(e))?;
        line.evidence = evidence.map(|evidence| lang.evidence_line(&evidence, currency, zone));
        page.publications.push(line);
    }
    render(&page, visitor)
}

/// One scrape run, worded.
struct RunLine {
    started: String,
    status: String,
    pages: i32,
    seen: i32,
    new: i32,
    changed: i32,
    errors: i64,
    /// Requests sent, and what spared the others ("417 (304: 0, …)").
    requests: String,
    health_class: &'static str,
}

/// One shop's health, worded.
struct ShopLine {
    id: String,
    name: String,
    homepage: Option<String>,
    healthy: bool,
    unhealthy_reason: Option<String>,
    acknowledged: Option<String>,
    active_offers: i64,
    active_deals: i64,
    errors: Vec<(String, i64)>,
    runs: Vec<RunLine>,
    deals_href: String,
    feed_href: String,
}

#[derive(Template)]
#[template(path = "shops.html")]
struct ShopsPage {
    layout: Layout,
    shops: Vec<ShopLine>,
}

async fn shops(
    State(state): State<WebState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    let visitor = Visitor::of(query.as_deref(), &headers)?;
    let zone = state.time_zone();
    let lang = visitor.lang;
    let overviews = shop_overview::shop_overviews(state.pool(), None).await.map_err(|e| visitor.error(e))?;
    let shops = overviews
        .into_iter()
        .map(|shop| {
            let shop_query =
                url::form_urlencoded::Serializer::new(String::new()).append_pair("shop", &shop.id).finish();
            ShopLine {
                homepage: web_link(&shop.homepage),
                acknowledged: shop.acknowledged_by.clone().map(|by| {
                    format!("{by} ({})", shop.acknowledged_at.map(|at| lang.date_time(at, zone)).unwrap_or_default())
                }),
                errors: shop.errors_by_kind.into_iter().collect(),
                runs: shop
                    .recent_runs
                    .iter()
                    .map(|run| RunLine {
                        started: lang.date_time(run.started_at, zone),
                        status: run.status.clone(),
                        pages: run.pages_fetched,
                        seen: run.offers_seen,
                        new: run.offers_new,
                        changed: run.offers_changed,
                        errors: run.errors.values().sum(),
                        requests: lang.run_requests(&run.requests),
                        health_class: match run.healthy {
                            Some(true) => "healthy",
                            Some(false) => "unhealthy",
                            None => "unjudged",
                        },
                    })
                    .collect(),
                deals_href: href("/", &shop_query, visitor.chosen),
                feed_href: format!("/shops/{}/feed.atom", shop.id),
                id: shop.id,
                name: shop.name,
                healthy: shop.healthy,
                unhealthy_reason: shop.unhealthy_reason,
                active_offers: shop.active_offers,
                active_deals: shop.active_deals,
            }
        })
        .collect();
    let page = ShopsPage { layout: Layout::new(visitor, lang.texts().shops_title, "/shops", ""), shops };
    render(&page, visitor)
}

/// One account's publications by status.
struct AccountLine {
    account: String,
    href: String,
    counts: Vec<(String, i64)>,
}

#[derive(Template)]
#[template(path = "publications.html")]
struct PublicationsPage {
    layout: Layout,
    accounts: Vec<AccountLine>,
    account_options: Vec<SelectOption>,
    status_options: Vec<SelectOption>,
    lang_field: Option<&'static str>,
    publications: Vec<PublicationLine>,
    older_href: Option<String>,
}

async fn publications(
    State(state): State<WebState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    let visitor = Visitor::of(query.as_deref(), &headers)?;
    let zone = state.time_zone();
    let t = visitor.lang.texts();
    let filter = params::publication_filter(query.as_deref()).map_err(|bad| visitor.error(bad))?;
    let records =
        publication_queries::list_public_publications(state.pool(), &filter).await.map_err(|e| visitor.error(e))?;
    let counts =
        publication_queries::public_counts_by_account_and_status(state.pool()).await.map_err(|e| visitor.error(e))?;
    let mut by_account: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for count in counts {
        by_account.entry(count.account_id).or_default().push((count.status, count.count));
    }
    let filter_query = |before: Option<i64>| {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        if let Some(account) = &filter.account {
            out.append_pair("account", account);
        }
        if let Some(status) = &filter.status {
            out.append_pair("status", status);
        }
        if let Some(before) = before {
            out.append_pair("before", &before.to_string());
        }
        out.finish()
    };
    let full_page = records.len() >= usize::try_from(filter.limit).unwrap_or(usize::MAX);
    let older_href = full_page
        .then(|| {
            records.last().map(|last| href("/publications", &filter_query(Some(last.record().id)), visitor.chosen))
        })
        .flatten();
    let page = PublicationsPage {
        layout: Layout::new(visitor, t.publications_title, "/publications", &filter_query(filter.before)),
        account_options: by_account
            .keys()
            .map(|account| SelectOption::new(account.clone(), account.clone(), filter.account.as_deref()))
            .collect(),
        accounts: by_account
            .into_iter()
            .map(|(account, counts)| {
                let query =
                    url::form_urlencoded::Serializer::new(String::new()).append_pair("account", &account).finish();
                AccountLine { href: href("/publications", &query, visitor.chosen), account, counts }
            })
            .collect(),
        status_options: PUBLIC_STATUSES
            .into_iter()
            .map(|status| SelectOption::new(status, status, filter.status.as_deref()))
            .collect(),
        lang_field: visitor.chosen.map(Lang::code),
        publications: records.iter().map(|record| publication_line(record, visitor, zone)).collect(),
        older_href,
    };
    render(&page, visitor)
}
