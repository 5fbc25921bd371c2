//! The text of a new `scrapers/<id>.toml`, with a comment on every choice `shop new` made.
//!
//! A shop file is read and edited by people: the shop adder who checks it, the operator who wonders months later
//! why a shop is read through its sitemap. So each choice is written with the reason and the evidence that led to
//! it, and values are written as a person would (literal strings for regular expressions). The text is parsed
//! back by the registry's own loader before it is written (see `onboard::write`), so a draft that would not load
//! is never saved.

use std::fmt::Write as _;

use url::Url;

use crate::scrape::shop_spec::SelectorsSpec;

/// The engine chosen, with its options.
#[derive(Debug, Clone)]
pub enum EngineDraft {
    /// An engine without options (`auto`, `json_ld`, `shopify`, `woocommerce`...).
    Named(&'static str),
    /// The `selectors` engine with derived selectors.
    Selectors(Box<SelectorsSpec>),
}

/// Where the sitemaps come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SitemapsDraft {
    /// No sitemap discovery.
    Off,
    /// The `Sitemap:` lines of robots.txt.
    FromRobots,
    /// These sitemap URLs.
    Listed(Vec<Url>),
}

/// Everything the new shop file says, with the reasons.
#[derive(Debug, Clone)]
pub struct ShopFileDraft {
    pub name: String,
    pub homepage: Url,
    pub currency: String,
    pub language: String,
    /// Comment lines for the top of the file (what was probed, what to check by hand).
    pub header: Vec<String>,
    pub engine: EngineDraft,
    /// Why this engine.
    pub engine_why: Vec<String>,
    pub start_urls: Vec<Url>,
    pub sitemaps: SitemapsDraft,
    pub product_urls: Option<String>,
    pub product_links: Option<String>,
    pub pagination: Option<String>,
    pub follow_only: Option<String>,
    pub max_pages: Option<u32>,
    /// Why this way of walking the shop.
    pub crawl_why: Vec<String>,
}

/// A TOML string: a literal string ('…') when it can be one, so regular expressions keep their backslashes as
/// written; a basic string otherwise.
pub fn toml_string(text: &str) -> String {
    if !text.contains('\'') && !text.contains('\n') && !text.chars().any(char::is_control) {
        format!("'{text}'")
    } else {
        toml::Value::String(text.to_string()).to_string()
    }
}

/// Comment lines, wrapped at the width of the shop files written by hand.
fn comment(out: &mut String, lines: &[String]) {
    const WIDTH: usize = 116;
    for line in lines {
        for part in line.lines() {
            let mut current = String::new();
            for word in part.split_whitespace() {
                if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > WIDTH {
                    let _ = writeln!(out, "# {current}");
                    current.clear();
                }
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(word);
            }
            let _ = writeln!(out, "# {current}");
        }
    }
}

