//! Delivering the outbox (docs/api.md "Notifications"): a [`Dispatcher`] on every
//! node fans new events out into deliveries, takes the lease of those due, POSTs
//! each signed body to its hook and records the attempt ([`store::notify`]).
//!
//! The client is a few lines of HTTP/1.1 over a Tokio socket (and rustls for
//! https) rather than a client crate: a delivery needs one POST and the status line
//! of the answer, and connecting to the address it checked (not a name resolved
//! again later) is what keeps a hook from being pointed at the service's own
//! network (SSRF).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use store::notify::{self, DeliveryStatus, Due, Outcome};
use store::{Store, StoreError};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::mail::Mailer;

/// How long a receiver has to answer.
pub const TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// How long a dispatcher holds a delivery it sends: well past [`TIMEOUT`], so a
/// lease never lapses while its node still waits for the answer.
const LEASE: Duration = Duration::seconds(60);
/// Retries back off to at most this.
const MAX_BACKOFF_SECONDS: i64 = 3_600;

/// How this node notifies: which hook URLs it accepts, how often it delivers, and
/// where mail goes.
#[derive(Clone, Debug)]
pub struct HookSettings {
    /// `PARTNERMATCH_WEBHOOK_ALLOW_PRIVATE`: hooks may point at loopback, private
    /// and link-local addresses (tests, a district's own network).
    pub allow_private: bool,
    /// How often the dispatcher looks for work; `None`: this node does not deliver.
    pub dispatch_every: Option<StdDuration>,
    /// `PARTNERMATCH_SMTP_URL`: where mail goes; `None`: no mail is written or sent.
    pub mailer: Option<Mailer>,
    /// `PARTNERMATCH_WEBHOOK_CA_FILE`: roots trusted for https hooks besides
    /// Mozilla's (a district's own certificate authority).
    pub extra_roots: Vec<CertificateDer<'static>>,
}

impl Default for HookSettings {
    fn default() -> HookSettings {
        HookSettings {
            allow_private: false,
            dispatch_every: Some(StdDuration::from_millis(500)),
            mailer: None,
            extra_roots: Vec::new(),
        }
    }
}

/// What one [`Dispatcher::tick`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tick {
    /// Events fanned out into deliveries.
    pub events: usize,
    /// Deliveries attempted.
    pub attempted: usize,
    /// Of those, delivered.
    pub delivered: usize,
    /// Mails sent.
    pub mailed: usize,
}

/// Sends the deliveries of one node.
#[derive(Clone)]
pub struct Dispatcher {
    store: Store,
    owner: String,
    allow_private: bool,
    mailer: Option<Mailer>,
    tls: TlsConnector,
}

impl Dispatcher {
    /// A dispatcher with its own lease owner id, sending no mail, trusting
    /// Mozilla's roots for https hooks.
    pub fn new(store: Store, allow_private: bool) -> Dispatcher {
        Dispatcher {
            store,
            owner: store::new_id("node"),
            allow_private,
            mailer: None,
            tls: tls_connector(&[]),
        }
    }

    /// The same, trusting `roots` too for https hooks.
    pub fn with_roots(self, roots: &[CertificateDer<'static>]) -> Dispatcher {
        Dispatcher { tls: tls_connector(roots), ..self }
    }

    /// The same, mailing through `mailer` too.
    pub fn with_mailer(self, mailer: Option<Mailer>) -> Dispatcher {
        Dispatcher { mailer, ..self }
    }

    /// One pass at `now`: fans out every new event, then sends the deliveries due
    /// (up to 32 at once) and records each attempt.
    ///
    /// # Errors
    /// What the database reported; a receiver's failure is an attempt, not an error.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<Tick, StoreError> {
        let mut tick = Tick::default();
        loop {
            let fanned = notify::fan_out(&self.store, now, 500, self.mailer.is_some()).await?;
            tick.events += fanned;
            if fanned < 500 {
                break;
            }
        }
        let due = notify::claim(self.store.db(), &self.owner, now, LEASE, 32).await?;
        let outcomes = futures_util::future::join_all(due.iter().map(|due| self.send(due))).await;
        for (due, outcome) in due.iter().zip(outcomes) {
            tick.attempted += 1;
            let retry_at = now + backoff(due.attempt);
            let status = notify::settle(&self.store, &self.owner, due, &outcome, retry_at, now).await?;
            if status == Some(DeliveryStatus::Delivered) {
                tick.delivered += 1;
            }
        }
        if let Some(mailer) = &self.mailer {
            let due = notify::claim_mail(self.store.db(), &self.owner, now, LEASE, 32).await?;
            for mail in &due {
                let sent = self.mail(mailer, mail).await;
                let retry_at = match &sent {
                    Err(Undeliverable::Never(_)) => {
                        mail.created_at + notify::RETRY_FOR + Duration::seconds(1)
                    }
                    _ => now + backoff(mail.attempt),
                };
                let error = sent.err().map(|why| why.to_string());
                let status =
                    notify::settle_mail(&self.store, &self.owner, mail, error.as_deref(), retry_at).await?;
                if status == Some(DeliveryStatus::Delivered) {
                    tick.mailed += 1;
                }
            }
        }
        Ok(tick)
    }

