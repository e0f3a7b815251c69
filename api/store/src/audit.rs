//! Reading the audit log back: every write is recorded (who, what record, what
//! changed, when) by [`crate::write::audit`] in the write's own transaction; this
//! module lists the entries, for ADMIN, and a match's history, for its parties.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::StoreError;
use crate::entity::audit_log;
use crate::people::Listed;
use crate::records::Match;

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    /// Its place in the log: later entries have larger ids.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who, as `role:scope` (or `cli` for the command line).
    pub actor: String,
    /// What was done (`create`, `update`, `propose`, `accept`, `set_status`, …).
    pub action: String,
    /// Which kind of record (`match`, `opening`, …).
    pub entity: String,
    /// Which record.
    pub entity_id: String,
    /// What changed, as the write described it.
    pub detail: Option<serde_json::Value>,
}

/// Which entries `list` returns; every condition given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Entries about this kind of record.
    pub entity: Option<String>,
    /// Entries about this record.
    pub entity_id: Option<String>,
    /// Entries by this actor.
    pub actor: Option<String>,
    /// Entries at or after this instant.
    pub since: Option<DateTime<Utc>>,
}

/// One page of the log, oldest first: at most `limit` entries after the id `after`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &AuditFilter,
    after: Option<i64>,
    limit: u64,
) -> Result<Listed<AuditEntry>, StoreError> {
    let mut condition = Condition::all();
    if let Some(entity) = &filter.entity {
        condition = condition.add(audit_log::Column::Entity.eq(entity.as_str()));
    }
    if let Some(id) = &filter.entity_id {
        condition = condition.add(audit_log::Column::EntityId.eq(id.as_str()));
    }
    if let Some(actor) = &filter.actor {
        condition = condition.add(audit_log::Column::Actor.eq(actor.as_str()));
    }
    if let Some(since) = filter.since {
        condition = condition.add(audit_log::Column::OccurredAt.gte(since));
    }
    let total = audit_log::Entity::find().filter(condition.clone()).count(db).await?;
    let mut page =
        audit_log::Entity::find().filter(condition).order_by_asc(audit_log::Column::Id).limit(limit);
    if let Some(after) = after {
        page = page.filter(audit_log::Column::Id.gt(after));
    }
    let rows = page.all(db).await?.into_iter().map(entry).collect();
    Ok(Listed { rows, total })
}

/// What happened to `found`, oldest first: its proposal (by a counselor, or by the
/// run that wrote it, whose one entry names the run) and every answer, status
/// change and cleared decline since.
pub async fn history<C: ConnectionTrait>(db: &C, found: &Match) -> Result<Vec<AuditEntry>, StoreError> {
    let about = |column: audit_log::Column| Expr::col((audit_log::Entity, column));
    let mut condition = Condition::any().add(
        Condition::all()
            .add(about(audit_log::Column::Entity).eq("match"))
            .add(about(audit_log::Column::EntityId).eq(found.id.as_str())),
    );
    if let Some(run) = &found.run_id {
        condition = condition.add(
            Condition::all()
                .add(about(audit_log::Column::Entity).eq("match"))
                .add(about(audit_log::Column::EntityId).eq(run.as_str()))
                .add(about(audit_log::Column::Action).eq("propose")),
        );
    }
    let rows =
        audit_log::Entity::find().filter(condition).order_by_asc(audit_log::Column::Id).all(db).await?;
    Ok(rows.into_iter().map(entry).collect())
}

fn entry(row: audit_log::Model) -> AuditEntry {
    AuditEntry {
        id: row.id,
        at: row.occurred_at,
        actor: row.actor,
        action: row.action,
        entity: row.entity,
        entity_id: row.entity_id,
        detail: row.detail,
    }
}
