//! Reading the query string of a request into typed filters, refusing bad values with the parameter's name.
//!
//! Query strings are parsed by hand over `form_urlencoded` rather than by serde, for three reasons: `verdict` may be
//! repeated, an empty field of a submitted form means "no filter" (a GET form sends every field), and an error must
//! name the parameter and say what is wrong with it in words a user of the API understands. Unknown parameters
//! (tracking tags added by whoever shared a link) are ignored.

use rust_decimal::Decimal;

use crate::deals::honesty::Verdict;
use crate::store::deal_queries::{Activity, DealCursor, DealFilter};
use crate::store::publication_queries::{PUBLIC_STATUSES, PublicationFilter};

use super::text::Lang;

/// How many deals a page of the home page or the API shows when the request does not say.
pub const PAGE_SIZE: i64 = 30;
/// The most deals or publications one API call returns.
pub const MAX_LIMIT: i64 = 200;
/// The longest text accepted in a search or a name filter, in characters.
const MAX_TEXT: usize = 200;

/// A query parameter the request got wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{parameter}: {problem}")]
pub struct BadParameter {
    /// The parameter's name, as in the URL.
    pub parameter: &'static str,
    /// What is wrong, with the value quoted when it helps.
    pub problem: String,
}

impl BadParameter {
    fn new(parameter: &'static str, problem: impl Into<String>) -> Self {
        BadParameter { parameter, problem: problem.into() }
    }
}

/// The query string's pairs, decoded, with empty values dropped.
fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(_, value)| !value.trim().is_empty())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

/// The last value of `name` (a link that repeats a parameter means its last value, as in most frameworks).
fn last<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(key, _)| key == name).map(|(_, value)| value.trim())
}

fn text(pairs: &[(String, String)], name: &'static str) -> Result<Option<String>, BadParameter> {
    match last(pairs, name) {
        Some(value) if value.chars().count() > MAX_TEXT => {
            Err(BadParameter::new(name, format!("longer than {MAX_TEXT} characters")))
        }
        Some(value) if value.contains('\0') => Err(BadParameter::new(name, "contains a NUL character")),
        value => Ok(value.map(str::to_owned)),
    }
}

/// A decimal number between `min` and `max`; a decimal comma is accepted (French keyboards type `19,90`).
fn decimal(
    pairs: &[(String, String)],
    name: &'static str,
    min: Decimal,
    max: Decimal,
) -> Result<Option<Decimal>, BadParameter> {
    let Some(value) = last(pairs, name) else { return Ok(None) };
    let number: Decimal =
        value.replace(',', ".").parse().map_err(|_| BadParameter::new(name, format!("{value:?} is not a number")))?;
    if number < min || number > max {
        return Err(BadParameter::new(name, format!("{value:?} is not between {min} and {max}")));
    }
    Ok(Some(number))
}

fn whole(pairs: &[(String, String)], name: &'static str, min: i64, max: i64) -> Result<Option<i64>, BadParameter> {
    let Some(value) = last(pairs, name) else { return Ok(None) };
    match value.parse::<i64>() {
        Ok(number) if (min..=max).contains(&number) => Ok(Some(number)),
        _ => Err(BadParameter::new(name, format!("{value:?} is not a whole number between {min} and {max}"))),
    }
}

/// The language `?lang=` asks for, if any.
pub fn lang(query: Option<&str>) -> Result<Option<Lang>, BadParameter> {
    let pairs = pairs(query);
    match last(&pairs, "lang") {
        None => Ok(None),
        Some(code) => Lang::parse(code)
            .map(Some)
            .ok_or_else(|| BadParameter::new("lang", format!("{code:?} is not a language of the UI (fr, en)"))),
    }
}

