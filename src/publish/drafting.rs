//! From an eligible deal to the texts an account may post about it: the deal's facts as `compose` takes them, the
//! link (rewritten for affiliation when the account does that for the shop, with the disclosure the law then
//! requires), and the texts in order of preference: the account's template first, then French variants, so that
//! when another account already posts the same words the publisher can say it differently rather than repeat it.

use super::accounts::AccountConfig;
use super::compose::{ComposeError, DealForPost, Template, compose, compose_within};
use super::selection::Candidate;
use super::x::oauth::percent_encode;
use crate::deals::honesty::Verdict;

/// Other ways of saying the default template, tried in order when a text is already taken by another account.
pub const VARIANT_TEMPLATES: [&str; 2] = [
    "{title} : {price} chez {shop}[, soit {discount} sous le prix le plus bas des 30 derniers jours][\nCode : \
     {code}][\nJusqu'au {ends}][\n{link}]",
    "Bon plan {shop} : {title} à {price}[ ({discount} vs le plus bas des 30 derniers jours)][\nCode : {code}]\
     [\nJusqu'au {ends}][\n{link}]",
];

/// The post of one deal, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub text: String,
    pub link: Option<String>,
}

fn verdict_of(text: Option<&str>) -> Verdict {
    match text {
        Some("honest") => Verdict::Honest,
        Some("inflated") => Verdict::Inflated,
        _ => Verdict::Unverified,
    }
}

/// The link the account posts for `candidate`, and the disclosure it requires.
pub fn link_for(account: &AccountConfig, candidate: &Candidate) -> (String, Option<String>) {
    match account.links.iter().find(|rewrite| rewrite.shop == candidate.shop_id) {
        Some(rewrite) => (
            rewrite.template.replace("{url}", &percent_encode(&candidate.canonical_url)),
            Some(rewrite.disclosure.clone()),
        ),
        None => (candidate.canonical_url.clone(), None),
    }
}

/// The facts of `candidate` as a post shows them.
pub fn deal_for_post(candidate: &Candidate, link: Option<String>, time_zone: chrono_tz::Tz) -> DealForPost {
    DealForPost {
        title: candidate.title.clone(),
        shop_name: candidate.shop_name.clone(),
        price: candidate.price,
        currency: candidate.currency.clone(),
        reference_price: candidate.reference_price,
        real_discount_pct: candidate.real_discount_pct,
        verdict: verdict_of(candidate.verdict.as_deref()),
        claimed_previous: candidate.previous_price,
        link,
        promo_code: candidate.promo_code.clone(),
        ends_at: candidate.ends_at,
        time_zone,
    }
}

/// The account's template (its own, or the French default).
pub fn template_of(account: &AccountConfig) -> Result<Template, ComposeError> {
    account.template.as_ref().map_or_else(|| Ok(Template::default()), |text| Template::new(text.clone()))
}

/// The account's template and then the variants, in order of preference.
fn templates_of(account: &AccountConfig) -> Result<Vec<Template>, ComposeError> {
    let mut templates = vec![template_of(account)?];
    for variant in VARIANT_TEMPLATES {
        templates.push(Template::new(variant)?);
    }
    Ok(templates)
}

/// The texts `account` may post for `candidate`, best first (distinct texts only), or why none can be made.
pub fn drafts(account: &AccountConfig, candidate: &Candidate) -> Result<Vec<Draft>, ComposeError> {
    let (link, disclosure) = link_for(account, candidate);
    let deal = deal_for_post(candidate, Some(link.clone()), account.timezone.0);
    let templates = templates_of(account)?;
    let mut drafts: Vec<Draft> = Vec::new();
    for template in &templates {
        let text = compose(&deal, template, disclosure.as_deref())?;
        if !drafts.iter().any(|draft| draft.text == text) {
            drafts.push(Draft { text, link: Some(link.clone()) });
        }
    }
    Ok(drafts)
}

/// `refused` (a post of `candidate` the platform refused) written again with the same template, at most `limit`
/// weighted characters: the title is cut further, never the price, the link or the disclosure. A text that no
/// template gives (a curator edited it) is written again with the account's own template.
pub fn shorter_draft(
    account: &AccountConfig,
    candidate: &Candidate,
    refused: &str,
    limit: usize,
) -> Result<Draft, ComposeError> {
    shorter_draft_among(account, candidate, &templates_of(account)?, refused, limit)
}

