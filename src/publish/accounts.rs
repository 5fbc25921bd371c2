//! The accounts that publish deals, as `[[accounts]]` tables of `dealcast.toml` describe them: where they post, on
//! which schedule and pace, within which caps and budget, which deals they want, and how their posts read.
//!
//! Secrets never appear in the file: an account names the environment variables that hold its four OAuth 1.0a
//! secrets, and `config show` prints those names, never values. Every value is checked when the file is read, and
//! problems are reported with their line (see `toml_problems`); `check` adds what no single field can tell.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::scrape::shop_spec::{CronSchedule, CurrencyCode, HttpUrl, TimeZone};

/// Where an account's posts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// X (Twitter), API v2 with OAuth 1.0a.
    X,
    /// Posts are recorded, never sent: the safe default, and how a newcomer sees what would go out.
    #[default]
    DryRun,
}

/// Whether a person approves each post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Eligible deals go out at the next slots.
    #[default]
    Auto,
    /// Eligible deals wait in a review queue until approved.
    Curated,
}

/// What an account does when the deal of one of its posts ends within `follow_hours` (`publish::followups`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnExpiry {
    /// The post is marked expired; nothing is posted.
    #[default]
    None,
    /// The account also replies to its post, once ("Terminé : le prix est remonté à 44,90 €").
    Reply,
}

/// The names of the environment variables holding an account's OAuth 1.0a secrets.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsEnv {
    pub consumer_key: Option<String>,
    pub consumer_secret: Option<String>,
    pub access_token: Option<String>,
    pub access_token_secret: Option<String>,
}

impl CredentialsEnv {
    /// The variable name for one secret: the configured one, or `DEALCAST_<ACCOUNT>_<SECRET>`.
    pub fn variable(&self, account: &str, secret: &str) -> String {
        let configured = match secret {
            "CONSUMER_KEY" => &self.consumer_key,
            "CONSUMER_SECRET" => &self.consumer_secret,
            "ACCESS_TOKEN" => &self.access_token,
            _ => &self.access_token_secret,
        };
        configured.clone().unwrap_or_else(|| {
            let account: String =
                account.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
            format!("DEALCAST_{account}_{secret}")
        })
    }
}

/// Which deals an account wants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountFilters {
    /// Only these shops (ids); empty: every shop.
    pub shops: Vec<String>,
    /// Only these categories; empty: every category.
    pub categories: Vec<String>,
    pub min_score: Option<Decimal>,
    /// The smallest real discount (from the 30-day reference), in percent; with `claimed = "review"`, also the
    /// smallest claimed discount of a deal proposed on the shop's claim alone.
    pub min_real_discount: Option<Decimal>,
    /// Verdicts allowed to go out (`honest`, `unverified`; `inflated` never should).
    pub verdicts: Vec<String>,
    /// What to do with deals whose only discount is the shop's claim (no price history yet to check it).
    pub claimed: ClaimedDeals,
}

/// What an account does with deals that only have the shop's claimed discount: dealcast has not seen their price
/// before the reduction, so no real discount can be measured yet (a shop's first days in dealcast).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimedDeals {
    /// Never proposed: only real discounts are posted.
    #[default]
    Never,
    /// A curated account's review queue also shows the best of them, worded as the shop's claim ("-50 % annoncé
    /// par la boutique"), for a person to approve or reject. Only for `mode = "curated"`: an auto account never
    /// posts a claim alone, and `check` refuses the setting there.
    Review,
}

impl Default for AccountFilters {
    fn default() -> Self {
        AccountFilters {
            shops: Vec::new(),
            categories: Vec::new(),
            min_score: None,
            min_real_discount: Some(Decimal::from(10)),
            verdicts: vec!["honest".to_string(), "unverified".to_string()],
            claimed: ClaimedDeals::Never,
        }
    }
}

/// An affiliate link for one shop, and the disclosure the law then requires in the post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRewrite {
    pub shop: String,
    /// The link, with `{url}` standing for the offer's URL (percent-encoded).
    pub template: String,
    /// Added to every post using the rewritten link ("#pub", "#ad").
    pub disclosure: String,
}

