//! `matchRuns` and `matchRun`.

use async_graphql::{Context, ID, Object};
use store::records::RunStatus;
use store::runs;

use crate::graphql::access::{Access, Rows};
use store::order::Direction;

use crate::graphql::connection::{Page, Window, cost};
use crate::graphql::error::{ApiResult, Code};
use crate::graphql::store;
use crate::graphql::types::run::{MatchRunFilter, MatchRunNode, load_run};

/// Reads.
#[derive(Default)]
pub struct RunQuery;

#[Object]
impl RunQuery {
    /// Match runs the viewer may see (ADMIN all, a counselor their school's), oldest first.
    #[graphql(complexity = "cost(first.or(last), child_complexity)")]
    async fn match_runs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<MatchRunFilter>,
    ) -> ApiResult<Page<MatchRunNode>> {
        let access = Access::of(ctx)?;
        let window = Window::either(first, after, last, before)?;
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
        let listed =
            runs::list(store(ctx)?.db(), school.as_deref(), &statuses, &window.seek(Direction::Asc)).await?;
        let nodes = listed.rows.into_iter().map(MatchRunNode).collect();
        Ok(window.page(nodes, listed.total, MatchRunNode::id))
    }

    /// One run: null when there is none or the viewer may not see it.
    async fn match_run(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<MatchRunNode>> {
        let access = Access::of(ctx)?;
        match load_run(store(ctx)?, &id, |school| access.read_run(&id, school)).await {
            Ok(run) => Ok(Some(MatchRunNode(run))),
            Err(err) if matches!(err.code, Code::NotFound | Code::Forbidden) => Ok(None),
            Err(err) => Err(err),
        }
    }
}
