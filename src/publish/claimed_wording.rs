//! The words of a post whose only discount is the shop's claim: "-50 % annoncé par la boutique", never a discount
//! dealcast checked.
//!
//! It exists for a shop's first days in dealcast. Until a price has been seen before its reduction there is no
//! reference price, so no real discount: the deal is `unverified`, and the only figure is the shop's crossed-out
//! price. A curated account may still put such a deal in front of a person (`filters.claimed = "review"`), and then
//! the post must say whose figure it is. The account's own template is not used for these posts: templates are
//! written around the real discount (`{discount}`, "vs le prix le plus bas des 30 derniers jours"), and a claim must
//! never borrow those words. The figures and the length rule are `compose`'s, as for every post.

use rust_decimal::Decimal;
use sqlx::PgPool;

use super::accounts::AccountConfig;
use super::compose::{ComposeError, Template, compose};
use super::drafting::{Draft, deal_for_post, drafts, link_for, shorter_draft, shorter_draft_among};
use super::french::format_percent;
use super::selection::Candidate;
use crate::deals::honesty::discount_pct;

/// The words that attribute the discount to the shop; every claim-only post has them, and an edited one must keep
/// them (`review::approve`).
pub const ATTRIBUTION: &str = "annoncé par la boutique";

/// The templates of a claim-only post, best first, with `{claim}` standing for the claimed percentage ("-50 %").
/// Every one says "non vérifié": the claim is the shop's, not dealcast's.
const TEMPLATES: [&str; 3] = [
    "{title} à {price} chez {shop} ({claim} annoncé par la boutique, non vérifié par dealcast)[\nCode : {code}]\
     [\nJusqu'au {ends}][\n{link}]",
    "{title} : {price} chez {shop}, {claim} annoncé par la boutique (réduction non vérifiée)[\nCode : {code}]\
     [\nJusqu'au {ends}][\n{link}]",
    "Chez {shop} : {title} à {price} ({claim} annoncé par la boutique, non vérifié)[\nCode : {code}]\
     [\nJusqu'au {ends}][\n{link}]",
];

/// The discount the shop claims for `candidate`, in percent, when its crossed-out price is above its price.
pub fn claimed_pct(candidate: &Candidate) -> Option<Decimal> {
    candidate
        .previous_price
        .filter(|previous| *previous > candidate.price)
        .and_then(|p| discount_pct(p, candidate.price))
}

/// Whether `candidate`'s only discount is the shop's claim: unverified (never inflated), no real discount measured,
/// a claimed one above zero.
pub fn is_claim_only(candidate: &Candidate) -> bool {
    candidate.verdict.as_deref() == Some("unverified")
        && candidate.real_discount_pct.is_none()
        && claimed_pct(candidate).is_some_and(|pct| pct > Decimal::ZERO)
}

/// The texts `account` may post for `candidate`, best first: worded as the shop's claim when that is its only
/// discount, else the account's usual drafts (`drafting`).
pub fn drafts_for(account: &AccountConfig, candidate: &Candidate) -> Result<Vec<Draft>, ComposeError> {
    match claimed_pct(candidate).filter(|_| is_claim_only(candidate)) {
        Some(pct) => claim_drafts(account, candidate, pct),
        None => drafts(account, candidate),
    }
}

/// `refused` (a post of `candidate` the platform refused as too long) written again at most `limit` weighted
/// characters, in the wording it was written in: a shop's claim stays attributed to the shop.
pub fn shorter_for(
    account: &AccountConfig,
    candidate: &Candidate,
    refused: &str,
    limit: usize,
) -> Result<Draft, ComposeError> {
    match claimed_pct(candidate).filter(|_| is_claim_only(candidate)) {
        Some(pct) => shorter_draft_among(account, candidate, &claim_templates(pct)?, refused, limit),
        None => shorter_draft(account, candidate, refused, limit),
    }
}

/// The claim wordings with the shop's claimed `pct` written in.
fn claim_templates(pct: Decimal) -> Result<Vec<Template>, ComposeError> {
    let claim = format_percent(-pct);
    TEMPLATES.iter().map(|text| Template::new(text.replace("{claim}", &claim))).collect()
}

/// The texts of a deal whose only discount is the shop's claimed `pct`, each attributing it to the shop.
fn claim_drafts(account: &AccountConfig, candidate: &Candidate, pct: Decimal) -> Result<Vec<Draft>, ComposeError> {
    let (link, disclosure) = link_for(account, candidate);
    let deal = deal_for_post(candidate, Some(link.clone()), account.timezone.0);
    let mut drafts: Vec<Draft> = Vec::new();
    for template in claim_templates(pct)? {
        let text = compose(&deal, &template, disclosure.as_deref())?;
        if !drafts.iter().any(|draft| draft.text == text) {
            drafts.push(Draft { text, link: Some(link.clone()) });
        }
    }
    Ok(drafts)
}

/// The discount a post of `candidate` shows, in percent: the shop's claim for a claim-only post, else the real
/// discount (from the reference price when there is one, as `compose` prints it); `None` when it shows none.
pub fn shown_discount(candidate: &Candidate) -> Option<Decimal> {
    let shown = if is_claim_only(candidate) {
        claimed_pct(candidate)
    } else {
        candidate
            .reference_price
            .and_then(|reference| discount_pct(reference, candidate.price))
            .or(candidate.real_discount_pct)
    };
    shown.filter(|pct| *pct > Decimal::ZERO)
}

