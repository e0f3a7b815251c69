//! Fresh databases for tests: always an SQLite file in a temporary directory, and a
//! fresh PostgreSQL database when `PARTNERMATCH_TEST_POSTGRES` names a server
//! (`.ci/run` starts one). No mocks: every storage test runs on the real engines.

use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::{ConnectionTrait, Database};
use store::{Location, Store};

/// A store on a database of its own, dropped with the value (SQLite) or left in the
/// throwaway cluster (PostgreSQL).
pub struct TestDb {
    pub store: Store,
    pub name: &'static str,
    /// Where it is, for a second process to open.
    pub location: Location,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// The same database, its store judging "today" in `zone`.
    pub fn in_zone(self, zone: store::clock::Zone) -> TestDb {
        TestDb { store: self.store.in_zone(zone), ..self }
    }
}

/// An empty, migrated SQLite database in a temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary directory");
    let location = Location::default_in(dir.path());
    let store = Store::open(&location).await.expect("open SQLite");
    TestDb { store, name: "sqlite", location, _dir: Some(dir) }
}

/// The URL of a fresh, empty PostgreSQL database, when a server is configured.
pub async fn postgres_url() -> Option<String> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::var("PARTNERMATCH_TEST_POSTGRES").ok().filter(|url| !url.is_empty())?;
    let name = format!(
        "pm_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let admin = Database::connect(base.as_str()).await.expect("PARTNERMATCH_TEST_POSTGRES is not reachable");
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
    admin.close().await.expect("close");
    let (server, _) = base.rsplit_once('/').expect("URL with a database name");
    Some(format!("{server}/{name}"))
}

/// An empty, migrated PostgreSQL database, when a server is configured.
pub async fn postgres() -> Option<TestDb> {
    let url = postgres_url().await?;
    let location = Location::Postgres(url);
    let store = Store::open(&location).await.expect("open PostgreSQL");
    Some(TestDb { store, name: "postgres", location, _dir: None })
}

/// One fresh database per available backend: SQLite, then PostgreSQL if configured.
pub async fn backends() -> Vec<TestDb> {
    let mut all = vec![sqlite().await];
    all.extend(postgres().await);
    all
}
