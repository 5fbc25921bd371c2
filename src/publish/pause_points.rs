//! Named points of the send path where a crash test can freeze the publisher and kill it (`kill -9`), to prove
//! that a post goes out exactly once whatever the moment of the crash: before the claim, after it, after the
//! platform accepted the post but before dealcast recorded it, and after recording.
//!
//! Set `DEALCAST_TEST_PAUSE_AT` to one or more point names (comma-separated): on reaching one, the process says so
//! on standard error and waits forever. The points exist only in builds with the `test-hooks` feature: `cargo test`
//! turns it on (the crate's dev-dependency on itself, in Cargo.toml), so the binary the integration tests spawn has
//! them, while `cargo build` and `cargo build --release` leave them out: a released binary has no code that
//! freezes the publisher. Such a build refuses to start with the variable set ([`unavailable`]) rather than ignore
//! it, so a crash test run against it fails instead of passing without having paused anywhere.

/// The variable naming the points to pause at.
pub const VARIABLE: &str = "DEALCAST_TEST_PAUSE_AT";

/// Whether this build has the pause points (the `test-hooks` feature).
pub const ENABLED: bool = cfg!(feature = "test-hooks");

/// Right before a queued post is claimed.
pub const BEFORE_CLAIM: &str = "before_claim";
/// The claim is committed; nothing was sent yet.
pub const AFTER_CLAIM: &str = "after_claim";
/// The platform accepted the post; dealcast has not recorded it yet.
pub const AFTER_POST: &str = "after_post";
/// The post is recorded as published.
pub const AFTER_RECORD: &str = "after_record";

/// Waits forever when `point` is one of the points named by [`VARIABLE`] (in a build with the pause points).
#[cfg(feature = "test-hooks")]
pub async fn reach(point: &str) {
    let named = std::env::var(VARIABLE).is_ok_and(|points| points.split(',').any(|p| p.trim() == point));
    if named {
        eprintln!("dealcast: paused at {point} ({VARIABLE})");
        std::future::pending::<()>().await;
    }
}

/// Does nothing: this build has no pause points.
#[cfg(not(feature = "test-hooks"))]
pub async fn reach(_point: &str) {}

/// Why a process must not start when [`VARIABLE`] is `value` in a build where pause points are `enabled` or not:
/// `None` when it may.
pub fn unavailable(value: Option<&str>, enabled: bool) -> Option<String> {
    match value {
        Some(points) if !enabled && !points.trim().is_empty() => Some(format!(
            "{VARIABLE} is set ({points}), but this dealcast was built without pause points (they are a test hook, \
             in builds with `--features test-hooks` only). Unset {VARIABLE}."
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_without_pause_points_refuses_the_variable() {
        let refusal = unavailable(Some("after_post"), false).expect("refused");
        assert!(refusal.contains(VARIABLE) && refusal.contains("test-hooks"), "{refusal}");
        assert_eq!(unavailable(None, false), None);
        assert_eq!(unavailable(Some(" "), false), None);
        assert_eq!(unavailable(Some("after_post"), true), None);
    }

    /// `cargo test` builds with the feature (through the crate's dev-dependency on itself); this checks that the
    /// constant the binary consults follows the feature, whichever way the build went.
    #[test]
    fn enabled_follows_the_test_hooks_feature() {
        assert_eq!(ENABLED, cfg!(feature = "test-hooks"));
    }
}
