//! The fetcher against misbehaving servers, all on loopback: wiremock for servers that answer normally, and a raw
//! TCP server for those that hang, stall, flood or must be timed on their own clock. Caps are short (300 ms, 1 MB)
//! so the whole file runs in a few seconds.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dealcast::scrape::fetch::{
    FetchSettings, Fetched, Fetcher, HostPolicy, PrivateHostAllowance, ProxySettings, Validators,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use url::Url;
use wiremock::matchers::{header, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const PAGE_CAP: Duration = Duration::from_millis(300);

/// Short caps, no robots.txt, limits lifted: each test turns on what it checks.
fn settings() -> FetchSettings {
    FetchSettings {
        user_agent_contact: "https://deals.example/bot".to_string(),
        max_body_bytes: 1024 * 1024,
        page_timeout: PAGE_CAP,
        connect_timeout: PAGE_CAP,
        max_redirects: 5,
        max_retries: 2,
        retry_base_delay: Duration::from_millis(10),
        obey_robots: false,
        default_host_policy: HostPolicy::LIFTED,
        max_retry_after: Duration::from_secs(5),
        allow_private_hosts: PrivateHostAllowance::loopback(),
        proxy: ProxySettings::none(),
    }
}

fn fetcher(settings: FetchSettings) -> Fetcher {
    Fetcher::new(settings).expect("build the fetcher")
}

fn url(base: &str, path: &str) -> Url {
    Url::parse(&format!("{base}{path}")).expect("a test URL")
}

async fn requested_paths(server: &MockServer) -> Vec<String> {
    server.received_requests().await.unwrap_or_default().iter().map(|r| r.url.path().to_string()).collect()
}

/// How the raw server answers one request.
enum Reply {
    /// A complete response, after `delay`.
    Full { status: u16, headers: Vec<(&'static str, String)>, body: Vec<u8>, delay: Duration },
    /// Reads the request and never answers.
    Hang,
    /// Sends headers promising `declared` bytes, sends a few, then stalls forever.
    Stall { declared: usize },
    /// Streams a chunked body of `total` bytes as fast as the client reads it.
    Flood { total: u64 },
}

fn ok(body: &str) -> Reply {
    Reply::Full { status: 200, headers: Vec::new(), body: body.as_bytes().to_vec(), delay: Duration::ZERO }
}

/// A loopback HTTP/1.1 server answering each request as `respond(path)` says, and keeping its own record of when
/// each request arrived, how many were in flight at most and how many body bytes it managed to send.
struct RawServer {
    base: String,
    log: Arc<Mutex<Vec<(Instant, String)>>>,
    max_in_flight: Arc<AtomicUsize>,
    bytes_sent: Arc<AtomicU64>,
}

struct Shared {
    respond: Box<dyn Fn(&str) -> Reply + Send + Sync>,
    log: Arc<Mutex<Vec<(Instant, String)>>>,
    in_flight: AtomicUsize,
    max_in_flight: Arc<AtomicUsize>,
    bytes_sent: Arc<AtomicU64>,
}

impl RawServer {
    async fn start(respond: impl Fn(&str) -> Reply + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let address: SocketAddr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            respond: Box::new(respond),
            log: Arc::default(),
            in_flight: AtomicUsize::new(0),
            max_in_flight: Arc::default(),
            bytes_sent: Arc::default(),
        });
        let server = RawServer {
            base: format!("http://{address}"),
            log: Arc::clone(&shared.log),
            max_in_flight: Arc::clone(&shared.max_in_flight),
            bytes_sent: Arc::clone(&shared.bytes_sent),
        };
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_connection(stream, Arc::clone(&shared)));
            }
        });
        server
    }

    fn log(&self) -> Vec<(Instant, String)> {
        self.log.lock().unwrap().clone()
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let mut stream = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if stream.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut line = String::new();
            if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
        }
        let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
        shared.log.lock().unwrap().push((Instant::now(), path.clone()));
        let now_in_flight = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now_in_flight, Ordering::SeqCst);
        let stream = stream.get_mut();
        match (shared.respond)(&path) {
            Reply::Full { status, headers, body, delay } => {
                tokio::time::sleep(delay).await;
                let mut head = format!("HTTP/1.1 {status} Test\r\nContent-Length: {}\r\n", body.len());
                for (name, value) in headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\n");
                shared.in_flight.fetch_sub(1, Ordering::SeqCst);
                if stream.write_all(head.as_bytes()).await.is_err() || stream.write_all(&body).await.is_err() {
                    return;
                }
            }
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Reply::Stall { declared } => {
                let head = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {declared}\r\n\r\n");
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(b"<html><body>Soldes").await;
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Reply::Flood { total } => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'a'; 64 * 1024];
                let framed = [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk, b"\r\n".to_vec()].concat();
                let mut sent = 0;
                while sent < total {
                    if stream.write_all(&framed).await.is_err() {
                        return;
                    }
                    sent += 64 * 1024;
                    shared.bytes_sent.fetch_add(64 * 1024, Ordering::SeqCst);
                }
                let _ = stream.write_all(b"0\r\n\r\n").await;
                return;
            }
        }
    }
}

