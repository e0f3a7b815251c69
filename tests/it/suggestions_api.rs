//! `suggestions` and `needReport` over HTTP: checked against the matcher itself run
//! on the student's own scope (same openings, scores, order, breakdowns and
//! sessions; the same `ruledOutBy`), on the demo district and on perturbed copies
//! of it; the access matrix and input errors; withdrawn consent; and a fixed number
//! of statements whatever the size of the district.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{NaiveDate, TimeZone, Utc};
use cli::demo::{Demo, demo, seed};
use matcher::generate::Rng;
use matcher::validate::RawWindow;
use matcher::{Options, Seconds, Silent};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use store::matches::{get, propose, transition};
use store::records::{Kind, MatchStatus, NewMatch, Opening, Place, Role, Student};
use store::scope::{Scope, load_scope};
use store::suggest;
use store::write::{save_openings, save_students};

use crate::db::{TestDb, backends, sqlite};
use crate::http::{TestServer, token};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 14, 7, 30, 0).unwrap()
}

/// The date the service judges matching on.
fn today() -> NaiveDate {
    Utc::now().date_naive()
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

async fn demo_server(db: TestDb) -> TestServer {
    seed(&db.store, now()).await.unwrap();
    TestServer::start(db, false).await
}

fn kind_of(need: &str) -> Kind {
    Kind::parse(need).unwrap()
}

const SUGGESTION: &str = "opening { id virtual sessionMinutes sessionsPerWeek schedule { day start end } } \
     score breakdown { criterion points } sessions { day start end } explanation";
const REPORT: &str = "filled feasible ruledOutBy { constraint count }";

/// What the matcher itself says of one need, run on the student's own scope.
struct Oracle {
    /// Candidate (opening, score), best first, then by opening id.
    ranked: Vec<(String, u64)>,
    /// The run's assignment of the need, if any.
    assignment: Option<Value>,
    /// `ruledOutBy` when the need is NO_CANDIDATE.
    ruled_out_by: Option<BTreeMap<String, u64>>,
    /// An open match of the kind fills the need.
    filled: bool,
    /// The student's availability, and the sessions they already hold.
    availability: Vec<RawWindow>,
    held: Vec<RawWindow>,
}

async fn oracle(conn: &DatabaseConnection, student: &Student, kind: Kind, as_of: NaiveDate) -> Oracle {
    let id = student.matching.id.as_str();
    let scope = Scope {
        school_id: Some(student.school_id.clone()),
        kinds: vec![kind],
        student_ids: Some(vec![id.to_owned()]),
    };
    let raw = load_scope(conn, &scope, as_of, Default::default()).await.unwrap().to_raw();
    let instance = matcher::parse_instance(&raw).unwrap();
    let outcome = matcher::run(&instance, Options { keep_candidates: true }, &mut Silent).unwrap();
    let document =
        serde_json::to_value(matcher::result_document(&instance, &outcome, true, Seconds::default()))
            .unwrap();
    let ours = |item: &&Value| item["studentId"] == id && item["kind"] == kind.as_str();
    let mut ranked: Vec<(String, u64)> = document["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(ours)
        .map(|item| (item["openingId"].as_str().unwrap().to_owned(), item["score"].as_u64().unwrap()))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let assignment = document["assignments"].as_array().unwrap().iter().find(ours).cloned();
    let ruled_out_by = document["unmatched"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| ours(item) && item["reason"] == "NO_CANDIDATE")
        .map(|item| serde_json::from_value(item["ruledOutBy"].clone()).unwrap());
    let openings = raw.openings.as_ref().unwrap();
    let existing = raw.existing_matches.as_ref().unwrap();
    let filled = existing
        .iter()
        .any(|held| openings.iter().any(|o| o.id == held.opening_id && o.kind == kind.as_str()));
    Oracle {
        ranked,
        assignment,
        ruled_out_by,
        filled,
        availability: raw.students.as_ref().unwrap()[0].availability.clone(),
        held: existing.iter().flat_map(|held| held.sessions.clone().unwrap_or_default()).collect(),
    }
}

/// Minutes of the week a set of windows covers.
fn minutes(windows: impl IntoIterator<Item = (String, String, String)>) -> BTreeSet<u32> {
    let clock = |text: &str| {
        let (h, m) = text.split_once(':').unwrap();
        h.parse::<u32>().unwrap() * 60 + m.parse::<u32>().unwrap()
    };
    let days = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
    let mut covered = BTreeSet::new();
    for (day, start, end) in windows {
        let base = days.iter().position(|d| *d == day).unwrap() as u32 * 1440;
        covered.extend(base + clock(&start)..base + clock(&end));
    }
    covered
}

fn raw_minutes(windows: &[RawWindow]) -> BTreeSet<u32> {
    minutes(windows.iter().map(|w| (w.day.clone(), w.start.clone(), w.end.clone())))
}

fn json_minutes(windows: &Value) -> BTreeSet<u32> {
    minutes(windows.as_array().unwrap().iter().map(|w| {
        let text = |key: &str| w[key].as_str().unwrap().to_owned();
        (text("day"), text("start"), text("end"))
    }))
}

/// What the checks saw, to show they were not vacuous.
#[derive(Debug, Default)]
struct Seen {
    needs: usize,
    suggestions: usize,
    no_candidate: usize,
    filled: usize,
    opening_ids: BTreeSet<String>,
    explanations: Vec<String>,
}

/// Asks for every need of `student` in one request and checks each against the oracle.
async fn check_student(server: &TestServer, student: &Student, as_of: NaiveDate, seen: &mut Seen) {
    let id = &student.matching.id;
    let kinds: Vec<Kind> = student.matching.needs.iter().map(|need| need.kind).collect();
    if kinds.is_empty() {
        return;
    }
    let mut query = String::from("{");
    for kind in &kinds {
        let name = kind.as_str();
        query.push_str(&format!(
            " s{name}: suggestions(studentId: \"{id}\", kind: {name}, first: 20) {{ {SUGGESTION} }} \
             r{name}: needReport(studentId: \"{id}\", kind: {name}) {{ {REPORT} }}"
        ));
    }
    query.push('}');
    let response = server.query(Some(&admin()), &query).await;
    no_errors(&response);
    let conn = server.db.store.db();
    for kind in kinds {
        let expected = oracle(conn, student, kind, as_of).await;
        let name = kind.as_str();
        let got = response["data"][format!("s{name}")].as_array().unwrap();
        let report = &response["data"][format!("r{name}")];
        let context = format!("{id} {name}");
        seen.needs += 1;
        seen.suggestions += got.len();

        let ranked: Vec<(String, u64)> = got
            .iter()
            .map(|s| (s["opening"]["id"].as_str().unwrap().to_owned(), s["score"].as_u64().unwrap()))
            .collect();
        let top: Vec<(String, u64)> = expected.ranked.iter().take(20).cloned().collect();
        assert_eq!(ranked, top, "{context}: suggestions are the run's candidates, best first");

        let available = raw_minutes(&expected.availability);
        let held = raw_minutes(&expected.held);
        for suggestion in got {
            let opening = &suggestion["opening"];
            seen.opening_ids.insert(opening["id"].as_str().unwrap().to_owned());
            let points: i64 = suggestion["breakdown"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["points"].as_i64().unwrap())
                .sum();
            assert_eq!(points, suggestion["score"].as_i64().unwrap(), "{context}: the breakdown adds up");
            let sessions = suggestion["sessions"].as_array().unwrap();
            assert_eq!(sessions.len() as u64, opening["sessionsPerWeek"].as_u64().unwrap(), "{context}");
            let days: BTreeSet<&str> = sessions.iter().map(|s| s["day"].as_str().unwrap()).collect();
            assert_eq!(days.len(), sessions.len(), "{context}: sessions on distinct days");
            let schedule = json_minutes(&opening["schedule"]);
            for session in sessions {
                let one = json_minutes(&Value::Array(vec![session.clone()]));
                assert_eq!(one.len() as u64, opening["sessionMinutes"].as_u64().unwrap(), "{context}");
                assert!(one.is_subset(&schedule), "{context}: {session} inside the opening's schedule");
                assert!(one.is_subset(&available), "{context}: {session} inside the student's availability");
                assert!(
                    one.is_disjoint(&held),
                    "{context}: {session} clear of the sessions the student holds"
                );
            }
            let explanation = suggestion["explanation"].as_str().unwrap();
            assert!(explanation.starts_with("speaks "), "{context}: {explanation}");
            assert_eq!(
                explanation.contains("online"),
                opening["virtual"] == true,
                "{context}: {explanation}"
            );
            seen.explanations.push(explanation.to_owned());
        }
        // The run's own pick among them has the same breakdown and sessions.
        if let Some(assignment) = &expected.assignment {
            let pick = got
                .iter()
                .find(|s| s["opening"]["id"] == assignment["openingId"])
                .unwrap_or_else(|| panic!("{context}: the run's pick {assignment} is suggested"));
            assert_eq!(pick["score"], assignment["score"], "{context}");
            assert_eq!(pick["score"], got[0]["score"], "{context}: the pick scores best");
            let breakdown: BTreeMap<String, i64> = pick["breakdown"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["criterion"].as_str().unwrap().to_lowercase(), c["points"].as_i64().unwrap()))
                .collect();
            let run_breakdown: BTreeMap<String, i64> =
                serde_json::from_value(assignment["breakdown"].clone()).unwrap();
            assert_eq!(breakdown, run_breakdown, "{context}: the run's breakdown");
            assert_eq!(pick["sessions"], assignment["sessions"], "{context}: the run's sessions");
        }

        assert_eq!(report["filled"], expected.filled, "{context}");
        assert_eq!(report["feasible"].as_u64().unwrap(), expected.ranked.len() as u64, "{context}: feasible");
        let counts: Vec<(String, u64)> = report["ruledOutBy"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["constraint"].as_str().unwrap().to_owned(), c["count"].as_u64().unwrap()))
            .collect();
        assert!(counts.iter().all(|(_, count)| *count > 0), "{context}: zero counts are left out");
        let order: Vec<usize> =
            counts.iter().map(|(key, _)| CONSTRAINTS.iter().position(|c| c == key).unwrap()).collect();
        assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{context}: in docs/matching.md order");
        if expected.filled {
            seen.filled += 1;
            assert!(got.is_empty() && counts.is_empty(), "{context}: a filled need gets nothing");
        }
        if let Some(ruled_out_by) = &expected.ruled_out_by {
            seen.no_candidate += 1;
            assert_eq!(
                counts.into_iter().collect::<BTreeMap<_, _>>(),
                *ruled_out_by,
                "{context}: ruledOutBy"
            );
        }
    }
}

