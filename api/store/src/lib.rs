//! Persistence: the database behind the service. SQLite by default (a file in the
//! data directory), PostgreSQL when the URL says so; the same migrations and the same
//! queries run on both.
//!
//! - [`entity`]: sea-orm entities, one per table.
//! - [`audit`]: the audit log read back: every write, and a match's history.
//! - [`records`]: the domain records the rest of the crate reads and writes.
//! - [`write`]: validated writes of records, in the caller's transaction.
//! - [`read`]: records back, a fixed number of queries per call.
//! - [`scope`]: loading a scope of records into the matcher's instance.
//! - [`matches`]: taking slots for matches and moving them through their lifecycle,
//!   guarded against racing writers.
//! - [`runs`]: match runs, and storing a run's result atomically.
//! - [`safety`]: the date-dependent constraints, judged again on today before a match
//!   is written or goes ahead.
//! - [`strand`]: which open matches an edit of an opening or a student would strand.
//! - [`clock`]: "today" in the district's time zone.
//! - [`catalog`]: partner and opening lists with their filters (the API's reads).
//! - [`people`]: school and student lists, consent, the disclosure log.
//! - [`report`]: feedback and the report's aggregates.
//! - [`suggest`]: one student's suggestions and need report, without the catalog.
//! - [`import`]: CSV files of students, partners and openings, all rows or none.
//! - [`order`]: the order of a list and where a page of it starts.
//! - [`geo`]: the one lat/lon box, the database's first cut before exact distances.
//! - [`text`]: the rules for text a user types (shared with the API).
//! - [`laps`]: where a long write spends its time, for the log.

pub mod audit;
mod bulk;
pub mod catalog;
pub mod clock;
pub mod entity;
pub mod error;
pub mod geo;
pub mod import;
pub mod laps;
pub mod matches;
pub mod notify;
pub mod order;
pub mod people;
pub mod read;
pub mod records;
pub mod report;
pub mod runs;
pub mod safety;
pub mod scope;
pub mod strand;
pub mod suggest;
pub mod text;
pub mod waitlist;
pub mod write;

use std::path::{Path, PathBuf};
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

pub use error::{Conflict, ConstraintKind, StoreError};

/// What every store function runs on: the pool ([`Store::db`]) or a transaction
/// ([`Store::write`]). Callers name this, never the ORM beneath it.
pub trait Db: sea_orm::ConnectionTrait + Sync {}

impl<T: sea_orm::ConnectionTrait + Sync> Db for T {}

/// A write transaction: commit it, or drop it to write nothing.
pub type Transaction = DatabaseTransaction;

/// The pool itself.
pub type Pool = DatabaseConnection;

/// The file name of the default SQLite database inside the data directory.
pub const SQLITE_FILE: &str = "partnermatch.sqlite3";

/// Where the database lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file (created, with its directory, when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL URL, `postgres://…`.
    Postgres(String),
}

impl Location {
    /// Reads a `PARTNERMATCH_DATABASE_URL`: `postgres://…`, `postgresql://…` or
    /// `sqlite://PATH` / `sqlite:PATH`; anything else is refused rather than guessed.
    pub fn parse(url: &str) -> Result<Location, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Location::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let path = path.split('?').next().unwrap_or_default();
            if !path.is_empty() && path != ":memory:" {
                return Ok(Location::Sqlite(PathBuf::from(path)));
            }
        }
        Err(StoreError::Connect(format!(
            "unsupported database URL (expected postgres://… or sqlite://FILE): {}",
            redact(url)
        )))
    }

    /// The default: `partnermatch.sqlite3` in `data_dir`.
    pub fn default_in(data_dir: &Path) -> Location {
        Location::Sqlite(data_dir.join(SQLITE_FILE))
    }
}

/// A URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

/// The connection pool, migrated to the latest schema.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    zone: clock::Zone,
}

impl Store {
    /// The same store, judging "today" in `zone`.
    pub fn in_zone(self, zone: clock::Zone) -> Store {
        Store { zone, ..self }
    }

    /// The date at `now` where the district is.
    pub fn today(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        self.zone.today(now)
    }

