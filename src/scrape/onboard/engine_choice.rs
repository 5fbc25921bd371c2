//! Which engine reads a shop's sample product pages, and why: the most specific engine that reads every sample as
//! well as `auto` does, or selectors derived from the pages when only the visible-price heuristic reads them.
//!
//! `auto` is the reference: it chains every parse half and completes the main product from the others. A named
//! engine is preferred when it alone gives the same main product on every sample (a shop file that says `json_ld`
//! breaks loudly when the shop drops its JSON-LD, where `auto` would silently fall back to guessing); when the
//! samples disagree on which markup answers, `auto` stays.

use url::Url;

use crate::scrape::engines::auto::AutoExtraction;
use crate::scrape::engines::dispatch::{engine_by_name, extract_document};
use crate::scrape::offer::RawOffer;
use crate::scrape::onboard::derived_selectors::{self, Sample};
use crate::scrape::onboard::platform::Platform;
use crate::scrape::onboard::shop_file::EngineDraft;

/// A product page read during the probe.
pub struct ProductSample {
    pub url: Url,
    pub html: String,
    /// What `auto` read.
    pub auto: AutoExtraction,
    /// The page's product as the most trusted reader gave it: the platform's own product JSON where the platform
    /// has one in its pages (PrestaShop), else `auto`'s main product.
    pub product: RawOffer,
}

impl ProductSample {
    /// The page's product (samples are only kept when it is priced).
    pub fn main(&self) -> &RawOffer {
        &self.product
    }
}

/// The chosen engine and the reasons, one sentence each.
pub struct EngineChoice {
    pub engine: EngineDraft,
    pub why: Vec<String>,
}

/// Two readings of a page's main product agree on what a deal reader sees.
pub fn same_product(a: &RawOffer, b: &RawOffer) -> bool {
    a.name == b.name && a.price == b.price && a.previous_price == b.previous_price && a.currency == b.currency
}

/// Whether engine `name` alone gives `auto`'s main product on every sample.
fn reads_all(name: &str, samples: &[ProductSample], currency: &str) -> bool {
    let Some(engine) = engine_by_name(name) else { return false };
    samples.iter().all(|sample| {
        extract_document(
            &engine,
            &sample.html,
            &sample.url,
            Some(currency),
            crate::scrape::shop_spec::TimeZone::default().0,
        )
        .ok()
        .and_then(|offers| offers.into_iter().next())
        .is_some_and(|main| same_product(&main, sample.main()))
    })
}

/// Chooses the engine for the samples of a shop on `platform`.
pub fn choose(platform: Platform, samples: &[ProductSample], currency: &str) -> EngineChoice {
    let count = samples.len();
    // The platform's own product JSON is the shop's truth: when it gave every sample, it is the engine, whatever
    // `auto` made of the visible page.
    let platform_read_all = samples.iter().all(|s| s.product.engine == "prestashop");
    if platform == Platform::PrestaShop && platform_read_all && reads_all("prestashop", samples, currency) {
        return EngineChoice {
            engine: EngineDraft::Named("prestashop"),
            why: vec![format!(
                "PrestaShop: the product JSON PrestaShop puts in its product pages gives the product, price and \
                 crossed-out price on all {count} sample pages."
            )],
        };
    }
    let answering: Vec<&'static str> = samples.iter().filter_map(|s| s.auto.engine).collect();
    let single = answering.first().copied().filter(|first| answering.iter().all(|e| e == first));
    match single {
        Some(engine @ ("json_ld" | "microdata" | "opengraph")) if reads_all(engine, samples, currency) => {
            EngineChoice {
                engine: EngineDraft::Named(engine),
                why: vec![format!(
                    "On all {count} sample pages the {} alone gives the product, its price and crossed-out price \
                     as `auto` reads them; a named engine fails loudly in `shop check` if the shop drops it.",
                    markup_name(engine)
                )],
            }
        }
        Some("heuristic") => heuristic_choice(samples, currency),
        _ => {
            let mut engines = answering.clone();
            engines.sort_unstable();
            engines.dedup();
            EngineChoice {
                engine: EngineDraft::Named("auto"),
                why: vec![format!(
                    "`auto`: the sample pages are read by {} (structured data completed by the visible page); no \
                     single engine reads them all as well.",
                    engines.iter().map(|e| markup_name(e)).collect::<Vec<_>>().join(", ")
                )],
            }
        }
    }
}

fn heuristic_choice(samples: &[ProductSample], currency: &str) -> EngineChoice {
    let count = samples.len();
    let derived: Vec<Sample<'_>> =
        samples.iter().map(|s| Sample { html: &s.html, url: &s.url, product: s.main() }).collect();
    match derived_selectors::derive(&derived, currency) {
        Some(spec) => EngineChoice {
            engine: EngineDraft::Selectors(Box::new(spec)),
            why: vec![format!(
                "No structured data on the sample pages: these selectors were derived from the {count} samples \
                 (title, price and crossed-out price as the visible page shows them) and read every sample back \
                 identically. Check them against a page in your browser."
            )],
        },
        None => EngineChoice {
            engine: EngineDraft::Named("auto"),
            why: vec![format!(
                "No structured data on the sample pages, and no simple CSS selector reads all {count} samples: \
                 `auto` reads the visible price near the title. Check a few products by hand."
            )],
        },
    }
}

fn markup_name(engine: &str) -> &str {
    match engine {
        "json_ld" => "schema.org JSON-LD",
        "microdata" => "schema.org microdata",
        "opengraph" => "OpenGraph price tags",
        "embedded_json" => "the page state JSON (Next.js/Nuxt)",
        "heuristic" => "the visible-price heuristic",
        other => other,
    }
}