/// [`shorter_draft`] among `templates` (the first when none gives `refused`), for wordings of their own (a shop's
/// claim, `claimed_wording`).
pub fn shorter_draft_among(
    account: &AccountConfig,
    candidate: &Candidate,
    templates: &[Template],
    refused: &str,
    limit: usize,
) -> Result<Draft, ComposeError> {
    let (link, disclosure) = link_for(account, candidate);
    let deal = deal_for_post(candidate, Some(link.clone()), account.timezone.0);
    let template = templates
        .iter()
        .find(|template| compose(&deal, template, disclosure.as_deref()).is_ok_and(|text| text == refused))
        .unwrap_or(&templates[0]);
    let text = compose_within(&deal, template, disclosure.as_deref(), limit)?;
    Ok(Draft { text, link: Some(link) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::money_format;
    use crate::publish::accounts::LinkRewrite;
    use crate::publish::french::format_percent;
    use crate::publish::text_length::{is_valid_post, weighted_length};
    use rust_decimal::Decimal;

    fn account() -> AccountConfig {
        let file: toml::Table = toml::from_str("name = \"twittzat\"").unwrap();
        file.try_into().unwrap()
    }

    fn candidate() -> Candidate {
        Candidate {
            offer_id: 7,
            shop_id: "kiabi".into(),
            shop_name: "Kiabi".into(),
            title: "Jean slim femme".into(),
            url: "https://www.kiabi.com/jean_P1?utm_source=x".into(),
            canonical_url: "https://www.kiabi.com/jean_P1".into(),
            image_url: None,
            category: None,
            gtin: None,
            currency: "EUR".into(),
            price: Decimal::new(1999, 2),
            previous_price: Some(Decimal::new(2999, 2)),
            reference_price: Some(Decimal::new(2999, 2)),
            real_discount_pct: Some(Decimal::new(3334, 2)),
            verdict: Some("honest".into()),
            score: None,
            promo_code: None,
            ends_at: None,
            score_parts: None,
        }
    }

    #[test]
    fn every_draft_is_distinct_valid_and_shows_the_real_discount() {
        let drafts = drafts(&account(), &candidate()).unwrap();
        assert_eq!(drafts.len(), 3);
        let price = money_format::french(Decimal::new(1999, 2), Some("EUR"));
        let discount = format_percent(Decimal::new(-3334, 2));
        assert_eq!((price.as_str(), discount.as_str()), ("19,99\u{a0}€", "-33\u{a0}%"));
        for draft in &drafts {
            assert!(is_valid_post(&draft.text), "{}", draft.text);
            assert!(draft.text.contains(&price) && draft.text.contains(&discount), "{}", draft.text);
            assert!(draft.text.contains("https://www.kiabi.com/jean_P1"), "{}", draft.text);
        }
    }

    #[test]
    fn a_shorter_draft_keeps_the_refused_posts_template_and_fits_the_lower_limit() {
        let mut candidate = candidate();
        candidate.title = "Jean slim femme taille haute coupe droite délavé bleu".into();
        let second = &drafts(&account(), &candidate).unwrap()[1];
        let limit = weighted_length(&second.text) - 15;
        let shorter = shorter_draft(&account(), &candidate, &second.text, limit).unwrap();
        assert!(weighted_length(&shorter.text) <= limit, "{}", shorter.text);
        assert!(
            shorter.text.starts_with("Jean slim femme taille") && shorter.text.contains("… : 19,99"),
            "{}",
            shorter.text
        );
    }

    #[test]
    fn an_affiliate_link_carries_its_disclosure() {
        let mut account = account();
        account.links.push(LinkRewrite {
            shop: "kiabi".into(),
            template: "https://aff.example/r?u={url}".into(),
            disclosure: "#pub".into(),
        });
        let draft = &drafts(&account, &candidate()).unwrap()[0];
        assert!(draft.text.starts_with("#pub"), "{}", draft.text);
        assert_eq!(draft.link.as_deref(), Some("https://aff.example/r?u=https%3A%2F%2Fwww.kiabi.com%2Fjean_P1"));
    }
}
