//! Webhooks and their delivery attempts (docs/api.md "Notifications").

use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use store::notify::{self, DeliveryStatus, EventKind};

use crate::graphql::connection::{Page, Window, cost};
use crate::graphql::error::ApiResult;
use crate::graphql::store;

/// What a hook hears about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "EventKind")]
pub enum WebhookEvent {
    /// A match was proposed (by a run or a counselor's pick).
    MatchProposed,
    /// One side accepted a match (`data.by`); `data.status` is ACCEPTED once both have.
    MatchAccepted,
    /// A side declined a match.
    MatchDeclined,
    /// A match became ACTIVE, COMPLETED or CANCELLED.
    MatchStatusChanged,
    /// A match run ended: SUCCEEDED, FAILED or CANCELLED.
    RunFinished,
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum WebhookDeliveryStatus {
    /// A 2xx answer.
    Delivered,
    /// No 2xx answer: it is tried again later.
    Retrying,
    /// No 2xx answer and 24 hours have passed: given up.
    Failed,
}

impl From<DeliveryStatus> for WebhookDeliveryStatus {
    fn from(status: DeliveryStatus) -> WebhookDeliveryStatus {
        match status {
            DeliveryStatus::Delivered => WebhookDeliveryStatus::Delivered,
            DeliveryStatus::Pending => WebhookDeliveryStatus::Retrying,
            DeliveryStatus::Failed => WebhookDeliveryStatus::Failed,
        }
    }
}

/// A hook to register.
#[derive(Clone, Debug, InputObject)]
pub struct WebhookInput {
    /// Where each delivery is POSTed: an http URL whose host is public (unless the
    /// service allows private addresses).
    pub url: String,
    /// What it hears about (at least one).
    pub events: Vec<WebhookEvent>,
    /// Signs each body: `X-Partnermatch-Signature: sha256=<hex HMAC-SHA256>`; 16 to
    /// 256 characters. It is never shown again.
    pub secret: String,
}

/// A registered hook: what it hears, where, and every attempt to deliver.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(complex)]
pub struct Webhook {
    pub(crate) id: ID,
    pub(crate) url: String,
    pub(crate) events: Vec<WebhookEvent>,
    pub(crate) created_at: DateTime<Utc>,
}

impl From<notify::Webhook> for Webhook {
    fn from(hook: notify::Webhook) -> Webhook {
        Webhook {
            id: ID(hook.id),
            url: hook.url,
            events: hook.events.into_iter().map(WebhookEvent::from).collect(),
            created_at: hook.created_at,
        }
    }
}

#[ComplexObject]
impl Webhook {
    /// Every attempt, oldest first: a delivery retried shows once per attempt, with
    /// the same id.
    #[graphql(complexity = "cost(first, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<WebhookDelivery>> {
        let window = Window::new(first, after)?;
        let after = window.after_number()?;
        let (attempts, total) = notify::attempts(store(ctx)?.db(), &self.id, after, window.fetch()).await?;
        let nodes: Vec<WebhookDelivery> = attempts.into_iter().map(WebhookDelivery::from).collect();
        Ok(window.page(nodes, total, |attempt: &WebhookDelivery| attempt.cursor.as_str()))
    }
}

/// One attempt at delivering an event to a hook.
#[derive(Clone, Debug, SimpleObject)]
pub struct WebhookDelivery {
    /// The delivery's id (`X-Partnermatch-Delivery`): the same on every retry.
    pub(crate) id: ID,
    pub(crate) event: WebhookEvent,
    /// 1 for the first attempt.
    pub(crate) attempt: i32,
    pub(crate) status: WebhookDeliveryStatus,
    /// The receiver's status code; null when it did not answer.
    pub(crate) http_status: Option<i32>,
    /// Why it failed, when it did without an answer.
    pub(crate) error: Option<String>,
    pub(crate) at: DateTime<Utc>,
    #[graphql(skip)]
    pub(crate) cursor: String,
}

impl From<notify::Attempt> for WebhookDelivery {
    fn from(attempt: notify::Attempt) -> WebhookDelivery {
        WebhookDelivery {
            id: ID(attempt.delivery_id),
            event: attempt.event.into(),
            attempt: attempt.attempt,
            status: attempt.status.into(),
            http_status: attempt.http_status,
            error: attempt.error,
            at: attempt.at,
            cursor: attempt.seq.to_string(),
        }
    }
}
