//! Partners, agreements and openings over HTTP: the access matrix of docs/api.md per
//! role, Relay pages, filters (`near` against an independent haversine), bad input
//! naming its field, failed mutations writing nothing, and the partner DataLoader
//! costing the same statements for 10 openings as for 100.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use matcher::validate::{RawOpening, RawPlace, RawWindow};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use service::auth::{AuthConfig, DEFAULT_AUDIENCE, DEFAULT_ISSUER, KeySource, Verifier};
use service::server::{Service, start};
use store::entity::{audit_log, opening_subjects, opening_windows, openings, partners};
use store::records::{District, Kind, Opening, Partner, PartnerKind, PartnerStatus, Place, Role, School};
use store::write::{save_district, save_openings, save_partners, save_schools};
use store::{Store, catalog};

use crate::db::{TestDb, backends, sqlite};
use crate::http::{SECRET, TestServer, request, token};

fn partner(id: &str) -> Partner {
    Partner {
        id: id.to_owned(),
        name: format!("Partner {id}"),
        kind: PartnerKind::Nonprofit,
        status: PartnerStatus::Active,
        contact_name: Some("Ada".into()),
        contact_email: Some(format!("{id}@example.org")),
        contact_phone: None,
    }
}

fn opening(id: &str, partner_id: &str) -> Opening {
    Opening {
        title: Some(format!("Opening {id}")),
        matching: store::write::parse_opening(&RawOpening {
            id: id.to_owned(),
            partner_id: partner_id.to_owned(),
            kind: "TUTORING".into(),
            subjects: vec!["algebra".into()],
            languages: vec!["en".into()],
            r#virtual: Some(false),
            place: Some(RawPlace { lat: 41.88, lon: -87.63 }),
            pickup_radius_km: None,
            schedule: vec![RawWindow { day: "TUE".into(), start: "15:00".into(), end: "18:00".into() }],
            session_minutes: 60,
            sessions_per_week: Some(1),
            capacity: 3,
            min_grade: None,
            max_grade: None,
            min_age: None,
            background_check: None,
        })
        .unwrap(),
    }
}

/// A district with school sch-1, partners p-1 and p-2, openings o-1 (p-1) and o-2 (p-2).
async fn base(db: &TestDb) {
    let conn = db.store.db();
    save_district(conn, &District { id: "d-1".into(), name: "District".into() }).await.unwrap();
    let school = School { id: "sch-1".into(), district_id: "d-1".into(), name: "School".into() };
    save_schools(conn, &[school]).await.unwrap();
    save_partners(conn, &[partner("p-1"), partner("p-2")], Utc::now()).await.unwrap();
    save_openings(conn, &[opening("o-1", "p-1"), opening("o-2", "p-2")], Utc::now()).await.unwrap();
}

/// The data, or the first error's code.
fn outcome(response: &Value) -> Result<Value, String> {
    match response["errors"].as_array() {
        Some(errors) if !errors.is_empty() => {
            Err(errors[0]["extensions"]["code"].as_str().unwrap_or("none").into())
        }
        _ => Ok(response["data"].clone()),
    }
}

fn field(response: &Value) -> &str {
    response["errors"][0]["extensions"]["field"].as_str().unwrap_or_else(|| panic!("no field in {response}"))
}

fn ids(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("not a connection: {connection}"))
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn opening_input(id: &str, partner_id: &str, capacity: i64, window_end: &str) -> String {
    format!(
        r#"{{ id: "{id}", partnerId: "{partner_id}", kind: TUTORING, title: "T", subjects: ["algebra"],
             languages: ["en"], place: {{ lat: 41.9, lon: -87.6 }},
             schedule: [{{ day: "TUE", start: "15:00", end: "{window_end}" }}],
             sessionMinutes: 60, capacity: {capacity} }}"#
    )
}

/// The same fields as a patch (no id, no partner: neither changes).
fn opening_patch(capacity: i64, window_end: &str) -> String {
    format!(
        r#"{{ kind: TUTORING, title: "T", subjects: ["algebra"], languages: ["en"],
             place: {{ lat: 41.9, lon: -87.6 }},
             schedule: [{{ day: "TUE", start: "15:00", end: "{window_end}" }}],
             sessionMinutes: 60, capacity: {capacity} }}"#
    )
}

/// Expected result of one operation for one role.
#[derive(Clone, Debug, PartialEq)]
enum Expect {
    /// Allowed; the listed ids (for lists) or any data.
    Rows(&'static [&'static str]),
    Allowed,
    Code(&'static str),
    /// No error and a null answer: what an unknown id gets, so a record the role may
    /// not see is indistinguishable from one that does not exist.
    Absent,
}