#[tokio::test]
async fn a_server_error_is_retried_then_reported_as_http_5xx() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/promos"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let error = fetcher(settings()).fetch(&url(&server.uri(), "/promos")).await.unwrap_err();
    assert_eq!(error.kind(), "http_5xx", "{error}");
    assert!(error.to_string().contains("/promos"), "the error names the URL: {error}");
    server.verify().await; // the first attempt and two retries
}

#[tokio::test]
async fn a_client_error_is_not_retried_and_404_has_its_own_kind() {
    let server = MockServer::start().await;
    Mock::given(path("/gone")).respond_with(ResponseTemplate::new(404)).expect(1).mount(&server).await;
    Mock::given(path("/forbidden")).respond_with(ResponseTemplate::new(403)).expect(1).mount(&server).await;
    let fetcher = fetcher(settings());
    assert_eq!(fetcher.fetch(&url(&server.uri(), "/gone")).await.unwrap_err().kind(), "http_404");
    assert_eq!(fetcher.fetch(&url(&server.uri(), "/forbidden")).await.unwrap_err().kind(), "http_4xx");
    server.verify().await;
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_within_the_page_cap() {
    let server = RawServer::start(|_| Reply::Hang).await;
    let started = Instant::now();
    let error =
        fetcher(FetchSettings { max_retries: 0, ..settings() }).fetch(&url(&server.base, "/slow")).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(error.kind(), "timeout", "{error}");
    assert!(took >= PAGE_CAP && took < PAGE_CAP + Duration::from_millis(300), "took {took:?}");
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let server = RawServer::start(|_| Reply::Hang).await;
    let error =
        fetcher(FetchSettings { max_retries: 1, ..settings() }).fetch(&url(&server.base, "/slow")).await.unwrap_err();
    assert_eq!(error.kind(), "timeout");
    assert_eq!(server.log().len(), 2, "one attempt and one retry");
}

#[tokio::test]
async fn a_body_that_never_finishes_times_out() {
    let server = RawServer::start(|_| Reply::Stall { declared: 100_000 }).await;
    let started = Instant::now();
    let error =
        fetcher(FetchSettings { max_retries: 0, ..settings() }).fetch(&url(&server.base, "/stall")).await.unwrap_err();
    assert_eq!(error.kind(), "timeout", "{error}");
    assert!(started.elapsed() < PAGE_CAP + Duration::from_millis(300), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn a_50_mb_streamed_body_is_refused_without_reading_it_all() {
    const FIFTY_MB: u64 = 50 * 1024 * 1024;
    let server = RawServer::start(|_| Reply::Flood { total: FIFTY_MB }).await;
    let settings = FetchSettings { page_timeout: Duration::from_secs(5), ..settings() };
    let error = fetcher(settings).fetch(&url(&server.base, "/huge")).await.unwrap_err();
    assert_eq!(error.kind(), "too_large", "{error}");
    // The server stops when the client hangs up; what it got out is the 1 MB cap plus what socket buffers held.
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut sent = server.bytes_sent.load(Ordering::SeqCst);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = server.bytes_sent.load(Ordering::SeqCst);
        if now == sent {
            break;
        }
        sent = now;
    }
    assert!(sent < 16 * 1024 * 1024, "the server sent {sent} bytes");
}

#[tokio::test]
async fn a_declared_50_mb_body_is_refused_before_reading() {
    let server = RawServer::start(|_| Reply::Stall { declared: 50 * 1024 * 1024 }).await;
    let started = Instant::now();
    let error = fetcher(settings()).fetch(&url(&server.base, "/huge")).await.unwrap_err();
    assert_eq!(error.kind(), "too_large", "{error}");
    assert!(started.elapsed() < PAGE_CAP, "refused at once, not after the stall: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_redirect_loop_is_reported_as_such() {
    let server = MockServer::start().await;
    Mock::given(path("/a"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/b"))
        .mount(&server)
        .await;
    Mock::given(path("/b"))
        .respond_with(ResponseTemplate::new(301).insert_header("Location", "/a"))
        .mount(&server)
        .await;
    let error = fetcher(settings()).fetch(&url(&server.uri(), "/a")).await.unwrap_err();
    assert_eq!(error.kind(), "redirect_loop", "{error}");
}

#[tokio::test]
async fn a_long_redirect_chain_is_cut_and_a_short_one_followed() {
    let server = MockServer::start().await;
    Mock::given(path_regex("^/hop/[0-9]+$"))
        .respond_with(|request: &Request| {
            let hop: u32 = request.url.path().trim_start_matches("/hop/").parse().unwrap_or(0);
            if hop >= 20 {
                ResponseTemplate::new(200).set_body_string("arrivé")
            } else {
                ResponseTemplate::new(302).insert_header("Location", format!("/hop/{}", hop + 1).as_str())
            }
        })
        .mount(&server)
        .await;
    let fetcher = fetcher(settings());
    let error = fetcher.fetch(&url(&server.uri(), "/hop/0")).await.unwrap_err();
    assert_eq!(error.kind(), "too_many_redirects", "{error}");
    let page = fetcher.fetch(&url(&server.uri(), "/hop/16")).await.unwrap();
    assert_eq!(page.url.path(), "/hop/20", "the page's URL is the final one");
    assert_eq!(page.text, "arrivé");
}

#[tokio::test]
async fn windows_1252_and_invalid_utf8_pages_decode_without_panicking() {
    let server = MockServer::start().await;
    let cp1252 = b"<html><body><p>Cr\xe8me \xe0 9,99 \x80</p></body></html>".to_vec();
    Mock::given(path("/header"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(cp1252.clone(), "text/html; charset=windows-1252"))
        .mount(&server)
        .await;
    let mut with_meta = b"<html><head><meta charset=\"iso-8859-1\"></head>".to_vec();
    with_meta.extend_from_slice(&cp1252);
    Mock::given(path("/meta"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(with_meta, "text/html"))
        .mount(&server)
        .await;
    Mock::given(path("/invalid"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(vec![b'<', 0xC3, 0x28, 0xFF, 0xFE, b'>'], "text/html; charset=utf-8"),
        )
        .mount(&server)
        .await;
    let fetcher = fetcher(settings());
    for page_path in ["/header", "/meta"] {
        let page = fetcher.fetch(&url(&server.uri(), page_path)).await.unwrap();
        assert!(page.text.contains("Crème à 9,99 €"), "{page_path}: {}", page.text);
        assert_eq!(page.encoding, "windows-1252", "{page_path}");
    }
    let page = fetcher.fetch(&url(&server.uri(), "/invalid")).await.unwrap();
    assert!(page.text.starts_with('<') && page.text.ends_with('>'), "{:?}", page.text);
    assert_eq!(page.body_bytes, 6);
}

#[tokio::test]
async fn robots_txt_disallow_is_obeyed_and_the_file_is_fetched_once() {
    let server = MockServer::start().await;
    Mock::given(path("/robots.txt"))
        .respond_with(ResponseTemplate::new(200).set_body_string("User-agent: *\nDisallow: /panier\n"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path_regex("^/(promos|panier)"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    let fetcher = fetcher(FetchSettings { obey_robots: true, ..settings() });
    let error = fetcher.fetch(&url(&server.uri(), "/panier/42")).await.unwrap_err();
    assert_eq!(error.kind(), "robots_disallowed", "{error}");
    assert_eq!(fetcher.fetch(&url(&server.uri(), "/promos")).await.unwrap().text, "ok");
    assert_eq!(fetcher.fetch(&url(&server.uri(), "/promos?page=2")).await.unwrap().text, "ok");
    assert_eq!(requested_paths(&server).await, ["/robots.txt", "/promos", "/promos"]);
    server.verify().await;
}

#[tokio::test]
async fn a_missing_robots_txt_allows_all_and_a_failing_one_forbids_the_host() {
    let missing = MockServer::start().await;
    Mock::given(path("/promos")).respond_with(ResponseTemplate::new(200)).mount(&missing).await;
    let failing = MockServer::start().await;
    Mock::given(path("/robots.txt")).respond_with(ResponseTemplate::new(500)).mount(&failing).await;
    let fetcher = fetcher(FetchSettings { obey_robots: true, max_retries: 0, ..settings() });
    assert!(fetcher.fetch(&url(&missing.uri(), "/promos")).await.is_ok());
    let error = fetcher.fetch(&url(&failing.uri(), "/promos")).await.unwrap_err();
    assert_eq!(error.kind(), "robots_unavailable", "{error}");
    assert_eq!(requested_paths(&failing).await, ["/robots.txt"], "no page request to a host without robots.txt");
}

#[tokio::test]
async fn robots_crawl_delay_spaces_requests_to_the_host() {
    let server = RawServer::start(|path| match path {
        "/robots.txt" => ok("User-agent: dealcast\nCrawl-delay: 0.3\n"),
        _ => ok("page"),
    })
    .await;
    let fetcher = fetcher(FetchSettings { obey_robots: true, ..settings() });
    fetcher.fetch(&url(&server.base, "/a")).await.unwrap();
    fetcher.fetch(&url(&server.base, "/b")).await.unwrap();
    let log = server.log();
    let paths: Vec<&str> = log.iter().map(|(_, path)| path.as_str()).collect();
    assert_eq!(paths, ["/robots.txt", "/a", "/b"]);
    let gap = log[2].0 - log[1].0;
    assert!(gap >= Duration::from_millis(280), "the server saw /a and /b {gap:?} apart");
}

#[tokio::test]
async fn a_429_retry_after_delays_the_next_request_to_that_host() {
    let first = AtomicUsize::new(0);
    let server = RawServer::start(move |_| {
        if first.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::Full {
                status: 429,
                headers: vec![("Retry-After", "1".into())],
                body: Vec::new(),
                delay: Duration::ZERO,
            }
        } else {
            ok("merci")
        }
    })
    .await;
    let fetcher = fetcher(FetchSettings { max_retries: 0, ..settings() });
    let error = fetcher.fetch(&url(&server.base, "/a")).await.unwrap_err();
    assert_eq!(error.kind(), "http_429", "{error}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(fetcher.fetch(&url(&server.base, "/b")).await.unwrap().text, "merci");
    let log = server.log();
    assert_eq!(log.len(), 2);
    let gap = log[1].0 - log[0].0;
    assert!(gap >= Duration::from_millis(900) && gap < Duration::from_secs(2), "the server saw them {gap:?} apart");
}

#[tokio::test]
async fn a_304_with_an_etag_gives_not_modified_and_validators_come_back() {
    let server = MockServer::start().await;
    Mock::given(path("/promos"))
        .and(header("If-None-Match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .mount(&server)
        .await;
    Mock::given(path("/promos"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ETag", "\"v1\"")
                .insert_header("Last-Modified", "Wed, 01 Apr 2026 10:00:00 GMT")
                .set_body_string("promos"),
        )
        .mount(&server)
        .await;
    let fetcher = fetcher(settings());
    let page = fetcher.fetch(&url(&server.uri(), "/promos")).await.unwrap();
    assert_eq!(
        page.validators,
        Validators {
            etag: Some("\"v1\"".to_string()),
            last_modified: Some("Wed, 01 Apr 2026 10:00:00 GMT".to_string())
        }
    );
    let again = fetcher.fetch_conditional(&url(&server.uri(), "/promos"), &page.validators).await.unwrap();
    assert!(matches!(again, Fetched::NotModified), "{again:?}");
    let changed = Validators { etag: Some("\"v0\"".to_string()), last_modified: None };
    let fresh = fetcher.fetch_conditional(&url(&server.uri(), "/promos"), &changed).await.unwrap();
    assert!(matches!(fresh, Fetched::Page(ref page) if page.text == "promos"), "{fresh:?}");
}

#[tokio::test]
async fn per_host_concurrency_is_never_exceeded() {
    let server = RawServer::start(|_| Reply::Full {
        status: 200,
        headers: Vec::new(),
        body: b"ok".to_vec(),
        delay: Duration::from_millis(40),
    })
    .await;
    let fetcher = fetcher(settings());
    fetcher.set_host_policy("127.0.0.1", HostPolicy { min_delay: Duration::ZERO, max_concurrency: 3 });
    let fetches = (0..24).map(|n| {
        let fetcher = fetcher.clone();
        let page = url(&server.base, &format!("/p/{n}"));
        tokio::spawn(async move { fetcher.fetch(&page).await.map(|page| page.status) })
    });
    for result in futures::future::join_all(fetches).await {
        assert_eq!(result.unwrap().unwrap(), 200);
    }
    let most = server.max_in_flight.load(Ordering::SeqCst);
    assert_eq!(server.log().len(), 24);
    assert!(most <= 3, "the server saw {most} requests at once");
    assert!(most >= 2, "the requests did run concurrently (saw {most})");
}

#[tokio::test]
async fn min_delay_spaces_requests_to_a_host() {
    let server = RawServer::start(|_| ok("ok")).await;
    let fetcher = fetcher(settings());
    fetcher.set_host_policy("127.0.0.1", HostPolicy { min_delay: Duration::from_millis(150), max_concurrency: 2 });
    let pages: Vec<Url> = (0..3).map(|n| url(&server.base, &format!("/{n}"))).collect();
    for result in futures::future::join_all(pages.iter().map(|page| fetcher.fetch(page))).await {
        assert!(result.is_ok());
    }
    let log = server.log();
    for pair in log.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(gap >= Duration::from_millis(140), "requests {gap:?} apart");
    }
}

#[tokio::test]
async fn every_request_carries_our_user_agent_and_accepts_compression() {
    let server = MockServer::start().await;
    Mock::given(path("/"))
        .and(header(
            "User-Agent",
            format!("dealcast/{} (+https://deals.example/bot)", env!("CARGO_PKG_VERSION")).as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string("hello"))
        .expect(1)
        .mount(&server)
        .await;
    fetcher(settings()).fetch(&url(&server.uri(), "/")).await.unwrap();
    let requests = server.received_requests().await.unwrap_or_default();
    let accepted = requests[0].headers.get("accept-encoding").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    for encoding in ["gzip", "br", "deflate"] {
        assert!(accepted.contains(encoding), "Accept-Encoding {accepted:?} lacks {encoding}");
    }
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let error = fetcher(FetchSettings { max_retries: 1, ..settings() })
        .fetch(&Url::parse(&format!("http://{address}/")).unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "connect", "{error}");
}
