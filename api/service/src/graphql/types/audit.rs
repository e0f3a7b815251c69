//! `AuditEvent` and its filter: every write, for ADMIN.

use async_graphql::{ID, InputObject, Json, SimpleObject};
use chrono::{DateTime, Utc};
use store::audit::AuditEntry;

/// One write: who changed which record, what, when.
#[derive(Clone, Debug, SimpleObject)]
pub struct AuditEvent {
    /// Its place in the log: later writes have larger ids.
    pub id: ID,
    /// When.
    pub at: DateTime<Utc>,
    /// Who, as `role:scope` (`cli` for the command line).
    pub actor: String,
    /// Which kind of record (`match`, `opening`, `student`, …).
    pub entity: String,
    /// Which record (`csv` for a whole import).
    pub entity_id: String,
    /// What was done (`create`, `update`, `import`, `propose`, `accept`, `set_status`, …).
    pub action: String,
    /// What changed, as the write recorded it (`{"from": …, "to": …}`, the fields
    /// an edit changed, the rows of an import); null where it recorded nothing more.
    pub changes: Option<Json<serde_json::Value>>,
}

impl From<AuditEntry> for AuditEvent {
    fn from(entry: AuditEntry) -> AuditEvent {
        AuditEvent {
            id: ID(entry.id.to_string()),
            at: entry.at,
            actor: entry.actor,
            entity: entry.entity,
            entity_id: entry.entity_id,
            action: entry.action,
            changes: entry.detail.map(Json),
        }
    }
}

/// Which writes `auditLog` lists; every condition given must hold.
#[derive(Clone, Debug, Default, InputObject)]
pub struct AuditFilter {
    /// Writes to this kind of record.
    pub entity: Option<String>,
    /// Writes to this record.
    pub entity_id: Option<ID>,
    /// Writes by this actor (`counselor:sch-1`).
    pub actor: Option<String>,
    /// Writes at or after this instant.
    pub since: Option<DateTime<Utc>>,
}
