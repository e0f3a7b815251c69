//! Feedback and reports over HTTP: `recordFeedback` per role with its input errors
//! and status rule (a failed one writes nothing), `feedback` on a match, and
//! `report` checked number by number against an independent count over the raw
//! tables, per role and scope, before and after more writes; the median with odd
//! and even counts; empty scopes; access per field; and a report costing the same
//! number of statements on a small and a large district.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use cli::demo::{Demo, demo, seed};
use matcher::validate::{RawBackgroundCheck, RawNeed, RawOpening, RawPlace, RawStudent, RawWindow};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use service::auth::{AuthConfig, DEFAULT_AUDIENCE, DEFAULT_ISSUER, KeySource, Verifier};
use service::server::{Service, start};
use store::entity::{
    audit_log, disclosure_log, feedback, matches, openings, partners, schools, student_needs, students,
};
use store::matches::{get, propose, transition};
use store::records::{
    District, Feedback, Guardian, Kind, MatchStatus, NewMatch, Opening, Partner, PartnerKind, PartnerStatus,
    Role, School, Student, Visibility, Window,
};
use store::write::{save_district, save_feedback, save_openings, save_partners, save_schools, save_students};
use store::{Store, StoreError};

use crate::db::{TestDb, backends, sqlite};
use crate::http::{SECRET, TestServer, request, token};

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

fn partner_token(id: &str) -> String {
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

const LIVE: [&str; 4] = ["PROPOSED", "ACCEPTED", "ACTIVE", "COMPLETED"];
const MATCHED: [&str; 3] = ["ACCEPTED", "ACTIVE", "COMPLETED"];
const OPEN: [&str; 3] = ["PROPOSED", "ACCEPTED", "ACTIVE"];

const RATES: &str = "matchRateBySchool { key needs matched proposed rate } \
    matchRateByKind { key needs matched proposed rate } \
    matchRateByPriority { key needs matched proposed rate }";
const REST: &str = "capacityByPartner { partnerId partnerName openings capacity filled use } \
    medianTravelMinutes \
    feedback { count averageRating averageSessionsAttended byRole { role count averageRating } }";
/// What a partner may ask: `REST` without the travel times from students' homes.
const PARTNER_REST: &str = "capacityByPartner { partnerId partnerName openings capacity filled use } \
    feedback { count averageRating averageSessionsAttended byRole { role count averageRating } }";

/// `report` with `filter` selecting `fields`.
fn report_query(school: Option<&str>, partner: Option<&str>, fields: &str) -> String {
    let mut bounds = Vec::new();
    if let Some(school) = school {
        bounds.push(format!("schoolId: \"{school}\""));
    }
    if let Some(partner) = partner {
        bounds.push(format!("partnerId: \"{partner}\""));
    }
    let filter =
        if bounds.is_empty() { String::new() } else { format!("(filter: {{{}}})", bounds.join(", ")) };
    format!("{{ report{filter} {{ {fields} }} }}")
}

/// The tables a report reads, loaded whole: the test's own, independent count.
struct Tables {
    schools: Vec<String>,
    /// Student → (school, priority).
    students: BTreeMap<String, (String, i32)>,
    /// (student, kind).
    needs: Vec<(String, String)>,
    matches: Vec<matches::Model>,
    openings: Vec<openings::Model>,
    partners: Vec<partners::Model>,
    feedback: Vec<feedback::Model>,
}

async fn load(db: &DatabaseConnection) -> Tables {
    let mut schools: Vec<String> =
        schools::Entity::find().all(db).await.unwrap().into_iter().map(|s| s.id).collect();
    schools.sort();
    let mut partners = partners::Entity::find().all(db).await.unwrap();
    partners.sort_by(|a, b| a.id.cmp(&b.id));
    Tables {
        schools,
        students: students::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.id, (s.school_id, s.priority)))
            .collect(),
        needs: student_needs::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|n| (n.student_id, n.kind))
            .collect(),
        matches: matches::Entity::find().all(db).await.unwrap(),
        openings: openings::Entity::find().all(db).await.unwrap(),
        partners,
        feedback: feedback::Entity::find().all(db).await.unwrap(),
    }
}

impl Tables {
    fn partner_of(&self, opening: &str) -> &str {
        &self.openings.iter().find(|o| o.id == opening).unwrap().partner_id
    }

    /// The whole report for a scope, computed row by row in Rust.
    /// The report as the school (ADMIN, a counselor) reads it.
    fn report(&self, school: Option<&str>, partner: Option<&str>) -> Value {
        self.report_for(school, partner, None)
    }

