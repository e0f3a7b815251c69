//! Schools and students over HTTP: the access matrix per role for every operation,
//! pages, filters, input errors naming their field, mutations that fail writing
//! nothing, the disclosure log of partner reads, imports, and withdrawn consent
//! reaching the matcher.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{TimeZone, Utc};
use cli::demo::{Demo, as_of, demo, seed};
use matcher::{Options, Seconds, Silent};
use migrations::{
    ACTIVE_RUN_INDEX, Migrator, MigratorTrait, NOTIFICATION_TABLES, PRIVACY_TABLES, SchemaManager,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use store::entity::{audit_log, disclosure_log, schools, students};
use store::records::{District, Grade, Guardian, Kind, MatchStatus, Role, School, Student};
use store::scope::{Scope, load_scope};
use store::write::{save_district, save_schools, save_students};

use crate::db::{TestDb, backends, sqlite};
use crate::http::{TestServer, token};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 14, 7, 30, 0).unwrap()
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {response}"))
}

fn field(response: &Value) -> &str {
    response["errors"][0]["extensions"]["field"].as_str().unwrap_or_else(|| panic!("no field in {response}"))
}

fn no_errors(response: &Value) {
    assert!(response.get("errors").is_none(), "{response}");
}

fn admin() -> String {
    token(Role::Admin, None)
}

fn counselor(school: &str) -> String {
    token(Role::Counselor, Some(school))
}

fn partner(id: &str) -> String {
    token(Role::Partner, Some(id))
}

fn student_token(id: &str) -> String {
    token(Role::Student, Some(id))
}

/// The demo district on `db`, served.
async fn demo_server(db: TestDb) -> TestServer {
    seed(&db.store, now()).await.unwrap();
    TestServer::start(db, false).await
}

/// Who is tied to whom in the demo: partner → students with a match PROPOSED,
/// ACCEPTED, ACTIVE or COMPLETED to one of its openings.
fn matched_by_partner(demo: &Demo) -> BTreeMap<String, BTreeSet<String>> {
    let partner_of: BTreeMap<&str, &str> =
        demo.openings.iter().map(|o| (o.matching.id.as_str(), o.matching.partner_id.as_str())).collect();
    let mut tied: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in &demo.matches {
        if matches!(
            item.status,
            MatchStatus::Proposed | MatchStatus::Accepted | MatchStatus::Active | MatchStatus::Completed
        ) {
            let partner = partner_of[item.new.opening_id.as_str()].to_owned();
            tied.entry(partner).or_default().insert(item.new.student_id.clone());
        }
    }
    tied
}

/// A partner with matched students, one of them, and a student not matched to it.
fn a_partner_and_students(demo: &Demo) -> (String, BTreeSet<String>, String, String) {
    let tied = matched_by_partner(demo);
    let (partner, mine) = tied.iter().max_by_key(|(_, students)| students.len()).unwrap();
    let one = mine.iter().next().unwrap().clone();
    let other = demo.students.iter().find(|s| !mine.contains(&s.matching.id)).unwrap().matching.id.clone();
    (partner.clone(), mine.clone(), one, other)
}

fn school_of<'a>(demo: &'a Demo, student_id: &str) -> &'a str {
    &demo.students.iter().find(|s| s.matching.id == student_id).unwrap().school_id
}

fn a_student(id: &str, school: &str) -> Student {
    Student {
        waiting_since: Default::default(),
        school_id: school.to_owned(),
        first_name: "Ana".to_owned(),
        last_name: "Diaz".to_owned(),
        guardians: vec![Guardian {
            name: "Rosa Diaz".to_owned(),
            relationship: Some("mother".to_owned()),
            email: Some("rosa@example.com".to_owned()),
            phone: None,
            language: None,
        }],
        matching: store::write::parse_student(&matcher::validate::RawStudent {
            id: id.to_owned(),
            grade: 9,
            birth_date: Some("2011-04-01".to_owned()),
            languages: vec!["es".to_owned(), "en".to_owned()],
            home: matcher::validate::RawPlace { lat: 41.9, lon: -87.65 },
            travel_modes: Some(vec!["WALK".to_owned()]),
            max_travel_minutes: 45.0,
            remote_ok: Some(true),
            availability: vec![matcher::validate::RawWindow {
                day: "TUE".into(),
                start: "15:30".into(),
                end: "18:00".into(),
            }],
            needs: vec![matcher::validate::RawNeed {
                kind: "TUTORING".into(),
                subjects: Some(vec!["algebra".into()]),
                waiting_days: None,
            }],
            priority: Some(1),
            consent_on_file: Some(true),
        })
        .unwrap(),
    }
}

