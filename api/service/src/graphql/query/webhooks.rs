//! `webhooks`: the viewer's own hooks.

use async_graphql::{Context, Object};
use store::notify;

use crate::graphql::access::Access;
use crate::graphql::error::ApiResult;
use crate::graphql::store;
use crate::graphql::types::webhook::Webhook;

/// `webhooks`.
#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The hooks the viewer registered, oldest first (ADMIN, counselors, partners).
    async fn webhooks(&self, ctx: &Context<'_>) -> ApiResult<Vec<Webhook>> {
        let owner = Access::of(ctx)?.webhook_owner()?;
        let hooks = notify::webhooks_of(store(ctx)?.db(), &owner).await?;
        Ok(hooks.into_iter().map(Webhook::from).collect())
    }
}
