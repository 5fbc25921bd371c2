//! A mock X API v2 on loopback, strict where X is strict: it recomputes every OAuth 1.0a signature from the request
//! it received (method, URL from the Host header, query and `oauth_*` parameters) with the account's secrets and
//! answers 401 to a bad one or a replayed nonce; it rewrites links to `https://t.co/...` keeping the original in
//! `entities.urls[].expanded_url`; it refuses a duplicate text with X's 403 body. Faults can be queued for the
//! next requests: 429 with `x-rate-limit-reset`, 500, a hang, a post accepted and then the connection dropped
//! before the answer (the case exactly-once publishing must reconcile), X's 403 "too long" and its 400 for an
//! invalid text, and the 403s of a suspended account or an app without write permission.
//!
//! Raw tokio sockets rather than a mock framework, because dropping a connection after acting on a request is
//! below what mock servers let one script.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dealcast::publish::x::oauth::{Credentials, base_string_uri, hmac_sha1_signature, signature_base_string};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// X's detail for a duplicate post.
pub const DUPLICATE_DETAIL: &str = "You are not allowed to create a Tweet with duplicate content.";

/// X's detail for a post over its length limit.
pub const TOO_LONG_DETAIL: &str = "Your Tweet text is too long. For more information on how Twitter determines text \
                                   length see https://github.com/twitter/twitter-text.";

/// X's detail for a suspended account.
pub const SUSPENDED_DETAIL: &str = "Your account is suspended and is not permitted to access this feature.";

/// X's detail for an app that may not write.
pub const NOT_PERMITTED_DETAIL: &str = "You are not permitted to perform this action.";

/// One account the mock knows: its secrets (to verify signatures) and its user id.
#[derive(Clone, Debug)]
pub struct MockAccount {
    pub credentials: Credentials,
    pub user_id: String,
    pub username: String,
}

impl MockAccount {
    /// An account of the mock whose four secrets are made from `tag`.
    pub fn of(tag: &str, user_id: &str) -> MockAccount {
        let secret = |kind: &str| format!("{kind}-{tag}");
        MockAccount {
            credentials: Credentials {
                consumer_key: secret("ck"),
                consumer_secret: secret("cs"),
                token: secret("at"),
                token_secret: secret("ats"),
            },
            user_id: user_id.to_string(),
            username: tag.to_string(),
        }
    }

    /// The secret a dealcast account named `name` reads from environment variable `variable`
    /// (`DEALCAST_<NAME>_CONSUMER_KEY`...), as `Publisher::new` asks for it.
    pub fn env_of(&self, name: &str, variable: &str) -> Option<String> {
        let secret = variable.strip_prefix(&format!("DEALCAST_{}_", name.to_ascii_uppercase()))?;
        let creds = &self.credentials;
        Some(
            match secret {
                "CONSUMER_KEY" => &creds.consumer_key,
                "CONSUMER_SECRET" => &creds.consumer_secret,
                "ACCESS_TOKEN" => &creds.token,
                "ACCESS_TOKEN_SECRET" => &creds.token_secret,
                _ => return None,
            }
            .clone(),
        )
    }
}

/// A fault to answer one coming request with, instead of the normal answer.
#[derive(Clone, Debug)]
pub enum Fault {
    /// 429 with `x-rate-limit-reset` set to these epoch seconds.
    RateLimited { reset_at: i64 },
    /// 500 with X's problem body.
    ServerError,
    /// Reads the request and never answers.
    Hang,
    /// Handles the request normally (a post is stored) and then closes the connection without answering.
    AcceptThenDrop,
    /// X's 403 for a text over its limit; nothing is stored.
    TooLong,
    /// X's 400 for a text it refuses (its `errors` name the `text` parameter); nothing is stored.
    InvalidText,
    /// X's 403 for a suspended account.
    Suspended,
    /// X's 403 for an app without write permission.
    NotPermitted,
}