/// Hours during which an account never posts, in its time zone ("23:00-07:00" spans midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct QuietHours {
    pub from_minute: u32,
    pub to_minute: u32,
}

impl QuietHours {
    /// True when `minute_of_day` (0..1440) falls in the quiet span.
    pub fn contains(&self, minute_of_day: u32) -> bool {
        if self.from_minute <= self.to_minute {
            (self.from_minute..self.to_minute).contains(&minute_of_day)
        } else {
            minute_of_day >= self.from_minute || minute_of_day < self.to_minute
        }
    }
}

impl TryFrom<String> for QuietHours {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let minute = |part: &str| -> Option<u32> {
            let (hours, minutes) = part.trim().split_once(':')?;
            let (hours, minutes) = (hours.parse::<u32>().ok()?, minutes.parse::<u32>().ok()?);
            (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
        };
        let parsed = text.split_once('-').and_then(|(from, to)| Some((minute(from)?, minute(to)?)));
        match parsed {
            Some((from_minute, to_minute)) if from_minute != to_minute => Ok(QuietHours { from_minute, to_minute }),
            _ => Err(format!("`{text}` is not a span of hours such as \"23:00-07:00\"")),
        }
    }
}

impl Serialize for QuietHours {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (from, to) = (self.from_minute, self.to_minute);
        serializer.serialize_str(&format!("{:02}:{:02}-{:02}:{:02}", from / 60, from % 60, to / 60, to % 60))
    }
}

/// One publishing account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// The account's name in dealcast (letters, digits, `_`, `.`, `-`).
    pub name: String,
    #[serde(default)]
    pub platform: Platform,
    /// The API's base URL (tests and staging point it elsewhere).
    #[serde(default = "default_api_base")]
    pub api_base_url: HttpUrl,
    #[serde(default)]
    pub credentials: CredentialsEnv,
    /// When to post (cron, seconds first; five fields accepted).
    #[serde(default = "default_schedule")]
    pub schedule: CronSchedule,
    #[serde(default)]
    pub timezone: TimeZone,
    #[serde(default = "one")]
    pub posts_per_slot: u32,
    /// The least time between two posts of the account.
    #[serde(default = "default_spacing")]
    pub min_spacing_minutes: u32,
    pub quiet_hours: Option<QuietHours>,
    #[serde(default = "default_daily_cap")]
    pub daily_cap: u32,
    /// At most this many posts of one shop per day (in the account's time zone), so that one shop's big sale does
    /// not fill the account.
    #[serde(default = "default_per_shop_daily_cap")]
    pub per_shop_daily_cap: u32,
    #[serde(default = "default_monthly_cap")]
    pub monthly_cap: u32,
    /// What the account may spend on posts each month (X bills each post), in `budget_currency`.
    pub monthly_budget: Option<Decimal>,
    #[serde(default = "default_budget_currency")]
    pub budget_currency: CurrencyCode,
    #[serde(default)]
    pub cost_per_post: Decimal,
    /// A post with a link costs more on X.
    #[serde(default)]
    pub cost_per_post_with_link: Decimal,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub filters: AccountFilters,
    /// The post's template (`publish::compose`); the French default when absent.
    pub template: Option<String>,
    #[serde(default = "default_language")]
    pub language: String,
    #[serde(default)]
    pub links: Vec<LinkRewrite>,
    /// Attach the product's image to each post (`POST /2/media/upload`); a missing, broken or too big image only
    /// means a post without it.
    #[serde(default)]
    pub attach_image: bool,
    /// Read each deal's product page again just before posting it (and before a curated approval): a deal whose
    /// price went up, whose discount fell below the account's minimum, or that is out of stock or gone is not posted
    /// (see `recheck`). Unset: on for `x`, off for `dry_run`.
    pub recheck: Option<bool>,
    /// The most time a re-check may take; a shop slower than this (or unreachable) makes the post wait for the
    /// account's next slot, never go out unchecked.
    #[serde(default = "default_recheck_timeout")]
    pub recheck_timeout_secs: u32,
    /// For how many hours after a post its deal is followed: a deal ending within them (price up, out of stock,
    /// gone) marks the post expired (`publish::followups`).
    #[serde(default = "default_follow_hours")]
    pub follow_hours: u32,
    /// What the account does when a post expires: `none` (default) or `reply`.
    #[serde(default)]
    pub on_expiry: OnExpiry,
}

