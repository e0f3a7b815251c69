//! A real server on a free port over a fresh database, and a small HTTP/1.1 client
//! (one request per connection) to talk to it the way any client would.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use service::auth::{AuthConfig, DEFAULT_AUDIENCE, DEFAULT_ISSUER, KeySource, Minter, Verifier};
use service::notify::HookSettings;
use service::server::{Running, Service, start};
use store::records::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::db::TestDb;

/// The HS256 secret of test servers.
pub const SECRET: &[u8] = b"a test secret that is long enough for HS256 signing";

/// The one origin the test server answers across origins (CORS).
pub const ALLOWED_ORIGIN: &str = "http://portal.example";

/// A running server and what it needs to stay up.
pub struct TestServer {
    pub addr: SocketAddr,
    pub db: TestDb,
    running: Running,
}

impl TestServer {
    /// Starts the real service on `db`, checking HS256 tokens signed with [`SECRET`].
    pub async fn start(db: TestDb, demo: bool) -> TestServer {
        TestServer::start_with(db, demo, KeySource::Hs256(SECRET.to_vec())).await
    }

    /// Starts the real service on `db`, checking tokens with `key`; hooks may point
    /// at loopback and the dispatcher ticks every 100 ms.
    pub async fn start_with(db: TestDb, demo: bool, key: KeySource) -> TestServer {
        let hooks = HookSettings {
            allow_private: true,
            dispatch_every: Some(std::time::Duration::from_millis(100)),
            mailer: None,
            extra_roots: Vec::new(),
        };
        TestServer::start_hooks(db, demo, key, hooks).await
    }

    /// Starts the real service on `db` with these hook settings.
    pub async fn start_hooks(db: TestDb, demo: bool, key: KeySource, hooks: HookSettings) -> TestServer {
        let config =
            AuthConfig { issuer: DEFAULT_ISSUER.to_owned(), audience: DEFAULT_AUDIENCE.to_owned(), key };
        let service = Service {
            store: db.store.clone(),
            verifier: Verifier::new(config).unwrap(),
            demo,
            // As `serve --demo` signs the console's demo people in.
            demo_sign_in: demo.then(|| service::console::DemoSignIn {
                minter: Minter::new(DEFAULT_ISSUER, DEFAULT_AUDIENCE, SECRET).unwrap(),
                people: cli::demo::people(),
            }),
            run_lease: service::runner::DEFAULT_LEASE,
            cors: service::cors::AllowedOrigins::parse(&[ALLOWED_ORIGIN]).unwrap(),
            hooks,
        };
        let running = start(service, "127.0.0.1:0").await.expect("start the server");
        TestServer { addr: running.addr, db, running }
    }

    /// Stops it gracefully.
    pub async fn stop(self) {
        if let Some(dispatcher) = &self.running.dispatcher {
            dispatcher.abort();
        }
        self.running.handle.stop(true).await;
        let _ = self.running.done.await;
    }

    /// POSTs `body` to /graphql.
    pub async fn post(&self, token: Option<&str>, body: &[u8]) -> Reply {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(bearer) = &bearer {
            headers.push(("Authorization", bearer.as_str()));
        }
        request(self.addr, "POST", "/graphql", &headers, body).await
    }

    /// Runs a `runMatching` mutation and answers once its run has ended (see
    /// [`settled`]); the mutation must select the run's `id` and `status`.
    pub async fn run_matching(&self, token: &str, mutation: &str) -> Value {
        let response = self.query(Some(token), mutation).await;
        settled(response, mutation, async |query: String| self.query(Some(token), &query).await).await
    }

    /// Runs one GraphQL query and returns the response document.
    pub async fn query(&self, token: Option<&str>, query: &str) -> Value {
        let body = serde_json::to_vec(&serde_json::json!({ "query": query })).unwrap();
        let reply = self.post(token, &body).await;
        assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
        reply.json()
    }
}

/// The real `partnermatch serve` in a process of its own, with `args` after
/// `serve --bind 127.0.0.1:0` and tokens signed with [`SECRET`]; returns the child
/// and where it listens (read from the line it prints).
pub fn serve_binary(args: &[&str]) -> (Child, SocketAddr) {
    let secret = std::str::from_utf8(SECRET).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_partnermatch"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env("PARTNERMATCH_JWT_SECRET", secret)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = lines.map_while(Result::ok).find_map(|line| {
        let addr = line.strip_prefix("partnermatch serves http://")?.strip_suffix("/graphql")?;
        addr.parse().ok()
    });
    match addr {
        Some(addr) => (child, addr),
        None => {
            let _ = child.kill();
            let status = child.wait();
            panic!("the server child never listened: {status:?}");
        }
    }
}

/// The answer to a `runMatching` mutation once its run has ended, as a client
/// waits for it: the mutation answers after a short wait, so on a loaded machine
/// even a small run can still be RUNNING. Then the mutation's own selection is read
/// again through `matchRun` until the run is final (`ask` sends a query).
pub async fn settled(response: Value, mutation: &str, ask: impl AsyncFn(String) -> Value) -> Value {
    let node = &response["data"]["runMatching"];
    let (Some(id), Some(status)) = (node["id"].as_str(), node["status"].as_str()) else {
        return response;
    };
    if ["SUCCEEDED", "FAILED", "CANCELLED"].contains(&status) {
        return response;
    }
    let query = format!(r#"{{ matchRun(id: "{id}") {} }}"#, selection_of(mutation));
    for _ in 0..2_400 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let again = ask(query.clone()).await;
        let status = again["data"]["matchRun"]["status"].as_str().unwrap_or("");
        if ["SUCCEEDED", "FAILED", "CANCELLED"].contains(&status) {
            return serde_json::json!({ "data": { "runMatching": again["data"]["matchRun"] } });
        }
    }
    panic!("run {id} did not end within a minute");
}

/// The selection set of the (first) `runMatching` field of `mutation`: what
/// follows its argument list, without the operation's closing brace.
fn selection_of(mutation: &str) -> &str {
    let start = mutation.find("runMatching(").expect("a runMatching mutation") + "runMatching".len();
    let mut depth = 0usize;
    let mut end_of_arguments = start;
    for (at, c) in mutation[start..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    end_of_arguments = start + at + 1;
                    break;
                }
            }
            _ => {}
        }
    }
    let rest = mutation[end_of_arguments..].trim_end();
    rest.strip_suffix('}').expect("the operation's closing brace").trim()
}

/// Runs one GraphQL query against `addr` and returns the response document.
pub async fn query_at(addr: SocketAddr, token: &str, query: &str) -> Value {
    let body = serde_json::to_vec(&serde_json::json!({ "query": query })).unwrap();
    let bearer = format!("Bearer {token}");
    let headers = [("Content-Type", "application/json"), ("Authorization", bearer.as_str())];
    let reply = request(addr, "POST", "/graphql", &headers, &body).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    reply.json()
}

/// A development token for `role` and `scope`, signed with [`SECRET`].
pub fn token(role: Role, scope: Option<&str>) -> String {
    Minter::new(DEFAULT_ISSUER, DEFAULT_AUDIENCE, SECRET)
        .unwrap()
        .mint(role, scope, Duration::from_secs(3600), Utc::now())
        .unwrap()
}

/// An HTTP response.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One request on a fresh connection.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may answer (413) before reading a large body; a failed write is fine then.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    parse(&raw)
}

fn parse(raw: &[u8]) -> Reply {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|line| line.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Reply { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 4 + size..];
    }
    out
}
