//! What can go wrong in storage, typed so the API can map it once.

use std::ops::Deref;

use sea_orm::{DbErr, RuntimeErr};

/// Which kind of constraint the database enforced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstraintKind {
    /// A primary key or unique index.
    Unique,
    /// A reference to a row that does not exist (or a delete of a referenced row).
    ForeignKey,
    /// A CHECK constraint (capacity ≥ 1, grade 0–12, …).
    Check,
    /// A required column left empty.
    NotNull,
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named record does not exist.
    #[error("{entity} {id} does not exist")]
    NotFound {
        /// Which kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// The change lost a race or contradicts the current state (slot taken, status
    /// moved on, pair already matched).
    #[error("{0}")]
    Conflict(String),
    /// A record breaks a rule; `field` is its path inside the record.
    #[error("{field}: {message}")]
    Invalid {
        /// Where, as `availability[0]`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The database refused a change by one of its constraints; `constraint` is the
    /// schema's own name for it (never the SQL text).
    #[error("the change breaks the {kind:?} constraint {constraint}")]
    Constraint {
        /// Which kind.
        kind: ConstraintKind,
        /// The constraint or index name, or the table when the backend does not say.
        constraint: String,
    },
    /// The database could not be opened.
    #[error("{0}")]
    Connect(String),
    /// Anything else the database reported: not the caller's fault.
    #[error("database error")]
    Database(#[source] DbErr),
}

impl StoreError {
    /// A record that does not exist.
    pub fn not_found(entity: &'static str, id: impl Into<String>) -> StoreError {
        StoreError::NotFound { entity, id: id.into() }
    }

    /// A field that breaks a rule.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> StoreError {
        StoreError::Invalid { field: field.into(), message: message.into() }
    }
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> StoreError {
        match constraint_of(&err) {
            Some((kind, constraint)) => StoreError::Constraint { kind, constraint },
            None => StoreError::Database(err),
        }
    }
}

/// Classifies a constraint violation by the backend's error code: SQLSTATE on
/// PostgreSQL, extended result codes on SQLite.
fn constraint_of(err: &DbErr) -> Option<(ConstraintKind, String)> {
    let (DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx))) = err else {
        return None;
    };
    let sea_orm::sqlx::Error::Database(db) = sqlx.deref() else {
        return None;
    };
    let code = db.code().unwrap_or_default();
    let kind = match code.deref() {
        "23505" | "1555" | "2067" => ConstraintKind::Unique,
        "23503" | "787" => ConstraintKind::ForeignKey,
        "23514" | "275" => ConstraintKind::Check,
        "23502" | "1299" => ConstraintKind::NotNull,
        _ => return None,
    };
    let name = db.constraint().map(str::to_owned).unwrap_or_else(|| sqlite_constraint_name(db.message()));
    Some((kind, name))
}

/// SQLite says `CHECK constraint failed: opening_capacity` or
/// `UNIQUE constraint failed: matches.student_id, matches.opening_id`: keep the part
/// after the colon, which names our schema, not the statement.
fn sqlite_constraint_name(message: &str) -> String {
    match message.split_once(": ") {
        Some((_, name)) => name.trim().to_owned(),
        None => "unknown".to_owned(),
    }
}
