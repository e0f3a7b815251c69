//! What an attacker or a careless caller tries (the hardening issue): requests that
//! would crash the parser, limits over the websocket, a back-dated commit, a partner
//! certifying its own clearance or inferring what it may not read, control
//! characters, oversized text, duplicate credentials. Each over the real server, on
//! every backend where storage matters.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use service::graphql::{MAX_ALIASES, MAX_NESTING};
use store::entity::{disclosure_log, match_runs, matches as match_rows, partners};
use store::matches::{get, propose, transition};
use store::read;
use store::records::{Agreement, BackgroundCheck, District, Kind, MatchStatus, School};
use store::runs::{self, Lease, RunRequest};
use store::scope::Scope;
use store::write::{
    save_agreements, save_district, save_openings, save_partners, save_schools, save_students,
};

use crate::db::{TestDb, backends, sqlite};
use crate::gql::{admin, code, counselor, field, no_errors, partner, student};
use crate::http::{TestServer, request};
use crate::store::{new_match, opening, partner as a_partner, student as a_student};
use crate::ws::{Event, Socket};

/// Ten times the nesting limit: far past it, and still far below where the parser's
/// stack would give out (about 1,500 in release builds, fewer in debug).
const DEEP: usize = 10 * MAX_NESTING;

/// Every construct that nests in GraphQL text, each `DEEP` levels deep.
fn nested_constructs() -> Vec<(&'static str, String)> {
    let lists = |inner: &str| format!("{}{inner}{}", "[".repeat(DEEP), "]".repeat(DEEP));
    let objects = format!("{}1{}", "{a: ".repeat(DEEP), "}".repeat(DEEP));
    let selections = format!("{{ viewer {}{} }}", "{ role ".repeat(DEEP), "}".repeat(DEEP));
    vec![
        ("argument list", format!("{{ viewer(x: {}) {{ role }} }}", lists("1"))),
        ("argument object", format!("{{ viewer(x: {objects}) {{ role }} }}")),
        ("variable default", format!("query($x: Int = {}) {{ viewer {{ role }} }}", lists("1"))),
        ("directive argument", format!("{{ viewer @include(if: {}) {{ role }} }}", lists("true"))),
        ("list type", format!("query($x: {}) {{ viewer {{ role }} }}", lists("Int"))),
        ("selection sets", selections),
        ("parentheses", format!("{{ viewer{}{} }}", "(".repeat(DEEP), ")".repeat(DEEP))),
        // The report's own request: 1,500 brackets killed the process.
        (
            "the reported crash",
            format!("{{ viewer(x: {}1{}) {{ role }} }}", "[".repeat(1500), "]".repeat(1500)),
        ),
    ]
}

/// Fragments that do not nest in the text but do once expanded.
fn fragment_constructs() -> Vec<(&'static str, String, &'static str)> {
    let mut chain = String::from("{ ...F0 }");
    for level in 0..DEEP {
        chain.push_str(&format!(" fragment F{level} on Query {{ ...F{} }}", level + 1));
    }
    chain.push_str(&format!(" fragment F{DEEP} on Query {{ viewer {{ role }} }}"));
    let mut fan_out = String::from("{ ...G0 }");
    for level in 0..20 {
        let next = level + 1;
        fan_out.push_str(&format!(" fragment G{level} on Query {{ ...G{next} ...G{next} ...G{next} }}"));
    }
    fan_out.push_str(" fragment G20 on Query { viewer { role } }");
    let cycle =
        "{ ...A } fragment A on Query { ...B } fragment B on Query { viewer { role } ...A }".to_owned();
    vec![
        ("chain of spreads", chain, "NESTING"),
        ("fan-out of spreads", fan_out, "FIELDS"),
        ("cycle", cycle, ""),
    ]
}

/// A refusal of the whole request: BAD_USER_INPUT, no data, and the limit named.
fn assert_refused(response: &Value, limit: &str, what: &str) {
    assert_eq!(code(response), "BAD_USER_INPUT", "{what}: {response}");
    assert!(response["data"].is_null(), "{what}: {response}");
    if !limit.is_empty() {
        assert_eq!(response["errors"][0]["extensions"]["limit"], limit, "{what}: {response}");
    }
}

