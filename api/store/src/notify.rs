//! Notifications (docs/api.md "Notifications"): the outbox, webhooks and their
//! deliveries.
//!
//! Every change that others should hear about writes an [`Event`] with [`record`] in
//! its own transaction, so a rolled-back change leaves none and a committed one
//! cannot lose it. A dispatcher on every node then [`fan_out`]s new events into one
//! delivery per interested hook (one transaction per batch), [`claim`]s due
//! deliveries under a lease (so two nodes never send one at once), sends them, and
//! [`settle`]s each attempt: delivered, retried later with backoff, or failed after
//! 24 hours.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};

use super::bulk::{Cell, Insert};
use super::entity::{
    guardians, mail_deliveries, match_runs, matches, openings, outbox_events, partners, students,
    webhook_attempts, webhook_deliveries, webhooks,
};
use super::people::{Disclosure, log_disclosures};
use super::records::Role;
use super::{Store, StoreError};

/// What happened, as hooks subscribe to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    /// A match was proposed (by a run or a counselor's pick).
    MatchProposed,
    /// One side accepted a match (`data.by`); `data.status` says whether both have.
    MatchAccepted,
    /// A side declined a match.
    MatchDeclined,
    /// A match became ACTIVE, COMPLETED or CANCELLED.
    MatchStatusChanged,
    /// A match run ended: SUCCEEDED, FAILED or CANCELLED.
    RunFinished,
}

impl EventKind {
    /// Every event.
    pub const ALL: [EventKind; 5] = [
        EventKind::MatchProposed,
        EventKind::MatchAccepted,
        EventKind::MatchDeclined,
        EventKind::MatchStatusChanged,
        EventKind::RunFinished,
    ];

    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::MatchProposed => "MATCH_PROPOSED",
            EventKind::MatchAccepted => "MATCH_ACCEPTED",
            EventKind::MatchDeclined => "MATCH_DECLINED",
            EventKind::MatchStatusChanged => "MATCH_STATUS_CHANGED",
            EventKind::RunFinished => "RUN_FINISHED",
        }
    }

    /// Parses the contract's name.
    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// An event about to be written. `match_id` or `run_id` says whom it concerns, so
/// the fan-out knows whose hooks may hear it.
#[derive(Clone, Debug)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The match it is about, if any.
    pub match_id: Option<String>,
    /// The run it is about, if any.
    pub run_id: Option<String>,
    /// The body's `data`: ids and fields every interested owner may see.
    pub data: Value,
}

impl Event {
    /// An event about a match.
    pub fn about_match(kind: EventKind, match_id: &str, data: Value) -> Event {
        Event { kind, match_id: Some(match_id.to_owned()), run_id: None, data }
    }
}

/// Writes `events` in the caller's transaction.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // One random id per batch and the event's place in it: a district commit records
    // tens of thousands of events in the same second, where 32 random bits per event
    // would collide (a birthday bound near 50 % at 75k events). The place also keeps
    // a batch's events in their order for the fan-out, which reads (occurred_at, id).
    let batch = crate::new_id("evt");
    let rows: Vec<Value> = events
        .iter()
        .enumerate()
        .map(|(at, event)| {
            json!([format!("{batch}-{at:08}"), event.kind.as_str(), event.match_id, event.run_id, event.data])
        })
        .collect();
    let insert = Insert {
        table: "outbox_events",
        varying: &[
            ("id", Cell::Text),
            ("event", Cell::Text),
            ("match_id", Cell::Text),
            ("run_id", Cell::Text),
            ("data", Cell::Document),
        ],
        shared: vec![("occurred_at", Some(now.into())), ("fanned_out", Some(false.into()))],
    };
    insert.run(db, rows).await?;
    Ok(())
}

/// A registered hook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    /// `hook-…`.
    pub id: String,
    /// The token subject that registered it.
    pub owner: String,
    /// The owner's role, which decides what the hook hears.
    pub role: Role,
    /// The owner's school (COUNSELOR) or partner (PARTNER).
    pub scope: Option<String>,
    /// Where deliveries are POSTed.
    pub url: String,
    /// What it hears.
    pub events: Vec<EventKind>,
    /// Signs each body (HMAC-SHA256).
    pub secret: String,
    /// When it was registered: it hears events from then on.
    pub created_at: DateTime<Utc>,
}

