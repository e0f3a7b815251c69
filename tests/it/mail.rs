//! Mail about matches (docs/api.md "Notifications") through a real SMTP receiver on
//! loopback: a proposal reaches the guardian in their language (Spanish here, with
//! the Spanish explanation) and the partner's contact, as plain text and HTML; a
//! decision reaches the other side; nothing is written without SMTP. On every
//! backend.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use chrono::Utc;
use sea_orm::{EntityTrait, PaginatorTrait};
use service::auth::KeySource;
use service::mail::Mailer;
use service::notify::{Dispatcher, HookSettings};
use store::entity::mail_deliveries;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::db::backends;
use crate::gql::{admin, counselor, no_errors, partner};
use crate::http::{SECRET, TestServer};
use crate::matching_api::district;

/// One message an SMTP receiver accepted.
#[derive(Clone, Debug)]
struct Mail {
    to: Vec<String>,
    data: String,
}

impl Mail {
    /// Top-level headers, names in lower case, encoded words decoded.
    fn headers(&self) -> BTreeMap<String, String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        let mut last = String::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(value) = headers.get_mut(&last) {
                    value.push_str(line.trim_start());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                last = name.trim().to_lowercase();
                headers.insert(last.clone(), value.trim().to_owned());
            }
        }
        headers.into_iter().map(|(name, value)| (name, decode_words(&value))).collect()
    }

    /// The decoded body of the part of `content_type`.
    fn part(&self, content_type: &str) -> String {
        let at = self
            .data
            .find(&format!("Content-Type: {content_type}"))
            .unwrap_or_else(|| panic!("no {content_type} part"));
        let rest = &self.data[at..];
        let (head, body) = rest.split_once("\r\n\r\n").unwrap();
        let body = body.split("\r\n--").next().unwrap();
        if head.contains("Content-Transfer-Encoding: base64") {
            let joined: String = body.split_whitespace().collect();
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(joined).unwrap()).unwrap()
        } else if head.contains("Content-Transfer-Encoding: quoted-printable") {
            quoted_printable(body)
        } else {
            body.to_owned()
        }
    }
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'='
            && let Some(byte) = joined.get(at + 1..at + 3).and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            at += 3;
            continue;
        }
        out.push(bytes[at]);
        at += 1;
    }
    String::from_utf8(out).unwrap()
}

/// `=?utf-8?b?…?=` and `=?utf-8?q?…?=` words decoded.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    for word in value.split_whitespace() {
        let lower = word.to_lowercase();
        if lower.starts_with("=?utf-8?b?") && word.ends_with("?=") {
            let bytes = base64::engine::general_purpose::STANDARD.decode(&word[10..word.len() - 2]).unwrap();
            out.push_str(&String::from_utf8(bytes).unwrap());
        } else if lower.starts_with("=?utf-8?q?") && word.ends_with("?=") {
            out.push_str(&quoted_printable(&word[10..word.len() - 2].replace('_', " ")));
        } else {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// A minimal SMTP server on loopback that accepts every message.
struct SmtpReceiver {
    url: String,
    got: Arc<Mutex<Vec<Mail>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpReceiver {
    async fn start() -> SmtpReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let got: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let seen = got.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let seen = seen.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read);
                    let _ = write.write_all(b"220 receiver ESMTP\r\n").await;
                    let mut to = Vec::new();
                    loop {
                        let mut line = String::new();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let command = line.trim_end().to_uppercase();
                        let answer: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
                            b"250 receiver\r\n"
                        } else if command.starts_with("RCPT TO:") {
                            to.push(line.trim_end()[8..].trim().trim_matches(['<', '>']).to_owned());
                            b"250 OK\r\n"
                        } else if command.starts_with("DATA") {
                            let _ = write.write_all(b"354 go ahead\r\n").await;
                            let mut data = String::new();
                            loop {
                                let mut part = String::new();
                                if lines.read_line(&mut part).await.unwrap_or(0) == 0 || part == ".\r\n" {
                                    break;
                                }
                                data.push_str(&part);
                            }
                            seen.lock().unwrap().push(Mail { to: std::mem::take(&mut to), data });
                            b"250 queued\r\n"
                        } else if command.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 OK\r\n"
                        };
                        let _ = write.write_all(answer).await;
                    }
                });
            }
        });
        SmtpReceiver { url, got, task }
    }

    fn received(&self) -> Vec<Mail> {
        self.got.lock().unwrap().clone()
    }
}