    /// Writes and sends one mail.
    async fn mail(&self, mailer: &Mailer, due: &notify::MailDue) -> Result<(), Undeliverable> {
        let db = self.store.db();
        let gone = |what: &str| Undeliverable::Never(format!("{what} no longer exists"));
        let matched = store::matches::find(db, &due.match_id).await.map_err(Undeliverable::later)?;
        let matched = matched.ok_or_else(|| gone("the match"))?;
        let student =
            store::people::find_student(db, &matched.student_id).await.map_err(Undeliverable::later)?;
        let student = student.ok_or_else(|| gone("the student"))?;
        let opening = store::read::opening(db, &matched.opening_id).await.map_err(|_| gone("the opening"))?;
        let partner = store::read::partner(db, &opening.opening.matching.partner_id)
            .await
            .map_err(|_| gone("the partner"))?;
        let about =
            crate::mail::About { matched: &matched, student: &student, opening: &opening, partner: &partner };
        let message = crate::mail::compose(due, &about, mailer.from()).map_err(Undeliverable::Never)?;
        mailer.send(message).await.map_err(Undeliverable::Later)
    }

    /// Ticks every `every` until the task is dropped, on the wall clock.
    pub fn spawn(self, every: StdDuration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(err) = self.tick(Utc::now()).await {
                    tracing::warn!(error = %err, "delivering notifications failed; trying again");
                }
            }
        })
    }

    async fn send(&self, due: &Due) -> Outcome {
        let body = json!({
            "id": due.event_id,
            "event": due.event.as_str(),
            "occurredAt": due.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": due.data,
        })
        .to_string();
        let headers = [
            ("X-Partnermatch-Event", due.event.as_str().to_owned()),
            ("X-Partnermatch-Delivery", due.id.clone()),
            ("X-Partnermatch-Signature", format!("sha256={}", sign(&due.secret, body.as_bytes()))),
        ];
        match post(&due.url, &headers, body.as_bytes(), self.allow_private, &self.tls).await {
            Ok(status) => Outcome { http_status: Some(i32::from(status)), error: None },
            Err(error) => Outcome { http_status: None, error: Some(error) },
        }
    }
}

/// A TLS client on ring, trusting Mozilla's roots and `extra`.
fn tls_connector(extra: &[CertificateDer<'static>]) -> TlsConnector {
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    for root in extra {
        // A certificate that is not a usable root is left out; `read_roots` said so at start.
        let _ = roots.add(root.clone());
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|builder| builder.with_root_certificates(roots).with_no_client_auth())
        .unwrap_or_else(|_| {
            // ring supports every safe default version; this arm is never taken.
            ClientConfig::builder().with_root_certificates(RootCertStore::empty()).with_no_client_auth()
        });
    TlsConnector::from(Arc::new(config))
}

/// The certificates of a PEM file, to trust as roots for https hooks.
///
/// # Errors
/// A file that cannot be read or holds no certificate.
pub fn read_roots(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|err| format!("{}: {err}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|err| format!("{}: {err}", path.display()))?;
    let mut store = RootCertStore::empty();
    for cert in &certs {
        store
            .add(cert.clone())
            .map_err(|err| format!("{}: not a root certificate: {err}", path.display()))?;
    }
    if certs.is_empty() {
        return Err(format!("{}: no certificate in the file", path.display()));
    }
    Ok(certs)
}

/// Why a mail was not sent: worth trying again, or never.
enum Undeliverable {
    Later(String),
    Never(String),
}

impl Undeliverable {
    fn later(err: StoreError) -> Undeliverable {
        Undeliverable::Later(err.to_string())
    }
}

impl std::fmt::Display for Undeliverable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Undeliverable::Later(why) | Undeliverable::Never(why) => f.write_str(why),
        }
    }
}

/// The wait after failed attempt `attempt` (1 for the first): 1 s, 2 s, 4 s, …
/// doubling up to an hour, plus up to a quarter more at random so that receivers
/// coming back up are not hit by every retry at once.
pub fn backoff(attempt: i32) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(12);
    let base_ms = (1_000_i64 << doublings).min(MAX_BACKOFF_SECONDS * 1_000);
    let mut random = [0u8; 2];
    let jitter = if getrandom::getrandom(&mut random).is_ok() { u16::from_le_bytes(random) } else { 0 };
    Duration::milliseconds(base_ms + base_ms * i64::from(jitter) / (4 * 65_536))
}

/// The hex HMAC-SHA256 of `body` with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        // HMAC takes a key of any length; this arm is never taken.
        return String::new();
    };
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A hook URL as it may be registered: `http://host[:port]/path`, whose host
/// resolves only to public addresses unless `allow_private`.
///
/// # Errors
/// Why it may not be used, in a sentence for the `input.url` error.
pub async fn check_url(text: &str, allow_private: bool) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|err| format!("not a URL: {err}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{}: a hook URL must be http or https", url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("a hook URL carries no user name or password: sign with the secret instead".to_owned());
    }
    resolve(&url, allow_private).await?;
    Ok(url)
}