const CONSTRAINTS: [&str; 11] = [
    "SUBJECTS",
    "GRADE",
    "AGE",
    "LANGUAGE",
    "SCHEDULE",
    "TRAVEL",
    "CONSENT",
    "AGREEMENT",
    "BACKGROUND_CHECK",
    "DECLINED",
    "FULL",
];

/// Copies of the demo's openings that only an exact pre-filter finds: subjects in
/// other cases and with spaces, tabs or no-break spaces around them; and places out of
/// walking and transit reach that a partner's pick-up brings back.
fn variants(demo: &Demo) -> Vec<Opening> {
    demo.openings
        .iter()
        .enumerate()
        .map(|(index, opening)| {
            let mut copy = opening.clone();
            let raw = &mut copy.matching;
            raw.id = format!("{}-v", raw.id);
            raw.subjects = raw
                .subjects
                .iter()
                .map(|subject| match index % 3 {
                    0 => format!("  {}  ", subject.to_uppercase()),
                    1 => format!("{}\t", subject[..1].to_uppercase() + &subject[1..]),
                    _ => format!("\u{a0}{subject}"),
                })
                .collect();
            if let Some(place) = raw.place.filter(|_| index % 2 == 0) {
                raw.place = Place::new(place.lat() + 0.05, place.lon() - 0.04);
                raw.pickup_radius_km = Some(9.0);
            }
            copy
        })
        .collect()
}

