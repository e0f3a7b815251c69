//! The waitlist (docs/api.md "Notifications", docs/matching.md `waitingDays`): a need a
//! committed run leaves unmatched goes on it, comes first in the next round with its
//! `waiting` points in the breakdown, and leaves it when matched. On every backend,
//! over the real server.

use chrono::{Duration, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use store::entity::student_needs;

use crate::db::backends;
use crate::gql::{admin, code, counselor, field, no_errors, partner};
use crate::http::TestServer;
use crate::matching_api::district;

const COMMIT: &str = "mutation { runMatching(input: {dryRun: false}) { id status \
    assignments(first: 50) { nodes { studentId matchId breakdown { criterion points } } } \
    unmatched(first: 50) { nodes { studentId kind reason } } } }";

/// (kind, waitingSince) of each of the student's needs.
async fn needs_of(server: &TestServer, id: &str) -> Vec<(String, Option<String>)> {
    let read = server
        .query(Some(&admin()), &format!(r#"{{ student(id: "{id}") {{ needs {{ kind waitingSince }} }} }}"#))
        .await;
    no_errors(&read);
    read["data"]["student"]["needs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|need| {
            (need["kind"].as_str().unwrap().to_owned(), need["waitingSince"].as_str().map(String::from))
        })
        .collect()
}

/// When the student's tutoring need went on the waitlist.
async fn tutoring_wait(server: &TestServer, id: &str) -> Option<String> {
    let needs = needs_of(server, id).await;
    needs.into_iter().find(|(kind, _)| kind == "TUTORING").expect("a tutoring need").1
}

fn ids(list: &Value) -> Vec<String> {
    list["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn points(assignment: &Value, criterion: &str) -> i64 {
    assignment["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .find(|part| part["criterion"] == criterion)
        .and_then(|part| part["points"].as_i64())
        .unwrap_or_else(|| panic!("no {criterion} in {assignment}"))
}

#[tokio::test]
async fn whoever_was_left_out_comes_first_in_the_next_round() {
    for db in backends().await {
        // Three identical students of sch-1 contest one tutoring slot.
        district(&db, 3, 1).await;
        let server = TestServer::start(db, false).await;
        let name = server.db.name;
        let sch1 = counselor("sch-1");
        let today = Utc::now().date_naive();

        let first = server.run_matching(&sch1, COMMIT).await;
        no_errors(&first);
        let run = &first["data"]["runMatching"];
        assert_eq!(run["status"], "SUCCEEDED", "{name}: {first}");
        let winner = run["assignments"]["nodes"][0].clone();
        assert_eq!(points(&winner, "WAITING"), 0, "{name}: nobody waited yet: {winner}");
        let first_winner = winner["studentId"].as_str().unwrap().to_owned();
        let left_out: Vec<String> = run["unmatched"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|need| need["kind"] == "TUTORING")
            .map(|need| need["studentId"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(left_out.len(), 2, "{name}: {first}");

        // Those left out are on the waitlist since today; the winner is not.
        let mut since = None;
        for id in &left_out {
            let day: NaiveDate = tutoring_wait(&server, id).await.expect("waiting").parse().unwrap();
            assert!((day - today).num_days().abs() <= 1, "{name}: {day} is not today ({today})");
            since = Some(day);
        }
        let since = since.unwrap();
        assert_eq!(
            tutoring_wait(&server, &first_winner).await,
            None,
            "{name}: a matched need is not waiting"
        );

        let waiting = r#"{ students(filter: {waiting: true, needKind: TUTORING}) { totalCount edges { node { id } } } }"#;
        let listed = server.query(Some(&sch1), waiting).await;
        no_errors(&listed);
        let mut listed_ids = ids(&listed["data"]["students"]);
        listed_ids.sort();
        let mut expected = left_out.clone();
        expected.sort();
        assert_eq!(listed_ids, expected, "{name}: {listed}");
        let not_waiting = server
            .query(
                Some(&sch1),
                r#"{ students(filter: {waiting: false, needKind: TUTORING}) { edges { node { id } } } }"#,
            )
            .await;
        assert_eq!(
            ids(&not_waiting["data"]["students"]),
            vec![first_winner.clone()],
            "{name}: {not_waiting}"
        );
        // A partner may not learn who waits, by filter or by order.
        let refused =
            server.query(Some(&partner("p-1")), "{ students(filter: {waiting: true}) { totalCount } }").await;
        assert_eq!((code(&refused), field(&refused)), ("FORBIDDEN", "filter.waiting"), "{name}: {refused}");
        let ordered = r#"{ students(orderBy: {field: WAITING_SINCE}) { totalCount } }"#;
        assert_eq!(code(&server.query(Some(&partner("p-1")), ordered).await), "FORBIDDEN", "{name}");

        // An edit that keeps the need keeps its place; the wait counts on a later day.
        let rename = format!(
            r#"mutation {{ updateStudent(id: "{}", input: {{firstName: "Luz"}}) {{ id }} }}"#,
            left_out[0]
        );
        no_errors(&server.query(Some(&sch1), &rename).await);
        assert_eq!(tutoring_wait(&server, &left_out[0]).await, Some(since.to_string()), "{name}");
        let later = (since + Duration::days(10)).to_string();
        let dry = format!(
            "mutation {{ runMatching(input: {{dryRun: true, asOf: \"{later}\"}}) {{ id status \
             assignments(first: 5) {{ nodes {{ studentId breakdown {{ criterion points }} }} }} }} }}"
        );
        // The slot is taken: free it first, so the dry run has something to give.
        let matches = server.query(Some(&sch1), "{ matches { edges { node { id } } } }").await;
        let held = matches["data"]["matches"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();
        let cancel =
            format!(r#"mutation {{ setMatchStatus(id: "{held}", status: CANCELLED) {{ status }} }}"#);
        no_errors(&server.query(Some(&sch1), &cancel).await);
        let preview = server.run_matching(&sch1, &dry).await;
        no_errors(&preview);
        let would = &preview["data"]["runMatching"]["assignments"]["nodes"][0];
        assert!(left_out.contains(&would["studentId"].as_str().unwrap().to_owned()), "{name}: {preview}");
        // 11 days on the list (the first counted): 50 + 10 for the full week after it, × 4.
        assert_eq!(points(would, "WAITING"), 240, "{name}: {preview}");

        // Round two, today: the cancelled winner is not waiting, the two left out are,
        // so one of them takes the slot with its waiting points.
        let second = server.run_matching(&sch1, COMMIT).await;
        no_errors(&second);
        let run = &second["data"]["runMatching"];
        let winner = &run["assignments"]["nodes"][0];
        let second_winner = winner["studentId"].as_str().unwrap().to_owned();
        assert!(left_out.contains(&second_winner), "{name}: {second}");
        let waited = points(winner, "WAITING");
        assert!(waited >= 200, "{name}: at least the first day's 50 × 4: {winner}");
        let detail = format!(
            r#"{{ match(id: "{}") {{ breakdown {{ criterion points }} score }} }}"#,
            winner["matchId"].as_str().unwrap()
        );
        let stored = server.query(Some(&sch1), &detail).await;
        assert_eq!(
            points(&stored["data"]["match"], "WAITING"),
            waited,
            "{name}: the match keeps its breakdown"
        );
        assert_eq!(tutoring_wait(&server, &second_winner).await, None, "{name}: off the list once matched");
        // The first round's winner went on the list today; the other keeps its first day.
        let still: Vec<&String> = left_out.iter().filter(|id| **id != second_winner).collect();
        assert_eq!(tutoring_wait(&server, still[0]).await, Some(since.to_string()), "{name}");
        assert!(tutoring_wait(&server, &first_winner).await.is_some(), "{name}");

        // Dropping the need drops its place.
        let drop_need =
            format!(r#"mutation {{ updateStudent(id: "{}", input: {{needs: []}}) {{ id }} }}"#, still[0]);
        no_errors(&server.query(Some(&sch1), &drop_need).await);
        assert!(needs_of(&server, still[0]).await.is_empty(), "{name}");
        server.stop().await;
    }
}

#[tokio::test]
async fn the_waiting_list_runs_longest_waiting_first_across_pages() {
    for db in backends().await {
        district(&db, 6, 1).await;
        let conn = db.store.db().clone();
        // s-1 … s-6: s-4 waits longest, then s-2, s-6; the rest do not wait.
        for (student, days_ago) in [("s-2", 20), ("s-4", 40), ("s-6", 3)] {
            let day = Utc::now().date_naive() - Duration::days(days_ago);
            student_needs::Entity::update_many()
                .col_expr(student_needs::Column::WaitingSince, Expr::value(Some(day)))
                .filter(student_needs::Column::StudentId.eq(student))
                .exec(&conn)
                .await
                .unwrap();
        }
        let server = TestServer::start(db, false).await;
        let name = server.db.name;
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let page = server
                .query(
                    Some(&counselor("sch-1")),
                    &format!(
                        "{{ students(first: 2{after}, filter: {{waiting: true, needKind: TUTORING}}) {{ totalCount \
                         pageInfo {{ hasNextPage endCursor }} edges {{ node {{ id }} }} }} }}"
                    ),
                )
                .await;
            no_errors(&page);
            let list = &page["data"]["students"];
            assert_eq!(list["totalCount"], 3, "{name}: {page}");
            seen.extend(ids(list));
            if list["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = format!(", after: {}", list["pageInfo"]["endCursor"]);
        }
        assert_eq!(seen, ["s-4", "s-2", "s-6"], "{name}");
        // Newest first when asked.
        let newest = server
            .query(
                Some(&admin()),
                r#"{ students(orderBy: {field: WAITING_SINCE, direction: DESC}, filter: {waiting: true}) { edges { node { id } } } }"#,
            )
            .await;
        no_errors(&newest);
        assert_eq!(ids(&newest["data"]["students"]), ["s-6", "s-2", "s-4"], "{name}: {newest}");
        server.stop().await;
    }
}
