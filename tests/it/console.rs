//! The console at `/` (docs/console.md): served from the binary with nothing from
//! another origin; the demo sign-in exists only under `--demo` and signs in as the
//! demo's people; what its screens rely on from the API — students found by name
//! (never by a partner), a suggestion's sentence in Spanish. The journeys in a real
//! browser are `.ci/clients/console.mjs`.

use std::collections::BTreeSet;

use cli::demo::{people, seed};
use serde_json::{Value, json};

use crate::db::sqlite;
use crate::gql::{admin, code, counselor, field, no_errors, partner};
use crate::http::{TestServer, request};

/// The modules a text imports or loads (`./x.js`, `console/x.css`).
fn named_files(text: &str) -> BTreeSet<String> {
    text.split(['"', '\''])
        .filter_map(|piece| piece.strip_prefix("./").or_else(|| piece.strip_prefix("console/")))
        .filter(|file| file.ends_with(".js") || file.ends_with(".css"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_console_is_served_from_the_binary_and_names_no_other_origin() {
    let server = TestServer::start(sqlite().await, false).await;
    let page = request(server.addr, "GET", "/", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").is_some_and(|t| t.starts_with("text/html")));
    let policy = page.header("content-security-policy").expect("a policy").to_owned();
    for directive in
        ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]
    {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    let html = String::from_utf8(page.body.clone()).unwrap();
    // Every file the page loads, and every module those import, is served here.
    let mut seen = BTreeSet::new();
    let mut next: Vec<String> = named_files(&html).into_iter().collect();
    while let Some(file) = next.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        let reply = request(server.addr, "GET", &format!("/console/{file}"), &[], b"").await;
        assert_eq!(reply.status, 200, "{file}");
        let expected = if file.ends_with(".css") { "text/css" } else { "text/javascript" };
        assert!(reply.header("content-type").is_some_and(|t| t.starts_with(expected)), "{file}");
        let text = String::from_utf8(reply.body).unwrap();
        // The SVG namespace is a name, not a request.
        let without_namespace = text.replace("http://www.w3.org/2000/svg", "");
        for scheme in ["http://", "https://", "//cdn", "//unpkg", "fonts.googleapis"] {
            assert!(!without_namespace.contains(scheme), "{file} names {scheme}");
        }
        assert!(!text.contains("innerHTML"), "{file}: data is set as text, never as markup");
        next.extend(named_files(&text));
    }
    assert!(seen.len() >= 9, "the page, its modules and stylesheet: {seen:?}");
    assert_eq!(request(server.addr, "GET", "/console/nothing.js", &[], b"").await.status, 404);
    server.stop().await;
}

fn demo_token(role: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "role": role })).unwrap()
}

#[tokio::test]
async fn demo_sign_in_exists_only_under_demo_and_signs_in_as_the_demo_people() {
    let json_header = [("Content-Type", "application/json")];
    // Without --demo: no buttons, no tokens.
    let server = TestServer::start(sqlite().await, false).await;
    let roles = request(server.addr, "GET", "/console/demo", &[], b"").await;
    assert_eq!(roles.json(), json!({ "roles": [] }));
    let refused =
        request(server.addr, "POST", "/console/demo-token", &json_header, &demo_token("ADMIN")).await;
    assert_eq!(refused.status, 404);
    server.stop().await;

    let db = sqlite().await;
    seed(&db.store, chrono::Utc::now()).await.unwrap();
    let server = TestServer::start(db, true).await;
    let roles = request(server.addr, "GET", "/console/demo", &[], b"").await.json();
    assert_eq!(roles["roles"].as_array().unwrap().len(), 4);
    let demo = people();
    let viewer = "{ viewer { role schoolId partnerId studentId } }";
    for (role, key, scope) in [
        ("ADMIN", "schoolId", None),
        ("COUNSELOR", "schoolId", Some(demo.school.as_str())),
        ("PARTNER", "partnerId", Some(demo.partner.as_str())),
        ("student", "studentId", Some(demo.student.as_str())),
    ] {
        let reply =
            request(server.addr, "POST", "/console/demo-token", &json_header, &demo_token(role)).await;
        assert_eq!(reply.status, 200, "{role}");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        let token = reply.json()["token"].as_str().unwrap().to_owned();
        let seen = server.query(Some(&token), viewer).await;
        no_errors(&seen);
        assert_eq!(seen["data"]["viewer"]["role"], role.to_ascii_uppercase());
        assert_eq!(seen["data"]["viewer"][key].as_str(), scope, "{role}: {seen}");
    }
    let bad = request(server.addr, "POST", "/console/demo-token", &json_header, &demo_token("JANITOR")).await;
    assert_eq!(bad.status, 400);
    // The people meet on one proposed match: the family's, to the partner's opening.
    let matches = server
        .query(
            Some(&admin()),
            &format!(
                r#"{{ matches(first: 50, filter: {{studentId: "{}", status: [PROPOSED]}}) {{
                    edges {{ node {{ opening {{ partner {{ id }} }} student {{ school {{ id }} }} }} }} }} }}"#,
                demo.student
            ),
        )
        .await;
    let edges = matches["data"]["matches"]["edges"].as_array().unwrap();
    assert!(
        edges.iter().any(|e| e["node"]["opening"]["partner"]["id"] == demo.partner.as_str()
            && e["node"]["student"]["school"]["id"] == demo.school.as_str()),
        "{matches}"
    );
    server.stop().await;
}

