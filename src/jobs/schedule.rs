//! Which slot of a cron schedule is due, computed on the shop's wall clock. Pure: no I/O, no clock; the scheduler
//! passes the times in.
//!
//! A schedule names wall-clock times ("06:30 every day" in Europe/Paris), and daylight saving time makes some of
//! those times occur twice a year and others not at all. The `cron` crate skips times that do not exist and yields
//! repeated ones twice, which would make a daily scrape vanish one day in spring and run twice one night in autumn.
//! So slots are computed here on the naive wall clock and then placed on the time line the way cron daemons do:
//! - a wall-clock time that occurs twice is the first of the two (RFC 5545 does the same);
//! - a wall-clock time skipped by the clock jumping forward runs when the clock lands, at the end of the gap
//!   (Vixie cron runs such jobs "immediately" after the change).
//!
//! Both rules keep slots in order: a later wall-clock time never lands before an earlier one.

use chrono::{DateTime, Days, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The slots of `schedule` (on the wall clock of `tz`) in `(after, until]` that are still worth running: at most
/// one, the latest. A slot's job means "do it now"; after a downtime (or between two ticks further apart than the
/// schedule's period), the older missed slots would only queue the same work again behind it.
pub fn due_slots(schedule: &cron::Schedule, tz: Tz, after: DateTime<Utc>, until: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    latest_slot(schedule, tz, until).filter(|slot| *slot > after).into_iter().collect()
}

/// The latest slot of `schedule` at or before `until`, if the schedule has any.
pub fn latest_slot(schedule: &cron::Schedule, tz: Tz, until: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // No slot after this wall-clock time can land at or before `until`: it is `until` read with the largest UTC
    // offset in force around it (a day either side covers any transition near `until`).
    let largest_offset = [until.checked_sub_days(Days::new(1)), Some(until), until.checked_add_days(Days::new(1))]
        .into_iter()
        .flatten()
        .map(|instant| tz.offset_from_utc_datetime(&instant.naive_utc()).fix().local_minus_utc())
        .max()?;
    let wall_bound = until.naive_utc().checked_add_signed(TimeDelta::seconds(i64::from(largest_offset) + 1))?;
    // The wall clock is iterated as if it were UTC: there every wall-clock time exists exactly once.
    let mut wall_slots = schedule.after(&Utc.from_utc_datetime(&wall_bound)).rev();
    wall_slots.find_map(|wall_slot| {
        let slot = instant_of_wall_time(tz, wall_slot.naive_utc())?;
        (slot <= until).then_some(slot)
    })
}

/// The instant a wall-clock time of `tz` stands for, by the rules in the module documentation.
fn instant_of_wall_time(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(instant) => Some(instant.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _) => Some(earlier.with_timezone(&Utc)),
        LocalResult::None => end_of_gap(tz, wall),
    }
}

