//! The outbound address policy: no fetch reaches a loopback, private or other non-public address unless
//! the operator allows it, neither directly, nor through a name, nor on a redirect, nor through an HTTP proxy (a
//! counting proxy on 127.0.0.1 shows that a refused target never reaches it); product images included. The
//! "never requested" checks use a listener on 127.0.0.2 that counts the connections it accepts: Linux routes the
//! whole of 127.0.0.0/8 to loopback, so a refused address there would be seen connecting if it were not refused.

use crate::support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dealcast::publish::images::{ImageError, fetch_image, image_fetcher};
use dealcast::scrape::fetch::address_policy::ALLOW_PRIVATE_HOSTS_ENV;
use dealcast::scrape::fetch::{FetchSettings, Fetcher, HostPolicy, PrivateHostAllowance, ProxySettings};
use support::loopback_shop::{self, Behaviour, LoopbackShop, product_page};
use url::Url;

/// A listener on 127.0.0.2 that accepts connections, counts them and closes them.
struct CountingListener {
    port: u16,
    accepted: Arc<AtomicUsize>,
}

impl CountingListener {
    async fn start() -> CountingListener {
        let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.expect("bind 127.0.0.2");
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        CountingListener { port, accepted }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.2:{}{path}", self.port)
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

fn fetcher(allowed: &str) -> Fetcher {
    Fetcher::new(FetchSettings {
        obey_robots: false,
        max_retries: 2,
        default_host_policy: HostPolicy::LIFTED,
        allow_private_hosts: PrivateHostAllowance::parse_list(allowed, "test").unwrap(),
        ..FetchSettings::default()
    })
    .unwrap()
}

fn page(text: &str) -> Behaviour {
    Behaviour::Page { content_type: "text/html", body: text.as_bytes().to_vec() }
}

/// The shop's URL for `path`, under the host name `localhost` rather than its address.
fn by_name(shop: &LoopbackShop, path: &str) -> Url {
    Url::parse(&format!("http://localhost:{}{path}", shop.addr.port())).unwrap()
}

#[tokio::test]
async fn a_shop_page_redirecting_to_127_0_0_1_is_refused_with_the_private_address_kind() {
    let shop =
        loopback_shop::start(HashMap::from([("/admin".to_string(), page("<html>dealcast's own admin</html>"))])).await;
    // The shop is allowed by its name only: the same machine reached by address is not.
    let fetcher = fetcher("localhost");
    shop.set("/promo", Behaviour::Redirect(shop.url("/admin").to_string()));
    let error = fetcher.fetch(&by_name(&shop, "/promo")).await.unwrap_err();
    assert_eq!(error.kind(), "private_address", "{error}");
    let said = error.to_string();
    assert!(said.contains("127.0.0.1") && said.contains("loopback"), "{said}");
    assert!(said.contains("allow_private_hosts") && said.contains(ALLOW_PRIVATE_HOSTS_ENV), "{said}");
    assert_eq!(shop.requested(), ["/promo"], "the redirect's target was never requested");
}

#[tokio::test]
async fn a_redirect_to_a_private_address_is_never_requested() {
    let hidden = CountingListener::start().await;
    let shop = loopback_shop::start(HashMap::from([(
        "/promo".to_string(),
        Behaviour::Redirect(hidden.url("/latest/meta-data/")),
    )]))
    .await;
    let error = fetcher("127.0.0.1").fetch(&shop.url("/promo")).await.unwrap_err();
    assert_eq!(error.kind(), "private_address", "{error}");
    assert!(error.to_string().contains("127.0.0.2"), "{error}");
    assert_eq!(hidden.accepted(), 0, "no connection was made to the refused address");
}

#[tokio::test]
async fn a_name_that_resolves_to_loopback_is_refused_before_connecting() {
    let shop = loopback_shop::start(HashMap::from([("/".to_string(), page("<html>home</html>"))])).await;
    let error = fetcher("").fetch(&by_name(&shop, "/")).await.unwrap_err();
    assert_eq!(error.kind(), "private_address", "refused, not a connection failure to retry: {error}");
    assert!(error.to_string().contains("localhost is at"), "{error}");
    assert!(shop.requested().is_empty(), "{:?}", shop.requested());
    // Allowing a network that does not hold the name's addresses changes nothing.
    let error = fetcher("127.0.0.2/32").fetch(&by_name(&shop, "/")).await.unwrap_err();
    assert_eq!(error.kind(), "private_address", "{error}");
    assert!(shop.requested().is_empty());
}

#[tokio::test]
async fn an_allowed_loopback_host_still_works() {
    let shop = loopback_shop::start(HashMap::from([
        ("/".to_string(), page("<html>home</html>")),
        ("/moved".to_string(), Behaviour::Redirect("/".to_string())),
    ]))
    .await;
    for allowed in ["127.0.0.1", "127.0.0.0/8", "::ffff:127.0.0.1"] {
        let fetched = fetcher(allowed).fetch(&shop.url("/moved")).await.unwrap();
        assert_eq!((fetched.status, fetched.text.as_str()), (200, "<html>home</html>"), "{allowed}");
    }
    let fetched = fetcher("LOCALHOST").fetch(&by_name(&shop, "/")).await.unwrap();
    assert_eq!(fetched.text, "<html>home</html>");
}

#[tokio::test]
async fn robots_txt_of_a_refused_host_is_not_fetched_and_the_page_says_why() {
    let shop = loopback_shop::start(HashMap::from([("/".to_string(), page("<html>home</html>"))])).await;
    let polite = Fetcher::new(FetchSettings { obey_robots: true, ..FetchSettings::default() }).unwrap();
    let error = polite.fetch(&by_name(&shop, "/")).await.unwrap_err();
    assert_eq!(error.kind(), "private_address", "not `robots_unavailable`: {error}");
    let error = polite.fetch(&shop.url("/")).await.unwrap_err();
    assert_eq!(error.kind(), "private_address", "{error}");
    assert!(shop.requested().is_empty(), "{:?}", shop.requested());
}

const PNG: [u8; 8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

fn png() -> Behaviour {
    Behaviour::Page { content_type: "image/png", body: PNG.to_vec() }
}

fn refused_kind(error: ImageError) -> &'static str {
    match error {
        ImageError::Download { source, .. } => source.kind(),
        other => panic!("expected a refused download, got {other}"),
    }
}

#[tokio::test]
async fn an_image_on_10_0_0_1_or_behind_a_redirect_to_a_private_address_is_never_requested() {
    let hidden = CountingListener::start().await;
    let shop = loopback_shop::start(HashMap::from([
        ("/img/ok.png".to_string(), png()),
        ("/img/to-ten.png".to_string(), Behaviour::Redirect("http://10.0.0.1/img/sac.png".to_string())),
        ("/img/to-hidden.png".to_string(), Behaviour::Redirect(hidden.url("/img/sac.png"))),
        ("/img/mapped.png".to_string(), Behaviour::Redirect("http://[::ffff:10.0.0.1]/a.png".to_string())),
    ]))
    .await;
    let allowance = PrivateHostAllowance::parse_list("127.0.0.1", "test").unwrap();
    let images = image_fetcher(std::time::Duration::from_secs(5), allowance).unwrap();

    let error = fetch_image(&images, "http://10.0.0.1/img/sac.png").await.unwrap_err();
    assert!(error.to_string().contains("10.0.0.1"), "{error}");
    assert_eq!(refused_kind(error), "private_address");
    for path in ["/img/to-ten.png", "/img/to-hidden.png", "/img/mapped.png"] {
        let error = fetch_image(&images, shop.url(path).as_str()).await.unwrap_err();
        assert_eq!(refused_kind(error), "private_address", "{path}");
    }
    assert_eq!(hidden.accepted(), 0, "no connection was made to the refused address");

    let image = fetch_image(&images, shop.url("/img/ok.png").as_str()).await.unwrap();
    assert_eq!((image.bytes.as_slice(), image.media_type.as_str()), (PNG.as_slice(), "image/png"));
}

#[tokio::test]
async fn images_come_through_the_polite_fetcher_robots_txt_and_size_cap_included() {
    let shop = loopback_shop::start(HashMap::from([
        ("/robots.txt".to_string(), page("User-agent: *\nDisallow: /private/\n")),
        ("/private/sac.png".to_string(), png()),
        ("/img/huge.png".to_string(), Behaviour::Huge(6 * 1024 * 1024)),
        ("/img/ok.png".to_string(), png()),
    ]))
    .await;
    let images = image_fetcher(std::time::Duration::from_secs(5), PrivateHostAllowance::loopback()).unwrap();
    let error = fetch_image(&images, shop.url("/private/sac.png").as_str()).await.unwrap_err();
    assert_eq!(refused_kind(error), "robots_disallowed");
    let error = fetch_image(&images, shop.url("/img/huge.png").as_str()).await.unwrap_err();
    assert!(matches!(error, ImageError::TooBig { .. }), "{error}");
    assert!(fetch_image(&images, shop.url("/img/ok.png").as_str()).await.is_ok());
    let requested = shop.requested();
    assert!(requested.contains(&"/robots.txt".to_string()), "{requested:?}");
    assert!(!requested.contains(&"/private/sac.png".to_string()), "{requested:?}");
}

/// `dealcast scrape --dry-run` of a shop whose listing links a product and a redirect to 127.0.0.2, allowed by
/// `config` (a configuration file's text) and `env` (`DEALCAST_ALLOW_PRIVATE_HOSTS`, or unset).
async fn scrape_with(config: &str, env: Option<&str>) -> (LoopbackShop, CountingListener, String, String) {
    let hidden = CountingListener::start().await;
    let shop = loopback_shop::start(HashMap::from([
        ("/promos".to_string(), page(r#"<html><a class="p" href="/p/1">1</a><a class="p" href="/p/2">2</a></html>"#)),
        ("/p/1".to_string(), Behaviour::Page { content_type: "text/html", body: product_page("Robe", "29.99", None) }),
        ("/p/2".to_string(), Behaviour::Redirect(hidden.url("/p/2"))),
    ]))
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("loopback.toml"),
        format!(
            "name = \"Loopback\"\nhomepage = \"{}\"\n[crawl]\nstart_urls = [\"{}\"]\nproduct_links = \"a.p\"\n\
             [politeness]\nmin_delay_ms = 0\n",
            shop.url("/"),
            shop.url("/promos")
        ),
    )
    .unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let config_path = config_dir.path().join("dealcast.toml");
    std::fs::write(&config_path, config).unwrap();
    let env = env.map(str::to_string);
    let output = tokio::task::spawn_blocking(move || {
        let mut command = support::cli::dealcast();
        command.env_remove(ALLOW_PRIVATE_HOSTS_ENV).env("DEALCAST_CONFIG", &config_path);
        if let Some(env) = env {
            command.env(ALLOW_PRIVATE_HOSTS_ENV, env);
        }
        command.arg("--scrapers").arg(dir.path()).args(["scrape", "--dry-run", "--json", "--shop", "loopback"]);
        let output = command.output().unwrap();
        drop(config_dir);
        output
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (shop, hidden, stdout, stderr)
}

#[tokio::test]
async fn dealcast_scrape_fetches_only_what_the_configuration_or_the_environment_allows() {
    // Nothing allowed: not even the shop's first page is requested, and the summary says why.
    let (shop, _hidden, stdout, stderr) = scrape_with("", None).await;
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("private_address"), "{stderr}");
    assert!(shop.requested().is_empty(), "{:?}", shop.requested());

    // Allowed by the configuration or by the environment: the shop is scraped, its redirect to 127.0.0.2 refused.
    for (config, env) in [("[scrape]\nallow_private_hosts = [\"127.0.0.1\"]\n", None), ("", Some("127.0.0.1/32"))] {
        let (_shop, hidden, stdout, stderr) = scrape_with(config, env).await;
        assert!(stdout.contains("\"Robe\""), "{config} {env:?}: {stdout}\n{stderr}");
        assert!(stderr.contains("private_address 1"), "{config} {env:?}: {stderr}");
        assert_eq!(hidden.accepted(), 0, "{config} {env:?}");
    }

    // A list that does not parse is an error naming the variable.
    let (_shop, _hidden, _stdout, stderr) = scrape_with("", Some("127.0.0.1,http://shop.lan/")).await;
    assert!(stderr.contains(ALLOW_PRIVATE_HOSTS_ENV) && stderr.contains("http://shop.lan/"), "{stderr}");
}

/// A forward HTTP proxy on 127.0.0.1 that counts the connections it accepts and keeps each request line. It answers
/// every request itself: a URL ending in `/start` with a redirect to `http://localhost:9/admin`, anything else with a
/// small page.
struct CountingProxy {
    port: u16,
    accepted: Arc<AtomicUsize>,
    request_lines: Arc<std::sync::Mutex<Vec<String>>>,
}

impl CountingProxy {
    async fn start() -> CountingProxy {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let request_lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (counter, lines) = (Arc::clone(&accepted), Arc::clone(&request_lines));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let lines = Arc::clone(&lines);
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    let mut line = String::new();
                    if stream.read_line(&mut line).await.is_err() {
                        return;
                    }
                    let request_line = line.trim_end().to_string();
                    // The rest of the head, up to the blank line.
                    loop {
                        line.clear();
                        match stream.read_line(&mut line).await {
                            Ok(n) if n > 0 && line != "\r\n" => {}
                            _ => break,
                        }
                    }
                    let answer = if request_line.contains("/start ") {
                        "HTTP/1.1 302 Found\r\nLocation: http://localhost:9/admin\r\nContent-Length: 0\r\n\
                         Connection: close\r\n\r\n"
                            .to_string()
                    } else {
                        let body = "<html><p>via the proxy</p></html>";
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\
                             \r\n\r\n{body}",
                            body.len()
                        )
                    };
                    lines.lock().unwrap().push(request_line);
                    let _ = stream.get_mut().write_all(answer.as_bytes()).await;
                });
            }
        });
        CountingProxy { port, accepted, request_lines }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn request_lines(&self) -> Vec<String> {
        self.request_lines.lock().unwrap().clone()
    }
}