/// A `StudentInput` literal for `id` in `school`, with `edits` replacing fields.
fn student_input(id: &str, school: &str, edits: &[(&str, &str)]) -> String {
    let mut fields: Vec<(&str, String)> = vec![
        ("id", format!("\"{id}\"")),
        ("schoolId", format!("\"{school}\"")),
        ("firstName", "\"Ana\"".into()),
        ("lastName", "\"Diaz\"".into()),
        ("grade", "9".into()),
        ("birthDate", "\"2011-04-01\"".into()),
        ("languages", "[\"es\", \"en\"]".into()),
        ("home", "{lat: 41.9, lon: -87.65}".into()),
        ("travelModes", "[\"WALK\"]".into()),
        ("maxTravelMinutes", "45".into()),
        ("availability", "[{day: \"TUE\", start: \"15:30\", end: \"18:00\"}]".into()),
        ("needs", "[{kind: \"TUTORING\", subjects: [\"algebra\"]}]".into()),
        ("priority", "1".into()),
        ("consentOnFile", "true".into()),
        ("guardians", "[{name: \"Rosa Diaz\", relationship: \"mother\"}]".into()),
    ];
    for (name, value) in edits {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = (*value).to_owned(),
            None => fields.push((name, (*value).to_owned())),
        }
    }
    let body: Vec<String> = fields.into_iter().map(|(n, v)| format!("{n}: {v}")).collect();
    format!("{{{}}}", body.join(", "))
}

/// Rows of the tables a people mutation may touch, to prove a failed one wrote nothing.
async fn footprint(db: &DatabaseConnection) -> (u64, u64, u64, u64) {
    (
        students::Entity::find().count(db).await.unwrap(),
        schools::Entity::find().count(db).await.unwrap(),
        audit_log::Entity::find().count(db).await.unwrap(),
        disclosure_log::Entity::find().count(db).await.unwrap(),
    )
}

fn total(response: &Value, list: &str) -> u64 {
    response["data"][list]["totalCount"].as_u64().unwrap_or_else(|| panic!("{response}"))
}

const STUDENT_FIELDS: &str = "id firstName lastName grade birthDate languages home { lat lon } travelModes \
    maxTravelMinutes remoteOk availability { day start end } needs { kind subjects } priority consentOnFile \
    school { id name } guardians { name relationship email phone }";

#[tokio::test]
async fn lists_follow_the_access_matrix_per_role() {
    let demo = demo();
    let server = demo_server(sqlite().await).await;
    let (partner_id, mine, one, _) = a_partner_and_students(&demo);
    let in_school = |id: &str| demo.students.iter().filter(|s| s.school_id == id).count() as u64;
    let cases: [(String, u64, u64); 4] = [
        (admin(), 4, demo.students.len() as u64),
        (counselor("sch-2"), 1, in_school("sch-2")),
        (partner(&partner_id), 0, mine.len() as u64),
        (student_token(&one), 0, 1),
    ];
    for (who, n_schools, n_students) in cases {
        let response = server
            .query(
                Some(&who),
                "{ schools { totalCount } students(first: 100) { totalCount edges { node { id } } } }",
            )
            .await;
        no_errors(&response);
        assert_eq!(total(&response, "schools"), n_schools);
        assert_eq!(total(&response, "students"), n_students);
    }
    // A counselor's lists hold their own school only.
    let response = server.query(Some(&counselor("sch-2")), "{ schools(first: 5) { edges { node { id students(first: 100) { totalCount edges { node { school { id } } } } } } } }").await;
    no_errors(&response);
    let school = &response["data"]["schools"]["edges"][0]["node"];
    assert_eq!(school["id"], "sch-2");
    assert_eq!(school["students"]["totalCount"].as_u64(), Some(in_school("sch-2")));
    assert!(
        school["students"]["edges"].as_array().unwrap().iter().all(|e| e["node"]["school"]["id"] == "sch-2")
    );
    // A partner lists exactly its matched students.
    let response = server
        .query(
            Some(&partner(&partner_id)),
            "{ students(first: 100) { edges { node { id firstName grade languages } } } }",
        )
        .await;
    no_errors(&response);
    let listed: BTreeSet<String> = response["data"]["students"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, mine);
    server.stop().await;
}

