//! `auditLog`: every write, oldest first, for ADMIN.

use async_graphql::{Context, Object};
use store::audit;

use crate::graphql::access::Access;
use crate::graphql::connection::{Page, Window, cost};
use crate::graphql::error::ApiResult;
use crate::graphql::store;
use crate::graphql::types::audit::{AuditEvent, AuditFilter};

/// `auditLog`.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Every write (who, which record, what changed, when), oldest first: ADMIN only.
    #[graphql(complexity = "cost(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<AuditFilter>,
    ) -> ApiResult<Page<AuditEvent>> {
        Access::of(ctx)?.admin("reading the audit log")?;
        let window = Window::new(first, after)?;
        let after = window.after_number()?;
        let filter = filter.unwrap_or_default();
        let filter = audit::AuditFilter {
            entity: filter.entity,
            entity_id: filter.entity_id.map(|id| id.0),
            actor: filter.actor,
            since: filter.since,
        };
        let listed = audit::list(store(ctx)?.db(), &filter, after, window.fetch()).await?;
        let nodes: Vec<AuditEvent> = listed.rows.into_iter().map(AuditEvent::from).collect();
        Ok(window.page(nodes, listed.total, |event: &AuditEvent| event.id.as_str()))
    }
}
