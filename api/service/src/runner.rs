//! Executing match runs in the background: load the scope, run the engine on a
//! blocking thread, commit (or keep a dry run's document), all under the run's
//! database lease.
//!
//! While the engine works, this node renews the lease and writes progress (phase,
//! done of total steps) to the run's row, so any node can report it. A run that
//! was cancelled, or whose lease this node lost, is abandoned at the next renewal:
//! the engine's thread finishes on its own and its result is dropped. Whatever
//! happens, a run's matches are written in one transaction with its SUCCEEDED
//! status, or not at all.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use matcher::engine::{Observer, Phase};
use matcher::model::Kind;
use matcher::{Options, Seconds};
use serde_json::Value;
use tokio::sync::watch;

use store::records::{NewMatch, RunPhase};
use store::runs::{self, Lease, RunRequest};
use store::scope::load_scope;
use store::{Conflict, Store, StoreError};

/// How long a lease lasts unless renewed, by default.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// Starts runs on this node and carries them to their end.
#[derive(Clone, Debug)]
pub struct Runner {
    store: Store,
    lease: Lease,
}

/// Why a run stopped without a result.
#[derive(Debug, thiserror::Error)]
enum Stop {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the engine refused the scope: {0}")]
    Engine(String),
    #[error("the run was cancelled or its lease was lost")]
    Abandoned,
    #[error(
        "{conflict}: other matches (another run of an overlapping scope, or a counselor's pick) were written \
         while this run worked, {attempts} times; nothing of this run was written: run it again"
    )]
    Raced { conflict: Conflict, attempts: u32 },
}

/// A step of a run, as the engine's thread reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Step {
    phase: RunPhase,
    done: i64,
}

struct Progress {
    sender: watch::Sender<Step>,
    done: i64,
    started: Option<Instant>,
    candidates: Duration,
    solve: Duration,
}

impl Observer for Progress {
    fn started(&mut self, phase: Phase, _kind: Kind, _needs: usize) {
        self.started = Some(Instant::now());
        let phase = match phase {
            Phase::Candidates => RunPhase::Candidates,
            Phase::Solve => RunPhase::Solving,
        };
        let _ = self.sender.send(Step { phase, done: self.done });
    }

    fn finished(&mut self, phase: Phase, _kind: Kind) {
        let spent = self.started.take().map(|at| at.elapsed()).unwrap_or_default();
        match phase {
            Phase::Candidates => self.candidates += spent,
            Phase::Solve => self.solve += spent,
        }
        self.done += 1;
    }
}

