//! robots.txt rules: whether our agent may fetch a URL, and the `Crawl-delay` it is asked to keep.
//!
//! Matching is the `robotstxt` crate (a port of Google's own matcher, so shops see us obey their file the way
//! Googlebot does). The crate predates RFC 9309 on one point: it lets a `Sitemap` or unknown line end a group's list
//! of user agents, so `User-agent: a` / `Sitemap: ...` / `User-agent: *` / `Disallow: /` leaves `a` unrestricted,
//! where the RFC and Google's current matcher put both agents in one group. We therefore hand the matcher only the
//! `User-agent`, `Allow` and `Disallow` lines (as the crate's own parser read them) and keep the rest aside.
//!
//! The crate has no notion of `Crawl-delay`, a non-standard line many shops still use to ask for slower crawling,
//! so we read it here with the crate's parser, applying the same group rules as its matcher: the group naming our
//! agent wins over the `*` group. This module is pure; fetching and caching the file per host is the fetcher's job.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use robotstxt::matcher::{LongestMatchRobotsMatchStrategy, RobotsMatcher};
use robotstxt::{DefaultMatcher, RobotsParseHandler};

use super::address_policy::RefusedAddress;

/// Wildcards kept per Allow/Disallow pattern. The crate's matcher costs wildcards × path length per pattern, and
/// worse (its list of positions only grows), so one line of thousands of `*` takes seconds for every URL checked.
/// Real patterns use a handful.
const MAX_WILDCARDS: usize = 10;

/// Google reads at most 500 KiB of a robots.txt and ignores the rest; so do we.
pub const MAX_ROBOTS_BYTES: usize = 500 * 1024;

/// A parsed robots.txt. The crate's matcher works on text, so what is kept is text: the group and rule lines
/// rewritten in canonical form for matching, and the original for `Crawl-delay`.
#[derive(Debug, Clone)]
pub struct RobotsRules {
    /// The file as received, truncated to [`MAX_ROBOTS_BYTES`].
    body: String,
    /// Only its `User-agent`, `Allow` and `Disallow` lines, one per line as `key: value`.
    group_lines: String,
}

impl RobotsRules {
    /// Reads a robots.txt body (truncated to [`MAX_ROBOTS_BYTES`]). Never fails: lines that mean nothing are
    /// skipped, as robots.txt parsers must.
    pub fn parse(body: &str) -> Self {
        let mut end = body.len().min(MAX_ROBOTS_BYTES);
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        let body = body[..end].to_string();
        let mut collector = GroupLines::default();
        let parsed = std::panic::catch_unwind(AssertUnwindSafe(|| robotstxt::parse_robotstxt(&body, &mut collector)));
        // If the crate's parser fails, keep the original: the matcher then reads it (and fails safe) itself.
        let group_lines = if parsed.is_ok() { collector.lines } else { body.clone() };
        RobotsRules { body, group_lines }
    }

    /// Whether `user_agent` (a product token such as `dealcast`) may fetch `url` (an absolute, percent-encoded URL,
    /// or a path). A matcher failure counts as disallowed: when in doubt, we do not fetch.
    pub fn allowed(&self, user_agent: &str, url: &str) -> bool {
        // The crate is a line-by-line port of C++ that indexes strings; a panic on a hostile file must not take the
        // crawler down, and not fetching is the safe answer.
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            DefaultMatcher::default().one_agent_allowed_by_robots(&self.group_lines, user_agent, url)
        }))
        .unwrap_or(false)
    }

    /// The `Crawl-delay` of the group that applies to `user_agent`: the group naming it if there is one, else the
    /// `*` group. `None` when that group sets none or sets one that is not a non-negative number of seconds.
    pub fn crawl_delay(&self, user_agent: &str) -> Option<Duration> {
        let mut collector = CrawlDelayCollector::new(user_agent);
        std::panic::catch_unwind(AssertUnwindSafe(|| robotstxt::parse_robotstxt(&self.body, &mut collector))).ok()?;
        if collector.seen_our_group { collector.ours } else { collector.global }
    }

    /// The `Sitemap:` lines' URLs, as written, in file order. RFC 9309 makes them independent of groups, so every
    /// one counts wherever it stands.
    pub fn sitemaps(&self) -> Vec<String> {
        let mut collector = SitemapLines::default();
        // As for the other readers here: a panic in the crate's parser must not take the crawler down.
        match std::panic::catch_unwind(AssertUnwindSafe(|| robotstxt::parse_robotstxt(&self.body, &mut collector))) {
            Ok(()) => collector.urls,
            Err(_) => Vec::new(),
        }
    }

    /// Whether `user_agent` can be matched by robots.txt rules at all (a product token of `[a-zA-Z_-]+`). Our own
    /// token must be, or no site could address us.
    pub fn is_valid_user_agent(user_agent: &str) -> bool {
        RobotsMatcher::<LongestMatchRobotsMatchStrategy>::is_valid_user_agent_to_obey(user_agent)
    }
}