impl ShopFileDraft {
    /// The file's text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        comment(&mut out, &self.header);
        let _ = writeln!(out, "name = {}", toml_string(&self.name));
        let _ = writeln!(out, "homepage = {}", toml_string(self.homepage.as_str()));
        let _ = writeln!(out, "# The currency of prices that do not say theirs, and the language of the pages.");
        let _ = writeln!(out, "currency = {}", toml_string(&self.currency));
        let _ = writeln!(out, "language = {}", toml_string(&self.language));
        let _ =
            writeln!(out, "# Twice a day, morning and evening: most shops change prices overnight or at lunchtime.");
        let _ = writeln!(out, "schedule = \"0 30 6,18 * * *\"");
        let _ = writeln!(out, "timezone = \"Europe/Paris\"");
        out.push_str("\n[engine]\n");
        comment(&mut out, &self.engine_why);
        match &self.engine {
            EngineDraft::Named(kind) => {
                let _ = writeln!(out, "kind = {}", toml_string(kind));
            }
            EngineDraft::Selectors(spec) => {
                let _ = writeln!(out, "kind = \"selectors\"");
                let mut field = |name: &str, value: Option<&str>| {
                    if let Some(value) = value {
                        let _ = writeln!(out, "{name} = {}", toml_string(value));
                    }
                };
                field("title", Some(&spec.title.text));
                field("price", spec.price.as_ref().map(|s| s.text.as_str()));
                field("previous_price", spec.previous_price.as_ref().map(|s| s.text.as_str()));
                field("image", spec.image.as_ref().map(|s| s.text.as_str()));
            }
        }
        out.push_str("\n[crawl]\n");
        comment(&mut out, &self.crawl_why);
        if !self.start_urls.is_empty() {
            let urls: Vec<String> = self.start_urls.iter().map(|u| toml_string(u.as_str())).collect();
            let _ = writeln!(out, "start_urls = [{}]", urls.join(", "));
        }
        match &self.sitemaps {
            SitemapsDraft::Off => {}
            SitemapsDraft::FromRobots => out.push_str("sitemaps = true\n"),
            SitemapsDraft::Listed(urls) => {
                let urls: Vec<String> = urls.iter().map(|u| toml_string(u.as_str())).collect();
                let _ = writeln!(out, "sitemaps = [{}]", urls.join(", "));
            }
        }
        for (name, value) in [
            ("product_urls", &self.product_urls),
            ("product_links", &self.product_links),
            ("pagination", &self.pagination),
            ("follow_only", &self.follow_only),
        ] {
            if let Some(value) = value {
                let _ = writeln!(out, "{name} = {}", toml_string(value));
            }
        }
        if let Some(max_pages) = self.max_pages {
            let _ = writeln!(out, "max_pages = {max_pages}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::toml_problems::parse_all;
    use crate::scrape::shop_spec::{EngineSpec, ShopSpec};

    fn draft() -> ShopFileDraft {
        ShopFileDraft {
            name: "Boutique d'Anna".to_string(),
            homepage: Url::parse("https://anna.example/").unwrap(),
            currency: "EUR".to_string(),
            language: "fr".to_string(),
            header: vec!["Written by `dealcast shop new`.".to_string()],
            engine: EngineDraft::Named("json_ld"),
            engine_why: vec!["Every sample page has a schema.org Product in JSON-LD.".to_string()],
            start_urls: Vec::new(),
            sitemaps: SitemapsDraft::FromRobots,
            product_urls: Some(r"^https?://[^/]+/p/[^?#]+".to_string()),
            product_links: None,
            pagination: None,
            follow_only: None,
            max_pages: Some(1200),
            crawl_why: vec![format!("robots.txt lists a sitemap index. {}", "Long reasons are wrapped. ".repeat(12))],
        }
    }

    #[test]
    fn a_draft_renders_to_a_shop_file_that_loads_as_written() {
        let text = draft().render();
        assert!(text.contains("product_urls = '^https?://[^/]+/p/[^?#]+'"), "{text}");
        assert!(text.contains("# Every sample page has a schema.org Product in JSON-LD."), "{text}");
        assert!(text.lines().filter(|l| l.starts_with('#')).all(|l| l.chars().count() <= 118), "{text}");
        assert!(text.contains("# robots.txt lists a sitemap index. Long reasons"), "{text}");
        let spec: ShopSpec = parse_all(&text).unwrap_or_else(|p| panic!("{p:#?}\n{text}"));
        assert_eq!(spec.name, "Boutique d'Anna");
        assert_eq!(spec.engine.name(), "json_ld");
        assert_eq!(spec.crawl.max_pages.get(), 1200);
    }

    #[test]
    fn derived_selectors_are_written_as_an_engine_table() {
        let mut draft = draft();
        let spec: SelectorsSpec =
            parse_all("title = \"h1\"\nprice = \".price-now\"\nprevious_price = \"del\"\n").unwrap();
        draft.engine = EngineDraft::Selectors(Box::new(spec));
        let text = draft.render();
        let loaded: ShopSpec = parse_all(&text).unwrap_or_else(|p| panic!("{p:#?}\n{text}"));
        let EngineSpec::Selectors(selectors) = loaded.engine else { panic!("{text}") };
        assert_eq!(selectors.price.unwrap().text, ".price-now");
        assert_eq!(selectors.previous_price.unwrap().text, "del");
    }
}
