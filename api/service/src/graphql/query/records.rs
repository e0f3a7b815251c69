//! `partners`, `partner`, `openings`, `opening`.

use async_graphql::{Context, ID, Object};
use store::catalog::{self, PartnerFilter};
use store::records::{PartnerKind, PartnerStatus};
use store::{StoreError, read};

use crate::graphql::access::{Access, Rows};
use store::order::Direction;

use crate::graphql::connection::{Page, Window};
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::store;
use crate::graphql::types::opening::{OpeningFilterInput, OpeningNode, OpeningOrder, opening_list};
use crate::graphql::types::partner::{PartnerFilterInput, PartnerNode, Partners, partner_id};

/// Reads of partners, agreements and openings.
#[derive(Default)]
pub struct RecordsQuery;

#[Object]
impl RecordsQuery {
    /// Partners, oldest record first; a partner sees only itself.
    #[graphql(complexity = "crate::graphql::connection::cost(first.or(last), child_complexity)")]
    async fn partners(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<PartnerFilterInput>,
    ) -> ApiResult<Page<PartnerNode>> {
        let access = Access::of(ctx)?;
        let window = Window::either(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let only = match access.partners() {
            Rows::All => None,
            Rows::Own(id) => Some(id),
            Rows::MatchedTo(_) | Rows::Nothing => return Ok(window.page(Vec::new(), 0, partner_id)),
        };
        let filter = PartnerFilter {
            only,
            kind: filter.kind.map(PartnerKind::from),
            status: filter.status.map(PartnerStatus::from),
        };
        let slice = catalog::partner_page(store(ctx)?.db(), &filter, &window.seek(Direction::Asc)).await?;
        let rows = slice.rows.into_iter().map(PartnerNode::whole).collect();
        Ok(window.page(rows, slice.total, partner_id))
    }

    /// One partner; null when there is none or it is another partner's (to a partner).
    async fn partner(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<PartnerNode>> {
        if Access::of(ctx)?.read_partner(&id).is_err() {
            return Ok(None);
        }
        match read::partner(store(ctx)?.db(), &id).await {
            Ok(partner) => Ok(Some(PartnerNode::whole(partner))),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(err) => Err(ApiError::from(err)),
        }
    }

    /// Openings, oldest record first unless `orderBy` says otherwise; a partner sees
    /// only its own.
    #[graphql(complexity = "crate::graphql::connection::cost(first.or(last), child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn openings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<OpeningFilterInput>,
        order_by: Option<OpeningOrder>,
    ) -> ApiResult<Page<OpeningNode>> {
        let access = Access::of(ctx)?;
        let window = Window::either(first, after, last, before)?;
        let filter = filter.unwrap_or_default().parse()?;
        Ok(opening_list(ctx, &access, &window, filter, order_by.unwrap_or_default()).await?)
    }

    /// One opening; null when there is none or it is another partner's (to a partner).
    async fn opening(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<OpeningNode>> {
        let access = Access::of(ctx)?;
        let store = store(ctx)?;
        let stored = match read::opening(store.db(), &id).await {
            Ok(stored) => stored,
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(err) => return Err(ApiError::from(err)),
        };
        if access.read_opening(&stored.opening.matching.partner_id).is_err() {
            return Ok(None);
        }
        Ok(Some(OpeningNode { stored, partners: Partners::on_demand(store) }))
    }
}
