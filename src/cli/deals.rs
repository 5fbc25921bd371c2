//! `dealcast deals list|search|show|rescore`: the deals database in a terminal, for the operator checking what the
//! scrapers found and how each deal was judged.
//!
//! A thin shell: the questions are asked by `store::deal_queries`, the answers are worded by `deals_format`; this
//! module only maps flags to a filter, opens and closes the store, and writes to standard output.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use rust_decimal::Decimal;

use super::deals_format;
use crate::config::Config;
use crate::deals::honesty::Verdict;
use crate::harvest::rescoring::{RescoreOptions, rescore_active};
use crate::store::Store;
use crate::store::deal_queries::{self, Activity, DEFAULT_LIMIT, DealFilter};

#[derive(Debug, Subcommand)]
pub enum DealsCommand {
    /// List the best deals, best score first.
    List(FilterArgs),
    /// List the deals whose title or brand matches TEXT: its French words (accents and plurals ignored), the text
    /// itself anywhere, or a near spelling.
    Search {
        /// The text to look for.
        text: String,
        #[command(flatten)]
        filters: FilterArgs,
    },
    /// Show one offer: its prices, the verdict in words, the score explained, quality flags and price history.
    Show {
        /// The offer's id (the first column of `dealcast deals list`).
        id: i64,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Recompute now the time-dependent parts of every active deal's score (reduction age, ending soon, ended):
    /// what a worker does every hour.
    Rescore {
        /// Only scores that move by at least this many points are written.
        #[arg(long, default_value = "0.1")]
        min_change: Decimal,
    },
}

/// The filters shared by `list` and `search`.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only this shop (its id or its name).
    #[arg(long)]
    pub shop: Option<String>,
    /// Only deals with at least this real discount, in percent (from the 30-day reference price).
    #[arg(long, value_name = "PERCENT")]
    pub min_discount: Option<Decimal>,
    /// Only deals with this verdict (repeat for several).
    #[arg(long, value_enum)]
    pub verdict: Vec<VerdictArg>,
    /// Also list ended deals.
    #[arg(long)]
    pub all: bool,
    /// At most this many deals.
    #[arg(long, default_value_t = DEFAULT_LIMIT, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub limit: i64,
    /// One JSON object per deal, one per line, instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// A verdict as typed on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerdictArg {
    Honest,
    Inflated,
    Unverified,
}

impl From<VerdictArg> for Verdict {
    fn from(arg: VerdictArg) -> Self {
        match arg {
            VerdictArg::Honest => Verdict::Honest,
            VerdictArg::Inflated => Verdict::Inflated,
            VerdictArg::Unverified => Verdict::Unverified,
        }
    }
}

impl FilterArgs {
    fn to_filter(&self, search: Option<String>) -> DealFilter {
        DealFilter {
            shop: self.shop.clone(),
            min_real_discount: self.min_discount,
            verdicts: self.verdict.iter().map(|v| Verdict::from(*v).as_str().to_string()).collect(),
            activity: if self.all { Activity::Any } else { Activity::Active },
            search,
            limit: self.limit,
            ..DealFilter::default()
        }
    }
}

pub async fn run(action: DealsCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let store = Store::open(&config.store_settings()).await?;
    let answered = answer(action, &store, config).await;
    // Closed whatever the answer, so that a private cluster this command started is stopped again.
    let closed = store.close().await;
    match answered {
        // A reader that stopped early (`| head`) is not an error.
        Err(error) if is_broken_pipe(&error) => {}
        answered => answered?,
    }
    closed?;
    Ok(ExitCode::SUCCESS)
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

async fn answer(action: DealsCommand, store: &Store, config: &Config) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match action {
        DealsCommand::List(filters) => list(store, &filters.to_filter(None), filters.json, &mut out).await?,
        DealsCommand::Search { text, filters } => {
            list(store, &filters.to_filter(Some(text)), filters.json, &mut out).await?
        }
        DealsCommand::Show { id, json } => {
            let detail = deal_queries::deal_detail(store.pool(), id)
                .await
                .with_context(|| format!("could not read offer {id}"))?;
            let Some(detail) = detail else {
                anyhow::bail!("there is no offer with id {id} (`dealcast deals list --all` shows the ids)");
            };
            if json {
                writeln!(out, "{}", deals_format::detail_json(&detail)?)?;
            } else {
                write!(out, "{}", deals_format::detail_text(&detail))?;
                write!(out, "{}", super::publication_show::evidence_of_offer(store.pool(), id).await?)?;
            }
        }
        DealsCommand::Rescore { min_change } => {
            let options = RescoreOptions { min_change, ..RescoreOptions::default() };
            let report = rescore_active(store.pool(), &config.scoring, chrono::Utc::now(), &options)
                .await
                .context("could not rescore the deals")?;
            writeln!(
                out,
                "Rescored {} active deals: {} scores changed by {} points or more and were written ({} search rows), \
                 {} ended promotions closed.",
                report.examined, report.rewritten, min_change, report.search_rows, report.ended
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

async fn list(store: &Store, filter: &DealFilter, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let rows = deal_queries::list_deals(store.pool(), filter).await.context("could not list the deals")?;
    if json {
        for row in &rows {
            writeln!(out, "{}", serde_json::to_string(row)?)?;
        }
    } else if rows.is_empty() {
        writeln!(out, "No deals match.")?;
    } else {
        write!(out, "{}", deals_format::deals_table(&rows))?;
    }
    Ok(())
}