/// What a host's robots.txt lets us do, decided once per host from how fetching the file went.
#[derive(Debug, Clone)]
pub enum RobotsVerdict {
    /// The file was read: obey it.
    Rules(RobotsRules),
    /// No file (4xx, or a redirect chain that leads nowhere): everything is allowed.
    AllowAll,
    /// The server failed (5xx, 429) or could not be reached: nothing is allowed, as Google does, since a site in
    /// trouble is the one that must not be crawled.
    Unavailable,
    /// The host's address is one the address policy refuses: nothing of it is fetched.
    Refused(RefusedAddress),
}

impl RobotsVerdict {
    /// The verdict for a robots.txt answer without a usable body: the status alone decides.
    pub fn for_status(status: u16) -> RobotsVerdict {
        match status {
            429 => RobotsVerdict::Unavailable,
            400..=499 => RobotsVerdict::AllowAll,
            _ => RobotsVerdict::Unavailable,
        }
    }

    /// The minimum delay the file asks of `user_agent`, if any.
    pub fn crawl_delay(&self, user_agent: &str) -> Option<Duration> {
        match self {
            RobotsVerdict::Rules(rules) => rules.crawl_delay(user_agent),
            RobotsVerdict::AllowAll | RobotsVerdict::Unavailable | RobotsVerdict::Refused(_) => None,
        }
    }
}

/// Rewrites the lines that make groups and rules, dropping the others (sitemaps, crawl-delays, unknown keys), so
/// they cannot split a group. Values come as the crate's parser left them (comments and spaces removed, patterns
/// escaped), and parse back to the same values.
#[derive(Default)]
struct GroupLines {
    lines: String,
}

impl GroupLines {
    fn push(&mut self, key: &str, value: &str) {
        self.lines.push_str(key);
        self.lines.push_str(": ");
        self.lines.push_str(value);
        self.lines.push('\n');
    }
}

impl RobotsParseHandler for GroupLines {
    fn handle_robots_start(&mut self) {}

    fn handle_robots_end(&mut self) {}

    fn handle_user_agent(&mut self, _line: u32, user_agent: &str) {
        self.push("user-agent", user_agent);
    }

    fn handle_allow(&mut self, _line: u32, value: &str) {
        // Too many wildcards: the rule is dropped (an empty Allow keeps the group's shape and allows nothing), so
        // we err towards fetching less.
        let value = if value.matches('*').nth(MAX_WILDCARDS).is_some() { "" } else { value };
        self.push("allow", value);
    }

    fn handle_disallow(&mut self, _line: u32, value: &str) {
        // Too many wildcards: the pattern is cut before the first one past the limit. Patterns match prefixes, so the
        // shorter one disallows at least as much.
        let value = match value.match_indices('*').nth(MAX_WILDCARDS) {
            Some((extra_wildcard, _)) => &value[..extra_wildcard],
            None => value,
        };
        self.push("disallow", value);
    }

    fn handle_sitemap(&mut self, _line: u32, _value: &str) {}

    fn handle_unknown_action(&mut self, _line: u32, _action: &str, _value: &str) {}
}

/// Collects the values of `Sitemap:` lines (and of the `Site-map` spelling the crate also accepts).
#[derive(Default)]
struct SitemapLines {
    urls: Vec<String>,
}

impl RobotsParseHandler for SitemapLines {
    fn handle_robots_start(&mut self) {}

    fn handle_robots_end(&mut self) {}

    fn handle_user_agent(&mut self, _line: u32, _user_agent: &str) {}

    fn handle_allow(&mut self, _line: u32, _value: &str) {}

    fn handle_disallow(&mut self, _line: u32, _value: &str) {}

    fn handle_sitemap(&mut self, _line: u32, value: &str) {
        let value = value.trim();
        if !value.is_empty() && !self.urls.iter().any(|url| url == value) {
            self.urls.push(value.to_string());
        }
    }

    fn handle_unknown_action(&mut self, _line: u32, _action: &str, _value: &str) {}
}

/// Collects `Crawl-delay` values per group while the crate's parser walks the file. Groups work as in the crate's
/// matcher: consecutive `User-agent` lines open a group, any other line closes the list of agents.
struct CrawlDelayCollector<'a> {
    user_agent: &'a str,
    /// The previous line was a `User-agent` line, so another one adds to the same group.
    reading_agents: bool,
    group_is_ours: bool,
    group_is_global: bool,
    seen_our_group: bool,
    ours: Option<Duration>,
    global: Option<Duration>,
}

