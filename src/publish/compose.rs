//! The text of a post: a deal poured into an account's template, in French, honest, and within X's 280 weighted
//! characters.
//!
//! It exists to keep three promises in one pure function, tested without any platform: the only reduction a post
//! shows is the real one, measured from the lowest price of the previous 30 days (for an `inflated` deal the shop's
//! "was" price and percentage never appear); figures are written the French way ([`super::french`]); and the post
//! always fits, by shortening the product title, never the price, the link or the disclosure.
//!
//! Templates are plain text with placeholders (`{title}` `{shop}` `{price}` `{reference}` `{discount}` `{link}`
//! `{code}` `{ends}`) and optional sections in square brackets, left out when a placeholder inside them has
//! nothing to show (no reference price, no real reduction, no link...). `{{`, `}}`, `[[` and `]]` write the
//! character itself.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use unicode_segmentation::UnicodeSegmentation;

use super::french::format_percent;
use super::text_length::{CountingRules, MAX_WEIGHTED_LENGTH, measure, weighted_length};
use crate::common::money_format;
use crate::deals::honesty::{Verdict, discount_pct};

/// What a post says about one deal: the facts, already judged; [`compose`] decides which of them may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealForPost {
    /// The product's name as the shop writes it; shortened to make the post fit.
    pub title: String,
    /// The shop's name as followers know it.
    pub shop_name: String,
    /// The current price.
    pub price: Decimal,
    /// ISO 4217 code of `price` and of the other amounts.
    pub currency: String,
    /// The lowest price of the 30 days before the reduction, when the history is long enough to know it.
    pub reference_price: Option<Decimal>,
    /// The reduction from `reference_price`, in percent (positive is cheaper); used when no reference price is
    /// given, since the reduction is otherwise computed from it.
    pub real_discount_pct: Option<Decimal>,
    /// Whether the shop's claimed reduction stands up to the 30-day rule.
    pub verdict: Verdict,
    /// The previous price the shop claims; never shown, but needed to make sure an `inflated` deal's figures
    /// cannot be mistaken for the shop's claim.
    pub claimed_previous: Option<Decimal>,
    /// Where followers can buy, already rewritten for affiliation if the account does that.
    pub link: Option<String>,
    /// A code to enter at checkout.
    pub promo_code: Option<String>,
    /// When the offer ends.
    pub ends_at: Option<DateTime<Utc>>,
    /// The zone `{ends}` is written in: the publishing account's (`[[accounts]] timezone`).
    pub time_zone: chrono_tz::Tz,
}

/// A post template (see the module documentation for its syntax), checked when it is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(String);

/// The template used when an account names none.
pub const DEFAULT_TEMPLATE: &str = "🔥 {title} à {price} chez {shop}[ ({discount} vs le prix le plus bas des 30 \
                                    derniers jours)][\nCode : {code}][\nJusqu'au {ends}][\n{link}]";

impl Template {
    /// A template from its text, or why it cannot be used.
    pub fn new(text: impl Into<String>) -> Result<Template, ComposeError> {
        let text = text.into();
        parse_template(&text)?;
        Ok(Template(text))
    }

    /// The template's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Template {
    fn default() -> Self {
        Template(DEFAULT_TEMPLATE.to_string())
    }
}

/// Why no post could be composed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ComposeError {
    /// The template's text is malformed.
    #[error("the post template {template:?} cannot be read: {problem}")]
    TemplateSyntax { template: String, problem: String },
    /// The template names a placeholder that does not exist.
    #[error(
        "the post template {template:?} uses {{{name}}}, which is not one of {{title}} {{shop}} {{price}} \
         {{reference}} {{discount}} {{link}} {{code}} {{ends}}"
    )]
    UnknownPlaceholder { template: String, name: String },
    /// The deal's title has nothing printable, so the post would not say what is on sale.
    #[error("the deal's title {title:?} has nothing to show once cleaned")]
    EmptyTitle { title: String },
    /// Even with the title cut down to one character and "…", the rest of the post is too long.
    #[error(
        "the post cannot fit in {limit} weighted characters even with its title cut to one character: it would be \
         {shortest} long; the shop name counts {shop}, the link {link}, the promo code {code}, the disclosure \
         {disclosure}, the template's own text and the figures the rest"
    )]
    TooLong { limit: usize, shortest: usize, shop: usize, link: usize, code: usize, disclosure: usize },
}