#[tokio::test]
async fn one_student_follows_the_access_matrix_and_the_field_guards() {
    let demo = demo();
    let server = demo_server(sqlite().await).await;
    let (partner_id, _, one, other) = a_partner_and_students(&demo);
    let school = school_of(&demo, &one).to_owned();
    let elsewhere = ["sch-1", "sch-2", "sch-3", "sch-4"].into_iter().find(|s| *s != school).unwrap();
    let full = format!("{{ student(id: \"{one}\") {{ {STUDENT_FIELDS} }} }}");
    // (who, sees everything?) — otherwise absent, exactly as an unknown id is.
    let unknown = server.query(Some(&admin()), &full.replace(one.as_str(), "s-nobody")).await;
    assert_eq!(unknown, json!({"data": {"student": null}}));
    let cases = [
        ("admin", admin(), true),
        ("own counselor", counselor(&school), true),
        ("other counselor", counselor(elsewhere), false),
        ("the student", student_token(&one), true),
        ("another student", student_token(&other), false),
    ];
    for (name, who, sees) in cases {
        let response = server.query(Some(&who), &full).await;
        if sees {
            no_errors(&response);
            let node = &response["data"]["student"];
            assert_eq!(node["id"], one.as_str(), "{name}");
            assert_eq!(node["school"]["id"], school.as_str(), "{name}");
            assert!(node["guardians"].is_array() && node["home"]["lat"].is_number(), "{name}: {response}");
        } else {
            assert_eq!(response, unknown, "{name}");
            let last_name = &demo.students.iter().find(|s| s.matching.id == one).unwrap().last_name;
            assert!(!response.to_string().contains(last_name.as_str()), "{name}");
        }
    }
    // A partner: the minimal fields of a matched student, FORBIDDEN for the rest.
    let matched = server
        .query(
            Some(&partner(&partner_id)),
            &format!("{{ student(id: \"{one}\") {{ id firstName grade languages }} }}"),
        )
        .await;
    no_errors(&matched);
    let record = demo.students.iter().find(|s| s.matching.id == one).unwrap();
    assert_eq!(matched["data"]["student"]["firstName"], record.first_name.as_str());
    assert_eq!(matched["data"]["student"]["grade"], record.matching.grade.get());
    for forbidden in
        ["lastName", "birthDate", "home { lat }", "guardians { name }", "needs { kind }", "school { id }"]
    {
        let response = server
            .query(
                Some(&partner(&partner_id)),
                &format!("{{ student(id: \"{one}\") {{ firstName {forbidden} }} }}"),
            )
            .await;
        assert_eq!(code(&response), "FORBIDDEN", "{forbidden}");
        assert_eq!(response["errors"].as_array().unwrap().len(), 1, "{forbidden}: {response}");
        assert!(!response.to_string().contains(&record.last_name), "{forbidden}");
    }
    let unmatched = server
        .query(Some(&partner(&partner_id)), &format!("{{ student(id: \"{other}\") {{ firstName }} }}"))
        .await;
    assert_eq!(unmatched, json!({"data": {"student": null}}), "an unmatched student is not the partner's");
    // Absent: null, for everyone.
    let absent = server.query(Some(&admin()), "{ student(id: \"s-nobody\") { id } }").await;
    no_errors(&absent);
    assert!(absent["data"]["student"].is_null());
    let anonymous = server.query(None, "{ students { totalCount } }").await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    server.stop().await;
}