fn default_follow_hours() -> u32 {
    48
}

impl AccountConfig {
    /// Whether the account re-checks each deal's page before posting it.
    pub fn rechecks(&self) -> bool {
        self.recheck.unwrap_or(self.platform == Platform::X)
    }

    /// The time cap of one re-check.
    pub fn recheck_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.recheck_timeout_secs))
    }
}

/// The longest `recheck_timeout_secs` accepted: a post waits at most this long for its shop.
pub const MAX_RECHECK_TIMEOUT_SECS: u32 = 120;

fn default_api_base() -> HttpUrl {
    HttpUrl::try_from("https://api.x.com".to_string()).expect("a valid URL")
}

fn default_schedule() -> CronSchedule {
    "0 0 9,13,18 * * *".parse().expect("a valid schedule")
}

fn one() -> u32 {
    1
}

fn default_spacing() -> u32 {
    30
}

fn default_daily_cap() -> u32 {
    10
}

fn default_per_shop_daily_cap() -> u32 {
    3
}

fn default_monthly_cap() -> u32 {
    200
}

fn default_budget_currency() -> CurrencyCode {
    CurrencyCode("USD".to_string())
}

fn default_language() -> String {
    "fr".to_string()
}

fn default_recheck_timeout() -> u32 {
    20
}

