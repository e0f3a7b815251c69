//! The service over HTTP: health, GraphiQL, the viewer per role, bad tokens, and
//! every limit of docs/api.md at its edge.

use serde_json::{Value, json};
use service::graphql::{MAX_ALIASES, MAX_BATCH, MAX_BODY_BYTES, MAX_COMPLEXITY, MAX_QUERY_BYTES};
use store::records::Role;

use crate::db::sqlite;
use crate::http::{TestServer, request, token};

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {response}"))
}

fn admin() -> String {
    token(Role::Admin, None)
}

#[tokio::test]
async fn health_graphiql_and_request_ids() {
    let server = TestServer::start(sqlite().await, false).await;
    let reply = request(server.addr, "GET", "/healthz", &[], b"").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"status": "ok"}));
    assert!(reply.header("x-request-id").is_some_and(|id| id.starts_with("req-")));
    let reply = request(server.addr, "GET", "/healthz", &[("X-Request-Id", "abc-123")], b"").await;
    assert_eq!(reply.header("x-request-id"), Some("abc-123"), "a caller's id is kept");
    let reply = request(server.addr, "GET", "/graphql", &[], b"").await;
    assert_eq!(reply.status, 200);
    assert!(String::from_utf8_lossy(&reply.body).to_lowercase().contains("graphiql"));
    // The health check asks the database: with the pool closed it says so.
    server.db.store.clone().close().await.unwrap();
    let reply = request(server.addr, "GET", "/healthz", &[], b"").await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.json(), json!({"status": "database unavailable"}));
    server.stop().await;
}

#[tokio::test]
async fn the_viewer_is_who_the_token_says() {
    let server = TestServer::start(sqlite().await, false).await;
    let cases = [
        (Role::Admin, None, json!({"role": "ADMIN", "schoolId": null, "partnerId": null, "studentId": null})),
        (
            Role::Counselor,
            Some("sch-1"),
            json!({"role": "COUNSELOR", "schoolId": "sch-1", "partnerId": null, "studentId": null}),
        ),
        (
            Role::Partner,
            Some("p-5"),
            json!({"role": "PARTNER", "schoolId": null, "partnerId": "p-5", "studentId": null}),
        ),
        (
            Role::Student,
            Some("s-9"),
            json!({"role": "STUDENT", "schoolId": null, "partnerId": null, "studentId": "s-9"}),
        ),
    ];
    for (role, scope, expected) in cases {
        let response =
            server.query(Some(&token(role, scope)), "{ viewer { role schoolId partnerId studentId } }").await;
        assert_eq!(response["data"]["viewer"], expected, "{role}");
        assert!(response.get("errors").is_none(), "{response}");
    }
    server.stop().await;
}

#[tokio::test]
async fn no_token_or_a_bad_one_is_unauthenticated() {
    let server = TestServer::start(sqlite().await, false).await;
    let response = server.query(None, "{ viewer { role } }").await;
    assert_eq!(code(&response), "UNAUTHENTICATED");
    assert!(response["data"].is_null(), "{response}");
    let forged = service::auth::Minter::new(
        service::auth::DEFAULT_ISSUER,
        service::auth::DEFAULT_AUDIENCE,
        b"another secret that is also long enough!!",
    )
    .unwrap()
    .mint(Role::Admin, None, std::time::Duration::from_secs(60), chrono::Utc::now())
    .unwrap();
    // Change one character of the signature to a different one.
    let mut tampered = admin();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for bad in ["garbage", "a.b.c", forged.as_str(), tampered.as_str()] {
        let response = server.query(Some(bad), "{ viewer { role } }").await;
        assert_eq!(code(&response), "UNAUTHENTICATED", "{bad}");
        assert!(!response.to_string().contains(bad), "the token is not echoed");
    }
    let reply = request(
        server.addr,
        "POST",
        "/graphql",
        &[("Authorization", "Basic dXNlcjpwYXNz")],
        br#"{"query":"{viewer{role}}"}"#,
    )
    .await;
    assert_eq!(code(&reply.json()), "UNAUTHENTICATED");
    server.stop().await;
}

