//! Match runs: the record of a request to match a scope, and storing its result
//! atomically: every proposed match of a committed run is written in one
//! transaction with the run's outcome, or none is.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::{Value, json};

use super::entity::match_runs;
use super::matches::propose;
use super::records::{Kind, NewMatch, RawWindow};
use super::scope::Scope;
use super::{Store, StoreError};

/// A request to match a scope.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// The run's id (also the prefix of its matches' ids).
    pub id: String,
    /// What to match.
    pub scope: Scope,
    /// Criterion → weight, as MATCHING.md `weights`.
    pub weights: BTreeMap<String, Value>,
    /// Compute only: keep the would-be assignment on the run, write no match.
    pub dry_run: bool,
    /// Who asked (`role:id`).
    pub requested_by: String,
}

/// Records `run` as RUNNING. A run that never finishes stays RUNNING, with nothing
/// of its result written.
pub async fn start<C: ConnectionTrait>(
    db: &C,
    run: &RunRequest,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let kinds: Vec<&str> = run.scope.kinds.iter().map(|kind| kind.as_str()).collect();
    let row = match_runs::ActiveModel {
        id: Set(run.id.clone()),
        school_id: Set(run.scope.school_id.clone()),
        scope_key: Set(run.scope.key()),
        kinds: Set(json!(kinds)),
        student_ids: Set(run.scope.student_ids.as_ref().map(|ids| json!(ids))),
        weights: Set(json!(run.weights)),
        dry_run: Set(run.dry_run),
        status: Set("RUNNING".to_owned()),
        phase: Set(None),
        done: Set(0),
        total: Set(0),
        stats: Set(None),
        result: Set(None),
        error: Set(None),
        requested_by: Set(run.requested_by.clone()),
        created_at: Set(now),
        started_at: Set(Some(now)),
        finished_at: Set(None),
        lease_owner: Set(None),
        lease_until: Set(None),
    };
    match_runs::Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// One assignment of a result document, as the matcher writes it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Assignment {
    student_id: String,
    opening_id: String,
    kind: String,
    score: u32,
    breakdown: BTreeMap<String, i64>,
    sessions: Vec<RawWindow>,
}

/// The matches a result document proposes, with ids `RUN-1`, `RUN-2`, … in the
/// document's order.
pub fn proposed_matches(run_id: &str, result: &Value) -> Result<Vec<NewMatch>, StoreError> {
    let broken = |what: &str| StoreError::invalid(format!("result.{what}"), "not a matcher result document");
    let assignments = result.get("assignments").ok_or_else(|| broken("assignments"))?;
    let assignments = Vec::<Assignment>::deserialize(assignments).map_err(|_| broken("assignments"))?;
    assignments
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            Ok(NewMatch {
                id: format!("{run_id}-{}", index + 1),
                run_id: Some(run_id.to_owned()),
                kind: Kind::parse(&item.kind).ok_or_else(|| broken("kind"))?,
                student_id: item.student_id,
                opening_id: item.opening_id,
                score: item.score,
                breakdown: item.breakdown,
                sessions: item.sessions,
            })
        })
        .collect()
}

/// Finishes `run` with the matcher's `result` document (serialized
/// [`matcher::ResultDocument`]): a dry run keeps the whole document on the run; a
/// committed run writes every assignment as a PROPOSED match and the run's
/// SUCCEEDED status in one transaction. If that fails (a slot taken meanwhile, the
/// process killed), no match of the run exists; the run is marked FAILED when the
/// process is still there to say so.
pub async fn finish(
    store: &Store,
    run: &RunRequest,
    result: &Value,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let outcome = commit(store, run, result, now).await;
    if let Err(err) = &outcome {
        let failed = match_runs::Entity::update_many()
            .col_expr(match_runs::Column::Status, Expr::value("FAILED"))
            .col_expr(match_runs::Column::Error, Expr::value(err.to_string()))
            .col_expr(match_runs::Column::FinishedAt, Expr::value(now))
            .filter(match_runs::Column::Id.eq(run.id.as_str()))
            .exec(store.db())
            .await;
        if let Err(db) = failed {
            return Err(StoreError::from(db));
        }
    }
    outcome
}

async fn commit(
    store: &Store,
    run: &RunRequest,
    result: &Value,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let matches = proposed_matches(&run.id, result)?;
    let txn = store.write().await?;
    if !run.dry_run {
        propose(&txn, &matches, &run.requested_by, now).await?;
    }
    let kept = if run.dry_run {
        result.clone()
    } else {
        json!({"unmatched": result.get("unmatched").cloned().unwrap_or(Value::Null)})
    };
    let written = match_runs::Entity::update_many()
        .col_expr(match_runs::Column::Status, Expr::value("SUCCEEDED"))
        .col_expr(match_runs::Column::Stats, Expr::value(result.get("stats").cloned()))
        .col_expr(match_runs::Column::Result, Expr::value(Some(kept)))
        .col_expr(match_runs::Column::FinishedAt, Expr::value(now))
        .filter(match_runs::Column::Id.eq(run.id.as_str()))
        .filter(match_runs::Column::Status.eq("RUNNING"))
        .exec(&txn)
        .await?;
    if written.rows_affected != 1 {
        return Err(StoreError::Conflict(format!("match run {} is not running", run.id)));
    }
    txn.commit().await?;
    Ok(if run.dry_run { 0 } else { matches.len() })
}
