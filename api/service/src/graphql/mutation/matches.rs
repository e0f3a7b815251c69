//! `proposeMatch`, `respondToMatch`, `setMatchStatus`: each reads the match in its
//! write transaction, so the decision is made on what is stored, and moves its
//! status by a versioned update (a racing writer gets CONFLICT).

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use store::records::{Match, MatchStatus, NewMatch, OpeningStatus};
use store::suggest::{self, Pick, Travel};
use store::{StoreError, matches, new_id, people, read, safety};

use crate::graphql::access::Access;
use crate::graphql::error::{ApiError, ApiResult, Code};
use crate::graphql::types::enums::{MatchDecision, MatchStatusValue};
use crate::graphql::types::matches::{MatchNode, load_match};
use crate::graphql::{commit, store};

/// Longest decline reason kept.
pub const MAX_REASON_CHARS: usize = 500;

/// The lifecycle writes. Each reads the match inside its write transaction, so the
/// decision is made on what is stored, and the status moves by a versioned update
/// (a racing writer gets CONFLICT).
#[derive(Default)]
pub struct MatchMutation;

#[Object]
impl MatchMutation {
    /// A counselor's pick: proposes `openingId` for the student's need of its kind.
    /// Every hard constraint of docs/matching.md is checked again on what the database
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
        access.match_student(&student_id, school, "proposing matches")?;
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
        if opening.status == OpeningStatus::Closed {
            return Err(ApiError::new(
                Code::Conflict,
                format!("opening {} is closed to new matches", opening_id.as_str()),
            ));
        }
        let kind = opening.opening.matching.kind;
        let now = Utc::now();
        let txn = store.write().await?;
        // Proposals for one student wait for each other (PostgreSQL row lock; SQLite
        // writers are serialized already), so two picks cannot both take the same time.
        matches::lock_student(&txn, &student_id).await?;
        let student = suggest::student(&txn, &student_id).await?;
        let suggestion = match suggest::pick(&txn, &student, &opening_id, kind, store.today(now)).await {
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
        Ok(MatchNode::alone(proposed))
    }

    /// The student side (the student, their family on the student's token, or their
    /// counselor) or the partner answers a proposed match; ADMIN answers for both.
    /// ACCEPT records the viewer's side (`studentAccepted`, `partnerAccepted`); the
    /// match is ACCEPTED once both sides have accepted. DECLINE by either side (from
    /// PROPOSED or ACCEPTED) frees the slot, and the pair is not proposed again until
    /// `clearDecline`. Anything else is CONFLICT.
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
        let store = store(ctx)?;
        let txn = store.write().await?;
        let (found, _) = load_match(&txn, &access, &id, |parties| access.respond_to_match(parties)).await?;
        let now = Utc::now();
        let moved = match decision {
            MatchDecision::Accept => {
                still_allowed(&txn, &found, store.today(now)).await?;
                matches::accept(&txn, &found, access.side(), &access.actor(), now).await?
            }
            MatchDecision::Decline
                if matches!(found.status, MatchStatus::Proposed | MatchStatus::Accepted) =>
            {
                let actor = access.actor();
                matches::transition(&txn, &found, MatchStatus::Declined, &actor, reason.as_deref(), now)
                    .await?
            }
            MatchDecision::Decline => {
                return Err(ApiError::new(
                    Code::Conflict,
                    format!(
                        "match {} is {}: only a proposed or accepted match can be declined",
                        found.id, found.status
                    ),
                ));
            }
        };
        commit(txn).await?;
        Ok(MatchNode::alone(moved))
    }

    /// Forgets that the student declined the opening (a decline made by mistake), so
    /// the pair may be proposed again: ADMIN, or the student's counselor. True when
    /// there was a decline to clear, false when there was none.
    async fn clear_decline(&self, ctx: &Context<'_>, student_id: ID, opening_id: ID) -> ApiResult<bool> {
        let access = Access::of(ctx)?;
        let txn = store(ctx)?.write().await?;
        let school = people::schools_of(&txn, std::slice::from_ref(&student_id.0)).await?;
        let Some(school) = school.get(student_id.as_str()) else {
            return Err(ApiError::new(
                Code::NotFound,
                format!("student {} does not exist", student_id.as_str()),
            ));
        };
        access.clear_decline(&student_id, school)?;
        let cleared =
            matches::clear_decline(&txn, &student_id, &opening_id, &access.actor(), Utc::now()).await?;
        commit(txn).await?;
        Ok(cleared)
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
        let store = store(ctx)?;
        let txn = store.write().await?;
        let (found, _) = load_match(&txn, &access, &id, |parties| access.set_match_status(parties)).await?;
        let now = Utc::now();
        if next == MatchStatus::Active {
            still_allowed(&txn, &found, store.today(now)).await?;
        }
        let moved = matches::transition(&txn, &found, next, &access.actor(), None, now).await?;
        commit(txn).await?;
        Ok(MatchNode::alone(moved))
    }
}

/// A match goes ahead (to ACCEPTED or ACTIVE) only while today's date allows the
/// pair: an agreement still in force, a background check still valid, the minimum
/// age reached. Otherwise CONFLICT, naming each constraint.
pub(crate) async fn still_allowed<C: store::Db>(
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
