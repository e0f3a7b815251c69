//! `runMatching` (a dry run or a commit, carried out in the background by the
//! runner) and `cancelMatchRun`.

use std::collections::BTreeMap;
use std::time::Duration;

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use serde_json::Value;
use store::records::Kind;
use store::runs::{self, RunRequest};
use store::scope::Scope;
use store::{Store, new_id, people};

use crate::graphql::access::Access;
use crate::graphql::error::{ApiError, ApiResult, Code};
use crate::graphql::store;
use crate::graphql::types::run::{MatchRunNode, RunMatchingInput, WeightInput, load_run};
use crate::runner::Runner;

/// How long `runMatching` waits for a run to end before answering with it RUNNING.
pub const INLINE_WAIT: Duration = Duration::from_secs(2);

/// Most students a cohort may name.
pub const MAX_COHORT: usize = 10_000;

/// Writes.
#[derive(Default)]
pub struct RunMutation;

#[Object]
impl RunMutation {
    /// Matches a scope: a school (a counselor's own by default) or, for ADMIN, the
    /// district; some kinds; optionally a cohort. A dry run keeps the would-be
    /// assignment on the run and writes no match; otherwise every match is written
    /// as PROPOSED in one transaction, or none is. One run per scope at a time
    /// (CONFLICT while another is under way). Answers with the run after a short
    /// wait: finished if it was small, RUNNING otherwise.
    async fn run_matching(&self, ctx: &Context<'_>, input: RunMatchingInput) -> ApiResult<MatchRunNode> {
        let access = Access::of(ctx)?;
        let store = store(ctx)?;
        let school = input.school_id.map(|id| id.0).or_else(|| access.home_school());
        access.run_matching(school.as_deref())?;
        if let Some(school) = &school
            && people::find_school(store.db(), school).await?.is_none()
        {
            return Err(ApiError::new(Code::NotFound, format!("school {school} does not exist")));
        }
        // A commit is judged on today, always: a back-dated commit would match minors
        // to hosts whose clearance has lapsed. `asOf` is for what-if dry runs.
        if input.as_of.is_some() && !input.dry_run {
            return Err(ApiError::bad_input(
                "input.asOf",
                "asOf is for dry runs only: a committed run is judged on today",
            ));
        }
        let as_of = input.as_of.unwrap_or_else(|| store.today(Utc::now()));
        let weights = weights(input.weights.unwrap_or_default())?;
        let student_ids = match input.student_ids {
            None => None,
            Some(ids) => Some(cohort(store, school.as_deref(), ids).await?),
        };
        let mut kinds: Vec<Kind> = Vec::new();
        for kind in input.kinds.unwrap_or_default().into_iter().map(Kind::from) {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        kinds.sort_by_key(|kind| kind.match_rank());
        let request = RunRequest {
            id: new_id("run"),
            scope: Scope { school_id: school, kinds, student_ids },
            weights,
            dry_run: input.dry_run,
            requested_by: access.actor(),
        };
        let runner = ctx.data::<Runner>().map_err(|_| ApiError::internal("the schema holds no runner"))?;
        runner.submit(request.clone(), as_of).await?;
        let waited = tokio::time::Instant::now();
        let run = loop {
            let run = runs::get(store.db(), &request.id)
                .await?
                .ok_or_else(|| ApiError::internal("a run vanished right after it was recorded"))?;
            if run.status.is_final() || waited.elapsed() >= INLINE_WAIT {
                break run;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        };
        Ok(MatchRunNode(run))
    }

    /// Cancels a QUEUED or RUNNING run: nothing of it is written. A run that has
    /// ended is CONFLICT.
    async fn cancel_match_run(&self, ctx: &Context<'_>, id: ID) -> ApiResult<MatchRunNode> {
        let access = Access::of(ctx)?;
        let store = store(ctx)?;
        load_run(store, &id, |school| access.read_run(&id, school)).await?;
        runs::cancel(store.db(), &id, &access.actor(), Utc::now()).await?;
        let run = runs::get(store.db(), &id)
            .await?
            .ok_or_else(|| ApiError::internal("a cancelled run vanished"))?;
        Ok(MatchRunNode(run))
    }
}

/// The request's weights as docs/matching.md's `weights`, checked by the engine's own
/// rules (so a bad one is refused before a run starts).
pub(crate) fn weights(asked: Vec<WeightInput>) -> Result<BTreeMap<String, Value>, ApiError> {
    let mut weights = BTreeMap::new();
    for (at, item) in asked.into_iter().enumerate() {
        if weights.insert(item.criterion.clone(), Value::from(item.weight)).is_some() {
            return Err(ApiError::bad_input(
                format!("input.weights[{at}].criterion"),
                format!("{} is named twice", item.criterion),
            ));
        }
        let one = BTreeMap::from([(item.criterion.clone(), Value::from(item.weight))]);
        if let Err(err) = matcher::validate::check_weights(&one) {
            let field = if matcher::score::Criterion::parse(&item.criterion).is_none() {
                "criterion"
            } else {
                "weight"
            };
            return Err(ApiError::bad_input(format!("input.weights[{at}].{field}"), err.to_string()));
        }
    }
    Ok(weights)
}

/// The cohort's ids, each an existing student (of `school`, when given).
pub(crate) async fn cohort(
    store: &Store,
    school: Option<&str>,
    ids: Vec<ID>,
) -> Result<Vec<String>, ApiError> {
    if ids.len() > MAX_COHORT {
        return Err(ApiError::bad_input("input.studentIds", format!("at most {MAX_COHORT} students")));
    }
    let ids: Vec<String> = ids.into_iter().map(|id| id.0).collect();
    let schools = people::schools_of(store.db(), &ids).await?;
    for (at, id) in ids.iter().enumerate() {
        match schools.get(id) {
            None => {
                return Err(ApiError::bad_input(
                    format!("input.studentIds[{at}]"),
                    format!("student {id} does not exist"),
                ));
            }
            Some(of) if school.is_some_and(|school| school != of) => {
                return Err(ApiError::bad_input(
                    format!("input.studentIds[{at}]"),
                    format!("student {id} is not a student of this school"),
                ));
            }
            Some(_) => {}
        }
    }
    let mut unique = ids;
    unique.sort();
    unique.dedup();
    Ok(unique)
}
