//! From a fetched sitemap body to its XML text: gzip inflated within a cap, then decoded.
//!
//! Sitemaps are often `.xml.gz` files served as `application/gzip`, `application/x-gzip` or even
//! `application/octet-stream`, so gzip is recognised by its magic bytes, never by the name or the header. (A
//! `Content-Encoding: gzip` is undone by the HTTP client, within its own cap, before the body gets here; a gzip file
//! sent with that header as well is inflated here a second time.) Inflating is where a small file becomes a big one,
//! so the inflated size is capped too: a gzip bomb stops at the cap instead of filling the memory.

use std::io::Read;

use flate2::read::MultiGzDecoder;
use url::Url;

use super::errors::SitemapError;
use crate::scrape::fetch::charset::decode_with_hint;

/// The two bytes every gzip member starts with (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Whether `bytes` are gzip data.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// The text of sitemap `url` from its body: inflated when it is gzip (at most `max_bytes` once inflated), then
/// decoded from its declared encoding (sitemaps.org requires UTF-8; others are read as browsers would).
pub fn sitemap_text(
    url: &Url,
    bytes: Vec<u8>,
    content_type: Option<&str>,
    max_bytes: u64,
) -> Result<String, SitemapError> {
    let (bytes, content_type) = if is_gzip(&bytes) {
        // The header's charset, if any, was about the gzip file, not the XML inside.
        (inflate(url, &bytes, max_bytes)?, None)
    } else {
        (bytes, content_type)
    };
    Ok(decode_with_hint(bytes, content_type, None).0)
}

/// Inflates gzip data (every member, as `gunzip` does), refusing output past `max_bytes`.
pub fn inflate(url: &Url, compressed: &[u8], max_bytes: u64) -> Result<Vec<u8>, SitemapError> {
    let mut inflated = Vec::with_capacity(compressed.len().saturating_mul(4).min(max_bytes as usize));
    // One byte past the cap tells "exactly at the cap" from "over it" without inflating the rest.
    let mut reader = MultiGzDecoder::new(compressed).take(max_bytes.saturating_add(1));
    reader.read_to_end(&mut inflated).map_err(|source| SitemapError::Gzip { url: url.clone(), source })?;
    if inflated.len() as u64 > max_bytes {
        return Err(SitemapError::TooLarge { url: url.clone(), limit: max_bytes, inflated: true });
    }
    Ok(inflated)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn url() -> Url {
        Url::parse("https://shop.example/sitemap-products-1.xml.gz").unwrap()
    }

    #[test]
    fn gzip_is_recognised_by_its_magic_bytes_whatever_the_header_says() {
        let xml = "<urlset><url><loc>https://shop.example/p/caf\u{e9}</loc></url></urlset>";
        let text = sitemap_text(&url(), gzip(xml.as_bytes()), Some("text/plain; charset=iso-8859-1"), 1 << 20);
        assert_eq!(text.unwrap(), xml);
        let plain = sitemap_text(&url(), xml.as_bytes().to_vec(), Some("application/octet-stream"), 1 << 20);
        assert_eq!(plain.unwrap(), xml);
    }

    #[test]
    fn several_gzip_members_are_all_inflated() {
        let mut two = gzip(b"<urlset>");
        two.extend(gzip(b"</urlset>"));
        assert_eq!(inflate(&url(), &two, 1024).unwrap(), b"<urlset></urlset>");
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_cap_with_an_error_naming_the_url_and_the_cap() {
        let bomb = gzip(&vec![b' '; 8 * 1024 * 1024]);
        assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
        let error = inflate(&url(), &bomb, 1024 * 1024).unwrap_err();
        assert_eq!(
            error.to_string(),
            "sitemap https://shop.example/sitemap-products-1.xml.gz is larger than 1048576 bytes once inflated; it \
             was not read (sitemaps.org allows 50 MiB uncompressed)"
        );
        assert_eq!(inflate(&url(), &gzip(&[b'x'; 1024]), 1024).unwrap().len(), 1024, "exactly the cap is fine");
    }

    #[test]
    fn broken_gzip_is_a_gzip_error() {
        let mut broken = gzip(b"<urlset></urlset>");
        broken.truncate(broken.len() / 2);
        let error = inflate(&url(), &broken, 1024).unwrap_err();
        assert_eq!(error.kind(), "sitemap_gzip", "{error}");
        assert!(
            error.to_string().starts_with("sitemap https://shop.example/sitemap-products-1.xml.gz is not valid gzip")
        );
    }
}