/// The deal list a query string asks for: `q`, `shop`, `category`, `min_discount`, `min_price`, `max_price`,
/// `verdict` (repeatable, or comma-separated), `state` (`active`, `ended`, `all`), `after` (the cursor of the
/// previous page's `next`), `limit` (1 to [`MAX_LIMIT`], default [`PAGE_SIZE`]).
pub fn deal_filter(query: Option<&str>) -> Result<DealFilter, BadParameter> {
    let pairs = pairs(query);
    let hundred = Decimal::ONE_HUNDRED;
    let most_money = Decimal::new(1_000_000_000, 0);
    let min_price = decimal(&pairs, "min_price", Decimal::ZERO, most_money)?;
    let max_price = decimal(&pairs, "max_price", Decimal::ZERO, most_money)?;
    if let (Some(min), Some(max)) = (min_price, max_price)
        && min > max
    {
        return Err(BadParameter::new("max_price", format!("{max} is below min_price {min}")));
    }
    let mut verdicts = Vec::new();
    for value in pairs.iter().filter(|(key, _)| key == "verdict").flat_map(|(_, value)| value.split(',')) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let verdict = [Verdict::Honest, Verdict::Inflated, Verdict::Unverified]
            .into_iter()
            .find(|verdict| verdict.as_str() == value)
            .ok_or_else(|| {
                BadParameter::new("verdict", format!("{value:?} is not a verdict (honest, inflated, unverified)"))
            })?;
        let name = verdict.as_str().to_owned();
        if !verdicts.contains(&name) {
            verdicts.push(name);
        }
    }
    let activity = match last(&pairs, "state") {
        None => Activity::Active,
        Some(state) => Activity::parse(state)
            .ok_or_else(|| BadParameter::new("state", format!("{state:?} is not a state (active, ended, all)")))?,
    };
    let after = match last(&pairs, "after") {
        None => None,
        Some(cursor) => Some(cursor.parse::<DealCursor>().map_err(|()| {
            BadParameter::new("after", format!("{cursor:?} is not a cursor (use the `next` value of a list)"))
        })?),
    };
    Ok(DealFilter {
        shop: text(&pairs, "shop")?,
        category: text(&pairs, "category")?,
        min_real_discount: decimal(&pairs, "min_discount", -hundred, hundred)?,
        min_price,
        max_price,
        verdicts,
        activity,
        search: text(&pairs, "q")?,
        after,
        limit: whole(&pairs, "limit", 1, MAX_LIMIT)?.unwrap_or(PAGE_SIZE),
    })
}

/// The publications a query string asks for: `account`, `status`, `before` (an id), `limit`.
pub fn publication_filter(query: Option<&str>) -> Result<PublicationFilter, BadParameter> {
    let pairs = pairs(query);
    let status = match last(&pairs, "status") {
        None => None,
        Some(status) if PUBLIC_STATUSES.contains(&status) => Some(status.to_owned()),
        Some(status) => {
            return Err(BadParameter::new(
                "status",
                format!("{status:?} is not a status of a post that went out ({})", PUBLIC_STATUSES.join(", ")),
            ));
        }
    };
    Ok(PublicationFilter {
        account: text(&pairs, "account")?,
        status,
        before: whole(&pairs, "before", 1, i64::MAX)?,
        limit: whole(&pairs, "limit", 1, MAX_LIMIT)?.unwrap_or(PAGE_SIZE),
    })
}

