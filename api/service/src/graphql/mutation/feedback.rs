//! `recordFeedback`.

use async_graphql::{Context, Object};
use chrono::Utc;
use store::records::MatchStatus;
use store::report::StoredFeedback;
use store::write;

use crate::graphql::access::Access;
use crate::graphql::error::{ApiError, ApiResult, Code};
use crate::graphql::types::matches::load_match;
use crate::graphql::types::report::{FeedbackInput, FeedbackNode};
use crate::graphql::{audited, commit, store};

/// Writes.
#[derive(Default)]
pub struct FeedbackMutation;

#[Object]
impl FeedbackMutation {
    /// Records feedback on a match that happened or is happening (ACCEPTED, ACTIVE
    /// or COMPLETED; otherwise CONFLICT), by any party to it: its student, its
    /// partner, the student's counselor, ADMIN. The author is the token's role and
    /// scope.
    async fn record_feedback(&self, ctx: &Context<'_>, input: FeedbackInput) -> ApiResult<FeedbackNode> {
        let access = Access::of(ctx)?;
        let store = store(ctx)?;
        // Read in the write transaction: the status checked is the status written against.
        let txn = store.write().await?;
        let (found, _) =
            load_match(&txn, &access, &input.match_id, |parties| access.record_feedback(parties)).await?;
        let feedback = input.into_record(&access)?;
        if !matches!(found.status, MatchStatus::Accepted | MatchStatus::Active | MatchStatus::Completed) {
            return Err(ApiError::new(
                Code::Conflict,
                format!(
                    "match {} is {}: feedback is for accepted, active or completed matches",
                    found.id, found.status
                ),
            ));
        }
        let now = Utc::now();
        let id = write::save_feedback(&txn, &feedback, now).await?;
        audited(&txn, &access, "create", "feedback", &id.to_string(), now).await?;
        commit(txn).await?;
        Ok(FeedbackNode { stored: StoredFeedback { id, feedback, created_at: now }, found })
    }
}
