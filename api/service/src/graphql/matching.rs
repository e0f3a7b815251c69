//! Matches: `matches`, `proposeMatch` (a counselor's pick), `respondToMatch` and
//! `setMatchStatus` (the lifecycle of DESIGN.md §2), and the `Match` object the
//! suggestions, runs and feedback modules share.
//!
//! Every decision about a match is checked against its parties (its student, the
//! student's school, the opening's partner) by [`Access`]; a match the viewer is no
//! party to is FORBIDDEN to read or change, and absent from lists.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::access::{Access, MatchRows, Parties};
use super::connection::{Page, Window, cost};
use super::error::{ApiError, ApiResult, Code};
use super::people::{StudentNode, student_node};
use super::records::{OpeningKind, OpeningNode, WeeklyWindow};
use super::{audited, commit, store};
use store::matches::{self, MatchFilter, MatchParties};
use store::records::{Kind, Match, MatchStatus, NewMatch};
use store::suggest::{self, Pick, Travel};
use store::{StoreError, new_id, people, read, safety};

/// Where a match is in its lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "MatchStatus")]
pub enum MatchStatusValue {
    /// Proposed by a counselor or a run; waiting for the student and partner.
    Proposed,
    /// Accepted; sessions have not begun.
    Accepted,
    /// Sessions are under way.
    Active,
    /// Finished as planned.
    Completed,
    /// Declined by the student, the family or the partner; never proposed again.
    Declined,
    /// Stopped after it was accepted or began.
    Cancelled,
}

impl From<MatchStatus> for MatchStatusValue {
    fn from(status: MatchStatus) -> MatchStatusValue {
        match status {
            MatchStatus::Proposed => MatchStatusValue::Proposed,
            MatchStatus::Accepted => MatchStatusValue::Accepted,
            MatchStatus::Active => MatchStatusValue::Active,
            MatchStatus::Completed => MatchStatusValue::Completed,
            MatchStatus::Declined => MatchStatusValue::Declined,
            MatchStatus::Cancelled => MatchStatusValue::Cancelled,
        }
    }
}

impl From<MatchStatusValue> for MatchStatus {
    fn from(status: MatchStatusValue) -> MatchStatus {
        match status {
            MatchStatusValue::Proposed => MatchStatus::Proposed,
            MatchStatusValue::Accepted => MatchStatus::Accepted,
            MatchStatusValue::Active => MatchStatus::Active,
            MatchStatusValue::Completed => MatchStatus::Completed,
            MatchStatusValue::Declined => MatchStatus::Declined,
            MatchStatusValue::Cancelled => MatchStatus::Cancelled,
        }
    }
}

/// A student's or partner's answer to a proposed match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum MatchDecision {
    #[allow(missing_docs)]
    Accept,
    #[allow(missing_docs)]
    Decline,
}

/// Points one criterion gave a pair; a breakdown's points add up to its score.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct Criterion {
    /// The criterion's name, as `weights` names it.
    pub criterion: String,
    #[allow(missing_docs)]
    pub points: i64,
}

/// A breakdown as a list, in criterion-name order.
pub fn criteria(breakdown: &BTreeMap<String, i64>) -> Vec<Criterion> {
    breakdown
        .iter()
        .map(|(criterion, points)| Criterion { criterion: criterion.clone(), points: *points })
        .collect()
}

/// The parties of a stored match, as the access rules read them.
pub fn parties_of(parties: &MatchParties) -> Parties<'_> {
    Parties {
        student_id: &parties.student_id,
        school_id: &parties.school_id,
        partner_id: &parties.partner_id,
    }
}

/// A match the viewer may see; `student` and `opening` load on demand.
#[derive(Clone, Debug)]
pub struct MatchNode(pub Match);

impl MatchNode {
    fn id(&self) -> &str {
        &self.0.id
    }
}