impl Drop for SmtpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn a_proposal_is_mailed_in_the_guardians_language_and_a_decision_to_the_other_side() {
    for db in backends().await {
        district(&db, 3, 2).await;
        let smtp = SmtpReceiver::start().await;
        let mailer = Mailer::new(&smtp.url, "partnermatch <no-reply@district.example.org>").unwrap();
        let hooks = HookSettings {
            allow_private: true,
            dispatch_every: None,
            mailer: Some(mailer.clone()),
            extra_roots: Vec::new(),
        };
        let server = TestServer::start_hooks(db, false, KeySource::Hs256(SECRET.to_vec()), hooks).await;
        let name = server.db.name;
        let sch1 = counselor("sch-1");
        let guardians = r#"mutation { updateStudent(id: "s-1", input: {guardians: [
            {name: "Rosa Díaz", relationship: "mother", email: "rosa@example.com", language: "es"},
            {name: "No Mail", relationship: "uncle"}]}) { id guardians { name language } } }"#;
        let updated = server.query(Some(&sch1), guardians).await;
        no_errors(&updated);
        assert_eq!(updated["data"]["updateStudent"]["guardians"][0]["language"], "es", "{name}");
        let bad = r#"mutation { updateStudent(id: "s-1", input: {guardians: [{name: "X", language: "spanish"}]}) { id } }"#;
        assert_eq!(
            crate::gql::field(&server.query(Some(&sch1), bad).await),
            "input.guardians[0].language",
            "{name}"
        );

        // Without SMTP a dispatcher writes no mail, even for events it fans out.
        let silent = Dispatcher::new(server.db.store.clone(), true);
        let warmup = server
            .query(Some(&sch1), r#"mutation { proposeMatch(studentId: "s-2", openingId: "o-1") { id } }"#)
            .await;
        no_errors(&warmup);
        silent.tick(Utc::now()).await.unwrap();
        let conn = server.db.store.db().clone();
        assert_eq!(mail_deliveries::Entity::find().count(&conn).await.unwrap(), 0, "{name}");

        let dispatcher = Dispatcher::new(server.db.store.clone(), true).with_mailer(Some(mailer));
        let picked = server.query(Some(&sch1), r#"mutation { proposeMatch(studentId: "s-1", openingId: "o-1") { id sessions { day start end } } }"#).await;
        no_errors(&picked);
        let match_id = picked["data"]["proposeMatch"]["id"].as_str().unwrap().to_owned();
        let tick = dispatcher.tick(Utc::now()).await.unwrap();
        assert_eq!(
            tick.mailed, 2,
            "{name}: the guardian with an address and the partner's contact: {tick:?}"
        );
        let got = smtp.received();
        let to_family =
            got.iter().find(|mail| mail.to == ["rosa@example.com"]).expect("mail to the guardian");
        let headers = to_family.headers();
        assert_eq!(headers["content-language"], "es", "{name}");
        assert!(headers["subject"].starts_with("Una propuesta para Maria"), "{name}: {}", headers["subject"]);
        assert!(headers["from"].contains("no-reply@district.example.org"));
        assert!(headers["content-type"].starts_with("multipart/alternative"), "{headers:?}");
        let plain = to_family.part("text/plain");
        for expected in [
            "Hola, Rosa Díaz:",
            "Por qué: habla español",
            "los martes",
            "Cómo responder",
            "Mis emparejamientos",
        ] {
            assert!(plain.contains(expected), "{name}: {expected:?} in {plain}");
        }
        let html = to_family.part("text/html");
        assert!(html.contains("<html lang=\"es\">") && html.contains("Cómo responder"), "{html}");
        let to_partner = got.iter().find(|mail| mail.to == ["p-1@example.org"]).expect("mail to the partner");
        assert_eq!(to_partner.headers()["content-language"], "en");
        let plain = to_partner.part("text/plain");
        assert!(plain.contains("Maria (grade") && plain.contains("Matches"), "{name}: {plain}");
        assert!(!plain.contains("Lopez"), "{name}: a partner never reads a last name: {plain}");
        // The partner's mail is a disclosure.
        let log = server
            .query(
                Some(&admin()),
                "{ disclosures(first: 100) { edges { node { studentId operation fields } } } }",
            )
            .await;
        assert!(
            log["data"]["disclosures"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .any(|edge| edge["node"]["studentId"] == "s-1"
                    && edge["node"]["operation"] == "mail MATCH_PROPOSED"),
            "{name}: {log}"
        );

        // The partner accepts: the family is told, in Spanish; the partner is not.
        let accept =
            format!(r#"mutation {{ respondToMatch(id: "{match_id}", decision: ACCEPT) {{ status }} }}"#);
        no_errors(&server.query(Some(&partner("p-1")), &accept).await);
        let tick = dispatcher.tick(Utc::now()).await.unwrap();
        assert_eq!(tick.mailed, 1, "{name}: {tick:?}");
        let got = smtp.received();
        let told = got.last().unwrap();
        assert_eq!(told.to, ["rosa@example.com"], "{name}");
        assert!(told.headers()["subject"].contains("aceptó"), "{name}: {:?}", told.headers());
        // The family declines: the partner is told, in English.
        let decline = format!(
            r#"mutation {{ respondToMatch(id: "{match_id}", decision: DECLINE, reason: "schedule") {{ status }} }}"#
        );
        no_errors(&server.query(Some(&sch1), &decline).await);
        dispatcher.tick(Utc::now()).await.unwrap();
        let told = smtp.received().last().unwrap().clone();
        assert_eq!(told.to, ["p-1@example.org"], "{name}");
        assert!(told.headers()["subject"].contains("declined"), "{name}: {:?}", told.headers());
        assert_eq!(dispatcher.tick(Utc::now()).await.unwrap().mailed, 0, "{name}: each mail once");
        server.stop().await;
    }
}
