//! What GraphQL clients and browsers rely on (API.md "Conventions"): errored fields
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
    let _ = request;
    server.stop().await;
}
