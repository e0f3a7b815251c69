//! `Report` (match rates, capacity use, travel time, feedback averages over a
//! scope; each field runs its own aggregates, so a client pays for what it selects)
//! and `Feedback`.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use store::records::{Feedback, Match, Role, Visibility};
use store::report::{self, FeedbackCount, RateCount, ReportScope, StoredFeedback};

use crate::graphql::access::Access;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::store;
use crate::graphql::types::enums::{FeedbackVisibility, RoleValue};
use crate::graphql::types::matches::MatchNode;

/// The longest feedback comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// What `report` covers, within what the viewer may see.
#[derive(Clone, Debug, Default, InputObject)]
pub struct ReportFilter {
    /// Students of this school.
    pub school_id: Option<ID>,
    /// Matches to openings of this partner.
    pub partner_id: Option<ID>,
}

/// Feedback on a match.
#[derive(Clone, Debug, InputObject)]
pub struct FeedbackInput {
    /// The match the feedback is about.
    pub match_id: ID,
    /// 1 to 5.
    pub rating: i32,
    /// At most 2000 characters.
    pub comment: Option<String>,
    /// Sessions attended so far (0 or more).
    pub sessions_attended: Option<i32>,
    /// Who may read it: `SCHOOL` (ADMIN and the school's counselor only) or
    /// `PARTIES` (both sides of the match too). Default: `SCHOOL` for a counselor's
    /// feedback, `PARTIES` for everyone else's.
    pub visibility: Option<FeedbackVisibility>,
}

impl FeedbackInput {
    /// The record, authored by the viewer; bad fields are named by their input path.
    pub(crate) fn into_record(self, access: &Access<'_>) -> Result<Feedback, ApiError> {
        let rating = u8::try_from(self.rating)
            .ok()
            .filter(|rating| (1..=5).contains(rating))
            .ok_or_else(|| ApiError::bad_input("input.rating", "must be 1 to 5"))?;
        let sessions_attended = self
            .sessions_attended
            .map(|n| {
                u32::try_from(n)
                    .map_err(|_| ApiError::bad_input("input.sessionsAttended", "must be 0 or more"))
            })
            .transpose()?;
        if self.comment.as_ref().is_some_and(|comment| comment.chars().count() > MAX_COMMENT_CHARS) {
            return Err(ApiError::bad_input(
                "input.comment",
                format!("must be at most {MAX_COMMENT_CHARS} characters"),
            ));
        }
        let viewer = access.viewer();
        let default = match viewer.role {
            Role::Counselor => Visibility::School,
            Role::Admin | Role::Partner | Role::Student => Visibility::Parties,
        };
        Ok(Feedback {
            match_id: self.match_id.0,
            author_role: viewer.role,
            author_id: access.author_id(),
            rating,
            comment: self.comment,
            sessions_attended,
            visibility: self.visibility.map_or(default, Visibility::from),
        })
    }
}

/// One feedback entry, with the match it is about (which the viewer may read).
#[derive(Clone, Debug)]
pub struct FeedbackNode {
    pub(crate) stored: StoredFeedback,
    pub(crate) found: Match,
}

/// What a student, partner or counselor said about a match.
#[Object(name = "Feedback")]
impl FeedbackNode {
    pub(crate) async fn id(&self) -> ID {
        ID(self.stored.id.to_string())
    }

    pub(crate) async fn match_id(&self) -> ID {
        ID(self.found.id.clone())
    }

    #[graphql(name = "match")]
    pub(crate) async fn match_(&self) -> MatchNode {
        MatchNode::alone(self.found.clone())
    }

    /// Who wrote it: the role of their token.
    pub(crate) async fn author_role(&self) -> RoleValue {
        self.stored.feedback.author_role.into()
    }

    /// 1 to 5.
    pub(crate) async fn rating(&self) -> i32 {
        i32::from(self.stored.feedback.rating)
    }

    pub(crate) async fn comment(&self) -> Option<&str> {
        self.stored.feedback.comment.as_deref()
    }

    pub(crate) async fn sessions_attended(&self) -> Option<i64> {
        self.stored.feedback.sessions_attended.map(i64::from)
    }

    pub(crate) async fn created_at(&self) -> DateTime<Utc> {
        self.stored.created_at
    }

    /// Who may read it.
    pub(crate) async fn visibility(&self) -> FeedbackVisibility {
        self.stored.feedback.visibility.into()
    }
}

/// A report over one scope; each field runs its own aggregate queries.
#[derive(Clone, Debug)]
pub struct ReportNode {
    pub(crate) scope: ReportScope,
}

/// Outcomes over a scope: match rates, capacity use, travel time, feedback.
#[Object(name = "Report")]
impl ReportNode {
    /// Needs matched, per school (every school in scope). A need is matched when a
    /// match of its kind is ACCEPTED, ACTIVE or COMPLETED; `proposed` counts needs
    /// whose only live match still waits for answers. Not for partners.
    pub(crate) async fn match_rate_by_school(&self, ctx: &Context<'_>) -> ApiResult<Vec<RateRow>> {
        Access::of(ctx)?.report_match_rates()?;
        let rows = report::rates_by_school(store(ctx)?.db(), &self.scope).await?;
        Ok(rows.iter().map(RateRow::from).collect())
    }

