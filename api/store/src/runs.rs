//! Match runs: the record of a request to match a scope, the lease that lets one
//! node at a time run each scope, and storing a run's result atomically: every
//! proposed match of a committed run is written in one transaction with the run's
//! outcome, or none is.
//!
//! The lease is two columns on the run: `lease_owner` (the node) and `lease_until`.
//! A node renews it while it works; a node that dies stops renewing, and once the
//! lease has lapsed the run is FAILED by whoever looks next ([`expire`]). A unique
//! index over the scope of QUEUED and RUNNING runs makes "one run per scope" hold
//! across nodes whatever their timing; a commit names its lease, so a node that
//! lost its lease (or whose run was cancelled) can no longer commit.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use matcher::Instance;
use matcher::engine::Outcome;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    TransactionSession, TransactionTrait,
};
use serde_json::{Value, json};

use super::entity::match_runs;
use super::laps::Laps;
use super::matches::propose_timed;
use super::notify::{self, Event, EventKind};
use super::order::Seek;
use super::people::Listed;
use super::records::{Kind, NewMatch, RunPhase, RunStatus};
use super::scope::Scope;
use super::{Conflict, ConstraintKind, Store, StoreError, safety};

/// A request to match a scope.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// The run's id (also the prefix of its matches' ids).
    pub id: String,
    /// What to match.
    pub scope: Scope,
    /// Criterion → weight, as docs/matching.md `weights`.
    pub weights: BTreeMap<String, Value>,
    /// Compute only: keep the would-be assignment on the run, write no match.
    pub dry_run: bool,
    /// Who asked (`role:id`).
    pub requested_by: String,
}

/// The lease a node holds on the runs it executes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The node's name, unique per process.
    pub owner: String,
    /// How long a lease lasts unless renewed.
    pub duration: chrono::Duration,
}

const ACTIVE: [&str; 2] = ["QUEUED", "RUNNING"];

