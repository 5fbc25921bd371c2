//! One account's publisher: at each tick it reconciles sends whose outcome is unknown, serves the schedule slot
//! that has come (choosing and writing the posts into the outbox, or into the review queue of a curated account),
//! and sends the posts that are due, one at a time, within the account's pacing.
//!
//! A tick holds the account's advisory lock (`account_state`), so any number of processes may tick the same
//! account: one does the work, the others see it busy. Every step is a committed row change, so a tick cut short
//! anywhere (crash, `kill -9`, shutdown) leaves the next tick, in this process or another, able to go on: a post
//! is claimed before it is sent, and a claimed post is looked for among the account's recent posts before it is
//! ever sent again.
//!
//! A post whose account re-checks deals (`recheck`) has its product page read again after every other reason not
//! to send it has been looked at and before it is claimed: a re-check changes no claim, so a tick cut short during
//! one leaves the post queued, checked again by the next tick.
//!
//! Time comes in as an argument, which is how a whole day of slots is tested in a few seconds.

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::account_state;
use super::accounts::{AccountConfig, Mode};
use super::claimed_wording::{self, drafts_for};
use super::compose::ComposeError;
use super::drafting::Draft;
use super::images::{Image, fetch_image, image_fetcher};
use super::outbox::{self, InsertError, NewPublication, Publication};
use super::pacing::{PacingRules, may_send};
use super::pause_points::{self, AFTER_CLAIM, AFTER_POST, AFTER_RECORD, BEFORE_CLAIM};
use super::platform::{Accepted, Sender, SenderError};
use super::recheck::{RecheckOutcome, RecheckedPage, Rechecker};
use super::reconcile::find_post;
use super::selection::{self, Candidate, for_slot, pick, shop_history};
use super::text_length::{MAX_WEIGHTED_LENGTH, weighted_length};
use super::x::client::XError;
use crate::jobs::schedule::latest_slot;
use crate::scrape::fetch::address_policy::AllowanceError;
use crate::scrape::fetch::{FetchError, Fetcher, PrivateHostAllowance};

/// A slot older than this when a publisher first sees it is skipped rather than served late: after a long
/// downtime, posting at once what was meant for the morning would be a burst, not a schedule.
const SLOT_GRACE: TimeDelta = TimeDelta::hours(1);

/// A queued post that could not go out for this long is dropped: the deal it describes may be over.
const STALE_AFTER: TimeDelta = TimeDelta::hours(24);

/// How long downloading a product image may take.
const IMAGE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// After this many failed sends, a post is given up.
const MAX_ATTEMPTS: i32 = 5;

/// How much shorter (in weighted characters) a post is written again after the platform refused its text. X's
/// "too long" does not say by how much. dealcast counts as the official twitter-text does (see `text_length`), so
/// a refusal means X's servers counted otherwise (a newer list of domains or emoji): 40 covers one link counted 23
/// instead of its characters, or the other way round, and the gaps the differential test against the official
/// library finds (`tests/twitter_text_differential.rs`).
const RECOMPOSE_STEP: usize = 40;

/// How many eligible deals a curated account puts in front of its curators at each slot.
const REVIEW_BATCH_PER_POST: usize = 3;

/// What stopped a tick from doing its work.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Sender(#[from] SenderError),
    #[error("account {account}: the database failed")]
    Database {
        account: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("account {account}: its post template cannot be used")]
    Template {
        account: String,
        #[source]
        source: ComposeError,
    },
    #[error("the fetcher for product images could not be built")]
    ImageFetcher {
        #[source]
        source: FetchError,
    },
    #[error(transparent)]
    PrivateHosts(#[from] AllowanceError),
    #[error("account {account}: {source}")]
    Platform {
        account: String,
        #[source]
        source: XError,
    },
}

/// A post that went out during a tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentPost {
    pub publication_id: i64,
    pub offer_id: i64,
    pub remote_id: String,
    pub remote_url: Option<String>,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Another publisher held the account: this tick did nothing.
    pub busy: bool,
    /// The slot served, if one came.
    pub slot: Option<DateTime<Utc>>,
    /// Posts added to the outbox (to send, or to review for a curated account).
    pub queued: usize,
    pub sent: Vec<SentPost>,
    /// Sends of unknown outcome settled (found on the platform, or put back to send again).
    pub reconciled: usize,
    /// Why sending stopped before the queue was empty (quiet hours, spacing, a cap, the budget, a rate limit...).
    pub held: Option<String>,
    /// The account was stopped: what a person must do.
    pub stopped: Option<String>,
    /// Deals that could not be written, and why.
    pub skipped: Vec<String>,
}

