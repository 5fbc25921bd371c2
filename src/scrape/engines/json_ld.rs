//! The JSON-LD engine's parse half: schema.org `Product`s (and `ProductGroup` variants) read from the
//! `<script type="application/ld+json">` blocks of a page.
//!
//! JSON-LD is the richest and cheapest structured data a shop publishes, so this engine runs on every page of a
//! crawl: the blocks are found by scanning the raw HTML (no DOM is built) and parsed with `serde_json`. Shops write
//! broken JSON-LD (HTML comments or CDATA around it, raw control characters, trailing commas, several objects in
//! one script): the cheap repairs are tried, and whatever still does not parse is skipped, never a panic.
//!
//! The page's main product comes first: the one the page declares as its `mainEntity`, or whose URL is the page's
//! (its own URL, canonical link or `og:url`), before products listed in an `ItemList` (recommendations, listings),
//! then the one named like the page's heading, before products whose URL is another page (bundles, accessories),
//! then in document order. [`read`] also says whether a page product was found at all (a listing or search page
//! only lists products) and whether the JSON-LD describes the page as something else (an event, an article).
//!
//! A product sold in several variants (sizes, colours) has several prices: the offer or variant whose URL is the
//! page's is the one shown; otherwise the cheapest one in stock, and the prices of the others are given as
//! options, so that `auto` can take the one the page shows.

use std::collections::HashMap;

use memchr::memmem;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use url::Url;

use crate::scrape::engines::page_dom::PageIdentity;
use crate::scrape::engines::values::{absolute_url, clean_text, currency_code, json_price, real_previous, valid_until};
use crate::scrape::offer::{Availability, RawOffer};

/// The engine name written in [`RawOffer::engine`].
pub const ENGINE: &str = "json_ld";

/// The products the page's JSON-LD describes, the main product first.
pub fn extract(html: &str, page_url: &Url) -> Vec<RawOffer> {
    read(html, page_url, &PageIdentity::scan(html, page_url)).offers
}

/// What the page's JSON-LD says about the page's products.
#[derive(Debug, Clone, Default)]
pub struct PageProducts {
    /// Every product, the page's own first when [`Self::main_found`].
    pub offers: Vec<RawOffer>,
    /// The first offer is a product of its own (outside lists): the page's product.
    pub main_found: bool,
    /// The JSON-LD describes the page as an event, an article, a listing or search results.
    pub other_page_kind: bool,
    /// The main product's buyable prices when its offers or variants have several (sizes, colours).
    pub(crate) price_options: Vec<OfferFacts>,
}

/// Reads the page's JSON-LD products, with `identity` to recognise the page's own.
pub fn read(html: &str, page_url: &Url, identity: &PageIdentity) -> PageProducts {
    let documents: Vec<Value> = script_blocks(html).into_iter().flat_map(parse_block).collect();
    let mut walker = Walker {
        page_url,
        identity,
        ids: HashMap::new(),
        main_ids: Vec::new(),
        found: Vec::new(),
        other_page_kind: false,
    };
    for document in &documents {
        walker.index_ids(document, 0);
    }
    for document in &documents {
        walker.walk(document, Placement::default(), 0);
    }
    let other_page_kind = walker.other_page_kind;
    let (offers, main_found, price_options) = rank(walker.found);
    PageProducts { offers, main_found, other_page_kind, price_options }
}

/// The text inside each `<script type="application/ld+json">` of the page, in document order.
pub fn script_blocks(html: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let bytes = html.as_bytes();
    let marker = memmem::Finder::new(b"ld+json");
    let mut from = 0;
    while let Some(found) = marker.find(&bytes[from..]) {
        let hit = from + found;
        from = hit + 7;
        // The marker must sit inside a `<script ...>` start tag.
        let Some(tag_start) = memchr::memrchr(b'<', &bytes[..hit]) else { continue };
        if !starts_with_ignore_case(&bytes[tag_start..], b"<script")
            || memchr::memchr(b'>', &bytes[tag_start..hit]).is_some()
        {
            continue;
        }
        let Some(tag_end) = memchr::memchr(b'>', &bytes[hit..]).map(|at| hit + at + 1) else { break };
        let Some(content_end) = find_script_end(bytes, tag_end) else { break };
        if let Some(block) = html.get(tag_end..content_end) {
            blocks.push(block);
        }
        from = content_end;
    }
    blocks
}