/// A stored run.
#[allow(missing_docs)]
#[derive(Clone, Debug)]
pub struct RunRecord {
    pub id: String,
    pub school_id: Option<String>,
    pub kinds: Vec<Kind>,
    pub student_ids: Option<Vec<String>>,
    pub weights: BTreeMap<String, Value>,
    pub dry_run: bool,
    pub status: RunStatus,
    /// What the run is doing.
    pub phase: RunPhase,
    pub done: i64,
    pub total: i64,
    /// The matcher's `stats`.
    pub stats: Option<Value>,
    /// A dry run's whole result document; a committed run's `unmatched`.
    pub result: Option<Value>,
    pub error: Option<String>,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

fn record(row: match_runs::Model) -> Result<RunRecord, StoreError> {
    let bad = |what: &str| StoreError::invalid(format!("match_runs.{what}"), "unknown value in the database");
    let kinds: Vec<String> = serde_json::from_value(row.kinds).map_err(|_| bad("kinds"))?;
    Ok(RunRecord {
        kinds: kinds.iter().map(|k| Kind::parse(k).ok_or_else(|| bad("kinds"))).collect::<Result<_, _>>()?,
        student_ids: row
            .student_ids
            .map(serde_json::from_value)
            .transpose()
            .map_err(|_| bad("student_ids"))?,
        weights: serde_json::from_value(row.weights).map_err(|_| bad("weights"))?,
        status: RunStatus::parse(&row.status).ok_or_else(|| bad("status"))?,
        id: row.id,
        school_id: row.school_id,
        dry_run: row.dry_run,
        phase: match row.phase.as_deref() {
            None => RunPhase::Queued,
            Some(text) => RunPhase::parse(text).ok_or_else(|| bad("phase"))?,
        },
        done: row.done,
        total: row.total,
        stats: row.stats,
        result: row.result,
        error: row.error,
        requested_by: row.requested_by,
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
    })
}

/// Records `run` as RUNNING under `lease`, after failing any run of the same scope
/// whose node stopped renewing its lease. Another active run of the scope is
/// `Conflict`, decided by the database's unique index (so it holds across nodes).
pub async fn start<C: ConnectionTrait>(
    db: &C,
    run: &RunRequest,
    lease: &Lease,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let scope_key = run.scope.key();
    expire_where(db, Some(&scope_key), now).await?;
    let kinds: Vec<&str> = run.scope.kinds.iter().map(|kind| kind.as_str()).collect();
    let row = match_runs::ActiveModel {
        id: Set(run.id.clone()),
        school_id: Set(run.scope.school_id.clone()),
        scope_key: Set(scope_key.clone()),
        kinds: Set(json!(kinds)),
        student_ids: Set(run.scope.student_ids.as_ref().map(|ids| json!(ids))),
        weights: Set(json!(run.weights)),
        dry_run: Set(run.dry_run),
        status: Set(RunStatus::Running.as_str().to_owned()),
        phase: Set(Some(RunPhase::Loading.as_str().to_owned())),
        done: Set(0),
        total: Set(0),
        stats: Set(None),
        result: Set(None),
        error: Set(None),
        requested_by: Set(run.requested_by.clone()),
        created_at: Set(now),
        started_at: Set(Some(now)),
        finished_at: Set(None),
        lease_owner: Set(Some(lease.owner.clone())),
        lease_until: Set(Some(now + lease.duration)),
    };
    match match_runs::Entity::insert(row).exec_without_returning(db).await.map_err(StoreError::from) {
        Ok(_) => {
            // `auditLog` lists every write; the run's matches are audited when written.
            let detail = json!({"scope": scope_key, "dryRun": run.dry_run});
            crate::write::audit(db, &run.requested_by, "run", "match_run", &run.id, Some(detail), now).await
        }
        Err(StoreError::Constraint { kind: ConstraintKind::Unique, constraint })
            if constraint.contains("scope") || constraint.contains("scope_key") =>
        {
            let active = match_runs::Entity::find()
                .filter(match_runs::Column::ScopeKey.eq(scope_key.as_str()))
                .filter(match_runs::Column::Status.is_in(ACTIVE))
                .one(db)
                .await?;
            Err(Conflict::RunUnderWay { running: active.map(|row| row.id) }.into())
        }
        Err(StoreError::Constraint { kind: ConstraintKind::Unique, .. }) => {
            Err(Conflict::Taken { entity: "match run", id: run.id.clone() }.into())
        }
        Err(other) => Err(other),
    }
}

/// Extends the lease of `id`; false when the run is no longer this node's to run
/// (cancelled, finished, or failed after its lease lapsed).
pub async fn renew<C: ConnectionTrait>(
    db: &C,
    id: &str,
    lease: &Lease,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let renewed = match_runs::Entity::update_many()
        .col_expr(match_runs::Column::LeaseUntil, Expr::value(now + lease.duration))
        .filter(match_runs::Column::Id.eq(id))
        .filter(match_runs::Column::Status.eq(RunStatus::Running.as_str()))
        .filter(match_runs::Column::LeaseOwner.eq(lease.owner.as_str()))
        .exec(db)
        .await?;
    Ok(renewed.rows_affected == 1)
}

/// Records what a running run is doing; `done` of `total` steps.
pub async fn set_progress<C: ConnectionTrait>(
    db: &C,
    id: &str,
    phase: RunPhase,
    done: i64,
    total: i64,
) -> Result<(), StoreError> {
    match_runs::Entity::update_many()
        .col_expr(match_runs::Column::Phase, Expr::value(phase.as_str()))
        .col_expr(match_runs::Column::Done, Expr::value(done))
        .col_expr(match_runs::Column::Total, Expr::value(total))
        .filter(match_runs::Column::Id.eq(id))
        .filter(match_runs::Column::Status.eq(RunStatus::Running.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Cancels a QUEUED or RUNNING run. A run that has ended is `Conflict`. The node
/// running it notices at its next renewal; its commit names a RUNNING run, so
/// nothing of a cancelled run is ever written.
pub async fn cancel<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    let cancelled = match_runs::Entity::update_many()
        .col_expr(match_runs::Column::Status, Expr::value(RunStatus::Cancelled.as_str()))
        .col_expr(match_runs::Column::FinishedAt, Expr::value(now))
        .filter(match_runs::Column::Id.eq(id))
        .filter(match_runs::Column::Status.is_in(ACTIVE))
        .exec(&txn)
        .await?;
    if cancelled.rows_affected == 1 {
        notify::record(&txn, &[finished(id, RunStatus::Cancelled, None)], now).await?;
        crate::write::audit(&txn, actor, "cancel", "match_run", id, None, now).await?;
        txn.commit().await?;
        return Ok(());
    }
    drop(txn);
    match get(db, id).await? {
        None => Err(StoreError::not_found("match run", id)),
        Some(run) => Err(Conflict::RunEnded { id: id.to_owned(), status: run.status }.into()),
    }
}

/// Fails every active run whose lease lapsed before `now` (its node stopped); how
/// many.
pub async fn expire<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, StoreError> {
    expire_where(db, None, now).await
}

async fn expire_where<C: ConnectionTrait>(
    db: &C,
    scope_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let mut lapsed = match_runs::Entity::find()
        .select_only()
        .column(match_runs::Column::Id)
        .filter(match_runs::Column::Status.is_in(ACTIVE))
        .filter(match_runs::Column::LeaseUntil.lt(now));
    if let Some(key) = scope_key {
        lapsed = lapsed.filter(match_runs::Column::ScopeKey.eq(key));
    }
    let ids: Vec<String> = lapsed.into_tuple().all(db).await?;
    let mut expired = 0;
    // One guarded update per run, so of two nodes expiring it one writes its event.
    for id in ids {
        let failed = match_runs::Entity::update_many()
            .col_expr(match_runs::Column::Status, Expr::value(RunStatus::Failed.as_str()))
            .col_expr(
                match_runs::Column::Error,
                Expr::value("the node running it stopped before it finished; nothing of it was written"),
            )
            .col_expr(match_runs::Column::FinishedAt, Expr::value(now))
            .filter(match_runs::Column::Id.eq(id.as_str()))
            .filter(match_runs::Column::Status.is_in(ACTIVE))
            .filter(match_runs::Column::LeaseUntil.lt(now))
            .exec(db)
            .await?;
        if failed.rows_affected == 1 {
            notify::record(db, &[finished(&id, RunStatus::Failed, None)], now).await?;
            expired += 1;
        }
    }
    Ok(expired)
}

/// The `RUN_FINISHED` event of run `id`.
fn finished(id: &str, status: RunStatus, stats: Option<&Value>) -> Event {
    let mut data = json!({"runId": id, "status": status.as_str()});
    if let Some(stats) = stats {
        data["stats"] = json!({"needs": stats.get("needs"), "matched": stats.get("matched")});
    }
    Event { kind: EventKind::RunFinished, match_id: None, run_id: Some(id.to_owned()), data }
}

/// Marks a run this node holds FAILED with `error`.
pub async fn fail<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: &str,
    lease: &Lease,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    let failed = match_runs::Entity::update_many()
        .col_expr(match_runs::Column::Status, Expr::value(RunStatus::Failed.as_str()))
        .col_expr(match_runs::Column::Error, Expr::value(error))
        .col_expr(match_runs::Column::FinishedAt, Expr::value(now))
        .filter(match_runs::Column::Id.eq(id))
        .filter(match_runs::Column::Status.is_in(ACTIVE))
        .filter(match_runs::Column::LeaseOwner.eq(lease.owner.as_str()))
        .exec(&txn)
        .await?;
    if failed.rows_affected == 1 {
        notify::record(&txn, &[finished(id, RunStatus::Failed, None)], now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The matches an engine outcome proposes, with ids `RUN-1`, `RUN-2`, … in the
/// outcome's order, and each pair's travel minutes.
pub fn proposed_matches(run_id: &str, instance: &Instance, outcome: &Outcome) -> Vec<NewMatch> {
    outcome
        .assignments
        .iter()
        .enumerate()
        .map(|(index, assignment)| {
            let student = &instance.students()[assignment.student];
            let opening = &instance.openings()[assignment.opening];
            NewMatch {
                id: format!("{run_id}-{}", index + 1),
                run_id: Some(run_id.to_owned()),
                student_id: student.id().as_str().to_owned(),
                opening_id: opening.id().as_str().to_owned(),
                kind: assignment.kind,
                score: assignment.breakdown.score(),
                breakdown: assignment
                    .breakdown
                    .iter()
                    .map(|(criterion, points)| (criterion.as_str().to_owned(), i64::from(points)))
                    .collect(),
                sessions: assignment.sessions.clone(),
                travel_minutes: matcher::feasibility::travel_minutes(student, opening),
            }
        })
        .collect()
}

/// Finishes `run` with the matcher's `result` document and the `matches` it
/// proposes: a dry run keeps the whole document on the run; a committed run writes
/// every match as PROPOSED and the run's SUCCEEDED status in one transaction. If
/// that fails (a slot taken meanwhile, the run cancelled, the lease lost, the
/// process killed), no match of the run exists; the run is marked FAILED when the
/// process is still there to say so (a cancelled run stays CANCELLED).
pub async fn finish(
    store: &Store,
    run: &RunRequest,
    lease: &Lease,
    matches: &[NewMatch],
    result: &Value,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let outcome = commit(store, run, lease, matches, result, now).await;
    if let Err(err) = &outcome {
        fail(store.db(), &run.id, lease, &err.to_string(), now).await?;
    }
    outcome
}

/// Writes `run`'s result like [`finish`], but leaves the run as it is when the
/// commit fails (the caller decides: solve again, or fail it).
///
/// # Errors
/// `Conflict` when a slot, a need or a pair was taken meanwhile, the run was
/// cancelled or this node lost its lease; nothing is written then.
pub async fn commit(
    store: &Store,
    run: &RunRequest,
    lease: &Lease,
    matches: &[NewMatch],
    result: &Value,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut laps = Laps::new();
    let txn = store.write().await?;
    laps.lap("begin");
    // Claim the run first: on PostgreSQL this locks its row, so a cancel waits for
    // this transaction and then finds the run ended, or wins and this one stops here.
    let kept = if run.dry_run {
        result.clone()
    } else {
        json!({"unmatched": result.get("unmatched").cloned().unwrap_or(Value::Null)})
    };
    let written = match_runs::Entity::update_many()
        .col_expr(match_runs::Column::Status, Expr::value(RunStatus::Succeeded.as_str()))
        .col_expr(match_runs::Column::Phase, Expr::value(RunPhase::Done.as_str()))
        .col_expr(match_runs::Column::Done, Expr::col(match_runs::Column::Total))
        .col_expr(match_runs::Column::Stats, Expr::value(result.get("stats").cloned()))
        .col_expr(match_runs::Column::Result, Expr::value(Some(kept)))
        .filter(match_runs::Column::Id.eq(run.id.as_str()))
        .filter(match_runs::Column::Status.eq(RunStatus::Running.as_str()))
        .filter(match_runs::Column::LeaseOwner.eq(lease.owner.as_str()))
        .exec(&txn)
        .await?;
    if written.rows_affected != 1 {
        return Err(match get(&txn, &run.id).await? {
            Some(found) if found.status == RunStatus::Cancelled => {
                Conflict::RunCancelled { id: run.id.clone() }.into()
            }
            _ => Conflict::LeaseLost { id: run.id.clone() }.into(),
        });
    }
    laps.lap("claim");
    if !run.dry_run {
        refuse_lapsed(&txn, matches, store.today(now)).await?;
        laps.lap("lapsed");
        propose_timed(&txn, matches, &run.requested_by, now, &mut laps).await?;
        let left_out = left_out(result)?;
        let needs: Vec<(&str, Kind)> =
            left_out.iter().map(|(student, kind)| (student.as_str(), *kind)).collect();
        crate::waitlist::leave_out(&txn, &needs, store.today(now)).await?;
        laps.lap("left out");
    }
    notify::record(&txn, &[finished(&run.id, RunStatus::Succeeded, result.get("stats"))], now).await?;
    // The run ends when its matches are written, seconds after the claim above took
    // `now`: `finishedAt` says when SUCCEEDED became true (set here only, in the
    // claim's transaction).
    let finished_at = now + chrono::Duration::from_std(laps.total()).unwrap_or_default();
    match_runs::Entity::update_many()
        .col_expr(match_runs::Column::FinishedAt, Expr::value(finished_at))
        .filter(match_runs::Column::Id.eq(run.id.as_str()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    laps.lap("commit");
    tracing::info!(
        run = %run.id, matches = matches.len(), ms = laps.total().as_millis() as u64, steps = %laps,
        "match run committed"
    );
    Ok(if run.dry_run { 0 } else { matches.len() })
}

/// The (student, kind) of each need the result leaves unmatched.
fn left_out(result: &Value) -> Result<Vec<(String, Kind)>, StoreError> {
    let unmatched = result.get("unmatched").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    unmatched
        .iter()
        .map(|need| {
            let student = need.get("studentId").and_then(Value::as_str);
            let kind = need.get("kind").and_then(Value::as_str).and_then(Kind::parse);
            match (student, kind) {
                (Some(student), Some(kind)) => Ok((student.to_owned(), kind)),
                _ => Err(StoreError::Database(sea_orm::DbErr::Custom(format!(
                    "an unmatched need of the result does not read: {need}"
                )))),
            }
        })
        .collect()
}

/// Refuses the commit when any match fails a date-dependent constraint today (the
/// scope was judged when it was loaded; a date or a clearance may have passed since).
async fn refuse_lapsed<C: ConnectionTrait>(
    db: &C,
    matches: &[NewMatch],
    today: NaiveDate,
) -> Result<(), StoreError> {
    let pairs: Vec<(&str, &str)> =
        matches.iter().map(|m| (m.student_id.as_str(), m.opening_id.as_str())).collect();
    let lapsed = safety::lapsed(db, &pairs, today).await?;
    let Some(first) = lapsed.first() else {
        return Ok(());
    };
    let found = &matches[first.index];
    let why: Vec<String> =
        first.constraints.iter().map(|c| safety::explain(*c, &found.opening_id, today)).collect();
    Err(Conflict::Lapsed {
        student: found.student_id.clone(),
        opening: found.opening_id.clone(),
        why: why.join("; "),
        more: lapsed.len() - 1,
    }
    .into())
}

/// One run, or `None`.
pub async fn get<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<RunRecord>, StoreError> {
    match_runs::Entity::find_by_id(id.to_owned()).one(db).await?.map(record).transpose()
}

/// One page of runs (of `school_id`, when given), oldest first (then by id) from `seek`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    school_id: Option<&str>,
    statuses: &[RunStatus],
    seek: &Seek,
) -> Result<Listed<RunRecord>, StoreError> {
    let mut select = match_runs::Entity::find();
    if let Some(school) = school_id {
        select = select.filter(match_runs::Column::SchoolId.eq(school));
    }
    if !statuses.is_empty() {
        select = select.filter(match_runs::Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
    }
    let total = select.clone().count(db).await?;
    let keys = [super::order::key(match_runs::Column::CreatedAt)];
    let rows =
        super::order::keyset(select, match_runs::Entity, match_runs::Column::Id, &keys, seek).all(db).await?;
    Ok(Listed { rows: rows.into_iter().map(record).collect::<Result<_, _>>()?, total })
}
