//! Match runs: `runMatching` (dry run or commit, carried out in the background by
//! [`Runner`]), `cancelMatchRun`, `matchRuns`, `matchRun`, and the
//! `matchRunProgress` subscription (graphql-transport-ws over `GET /graphql`).
//!
//! A run is ADMIN's or its school's counselor's to start, read, follow and cancel.
//! `runMatching` answers with the run as it stands after a short wait: a small run
//! has finished by then, a large one is RUNNING and its progress can be followed.

use std::collections::BTreeMap;
use std::time::Duration;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Subscription};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::Value;

use super::access::{Access, Rows};
use super::connection::{Page, Total, Window, cost, encode};
use super::error::{ApiError, ApiResult, Code};
use super::matching::{Criterion, criteria};
use super::records::{OpeningKind, WeeklyWindow};
use super::store;
use crate::runner::Runner;
use store::matches::{self, MatchFilter};
use store::records::{Kind, RawWindow, RunStatus};
use store::runs::{self, RunRecord, RunRequest};
use store::scope::Scope;
use store::{Store, new_id, people};

/// How long `runMatching` waits for a run to end before answering with it RUNNING.
pub const INLINE_WAIT: Duration = Duration::from_secs(2);
/// How often a progress subscription looks at its run.
pub const PROGRESS_POLL: Duration = Duration::from_millis(200);
/// Most students a cohort may name.
pub const MAX_COHORT: usize = 10_000;

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "MatchRunStatus")]
pub enum RunStatusValue {
    /// Accepted, not started.
    Queued,
    /// Loading, matching or committing.
    Running,
    /// Finished: a dry run's assignment is on the run; a commit's matches exist.
    Succeeded,
    /// Stopped by an error or a lost node; nothing of it was written.
    Failed,
    /// Cancelled before it finished; nothing of it was written.
    Cancelled,
}

impl From<RunStatus> for RunStatusValue {
    fn from(status: RunStatus) -> RunStatusValue {
        match status {
            RunStatus::Queued => RunStatusValue::Queued,
            RunStatus::Running => RunStatusValue::Running,
            RunStatus::Succeeded => RunStatusValue::Succeeded,
            RunStatus::Failed => RunStatusValue::Failed,
            RunStatus::Cancelled => RunStatusValue::Cancelled,
        }
    }
}

impl From<RunStatusValue> for RunStatus {
    fn from(status: RunStatusValue) -> RunStatus {
        match status {
            RunStatusValue::Queued => RunStatus::Queued,
            RunStatusValue::Running => RunStatus::Running,
            RunStatusValue::Succeeded => RunStatus::Succeeded,
            RunStatusValue::Failed => RunStatus::Failed,
            RunStatusValue::Cancelled => RunStatus::Cancelled,
        }
    }
}

/// Where a run is and how far: `phase` is LOADING, CANDIDATES, SOLVING,
/// COMMITTING or DONE; `done` of `total` steps (loading, candidates and solving per
/// kind, committing).
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct MatchRunProgress {
    /// The run.
    pub run_id: ID,
    #[allow(missing_docs)]
    pub status: RunStatusValue,
    #[allow(missing_docs)]
    pub phase: String,
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
            phase: run.phase.clone().unwrap_or_else(|| "QUEUED".to_owned()),
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
    #[allow(missing_docs)]
    pub criterion: String,
    #[allow(missing_docs)]
    pub weight: i64,
}

/// A weight to use instead of the default: criterion names are MATCHING.md's
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

/// A need a run left unmatched, and why (MATCHING.md `reason` and `ruledOutBy`).
#[derive(Clone, Debug, SimpleObject)]
pub struct UnmatchedNeed {
    #[allow(missing_docs)]
    pub student_id: ID,
    #[allow(missing_docs)]
    pub kind: OpeningKind,
    /// `NO_CANDIDATE` or `OUTSCORED`.
    pub reason: String,
    /// For NO_CANDIDATE: how many openings of the kind failed each constraint.
    pub ruled_out_by: Vec<RuledOutCount>,
}