/// A post the mock holds.
#[derive(Clone, Debug)]
pub struct StoredPost {
    pub id: String,
    pub author_id: String,
    /// The text as sent.
    pub sent_text: String,
    /// The text with links rewritten to t.co.
    pub text: String,
    /// `(start, end, t.co url, expanded url)`, offsets in characters of `text`.
    pub urls: Vec<(usize, usize, String, String)>,
    /// The uploaded media attached to the post.
    pub media_ids: Vec<String>,
    /// The post this one replies to (`reply.in_reply_to_tweet_id`).
    pub in_reply_to: Option<String>,
}

#[derive(Default)]
struct State {
    accounts: Vec<MockAccount>,
    posts: Vec<StoredPost>,
    faults: VecDeque<Fault>,
    seen_nonces: HashSet<String>,
    /// Uploaded media: id → (media type, size in bytes).
    media: std::collections::HashMap<String, (String, usize)>,
    requests: usize,
    next_id: u64,
}

/// A running mock X API.
#[derive(Clone)]
pub struct MockX {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

struct Request {
    method: String,
    target: String,
    host: String,
    authorization: Option<String>,
    body: Vec<u8>,
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn json(status: u16, body: serde_json::Value) -> Response {
        Response { status, headers: Vec::new(), body: body.to_string() }
    }

    fn problem(status: u16, title: &str, detail: &str) -> Response {
        Response::json(
            status,
            serde_json::json!({ "title": title, "detail": detail, "type": "about:blank", "status": status }),
        )
    }
}

impl MockX {
    /// Starts the mock on 127.0.0.1 with these accounts.
    pub async fn start(accounts: Vec<MockAccount>) -> MockX {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State { accounts, next_id: 1_860_000_000_000_000_000, ..State::default() }));
        let server_state = Arc::clone(&state);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let state = Arc::clone(&server_state);
                tokio::spawn(async move {
                    let _ = serve(stream, &state).await;
                });
            }
        });
        MockX { addr, state }
    }

    /// The base URL to give the client.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers the next request (after those already queued) with `fault`.
    pub fn fail_next(&self, fault: Fault) {
        self.state.lock().unwrap().faults.push_back(fault);
    }

    /// How many posts were accepted (stored), all accounts together.
    pub fn post_count(&self) -> usize {
        self.state.lock().unwrap().posts.len()
    }

    /// The posts of one account, oldest first.
    pub fn posts_of(&self, user_id: &str) -> Vec<StoredPost> {
        self.state.lock().unwrap().posts.iter().filter(|p| p.author_id == user_id).cloned().collect()
    }

    /// How many requests arrived (faulted ones included).
    pub fn request_count(&self) -> usize {
        self.state.lock().unwrap().requests
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(position) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break position;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split_whitespace();
    let (method, target) = (request_line.next()?.to_string(), request_line.next()?.to_string());
    let (mut host, mut authorization, mut length) = (String::new(), None, 0usize);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim().to_string();
        match name.trim().to_ascii_lowercase().as_str() {
            "host" => host = value,
            "authorization" => authorization = Some(value),
            "content-length" => length = value.parse().ok()?,
            _ => {}
        }
    }
    let mut body = buffer[header_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some(Request { method, target, host, authorization, body })
}

async fn serve(mut stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let Some(request) = read_request(&mut stream).await else { return Ok(()) };
    let fault = {
        let mut state = state.lock().unwrap();
        state.requests += 1;
        state.faults.pop_front()
    };
    let response = match fault {
        Some(Fault::RateLimited { reset_at }) => {
            let mut response = Response::problem(429, "Too Many Requests", "Too Many Requests");
            response.headers = vec![
                ("x-rate-limit-limit".into(), "100".into()),
                ("x-rate-limit-remaining".into(), "0".into()),
                ("x-rate-limit-reset".into(), reset_at.to_string()),
            ];
            response
        }
        Some(Fault::ServerError) => Response::problem(500, "Internal Server Error", "Something went wrong."),
        Some(Fault::TooLong) => Response::problem(403, "Forbidden", TOO_LONG_DETAIL),
        Some(Fault::InvalidText) => Response::json(
            400,
            serde_json::json!({
                "errors": [{ "parameters": { "text": ["(the text)"] }, "message": "Tweet text is invalid." }],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            }),
        ),
        Some(Fault::Suspended) => Response::problem(403, "Forbidden", SUSPENDED_DETAIL),
        Some(Fault::NotPermitted) => Response::problem(403, "Forbidden", NOT_PERMITTED_DETAIL),
        Some(Fault::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return Ok(());
        }
        Some(Fault::AcceptThenDrop) => {
            let _ = handle(&request, state);
            return stream.shutdown().await;
        }
        None => handle(&request, state),
    };
    let reason = match response.status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Internal Server Error",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n",
        response.status,
        response.body.len()
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(response.body.as_bytes()).await?;
    stream.shutdown().await
}

