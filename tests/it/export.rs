//! CSV exports: each file parsed back and compared with the GraphQL answer for the
//! same viewer, the partner's file holding only a partner's fields (and logged),
//! formulas defused, and the API's refusals.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use cli::demo::seed;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;
use store::entity::disclosure_log;

use crate::db::sqlite;
use crate::gql::{admin, counselor, no_errors, partner};
use crate::http::{Reply, TestServer, request};

async fn get(server: &TestServer, token: Option<&str>, path: &str) -> Reply {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer.iter().map(|b| ("Authorization", b.as_str())).collect();
    request(server.addr, "GET", path, &headers, b"").await
}

/// The file's rows as column → cell maps.
fn rows(reply: &Reply) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    assert!(reply.header("content-type").is_some_and(|t| t.starts_with("text/csv")));
    let mut reader = csv::Reader::from_reader(reply.body.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|record| header.iter().cloned().zip(record.unwrap().iter().map(str::to_owned)).collect())
        .collect();
    (header, rows)
}

/// Every match the viewer sees over GraphQL, by id.
async fn matches(server: &TestServer, token: &str, student: &str) -> BTreeMap<String, Value> {
    let mut all = BTreeMap::new();
    let mut after = Value::Null;
    loop {
        let query = format!(
            "query($after: String) {{ matches(first: 100, after: $after) {{ pageInfo {{ hasNextPage endCursor }} \
             edges {{ node {{ id status kind score student {{ {student} }} opening {{ id partner {{ id }} }} }} }} }} }}"
        );
        let body =
            serde_json::to_vec(&serde_json::json!({"query": query, "variables": {"after": after}})).unwrap();
        let response = server.post(Some(token), &body).await.json();
        no_errors(&response);
        let page = &response["data"]["matches"];
        for edge in page["edges"].as_array().unwrap() {
            all.insert(edge["node"]["id"].as_str().unwrap().to_owned(), edge["node"].clone());
        }
        if page["pageInfo"]["hasNextPage"] != Value::Bool(true) {
            return all;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn exports_are_the_apis_answers_as_csv_for_each_viewer() {
    let db = sqlite().await;
    seed(&db.store, Utc.with_ymd_and_hms(2026, 9, 14, 7, 30, 0).unwrap()).await.unwrap();
    let server = TestServer::start(db, false).await;
    let conn = server.db.store.db().clone();
    for (who, token, student) in [
        ("admin", admin(), "id firstName lastName grade"),
        ("counselor", counselor("sch-1"), "id firstName lastName grade"),
        ("partner", partner("p-05"), "id firstName grade"),
    ] {
        let (header, file) = rows(&get(&server, Some(&token), "/export/matches.csv").await);
        let api = matches(&server, &token, student).await;
        assert_eq!(file.len(), api.len(), "{who}: one row per match");
        assert!(!api.is_empty(), "{who}: something to compare");
        for row in &file {
            let node = &api[&row["id"]];
            assert_eq!(row["status"], node["status"].as_str().unwrap(), "{who}");
            assert_eq!(row["kind"], node["kind"].as_str().unwrap(), "{who}");
            assert_eq!(row["score"], node["score"].to_string(), "{who}");
            assert_eq!(row["studentId"], node["student"]["id"].as_str().unwrap_or(""), "{who}");
            assert_eq!(row["studentFirstName"], node["student"]["firstName"].as_str().unwrap_or(""), "{who}");
            assert_eq!(row["openingId"], node["opening"]["id"].as_str().unwrap(), "{who}");
            assert_eq!(row["partnerId"], node["opening"]["partner"]["id"].as_str().unwrap(), "{who}");
            if who != "partner" {
                assert_eq!(
                    row["studentLastName"],
                    node["student"]["lastName"].as_str().unwrap_or(""),
                    "{who}"
                );
            }
        }
        assert_eq!(header.contains(&"studentLastName".to_owned()), who != "partner", "{who}: {header:?}");
    }
    let logged = disclosure_log::Entity::find()
        .filter(disclosure_log::Column::PartnerId.eq("p-05"))
        .filter(disclosure_log::Column::Operation.eq("Match.student"))
        .count(&conn)
        .await
        .unwrap();
    assert!(logged > 0, "the partner's export is a disclosure");

    // A dry run's unmatched needs, with their reasons in one cell.
    let run = "mutation { runMatching(input: {dryRun: true}) { id status unmatched(first: 100) { totalCount edges { node { studentId kind reason ruledOutBy { constraint count } } } } } }";
    let ran = server.run_matching(&counselor("sch-1"), run).await;
    no_errors(&ran);
    let id = ran["data"]["runMatching"]["id"].as_str().unwrap().to_owned();
    let (_, file) =
        rows(&get(&server, Some(&counselor("sch-1")), &format!("/export/unmatched.csv?run={id}")).await);
    let edges = ran["data"]["runMatching"]["unmatched"]["edges"].as_array().unwrap();
    assert_eq!(file.len(), edges.len());
    for (row, edge) in file.iter().zip(edges) {
        let node = &edge["node"];
        assert_eq!(
            (row["studentId"].as_str(), row["reason"].as_str()),
            (node["studentId"].as_str().unwrap(), node["reason"].as_str().unwrap())
        );
        let cell: Vec<String> = node["ruledOutBy"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| format!("{}:{}", r["constraint"].as_str().unwrap(), r["count"]))
            .collect();
        assert_eq!(row["ruledOutBy"], cell.join(";"));
    }
    // Another school's counselor and a partner see no such run.
    for other in [counselor("sch-2"), partner("p-05")] {
        assert_eq!(get(&server, Some(&other), &format!("/export/unmatched.csv?run={id}")).await.status, 404);
    }

    // The report, section by section, as the viewer sees it.
    let (_, file) = rows(&get(&server, Some(&counselor("sch-1")), "/export/report.csv").await);
    let report = server
        .query(
            Some(&counselor("sch-1")),
            "{ report { matchRateByKind { key needs matched rate } feedback { count } } }",
        )
        .await;
    for line in report["data"]["report"]["matchRateByKind"].as_array().unwrap() {
        let row = file
            .iter()
            .find(|r| r["section"] == "matchRateByKind" && r["key"] == line["key"].as_str().unwrap());
        let row = row.unwrap_or_else(|| panic!("no row for {line}"));
        assert_eq!(
            (row["needs"].clone(), row["matched"].clone()),
            (line["needs"].to_string(), line["matched"].to_string())
        );
    }
    let all = file.iter().find(|r| r["section"] == "feedback" && r["key"] == "all").unwrap();
    assert_eq!(all["count"], report["data"]["report"]["feedback"]["count"].to_string());
    let (_, partner_file) = rows(&get(&server, Some(&partner("p-05")), "/export/report.csv").await);
    assert!(
        partner_file
            .iter()
            .all(|r| !r["section"].starts_with("matchRate") && r["section"] != "medianTravelMinutes")
    );

    // Refusals are the API's: no token, an unknown file, a missing run.
    assert_eq!(get(&server, None, "/export/matches.csv").await.status, 401);
    assert_eq!(get(&server, Some(&admin()), "/export/secrets.csv").await.status, 404);
    assert_eq!(get(&server, Some(&admin()), "/export/unmatched.csv").await.status, 400);
    let refused = get(&server, Some("not-a-token"), "/export/matches.csv").await;
    assert_eq!(
        (refused.status, refused.json()["errors"][0]["extensions"]["code"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
    server.stop().await;
}