/// Perturbs the seeded demo: the variant openings, matches proposed from a run of the
/// whole district (slots and students' time taken, needs filled), some of them
/// declined, and one student's consent withdrawn.
async fn perturb(server: &TestServer, demo: &Demo, as_of: NaiveDate) -> BTreeSet<String> {
    let conn = server.db.store.db();
    save_openings(conn, &variants(demo), now()).await.unwrap();
    let raw = load_scope(conn, &Scope::district(), as_of, Default::default()).await.unwrap().to_raw();
    let instance = matcher::parse_instance(&raw).unwrap();
    let outcome = matcher::run(&instance, Options::default(), &mut Silent).unwrap();
    let document =
        serde_json::to_value(matcher::result_document(&instance, &outcome, false, Seconds::default()))
            .unwrap();
    let mut rng = Rng::new(23);
    let mut touched = BTreeSet::new();
    let picked: Vec<NewMatch> = document["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|_| rng.chance(0.05))
        .enumerate()
        .map(|(index, item)| NewMatch {
            id: format!("m-perturbed-{index}"),
            run_id: None,
            student_id: item["studentId"].as_str().unwrap().to_owned(),
            opening_id: item["openingId"].as_str().unwrap().to_owned(),
            kind: kind_of(item["kind"].as_str().unwrap()),
            score: item["score"].as_u64().unwrap() as u32,
            breakdown: serde_json::from_value(item["breakdown"].clone()).unwrap(),
            sessions: serde_json::from_value::<Vec<RawWindow>>(item["sessions"].clone())
                .unwrap()
                .iter()
                .map(|window| matcher::record::parse_window("sessions", window).unwrap())
                .collect(),
            travel_minutes: None,
        })
        .collect();
    assert!(picked.len() >= 6, "{} matches proposed", picked.len());
    propose(conn, &picked, "counselor:test", now()).await.unwrap();
    for (index, item) in picked.iter().enumerate() {
        touched.insert(item.student_id.clone());
        if index % 4 == 0 {
            let current = get(conn, &item.id).await.unwrap();
            transition(conn, &current, MatchStatus::Declined, "student:test", None, now()).await.unwrap();
        }
    }
    let withdrawn = picked[1].student_id.clone();
    let response = server
        .query(
            Some(&admin()),
            &format!("mutation {{ withdrawConsent(studentId: \"{withdrawn}\") {{ id }} }}"),
        )
        .await;
    no_errors(&response);
    touched
}

/// Every `step`-th demo student, and some holding an open match (whose time and
/// filled needs the narrowed load must get right). Each need checked costs some
/// fifty statements (the oracle's load, `suggestions`, `needReport`): a sample keeps
/// a debug build quick.
fn sample(demo: &Demo, step: usize) -> Vec<&Student> {
    let holding: BTreeSet<&str> = demo
        .matches
        .iter()
        .filter(|m| m.status.is_open())
        .map(|m| m.new.student_id.as_str())
        .take(8)
        .collect();
    demo.students
        .iter()
        .enumerate()
        .filter(|(index, s)| index % step == 0 || holding.contains(s.matching.id.as_str()))
        .map(|(_, s)| s)
        .collect()
}

/// A sample of the demo's students, every need of each, then the same (and every
/// student the perturbation touched) after perturbing the district.
#[tokio::test]
async fn suggestions_are_the_runs_own_candidates_and_reports_its_ruled_out_counts() {
    let demo = demo();
    for db in backends().await {
        let name = db.name;
        let server = demo_server(db).await;
        let as_of = today();
        let mut seen = Seen::default();
        for student in sample(&demo, 10) {
            check_student(&server, student, as_of, &mut seen).await;
        }
        assert!(seen.needs >= 40 && seen.suggestions >= 120, "{name}: {seen:?}");
        assert!(seen.no_candidate >= 5 && seen.filled >= 3, "{name}: {seen:?}");

        let touched = perturb(&server, &demo, as_of).await;
        let mut after = Seen::default();
        let again = demo.students.iter().filter(|s| touched.contains(&s.matching.id));
        for student in again.chain(sample(&demo, 40)) {
            check_student(&server, student, as_of, &mut after).await;
        }
        assert!(after.opening_ids.iter().any(|id| id.ends_with("-v")), "{name}: {after:?}");
        assert!(after.explanations.iter().any(|e| e.contains("by partner pick-up")), "{name}: {after:?}");
        assert!(after.filled >= 3, "{name}: {after:?}");
        server.stop().await;
    }
}

/// A demo student with a need that has suggestions, and their need's kind.
fn a_suggested_student(demo: &Demo) -> (&Student, Kind) {
    let student =
        demo.students.iter().find(|s| s.matching.consent_on_file && s.matching.needs.len() >= 2).unwrap();
    (student, student.matching.needs[0].kind)
}

#[tokio::test]
async fn access_follows_the_matrix_and_bad_input_names_its_field() {
    let demo = demo();
    let server = demo_server(sqlite().await).await;
    let (student, kind) = a_suggested_student(&demo);
    let (id, school) = (student.matching.id.as_str(), student.school_id.as_str());
    let other_school = demo.schools.iter().find(|s| s.id != school).unwrap().id.as_str();
    let other_student = demo.students.iter().find(|s| s.matching.id != id).unwrap().matching.id.as_str();
    let partner = demo.partners[0].id.as_str();
    let kind = kind.as_str();
    let query = format!(
        "{{ suggestions(studentId: \"{id}\", kind: {kind}) {{ opening {{ id }} score }} \
         needReport(studentId: \"{id}\", kind: {kind}) {{ feasible }} }}"
    );
    let tokens = [
        (Some(admin()), None),
        (Some(token(Role::Counselor, Some(school))), None),
        (Some(token(Role::Student, Some(id))), None),
        // Another school's student is one the viewer may not know of (NOT_FOUND, as
        // for none); a partner never gets suggestions, whatever the id.
        (Some(token(Role::Counselor, Some(other_school))), Some("NOT_FOUND")),
        (Some(token(Role::Partner, Some(partner))), Some("FORBIDDEN")),
        (Some(token(Role::Student, Some(other_student))), Some("NOT_FOUND")),
        (None, Some("UNAUTHENTICATED")),
    ];
    for (bearer, refused) in tokens {
        let response = server.query(bearer.as_deref(), &query).await;
        match refused {
            None => {
                no_errors(&response);
                let got = response["data"]["suggestions"].as_array().unwrap();
                assert!(!got.is_empty() && got.len() <= 5, "{response}");
                assert!(response["data"]["needReport"]["feasible"].as_u64().unwrap() >= got.len() as u64);
            }
            Some(expected) => {
                let errors = response["errors"].as_array().unwrap();
                assert_eq!(errors.len(), 2, "{response}");
                assert!(errors.iter().all(|e| e["extensions"]["code"] == expected), "{response}");
                assert!(response["data"].is_null(), "{response}");
            }
        }
    }

    let ask = |args: &str| format!("{{ suggestions({args}) {{ score }} }}");
    let response =
        server.query(Some(&admin()), &ask(&format!("studentId: \"s-nobody\", kind: {kind}"))).await;
    assert_eq!(code(&response), "NOT_FOUND");
    let response = server
        .query(Some(&admin()), "{ needReport(studentId: \"s-nobody\", kind: TUTORING) { feasible } }")
        .await;
    assert_eq!(code(&response), "NOT_FOUND");
    for first in [0, 21, -1] {
        let response = server
            .query(Some(&admin()), &ask(&format!("studentId: \"{id}\", kind: {kind}, first: {first}")))
            .await;
        assert_eq!((code(&response), field(&response)), ("BAD_USER_INPUT", "first"), "{first}");
    }
    let response =
        server.query(Some(&admin()), &ask(&format!("studentId: \"{id}\", kind: {kind}, first: 20"))).await;
    no_errors(&response);
    let needless = demo.students.iter().find(|s| s.matching.needs.len() < 3).unwrap();
    let missing = [Kind::Tutoring, Kind::Mentoring, Kind::Internship]
        .into_iter()
        .find(|k| needless.matching.needs.iter().all(|n| n.kind != *k))
        .unwrap()
        .as_str();
    let needless = needless.matching.id.as_str();
    for query in [
        ask(&format!("studentId: \"{needless}\", kind: {missing}")),
        format!("{{ needReport(studentId: \"{needless}\", kind: {missing}) {{ feasible }} }}"),
    ] {
        let response = server.query(Some(&admin()), &query).await;
        assert_eq!((code(&response), field(&response)), ("BAD_USER_INPUT", "kind"), "{response}");
    }
    server.stop().await;
}

/// Withdrawn consent leaves nothing to suggest, and the report says why: consent
/// rules out every opening of the kind.
#[tokio::test]
async fn withdrawn_consent_empties_suggestions_and_is_counted() {
    let demo = demo();
    let server = demo_server(sqlite().await).await;
    let (student, kind) = a_suggested_student(&demo);
    let (id, kind) = (student.matching.id.as_str(), kind.as_str());
    let counselor = token(Role::Counselor, Some(&student.school_id));
    let query = format!(
        "{{ suggestions(studentId: \"{id}\", kind: {kind}) {{ score }} \
         needReport(studentId: \"{id}\", kind: {kind}) {{ {REPORT} }} }}"
    );
    let before = server.query(Some(&counselor), &query).await;
    no_errors(&before);
    assert!(!before["data"]["suggestions"].as_array().unwrap().is_empty());
    assert!(
        before["data"]["needReport"]["ruledOutBy"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["constraint"] != "CONSENT")
    );

    let withdraw = format!("mutation {{ withdrawConsent(studentId: \"{id}\") {{ id }} }}");
    no_errors(&server.query(Some(&counselor), &withdraw).await);
    let after = server.query(Some(&counselor), &query).await;
    no_errors(&after);
    assert_eq!(after["data"]["suggestions"], Value::Array(Vec::new()));
    let report = &after["data"]["needReport"];
    assert_eq!(report["feasible"], 0);
    let of_kind = demo.openings.iter().filter(|o| o.matching.kind.as_str() == kind).count() as u64;
    let consent =
        report["ruledOutBy"].as_array().unwrap().iter().find(|c| c["constraint"] == "CONSENT").unwrap();
    assert!(
        consent["count"].as_u64().unwrap() > 0 && consent["count"].as_u64().unwrap() <= of_kind,
        "{report}"
    );
    server.stop().await;
}

/// Statements `suggestions` costs for one student's need.
async fn count_statements(conn: &DatabaseConnection, student_id: &str, kind: Kind) -> (usize, usize) {
    let count = Arc::new(AtomicUsize::new(0));
    let mut counted = conn.clone();
    let tally = count.clone();
    counted.set_metric_callback(move |_| {
        tally.fetch_add(1, Ordering::Relaxed);
    });
    let student = suggest::student(&counted, student_id).await.unwrap();
    let found = suggest::suggestions(&counted, &student, kind, today(), 20).await.unwrap();
    (count.load(Ordering::Relaxed), found.len())
}

/// The narrowed load costs the same few statements in a district twice the size,
/// with many more openings and matches around the student.
#[tokio::test]
async fn suggestions_cost_a_fixed_number_of_statements() {
    let demo = demo();
    for db in backends().await {
        seed(&db.store, now()).await.unwrap();
        let conn = db.store.db();
        let (student, kind) = a_suggested_student(&demo);
        let (small, found) = count_statements(conn, &student.matching.id, kind).await;
        assert!(found > 0, "{}", db.name);

        // Twice the openings (copies near the student's own candidates) and students.
        let mut more: Vec<Opening> = variants(&demo);
        for opening in &mut more {
            opening.matching.id = opening.matching.id.replace("-v", "-w");
            opening.matching.pickup_radius_km = None;
        }
        save_openings(conn, &more, now()).await.unwrap();
        let twins: Vec<Student> = demo
            .students
            .iter()
            .map(|s| {
                let mut twin = s.clone();
                twin.matching.id = format!("{}-twin", s.matching.id);
                twin
            })
            .collect();
        save_students(conn, &twins, now()).await.unwrap();
        let (large, found_large) = count_statements(conn, &student.matching.id, kind).await;
        assert!(found_large > found || found == 20, "{}: {found} then {found_large}", db.name);
        assert_eq!(
            small,
            large,
            "{}: statements in a district of {} vs {} openings",
            db.name,
            demo.openings.len(),
            2 * demo.openings.len()
        );
        assert!(large <= 16, "{}: {large} statements", db.name);
    }
}

/// docs/matching.md's `ruledOutBy` counts every opening of the need's kind: one whose
/// slots students of another scope hold is FULL (and counted under each other rule
/// it fails), in `needReport` and in a run's unmatched needs alike.
#[tokio::test]
async fn an_opening_full_elsewhere_is_counted_as_full() {
    use crate::gql::counselor;
    use crate::matching_api::{district, match_in};
    for db in backends().await {
        let name = db.name;
        district(&db, 2, 1).await;
        // sch-2's student holds o-1's only slot.
        match_in(&db, "m-1", "s-other", MatchStatus::Active).await;
        let server = TestServer::start(db, false).await;
        let sch1 = counselor("sch-1");
        let report = r#"{ needReport(studentId: "s-1", kind: TUTORING) { filled feasible ruledOutBy { constraint count } } }"#;
        let response = server.query(Some(&sch1), report).await;
        no_errors(&response);
        assert_eq!(
            response["data"]["needReport"],
            serde_json::json!({"filled": false, "feasible": 0, "ruledOutBy": [{"constraint": "FULL", "count": 1}]}),
            "{name}"
        );
        let withdraw = r#"mutation { withdrawConsent(studentId: "s-1") { consentOnFile } }"#;
        no_errors(&server.query(Some(&sch1), withdraw).await);
        let response = server.query(Some(&sch1), report).await;
        let counts: BTreeMap<String, u64> = response["data"]["needReport"]["ruledOutBy"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["constraint"].as_str().unwrap().to_owned(), r["count"].as_u64().unwrap()))
            .collect();
        assert_eq!(counts, BTreeMap::from([("CONSENT".into(), 1), ("FULL".into(), 1)]), "{name}: {response}");

        let run = r#"mutation { runMatching(input: {kinds: [TUTORING], dryRun: true}) { status
            unmatched(first: 10) { edges { node { studentId reason ruledOutBy { constraint count } } } } } }"#;
        let response = server.query(Some(&sch1), run).await;
        no_errors(&response);
        let edges = response["data"]["runMatching"]["unmatched"]["edges"].as_array().unwrap();
        let s2 = edges.iter().map(|e| &e["node"]).find(|n| n["studentId"] == "s-2").expect("s-2 unmatched");
        assert_eq!(s2["reason"], "NO_CANDIDATE", "{name}: {response}");
        assert_eq!(
            s2["ruledOutBy"],
            serde_json::json!([{"constraint": "FULL", "count": 1}]),
            "{name}: {response}"
        );
        server.stop().await;
    }
}