#[tokio::test]
async fn writes_follow_the_access_matrix() {
    let demo = demo();
    let server = demo_server(sqlite().await).await;
    let (partner_id, _, one, other) = a_partner_and_students(&demo);
    let school = school_of(&demo, &one).to_owned();
    let elsewhere =
        ["sch-1", "sch-2", "sch-3", "sch-4"].into_iter().find(|s| *s != school).unwrap().to_owned();
    let create_school = "mutation { createSchool(input: {id: \"sch-9\", districtId: \"d-riverton\", name: \"New\"}) { id name } }";
    for who in [counselor(&school), partner(&partner_id), student_token(&one)] {
        assert_eq!(code(&server.query(Some(&who), create_school).await), "FORBIDDEN");
    }
    let response = server.query(Some(&admin()), create_school).await;
    no_errors(&response);
    assert_eq!(response["data"]["createSchool"], json!({"id": "sch-9", "name": "New"}));
    assert_eq!(code(&server.query(Some(&admin()), create_school).await), "CONFLICT");

    let create = |id: &str, school: &str| {
        format!(
            "mutation {{ createStudent(input: {}) {{ id lastName school {{ id }} }} }}",
            student_input(id, school, &[])
        )
    };
    // (who, school, allowed)
    let cases = [
        (admin(), elsewhere.clone(), true),
        (counselor(&school), school.clone(), true),
        (counselor(&school), elsewhere.clone(), false),
        (partner(&partner_id), school.clone(), false),
        (student_token(&one), school.clone(), false),
    ];
    for (index, (who, target, allowed)) in cases.into_iter().enumerate() {
        let id = format!("s-new-{index}");
        let response = server.query(Some(&who), &create(&id, &target)).await;
        if allowed {
            no_errors(&response);
            assert_eq!(response["data"]["createStudent"]["school"]["id"], target.as_str());
        } else {
            // A counselor may not know of another school: the answer a missing one gets.
            let want = if index == 2 { "NOT_FOUND" } else { "FORBIDDEN" };
            assert_eq!(code(&response), want, "{index}: {response}");
        }
    }

    let stored =
        server.query(Some(&admin()), "{ student(id: \"s-new-1\") { lastName school { id } } }").await;
    assert_eq!(stored["data"]["student"], json!({"lastName": "Diaz", "school": {"id": school.as_str()}}));
    assert!(
        server.query(Some(&admin()), "{ student(id: \"s-new-2\") { id } }").await["data"]["student"]
            .is_null()
    );

    let update = |id: &str, patch: &str| {
        format!(
            "mutation {{ updateStudent(id: \"{id}\", input: {patch}) {{ id lastName school {{ id }} }} }}"
        )
    };
    let moved = r#"{lastName: "Moved"}"#;
    // A counselor updates their own student, not another school's.
    let response = server.query(Some(&counselor(&school)), &update(&one, moved)).await;
    no_errors(&response);
    assert_eq!(response["data"]["updateStudent"]["lastName"], "Moved");
    // Another school's student is one the counselor may not know of.
    assert_eq!(code(&server.query(Some(&counselor(&elsewhere)), &update(&one, moved)).await), "NOT_FOUND");
    assert_eq!(code(&server.query(Some(&partner(&partner_id)), &update(&one, moved)).await), "FORBIDDEN");
    assert_eq!(code(&server.query(Some(&student_token(&one)), &update(&one, moved)).await), "FORBIDDEN");
    assert_eq!(code(&server.query(Some(&admin()), &update("s-nobody", moved)).await), "NOT_FOUND");
    // A student's school is not patchable, for anyone.
    let to_elsewhere = format!("{{schoolId: \"{elsewhere}\"}}");
    assert_eq!(code(&server.query(Some(&admin()), &update(&one, &to_elsewhere)).await), "BAD_USER_INPUT");
    let stored = server
        .query(Some(&admin()), &format!("{{ student(id: \"{one}\") {{ lastName school {{ id }} }} }}"))
        .await;
    assert_eq!(stored["data"]["student"], json!({"lastName": "Moved", "school": {"id": school.as_str()}}));

    let import = |school: &str| {
        format!("mutation {{ importStudents(schoolId: \"{school}\", csv: \"id\") {{ created }} }}")
    };
    for (who, want) in [
        (counselor(&elsewhere), "NOT_FOUND"),
        (partner(&partner_id), "FORBIDDEN"),
        (student_token(&one), "FORBIDDEN"),
    ] {
        assert_eq!(code(&server.query(Some(&who), &import(&school)).await), want);
    }

    let withdraw =
        |id: &str| format!("mutation {{ withdrawConsent(studentId: \"{id}\") {{ id consentOnFile }} }}");
    let school_of_other = school_of(&demo, &other);
    let counselor_elsewhere =
        ["sch-1", "sch-2", "sch-3", "sch-4"].into_iter().find(|s| *s != school_of_other).unwrap();
    // A partner may never; another student and another school may not know of the student.
    for (who, want) in [
        (partner(&partner_id), "FORBIDDEN"),
        (student_token(&one), "NOT_FOUND"),
        (counselor(counselor_elsewhere), "NOT_FOUND"),
    ] {
        assert_eq!(code(&server.query(Some(&who), &withdraw(&other)).await), want);
    }
    for who in [student_token(&other), counselor(school_of_other), admin()] {
        let response = server.query(Some(&who), &withdraw(&other)).await;
        no_errors(&response);
        assert_eq!(response["data"]["withdrawConsent"]["consentOnFile"], false);
    }

    let disclosures = "{ disclosures { totalCount } }";
    for who in [counselor(&school), partner(&partner_id), student_token(&one)] {
        assert_eq!(code(&server.query(Some(&who), disclosures).await), "FORBIDDEN");
    }
    no_errors(&server.query(Some(&admin()), disclosures).await);
    server.stop().await;
}

/// `n` valid students `s-0000` … in one school, straight into the store.
async fn school_of_students(db: &TestDb, n: usize) -> Vec<String> {
    let conn = db.store.db();
    save_district(conn, &District { id: "d-1".into(), name: "Lakeside".into() }).await.unwrap();
    let school = School { id: "sch-1".into(), district_id: "d-1".into(), name: "Lakeside High".into() };
    save_schools(conn, &[school]).await.unwrap();
    let list: Vec<Student> = (0..n).map(|i| a_student(&format!("s-{i:04}"), "sch-1")).collect();
    save_students(conn, &list, now()).await.unwrap();
    list.into_iter().map(|s| s.matching.id).collect()
}

#[tokio::test]
async fn pages_walk_a_long_list_without_gaps_or_duplicates() {
    for db in backends().await {
        let name = db.name;
        let expected = school_of_students(&db, 250).await;
        let server = TestServer::start(db, false).await;
        for first in [100, 30, 7] {
            let mut seen = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let cursor = after.as_ref().map(|c| format!(", after: \"{c}\"")).unwrap_or_default();
                let response = server
                    .query(
                        Some(&admin()),
                        &format!(
                            "{{ students(first: {first}{cursor}) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ id }} }} }} }}"
                        ),
                    )
                    .await;
                no_errors(&response);
                assert_eq!(total(&response, "students"), 250, "{name}");
                let page = &response["data"]["students"];
                let edges = page["edges"].as_array().unwrap();
                assert!(edges.len() <= first, "{name}");
                seen.extend(edges.iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()));
                if page["pageInfo"]["hasNextPage"] != true {
                    break;
                }
                after = Some(page["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
            }
            assert_eq!(seen, expected, "{name}: first {first}");
        }
        let too_many = server.query(Some(&admin()), "{ students(first: 101) { totalCount } }").await;
        assert_eq!((code(&too_many), field(&too_many)), ("BAD_USER_INPUT", "first"));
        let bad_cursor = server.query(Some(&admin()), "{ students(after: \"nope\") { totalCount } }").await;
        assert_eq!((code(&bad_cursor), field(&bad_cursor)), ("BAD_USER_INPUT", "after"));
        server.stop().await;
    }
}

