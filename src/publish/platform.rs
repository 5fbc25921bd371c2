//! Where an account's posts go: X through its API, or nowhere (`dry_run`, which records what would have been
//! posted). The publisher talks to this one type, so the outbox, pacing and reconciliation are the same whatever
//! the platform; Mastodon and Bluesky would be two more variants.
//!
//! Secrets are read here from the environment variables the account names, and only their names ever appear in an
//! error.

use std::time::Duration;

use super::accounts::{AccountConfig, Platform};
use super::images::Image;
use super::x::client::{RemoteTweet, XClient, XError};
use super::x::oauth::Credentials;

/// How long one request to the platform may take before it counts as inconclusive.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a platform refused a post's words, which is a matter for that post alone: the publisher re-composes it
/// shorter once, and gives up on that post (never the account) if it is refused again. Every platform's client
/// sorts its "too long" and "invalid text" answers into this, so the publisher treats them the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRefusal {
    /// Over the platform's length limit by its own count.
    TooLong,
    /// Refused for its content (a character or form the platform does not take).
    Invalid,
}

impl std::fmt::Display for TextRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TextRefusal::TooLong => "too long",
            TextRefusal::Invalid => "invalid text",
        })
    }
}

/// A post the platform accepted (or, for `dry_run`, recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub remote_id: String,
    /// Where people can see it (none for `dry_run`).
    pub remote_url: Option<String>,
}

/// The platform end of one account.
#[derive(Debug, Clone)]
pub enum Sender {
    X(XClient),
    DryRun { account: String },
}

/// An account's secret is missing from the environment.
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    #[error("account {account}: the environment variable {variable} (its {secret}) is not set")]
    MissingSecret { account: String, variable: String, secret: &'static str },
    #[error("account {account}: {source}")]
    Client {
        account: String,
        #[source]
        source: XError,
    },
}

impl Sender {
    /// The sender of `account`, its secrets read through `env` (the process environment in production).
    pub fn for_account(account: &AccountConfig, env: impl Fn(&str) -> Option<String>) -> Result<Sender, SenderError> {
        match account.platform {
            Platform::DryRun => Ok(Sender::DryRun { account: account.name.clone() }),
            Platform::X => {
                let secret = |name: &'static str, label: &'static str| {
                    let variable = account.credentials.variable(&account.name, name);
                    env(&variable).filter(|value| !value.is_empty()).ok_or(SenderError::MissingSecret {
                        account: account.name.clone(),
                        variable,
                        secret: label,
                    })
                };
                let credentials = Credentials {
                    consumer_key: secret("CONSUMER_KEY", "consumer key")?,
                    consumer_secret: secret("CONSUMER_SECRET", "consumer secret")?,
                    token: secret("ACCESS_TOKEN", "access token")?,
                    token_secret: secret("ACCESS_TOKEN_SECRET", "access token secret")?,
                };
                XClient::new(account.api_base_url.0.as_str(), credentials, REQUEST_TIMEOUT)
                    .map(Sender::X)
                    .map_err(|source| SenderError::Client { account: account.name.clone(), source })
            }
        }
    }

    /// Whether posts really leave dealcast.
    pub fn is_remote(&self) -> bool {
        matches!(self, Sender::X(_))
    }

    /// Posts `text`, with `image` when given (an image that cannot be uploaded is left out, with a warning);
    /// `publication_id` names a `dry_run` record.
    pub async fn post(&self, text: &str, image: Option<Image>, publication_id: i64) -> Result<Accepted, XError> {
        match self {
            Sender::X(client) => {
                let mut media_ids = Vec::new();
                if let Some(image) = image {
                    match client.upload_image(image.bytes, &image.media_type).await {
                        Ok(id) => media_ids.push(id),
                        Err(error) => tracing::warn!(%error, "the image was not uploaded; posting the text alone"),
                    }
                }
                let posted = client.post_tweet_with_media(text, &media_ids).await?;
                let remote_url = Some(format!("https://x.com/i/status/{}", posted.id));
                Ok(Accepted { remote_id: posted.id, remote_url })
            }
            Sender::DryRun { account } => {
                Ok(Accepted { remote_id: format!("dry-run:{account}:{publication_id}"), remote_url: None })
            }
        }
    }

    /// Posts `text` in reply to the account's post `in_reply_to` (a follow-up, `publish::followups`).
    pub async fn reply(&self, text: &str, in_reply_to: &str, publication_id: i64) -> Result<Accepted, XError> {
        match self {
            Sender::X(client) => {
                let posted = client.post_reply(text, in_reply_to).await?;
                let remote_url = Some(format!("https://x.com/i/status/{}", posted.id));
                Ok(Accepted { remote_id: posted.id, remote_url })
            }
            Sender::DryRun { account } => {
                Ok(Accepted { remote_id: format!("dry-run:{account}:{publication_id}"), remote_url: None })
            }
        }
    }

    /// The account's id on the platform.
    pub async fn user_id(&self) -> Result<String, XError> {
        match self {
            Sender::X(client) => client.me().await,
            Sender::DryRun { account } => Ok(format!("dry-run:{account}")),
        }
    }

    /// The account's recent posts, newest first (none for `dry_run`, which sends nothing).
    pub async fn recent_posts(&self, user_id: &str) -> Result<Vec<RemoteTweet>, XError> {
        match self {
            Sender::X(client) => client.recent_tweets(user_id, 100).await,
            Sender::DryRun { .. } => Ok(Vec::new()),
        }
    }

    /// The URL of a post whose id was found by reconciliation.
    pub fn url_of(&self, remote_id: &str) -> Option<String> {
        match self {
            Sender::X(_) => Some(format!("https://x.com/i/status/{remote_id}")),
            Sender::DryRun { .. } => None,
        }
    }
}