/// A post the account would make now (`publish --dry-run`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlannedPost {
    pub account: String,
    pub offer_id: i64,
    pub shop_id: String,
    pub title: String,
    pub text: String,
    pub weighted_length: usize,
    pub score: Option<Decimal>,
    pub score_explanation: Vec<String>,
}

/// Which slot a tick serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotChoice {
    /// The schedule's latest slot, if it has come and was not served.
    Scheduled,
    /// `now`, whatever the schedule (`publish --now`).
    Now,
}

/// What the account's publisher must do after a failed call to the platform.
enum Next {
    /// Go on with the next post.
    Continue,
    /// Stop this tick.
    Stop,
}

/// The publisher of one account.
pub struct Publisher {
    pool: PgPool,
    account: AccountConfig,
    sender: Sender,
    rules: PacingRules,
    worker: String,
    /// The fetcher downloading product images, when the account attaches them.
    images: Option<Fetcher>,
    /// What re-checks deals before they are posted ([`Publisher::with_recheck`]).
    rechecker: Option<Rechecker>,
}

impl Publisher {
    /// The publisher of `account`, its secrets read through `env`, working under the name `worker`.
    pub fn new(
        pool: PgPool,
        account: AccountConfig,
        worker: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Publisher, PublishError> {
        let sender = Sender::for_account(&account, &env)?;
        // Images come through the address policy; `with_image_fetcher` replaces this fetcher by the process's own.
        let allowance = PrivateHostAllowance::from_env(&env)?;
        Publisher::with_sender(pool, account, sender, worker, allowance)
    }

    /// Downloads product images (when the account attaches them) with `fetcher`: the process's one polite fetcher,
    /// with its robots.txt cache, host limits and allowed private hosts (`[scrape] allow_private_hosts`).
    pub fn with_image_fetcher(mut self, fetcher: Fetcher) -> Publisher {
        if self.images.is_some() {
            self.images = Some(fetcher);
        }
        self
    }

    /// A publisher that can only [`Publisher::preview`] (or record `dry_run` posts): it needs no secrets.
    pub fn for_preview(pool: PgPool, account: AccountConfig, worker: &str) -> Result<Publisher, PublishError> {
        let sender = Sender::DryRun { account: account.name.clone() };
        Publisher::with_sender(pool, account, sender, worker, PrivateHostAllowance::default())
    }

    fn with_sender(
        pool: PgPool,
        account: AccountConfig,
        sender: Sender,
        worker: &str,
        allowance: PrivateHostAllowance,
    ) -> Result<Publisher, PublishError> {
        super::drafting::template_of(&account)
            .map_err(|source| PublishError::Template { account: account.name.clone(), source })?;
        let rules = PacingRules::of(&account);
        let images = if account.attach_image && sender.is_remote() {
            Some(image_fetcher(IMAGE_TIMEOUT, allowance).map_err(|source| PublishError::ImageFetcher { source })?)
        } else {
            None
        };
        Ok(Publisher { pool, account, sender, rules, worker: worker.to_string(), images, rechecker: None })
    }

    /// Re-checks deals through `rechecker` before posting them, when the account re-checks (`recheck`, on by
    /// default for `x`). Without one, such an account's posts wait: they never go out unchecked.
    pub fn with_recheck(self, rechecker: Rechecker) -> Publisher {
        Publisher { rechecker: Some(rechecker), ..self }
    }

    /// The account's name.
    pub fn account(&self) -> &str {
        &self.account.name
    }

    /// One tick at `now`: reconcile, serve the schedule's slot if it has come, send what is due.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickReport, PublishError> {
        self.run(now, SlotChoice::Scheduled).await
    }

    /// A slot at the minute of `now`, whatever the schedule (`publish --now`); pacing still applies. A minute
    /// already served is not served again.
    pub async fn slot_now(&self, now: DateTime<Utc>) -> Result<TickReport, PublishError> {
        self.run(now, SlotChoice::Now).await
    }

