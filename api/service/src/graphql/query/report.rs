//! `report` and `feedback`.

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use store::people::{self, Disclosure};
use store::report::{self, ReportScope};

use crate::graphql::access::{Access, MatchRows};
use crate::graphql::error::{ApiError, ApiResult, Code};
use crate::graphql::store;
use crate::graphql::types::matches::load_match;
use crate::graphql::types::report::{FeedbackNode, ReportFilter, ReportNode};

/// Reads.
#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// Outcomes over what the viewer may cover: ADMIN the district (or the
    /// filter's school or partner), a counselor their school, a partner its own
    /// openings; students get none. A filter naming another school or partner than
    /// the viewer's own is FORBIDDEN.
    async fn report(&self, ctx: &Context<'_>, filter: Option<ReportFilter>) -> ApiResult<ReportNode> {
        let access = Access::of(ctx)?;
        let filter = filter.unwrap_or_default();
        let mut scope = ReportScope {
            school_id: filter.school_id.map(|id| id.0),
            partner_id: filter.partner_id.map(|id| id.0),
        };
        let (bound, own) = match access.report()? {
            MatchRows::All => return Ok(ReportNode { scope }),
            MatchRows::School(school) => (&mut scope.school_id, school),
            MatchRows::Partner(partner) => {
                // Which school a partner's matched students attend is not the partner's to learn.
                if scope.school_id.is_some() {
                    return Err(ApiError::new(
                        Code::Forbidden,
                        "not allowed: a partner's report covers its openings, not a school's students",
                    )
                    .at("filter.schoolId"));
                }
                (&mut scope.partner_id, partner)
            }
            MatchRows::Student(_) => {
                return Err(ApiError::new(Code::Forbidden, "not allowed: reports"));
            }
        };
        if bound.as_ref().is_some_and(|asked| *asked != own) {
            return Err(ApiError::new(Code::Forbidden, "not allowed: a report beyond your own scope"));
        }
        *bound = Some(own);
        Ok(ReportNode { scope })
    }

    /// The feedback on one match, oldest first, as far as the viewer may read it
    /// (whoever may read the match; a partner or student never reads `SCHOOL`
    /// feedback but their own). A partner's read is a disclosure about the student.
    async fn feedback(&self, ctx: &Context<'_>, match_id: ID) -> ApiResult<Vec<FeedbackNode>> {
        let access = Access::of(ctx)?;
        let store = store(ctx)?;
        let (found, _) = load_match(store.db(), &access, &match_id, |_| Ok(())).await?;
        let stored = report::feedback_of(store.db(), &found.id, &access.feedback_reader()).await?;
        if access.discloses() && !stored.is_empty() {
            let entry = Disclosure {
                id: 0,
                occurred_at: Utc::now(),
                partner_id: access.author_id(),
                actor: access.actor(),
                student_id: found.student_id.clone(),
                fields: vec!["feedback".to_owned()],
                operation: Some("feedback".to_owned()),
            };
            people::log_disclosures(store.db(), std::slice::from_ref(&entry)).await?;
        }
        Ok(stored.into_iter().map(|stored| FeedbackNode { stored, found: found.clone() }).collect())
    }
}