async fn healthy(server: &TestServer) {
    let reply = request(server.addr, "GET", "/healthz", &[], b"").await;
    assert_eq!(reply.status, 200, "the server still answers");
    let response = server.query(Some(&admin()), "{ viewer { role } }").await;
    assert_eq!(response["data"]["viewer"]["role"], "ADMIN");
}

/// Runs one operation over `socket` and returns its single result.
async fn over_socket(socket: &mut Socket, id: &str, query: &str) -> Value {
    socket.subscribe(id, query).await;
    let payload = match socket.event().await {
        // A request refused before it ran: its errors, and nothing after them.
        Event::Error(errors) => return json!({"errors": errors}),
        Event::Next(payload) => payload,
        other => panic!("{id}: no result but {other:?}"),
    };
    match socket.event().await {
        Event::Complete => payload,
        Event::Closed(code) => panic!("{id}: the server closed the connection ({code:?})"),
        Event::Next(more) | Event::Error(more) => panic!("{id}: a second result {more}"),
    }
}

#[tokio::test]
async fn nesting_that_would_overflow_the_parser_is_refused_on_every_transport() {
    let server = TestServer::start(sqlite().await, false).await;
    for (what, query) in nested_constructs() {
        assert!(query.len() < 8 * 1024, "{what}: a few kilobytes");
        let response = server.query(None, &query).await;
        assert_refused(&response, "NESTING", what);
        assert_eq!(response["errors"][0]["extensions"]["max"], MAX_NESTING, "{what}");
        assert!(response["errors"][0]["extensions"]["found"].as_u64() > Some(DEEP as u64 - 1), "{what}");
    }
    for (what, query, limit) in fragment_constructs() {
        assert_refused(&server.query(None, &query).await, limit, what);
    }
    healthy(&server).await;

    // The same over the websocket, then the connection still works.
    let mut socket =
        Socket::connect(server.addr, Some(&student("s-1"))).await.expect("a student's connection");
    for (at, (what, query)) in nested_constructs().into_iter().enumerate() {
        let response = over_socket(&mut socket, &format!("n{at}"), &query).await;
        assert_refused(&response, "NESTING", what);
    }
    for (at, (what, query, limit)) in fragment_constructs().into_iter().enumerate() {
        let response = over_socket(&mut socket, &format!("f{at}"), &query).await;
        assert_refused(&response, limit, what);
    }
    let after = over_socket(&mut socket, "after", "{ viewer { role } }").await;
    assert_eq!(after["data"]["viewer"]["role"], "STUDENT", "the connection lives on: {after}");
    healthy(&server).await;

    // Brackets inside strings and comments are text, not nesting.
    let deep_string =
        format!("{{ student(id: \"{}\") {{ id }} # {}\n}}", "[{(".repeat(DEEP), "{[(".repeat(DEEP));
    let response = server.query(Some(&admin()), &deep_string).await;
    assert_eq!(response, json!({"data": {"student": null}}));
    server.stop().await;
}

/// The standard introspection query of graphql-js (`getIntrospectionQuery()`), what
/// GraphiQL, codegen, Apollo and Postman send.
pub const INTROSPECTION_QUERY: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}
"#;

