//! A real district from nothing, as README "Your own district" walks it: the real
//! binary imports the shipped example CSVs into an empty data directory (parents
//! first), or an empty PostgreSQL database when one is configured, serves them, and
//! a counselor's committed run proposes matches. Then the rules around it:
//! `createDistrict`, `districts`, and `serve --demo` refusing a database that holds
//! another district.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::db::{backends, postgres_url};
use crate::gql::{admin, code, counselor, no_errors, partner};
use crate::http::{TestServer, query_at, serve_binary, settled};

/// Runs the real `partnermatch` with `args`; its status code and what it printed.
fn partnermatch(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_partnermatch"))
        .args(args)
        .env_remove("PARTNERMATCH_DATABASE_URL")
        .output()
        .expect("run partnermatch");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (output.status.code(), text(output.stdout), text(output.stderr))
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name).to_str().unwrap().to_owned()
}

/// The README's order: each file's parents come before it.
const WALKTHROUGH: [(&str, &str); 6] = [
    ("districts", "districts.csv"),
    ("schools", "schools.csv"),
    ("partners", "partners.csv"),
    ("agreements", "agreements.csv"),
    ("openings", "openings.csv"),
    ("students", "students.csv"),
];

#[tokio::test]
async fn your_own_district_from_an_empty_directory_to_a_committed_run() {
    let scratch = tempfile::tempdir().unwrap();
    let data = scratch.path().join("data").to_str().unwrap().to_owned();
    let mut places = vec![vec!["--data-dir".to_owned(), data]];
    if let Some(url) = postgres_url().await {
        places.push(vec!["--database-url".to_owned(), url]);
    }
    for place in places {
        let place: Vec<&str> = place.iter().map(String::as_str).collect();
        walk_through(scratch.path(), &place).await;
    }
}

/// The README's walk through on the database `place` names (`--data-dir …` or
/// `--database-url …`).
async fn walk_through(scratch: &Path, place: &[&str]) {
    for (table, file) in WALKTHROUGH {
        let (status, stdout, stderr) = partnermatch(&[&["import", table, &example(file)], place].concat());
        assert_eq!(status, Some(0), "import {table} {place:?}: {stderr}");
        assert!(stdout.contains("created"), "import {table}: {stdout}");
    }
    // Out of order, a file whose parents are missing is refused whole, naming the row.
    let other = scratch.join("other");
    let (status, _, stderr) = partnermatch(&[
        "import",
        "students",
        &example("students.csv"),
        "--data-dir",
        other.to_str().unwrap(),
    ]);
    assert_eq!(status, Some(2), "{stderr}");
    assert!(stderr.contains("row 2, column schoolId"), "{stderr}");

    let (mut child, addr) = serve_binary(place);
    let districts = query_at(addr, &admin(), "{ districts { id name schools { id } } }").await;
    no_errors(&districts);
    assert_eq!(districts["data"]["districts"][0]["id"], "d-lakeview", "{districts}");
    assert_eq!(districts["data"]["districts"][0]["schools"].as_array().unwrap().len(), 2);
    let run = "mutation { runMatching(input: {dryRun: false}) { id status error stats { needs matched } } }";
    let sch1 = counselor("sch-1");
    let committed = query_at(addr, &sch1, run).await;
    let committed = settled(committed, run, async |query: String| query_at(addr, &sch1, &query).await).await;
    no_errors(&committed);
    let node = &committed["data"]["runMatching"];
    assert_eq!(node["status"], "SUCCEEDED", "{place:?}: {committed}");
    assert!(node["stats"]["matched"].as_u64() > Some(0), "{committed}");
    let proposed =
        query_at(addr, &counselor("sch-1"), "{ matches(filter: {status: [PROPOSED]}) { totalCount } }").await;
    assert_eq!(proposed["data"]["matches"]["totalCount"], node["stats"]["matched"], "{proposed}");
    let _ = child.kill();
    let _ = child.wait();

    // `serve --demo` on this database refuses to mix the demo into it.
    let (status, _, stderr) = partnermatch(&[&["serve", "--demo", "--bind", "127.0.0.1:0"], place].concat());
    assert_eq!(status, Some(2), "{stderr}");
    assert!(stderr.contains("d-lakeview"), "{stderr}");
}

#[tokio::test]
async fn a_district_is_created_over_the_api_by_admin_only() {
    for db in backends().await {
        created_over_the_api(TestServer::start(db, false).await).await;
    }
}

async fn created_over_the_api(server: TestServer) {
    let create = |id: &str| {
        format!(
            "mutation {{ createDistrict(input: {{id: \"{id}\", name: \"Hill Valley\"}}) {{ id name schools {{ id }} }} }}"
        )
    };
    for refused in [counselor("sch-1"), partner("p-1")] {
        assert_eq!(code(&server.query(Some(&refused), &create("d-x")).await), "FORBIDDEN");
    }
    let created = server.query(Some(&admin()), &create("d-hill")).await;
    no_errors(&created);
    assert_eq!(created["data"]["createDistrict"]["name"], "Hill Valley");
    assert_eq!(code(&server.query(Some(&admin()), &create("d-hill")).await), "CONFLICT");
    let school = "mutation { createSchool(input: {id: \"sch-h\", districtId: \"d-hill\", name: \"Hill High\"}) { id districtId } }";
    no_errors(&server.query(Some(&admin()), school).await);
    let seen: Value = server.query(Some(&counselor("sch-h")), "{ districts { id schools { id } } }").await;
    assert_eq!(seen["data"]["districts"][0]["schools"][0]["id"], "sch-h", "{seen}");
    let other: Value = server.query(Some(&counselor("sch-9")), "{ districts { id schools { id } } }").await;
    assert_eq!(other["data"]["districts"][0]["schools"].as_array().map(Vec::len), Some(0), "{other}");
    server.stop().await;
}