/// A fetcher sending every request through `proxy` (robots.txt obeyed), with the private hosts `allowed`.
fn through_proxy(proxy: &str, allowed: &str) -> Fetcher {
    Fetcher::new(FetchSettings {
        max_retries: 0,
        default_host_policy: HostPolicy::LIFTED,
        allow_private_hosts: PrivateHostAllowance::parse_list(allowed, "test").unwrap(),
        proxy: ProxySettings::all(Url::parse(proxy).unwrap()),
        ..FetchSettings::default()
    })
    .unwrap()
}

#[tokio::test]
async fn behind_a_proxy_a_name_that_resolves_to_loopback_is_refused_and_the_proxy_never_hears_of_it() {
    let proxy = CountingProxy::start().await;
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port);
    let target = Url::parse("http://localhost:9/").unwrap();

    // Not allowed: refused before anything is sent, robots.txt included, with the private_address kind.
    let error = through_proxy(&proxy_url, "").fetch(&target).await.expect_err("refused");
    assert_eq!(error.kind(), "private_address", "{error}");
    assert!(error.to_string().contains("localhost is at"), "{error}");
    assert_eq!(proxy.accepted(), 0, "the proxy got no connection");

    // Allowed: the request goes through the proxy (which hears the whole URL), robots.txt first.
    let page = through_proxy(&proxy_url, "localhost").fetch(&target).await.expect("fetched through the proxy");
    assert!(page.text.contains("via the proxy"), "{}", page.text);
    assert!(proxy.accepted() >= 1);
    assert_eq!(
        proxy.request_lines(),
        ["GET http://localhost:9/robots.txt HTTP/1.1", "GET http://localhost:9/ HTTP/1.1"]
    );
}

