//! `dealcast worker` (and `dealcast run`): claim and run due jobs from the shared queue until stopped. Start as many
//! as you like, on as many machines as you like, against one PostgreSQL. `run` also ticks the accounts'
//! publishers beside the worker (`publish::runner`).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::config::Config;
use crate::harvest::rescore_jobs::{RescoreHandler, rescore_schedule};
use crate::harvest::scrape_jobs::{HarvestHandler, scrape_scheduler};
use crate::harvest::system_clock;
use crate::jobs::{HandlerSet, JobHandler, WorkerOptions, run_worker};
use crate::publish::accounts::AccountConfig;
use crate::publish::recheck::Rechecker;
use crate::publish::runner::{PublisherExtras, run_publishers};
use crate::scrape::registry::Registry;
use crate::store::Store;
use crate::store::supervisor::{DatabaseHealth, QUICK_ACQUIRE};

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Jobs run at once by this process.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Seconds a claimed job stays ours without a heartbeat: how soon another worker takes over a dead one's job.
    #[arg(long, default_value_t = 60)]
    pub lease_secs: u64,
    /// Milliseconds an idle worker waits before looking for work again.
    #[arg(long, default_value_t = 2000)]
    pub poll_ms: u64,
    /// Do not create jobs from the shops' schedules (another worker does).
    #[arg(long)]
    pub no_schedule: bool,
    /// The name leases are held under (default: host:pid).
    #[arg(long)]
    pub name: Option<String>,
    /// Seconds between two ticks of the publishers (`run` only).
    #[arg(long, default_value_t = 15)]
    pub publish_tick_secs: u64,
}

/// `dealcast run`: the worker, plus the publishers and the web server.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub worker: WorkerArgs,
    #[command(flatten)]
    pub web: super::serve::ServeArgs,
    /// Do not serve the web UI.
    #[arg(long)]
    pub no_web: bool,
}

/// The account `run` publishes with when the configuration names none: it records posts and sends nothing.
fn preview_account() -> AccountConfig {
    toml::from_str("name = \"apercu\"\nplatform = \"dry_run\"\n").expect("a valid built-in account")
}

/// `dealcast run`: everything in one process until Ctrl-C or SIGTERM.
pub async fn run_all(args: RunArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let web = if args.no_web {
        None
    } else {
        let (listener, base_url) = super::serve::bind(&args.web, config).await?;
        Some((listener, base_url, args.web))
    };
    run(args.worker, config, Some(web)).await
}