#[tokio::test]
async fn the_websocket_meets_every_request_check() {
    let server = TestServer::start(sqlite().await, false).await;
    assert_eq!(Socket::connect(server.addr, None).await.err(), Some(Some(4401)), "a token is required");

    let mut as_student = Socket::connect(server.addr, Some(&student("s-1"))).await.expect("connect");
    let aliased = |n: usize| {
        let fields: Vec<String> = (0..n).map(|i| format!("a{i}: role")).collect();
        format!("{{ viewer {{ {} }} }}", fields.join(" "))
    };
    let response = over_socket(&mut as_student, "a15", &aliased(MAX_ALIASES)).await;
    assert_eq!(response["data"]["viewer"]["a14"], "STUDENT", "{response}");
    let response = over_socket(&mut as_student, "a16", &aliased(MAX_ALIASES + 1)).await;
    assert_refused(&response, "ALIASES", "16 aliases");
    assert_eq!(response["errors"][0]["extensions"]["found"], MAX_ALIASES + 1);
    let response = over_socket(&mut as_student, "i", "{ __type(name: \"Query\") { name } }").await;
    assert_eq!(code(&response), "FORBIDDEN");
    let response = over_socket(&mut as_student, "s", "{ __schema { queryType { name } } }").await;
    assert_eq!(code(&response), "FORBIDDEN", "no introspection for a student: {response}");
    let heavy = format!("{{ viewer {{ {} }} }}", "role ".repeat(5000));
    assert_refused(&over_socket(&mut as_student, "c", &heavy).await, "COMPLEXITY", "complexity");

    // ADMIN introspects with the standard query, on both transports: its depth is
    // not counted against the limit.
    let mut as_admin = Socket::connect(server.addr, Some(&admin())).await.expect("connect");
    let over_ws = over_socket(&mut as_admin, "full", INTROSPECTION_QUERY).await;
    no_errors(&over_ws);
    let over_http = server.query(Some(&admin()), INTROSPECTION_QUERY).await;
    no_errors(&over_http);
    assert_eq!(over_ws, over_http);
    let types = over_http["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Opening"), "{over_http}");
    let refused = server.query(Some(&counselor("sch-1")), INTROSPECTION_QUERY).await;
    assert_eq!(code(&refused), "FORBIDDEN");
    server.stop().await;
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// One school; partner p-1 with an agreement in force; an in-person tutoring opening
/// o-lapsed whose host's clearance expired ten days ago; partner p-ended whose
/// agreement ended yesterday, with a virtual tutoring opening; student s-1, 15.
async fn lapsed_district(db: &TestDb) {
    let conn = db.store.db();
    let now = Utc::now();
    save_district(conn, &District { id: "d-1".into(), name: "Lakeside".into() }).await.unwrap();
    let school = School { id: "sch-1".into(), district_id: "d-1".into(), name: "Lakeside High".into() };
    save_schools(conn, &[school]).await.unwrap();
    save_partners(conn, &[a_partner("p-1"), a_partner("p-ended")], now).await.unwrap();
    let agreement = |id: &str, partner: &str, ends: NaiveDate| Agreement {
        id: id.into(),
        partner_id: partner.into(),
        school_id: None,
        starts_on: today() - Duration::days(400),
        ends_on: Some(ends),
        signed_on: None,
        data_sharing: true,
        terms: None,
    };
    let mut short = agreement("a-ended", "p-ended", today() - Duration::days(1));
    short.starts_on = today() - Duration::days(3);
    let agreements = [agreement("a-1", "p-1", today() + Duration::days(300)), short];
    save_agreements(conn, &agreements).await.unwrap();
    let mut lapsed = opening("o-lapsed", "p-1", 3);
    lapsed.matching.background_check =
        Some(BackgroundCheck::new(Some(today() - Duration::days(400)), Some(today() - Duration::days(10))));
    let mut online = opening("o-ended", "p-ended", 3);
    online.matching.r#virtual = true;
    online.matching.place = None;
    online.matching.background_check = None;
    save_openings(conn, &[lapsed, online], now).await.unwrap();
    let mut pupil = a_student("s-1", "sch-1");
    pupil.matching.birth_date = Some(today() - Duration::days(15 * 366));
    pupil.matching.needs.retain(|need| need.kind == Kind::Tutoring);
    save_students(conn, &[pupil, a_student("s-2", "sch-1"), a_student("s-3", "sch-1")], now).await.unwrap();
}

fn run(dry_run: bool, as_of: Option<NaiveDate>, student: &str) -> String {
    let as_of = as_of.map(|date| format!(", asOf: \"{date}\"")).unwrap_or_default();
    format!(
        "mutation {{ runMatching(input: {{dryRun: {dry_run}, kinds: [TUTORING], studentIds: [\"{student}\"]{as_of}}}) \
         {{ id status error stats {{ matched }} assignments {{ totalCount edges {{ node {{ openingId }} }} }} \
         unmatched {{ edges {{ node {{ reason ruledOutBy {{ constraint count }} }} }} }} }} }}"
    )
}