#[tokio::test]
async fn filters_select_by_school_grade_need_and_unmatched() {
    let demo = demo();
    let server = demo_server(sqlite().await).await;
    let open: BTreeSet<(String, Kind)> = demo
        .matches
        .iter()
        .filter(|m| m.status.is_open())
        .map(|m| (m.new.student_id.clone(), m.new.kind))
        .collect();
    let has_unfilled = |s: &Student, kind: Option<Kind>| {
        s.matching
            .needs
            .iter()
            .any(|n| kind.is_none_or(|k| n.kind == k) && !open.contains(&(s.matching.id.clone(), n.kind)))
    };
    let has_need = |s: &Student, kind: Kind| s.matching.needs.iter().any(|n| n.kind == kind);
    let nine = Grade::new(9).unwrap();
    type Pick<'a> = Box<dyn Fn(&Student) -> bool + 'a>;
    let cases: Vec<(&str, Pick)> = vec![
        ("{schoolId: \"sch-3\"}", Box::new(|s: &Student| s.school_id == "sch-3")),
        ("{grade: 9}", Box::new(|s: &Student| s.matching.grade == nine)),
        ("{needKind: MENTORING}", Box::new(|s: &Student| has_need(s, Kind::Mentoring))),
        ("{unmatched: true}", Box::new(|s: &Student| has_unfilled(s, None))),
        ("{unmatched: false}", Box::new(|s: &Student| !has_unfilled(s, None))),
        (
            "{needKind: TUTORING, unmatched: true, schoolId: \"sch-1\"}",
            Box::new(|s: &Student| {
                s.school_id == "sch-1" && has_need(s, Kind::Tutoring) && has_unfilled(s, Some(Kind::Tutoring))
            }),
        ),
        (
            "{grade: 9, schoolId: \"sch-2\"}",
            Box::new(|s: &Student| s.matching.grade == nine && s.school_id == "sch-2"),
        ),
    ];
    for (filter, pick) in cases {
        let expected: Vec<String> =
            demo.students.iter().filter(|s| pick(s)).map(|s| s.matching.id.clone()).take(100).collect();
        let n_expected = demo.students.iter().filter(|s| pick(s)).count() as u64;
        let response = server
            .query(
                Some(&admin()),
                &format!(
                    "{{ students(first: 100, filter: {filter}) {{ totalCount edges {{ node {{ id }} }} }} }}"
                ),
            )
            .await;
        no_errors(&response);
        assert_eq!(total(&response, "students"), n_expected, "{filter}");
        let mut got: Vec<String> = response["data"]["students"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect();
        let mut expected = expected;
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "{filter}");
    }
    // Filters never widen what a role sees.
    let response = server
        .query(Some(&counselor("sch-1")), "{ students(filter: {schoolId: \"sch-2\"}) { totalCount } }")
        .await;
    assert_eq!(total(&response, "students"), 0);
    let response =
        server.query(Some(&admin()), "{ students(filter: {needKind: COOKING}) { totalCount } }").await;
    assert_eq!((code(&response), field(&response)), ("BAD_USER_INPUT", "filter.needKind"));
    server.stop().await;
}

#[tokio::test]
async fn bad_input_names_its_field_and_writes_nothing() {
    for db in backends().await {
        let name = db.name;
        school_of_students(&db, 2).await;
        let server = TestServer::start(db, false).await;
        let conn = server.db.store.db().clone();
        let before = footprint(&conn).await;
        let create = |edits: &[(&str, &str)]| {
            format!(
                "mutation {{ createStudent(input: {}) {{ id }} }}",
                student_input("s-new", "sch-1", edits)
            )
        };
        let cases: Vec<(String, &str, &str)> = vec![
            (create(&[("grade", "13")]), "BAD_USER_INPUT", "input.grade"),
            (
                create(&[("availability", "[{day: \"TUE\", start: \"18:00\", end: \"15:30\"}]")]),
                "BAD_USER_INPUT",
                "input.availability[0]",
            ),
            (create(&[("firstName", "\" \"")]), "BAD_USER_INPUT", "input.firstName"),
            (create(&[("schoolId", "\"sch-none\"")]), "BAD_USER_INPUT", "input.schoolId"),
            (create(&[("id", "null")]), "BAD_USER_INPUT", "input.id"),
            (
                "mutation { createSchool(input: {id: \"sch-2\", districtId: \"d-none\", name: \"X\"}) { id } }".into(),
                "BAD_USER_INPUT",
                "input.districtId",
            ),
            (
                "mutation { updateStudent(id: \"s-0000\", input: {priority: 7}) { id } }".into(),
                "BAD_USER_INPUT",
                "input.priority",
            ),
            (
                "mutation { updateStudent(id: \"s-0000\", input: {lastName: null}) { id } }".into(),
                "BAD_USER_INPUT",
                "input.lastName",
            ),
        ];
        for (query, expected_code, expected_field) in cases {
            let response = server.query(Some(&admin()), &query).await;
            assert_eq!(code(&response), expected_code, "{name}: {query}: {response}");
            assert_eq!(field(&response), expected_field, "{name}: {query}");
        }
        let conflict = server.query(Some(&admin()), &create(&[("id", "\"s-0001\"")])).await;
        assert_eq!(code(&conflict), "CONFLICT", "{name}");
        assert_eq!(footprint(&conn).await, before, "{name}: failed mutations wrote nothing");
        // The same input, fixed, is written with one audit entry.
        no_errors(&server.query(Some(&admin()), &create(&[])).await);
        let (n_students, n_schools, n_audit, _) = footprint(&conn).await;
        assert_eq!((n_students, n_schools, n_audit), (before.0 + 1, before.1, before.2 + 1), "{name}");
        server.stop().await;
    }
}