    /// The posts a slot at `now` would make, written but not recorded (nothing changes).
    pub async fn preview(&self, now: DateTime<Utc>) -> Result<Vec<PlannedPost>, PublishError> {
        let candidates = for_slot(&self.pool, &self.account, now).await.map_err(|e| self.db(e))?;
        let history =
            shop_history(&self.pool, &self.account.name, self.rules.day_start(now)).await.map_err(|e| self.db(e))?;
        let wanted = self.account.posts_per_slot as usize;
        let mut planned = Vec::new();
        for candidate in pick(&candidates, wanted, self.account.per_shop_daily_cap, &history) {
            let draft = match self.untaken_drafts(&candidate).await? {
                Ok(drafts) => drafts.into_iter().next(),
                Err(error) => {
                    tracing::warn!(account = %self.account.name, offer = candidate.offer_id, %error, "deal skipped");
                    None
                }
            };
            let Some(draft) = draft else { continue };
            let score_explanation = candidate.score_parts().map(|parts| parts.explain()).unwrap_or_default();
            planned.push(PlannedPost {
                account: self.account.name.clone(),
                offer_id: candidate.offer_id,
                shop_id: candidate.shop_id.clone(),
                title: candidate.title.clone(),
                weighted_length: weighted_length(&draft.text),
                text: draft.text,
                score: candidate.score,
                score_explanation,
            });
        }
        Ok(planned)
    }

    fn db(&self, source: sqlx::Error) -> PublishError {
        PublishError::Database { account: self.account.name.clone(), source }
    }

    async fn run(&self, now: DateTime<Utc>, choice: SlotChoice) -> Result<TickReport, PublishError> {
        let Some(lock) = account_state::try_lock(&self.pool, &self.account.name).await.map_err(|e| self.db(e))? else {
            return Ok(TickReport { busy: true, ..TickReport::default() });
        };
        let outcome = self.run_locked(now, choice).await;
        if let Err(error) = lock.release().await {
            tracing::warn!(account = %self.account.name, %error, "could not release the publisher lock cleanly");
        }
        outcome
    }

    async fn run_locked(&self, now: DateTime<Utc>, choice: SlotChoice) -> Result<TickReport, PublishError> {
        let mut report = TickReport::default();
        let state = account_state::sync(&self.pool, &self.account).await.map_err(|e| self.db(e))?;
        if state.paused {
            report.stopped = Some(format!(
                "account {} is paused: {}",
                self.account.name,
                state.paused_reason.as_deref().unwrap_or("by an operator")
            ));
            return Ok(report);
        }
        if let Some(until) = state.rate_limited_until.filter(|until| *until > now) {
            report.held = Some(format!("the platform asked to wait until {until} (rate limit)"));
            return Ok(report);
        }
        let mut user_id = state.remote_user_id.clone();
        if let Next::Stop = self.reconcile_claimed(now, &mut user_id, &mut report).await? {
            return Ok(report);
        }
        // Published deals followed: expired posts marked, their follow-ups sent.
        let (pool, account, sender, rules, worker) =
            (&self.pool, &self.account, &self.sender, &self.rules, &self.worker);
        let follower = super::followups::Follower { pool, account, sender, rules, worker };
        follower.follow(now, &mut report).await.map_err(|e| self.db(e))?;
        let slot = match choice {
            // The current minute: two `publish --now` in the same minute (two terminals, a double click in a
            // script) serve one slot.
            SlotChoice::Now => now.with_second(0).and_then(|minute| minute.with_nanosecond(0)),
            SlotChoice::Scheduled => latest_slot(&self.account.schedule.schedule, self.rules.tz, now)
                .filter(|slot| state.last_slot_at.is_none_or(|last| *slot > last) && now - *slot <= SLOT_GRACE),
        };
        if let Some(slot) = slot {
            let fresh = account_state::mark_slot(&self.pool, &self.account.name, slot).await.map_err(|e| self.db(e))?;
            if !fresh && choice == SlotChoice::Now {
                report.held = Some("this minute's slot was already served; try again in a minute".to_string());
            }
            if fresh {
                report.slot = Some(slot);
                if self.rules.is_quiet(slot) {
                    report.held = Some("the slot falls in the account's quiet hours".to_string());
                } else {
                    self.fill_slot(slot, now, &mut report).await?;
                }
            }
        }
        self.send_due(now, &mut user_id, &mut report).await?;
        Ok(report)
    }