#[tokio::test]
async fn a_commit_and_every_step_forward_are_judged_on_today() {
    for db in backends().await {
        lapsed_district(&db).await;
        let server = TestServer::start(db, false).await;
        let conn = server.db.store.db().clone();
        let counselor = counselor("sch-1");
        let name = server.db.name;

        // A what-if on a past date sees the clearance as it was then.
        let back = Some(today() - Duration::days(30));
        let dry = server.run_matching(&counselor, &run(true, back, "s-1")).await;
        no_errors(&dry);
        let node = &dry["data"]["runMatching"];
        assert_eq!(node["status"], "SUCCEEDED", "{name}: {dry}");
        assert_eq!(node["assignments"]["edges"][0]["node"]["openingId"], "o-lapsed", "{name}: {dry}");

        // A back-dated commit is refused before anything is written.
        let runs_before = match_runs::Entity::find().count(&conn).await.unwrap();
        let refused = server.query(Some(&counselor), &run(false, back, "s-1")).await;
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{name}: {refused}");
        assert_eq!(field(&refused), "input.asOf");
        assert_eq!(match_runs::Entity::find().count(&conn).await.unwrap(), runs_before);
        assert_eq!(match_rows::Entity::find().count(&conn).await.unwrap(), 0);

        // Committed on today, the lapsed clearance rules the pair out.
        let committed = server.run_matching(&counselor, &run(false, None, "s-1")).await;
        no_errors(&committed);
        let node = &committed["data"]["runMatching"];
        assert_eq!(node["stats"]["matched"], 0, "{name}: {committed}");
        let reasons = &node["unmatched"]["edges"][0]["node"]["ruledOutBy"];
        assert!(
            reasons.as_array().unwrap().iter().any(|r| r["constraint"] == "BACKGROUND_CHECK"),
            "{name}: {committed}"
        );
        assert_eq!(match_rows::Entity::find().count(&conn).await.unwrap(), 0);

        // Matches made while the clearance and the agreement held cannot go ahead now.
        let made = new_match("m-lapsed", "s-1", "o-lapsed");
        let ended = new_match("m-ended", "s-2", "o-ended");
        let accepted = new_match("m-accepted", "s-3", "o-lapsed");
        propose(&conn, &[made, ended, accepted], "test", Utc::now()).await.unwrap();
        let current = get(&conn, "m-accepted").await.unwrap();
        transition(&conn, &current, MatchStatus::Accepted, "test", None, Utc::now()).await.unwrap();
        for (id, who, mutation) in [
            ("m-lapsed", student("s-1"), "respondToMatch(id: \"m-lapsed\", decision: ACCEPT)"),
            ("m-ended", counselor.clone(), "respondToMatch(id: \"m-ended\", decision: ACCEPT)"),
            ("m-accepted", partner("p-1"), "setMatchStatus(id: \"m-accepted\", status: ACTIVE)"),
        ] {
            let before = get(&conn, id).await.unwrap();
            let response = server.query(Some(&who), &format!("mutation {{ {mutation} {{ status }} }}")).await;
            assert_eq!(code(&response), "CONFLICT", "{name} {id}: {response}");
            let after = get(&conn, id).await.unwrap();
            assert_eq!((after.status, after.version), (before.status, before.version), "{name} {id}");
        }
        // Declining or cancelling such a match is always possible.
        let declined = server
            .query(
                Some(&student("s-1")),
                "mutation { respondToMatch(id: \"m-lapsed\", decision: DECLINE) { status } }",
            )
            .await;
        assert_eq!(declined["data"]["respondToMatch"]["status"], "DECLINED", "{name}: {declined}");

        // A run whose scope was judged before the clearance lapsed writes nothing at commit.
        let lease = Lease { owner: "node-test".into(), duration: chrono::Duration::seconds(30) };
        let request = RunRequest {
            id: "run-stale".into(),
            scope: Scope::school("sch-1"),
            weights: Default::default(),
            dry_run: false,
            requested_by: "counselor:sch-1".into(),
        };
        runs::start(&conn, &request, &lease, Utc::now()).await.unwrap();
        let mut stale = new_match("run-stale-1", "s-2", "o-lapsed");
        stale.run_id = Some("run-stale".into());
        let result = json!({"stats": {"matched": 1}, "unmatched": []});
        let outcome = runs::finish(&server.db.store, &request, &lease, &[stale], &result, Utc::now()).await;
        assert!(outcome.is_err(), "{name}: {outcome:?}");
        let failed = runs::get(&conn, "run-stale").await.unwrap().unwrap();
        assert_eq!(failed.status.as_str(), "FAILED", "{name}");
        let error = failed.error.unwrap_or_default();
        assert!(error.contains("o-lapsed") && error.contains("background check"), "{name}: {error}");
        let written =
            match_rows::Entity::find().filter(match_rows::Column::RunId.eq("run-stale")).count(&conn).await;
        assert_eq!(written.unwrap(), 0, "{name}");
        server.stop().await;
    }
}

