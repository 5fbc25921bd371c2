//! A misbehaving shop on loopback: a tiny HTTP/1.1 server whose every path has a scripted behaviour (a page, an
//! error status, a hang, an endless or huge body, a redirect), so crawling is tested against real sockets without
//! the internet. Raw tokio sockets rather than a mock framework, because the faults worth testing (a body that
//! never ends, a 50 MB body) are below what mock servers let one script.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does for one path.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// 200 with this content type and body.
    Page { content_type: &'static str, body: Vec<u8> },
    /// This status with a short body, and optional extra headers.
    Status { status: u16, headers: Vec<(String, String)> },
    /// Accepts the request and never answers.
    Hang,
    /// Sends headers and a first chunk, then stalls forever.
    EndlessBody,
    /// Sends a 200 with a body of this many bytes of filler.
    Huge(usize),
    /// 302 to this location.
    Redirect(String),
    /// An HTML page sent after a pause (a slow shop).
    Slow { delay: Duration, body: Vec<u8> },
    /// 200 with this content type, extra headers (a `content-encoding`, say) and body.
    PageWithHeaders { content_type: &'static str, headers: Vec<(String, String)>, body: Vec<u8> },
    /// 200 with `head`, then `filler` repeated up to `size` bytes in all; the length is declared or not (then the
    /// body ends when the connection closes). The bytes sent are counted in [`LoopbackShop::body_bytes_sent`].
    Stream { content_type: &'static str, head: Vec<u8>, filler: Vec<u8>, size: usize, declared: bool },
}

/// A running loopback shop, with a log of the requests it received.
#[derive(Clone)]
pub struct LoopbackShop {
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Vec<(Instant, String)>>>,
    routes: Arc<Mutex<HashMap<String, Behaviour>>>,
    sent: Arc<AtomicU64>,
}

impl LoopbackShop {
    pub fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("http://{}{path}", self.addr)).unwrap()
    }

    /// Changes what the server answers for `path` (a shop changing its prices between two scrapes).
    pub fn set(&self, path: &str, behaviour: Behaviour) {
        self.routes.lock().unwrap().insert(path.to_string(), behaviour);
    }

    /// Makes `path` answer 404 (a product that left the shop).
    pub fn remove(&self, path: &str) {
        self.routes.lock().unwrap().remove(path);
    }

    /// The paths requested so far, in order.
    pub fn requested(&self) -> Vec<String> {
        self.log.lock().unwrap().iter().map(|(_, path)| path.clone()).collect()
    }

    /// Body bytes the server could send for [`Behaviour::Stream`] routes before the client hung up (or the body
    /// ended).
    pub fn body_bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }
}

/// Starts a server answering `routes` (anything else: 404) on 127.0.0.1, port chosen by the system.
pub async fn start(routes: HashMap<String, Behaviour>) -> LoopbackShop {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let routes = Arc::new(Mutex::new(routes));
    let sent = Arc::new(AtomicU64::new(0));
    let (server_log, server_routes, server_sent) = (Arc::clone(&log), Arc::clone(&routes), Arc::clone(&sent));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let (routes, log, sent) = (Arc::clone(&server_routes), Arc::clone(&server_log), Arc::clone(&server_sent));
            tokio::spawn(async move {
                let _ = serve(stream, &routes, &log, &sent).await;
            });
        }
    });
    LoopbackShop { addr, log, routes, sent }
}

