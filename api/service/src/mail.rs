//! Mail about matches (docs/api.md "Notifications"): a proposal to the student's
//! guardians and the partner's contact, a decision to the other side, written in the
//! guardian's language where the service writes it (English and Spanish), as plain
//! text and HTML, sent over SMTP with `lettre` from the same outbox as webhooks.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use store::notify::{EventKind, MailDue, Recipient};
use store::read::StoredOpening;
use store::records::{Guardian, Match, Partner, Student};

use crate::graphql::types::suggestion::{Facts, Language, describe_sessions, explain};

/// Where mail goes: `PARTNERMATCH_SMTP_URL` and the sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `url` (`smtp://host:port`, plain; `smtps://host:port`, TLS)
    /// sending as `from`.
    ///
    /// # Errors
    /// Why the URL or the sender cannot be used, for the configuration error.
    pub fn new(url: &str, from: &str) -> Result<Mailer, String> {
        let parsed =
            url::Url::parse(url).map_err(|err| format!("PARTNERMATCH_SMTP_URL: not a URL: {err}"))?;
        let host = parsed.host_str().ok_or("PARTNERMATCH_SMTP_URL names no host")?;
        let builder = match parsed.scheme() {
            // Plain SMTP: a relay on the district's own network (or loopback).
            "smtp" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                .port(parsed.port().unwrap_or(25)),
            // SMTP over TLS from the first byte, the certificate checked against Mozilla's roots.
            "smtps" => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|err| format!("PARTNERMATCH_SMTP_URL: {err}"))?
                .port(parsed.port().unwrap_or(465)),
            other => {
                return Err(format!(
                    "PARTNERMATCH_SMTP_URL: {other}: use smtp://host:port or smtps://host:port"
                ));
            }
        };
        let mut builder = builder.timeout(Some(std::time::Duration::from_secs(10)));
        if !parsed.username().is_empty() {
            let user = percent_decode(parsed.username());
            let password = percent_decode(parsed.password().unwrap_or_default());
            builder = builder
                .credentials(lettre::transport::smtp::authentication::Credentials::new(user, password));
        }
        let from: Mailbox = from
            .parse()
            .map_err(|err| format!("PARTNERMATCH_MAIL_FROM: {from:?} is not a mailbox: {err}"))?;
        Ok(Mailer { transport: builder.build(), from })
    }

    /// Sends one message.
    ///
    /// # Errors
    /// What the SMTP server (or the way to it) said.
    pub async fn send(&self, message: Message) -> Result<(), String> {
        self.transport.send(message).await.map(|_| ()).map_err(|err| err.to_string())
    }

    /// The sender.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%'
            && at + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[at + 1..at + 3], 16)
        {
            out.push(byte);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Everything a mail about a match says.
pub struct About<'a> {
    /// The match.
    pub matched: &'a Match,
    /// Its student, with guardians.
    pub student: &'a Student,
    /// Its opening.
    pub opening: &'a StoredOpening,
    /// The opening's partner.
    pub partner: &'a Partner,
}

/// The language a mail to `due`'s recipient is written in: the guardian's, else the
/// student's preferred one, where the service writes it; English otherwise (and
/// always for a partner, whose language the service does not know).
pub fn language_for(due: &MailDue, about: &About<'_>) -> Language {
    match due.recipient {
        Recipient::Partner => Language::English,
        Recipient::Guardian => {
            let guardian: Option<&Guardian> = about
                .student
                .guardians
                .iter()
                .find(|guardian| guardian.email.as_deref() == Some(&due.to_address));
            let code = guardian
                .and_then(|guardian| guardian.language.clone())
                .or_else(|| due.language.clone())
                .or_else(|| about.student.matching.languages.first().cloned())
                .unwrap_or_default();
            Language::of(&code).unwrap_or(Language::English)
        }
    }
}

/// The message for `due` about `about`, from `from`.
///
/// # Errors
/// An address that does not parse, or a message lettre refuses to build.
pub fn compose(due: &MailDue, about: &About<'_>, from: &Mailbox) -> Result<Message, String> {
    let language = language_for(due, about);
    let (subject, lines) = text_of(due, about, language);
    let plain = lines.join("\n\n");
    let html = html_of(&subject, &lines, language);
    let to = Mailbox::new(
        Some(due.to_name.clone()),
        due.to_address.parse().map_err(|err| format!("{}: {err}", due.to_address))?,
    );
    let code = match language {
        Language::English => "en",
        Language::Spanish => "es",
    };
    let mut builder = Message::builder().from(from.clone()).to(to).subject(subject);
    builder = builder
        .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Content-Language"), code.to_owned()));
    builder = builder
        .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("X-Partnermatch-Mail"), due.id.clone()));
    builder
        .multipart(
            MultiPart::alternative().singlepart(SinglePart::plain(plain)).singlepart(SinglePart::html(html)),
        )
        .map_err(|err| err.to_string())
}