#[tokio::test]
async fn only_the_district_sets_a_background_check() {
    for db in backends().await {
        lapsed_district(&db).await;
        let server = TestServer::start(db, false).await;
        let conn = server.db.store.db().clone();
        let name = server.db.name;
        let input = |id: &str, check: &str, title: &str| {
            format!(
                "{{id: \"{id}\", partnerId: \"p-1\", kind: TUTORING, title: \"{title}\", subjects: [\"algebra\"], \
                 languages: [\"en\"], virtual: false, place: {{lat: 41.9, lon: -87.65}}, \
                 schedule: [{{day: \"TUE\", start: \"16:00\", end: \"18:00\"}}], sessionMinutes: 60, capacity: 3{check}}}"
            )
        };
        let patch = |check: &str, title: &str| format!("{{title: \"{title}\"{check}}}");
        let forever = ", backgroundCheck: {clearedOn: \"2026-01-01\", expiresOn: \"2099-12-31\"}";
        let check_of =
            |stored: &read::StoredOpening| format!("{:?}", stored.opening.matching.background_check);
        let before = check_of(&read::opening(&conn, "o-lapsed").await.unwrap());
        for mutation in [
            format!("createOpening(input: {})", input("o-new", forever, "Mine")),
            format!("updateOpening(id: \"o-lapsed\", input: {})", patch(forever, "Mine")),
        ] {
            let response =
                server.query(Some(&partner("p-1")), &format!("mutation {{ {mutation} {{ id }} }}")).await;
            assert_eq!(code(&response), "FORBIDDEN", "{name}: {response}");
            assert_eq!(field(&response), "input.backgroundCheck", "{name}");
        }
        assert!(read::opening(&conn, "o-new").await.is_err(), "{name}: nothing created");
        let after = read::opening(&conn, "o-lapsed").await.unwrap();
        assert_eq!(check_of(&after), before, "{name}: unchanged");
        assert_eq!(after.opening.title.as_deref(), Some("Opening o-lapsed"), "{name}: nothing written");

        // A partner's edit without it keeps the clearance on file.
        let edit = format!(
            "mutation {{ updateOpening(id: \"o-lapsed\", input: {}) {{ title }} }}",
            patch("", "Renamed")
        );
        no_errors(&server.query(Some(&partner("p-1")), &edit).await);
        let after = read::opening(&conn, "o-lapsed").await.unwrap();
        assert_eq!(after.opening.title.as_deref(), Some("Renamed"));
        assert_eq!(check_of(&after), before, "{name}: the clearance is kept");

        // ADMIN records a new clearance.
        let renewed = format!(
            ", backgroundCheck: {{clearedOn: \"{}\", expiresOn: \"{}\"}}",
            today() - Duration::days(1),
            today() + Duration::days(365)
        );
        let edit = format!(
            "mutation {{ updateOpening(id: \"o-lapsed\", input: {}) {{ id }} }}",
            patch(&renewed, "Renamed")
        );
        no_errors(&server.query(Some(&admin()), &edit).await);
        let check =
            read::opening(&conn, "o-lapsed").await.unwrap().opening.matching.background_check.unwrap();
        assert_eq!(check.expires_on(), Some(today() + Duration::days(365)), "{name}");
        server.stop().await;
    }
}