#[tokio::test]
async fn students_are_found_by_part_of_their_name_by_counselors_only() {
    let db = sqlite().await;
    seed(&db.store, chrono::Utc::now()).await.unwrap();
    let server = TestServer::start(db, false).await;
    let school = people().school;
    let all = server
        .query(
            Some(&counselor(&school)),
            "{ students(first: 100) { totalCount edges { node { id firstName lastName } } } }",
        )
        .await;
    no_errors(&all);
    let everyone: Vec<(String, String)> = all["data"]["students"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["node"]["id"].as_str().unwrap().to_owned(), full_name(&e["node"])))
        .collect();
    assert_eq!(
        all["data"]["students"]["totalCount"].as_u64(),
        Some(everyone.len() as u64),
        "one page holds them"
    );
    // Texts cut from real names, in other cases, across the space, and texts with
    // LIKE's own wildcards (literal here, so they find nobody).
    let (_, sample) = &everyone[everyone.len() / 2];
    let texts = [
        sample[1..4].to_uppercase(),
        sample.to_lowercase(),
        format!(" {}", &sample[sample.find(' ').unwrap() + 1..]),
        "a".into(),
        "%".into(),
        "_".into(),
        "zzzz".into(),
    ];
    for text in texts {
        let found = server
            .query(
                Some(&counselor(&school)),
                &format!(
                    r#"{{ students(first: 100, filter: {{name: {}}}) {{ edges {{ node {{ id firstName lastName }} }} }} }}"#,
                    Value::String(text.clone())
                ),
            )
            .await;
        no_errors(&found);
        let got: BTreeSet<String> = found["data"]["students"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect();
        let needle = text.trim().to_lowercase();
        let expected: BTreeSet<String> = everyone
            .iter()
            .filter(|(_, name)| name.to_lowercase().contains(&needle))
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(got, expected, "{text:?}");
    }
    // A partner never learns a last name by filtering on it.
    let response = server
        .query(Some(&partner(&people().partner)), r#"{ students(filter: {name: "a"}) { totalCount } }"#)
        .await;
    assert_eq!((code(&response), field(&response)), ("FORBIDDEN", "filter.name"), "{response}");
    server.stop().await;
}

fn full_name(node: &Value) -> String {
    format!("{} {}", node["firstName"].as_str().unwrap(), node["lastName"].as_str().unwrap())
}

#[tokio::test]
async fn a_suggestion_explains_itself_in_spanish() {
    let db = sqlite().await;
    seed(&db.store, chrono::Utc::now()).await.unwrap();
    let server = TestServer::start(db, false).await;
    let listed = server
        .query(Some(&admin()), "{ students(first: 40) { edges { node { id needs { kind } } } } }")
        .await;
    let mut compared = 0;
    let needs: Vec<(String, String)> = listed["data"]["students"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            let id = e["node"]["id"].as_str().unwrap().to_owned();
            e["node"]["needs"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |n| (id.clone(), n["kind"].as_str().unwrap().to_owned()))
        })
        .collect();
    let student = needs[0].0.clone();
    for (student, kind) in &needs {
        if compared >= 10 {
            break;
        }
        let query = format!(
            r#"{{ suggestions(studentId: "{student}", kind: {kind}) {{ sessions {{ day }}
                en: explanation es: explanation(language: "es-MX") plain: explanation(language: "so") }} }}"#
        );
        let response = server.query(Some(&admin()), &query).await;
        no_errors(&response);
        for item in response["data"]["suggestions"].as_array().unwrap() {
            let (en, es) = (item["en"].as_str().unwrap(), item["es"].as_str().unwrap());
            assert_eq!(item["plain"], item["en"], "a language not written yet reads English");
            assert!(en.starts_with("speaks ") || en.contains("online"), "{en}");
            assert!(es.starts_with("habla ") || es.contains("en línea"), "{es}");
            assert_ne!(en, es);
            // The days of the sessions, named in Spanish.
            for day in item["sessions"].as_array().unwrap() {
                let name = match day["day"].as_str().unwrap() {
                    "MON" => "lunes",
                    "TUE" => "martes",
                    "WED" => "miércoles",
                    "THU" => "jueves",
                    "FRI" => "viernes",
                    "SAT" => "sábados",
                    _ => "domingos",
                };
                assert!(es.contains(name), "{es} names {name}");
            }
            compared += 1;
        }
    }
    assert!(compared >= 10, "{compared} suggestions compared");
    let bad = server
        .query(
            Some(&admin()),
            &format!(r#"{{ suggestions(studentId: "{student}", kind: TUTORING) {{ explanation(language: "spanish") }} }}"#),
        )
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT", "{bad}");
    server.stop().await;
}
