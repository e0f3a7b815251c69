//! What GraphQL clients and browsers rely on (docs/api.md "Endpoints"): errored fields
//! present and null as the spec has them, null propagating out of non-null
//! positions, the README's own queries running as written, CORS, a JSON 413, input
//! objects without repeated fields.

use cli::demo::seed;
use serde_json::{Value, json};

use crate::db::sqlite;
use crate::gql::{admin, code, counselor, partner, student};
use crate::http::{TestServer, request};

async fn demo_server(demo: bool) -> TestServer {
    let db = sqlite().await;
    seed(&db.store, chrono::Utc::now()).await.unwrap();
    TestServer::start(db, demo).await
}

/// A student of `school` matched to partner p-05, and a student who is not.
async fn a_matched_student(server: &TestServer) -> (String, String) {
    let page = server.query(Some(&partner("p-05")), "{ students(first: 1) { edges { node { id } } } }").await;
    let id = page["data"]["students"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();
    (id, "s-0001".to_owned())
}

#[tokio::test]
async fn errored_fields_are_present_and_null_and_nulls_propagate() {
    let server = demo_server(false).await;
    let (matched, _) = a_matched_student(&server).await;

    // A nullable field a partner may not read: present, null, with its error.
    let query = format!("{{ student(id: \"{matched}\") {{ firstName birthDate }} }}");
    let response = server.query(Some(&partner("p-05")), &query).await;
    let node = response["data"]["student"].as_object().expect("the student is there");
    assert!(node["firstName"].is_string(), "{response}");
    assert_eq!(node.get("birthDate"), Some(&Value::Null), "present and null: {response}");
    assert_eq!(response["errors"][0]["path"], json!(["student", "birthDate"]));
    assert_eq!(code(&response), "FORBIDDEN");

    // Every selected field errored: the object is still there, its field null.
    let response = server
        .query(Some(&partner("p-05")), &format!("{{ student(id: \"{matched}\") {{ birthDate }} }}"))
        .await;
    assert_eq!(response["data"], json!({"student": {"birthDate": null}}), "{response}");
    assert_eq!(response["errors"].as_array().unwrap().len(), 1);

    // Beside a field that succeeds.
    let response = server
        .query(Some(&student("s-0001")), "{ viewer { role } partner(id: \"p-05\") { name contactEmail } }")
        .await;
    assert_eq!(response["data"]["viewer"]["role"], "STUDENT");
    assert_eq!(response["data"]["partner"]["contactEmail"], Value::Null, "{response}");
    assert!(response["data"]["partner"]["name"].is_string(), "{response}");

    // A non-null field's null propagates to the nearest nullable parent: here
    // `Report.matchRateBySchool: [RateRow!]!` inside `report: Report!`, up to data.
    let response = server
        .query(
            Some(&partner("p-05")),
            "{ report { matchRateBySchool { key } capacityByPartner { partnerId } } }",
        )
        .await;
    assert_eq!(response["data"], Value::Null, "{response}");
    assert_eq!(code(&response), "FORBIDDEN");
    // And into a nullable one it stops there: `student` is nullable, `needs` is not.
    let response = server
        .query(
            Some(&partner("p-05")),
            &format!("{{ viewer {{ role }} student(id: \"{matched}\") {{ needs {{ kind }} }} }}"),
        )
        .await;
    assert_eq!(response["data"], json!({"viewer": {"role": "PARTNER"}, "student": null}), "{response}");
    server.stop().await;
}

#[tokio::test]
async fn errored_fields_are_null_over_the_websocket_too() {
    let server = demo_server(false).await;
    let (matched, _) = a_matched_student(&server).await;
    let mut socket = crate::ws::Socket::connect(server.addr, Some(&partner("p-05"))).await.expect("connect");
    socket.subscribe("1", &format!("{{ student(id: \"{matched}\") {{ firstName birthDate }} }}")).await;
    let crate::ws::Event::Next(payload) = socket.event().await else { panic!("no result") };
    assert_eq!(payload["data"]["student"]["birthDate"], Value::Null, "{payload}");
    assert!(payload["data"]["student"].as_object().unwrap().contains_key("birthDate"), "{payload}");
    server.stop().await;
}

#[tokio::test]
async fn the_admin_and_counselor_views_need_no_completion() {
    // Where nothing errs, the answer is the engine's, untouched.
    let server = demo_server(false).await;
    let response = server.query(Some(&admin()), "{ student(id: \"s-0001\") { firstName birthDate } }").await;
    assert!(response.get("errors").is_none(), "{response}");
    assert!(response["data"]["student"]["birthDate"].is_string());
    let response = server.query(Some(&counselor("sch-1")), "{ viewer { role } }").await;
    assert_eq!(response, json!({"data": {"viewer": {"role": "COUNSELOR"}}}));
    server.stop().await;
}

#[tokio::test]
async fn the_websocket_speaks_graphql_transport_ws() {
    use crate::ws::{Event, Socket};
    let server = demo_server(false).await;

    // A query runs as `next` then `complete`; a request refused before it runs is an `error`.
    let mut socket = Socket::connect(server.addr, Some(&counselor("sch-1"))).await.expect("connect");
    socket.subscribe("q", "{ viewer { role } }").await;
    let Event::Next(payload) = socket.event().await else { panic!("no result") };
    assert_eq!(payload, json!({"data": {"viewer": {"role": "COUNSELOR"}}}));
    assert!(matches!(socket.event().await, Event::Complete));
    socket.subscribe("v", "{ viewer { nope } }").await;
    let Event::Error(errors) = socket.event().await else { panic!("a validation error is an error message") };
    assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT", "{errors}");
    socket.send_raw(&json!({"type": "ping", "payload": {"n": 1}})).await;
    // The client's close is answered with a close, not a dropped link (1006).
    assert_eq!(socket.close().await, Some(1000));

    // Protocol faults close with the protocol's codes.
    let mut socket = Socket::open(server.addr).await;
    socket.subscribe("early", "{ viewer { role } }").await;
    assert!(matches!(socket.event().await, Event::Closed(Some(4401))), "subscribe before init");
    let mut socket = Socket::connect(server.addr, Some(&admin())).await.expect("connect");
    socket.send_raw(&json!({"type": "connection_init", "payload": {}})).await;
    assert!(matches!(socket.event().await, Event::Closed(Some(4429))), "a second init");
    let mut socket = Socket::connect(server.addr, Some(&admin())).await.expect("connect");
    socket.send_raw(&json!({"type": "nonsense"})).await;
    assert!(matches!(socket.event().await, Event::Closed(Some(4400))), "an unknown message");
    let mut socket = Socket::connect(server.addr, Some(&admin())).await.expect("connect");
    let run = server
        .query(Some(&admin()), r#"mutation { runMatching(input: {dryRun: true, kinds: [TUTORING]}) { id } }"#)
        .await;
    let run = run["data"]["runMatching"]["id"].as_str().unwrap_or_else(|| panic!("{run}")).to_owned();
    let progress = format!("subscription {{ matchRunProgress(id: \"{run}\") {{ status }} }}");
    socket.subscribe("same", &progress).await;
    socket.subscribe("same", &progress).await;
    loop {
        match socket.event().await {
            Event::Closed(code) => {
                // Unless the run finished in between, which frees the id.
                assert!(code == Some(4409), "a duplicate id: {code:?}");
                break;
            }
            Event::Complete => break,
            Event::Next(_) => continue,
            Event::Error(errors) => panic!("{errors}"),
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn input_objects_with_a_repeated_field_are_refused() {
    let server = demo_server(false).await;
    let query = "{ openings(first: 1, filter: { kind: TUTORING, kind: MENTORING }) { totalCount } }";
    let response = server.query(Some(&admin()), query).await;
    assert_eq!(response["data"], Value::Null, "{response}");
    assert_eq!(code(&response), "BAD_USER_INPUT");
    assert!(response["errors"][0]["message"].as_str().unwrap().contains("\"kind\""), "{response}");
    assert_eq!(response["errors"][0]["locations"], json!([{"line": 1, "column": 48}]));
    // One of each is fine.
    let response = server
        .query(Some(&admin()), "{ openings(first: 1, filter: { kind: TUTORING }) { totalCount } }")
        .await;
    assert!(response["data"]["openings"]["totalCount"].as_u64() > Some(0), "{response}");
    server.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_json_413() {
    let server = demo_server(false).await;
    let body = format!(
        "{{\"query\": \"{{ viewer {{ role }} }}\", \"x\": \"{}\"}}",
        "a".repeat(service::graphql::MAX_BODY_BYTES)
    );
    let reply =
        request(server.addr, "POST", "/graphql", &[("Content-Type", "application/json")], body.as_bytes())
            .await;
    assert_eq!(reply.status, 413);
    assert!(reply.header("content-type").is_some_and(|t| t.starts_with("application/json")));
    let error = &reply.json()["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert_eq!(error["extensions"]["limit"], "BODY_BYTES");
    assert_eq!(error["extensions"]["max"], service::graphql::MAX_BODY_BYTES);
    assert_eq!(error["extensions"]["found"], body.len());
    server.stop().await;
}

#[tokio::test]
async fn cors_answers_listed_origins_only() {
    use crate::http::ALLOWED_ORIGIN;
    let server = demo_server(false).await;
    let listed = preflight(&server, ALLOWED_ORIGIN).await;
    assert_eq!(listed.status, 204);
    assert_eq!(listed.header("access-control-allow-origin"), Some(ALLOWED_ORIGIN));
    let allowed_headers =
        listed.header("access-control-allow-headers").unwrap_or_default().to_ascii_lowercase();
    assert!(allowed_headers.contains("authorization") && allowed_headers.contains("content-type"));
    assert!(listed.header("access-control-allow-methods").is_some_and(|m| m.contains("POST")));
    assert_eq!(listed.header("access-control-allow-credentials"), None, "tokens, not cookies");
    let unlisted = preflight(&server, "http://elsewhere.example").await;
    assert_eq!(unlisted.header("access-control-allow-origin"), None);

    // The answer itself carries the origin for a listed page only.
    let body = br#"{"query": "{ viewer { role } }"}"#;
    let bearer = format!("Bearer {}", admin());
    for (origin, expected) in [(ALLOWED_ORIGIN, Some(ALLOWED_ORIGIN)), ("http://elsewhere.example", None)] {
        let headers =
            [("Origin", origin), ("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
        let reply = request(server.addr, "POST", "/graphql", &headers, body).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()["data"]["viewer"]["role"], "ADMIN");
        assert_eq!(reply.header("access-control-allow-origin"), expected, "{origin}");
    }
    server.stop().await;
}

async fn preflight(server: &TestServer, origin: &str) -> crate::http::Reply {
    let headers = [
        ("Origin", origin),
        ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "authorization, content-type"),
    ];
    request(server.addr, "OPTIONS", "/graphql", &headers, b"").await
}

/// `response` with `id` written as `ID` and without locations (which move with the
/// id's length): what a caller could compare between two ids.
fn shape(response: &Value, id: &str) -> Value {
    let mut response = response.clone();
    if let Some(errors) = response["errors"].as_array_mut() {
        for error in errors {
            error.as_object_mut().unwrap().remove("locations");
        }
    }
    serde_json::from_str(&response.to_string().replace(id, "ID")).unwrap()
}

#[tokio::test]
async fn an_id_one_may_not_see_answers_as_one_that_does_not_exist() {
    let server = demo_server(false).await;
    let admin = admin();
    // Records of sch-2, which sch-1's counselor may not see, and p-05's, which p-06 may not.
    let other = server
        .query(
            Some(&admin),
            "{ matches(first: 100) { edges { node { id student { id school { id } } opening { id partner { id } } } } } }",
        )
        .await;
    let edges = other["data"]["matches"]["edges"].as_array().unwrap();
    let of_school = |school: &str| {
        edges
            .iter()
            .map(|e| &e["node"])
            .find(|n| n["student"]["school"]["id"] == json!(school))
            .unwrap()
            .clone()
    };
    let elsewhere = of_school("sch-2");
    let (match_id, student_id) = (
        elsewhere["id"].as_str().unwrap().to_owned(),
        elsewhere["student"]["id"].as_str().unwrap().to_owned(),
    );
    let opening =
        edges.iter().map(|e| &e["node"]["opening"]).find(|o| o["partner"]["id"] == json!("p-05")).unwrap();
    let opening_id = opening["id"].as_str().unwrap().to_owned();
    let run = server
        .run_matching(
            &admin,
            r#"mutation { runMatching(input: {schoolId: "sch-2", dryRun: true, kinds: [TUTORING]}) { id status } }"#,
        )
        .await;
    let run_id = run["data"]["runMatching"]["id"].as_str().expect("a run").to_owned();

    let sch1 = counselor("sch-1");
    let p06 = partner("p-06");
    // (who, operation with {id}, an id that exists but is hidden, one that does not exist)
    let cases: Vec<(&str, &str, &str, String)> = vec![
        (&sch1, "{ match(id: \"{id}\") { id } }", &match_id, "m-nope".into()),
        (&sch1, "{ feedback(matchId: \"{id}\") { rating } }", &match_id, "m-nope".into()),
        (
            &sch1,
            "mutation { respondToMatch(id: \"{id}\", decision: ACCEPT) { id } }",
            &match_id,
            "m-nope".into(),
        ),
        (
            &sch1,
            "mutation { setMatchStatus(id: \"{id}\", status: ACTIVE) { id } }",
            &match_id,
            "m-nope".into(),
        ),
        (
            &sch1,
            "mutation { recordFeedback(input: {matchId: \"{id}\", rating: 4}) { id } }",
            &match_id,
            "m-nope".into(),
        ),
        (&sch1, "{ student(id: \"{id}\") { id } }", &student_id, "s-nope".into()),
        (
            &sch1,
            "{ suggestions(studentId: \"{id}\", kind: TUTORING) { score } }",
            &student_id,
            "s-nope".into(),
        ),
        (
            &sch1,
            "{ needReport(studentId: \"{id}\", kind: TUTORING) { feasible } }",
            &student_id,
            "s-nope".into(),
        ),
        (
            &sch1,
            "mutation { updateStudent(id: \"{id}\", input: {grade: 9}) { id } }",
            &student_id,
            "s-nope".into(),
        ),
        (&sch1, "mutation { withdrawConsent(studentId: \"{id}\") { id } }", &student_id, "s-nope".into()),
        (
            &sch1,
            "mutation { clearDecline(studentId: \"{id}\", openingId: \"o-001\") }",
            &student_id,
            "s-nope".into(),
        ),
        (&sch1, "{ matchRun(id: \"{id}\") { id } }", &run_id, "run-nope".into()),
        (&sch1, "mutation { cancelMatchRun(id: \"{id}\") { id } }", &run_id, "run-nope".into()),
        (&p06, "{ opening(id: \"{id}\") { id } }", &opening_id, "o-nope".into()),
        (&p06, "mutation { closeOpening(id: \"{id}\") { id } }", &opening_id, "o-nope".into()),
        (
            &p06,
            "mutation { updateOpening(id: \"{id}\", input: {title: \"x\"}) { id } }",
            &opening_id,
            "o-nope".into(),
        ),
    ];
    for (who, operation, hidden, missing) in cases {
        let seen = server.query(Some(who), &operation.replace("{id}", hidden)).await;
        let none = server.query(Some(who), &operation.replace("{id}", &missing)).await;
        assert_eq!(shape(&seen, hidden), shape(&none, &missing), "{operation}:\n{seen}\n{none}");
        let refused = seen["errors"]
            .as_array()
            .map(|errors| errors.iter().all(|e| e["extensions"]["code"] == "NOT_FOUND"));
        assert!(refused.unwrap_or(true), "{operation}: {seen}");
        if seen["errors"].is_null() {
            assert!(seen["data"].as_object().unwrap().values().all(Value::is_null), "{operation}: {seen}");
        }
    }
    server.stop().await;
}