/// How many openings failed one constraint.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct RuledOutCount {
    /// A MATCHING.md `ruledOutBy` key (`SUBJECTS`, `TRAVEL`, …).
    pub constraint: String,
    #[allow(missing_docs)]
    pub count: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DocAssignment {
    student_id: String,
    opening_id: String,
    kind: String,
    score: i64,
    breakdown: BTreeMap<String, i64>,
    sessions: Vec<RawWindow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DocUnmatched {
    student_id: String,
    kind: String,
    reason: String,
    #[serde(default)]
    ruled_out_by: Option<BTreeMap<String, i64>>,
}

fn kind_of(text: &str) -> Result<OpeningKind, ApiError> {
    Kind::parse(text)
        .map(OpeningKind::from)
        .ok_or_else(|| ApiError::internal(format!("a run document names the kind {text}")))
}

/// Items `at..` of a stored list, as a page whose cursors are positions.
fn positional<T: async_graphql::OutputType>(window: &Window, items: Vec<T>) -> Result<Page<T>, ApiError> {
    let start = match &window.after {
        None => 0,
        Some(at) => at
            .parse::<usize>()
            .ok()
            .and_then(|at| at.checked_add(1))
            .ok_or_else(|| ApiError::bad_input("after", "not a cursor of this list"))?,
    };
    let total = items.len();
    let end = start.saturating_add(window.first as usize).min(total);
    let mut page =
        Connection::with_additional_fields(start > 0, end < total, Total { total_count: total as u64 });
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
pub struct MatchRunNode(RunRecord);

impl MatchRunNode {
    fn id(&self) -> &str {
        &self.0.id
    }

    fn document(&self, key: &str) -> Option<&Value> {
        self.0.result.as_ref().and_then(|result| result.get(key))
    }
}

/// A request to match a scope, and what came of it.
#[Object(name = "MatchRun")]
impl MatchRunNode {
    #[graphql(name = "id")]
    async fn id_field(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn status(&self) -> RunStatusValue {
        self.0.status.into()
    }

    async fn dry_run(&self) -> bool {
        self.0.dry_run
    }

    /// The school; null for a district-wide run.
    async fn school_id(&self) -> Option<ID> {
        self.0.school_id.clone().map(ID)
    }

    /// Kinds matched (all, in match order, when the request named none).
    async fn kinds(&self) -> Vec<OpeningKind> {
        let kinds = if self.0.kinds.is_empty() { Kind::MATCH_ORDER.to_vec() } else { self.0.kinds.clone() };
        kinds.into_iter().map(OpeningKind::from).collect()
    }

    /// The cohort, when the run named one.
    async fn student_ids(&self) -> Option<Vec<ID>> {
        self.0.student_ids.clone().map(|ids| ids.into_iter().map(ID).collect())
    }

    /// Every criterion's weight in this run.
    async fn weights(&self) -> Vec<Weight> {
        effective_weights(&self.0.weights)
    }

    async fn progress(&self) -> MatchRunProgress {
        MatchRunProgress::from(&self.0)
    }

    /// Totals once the run has succeeded.
    async fn stats(&self) -> Option<RunStats> {
        let stats = self.0.stats.as_ref()?;
        let mut parsed = RunStats::deserialize(stats).ok()?;
        parsed.seconds = stats.pointer("/seconds/total").and_then(Value::as_f64).unwrap_or(0.0);
        Some(parsed)
    }

    /// The assignment: a dry run's would-be matches, or the matches a committed run
    /// proposed (whatever became of them since: see `Match.status`).
    #[graphql(complexity = "cost(first, child_complexity)")]
    async fn assignments(
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
                        breakdown: criteria(&item.breakdown),
                        sessions: item.sessions.iter().map(WeeklyWindow::from).collect(),
                        match_id: None,
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            return positional(&window, items);
        }
        let filter = MatchFilter { run_id: Some(self.0.id.clone()), ..MatchFilter::default() };
        let listed =
            matches::list(store(ctx)?.db(), &filter, window.after.as_deref(), window.fetch()).await?;
        let rows = listed
            .rows
            .into_iter()
            .map(|item| RunAssignment {
                student_id: ID(item.student_id),
                opening_id: ID(item.opening_id),
                kind: item.kind.into(),
                score: i64::from(item.score),
                breakdown: criteria(&item.breakdown),
                sessions: item.sessions.iter().map(WeeklyWindow::from).collect(),
                match_id: Some(ID(item.id)),
            })
            .collect();
        Ok(window
            .page(rows, listed.total, |item: &RunAssignment| item.match_id.as_deref().map_or("", |id| id)))
    }

    /// Needs left unmatched, each with its reason.
    #[graphql(complexity = "cost(first, child_complexity)")]
    async fn unmatched(&self, first: Option<i32>, after: Option<String>) -> ApiResult<Page<UnmatchedNeed>> {
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
                    reason: item.reason,
                    ruled_out_by: ruled_out(item.ruled_out_by.unwrap_or_default()),
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(positional(&window, items)?)
    }

    /// Who asked (`role:id`).
    async fn requested_by(&self) -> &str {
        &self.0.requested_by
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }

    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }

    /// Why a FAILED run failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
}

/// `ruledOutBy` counts in MATCHING.md's key order, zeros left out.
pub fn ruled_out(counts: BTreeMap<String, i64>) -> Vec<RuledOutCount> {
    matcher::feasibility::Constraint::ALL
        .iter()
        .filter_map(|constraint| {
            let count = counts.get(constraint.as_str()).copied().unwrap_or(0);
            (count > 0).then(|| RuledOutCount { constraint: constraint.as_str().to_owned(), count })
        })
        .collect()
}

fn effective_weights(asked: &BTreeMap<String, Value>) -> Vec<Weight> {
    let defaults = matcher::score::Weights::default();
    matcher::score::Criterion::ALL
        .iter()
        .map(|criterion| Weight {
            criterion: criterion.as_str().to_owned(),
            weight: asked
                .get(criterion.as_str())
                .and_then(Value::as_i64)
                .unwrap_or_else(|| i64::from(defaults.get(*criterion))),
        })
        .collect()
}

/// The run `id`, checked by `allowed`; NOT_FOUND when absent.
async fn load_run(
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

/// Reads.
#[derive(Default)]
pub struct RunQuery;

#[Object]
impl RunQuery {
    /// Match runs the viewer may see (ADMIN all, a counselor their school's), oldest first.
    #[graphql(complexity = "cost(first, child_complexity)")]
    async fn match_runs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<MatchRunFilter>,
    ) -> ApiResult<Page<MatchRunNode>> {
        let access = Access::of(ctx)?;
        let window = Window::new(first, after)?;
        let filter = filter.unwrap_or_default();
        let asked = filter.school_id.map(|id| id.0);
        let school = match access.match_runs() {
            Rows::All => asked,
            Rows::Own(own) if asked.as_ref().is_none_or(|asked| *asked == own) => Some(own),
            Rows::Own(_) | Rows::MatchedTo(_) | Rows::Nothing => {
                return Ok(window.page(Vec::new(), 0, MatchRunNode::id));
            }
        };
        let statuses: Vec<RunStatus> =
            filter.status.unwrap_or_default().into_iter().map(Into::into).collect();
        let listed = runs::list(
            store(ctx)?.db(),
            school.as_deref(),
            &statuses,
            window.after.as_deref(),
            window.fetch(),
        )
        .await?;
        let nodes = listed.rows.into_iter().map(MatchRunNode).collect();
        Ok(window.page(nodes, listed.total, MatchRunNode::id))
    }

    /// One run: null when there is none or the viewer may not see it.
    async fn match_run(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<MatchRunNode>> {
        let access = Access::of(ctx)?;
        match load_run(store(ctx)?, &id, |school| access.read_run(school)).await {
            Ok(run) => Ok(Some(MatchRunNode(run))),
            Err(err) if matches!(err.code, Code::NotFound | Code::Forbidden) => Ok(None),
            Err(err) => Err(err),
        }
    }
}

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
        let as_of = input.as_of.unwrap_or_else(|| Utc::now().date_naive());
        let weights = weights(input.weights.unwrap_or_default(), as_of)?;
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
        load_run(store, &id, |school| access.run_matching(school)).await?;
        runs::cancel(store.db(), &id, Utc::now()).await?;
        let run = runs::get(store.db(), &id)
            .await?
            .ok_or_else(|| ApiError::internal("a cancelled run vanished"))?;
        Ok(MatchRunNode(run))
    }
}