#[tokio::test]
async fn partner_reads_are_disclosed_and_only_admin_reads_the_log() {
    for db in backends().await {
        let name = db.name;
        let demo = demo();
        let server = demo_server(db).await;
        let conn = server.db.store.db().clone();
        let (partner_id, mine, one, _) = a_partner_and_students(&demo);
        let school = school_of(&demo, &one).to_owned();

        // Counselors, ADMIN and students read without a trace in the log.
        for who in [counselor(&school), admin(), student_token(&one)] {
            no_errors(&server.query(Some(&who), &format!("{{ student(id: \"{one}\") {{ firstName lastName }} students {{ edges {{ node {{ firstName }} }} }} }}")).await);
        }
        assert_eq!(disclosure_log::Entity::find().count(&conn).await.unwrap(), 0, "{name}");

        // A partner's list: one row per student, naming the fields read.
        let response = server
            .query(
                Some(&partner(&partner_id)),
                "{ students(first: 100) { edges { node { firstName grade } } } }",
            )
            .await;
        no_errors(&response);
        let rows =
            disclosure_log::Entity::find().order_by_asc(disclosure_log::Column::Id).all(&conn).await.unwrap();
        let logged: BTreeSet<String> = rows.iter().map(|r| r.student_id.clone()).collect();
        assert_eq!(rows.len(), mine.len(), "{name}");
        assert_eq!(logged, mine, "{name}");
        for row in &rows {
            assert_eq!(row.partner_id, partner_id, "{name}");
            assert_eq!(row.actor, format!("partner:{partner_id}"), "{name}");
            assert_eq!(row.fields, json!(["firstName", "grade"]), "{name}");
        }

        // One student through a fragment; a forbidden field is not disclosed.
        let response = server
            .query(
                Some(&partner(&partner_id)),
                &format!("query {{ student(id: \"{one}\") {{ ...f lastName }} }} fragment f on Student {{ id languages }}"),
            )
            .await;
        assert_eq!(code(&response), "FORBIDDEN", "{name}");
        let last = disclosure_log::Entity::find()
            .filter(disclosure_log::Column::StudentId.eq(one.as_str()))
            .order_by_desc(disclosure_log::Column::Id)
            .one(&conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last.fields, json!(["id", "languages"]), "{name}");
        assert_eq!(
            disclosure_log::Entity::find().count(&conn).await.unwrap(),
            mine.len() as u64 + 1,
            "{name}"
        );

        // Nothing read, nothing logged: a refused student, a forbidden-only selection.
        let other_partner = token(Role::Partner, Some("p-none"));
        let refused = server
            .query(Some(&other_partner), &format!("{{ student(id: \"{one}\") {{ firstName }} }}"))
            .await;
        assert_eq!(refused, json!({"data": {"student": null}}), "{name}");
        let only_forbidden = server
            .query(Some(&partner(&partner_id)), &format!("{{ student(id: \"{one}\") {{ lastName }} }}"))
            .await;
        assert_eq!(code(&only_forbidden), "FORBIDDEN");
        assert_eq!(
            disclosure_log::Entity::find().count(&conn).await.unwrap(),
            mine.len() as u64 + 1,
            "{name}"
        );

        // ADMIN reads the log by student and by partner.
        let response = server
            .query(
                Some(&admin()),
                &format!("{{ disclosures(filter: {{studentId: \"{one}\"}}) {{ totalCount edges {{ node {{ partnerId actor studentId fields operation occurredAt }} }} }} }}"),
            )
            .await;
        no_errors(&response);
        assert_eq!(total(&response, "disclosures"), 2, "{name}");
        let entries = response["data"]["disclosures"]["edges"].as_array().unwrap();
        assert_eq!(entries[0]["node"]["fields"], json!(["firstName", "grade"]), "{name}");
        assert_eq!(entries[0]["node"]["operation"], "students", "{name}");
        assert_eq!(entries[1]["node"]["fields"], json!(["id", "languages"]), "{name}");
        assert_eq!(entries[1]["node"]["operation"], "student", "{name}");
        let response = server
            .query(Some(&admin()), &format!("{{ disclosures(first: 3, filter: {{partnerId: \"{partner_id}\"}}) {{ totalCount pageInfo {{ hasNextPage }} }} }}"))
            .await;
        assert_eq!(total(&response, "disclosures"), mine.len() as u64 + 1, "{name}");
        let response = server
            .query(Some(&admin()), "{ disclosures(filter: {partnerId: \"p-none\"}) { totalCount } }")
            .await;
        assert_eq!(total(&response, "disclosures"), 0, "{name}");
        server.stop().await;
    }
}