/// Every operation of this file, for each of the four roles, as docs/api.md's matrix says.
#[tokio::test]
async fn the_access_matrix_holds_for_each_role() {
    use Expect::{Absent, Allowed, Code, Rows};
    for db in backends().await {
        base(&db).await;
        let server = TestServer::start(db, false).await;
        let roles = [
            ("admin", token(Role::Admin, None)),
            ("counselor", token(Role::Counselor, Some("sch-1"))),
            ("partner", token(Role::Partner, Some("p-1"))),
            ("student", token(Role::Student, Some("s-1"))),
        ];
        const ALL_P: &[&str] = &["p-1", "p-2"];
        const ALL_O: &[&str] = &["o-1", "o-2"];
        // (operation, [admin, counselor, partner, student]); `{r}` is the role's name.
        let table: Vec<(&str, [Expect; 4])> = vec![
            (
                "{ partners { edges { node { id name kind } } } }",
                [Rows(ALL_P), Rows(ALL_P), Rows(&["p-1"]), Rows(ALL_P)],
            ),
            (
                "{ openings { edges { node { id kind } } } }",
                [Rows(ALL_O), Rows(ALL_O), Rows(&["o-1"]), Rows(ALL_O)],
            ),
            ("{ partner(id: \"p-2\") { id name } }", [Allowed, Allowed, Absent, Allowed]),
            ("{ partner(id: \"p-nobody\") { id name } }", [Absent, Absent, Absent, Absent]),
            ("{ partner(id: \"p-1\") { contactEmail } }", [Allowed, Allowed, Allowed, Code("FORBIDDEN")]),
            ("{ partner(id: \"p-1\") { status } }", [Allowed, Allowed, Allowed, Code("FORBIDDEN")]),
            (
                "{ partner(id: \"p-1\") { agreements { id } } }",
                [Allowed, Allowed, Allowed, Code("FORBIDDEN")],
            ),
            ("{ partner(id: \"p-2\") { contactPhone } }", [Allowed, Allowed, Absent, Code("FORBIDDEN")]),
            ("{ opening(id: \"o-2\") { id } }", [Allowed, Allowed, Absent, Allowed]),
            ("{ opening(id: \"o-nobody\") { id } }", [Absent, Absent, Absent, Absent]),
            ("{ opening(id: \"o-1\") { partner { name } } }", [Allowed, Allowed, Allowed, Allowed]),
            (
                "{ opening(id: \"o-1\") { partner { contactName } } }",
                [Allowed, Allowed, Allowed, Code("FORBIDDEN")],
            ),
            (
                "{ partner(id: \"p-1\") { openings { edges { node { id } } } } }",
                [Allowed, Allowed, Allowed, Allowed],
            ),
            (
                r#"mutation { createPartner(input: { id: "p-{r}", name: "N", kind: BUSINESS }) { id } }"#,
                [Allowed, Code("FORBIDDEN"), Code("FORBIDDEN"), Code("FORBIDDEN")],
            ),
            (
                r#"mutation { updatePartner(id: "p-2", input: { name: "M {r}", kind: FAMILY }) { name } }"#,
                [Allowed, Code("FORBIDDEN"), Code("FORBIDDEN"), Code("FORBIDDEN")],
            ),
            (
                r#"mutation { createAgreement(input: { id: "a-{r}", partnerId: "p-1", startsOn: "2026-08-01",
                   dataSharing: true }) { id startsOn partner { id } } }"#,
                [Allowed, Code("FORBIDDEN"), Code("FORBIDDEN"), Code("FORBIDDEN")],
            ),
            (
                "mutation { createOpening(input: OWN) { id freeSlots } }",
                [Allowed, Code("FORBIDDEN"), Allowed, Code("FORBIDDEN")],
            ),
            (
                "mutation { createOpening(input: OTHER) { id } }",
                // Another partner is one a partner may not know of: NOT_FOUND, as for none.
                [Allowed, Code("FORBIDDEN"), Code("NOT_FOUND"), Code("FORBIDDEN")],
            ),
            (
                "mutation { updateOpening(id: \"o-1\", input: UPDATE1) { id capacity } }",
                [Allowed, Code("FORBIDDEN"), Allowed, Code("FORBIDDEN")],
            ),
            (
                "mutation { updateOpening(id: \"o-2\", input: UPDATE2) { id capacity } }",
                [Allowed, Code("FORBIDDEN"), Code("NOT_FOUND"), Code("FORBIDDEN")],
            ),
        ];
        for (operation, expected) in &table {
            for ((role, bearer), expect) in roles.iter().zip(expected) {
                let query = operation
                    .replace("{r}", role)
                    .replace("OWN", &opening_input(&format!("o-own-{role}"), "p-1", 2, "18:00"))
                    .replace("OTHER", &opening_input(&format!("o-other-{role}"), "p-2", 2, "18:00"))
                    .replace("UPDATE1", &opening_patch(4, "18:00"))
                    .replace("UPDATE2", &opening_patch(4, "18:00"));
                let response = server.query(Some(bearer), &query).await;
                let got = outcome(&response);
                let context = format!("{} {role}: {operation}\n{response}", server.db.name);
                match expect {
                    Code(code) => assert_eq!(got, Err(code.to_string()), "{context}"),
                    Allowed => {
                        let data = got.unwrap_or_else(|err| panic!("{err}: {context}"));
                        assert!(data.as_object().unwrap().values().all(|v| !v.is_null()), "{context}");
                    }
                    Absent => {
                        let data = got.unwrap_or_else(|err| panic!("{err}: {context}"));
                        assert!(data.as_object().unwrap().values().all(Value::is_null), "{context}");
                    }
                    Rows(rows) => {
                        let data = got.unwrap_or_else(|err| panic!("{err}: {context}"));
                        let list = data.as_object().unwrap().values().next().unwrap();
                        assert_eq!(ids(list), rows.to_vec(), "{context}");
                    }
                }
            }
        }
        // A partner cannot take another partner's opening over by naming itself.
        let steal = format!(
            "mutation {{ updateOpening(id: \"o-2\", input: {}) {{ id }} }}",
            opening_patch(4, "18:00")
        );
        let response = server.query(Some(&roles[2].1), &steal).await;
        assert_eq!(outcome(&response), Err("NOT_FOUND".into()), "{response}");
        // Without a token nothing is answered.
        let response = server.query(None, "{ openings { totalCount } }").await;
        assert_eq!(outcome(&response), Err("UNAUTHENTICATED".into()));
        // What the admin wrote reads back.
        let admin = token(Role::Admin, None);
        let response = server
            .query(Some(&admin), r#"{ partner(id: "p-2") { name kind agreements { id } } opening(id: "o-1") { capacity freeSlots } }"#)
            .await;
        assert_eq!(
            response["data"]["partner"],
            json!({"name": "M admin", "kind": "FAMILY", "agreements": []})
        );
        // The partner updated o-1 last (capacity 4 both times).
        assert_eq!(response["data"]["opening"], json!({"capacity": 4, "freeSlots": 4}));
        let response =
            server.query(Some(&admin), r#"{ opening(id: "nope") { id } partner(id: "nope") { id } }"#).await;
        assert_eq!(response["data"], json!({"opening": null, "partner": null}), "{response}");
        server.stop().await;
    }
}

/// 250 openings walked with pages of 100, 30 and 7: every id once, in order.
#[tokio::test]
async fn pages_walk_every_opening_once_in_order() {
    for db in backends().await {
        base(&db).await;
        let many: Vec<Opening> = (0..248).map(|i| opening(&format!("o-x{i:03}"), "p-1")).collect();
        save_openings(db.store.db(), &many, Utc::now()).await.unwrap();
        let mut expected: Vec<String> = many.iter().map(|o| o.matching.id.clone()).collect();
        expected.extend(["o-1".to_owned(), "o-2".to_owned()]);
        expected.sort();
        let server = TestServer::start(db, false).await;
        let counselor = token(Role::Counselor, Some("sch-1"));
        for first in [100, 30, 7] {
            let mut seen = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let after_arg = after.as_ref().map(|c| format!(", after: \"{c}\"")).unwrap_or_default();
                let query = format!(
                    "{{ openings(first: {first}{after_arg}) {{ totalCount edges {{ cursor node {{ id }} }}
                       pageInfo {{ hasNextPage endCursor }} }} }}"
                );
                let response = server.query(Some(&counselor), &query).await;
                let page = &response["data"]["openings"];
                assert_eq!(page["totalCount"], 250, "{response}");
                seen.extend(ids(page));
                let has_next = page["pageInfo"]["hasNextPage"].as_bool().unwrap();
                assert_eq!(has_next, seen.len() < 250, "first {first} after {} rows", seen.len());
                if !has_next {
                    break;
                }
                after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
            }
            assert_eq!(seen, expected, "{}: first {first}", server.db.name);
        }
        server.stop().await;
    }
}