/// The request's weights as MATCHING.md's `weights`, checked by the engine's own
/// rules (so a bad one is refused before a run starts).
fn weights(asked: Vec<WeightInput>, as_of: NaiveDate) -> Result<BTreeMap<String, Value>, ApiError> {
    let mut weights = BTreeMap::new();
    for (at, item) in asked.into_iter().enumerate() {
        if weights.insert(item.criterion.clone(), Value::from(item.weight)).is_some() {
            return Err(ApiError::bad_input(
                format!("input.weights[{at}].criterion"),
                format!("{} is named twice", item.criterion),
            ));
        }
        let probe = matcher::RawInstance {
            as_of: as_of.to_string(),
            students: Some(Vec::new()),
            openings: Some(Vec::new()),
            partners: Some(Vec::new()),
            existing_matches: None,
            declined: None,
            weights: Some(BTreeMap::from([(item.criterion.clone(), Value::from(item.weight))])),
        };
        if let Err(err) = matcher::parse_instance(&probe) {
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
async fn cohort(store: &Store, school: Option<&str>, ids: Vec<ID>) -> Result<Vec<String>, ApiError> {
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

/// Live updates.
#[derive(Default)]
pub struct RunSubscription;

#[Subscription]
impl RunSubscription {
    /// A run's progress: the current state at once, then every change, ending
    /// after the run ends. Read from the database, so it follows runs that any node
    /// carries out.
    async fn match_run_progress(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<impl Stream<Item = MatchRunProgress> + use<>> {
        let access = Access::of(ctx)?;
        let store = store(ctx)?.clone();
        load_run(&store, &id, |school| access.read_run(school)).await?;
        let state = (store, id.0, None::<MatchRunProgress>, false);
        Ok(futures_util::stream::unfold(state, |(store, id, last, ended)| async move {
            if ended {
                return None;
            }
            loop {
                // Each event's work is bounded like a request; the wait between events is not.
                let read = tokio::time::timeout(super::REQUEST_TIMEOUT, runs::get(store.db(), &id)).await;
                let current = match read {
                    Ok(Ok(Some(run))) => MatchRunProgress::from(&run),
                    Ok(Ok(None)) => return None,
                    Ok(Err(err)) => {
                        tracing::warn!(run = %id, error = %err, "progress: could not read the run");
                        return None;
                    }
                    Err(_) => {
                        tracing::warn!(run = %id, "progress: the run could not be read in time");
                        return None;
                    }
                };
                if last.as_ref() != Some(&current) {
                    let ended = RunStatus::from(current.status).is_final();
                    return Some((current.clone(), (store, id, Some(current), ended)));
                }
                tokio::time::sleep(PROGRESS_POLL).await;
            }
        }))
    }
}
