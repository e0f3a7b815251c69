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

/// Why a change contradicts what is stored: typed, so callers (and tests) tell the
/// cases apart without reading messages, and the message names the records.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// A record with this id exists already.
    #[error("{entity} {id} already exists")]
    Taken {
        /// Which kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// One of the records written reuses an id (which one, the database does not say).
    #[error("a {entity} with that id already exists")]
    IdReused {
        /// Which kind of record.
        entity: &'static str,
    },
    /// Every slot of the opening is held.
    #[error("opening {opening} has no free slot")]
    NoFreeSlot {
        /// The opening.
        opening: String,
    },
    /// The student declined this opening before.
    #[error("student {student} declined opening {opening} before")]
    Declined {
        /// The student.
        student: String,
        /// The opening.
        opening: String,
    },
    /// The student already holds an open match to the opening, or of its kind.
    #[error("a student already holds an open match to that opening or of that kind")]
    AlreadyMatched,
    /// An open match of the kind already fills the student's need.
    #[error("the student already holds an open {kind} match")]
    NeedFilled {
        /// The need's kind.
        kind: matcher::model::Kind,
    },
    /// The lifecycle does not allow this step.
    #[error("match {id} cannot go from {from} to {to}")]
    Transition {
        /// The match.
        id: String,
        /// Its status.
        from: crate::records::MatchStatus,
        /// The status asked for.
        to: crate::records::MatchStatus,
    },
    /// Someone else changed the record since it was read.
    #[error("{entity} {id} changed since it was read")]
    Stale {
        /// Which kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// A seed (the demo, a generated district) meets a database that holds one.
    #[error("the database already holds a district; {what} is seeded only into an empty one")]
    NotEmpty {
        /// What was to be seeded.
        what: &'static str,
    },
    /// Another run of the same scope is under way.
    #[error("a match run of this scope is already under way{}", running.as_ref().map(|id| format!(" ({id})")).unwrap_or_default())]
    RunUnderWay {
        /// That run, when it could be read.
        running: Option<String>,
    },
    /// The run has ended already.
    #[error("match run {id} has already ended ({status})")]
    RunEnded {
        /// The run.
        id: String,
        /// How it ended.
        status: crate::records::RunStatus,
    },
    /// The run was cancelled while it worked.
    #[error("match run {id} was cancelled")]
    RunCancelled {
        /// The run.
        id: String,
    },
    /// This node no longer holds the run's lease.
    #[error("match run {id} is not running on this node")]
    LeaseLost {
        /// The run.
        id: String,
    },
    /// A match the run would write fails a date-dependent constraint today.
    #[error(
        "the match of student {student} to opening {opening} can no longer be made: {why}{}; nothing was \
         written: run it again to match on today's records",
        match more { 0 => String::new(), n => format!(" (and {n} more)") }
    )]
    Lapsed {
        /// The student of the first such match.
        student: String,
        /// Its opening.
        opening: String,
        /// Why, in words.
        why: String,
        /// How many more matches fail.
        more: usize,
    },
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
    /// The change lost a race or contradicts the current state: which record, which
    /// rule.
    #[error(transparent)]
    Conflict(#[from] Conflict),
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
    /// An import file breaks rules: every bad row, sorted by row then column.
    /// Nothing was written.
    #[error("{}", crate::import::summary(.0))]
    Rows(Vec<crate::import::RowError>),
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

    /// Something stored that does not read back as its type: the database's fault,
    /// never the caller's.
    pub fn unreadable(what: impl std::fmt::Display) -> StoreError {
        StoreError::Database(DbErr::Custom(format!("{what} does not read")))
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