/// The post for `deal`: `template` filled in, `disclosure` (such as `#pub` for an affiliate link) put first so
/// that it is seen before anything else, and the title shortened on a word boundary with "…" (or, for a title
/// with no word that fits, such as one in Chinese, on a character boundary) so that the whole post is at most
/// [`MAX_WEIGHTED_LENGTH`] weighted characters.
///
/// The reduction shown is the real one, from the 30-day reference price, and only if it is at least 1 %. For an
/// `inflated` deal, the reference price and the reduction are left out as well when they cannot be told apart
/// from the shop's claim (no reference, or a reference not below the claimed previous price).
pub fn compose(deal: &DealForPost, template: &Template, disclosure: Option<&str>) -> Result<String, ComposeError> {
    compose_within(deal, template, disclosure, MAX_WEIGHTED_LENGTH)
}

/// [`compose`] with a post of at most `limit` weighted characters (never more than [`MAX_WEIGHTED_LENGTH`]): how
/// a post the platform refused as too long is written again, shorter.
pub fn compose_within(
    deal: &DealForPost,
    template: &Template,
    disclosure: Option<&str>,
    limit: usize,
) -> Result<String, ComposeError> {
    let limit = limit.min(MAX_WEIGHTED_LENGTH);
    let fits = |post: &str| {
        let measured = measure(post, CountingRules::V3);
        measured.valid && measured.weighted_length <= limit
    };
    let segments = parse_template(&template.0)?;
    let title = one_line(&deal.title);
    if title.is_empty() {
        return Err(ComposeError::EmptyTitle { title: deal.title.clone() });
    }
    let values = Values::of(deal, disclosure);
    let render = |title: &str| values.render(&segments, title);

    let full = render(&title);
    if fits(&full) {
        return Ok(full);
    }
    let word_cuts: Vec<usize> = title
        .char_indices()
        .filter(|&(index, character)| index > 0 && character.is_whitespace())
        .map(|(index, _)| index)
        .collect();
    let grapheme_cuts: Vec<usize> = title.grapheme_indices(true).map(|(index, _)| index).filter(|&i| i > 0).collect();
    for cuts in [&word_cuts, &grapheme_cuts] {
        if let Some(post) = longest_fitting(cuts, fits, |cut| shortened(&title, cut).map(|title| render(&title))) {
            return Ok(post);
        }
    }
    let measure = |text: &str| weighted_length(text);
    // The shortest title tried: the first character and "…" (or the title itself when it is one character).
    let shortest_title = grapheme_cuts.first().and_then(|&cut| shortened(&title, cut)).unwrap_or(title);
    Err(ComposeError::TooLong {
        limit,
        shortest: measure(&render(&shortest_title)),
        shop: measure(&values.shop),
        link: values.link.as_deref().map_or(0, measure),
        code: values.code.as_deref().map_or(0, measure),
        disclosure: values.disclosure.as_deref().map_or(0, measure),
    })
}

/// The post for the largest cut in `cuts` (ascending byte offsets) whose post `fits`, by binary search.
///
/// Weighted length almost always grows with the title, but not strictly (a URL in a title counts 23 once whole,
/// its characters when cut), so the search only ever returns a post it has measured as fitting, and may miss a
/// slightly longer title that would also fit: the promise is the limit, not the longest possible title.
fn longest_fitting(
    cuts: &[usize],
    fits: impl Fn(&str) -> bool,
    post_for: impl Fn(usize) -> Option<String>,
) -> Option<String> {
    let fitting = |cut: usize| post_for(cut).filter(|post| fits(post));
    let mut best = fitting(*cuts.first()?)?;
    let (mut low, mut high) = (0, cuts.len());
    // Invariant: the cut at `low` fits (its post is `best`); every cut at or after `high` was found not to.
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        match fitting(cuts[middle]) {
            Some(post) => {
                best = post;
                low = middle;
            }
            None => high = middle,
        }
    }
    Some(best)
}

