//! The application clock a worker reads for what it dates itself (a harvest's times, the scheduler's due slots, a
//! rescoring's "as of"): the wall clock, which a test build can shift.
//!
//! Leases never read it: they are on the database's clock ([`super::QueueClock::Database`]), so a worker whose
//! clock runs fast cannot take over a job another worker is running. To prove that with real worker processes, a
//! test runs one whose clock is ahead: `DEALCAST_TEST_CLOCK_SKEW_SECS=120` moves this clock two minutes forward (a
//! negative number moves it back). The hook exists only in builds with the `test-hooks` feature (`cargo test`
//! turns it on through the crate's dev-dependency on itself; `cargo build` and `cargo build --release` leave it
//! out), like the publisher's pause points (`publish::pause_points`); such a build refuses to start with the
//! variable set ([`skew_from`]) rather than ignore it.

use chrono::{DateTime, TimeDelta, Utc};

/// The variable that shifts the clock, in whole seconds.
pub const VARIABLE: &str = "DEALCAST_TEST_CLOCK_SKEW_SECS";

/// Whether this build has the hook (the `test-hooks` feature).
pub const ENABLED: bool = cfg!(feature = "test-hooks");

/// The most a clock may be shifted: a day either way (a bigger value is a mistake, not a test).
const MAX_SKEW_SECS: i64 = 86_400;

/// Why a process must not start with [`VARIABLE`] as it is set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockSkewError {
    #[error(
        "{VARIABLE} is set ({0}), but this dealcast was built without test hooks (the clock shift is a test hook, in \
         builds with `--features test-hooks` only). Unset {VARIABLE}."
    )]
    Unavailable(String),
    #[error("{VARIABLE} must be a whole number of seconds between -{MAX_SKEW_SECS} and {MAX_SKEW_SECS}, not {0:?}")]
    NotSeconds(String),
}

/// The shift [`VARIABLE`] asks for when it is `value`, in a build where the hook is `enabled` or not. Unset or
/// blank: none.
pub fn skew_from(value: Option<&str>, enabled: bool) -> Result<TimeDelta, ClockSkewError> {
    let Some(text) = value.map(str::trim).filter(|text| !text.is_empty()) else { return Ok(TimeDelta::zero()) };
    if !enabled {
        return Err(ClockSkewError::Unavailable(text.to_string()));
    }
    match text.parse::<i64>() {
        Ok(secs) if secs.abs() <= MAX_SKEW_SECS => Ok(TimeDelta::seconds(secs)),
        _ => Err(ClockSkewError::NotSeconds(text.to_string())),
    }
}

/// Now, on the application clock.
pub fn now() -> DateTime<Utc> {
    Utc::now() + skew()
}

/// The shift of this process's clock, read once ([`VARIABLE`]; `main` has refused a value that does not parse).
#[cfg(feature = "test-hooks")]
fn skew() -> TimeDelta {
    static SKEW: std::sync::OnceLock<TimeDelta> = std::sync::OnceLock::new();
    *SKEW.get_or_init(|| skew_from(std::env::var(VARIABLE).ok().as_deref(), true).unwrap_or_default())
}

/// No shift: this build has no clock hook.
#[cfg(not(feature = "test-hooks"))]
fn skew() -> TimeDelta {
    TimeDelta::zero()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_without_test_hooks_refuses_the_variable() {
        let refusal = skew_from(Some("120"), false).unwrap_err();
        assert_eq!(refusal, ClockSkewError::Unavailable("120".into()));
        let said = refusal.to_string();
        assert!(said.contains(VARIABLE) && said.contains("test-hooks"), "{said}");
        assert_eq!(skew_from(None, false), Ok(TimeDelta::zero()));
        assert_eq!(skew_from(Some(" "), false), Ok(TimeDelta::zero()));
    }

    #[test]
    fn a_test_build_reads_whole_seconds_either_way() {
        assert_eq!(skew_from(Some("120"), true), Ok(TimeDelta::minutes(2)));
        assert_eq!(skew_from(Some(" -30 "), true), Ok(TimeDelta::seconds(-30)));
        for bad in ["2m", "1.5", "86401", "-99999999999999999999"] {
            assert_eq!(skew_from(Some(bad), true), Err(ClockSkewError::NotSeconds(bad.into())), "{bad}");
        }
    }

    /// `cargo test` builds with the feature (through the crate's dev-dependency on itself); this checks that the
    /// constant the binary consults follows the feature, whichever way the build went.
    #[test]
    fn enabled_follows_the_test_hooks_feature() {
        assert_eq!(ENABLED, cfg!(feature = "test-hooks"));
    }
}