/// An independent haversine (docs/matching.md "Travel"), to check `near` against.
fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((b.1 - a.1).to_radians() / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// kind, subject, language, hasCapacity, partnerId and near, alone and together.
#[tokio::test]
async fn filters_select_exactly_the_matching_openings() {
    for db in backends().await {
        base(&db).await;
        let center = (41.88, -87.63);
        // A deterministic scatter around the centre; every fifth opening is virtual.
        let mut list = Vec::new();
        let mut seed: u64 = 7;
        for i in 0..60 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let dlat = ((seed >> 33) % 1000) as f64 / 1000.0 - 0.5;
            let dlon = ((seed >> 13) % 1000) as f64 / 1000.0 - 0.5;
            let mut o = opening(&format!("o-f{i:02}"), if i % 2 == 0 { "p-1" } else { "p-2" });
            o.matching.kind = [Kind::Tutoring, Kind::Mentoring, Kind::Internship][i % 3];
            o.matching.subjects = vec![["algebra", "biology", "coding", "design"][i % 4].into()];
            o.matching.languages =
                if i % 3 == 0 { vec!["en".into(), "es".into()] } else { vec!["en".into()] };
            if i % 5 == 0 {
                o.matching.r#virtual = true;
                o.matching.place = None;
            } else {
                o.matching.place = Place::new(center.0 + dlat, center.1 + dlon);
            }
            list.push(o);
        }
        save_openings(db.store.db(), &list, Utc::now()).await.unwrap();
        // Fill o-f00…o-f09 to capacity.
        openings::Entity::update_many()
            .col_expr(openings::Column::Filled, Expr::col(openings::Column::Capacity))
            .filter(openings::Column::Id.is_in((0..10).map(|i| format!("o-f{i:02}"))))
            .exec(db.store.db())
            .await
            .unwrap();
        let scatter = |keep: &dyn Fn(usize, &Opening) -> bool| -> Vec<String> {
            list.iter().enumerate().filter(|(i, o)| keep(*i, o)).map(|(_, o)| o.matching.id.clone()).collect()
        };
        let radius = 20.0;
        let within =
            |o: &Opening| o.matching.place.is_some_and(|p| distance_km(center, (p.lat(), p.lon())) <= radius);
        let cases: Vec<(String, Vec<String>)> = vec![
            ("kind: MENTORING".into(), scatter(&|i, _| i % 3 == 1)),
            ("subject: \"coding\"".into(), scatter(&|i, _| i % 4 == 2)),
            ("language: \"es\"".into(), scatter(&|i, _| i % 3 == 0)),
            ("hasCapacity: false".into(), scatter(&|i, _| i < 10)),
            ("partnerId: \"p-2\"".into(), scatter(&|i, _| i % 2 == 1)),
            (
                format!("near: {{ lat: {}, lon: {}, radiusKm: {radius} }}", center.0, center.1),
                scatter(&|_, o| within(o)),
            ),
            (
                format!(
                    "kind: TUTORING, language: \"es\", hasCapacity: true, near: {{ lat: {}, lon: {}, radiusKm: {radius} }}",
                    center.0, center.1
                ),
                scatter(&|i, o| i % 3 == 0 && i >= 10 && within(o)),
            ),
        ];
        let server = TestServer::start(db, false).await;
        let student = token(Role::Student, Some("s-1"));
        let partner_1 = token(Role::Partner, Some("p-1"));
        for (filter, expected) in &cases {
            // Only the f-series: o-1 and o-2 are outside every case but partnerId/near.
            let query = format!(
                "{{ openings(first: 100, filter: {{ {filter} }}) {{ totalCount edges {{ node {{ id }} }} }} }}"
            );
            let response = server.query(Some(&student), &query).await;
            let got: Vec<String> =
                ids(&response["data"]["openings"]).into_iter().filter(|id| id.starts_with("o-f")).collect();
            assert_eq!(&got, expected, "{}: {filter}", server.db.name);
            assert!(!expected.is_empty() && expected.len() < 60, "a case that tells something: {filter}");
            let total = response["data"]["openings"]["totalCount"].as_u64().unwrap() as usize;
            assert_eq!(
                total,
                ids(&response["data"]["openings"]).len(),
                "totalCount honours the filter: {filter}"
            );
            // A partner's list is its own rows of the same filter.
            let response = server.query(Some(&partner_1), &query).await;
            let own: Vec<String> =
                ids(&response["data"]["openings"]).into_iter().filter(|id| id.starts_with("o-f")).collect();
            let expected_own: Vec<String> = expected
                .iter()
                .filter(|id| list.iter().any(|o| &o.matching.id == *id && o.matching.partner_id == "p-1"))
                .cloned()
                .collect();
            assert_eq!(own, expected_own, "partner view: {filter}");
        }
        // The `near` cut agrees with the store's own haversine, and with ours.
        assert!(
            (catalog::haversine_km(41.0, -87.0, 42.0, -88.0) - distance_km((41.0, -87.0), (42.0, -88.0)))
                .abs()
                < 1e-9
        );
        server.stop().await;
    }
}

/// `near` where longitudes wrap: across the antimeridian and around a pole.
#[tokio::test]
async fn near_holds_across_the_antimeridian_and_at_the_poles() {
    for db in backends().await {
        base(&db).await;
        let places = [
            ("o-a", 0.0, 179.95),
            ("o-b", 0.0, -179.95),
            ("o-c", 89.99, 0.0),
            ("o-d", 89.99, 120.0),
            ("o-e", 0.0, 178.0),
        ];
        let list: Vec<Opening> = places
            .iter()
            .map(|(id, lat, lon)| {
                let mut o = opening(id, "p-1");
                o.matching.place = Place::new(*lat, *lon);
                o
            })
            .collect();
        save_openings(db.store.db(), &list, Utc::now()).await.unwrap();
        let server = TestServer::start(db, false).await;
        let admin = token(Role::Admin, None);
        for (center, radius) in [((0.0, -179.99), 20.0), ((89.995, 60.0), 5.0), ((0.0, 179.0), 120.0)] {
            let expected: Vec<&str> = places
                .iter()
                .filter(|(_, lat, lon)| distance_km(center, (*lat, *lon)) <= radius)
                .map(|(id, _, _)| *id)
                .collect();
            assert!(expected.len() >= 2, "a case that tells something");
            let query = format!(
                "{{ openings(filter: {{ near: {{ lat: {}, lon: {}, radiusKm: {radius} }} }}) {{ edges {{ node {{ id }} }} }} }}",
                center.0, center.1
            );
            let response = server.query(Some(&admin), &query).await;
            assert_eq!(ids(&response["data"]["openings"]), expected, "{}: {query}", server.db.name);
        }
        server.stop().await;
    }
}