/// `title` cut at byte offset `cut`, without the spaces and punctuation left dangling (unless that is all there
/// is), with "…" after it; `None` when `cut` is not inside the title.
fn shortened(title: &str, cut: usize) -> Option<String> {
    let prefix = title.get(..cut).filter(|prefix| !prefix.trim().is_empty())?;
    let kept = prefix.trim_end_matches(|c: char| c.is_whitespace() || ",;:-–—·|/(".contains(c));
    let kept = if kept.trim().is_empty() { prefix.trim_end() } else { kept };
    Some(format!("{kept}…"))
}

/// `text` on one line: runs of whitespace and control characters become one space, characters X refuses are
/// dropped, and the ends are trimmed. Titles and codes come from scraped pages, which contain all of these.
fn one_line(text: &str) -> String {
    let mut cleaned = String::with_capacity(text.len());
    let mut pending_space = false;
    for character in text.chars() {
        if matches!(character, '\u{FFFE}' | '\u{FEFF}' | '\u{FFFF}') {
            continue;
        }
        if character.is_whitespace() || character.is_control() {
            pending_space = !cleaned.is_empty();
            continue;
        }
        if pending_space {
            cleaned.push(' ');
            pending_space = false;
        }
        cleaned.push(character);
    }
    cleaned
}

/// A template placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Shop,
    Price,
    Reference,
    Discount,
    Link,
    Code,
    Ends,
}

impl Field {
    fn named(name: &str) -> Option<Field> {
        Some(match name {
            "title" => Field::Title,
            "shop" => Field::Shop,
            "price" => Field::Price,
            "reference" => Field::Reference,
            "discount" => Field::Discount,
            "link" => Field::Link,
            "code" => Field::Code,
            "ends" => Field::Ends,
            _ => return None,
        })
    }
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Placeholder(Field),
    /// Left out entirely when one of its placeholders has nothing to show.
    Optional(Vec<Segment>),
}

/// The template's pieces. Hand-written: the syntax is a dozen lines, and a template engine would not know to
/// leave out a section whose value is missing, which every post needs.
fn parse_template(template: &str) -> Result<Vec<Segment>, ComposeError> {
    let syntax =
        |problem: &str| ComposeError::TemplateSyntax { template: template.to_string(), problem: problem.to_string() };
    let mut top: Vec<Segment> = Vec::new();
    let mut optional: Option<Vec<Segment>> = None;
    let mut text = String::new();
    let mut characters = template.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '{' | '}' | '[' | ']' if characters.peek() == Some(&character) => {
                characters.next();
                text.push(character);
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match characters.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => return Err(syntax("a `{` is never closed (write `{{` for the character)")),
                    }
                }
                let field = Field::named(&name)
                    .ok_or_else(|| ComposeError::UnknownPlaceholder { template: template.to_string(), name })?;
                let current = optional.as_mut().unwrap_or(&mut top);
                flush(&mut text, current);
                current.push(Segment::Placeholder(field));
            }
            '}' => return Err(syntax("a `}` closes nothing (write `}}` for the character)")),
            '[' => {
                if optional.is_some() {
                    return Err(syntax("optional sections `[...]` cannot be nested"));
                }
                flush(&mut text, &mut top);
                optional = Some(Vec::new());
            }
            ']' => {
                let mut section = optional.take().ok_or_else(|| syntax("a `]` closes nothing (write `]]`)"))?;
                flush(&mut text, &mut section);
                top.push(Segment::Optional(section));
            }
            other => text.push(other),
        }
    }
    if optional.is_some() {
        return Err(syntax("a `[` is never closed (write `[[` for the character)"));
    }
    flush(&mut text, &mut top);
    Ok(top)
}