    /// The report as `reader` reads it: `None` for the school, `Some(partner)` for a
    /// partner (no SCHOOL feedback but its own). Feedback counts each author's
    /// latest visible entry per match.
    fn report_for(&self, school: Option<&str>, partner: Option<&str>, reader: Option<&str>) -> Value {
        let in_school = |student: &str| school.is_none_or(|s| self.students[student].0 == s);
        let to_partner = |opening: &str| partner.is_none_or(|p| self.partner_of(opening) == p);
        let has = |student: &str, kind: &str, statuses: &[&str]| {
            self.matches.iter().any(|m| {
                m.student_id == student
                    && m.kind == kind
                    && statuses.contains(&m.status.as_str())
                    && to_partner(&m.opening_id)
            })
        };
        let scoped: Vec<&(String, String)> = self.needs.iter().filter(|(s, _)| in_school(s)).collect();
        let rate_row = |key: String, needs: Vec<&&(String, String)>| {
            let n = needs.len();
            let matched = needs.iter().filter(|(s, k)| has(s, k, &MATCHED)).count();
            let proposed =
                needs.iter().filter(|(s, k)| !has(s, k, &MATCHED) && has(s, k, &["PROPOSED"])).count();
            let rate = if n == 0 { 0.0 } else { matched as f64 / n as f64 };
            json!({"key": key, "needs": n, "matched": matched, "proposed": proposed, "rate": rate})
        };
        let by_school: Vec<Value> = self
            .schools
            .iter()
            .filter(|id| school.is_none_or(|s| s == id.as_str()))
            .map(|id| {
                rate_row(id.clone(), scoped.iter().filter(|(s, _)| self.students[s].0 == *id).collect())
            })
            .collect();
        let by_kind: Vec<Value> = ["TUTORING", "MENTORING", "INTERNSHIP"]
            .iter()
            .map(|kind| rate_row(kind.to_string(), scoped.iter().filter(|(_, k)| k == kind).collect()))
            .collect();
        let by_priority: Vec<Value> = (0..=3)
            .map(|p| {
                rate_row(p.to_string(), scoped.iter().filter(|(s, _)| self.students[s].1 == p).collect())
            })
            .collect();
        let capacity: Vec<Value> = self
            .partners
            .iter()
            .filter(|p| partner.is_none_or(|id| id == p.id))
            .map(|p| {
                let own: Vec<&openings::Model> =
                    self.openings.iter().filter(|o| o.partner_id == p.id).collect();
                let slots: i64 = own.iter().map(|o| i64::from(o.capacity)).sum();
                let filled = self
                    .matches
                    .iter()
                    .filter(|m| {
                        OPEN.contains(&m.status.as_str())
                            && self.partner_of(&m.opening_id) == p.id
                            && in_school(&m.student_id)
                    })
                    .count() as i64;
                let usage = if slots == 0 { 0.0 } else { filled as f64 / slots as f64 };
                json!({"partnerId": p.id, "partnerName": p.name, "openings": own.len(),
                       "capacity": slots, "filled": filled, "use": usage})
            })
            .collect();
        let mut travel: Vec<f64> = self
            .matches
            .iter()
            .filter(|m| {
                LIVE.contains(&m.status.as_str()) && in_school(&m.student_id) && to_partner(&m.opening_id)
            })
            .filter_map(|m| m.travel_minutes)
            .collect();
        travel.sort_by(f64::total_cmp);
        let median = match travel.len() {
            0 => Value::Null,
            n if n % 2 == 1 => json!(travel[n / 2]),
            n => json!((travel[n / 2 - 1] + travel[n / 2]) / 2.0),
        };
        let visible = |f: &feedback::Model| match reader {
            None => true,
            Some(reader) => {
                f.visibility == "PARTIES" || (f.author_role == "PARTNER" && f.author_id == reader)
            }
        };
        let mut latest: BTreeMap<(&str, &str, &str), &feedback::Model> = BTreeMap::new();
        for f in self.feedback.iter().filter(|f| visible(f)) {
            let key = (f.match_id.as_str(), f.author_role.as_str(), f.author_id.as_str());
            if latest.get(&key).is_none_or(|kept| kept.id < f.id) {
                latest.insert(key, f);
            }
        }
        let in_scope: Vec<&feedback::Model> = latest
            .into_values()
            .filter(|f| {
                let m = self.matches.iter().find(|m| m.id == f.match_id).unwrap();
                in_school(&m.student_id) && to_partner(&m.opening_id)
            })
            .collect();
        let mean = |values: Vec<i32>| {
            if values.is_empty() {
                Value::Null
            } else {
                json!(values.iter().map(|v| f64::from(*v)).sum::<f64>() / values.len() as f64)
            }
        };
        let by_role: Vec<Value> = ["ADMIN", "COUNSELOR", "PARTNER", "STUDENT"]
            .iter()
            .map(|role| {
                let mine: Vec<i32> =
                    in_scope.iter().filter(|f| f.author_role == *role).map(|f| f.rating).collect();
                json!({"role": role, "count": mine.len(), "averageRating": mean(mine)})
            })
            .collect();
        json!({
            "matchRateBySchool": by_school,
            "matchRateByKind": by_kind,
            "matchRateByPriority": by_priority,
            "capacityByPartner": capacity,
            "medianTravelMinutes": median,
            "feedback": {
                "count": in_scope.len(),
                "averageRating": mean(in_scope.iter().map(|f| f.rating).collect()),
                "averageSessionsAttended": mean(in_scope.iter().filter_map(|f| f.sessions_attended).collect()),
                "byRole": by_role,
            },
        })
    }
}

