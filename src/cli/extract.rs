//! `dealcast extract FILE --url URL`: what dealcast sees in a saved page, as JSON lines. This is how a shop adder
//! checks a page before writing expectations for it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use url::Url;

use crate::config::Config;
use crate::scrape::engines::dispatch::{engine_by_name, extract_document};
use crate::scrape::fetch::decode_body;
use crate::scrape::fixtures::read_saved_page;
use crate::scrape::registry::Registry;

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The saved page (HTML, products.json, a Store API or GraphQL answer, feed); gzip-compressed files are read too.
    pub file: PathBuf,
    /// The URL the page was saved from (relative links are resolved against it).
    #[arg(long)]
    pub url: Url,
    /// The engine: auto (default), json_ld, microdata, opengraph, shopify, woocommerce, prestashop, magento, feed.
    #[arg(long, conflicts_with = "shop")]
    pub engine: Option<String>,
    /// Read the page the way this shop's file says (its engine, selectors and currency).
    #[arg(long)]
    pub shop: Option<String>,
}

pub fn run(args: ExtractArgs, config: &Config) -> anyhow::Result<ExitCode> {
    // Without a shop file, end dates are read as a shop file without `timezone` would have them.
    let (engine, currency, zone) = match (&args.shop, &args.engine) {
        (Some(shop), _) => {
            let registry = Registry::load(&config.scrapers_dir)?;
            let shop = registry.get(shop)?;
            (shop.spec.engine.clone(), Some(shop.spec.currency.0.clone()), shop.spec.timezone.0)
        }
        (None, Some(name)) => (
            engine_by_name(name).with_context(|| {
                format!(
                    "unknown engine `{name}`: use auto, json_ld, microdata, opengraph, shopify, woocommerce, prestashop, \
                     magento or feed (selectors: --shop)"
                )
            })?,
            None,
            crate::scrape::shop_spec::TimeZone::default().0,
        ),
        (None, None) => (crate::scrape::shop_spec::EngineSpec::Auto, None, crate::scrape::shop_spec::TimeZone::default().0),
    };
    let bytes = read_saved_page(&args.file).with_context(|| format!("could not read {}", args.file.display()))?;
    let (text, _encoding) = decode_body(&bytes, None);
    let offers = extract_document(&engine, &text, &args.url, currency.as_deref(), zone)
        .with_context(|| format!("could not read {}", args.file.display()))?;
    let mut out = std::io::stdout().lock();
    for offer in &offers {
        serde_json::to_writer(&mut out, offer)?;
        out.write_all(b"\n")?;
    }
    if offers.is_empty() {
        eprintln!("No offer found in {} (engine {}).", args.file.display(), engine.name());
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