/// A student ↔ opening match with its score, breakdown and weekly sessions.
#[Object(name = "Match")]
impl MatchNode {
    #[graphql(name = "id")]
    async fn id_field(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn status(&self) -> MatchStatusValue {
        self.0.status.into()
    }

    async fn kind(&self) -> OpeningKind {
        self.0.kind.into()
    }

    /// The sum of the breakdown's points.
    async fn score(&self) -> i64 {
        i64::from(self.0.score)
    }

    async fn breakdown(&self) -> Vec<Criterion> {
        criteria(&self.0.breakdown)
    }

    /// Weekly sessions, on distinct days.
    async fn sessions(&self) -> Vec<WeeklyWindow> {
        self.0.sessions.iter().map(WeeklyWindow::from).collect()
    }

    /// The student, as the viewer may see them (a partner: minimal fields, logged).
    async fn student(&self, ctx: &Context<'_>) -> ApiResult<Option<StudentNode>> {
        Ok(student_node(ctx, &self.0.student_id, "Match.student").await?)
    }

    async fn opening(&self, ctx: &Context<'_>) -> ApiResult<Option<OpeningNode>> {
        let store = store(ctx)?;
        match read::opening(store.db(), &self.0.opening_id).await {
            Ok(stored) => Ok(Some(OpeningNode::new(store, stored))),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(err) => Err(ApiError::from(err)),
        }
    }

    /// The match run that proposed it; null for a counselor's pick.
    async fn run_id(&self) -> Option<ID> {
        self.0.run_id.clone().map(ID)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Who made the last decision (`role:id`).
    async fn decided_by(&self) -> Option<&str> {
        self.0.decided_by.as_deref()
    }

    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }

    /// Why it was declined, when the decliner said.
    async fn decline_reason(&self) -> Option<&str> {
        self.0.decline_reason.as_deref()
    }
}

/// Which matches `matches` lists (within what the viewer may see).
#[derive(Clone, Debug, Default, InputObject)]
pub struct MatchFilterInput {
    /// Matches of this school's students.
    pub school_id: Option<ID>,
    /// Matches to this partner's openings.
    pub partner_id: Option<ID>,
    /// This student's matches.
    pub student_id: Option<ID>,
    /// Matches to this opening.
    pub opening_id: Option<ID>,
    /// Matches a run proposed.
    pub run_id: Option<ID>,
    /// Matches of this kind.
    pub kind: Option<OpeningKind>,
    /// Any of these statuses.
    pub status: Option<Vec<MatchStatusValue>>,
}

/// The match `id` with its parties, checked by `allowed`; NOT_FOUND when absent.
pub(crate) async fn load_match<C: store::Db>(
    db: &C,
    id: &str,
    allowed: impl FnOnce(&Parties<'_>) -> Result<(), ApiError>,
) -> Result<(Match, MatchParties), ApiError> {
    let found = matches::get(db, id).await?;
    let parties = matches::parties(db, &found).await?;
    allowed(&parties_of(&parties))?;
    Ok((found, parties))
}

/// Longest decline reason kept.
pub const MAX_REASON_CHARS: usize = 500;

/// One page of the matches `filter` selects among those the viewer is party to.
pub(crate) async fn match_page(
    ctx: &Context<'_>,
    mut filter: MatchFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Page<MatchNode>, ApiError> {
    let access = Access::of(ctx)?;
    let window = Window::new(first, after)?;
    // The viewer's own bound replaces theirs; a different one selects nothing.
    let (bound, own) = match access.matches() {
        MatchRows::All => (None, String::new()),
        MatchRows::School(school) => (Some(&mut filter.school_id), school),
        MatchRows::Partner(partner) => (Some(&mut filter.partner_id), partner),
        MatchRows::Student(student) => (Some(&mut filter.student_id), student),
    };
    if let Some(bound) = bound {
        if bound.as_ref().is_some_and(|asked| *asked != own) {
            return Ok(window.page(Vec::new(), 0, MatchNode::id));
        }
        *bound = Some(own);
    }
    let listed = matches::list(store(ctx)?.db(), &filter, window.after.as_deref(), window.fetch()).await?;
    let nodes = listed.rows.into_iter().map(MatchNode).collect();
    Ok(window.page(nodes, listed.total, MatchNode::id))
}

/// Reads.
#[derive(Default)]
pub struct MatchQuery;

#[Object]
impl MatchQuery {
    /// Matches the viewer is a party to (ADMIN: all), newest ids last.
    #[graphql(complexity = "cost(first, child_complexity)")]
    async fn matches(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<MatchFilterInput>,
    ) -> ApiResult<Page<MatchNode>> {
        let input = filter.unwrap_or_default();
        let filter = MatchFilter {
            school_id: input.school_id.map(|id| id.0),
            partner_id: input.partner_id.map(|id| id.0),
            student_id: input.student_id.map(|id| id.0),
            opening_id: input.opening_id.map(|id| id.0),
            run_id: input.run_id.map(|id| id.0),
            kind: input.kind.map(Into::into),
            statuses: input.status.unwrap_or_default().into_iter().map(Into::into).collect(),
        };
        Ok(match_page(ctx, filter, first, after).await?)
    }

    /// One match: null when there is none or the viewer is no party to it (the
    /// same answer, so an id tells nothing about matches one may not see).
    #[graphql(name = "match")]
    async fn match_(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<MatchNode>> {
        let access = Access::of(ctx)?;
        match load_match(store(ctx)?.db(), &id, |parties| access.read_match(parties)).await {
            Ok((found, _)) => Ok(Some(MatchNode(found))),
            Err(err) if matches!(err.code, Code::NotFound | Code::Forbidden) => Ok(None),
            Err(err) => Err(err),
        }
    }
}

/// The lifecycle writes. Each reads the match inside its write transaction, so the
/// decision is made on what is stored, and the status moves by a versioned update
/// (a racing writer gets CONFLICT).
#[derive(Default)]
pub struct MatchMutation;

#[Object]
impl MatchMutation {
    /// A counselor's pick: proposes `openingId` for the student's need of its kind.
    /// Every hard constraint of MATCHING.md is checked again on what the database
    /// holds now (a pick that fails any is CONFLICT, naming them), and the slot is
    /// taken atomically: of two proposals for the last slot, one gets the match and
    /// the other CONFLICT. The match gets the score, breakdown and sessions a run
    /// would give the pair.
    async fn propose_match(&self, ctx: &Context<'_>, student_id: ID, opening_id: ID) -> ApiResult<MatchNode> {
        let access = Access::of(ctx)?;
        let store = store(ctx)?;
        let school = people::schools_of(store.db(), std::slice::from_ref(&student_id.0)).await?;
        let school = school.get(student_id.as_str()).ok_or_else(|| {
            ApiError::new(Code::NotFound, format!("student {} does not exist", student_id.as_str()))
        })?;
        access.run_matching(Some(school))?;
        let opening = match read::opening(store.db(), &opening_id).await {
            Ok(opening) => opening,
            Err(StoreError::NotFound { .. }) => {
                return Err(ApiError::new(
                    Code::NotFound,
                    format!("opening {} does not exist", opening_id.as_str()),
                ));
            }
            Err(err) => return Err(ApiError::from(err)),
        };
        let kind = Kind::parse(&opening.opening.matching.kind)
            .ok_or_else(|| ApiError::internal("a stored opening has an unknown kind"))?;
        let now = Utc::now();
        let txn = store.write().await?;
        // Proposals for one student wait for each other (PostgreSQL row lock; SQLite
        // writers are serialized already), so two picks cannot both take the same time.
        matches::lock_student(&txn, &student_id).await?;
        let student = suggest::student(&txn, &student_id).await?;
        let suggestion = match suggest::pick(&txn, &student, &opening_id, kind, now.date_naive()).await {
            Ok(Pick::Feasible(suggestion)) => suggestion,
            Ok(Pick::Infeasible(failed)) => {
                let names: Vec<&str> = failed.iter().map(|c| c.as_str()).collect();
                return Err(ApiError::new(
                    Code::Conflict,
                    format!(
                        "opening {} is not feasible for this student: {}",
                        opening_id.as_str(),
                        names.join(", ")
                    ),
                ));
            }
            Err(StoreError::Invalid { message, .. }) => {
                return Err(ApiError::bad_input("openingId", message));
            }
            Err(err) => return Err(ApiError::from(err)),
        };
        let travel_minutes = match suggestion.travel {
            Travel::Online => 0.0,
            Travel::Own { minutes, .. } | Travel::Pickup { minutes } => minutes,
        };
        let id = new_id("m");
        let new = NewMatch {
            id: id.clone(),
            run_id: None,
            student_id: student_id.0.clone(),
            opening_id: opening_id.0.clone(),
            kind,
            score: suggestion.score,
            breakdown: suggestion.breakdown.clone(),
            sessions: suggestion.sessions.clone(),
            travel_minutes: Some(travel_minutes),
        };
        matches::propose(&txn, std::slice::from_ref(&new), &access.actor(), now).await?;
        let proposed = matches::get(&txn, &id).await?;
        commit(txn).await?;
        Ok(MatchNode(proposed))
    }

    /// The student (or family), the partner or the counselor answers a proposed
    /// match. ACCEPT moves PROPOSED to ACCEPTED; accepting an ACCEPTED match again
    /// (the other side confirming) keeps it and records the answer. DECLINE (from
    /// PROPOSED or ACCEPTED) frees the slot, and the pair is never proposed again.
    /// Anything else is CONFLICT.
    async fn respond_to_match(
        &self,
        ctx: &Context<'_>,
        id: ID,
        decision: MatchDecision,
        reason: Option<String>,
    ) -> ApiResult<MatchNode> {
        let access = Access::of(ctx)?;
        let reason = reason.map(|text| text.trim().to_owned()).filter(|text| !text.is_empty());
        if reason.as_ref().is_some_and(|text| text.chars().count() > MAX_REASON_CHARS) {
            return Err(ApiError::bad_input("reason", format!("at most {MAX_REASON_CHARS} characters")));
        }
        let txn = store(ctx)?.write().await?;
        let (found, _) = load_match(&txn, &id, |parties| access.respond_to_match(parties)).await?;
        let now = Utc::now();
        let moved = match (decision, found.status) {
            (MatchDecision::Accept, MatchStatus::Accepted) => {
                audited(&txn, &access, "accept", "match", &found.id, now).await?;
                found
            }
            (MatchDecision::Accept, _) => {
                still_allowed(&txn, &found, now.date_naive()).await?;
                matches::transition(&txn, &found, MatchStatus::Accepted, &access.actor(), None, now).await?
            }
            (MatchDecision::Decline, MatchStatus::Proposed | MatchStatus::Accepted) => {
                let actor = access.actor();
                matches::transition(&txn, &found, MatchStatus::Declined, &actor, reason.as_deref(), now)
                    .await?
            }
            (MatchDecision::Decline, status) => {
                return Err(ApiError::new(
                    Code::Conflict,
                    format!(
                        "match {} is {status}: only a proposed or accepted match can be declined",
                        found.id
                    ),
                ));
            }
        };
        commit(txn).await?;
        Ok(MatchNode(moved))
    }

    /// Moves a match to ACTIVE (sessions began), COMPLETED or CANCELLED, along the
    /// lifecycle only: `ACCEPTED → ACTIVE → COMPLETED`, CANCELLED from any open
    /// status. Anything else is CONFLICT; cancelling frees the slot.
    async fn set_match_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: MatchStatusValue,
    ) -> ApiResult<MatchNode> {
        let access = Access::of(ctx)?;
        let next = MatchStatus::from(status);
        if !matches!(next, MatchStatus::Active | MatchStatus::Completed | MatchStatus::Cancelled) {
            return Err(ApiError::bad_input(
                "status",
                "must be ACTIVE, COMPLETED or CANCELLED (a match is accepted or declined with respondToMatch)",
            ));
        }
        let txn = store(ctx)?.write().await?;
        let (found, _) = load_match(&txn, &id, |parties| access.set_match_status(parties)).await?;
        let now = Utc::now();
        if next == MatchStatus::Active {
            still_allowed(&txn, &found, now.date_naive()).await?;
        }
        let moved = matches::transition(&txn, &found, next, &access.actor(), None, now).await?;
        commit(txn).await?;
        Ok(MatchNode(moved))
    }
}

/// A match goes ahead (to ACCEPTED or ACTIVE) only while today's date allows the
/// pair: an agreement still in force, a background check still valid, the minimum
/// age reached. Otherwise CONFLICT, naming each constraint.
async fn still_allowed<C: store::Db>(
    txn: &C,
    found: &Match,
    today: chrono::NaiveDate,
) -> Result<(), ApiError> {
    let pair = [(found.student_id.as_str(), found.opening_id.as_str())];
    let Some(lapsed) = safety::lapsed(txn, &pair, today).await?.pop() else {
        return Ok(());
    };
    let why: Vec<String> =
        lapsed.constraints.iter().map(|c| safety::explain(*c, &found.opening_id, today)).collect();
    Err(ApiError::new(Code::Conflict, format!("match {} cannot go ahead: {}", found.id, why.join("; "))))
}