    /// Needs matched, per kind (`TUTORING MENTORING INTERNSHIP`). Not for partners.
    pub(crate) async fn match_rate_by_kind(&self, ctx: &Context<'_>) -> ApiResult<Vec<RateRow>> {
        Access::of(ctx)?.report_match_rates()?;
        let rows = report::rates_by_kind(store(ctx)?.db(), &self.scope).await?;
        Ok(rows.iter().map(RateRow::from).collect())
    }

    /// Needs matched, per equity priority group (`"0"` to `"3"`). Not for partners.
    pub(crate) async fn match_rate_by_priority(&self, ctx: &Context<'_>) -> ApiResult<Vec<RateRow>> {
        Access::of(ctx)?.report_match_rates()?;
        let rows = report::rates_by_priority(store(ctx)?.db(), &self.scope).await?;
        Ok(rows.iter().map(RateRow::from).collect())
    }

    /// Each partner's openings, capacity and the slots open matches (PROPOSED,
    /// ACCEPTED, ACTIVE) hold. In a school's report, `filled` counts that school's
    /// students and `capacity` stays the partner's whole capacity.
    pub(crate) async fn capacity_by_partner(&self, ctx: &Context<'_>) -> ApiResult<Vec<CapacityRow>> {
        let rows = report::capacity_by_partner(store(ctx)?.db(), &self.scope).await?;
        Ok(rows
            .into_iter()
            .map(|row| CapacityRow {
                usage: row.usage(),
                partner_id: ID(row.partner_id),
                partner_name: row.partner_name,
                openings: count(row.openings),
                capacity: count(row.capacity),
                filled: count(row.filled),
            })
            .collect())
    }

    /// The median travel time of live matches (PROPOSED, ACCEPTED, ACTIVE,
    /// COMPLETED) that carry one; null when there is none.
    pub(crate) async fn median_travel_minutes(&self, ctx: &Context<'_>) -> ApiResult<Option<f64>> {
        // Travel times come from students' homes: not for partners.
        Access::of(ctx)?.report_match_rates()?;
        Ok(report::median_travel_minutes(store(ctx)?.db(), &self.scope).await?)
    }

    /// Feedback on matches in scope that the viewer may read, each author's latest
    /// entry per match.
    pub(crate) async fn feedback(&self, ctx: &Context<'_>) -> ApiResult<FeedbackSummaryObject> {
        let reader = Access::of(ctx)?.feedback_reader();
        let summary = report::feedback_summary(store(ctx)?.db(), &self.scope, &reader).await?;
        let total = summary.total();
        Ok(FeedbackSummaryObject {
            count: count(total.count),
            average_rating: total.average_rating(),
            average_sessions_attended: total.average_sessions_attended(),
            by_role: summary
                .by_role
                .iter()
                .map(|(role, counted)| FeedbackByRole::new((*role).into(), counted))
                .collect(),
        })
    }
}

/// Needs and how many are matched, for one school, kind or priority group.
#[derive(Clone, Debug, SimpleObject)]
pub struct RateRow {
    /// The school id, the kind or the priority group.
    pub key: String,
    /// Needs of the students in scope.
    pub needs: i64,
    /// Needs with an ACCEPTED, ACTIVE or COMPLETED match of their kind.
    pub matched: i64,
    /// Needs whose only live match is PROPOSED.
    pub proposed: i64,
    /// matched / needs; 0 without needs.
    pub rate: f64,
}

impl From<&RateCount> for RateRow {
    fn from(row: &RateCount) -> RateRow {
        RateRow {
            key: row.key.clone(),
            needs: count(row.needs),
            matched: count(row.matched),
            proposed: count(row.proposed),
            rate: row.rate(),
        }
    }
}

/// One partner's capacity and its use.
#[derive(Clone, Debug, SimpleObject)]
pub struct CapacityRow {
    /// The partner.
    pub partner_id: ID,
    /// Its name.
    pub partner_name: String,
    /// Its openings.
    pub openings: i64,
    /// Their slots together.
    pub capacity: i64,
    /// Slots held by open matches (of the school's students, in a school's report).
    pub filled: i64,
    /// filled / capacity; 0 without capacity.
    #[graphql(name = "use")]
    pub usage: f64,
}

/// Feedback averages.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(name = "FeedbackSummary")]
pub struct FeedbackSummaryObject {
    /// Entries.
    pub count: i64,
    /// Null without feedback.
    pub average_rating: Option<f64>,
    /// Over the entries that state it; null when none does.
    pub average_sessions_attended: Option<f64>,
    /// Every role, with zero counts where none wrote.
    pub by_role: Vec<FeedbackByRole>,
}

/// Feedback by one kind of author.
#[derive(Clone, Debug, SimpleObject)]
pub struct FeedbackByRole {
    /// The authors' role.
    pub role: RoleValue,
    /// Entries by authors of that role.
    pub count: i64,
    /// Null without feedback.
    pub average_rating: Option<f64>,
}

impl FeedbackByRole {
    pub(crate) fn new(role: RoleValue, counted: &FeedbackCount) -> FeedbackByRole {
        FeedbackByRole { role, count: count(counted.count), average_rating: counted.average_rating() }
    }
}

pub(crate) fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