/// Checks what no single field can tell, across all accounts: each problem names the account and field.
pub fn check(accounts: &[AccountConfig]) -> Vec<String> {
    let mut problems = Vec::new();
    for (index, account) in accounts.iter().enumerate() {
        let at = format!("accounts[{index}] ({})", account.name);
        let valid_name = account.name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && account.name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !valid_name {
            problems.push(format!("{at}: name: use letters, digits, `_`, `.` or `-`"));
        }
        if accounts[..index].iter().any(|other| other.name == account.name) {
            problems.push(format!("{at}: name: another account already has this name"));
        }
        if account.posts_per_slot == 0 || account.daily_cap == 0 || account.per_shop_daily_cap == 0 {
            problems.push(format!("{at}: posts_per_slot, daily_cap and per_shop_daily_cap must be at least 1"));
        }
        if account.daily_cap > account.monthly_cap {
            problems.push(format!(
                "{at}: daily_cap ({}) is above monthly_cap ({})",
                account.daily_cap, account.monthly_cap
            ));
        }
        if account.cost_per_post.is_sign_negative() || account.cost_per_post_with_link.is_sign_negative() {
            problems.push(format!("{at}: costs must not be negative"));
        }
        if !(1..=MAX_RECHECK_TIMEOUT_SECS).contains(&account.recheck_timeout_secs) {
            problems.push(format!("{at}: recheck_timeout_secs must be between 1 and {MAX_RECHECK_TIMEOUT_SECS}"));
        }
        if account.monthly_budget.is_some_and(|b| b.is_sign_negative()) {
            problems.push(format!("{at}: monthly_budget must not be negative"));
        }
        for verdict in &account.filters.verdicts {
            if !matches!(verdict.as_str(), "honest" | "unverified" | "inflated") {
                problems.push(format!("{at}: filters.verdicts: `{verdict}` is not honest, unverified or inflated"));
            }
        }
        if account.filters.claimed == ClaimedDeals::Review && account.mode != Mode::Curated {
            problems.push(format!(
                "{at}: filters.claimed = \"review\" needs mode = \"curated\": a shop's claimed discount is only posted \
                 once a person approved it, and an auto account never posts a claim alone"
            ));
        }
        for link in &account.links {
            if !link.template.contains("{url}") {
                problems.push(format!("{at}: links ({}): the template must contain {{url}}", link.shop));
            }
            if link.disclosure.trim().is_empty() {
                problems.push(format!(
                    "{at}: links ({}): an affiliate link needs a disclosure such as \"#pub\"",
                    link.shop
                ));
            }
        }
        if account.language != "fr" && account.template.is_none() {
            problems.push(format!(
                "{at}: language: only French wording is built in; give a `template` written in `{}`",
                account.language
            ));
        }
        if let Some(template) = &account.template
            && let Err(error) = crate::publish::compose::Template::new(template.clone())
        {
            problems.push(format!("{at}: template: {error}"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::toml_problems::parse_all;

    #[derive(Debug, Deserialize)]
    struct File {
        accounts: Vec<AccountConfig>,
    }

    #[test]
    fn a_minimal_account_is_a_safe_dry_run_with_caps() {
        let file: File = parse_all("[[accounts]]\nname = \"twittzat\"\n").unwrap();
        let account = &file.accounts[0];
        assert_eq!(account.platform, Platform::DryRun);
        assert_eq!(account.mode, Mode::Auto);
        assert_eq!((account.daily_cap, account.monthly_cap, account.min_spacing_minutes), (10, 200, 30));
        assert_eq!(account.filters.verdicts, ["honest", "unverified"]);
        assert!(!account.rechecks(), "a dry run posts nothing, so it re-checks nothing");
        assert_eq!(account.credentials.variable(&account.name, "CONSUMER_KEY"), "DEALCAST_TWITTZAT_CONSUMER_KEY");
        assert!(check(&file.accounts).is_empty());
    }

    #[test]
    fn claimed_deals_go_to_review_only_on_a_curated_account() {
        let file: File = parse_all(
            "[[accounts]]\nname = \"revue\"\nmode = \"curated\"\nfilters = { claimed = \"review\" }\n\
             [[accounts]]\nname = \"auto\"\nfilters = { claimed = \"review\" }\n[[accounts]]\nname = \"plain\"\n",
        )
        .unwrap();
        assert_eq!(file.accounts[0].filters.claimed, ClaimedDeals::Review);
        assert_eq!(file.accounts[2].filters.claimed, ClaimedDeals::Never, "claims are never proposed by default");
        let problems = check(&file.accounts);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("accounts[1] (auto): filters.claimed"), "{problems:?}");
        assert!(problems[0].contains("never posts a claim alone"), "{problems:?}");
        assert!(parse_all::<File>("[[accounts]]\nname = \"a\"\nfilters = { claimed = \"yes\" }\n").is_err());
    }

    #[test]
    fn accounts_on_x_recheck_deals_by_default_within_a_time_cap() {
        let file: File = parse_all(
            "[[accounts]]\nname = \"x\"\nplatform = \"x\"\n[[accounts]]\nname = \"off\"\nplatform = \"x\"\n\
             recheck = false\n[[accounts]]\nname = \"slow\"\nplatform = \"x\"\nrecheck_timeout_secs = 0\n",
        )
        .unwrap();
        assert!(file.accounts[0].rechecks());
        assert_eq!(file.accounts[0].recheck_timeout(), std::time::Duration::from_secs(20));
        assert!(!file.accounts[1].rechecks());
        let problems = check(&file.accounts);
        assert_eq!(problems, ["accounts[2] (slow): recheck_timeout_secs must be between 1 and 120"]);
    }

    #[test]
    fn quiet_hours_may_span_midnight() {
        let night = QuietHours::try_from("23:00-07:30".to_string()).unwrap();
        assert!(night.contains(23 * 60) && night.contains(3 * 60) && !night.contains(7 * 60 + 30));
        assert!(!night.contains(12 * 60));
        assert!(QuietHours::try_from("25:00-07:00".to_string()).is_err());
        assert_eq!(serde_json::to_string(&night).unwrap(), "\"23:00-07:30\"");
    }

    #[test]
    fn problems_across_accounts_are_named() {
        let file: File = parse_all(
            "[[accounts]]\nname = \"a\"\ndaily_cap = 300\n[[accounts]]\nname = \"a\"\n\
             filters = { verdicts = [\"great\"] }\nlinks = [{ shop = \"kiabi\", template = \"https://aff/\", disclosure = \"\" }]\n",
        )
        .unwrap();
        let problems = check(&file.accounts).join("\n");
        for expected in [
            "daily_cap (300) is above monthly_cap",
            "another account already has this name",
            "`great`",
            "{url}",
            "disclosure",
        ] {
            assert!(problems.contains(expected), "{expected} missing from:\n{problems}");
        }
    }
}