/// The first instant after the gap that `wall` falls into. chrono-tz does not expose its transitions, so the wall
/// clock is walked forward a minute at a time: transitions of the tz database fall on whole minutes, and no gap is
/// longer than a few hours.
fn end_of_gap(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    let minute_start = wall.with_second(0)?.with_nanosecond(0)?;
    (1..=24 * 60).find_map(|minutes| {
        let candidate = minute_start.checked_add_signed(TimeDelta::minutes(minutes))?;
        tz.from_local_datetime(&candidate).earliest().map(|instant| instant.with_timezone(&Utc))
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn schedule(text: &str) -> cron::Schedule {
        cron::Schedule::from_str(text).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    const PARIS: Tz = chrono_tz::Europe::Paris;
    const NONE: [DateTime<Utc>; 0] = [];

    #[test]
    fn a_daily_slot_follows_the_shops_clock_in_winter_and_in_summer() {
        let daily = schedule("0 30 6 * * *");
        assert_eq!(
            due_slots(&daily, PARIS, utc("2026-01-15T00:00:00Z"), utc("2026-01-15T12:00:00Z")),
            [utc("2026-01-15T05:30:00Z")]
        );
        assert_eq!(
            due_slots(&daily, PARIS, utc("2026-07-15T00:00:00Z"), utc("2026-07-15T12:00:00Z")),
            [utc("2026-07-15T04:30:00Z")]
        );
    }

    #[test]
    fn the_bounds_exclude_after_and_include_until() {
        let daily = schedule("0 30 6 * * *");
        let slot = utc("2026-01-15T05:30:00Z");
        assert_eq!(due_slots(&daily, PARIS, slot, utc("2026-01-15T12:00:00Z")), NONE);
        assert_eq!(due_slots(&daily, PARIS, utc("2026-01-15T05:29:59Z"), slot), [slot]);
        assert_eq!(due_slots(&daily, PARIS, utc("2026-01-15T05:00:00Z"), utc("2026-01-15T05:29:59Z")), NONE);
    }

    #[test]
    fn a_slot_skipped_by_the_spring_change_runs_when_the_clock_lands() {
        // 29 March 2026: Paris clocks jump from 02:00 CET to 03:00 CEST (01:00 UTC); 02:30 does not exist.
        let nightly = schedule("0 30 2 * * *");
        assert_eq!(
            due_slots(&nightly, PARIS, utc("2026-03-28T12:00:00Z"), utc("2026-03-29T12:00:00Z")),
            [utc("2026-03-29T01:00:00Z")]
        );
        // The days around it keep 02:30 on the wall clock.
        assert_eq!(
            due_slots(&nightly, PARIS, utc("2026-03-27T12:00:00Z"), utc("2026-03-28T12:00:00Z")),
            [utc("2026-03-28T01:30:00Z")]
        );
        assert_eq!(
            due_slots(&nightly, PARIS, utc("2026-03-29T12:00:00Z"), utc("2026-03-30T12:00:00Z")),
            [utc("2026-03-30T00:30:00Z")]
        );
    }

    #[test]
    fn a_slot_repeated_by_the_autumn_change_runs_once() {
        // 25 October 2026: Paris clocks go back from 03:00 CEST to 02:00 CET (01:00 UTC); 02:30 happens twice.
        let nightly = schedule("0 30 2 * * *");
        let first = utc("2026-10-25T00:30:00Z");
        assert_eq!(due_slots(&nightly, PARIS, utc("2026-10-24T12:00:00Z"), utc("2026-10-25T12:00:00Z")), [first]);
        // A scheduler that enqueued the first 02:30 finds nothing at the second one.
        assert_eq!(due_slots(&nightly, PARIS, first, utc("2026-10-25T01:30:00Z")), NONE);
        assert_eq!(due_slots(&nightly, PARIS, first, utc("2026-10-25T12:00:00Z")), NONE);
    }

    #[test]
    fn an_hourly_schedule_keeps_its_order_across_both_changes() {
        let hourly = schedule("0 0 * * * *");
        // Spring: 02:00 does not exist; 03:00 CEST is the next slot after 01:00 CET.
        assert_eq!(
            due_slots(&hourly, PARIS, utc("2026-03-29T00:00:00Z"), utc("2026-03-29T01:00:00Z")),
            [utc("2026-03-29T01:00:00Z")]
        );
        // Autumn: 02:00 CEST is a slot; 02:00 CET (the repeat) is not; 03:00 CET is.
        assert_eq!(
            due_slots(&hourly, PARIS, utc("2026-10-24T23:00:00Z"), utc("2026-10-25T00:59:59Z")),
            [utc("2026-10-25T00:00:00Z")]
        );
        assert_eq!(due_slots(&hourly, PARIS, utc("2026-10-25T00:00:00Z"), utc("2026-10-25T01:59:59Z")), NONE);
        assert_eq!(
            due_slots(&hourly, PARIS, utc("2026-10-25T00:00:00Z"), utc("2026-10-25T02:00:00Z")),
            [utc("2026-10-25T02:00:00Z")]
        );
    }

    #[test]
    fn after_a_long_downtime_only_the_latest_missed_slot_is_due() {
        let every_quarter_hour = schedule("0 */15 * * * *");
        // A month of missed slots (about 2,900 of them) gives one job, at the last quarter hour before now.
        assert_eq!(
            due_slots(&every_quarter_hour, PARIS, utc("2026-05-01T00:00:00Z"), utc("2026-06-01T10:07:00Z")),
            [utc("2026-06-01T10:00:00Z")]
        );
    }

    #[test]
    fn a_schedule_whose_slots_are_all_in_the_future_has_nothing_due() {
        let in_2099 = schedule("0 0 0 1 1 * 2099");
        assert_eq!(due_slots(&in_2099, PARIS, utc("2026-01-01T00:00:00Z"), utc("2026-06-01T00:00:00Z")), NONE);
    }
}