#[tokio::test]
async fn behind_a_proxy_a_redirect_to_a_private_name_is_refused_and_the_proxy_is_written_as_the_operator_wrote_it() {
    let proxy = CountingProxy::start().await;
    // The proxy named by a loopback name that no allowance lists: the operator's own choice, used as written.
    let proxy_url = format!("http://localhost:{}", proxy.port);
    let fetcher = through_proxy(&proxy_url, "127.0.0.2");

    let page = fetcher.fetch(&Url::parse("http://127.0.0.2:9/page").unwrap()).await.expect("through the proxy");
    assert!(page.text.contains("via the proxy"));

    // The proxy answers /start with a redirect to http://localhost:9/admin: that hop is judged before it is sent.
    let before = proxy.request_lines().len();
    let error = fetcher.fetch(&Url::parse("http://127.0.0.2:9/start").unwrap()).await.expect_err("refused");
    assert_eq!(error.kind(), "private_address", "{error}");
    assert!(error.to_string().contains("localhost:9/admin"), "{error}");
    let sent: Vec<String> = proxy.request_lines().split_off(before);
    assert_eq!(sent, ["GET http://127.0.0.2:9/start HTTP/1.1"], "the redirect's target never went to the proxy");
}

/// `dealcast scrape --dry-run` of a shop at `http://localhost:9/` with `HTTP_PROXY` naming `proxy` and the private
/// hosts `allowed` in the environment; returns its standard error.
async fn scrape_through_proxy(proxy: &CountingProxy, allowed: &'static str) -> String {
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port);
    let output = tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("loopback.toml"),
            "name = \"Loopback\"\nhomepage = \"http://localhost:9/\"\n[crawl]\nstart_urls = [\"http://localhost:9/promos\"]\n\
             product_links = \"a.p\"\n[politeness]\nmin_delay_ms = 0\n",
        )
        .unwrap();
        let mut command = support::cli::dealcast();
        for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"]
        {
            command.env_remove(name);
        }
        command.env("HTTP_PROXY", proxy_url).env(ALLOW_PRIVATE_HOSTS_ENV, allowed).env("DEALCAST_CONFIG", "/dev/null");
        command.arg("--scrapers").arg(dir.path()).args(["scrape", "--dry-run", "--json", "--shop", "loopback"]);
        command.output().unwrap()
    })
    .await
    .unwrap();
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn dealcast_scrape_behind_the_environments_proxy_refuses_a_shop_on_localhost_unless_it_is_allowed() {
    let proxy = CountingProxy::start().await;
    let stderr = scrape_through_proxy(&proxy, "").await;
    assert!(stderr.contains("private_address"), "{stderr}");
    assert_eq!(proxy.accepted(), 0, "the proxy got no connection: {stderr}");

    let stderr = scrape_through_proxy(&proxy, "localhost").await;
    assert!(!stderr.contains("private_address"), "{stderr}");
    let lines = proxy.request_lines();
    assert!(lines.contains(&"GET http://localhost:9/promos HTTP/1.1".to_string()), "{lines:?}\n{stderr}");
}