    /// The times of a slot's posts: the slot, then one minimum spacing apart.
    fn slot_times(&self, slot: DateTime<Utc>, count: usize) -> Vec<DateTime<Utc>> {
        (0..count).map(|i| slot + self.rules.min_spacing * i32::try_from(i).unwrap_or(i32::MAX)).collect()
    }

    /// Chooses and writes the slot's posts: queued at their times (auto), or put up for review (curated) while the
    /// approved ones get the slot's times.
    async fn fill_slot(
        &self,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), PublishError> {
        let per_slot = self.account.posts_per_slot as usize;
        let candidates = for_slot(&self.pool, &self.account, now).await.map_err(|e| self.db(e))?;
        let history =
            shop_history(&self.pool, &self.account.name, self.rules.day_start(slot)).await.map_err(|e| self.db(e))?;
        match self.account.mode {
            Mode::Auto => {
                let waiting = outbox::waiting(&self.pool, &self.account.name).await.map_err(|e| self.db(e))?;
                let wanted = per_slot.saturating_sub(usize::try_from(waiting).unwrap_or(usize::MAX));
                // A few spares, in case a deal cannot be written.
                let chosen = pick(&candidates, wanted + 3, self.account.per_shop_daily_cap, &history);
                let times = self.slot_times(slot, wanted);
                for candidate in chosen {
                    let Some(&time) = times.get(report.queued) else { break };
                    if self.write(&candidate, "queued", Some(time), Some(slot), report).await? {
                        report.queued += 1;
                    }
                }
            }
            Mode::Curated => {
                let batch = per_slot * REVIEW_BATCH_PER_POST;
                for candidate in pick(&candidates, batch, self.account.per_shop_daily_cap, &history) {
                    if self.write(&candidate, "pending_review", None, Some(slot), report).await? {
                        report.queued += 1;
                    }
                }
                outbox::schedule_approved(&self.pool, &self.account.name, &self.slot_times(slot, per_slot))
                    .await
                    .map_err(|e| self.db(e))?;
            }
        }
        Ok(())
    }

    /// The deal's texts that no post of any account uses yet, best first, or why none can be written.
    async fn untaken_drafts(&self, candidate: &Candidate) -> Result<Result<Vec<Draft>, ComposeError>, PublishError> {
        let drafts = match drafts_for(&self.account, candidate) {
            Ok(drafts) => drafts,
            Err(error) => return Ok(Err(error)),
        };
        let mut untaken = Vec::with_capacity(drafts.len());
        for draft in drafts {
            if !outbox::text_taken(&self.pool, &draft.text).await.map_err(|e| self.db(e))? {
                untaken.push(draft);
            }
        }
        Ok(Ok(untaken))
    }

    /// Writes one deal into the outbox with `status`; false when it could not be (no free text, already there).
    async fn write(
        &self,
        candidate: &Candidate,
        status: &'static str,
        scheduled_for: Option<DateTime<Utc>>,
        slot_at: Option<DateTime<Utc>>,
        report: &mut TickReport,
    ) -> Result<bool, PublishError> {
        let drafts = match self.untaken_drafts(candidate).await? {
            Ok(drafts) => drafts,
            Err(error) => {
                report.skipped.push(format!("offer {}: {error}", candidate.offer_id));
                return Ok(false);
            }
        };
        for draft in drafts {
            let row = NewPublication {
                account_id: self.account.name.clone(),
                offer_id: candidate.offer_id,
                status,
                cost: self.rules.cost_of(draft.link.is_some()),
                text: draft.text,
                link: draft.link,
                currency: candidate.currency.clone(),
                price: candidate.price,
                score: candidate.score,
                scheduled_for,
                slot_at,
            };
            match outbox::insert(&self.pool, &row).await {
                Ok(Some(id)) => {
                    claimed_wording::record_basis(&self.pool, id, candidate).await.map_err(|e| self.db(e))?;
                    return Ok(true);
                }
                Ok(None) => return Ok(false),
                // Another account took these words between the check and the insert: say it another way.
                Err(InsertError::TextTaken) => continue,
                Err(InsertError::Database(source)) => return Err(self.db(source)),
            }
        }
        report
            .skipped
            .push(format!("offer {}: every wording is already posted by another account", candidate.offer_id));
        Ok(false)
    }