/// The oauth parameters of an `Authorization: OAuth ...` header, decoded.
fn oauth_header_params(header: &str) -> Option<Vec<(String, String)>> {
    let fields = header.strip_prefix("OAuth ")?;
    fields
        .split(',')
        .map(|field| {
            let (name, value) = field.trim().split_once('=')?;
            let value = value.strip_prefix('"')?.strip_suffix('"')?;
            let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8().ok().map(|c| c.into_owned());
            Some((decode(name)?, decode(value)?))
        })
        .collect()
}

/// The account whose secrets produce the request's signature, or `None` (a 401).
fn verify(request: &Request, url: &url::Url, state: &mut State) -> Option<MockAccount> {
    let params = oauth_header_params(request.authorization.as_deref()?)?;
    let get = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let (signature, nonce, timestamp) = (get("oauth_signature")?, get("oauth_nonce")?, get("oauth_timestamp")?);
    if get("oauth_signature_method")? != "HMAC-SHA1" {
        return None;
    }
    let skew = chrono::Utc::now().timestamp() - timestamp.parse::<i64>().ok()?;
    if skew.abs() > 300 {
        return None;
    }
    let account = state
        .accounts
        .iter()
        .find(|a| Some(&a.credentials.token) == get("oauth_token").as_ref())
        .filter(|a| Some(&a.credentials.consumer_key) == get("oauth_consumer_key").as_ref())?
        .clone();
    let mut signed: Vec<(String, String)> = url.query_pairs().map(|(n, v)| (n.into_owned(), v.into_owned())).collect();
    signed.extend(params.iter().filter(|(n, _)| n != "oauth_signature" && n != "realm").cloned());
    let base = signature_base_string(&request.method, &base_string_uri(url), &signed);
    let expected = hmac_sha1_signature(&base, &account.credentials.consumer_secret, &account.credentials.token_secret);
    if expected != signature || !state.seen_nonces.insert(nonce) {
        return None;
    }
    Some(account)
}

fn handle(request: &Request, state: &Mutex<State>) -> Response {
    let Ok(url) = url::Url::parse(&format!("http://{}{}", request.host, request.target)) else {
        return Response::problem(400, "Bad Request", "bad request target");
    };
    let mut state = state.lock().unwrap();
    let Some(account) = verify(request, &url, &mut state) else {
        return Response::problem(401, "Unauthorized", "Unauthorized");
    };
    let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["2", "tweets"]) => post(&request.body, &account, &mut state),
        ("POST", ["2", "media", "upload"]) => upload(&request.body, &mut state),
        ("GET", ["2", "users", "me"]) => Response::json(
            200,
            serde_json::json!({ "data": { "id": account.user_id, "name": account.username, "username": account.username } }),
        ),
        ("GET", ["2", "users", user_id, "tweets"]) => timeline(user_id, &url, &state),
        _ => Response::problem(404, "Not Found Error", "no such endpoint"),
    }
}

/// `POST /2/media/upload` (multipart): the `media` part is stored, its id returned.
fn upload(body: &[u8], state: &mut State) -> Response {
    let text = String::from_utf8_lossy(body);
    let has_media = text.contains("name=\"media\"");
    let category = text.contains("name=\"media_category\"") && text.contains("tweet_image");
    let media_type = ["image/png", "image/jpeg", "image/webp", "image/gif"].into_iter().find(|t| text.contains(t));
    let (true, true, Some(media_type)) = (has_media, category, media_type) else {
        return Response::problem(400, "Invalid Request", "media, media_category and a known media type are required");
    };
    state.next_id += 1;
    let id = state.next_id.to_string();
    state.media.insert(id.clone(), (media_type.to_string(), body.len()));
    Response::json(
        200,
        serde_json::json!({ "data": { "id": id, "media_key": format!("3_{id}"), "size": body.len(),
            "expires_after_secs": 86400, "image": { "image_type": media_type } } }),
    )
}