/// The bad tokens of the issue, each sent over HTTP: all `UNAUTHENTICATED`, on an
/// HS256 server and (for the HS/RS confusion) on an RS256 one.
#[tokio::test]
async fn every_kind_of_bad_token_is_unauthenticated_over_http() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    use service::auth::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, KeySource, PemSource};

    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64, iss: &str, aud: &str| json!({"sub": "t", "role": "ADMIN", "iss": iss, "aud": aud, "exp": exp, "iat": now});
    let good = claims(now + 600, DEFAULT_ISSUER, DEFAULT_AUDIENCE);
    let sign = |algorithm: Algorithm, key: &EncodingKey, body: &Value| {
        encode(&Header::new(algorithm), body, key).unwrap()
    };
    let secret = EncodingKey::from_secret(crate::http::SECRET);
    let mut no_exp = good.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(good.to_string())
    );
    let valid = sign(Algorithm::HS256, &secret, &good);
    let (head, rest) = valid.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let other_payload = URL_SAFE_NO_PAD
        .encode(claims(now + 600, DEFAULT_ISSUER, DEFAULT_AUDIENCE).to_string().replace("ADMIN", "ADMIN "));
    let cases = [
        ("expired", sign(Algorithm::HS256, &secret, &claims(now - 120, DEFAULT_ISSUER, DEFAULT_AUDIENCE))),
        ("wrong audience", sign(Algorithm::HS256, &secret, &claims(now + 600, DEFAULT_ISSUER, "elsewhere"))),
        (
            "wrong issuer",
            sign(Algorithm::HS256, &secret, &claims(now + 600, "someone-else", DEFAULT_AUDIENCE)),
        ),
        ("no exp", sign(Algorithm::HS256, &secret, &no_exp)),
        ("alg none", none),
        ("HS512 when HS256 is pinned", sign(Algorithm::HS512, &secret, &good)),
        ("tampered payload", format!("{head}.{other_payload}.{signature}")),
    ];
    let server = TestServer::start(sqlite().await, false).await;
    assert_eq!(server.query(Some(&valid), "{ viewer { role } }").await["data"]["viewer"]["role"], "ADMIN");
    for (what, bad) in &cases {
        let response = server.query(Some(bad), "{ viewer { role } }").await;
        assert_eq!(code(&response), "UNAUTHENTICATED", "{what}: {response}");
        assert!(response["data"].is_null(), "{what}");
    }
    server.stop().await;

    let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    let public_pem = std::fs::read(format!("{keys}jwt-rs256-public.pem")).unwrap();
    let private_pem = std::fs::read(format!("{keys}jwt-rs256-private.pem")).unwrap();
    let key = KeySource::Rs256PublicPem(PemSource::File(format!("{keys}jwt-rs256-public.pem").into()));
    let server = TestServer::start_with(sqlite().await, false, key).await;
    let rs256 = sign(Algorithm::RS256, &EncodingKey::from_rsa_pem(&private_pem).unwrap(), &good);
    assert_eq!(server.query(Some(&rs256), "{ viewer { role } }").await["data"]["viewer"]["role"], "ADMIN");
    let confused = sign(Algorithm::HS256, &EncodingKey::from_secret(&public_pem), &good);
    let response = server.query(Some(&confused), "{ viewer { role } }").await;
    assert_eq!(code(&response), "UNAUTHENTICATED", "HS/RS confusion: {response}");
    assert_eq!(code(&server.query(Some(&valid), "{ viewer { role } }").await), "UNAUTHENTICATED");
    server.stop().await;
}

#[tokio::test]
async fn the_body_limit_is_one_mebibyte_and_refused_before_parsing() {
    let server = TestServer::start(sqlite().await, false).await;
    let base = br#"{"query":"{ viewer { role } }"}"#;
    let mut exact = base.to_vec();
    exact.resize(MAX_BODY_BYTES, b' ');
    let reply = server.post(Some(&admin()), &exact).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["data"]["viewer"]["role"], "ADMIN");
    exact.push(b' ');
    let reply = server.post(Some(&admin()), &exact).await;
    assert_eq!(reply.status, 413);
    let reply = server.post(Some(&admin()), b"{not json").await;
    assert_eq!(reply.status, 400);
    assert_eq!(code(&reply.json()), "BAD_USER_INPUT");
    server.stop().await;
}