fn flush(text: &mut String, into: &mut Vec<Segment>) {
    if !text.is_empty() {
        into.push(Segment::Text(std::mem::take(text)));
    }
}

/// The text of every placeholder but the title, computed once per post; `None` is "nothing to show".
struct Values {
    shop: String,
    price: String,
    reference: Option<String>,
    discount: Option<String>,
    link: Option<String>,
    code: Option<String>,
    ends: Option<String>,
    disclosure: Option<String>,
}

impl Values {
    fn of(deal: &DealForPost, disclosure: Option<&str>) -> Values {
        let non_empty = |text: String| (!text.is_empty()).then_some(text);
        // A reference that is not below the claimed previous price would show the shop's claim under our name.
        let reference_is_ours = match (deal.verdict, deal.reference_price, deal.claimed_previous) {
            (Verdict::Inflated, None, _) => false,
            (Verdict::Inflated, Some(reference), Some(claimed)) => reference < claimed,
            _ => true,
        };
        let reference = deal.reference_price.filter(|_| reference_is_ours);
        let real_discount = match deal.reference_price {
            Some(reference) => discount_pct(reference, deal.price),
            None => deal.real_discount_pct,
        }
        .filter(|_| reference_is_ours)
        // Shown only when it rounds to a reduction of at least 1 %, as `format_percent` prints it.
        .filter(|pct| *pct >= Decimal::new(5, 1));
        Values {
            shop: one_line(&deal.shop_name),
            price: money_format::french(deal.price, Some(&deal.currency)),
            reference: reference.map(|reference| money_format::french(reference, Some(&deal.currency))),
            discount: real_discount.map(|pct| format_percent(-pct)),
            link: deal.link.as_deref().map(one_line).and_then(non_empty),
            code: deal.promo_code.as_deref().map(one_line).and_then(non_empty),
            ends: deal.ends_at.map(|ends| ends.with_timezone(&deal.time_zone).format("%d/%m à %Hh%M").to_string()),
            disclosure: disclosure.map(one_line).and_then(non_empty),
        }
    }

    fn value<'a>(&'a self, field: Field, title: &'a str) -> Option<&'a str> {
        match field {
            Field::Title => Some(title),
            Field::Shop => Some(self.shop.as_str()).filter(|shop| !shop.is_empty()),
            Field::Price => Some(&self.price),
            Field::Reference => self.reference.as_deref(),
            Field::Discount => self.discount.as_deref(),
            Field::Link => self.link.as_deref(),
            Field::Code => self.code.as_deref(),
            Field::Ends => self.ends.as_deref(),
        }
    }

    fn render(&self, segments: &[Segment], title: &str) -> String {
        let mut post = String::new();
        if let Some(disclosure) = &self.disclosure {
            post.push_str(disclosure);
            post.push(' ');
        }
        self.render_into(&mut post, segments, title);
        post.trim_end().to_string()
    }