fn post(body: &[u8], account: &MockAccount, state: &mut State) -> Response {
    let json = serde_json::from_slice::<serde_json::Value>(body).unwrap_or_default();
    let Some(sent_text) = json["text"].as_str().map(str::to_string) else {
        return Response::problem(400, "Invalid Request", "One or more parameters to your request was invalid.");
    };
    let media_ids: Vec<String> = json["media"]["media_ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(|id| id.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    if media_ids.iter().any(|id| !state.media.contains_key(id)) {
        return Response::problem(400, "Invalid Request", "Your media IDs are invalid.");
    }
    // X v2 answers a reply to a post it does not hold (deleted, never existed) with a 400 naming the parameter.
    let in_reply_to = json["reply"]["in_reply_to_tweet_id"].as_str().map(str::to_string);
    if let Some(parent) = &in_reply_to
        && !state.posts.iter().any(|p| &p.id == parent)
    {
        return Response::problem(400, "Invalid Request", "The `reply.in_reply_to_tweet_id` post does not exist.");
    }
    if state.posts.iter().any(|p| p.author_id == account.user_id && p.sent_text == sent_text) {
        return Response::problem(403, "Forbidden", DUPLICATE_DETAIL);
    }
    state.next_id += 1;
    let id = state.next_id.to_string();
    let link = regex::Regex::new(r"https?://[^\s]+").unwrap();
    let (mut text, mut urls, mut last) = (String::new(), Vec::new(), 0);
    for found in link.find_iter(&sent_text) {
        text.push_str(&sent_text[last..found.start()]);
        let short = format!("https://t.co/{}x{}", id.chars().rev().take(6).collect::<String>(), urls.len());
        let start = text.chars().count();
        text.push_str(&short);
        urls.push((start, text.chars().count(), short, found.as_str().to_string()));
        last = found.end();
    }
    text.push_str(&sent_text[last..]);
    state.posts.push(StoredPost {
        id: id.clone(),
        author_id: account.user_id.clone(),
        sent_text,
        text: text.clone(),
        urls,
        media_ids,
        in_reply_to,
    });
    Response::json(201, serde_json::json!({ "data": { "id": id, "text": text, "edit_history_tweet_ids": [id] } }))
}

fn timeline(user_id: &str, url: &url::Url, state: &State) -> Response {
    let query: Vec<(String, String)> = url.query_pairs().map(|(n, v)| (n.into_owned(), v.into_owned())).collect();
    let get = |name: &str| query.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let max: usize = match get("max_results").map(|m| m.parse::<usize>()) {
        None => 10,
        Some(Ok(max)) if (5..=100).contains(&max) => max,
        Some(_) => return Response::problem(400, "Invalid Request", "max_results must be between 5 and 100"),
    };
    let with_entities = get("tweet.fields").is_some_and(|f| f.split(',').any(|f| f == "entities"));
    let data: Vec<serde_json::Value> = state
        .posts
        .iter()
        .rev()
        .filter(|p| p.author_id == user_id)
        .take(max)
        .map(|p| {
            let mut tweet = serde_json::json!({ "id": p.id, "text": p.text, "edit_history_tweet_ids": [p.id] });
            if with_entities && !p.urls.is_empty() {
                tweet["entities"] = serde_json::json!({ "urls": p.urls.iter().map(|(start, end, short, expanded)| serde_json::json!({
                    "start": start, "end": end, "url": short, "expanded_url": expanded,
                    "display_url": expanded.trim_start_matches("https://").trim_start_matches("http://"),
                })).collect::<Vec<_>>() });
            }
            tweet
        })
        .collect();
    if data.is_empty() {
        return Response::json(200, serde_json::json!({ "meta": { "result_count": 0 } }));
    }
    let meta = serde_json::json!({
        "result_count": data.len(), "newest_id": data[0]["id"], "oldest_id": data[data.len() - 1]["id"],
    });
    Response::json(200, serde_json::json!({ "data": data, "meta": meta }))
}
