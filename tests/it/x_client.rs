//! The X client against the mock X API over loopback: each answer X can give is sorted into what the publisher
//! must do (record, reconcile, stop, wait, retry), and a post accepted before the connection dropped can be found
//! again in the account's recent posts by its original link, which is what reconciliation relies on.

use crate::support;

use std::time::Duration;

use chrono::{TimeZone as _, Utc};
use dealcast::publish::x::client::{TransientCause, XClient, XError};
use dealcast::publish::x::oauth::Credentials;
use support::mock_x::{Fault, MockAccount, MockX};

fn credentials() -> Credentials {
    Credentials {
        consumer_key: "consumer-key-1".into(),
        consumer_secret: "consumer-SECRET-do-not-log".into(),
        token: "42-access-token".into(),
        token_secret: "token-SECRET-do-not-log".into(),
    }
}

async fn mock() -> MockX {
    MockX::start(vec![MockAccount { credentials: credentials(), user_id: "42".into(), username: "bonsplans".into() }])
        .await
}

fn client(mock: &MockX, credentials: Credentials) -> XClient {
    XClient::new(&mock.base_url(), credentials, Duration::from_secs(5)).unwrap()
}

#[tokio::test]
async fn a_post_is_created_and_its_id_returned() {
    let mock = mock().await;
    let posted = client(&mock, credentials()).post_tweet("Casque à 19,99 €").await.unwrap();
    assert!(!posted.id.is_empty());
    assert_eq!(posted.text, "Casque à 19,99 €");
    assert_eq!(mock.posts_of("42")[0].id, posted.id);
    assert_eq!(mock.post_count(), 1);
}

#[tokio::test]
async fn the_account_id_is_read_from_users_me() {
    let mock = mock().await;
    assert_eq!(client(&mock, credentials()).me().await.unwrap(), "42");
}

#[tokio::test]
async fn a_duplicate_text_is_reported_as_duplicate_not_posted_twice() {
    let mock = mock().await;
    let x = client(&mock, credentials());
    x.post_tweet("Même texte").await.unwrap();
    let error = x.post_tweet("Même texte").await.unwrap_err();
    assert!(matches!(error, XError::Duplicate { ref detail, .. } if detail.contains("duplicate content")), "{error:?}");
    assert_eq!(mock.post_count(), 1);
}

#[tokio::test]
async fn a_wrong_secret_is_unauthorized_and_nothing_is_posted() {
    let mock = mock().await;
    let wrong = Credentials { token_secret: "not-the-token-secret".into(), ..credentials() };
    let error = client(&mock, wrong).post_tweet("Bonjour").await.unwrap_err();
    assert!(matches!(error, XError::Unauthorized { status: 401, .. }), "{error:?}");
    let wrong = Credentials { consumer_secret: "not-the-consumer-secret".into(), ..credentials() };
    let error = client(&mock, wrong).me().await.unwrap_err();
    assert!(matches!(error, XError::Unauthorized { status: 401, .. }), "{error:?}");
    assert_eq!(mock.post_count(), 0);
}

