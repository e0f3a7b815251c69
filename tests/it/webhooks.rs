//! Webhooks (docs/api.md "Notifications") with real receivers on loopback: signed
//! deliveries retried with backoff under one delivery id, a receiver that comes back
//! a minute later (the dispatcher's clock advanced, not slept), nothing sent for a
//! mutation that failed, no delivery sent twice by two nodes on one database, and
//! the SSRF guard. On every backend.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use serde_json::Value;
use service::auth::KeySource;
use service::notify::{Dispatcher, HookSettings, sign};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::db::backends;
use crate::gql::{admin, code, counselor, field, no_errors, partner, student};
use crate::http::{SECRET, TestServer};
use crate::matching_api::district;

const HOOK_SECRET: &str = "a hook secret of some length";

/// One request a receiver got.
#[derive(Clone, Debug)]
struct Received {
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// An HTTP receiver on loopback answering the statuses of `script` in turn, then
/// 200; it records every request.
struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(script: Vec<u16>) -> Receiver {
        Receiver::on(TcpListener::bind("127.0.0.1:0").await.unwrap(), script)
    }

    fn on(listener: TcpListener, script: Vec<u16>) -> Receiver {
        Receiver::serving(listener, script, None)
    }

    /// A receiver speaking TLS with `acceptor`'s certificate.
    fn serving(listener: TcpListener, script: Vec<u16>, tls: Option<tokio_rustls::TlsAcceptor>) -> Receiver {
        let addr = listener.local_addr().unwrap();
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let seen = got.clone();
        let task = tokio::spawn(async move {
            let mut script = script.into_iter();
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let status = script.next().unwrap_or(200);
                match &tls {
                    Some(acceptor) => {
                        let Ok(stream) = acceptor.accept(stream).await else { continue };
                        answer(stream, status, &seen).await;
                    }
                    None => answer(stream, status, &seen).await,
                }
            }
        });
        Receiver { addr, got, task }
    }

    fn url(&self) -> String {
        format!("http://{}/hooks/partnermatch?from=test", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// Reads one request from `stream`, records it, and answers `status`.
async fn answer<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, status: u16, seen: &Mutex<Vec<Received>>) {
    let mut raw = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        let read = stream.read(&mut buffer).await.unwrap_or(0);
        if read == 0 {
            break None;
        }
        raw.extend_from_slice(&buffer[..read]);
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break Some(at);
        }
    };
    let Some(head_end) = head_end else { return };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let headers: BTreeMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = raw[head_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut buffer).await.unwrap_or(0);
        if read == 0 {
            break;
        }
        body.extend_from_slice(&buffer[..read]);
    }
    seen.lock().unwrap().push(Received { headers, body });
    let answer = format!("HTTP/1.1 {status} Scripted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A server whose dispatcher the test drives (hooks may point at loopback).
async fn manual(db: crate::db::TestDb) -> TestServer {
    let hooks =
        HookSettings { allow_private: true, dispatch_every: None, mailer: None, extra_roots: Vec::new() };
    TestServer::start_hooks(db, false, KeySource::Hs256(SECRET.to_vec()), hooks).await
}

async fn create_hook(server: &TestServer, token: &str, url: &str, events: &str) -> String {
    let created = server
        .query(
            Some(token),
            &format!(
                r#"mutation {{ createWebhook(input: {{url: "{url}", events: [{events}], secret: "{HOOK_SECRET}"}}) {{ id url events }} }}"#
            ),
        )
        .await;
    no_errors(&created);
    created["data"]["createWebhook"]["id"].as_str().unwrap().to_owned()
}

async fn propose(server: &TestServer, student_id: &str) -> String {
    let pick =
        format!(r#"mutation {{ proposeMatch(studentId: "{student_id}", openingId: "o-1") {{ id }} }}"#);
    let picked = server.query(Some(&counselor("sch-1")), &pick).await;
    no_errors(&picked);
    picked["data"]["proposeMatch"]["id"].as_str().unwrap().to_owned()
}

fn body_of(received: &Received) -> Value {
    serde_json::from_slice(&received.body).unwrap()
}

#[tokio::test]
async fn a_delivery_is_signed_retried_with_one_id_and_recorded() {
    for db in backends().await {
        district(&db, 3, 2).await;
        let server = manual(db).await;
        let name = server.db.name;
        let receiver = Receiver::start(vec![500, 500, 200]).await;
        let counselors = Receiver::start(Vec::new()).await;
        let elsewhere = Receiver::start(Vec::new()).await;
        let p1 = partner("p-1");
        create_hook(&server, &p1, &receiver.url(), "MATCH_PROPOSED").await;
        create_hook(&server, &counselor("sch-1"), &counselors.url(), "MATCH_PROPOSED, RUN_FINISHED").await;
        create_hook(&server, &counselor("sch-2"), &elsewhere.url(), "MATCH_PROPOSED, RUN_FINISHED").await;
        let match_id = propose(&server, "s-1").await;

        let dispatcher = Dispatcher::new(server.db.store.clone(), true);
        let start = Utc::now();
        let first = dispatcher.tick(start).await.unwrap();
        assert_eq!((first.attempted, first.delivered), (2, 1), "{name}: {first:?}");
        // Not yet due again: the first retry waits at least a second.
        assert_eq!(
            dispatcher.tick(start + Duration::milliseconds(900)).await.unwrap().attempted,
            0,
            "{name}"
        );
        let second = dispatcher.tick(start + Duration::milliseconds(1_300)).await.unwrap();
        assert_eq!((second.attempted, second.delivered), (1, 0), "{name}");
        assert_eq!(
            dispatcher.tick(start + Duration::milliseconds(2_500)).await.unwrap().attempted,
            0,
            "{name}"
        );
        let third = dispatcher.tick(start + Duration::milliseconds(4_000)).await.unwrap();
        assert_eq!((third.attempted, third.delivered), (1, 1), "{name}");
        assert_eq!(
            dispatcher.tick(start + Duration::hours(1)).await.unwrap().attempted,
            0,
            "{name}: delivered once"
        );

        let got = receiver.received();
        assert_eq!(got.len(), 3, "{name}");
        let delivery = got[0].headers["x-partnermatch-delivery"].clone();
        let event_id = body_of(&got[0])["id"].clone();
        for request in &got {
            assert_eq!(
                request.headers["x-partnermatch-delivery"], delivery,
                "{name}: the same id on every retry"
            );
            assert_eq!(request.headers["x-partnermatch-event"], "MATCH_PROPOSED");
            let expected = format!("sha256={}", sign(HOOK_SECRET, &request.body));
            assert_eq!(request.headers["x-partnermatch-signature"], expected, "{name}: signed body");
            assert_eq!(request.headers["content-type"], "application/json");
            let body = body_of(request);
            assert_eq!(body["id"], event_id);
            assert_eq!(body["event"], "MATCH_PROPOSED");
            assert!(body["occurredAt"].as_str().unwrap().ends_with('Z'), "{body}");
            assert_eq!(body["data"]["matchId"], match_id.as_str(), "{name}: {body}");
            assert_eq!(body["data"]["studentId"], "s-1");
            assert_eq!(body["data"]["openingId"], "o-1");
            // Ids, kind and status only: nothing a partner may not see.
            let keys: Vec<&String> = body["data"].as_object().unwrap().keys().collect();
            assert!(
                keys.iter().all(|k| ["matchId", "studentId", "openingId", "kind", "status", "runId"]
                    .contains(&k.as_str())),
                "{keys:?}"
            );
        }
        // The school's counselor heard it; the other school's did not.
        assert_eq!(counselors.received().len(), 1, "{name}");
        assert!(elsewhere.received().is_empty(), "{name}");

        // Every attempt is on record, oldest first, one delivery id.
        let listed = server
            .query(Some(&p1), "{ webhooks { id events deliveries { totalCount edges { node { id event attempt status httpStatus } } } } }")
            .await;
        no_errors(&listed);
        let hooks = listed["data"]["webhooks"].as_array().unwrap();
        assert_eq!(hooks.len(), 1, "{name}: a partner lists its own hooks only");
        let attempts: Vec<(String, i64, String, i64)> = hooks[0]["deliveries"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| {
                let node = &edge["node"];
                (
                    node["id"].as_str().unwrap().to_owned(),
                    node["attempt"].as_i64().unwrap(),
                    node["status"].as_str().unwrap().to_owned(),
                    node["httpStatus"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            attempts,
            vec![
                (delivery.clone(), 1, "RETRYING".to_owned(), 500),
                (delivery.clone(), 2, "RETRYING".to_owned(), 500),
                (delivery.clone(), 3, "DELIVERED".to_owned(), 200),
            ],
            "{name}"
        );
        // The payload reached a partner: the disclosure log says so.
        let log = server
            .query(
                Some(&admin()),
                r#"{ disclosures(first: 100) { edges { node { studentId operation } } } }"#,
            )
            .await;
        no_errors(&log);
        assert!(
            log["data"]["disclosures"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .any(|edge| edge["node"]["studentId"] == "s-1"
                    && edge["node"]["operation"] == "webhook MATCH_PROPOSED"),
            "{name}: {log}"
        );

        // A committed run is heard by its school's counselor's hook.
        let run = "mutation { runMatching(input: {dryRun: false}) { id status } }";
        let committed = server.run_matching(&counselor("sch-1"), run).await;
        no_errors(&committed);
        dispatcher.tick(Utc::now() + Duration::hours(2)).await.unwrap();
        let heard: Vec<Value> = counselors.received().iter().map(body_of).collect();
        let finished = heard.iter().find(|body| body["event"] == "RUN_FINISHED").expect("RUN_FINISHED");
        assert_eq!(finished["data"]["runId"], committed["data"]["runMatching"]["id"], "{name}");
        assert_eq!(finished["data"]["status"], "SUCCEEDED");
        assert!(elsewhere.received().is_empty(), "{name}: another school's run is not its business");

        // The run's proposal to p-1's opening reached p-1's hook too.
        let heard_by_partner = receiver.received().len();
        assert_eq!(heard_by_partner, 4, "{name}");
        // Deleting a hook stops its deliveries; someone else's cannot be deleted.
        let hook = hooks[0]["id"].as_str().unwrap();
        let delete = format!(r#"mutation {{ deleteWebhook(id: "{hook}") }}"#);
        assert_eq!(server.query(Some(&counselor("sch-1")), &delete).await["data"]["deleteWebhook"], false);
        assert_eq!(server.query(Some(&p1), &delete).await["data"]["deleteWebhook"], true, "{name}");
        let cancel =
            format!(r#"mutation {{ setMatchStatus(id: "{match_id}", status: CANCELLED) {{ status }} }}"#);
        no_errors(&server.query(Some(&counselor("sch-1")), &cancel).await);
        propose(&server, "s-1").await;
        dispatcher.tick(Utc::now() + Duration::hours(3)).await.unwrap();
        assert_eq!(receiver.received().len(), heard_by_partner, "{name}: a deleted hook hears nothing");
        server.stop().await;
    }
}

#[tokio::test]
async fn a_receiver_down_during_the_change_gets_it_when_it_is_back() {
    for db in backends().await {
        district(&db, 3, 2).await;
        let server = manual(db).await;
        let name = server.db.name;
        // Reserve a port and close it: the receiver is down.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        create_hook(&server, &admin(), &format!("http://{addr}/in"), "MATCH_PROPOSED").await;
        propose(&server, "s-2").await;
        let dispatcher = Dispatcher::new(server.db.store.clone(), true);
        let start = Utc::now();
        let down = dispatcher.tick(start).await.unwrap();
        assert_eq!((down.attempted, down.delivered), (1, 0), "{name}");
        let listed = server
            .query(
                Some(&admin()),
                "{ webhooks { deliveries { edges { node { status httpStatus error } } } } }",
            )
            .await;
        let attempt = &listed["data"]["webhooks"][0]["deliveries"]["edges"][0]["node"];
        assert_eq!(attempt["status"], "RETRYING", "{name}: {listed}");
        assert!(
            attempt["httpStatus"].is_null() && attempt["error"].as_str().unwrap().contains("connect"),
            "{attempt}"
        );

        // A minute later it is up again, and the next due attempt delivers.
        let receiver = Receiver::on(TcpListener::bind(addr).await.unwrap(), Vec::new());
        let mut now = start;
        let mut delivered = 0;
        for _ in 0..10 {
            now += Duration::seconds(61);
            delivered += dispatcher.tick(now).await.unwrap().delivered;
        }
        assert_eq!(delivered, 1, "{name}");
        assert_eq!(receiver.received().len(), 1, "{name}");
        assert_eq!(body_of(&receiver.received()[0])["data"]["studentId"], "s-2");
        server.stop().await;
    }
}

#[tokio::test]
async fn a_failed_mutation_sends_nothing_and_two_nodes_never_send_one_delivery_twice() {
    for db in backends().await {
        district(&db, 8, 8).await;
        let server = manual(db).await;
        let name = server.db.name;
        let receiver = Receiver::start(Vec::new()).await;
        create_hook(
            &server,
            &admin(),
            &receiver.url(),
            "MATCH_PROPOSED, MATCH_DECLINED, MATCH_STATUS_CHANGED",
        )
        .await;
        // A pick of a student the counselor may not see writes nothing, so sends nothing.
        let refused = server
            .query(
                Some(&counselor("sch-2")),
                r#"mutation { proposeMatch(studentId: "s-1", openingId: "o-1") { id } }"#,
            )
            .await;
        assert!(!code(&refused).is_empty(), "{name}: {refused}");
        let dispatcher = Dispatcher::new(server.db.store.clone(), true);
        assert_eq!(
            dispatcher.tick(Utc::now()).await.unwrap().events,
            0,
            "{name}: no event of a failed mutation"
        );

        for student_id in ["s-1", "s-2", "s-3", "s-4", "s-5", "s-6"] {
            propose(&server, student_id).await;
        }
        // Two nodes work the same outbox at once, many times over.
        let other = Dispatcher::new(server.db.store.clone(), true);
        let now = Utc::now();
        for round in 0..4 {
            let at = now + Duration::seconds(round);
            let (a, b) = tokio::join!(dispatcher.tick(at), other.tick(at));
            a.unwrap();
            b.unwrap();
        }
        let got = receiver.received();
        let mut ids: Vec<String> = got.iter().map(|r| r.headers["x-partnermatch-delivery"].clone()).collect();
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!((before, ids.len()), (6, 6), "{name}: each delivery exactly once");
        server.stop().await;
    }
}

#[tokio::test]
async fn hook_urls_and_owners_are_checked() {
    for db in backends().await {
        district(&db, 1, 1).await;
        let strict = HookSettings {
            allow_private: false,
            dispatch_every: None,
            mailer: None,
            extra_roots: Vec::new(),
        };
        let server = TestServer::start_hooks(db, false, KeySource::Hs256(SECRET.to_vec()), strict).await;
        let name = server.db.name;
        let create = |url: &str, events: &str, secret: &str| {
            format!(
                r#"mutation {{ createWebhook(input: {{url: "{url}", events: [{events}], secret: "{secret}"}}) {{ id }} }}"#
            )
        };
        for (url, events, secret, expected_field) in [
            ("http://127.0.0.1:8080/in", "MATCH_PROPOSED", HOOK_SECRET, "input.url"),
            ("http://10.0.0.8/in", "MATCH_PROPOSED", HOOK_SECRET, "input.url"),
            ("http://169.254.169.254/latest/meta-data", "MATCH_PROPOSED", HOOK_SECRET, "input.url"),
            ("http://[::1]:9/in", "MATCH_PROPOSED", HOOK_SECRET, "input.url"),
            ("ftp://example.org/in", "MATCH_PROPOSED", HOOK_SECRET, "input.url"),
            ("https://127.0.0.1/in", "MATCH_PROPOSED", HOOK_SECRET, "input.url"),
            ("http://8.8.8.8/in", "", HOOK_SECRET, "input.events"),
            ("http://8.8.8.8/in", "RUN_FINISHED", "short", "input.secret"),
        ] {
            let refused = server.query(Some(&admin()), &create(url, events, secret)).await;
            assert_eq!(
                (code(&refused), field(&refused)),
                ("BAD_USER_INPUT", expected_field),
                "{name}: {url}: {refused}"
            );
        }
        let student_hook = server
            .query(Some(&student("s-1")), &create("http://8.8.8.8/in", "RUN_FINISHED", HOOK_SECRET))
            .await;
        assert_eq!(code(&student_hook), "FORBIDDEN", "{name}");
        assert_eq!(code(&server.query(Some(&student("s-1")), "{ webhooks { id } }").await), "FORBIDDEN");
        // A public address is fine (nothing is sent to it here: no match is made).
        let fine = server
            .query(Some(&admin()), &create("http://8.8.8.8/in", "RUN_FINISHED, RUN_FINISHED", HOOK_SECRET))
            .await;
        no_errors(&fine);
        let listed = server.query(Some(&admin()), "{ webhooks { url events } }").await;
        assert_eq!(
            listed["data"]["webhooks"][0]["events"],
            serde_json::json!(["RUN_FINISHED"]),
            "{name}: {listed}"
        );
        assert_eq!(
            server.query(Some(&partner("p-1")), "{ webhooks { id } }").await["data"]["webhooks"],
            serde_json::json!([])
        );
        server.stop().await;
    }
}

/// A real `partnermatch serve` process over `location` whose dispatcher may deliver
/// to loopback.
fn spawn_node(location: &store::Location) -> (std::process::Child, SocketAddr) {
    let url = match location {
        store::Location::Sqlite(path) => format!("sqlite://{}", path.display()),
        store::Location::Postgres(url) => url.clone(),
    };
    crate::http::serve_binary(&["--database-url", &url, "--webhook-allow-private", "1"])
}

/// Waits until `receiver` has `n` distinct delivery ids (or `limit` passes).
async fn distinct_deliveries(
    receiver: &Receiver,
    n: usize,
    limit: std::time::Duration,
) -> BTreeMap<String, Vec<Vec<u8>>> {
    let started = std::time::Instant::now();
    loop {
        let mut by_id: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
        for request in receiver.received() {
            by_id.entry(request.headers["x-partnermatch-delivery"].clone()).or_default().push(request.body);
        }
        if by_id.len() >= n || started.elapsed() > limit {
            return by_id;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn two_server_processes_send_each_delivery_once_and_a_killed_one_loses_none() {
    for db in backends().await {
        district(&db, 8, 8).await;
        let name = db.name;
        let receiver = Receiver::start(Vec::new()).await;
        let (mut first, at_first) = spawn_node(&db.location);
        let (mut second, at_second) = spawn_node(&db.location);
        let hook = format!(
            r#"mutation {{ createWebhook(input: {{url: "{}", events: [MATCH_PROPOSED], secret: "{HOOK_SECRET}"}}) {{ id }} }}"#,
            receiver.url()
        );
        no_errors(&crate::http::query_at(at_first, &admin(), &hook).await);
        let pick = |student_id: &str| {
            format!(r#"mutation {{ proposeMatch(studentId: "{student_id}", openingId: "o-1") {{ id }} }}"#)
        };
        // Both nodes dispatch the same outbox: every delivery reaches the receiver once.
        for (at, student_id) in ["s-1", "s-2", "s-3", "s-4"].iter().enumerate() {
            let node = if at % 2 == 0 { at_first } else { at_second };
            no_errors(&crate::http::query_at(node, &counselor("sch-1"), &pick(student_id)).await);
        }
        let delivered = distinct_deliveries(&receiver, 4, std::time::Duration::from_secs(30)).await;
        assert_eq!(delivered.len(), 4, "{name}");
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let total: usize = receiver.received().len();
        assert_eq!(total, 4, "{name}: no delivery was sent by both nodes");

        // The receiver goes down, more matches are proposed, and both nodes are killed
        // right after: the events are in the outbox, nothing is lost.
        receiver.task.abort();
        let down_at = receiver.addr;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        for student_id in ["s-5", "s-6", "s-7", "s-8"] {
            no_errors(&crate::http::query_at(at_second, &counselor("sch-1"), &pick(student_id)).await);
        }
        for child in [&mut first, &mut second] {
            let _ = child.kill();
            let _ = child.wait();
        }
        let back = Receiver::on(TcpListener::bind(down_at).await.unwrap(), Vec::new());
        let (mut restarted, _) = spawn_node(&db.location);
        // A delivery a killed node held waits for its lease (60 s) to lapse.
        let delivered = distinct_deliveries(&back, 4, std::time::Duration::from_secs(90)).await;
        let _ = restarted.kill();
        let _ = restarted.wait();
        assert_eq!(delivered.len(), 4, "{name}: every event after the crash delivered");
        for (id, bodies) in &delivered {
            assert!(bodies.iter().all(|body| body == &bodies[0]), "{name}: {id} resent with another body");
            let body: Value = serde_json::from_slice(&bodies[0]).unwrap();
            assert!(
                ["s-5", "s-6", "s-7", "s-8"].contains(&body["data"]["studentId"].as_str().unwrap()),
                "{body}"
            );
        }
    }
}

#[tokio::test]
async fn an_https_hook_is_delivered_over_tls_to_a_trusted_certificate_only() {
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio_rustls::rustls::{ServerConfig, crypto::ring::default_provider};

    for db in backends().await {
        district(&db, 3, 2).await;
        let server = manual(db).await;
        let name = server.db.name;
        // A receiver whose certificate (for "localhost") no public root signed.
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert = CertificateDer::from(certified.cert.der().to_vec());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
        let config = ServerConfig::builder_with_provider(std::sync::Arc::new(default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let receiver = Receiver::serving(listener, Vec::new(), Some(acceptor));
        let url = format!("https://localhost:{port}/hooks");
        create_hook(&server, &admin(), &url, "MATCH_PROPOSED").await;
        propose(&server, "s-1").await;

        // Mozilla's roots alone do not trust it: the attempt fails on TLS, nothing is read.
        let untrusting = Dispatcher::new(server.db.store.clone(), true);
        let start = Utc::now();
        let refused = untrusting.tick(start).await.unwrap();
        assert_eq!((refused.attempted, refused.delivered), (1, 0), "{name}");
        assert!(receiver.received().is_empty(), "{name}");
        let listed = server
            .query(Some(&admin()), "{ webhooks { deliveries { edges { node { status error } } } } }")
            .await;
        let attempt = &listed["data"]["webhooks"][0]["deliveries"]["edges"][0]["node"];
        assert!(attempt["error"].as_str().unwrap().contains("TLS"), "{name}: {attempt}");

        // With the receiver's certificate as a root (PARTNERMATCH_WEBHOOK_CA_FILE), it is delivered.
        let pem = scratch_pem(&certified.cert.pem());
        let roots = service::notify::read_roots(pem.path()).unwrap();
        let trusting = Dispatcher::new(server.db.store.clone(), true).with_roots(&roots);
        let delivered = trusting.tick(start + Duration::seconds(5)).await.unwrap();
        assert_eq!(delivered.delivered, 1, "{name}: {delivered:?}");
        let got = receiver.received();
        assert_eq!(got.len(), 1, "{name}");
        let expected = format!("sha256={}", sign(HOOK_SECRET, &got[0].body));
        assert_eq!(got[0].headers["x-partnermatch-signature"], expected, "{name}");
        assert_eq!(got[0].headers["host"], format!("localhost:{port}"));
        server.stop().await;
    }
    let empty = scratch_pem("");
    assert!(service::notify::read_roots(empty.path()).unwrap_err().contains("no certificate"));
}

fn scratch_pem(text: &str) -> tempfile::NamedTempFile {
    use std::io::Write;
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

/// A district commit records an event per match in the same second: 100,000 events
/// in one batch all get distinct ids, kept in the batch's order (with 32 random bits
/// per id, as before, such a batch collided more often than not).
#[tokio::test]
async fn a_batch_of_events_never_repeats_an_id() {
    use sea_orm::{EntityTrait, QueryOrder};
    use store::entity::outbox_events;
    use store::notify::{Event, EventKind};
    let db = crate::db::sqlite().await;
    let events: Vec<Event> = (0..100_000)
        .map(|i| Event::about_match(EventKind::MatchProposed, &format!("m-{i:06}"), Value::Null))
        .collect();
    store::notify::record(db.store.db(), &events, Utc::now()).await.unwrap();
    let rows = outbox_events::Entity::find()
        .order_by_asc(outbox_events::Column::OccurredAt)
        .order_by_asc(outbox_events::Column::Id)
        .all(db.store.db())
        .await
        .unwrap();
    assert_eq!(rows.len(), events.len());
    let in_order: Vec<Option<String>> = rows.into_iter().map(|row| row.match_id).collect();
    let recorded: Vec<Option<String>> = events.into_iter().map(|event| event.match_id).collect();
    assert_eq!(in_order, recorded);
}