/// Each refusal names the input path.
#[tokio::test]
async fn bad_input_names_the_field() {
    let db = sqlite().await;
    base(&db).await;
    let server = TestServer::start(db, false).await;
    let admin = token(Role::Admin, None);
    let near = |lat: f64, lon: f64, radius: f64| {
        format!(
            "{{ openings(filter: {{ near: {{ lat: {lat}, lon: {lon}, radiusKm: {radius} }} }}) {{ totalCount }} }}"
        )
    };
    let cases = [
        ("{ openings(first: 101) { totalCount } }".to_owned(), "first"),
        ("{ openings(first: -1) { totalCount } }".to_owned(), "first"),
        ("{ partners(first: 101) { totalCount } }".to_owned(), "first"),
        ("{ openings(after: \"not-a-cursor\") { totalCount } }".to_owned(), "after"),
        ("{ partner(id: \"p-1\") { openings(first: 500) { totalCount } } }".to_owned(), "first"),
        (near(41.0, -87.0, -1.0), "filter.near.radiusKm"),
        (near(41.0, -87.0, 501.0), "filter.near.radiusKm"),
        (near(91.0, -87.0, 1.0), "filter.near.lat"),
        (near(41.0, -181.0, 1.0), "filter.near.lon"),
        (
            format!(
                "mutation {{ createOpening(input: {}) {{ id }} }}",
                opening_input("o-9", "p-1", 2, "14:00")
            ),
            "input.schedule[0]",
        ),
        (
            format!(
                "mutation {{ createOpening(input: {}) {{ id }} }}",
                opening_input("o-9", "p-1", 0, "18:00")
            ),
            "input.capacity",
        ),
        (
            format!(
                "mutation {{ createOpening(input: {}) {{ id }} }}",
                opening_input("o-9", "p-404", 2, "18:00")
            ),
            "input.partnerId",
        ),
        (
            "mutation { updateOpening(id: \"o-1\", input: {capacity: null}) { id } }".to_owned(),
            "input.capacity",
        ),
        (
            r#"mutation { createPartner(input: { id: "p-9", name: " ", kind: FAMILY }) { id } }"#.to_owned(),
            "input.name",
        ),
        (
            r#"mutation { createAgreement(input: { id: "a-9", partnerId: "p-1", startsOn: "2026-08-01",
                 endsOn: "2026-01-01", dataSharing: true }) { id } }"#
                .to_owned(),
            "input.endsOn",
        ),
        (
            r#"mutation { createAgreement(input: { id: "a-9", partnerId: "p-404", startsOn: "2026-08-01",
                 dataSharing: true }) { id } }"#
                .to_owned(),
            "input.partnerId",
        ),
        (
            r#"mutation { createAgreement(input: { id: "a-9", partnerId: "p-1", schoolId: "sch-404",
                 startsOn: "2026-08-01", dataSharing: true }) { id } }"#
                .to_owned(),
            "input.schoolId",
        ),
    ];
    for (query, expected) in &cases {
        let response = server.query(Some(&admin), query).await;
        assert_eq!(outcome(&response), Err("BAD_USER_INPUT".into()), "{query}\n{response}");
        assert_eq!(field(&response), *expected, "{query}\n{response}");
    }
    server.stop().await;
}

async fn row_counts(store: &Store) -> [u64; 5] {
    let db = store.db();
    [
        partners::Entity::find().count(db).await.unwrap(),
        openings::Entity::find().count(db).await.unwrap(),
        opening_subjects::Entity::find().count(db).await.unwrap(),
        opening_windows::Entity::find().count(db).await.unwrap(),
        audit_log::Entity::find().count(db).await.unwrap(),
    ]
}

/// A refused mutation leaves every table as it was; an accepted one writes its
/// record and one audit entry.
#[tokio::test]
async fn a_failed_mutation_writes_nothing() {
    for db in backends().await {
        base(&db).await;
        // o-1 has 2 of its 3 slots taken.
        openings::Entity::update_many()
            .col_expr(openings::Column::Filled, Expr::value(2))
            .filter(openings::Column::Id.eq("o-1"))
            .exec(db.store.db())
            .await
            .unwrap();
        let server = TestServer::start(db, false).await;
        let admin = token(Role::Admin, None);
        let before = row_counts(&server.db.store).await;
        let refused = [
            (
                format!(
                    "mutation {{ createOpening(input: {}) {{ id }} }}",
                    opening_input("o-2", "p-1", 2, "18:00")
                ),
                "CONFLICT",
            ),
            (
                format!(
                    "mutation {{ updateOpening(id: \"o-1\", input: {}) {{ id }} }}",
                    opening_patch(1, "18:00")
                ),
                "CONFLICT",
            ),
            (
                format!(
                    "mutation {{ updateOpening(id: \"o-404\", input: {}) {{ id }} }}",
                    opening_patch(1, "18:00")
                ),
                "NOT_FOUND",
            ),
            (
                format!(
                    "mutation {{ createOpening(input: {}) {{ id }} }}",
                    opening_input("o-3", "p-404", 2, "18:00")
                ),
                "BAD_USER_INPUT",
            ),
            (
                format!(
                    "mutation {{ createOpening(input: {}) {{ id }} }}",
                    opening_input("o-3", "p-1", 2, "12:00")
                ),
                "BAD_USER_INPUT",
            ),
            (
                r#"mutation { createPartner(input: { id: "p-1", name: "Again", kind: FAMILY }) { id } }"#
                    .to_owned(),
                "CONFLICT",
            ),
            (
                r#"mutation { updatePartner(id: "p-404", input: { name: "X", kind: FAMILY }) { id } }"#
                    .to_owned(),
                "NOT_FOUND",
            ),
        ];
        for (query, code) in &refused {
            let response = server.query(Some(&admin), query).await;
            assert_eq!(outcome(&response), Err(code.to_string()), "{query}\n{response}");
            assert_eq!(row_counts(&server.db.store).await, before, "{}: {query}", server.db.name);
        }
        let response = server
            .query(
                Some(&admin),
                r#"{ opening(id: "o-1") { capacity freeSlots } partner(id: "p-1") { name } }"#,
            )
            .await;
        assert_eq!(
            response["data"],
            json!({"opening": {"capacity": 3, "freeSlots": 1}, "partner": {"name": "Partner p-1"}})
        );
        // Capacity down to exactly the taken slots is fine.
        let query = format!(
            "mutation {{ updateOpening(id: \"o-1\", input: {}) {{ capacity freeSlots }} }}",
            opening_patch(2, "18:00")
        );
        let response = server.query(Some(&admin), &query).await;
        assert_eq!(response["data"]["updateOpening"], json!({"capacity": 2, "freeSlots": 0}), "{response}");
        let query = format!(
            "mutation {{ createOpening(input: {}) {{ id partner {{ id }} }} }}",
            opening_input("o-3", "p-1", 2, "18:00")
        );
        let response = server.query(Some(&admin), &query).await;
        assert_eq!(
            response["data"]["createOpening"],
            json!({"id": "o-3", "partner": {"id": "p-1"}}),
            "{response}"
        );
        let [p, o, s, w, a] = before;
        assert_eq!(row_counts(&server.db.store).await, [p, o + 1, s + 1, w + 1, a + 2]);
        let actors: Vec<String> = audit_log::Entity::find()
            .all(server.db.store.db())
            .await
            .unwrap()
            .into_iter()
            .map(|row| format!("{} {} {} {}", row.actor, row.action, row.entity, row.entity_id))
            .collect();
        assert!(
            actors.iter().any(|a| a.ends_with("create opening o-3") && a.starts_with("admin:")),
            "{actors:?}"
        );
        server.stop().await;
    }
}

/// The real service over `db` whose statements are counted (and their first 120
/// characters kept), for the tests of how many statements a page costs.
struct Counted {
    running: service::server::Running,
    count: Arc<AtomicUsize>,
    seen: Arc<std::sync::Mutex<Vec<String>>>,
}

