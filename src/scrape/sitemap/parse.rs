//! Reading one sitemap file: its `<url>` entries (a `<urlset>`) or the sitemaps it lists (a `<sitemapindex>`),
//! each with its `<lastmod>`. Pure: the text in, the entries out.
//!
//! quick-xml does the XML (entities, character references, CDATA, namespaces). The sitemap elements are those in
//! the root element's namespace: the sitemaps.org one, Google's old one, or none at all, as shops write them; the
//! extensions shops add (`<image:loc>`, `<xhtml:link>`, `<news:…>`) are in other namespaces and skipped, so an
//! image's `<image:loc>` is never taken for a page. Entries whose `<loc>` is not an http(s) URL are counted and
//! skipped, not fatal: one bad line must not cost the other 49,999. sitemaps.org also allows a plain text file of
//! one URL per line: a body that does not start with `<` is read that way.

use chrono::{DateTime, Utc};
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use url::Url;

use super::SitemapUrl;
use super::errors::SitemapError;
use super::lastmod::parse_lastmod;

/// What kind of sitemap a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitemapKind {
    /// A `<urlset>`: pages of the site.
    Urlset,
    /// A `<sitemapindex>`: other sitemaps.
    Index,
}

/// One sitemap file, read.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedSitemap {
    pub kind: SitemapKind,
    /// Pages (of a urlset) or sitemaps (of an index), in file order, with their `<lastmod>`.
    pub entries: Vec<SitemapUrl>,
    /// Entries skipped because their `<loc>` was missing or not an http(s) URL.
    pub bad_entries: usize,
    /// The first such `<loc>`, as written, to show the shop adder.
    pub first_bad: Option<String>,
}

/// Which sitemap element the reader is inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inside {
    Root,
    /// `<url>` or `<sitemap>`.
    Entry,
    Loc,
    Lastmod,
    /// Anything else: an extension, or an element out of place.
    Other,
}

/// Reads sitemap `url` (its text, already inflated and decoded): XML, or plain text of one URL per line. Relative
/// URLs, which sitemaps.org forbids but some shops write, are resolved against the sitemap's URL.
pub fn parse_sitemap(url: &Url, text: &str) -> Result<ParsedSitemap, SitemapError> {
    match text.trim_start().chars().next() {
        None => Err(SitemapError::Empty { url: url.clone() }),
        Some('<') => parse_xml_sitemap(url, text),
        Some(_) => Ok(parse_text_sitemap(url, text)),
    }
}

/// A text sitemap: every non-empty line is a page's absolute URL (no `<lastmod>` in this form). Relative lines are
/// not resolved here, unlike `<loc>`s: in a text body they are more likely words (a plain-text error page) than paths.
fn parse_text_sitemap(url: &Url, text: &str) -> ParsedSitemap {
    let mut parsed = ParsedSitemap { kind: SitemapKind::Urlset, entries: Vec::new(), bad_entries: 0, first_bad: None };
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        match Url::parse(line) {
            Ok(_) => add_entry(url, line, None, &mut parsed),
            Err(_) => count_bad(line, &mut parsed),
        }
    }
    parsed
}