#[tokio::test]
async fn query_text_aliases_batch_depth_and_complexity_at_their_edges() {
    let server = TestServer::start(sqlite().await, false).await;
    let admin = admin();

    let padded = |len: usize| {
        let mut query = "{ viewer { role } }".to_owned();
        query.push_str(&" ".repeat(len - query.len()));
        query
    };
    let response = server.query(Some(&admin), &padded(MAX_QUERY_BYTES)).await;
    assert_eq!(response["data"]["viewer"]["role"], "ADMIN", "{response}");
    let response = server.query(Some(&admin), &padded(MAX_QUERY_BYTES + 1)).await;
    assert_eq!(code(&response), "BAD_USER_INPUT");
    assert_eq!(response["errors"][0]["extensions"]["field"], "query");

    let aliased = |n: usize| {
        let fields: Vec<String> = (0..n).map(|i| format!("a{i}: role")).collect();
        format!("{{ viewer {{ {} }} }}", fields.join(" "))
    };
    let response = server.query(Some(&admin), &aliased(MAX_ALIASES)).await;
    assert_eq!(response["data"]["viewer"]["a14"], "ADMIN", "{response}");
    let response = server.query(Some(&admin), &aliased(MAX_ALIASES + 1)).await;
    assert_eq!(code(&response), "BAD_USER_INPUT");

    let batch = |n: usize| serde_json::to_vec(&vec![json!({"query": "{ viewer { role } }"}); n]).unwrap();
    let reply = server.post(Some(&admin), &batch(MAX_BATCH)).await;
    let answers = reply.json();
    assert_eq!(answers.as_array().map(Vec::len), Some(MAX_BATCH), "{answers}");
    assert!(answers.as_array().unwrap().iter().all(|a| a["data"]["viewer"]["role"] == "ADMIN"));
    let reply = server.post(Some(&admin), &batch(MAX_BATCH + 1)).await;
    assert_eq!(code(&reply.json()), "BAD_USER_INPUT");

    // Depth counts fields: matches(1) edges(2) node(3) student(4) matches(5) edges(6)
    // node(7) opening(8) partner(9) id(10); one more level is refused.
    let chain = |leaf: &str| {
        format!(
            "{{ matches(first: 1) {{ edges {{ node {{ student {{ matches(first: 1) {{ edges {{ node {{ \
             opening {{ partner {{ {leaf} }} }} }} }} }} }} }} }} }} }}"
        )
    };
    let response = server.query(Some(&admin), &chain("id")).await;
    assert!(response.get("errors").is_none(), "depth 10 is allowed: {response}");
    let response = server.query(Some(&admin), &chain("openings(first: 1) { totalCount }")).await;
    assert_eq!(code(&response), "BAD_USER_INPUT");
    assert_eq!(response["errors"][0]["extensions"]["limit"], "DEPTH", "{response}");
    assert_eq!(response["errors"][0]["extensions"]["max"], 10);
    assert_eq!(response["errors"][0]["extensions"]["found"], 11);
    assert!(response["data"].is_null());

    // Complexity: every selected field counts one; `viewer` plus N `role`s.
    let heavy = |n: usize| format!("{{ viewer {{ {} }} }}", "role ".repeat(n));
    let response = server.query(Some(&admin), &heavy(MAX_COMPLEXITY - 1)).await;
    assert_eq!(response["data"]["viewer"]["role"], "ADMIN", "complexity 5000 is allowed");
    let response = server.query(Some(&admin), &heavy(MAX_COMPLEXITY)).await;
    assert_eq!(code(&response), "BAD_USER_INPUT");
    assert_eq!(response["errors"][0]["extensions"]["limit"], "COMPLEXITY", "{response}");
    assert_eq!(response["errors"][0]["extensions"]["found"], MAX_COMPLEXITY + 1);
    server.stop().await;
}

#[tokio::test]
async fn introspection_and_suggestions_only_for_admin_or_demo() {
    let server = TestServer::start(sqlite().await, false).await;
    let counselor = token(Role::Counselor, Some("sch-1"));
    let introspect = "{ __schema { queryType { name } } }";
    let response = server.query(Some(&admin()), introspect).await;
    assert_eq!(response["data"]["__schema"]["queryType"]["name"], "Query");
    let response = server.query(Some(&counselor), introspect).await;
    assert_eq!(code(&response), "FORBIDDEN", "{response}");
    assert!(response["data"].is_null());
    let response = server.query(None, "{ __type(name: \"Viewer\") { name } }").await;
    assert_eq!(code(&response), "FORBIDDEN", "{response}");
    let response = server.query(Some(&counselor), "{ viewer { __typename role } }").await;
    assert_eq!(response["data"]["viewer"]["__typename"], "Viewer", "__typename is not introspection");

    let typo = "{ viewer { rol } }";
    let helpful = server.query(Some(&admin()), typo).await.to_string();
    assert!(helpful.contains("Did you mean"), "{helpful}");
    let terse = server.query(Some(&counselor), typo).await;
    assert_eq!(code(&terse), "BAD_USER_INPUT");
    assert!(!terse.to_string().contains("Did you mean"), "{terse}");
    server.stop().await;

    let demo = TestServer::start(sqlite().await, true).await;
    let response = demo.query(Some(&counselor), introspect).await;
    assert_eq!(response["data"]["__schema"]["queryType"]["name"], "Query");
    assert!(demo.query(Some(&counselor), typo).await.to_string().contains("Did you mean"));
    demo.stop().await;
}

#[tokio::test]
async fn every_error_carries_a_code() {
    let server = TestServer::start(sqlite().await, false).await;
    for broken in ["{ viewer {", "query Q($x: Int!) { viewer { role } }", "{ nothing }", "mutation { x }"] {
        let response = server.query(Some(&admin()), broken).await;
        let errors = response["errors"].as_array().unwrap_or_else(|| panic!("{broken}: {response}"));
        assert!(errors.iter().all(|e| e["extensions"]["code"] == "BAD_USER_INPUT"), "{broken}: {response}");
    }
    // An argument of the wrong type names its path like our own checks do.
    let response = server.query(Some(&admin()), "{ openings(first: \"ten\") { totalCount } }").await;
    assert_eq!(code(&response), "BAD_USER_INPUT");
    assert_eq!(response["errors"][0]["extensions"]["field"], "first", "{response}");
    server.stop().await;
}

/// `schema.graphql` at the top level is exactly what the code exports.
#[test]
fn schema_graphql_equals_the_exported_sdl() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let file = std::fs::read_to_string(path).expect("schema.graphql at the top level");
    let exported = service::graphql::sdl();
    assert!(
        file == exported,
        "schema.graphql has drifted from the code: run `cargo run -- schema > schema.graphql`"
    );
}