    /// Opens (creating when needed) the database and applies pending migrations.
    pub async fn open(location: &Location) -> Result<Store, StoreError> {
        let mut options = match location {
            Location::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|err| {
                        StoreError::Connect(format!("cannot create {}: {err}", dir.display()))
                    })?;
                }
                let mut options = ConnectOptions::new(format!("sqlite://{}", path.display()));
                // Per connection: SQLite enforces foreign keys only when asked, and WAL
                // lets readers go on while one writer commits.
                options.map_sqlx_sqlite_opts(|opts| {
                    opts.create_if_missing(true)
                        .foreign_keys(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(Duration::from_secs(10))
                });
                options.max_connections(8);
                options
            }
            Location::Postgres(url) => {
                let mut options = ConnectOptions::new(url.clone());
                // The planner's JIT compiles a district-sized read for a third of a
                // second and a suggestion's candidate query for tens of milliseconds,
                // more than it saves on either: these are short queries, not analytics.
                options.map_sqlx_postgres_opts(|opts| opts.options([("jit", "off")]));
                options.max_connections(16);
                options
            }
        };
        // The pool pings a connection before handing it out unless told otherwise: one
        // more round trip per statement, a third of a short read's time. A connection
        // idle for less than half a minute is taken as alive; a dead one fails its
        // statement, which the caller sees as any database error.
        options
            .sqlx_logging(false)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire_if_idle_for(Duration::from_secs(30));
        let db = match sea_orm::Database::connect(options).await {
            Ok(db) => db,
            Err(err) => {
                // The pool says only that it timed out; one direct attempt says why.
                let cause = match location {
                    Location::Postgres(url) => postgres_cause(url).await,
                    Location::Sqlite(_) => None,
                };
                let said = cause.unwrap_or_else(|| err.to_string());
                return Err(StoreError::Connect(format!("cannot open the database: {}", redact(&said))));
            }
        };
        Migrator::up(&db, None).await.map_err(StoreError::from)?;
        Ok(Store { db, zone: clock::Zone::default() })
    }

    /// A store over a connection of an already opened (so migrated) store; tests use
    /// it to count statements through a clone carrying a metric callback.
    pub fn over_migrated(db: DatabaseConnection) -> Store {
        Store { db, zone: clock::Zone::default() }
    }

    /// The pool, for queries and transactions.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Starts a transaction that will write: see [`begin_write`].
    pub async fn write(&self) -> Result<DatabaseTransaction, StoreError> {
        begin_write(&self.db).await
    }

    /// Which SQL dialect this store speaks.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Refreshes the planner's statistics after a bulk load (PostgreSQL only: there a
    /// freshly filled table has none until autovacuum comes by; SQLite is left alone,
    /// where statistics made suggestions slower, not faster).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        if self.backend() == DbBackend::Postgres {
            self.db.execute_unprepared("ANALYZE").await?;
        }
        Ok(())
    }

    /// Checks that the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(StoreError::from)
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await.map_err(StoreError::from)
    }
}

/// Why a PostgreSQL server cannot be reached (connection refused, unknown host,
/// password refused …), from one direct connection attempt; `None` when it can.
async fn postgres_cause(url: &str) -> Option<String> {
    use sea_orm::sqlx::Connection;
    let attempt = sea_orm::sqlx::PgConnection::connect(url);
    match tokio::time::timeout(Duration::from_secs(5), attempt).await {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            None
        }
        Ok(Err(err)) => Some(err.to_string()),
        Err(_) => Some("the server did not answer within 5 s".to_owned()),
    }
}

/// Starts a transaction that will write. On SQLite it takes the write lock at
/// `BEGIN` (IMMEDIATE): a deferred transaction that reads first and writes later can
/// fail at once with "database is locked" when another writer committed in between,
/// where an immediate one just waits its turn. PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, StoreError> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    db.begin_with_options(options).await.map_err(StoreError::from)
}

/// A fresh record id: `prefix-YYYYMMDDhhmmss-<8 hex>`. Ids sort by creation time,
/// and the random part (the OS generator) keeps ids made on different nodes in the
/// same second apart.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}-{}", chrono::Utc::now().format("%Y%m%d%H%M%S"), random_hex(4))
}

/// `bytes` random bytes as hex.
pub fn random_hex(bytes: usize) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut random = vec![0u8; bytes];
    if getrandom::getrandom(&mut random).is_err() {
        // No OS randomness: the clock and a counter still keep this process's ids apart.
        let nanos = chrono::Utc::now().timestamp_subsec_nanos() as u64;
        let mixed = nanos ^ COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed).rotate_left(32);
        for (at, byte) in random.iter_mut().enumerate() {
            *byte = (mixed >> ((at % 8) * 8)) as u8;
        }
    }
    random.iter().map(|byte| format!("{byte:02x}")).collect()
}
