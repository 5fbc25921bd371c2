//! Serving the application to clients that may be slow on purpose: each connection is served by hyper's HTTP/1
//! connection directly (rather than `axum::serve`, which sets no timer, so that hyper's header-read timeout never
//! fires), with
//! - a header-read timeout: a client that has not sent a whole request head within it is disconnected (the
//!   "slowloris" attack: hundreds of connections each sending half a header and then nothing);
//! - a cap on open connections: past it, new connections wait in the kernel's backlog until one closes, so that a
//!   flood costs file descriptors and memory up to the cap only;
//! - a request timeout (tower-http): a request whose answer is not ready within it answers 503, and its work (a
//!   query waiting for a connection, say) is dropped.
//!
//! Queries of the web UI have their own time limit besides, on the database side (`statement_timeout` on the web's
//! pool: `store::database::Store::web_pool`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;
use tower_http::timeout::TimeoutLayer;

/// How long clients may take, and how many may be connected at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// The longest a client may take to send a request's line and headers.
    pub header_read_timeout: Duration,
    /// The longest a request may take to be answered (503 past it).
    pub request_timeout: Duration,
    /// The most connections open at once.
    pub max_connections: usize,
}

impl ServerLimits {
    /// A browser sends its request head in one packet: ten seconds is generous even on a bad mobile link.
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    /// Pages answer in milliseconds; thirty seconds only ends what is stuck.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    /// Far above what one dealcast serves honestly, far below the default limit of 1024 open files per process
    /// minus what the database pools and the fetcher use.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read_timeout: Self::DEFAULT_HEADER_READ_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves; then stops accepting, asks each open
/// connection to finish its request in flight, and returns once they all have. Each request carries its client's
/// address (`ConnectInfo<SocketAddr>`).
pub async fn serve_within(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app.layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, limits.request_timeout));
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // Dropped when shutting down: every connection task sees its receiver closed and finishes gracefully.
    let (stop_connections, connections_stop) = watch::channel(());
    // Each connection task holds a sender; when the last one is dropped, every connection is over.
    let (connection_alive, mut all_closed) = tokio::sync::mpsc::channel::<()>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, a connection reset before it was accepted: not fatal to the server.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = app.clone().map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request.map(axum::body::Body::new)
        });
        let service = TowerToHyperService::new(service);
        let mut stopping = connections_stop.clone();
        let alive = connection_alive.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                served = connection.as_mut() => log_connection_end(served, peer),
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    log_connection_end(connection.await, peer);
                }
            }
            drop((permit, alive));
        });
    }
    drop(listener);
    drop(stop_connections);
    drop(connection_alive);
    // Every connection task holds a sender: `recv` answers `None` once the last one has finished.
    let _ = all_closed.recv().await;
    Ok(())
}

fn log_connection_end(served: Result<(), hyper::Error>, peer: SocketAddr) {
    if let Err(error) = served {
        // A client that went away, or was too slow to send its request: the connection is closed, nothing more.
        tracing::debug!(%error, %peer, "connection ended");
    }
}