fn students_csv(rows: &[[&str; 2]]) -> String {
    let mut csv = String::from(
        "id,firstName,lastName,grade,birthDate,languages,homeLat,homeLon,travelModes,maxTravelMinutes,remoteOk,availability,needs,priority,consentOnFile\\n",
    );
    for [id, grade] in rows {
        csv.push_str(&format!(
            "{id},Ana,Diaz,{grade},2011-04-01,es;en,41.9,-87.65,WALK,45,true,TUE 15:30-18:00,TUTORING:algebra,1,true\\n"
        ));
    }
    csv
}

#[tokio::test]
async fn an_import_with_a_bad_row_writes_nothing() {
    for db in backends().await {
        let name = db.name;
        school_of_students(&db, 1).await;
        let server = TestServer::start(db, false).await;
        let conn = server.db.store.db().clone();
        let before = footprint(&conn).await;
        let import = |csv: String| {
            format!(
                "mutation {{ importStudents(schoolId: \"sch-1\", csv: \"{csv}\") {{ ok created updated errors {{ row column message }} }} }}"
            )
        };
        let response = server
            .query(Some(&counselor("sch-1")), &import(students_csv(&[["s-7001", "9"], ["s-7002", "13"]])))
            .await;
        no_errors(&response);
        let result = &response["data"]["importStudents"];
        assert_eq!((result["ok"].clone(), result["created"].clone()), (json!(false), json!(0)), "{name}");
        assert_eq!(result["errors"][0]["row"], 3, "{name}: {response}");
        assert_eq!(result["errors"][0]["column"], "grade", "{name}");
        assert_eq!(footprint(&conn).await, before, "{name}");

        let response = server
            .query(Some(&counselor("sch-1")), &import(students_csv(&[["s-7001", "9"], ["s-0000", "10"]])))
            .await;
        no_errors(&response);
        let result = &response["data"]["importStudents"];
        assert_eq!(
            (result["ok"].clone(), result["created"].clone(), result["updated"].clone()),
            (json!(true), json!(1), json!(1)),
            "{name}"
        );
        assert_eq!(students::Entity::find().count(&conn).await.unwrap(), before.0 + 1, "{name}");
        server.stop().await;
    }
}

#[tokio::test]
async fn withdrawn_consent_rules_the_student_out_of_new_matches() {
    for db in backends().await {
        let name = db.name;
        let server = demo_server(db).await;
        let conn = server.db.store.db().clone();
        let run = || async {
            let raw =
                load_scope(&conn, &Scope::district(), as_of(), Default::default()).await.unwrap().to_raw();
            let instance = matcher::parse_instance(&raw).unwrap();
            let outcome = matcher::run(&instance, Options::default(), &mut Silent).unwrap();
            serde_json::to_value(matcher::result_document(&instance, &outcome, false, Seconds::default()))
                .unwrap()
        };
        let before = run().await;
        let assignment = &before["assignments"][0];
        let (student, kind) =
            (assignment["studentId"].as_str().unwrap().to_owned(), assignment["kind"].clone());

        let response = server
            .query(
                Some(&student_token(&student)),
                &format!("mutation {{ withdrawConsent(studentId: \"{student}\") {{ id consentOnFile }} }}"),
            )
            .await;
        no_errors(&response);
        assert_eq!(response["data"]["withdrawConsent"]["consentOnFile"], false, "{name}");
        let audits = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("withdraw_consent"))
            .filter(audit_log::Column::EntityId.eq(student.as_str()))
            .count(&conn)
            .await
            .unwrap();
        assert_eq!(audits, 1, "{name}");

        let after = run().await;
        assert!(
            after["assignments"].as_array().unwrap().iter().all(|a| a["studentId"] != student.as_str()),
            "{name}: no new match for {student}"
        );
        let unmatched = after["unmatched"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["studentId"] == student.as_str() && u["kind"] == kind)
            .unwrap_or_else(|| panic!("{name}: {student} not unmatched"));
        assert!(unmatched["ruledOutBy"]["CONSENT"].as_u64().unwrap_or(0) >= 1, "{name}: {unmatched}");
        let absent = server
            .query(Some(&admin()), "mutation { withdrawConsent(studentId: \"s-nobody\") { id } }")
            .await;
        assert_eq!(code(&absent), "NOT_FOUND", "{name}");
        server.stop().await;
    }
}