    fn render_into(&self, post: &mut String, segments: &[Segment], title: &str) {
        for segment in segments {
            match segment {
                Segment::Text(text) => post.push_str(text),
                Segment::Placeholder(field) => post.push_str(self.value(*field, title).unwrap_or_default()),
                Segment::Optional(section) => {
                    let complete = section.iter().all(|segment| match segment {
                        Segment::Placeholder(field) => self.value(*field, title).is_some(),
                        _ => true,
                    });
                    if complete {
                        self.render_into(post, section, title);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::text_length::is_valid_post;
    use proptest::prelude::*;

    fn decimal(text: &str) -> Decimal {
        text.parse().expect("a decimal literal")
    }

    fn deal() -> DealForPost {
        DealForPost {
            title: "Casque Bluetooth Sony WH-1000XM5 noir".to_string(),
            shop_name: "Fnac".to_string(),
            price: decimal("279.99"),
            currency: "EUR".to_string(),
            reference_price: Some(decimal("399.99")),
            real_discount_pct: Some(decimal("30.0")),
            verdict: Verdict::Honest,
            claimed_previous: Some(decimal("419.99")),
            link: Some("https://www.fnac.com/a16995431/Sony-WH-1000XM5".to_string()),
            promo_code: None,
            ends_at: None,
            time_zone: chrono_tz::Europe::Paris,
        }
    }

    /// Whether `amount` (formatted) is in `text` as a whole amount, not as the tail of a longer one
    /// (`1,00 €` inside `11,00 €`).
    fn shows_amount(text: &str, amount: &str) -> bool {
        text.match_indices(amount).any(|(index, _)| {
            !text[..index].chars().next_back().is_some_and(|c| c.is_ascii_digit() || c == '\u{202F}' || c == ',')
        })
    }

    #[test]
    fn the_default_template_gives_a_french_post_with_the_real_discount() {
        let post = compose(&deal(), &Template::default(), None).expect("fits");
        assert_eq!(
            post,
            "🔥 Casque Bluetooth Sony WH-1000XM5 noir à 279,99\u{A0}€ chez Fnac (-30\u{A0}% vs le prix le plus bas \
             des 30 derniers jours)\nhttps://www.fnac.com/a16995431/Sony-WH-1000XM5"
        );
    }

    #[test]
    fn the_disclosure_comes_first() {
        let post = compose(&deal(), &Template::default(), Some("#pub")).expect("fits");
        assert!(post.starts_with("#pub 🔥 Casque"), "{post}");
    }

    #[test]
    fn an_inflated_deal_shows_the_real_discount_and_never_the_claimed_price() {
        let mut deal = deal();
        deal.verdict = Verdict::Inflated;
        deal.reference_price = Some(decimal("299.99"));
        let template = Template::new("{title} {price} au lieu de {reference} [{discount}] {link}").expect("valid");
        let post = compose(&deal, &template, None).expect("fits");
        assert!(post.contains("299,99\u{A0}€"), "{post}");
        assert!(post.contains("-7\u{A0}%"), "{post}");
        assert!(!post.contains("419,99"), "{post}");
        assert!(!post.contains("-33"), "{post}");
    }

    #[test]
    fn an_inflated_deal_whose_reference_is_the_claim_shows_neither() {
        let mut deal = deal();
        deal.verdict = Verdict::Inflated;
        deal.reference_price = deal.claimed_previous;
        let template = Template::new("{title} {price}[ au lieu de {reference}][ {discount}]").expect("valid");
        let post = compose(&deal, &template, None).expect("fits");
        assert_eq!(post, "Casque Bluetooth Sony WH-1000XM5 noir 279,99\u{A0}€");
    }

    #[test]
    fn no_real_reduction_leaves_the_discount_section_out() {
        let mut deal = deal();
        deal.reference_price = Some(decimal("279.99"));
        deal.link = None;
        let post = compose(&deal, &Template::default(), None).expect("fits");
        assert_eq!(post, "🔥 Casque Bluetooth Sony WH-1000XM5 noir à 279,99\u{A0}€ chez Fnac");
    }

    #[test]
    fn code_and_end_date_are_shown_in_paris_time() {
        let mut deal = deal();
        deal.promo_code = Some(" SONY30 ".to_string());
        deal.ends_at = Some("2026-11-27T22:59:00Z".parse().expect("a date"));
        let post = compose(&deal, &Template::default(), None).expect("fits");
        assert!(post.contains("\nCode : SONY30\nJusqu'au 27/11 à 23h59\nhttps://"), "{post}");
    }

    #[test]
    fn the_end_date_is_shown_in_the_accounts_zone() {
        let mut deal = deal();
        deal.ends_at = Some("2026-11-28T03:30:00Z".parse().expect("a date"));
        deal.time_zone = chrono_tz::America::Montreal;
        let post = compose(&deal, &Template::default(), None).expect("fits");
        // 03:30 UTC on the 28th is 22:30 on the 27th in Montreal (UTC-5), 04:30 on the 28th in Paris.
        assert!(post.contains("\nJusqu'au 27/11 à 22h30\n"), "{post}");
    }

    #[test]
    fn a_long_title_is_cut_on_a_word_boundary_with_an_ellipsis() {
        let mut deal = deal();
        deal.title = "Téléviseur OLED ".repeat(40);
        let post = compose(&deal, &Template::default(), Some("#pub")).expect("fits");
        assert!(weighted_length(&post) <= MAX_WEIGHTED_LENGTH);
        assert!(weighted_length(&post) > MAX_WEIGHTED_LENGTH - 20, "{post}");
        assert!(post.contains("OLED… à 279,99") || post.contains("Téléviseur… à 279,99"), "{post}");
    }

    #[test]
    fn a_title_without_spaces_is_cut_between_characters() {
        let mut deal = deal();
        deal.title = "索尼降噪耳机".repeat(40);
        let post = compose(&deal, &Template::default(), None).expect("fits");
        assert!(weighted_length(&post) <= MAX_WEIGHTED_LENGTH);
        let before_ellipsis = post.split('…').next().and_then(|head| head.chars().next_back());
        assert!(before_ellipsis.is_some_and(|c| "索尼降噪耳机".contains(c)), "{post}");
        assert!(post.contains("… à 279,99"), "{post}");
    }

    #[test]
    fn a_post_composed_within_a_lower_limit_cuts_the_title_to_fit_it() {
        let full = compose(&deal(), &Template::default(), None).expect("fits");
        let limit = weighted_length(&full) - 10;
        let shorter = compose_within(&deal(), &Template::default(), None, limit).expect("fits the lower limit");
        assert!(weighted_length(&shorter) <= limit, "{shorter}");
        assert!(shorter.starts_with("🔥 Casque Bluetooth Sony…"), "{shorter}");
        assert!(shorter.ends_with("https://www.fnac.com/a16995431/Sony-WH-1000XM5"), "{shorter}");
        assert!(matches!(
            compose_within(&deal(), &Template::default(), None, 50),
            Err(ComposeError::TooLong { limit: 50, .. })
        ));
    }

    #[test]
    fn a_blank_title_is_refused() {
        let mut deal = deal();
        deal.title = " \n\u{FEFF} ".to_string();
        assert!(matches!(compose(&deal, &Template::default(), None), Err(ComposeError::EmptyTitle { .. })));
    }

    #[test]
    fn a_shop_name_too_long_for_any_title_is_reported_with_its_length() {
        let mut deal = deal();
        deal.shop_name = "M".repeat(300);
        match compose(&deal, &Template::default(), None) {
            Err(ComposeError::TooLong { shop, link, .. }) => {
                assert_eq!(shop, 300);
                assert_eq!(link, 23);
            }
            other => panic!("expected TooLong, got {other:?}"),
        }
    }

    #[test]
    fn templates_with_unknown_placeholders_or_bad_brackets_are_refused() {
        assert!(
            matches!(Template::new("{titre}"), Err(ComposeError::UnknownPlaceholder { name, .. }) if name == "titre")
        );
        assert!(matches!(Template::new("{title"), Err(ComposeError::TemplateSyntax { .. })));
        assert!(matches!(Template::new("[{title} [{link}]]"), Err(ComposeError::TemplateSyntax { .. })));
        assert!(matches!(Template::new("{title}]"), Err(ComposeError::TemplateSyntax { .. })));
        assert!(Template::new("{{ {title} }} [[promo]]").is_ok());
    }

    #[test]
    fn doubled_braces_and_brackets_are_written_as_themselves() {
        let template = Template::new("{{{title}}} [[{shop}]]").expect("valid");
        let mut deal = deal();
        deal.title = "Casque".to_string();
        assert_eq!(compose(&deal, &template, None).expect("fits"), "{Casque} [Fnac]");
    }

    fn any_title() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            proptest::collection::vec(any::<char>(), 0..600).prop_map(|chars| chars.into_iter().collect()),
            "[\\p{Han}\\p{Hiragana} ]{0,400}",
            "(👨‍👩‍👧‍👦|🔥|é|e\u{301}|🇫🇷| |a|www.example.com/x ){0,300}",
            "([A-Za-zÀ-ÿ0-9]{1,12} ){0,80}",
        ]
    }

    fn any_deal() -> impl Strategy<Value = DealForPost> {
        (
            any_title(),
            "\\PC{1,40}",
            0i64..1_000_000_000,
            prop_oneof![Just("EUR".to_string()), Just("USD".to_string()), Just("CHF".to_string()), "[A-Z]{3}"],
            proptest::option::of(0i64..1_000_000_000),
            prop_oneof![Just(Verdict::Honest), Just(Verdict::Inflated), Just(Verdict::Unverified)],
            1i64..100_000_000,
            // Real shop links; a link that twitter-text does not read as one URL (`//` in its path) counts its
            // characters, which the composition measures too, but then may leave no room for a title at all.
            proptest::option::of("https://[a-z]{1,20}\\.(fr|com)(/[a-zA-Z0-9_-]{1,40}){0,8}(\\?tag=[a-z0-9-]{1,20})?"),
            proptest::option::of("[A-Z0-9]{1,20}"),
            proptest::option::of(0i64..4_000_000_000),
        )
            .prop_map(|(title, shop, cents, currency, reference, verdict, above, link, code, ends)| {
                DealForPost {
                    title,
                    shop_name: shop,
                    price: Decimal::new(cents, 2),
                    currency,
                    reference_price: reference.map(|cents| Decimal::new(cents, 2)),
                    real_discount_pct: None,
                    verdict,
                    claimed_previous: Some(Decimal::new(cents + above, 2)),
                    link,
                    promo_code: code,
                    ends_at: ends.and_then(|seconds| DateTime::from_timestamp(seconds, 0)),
                    time_zone: chrono_tz::Europe::Paris,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn no_composed_post_exceeds_the_limit(
            deal in any_deal(),
            disclosure in proptest::option::of(prop_oneof![Just("#pub"), Just("#ad"), Just("Lien affilié")]),
        ) {
            match compose(&deal, &Template::default(), disclosure) {
                Ok(post) => {
                    prop_assert!(weighted_length(&post) <= MAX_WEIGHTED_LENGTH, "{} > 280: {post:?}", weighted_length(&post));
                    prop_assert!(is_valid_post(&post), "{post:?}");
                }
                // A shop name of 40 characters leaves room for a title, so only a blank title may fail, or a link
                // that twitter-text does not read as one URL (it then counts every character, not 23).
                Err(error) => prop_assert!(
                    matches!(error, ComposeError::EmptyTitle { .. })
                        || matches!(error, ComposeError::TooLong { link, .. } if link > 23),
                    "{error}"
                ),
            }
        }

        #[test]
        fn an_inflated_deal_never_shows_the_claimed_price(mut deal in any_deal()) {
            deal.verdict = Verdict::Inflated;
            let claimed = money_format::french(deal.claimed_previous.unwrap_or_default(), Some(&deal.currency));
            prop_assume!(!shows_amount(&deal.title, &claimed) && !shows_amount(&deal.shop_name, &claimed));
            let template = Template::new("{title} {price}[ au lieu de {reference}][ {discount}][ {link}]").expect("valid");
            if let Ok(post) = compose(&deal, &template, None) {
                prop_assert!(!shows_amount(&post, &claimed), "{claimed:?} in {post:?}");
            }
        }

        #[test]
        fn a_post_either_fits_or_says_it_cannot(deal in any_deal(), shop in "\\PC{0,300}") {
            let deal = DealForPost { shop_name: shop, ..deal };
            match compose(&deal, &Template::default(), Some("#pub")) {
                Ok(post) => prop_assert!(weighted_length(&post) <= MAX_WEIGHTED_LENGTH),
                Err(ComposeError::TooLong { shortest, .. }) => prop_assert!(shortest > MAX_WEIGHTED_LENGTH),
                Err(error) => prop_assert!(matches!(error, ComposeError::EmptyTitle { .. }), "{error}"),
            }
        }
    }
}
