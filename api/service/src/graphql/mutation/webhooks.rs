//! `createWebhook`, `deleteWebhook`.

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use store::notify;

use crate::graphql::access::Access;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::types::webhook::{Webhook, WebhookInput};
use crate::graphql::{audited, commit, store};
use crate::notify::HookSettings;

/// Writes.
#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a hook that hears `events` from now on, as far as the viewer may see
    /// them: ADMIN everything, a counselor its school's, a partner its openings'.
    /// Each delivery is a signed `POST` (docs/api.md "Notifications").
    async fn create_webhook(&self, ctx: &Context<'_>, input: WebhookInput) -> ApiResult<Webhook> {
        let access = Access::of(ctx)?;
        let owner = access.webhook_owner()?;
        let allow_private =
            ctx.data::<HookSettings>().map(|settings| settings.allow_private).unwrap_or(false);
        if input.url.len() > 2_048 {
            return Err(ApiError::bad_input("input.url", "at most 2,048 characters"));
        }
        let url = crate::notify::check_url(input.url.trim(), allow_private)
            .await
            .map_err(|message| ApiError::bad_input("input.url", message))?;
        if input.events.is_empty() {
            return Err(ApiError::bad_input("input.events", "name at least one event"));
        }
        let secret_length = input.secret.chars().count();
        if !(16..=256).contains(&secret_length) {
            return Err(ApiError::bad_input(
                "input.secret",
                format!("{secret_length} characters: a secret has 16 to 256"),
            ));
        }
        let mut events: Vec<notify::EventKind> = input.events.into_iter().map(Into::into).collect();
        events.sort();
        events.dedup();
        let now = Utc::now();
        let hook = notify::Webhook {
            id: store::new_id("hook"),
            owner: owner.sub,
            role: owner.role,
            scope: owner.scope,
            url: url.to_string(),
            events,
            secret: input.secret,
            created_at: now,
        };
        let txn = store(ctx)?.write().await?;
        notify::create_webhook(&txn, &hook).await?;
        audited(&txn, &access, "create", "webhook", &hook.id, now).await?;
        commit(txn).await?;
        Ok(Webhook::from(hook))
    }

    /// Deletes one of the viewer's hooks, with the deliveries not yet made; false
    /// when the viewer has no hook of that id.
    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        let access = Access::of(ctx)?;
        let owner = access.webhook_owner()?;
        let txn = store(ctx)?.write().await?;
        let deleted = notify::delete_webhook(&txn, &owner, &id).await?;
        if deleted {
            audited(&txn, &access, "delete", "webhook", &id, Utc::now()).await?;
        }
        commit(txn).await?;
        Ok(deleted)
    }
}
