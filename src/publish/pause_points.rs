//! Named points of the send path where a crash test can freeze the publisher and kill it (`kill -9`), to prove
//! that a post goes out exactly once whatever the moment of the crash: before the claim, after it, after the
//! platform accepted the post but before dealcast recorded it, and after recording.
//!
//! Set `DEALCAST_TEST_PAUSE_AT` to one or more point names (comma-separated): on reaching one, the process says so
//! on standard error and waits forever. Unset (always, outside tests), a point costs one environment lookup.

/// The variable naming the points to pause at.
pub const VARIABLE: &str = "DEALCAST_TEST_PAUSE_AT";

/// Right before a queued post is claimed.
pub const BEFORE_CLAIM: &str = "before_claim";
/// The claim is committed; nothing was sent yet.
pub const AFTER_CLAIM: &str = "after_claim";
/// The platform accepted the post; dealcast has not recorded it yet.
pub const AFTER_POST: &str = "after_post";
/// The post is recorded as published.
pub const AFTER_RECORD: &str = "after_record";

/// Waits forever when `point` is one of the points named by [`VARIABLE`].
pub async fn reach(point: &str) {
    let named = std::env::var(VARIABLE).is_ok_and(|points| points.split(',').any(|p| p.trim() == point));
    if named {
        eprintln!("dealcast: paused at {point} ({VARIABLE})");
        std::future::pending::<()>().await;
    }
}