async fn counted_server(db: &TestDb) -> Counted {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut counted = db.store.db().clone();
    let (tally, log) = (count.clone(), seen.clone());
    // The runner's lease sweep shares the pool and ticks on its own clock: only
    // the statements a request makes are counted.
    counted.set_metric_callback(move |info| {
        if !info.statement.sql.contains("match_runs") {
            tally.fetch_add(1, Ordering::Relaxed);
            log.lock().unwrap().push(info.statement.sql.chars().take(120).collect());
        }
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
        run_lease: service::runner::DEFAULT_LEASE,
        cors: Default::default(),
        // No dispatcher: its queries would count among the statements measured.
        hooks: service::notify::HookSettings {
            allow_private: true,
            dispatch_every: None,
            mailer: None,
            extra_roots: Vec::new(),
        },
    };
    Counted { running: start(service, "127.0.0.1:0").await.unwrap(), count, seen }
}

/// A page of openings that selects only what the openings' head columns hold reads
/// those alone, and answers as a whole read does; a field outside the head, asked
/// in a fragment or an alias, under `edges` or `nodes`, reads whole rows in the
/// page's own statement (no read per opening).
#[tokio::test]
async fn a_page_of_openings_reading_its_head_answers_as_a_whole_read() {
    for db in backends().await {
        cli::demo::seed(&db.store, Utc::now()).await.unwrap();
        let Counted { running, count, .. } = counted_server(&db).await;
        let bearer = format!("Bearer {}", token(Role::Counselor, Some("sch-1")));
        let ask = |query: &str| {
            count.store(0, Ordering::Relaxed);
            ask_as(running.addr, &bearer, query.to_owned())
        };
        let head = "id title capacity freeSlots status partner { name }";
        let rest = "kind virtual minGrade maxGrade sessionMinutes sessionsPerWeek minAge place { lat lon }";
        let nodes = |page: &Value| -> Vec<Value> {
            let edges = page["data"]["openings"]["edges"].as_array().cloned();
            let listed = edges.map(|edges| edges.iter().map(|edge| edge["node"].clone()).collect());
            listed.or_else(|| page["data"]["openings"]["nodes"].as_array().cloned()).unwrap_or_default()
        };
        let whole =
            ask(&format!("{{ openings(first: 40) {{ edges {{ node {{ {head} {rest} }} }} }} }}")).await;
        let whole = nodes(&whole);
        assert_eq!(whole.len(), 40, "{}", db.name);
        let bare = ask("{ openings(first: 40) { edges { node { id } } } }").await;
        assert_eq!(nodes(&bare).len(), 40, "{}", db.name);
        let bare_statements = count.load(Ordering::Relaxed);

        let only_head = ask(&format!("{{ openings(first: 40) {{ edges {{ node {{ {head} }} }} }} }}")).await;
        // The partners come in one statement more.
        assert_eq!(count.load(Ordering::Relaxed), bare_statements + 1, "{}", db.name);
        let fields = |node: &Value, names: &[&str]| -> Vec<Value> {
            names.iter().map(|name| node[name].clone()).collect()
        };
        let head_names = ["id", "title", "capacity", "freeSlots", "status", "partner"];
        for (short, long) in nodes(&only_head).iter().zip(&whole) {
            assert_eq!(fields(short, &head_names), fields(long, &head_names), "{}", db.name);
        }
        assert_eq!(nodes(&only_head).len(), 40, "{}", db.name);

        for query in [
            "{ openings(first: 40) { nodes { id ...More } } } fragment More on Opening { k: kind minGrade }",
            "{ openings(first: 40) { edges { node { id ... on Opening { k: kind minGrade } } } } }",
        ] {
            let page = ask(query).await;
            assert_eq!(count.load(Ordering::Relaxed), bare_statements, "{}: {query}", db.name);
            let listed = nodes(&page);
            assert_eq!(listed.len(), 40, "{}: {page}", db.name);
            for (short, long) in listed.iter().zip(&whole) {
                assert_eq!(short["id"], long["id"], "{}", db.name);
                assert_eq!(
                    (&short["k"], &short["minGrade"]),
                    (&long["kind"], &long["minGrade"]),
                    "{}",
                    db.name
                );
            }
        }
        running.handle.stop(true).await;
    }
}

/// A page of openings with their partners costs the same statements for 10 rows as
/// for 100, each of another partner, and one more than the bare page: the partners
/// come in one batch.
#[tokio::test]
async fn opening_partners_load_in_one_batch() {
    for db in backends().await {
        let now = Utc::now();
        let partners: Vec<Partner> = (0..100).map(|i| partner(&format!("p-{i:03}"))).collect();
        save_partners(db.store.db(), &partners, now).await.unwrap();
        let list: Vec<Opening> =
            (0..100).map(|i| opening(&format!("o-{i:03}"), &format!("p-{i:03}"))).collect();
        save_openings(db.store.db(), &list, now).await.unwrap();

        let Counted { running, count, seen } = counted_server(&db).await;
        let bearer = format!("Bearer {}", token(Role::Counselor, Some("sch-1")));
        let mut statements = Vec::new();
        for first in [10, 100, 99, 100, 10, 100] {
            let query = format!(
                "{{ openings(first: {first}) {{ edges {{ node {{ id partner {{ id name }} }} }} }} }}"
            );
            let body = serde_json::to_vec(&json!({ "query": query })).unwrap();
            count.store(0, Ordering::Relaxed);
            seen.lock().unwrap().clear();
            let headers = [("Content-Type", "application/json"), ("Authorization", bearer.as_str())];
            let response = request(running.addr, "POST", "/graphql", &headers, &body).await.json();
            let edges =
                response["data"]["openings"]["edges"].as_array().unwrap_or_else(|| panic!("{response}"));
            assert_eq!(edges.len(), first);
            for edge in edges {
                let id = edge["node"]["id"].as_str().unwrap();
                assert_eq!(edge["node"]["partner"]["id"].as_str().unwrap(), id.replace("o-", "p-"));
            }
            statements.push(count.load(Ordering::Relaxed));
        }
        // Repeated: a batch split by timing would show up as a varying count.
        let last = seen.lock().unwrap().clone();
        assert!(
            statements.iter().all(|n| *n == statements[0]),
            "{}: statements {statements:?}; the last request's: {last:#?}",
            db.name
        );
        // The partners come in one statement of their own.
        let query = "{ openings(first: 10) { edges { node { id } } } }";
        let body = serde_json::to_vec(&json!({ "query": query })).unwrap();
        count.store(0, Ordering::Relaxed);
        let headers = [("Content-Type", "application/json"), ("Authorization", bearer.as_str())];
        let bare = request(running.addr, "POST", "/graphql", &headers, &body).await.json();
        assert_eq!(bare["data"]["openings"]["edges"].as_array().map(Vec::len), Some(10), "{bare}");
        assert_eq!(statements[0], count.load(Ordering::Relaxed) + 1, "{}: with partners, and bare", db.name);
        running.handle.stop(true).await;
    }
}

/// A page of openings reads only its partners' heads (id, name, kind) when that is
/// all it shows of them, and every column when a field wants more (in any alias or
/// fragment); either way the same statements and the same answers as a whole read.
#[tokio::test]
async fn opening_partners_read_their_heads_alone_when_that_is_all_shown() {
    for db in backends().await {
        let now = Utc::now();
        let partners: Vec<Partner> = (0..12).map(|i| partner(&format!("p-{i:03}"))).collect();
        save_partners(db.store.db(), &partners, now).await.unwrap();
        let list: Vec<Opening> =
            (0..24).map(|i| opening(&format!("o-{i:03}"), &format!("p-{:03}", i % 12))).collect();
        save_openings(db.store.db(), &list, now).await.unwrap();

        let Counted { running, count, seen } = counted_server(&db).await;
        let bearer = format!("Bearer {}", token(Role::Counselor, Some("sch-1")));
        let ask = |query: String| {
            count.store(0, Ordering::Relaxed);
            seen.lock().unwrap().clear();
            ask_as(running.addr, &bearer, query)
        };
        let partners_of = |page: &Value| -> Vec<Value> {
            let edges = page["data"]["openings"]["edges"].as_array().cloned().unwrap_or_default();
            edges.iter().map(|edge| edge["node"]["partner"].clone()).collect()
        };
        let whole = "id name kind status contactName contactEmail contactPhone";
        let page = |fields: &str, fragment: &str| {
            format!(
                "{{ openings(first: 24) {{ edges {{ node {{ id partner {{ {fields} }} }} }} }} }} {fragment}"
            )
        };
        let expected = partners_of(&ask(page(whole, "")).await);
        assert_eq!(expected.len(), 24, "{}", db.name);
        let whole_statements = count.load(Ordering::Relaxed);
        let reads_contacts = |seen: &[String]| seen.iter().any(|sql| sql.contains("\"partners\".\"status\""));
        assert!(reads_contacts(&seen.lock().unwrap()), "{}: {:#?}", db.name, seen.lock().unwrap());

        for (fields, fragment, head) in [
            ("id name kind", "", true),
            ("__typename name", "", true),
            ("n: name ... on Partner { kind }", "", true),
            ("name ...Head", "fragment Head on Partner { id kind }", true),
            ("name status", "", false),
            ("name ...Contact", "fragment Contact on Partner { contactEmail }", false),
            ("name ... on Partner { contactPhone }", "", false),
        ] {
            let answer = ask(page(fields, fragment)).await;
            let shown = partners_of(&answer);
            assert_eq!(shown.len(), 24, "{}: {fields}: {answer}", db.name);
            assert_eq!(count.load(Ordering::Relaxed), whole_statements, "{}: {fields}", db.name);
            let seen = seen.lock().unwrap().clone();
            assert_eq!(reads_contacts(&seen), !head, "{}: {fields}: {seen:#?}", db.name);
            for (got, want) in shown.iter().zip(&expected) {
                for (name, value) in got.as_object().unwrap() {
                    let field = match name.as_str() {
                        "n" => "name",
                        "__typename" => {
                            assert_eq!(value, "Partner");
                            continue;
                        }
                        other => other,
                    };
                    assert_eq!(value, &want[field], "{}: {fields}: {name}", db.name);
                }
            }
        }
        running.handle.stop(true).await;
    }
}

/// Posts `query` to the GraphQL endpoint at `addr` with the header `bearer`, and
/// reads the JSON answer.
async fn ask_as(addr: std::net::SocketAddr, bearer: &str, query: impl AsRef<str>) -> Value {
    let headers = [("Content-Type", "application/json"), ("Authorization", bearer)];
    let body = serde_json::to_vec(&json!({ "query": query.as_ref() })).unwrap();
    request(addr, "POST", "/graphql", &headers, &body).await.json()
}

/// A page of matches with their openings and partners costs the same statements for
/// 5 matches as for 30, and as the bare page on PostgreSQL (they are read in the
/// rows' statement; on SQLite in one beside it); and each match's opening is the one
/// `match(id)` reads on its own. (Pages walked both ways with these joins keep the
/// bare order: `ordering::lists_sort_by_order_by_and_page_both_ways`.)
#[tokio::test]
async fn match_openings_load_with_their_page() {
    for db in backends().await {
        cli::demo::seed(&db.store, Utc::now()).await.unwrap();
        let Counted { running, count, .. } = counted_server(&db).await;
        let bearer = format!("Bearer {}", token(Role::Admin, None));
        let ask = |query: String| ask_as(running.addr, &bearer, query);
        let mut statements = Vec::new();
        let mut pages = Vec::new();
        for first in [5, 30, 5, 30] {
            count.store(0, Ordering::Relaxed);
            let page = ask(format!(
                "{{ matches(first: {first}) {{ edges {{ node {{ id opening {{ id title capacity partner {{ id name }} }} }} }} }} }}"
            ))
            .await;
            statements.push(count.load(Ordering::Relaxed));
            let edges =
                page["data"]["matches"]["edges"].as_array().unwrap_or_else(|| panic!("{page}")).clone();
            assert_eq!(edges.len(), first, "{}", db.name);
            pages.push(edges);
            // The partners come in the openings' statement: none more without them.
            count.store(0, Ordering::Relaxed);
            let without = ask(format!(
                "{{ matches(first: {first}) {{ edges {{ node {{ id opening {{ id title capacity }} }} }} }} }}"
            ))
            .await;
            assert_eq!(
                without["data"]["matches"]["edges"].as_array().map(Vec::len),
                Some(first),
                "{without}"
            );
            assert_eq!(statements.last().copied(), Some(count.load(Ordering::Relaxed)), "{}", db.name);
        }
        assert!(statements.iter().all(|n| *n == statements[0]), "{}: statements {statements:?}", db.name);
        // The openings and their partners come in the rows' statement on PostgreSQL,
        // in one of their own on SQLite.
        count.store(0, Ordering::Relaxed);
        let bare = ask("{ matches(first: 5) { edges { node { id } } } }".to_owned()).await;
        assert_eq!(bare["data"]["matches"]["edges"].as_array().map(Vec::len), Some(5), "{bare}");
        let beside = usize::from(db.name == "sqlite");
        assert_eq!(
            statements[0],
            count.load(Ordering::Relaxed) + beside,
            "{}: with openings, and bare",
            db.name
        );
        for edge in &pages[1] {
            let id = edge["node"]["id"].as_str().unwrap();
            let alone = ask(format!(
                r#"{{ match(id: "{id}") {{ id opening {{ id title capacity partner {{ id name }} }} }} }}"#
            ))
            .await;
            assert_eq!(alone["data"]["match"], edge["node"], "{}", db.name);
        }
        running.handle.stop(true).await;
    }
}

/// A page of openings that shows only their own columns reads no child table: one
/// statement fewer than the page that selects subjects, languages, schedule and
/// background check (all four come in one statement); and every field of either page, through a fragment too, equals what
/// `opening(id)` reads alone.
#[tokio::test]
async fn opening_pages_read_child_tables_only_when_asked() {
    for db in backends().await {
        cli::demo::seed(&db.store, Utc::now()).await.unwrap();
        let Counted { running, count, .. } = counted_server(&db).await;
        let bearer = format!("Bearer {}", token(Role::Admin, None));
        let ask = |query: String| ask_as(running.addr, &bearer, query);
        let own = "id title capacity kind partner { name }";
        let children =
            "subjects languages schedule { day start end } backgroundCheck { clearedOn expiresOn }";
        let fragment = format!("fragment F on Opening {{ {children} }}");
        let mut statements = Vec::new();
        for selection in [own.to_owned(), format!("{own} {children}"), format!("{own} ...F")] {
            count.store(0, Ordering::Relaxed);
            let extra = if selection.contains("...F") { fragment.as_str() } else { "" };
            let page =
                ask(format!("{{ openings(first: 40) {{ edges {{ node {{ {selection} }} }} }} }} {extra}"))
                    .await;
            statements.push(count.load(Ordering::Relaxed));
            let edges =
                page["data"]["openings"]["edges"].as_array().unwrap_or_else(|| panic!("{page}")).clone();
            assert_eq!(edges.len(), 40, "{}", db.name);
            for edge in edges.iter().step_by(7) {
                let id = edge["node"]["id"].as_str().unwrap();
                let alone = ask(format!(r#"{{ opening(id: "{id}") {{ {selection} }} }} {extra}"#)).await;
                assert_eq!(alone["data"]["opening"], edge["node"], "{}: {selection}", db.name);
            }
        }
        // Both pages with child fields read them together: the same statements.
        assert_eq!(statements[1], statements[2], "{}: {statements:?}", db.name);
        assert_eq!(statements[0] + 1, statements[1], "{}: {statements:?}", db.name);
        running.handle.stop(true).await;
    }
}

/// The demo's partner with the most matches, and how many it has.
async fn busiest_partner(db: &TestDb) -> (String, usize) {
    use store::entity::matches;
    let rows = matches::Entity::find().all(db.store.db()).await.unwrap();
    let owners: std::collections::HashMap<String, String> = openings::Entity::find()
        .all(db.store.db())
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.id, o.partner_id))
        .collect();
    let mut per_partner: std::collections::BTreeMap<&str, usize> = Default::default();
    for m in &rows {
        *per_partner.entry(owners[&m.opening_id].as_str()).or_default() += 1;
    }
    let (partner_id, all) = per_partner.iter().max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id))).unwrap();
    assert!(*all >= 3, "{}: the demo's busiest partner has {all} matches", db.name);
    (partner_id.to_string(), *all)
}