fn parse_xml_sitemap(url: &Url, xml: &str) -> Result<ParsedSitemap, SitemapError> {
    let mut reader = NsReader::from_str(xml);
    // Unescaped `&` in URLs is the commonest sitemap mistake; a lone one is kept as written.
    reader.config_mut().allow_dangling_amp = true;
    let xml_error = |reader: &NsReader<&[u8]>, source: quick_xml::Error| SitemapError::Xml {
        url: url.clone(),
        position: reader.error_position(),
        source: Box::new(source),
    };

    let mut parsed = ParsedSitemap { kind: SitemapKind::Urlset, entries: Vec::new(), bad_entries: 0, first_bad: None };
    let mut root_namespace: Option<Option<Vec<u8>>> = None;
    let mut stack: Vec<Inside> = Vec::new();
    let (mut loc, mut lastmod) = (String::new(), String::new());
    loop {
        let read = reader.read_resolved_event();
        let (namespace, event) = match read {
            Ok(read) => read,
            Err(source) => return Err(xml_error(&reader, source)),
        };
        let namespace = match namespace {
            ResolveResult::Unbound => Some(None),
            ResolveResult::Bound(namespace) => Some(Some(namespace.as_ref().to_vec())),
            ResolveResult::Unknown(_) => None,
        };
        match event {
            Event::Start(ref element) | Event::Empty(ref element) => {
                let empty = matches!(event, Event::Empty(_));
                let name = element.local_name();
                let inside = match (root_namespace.as_ref(), stack.last()) {
                    (None, _) => {
                        parsed.kind = match name.as_ref() {
                            b"urlset" => SitemapKind::Urlset,
                            b"sitemapindex" => SitemapKind::Index,
                            other => {
                                let root = String::from_utf8_lossy(other).into_owned();
                                return Err(SitemapError::NotASitemap { url: url.clone(), root });
                            }
                        };
                        root_namespace = Some(namespace.clone().flatten());
                        Inside::Root
                    }
                    (Some(root), Some(parent)) if namespace.as_ref() == Some(root) => {
                        match (parent, parsed.kind, name.as_ref()) {
                            (Inside::Root, SitemapKind::Urlset, b"url")
                            | (Inside::Root, SitemapKind::Index, b"sitemap") => Inside::Entry,
                            (Inside::Entry, _, b"loc") => Inside::Loc,
                            (Inside::Entry, _, b"lastmod") => Inside::Lastmod,
                            _ => Inside::Other,
                        }
                    }
                    // Another namespace, or after the root element closed.
                    _ => Inside::Other,
                };
                if inside == Inside::Entry {
                    loc.clear();
                    lastmod.clear();
                }
                stack.push(inside);
                if empty {
                    close(url, stack.pop(), &mut loc, &lastmod, &mut parsed);
                }
            }
            Event::End(_) => close(url, stack.pop(), &mut loc, &lastmod, &mut parsed),
            Event::Text(text) => {
                if let Some(field) = field(&stack, &mut loc, &mut lastmod) {
                    field.push_str(&text.decode().map_err(|e| xml_error(&reader, e.into()))?);
                }
            }
            Event::CData(text) => {
                if let Some(field) = field(&stack, &mut loc, &mut lastmod) {
                    field.push_str(&text.decode().map_err(|e| xml_error(&reader, e.into()))?);
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(field) = field(&stack, &mut loc, &mut lastmod) {
                    match reference.resolve_char_ref().map_err(|e| xml_error(&reader, e))? {
                        Some(character) => field.push(character),
                        None => {
                            let name = reference.decode().map_err(|e| xml_error(&reader, e.into()))?;
                            // An entity the file declared itself is not expanded (no entity bombs): kept as written.
                            match resolve_xml_entity(&name) {
                                Some(text) => field.push_str(text),
                                None => field.push_str(&format!("&{name};")),
                            }
                        }
                    }
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => {}
        }
    }
    if root_namespace.is_none() {
        return Err(SitemapError::Empty { url: url.clone() });
    }
    if !stack.is_empty() {
        let root = if parsed.kind == SitemapKind::Index { "sitemapindex" } else { "urlset" };
        return Err(SitemapError::CutShort { url: url.clone(), root });
    }
    Ok(parsed)
}

/// The field being read, if the reader is inside `<loc>` or `<lastmod>` of an entry.
fn field<'a>(stack: &[Inside], loc: &'a mut String, lastmod: &'a mut String) -> Option<&'a mut String> {
    match stack {
        [.., Inside::Entry, Inside::Loc] => Some(loc),
        [.., Inside::Entry, Inside::Lastmod] => Some(lastmod),
        _ => None,
    }
}

/// Ends an element; an entry's end adds it (or counts it as bad).
fn close(url: &Url, closed: Option<Inside>, loc: &mut String, lastmod: &str, parsed: &mut ParsedSitemap) {
    if closed != Some(Inside::Entry) {
        return;
    }
    add_entry(url, loc.trim(), parse_lastmod(lastmod), parsed);
    loc.clear();
}

/// Adds the page (or sitemap) `written` in sitemap `url`, or counts it as bad when it is not an http(s) URL.
fn add_entry(url: &Url, written: &str, lastmod: Option<DateTime<Utc>>, parsed: &mut ParsedSitemap) {
    match url.join(written) {
        Ok(page) if !written.is_empty() && matches!(page.scheme(), "http" | "https") && page.has_host() => {
            parsed.entries.push(SitemapUrl { url: page, lastmod });
        }
        _ => count_bad(written, parsed),
    }
}

/// Counts an entry that is not a page's URL, keeping the first to show.
fn count_bad(written: &str, parsed: &mut ParsedSitemap) {
    parsed.bad_entries += 1;
    if parsed.first_bad.is_none() {
        parsed.first_bad = Some(written.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sitemap_url() -> Url {
        Url::parse("https://shop.example/sitemap.xml").unwrap()
    }

    fn parse(xml: &str) -> ParsedSitemap {
        parse_sitemap(&sitemap_url(), xml).unwrap()
    }

    fn urls(parsed: &ParsedSitemap) -> Vec<&str> {
        parsed.entries.iter().map(|entry| entry.url.as_str()).collect()
    }

    fn utc(text: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc))
    }

    #[test]
    fn a_urlset_gives_its_pages_with_their_lastmod() {
        let parsed = parse(
            r#"<?xml version="1.0" encoding="UTF-8"?>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
              <url><loc>https://shop.example/p/robe-midi</loc><lastmod>2026-11-02</lastmod>
                   <changefreq>daily</changefreq><priority>0.8</priority></url>
              <url>
                <loc>
                  https://shop.example/p/jean-slim
                </loc>
                <lastmod>2026-11-03T08:15:00+01:00</lastmod>
              </url>
              <url><loc>https://shop.example/p/pull</loc></url>
            </urlset>"#,
        );
        assert_eq!(parsed.kind, SitemapKind::Urlset);
        assert_eq!(
            urls(&parsed),
            ["https://shop.example/p/robe-midi", "https://shop.example/p/jean-slim", "https://shop.example/p/pull"]
        );
        let lastmods: Vec<_> = parsed.entries.iter().map(|entry| entry.lastmod).collect();
        assert_eq!(lastmods, [utc("2026-11-02T00:00:00Z"), utc("2026-11-03T07:15:00Z"), None]);
        assert_eq!(parsed.bad_entries, 0);
    }

    #[test]
    fn a_sitemap_index_gives_the_sitemaps_it_lists() {
        let parsed = parse(
            r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
              <sitemap><loc>https://shop.example/sitemap-products-1.xml.gz</loc><lastmod>2026-11</lastmod></sitemap>
              <sitemap><loc>https://shop.example/sitemap-pages.xml</loc></sitemap>
            </sitemapindex>"#,
        );
        assert_eq!(parsed.kind, SitemapKind::Index);
        assert_eq!(
            urls(&parsed),
            ["https://shop.example/sitemap-products-1.xml.gz", "https://shop.example/sitemap-pages.xml"]
        );
        assert_eq!(parsed.entries[0].lastmod, utc("2026-11-01T00:00:00Z"));
    }

    #[test]
    fn entities_character_references_and_cdata_are_read() {
        let parsed = parse(
            "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\
               <url><loc>https://shop.example/search?q=robe&amp;page=2</loc></url>\
               <url><loc>https://shop.example/p/caf&#xE9;-cr&#232;me</loc></url>\
               <url><loc><![CDATA[https://shop.example/p?a=1&b=<2>]]></loc></url>\
               <url><loc>https://shop.example/p?utm=1&ref=x</loc></url>\
             </urlset>",
        );
        assert_eq!(
            urls(&parsed),
            [
                "https://shop.example/search?q=robe&page=2",
                "https://shop.example/p/caf%C3%A9-cr%C3%A8me",
                "https://shop.example/p?a=1&b=%3C2%3E",
                "https://shop.example/p?utm=1&ref=x",
            ]
        );
    }

    #[test]
    fn extensions_in_other_namespaces_are_never_taken_for_pages() {
        let parsed = parse(
            r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
                       xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"
                       xmlns:xhtml="http://www.w3.org/1999/xhtml">
              <url>
                <image:image><image:loc>https://cdn.shop.example/robe.jpg</image:loc></image:image>
                <loc>https://shop.example/p/robe</loc>
                <xhtml:link rel="alternate" hreflang="en" href="https://shop.example/en/p/dress"/>
                <image:image><image:loc>https://cdn.shop.example/robe-2.jpg</image:loc></image:image>
              </url>
            </urlset>"#,
        );
        assert_eq!(urls(&parsed), ["https://shop.example/p/robe"]);
    }

    #[test]
    fn a_sitemap_with_a_prefixed_namespace_or_none_at_all_is_read() {
        let prefixed = parse(
            r#"<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
                 <sm:url><sm:loc>https://shop.example/p/1</sm:loc><sm:lastmod>2026-01-05</sm:lastmod></sm:url>
                 <url><loc>https://shop.example/not-in-the-namespace</loc></url>
               </sm:urlset>"#,
        );
        assert_eq!(urls(&prefixed), ["https://shop.example/p/1"]);
        assert_eq!(prefixed.entries[0].lastmod, utc("2026-01-05T00:00:00Z"));
        let bare = parse("<urlset><url><loc>/p/2</loc></url></urlset>");
        assert_eq!(urls(&bare), ["https://shop.example/p/2"], "relative locs resolve against the sitemap");
    }

    #[test]
    fn entries_without_a_web_url_are_counted_and_skipped() {
        let parsed = parse(
            "<urlset><url><loc>mailto:shop@shop.example</loc></url><url><lastmod>2026-01-01</lastmod></url>\
             <url><loc>https://shop.example/p/ok</loc></url><url><loc>  </loc></url></urlset>",
        );
        assert_eq!(urls(&parsed), ["https://shop.example/p/ok"]);
        assert_eq!(parsed.bad_entries, 3);
        assert_eq!(parsed.first_bad.as_deref(), Some("mailto:shop@shop.example"));
    }

    #[test]
    fn an_empty_urlset_is_a_sitemap_with_no_pages() {
        assert!(parse("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"/>").entries.is_empty());
    }

    #[test]
    fn an_html_page_or_broken_xml_is_refused_with_the_url() {
        let html = parse_sitemap(&sitemap_url(), "<!doctype html><html><body>Not found</body></html>").unwrap_err();
        assert_eq!(
            html.to_string(),
            "https://shop.example/sitemap.xml is not a sitemap: its root element is <html>, not <urlset> or \
             <sitemapindex>"
        );
        let broken =
            parse_sitemap(&sitemap_url(), "<urlset><url><loc>https://shop.example/</url></urlset>").unwrap_err();
        assert_eq!(broken.kind(), "sitemap_xml");
        assert!(broken.to_string().starts_with("sitemap https://shop.example/sitemap.xml is not well-formed XML"));
        let empty = parse_sitemap(&sitemap_url(), " \n ").unwrap_err();
        assert_eq!(empty.to_string(), "sitemap https://shop.example/sitemap.xml is empty");
        let declaration_only = parse_sitemap(&sitemap_url(), "<?xml version=\"1.0\"?>\n<!-- none -->").unwrap_err();
        assert_eq!(declaration_only.to_string(), "sitemap https://shop.example/sitemap.xml is empty");
    }

    #[test]
    fn a_text_sitemap_gives_one_page_per_line() {
        let parsed = parse("https://shop.example/p/robe\r\n\n  https://shop.example/p/jean  \nnot a url\n/p/pull\n");
        assert_eq!(parsed.kind, SitemapKind::Urlset);
        assert_eq!(urls(&parsed), ["https://shop.example/p/robe", "https://shop.example/p/jean"]);
        assert!(parsed.entries.iter().all(|entry| entry.lastmod.is_none()));
        assert_eq!((parsed.bad_entries, parsed.first_bad.as_deref()), (2, Some("not a url")));
        let error_page = parse("Not Found\n\nThe requested URL was not found on this server.\n");
        assert!(error_page.entries.is_empty());
        assert_eq!(error_page.bad_entries, 2);
    }

    #[test]
    fn a_sitemap_cut_short_is_refused_rather_than_read_in_part() {
        let cut = parse_sitemap(&sitemap_url(), "<urlset><url><loc>https://shop.example/p/1</loc></url><url><loc>htt");
        assert_eq!(
            cut.map(|parsed| parsed.entries.len()).unwrap_err().to_string(),
            "sitemap https://shop.example/sitemap.xml is cut short (it ends before </urlset>): not read"
        );
    }

    #[test]
    fn an_entity_declared_by_the_file_is_not_expanded() {
        let parsed = parse(
            "<!DOCTYPE urlset [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>\
             <urlset><url><loc>https://shop.example/p?x=&b;</loc></url></urlset>",
        );
        assert_eq!(urls(&parsed), ["https://shop.example/p?x=&b;"]);
    }
}
