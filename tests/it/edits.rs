//! Edits of a real district: patches change only what they name, never lose data,
//! never strand an open match, and an opening that could never match is refused
//! with one error per field. On every backend, over the real server.

use serde_json::Value;
use store::read;
use store::records::MatchStatus;

use crate::db::backends;
use crate::gql::{admin, code, counselor, field, no_errors, partner, student};
use crate::http::TestServer;
use crate::matching_api::{district, match_in};

fn update(patch: &str) -> String {
    format!(
        "mutation {{ updateOpening(id: \"o-1\", input: {patch}) {{ id title kind capacity status \
         backgroundCheck {{ clearedOn expiresOn }} }} }}"
    )
}

/// The ids in `extensions.matches` of the first error.
fn stranded(response: &Value) -> Vec<String> {
    let ids = response["errors"][0]["extensions"]["matches"].as_array();
    ids.map(|ids| ids.iter().map(|id| id.as_str().unwrap().to_owned()).collect()).unwrap_or_default()
}

#[tokio::test]
async fn an_opening_patch_changes_what_it_names_and_never_strands_a_match() {
    for db in backends().await {
        district(&db, 6, 4).await;
        match_in(&db, "m-1", "s-1", MatchStatus::Active).await;
        match_in(&db, "m-2", "s-2", MatchStatus::Proposed).await;
        let server = TestServer::start(db, false).await;
        let conn = server.db.store.db().clone();
        let name = server.db.name;
        let p1 = partner("p-1");

        // A title-only patch keeps everything else, the clearance included.
        let before = read::opening(&conn, "o-1").await.unwrap();
        let renamed = server.query(Some(&p1), &update(r#"{title: "Algebra club"}"#)).await;
        no_errors(&renamed);
        let node = &renamed["data"]["updateOpening"];
        assert_eq!((node["title"].as_str(), node["kind"].as_str()), (Some("Algebra club"), Some("TUTORING")));
        assert_eq!(node["backgroundCheck"]["expiresOn"], "2031-01-10", "{name}: read back by its partner");
        let after = read::opening(&conn, "o-1").await.unwrap();
        assert_eq!(
            format!("{:?}", after.opening.matching),
            format!("{:?}", before.opening.matching),
            "{name}"
        );
        let pick = r#"mutation { proposeMatch(studentId: "s-3", openingId: "o-1") { id status } }"#;
        let picked = server.query(Some(&counselor("sch-1")), pick).await;
        assert_eq!(picked["data"]["proposeMatch"]["status"], "PROPOSED", "{name}: still feasible: {picked}");
        // The clearance is the district's to see and set, not a student's.
        let check = r#"{ opening(id: "o-1") { backgroundCheck { expiresOn } } }"#;
        assert_eq!(code(&server.query(Some(&student("s-1")), check).await), "FORBIDDEN");
        no_errors(&server.query(Some(&counselor("sch-1")), check).await);

        // What would strand open matches is CONFLICT naming them, and writes nothing.
        let open = ["m-1", "m-2", picked["data"]["proposeMatch"]["id"].as_str().unwrap()].map(str::to_owned);
        let version = read::opening(&conn, "o-1").await.unwrap().version;
        for (patch, expected) in [
            ("{kind: MENTORING}", open.to_vec()),
            ("{capacity: 2}", open.to_vec()),
            // The matches' sessions are Tuesdays 16:00–17:00.
            (r#"{schedule: [{day: "THU", start: "16:00", end: "18:00"}]}"#, open.to_vec()),
            (r#"{languages: ["fr"]}"#, open.to_vec()),
            ("{minGrade: 10}", open.to_vec()),
            ("{backgroundCheck: null}", open.to_vec()),
        ] {
            let who = if patch.contains("backgroundCheck") { admin() } else { p1.clone() };
            let response = server.query(Some(&who), &update(patch)).await;
            assert_eq!(code(&response), "CONFLICT", "{name} {patch}: {response}");
            let mut got = stranded(&response);
            got.sort();
            let mut expected = expected;
            expected.sort();
            assert_eq!(got, expected, "{name} {patch}: {response}");
            assert_eq!(
                read::opening(&conn, "o-1").await.unwrap().version,
                version,
                "{name} {patch}: unwritten"
            );
        }
        // What keeps them feasible goes through: a wider window, one more language.
        let wider = r#"{schedule: [{day: "TUE", start: "15:00", end: "19:00"}, {day: "THU", start: "16:00", end: "18:00"}], languages: ["en", "es", "fr"], capacity: 5}"#;
        let response = server.query(Some(&p1), &update(wider)).await;
        no_errors(&response);
        assert_eq!(response["data"]["updateOpening"]["capacity"], 5, "{name}");

        // Null where a value is required is bad input, per field; nothing written.
        let version = read::opening(&conn, "o-1").await.unwrap().version;
        let response = server.query(Some(&p1), &update("{capacity: null, kind: null}")).await;
        let fields: Vec<&str> = response["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["extensions"]["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["input.kind", "input.capacity"], "{name}: {response}");
        assert_eq!(read::opening(&conn, "o-1").await.unwrap().version, version, "{name}");
        // A partner still may not touch the clearance.
        let response = server.query(Some(&p1), &update("{backgroundCheck: null}")).await;
        assert_eq!((code(&response), field(&response)), ("FORBIDDEN", "input.backgroundCheck"), "{name}");

        // Closing: no new matches; the open ones go on.
        let close = r#"mutation { closeOpening(id: "o-1") { status } }"#;
        // Another partner's opening is one p-2 may not know of: the answer a missing one gets.
        let hidden = server.query(Some(&partner("p-2")), close).await;
        assert_eq!(
            (code(&hidden), hidden["errors"][0]["message"].as_str()),
            ("NOT_FOUND", Some("opening o-1 does not exist")),
            "{name}"
        );
        let closed = server.query(Some(&p1), close).await;
        assert_eq!(closed["data"]["closeOpening"]["status"], "CLOSED", "{name}: {closed}");
        let pick = r#"mutation { proposeMatch(studentId: "s-4", openingId: "o-1") { id } }"#;
        assert_eq!(code(&server.query(Some(&counselor("sch-1")), pick).await), "CONFLICT", "{name}");
        let done = r#"mutation { setMatchStatus(id: "m-1", status: COMPLETED) { status } }"#;
        assert_eq!(server.query(Some(&p1), done).await["data"]["setMatchStatus"]["status"], "COMPLETED");
        let run = r#"mutation { runMatching(input: {dryRun: true, kinds: [TUTORING]}) { id status stats { matched } } }"#;
        let dry = server.run_matching(&counselor("sch-1"), run).await;
        assert_eq!(
            dry["data"]["runMatching"]["stats"]["matched"], 0,
            "{name}: a closed opening takes none: {dry}"
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn an_opening_that_could_never_match_is_refused_field_by_field() {
    for db in backends().await {
        district(&db, 1, 4).await;
        let server = TestServer::start(db, false).await;
        let name = server.db.name;
        let create = |fields: &str| {
            format!(
                "mutation {{ createOpening(input: {{id: \"o-x\", partnerId: \"p-1\", kind: TUTORING, \
                 virtual: true, capacity: 2, {fields}}}) {{ id }} }}"
            )
        };
        let cases: [(&str, &[&str]); 4] = [
            (
                r#"subjects: ["algebra", " "], languages: [], minGrade: 10, maxGrade: 5, schedule: [], sessionMinutes: 60"#,
                &["input.languages", "input.minGrade", "input.schedule", "input.subjects[1]"],
            ),
            (
                r#"subjects: ["algebra"], languages: ["en"], schedule: [{day: "TUE", start: "16:00", end: "16:30"}], sessionMinutes: 60"#,
                &["input.sessionMinutes"],
            ),
            (
                r#"subjects: ["algebra"], languages: ["en"], schedule: [{day: "TUE", start: "16:00", end: "18:00"}], sessionMinutes: 60, sessionsPerWeek: 3"#,
                &["input.sessionsPerWeek"],
            ),
            (
                r#"subjects: ["algebra"], languages: ["en"], schedule: [{day: "TUE", start: "16:00", end: "18:00"}, {day: "TUE", start: "19:00", end: "21:00"}], sessionMinutes: 60, sessionsPerWeek: 2"#,
                &["input.sessionsPerWeek"],
            ),
        ];
        for (fields, expected) in cases {
            let response = server.query(Some(&admin()), &create(fields)).await;
            let mut got: Vec<&str> = response["errors"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: {response}"))
                .iter()
                .map(|e| e["extensions"]["field"].as_str().unwrap_or("?"))
                .collect();
            got.sort();
            assert_eq!(got, expected, "{name}: {fields}: {response}");
            assert!(response["data"].is_null(), "{name}");
        }
        let fine = create(
            r#"subjects: ["algebra"], languages: ["en"], schedule: [{day: "TUE", start: "16:00", end: "18:00"}, {day: "THU", start: "16:00", end: "18:00"}], sessionMinutes: 60, sessionsPerWeek: 2"#,
        );
        no_errors(&server.query(Some(&admin()), &fine).await);
        server.stop().await;
    }
}

#[tokio::test]
async fn a_student_patch_keeps_what_it_leaves_out_and_never_strands_a_match() {
    for db in backends().await {
        district(&db, 2, 4).await;
        match_in(&db, "m-1", "s-1", MatchStatus::Accepted).await;
        let server = TestServer::start(db, false).await;
        let name = server.db.name;
        let c1 = counselor("sch-1");
        let patch = |id: &str, fields: &str| {
            format!(
                "mutation {{ updateStudent(id: \"{id}\", input: {fields}) {{ firstName lastName languages \
                 guardians {{ name }} availability {{ day start end }} }} }}"
            )
        };
        let renamed = server.query(Some(&c1), &patch("s-1", r#"{lastName: "Lopez-Ruiz"}"#)).await;
        no_errors(&renamed);
        let node = &renamed["data"]["updateStudent"];
        assert_eq!(node["lastName"], "Lopez-Ruiz", "{name}");
        assert_eq!(node["firstName"], "Maria", "{name}: untouched");
        assert_eq!(node["guardians"][0]["name"], "Rosa Lopez", "{name}: guardians kept when left out");
        // Availability that drops the match's Tuesday session strands it.
        let thursdays = r#"{availability: [{day: "THU", start: "15:30", end: "18:00"}]}"#;
        let response = server.query(Some(&c1), &patch("s-1", thursdays)).await;
        assert_eq!(code(&response), "CONFLICT", "{name}: {response}");
        assert_eq!(stranded(&response), ["m-1"], "{name}");
        let response = server.query(Some(&c1), &patch("s-1", r#"{languages: ["vi"]}"#)).await;
        assert_eq!(stranded(&response), ["m-1"], "{name}: no shared language left");
        // Without an open match, the same edit is fine.
        no_errors(&server.query(Some(&c1), &patch("s-2", thursdays)).await);
        let cleared = server.query(Some(&c1), &patch("s-2", "{guardians: []}")).await;
        assert_eq!(cleared["data"]["updateStudent"]["guardians"], serde_json::json!([]), "{name}");
        server.stop().await;
    }
}