/// The subject and the paragraphs.
fn text_of(due: &MailDue, about: &About<'_>, language: Language) -> (String, Vec<String>) {
    let title = about
        .opening
        .opening
        .title
        .clone()
        .unwrap_or_else(|| kind_words(about.matched.kind.as_str(), language));
    let partner = &about.partner.name;
    let first_name = &about.student.first_name;
    let (travel, shared, subjects) = store::suggest::pair_facts(
        &about.student.matching,
        about.matched.kind,
        &about.opening.opening.matching,
    );
    let facts = Facts::new(shared, travel, about.matched.sessions.clone(), subjects);
    let why = explain(&facts, language);
    let when = describe_sessions(&about.matched.sessions, language);
    let where_ = if about.opening.opening.matching.r#virtual {
        match language {
            Language::English => "Online.".to_owned(),
            Language::Spanish => "En línea.".to_owned(),
        }
    } else {
        let place = about.opening.opening.matching.place;
        let at = place.map(|p| format!("{:.4}, {:.4}", p.lat(), p.lon())).unwrap_or_default();
        match language {
            Language::English => format!(
                "In person, at {at} (map: https://www.openstreetmap.org/?mlat={}&mlon={})",
                place.map(|p| p.lat()).unwrap_or_default(),
                place.map(|p| p.lon()).unwrap_or_default()
            ),
            Language::Spanish => format!(
                "En persona, en {at} (mapa: https://www.openstreetmap.org/?mlat={}&mlon={})",
                place.map(|p| p.lat()).unwrap_or_default(),
                place.map(|p| p.lon()).unwrap_or_default()
            ),
        }
    };
    let greeting = match language {
        Language::English => format!("Hello {},", due.to_name),
        Language::Spanish => format!("Hola, {}:", due.to_name),
    };
    let decided = |accepted: &str, declined: &str| {
        if due.event == EventKind::MatchDeclined { declined.to_owned() } else { accepted.to_owned() }
    };
    match (due.recipient, due.event, language) {
        (Recipient::Guardian, EventKind::MatchProposed, Language::English) => (
            format!("A match for {first_name}: {title} with {partner}"),
            vec![
                greeting,
                format!("{first_name} has been proposed for {title} with {partner}."),
                format!("Why: {why}."),
                format!("Where: {where_}"),
                format!("When: {when}."),
                "How to answer: sign in to partnermatch and open My matches to accept or decline, \
                 or tell {first_name}'s school counselor."
                    .replace("{first_name}", first_name),
            ],
        ),
        (Recipient::Guardian, EventKind::MatchProposed, Language::Spanish) => (
            format!("Una propuesta para {first_name}: {title} con {partner}"),
            vec![
                greeting,
                format!("Proponemos a {first_name} para {title} con {partner}."),
                format!("Por qué: {why}."),
                format!("Dónde: {where_}"),
                format!("Cuándo: {when}."),
                format!(
                    "Cómo responder: entre en partnermatch y abra Mis emparejamientos para aceptar o rechazar, \
                     o dígaselo al consejero escolar de {first_name}."
                ),
            ],
        ),
        (Recipient::Guardian, _, Language::English) => (
            format!("{partner} {} the match for {first_name}", decided("accepted", "declined")),
            vec![
                greeting,
                format!(
                    "{partner} has {} the match of {first_name} with {title}.",
                    decided("accepted", "declined")
                ),
                format!("When: {when}."),
                "Sign in to partnermatch to see what happens next, or ask the school counselor.".to_owned(),
            ],
        ),
        (Recipient::Guardian, _, Language::Spanish) => (
            format!("{partner} {} la propuesta para {first_name}", decided("aceptó", "rechazó")),
            vec![
                greeting,
                format!(
                    "{partner} ha {} la propuesta de {first_name} para {title}.",
                    decided("aceptado", "rechazado")
                ),
                format!("Cuándo: {when}."),
                "Entre en partnermatch para ver los siguientes pasos, o pregunte al consejero escolar."
                    .to_owned(),
            ],
        ),
        (Recipient::Partner, EventKind::MatchProposed, _) => (
            format!("A student was proposed for {title}"),
            vec![
                format!("Hello {},", due.to_name),
                format!(
                    "{first_name} (grade {}) has been proposed for your opening {title}.",
                    about.student.matching.grade.get()
                ),
                format!("Sessions: {}.", describe_sessions(&about.matched.sessions, Language::English)),
                "How to answer: sign in to partnermatch and open Matches to accept or decline.".to_owned(),
            ],
        ),
        (Recipient::Partner, _, _) => (
            format!("{first_name}'s family {} {title}", decided("accepted", "declined")),
            vec![
                format!("Hello {},", due.to_name),
                format!(
                    "The family of {first_name} (grade {}) has {} the match with your opening {title}.",
                    about.student.matching.grade.get(),
                    decided("accepted", "declined")
                ),
                "Sign in to partnermatch to see the match.".to_owned(),
            ],
        ),
    }
}

fn kind_words(kind: &str, language: Language) -> String {
    match (kind, language) {
        ("TUTORING", Language::English) => "tutoring",
        ("MENTORING", Language::English) => "mentoring",
        ("INTERNSHIP", Language::English) => "an internship",
        ("TUTORING", Language::Spanish) => "tutorías",
        ("MENTORING", Language::Spanish) => "mentoría",
        ("INTERNSHIP", Language::Spanish) => "unas prácticas",
        (other, _) => other,
    }
    .to_owned()
}

/// The HTML part: the same paragraphs, escaped.
fn html_of(subject: &str, lines: &[String], language: Language) -> String {
    let code = match language {
        Language::English => "en",
        Language::Spanish => "es",
    };
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>\n",
        escape(subject)
    );
    for line in lines {
        html.push_str(&format!("<p>{}</p>\n", escape(line)));
    }
    html.push_str("</body></html>\n");
    html
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_urls_decode() {
        assert_eq!(escape("<b>Tom & \"Jerry\"</b>"), "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;");
        assert_eq!(percent_decode("a%40b%2Fc"), "a@b/c");
        assert_eq!(percent_decode("100%"), "100%");
        assert!(Mailer::new("imap://mail.example.org", "a@b.org").unwrap_err().contains("smtps://"));
        assert!(Mailer::new("smtps://mail.example.org", "a@b.org").is_ok());
        assert!(Mailer::new("smtp://127.0.0.1:2525", "not a mailbox").unwrap_err().contains("MAIL_FROM"));
        assert!(Mailer::new("smtp://127.0.0.1:2525", "partnermatch <no-reply@example.org>").is_ok());
    }
}
