//! `matches` and `match`.

use async_graphql::{Context, ID, Object};
use store::matches::MatchFilter;

use crate::graphql::access::Access;
use crate::graphql::connection::{Page, Window, cost};
use crate::graphql::error::{ApiResult, Code};
use crate::graphql::store;
use crate::graphql::types::matches::{MatchFilterInput, MatchNode, MatchOrder, load_match, match_page};

/// Reads.
#[derive(Default)]
pub struct MatchQuery;

#[Object]
impl MatchQuery {
    /// Matches the viewer is a party to (ADMIN: all), oldest first (then by id)
    /// unless `orderBy` says otherwise.
    #[graphql(complexity = "cost(first.or(last), child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn matches(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<MatchFilterInput>,
        order_by: Option<MatchOrder>,
    ) -> ApiResult<Page<MatchNode>> {
        let window = Window::either(first, after, last, before)?;
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
        Ok(match_page(ctx, filter, order_by.unwrap_or_default(), &window).await?)
    }

    /// One match: null when there is none or the viewer is no party to it (the
    /// same answer, so an id tells nothing about matches one may not see).
    #[graphql(name = "match")]
    async fn match_(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<MatchNode>> {
        let access = Access::of(ctx)?;
        match load_match(store(ctx)?.db(), &access, &id, |_| Ok(())).await {
            Ok((found, _)) => Ok(Some(MatchNode::alone(found))),
            Err(err) if matches!(err.code, Code::NotFound | Code::Forbidden) => Ok(None),
            Err(err) => Err(err),
        }
    }
}
