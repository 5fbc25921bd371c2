//! Whether an account may post now: its quiet hours, the least spacing between two posts, its daily and monthly
//! caps and its monthly budget, all read on the account's own wall clock (a "day" is a day in Europe/Paris for a
//! French account, not a UTC day). Pure: the publisher counts what was sent and passes the counts and the time in,
//! so every rule is tested here without a database or a clock.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::accounts::{AccountConfig, QuietHours};

/// The pacing rules of one account, from its configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PacingRules {
    pub tz: Tz,
    pub quiet_hours: Option<QuietHours>,
    pub min_spacing: TimeDelta,
    pub daily_cap: u32,
    pub monthly_cap: u32,
    pub monthly_budget: Option<Decimal>,
    pub cost_per_post: Decimal,
    pub cost_per_post_with_link: Decimal,
}

impl PacingRules {
    /// The rules `account` sets.
    pub fn of(account: &AccountConfig) -> PacingRules {
        PacingRules {
            tz: account.timezone.0,
            quiet_hours: account.quiet_hours,
            min_spacing: TimeDelta::minutes(i64::from(account.min_spacing_minutes)),
            daily_cap: account.daily_cap,
            monthly_cap: account.monthly_cap,
            monthly_budget: account.monthly_budget,
            cost_per_post: account.cost_per_post,
            cost_per_post_with_link: account.cost_per_post_with_link,
        }
    }

    /// What one post costs against the budget (X bills a post with a link more).
    pub fn cost_of(&self, has_link: bool) -> Decimal {
        if has_link { self.cost_per_post_with_link } else { self.cost_per_post }
    }

    /// Whether `at` falls in the quiet hours.
    pub fn is_quiet(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.tz);
        self.quiet_hours.is_some_and(|quiet| quiet.contains(local.hour() * 60 + local.minute()))
    }

    /// The first instant of the local day holding `at`.
    pub fn day_start(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        local_midnight(self.tz, at.with_timezone(&self.tz).date_naive()).unwrap_or(at)
    }

    /// The first instant of the local month holding `at`.
    pub fn month_start(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let date = at.with_timezone(&self.tz).date_naive();
        date.with_day(1).and_then(|first| local_midnight(self.tz, first)).unwrap_or(at)
    }
}

/// Midnight of `date` on the wall clock of `tz` (or the first instant of that day where midnight does not exist).
fn local_midnight(tz: Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    (0..=180).find_map(|minutes| {
        let wall = midnight.checked_add_signed(TimeDelta::minutes(minutes))?;
        tz.from_local_datetime(&wall).earliest().map(|instant| instant.with_timezone(&Utc))
    })
}

/// What the account has sent (or is sending) so far, as the publisher counted it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SentSoFar {
    /// When the latest post was sent (claimed), if any.
    pub last_sent_at: Option<DateTime<Utc>>,
    /// Posts since the start of the local day.
    pub today: u32,
    /// Posts since the start of the local month.
    pub this_month: u32,
    /// What those posts cost this month.
    pub spent_this_month: Decimal,
}

/// Why a post must wait.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Hold {
    #[error("quiet hours")]
    QuietHours,
    #[error("the last post was at {last}; the next may go at {next} (minimum spacing)")]
    Spacing { last: DateTime<Utc>, next: DateTime<Utc> },
    #[error("the daily cap of {cap} posts is reached")]
    DailyCap { cap: u32 },
    #[error("the monthly cap of {cap} posts is reached")]
    MonthlyCap { cap: u32 },
    #[error("the monthly budget of {budget} would be exceeded: {spent} spent, the next post costs {cost}")]
    Budget { budget: Decimal, spent: Decimal, cost: Decimal },
}