/// The query string that asks for `filter` again (for links: the next page, the other language), without its
/// cursor and limit unless `keep_page` says so. Values are percent-encoded; the default state is left out.
pub fn deal_filter_query(filter: &DealFilter, keep_page: bool) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    if let Some(q) = &filter.search {
        out.append_pair("q", q);
    }
    if let Some(shop) = &filter.shop {
        out.append_pair("shop", shop);
    }
    if let Some(category) = &filter.category {
        out.append_pair("category", category);
    }
    if let Some(min) = filter.min_real_discount {
        out.append_pair("min_discount", &min.normalize().to_string());
    }
    if let Some(min) = filter.min_price {
        out.append_pair("min_price", &min.normalize().to_string());
    }
    if let Some(max) = filter.max_price {
        out.append_pair("max_price", &max.normalize().to_string());
    }
    for verdict in &filter.verdicts {
        out.append_pair("verdict", verdict);
    }
    if filter.activity != Activity::Active {
        out.append_pair("state", filter.activity.as_str());
    }
    if keep_page {
        if let Some(after) = filter.after {
            out.append_pair("after", &after.to_string());
        }
        if filter.limit != PAGE_SIZE {
            out.append_pair("limit", &filter.limit.to_string());
        }
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_query_is_the_default_list() {
        let filter = deal_filter(None).unwrap();
        assert_eq!(filter, DealFilter { limit: PAGE_SIZE, ..DealFilter::default() });
    }

    #[test]
    fn empty_form_fields_mean_no_filter() {
        let filter = deal_filter(Some("q=&shop=&min_discount=&verdict=&state=")).unwrap();
        assert_eq!(filter, DealFilter { limit: PAGE_SIZE, ..DealFilter::default() });
    }

    #[test]
    fn every_filter_is_read() {
        let filter = deal_filter(Some(
            "q=chaussures+rouges&shop=kiabi&category=Femme&min_discount=20&min_price=10&max_price=19%2C90\
             &verdict=honest&verdict=unverified,honest&state=all&after=87.5_12&limit=10",
        ))
        .unwrap();
        assert_eq!(filter.search.as_deref(), Some("chaussures rouges"));
        assert_eq!(filter.shop.as_deref(), Some("kiabi"));
        assert_eq!(filter.category.as_deref(), Some("Femme"));
        assert_eq!(filter.min_real_discount, Some(Decimal::new(20, 0)));
        assert_eq!(filter.max_price, Some(Decimal::new(1990, 2)), "a decimal comma is read");
        assert_eq!(filter.verdicts, vec!["honest", "unverified"]);
        assert_eq!(filter.activity, Activity::Any);
        assert_eq!(filter.after, Some(DealCursor { score: Decimal::new(875, 1), id: 12 }));
        assert_eq!(filter.limit, 10);
    }

    #[test]
    fn a_bad_value_names_its_parameter() {
        let error = deal_filter(Some("min_discount=abc")).unwrap_err();
        assert_eq!(error.parameter, "min_discount");
        assert_eq!(error.to_string(), "min_discount: \"abc\" is not a number");
        assert_eq!(deal_filter(Some("verdict=great")).unwrap_err().parameter, "verdict");
        assert_eq!(deal_filter(Some("state=soon")).unwrap_err().parameter, "state");
        assert_eq!(deal_filter(Some("after=x")).unwrap_err().parameter, "after");
        assert_eq!(deal_filter(Some("limit=0")).unwrap_err().parameter, "limit");
        assert_eq!(deal_filter(Some("min_price=5&max_price=4")).unwrap_err().parameter, "max_price");
        assert_eq!(deal_filter(Some("min_price=-1")).unwrap_err().parameter, "min_price");
        assert_eq!(lang(Some("lang=de")).unwrap_err().parameter, "lang");
        assert_eq!(publication_filter(Some("status=posted")).unwrap_err().parameter, "status");
    }

    #[test]
    fn sql_in_a_text_filter_is_just_text() {
        let filter = deal_filter(Some("shop=%27+OR+1%3D1+--&q=%27%3B+DROP+TABLE+offers%3B")).unwrap();
        assert_eq!(filter.shop.as_deref(), Some("' OR 1=1 --"));
        assert_eq!(filter.search.as_deref(), Some("'; DROP TABLE offers;"));
    }

    #[test]
    fn a_filter_written_back_to_a_query_reads_the_same() {
        let query = "q=cr%C3%A8me+%26+co&shop=shop_b&min_discount=20&verdict=honest&state=ended&after=3_4";
        let filter = deal_filter(Some(query)).unwrap();
        assert_eq!(deal_filter(Some(&deal_filter_query(&filter, true))).unwrap(), filter);
        assert!(!deal_filter_query(&filter, false).contains("after"));
    }
}
