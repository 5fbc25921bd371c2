//! When to try a failed request again: exponential backoff with jitter (backon), stretched to what the server asks
//! for in `Retry-After`.
//!
//! `Retry-After` comes as a number of seconds or as an HTTP date (RFC 9110 §10.2.3); both are read here, the date
//! by `httpdate`, which also accepts the two obsolete date forms servers still send.

use std::time::{Duration, SystemTime};

use backon::ExponentialBuilder;

/// Backoff never waits longer than this between two attempts, whatever the attempt number.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The backoff for a request: `base`, then twice as long each time, each wait plus up to as much again at random
/// (so many crawlers failing together do not come back together), at most `max_retries` times.
pub(crate) fn backoff(base: Duration, max_retries: u32) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(base)
        .with_max_delay(MAX_BACKOFF.max(base))
        .with_factor(2.0)
        .with_max_times(usize::try_from(max_retries).unwrap_or(usize::MAX))
        .with_jitter()
}

/// How long a `Retry-After` value asks us to wait from `now`: a whole number of seconds or an HTTP date (a date in
/// the past means no wait). `None` for a value that is neither.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // An absurdly long number still means "a very long time", not "no wait".
        return Some(value.parse::<u64>().map(Duration::from_secs).unwrap_or(Duration::MAX));
    }
    let moment = httpdate::parse_http_date(value).ok()?;
    Some(moment.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use backon::BackoffBuilder;

    fn at(seconds_since_epoch: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds_since_epoch)
    }

    #[test]
    fn retry_after_in_seconds_is_read() {
        assert_eq!(parse_retry_after("1", SystemTime::now()), Some(Duration::from_secs(1)));
        assert_eq!(parse_retry_after(" 120 ", SystemTime::now()), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("0", SystemTime::now()), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_as_an_http_date_is_the_time_left_until_then() {
        // Sun, 06 Nov 1994 08:49:37 GMT is 784111777 seconds after the epoch.
        let now = at(784_111_777 - 90);
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(Duration::from_secs(90)));
        assert_eq!(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), Some(Duration::from_secs(90)));
        assert_eq!(parse_retry_after("Sun Nov  6 08:49:37 1994", now), Some(Duration::from_secs(90)));
    }

    #[test]
    fn retry_after_in_the_past_means_no_wait() {
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at(784_111_777 + 5)), Some(Duration::ZERO));
    }

    #[test]
    fn malformed_retry_after_is_ignored() {
        for value in ["", "soon", "-5", "1.5", "Sun, 32 Nov 1994 08:49:37 GMT", "5s"] {
            assert_eq!(parse_retry_after(value, SystemTime::now()), None, "{value:?}");
        }
    }

    #[test]
    fn a_huge_retry_after_is_a_long_wait_not_an_error() {
        assert_eq!(parse_retry_after("99999999999999999999999", SystemTime::now()), Some(Duration::MAX));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_stops_after_the_retries() {
        let waits: Vec<Duration> = backoff(Duration::from_millis(100), 3).build().collect();
        assert_eq!(waits.len(), 3);
        for (wait, base) in waits.iter().zip([100, 200, 400]) {
            let base = Duration::from_millis(base);
            assert!(*wait >= base && *wait <= base * 2, "{wait:?} for a base of {base:?}");
        }
        assert_eq!(backoff(Duration::from_millis(100), 0).build().count(), 0);
    }
}
