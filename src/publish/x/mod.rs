//! Talking to X (API v2, OAuth 1.0a user context): signing requests ([`oauth`]) and the few calls the publisher
//! makes, with every answer sorted into what the publisher must do next ([`client`]). Kept apart from the choice
//! of what to post, so the exactly-once logic can be tested against a mock X without any network.

pub mod client;
pub mod oauth;