    /// Sends the due posts, earliest first, while pacing allows.
    async fn send_due(
        &self,
        now: DateTime<Utc>,
        user_id: &mut Option<String>,
        report: &mut TickReport,
    ) -> Result<(), PublishError> {
        let name = &self.account.name;
        while let Some(row) = outbox::next_due(&self.pool, name, now).await.map_err(|e| self.db(e))? {
            if row.scheduled_for.is_some_and(|due| now - due > STALE_AFTER) {
                self.close(&row, "cancelled", "it waited more than a day to be sent").await?;
                continue;
            }
            if !outbox::deal_still_on(&self.pool, &row, now).await.map_err(|e| self.db(e))? {
                self.close(&row, "cancelled", "the deal ended or its price went up before it was posted").await?;
                continue;
            }
            if claimed_wording::contradicted(&self.pool, row.id).await.map_err(|e| self.db(e))? {
                self.close(&row, "cancelled", "the shop's claimed discount was found inflated before it was posted")
                    .await?;
                continue;
            }
            let sent = outbox::sent_so_far(&self.pool, name, self.rules.day_start(now), self.rules.month_start(now))
                .await
                .map_err(|e| self.db(e))?;
            if let Err(hold) = may_send(&self.rules, &sent, now, row.cost.unwrap_or_default()) {
                report.held = Some(hold.to_string());
                return Ok(());
            }
            let checked_page = if self.account.rechecks() {
                match self.recheck_holds(&row, now, report).await? {
                    Some(page) => page,
                    None => continue,
                }
            } else {
                None
            };
            let image = self.image_for(&row).await?;
            pause_points::reach(BEFORE_CLAIM).await;
            if !outbox::claim(&self.pool, row.id, &self.worker, now).await.map_err(|e| self.db(e))? {
                continue;
            }
            pause_points::reach(AFTER_CLAIM).await;
            let image_again = image.clone();
            match self.sender.post(&row.text, image, row.id).await {
                Ok(accepted) => {
                    pause_points::reach(AFTER_POST).await;
                    self.record(&row, &accepted, now, checked_page.as_ref(), report).await?;
                    pause_points::reach(AFTER_RECORD).await;
                }
                Err(error) if error.text_refusal().is_some() => {
                    if let Next::Stop = self.after_refused_text(&row, error, image_again, now, user_id, report).await? {
                        return Ok(());
                    }
                }
                Err(error) => {
                    if let Next::Stop = self.after_failed_send(&row, error, now, user_id, report).await? {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// Re-checks the deal of `row` against its shop: `Some` (with the page read, kept as the post's evidence) when it
    /// holds and may be sent. A deal found over is cancelled with the reason; a deal that could not be checked
    /// waits, queued, for the account's next slot.
    async fn recheck_holds(
        &self,
        row: &Publication,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<Option<Option<RecheckedPage>>, PublishError> {
        let (outcome, page) = match &self.rechecker {
            Some(rechecker) => {
                let recheck =
                    rechecker.recheck(&self.pool, &self.account, row.id, now).await.map_err(|e| self.db(e))?;
                (recheck.outcome, recheck.page)
            }
            None => (
                RecheckOutcome::Unchecked(
                    "this publisher was started without the shop files to re-check deals with".to_string(),
                ),
                None,
            ),
        };
        match outcome {
            RecheckOutcome::Holds => Ok(Some(page)),
            RecheckOutcome::Dropped(why) => {
                let reason = format!("re-checked before posting: {why}");
                tracing::info!(account = %self.account.name, publication = row.id, %reason, "post not sent");
                outbox::drop_after_recheck(&self.pool, row.id, &reason, now).await.map_err(|e| self.db(e))?;
                report.skipped.push(format!("publication {}: {reason}", row.id));
                Ok(None)
            }
            RecheckOutcome::Unchecked(why) => {
                let until = self.next_slot_after(now);
                let reason = format!("waiting for the next slot ({until}): the deal could not be re-checked: {why}");
                tracing::warn!(account = %self.account.name, publication = row.id, %reason, "post not sent unchecked");
                outbox::wait_for_recheck(&self.pool, row.id, until, &reason).await.map_err(|e| self.db(e))?;
                report.skipped.push(format!("publication {}: {reason}", row.id));
                Ok(None)
            }
        }
    }

    /// The account's first slot after `now` (an hour later if its schedule has none).
    fn next_slot_after(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let local = now.with_timezone(&self.rules.tz);
        self.account
            .schedule
            .schedule
            .after(&local)
            .next()
            .map_or(now + TimeDelta::hours(1), |slot| slot.with_timezone(&Utc))
    }

    /// The product image of `row`'s offer, when the account attaches images and it can be had.
    async fn image_for(&self, row: &Publication) -> Result<Option<Image>, PublishError> {
        let Some(fetcher) = &self.images else { return Ok(None) };
        let url: Option<String> = sqlx::query_scalar("SELECT image_url FROM offers WHERE id = $1")
            .bind(row.offer_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.db(e))?
            .flatten();
        let Some(url) = url else { return Ok(None) };
        match fetch_image(fetcher, &url).await {
            Ok(image) => Ok(Some(image)),
            Err(error) => {
                tracing::warn!(account = %self.account.name, publication = row.id, %error, "posting without the image");
                Ok(None)
            }
        }
    }

    async fn record(
        &self,
        row: &Publication,
        accepted: &Accepted,
        at: DateTime<Utc>,
        checked_page: Option<&RecheckedPage>,
        report: &mut TickReport,
    ) -> Result<(), PublishError> {
        outbox::record_published(&self.pool, row.id, &accepted.remote_id, accepted.remote_url.as_deref(), at)
            .await
            .map_err(|e| self.db(e))?;
        tracing::info!(account = %self.account.name, publication = row.id, remote_id = %accepted.remote_id, "posted");
        // The evidence behind the post: its observations, reference price and the page the re-check read.
        let page_url = checked_page.map(|page| page.url.to_string());
        let page = checked_page.map(|page| page.body.as_slice());
        if let Err(error) =
            crate::store::evidence::record_evidence(&self.pool, row.id, page_url.as_deref(), page, at).await
        {
            tracing::warn!(account = %self.account.name, publication = row.id, %error, "the post's evidence was not kept");
        }
        report.sent.push(SentPost {
            publication_id: row.id,
            offer_id: row.offer_id,
            remote_id: accepted.remote_id.clone(),
            remote_url: accepted.remote_url.clone(),
            text: row.text.clone(),
            at,
        });
        Ok(())
    }

    async fn close(&self, row: &Publication, status: &'static str, reason: &str) -> Result<(), PublishError> {
        tracing::info!(account = %self.account.name, publication = row.id, status, reason, "post not sent");
        outbox::close(&self.pool, row.id, status, reason).await.map_err(|e| self.db(e))
    }

    /// Puts a claimed post back in the queue for `retry_at`, or gives it up after [`MAX_ATTEMPTS`].
    async fn retry_later(&self, row: &Publication, retry_at: DateTime<Utc>, reason: &str) -> Result<(), PublishError> {
        if row.attempts + 1 >= MAX_ATTEMPTS {
            return self.close(row, "failed", &format!("gave up after {MAX_ATTEMPTS} attempts: {reason}")).await;
        }
        outbox::release(&self.pool, row.id, retry_at, reason).await.map_err(|e| self.db(e))
    }

    /// A post whose words the platform refused (too long by its count, or invalid) is written again shorter, once,
    /// and sent again at once; refused again, that post alone fails with the platform's reason, and the account
    /// goes on with its next post. (A crash between the two sends leaves the shorter text claimed: reconciliation
    /// then sends it like any other.)
    async fn after_refused_text(
        &self,
        row: &Publication,
        refused: XError,
        image: Option<Image>,
        now: DateTime<Utc>,
        user_id: &mut Option<String>,
        report: &mut TickReport,
    ) -> Result<Next, PublishError> {
        let shorter = match self.shorter_text(row).await? {
            Ok(text) => text,
            Err(why) => {
                return self.fail_post(row, &format!("{refused}; it cannot be written shorter: {why}"), report).await;
            }
        };
        match outbox::replace_text(&self.pool, row.id, &shorter).await {
            Ok(()) => {}
            Err(InsertError::TextTaken) => {
                let reason = format!("{refused}; its shorter text is already another post's");
                return self.fail_post(row, &reason, report).await;
            }
            Err(InsertError::Database(source)) => return Err(self.db(source)),
        }
        tracing::info!(account = %self.account.name, publication = row.id, %refused, "post written again shorter");
        let row = Publication { text: shorter, ..row.clone() };
        match self.sender.post(&row.text, image, row.id).await {
            Ok(accepted) => {
                self.record(&row, &accepted, now, None, report).await?;
                Ok(Next::Continue)
            }
            Err(again) if again.text_refusal().is_some() => {
                let length = weighted_length(&row.text);
                let reason =
                    format!("refused twice: {refused}; then, written again in {length} weighted characters: {again}");
                self.fail_post(&row, &reason, report).await
            }
            Err(other) => self.after_failed_send(&row, other, now, user_id, report).await,
        }
    }

    /// The refused post of `row` written again [`RECOMPOSE_STEP`] weighted characters shorter, or why it cannot be.
    async fn shorter_text(&self, row: &Publication) -> Result<Result<String, String>, PublishError> {
        let Some(candidate) = selection::candidate(&self.pool, row.offer_id).await.map_err(|e| self.db(e))? else {
            return Ok(Err("its offer has no price any more".to_string()));
        };
        let limit = weighted_length(&row.text).min(MAX_WEIGHTED_LENGTH).saturating_sub(RECOMPOSE_STEP);
        Ok(claimed_wording::shorter_for(&self.account, &candidate, &row.text, limit)
            .map(|draft| draft.text)
            .map_err(|e| e.to_string()))
    }

    /// Gives up on one post (`failed`, with `reason`); the account goes on.
    async fn fail_post(&self, row: &Publication, reason: &str, report: &mut TickReport) -> Result<Next, PublishError> {
        tracing::warn!(account = %self.account.name, publication = row.id, reason, "post given up");
        self.close(row, "failed", reason).await?;
        report.skipped.push(format!("publication {}: {reason}", row.id));
        Ok(Next::Continue)
    }

    /// The account-wide consequences of a failed call: refused credentials, a suspension or missing app
    /// permissions stop the account (each with its own message), a rate limit makes it wait. `Some` when the tick
    /// must stop.
    async fn account_level(&self, error: &XError, report: &mut TickReport) -> Result<Option<Next>, PublishError> {
        match error {
            error if error.stops_account() => {
                let reason = format!("{error}");
                account_state::pause(&self.pool, &self.account.name, &reason).await.map_err(|e| self.db(e))?;
                tracing::error!(account = %self.account.name, %reason, "account stopped; resume it once fixed");
                report.stopped = Some(format!(
                    "account {} stopped: {reason} (then `dealcast accounts resume {}`)",
                    self.account.name, self.account.name
                ));
                Ok(Some(Next::Stop))
            }
            XError::RateLimited { reset_at, .. } => {
                account_state::set_rate_limited(&self.pool, &self.account.name, *reset_at)
                    .await
                    .map_err(|e| self.db(e))?;
                report.held = Some(format!("the platform asked to wait until {reset_at} (rate limit)"));
                Ok(Some(Next::Stop))
            }
            _ => Ok(None),
        }
    }

    async fn after_failed_send(
        &self,
        row: &Publication,
        error: XError,
        now: DateTime<Utc>,
        user_id: &mut Option<String>,
        report: &mut TickReport,
    ) -> Result<Next, PublishError> {
        if let Some(next) = self.account_level(&error, report).await? {
            // The request was refused before anything was posted.
            outbox::release(&self.pool, row.id, now, &error.to_string()).await.map_err(|e| self.db(e))?;
            return Ok(next);
        }
        match error {
            XError::Duplicate { .. } | XError::Transient { .. } | XError::Decode { .. } => {
                // The post may have gone out: look for it before anything else.
                let found = match self.find_on_platform(std::slice::from_ref(row), user_id).await {
                    Ok(found) => found,
                    Err(lookup) => {
                        if self.account_level(&lookup, report).await?.is_none() {
                            report.held = Some(format!("{error}; the post stays claimed until reconciled: {lookup}"));
                        }
                        return Ok(Next::Stop);
                    }
                };
                if let Some(Some(remote_id)) = found.first() {
                    let accepted = Accepted { remote_id: remote_id.clone(), remote_url: self.sender.url_of(remote_id) };
                    self.record(row, &accepted, row.claimed_at.unwrap_or(now), None, report).await?;
                    report.reconciled += 1;
                    return Ok(Next::Continue);
                }
                if matches!(error, XError::Duplicate { .. }) {
                    let reason = format!("{error}, and it is not among the account's recent posts");
                    self.close(row, "failed", &reason).await?;
                    return Ok(Next::Continue);
                }
                let backoff = TimeDelta::minutes(1 << row.attempts.clamp(0, 6));
                self.retry_later(row, now + backoff, &error.to_string()).await?;
                report.held = Some(format!("{error}; next attempt in {} min", backoff.num_minutes()));
                Ok(Next::Stop)
            }
            XError::Rejected { .. } | XError::TextRefused { .. } => {
                self.fail_post(row, &error.to_string(), report).await
            }
            other => {
                outbox::release(&self.pool, row.id, now, &other.to_string()).await.map_err(|e| self.db(e))?;
                Err(PublishError::Platform { account: self.account.name.clone(), source: other })
            }
        }
    }

    /// For each row, the id of the remote post that is it, if the account's recent posts hold it.
    async fn find_on_platform(
        &self,
        rows: &[Publication],
        user_id: &mut Option<String>,
    ) -> Result<Vec<Option<String>>, XError> {
        if !self.sender.is_remote() {
            return Ok(rows.iter().map(|_| None).collect());
        }
        let id = match user_id.clone() {
            Some(id) => id,
            None => {
                let id = self.sender.user_id().await?;
                if let Err(error) = account_state::set_remote_user(&self.pool, &self.account.name, &id).await {
                    tracing::warn!(account = %self.account.name, %error, "could not remember the account's user id");
                }
                *user_id = Some(id.clone());
                id
            }
        };
        let recent = self.sender.recent_posts(&id).await?;
        Ok(rows.iter().map(|row| find_post(&row.text, row.link.as_deref(), &recent).map(|r| r.id.clone())).collect())
    }

    /// Settles the sends of unknown outcome left by an earlier tick (a crash, a timeout): found on the platform,
    /// they are recorded; not found, they go back to the queue.
    async fn reconcile_claimed(
        &self,
        now: DateTime<Utc>,
        user_id: &mut Option<String>,
        report: &mut TickReport,
    ) -> Result<Next, PublishError> {
        let rows = outbox::claimed(&self.pool, &self.account.name).await.map_err(|e| self.db(e))?;
        if rows.is_empty() {
            return Ok(Next::Continue);
        }
        if !self.sender.is_remote() {
            // Nothing left dealcast: recording is all a dry-run send does.
            for row in &rows {
                let accepted = self
                    .sender
                    .post(&row.text, None, row.id)
                    .await
                    .map_err(|source| PublishError::Platform { account: self.account.name.clone(), source })?;
                self.record(row, &accepted, row.claimed_at.unwrap_or(now), None, report).await?;
                report.reconciled += 1;
            }
            return Ok(Next::Continue);
        }
        let found = match self.find_on_platform(&rows, user_id).await {
            Ok(found) => found,
            Err(error) => {
                if let Some(next) = self.account_level(&error, report).await? {
                    return Ok(next);
                }
                report.held =
                    Some(format!("{} post(s) of unknown outcome wait for reconciliation: {error}", rows.len()));
                return Ok(Next::Stop);
            }
        };
        for (row, remote_id) in rows.iter().zip(found) {
            match remote_id {
                Some(remote_id) => {
                    let accepted = Accepted { remote_url: self.sender.url_of(&remote_id), remote_id };
                    self.record(row, &accepted, row.claimed_at.unwrap_or(now), None, report).await?;
                }
                None => {
                    self.retry_later(row, now, "an interrupted send did not reach the platform; sending again").await?;
                }
            }
            report.reconciled += 1;
        }
        Ok(Next::Continue)
    }
}
