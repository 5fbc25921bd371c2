//! A regular expression that tells a shop's product pages from its other pages, learnt from examples.
//!
//! A sitemap or a listing mixes product pages with categories, brands, help and legal pages. `shop new` has read a
//! few of them and knows which gave a product; it writes a pattern into the shop file so that a crawl fetches only
//! product pages. Shops build product URLs in a handful of ways (a `/p/` or `/products/` directory, a numeric id at
//! the end, `.html`), so the candidates are those shapes, tried from the most readable; the first that matches
//! every product page and none of the others is kept. The pattern ignores the host, so it survives a move to
//! `www.` or a test server's port.

use regex::Regex;
use url::Url;

/// Directory names shops give their product pages, in the languages dealcast meets.
const PRODUCT_DIRECTORIES: &[&str] = &[
    "p", "product", "products", "produit", "produits", "artikel", "item", "items", "dp", "prodotto", "producto",
    "produkt", "produto",
];

/// Candidate shapes for the last path segment of a product URL (an id at the end, PrestaShop's `12-name.html`,
/// Kiabi-like `_P123C456`, `.html`).
const LAST_SEGMENT_SHAPES: &[&str] =
    &[r"-\d+\.html?$", r"/\d+-[^/]+\.html?$", r"_[pP]\d+[^/]*$", r"-\d+$", r"\d+\.html?$", r"\.html?$", r"/\d+$"];

/// The most readable pattern matching every URL of `products` and none of `others`, or `None` when no candidate
/// shape separates them (then every page is read and the engine tells products from the rest).
pub fn product_url_pattern(products: &[Url], others: &[Url]) -> Option<String> {
    if products.is_empty() {
        return None;
    }
    candidates(products).into_iter().find(|pattern| {
        Regex::new(pattern).is_ok_and(|regex| {
            products.iter().all(|url| regex.is_match(url.as_str()))
                && !others.iter().any(|url| regex.is_match(url.as_str()))
        })
    })
}

fn segments(url: &Url) -> Vec<String> {
    url.path_segments().map(|s| s.filter(|s| !s.is_empty()).map(str::to_string).collect()).unwrap_or_default()
}

/// Candidate patterns, the most likely to hold for the whole shop first: a product directory by its usual name,
/// then the shape of the product's own segment, and only then directories the samples happen to share (a few
/// samples from one category share `/femme/`, which the shop's other products do not).
fn candidates(products: &[Url]) -> Vec<String> {
    let paths: Vec<Vec<String>> = products.iter().map(segments).collect();
    let directories = |path: &Vec<String>| path[..path.len().saturating_sub(1)].to_vec();
    let mut found = Vec::new();
    let mut push = |pattern: String| {
        if !found.contains(&pattern) {
            found.push(pattern);
        }
    };
    for name in PRODUCT_DIRECTORIES {
        if paths.iter().all(|p| directories(p).iter().any(|d| d.eq_ignore_ascii_case(name))) {
            push(format!(r"/{}/[^?#]+", regex::escape(name)));
        }
    }
    for shape in LAST_SEGMENT_SHAPES {
        push(format!(r"^https?://[^/]+/[^?#]*{shape}"));
    }
    // The directories every product URL starts with ("/fr/p/"), longest first, then each shorter prefix.
    let shortest = paths.iter().map(|p| p.len().saturating_sub(1)).min().unwrap_or(0);
    let shared = (0..shortest).take_while(|&depth| paths.iter().all(|p| p[depth] == paths[0][depth])).count();
    for length in (1..=shared).rev() {
        let prefix: Vec<String> = paths[0][..length].iter().map(|s| regex::escape(s)).collect();
        push(format!(r"^https?://[^/]+/{}/[^?#]+", prefix.join("/")));
    }
    // A directory every product URL has somewhere (after a varying language prefix).
    if let Some(first) = paths.first() {
        for directory in directories(first) {
            if paths.iter().all(|p| directories(p).contains(&directory)) {
                push(format!(r"/{}/[^?#]+", regex::escape(&directory)));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(list: &[&str]) -> Vec<Url> {
        list.iter().map(|u| Url::parse(u).unwrap()).collect()
    }

    fn matches(pattern: &str, url: &str) -> bool {
        Regex::new(pattern).unwrap().is_match(url)
    }

    #[test]
    fn a_shared_product_directory_is_the_pattern() {
        let products = urls(&["https://s.example/p/robe-midi", "https://s.example/p/jean-droit"]);
        let others = urls(&["https://s.example/", "https://s.example/femme/robes", "https://s.example/aide/retours"]);
        let pattern = product_url_pattern(&products, &others).unwrap();
        assert_eq!(pattern, r"/p/[^?#]+");
        assert!(matches(&pattern, "http://127.0.0.1:8080/p/pull-laine"));
        assert!(!matches(&pattern, "https://s.example/pages/p"));
    }

    #[test]
    fn a_numeric_suffix_separates_products_when_directories_do_not() {
        let products = urls(&["https://s.example/femme/robe-longue-1234.html", "https://s.example/homme/jean-98.html"]);
        let others = urls(&["https://s.example/femme.html", "https://s.example/content/cgv.html"]);
        let pattern = product_url_pattern(&products, &others).unwrap();
        assert!(products.iter().all(|u| matches(&pattern, u.as_str())), "{pattern}");
        assert!(!others.iter().any(|u| matches(&pattern, u.as_str())), "{pattern}");
    }

    #[test]
    fn a_category_directory_shared_by_the_samples_is_not_taken_for_the_product_directory() {
        let products = urls(&["https://s.example/femme/12-robe-midi.html", "https://s.example/femme/15-jupe.html"]);
        let others = urls(&["https://s.example/3-femme", "https://s.example/content/1-livraison"]);
        let pattern = product_url_pattern(&products, &others).unwrap();
        assert!(matches(&pattern, "https://s.example/homme/40-pull-laine.html"), "{pattern}");
    }

    #[test]
    fn a_directory_after_a_varying_language_prefix_is_found() {
        let products = urls(&["https://s.example/fr/article/a", "https://s.example/en/article/b"]);
        let others = urls(&["https://s.example/fr/aide", "https://s.example/en/categorie/c"]);
        assert_eq!(product_url_pattern(&products, &others).unwrap(), r"/article/[^?#]+");
    }

    #[test]
    fn no_pattern_when_nothing_tells_products_apart() {
        let products = urls(&["https://s.example/robe", "https://s.example/jean"]);
        let others = urls(&["https://s.example/aide"]);
        assert_eq!(product_url_pattern(&products, &others), None);
        assert_eq!(product_url_pattern(&[], &others), None);
    }
}