/// Equal as JSON, numbers within 1e-9.
fn assert_close(actual: &Value, expected: &Value, path: &str) {
    match (actual, expected) {
        (Value::Number(a), Value::Number(e)) => {
            let (a, e) = (a.as_f64().unwrap(), e.as_f64().unwrap());
            assert!((a - e).abs() < 1e-9, "{path}: {a} != {e}");
        }
        (Value::Array(a), Value::Array(e)) => {
            assert_eq!(a.len(), e.len(), "{path}: {actual} vs {expected}");
            for (index, (a, e)) in a.iter().zip(e).enumerate() {
                assert_close(a, e, &format!("{path}[{index}]"));
            }
        }
        (Value::Object(a), Value::Object(e)) => {
            let keys: BTreeSet<&String> = a.keys().chain(e.keys()).collect();
            for key in keys {
                assert_close(&a[key], &e[key], &format!("{path}.{key}"));
            }
        }
        _ => assert_eq!(actual, expected, "{path}"),
    }
}

/// A report's (school, partner) bounds.
type Bounds<'a> = (Option<&'a str>, Option<&'a str>);

/// The report `who` gets for `filter`, compared field by field with the count of
/// `tables` over `scope` (the viewer's bound applied).
async fn check_report(
    server: &TestServer,
    tables: &Tables,
    who: &str,
    filter: Bounds<'_>,
    scope: Bounds<'_>,
    with_rates: bool,
) {
    let fields = if with_rates { format!("{RATES} {REST}") } else { PARTNER_REST.to_owned() };
    let response = server.query(Some(who), &report_query(filter.0, filter.1, &fields)).await;
    no_errors(&response);
    let reader = if with_rates { None } else { scope.1 };
    let mut expected = tables.report_for(scope.0, scope.1, reader);
    if !with_rates {
        let object = expected.as_object_mut().unwrap();
        for key in ["matchRateBySchool", "matchRateByKind", "matchRateByPriority", "medianTravelMinutes"] {
            object.remove(key);
        }
    }
    assert_close(&response["data"]["report"], &expected, &format!("{} report {filter:?}", server.db.name));
}

/// Matches of the demo by status, with their parties.
struct Cast {
    /// An ACTIVE match: (id, student, school, partner).
    active: (String, String, String, String),
    proposed: String,
    declined: String,
    other_school: String,
    other_partner: String,
    other_student: String,
}

fn cast(demo: &Demo) -> Cast {
    let partner_of = |opening: &str| {
        demo.openings.iter().find(|o| o.matching.id == opening).unwrap().matching.partner_id.clone()
    };
    let school_of =
        |student: &str| demo.students.iter().find(|s| s.matching.id == student).unwrap().school_id.clone();
    let with = |status: MatchStatus| demo.matches.iter().find(|m| m.status == status).unwrap();
    let active = with(MatchStatus::Active);
    let (student, opening) = (&active.new.student_id, &active.new.opening_id);
    let (school, partner) = (school_of(student), partner_of(opening));
    Cast {
        active: (active.new.id.clone(), student.clone(), school.clone(), partner.clone()),
        proposed: with(MatchStatus::Proposed).new.id.clone(),
        declined: with(MatchStatus::Declined).new.id.clone(),
        other_school: demo.schools.iter().find(|s| s.id != school).unwrap().id.clone(),
        other_partner: demo.partners.iter().find(|p| p.id != partner).unwrap().id.clone(),
        other_student: demo.students.iter().find(|s| s.matching.id != *student).unwrap().matching.id.clone(),
    }
}

async fn footprint(db: &DatabaseConnection) -> (u64, u64) {
    (feedback::Entity::find().count(db).await.unwrap(), audit_log::Entity::find().count(db).await.unwrap())
}

fn record(match_id: &str, rating: i32, extra: &str) -> String {
    format!(
        "mutation {{ recordFeedback(input: {{matchId: \"{match_id}\", rating: {rating}{extra}}}) \
         {{ id matchId match {{ id status }} authorRole rating comment sessionsAttended createdAt }} }}"
    )
}

