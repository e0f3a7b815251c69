//! `MatchRun`: a request to match a scope and what came of it (progress, stats,
//! assignments, unmatched needs with their reasons, weights).

use std::collections::BTreeMap;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use matcher::validate::RawWindow;
use serde::Deserialize;
use serde_json::Value;
use store::Store;
use store::matches::{self, MatchFilter};
use store::order::Direction;
use store::records::Kind;
use store::runs::{self, RunRecord};

use crate::graphql::connection::{Page, Total, Window, cost, encode};
use crate::graphql::error::{ApiError, ApiResult, Code};
use crate::graphql::store;
use crate::graphql::types::common::{Criterion, RuledOut, WeeklyWindow, criteria, ruled_out};
use crate::graphql::types::enums::{
    OpeningKind, RunPhaseValue, RunStatusValue, ScoreCriterion, UnmatchedReason,
};

/// Where a run is and how far: `phase` is LOADING, CANDIDATES, SOLVING,
/// COMMITTING or DONE; `done` of `total` steps (loading, candidates and solving per
/// kind, committing).
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct MatchRunProgress {
    /// The run.
    pub run_id: ID,
    /// Where the run is.
    pub status: RunStatusValue,
    /// What it is doing.
    pub phase: RunPhaseValue,
    #[allow(missing_docs)]
    pub done: i64,
    #[allow(missing_docs)]
    pub total: i64,
}

impl From<&RunRecord> for MatchRunProgress {
    fn from(run: &RunRecord) -> MatchRunProgress {
        MatchRunProgress {
            run_id: ID(run.id.clone()),
            status: run.status.into(),
            phase: run.phase.into(),
            done: run.done,
            total: run.total,
        }
    }
}

/// A run's totals, as the engine counted them.
#[derive(Clone, Debug, Default, Deserialize, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct RunStats {
    /// Students in the scope.
    pub students: i64,
    /// Openings the scope could use.
    pub openings: i64,
    /// Needs the run tried to match.
    pub needs: i64,
    #[allow(missing_docs)]
    pub matched: i64,
    /// Candidate pairs over all kinds.
    pub candidates: i64,
    #[allow(missing_docs)]
    pub total_score: i64,
    /// Wall-clock seconds: loading the scope and the engine's work (not the commit).
    #[serde(skip)]
    pub seconds: f64,
}

/// A criterion's weight in a run (the engine's default where the run named none).
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct Weight {
    /// The criterion.
    pub criterion: ScoreCriterion,
    /// Its weight, 0–1000.
    pub weight: i64,
}

/// A weight to use instead of the default: criterion names are docs/matching.md's
/// (`field travel schedule language priority continuity`), weights 0–1000.
#[derive(Clone, Debug, InputObject)]
pub struct WeightInput {
    #[allow(missing_docs)]
    pub criterion: String,
    #[allow(missing_docs)]
    pub weight: i32,
}

/// What to match.
#[derive(Clone, Debug, InputObject)]
pub struct RunMatchingInput {
    /// One school's students; absent: a counselor's own school, or (ADMIN) the
    /// whole district.
    pub school_id: Option<ID>,
    /// Kinds of needs to match; absent or empty: all.
    pub kinds: Option<Vec<OpeningKind>>,
    /// Only these students (a cohort).
    pub student_ids: Option<Vec<ID>>,
    /// Weights instead of the defaults.
    pub weights: Option<Vec<WeightInput>>,
    /// Compute the would-be assignment and keep it on the run; write no match.
    pub dry_run: bool,
    /// For a dry run only (a what-if): the date agreements, background checks and
    /// ages are judged on (default: today). A committed run is always judged on today.
    pub as_of: Option<NaiveDate>,
}

/// Which runs `matchRuns` lists.
#[derive(Clone, Debug, Default, InputObject)]
pub struct MatchRunFilter {
    #[allow(missing_docs)]
    pub school_id: Option<ID>,
    /// Any of these statuses.
    pub status: Option<Vec<RunStatusValue>>,
}

/// One assignment of a run: the would-be match of a dry run, or the match a
/// committed run proposed (`matchId`).
#[derive(Clone, Debug, SimpleObject)]
pub struct RunAssignment {
    #[allow(missing_docs)]
    pub student_id: ID,
    #[allow(missing_docs)]
    pub opening_id: ID,
    #[allow(missing_docs)]
    pub kind: OpeningKind,
    #[allow(missing_docs)]
    pub score: i64,
    #[allow(missing_docs)]
    pub breakdown: Vec<Criterion>,
    #[allow(missing_docs)]
    pub sessions: Vec<WeeklyWindow>,
    /// The match a committed run wrote; null for a dry run.
    pub match_id: Option<ID>,
}