async fn serve(
    mut stream: TcpStream,
    routes: &Mutex<HashMap<String, Behaviour>>,
    log: &Mutex<Vec<(Instant, String)>>,
    sent: &AtomicU64,
) -> std::io::Result<()> {
    loop {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).await? == 0 {
                return Ok(());
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head);
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let if_none_match = head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim().eq_ignore_ascii_case("if-none-match").then(|| value.trim().to_string())
        });
        log.lock().unwrap().push((Instant::now(), path.clone()));
        // Like real shops, unknown query parameters (tracking) do not change the page.
        let without_query = path.split('?').next().unwrap_or("/");
        let behaviour = {
            let routes = routes.lock().unwrap();
            routes
                .get(&path)
                .or_else(|| routes.get(without_query))
                .cloned()
                .unwrap_or(Behaviour::Status { status: 404, headers: Vec::new() })
        };
        match behaviour {
            Behaviour::Page { content_type, body } => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(&body).await?;
            }
            Behaviour::Status { status, headers } => {
                let mut head = format!("HTTP/1.1 {status} Status\r\ncontent-length: 5\r\n");
                for (name, value) in headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\nerror");
                stream.write_all(head.as_bytes()).await?;
            }
            Behaviour::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Behaviour::EndlessBody => {
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 100000\r\n\r\n<html>")
                    .await?;
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Behaviour::Huge(size) => {
                let head = format!("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {size}\r\n\r\n");
                stream.write_all(head.as_bytes()).await?;
                let chunk = vec![b'x'; 64 * 1024];
                let mut sent = 0;
                while sent < size {
                    let n = chunk.len().min(size - sent);
                    stream.write_all(&chunk[..n]).await?;
                    sent += n;
                }
            }
            Behaviour::Slow { delay, body } => {
                tokio::time::sleep(delay).await;
                let head =
                    format!("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n", body.len());
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(&body).await?;
            }
            Behaviour::PageWithHeaders { content_type, headers, body } => {
                // Like real servers, a page with an ETag answers a request that sends it back with 304.
                let etag = headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("etag")).map(|(_, v)| v);
                if let (Some(etag), Some(sent)) = (etag, &if_none_match)
                    && sent.split(',').any(|tag| tag.trim() == etag)
                {
                    let head = format!("HTTP/1.1 304 Not Modified\r\netag: {etag}\r\ncontent-length: 0\r\n\r\n");
                    stream.write_all(head.as_bytes()).await?;
                    continue;
                }
                let mut head =
                    format!("HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n", body.len());
                for (name, value) in headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\n");
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(&body).await?;
            }
            Behaviour::Stream { content_type, head: body_head, filler, size, declared } => {
                let length = if declared { format!("content-length: {size}\r\n") } else { String::new() };
                let head =
                    format!("HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\n{length}connection: close\r\n\r\n");
                stream.write_all(head.as_bytes()).await?;
                let mut written = body_head.len().min(size);
                stream.write_all(&body_head[..written]).await?;
                sent.fetch_add(written as u64, Ordering::SeqCst);
                let block = filler.repeat((64 * 1024 / filler.len().max(1)).max(1));
                while written < size {
                    let n = (size - written).min(block.len());
                    stream.write_all(&block[..n]).await?;
                    sent.fetch_add(n as u64, Ordering::SeqCst);
                    written += n;
                }
                // The body ends with the connection (when no length was declared).
                return Ok(());
            }
            Behaviour::Redirect(location) => {
                let head = format!("HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n");
                stream.write_all(head.as_bytes()).await?;
            }
        }
    }
}

/// A small product page with Product JSON-LD, the way most shops mark their pages up.
pub fn product_page(name: &str, price: &str, previous: Option<&str>) -> Vec<u8> {
    product_page_with_gtin(name, price, previous, None)
}

/// A product page whose JSON-LD also gives a GTIN.
pub fn product_page_with_gtin(name: &str, price: &str, previous: Option<&str>, gtin: Option<&str>) -> Vec<u8> {
    let gtin = gtin.map(|g| format!(r#""gtin13":"{g}","#)).unwrap_or_default();
    let strike = previous
        .map(|p| format!(r#","priceSpecification":{{"@type":"UnitPriceSpecification","priceType":"https://schema.org/StrikethroughPrice","price":"{p}","priceCurrency":"EUR"}}"#))
        .unwrap_or_default();
    format!(
        r#"<!doctype html><html><head><title>{name}</title><script type="application/ld+json">
        {{"@context":"https://schema.org","@type":"Product",{gtin}"name":"{name}","offers":{{"@type":"Offer","price":"{price}","priceCurrency":"EUR"{strike}}}}}
        </script></head><body><h1>{name}</h1></body></html>"#
    )
    .into_bytes()
}

/// Adds a listing page `{prefix}/list` linking (`a.product`) to `products` slow product pages `{prefix}/p{n}`, each
/// sent after `delay`, named by `name(n)`, at 19.99 (was 29.99): a scrape that lasts long enough to be interrupted.
pub fn add_slow_listing(
    routes: &mut HashMap<String, Behaviour>,
    prefix: &str,
    products: usize,
    delay: Duration,
    name: impl Fn(usize) -> String,
) {
    let links: String = (0..products).map(|p| format!(r#"<a class="product" href="{prefix}/p{p}">{p}</a>"#)).collect();
    routes.insert(
        format!("{prefix}/list"),
        Behaviour::Page { content_type: "text/html", body: format!("<html>{links}</html>").into_bytes() },
    );
    for product in 0..products {
        routes.insert(
            format!("{prefix}/p{product}"),
            Behaviour::Slow { delay, body: product_page(&name(product), "19.99", Some("29.99")) },
        );
    }
}