/// Records on post `id` what its discount is based on: whether it is only the shop's claim (the review queue marks
/// those as unverified), and the discount it shows (`publish::followups` expires the post when the deal falls
/// below it).
pub async fn record_basis(pool: &PgPool, id: i64, candidate: &Candidate) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE publications SET claim_only = $2, shown_discount_pct = $3 WHERE id = $1")
        .bind(id)
        .bind(is_claim_only(candidate))
        .bind(shown_discount(candidate))
        .execute(pool)
        .await?;
    Ok(())
}

/// Whether post `id` states a shop's claim that the price history has since shown inflated (a lower price seen in
/// the 30 days before the reduction): such a post is never sent, approved or not.
pub async fn contradicted(pool: &PgPool, id: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM publications p JOIN offers o ON o.id = p.offer_id
                        WHERE p.id = $1 AND p.claim_only AND o.verdict = 'inflated')",
    )
    .bind(id)
    .fetch_one(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::text_length::{is_valid_post, weighted_length};

    fn account() -> AccountConfig {
        toml::from_str("name = \"revue\"\nmode = \"curated\"\nfilters = { claimed = \"review\" }").unwrap()
    }

    fn claimed(verdict: &str, real: Option<Decimal>) -> Candidate {
        Candidate {
            offer_id: 9,
            shop_id: "maison".into(),
            shop_name: "Maison Lumière".into(),
            title: "Lampe de chevet en laiton".into(),
            url: "https://maison.example/p/lampe".into(),
            canonical_url: "https://maison.example/p/lampe".into(),
            image_url: None,
            category: None,
            gtin: None,
            currency: "EUR".into(),
            price: Decimal::new(2500, 2),
            previous_price: Some(Decimal::new(5000, 2)),
            reference_price: None,
            real_discount_pct: real,
            verdict: Some(verdict.into()),
            score: Some(Decimal::new(40, 0)),
            promo_code: None,
            ends_at: None,
            score_parts: None,
        }
    }

    #[test]
    fn a_claim_written_again_shorter_after_a_refusal_stays_attributed_to_the_shop() {
        let mut candidate = claimed("unverified", None);
        candidate.title =
            "Lampe de chevet en laiton brossé, abat-jour en lin lavé, variateur tactile trois intensités, \
                           câble textile tressé de deux mètres"
                .into();
        let refused = drafts_for(&account(), &candidate).unwrap().remove(0).text;
        let limit = weighted_length(&refused) - 40;
        let shorter = shorter_for(&account(), &candidate, &refused, limit).unwrap();
        assert!(weighted_length(&shorter.text) <= limit, "{}", shorter.text);
        assert!(shorter.text.contains("-50\u{a0}% annoncé par la boutique"), "{}", shorter.text);
        assert!(shorter.text.contains("non vérifi"), "{}", shorter.text);
    }

    #[test]
    fn the_discount_a_post_shows_is_the_claim_for_a_claim_only_post_and_the_real_one_otherwise() {
        assert_eq!(shown_discount(&claimed("unverified", None)), Some(Decimal::new(500, 1)));
        let mut honest = claimed("honest", Some(Decimal::new(2000, 2)));
        assert_eq!(shown_discount(&honest), Some(Decimal::new(2000, 2)), "the judged real discount");
        honest.reference_price = Some(Decimal::new(3125, 2));
        assert_eq!(shown_discount(&honest), Some(Decimal::new(200, 1)), "from the reference, as the post prints it");
        honest.reference_price = Some(Decimal::new(2500, 2));
        assert_eq!(shown_discount(&honest), None, "no reduction shows no discount");
    }

    #[test]
    fn a_claim_only_post_attributes_the_discount_to_the_shop_and_never_claims_a_check() {
        let drafts = drafts_for(&account(), &claimed("unverified", None)).unwrap();
        assert_eq!(drafts.len(), 3);
        for draft in &drafts {
            assert!(draft.text.contains("-50\u{a0}% annoncé par la boutique"), "{}", draft.text);
            assert!(draft.text.contains("non vérifi"), "{}", draft.text);
            assert!(draft.text.contains("25,00\u{a0}€"), "{}", draft.text);
            assert!(!draft.text.contains("30 derniers jours"), "a claim is never worded as checked: {}", draft.text);
            assert!(is_valid_post(&draft.text), "{}", draft.text);
        }
    }

    #[test]
    fn only_an_unverified_claim_without_a_real_discount_is_claim_only() {
        assert!(is_claim_only(&claimed("unverified", None)));
        assert!(!is_claim_only(&claimed("inflated", None)), "an inflated claim is never offered");
        assert!(
            !is_claim_only(&claimed("unverified", Some(Decimal::new(200, 1)))),
            "a real discount is posted as such"
        );
        let mut no_claim = claimed("unverified", None);
        no_claim.previous_price = Some(Decimal::new(2500, 2));
        assert!(!is_claim_only(&no_claim));
        // Anything else gets the usual words, where an inflated claim never appears.
        let inflated = &drafts_for(&account(), &claimed("inflated", None)).unwrap()[0];
        assert!(!inflated.text.contains(ATTRIBUTION) && !inflated.text.contains("50"), "{}", inflated.text);
    }
}