#[tokio::test]
async fn feedback_is_recorded_by_the_parties_of_a_live_match_only() {
    let demo = demo();
    let cast = cast(&demo);
    let (id, student, school, partner) = cast.active.clone();
    let server = demo_server(sqlite().await).await;
    let db = server.db.store.db().clone();
    assert_eq!(footprint(&db).await.0, demo.feedback.len() as u64);

    // (who, role, allowed)
    let cases = [
        ("admin", Some(admin()), "ADMIN", true),
        ("own counselor", Some(counselor(&school)), "COUNSELOR", true),
        ("other counselor", Some(counselor(&cast.other_school)), "", false),
        ("own partner", Some(partner_token(&partner)), "PARTNER", true),
        ("other partner", Some(partner_token(&cast.other_partner)), "", false),
        ("the student", Some(student_token(&student)), "STUDENT", true),
        ("another student", Some(student_token(&cast.other_student)), "", false),
        ("no token", None, "", false),
    ];
    for (name, who, role, allowed) in cases {
        let before = footprint(&db).await;
        let response =
            server.query(who.as_deref(), &record(&id, 4, ", comment: \"Good\", sessionsAttended: 3")).await;
        let after = footprint(&db).await;
        if allowed {
            no_errors(&response);
            let node = &response["data"]["recordFeedback"];
            assert_eq!(node["matchId"], id.as_str(), "{name}");
            assert_eq!(node["match"], json!({"id": id, "status": "ACTIVE"}), "{name}");
            assert_eq!(node["authorRole"], role, "{name}");
            assert_eq!((node["rating"].as_i64(), node["sessionsAttended"].as_i64()), (Some(4), Some(3)));
            assert_eq!(node["comment"], "Good");
            assert_eq!(after, (before.0 + 1, before.1 + 1), "{name}: one feedback row, one audit row");
            let written = feedback::Entity::find_by_id(node["id"].as_str().unwrap().parse::<i64>().unwrap())
                .one(&db)
                .await
                .unwrap()
                .unwrap();
            assert_eq!((written.match_id.as_str(), written.author_role.as_str()), (id.as_str(), role));
            let audit =
                audit_log::Entity::find().all(&db).await.unwrap().into_iter().max_by_key(|a| a.id).unwrap();
            assert_eq!(
                (audit.entity.as_str(), audit.entity_id),
                ("feedback", written.id.to_string()),
                "{name}"
            );
            if role == "PARTNER" {
                assert_eq!(written.author_id, partner);
                assert_eq!(audit.actor, format!("partner:{partner}"));
            }
        } else {
            // No party to the match: the answer a match that does not exist gets.
            let expected = if who.is_none() { "UNAUTHENTICATED" } else { "NOT_FOUND" };
            assert_eq!(code(&response), expected, "{name}");
            assert!(response["data"].is_null(), "{name}: {response}");
            assert_eq!(after, before, "{name}: a refused mutation writes nothing");
        }
    }

    // Bad input names its field and writes nothing.
    let long = "x".repeat(2001);
    let bad = [
        (record(&id, 0, ""), "input.rating"),
        (record(&id, 6, ""), "input.rating"),
        (record(&id, -1, ""), "input.rating"),
        (record(&id, 3, ", sessionsAttended: -1"), "input.sessionsAttended"),
        (record(&id, 3, &format!(", comment: \"{long}\"")), "input.comment"),
    ];
    for (mutation, path) in bad {
        let before = footprint(&db).await;
        let response = server.query(Some(&admin()), &mutation).await;
        assert_eq!((code(&response), field(&response)), ("BAD_USER_INPUT", path));
        assert_eq!(footprint(&db).await, before, "{path}");
    }
    // 2000 characters and zero sessions are fine.
    no_errors(
        &server
            .query(
                Some(&admin()),
                &record(&id, 5, &format!(", comment: \"{}\", sessionsAttended: 0", "y".repeat(2000))),
            )
            .await,
    );

    // Only matches that happened or are happening; absent ones are NOT_FOUND.
    for (match_id, expected) in
        [(cast.proposed.as_str(), "CONFLICT"), (cast.declined.as_str(), "CONFLICT"), ("m-none", "NOT_FOUND")]
    {
        let before = footprint(&db).await;
        let response = server.query(Some(&admin()), &record(match_id, 4, "")).await;
        assert_eq!(code(&response), expected, "{match_id}");
        assert_eq!(footprint(&db).await, before, "{match_id}");
    }

    // `feedback` lists the match's entries oldest first, for its parties only; the
    // counselor's (SCHOOL by default) stays with the school.
    let list =
        format!("{{ feedback(matchId: \"{id}\") {{ id matchId authorRole rating createdAt visibility }} }}");
    let response = server.query(Some(&counselor(&school)), &list).await;
    no_errors(&response);
    let all = response["data"]["feedback"].as_array().unwrap();
    let seeded = demo.feedback.iter().filter(|f| f.match_id == id).count();
    assert_eq!(all.len(), seeded + 5, "{response}");
    let roles: Vec<&str> = all[seeded..].iter().map(|e| e["authorRole"].as_str().unwrap()).collect();
    assert_eq!(roles, ["ADMIN", "COUNSELOR", "PARTNER", "STUDENT", "ADMIN"]);
    assert_eq!(all[seeded + 1]["visibility"], "SCHOOL");
    for who in [student_token(&student), partner_token(&partner)] {
        let response = server.query(Some(&who), &list).await;
        no_errors(&response);
        let seen = response["data"]["feedback"].as_array().unwrap();
        assert!(seen.iter().all(|e| e["visibility"] == "PARTIES"), "{response}");
        let expected: Vec<&Value> = all.iter().filter(|e| e["visibility"] == "PARTIES").collect();
        assert_eq!(seen.iter().collect::<Vec<_>>(), expected, "only what the parties may read");
    }
    let disclosed = disclosure_log::Entity::find()
        .filter(disclosure_log::Column::Operation.eq("feedback"))
        .all(server.db.store.db())
        .await
        .unwrap();
    assert_eq!(disclosed.len(), 1, "the partner's read of feedback about the student is disclosed");
    assert_eq!(
        (disclosed[0].student_id.as_str(), &disclosed[0].fields),
        (student.as_str(), &json!(["feedback"]))
    );
    let response = server.query(Some(&student_token(&student)), &list).await;
    let entries = response["data"]["feedback"].as_array().unwrap();
    let seeded =
        demo.feedback.iter().filter(|f| f.match_id == id && f.visibility == Visibility::Parties).count();
    assert_eq!(entries.len(), seeded + 4, "{response}");
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = entries
        .iter()
        .map(|e| chrono::DateTime::parse_from_rfc3339(e["createdAt"].as_str().unwrap()).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first: {times:?}");
    assert!(entries.iter().all(|e| e["matchId"] == id.as_str()));
    let roles: Vec<&str> = entries[seeded..].iter().map(|e| e["authorRole"].as_str().unwrap()).collect();
    assert_eq!(roles, ["ADMIN", "PARTNER", "STUDENT", "ADMIN"]);
    assert_eq!(code(&server.query(Some(&partner_token(&cast.other_partner)), &list).await), "NOT_FOUND");
    assert_eq!(
        code(&server.query(Some(&admin()), "{ feedback(matchId: \"m-none\") { id } }").await),
        "NOT_FOUND"
    );
    server.stop().await;
}

#[tokio::test]
async fn reports_agree_with_an_independent_count_per_role_before_and_after_writes() {
    let demo = demo();
    let cast = cast(&demo);
    let (id, _, school, partner) = cast.active.clone();
    for db in backends().await {
        let server = demo_server(db).await;
        let conn = server.db.store.db().clone();
        for round in 0..2 {
            let tables = load(&conn).await;
            assert_eq!(tables.matches.len(), 30 + 8 * round);
            // (who, filter asked, scope applied, with match rates)
            let cases: [(String, Bounds, Bounds, bool); 7] = [
                (admin(), (None, None), (None, None), true),
                (admin(), (Some(&school), None), (Some(&school), None), true),
                (admin(), (None, Some(&partner)), (None, Some(&partner)), true),
                (admin(), (Some(&school), Some(&partner)), (Some(&school), Some(&partner)), true),
                (counselor(&school), (None, None), (Some(&school), None), true),
                (counselor(&school), (Some(&school), Some(&partner)), (Some(&school), Some(&partner)), true),
                (partner_token(&partner), (None, None), (None, Some(&partner)), false),
            ];
            for (who, filter, scope, with_rates) in cases {
                check_report(&server, &tables, &who, filter, scope, with_rates).await;
            }
            // Sanity: the demo has something to count in each part.
            let whole = tables.report(None, None);
            assert!(whole["feedback"]["count"].as_u64().unwrap() >= 25);
            assert!(whole["medianTravelMinutes"].is_number());
            assert!(
                whole["matchRateByKind"].as_array().unwrap().iter().any(|r| r["matched"].as_u64() > Some(0))
            );
            if round == 0 {
                more_writes(&server, &id, &school).await;
            }
        }
        server.stop().await;
    }
}

/// More of everything, in `school` and on partner `p-01`'s new opening, and
/// feedback over the API: needs, matches in several statuses, travel times,
/// feedback with and without sessions.
async fn more_writes(server: &TestServer, active: &str, school: &str) {
    grow(&server.db.store, "x", 8, school, "p-01").await;
    for (rating, extra) in [(1, ", sessionsAttended: 9"), (2, "")] {
        no_errors(&server.query(Some(&admin()), &record(active, rating, extra)).await);
    }
}

/// `n` new students of `school` (priorities 0–3, a tutoring and a mentoring need
/// each), a new tutoring opening of `partner`, and a match for most of them:
/// PROPOSED, ACCEPTED, ACTIVE or DECLINED in turn, some without a travel time, with
/// student feedback on the accepted and active ones.
async fn grow(store: &Store, tag: &str, n: usize, school: &str, partner: &str) {
    let txn = store.write().await.unwrap();
    let opening_id = format!("o-{tag}");
    save_openings(&txn, &[opening(&opening_id, partner, n as i64 + 5)], now()).await.unwrap();
    let pupils: Vec<Student> =
        (0..n).map(|i| student(&format!("s-{tag}-{i:04}"), school, (i % 4) as i64)).collect();
    save_students(&txn, &pupils, now()).await.unwrap();
    let new: Vec<NewMatch> = (0..n)
        .map(|i| NewMatch {
            travel_minutes: (i % 5 != 4).then_some(3.0 + (i * 7 % 11) as f64),
            ..new_match(&format!("m-{tag}-{i:04}"), &format!("s-{tag}-{i:04}"), &opening_id)
        })
        .collect();
    propose(&txn, &new, "test", now()).await.unwrap();
    for (i, item) in new.iter().enumerate() {
        let steps: &[MatchStatus] = match i % 4 {
            0 => &[],
            1 => &[MatchStatus::Accepted],
            2 => &[MatchStatus::Accepted, MatchStatus::Active],
            _ => &[MatchStatus::Declined],
        };
        for step in steps {
            let current = get(&txn, &item.id).await.unwrap();
            transition(&txn, &current, *step, "test", None, now()).await.unwrap();
        }
        if matches!(i % 4, 1 | 2) {
            let entry = Feedback {
                match_id: item.id.clone(),
                author_role: Role::Student,
                author_id: item.student_id.clone(),
                rating: (i % 5 + 1) as u8,
                comment: None,
                sessions_attended: (i % 3 == 0).then_some(i as u32),
                visibility: Visibility::Parties,
            };
            save_feedback(&txn, &entry, now()).await.unwrap();
        }
    }
    txn.commit().await.unwrap();
}

fn new_match(id: &str, student: &str, opening: &str) -> NewMatch {
    NewMatch {
        id: id.into(),
        run_id: None,
        student_id: student.into(),
        opening_id: opening.into(),
        kind: Kind::Tutoring,
        score: 50,
        breakdown: BTreeMap::from([("fieldAlignment".to_owned(), 50)]),
        sessions: vec![window("TUE", "16:00", "17:00")],
        travel_minutes: None,
    }
}

fn raw_window(day: &str, start: &str, end: &str) -> RawWindow {
    RawWindow { day: day.into(), start: start.into(), end: end.into() }
}

fn window(day: &str, start: &str, end: &str) -> Window {
    matcher::record::parse_window("window", &raw_window(day, start, end)).unwrap()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn opening(id: &str, partner: &str, capacity: i64) -> Opening {
    Opening {
        title: Some(format!("Opening {id}")),
        matching: store::write::parse_opening(&RawOpening {
            id: id.into(),
            partner_id: partner.into(),
            kind: "TUTORING".into(),
            subjects: strings(&["algebra"]),
            languages: strings(&["en", "es"]),
            r#virtual: Some(false),
            place: Some(RawPlace { lat: 41.902, lon: -87.651 }),
            pickup_radius_km: None,
            schedule: vec![raw_window("TUE", "16:00", "18:00")],
            session_minutes: 60,
            sessions_per_week: Some(1),
            capacity,
            min_grade: Some(6),
            max_grade: Some(12),
            min_age: None,
            background_check: Some(RawBackgroundCheck {
                cleared_on: Some("2026-01-10".into()),
                expires_on: Some("2031-01-10".into()),
            }),
        })
        .unwrap(),
    }
}

fn student(id: &str, school: &str, priority: i64) -> Student {
    Student {
        waiting_since: Default::default(),
        school_id: school.into(),
        first_name: "Maria".into(),
        last_name: "Lopez".into(),
        guardians: vec![Guardian {
            name: "Rosa Lopez".into(),
            relationship: None,
            email: None,
            phone: None,
            language: None,
        }],
        matching: store::write::parse_student(&RawStudent {
            id: id.into(),
            grade: 9,
            birth_date: Some("2011-03-02".into()),
            languages: strings(&["es", "en"]),
            home: RawPlace { lat: 41.881, lon: -87.623 },
            travel_modes: Some(strings(&["WALK", "TRANSIT"])),
            max_travel_minutes: 45.0,
            remote_ok: Some(true),
            availability: vec![raw_window("TUE", "15:30", "18:00")],
            needs: vec![
                RawNeed {
                    kind: "MENTORING".into(),
                    subjects: Some(strings(&["healthcare"])),
                    waiting_days: None,
                },
                RawNeed {
                    kind: "TUTORING".into(),
                    subjects: Some(strings(&["algebra"])),
                    waiting_days: None,
                },
            ],
            priority: Some(priority),
            consent_on_file: Some(true),
        })
        .unwrap(),
    }
}

/// A district of two schools (the second empty), one partner with one opening.
async fn small_district(store: &Store) -> Result<(), StoreError> {
    let db = store.db();
    save_district(db, &District { id: "d-1".into(), name: "Lakeside".into() }).await?;
    let schools = ["sch-1", "sch-2"].map(|id| School {
        id: id.into(),
        district_id: "d-1".into(),
        name: format!("School {id}"),
    });
    save_schools(db, &schools).await?;
    let partner = Partner {
        id: "p-1".into(),
        name: "Lakeside Library".into(),
        kind: PartnerKind::Nonprofit,
        status: PartnerStatus::Active,
        contact_name: None,
        contact_email: None,
        contact_phone: None,
    };
    save_partners(db, &[partner], now()).await?;
    save_openings(db, &[opening("o-1", "p-1", 10)], now()).await
}

/// The report's median travel time, as `who` sees it.
async fn median(server: &TestServer, who: &str) -> Value {
    let response = server.query(Some(who), &report_query(None, None, "medianTravelMinutes")).await;
    no_errors(&response);
    response["data"]["report"]["medianTravelMinutes"].clone()
}

/// Proposes `student`'s tutoring match with `travel` minutes and walks it to `status`.
async fn match_with(store: &Store, id: &str, student: &str, travel: Option<f64>, status: MatchStatus) {
    let txn = store.write().await.unwrap();
    let item = NewMatch { travel_minutes: travel, ..new_match(id, student, "o-1") };
    propose(&txn, &[item], "test", now()).await.unwrap();
    let path: &[MatchStatus] = match status {
        MatchStatus::Proposed => &[],
        MatchStatus::Accepted => &[MatchStatus::Accepted],
        MatchStatus::Completed => &[MatchStatus::Accepted, MatchStatus::Active, MatchStatus::Completed],
        MatchStatus::Declined => &[MatchStatus::Declined],
        MatchStatus::Active => &[MatchStatus::Accepted, MatchStatus::Active],
        MatchStatus::Cancelled => &[MatchStatus::Cancelled],
    };
    for step in path {
        let current = get(&txn, id).await.unwrap();
        transition(&txn, &current, *step, "test", None, now()).await.unwrap();
    }
    txn.commit().await.unwrap();
}

#[tokio::test]
async fn the_median_takes_the_middle_of_odd_and_even_counts_and_empty_scopes_give_zeros() {
    for db in backends().await {
        small_district(&db.store).await.unwrap();
        let pupils: Vec<Student> = (1..=6).map(|i| student(&format!("s-{i}"), "sch-1", i % 4)).collect();
        save_students(db.store.db(), &pupils, now()).await.unwrap();
        let server = TestServer::start(db, false).await;
        let store = &server.db.store;
        assert_eq!(median(&server, &admin()).await, Value::Null, "no matches");
        match_with(store, "m-1", "s-1", Some(10.0), MatchStatus::Proposed).await;
        match_with(store, "m-2", "s-2", Some(30.0), MatchStatus::Accepted).await;
        match_with(store, "m-3", "s-3", Some(20.0), MatchStatus::Completed).await;
        // Not counted: declined, or without a travel time.
        match_with(store, "m-4", "s-4", Some(999.0), MatchStatus::Declined).await;
        match_with(store, "m-5", "s-5", None, MatchStatus::Proposed).await;
        assert_eq!(median(&server, &admin()).await.as_f64(), Some(20.0), "{}: 10 20 30", server.db.name);
        match_with(store, "m-6", "s-6", Some(40.0), MatchStatus::Active).await;
        assert_eq!(median(&server, &admin()).await.as_f64(), Some(25.0), "{}: 10 20 30 40", server.db.name);
        assert_eq!(median(&server, &counselor("sch-1")).await.as_f64(), Some(25.0));

        // Rates: 6 students × 2 needs; tutoring needs of s-2, s-3, s-6 matched,
        // of s-1 and s-5 proposed.
        let response =
            server.query(Some(&admin()), &report_query(None, None, &format!("{RATES} {REST}"))).await;
        no_errors(&response);
        let report = &response["data"]["report"];
        assert_close(
            &report["matchRateByKind"][0],
            &json!({"key": "TUTORING", "needs": 6, "matched": 3, "proposed": 2, "rate": 0.5}),
            "tutoring",
        );
        assert_close(
            &report["matchRateBySchool"],
            &json!([{"key": "sch-1", "needs": 12, "matched": 3, "proposed": 2, "rate": 0.25},
                    {"key": "sch-2", "needs": 0, "matched": 0, "proposed": 0, "rate": 0.0}]),
            "by school",
        );
        assert_close(
            &report["capacityByPartner"],
            &json!([{"partnerId": "p-1", "partnerName": "Lakeside Library", "openings": 1, "capacity": 10,
                     "filled": 4, "use": 0.4}]),
            "capacity",
        );
        assert_close(report, &load(store.db()).await.report(None, None), "whole");

        // An empty scope: zeros, a null median and null averages.
        for (who, filter) in
            [(admin(), Some("sch-2")), (counselor("sch-2"), None), (admin(), Some("sch-none"))]
        {
            let response =
                server.query(Some(&who), &report_query(filter, None, &format!("{RATES} {REST}"))).await;
            no_errors(&response);
            let report = &response["data"]["report"];
            assert!(report["medianTravelMinutes"].is_null(), "{response}");
            let rows = report["matchRateByKind"]
                .as_array()
                .unwrap()
                .iter()
                .chain(report["matchRateByPriority"].as_array().unwrap());
            for row in rows {
                assert_eq!((row["needs"].as_i64(), row["rate"].as_f64()), (Some(0), Some(0.0)), "{row}");
            }
            assert_eq!(report["matchRateByPriority"].as_array().unwrap().len(), 4);
            assert_eq!(report["feedback"]["count"], 0);
            assert!(report["feedback"]["averageRating"].is_null());
            assert_eq!(report["capacityByPartner"][0]["filled"], 0, "a school's share of the capacity");
            assert_eq!(report["capacityByPartner"][0]["capacity"], 10);
        }
        server.stop().await;
    }
}

#[tokio::test]
async fn report_access_is_bounded_per_role_and_per_field() {
    let demo = demo();
    let cast = cast(&demo);
    let (_, student, school, partner) = cast.active.clone();
    let server = demo_server(sqlite().await).await;
    let all = format!("{RATES} {REST}");
    let forbidden = [
        (student_token(&student), report_query(None, None, REST)),
        (counselor(&school), report_query(Some(&cast.other_school), None, REST)),
        (partner_token(&partner), report_query(None, Some(&cast.other_partner), PARTNER_REST)),
        (partner_token(&partner), report_query(None, None, "matchRateBySchool { key }")),
        (partner_token(&partner), report_query(None, None, "matchRateByKind { key }")),
        (partner_token(&partner), report_query(None, None, "matchRateByPriority { key }")),
        // Travel times come from students' homes; a school filter would tell which
        // school the partner's students attend.
        (partner_token(&partner), report_query(None, None, "medianTravelMinutes")),
        (partner_token(&partner), report_query(Some(&school), None, PARTNER_REST)),
    ];
    for (who, query) in forbidden {
        let response = server.query(Some(&who), &query).await;
        assert_eq!(code(&response), "FORBIDDEN", "{query}");
        assert_eq!(response["errors"].as_array().unwrap().len(), 1, "{response}");
    }
    assert_eq!(code(&server.query(None, &report_query(None, None, REST)).await), "UNAUTHENTICATED");
    for (who, query) in [
        (counselor(&school), report_query(Some(&school), None, &all)),
        (partner_token(&partner), report_query(None, Some(&partner), PARTNER_REST)),
    ] {
        no_errors(&server.query(Some(&who), &query).await);
    }
    // A partner's capacity rows are its own.
    let response =
        server.query(Some(&partner_token(&partner)), &report_query(None, None, PARTNER_REST)).await;
    let rows = response["data"]["report"]["capacityByPartner"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["partnerId"], partner.as_str());
    server.stop().await;
}

/// A real server over `store`'s pool with a metric callback counting its statements.
async fn counted_server(store: &Store) -> (service::server::Running, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let mut counted = store.db().clone();
    let tally = count.clone();
    counted.set_metric_callback(move |_| {
        tally.fetch_add(1, Ordering::Relaxed);
    });
    let config = AuthConfig {
        issuer: DEFAULT_ISSUER.to_owned(),
        audience: DEFAULT_AUDIENCE.to_owned(),
        key: KeySource::Hs256(SECRET.to_vec()),
    };
    let service = Service {
        store: Store::over_migrated(counted),
        verifier: Verifier::new(config).unwrap(),
        demo: false,
        demo_sign_in: None,
        // Long enough that no lease sweep runs during the test.
        run_lease: Duration::from_secs(3600),
        cors: Default::default(),
        // No dispatcher: its queries would count among the statements measured.
        hooks: service::notify::HookSettings {
            allow_private: true,
            dispatch_every: None,
            mailer: None,
            extra_roots: Vec::new(),
        },
    };
    (start(service, "127.0.0.1:0").await.unwrap(), count)
}

/// Statements one full report costs, for ADMIN and for a counselor.
async fn statements_per_report(running: &service::server::Running, count: &AtomicUsize) -> Vec<usize> {
    let mut statements = Vec::new();
    for who in [admin(), counselor("sch-1")] {
        let bearer = format!("Bearer {who}");
        let body =
            serde_json::to_vec(&json!({ "query": report_query(None, None, &format!("{RATES} {REST}")) }))
                .unwrap();
        count.store(0, Ordering::Relaxed);
        let headers = [("Content-Type", "application/json"), ("Authorization", bearer.as_str())];
        let response = request(running.addr, "POST", "/graphql", &headers, &body).await.json();
        no_errors(&response);
        statements.push(count.load(Ordering::Relaxed));
    }
    statements
}

#[tokio::test]
async fn a_report_costs_the_same_statements_on_a_small_and_a_large_district() {
    for db in backends().await {
        seed(&db.store, now()).await.unwrap();
        // One server for both counts: the pool's connections may live on its
        // runtime (PostgreSQL), so it stops only at the end.
        let (running, count) = counted_server(&db.store).await;
        let small = statements_per_report(&running, &count).await;
        for (index, school) in ["sch-1", "sch-2", "sch-3"].iter().enumerate() {
            grow(&db.store, &format!("big{index}"), 120, school, "p-02").await;
        }
        let large = statements_per_report(&running, &count).await;
        running.handle.stop(true).await;
        assert_eq!(small, large, "{}: statements on 300 vs 660 students", db.name);
        assert!(large.iter().all(|n| *n <= 8), "{}: {large:?}", db.name);
    }
}