/// What partners' reads of `Match.student` wrote to the disclosure log, oldest first.
async fn match_student_log(db: &TestDb) -> Vec<store::entity::disclosure_log::Model> {
    use store::entity::disclosure_log;
    disclosure_log::Entity::find()
        .filter(disclosure_log::Column::Operation.eq("Match.student"))
        .all(db.store.db())
        .await
        .unwrap()
}

/// A partner's page logs, for each selection of `student` that reads a logged
/// field, one entry per student shown with that selection's fields, selection by
/// selection in the page's order; a selection reading none writes nothing; a page
/// read backwards logs the rows it shows and not the one past its end.
#[tokio::test]
async fn a_partners_page_logs_each_selection_of_its_students() {
    for db in backends().await {
        cli::demo::seed(&db.store, Utc::now()).await.unwrap();
        let (partner_id, all) = busiest_partner(&db).await;
        let bearer = format!("Bearer {}", token(Role::Partner, Some(&partner_id)));
        let Counted { running, .. } = counted_server(&db).await;
        let logged = || match_student_log(&db);
        let shown = all - 1;
        for (window, forward) in [(format!("first: {shown}"), true), (format!("last: {shown}"), false)] {
            let before = logged().await.len();
            let page = ask_as(
                running.addr,
                &bearer,
                format!(
                    "{{ matches({window}) {{ edges {{ node {{ id a: student {{ id firstName }} \
                     b: student {{ grade }} c: student {{ __typename }} }} }} }} }}"
                ),
            )
            .await;
            let edges =
                page["data"]["matches"]["edges"].as_array().unwrap_or_else(|| panic!("{page}")).clone();
            assert_eq!(edges.len(), shown, "{}: {page}", db.name);
            let students: Vec<&str> = edges.iter().filter_map(|e| e["node"]["a"]["id"].as_str()).collect();
            assert!(!students.is_empty(), "{}: {page}", db.name);
            let mut expected: Vec<(String, Value)> = Vec::new();
            for fields in [json!(["id", "firstName"]), json!(["grade"])] {
                expected.extend(students.iter().map(|id| (id.to_string(), fields.clone())));
            }
            let log = logged().await;
            let mut written: Vec<(String, Value)> =
                log[before..].iter().map(|d| (d.student_id.clone(), d.fields.clone())).collect();
            for entry in &log[before..] {
                assert_eq!(entry.partner_id, partner_id, "{}", db.name);
                assert_eq!(entry.actor, format!("partner:{partner_id}"), "{}", db.name);
            }
            if !forward {
                // Read nearest first: the same entries, in an order of its own.
                expected.sort_by_key(|(id, fields)| (id.clone(), fields.to_string()));
                written.sort_by_key(|(id, fields)| (id.clone(), fields.to_string()));
            }
            assert_eq!(written, expected, "{} {window}", db.name);
        }
        running.handle.stop(true).await;
    }
}