#[tokio::test]
async fn a_partner_learns_no_more_than_its_students_minimal_fields() {
    for db in backends().await {
        lapsed_district(&db).await;
        let conn = db.store.db().clone();
        let made = new_match("m-1", "s-2", "o-ended");
        propose(&conn, &[made, new_match("m-2", "s-3", "o-lapsed")], "test", Utc::now()).await.unwrap();
        let server = TestServer::start(db, false).await;
        let name = server.db.name;
        let p1 = partner("p-1");
        for (filter, path) in [
            ("{schoolId: \"sch-1\"}", "filter.schoolId"),
            ("{needKind: TUTORING}", "filter.needKind"),
            ("{unmatched: true}", "filter.unmatched"),
        ] {
            let response =
                server.query(Some(&p1), &format!("{{ students(filter: {filter}) {{ totalCount }} }}")).await;
            assert_eq!(code(&response), "FORBIDDEN", "{name} {filter}: {response}");
            assert_eq!(field(&response), path, "{name}");
            let counselor_sees = server
                .query(
                    Some(&counselor("sch-1")),
                    &format!("{{ students(filter: {filter}) {{ totalCount }} }}"),
                )
                .await;
            no_errors(&counselor_sees);
        }
        let by_grade = server.query(Some(&p1), "{ students(filter: {grade: 9}) { totalCount } }").await;
        assert_eq!(by_grade["data"]["students"]["totalCount"], 1, "{name}: {by_grade}");
        let report =
            server.query(Some(&p1), "{ report(filter: {schoolId: \"sch-1\"}) { feedback { count } } }").await;
        assert_eq!(code(&report), "FORBIDDEN", "{name}: {report}");
        assert_eq!(field(&report), "filter.schoolId");

        // A cursor is the student's id: a page of cursors is a disclosure of ids.
        let logged = || async {
            disclosure_log::Entity::find()
                .filter(disclosure_log::Column::PartnerId.eq("p-1"))
                .all(&conn)
                .await
                .unwrap()
        };
        let before = logged().await.len();
        let page = server.query(Some(&p1), "{ students { edges { cursor } } }").await;
        assert_eq!(page["data"]["students"]["edges"].as_array().unwrap().len(), 1, "{name}: {page}");
        let rows = logged().await;
        assert_eq!(rows.len(), before + 1, "{name}");
        let last = rows.last().unwrap();
        assert_eq!((last.student_id.as_str(), &last.fields), ("s-3", &json!(["id"])), "{name}");
        let info = server.query(Some(&p1), "{ students { pageInfo { endCursor } } }").await;
        no_errors(&info);
        assert_eq!(logged().await.len(), before + 2, "{name}");
        server.stop().await;
    }
}