impl<'a> CrawlDelayCollector<'a> {
    fn new(user_agent: &'a str) -> Self {
        CrawlDelayCollector {
            user_agent,
            reading_agents: false,
            group_is_ours: false,
            group_is_global: false,
            seen_our_group: false,
            ours: None,
            global: None,
        }
    }
}

impl RobotsParseHandler for CrawlDelayCollector<'_> {
    fn handle_robots_start(&mut self) {}

    fn handle_robots_end(&mut self) {}

    fn handle_user_agent(&mut self, _line: u32, user_agent: &str) {
        if !self.reading_agents {
            self.group_is_ours = false;
            self.group_is_global = false;
        }
        self.reading_agents = true;
        // Same reading as the matcher: `*` alone or followed by a space is the global group; otherwise the product
        // token (up to the first character outside [a-zA-Z_-]) is compared without case.
        if let Some(rest) = user_agent.strip_prefix('*')
            && (rest.is_empty() || rest.starts_with(char::is_whitespace))
        {
            self.group_is_global = true;
        } else {
            let end = user_agent
                .find(|c: char| !(c.is_ascii_alphabetic() || c == '-' || c == '_'))
                .unwrap_or(user_agent.len());
            if user_agent[..end].eq_ignore_ascii_case(self.user_agent) {
                self.group_is_ours = true;
                self.seen_our_group = true;
            }
        }
    }

    fn handle_allow(&mut self, _line: u32, _value: &str) {
        self.reading_agents = false;
    }

    fn handle_disallow(&mut self, _line: u32, _value: &str) {
        self.reading_agents = false;
    }

    fn handle_sitemap(&mut self, _line: u32, _value: &str) {
        self.reading_agents = false;
    }

    fn handle_unknown_action(&mut self, _line: u32, action: &str, value: &str) {
        self.reading_agents = false;
        if !(action.eq_ignore_ascii_case("crawl-delay") || action.eq_ignore_ascii_case("crawl_delay")) {
            return;
        }
        let Some(delay) =
            value.trim().parse::<f64>().ok().and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        else {
            return;
        };
        // The first value in a group counts, as for a duplicated line in most crawlers.
        if self.group_is_ours && self.ours.is_none() {
            self.ours = Some(delay);
        }
        if self.group_is_global && self.global.is_none() {
            self.global = Some(delay);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disallowed_path_is_refused_and_others_are_allowed() {
        let rules = RobotsRules::parse("User-agent: *\nDisallow: /panier\n");
        assert!(!rules.allowed("dealcast", "https://shop.example/panier/42"));
        assert!(rules.allowed("dealcast", "https://shop.example/promos"));
    }

    #[test]
    fn the_group_naming_our_agent_overrides_the_global_group() {
        let rules = RobotsRules::parse("User-agent: *\nDisallow: /\n\nUser-agent: dealcast\nAllow: /\n");
        assert!(rules.allowed("dealcast", "https://shop.example/promos"));
        assert!(!rules.allowed("otherbot", "https://shop.example/promos"));
    }

    #[test]
    fn a_sitemap_or_unknown_line_does_not_split_a_group_of_user_agents() {
        for other in ["Sitemap: https://shop.example/sitemap.xml", "Crawl-delay: 2", "X-Whatever: 1"] {
            let rules = RobotsRules::parse(&format!("User-agent: dealcast\n{other}\nUser-agent: *\nDisallow: /\n"));
            assert!(!rules.allowed("dealcast", "https://shop.example/promos"), "{other}");
        }
    }

    #[test]
    fn comments_typos_and_missing_colons_are_read_as_the_crate_reads_them() {
        let rules = RobotsRules::parse("# shop\nuser-agent: * # all\ndisalow: /tmp\ndisallow /cart\n");
        assert!(!rules.allowed("dealcast", "https://shop.example/tmp/1"));
        assert!(!rules.allowed("dealcast", "https://shop.example/cart"));
        assert!(rules.allowed("dealcast", "https://shop.example/promos"));
    }

    #[test]
    fn crawl_delay_of_our_group_wins_over_the_global_one() {
        let rules = RobotsRules::parse(
            "User-agent: *\nCrawl-delay: 10\nDisallow: /x\n\nUser-agent: googlebot\nUser-agent: DealCast/2\n\
             Crawl-delay: 2.5\n",
        );
        assert_eq!(rules.crawl_delay("dealcast"), Some(Duration::from_millis(2500)));
        assert_eq!(rules.crawl_delay("otherbot"), Some(Duration::from_secs(10)));
    }

    #[test]
    fn crawl_delay_of_the_global_group_applies_when_no_group_names_us() {
        let rules = RobotsRules::parse("user-agent: *\ncrawl-delay: 3 # be gentle\n");
        assert_eq!(rules.crawl_delay("dealcast"), Some(Duration::from_secs(3)));
    }

    #[test]
    fn our_group_without_crawl_delay_means_no_delay_even_if_the_global_group_has_one() {
        let rules = RobotsRules::parse("User-agent: *\nCrawl-delay: 30\n\nUser-agent: dealcast\nDisallow: /x\n");
        assert_eq!(rules.crawl_delay("dealcast"), None);
    }

    #[test]
    fn a_crawl_delay_outside_any_group_or_not_a_number_is_ignored() {
        assert_eq!(RobotsRules::parse("Crawl-delay: 5\nUser-agent: *\nDisallow: /a\n").crawl_delay("dealcast"), None);
        assert_eq!(RobotsRules::parse("User-agent: *\nCrawl-delay: soon\n").crawl_delay("dealcast"), None);
        assert_eq!(RobotsRules::parse("User-agent: *\nCrawl-delay: -4\n").crawl_delay("dealcast"), None);
        assert_eq!(RobotsRules::parse("User-agent: *\nCrawl-delay: NaN\n").crawl_delay("dealcast"), None);
    }

    #[test]
    fn a_body_past_the_size_limit_is_cut_on_a_character_boundary() {
        let mut body = "User-agent: *\nDisallow: /secret\n".to_string();
        body.push_str(&"é".repeat(MAX_ROBOTS_BYTES));
        let rules = RobotsRules::parse(&body);
        assert!(rules.body.len() <= MAX_ROBOTS_BYTES);
        assert!(!rules.allowed("dealcast", "https://shop.example/secret"));
    }

    #[test]
    fn a_pattern_with_thousands_of_wildcards_is_checked_quickly_and_still_disallows() {
        let bomb = "*a".repeat(8000);
        let rules = RobotsRules::parse(&format!("User-agent: *\nAllow: /{bomb}\nDisallow: /{bomb}b\n"));
        let url = format!("https://shop.example/{}", "a".repeat(1000));
        let started = std::time::Instant::now();
        assert!(!rules.allowed("dealcast", &url));
        assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    }

    #[test]
    fn a_pattern_with_a_few_wildcards_is_kept_whole() {
        let rules = RobotsRules::parse("User-agent: *\nDisallow: /*/*/checkout$\n");
        assert!(!rules.allowed("dealcast", "https://shop.example/fr/p/checkout"));
        assert!(rules.allowed("dealcast", "https://shop.example/fr/p/checkout/done"));
    }

    #[test]
    fn garbage_bodies_never_panic() {
        for body in ["\u{feff}\u{feff}*", "User-agent:\u{1F600}\nDisallow: /\u{e9}*$*$", ":\n:\r\n\r", "\0\0\0"] {
            let rules = RobotsRules::parse(body);
            let _ = rules.allowed("dealcast", "https://shop.example/caf%C3%A9?q=1#x");
            let _ = rules.allowed("dealcast", "not a url é");
            let _ = rules.crawl_delay("dealcast");
        }
    }

    #[test]
    fn sitemap_lines_are_found_wherever_they_stand_in_file_order_once_each() {
        let rules = RobotsRules::parse(
            "Sitemap: https://shop.example/sitemap_index.xml\nUser-agent: *\nDisallow: /cart\n\
             sitemap:   https://cdn.shop.example/products.xml.gz # products\n\nUser-agent: dealcast\n\
             Allow: /\nSitemap: https://shop.example/sitemap_index.xml\nSitemap:\n",
        );
        assert_eq!(
            rules.sitemaps(),
            ["https://shop.example/sitemap_index.xml", "https://cdn.shop.example/products.xml.gz"]
        );
        assert!(RobotsRules::parse("User-agent: *\nDisallow:\n").sitemaps().is_empty());
    }

    #[test]
    fn our_product_token_is_a_valid_robots_agent() {
        assert!(RobotsRules::is_valid_user_agent("dealcast"));
        assert!(!RobotsRules::is_valid_user_agent("dealcast/0.1"));
    }

    #[test]
    fn robots_status_alone_decides_allow_all_or_unavailable() {
        assert!(matches!(RobotsVerdict::for_status(404), RobotsVerdict::AllowAll));
        assert!(matches!(RobotsVerdict::for_status(403), RobotsVerdict::AllowAll));
        assert!(matches!(RobotsVerdict::for_status(429), RobotsVerdict::Unavailable));
        assert!(matches!(RobotsVerdict::for_status(503), RobotsVerdict::Unavailable));
    }
}
