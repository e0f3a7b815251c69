//! A node killed in the middle of committing a match run: its transaction never
//! lands (no match of the run, no slot taken), the run stays RUNNING until its
//! lease lapses, then it is FAILED and its scope can run again. The kill is made
//! deterministic by a trigger that stalls the commit's insert of one match, so the
//! process dies with the run's status, the slots and some matches already written
//! inside the open transaction.

use std::net::SocketAddr;
use std::process::Child;
use std::time::Duration;

use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use store::entity::matches as match_rows;
use store::records::RunStatus;
use store::{Location, read, runs};

use crate::db::{TestDb, backends};
use crate::gql::{admin, no_errors};
use crate::http::{TestServer, request, serve_binary};
use crate::matching_api::district;

/// The child's lease: short, so the test does not wait long for it to lapse.
const CHILD_LEASE_SECONDS: &str = "2";

/// A server in a process of its own over `location`, and where it listens.
fn spawn_server(location: &Location) -> (Child, SocketAddr) {
    let url = match location {
        Location::Sqlite(path) => format!("sqlite://{}", path.display()),
        Location::Postgres(url) => url.clone(),
    };
    serve_binary(&["--run-lease-seconds", CHILD_LEASE_SECONDS, "--database-url", &url])
}

/// Stalls the commit's insert of match `…-2` for seconds: SQLite has no sleep, so
/// its trigger counts a large cross join; PostgreSQL sleeps.
async fn stall_commits(db: &TestDb) {
    let conn = db.store.db();
    let statements: &[&str] = match conn.get_database_backend() {
        DbBackend::Sqlite => &[
            "CREATE TABLE burn (x INTEGER)",
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 400) \
             INSERT INTO burn SELECT x FROM n",
            "CREATE TRIGGER stall AFTER INSERT ON matches WHEN NEW.id LIKE '%-2' BEGIN \
             SELECT count(*) FROM burn a, burn b, burn c WHERE a.x + b.x + c.x < 0; END",
        ],
        _ => &[
            "CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$",
            "CREATE TRIGGER stall BEFORE INSERT ON matches FOR EACH ROW \
             WHEN (NEW.id LIKE '%-2') EXECUTE FUNCTION stall()",
        ],
    };
    for statement in statements {
        conn.execute_unprepared(statement).await.unwrap();
    }
}

async fn unstall(db: &TestDb) {
    let statement = match db.store.db().get_database_backend() {
        DbBackend::Sqlite => "DROP TRIGGER stall",
        _ => "DROP TRIGGER stall ON matches",
    };
    db.store.db().execute_unprepared(statement).await.unwrap();
}

const COMMIT_RUN: &str =
    r#"mutation { runMatching(input: {schoolId: "sch-1", kinds: [TUTORING], dryRun: false}) { id status } }"#;

#[tokio::test]
async fn a_node_killed_while_committing_leaves_no_match_and_its_scope_recovers() {
    for db in backends().await {
        district(&db, 40, 30).await;
        stall_commits(&db).await;
        let (mut child, addr) = spawn_server(&db.location);
        let bearer = format!("Bearer {}", admin());
        let body = serde_json::to_vec(&json!({ "query": COMMIT_RUN })).unwrap();
        let headers = [("Content-Type", "application/json"), ("Authorization", bearer.as_str())];
        let reply = request(addr, "POST", "/graphql", &headers, &body).await.json();
        no_errors(&reply);
        let run_id = reply["data"]["runMatching"]["id"].as_str().unwrap().to_owned();

        // Wait until the node is inside the commit, then kill it without warning.
        let conn = db.store.db();
        let mut committing = false;
        for _ in 0..600 {
            let run = runs::get(conn, &run_id).await.unwrap().unwrap();
            assert_eq!(run.status, RunStatus::Running, "{}: the stalled commit finished: {run:?}", db.name);
            if run.phase == store::records::RunPhase::Committing {
                committing = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(committing, "{}: the run never reached its commit", db.name);
        tokio::time::sleep(Duration::from_millis(300)).await;
        child.kill().unwrap();
        child.wait().unwrap();

        // Nothing of the commit landed; the run is still RUNNING with a lapsing lease.
        let of_run = || match_rows::Entity::find().filter(match_rows::Column::RunId.eq(run_id.as_str()));
        assert_eq!(of_run().count(conn).await.unwrap(), 0, "{}: no match of the killed run", db.name);
        assert_eq!(read::opening(conn, "o-1").await.unwrap().filled, 0, "{}: no slot taken", db.name);
        let run = runs::get(conn, &run_id).await.unwrap().unwrap();
        assert_eq!(run.status, RunStatus::Running);
        unstall(&db).await;

        // Once the lease has lapsed, the scope runs again and the dead run is FAILED.
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        let name = db.name;
        let server = TestServer::start(db, false).await;
        let again = server.run_matching(&admin(), COMMIT_RUN).await;
        no_errors(&again);
        let new_id = again["data"]["runMatching"]["id"].as_str().unwrap().to_owned();
        assert_eq!(again["data"]["runMatching"]["status"], "SUCCEEDED", "{name}: {again}");
        let conn = server.db.store.db();
        let dead = runs::get(conn, &run_id).await.unwrap().unwrap();
        assert_eq!(dead.status, RunStatus::Failed, "{name}");
        let written = match_rows::Entity::find()
            .filter(match_rows::Column::RunId.eq(new_id.as_str()))
            .count(conn)
            .await
            .unwrap();
        assert_eq!(written, 30, "{name}: the new run filled every slot");
        assert_eq!(of_run().count(conn).await.unwrap(), 0);
        server.stop().await;
    }
}
