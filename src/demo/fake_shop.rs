//! The demo's fake shop, served on loopback: robots.txt, a promotions listing, a product page per product with
//! schema.org JSON-LD (the markup real shops use), and product pictures. The pages are rendered from the bundled
//! templates at the shop's current epoch, which the demo advances to make prices change while it runs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use super::catalogue::{PRODUCTS, listing};

/// A running fake shop.
#[derive(Clone)]
pub struct FakeShop {
    pub addr: SocketAddr,
    epoch: Arc<AtomicU32>,
}

#[derive(Clone)]
struct ShopState {
    base: String,
    epoch: Arc<AtomicU32>,
}

impl FakeShop {
    /// Starts the shop on 127.0.0.1 (a free port) at epoch 0.
    pub async fn start() -> std::io::Result<FakeShop> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let epoch = Arc::new(AtomicU32::new(0));
        let state = ShopState { base: format!("http://{addr}/"), epoch: Arc::clone(&epoch) };
        let app = Router::new()
            .route("/", get(|| async { Redirect::to("/promotions") }))
            .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
            .route("/promotions", get(promotions))
            .route("/p/{slug}", get(product))
            .route("/img/{file}", get(picture))
            .with_state(state);
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "the demo shop stopped");
            }
        });
        Ok(FakeShop { addr, epoch })
    }

    /// The shop's root URL.
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The epoch the shop's prices are at.
    pub fn epoch(&self) -> u32 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Moves the shop's prices to `epoch`.
    pub fn set_epoch(&self, epoch: u32) {
        self.epoch.store(epoch, Ordering::SeqCst);
    }
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn promotions(State(state): State<ShopState>) -> Response {
    html(listing(&state.base, state.epoch.load(Ordering::SeqCst)))
}

async fn product(State(state): State<ShopState>, Path(slug): Path<String>) -> Response {
    match PRODUCTS.iter().find(|product| product.slug == slug) {
        Some(product) => html(product.page(&state.base, state.epoch.load(Ordering::SeqCst))),
        None => (StatusCode::NOT_FOUND, "no such product").into_response(),
    }
}

async fn picture(Path(file): Path<String>) -> Response {
    let slug = file.strip_suffix(".svg").unwrap_or(&file);
    match PRODUCTS.iter().find(|product| product.slug == slug) {
        Some(product) => ([(header::CONTENT_TYPE, "image/svg+xml")], product.picture()).into_response(),
        None => (StatusCode::NOT_FOUND, "no such picture").into_response(),
    }
}