impl Runner {
    /// A runner whose leases last `lease` unless renewed (renewed every third of it).
    pub fn new(store: Store, lease: Duration) -> Runner {
        let owner = format!("node-{}-{}", std::process::id(), store::random_hex(4));
        let duration = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30));
        Runner { store, lease: Lease { owner, duration } }
    }

    /// This node's lease settings.
    pub fn lease(&self) -> &Lease {
        &self.lease
    }

    /// Records `request` as RUNNING under this node's lease (CONFLICT when its
    /// scope has a run under way) and carries it on in the background.
    pub async fn submit(&self, request: RunRequest, as_of: NaiveDate) -> Result<(), StoreError> {
        runs::start(self.store.db(), &request, &self.lease, Utc::now()).await?;
        let runner = self.clone();
        tokio::spawn(async move { runner.execute(request, as_of).await });
        Ok(())
    }

    /// Fails runs whose node stopped renewing their lease, every `every`.
    pub fn sweep(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let store = self.store.clone();
        tokio::spawn(async move {
            // The first look comes one period in, not at once.
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                tick.tick().await;
                match runs::expire(store.db(), Utc::now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(runs = n, "failed match runs whose node stopped"),
                    Err(err) => tracing::error!(error = %err, "could not expire match runs"),
                }
            }
        })
    }

    async fn execute(&self, request: RunRequest, as_of: NaiveDate) {
        let id = request.id.clone();
        match self.work(&request, as_of).await {
            Ok(written) => tracing::info!(run = %id, matches = written, "match run finished"),
            Err(Stop::Abandoned) => {
                tracing::info!(run = %id, "match run abandoned (cancelled or lease lost)")
            }
            Err(err) => {
                tracing::warn!(run = %id, error = %err, "match run failed");
                if let Err(failed) =
                    runs::fail(self.store.db(), &id, &self.lease, &err.to_string(), Utc::now()).await
                {
                    tracing::error!(run = %id, error = %failed, "could not mark the match run FAILED");
                }
            }
        }
    }

    /// Loads, matches and commits `request`. A commit that loses a race for a slot
    /// (a run of an overlapping scope, or a counselor's pick, committed first) is
    /// solved again on the fresh state, up to [`COMMIT_ATTEMPTS`] times in all.
    async fn work(&self, request: &RunRequest, as_of: NaiveDate) -> Result<usize, Stop> {
        let kinds =
            if request.scope.kinds.is_empty() { Kind::MATCH_ORDER.len() } else { request.scope.kinds.len() };
        // Loading, then candidates and solving per kind, then committing.
        let total = 2 + 2 * kinds as i64;
        let mut attempt = 1;
        loop {
            let (document, matches) = self.solve(request, as_of, total).await?;
            runs::set_progress(self.store.db(), &request.id, RunPhase::Committing, total - 1, total).await?;
            match runs::commit(&self.store, request, &self.lease, &matches, &document, Utc::now()).await {
                Ok(written) => return Ok(written),
                Err(StoreError::Conflict(conflict)) if is_race(&conflict) => {
                    if attempt == COMMIT_ATTEMPTS {
                        return Err(Stop::Raced { conflict, attempts: attempt });
                    }
                    tracing::info!(run = %request.id, attempt, %conflict, "match run lost a race; solving again");
                    attempt += 1;
                }
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// One pass of the engine over the scope as it is now, renewing the lease and
    /// writing progress while it works.
    async fn solve(
        &self,
        request: &RunRequest,
        as_of: NaiveDate,
        total: i64,
    ) -> Result<(Value, Vec<NewMatch>), Stop> {
        let db = self.store.db();
        runs::set_progress(db, &request.id, RunPhase::Loading, 0, total).await?;
        let started = Instant::now();
        // Weights were checked when the run was asked for.
        let weights = matcher::validate::check_weights(&request.weights)
            .map_err(|err| Stop::Engine(format!("weights.{err}")))?;
        let raw = load_scope(db, &request.scope, as_of, weights).await?;
        let loaded = started.elapsed();
        runs::set_progress(db, &request.id, RunPhase::Candidates, 1, total).await?;

        let (sender, mut steps) = watch::channel(Step { phase: RunPhase::Candidates, done: 1 });
        let run_id = request.id.clone();
        let dry_run = request.dry_run;
        let mut engine = tokio::task::spawn_blocking(move || compute(&run_id, dry_run, &raw, sender, loaded));
        let mut renew = tokio::time::interval(self.lease.duration.to_std().unwrap_or(DEFAULT_LEASE) / 3);
        let mut listening = true;
        loop {
            tokio::select! {
                finished = &mut engine => {
                    return finished.map_err(|err| Stop::Engine(format!("the engine stopped: {err}")))?;
                }
                changed = steps.changed(), if listening => {
                    if changed.is_err() {
                        listening = false;
                        continue;
                    }
                    let step = *steps.borrow_and_update();
                    runs::set_progress(db, &request.id, step.phase, step.done, total).await?;
                }
                _ = renew.tick() => {
                    if !runs::renew(db, &request.id, &self.lease, Utc::now()).await? {
                        return Err(Stop::Abandoned);
                    }
                }
            }
        }
    }
}

/// Commits made in all before a run that keeps losing races gives up.
pub const COMMIT_ATTEMPTS: u32 = 3;

/// A conflict that another writer caused meanwhile, which solving again on the
/// fresh state resolves: a slot, a student's need or a pair taken, a clearance
/// lapsed.
fn is_race(conflict: &Conflict) -> bool {
    matches!(
        conflict,
        Conflict::NoFreeSlot { .. }
            | Conflict::AlreadyMatched
            | Conflict::Declined { .. }
            | Conflict::Stale { .. }
            | Conflict::Lapsed { .. }
    )
}

/// The engine's part of a run: validate, match, and build the result document and
/// the matches it proposes. A committed run's document leaves its assignments out:
/// they are written as match rows, and the run keeps only what was left unmatched.
fn compute(
    run_id: &str,
    dry_run: bool,
    raw: &matcher::Parts,
    sender: watch::Sender<Step>,
    loaded: Duration,
) -> Result<(Value, Vec<NewMatch>), Stop> {
    let started = Instant::now();
    let instance = matcher::build_instance(raw).map_err(|err| Stop::Engine(err.to_string()))?;
    let read = loaded + started.elapsed();
    let mut progress =
        Progress { sender, done: 1, started: None, candidates: Duration::ZERO, solve: Duration::ZERO };
    let outcome = matcher::run(&instance, Options::default(), &mut progress)
        .map_err(|err| Stop::Engine(err.to_string()))?;
    let seconds = Seconds {
        read: read.as_secs_f64(),
        candidates: progress.candidates.as_secs_f64(),
        solve: progress.solve.as_secs_f64(),
        total: (read + started.elapsed()).as_secs_f64(),
    };
    let mut document = matcher::result_document(&instance, &outcome, false, seconds);
    if !dry_run {
        document.assignments = Vec::new();
    }
    let document = serde_json::to_value(document).map_err(|err| Stop::Engine(err.to_string()))?;
    Ok((document, runs::proposed_matches(run_id, &instance, &outcome)))
}