fn starts_with_ignore_case(haystack: &[u8], prefix: &[u8]) -> bool {
    haystack.len() >= prefix.len() && haystack[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn find_script_end(bytes: &[u8], from: usize) -> Option<usize> {
    let closer = memmem::Finder::new(b"</");
    let mut at = from;
    while let Some(found) = closer.find(&bytes[at..]) {
        let candidate = at + found;
        if starts_with_ignore_case(&bytes[candidate..], b"</script") {
            return Some(candidate);
        }
        at = candidate + 2;
    }
    None
}

/// The JSON values in one script block. Tries the text as it is, then with the cheap repairs; several top-level
/// values in a row are all kept, and a value that does not parse ends the block without losing the ones before it.
pub fn parse_block(block: &str) -> Vec<Value> {
    let trimmed = strip_wrappers(block);
    if trimmed.is_empty() {
        return Vec::new();
    }
    let values = parse_stream(trimmed);
    if !values.is_empty() {
        return values;
    }
    let repaired = remove_trailing_commas(&replace_control_characters(trimmed));
    parse_stream(&repaired)
}

fn parse_stream(text: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(text).into_iter::<Value>().map_while(Result::ok).collect()
}

/// Drops what shops wrap JSON-LD in: HTML comments, CDATA markers (also inside JS comments), stray semicolons.
fn strip_wrappers(block: &str) -> &str {
    let mut text = block.trim();
    loop {
        let before = text.len();
        for prefix in ["<!--", "/*<![CDATA[*/", "//<![CDATA[", "<![CDATA["] {
            text = text.strip_prefix(prefix).unwrap_or(text).trim_start();
        }
        for suffix in ["-->", "/*]]>*/", "//]]>", "]]>", ";"] {
            text = text.strip_suffix(suffix).unwrap_or(text).trim_end();
        }
        if text.len() == before {
            return text;
        }
    }
}

// Raw control characters are invalid inside JSON strings but common in descriptions; outside strings they are
// whitespace anyway, so a space is right in both places.
fn replace_control_characters(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

// A comma followed only by whitespace and a closing bracket: JSON rejects it, JavaScript (which shops test with)
// accepts it. Commas inside strings are left alone by tracking string state.
fn remove_trailing_commas(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for (index, &c) in chars.iter().enumerate() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        if c == ',' {
            let next = chars[index + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some(']') | Some('}')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Where a product node sits in the page's JSON-LD, which says how likely it is to be the page's main product.
#[derive(Debug, Clone, Copy, Default)]
struct Placement {
    /// Declared as the page's `mainEntity`.
    main_entity: bool,
    /// Inside an `ItemList` (a listing or a recommendation block).
    in_list: bool,
}

struct Candidate {
    offer: RawOffer,
    placement: Placement,
    url_is_page: bool,
    /// Named like the page's heading.
    named_as_page: bool,
    /// Its URL is another page than this one (a bundle's, an accessory's).
    url_elsewhere: bool,
    /// Its other buyable prices (variants).
    options: Vec<OfferFacts>,
    order: usize,
}

/// Deeply nested JSON is refused beyond this depth: real product data is shallow, and recursion must stay bounded
/// on hostile input.
const MAX_DEPTH: usize = 64;

/// Properties whose products are other products than the node's own (accessories, similar items).
const RELATED_PROPERTIES: [&str; 6] =
    ["isRelatedTo", "isSimilarTo", "isAccessoryOrSparePartFor", "isConsumableFor", "isVariantOf", "relatedLink"];

/// Types of nodes saying that the page is not a product page (when no product stands on its own). Event types
/// all end in "Event" and are matched by that.
const OTHER_PAGE_TYPES: [&str; 7] =
    ["Article", "BlogPosting", "NewsArticle", "Report", "CollectionPage", "SearchResultsPage", "LiveBlogPosting"];

struct Walker<'a> {
    page_url: &'a Url,
    identity: &'a PageIdentity,
    other_page_kind: bool,
    /// Nodes by `@id`, to follow references such as `"offers": {"@id": "#offer"}`.
    ids: HashMap<String, Value>,
    /// `@id`s named as a page's `mainEntity`.
    main_ids: Vec<String>,
    found: Vec<Candidate>,
}

impl Walker<'_> {
    fn index_ids(&mut self, value: &Value, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match value {
            Value::Array(items) => items.iter().for_each(|item| self.index_ids(item, depth + 1)),
            Value::Object(object) => {
                if let Some(id) = object.get("@id").and_then(Value::as_str)
                    && object.len() > 1
                {
                    self.ids.entry(id.to_string()).or_insert_with(|| value.clone());
                }
                if let Some(id) = object.get("mainEntity").and_then(|entity| entity.get("@id")).and_then(Value::as_str)
                {
                    self.main_ids.push(id.to_string());
                }
                object.values().for_each(|child| self.index_ids(child, depth + 1));
            }
            _ => {}
        }
    }

    /// A node that is only a reference (`{"@id": ...}`) replaced by the node it names.
    fn resolve<'v>(&'v self, value: &'v Value) -> &'v Value {
        match value.as_object() {
            Some(object) if object.len() == 1 => {
                object.get("@id").and_then(Value::as_str).and_then(|id| self.ids.get(id)).unwrap_or(value)
            }
            _ => value,
        }
    }

    fn walk(&mut self, value: &Value, placement: Placement, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match value {
            Value::Array(items) => items.iter().for_each(|item| self.walk(item, placement, depth + 1)),
            Value::Object(object) => {
                if is_product(object) {
                    let mut placement = placement;
                    if object.get("@id").and_then(Value::as_str).is_some_and(|id| self.main_ids.iter().any(|m| m == id))
                    {
                        placement.main_entity = true;
                    }
                    self.take_product(object, placement);
                    return;
                }
                let is_list = has_type(object, &["ItemList", "OfferCatalog", "SearchResultsPage", "CollectionPage"]);
                if has_type(object, &OTHER_PAGE_TYPES) || types_of(object).iter().any(|t| t.ends_with("Event")) {
                    self.other_page_kind = true;
                }
                for (key, child) in object {
                    if RELATED_PROPERTIES.contains(&key.as_str()) {
                        continue;
                    }
                    let mut child_placement = placement;
                    let listed = is_list || key == "itemListElement";
                    child_placement.in_list |= listed;
                    // A list as the page's main entity makes the page a listing, not its items main products.
                    child_placement.main_entity = (placement.main_entity || key == "mainEntity") && !listed;
                    self.walk(child, child_placement, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn take_product(&mut self, product: &Map<String, Value>, placement: Placement) {
        let variants: Vec<&Map<String, Value>> = product
            .get("hasVariant")
            .map(|value| as_items(value).map(|item| self.resolve(item)).filter_map(Value::as_object).collect())
            .unwrap_or_default();
        let mut offers: Vec<(RawOffer, Vec<OfferFacts>)> = variants
            .iter()
            .map(|variant| self.read_product(variant, Some(product)))
            .filter(|(offer, _)| offer.price.is_some())
            .collect();
        if offers.is_empty() {
            offers.push(self.read_product(product, None));
        } else {
            // One variant stands for the group: the one the page URL names (`?size=M`), else the cheapest in stock;
            // the others' prices are the options the page may show instead.
            let as_facts: Vec<OfferFacts> = offers.iter().map(|(offer, _)| OfferFacts::of_variant(offer)).collect();
            let shown = self.offer_at_page_url(&as_facts).or_else(|| cheapest_buyable(&as_facts));
            let options = buyable_options(&as_facts);
            if let Some(shown) = shown {
                let (chosen, _) = offers.remove(shown);
                offers.insert(0, (chosen, options));
            }
        }
        for (offer, options) in offers {
            let url_is_page = offer.url.as_deref().is_some_and(|url| self.identity.is_page_url(url));
            let url_elsewhere = !url_is_page && offer.url.is_some();
            let named_as_page = self.identity.names_heading(&offer.name);
            let order = self.found.len();
            self.found.push(Candidate { offer, placement, url_is_page, named_as_page, url_elsewhere, options, order });
        }
    }

    /// The one priced offer whose URL is exactly the page's, query included (`?variant=…`): the one shown.
    fn offer_at_page_url(&self, offers: &[OfferFacts]) -> Option<usize> {
        let page = self.page_url.as_str();
        let mut at_page = offers
            .iter()
            .enumerate()
            .filter(|(_, offer)| offer.price.is_some() && offer.url.as_deref() == Some(page))
            .map(|(index, _)| index);
        let first = at_page.next()?;
        at_page.next().is_none().then_some(first)
    }

    /// One product node as a raw offer, with its other buyable prices; a variant inherits what it does not say
    /// from its group.
    fn read_product(
        &self,
        node: &Map<String, Value>,
        group: Option<&Map<String, Value>>,
    ) -> (RawOffer, Vec<OfferFacts>) {
        let field = |key: &str| node.get(key).or_else(|| group.and_then(|group| group.get(key)));
        let mut offer = RawOffer { engine: ENGINE.to_string(), ..RawOffer::default() };
        offer.name = field("name").and_then(first_text).map(|name| clean_text(&name)).unwrap_or_default();
        offer.brand = field("brand").and_then(named_text).map(|brand| clean_text(&brand)).filter(|b| !b.is_empty());
        offer.image = field("image").and_then(image_url).and_then(|image| absolute_url(self.page_url, &image));
        offer.url = node.get("url").and_then(first_text).and_then(|url| absolute_url(self.page_url, &url));
        offer.sku = ["sku", "mpn", "productID"].iter().find_map(|key| node.get(*key).and_then(first_text));
        offer.gtin = gtin_of(node);
        offer.category = field("category").and_then(named_text).map(|category| clean_text(&category));
        let offer_nodes: Vec<&Map<String, Value>> =
            node.get("offers").map(|value| self.flatten_offers(value, 0)).unwrap_or_default();
        let all: Vec<OfferFacts> = offer_nodes.iter().map(|offer| self.read_offer(offer)).collect();
        let options = buyable_options(&all);
        let pool = match self.offer_at_page_url(&all) {
            Some(shown) => {
                let currency = all.iter().find_map(|offer| offer.currency.clone());
                let mut shown = all[shown].clone();
                shown.currency = shown.currency.or(currency);
                vec![shown]
            }
            None => all,
        };
        let facts = choose_offer(pool).or_else(|| Some(self.read_offer(node)).filter(|facts| facts.price.is_some()));
        if let Some(facts) = facts {
            facts.apply_to(&mut offer);
        }
        (offer, options)
    }

    /// Every `Offer` under an `offers` value: a single offer, a list, or an `AggregateOffer` with its own offers.
    fn flatten_offers<'v>(&'v self, value: &'v Value, depth: usize) -> Vec<&'v Map<String, Value>> {
        let mut out = Vec::new();
        if depth > 4 {
            return out;
        }
        for item in as_items(value) {
            let Some(object) = self.resolve(item).as_object() else { continue };
            out.push(object);
            if let Some(inner) = object.get("offers") {
                out.extend(self.flatten_offers(inner, depth + 1));
            }
        }
        out
    }

    fn read_offer(&self, node: &Map<String, Value>) -> OfferFacts {
        let mut facts = OfferFacts::default();
        let mut text_currency = None;
        for key in ["price", "lowPrice"] {
            if let Some((amount, currency)) = node.get(key).and_then(json_price) {
                facts.price = Some(amount);
                facts.summary = key == "lowPrice";
                text_currency = currency;
                break;
            }
        }
        facts.currency = node.get("priceCurrency").and_then(first_text).and_then(|c| currency_code(&c));
        if let Some(specification) = node.get("priceSpecification") {
            for spec in as_items(specification).map(|item| self.resolve(item)).filter_map(Value::as_object) {
                let Some((amount, spec_text_currency)) = spec.get("price").and_then(json_price) else { continue };
                let spec_currency = spec
                    .get("priceCurrency")
                    .and_then(first_text)
                    .and_then(|c| currency_code(&c))
                    .or(spec_text_currency);
                if is_previous_price_type(spec) {
                    facts.previous = Some(facts.previous.map_or(amount, |previous: Decimal| previous.max(amount)));
                } else if spec.get("referenceQuantity").is_none() && facts.price.is_none() {
                    facts.price = Some(amount);
                    text_currency = text_currency.or(spec_currency.clone());
                }
                facts.currency = facts.currency.or(spec_currency);
                if facts.valid_until.is_none() {
                    facts.valid_until = spec.get("validThrough").and_then(first_text).and_then(|t| valid_until(&t));
                }
            }
        }
        facts.currency = facts.currency.or(text_currency);
        facts.availability = node.get("availability").and_then(first_text).and_then(|a| Availability::parse(&a));
        facts.valid_until =
            node.get("priceValidUntil").and_then(first_text).and_then(|t| valid_until(&t)).or(facts.valid_until);
        facts.url = node.get("url").and_then(first_text).and_then(|url| absolute_url(self.page_url, &url));
        facts.gtin = gtin_of(node);
        facts.sku = node.get("sku").and_then(first_text);
        facts
    }
}

/// What one schema.org `Offer` says (also read from microdata, which shares the vocabulary).
#[derive(Debug, Default, Clone)]
pub(crate) struct OfferFacts {
    pub(crate) price: Option<Decimal>,
    pub(crate) previous: Option<Decimal>,
    pub(crate) currency: Option<String>,
    pub(crate) availability: Option<Availability>,
    pub(crate) valid_until: Option<chrono::DateTime<chrono::Utc>>,
    pub(crate) url: Option<String>,
    pub(crate) gtin: Option<String>,
    pub(crate) sku: Option<String>,
    /// The price is an `AggregateOffer`'s `lowPrice`: a summary of the offers, not one a buyer can pick.
    pub(crate) summary: bool,
}

impl OfferFacts {
    /// A variant already read as an offer, as the facts of its offer (to choose among variants like among offers).
    fn of_variant(offer: &RawOffer) -> OfferFacts {
        OfferFacts {
            price: offer.price,
            previous: offer.previous_price,
            currency: offer.currency.clone(),
            availability: offer.availability,
            valid_until: offer.valid_until,
            url: offer.url.clone(),
            gtin: offer.gtin.clone(),
            sku: offer.sku.clone(),
            summary: false,
        }
    }

    /// Puts the chosen offer's facts on the product; identifiers the product itself gives win.
    pub(crate) fn apply_to(self, offer: &mut RawOffer) {
        offer.price = self.price;
        offer.previous_price = real_previous(self.price, self.previous);
        offer.currency = self.currency;
        offer.availability = self.availability;
        offer.valid_until = self.valid_until;
        offer.url = offer.url.take().or(self.url);
        offer.gtin = offer.gtin.take().or(self.gtin);
        offer.sku = offer.sku.take().or(self.sku);
    }
}

/// The offer a buyer of the product would pay: among priced offers, the cheapest one in stock (or the cheapest
/// when none is), as a "from" price. Concrete offers win over an `AggregateOffer` summary of them. Offers without
/// a price are only kept for their availability, and availability is taken from offers at the chosen price first
/// (a sold-out size must not make the product look sold out).
pub(crate) fn choose_offer(offers: Vec<OfferFacts>) -> Option<OfferFacts> {
    let availability = offers.iter().find_map(|offer| offer.availability);
    let currency = offers.iter().find_map(|offer| offer.currency.clone());
    let priced: Vec<&OfferFacts> = offers.iter().filter(|offer| offer.price.is_some()).collect();
    let concrete: Vec<&OfferFacts> = priced.iter().copied().filter(|offer| !offer.summary).collect();
    let priced = if concrete.is_empty() { priced } else { concrete };
    let buyable: Vec<&OfferFacts> =
        priced.iter().copied().filter(|offer| !matches!(offer.availability, Some(Availability::OutOfStock))).collect();
    let pool = if buyable.is_empty() { &priced } else { &buyable };
    let mut chosen = pool.iter().min_by_key(|offer| offer.price).map(|offer| (*offer).clone())?;
    if chosen.previous.is_none() {
        chosen.previous = pool.iter().filter(|offer| offer.price == chosen.price).find_map(|offer| offer.previous);
    }
    let same_price = || offers.iter().filter(|offer| offer.price == chosen.price);
    let availability_at_price = same_price().find_map(|offer| offer.availability);
    let gtin_at_price = same_price().find_map(|offer| offer.gtin.clone());
    chosen.availability = chosen.availability.or(availability_at_price).or(availability);
    chosen.gtin = chosen.gtin.clone().or(gtin_at_price);
    chosen.currency = chosen.currency.or(currency);
    Some(chosen)
}

/// The index of the cheapest priced offer in stock (or the cheapest, when none is known to be), as a buyer sees the
/// price of a product sold in several variants.
fn cheapest_buyable(offers: &[OfferFacts]) -> Option<usize> {
    let priced = || offers.iter().enumerate().filter(|(_, offer)| offer.price.is_some());
    let buyable = priced().filter(|(_, offer)| !matches!(offer.availability, Some(Availability::OutOfStock)));
    buyable
        .min_by_key(|(_, offer)| offer.price)
        .or_else(|| priced().min_by_key(|(_, offer)| offer.price))
        .map(|(i, _)| i)
}

/// The buyable concrete offers with distinct prices, when there are several prices (else none: nothing to choose).
pub(crate) fn buyable_options(offers: &[OfferFacts]) -> Vec<OfferFacts> {
    let mut options: Vec<OfferFacts> = Vec::new();
    for offer in offers {
        let buyable = !offer.summary && !matches!(offer.availability, Some(Availability::OutOfStock));
        if buyable && offer.price.is_some() && !options.iter().any(|option| option.price == offer.price) {
            options.push(offer.clone());
        }
    }
    if options.len() > 1 { options } else { Vec::new() }
}

/// Main product first: declared main entity, then the product whose URL is the page's, then products outside
/// listings, then the one named like the page's heading, then products without a URL of another page, then priced
/// ones, then document order. Exact repeats (one node per size with the same data) are dropped. Also says whether
/// the first one stands on its own (outside lists), and gives its price options.
fn rank(mut found: Vec<Candidate>) -> (Vec<RawOffer>, bool, Vec<OfferFacts>) {
    found.sort_by_key(|candidate| {
        (
            !candidate.placement.main_entity,
            !candidate.url_is_page,
            candidate.placement.in_list,
            !candidate.named_as_page,
            candidate.url_elsewhere,
            candidate.offer.price.is_none(),
            candidate.order,
        )
    });
    let main_found = found.first().is_some_and(|first| !first.placement.in_list);
    let options = found.first().map(|first| first.options.clone()).unwrap_or_default();
    let mut offers: Vec<RawOffer> = Vec::with_capacity(found.len());
    for candidate in found {
        if !offers.contains(&candidate.offer) {
            offers.push(candidate.offer);
        }
    }
    (offers, main_found, options)
}

fn is_previous_price_type(spec: &Map<String, Value>) -> bool {
    spec.get("priceType").and_then(first_text).is_some_and(|price_type| is_previous_price_term(&price_type))
}

/// Whether a schema.org `priceType` names a crossed-out or recommended price rather than the price to pay.
pub(crate) fn is_previous_price_term(price_type: &str) -> bool {
    let key = schema_term(price_type).to_ascii_lowercase();
    matches!(key.as_str(), "strikethroughprice" | "listprice" | "msrp" | "srp")
}

/// The last segment of a schema.org term, as written bare, prefixed (`schema:Product`) or as a URL.
pub(crate) fn schema_term(term: &str) -> &str {
    term.rsplit(['/', '#', ':']).next().unwrap_or(term).trim()
}

fn types_of(object: &Map<String, Value>) -> Vec<&str> {
    object
        .get("@type")
        .map(|value| as_items(value).filter_map(Value::as_str).map(schema_term).collect())
        .unwrap_or_default()
}

fn has_type(object: &Map<String, Value>, wanted: &[&str]) -> bool {
    types_of(object).iter().any(|found| wanted.iter().any(|wanted| found.eq_ignore_ascii_case(wanted)))
}

fn is_product(object: &Map<String, Value>) -> bool {
    has_type(
        object,
        &["Product", "ProductGroup", "ProductModel", "IndividualProduct", "SomeProducts", "Vehicle", "Car"],
    )
}

/// A value that may be one item or a list of items, as items.
fn as_items(value: &Value) -> impl Iterator<Item = &Value> {
    let items: &[Value] = match value {
        Value::Array(items) => items,
        other => std::slice::from_ref(other),
    };
    items.iter()
}

/// The first string (or number, as text) in a value that may be a list.
fn first_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(text) => text.trim().to_string(),
        Value::Number(number) => number.to_string(),
        Value::Array(items) => return items.iter().find_map(first_text),
        Value::Object(object) => return object.get("@value").and_then(first_text),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// A brand or category: a string, or an object with a `name`.
fn named_text(value: &Value) -> Option<String> {
    match value {
        Value::Object(object) => object.get("name").and_then(first_text),
        Value::Array(items) => items.iter().find_map(named_text),
        other => first_text(other),
    }
}

/// An image: a URL string, an `ImageObject` (`url` or `contentUrl`), or a list of either.
fn image_url(value: &Value) -> Option<String> {
    match value {
        Value::Object(object) => ["url", "contentUrl"].iter().find_map(|key| object.get(*key).and_then(image_url)),
        Value::Array(items) => items.iter().find_map(image_url),
        other => first_text(other),
    }
}

fn gtin_of(node: &Map<String, Value>) -> Option<String> {
    ["gtin13", "gtin", "gtin14", "gtin12", "gtin8", "ean"].iter().find_map(|key| node.get(*key).and_then(first_text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://shop.example/p/kettle-123").unwrap()
    }

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn html_with(json: &str) -> String {
        format!("<html><head><script type=\"application/ld+json\">{json}</script></head><body></body></html>")
    }

    #[test]
    fn a_product_inside_a_graph_is_read_with_its_previous_price() {
        let html = html_with(
            r##"{"@context":"https://schema.org","@graph":[
              {"@type":"WebPage","@id":"https://shop.example/p/kettle-123#page","mainEntity":{"@id":"#product"}},
              {"@type":"Product","@id":"#product","name":"Kettle","sku":"K1","gtin13":"4006381333931",
               "brand":{"@type":"Brand","name":"Acme"},"image":{"@type":"ImageObject","url":"/img/k.jpg"},
               "offers":{"@type":"Offer","price":"19.99","priceCurrency":"eur","priceValidUntil":"2026-12-31",
                 "availability":"https://schema.org/InStock",
                 "priceSpecification":{"@type":"UnitPriceSpecification","priceType":"https://schema.org/StrikethroughPrice","price":"29.99","priceCurrency":"EUR"}}}]}"##,
        );
        let offers = extract(&html, &page());
        let main = &offers[0];
        assert_eq!(main.name, "Kettle");
        assert_eq!(main.price, Some(dec("19.99")));
        assert_eq!(main.previous_price, Some(dec("29.99")));
        assert_eq!(main.currency.as_deref(), Some("EUR"));
        assert_eq!(main.brand.as_deref(), Some("Acme"));
        assert_eq!(main.image.as_deref(), Some("https://shop.example/img/k.jpg"));
        assert_eq!(main.gtin.as_deref(), Some("4006381333931"));
        assert_eq!(main.availability, Some(Availability::InStock));
        assert!(main.valid_until.is_some());
        assert_eq!(main.engine, "json_ld");
    }

    #[test]
    fn a_list_price_specification_gives_the_price_and_the_list_price() {
        let html = html_with(
            r#"{"@type":["Product"],"name":"Lamp","offers":[{"@type":"Offer","priceCurrency":"GBP",
              "priceSpecification":[
                {"@type":"UnitPriceSpecification","price":45,"priceCurrency":"GBP"},
                {"@type":"UnitPriceSpecification","priceType":"ListPrice","price":"60.00"}]}]}"#,
        );
        let main = &extract(&html, &page())[0];
        assert_eq!(main.price, Some(dec("45")));
        assert_eq!(main.previous_price, Some(dec("60")));
        assert_eq!(main.currency.as_deref(), Some("GBP"));
    }

    #[test]
    fn a_product_group_gives_its_priced_variants_with_the_group_name() {
        let html = html_with(
            r#"{"@type":"ProductGroup","name":"Shirt","brand":"Acme","hasVariant":[
              {"@type":"Product","sku":"S-RED","offers":{"@type":"Offer","price":"12.50","priceCurrency":"EUR"}},
              {"@type":"Product","sku":"S-BLUE","url":"https://shop.example/p/kettle-123","offers":{"@type":"Offer","price":"13.50","priceCurrency":"EUR"}}]}"#,
        );
        let offers = extract(&html, &page());
        assert_eq!(offers.len(), 2);
        assert_eq!(offers[0].sku.as_deref(), Some("S-BLUE"), "the variant at the page URL comes first");
        assert_eq!(offers[0].name, "Shirt");
        assert_eq!(offers[1].brand.as_deref(), Some("Acme"));
    }

    #[test]
    fn an_entity_encoded_name_is_decoded() {
        let html = html_with(
            r#"{"@type":"Product","name":"11&quot; Tablet &amp; Case &#039;Pro&#039; caf&eacute;","offers":{"@type":"AggregateOffer","lowPrice":"109.0","highPrice":"129.0","priceCurrency":"EUR"}}"#,
        );
        let main = &extract(&html, &page())[0];
        assert_eq!(main.name, "11\" Tablet & Case 'Pro' café");
        assert_eq!(main.price, Some(dec("109")));
    }

    #[test]
    fn broken_json_ld_is_repaired_where_cheap_and_skipped_otherwise() {
        let html = format!(
            "{}{}{}",
            html_with(
                "<!-- {\"@type\":\"Product\",\"name\":\"Line\nbreak\",\"offers\":{\"price\":\"5.00\",\"priceCurrency\":\"USD\",},} -->"
            ),
            html_with("{\"@type\":\"Product\",\"name\":\"Broken\",\"offers\":{\"price\":"),
            html_with(
                "/*<![CDATA[*/{\"@type\":\"Organization\",\"name\":\"A\"}{\"@type\":\"Product\",\"name\":\"Second\"}/*]]>*/"
            ),
        );
        let offers = extract(&html, &page());
        assert_eq!(offers[0].name, "Line break");
        assert_eq!(offers[0].price, Some(dec("5.00")));
        assert!(offers.iter().any(|offer| offer.name == "Second"), "several objects in one script are all read");
        assert!(!offers.iter().any(|offer| offer.name == "Broken"));
    }

    #[test]
    fn hostile_input_never_panics() {
        let deep = "[".repeat(10_000);
        for html in [
            "<script type=\"application/ld+json\">".to_string(),
            html_with(&deep),
            html_with("\u{0}\u{1}{\"@type\":\"Product\""),
            "ld+json<script".to_string(),
            html_with("{\"@type\":\"Product\",\"offers\":{\"price\":\"1e400\"}}"),
        ] {
            let _ = extract(&html, &page());
        }
    }

    #[test]
    fn products_in_an_item_list_come_after_the_page_product() {
        let html = format!(
            "{}{}",
            html_with(
                r#"{"@type":"ItemList","itemListElement":[{"@type":"ListItem","item":{"@type":"Product","name":"Other","offers":{"price":"3","priceCurrency":"EUR"}}}]}"#
            ),
            html_with(r#"{"@type":"Product","name":"Kettle","offers":{"price":"9","priceCurrency":"EUR"}}"#),
        );
        assert_eq!(extract(&html, &page())[0].name, "Kettle");
    }

    #[test]
    fn a_product_reviewed_by_a_rating_node_is_found() {
        let html = html_with(
            r#"{"@type":"AggregateRating","itemReviewed":{"@type":"Product","name":"Oven","offers":{"@type":"AggregateOffer","lowPrice":"109.0","priceCurrency":"EUR"}}}"#,
        );
        assert_eq!(extract(&html, &page())[0].name, "Oven");
    }

    #[test]
    fn the_offer_the_page_url_names_is_the_price_even_when_another_variant_is_cheaper() {
        let page = Url::parse("https://shop.example/products/shell?variant=2").unwrap();
        let html = html_with(
            r#"{"@type":"Product","name":"Shell","offers":[
              {"@type":"Offer","price":"159.00","priceCurrency":"USD","url":"https://shop.example/products/shell?variant=1"},
              {"@type":"Offer","price":"129.00","priceCurrency":"USD","url":"https://shop.example/products/shell?variant=2"},
              {"@type":"Offer","price":"119.00","priceCurrency":"USD","url":"https://shop.example/products/shell?variant=3"}]}"#,
        );
        let found = read(&html, &page, &PageIdentity::scan(&html, &page));
        assert_eq!(found.offers[0].price, Some(dec("129")));
        assert!(found.main_found);
        let without_variant = Url::parse("https://shop.example/products/shell").unwrap();
        let cheapest = read(&html, &without_variant, &PageIdentity::scan(&html, &without_variant));
        assert_eq!(cheapest.offers[0].price, Some(dec("119")), "no variant named: the cheapest in stock");
        assert_eq!(cheapest.price_options.len(), 3, "the other prices are options the page may show");
    }

    #[test]
    fn a_product_group_stands_for_its_cheapest_variant_in_stock() {
        let html = html_with(
            r#"{"@type":"ProductGroup","name":"Jas","hasVariant":[
              {"@type":"Product","sku":"S","offers":{"price":"89.95","priceCurrency":"EUR","availability":"https://schema.org/OutOfStock"}},
              {"@type":"Product","sku":"M","offers":{"price":"99.95","priceCurrency":"EUR","availability":"https://schema.org/InStock"}},
              {"@type":"Product","sku":"L","offers":{"price":"109.95","priceCurrency":"EUR","availability":"https://schema.org/InStock"}}]}"#,
        );
        let offers = extract(&html, &page());
        assert_eq!(offers[0].sku.as_deref(), Some("M"));
        assert_eq!(offers[0].price, Some(dec("99.95")));
    }

    #[test]
    fn an_aggregate_offer_s_low_price_yields_to_its_concrete_offers_in_stock() {
        let html = html_with(
            r#"{"@type":"Product","name":"Chaqueta","offers":{"@type":"AggregateOffer","lowPrice":"39.95","highPrice":"64.95","priceCurrency":"EUR",
              "offers":[{"@type":"Offer","price":"39.95","availability":"https://schema.org/OutOfStock"},
                        {"@type":"Offer","price":"49.95","availability":"https://schema.org/InStock"}]}}"#,
        );
        assert_eq!(extract(&html, &page())[0].price, Some(dec("49.95")));
    }

    #[test]
    fn the_product_named_like_the_page_heading_beats_a_bundle_with_its_own_url() {
        let html = format!(
            "{}{}<body><h1>Robot Chef Pro 1200</h1></body>",
            html_with(
                r#"{"@type":"Product","name":"Pack Chef Pro + hachoir","url":"https://shop.example/p/pack","offers":{"price":"449","priceCurrency":"EUR"}}"#
            ),
            html_with(
                r#"{"@type":"Product","name":"Robot Chef Pro 1200","offers":{"price":"329","priceCurrency":"EUR"}}"#
            ),
        );
        let found = read(&html, &page(), &PageIdentity::scan(&html, &page()));
        assert_eq!(found.offers[0].name, "Robot Chef Pro 1200");
        assert!(found.main_found);
    }

    #[test]
    fn a_listing_or_an_event_has_no_product_of_its_own() {
        let listing = html_with(
            r#"{"@type":"SearchResultsPage","mainEntity":{"@type":"ItemList","itemListElement":[
              {"@type":"ListItem","item":{"@type":"Product","name":"Skillet","offers":{"price":"24.99","priceCurrency":"USD"}}}]}}"#,
        );
        let found = read(&listing, &page(), &PageIdentity::default());
        assert!(!found.main_found, "a listed product is not the page's");
        assert!(found.other_page_kind);
        let event = html_with(
            r#"{"@type":"MusicEvent","name":"Trio","offers":{"@type":"Offer","price":"24","priceCurrency":"EUR"}}"#,
        );
        let found = read(&event, &page(), &PageIdentity::default());
        assert!(found.offers.is_empty());
        assert!(found.other_page_kind);
    }

    #[test]
    fn a_previous_price_equal_to_the_price_is_not_a_reduction() {
        let html = html_with(
            r#"{"@type":"Product","name":"Mug","offers":{"price":"5","priceCurrency":"EUR","priceSpecification":{"priceType":"StrikethroughPrice","price":"5.00"}}}"#,
        );
        assert_eq!(extract(&html, &page())[0].previous_price, None);
    }
}