/// A need a run left unmatched, and why (docs/matching.md `reason` and `ruledOutBy`).
#[derive(Clone, Debug, SimpleObject)]
pub struct UnmatchedNeed {
    #[allow(missing_docs)]
    pub student_id: ID,
    #[allow(missing_docs)]
    pub kind: OpeningKind,
    /// Why.
    pub reason: UnmatchedReason,
    /// For NO_CANDIDATE: how many openings of the kind failed each constraint.
    pub ruled_out_by: Vec<RuledOut>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DocAssignment {
    pub(crate) student_id: String,
    pub(crate) opening_id: String,
    pub(crate) kind: String,
    pub(crate) score: i64,
    pub(crate) breakdown: BTreeMap<String, i64>,
    pub(crate) sessions: Vec<RawWindow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DocUnmatched {
    pub(crate) student_id: String,
    pub(crate) kind: String,
    pub(crate) reason: String,
    #[serde(default)]
    pub(crate) ruled_out_by: Option<BTreeMap<String, i64>>,
}

pub(crate) fn kind_of(text: &str) -> Result<OpeningKind, ApiError> {
    Kind::parse(text)
        .map(OpeningKind::from)
        .ok_or_else(|| ApiError::internal(format!("a run document names the kind {text}")))
}

/// Items `at..` of a stored list, as a page whose cursors are positions.
pub(crate) fn positional<T: async_graphql::OutputType>(
    window: &Window,
    items: Vec<T>,
) -> Result<Page<T>, ApiError> {
    let start = match &window.from {
        None => 0,
        Some(at) => at
            .parse::<usize>()
            .ok()
            .and_then(|at| at.checked_add(1))
            .ok_or_else(|| ApiError::bad_input("after", "not a cursor of this list"))?,
    };
    let total = items.len();
    let end = start.saturating_add(window.count as usize).min(total);
    let mut page = Connection::with_additional_fields(start > 0, end < total, Total::of(total as u64));
    page.edges.extend(
        items
            .into_iter()
            .enumerate()
            .skip(start)
            .take(end.saturating_sub(start))
            .map(|(at, item)| Edge::new(encode(&at.to_string()), item)),
    );
    Ok(page)
}

/// A match run the viewer may see.
pub struct MatchRunNode(pub(crate) RunRecord);

impl MatchRunNode {
    pub(crate) fn id(&self) -> &str {
        &self.0.id
    }

    pub(crate) fn document(&self, key: &str) -> Option<&Value> {
        self.0.result.as_ref().and_then(|result| result.get(key))
    }
}

/// A request to match a scope, and what came of it.
#[Object(name = "MatchRun")]
impl MatchRunNode {
    #[graphql(name = "id")]
    pub(crate) async fn id_field(&self) -> ID {
        ID(self.0.id.clone())
    }

    pub(crate) async fn status(&self) -> RunStatusValue {
        self.0.status.into()
    }

    pub(crate) async fn dry_run(&self) -> bool {
        self.0.dry_run
    }

    /// The school; null for a district-wide run.
    pub(crate) async fn school_id(&self) -> Option<ID> {
        self.0.school_id.clone().map(ID)
    }

    /// Kinds matched (all, in match order, when the request named none).
    pub(crate) async fn kinds(&self) -> Vec<OpeningKind> {
        let kinds = if self.0.kinds.is_empty() { Kind::MATCH_ORDER.to_vec() } else { self.0.kinds.clone() };
        kinds.into_iter().map(OpeningKind::from).collect()
    }

    /// The cohort, when the run named one.
    pub(crate) async fn student_ids(&self) -> Option<Vec<ID>> {
        self.0.student_ids.clone().map(|ids| ids.into_iter().map(ID).collect())
    }

    /// Every criterion's weight in this run.
    pub(crate) async fn weights(&self) -> Vec<Weight> {
        effective_weights(&self.0.weights)
    }

    pub(crate) async fn progress(&self) -> MatchRunProgress {
        MatchRunProgress::from(&self.0)
    }

    /// Totals once the run has succeeded.
    pub(crate) async fn stats(&self) -> Option<RunStats> {
        let stats = self.0.stats.as_ref()?;
        let mut parsed = RunStats::deserialize(stats).ok()?;
        parsed.seconds = stats.pointer("/seconds/total").and_then(Value::as_f64).unwrap_or(0.0);
        Some(parsed)
    }

    /// The assignment: a dry run's would-be matches, or the matches a committed run
    /// proposed (whatever became of them since: see `Match.status`).
    #[graphql(complexity = "cost(first, child_complexity)")]
    pub(crate) async fn assignments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<RunAssignment>> {
        let window = Window::new(first, after)?;
        if self.0.dry_run {
            let items = match self.document("assignments") {
                Some(list) => Vec::<DocAssignment>::deserialize(list).map_err(|err| {
                    ApiError::internal(format!("a dry run's assignments do not read: {err}"))
                })?,
                None => Vec::new(),
            };
            let items = items
                .into_iter()
                .map(|item| {
                    Ok(RunAssignment {
                        kind: kind_of(&item.kind)?,
                        student_id: ID(item.student_id),
                        opening_id: ID(item.opening_id),
                        score: item.score,
                        breakdown: criteria(&item.breakdown)?,
                        sessions: WeeklyWindow::of_document(&item.sessions)?,
                        match_id: None,
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            return positional(&window, items);
        }
        let filter = MatchFilter { run_id: Some(self.0.id.clone()), ..MatchFilter::default() };
        let listed = matches::list(store(ctx)?.db(), &filter, &window.seek(Direction::Asc)).await?;
        let rows = listed
            .rows
            .into_iter()
            .map(|item| {
                Ok(RunAssignment {
                    breakdown: criteria(&item.breakdown)?,
                    sessions: WeeklyWindow::all(&item.sessions),
                    student_id: ID(item.student_id),
                    opening_id: ID(item.opening_id),
                    kind: item.kind.into(),
                    score: i64::from(item.score),
                    match_id: Some(ID(item.id)),
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(window
            .page(rows, listed.total, |item: &RunAssignment| item.match_id.as_deref().map_or("", |id| id)))
    }

    /// Needs left unmatched, each with its reason.
    #[graphql(complexity = "cost(first, child_complexity)")]
    pub(crate) async fn unmatched(
        &self,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<UnmatchedNeed>> {
        let window = Window::new(first, after)?;
        let items = match self.document("unmatched") {
            Some(list) if !list.is_null() => Vec::<DocUnmatched>::deserialize(list)
                .map_err(|err| ApiError::internal(format!("a run's unmatched needs do not read: {err}")))?,
            _ => Vec::new(),
        };
        let items = items
            .into_iter()
            .map(|item| {
                Ok(UnmatchedNeed {
                    kind: kind_of(&item.kind)?,
                    student_id: ID(item.student_id),
                    reason: UnmatchedReason::parse(&item.reason).ok_or_else(|| {
                        ApiError::internal(format!("a run document gives the reason {:?}", item.reason))
                    })?,
                    ruled_out_by: ruled_out(item.ruled_out_by.unwrap_or_default()),
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(positional(&window, items)?)
    }

    /// Who asked (`role:id`).
    pub(crate) async fn requested_by(&self) -> &str {
        &self.0.requested_by
    }

    pub(crate) async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    pub(crate) async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }

    pub(crate) async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }

    /// Why a FAILED run failed.
    pub(crate) async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
}

pub(crate) fn effective_weights(asked: &BTreeMap<String, Value>) -> Vec<Weight> {
    let defaults = matcher::score::Weights::default();
    matcher::score::Criterion::ALL
        .iter()
        .map(|criterion| Weight {
            criterion: (*criterion).into(),
            weight: asked
                .get(criterion.as_str())
                .and_then(Value::as_i64)
                .unwrap_or_else(|| i64::from(defaults.get(*criterion))),
        })
        .collect()
}

/// The run `id`, checked by `allowed`; NOT_FOUND when absent.
pub(crate) async fn load_run(
    store: &Store,
    id: &str,
    allowed: impl FnOnce(Option<&str>) -> Result<(), ApiError>,
) -> Result<RunRecord, ApiError> {
    let run = runs::get(store.db(), id)
        .await?
        .ok_or_else(|| ApiError::new(Code::NotFound, format!("match run {id} does not exist")))?;
    allowed(run.school_id.as_deref())?;
    Ok(run)
}
