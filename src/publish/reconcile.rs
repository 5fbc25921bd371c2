//! Finding a post of ours among the account's recent posts, after a send whose outcome is unknown (a crash, a
//! timeout, a dropped connection, a "duplicate content" refusal).
//!
//! X returns every link of a post rewritten to `https://t.co/...` in its text, with the original in
//! `entities.urls[].expanded_url`, and escapes `&`, `<` and `>` as HTML entities. So a post matches when its text,
//! links left out and entities decoded, is ours with our links left out, and when ours had a link, that link is
//! among its expanded URLs. The text is needed as well as the link: an offer re-posted at a lower price has the
//! same link as its first post.

use super::x::client::RemoteTweet;

/// `text` without its links, entities decoded and white space collapsed.
pub fn text_without_links(text: &str) -> String {
    let decoded = html_escape::decode_html_entities(text);
    decoded
        .split_whitespace()
        .filter(|word| !(word.starts_with("https://") || word.starts_with("http://")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The remote post that is ours (`text`, with `link`), if it is among `recent`.
pub fn find_post<'a>(text: &str, link: Option<&str>, recent: &'a [RemoteTweet]) -> Option<&'a RemoteTweet> {
    let ours = text_without_links(text);
    recent.iter().find(|remote| {
        text_without_links(&remote.text) == ours
            && link.is_none_or(|link| remote.expanded_urls.iter().any(|expanded| expanded == link))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(id: &str, text: &str, urls: &[&str]) -> RemoteTweet {
        RemoteTweet { id: id.into(), text: text.into(), expanded_urls: urls.iter().map(|u| u.to_string()).collect() }
    }

    #[test]
    fn a_post_is_found_through_its_rewritten_link_and_escaped_text() {
        let ours = "Tee-shirt & short à 9,99 € chez Kiabi\nhttps://www.kiabi.com/p/123";
        let recent = [
            remote("1", "Autre chose https://t.co/aaa", &["https://www.kiabi.com/p/9"]),
            remote(
                "2",
                "Tee-shirt &amp; short à 9,99 € chez Kiabi\nhttps://t.co/xyz",
                &["https://www.kiabi.com/p/123"],
            ),
        ];
        assert_eq!(find_post(ours, Some("https://www.kiabi.com/p/123"), &recent).map(|r| r.id.as_str()), Some("2"));
    }

    #[test]
    fn the_same_link_with_another_text_is_another_post() {
        let recent = [remote("1", "Tee-shirt à 12,99 € chez Kiabi https://t.co/a", &["https://k.example/p"])];
        assert!(
            find_post("Tee-shirt à 9,99 € chez Kiabi https://k.example/p", Some("https://k.example/p"), &recent)
                .is_none()
        );
    }
}