#[tokio::test]
async fn a_429_is_rate_limited_until_the_reset_header() {
    let mock = mock().await;
    let reset = Utc::now().timestamp() + 60;
    mock.fail_next(Fault::RateLimited { reset_at: reset });
    let error = client(&mock, credentials()).post_tweet("Bonjour").await.unwrap_err();
    match error {
        XError::RateLimited { reset_at, .. } => assert_eq!(reset_at, Utc.timestamp_opt(reset, 0).unwrap()),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(mock.post_count(), 0);
}

#[tokio::test]
async fn a_500_is_transient() {
    let mock = mock().await;
    mock.fail_next(Fault::ServerError);
    let error = client(&mock, credentials()).post_tweet("Bonjour").await.unwrap_err();
    assert!(
        matches!(error, XError::Transient { source: TransientCause::ServerError { status: 500, .. }, .. }),
        "{error:?}"
    );
    // The fault was for one request only: the retry goes through.
    client(&mock, credentials()).post_tweet("Bonjour").await.unwrap();
    assert_eq!(mock.post_count(), 1);
}

#[tokio::test]
async fn a_hanging_server_is_transient_after_the_timeout() {
    let mock = mock().await;
    mock.fail_next(Fault::Hang);
    let x = XClient::new(&mock.base_url(), credentials(), Duration::from_millis(300)).unwrap();
    let error = x.post_tweet("Bonjour").await.unwrap_err();
    assert!(matches!(error, XError::Transient { source: TransientCause::Network(_), .. }), "{error:?}");
}

#[tokio::test]
async fn a_post_accepted_then_dropped_is_transient_and_found_by_its_link() {
    let mock = mock().await;
    let x = client(&mock, credentials());
    x.post_tweet("Un autre bon plan https://shop.example/other").await.unwrap();
    mock.fail_next(Fault::AcceptThenDrop);
    let link = "https://shop.example/p/casque-123?ref=dealcast";
    let error = x.post_tweet(&format!("Casque à 19,99 € (-40 %) {link}")).await.unwrap_err();
    assert!(matches!(error, XError::Transient { source: TransientCause::Network(_), .. }), "{error:?}");
    assert_eq!(mock.post_count(), 2);

    let recent = x.recent_tweets(&x.me().await.unwrap(), 10).await.unwrap();
    assert_eq!(recent.len(), 2);
    let found = recent.iter().find(|t| t.expanded_urls.iter().any(|u| u == link)).expect("the dropped post is there");
    assert!(found.text.contains("https://t.co/") && !found.text.contains(link), "{}", found.text);
    assert_eq!(found.id, recent[0].id, "newest first");
    assert_eq!(recent[1].expanded_urls, vec!["https://shop.example/other".to_string()]);
}

#[tokio::test]
async fn an_account_without_posts_has_an_empty_timeline() {
    let mock = mock().await;
    assert!(client(&mock, credentials()).recent_tweets("42", 100).await.unwrap().is_empty());
}

#[tokio::test]
async fn secrets_never_show_in_debug_output() {
    let mock = mock().await;
    let x = client(&mock, credentials());
    let wrong = Credentials { token_secret: "token-SECRET-wrong".into(), ..credentials() };
    let error = client(&mock, wrong.clone()).post_tweet("Bonjour").await.unwrap_err();
    for shown in [
        format!("{x:?}"),
        format!("{:?}", credentials()),
        format!("{wrong:?}"),
        format!("{error:?}"),
        error.to_string(),
    ] {
        assert!(!shown.contains("SECRET"), "{shown}");
    }
    assert!(format!("{x:?}").contains("consumer-key-1"));
}

/// The mock itself must be strict, or the client tests above prove nothing: a signature made for another query,
/// or a nonce used twice, is refused.
#[tokio::test]
async fn the_mock_refuses_a_signature_for_another_query_and_a_replayed_nonce() {
    use dealcast::publish::x::oauth::authorization_header;
    let mock = mock().await;
    let signed_for = url::Url::parse(&format!("{}/2/users/42/tweets?max_results=5", mock.base_url())).unwrap();
    let sent_to = format!("{}/2/users/42/tweets?max_results=50", mock.base_url());
    let now = Utc::now().timestamp();
    let header = authorization_header("GET", &signed_for, &[], &credentials(), "nonce-a", now);
    let http = reqwest::Client::new();
    let status = http.get(&sent_to).header("authorization", &header).send().await.unwrap().status();
    assert_eq!(status.as_u16(), 401);

    let header = authorization_header("GET", &signed_for, &[], &credentials(), "nonce-b", now);
    let first = http.get(signed_for.as_str()).header("authorization", &header).send().await.unwrap().status();
    let replay = http.get(signed_for.as_str()).header("authorization", &header).send().await.unwrap().status();
    assert_eq!((first.as_u16(), replay.as_u16()), (200, 401));
}

#[tokio::test]
async fn a_text_x_refuses_is_a_refusal_of_that_post_and_a_suspension_or_missing_permission_stops_the_account() {
    use dealcast::publish::platform::TextRefusal;
    let mock = mock().await;
    let x = client(&mock, credentials());
    mock.fail_next(Fault::TooLong);
    let error = x.post_tweet("Un texte que X trouve trop long").await.unwrap_err();
    assert_eq!(error.text_refusal(), Some(TextRefusal::TooLong), "{error:?}");
    assert!(!error.stops_account() && error.to_string().contains("Your Tweet text is too long"), "{error}");
    mock.fail_next(Fault::InvalidText);
    let error = x.post_tweet("Un texte que X refuse").await.unwrap_err();
    assert_eq!(error.text_refusal(), Some(TextRefusal::Invalid), "{error:?}");
    assert!(!error.stops_account(), "{error}");
    mock.fail_next(Fault::Suspended);
    let error = x.post_tweet("Bonjour").await.unwrap_err();
    assert!(matches!(error, XError::Suspended { .. }) && error.stops_account(), "{error:?}");
    mock.fail_next(Fault::NotPermitted);
    let error = x.post_tweet("Bonjour").await.unwrap_err();
    assert!(matches!(error, XError::AppPermissions { .. }) && error.stops_account(), "{error:?}");
    assert_eq!(mock.post_count(), 0);
}