/// When the disclosure log refuses the entries, a partner's page of matches with
/// their students fails and shows no student: the log is written before the data
/// leaves (on PostgreSQL in the page's own statement, on SQLite before the answer).
#[tokio::test]
async fn a_partners_page_shows_no_student_when_its_log_cannot_be_written() {
    use sea_orm::ConnectionTrait;
    for db in backends().await {
        cli::demo::seed(&db.store, Utc::now()).await.unwrap();
        let (partner_id, all) = busiest_partner(&db).await;
        let refuse = if db.name == "sqlite" {
            "CREATE TRIGGER refuse_log BEFORE INSERT ON disclosure_log BEGIN SELECT RAISE(ABORT, 'log refused'); END"
        } else {
            "CREATE FUNCTION refuse_log() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'log refused'; END $$; \
             CREATE TRIGGER refuse_log BEFORE INSERT ON disclosure_log FOR EACH ROW EXECUTE FUNCTION refuse_log()"
        };
        db.store.db().execute_unprepared(refuse).await.unwrap();
        let Counted { running, .. } = counted_server(&db).await;
        let bearer = format!("Bearer {}", token(Role::Partner, Some(&partner_id)));
        let page = ask_as(
            running.addr,
            &bearer,
            format!(
                "{{ matches(first: {all}) {{ edges {{ node {{ id student {{ id firstName grade }} }} }} }} }}"
            ),
        )
        .await;
        assert!(page["errors"].as_array().is_some_and(|errors| !errors.is_empty()), "{}: {page}", db.name);
        assert!(!page.to_string().contains("firstName"), "{}: {page}", db.name);
        // The same page without its students is not logged, and reads.
        let bare = ask_as(
            running.addr,
            &bearer,
            format!("{{ matches(first: {all}) {{ edges {{ node {{ id }} }} }} }}"),
        )
        .await;
        assert_eq!(
            bare["data"]["matches"]["edges"].as_array().map(Vec::len),
            Some(all),
            "{}: {bare}",
            db.name
        );
        running.handle.stop(true).await;
    }
}

