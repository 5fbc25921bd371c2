//! `dealcast serve`: the web UI, the JSON API and the feeds over the configured database, until Ctrl-C or SIGTERM.
//! `dealcast run` embeds the same server (`web::serve`) next to its workers.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use url::Url;

use crate::config::Config;
use crate::store::Store;
use crate::web::{self, WebState};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address and port to listen on (loopback by default: put a reverse proxy in front to publish it).
    #[arg(long, default_value = "127.0.0.1:8080", env = "DEALCAST_LISTEN")]
    pub listen: SocketAddr,
    /// The site's public address, for absolute links in the Atom feeds (default: http://<listen address>/).
    #[arg(long, env = "DEALCAST_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<Url>,
}

/// Binds the listening socket of `args` and works out the public URL.
pub async fn bind(args: &ServeArgs) -> anyhow::Result<(tokio::net::TcpListener, Url)> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("could not listen on {}", args.listen))?;
    let address = listener.local_addr().context("could not read the listening address")?;
    let base_url = match &args.public_url {
        Some(url) => url.clone(),
        None => Url::parse(&format!("http://{address}/")).context("the listening address is not a URL")?,
    };
    Ok((listener, base_url))
}

pub async fn run(args: ServeArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let store = Store::open(&config.store_settings()).await?;
    let (listener, base_url) = bind(&args).await?;
    let address = listener.local_addr().context("could not read the listening address")?;
    println!("dealcast is serving on http://{address}/ (Ctrl-C to stop)");
    tracing::info!(%address, public_url = %base_url, "web server started");
    let served = web::serve(listener, WebState::new(store.pool().clone(), base_url), super::worker::shutdown_signal())
        .await
        .context("the web server stopped on an error");
    store.close().await?;
    served?;
    tracing::info!("web server stopped");
    Ok(ExitCode::SUCCESS)
}