/// Whether a post costing `cost` may go out at `now`, or the first rule that holds it back.
pub fn may_send(rules: &PacingRules, sent: &SentSoFar, now: DateTime<Utc>, cost: Decimal) -> Result<(), Hold> {
    if rules.is_quiet(now) {
        return Err(Hold::QuietHours);
    }
    if let Some(last) = sent.last_sent_at {
        let next = last + rules.min_spacing;
        if now < next {
            return Err(Hold::Spacing { last, next });
        }
    }
    if sent.today >= rules.daily_cap {
        return Err(Hold::DailyCap { cap: rules.daily_cap });
    }
    if sent.this_month >= rules.monthly_cap {
        return Err(Hold::MonthlyCap { cap: rules.monthly_cap });
    }
    if let Some(budget) = rules.monthly_budget
        && sent.spent_this_month + cost > budget
    {
        return Err(Hold::Budget { budget, spent: sent.spent_this_month, cost });
    }
    Ok(())
}

/// The budget left this month, if the account has one.
pub fn budget_left(rules: &PacingRules, sent: &SentSoFar) -> Option<Decimal> {
    rules.monthly_budget.map(|budget| (budget - sent.spent_this_month).max(Decimal::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    fn rules() -> PacingRules {
        PacingRules {
            tz: Paris,
            quiet_hours: Some(QuietHours::try_from("22:00-08:00".to_string()).unwrap()),
            min_spacing: TimeDelta::minutes(30),
            daily_cap: 3,
            monthly_cap: 10,
            monthly_budget: Some(Decimal::new(100, 2)),
            cost_per_post: Decimal::new(1, 2),
            cost_per_post_with_link: Decimal::new(20, 2),
        }
    }

    fn paris(text: &str) -> DateTime<Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        Paris.from_local_datetime(&naive).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn quiet_hours_are_read_on_the_accounts_wall_clock() {
        // 21:30 UTC is 22:30 in Paris in winter: quiet there, though not yet 22:00 in UTC.
        assert!(rules().is_quiet(paris("2026-11-26 22:30")));
        assert!(!rules().is_quiet(paris("2026-11-26 08:00")));
        assert_eq!(
            may_send(&rules(), &SentSoFar::default(), paris("2026-11-27 07:59"), Decimal::ZERO),
            Err(Hold::QuietHours)
        );
    }

    #[test]
    fn a_post_waits_for_the_minimum_spacing() {
        let sent = SentSoFar { last_sent_at: Some(paris("2026-11-26 12:00")), ..SentSoFar::default() };
        let held = may_send(&rules(), &sent, paris("2026-11-26 12:29"), Decimal::ZERO);
        assert_eq!(held, Err(Hold::Spacing { last: paris("2026-11-26 12:00"), next: paris("2026-11-26 12:30") }));
        assert_eq!(may_send(&rules(), &sent, paris("2026-11-26 12:30"), Decimal::ZERO), Ok(()));
    }

    #[test]
    fn caps_and_budget_hold_posts_back() {
        let now = paris("2026-11-26 12:00");
        let full_day = SentSoFar { today: 3, this_month: 3, ..SentSoFar::default() };
        assert_eq!(may_send(&rules(), &full_day, now, Decimal::ZERO), Err(Hold::DailyCap { cap: 3 }));
        let full_month = SentSoFar { today: 0, this_month: 10, ..SentSoFar::default() };
        assert_eq!(may_send(&rules(), &full_month, now, Decimal::ZERO), Err(Hold::MonthlyCap { cap: 10 }));
        let spent = SentSoFar { spent_this_month: Decimal::new(90, 2), ..SentSoFar::default() };
        let link = rules().cost_of(true);
        assert!(matches!(may_send(&rules(), &spent, now, link), Err(Hold::Budget { .. })));
        // A post without a link is cheaper and still fits.
        assert_eq!(may_send(&rules(), &spent, now, rules().cost_of(false)), Ok(()));
        assert_eq!(budget_left(&rules(), &spent), Some(Decimal::new(10, 2)));
    }

    #[test]
    fn days_and_months_start_at_local_midnight() {
        let rules = rules();
        // 00:30 in Paris on the 27th is still the 26th in UTC: the day is the 27th's.
        assert_eq!(rules.day_start(paris("2026-11-27 00:30")), paris("2026-11-27 00:00"));
        assert_eq!(rules.month_start(paris("2026-12-01 00:10")), paris("2026-12-01 00:00"));
        assert_eq!(rules.month_start(paris("2026-11-30 23:50")), paris("2026-11-01 00:00"));
    }
}