impl Webhook {
    fn from_row(row: webhooks::Model) -> Result<Webhook, StoreError> {
        let names: Vec<String> = serde_json::from_value(row.events).unwrap_or_default();
        Ok(Webhook {
            role: Role::parse(&row.role).ok_or_else(|| inconsistent("a hook's role"))?,
            events: names.iter().filter_map(|name| EventKind::parse(name)).collect(),
            id: row.id,
            owner: row.owner,
            scope: row.scope,
            url: row.url,
            secret: row.secret,
            created_at: row.created_at,
        })
    }

    /// Whether the owner may hear about something of `school` (and `partner`).
    fn may_hear(&self, school: Option<&str>, partner: Option<&str>) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Counselor => school.is_some() && school == self.scope.as_deref(),
            Role::Partner => partner.is_some() && partner == self.scope.as_deref(),
            Role::Student => false,
        }
    }
}

fn inconsistent(what: &str) -> StoreError {
    StoreError::unreadable(what)
}

/// Registers `hook`.
pub async fn create_webhook<C: ConnectionTrait>(db: &C, hook: &Webhook) -> Result<(), StoreError> {
    let names: Vec<&str> = hook.events.iter().map(|kind| kind.as_str()).collect();
    let row = webhooks::ActiveModel {
        id: Set(hook.id.clone()),
        owner: Set(hook.owner.clone()),
        role: Set(hook.role.as_str().to_owned()),
        scope: Set(hook.scope.clone()),
        url: Set(hook.url.clone()),
        events: Set(json!(names)),
        secret: Set(hook.secret.clone()),
        created_at: Set(hook.created_at),
    };
    webhooks::Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// Who owns a hook: the same subject in the same role and scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// Token subject.
    pub sub: String,
    /// Role.
    pub role: Role,
    /// School or partner.
    pub scope: Option<String>,
}

fn owned_by(owner: &Owner) -> sea_orm::Condition {
    let scope = match &owner.scope {
        Some(scope) => webhooks::Column::Scope.eq(scope.as_str()),
        None => webhooks::Column::Scope.is_null(),
    };
    sea_orm::Condition::all()
        .add(webhooks::Column::Owner.eq(owner.sub.as_str()))
        .add(webhooks::Column::Role.eq(owner.role.as_str()))
        .add(scope)
}

/// The owner's hooks, oldest first.
pub async fn webhooks_of<C: ConnectionTrait>(db: &C, owner: &Owner) -> Result<Vec<Webhook>, StoreError> {
    webhooks::Entity::find()
        .filter(owned_by(owner))
        .order_by_asc(webhooks::Column::CreatedAt)
        .order_by_asc(webhooks::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Webhook::from_row)
        .collect()
}

/// Deletes the owner's hook `id` with its pending deliveries; false when the owner
/// has no such hook.
pub async fn delete_webhook<C: ConnectionTrait>(db: &C, owner: &Owner, id: &str) -> Result<bool, StoreError> {
    let found =
        webhooks::Entity::find().filter(owned_by(owner)).filter(webhooks::Column::Id.eq(id)).one(db).await?;
    if found.is_none() {
        return Ok(false);
    }
    webhook_attempts::Entity::delete_many()
        .filter(webhook_attempts::Column::WebhookId.eq(id))
        .exec(db)
        .await?;
    webhook_deliveries::Entity::delete_many()
        .filter(webhook_deliveries::Column::WebhookId.eq(id))
        .exec(db)
        .await?;
    webhooks::Entity::delete_by_id(id).exec(db).await?;
    Ok(true)
}

/// How a delivery stands, and how one attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not yet delivered; tried again at `next_attempt_at` (an attempt: will be).
    Pending,
    /// A 2xx answer.
    Delivered,
    /// No 2xx answer within 24 hours: given up.
    Failed,
}

impl DeliveryStatus {
    /// The stored name (an attempt's `Pending` reads `RETRYING` in the API).
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Delivered => "DELIVERED",
            DeliveryStatus::Failed => "FAILED",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Failed]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// One attempt at a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// Row id (the list's cursor).
    pub seq: i64,
    /// The delivery's id, the same on every retry.
    pub delivery_id: String,
    /// Which event.
    pub event: EventKind,
    /// 1 for the first.
    pub attempt: i32,
    /// `Pending` when it will be retried.
    pub status: DeliveryStatus,
    /// The receiver's status code, when it answered.
    pub http_status: Option<i32>,
    /// Why it failed, when it did (no answer, refused address, …).
    pub error: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Attempts of hook `webhook_id` after row `after`, oldest first, at most `limit`,