/// A partner's page of matches with their students reads the students together (the
/// same statements for 2 matches as for all), logs one disclosure per match shown (not
/// for the row read past the page's end) with the fields selected, and each student
/// equals what `match(id)` reads on its own.
#[tokio::test]
async fn match_students_load_with_their_page() {
    for db in backends().await {
        cli::demo::seed(&db.store, Utc::now()).await.unwrap();
        let (partner_id, all) = busiest_partner(&db).await;

        let Counted { running, count, .. } = counted_server(&db).await;
        let bearer = format!("Bearer {}", token(Role::Partner, Some(&partner_id)));
        let ask = |query: String| ask_as(running.addr, &bearer, query);
        let logged = || match_student_log(&db);
        let mut statements = Vec::new();
        for first in [2, all, 2, all] {
            let before = logged().await.len();
            count.store(0, Ordering::Relaxed);
            let page = ask(format!(
                "{{ matches(first: {first}) {{ edges {{ node {{ id student {{ id firstName grade }} }} }} }} }}"
            ))
            .await;
            statements.push(count.load(Ordering::Relaxed));
            let edges =
                page["data"]["matches"]["edges"].as_array().unwrap_or_else(|| panic!("{page}")).clone();
            assert_eq!(edges.len(), first, "{}", db.name);
            let log = logged().await;
            // The students cost the same statements however many: the disclosure
            // entries, and on SQLite their read (on PostgreSQL they come in the rows'
            // statement); either read keeps only the partner's matched students itself.
            count.store(0, Ordering::Relaxed);
            let bare = ask(format!("{{ matches(first: {first}) {{ edges {{ node {{ id }} }} }} }}")).await;
            assert_eq!(bare["data"]["matches"]["edges"].as_array().map(Vec::len), Some(first), "{bare}");
            let without_students = count.load(Ordering::Relaxed);
            // On PostgreSQL the entries are written by the rows' own statement.
            let extra = if db.name == "sqlite" { 2 } else { 0 };
            assert_eq!(
                statements.last().copied(),
                Some(without_students + extra),
                "{}: a page of {first} with students, and without",
                db.name
            );
            let added = &log[before..];
            // A declined or cancelled match's student reads as null, and is not logged.
            let mut shown: Vec<&str> =
                edges.iter().filter_map(|e| e["node"]["student"]["id"].as_str()).collect();
            assert!(!shown.is_empty(), "{}: {page}", db.name);
            assert_eq!(added.len(), shown.len(), "{}: one entry per student shown", db.name);
            let mut written: Vec<&str> = added.iter().map(|d| d.student_id.as_str()).collect();
            shown.sort_unstable();
            written.sort_unstable();
            assert_eq!(shown, written, "{}", db.name);
            for entry in added {
                assert_eq!(entry.partner_id, partner_id, "{}", db.name);
                assert_eq!(entry.fields, json!(["id", "firstName", "grade"]), "{}", db.name);
            }
            if first == all {
                for edge in &edges {
                    let id = edge["node"]["id"].as_str().unwrap();
                    let alone =
                        ask(format!(r#"{{ match(id: "{id}") {{ id student {{ id firstName grade }} }} }}"#))
                            .await;
                    assert_eq!(alone["data"]["match"], edge["node"], "{}", db.name);
                }
            }
            // The same page with a field of a child table (`languages`) agrees on the rest.
            let with_languages = ask(format!(
                "{{ matches(first: {first}) {{ edges {{ node {{ id student {{ id firstName grade languages }} }} }} }} }}"
            ))
            .await;
            for (short, long) in
                page["data"]["matches"]["edges"].as_array().unwrap_or_else(|| panic!("{page}")).iter().zip(
                    with_languages["data"]["matches"]["edges"]
                        .as_array()
                        .unwrap_or_else(|| panic!("{with_languages}")),
                )
            {
                let mut long = long["node"].clone();
                if let Some(student) = long["student"].as_object_mut() {
                    assert!(
                        student
                            .remove("languages")
                            .is_some_and(|l| l.as_array().is_some_and(|l| !l.is_empty()))
                    );
                }
                assert_eq!(short["node"], long, "{}", db.name);
            }
        }
        assert!(statements.iter().all(|n| *n == statements[0]), "{}: statements {statements:?}", db.name);
        running.handle.stop(true).await;
    }
}

/// Pages count their list only when `totalCount` is asked (one statement fewer
/// without it), and the count they give is the list's; a page of matches reads
/// sessions only when asked, and gives the ones `match(id)` reads alone.
#[tokio::test]
async fn pages_count_and_read_sessions_only_when_asked() {
    use store::entity::matches;
    for db in backends().await {
        cli::demo::seed(&db.store, Utc::now()).await.unwrap();
        let openings_total = openings::Entity::find().count(db.store.db()).await.unwrap();
        let matches_total = matches::Entity::find().count(db.store.db()).await.unwrap();
        let Counted { running, count, .. } = counted_server(&db).await;
        let bearer = format!("Bearer {}", token(Role::Admin, None));
        let ask = |query: &str| ask_as(running.addr, &bearer, query.to_owned());
        let statements = |query: &'static str| {
            let count = count.clone();
            let ask = &ask;
            async move {
                count.store(0, Ordering::Relaxed);
                let answer = ask(query).await;
                (count.load(Ordering::Relaxed), answer)
            }
        };
        let (bare, _) = statements("{ openings(first: 5) { edges { node { id } } } }").await;
        let (with, page) = statements("{ openings(first: 5) { totalCount edges { node { id } } } }").await;
        assert_eq!(page["data"]["openings"]["totalCount"], json!(openings_total), "{}: {page}", db.name);
        assert_eq!(with, bare + 1, "{}", db.name);
        let (bare, _) = statements("{ matches(first: 5) { edges { node { id } } } }").await;
        let (with, page) = statements("{ matches(first: 5) { totalCount edges { node { id } } } }").await;
        assert_eq!(page["data"]["matches"]["totalCount"], json!(matches_total), "{}: {page}", db.name);
        assert_eq!(with, bare + 1, "{}", db.name);
        let (sessions, page) =
            statements("{ matches(first: 30) { edges { node { id sessions { day start end } } } } }").await;
        assert_eq!(sessions, bare + 1, "{}", db.name);
        let edges = page["data"]["matches"]["edges"].as_array().unwrap_or_else(|| panic!("{page}")).clone();
        assert!(edges.iter().any(|e| e["node"]["sessions"].as_array().is_some_and(|s| !s.is_empty())));
        for edge in &edges {
            let id = edge["node"]["id"].as_str().unwrap();
            let alone =
                ask(&format!(r#"{{ match(id: "{id}") {{ id sessions {{ day start end }} }} }}"#)).await;
            assert_eq!(alone["data"]["match"], edge["node"], "{}", db.name);
        }
        running.handle.stop(true).await;
    }
}