#[tokio::test]
async fn control_characters_and_endless_text_are_refused_on_every_path() {
    for db in backends().await {
        lapsed_district(&db).await;
        let server = TestServer::start(db, false).await;
        let conn = server.db.store.db().clone();
        let name = server.db.name;
        let create = "mutation($input: PartnerInput!) { createPartner(input: $input) { id } }";
        let post = |query: &str, variables: Value| {
            let body = serde_json::to_vec(&json!({"query": query, "variables": variables})).unwrap();
            let server = &server;
            async move {
                let reply = server.post(Some(&admin()), &body).await;
                assert_eq!(reply.status, 200);
                reply.json()
            }
        };
        for (text, path) in [
            ("s-\u{0}", "input.name"),
            ("bell\u{7}", "input.name"),
            ("escape\u{1b}[31m", "input.name"),
            ("c1\u{85}", "input.name"),
        ] {
            let response =
                post(create, json!({"input": {"id": "p-x", "name": text, "kind": "BUSINESS"}})).await;
            assert_eq!(code(&response), "BAD_USER_INPUT", "{name} {text:?}: {response}");
            assert_eq!(field(&response), path, "{name}");
        }
        // In a literal, nested in a list, and in an id argument.
        let literal =
            r#"mutation { createPartner(input: {id: "p-y", name: "a\u0000b", kind: BUSINESS}) { id } }"#;
        let response = server.query(Some(&admin()), literal).await;
        assert_eq!((code(&response), field(&response)), ("BAD_USER_INPUT", "input.name"), "{name}");
        let nested = r#"{ openings(filter: {subject: "x\u0001"}) { totalCount } }"#;
        let response = server.query(Some(&admin()), nested).await;
        assert_eq!((code(&response), field(&response)), ("BAD_USER_INPUT", "filter.subject"), "{name}");
        let lookup = r#"{ student(id: "s-\u0000") { id } }"#;
        let response = server.query(Some(&counselor("sch-1")), lookup).await;
        assert_eq!((code(&response), field(&response)), ("BAD_USER_INPUT", "id"), "{name}");
        // Tab, newline and carriage return are text.
        let fine =
            post(create, json!({"input": {"id": "p-z", "name": "Two\tlines\r\nhere", "kind": "BUSINESS"}}))
                .await;
        no_errors(&fine);
        // A 50,000-character name is not kept.
        let long = "x".repeat(50_000);
        let response =
            post(create, json!({"input": {"id": "p-long", "name": long, "kind": "BUSINESS"}})).await;
        assert_eq!(
            (code(&response), field(&response)),
            ("BAD_USER_INPUT", "input.name"),
            "{name}: {response}"
        );
        let stored: Vec<String> =
            partners::Entity::find().all(&conn).await.unwrap().into_iter().map(|p| p.id).collect();
        assert_eq!(stored, ["p-1", "p-ended", "p-z"], "{name}: only the clean partner was written");
        server.stop().await;
    }
}

#[tokio::test]
async fn small_holes_are_closed() {
    let db = sqlite().await;
    lapsed_district(&db).await;
    let server = TestServer::start(db, false).await;
    // Two Authorization headers: neither is believed.
    let body = br#"{"query":"{ viewer { role } }"}"#;
    let (first, second) = (format!("Bearer {}", admin()), format!("Bearer {}", student("s-1")));
    let headers = [
        ("Content-Type", "application/json"),
        ("Authorization", first.as_str()),
        ("Authorization", second.as_str()),
    ];
    let reply = request(server.addr, "POST", "/graphql", &headers, body).await;
    assert_eq!(reply.status, 401);
    assert_eq!(code(&reply.json()), "UNAUTHENTICATED");

    // A position cursor past the end of the numbers is bad input, not the first page.
    let dry = server.run_matching(&counselor("sch-1"), &run(true, None, "s-2")).await;
    let id = dry["data"]["runMatching"]["id"].as_str().unwrap().to_owned();
    for position in ["18446744073709551615", "18446744073709551616", "-1"] {
        let cursor = URL_SAFE_NO_PAD.encode(format!("id:{position}"));
        let query =
            format!("{{ matchRun(id: \"{id}\") {{ assignments(after: \"{cursor}\") {{ totalCount }} }} }}");
        let response = server.query(Some(&counselor("sch-1")), &query).await;
        assert_eq!(
            (code(&response), field(&response)),
            ("BAD_USER_INPUT", "after"),
            "{position}: {response}"
        );
    }

    // Another school's student reads exactly as an unknown one.
    let elsewhere = server.query(Some(&counselor("sch-9")), "{ student(id: \"s-1\") { id } }").await;
    let unknown = server.query(Some(&counselor("sch-9")), "{ student(id: \"s-nobody\") { id } }").await;
    assert_eq!(elsewhere, unknown);
    assert_eq!(elsewhere, json!({"data": {"student": null}}));

    // Every HTML page carries a Content-Security-Policy.
    let page = request(server.addr, "GET", "/graphql", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").is_some_and(|t| t.starts_with("text/html")));
    let policy = page.header("content-security-policy").expect("a CSP header");
    assert!(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"), "{policy}");
    server.stop().await;
}