/// and how many there are in all.
pub async fn attempts<C: ConnectionTrait>(
    db: &C,
    webhook_id: &str,
    after: Option<i64>,
    limit: u64,
) -> Result<(Vec<Attempt>, u64), StoreError> {
    use sea_orm::PaginatorTrait;
    let all = webhook_attempts::Entity::find().filter(webhook_attempts::Column::WebhookId.eq(webhook_id));
    let total = all.clone().count(db).await?;
    let mut page = all;
    if let Some(after) = after {
        page = page.filter(webhook_attempts::Column::Id.gt(after));
    }
    let rows = page.order_by_asc(webhook_attempts::Column::Id).limit(limit).all(db).await?;
    let attempts = rows
        .into_iter()
        .map(|row| {
            Ok(Attempt {
                event: EventKind::parse(&row.event).ok_or_else(|| inconsistent("an attempt's event"))?,
                status: DeliveryStatus::parse(&row.status)
                    .ok_or_else(|| inconsistent("an attempt's status"))?,
                seq: row.id,
                delivery_id: row.delivery_id,
                attempt: row.attempt,
                http_status: row.http_status,
                error: row.error,
                at: row.at,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok((attempts, total))
}

/// Makes the deliveries of up to `limit` new events, oldest first, in one
/// transaction: one per hook that subscribed to the event before it happened and
/// whose owner may hear about it. A delivery to a partner's hook names students, so
/// it is written to the disclosure log with it. Returns how many events it took.
pub async fn fan_out(store: &Store, now: DateTime<Utc>, limit: u64, mail: bool) -> Result<usize, StoreError> {
    // A read first: an idle outbox must not take SQLite's write lock twice a second.
    let any = outbox_events::Entity::find()
        .filter(outbox_events::Column::FannedOut.eq(false))
        .limit(1)
        .one(store.db())
        .await?;
    if any.is_none() {
        return Ok(0);
    }
    let txn = store.write().await?;
    let mut pending = outbox_events::Entity::find()
        .filter(outbox_events::Column::FannedOut.eq(false))
        .order_by_asc(outbox_events::Column::OccurredAt)
        .order_by_asc(outbox_events::Column::Id)
        .limit(limit);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Another node fans out other events meanwhile instead of waiting.
        pending = pending.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    let events = pending.all(&txn).await?;
    if events.is_empty() {
        return Ok(0);
    }
    let hooks: Vec<Webhook> = webhooks::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(Webhook::from_row)
        .collect::<Result<_, _>>()?;
    let match_ids: Vec<&str> = events.iter().filter_map(|event| event.match_id.as_deref()).collect();
    let run_ids: Vec<&str> = events.iter().filter_map(|event| event.run_id.as_deref()).collect();
    let parties = match_parties(&txn, &match_ids).await?;
    let run_schools = run_schools(&txn, &run_ids).await?;

    let mut deliveries = Vec::new();
    let mut disclosures = Vec::new();
    for event in &events {
        let Some(kind) = EventKind::parse(&event.event) else { continue };
        let (school, partner, student) = match (&event.match_id, &event.run_id) {
            (Some(id), _) => match parties.get(id) {
                Some((school, partner, student)) => {
                    (Some(school.as_str()), Some(partner.as_str()), Some(student))
                }
                None => (None, None, None),
            },
            (None, Some(id)) => (run_schools.get(id).and_then(|school| school.as_deref()), None, None),
            (None, None) => (None, None, None),
        };
        for hook in &hooks {
            if !hook.events.contains(&kind)
                || hook.created_at > event.occurred_at
                || !hook.may_hear(school, partner)
            {
                continue;
            }
            deliveries.push(webhook_deliveries::ActiveModel {
                id: Set(delivery_id(&event.id, &hook.id)),
                webhook_id: Set(hook.id.clone()),
                event_id: Set(event.id.clone()),
                event: Set(event.event.clone()),
                status: Set(DeliveryStatus::Pending.as_str().to_owned()),
                attempts: Set(0),
                next_attempt_at: Set(now),
                created_at: Set(now),
                lease_owner: Set(None),
                lease_until: Set(None),
            });
            if let (Role::Partner, Some(partner), Some(student)) = (hook.role, partner, student) {
                disclosures.push(Disclosure {
                    id: 0,
                    occurred_at: now,
                    partner_id: partner.to_owned(),
                    actor: format!("PARTNER:{partner}"),
                    student_id: student.clone(),
                    fields: vec!["id".to_owned()],
                    operation: Some(format!("webhook {}", kind.as_str())),
                });
            }
        }
    }
    for chunk in deliveries.chunks(400) {
        webhook_deliveries::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on([webhook_deliveries::Column::Id])
            .exec_without_returning(&txn)
            .await?;
    }
    if mail {
        let (mails, told) = mails_of(&txn, &events, &parties, now).await?;
        for chunk in mails.chunks(400) {
            mail_deliveries::Entity::insert_many(chunk.to_vec())
                .on_conflict_do_nothing_on([mail_deliveries::Column::Id])
                .exec_without_returning(&txn)
                .await?;
        }
        disclosures.extend(told);
    }
    log_disclosures(&txn, &disclosures).await?;
    let ids: Vec<&str> = events.iter().map(|event| event.id.as_str()).collect();
    outbox_events::Entity::update_many()
        .col_expr(outbox_events::Column::FannedOut, Expr::value(true))
        .filter(outbox_events::Column::Id.is_in(ids))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(events.len())
}

/// One per hook per event, the same on every retry.
fn delivery_id(event_id: &str, hook_id: &str) -> String {
    format!("dlv-{}-{}", event_id.trim_start_matches("evt-"), hook_id.trim_start_matches("hook-"))
}

/// Match id → (school, partner, student).
async fn match_parties<C: ConnectionTrait>(
    db: &C,
    ids: &[&str],
) -> Result<HashMap<String, (String, String, String)>, StoreError> {
    let mut found = HashMap::new();
    let distinct: Vec<&str> = ids.iter().copied().collect::<HashSet<_>>().into_iter().collect();
    for chunk in distinct.chunks(2_000) {
        let rows: Vec<(String, String, String)> = matches::Entity::find()
            .select_only()
            .column(matches::Column::Id)
            .column(matches::Column::StudentId)
            .column(matches::Column::OpeningId)
            .filter(matches::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        let student_ids: Vec<&str> = rows.iter().map(|(_, student, _)| student.as_str()).collect();
        let opening_ids: Vec<&str> = rows.iter().map(|(_, _, opening)| opening.as_str()).collect();
        let schools: HashMap<String, String> = students::Entity::find()
            .select_only()
            .column(students::Column::Id)
            .column(students::Column::SchoolId)
            .filter(students::Column::Id.is_in(student_ids))
            .into_tuple::<(String, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let partners: HashMap<String, String> = openings::Entity::find()
            .select_only()
            .column(openings::Column::Id)
            .column(openings::Column::PartnerId)
            .filter(openings::Column::Id.is_in(opening_ids))
            .into_tuple::<(String, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        for (id, student, opening) in rows {
            if let (Some(school), Some(partner)) = (schools.get(&student), partners.get(&opening)) {
                found.insert(id, (school.clone(), partner.clone(), student));
            }
        }
    }
    Ok(found)
}

/// Run id → its school (`None`: district-wide).
async fn run_schools<C: ConnectionTrait>(
    db: &C,
    ids: &[&str],
) -> Result<BTreeMap<String, Option<String>>, StoreError> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let rows: Vec<(String, Option<String>)> = match_runs::Entity::find()
        .select_only()
        .column(match_runs::Column::Id)
        .column(match_runs::Column::SchoolId)
        .filter(match_runs::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// A delivery a dispatcher holds the lease of, with what it sends.
#[derive(Clone, Debug)]
pub struct Due {
    /// The delivery's id (`X-Partnermatch-Delivery`).
    pub id: String,
    /// The hook's id.
    pub webhook_id: String,
    /// Where to POST.
    pub url: String,
    /// Signs the body.
    pub secret: String,
    /// Which event (`X-Partnermatch-Event`).
    pub event: EventKind,
    /// The event's id (the body's `id`).
    pub event_id: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The body's `data`.
    pub data: Value,
    /// This attempt's number, 1 for the first.
    pub attempt: i32,
    /// When the delivery was made (retries end 24 hours later).
    pub created_at: DateTime<Utc>,
}

/// Takes the lease of up to `limit` deliveries due at `now` for `owner` until
/// `now + lease`. Each is taken by one guarded `UPDATE`, so of two nodes only one
/// gets a delivery, on either backend.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    owner: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<Due>, StoreError> {
    use webhook_deliveries::Column as D;
    let free = || sea_orm::Condition::any().add(D::LeaseUntil.is_null()).add(D::LeaseUntil.lt(now));
    let candidates = webhook_deliveries::Entity::find()
        .filter(D::Status.eq(DeliveryStatus::Pending.as_str()))
        .filter(D::NextAttemptAt.lte(now))
        .filter(free())
        .order_by_asc(D::NextAttemptAt)
        .order_by_asc(D::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut due = Vec::new();
    for row in candidates {
        let taken = webhook_deliveries::Entity::update_many()
            .col_expr(D::LeaseOwner, Expr::value(owner))
            .col_expr(D::LeaseUntil, Expr::value(now + lease))
            .filter(D::Id.eq(row.id.as_str()))
            .filter(D::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(free())
            .exec(db)
            .await?;
        if taken.rows_affected != 1 {
            continue;
        }
        let hook = webhooks::Entity::find_by_id(row.webhook_id.as_str()).one(db).await?;
        let event = outbox_events::Entity::find_by_id(row.event_id.as_str()).one(db).await?;
        let (Some(hook), Some(event)) = (hook, event) else { continue };
        due.push(Due {
            id: row.id,
            webhook_id: row.webhook_id,
            url: hook.url,
            secret: hook.secret,
            event: EventKind::parse(&event.event).ok_or_else(|| inconsistent("an event's name"))?,
            event_id: event.id,
            occurred_at: event.occurred_at,
            data: event.data,
            attempt: row.attempts + 1,
            created_at: row.created_at,
        });
    }
    Ok(due)
}

/// How one attempt went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The receiver's status code, when it answered.
    pub http_status: Option<i32>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

impl Outcome {
    /// A 2xx answer.
    pub fn delivered(&self) -> bool {
        self.http_status.is_some_and(|status| (200..300).contains(&status))
    }
}

/// How long deliveries are retried.
pub const RETRY_FOR: Duration = Duration::hours(24);

/// Records attempt `due.attempt` of `due` under `owner`'s lease: delivered, or
/// pending again at `retry_at`, or failed when that is past the 24 hours. Returns
/// the delivery's status, or `None` when the lease was lost meanwhile (nothing is
/// written then: the node that holds it decides).
pub async fn settle(
    store: &Store,
    owner: &str,
    due: &Due,
    outcome: &Outcome,
    retry_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<DeliveryStatus>, StoreError> {
    use webhook_deliveries::Column as D;
    let status = if outcome.delivered() {
        DeliveryStatus::Delivered
    } else if retry_at > due.created_at + RETRY_FOR {
        DeliveryStatus::Failed
    } else {
        DeliveryStatus::Pending
    };
    let txn = store.write().await?;
    let written = webhook_deliveries::Entity::update_many()
        .col_expr(D::Status, Expr::value(status.as_str()))
        .col_expr(D::Attempts, Expr::value(due.attempt))
        .col_expr(D::NextAttemptAt, Expr::value(retry_at))
        .col_expr(D::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(D::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(D::Id.eq(due.id.as_str()))
        .filter(D::LeaseOwner.eq(owner))
        .filter(D::Attempts.eq(due.attempt - 1))
        .exec(&txn)
        .await?;
    if written.rows_affected != 1 {
        return Ok(None);
    }
    let attempt = webhook_attempts::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        delivery_id: Set(due.id.clone()),
        webhook_id: Set(due.webhook_id.clone()),
        event: Set(due.event.as_str().to_owned()),
        attempt: Set(due.attempt),
        status: Set(status.as_str().to_owned()),
        http_status: Set(outcome.http_status),
        error: Set(outcome.error.clone()),
        at: Set(now),
    };
    webhook_attempts::Entity::insert(attempt).exec_without_returning(&txn).await?;
    txn.commit().await?;
    Ok(Some(status))
}

/// Who a mail is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// A guardian of the student.
    Guardian,
    /// The partner's contact.
    Partner,
}

impl Recipient {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Recipient::Guardian => "GUARDIAN",
            Recipient::Partner => "PARTNER",
        }
    }

    fn parse(text: &str) -> Option<Recipient> {
        [Recipient::Guardian, Recipient::Partner].into_iter().find(|r| r.as_str() == text)
    }
}

/// Which sides hear about `kind` by mail: a proposal goes to both, a decision to
/// the other side (both when ADMIN decided for both), the rest to nobody.
fn mailed_sides(kind: EventKind, data: &Value) -> &'static [Recipient] {
    let by = data.get("by").and_then(Value::as_str).unwrap_or("BOTH");
    match (kind, by) {
        (EventKind::MatchProposed, _) => &[Recipient::Guardian, Recipient::Partner],
        (EventKind::MatchAccepted | EventKind::MatchDeclined, "STUDENT") => &[Recipient::Partner],
        (EventKind::MatchAccepted | EventKind::MatchDeclined, "PARTNER") => &[Recipient::Guardian],
        (EventKind::MatchAccepted | EventKind::MatchDeclined, _) => {
            &[Recipient::Guardian, Recipient::Partner]
        }
        _ => &[],
    }
}

/// The mails of `events` (one per guardian with an address and one for the
/// partner's contact, as [`mailed_sides`] says), and the disclosures of those that
/// reach a partner (the student's first name and grade).
async fn mails_of<C: ConnectionTrait>(
    db: &C,
    events: &[outbox_events::Model],
    parties: &HashMap<String, (String, String, String)>,
    now: DateTime<Utc>,
) -> Result<(Vec<mail_deliveries::ActiveModel>, Vec<Disclosure>), StoreError> {
    let mut students = HashSet::new();
    let mut partner_ids = HashSet::new();
    for (_, partner, student) in parties.values() {
        students.insert(student.as_str());
        partner_ids.insert(partner.as_str());
    }
    let mut family: HashMap<String, Vec<guardians::Model>> = HashMap::new();
    let student_list: Vec<&str> = students.into_iter().collect();
    for chunk in student_list.chunks(2_000) {
        let rows = guardians::Entity::find()
            .filter(guardians::Column::StudentId.is_in(chunk.iter().copied()))
            .filter(guardians::Column::Email.is_not_null())
            .order_by_asc(guardians::Column::Id)
            .all(db)
            .await?;
        for row in rows {
            family.entry(row.student_id.clone()).or_default().push(row);
        }
    }
    let partner_list: Vec<&str> = partner_ids.into_iter().collect();
    let mut contacts: HashMap<String, partners::Model> = HashMap::new();
    for chunk in partner_list.chunks(2_000) {
        let rows = partners::Entity::find()
            .filter(partners::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        for row in rows {
            contacts.insert(row.id.clone(), row);
        }
    }
    let mut mails = Vec::new();
    let mut told = Vec::new();
    for event in events {
        let (Some(kind), Some(match_id)) = (EventKind::parse(&event.event), &event.match_id) else {
            continue;
        };
        let Some((_, partner, student)) = parties.get(match_id) else { continue };
        let mut to: Vec<(Recipient, String, String, Option<String>)> = Vec::new();
        for side in mailed_sides(kind, &event.data) {
            match side {
                Recipient::Guardian => {
                    for guardian in family.get(student).into_iter().flatten() {
                        if let Some(email) = &guardian.email {
                            to.push((*side, email.clone(), guardian.name.clone(), guardian.language.clone()));
                        }
                    }
                }
                Recipient::Partner => {
                    if let Some(contact) = contacts.get(partner)
                        && let Some(email) = &contact.contact_email
                    {
                        let name = contact.contact_name.clone().unwrap_or_else(|| contact.name.clone());
                        to.push((*side, email.clone(), name, None));
                        told.push(Disclosure {
                            id: 0,
                            occurred_at: now,
                            partner_id: partner.clone(),
                            actor: format!("PARTNER:{partner}"),
                            student_id: student.clone(),
                            fields: vec!["firstName".to_owned(), "grade".to_owned()],
                            operation: Some(format!("mail {}", kind.as_str())),
                        });
                    }
                }
            }
        }
        for (at, (recipient, address, name, language)) in to.into_iter().enumerate() {
            mails.push(mail_deliveries::ActiveModel {
                id: Set(format!("mail-{}-{}", event.id.trim_start_matches("evt-"), at + 1)),
                event_id: Set(event.id.clone()),
                event: Set(event.event.clone()),
                match_id: Set(match_id.clone()),
                recipient: Set(recipient.as_str().to_owned()),
                to_address: Set(address),
                to_name: Set(name),
                language: Set(language),
                status: Set(DeliveryStatus::Pending.as_str().to_owned()),
                attempts: Set(0),
                error: Set(None),
                next_attempt_at: Set(now),
                created_at: Set(now),
                lease_owner: Set(None),
                lease_until: Set(None),
            });
        }
    }
    Ok((mails, told))
}

/// A mail a dispatcher holds the lease of.
#[derive(Clone, Debug)]
pub struct MailDue {
    /// The mail's id.
    pub id: String,
    /// Which event.
    pub event: EventKind,
    /// The event's data (`by`, `status`).
    pub data: Value,
    /// The match it is about.
    pub match_id: String,
    /// Guardian or partner.
    pub recipient: Recipient,
    /// The address.
    pub to_address: String,
    /// The name.
    pub to_name: String,
    /// The guardian's language, when the service has it.
    pub language: Option<String>,
    /// This attempt's number, 1 for the first.
    pub attempt: i32,
    /// When it was made (retries end 24 hours later).
    pub created_at: DateTime<Utc>,
}

/// Takes the lease of up to `limit` mails due at `now`, like [`claim`].
pub async fn claim_mail<C: ConnectionTrait>(
    db: &C,
    owner: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<MailDue>, StoreError> {
    use mail_deliveries::Column as M;
    let free = || sea_orm::Condition::any().add(M::LeaseUntil.is_null()).add(M::LeaseUntil.lt(now));
    let candidates = mail_deliveries::Entity::find()
        .filter(M::Status.eq(DeliveryStatus::Pending.as_str()))
        .filter(M::NextAttemptAt.lte(now))
        .filter(free())
        .order_by_asc(M::NextAttemptAt)
        .order_by_asc(M::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut due = Vec::new();
    for row in candidates {
        let taken = mail_deliveries::Entity::update_many()
            .col_expr(M::LeaseOwner, Expr::value(owner))
            .col_expr(M::LeaseUntil, Expr::value(now + lease))
            .filter(M::Id.eq(row.id.as_str()))
            .filter(M::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(free())
            .exec(db)
            .await?;
        if taken.rows_affected != 1 {
            continue;
        }
        let Some(event) = outbox_events::Entity::find_by_id(row.event_id.as_str()).one(db).await? else {
            continue;
        };
        due.push(MailDue {
            event: EventKind::parse(&row.event).ok_or_else(|| inconsistent("a mail's event"))?,
            recipient: Recipient::parse(&row.recipient).ok_or_else(|| inconsistent("a mail's recipient"))?,
            data: event.data,
            id: row.id,
            match_id: row.match_id,
            to_address: row.to_address,
            to_name: row.to_name,
            language: row.language,
            attempt: row.attempts + 1,
            created_at: row.created_at,
        });
    }
    Ok(due)
}

/// Records attempt `due.attempt` of a mail under `owner`'s lease: sent (`error`
/// `None`), pending again at `retry_at`, or failed past the 24 hours; `None` when
/// the lease was lost meanwhile.
pub async fn settle_mail(
    store: &Store,
    owner: &str,
    due: &MailDue,
    error: Option<&str>,
    retry_at: DateTime<Utc>,
) -> Result<Option<DeliveryStatus>, StoreError> {
    use mail_deliveries::Column as M;
    let status = match error {
        None => DeliveryStatus::Delivered,
        Some(_) if retry_at > due.created_at + RETRY_FOR => DeliveryStatus::Failed,
        Some(_) => DeliveryStatus::Pending,
    };
    let written = mail_deliveries::Entity::update_many()
        .col_expr(M::Status, Expr::value(status.as_str()))
        .col_expr(M::Attempts, Expr::value(due.attempt))
        .col_expr(M::Error, Expr::value(error.map(str::to_owned)))
        .col_expr(M::NextAttemptAt, Expr::value(retry_at))
        .col_expr(M::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(M::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(M::Id.eq(due.id.as_str()))
        .filter(M::LeaseOwner.eq(owner))
        .filter(M::Attempts.eq(due.attempt - 1))
        .exec(store.db())
        .await?;
    Ok((written.rows_affected == 1).then_some(status))
}