/// The addresses `url`'s host resolves to, every one of them allowed.
async fn resolve(url: &url::Url, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let host = url.host_str().ok_or("a hook URL names a host")?;
    let port = url.port_or_known_default().ok_or("a hook URL names a port")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    // A name server that does not answer must not hold a request for long.
    let lookup = tokio::time::timeout(StdDuration::from_secs(3), tokio::net::lookup_host((host, port)));
    let addrs: Vec<SocketAddr> = lookup
        .await
        .map_err(|_| format!("{host} did not resolve within 3 s"))?
        .map_err(|_| format!("{host} does not resolve"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{host} does not resolve"));
    }
    if !allow_private && let Some(inside) = addrs.iter().find(|addr| is_internal(addr.ip())) {
        return Err(format!(
            "{host} resolves to {}, a loopback, private or link-local address (set \
             PARTNERMATCH_WEBHOOK_ALLOW_PRIVATE to allow it)",
            inside.ip()
        ));
    }
    Ok(addrs)
}

/// Loopback, private, link-local, unspecified, shared (CGNAT), multicast or
/// broadcast: addresses inside the service's own networks.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// POSTs `body` to `url` and returns the answer's status code; the reason when
/// there is none within [`TIMEOUT`].
async fn post(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
    allow_private: bool,
    tls: &TlsConnector,
) -> Result<u16, String> {
    let url = url::Url::parse(url).map_err(|err| format!("not a URL: {err}"))?;
    let secure = match url.scheme() {
        "http" => false,
        "https" => true,
        other => return Err(format!("{other}: not supported")),
    };
    let addrs = resolve(&url, allow_private).await?;
    let host = url.host_str().unwrap_or_default();
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let mut request = format!(
        "POST {target} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: partnermatch-webhooks\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let name = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let exchange = async {
        let stream = TcpStream::connect(&addrs[..]).await.map_err(|err| format!("cannot connect: {err}"))?;
        if secure {
            let server = ServerName::try_from(name).map_err(|err| format!("not a TLS server name: {err}"))?;
            let stream = tls.connect(server, stream).await.map_err(|err| format!("TLS failed: {err}"))?;
            exchange(stream, request.as_bytes(), body).await
        } else {
            exchange(stream, request.as_bytes(), body).await
        }
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no answer within {} s", TIMEOUT.as_secs()))?
}

/// Writes the request and reads the answer's status code.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    head: &[u8],
    body: &[u8],
) -> Result<u16, String> {
    stream.write_all(head).await.map_err(|err| format!("sending failed: {err}"))?;
    stream.write_all(body).await.map_err(|err| format!("sending failed: {err}"))?;
    stream.flush().await.map_err(|err| format!("sending failed: {err}"))?;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 512];
    while !answer.windows(2).any(|pair| pair == b"\r\n") && answer.len() < 8_192 {
        let read = stream.read(&mut buffer).await.map_err(|err| format!("no answer: {err}"))?;
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..read]);
    }
    status_of(&answer).ok_or_else(|| "the answer is not HTTP".to_owned())
}

/// The code of an answer's status line (`HTTP/1.1 204 No Content`).
fn status_of(answer: &[u8]) -> Option<u16> {
    let line = answer.split(|byte| *byte == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    parts.next()?.parse().ok().filter(|code| (100..600).contains(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_in_hex() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_an_hour() {
        for (attempt, base) in
            [(1, 1_000), (2, 2_000), (3, 4_000), (12, 2_048_000), (13, 3_600_000), (40, 3_600_000)]
        {
            let wait = backoff(attempt).num_milliseconds();
            assert!((base..=base + base / 4).contains(&wait), "attempt {attempt}: {wait} ms");
        }
    }

    #[test]
    fn internal_addresses_are_recognised() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "100.128.0.1"] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn status_lines_are_read() {
        assert_eq!(status_of(b"HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(status_of(b"HTTP/1.0 500 Oops\r\nX: y"), Some(500));
        assert_eq!(status_of(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_of(b"HTTP/1.1 abc\r\n"), None);
    }

    #[tokio::test]
    async fn hook_urls_are_checked() {
        assert!(check_url("http://127.0.0.1:9/hook", false).await.unwrap_err().contains("loopback"));
        assert!(check_url("http://[::1]:9/hook", false).await.unwrap_err().contains("loopback"));
        assert!(check_url("http://localhost:9/hook", false).await.is_err());
        assert!(check_url("http://127.0.0.1:9/hook", true).await.is_ok());
        assert!(check_url("ftp://example.org/x", true).await.unwrap_err().contains("http"));
        assert!(check_url("https://127.0.0.1:9/hook", true).await.is_ok());
        assert!(check_url("https://127.0.0.1:9/hook", false).await.unwrap_err().contains("loopback"));
        assert!(check_url("http://user:pw@127.0.0.1/x", true).await.unwrap_err().contains("password"));
        assert!(check_url("not a url", true).await.is_err());
    }
}