/// Runs the worker until Ctrl-C or SIGTERM; with `run_extras` (from `dealcast run`), the accounts' publishers and
/// the web server (when bound) beside it.
pub async fn run(
    args: WorkerArgs,
    config: &Config,
    run_extras: Option<Option<(tokio::net::TcpListener, url::Url, super::serve::ServeArgs)>>,
) -> anyhow::Result<ExitCode> {
    let with_publishers = run_extras.is_some();
    let registry = Arc::new(Registry::load(&config.scrapers_dir)?);
    let store = Store::open(&config.store_settings()).await?;
    // The database is watched for as long as the process runs: a private server that goes away is started again,
    // and an external one waited for (see `store::supervisor`); the work waits for it meanwhile.
    let health = DatabaseHealth::new();
    let mut options = WorkerOptions {
        lease: Duration::from_secs(args.lease_secs.max(1)),
        poll_interval: Duration::from_millis(args.poll_ms.max(10)),
        concurrency: args.concurrency.max(1),
        database: Some(health.clone()),
        ..WorkerOptions::default()
    };
    if let Some(name) = args.name {
        options.name = name;
    }
    // One fetcher for harvests, re-checks before posting and product images: a shop's politeness limits hold for
    // all of them.
    let fetcher = super::scrape::fetcher_from_config(config)?;
    let rechecker = Rechecker::new(fetcher.clone(), registry.shops().cloned(), config.scoring.clone());
    let handler = HarvestHandler {
        pool: store.pool().clone(),
        fetcher: fetcher.clone(),
        registry: Arc::clone(&registry),
        weights: config.scoring.clone(),
        worker: options.name.clone(),
        clock: system_clock(),
    };
    let rescorer = RescoreHandler {
        pool: store.pool().clone(),
        weights: config.scoring.clone(),
        options: Default::default(),
        clock: system_clock(),
        page_retention: config.evidence.page_retention(),
    };
    let handler = HandlerSet::new(vec![Arc::new(handler) as Arc<dyn JobHandler>, Arc::new(rescorer)]);
    let scheduler = (!args.no_schedule)
        .then(|| Arc::new(scrape_scheduler(&registry).with(rescore_schedule())) as Arc<dyn crate::jobs::Scheduler>);
    tracing::info!(worker = %options.name, shops = registry.len(), "worker started");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        super::shutdown::shutdown_signal().await;
        let _ = stop.send(true);
    });
    let supervisor = tokio::spawn(store.supervisor(QUICK_ACQUIRE, health.clone()).run(stopped.clone()));
    let publishers = with_publishers.then(|| {
        let mut accounts = config.accounts.clone();
        if accounts.is_empty() {
            tracing::info!("no [[accounts]] configured: posts are only recorded, by the dry_run account `apercu`");
            accounts.push(preview_account());
        }
        // A pool of their own: a busy worker pool (or web) cannot make a post miss its slot.
        let pool = store.side_pool(PUBLISHER_CONNECTIONS, config.store_settings().connect_timeout, None);
        let name = options.name.clone();
        let every = Duration::from_secs(args.publish_tick_secs.max(1));
        let (stopped, health) = (stopped.clone(), health.clone());
        let extras = PublisherExtras { database: Some(health), rechecker: Some(rechecker), fetcher };
        tokio::spawn(async move { run_publishers(pool, &accounts, &name, every, extras, stopped).await })
    });
    let mut quick_pools = vec![];
    let web = match run_extras.flatten() {
        Some((listener, base_url, web_args)) => {
            let address = listener.local_addr()?;
            println!("dealcast is running; the web UI is on http://{address}/ (Ctrl-C to stop)");
            let (state, web_pool) = super::serve::supervised_state(&store, base_url, &web_args, config, &health);
            quick_pools.push(web_pool);
            let mut web_stopped = stopped.clone();
            let shutdown = async move {
                let _ = web_stopped.wait_for(|stop| *stop).await;
            };
            Some(tokio::spawn(crate::web::serve_within(listener, state, config.web.server_limits(), shutdown)))
        }
        None => None,
    };
    let mut worker_stopped = stopped.clone();
    let worker_shutdown = async move {
        let _ = worker_stopped.wait_for(|stop| *stop).await;
    };
    let work = async {
        let worked = run_worker(store.pool().clone(), Arc::new(handler), scheduler, options, worker_shutdown).await;
        if let Some(publishers) = publishers
            && let Err(error) = publishers.await
        {
            tracing::error!(%error, "the publishers ended abnormally");
        }
        if let Some(web) = web {
            match web.await {
                Ok(Err(error)) => tracing::error!(%error, "the web server stopped on an error"),
                Err(error) => tracing::error!(%error, "the web server ended abnormally"),
                Ok(Ok(())) => {}
            }
        }
        worked
    };
    let finished = tokio::select! {
        worked = work => Some(worked),
        () = give_up_while_database_away(stopped.clone(), health.clone()) => None,
    };
    // A restart in progress is not waited for (the lease's release below waits for its lock).
    supervisor.abort();
    for pool in quick_pools {
        pool.close().await;
    }
    match finished {
        Some(worked) => {
            worked?;
            store.close().await?;
        }
        None => {
            tracing::warn!(
                "stopping without waiting for the work in flight: the database is away (the jobs' leases run out \
                 and they are retried; a post claimed is reconciled at the next start)"
            );
            if tokio::time::timeout(CLOSE_WHILE_AWAY, store.close()).await.is_err() {
                tracing::warn!("the store did not close in time; leaving it");
            }
        }
    }
    tracing::info!("worker stopped");
    Ok(ExitCode::SUCCESS)
}

/// The publishers' own connections under `dealcast run` (they post one at a time per account).
const PUBLISHER_CONNECTIONS: u32 = 2;
/// How long a shutdown asked while the database is away waits for the work in flight, then for closing the store.
const STOP_WAIT_WHILE_AWAY: Duration = Duration::from_millis(1500);
const CLOSE_WHILE_AWAY: Duration = Duration::from_secs(2);

/// Resolves when a shutdown was asked and the database is away (for [`STOP_WAIT_WHILE_AWAY`]): the work in
/// flight is then waiting for connections that cannot come, and is not waited for. Never resolves otherwise.
async fn give_up_while_database_away(mut stopped: tokio::sync::watch::Receiver<bool>, health: DatabaseHealth) {
    if stopped.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
    loop {
        if !health.is_available() {
            tokio::time::sleep(STOP_WAIT_WHILE_AWAY).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
