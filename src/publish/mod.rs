//! Publishing deals to social accounts. This module owns everything between a judged deal and a post on a
//! platform; it exists so that what followers read (honest figures, French formatting, the platform's length
//! limit) is decided in one place, as pure functions, and so that talking to each platform (`x`) stays apart from
//! deciding what to say.
//!
//! - [`accounts`]: the `[[accounts]]` of `dealcast.toml`;
//! - [`selection`], [`drafting`], [`compose`]: which deals a slot posts and what the posts say;
//!   [`claimed_wording`]: the words of a deal whose only discount is the shop's claim (curated review only);
//!   [`shortfall`], [`shortfall_wording`]: why a slot would post fewer deals than it wants, in words;
//! - [`pacing`]: quiet hours, spacing, caps and budget;
//! - [`outbox`], [`account_state`], [`reconcile`]: exactly-once sending over PostgreSQL;
//! - [`publisher`]: one account's ticks; [`review`]: the curated queue; [`recheck`], [`recheck_verdict`]: the
//!   product page read again just before a post goes out (or is approved);
//! - [`platform`], [`x`]: where posts go.

pub mod account_state;
pub mod accounts;
pub mod claimed_wording;
pub mod compose;
pub mod drafting;
pub mod expiry;
pub mod followups;
pub mod french;
pub mod images;
pub mod outbox;
pub mod pacing;
pub mod pause_points;
pub mod platform;
pub mod publisher;
pub mod recheck;
pub mod recheck_verdict;
pub mod reconcile;
pub mod review;
pub mod runner;
pub mod selection;
pub mod shortfall;
pub mod shortfall_wording;
pub mod text_length;
pub mod x;