#[tokio::test]
async fn the_later_migrations_go_down_and_up_again_one_by_one() {
    for db in backends().await {
        let conn = db.store.db();
        let manager = SchemaManager::new(conn);
        for table in PRIVACY_TABLES {
            assert!(manager.has_table(*table).await.unwrap(), "{}: {table} after up", db.name);
        }
        // Mail goes first: its table and the guardians' language.
        assert!(manager.has_table("mail_deliveries").await.unwrap(), "{}", db.name);
        assert!(manager.has_column("guardians", "language").await.unwrap(), "{}", db.name);
        Migrator::down(conn, Some(1)).await.unwrap_or_else(|err| panic!("{}: down: {err}", db.name));
        assert!(!manager.has_table("mail_deliveries").await.unwrap(), "{}", db.name);
        assert!(!manager.has_column("guardians", "language").await.unwrap(), "{}", db.name);
        assert!(manager.has_column("guardians", "email").await.unwrap(), "{}", db.name);
        // Then the notification tables, then the waitlist column, and nothing else.
        for table in NOTIFICATION_TABLES {
            assert!(manager.has_table(*table).await.unwrap(), "{}: {table} after up", db.name);
        }
        Migrator::down(conn, Some(1)).await.unwrap_or_else(|err| panic!("{}: down: {err}", db.name));
        for table in NOTIFICATION_TABLES {
            assert!(!manager.has_table(*table).await.unwrap(), "{}: {table} after down", db.name);
        }
        assert!(manager.has_column("student_needs", "waiting_since").await.unwrap(), "{}", db.name);
        Migrator::down(conn, Some(1)).await.unwrap_or_else(|err| panic!("{}: down: {err}", db.name));
        assert!(!manager.has_column("student_needs", "waiting_since").await.unwrap(), "{}", db.name);
        assert!(manager.has_column("student_needs", "subjects").await.unwrap(), "{}", db.name);
        // The district columns next, and nothing else.
        for (table, column) in
            [("openings", "status"), ("matches", "student_accepted"), ("feedback", "visibility")]
        {
            assert!(manager.has_column(table, column).await.unwrap(), "{}: {table}.{column}", db.name);
        }
        Migrator::down(conn, Some(1)).await.unwrap_or_else(|err| panic!("{}: down: {err}", db.name));
        for (table, column) in
            [("openings", "status"), ("matches", "partner_accepted"), ("feedback", "visibility")]
        {
            assert!(!manager.has_column(table, column).await.unwrap(), "{}: {table}.{column}", db.name);
        }
        // Then the read indexes, and nothing else.
        let read_index = "ix_openings_kind_is_virtual_lat_lon";
        assert!(manager.has_index("openings", read_index).await.unwrap(), "{}", db.name);
        Migrator::down(conn, Some(1)).await.unwrap_or_else(|err| panic!("{}: down: {err}", db.name));
        assert!(!manager.has_index("openings", read_index).await.unwrap(), "{}", db.name);
        // Then the matching migration: its column and index, and nothing else.
        assert!(manager.has_column("matches", "travel_minutes").await.unwrap());
        assert!(manager.has_index("match_runs", ACTIVE_RUN_INDEX).await.unwrap());
        Migrator::down(conn, Some(1)).await.unwrap_or_else(|err| panic!("{}: down: {err}", db.name));
        assert!(!manager.has_column("matches", "travel_minutes").await.unwrap(), "{}", db.name);
        assert!(!manager.has_index("match_runs", ACTIVE_RUN_INDEX).await.unwrap(), "{}", db.name);
        for table in PRIVACY_TABLES {
            assert!(manager.has_table(*table).await.unwrap(), "{}: {table} after one down", db.name);
        }
        Migrator::down(conn, Some(1)).await.unwrap_or_else(|err| panic!("{}: down: {err}", db.name));
        for table in PRIVACY_TABLES {
            assert!(!manager.has_table(*table).await.unwrap(), "{}: {table} after down", db.name);
        }
        assert!(
            manager.has_table("students").await.unwrap(),
            "{}: only the last migration went down",
            db.name
        );
        Migrator::up(conn, None).await.unwrap_or_else(|err| panic!("{}: up again: {err}", db.name));
        for table in PRIVACY_TABLES {
            assert!(manager.has_table(*table).await.unwrap(), "{}: {table} after up again", db.name);
        }
        assert!(manager.has_column("matches", "travel_minutes").await.unwrap());
        assert!(manager.has_index("match_runs", ACTIVE_RUN_INDEX).await.unwrap());
        assert!(manager.has_index("openings", read_index).await.unwrap(), "{}", db.name);
        assert!(manager.has_column("matches", "partner_accepted").await.unwrap(), "{}", db.name);
        assert!(manager.has_column("student_needs", "waiting_since").await.unwrap(), "{}", db.name);
        for table in NOTIFICATION_TABLES {
            assert!(manager.has_table(*table).await.unwrap(), "{}: {table} after up again", db.name);
        }
        assert!(manager.has_table("mail_deliveries").await.unwrap(), "{}", db.name);
        assert!(manager.has_column("guardians", "language").await.unwrap(), "{}", db.name);
    }
}
