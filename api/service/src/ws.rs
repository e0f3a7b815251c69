//! Operations over a websocket, as the graphql-transport-ws protocol has them (what
//! the `graphql-ws` client, GraphiQL and Apollo speak). Written here rather than
//! taken from async-graphql's actor so that refusals close with the protocol's
//! codes (4401 without a valid token, 4403 for a forbidden subscription, 4400 for a
//! bad message) and a client's close is answered, not dropped.
//!
//! Each operation runs on its own task and sends its own messages; the connection's
//! loop reads the client, starts and stops operations, and keeps the link alive.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Session};
use async_graphql::parser::types::OperationType;
use async_graphql::{Response, ServerError};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::auth::{Verifier, Viewer};
use crate::graphql::error::ApiError;
use crate::graphql::limits::{self, Exceeded, Limit};
use crate::graphql::{MAX_BODY_BYTES, Schemas};

/// The one subprotocol spoken.
const PROTOCOL: &str = "graphql-transport-ws";
/// How long a client has to send `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the server pings, and how long a silent client is kept.
const HEARTBEAT: Duration = Duration::from_secs(15);
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Operations running at once on one connection: each holds a task and may poll
/// the database.
pub const MAX_OPERATIONS: usize = 16;

/// The protocol's close codes.
mod close {
    pub const BAD_MESSAGE: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const SUBPROTOCOL: u16 = 4406;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_INITS: u16 = 4429;
}

/// What a client may send.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        payload: Option<Value>,
    },
    Pong {
        #[allow(dead_code)]
        #[serde(default)]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        // Boxed: a request is far larger than the other messages.
        payload: Box<async_graphql::Request>,
    },
    Complete {
        id: String,
    },
}

/// Upgrades `request` and serves the connection on its own task.
pub fn start(
    request: &HttpRequest,
    body: web::Payload,
    schemas: Schemas,
    verifier: Arc<Verifier>,
) -> actix_web::Result<HttpResponse> {
    let offered = request
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let speaks = offered.is_empty() || offered.contains(&PROTOCOL);
    let (mut response, session, stream) = actix_ws::handle(request, body)?;
    if !offered.is_empty() && speaks {
        response.headers_mut().insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(PROTOCOL));
    }
    let stream =
        stream.max_frame_size(MAX_BODY_BYTES).aggregate_continuations().max_continuation_size(MAX_BODY_BYTES);
    let connection = Connection { session, schemas, verifier, viewer: None, operations: HashMap::new() };
    actix_web::rt::spawn(async move {
        if speaks {
            connection.run(stream).await;
        } else {
            connection
                .end(close::SUBPROTOCOL, "Subprotocol not acceptable: speak graphql-transport-ws")
                .await;
        }
    });
    Ok(response)
}

struct Connection {
    session: Session,
    schemas: Schemas,
    verifier: Arc<Verifier>,
    /// Set once `connection_init` carried a valid token.
    viewer: Option<Viewer>,
    operations: HashMap<String, JoinHandle<()>>,
}

/// What the loop does after a message.
enum Next {
    Go,
    Close(u16, String),
    /// The client closed (or the link broke): answer its close, if any, and stop.
    Gone(Option<CloseReason>),
}

impl Connection {
    async fn run(mut self, mut stream: actix_ws::AggregatedMessageStream) {
        let opened = Instant::now();
        let mut last_heard = Instant::now();
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.tick().await;
        let outcome = loop {
            let waiting_for_init = self.viewer.is_none();
            let init_deadline = tokio::time::Instant::from_std(opened + INIT_TIMEOUT);
            tokio::select! {
                message = stream.next() => {
                    last_heard = Instant::now();
                    let next = match message {
                        None => Next::Gone(None),
                        Some(Err(err)) => Next::Close(close::BAD_MESSAGE, format!("Invalid message received: {err}")),
                        Some(Ok(message)) => self.handle(message).await,
                    };
                    match next {
                        Next::Go => {}
                        other => break other,
                    }
                }
                _ = tokio::time::sleep_until(init_deadline), if waiting_for_init => {
                    break Next::Close(close::INIT_TIMEOUT, "Connection initialisation timeout".to_owned());
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > IDLE_TIMEOUT {
                        break Next::Close(CloseCode::Away.into(), "no answer to pings".to_owned());
                    }
                    if self.session.ping(b"").await.is_err() {
                        break Next::Gone(None);
                    }
                }
            }
        };
        for (_, operation) in self.operations.drain() {
            operation.abort();
        }
        match outcome {
            Next::Close(code, reason) => self.end(code, &reason).await,
            Next::Gone(reason) => {
                // Echo the client's close (RFC 6455 5.5.1); a 1005 "no code" is not sent back.
                let echoed = reason.filter(|reason| u16::from(reason.code) != 1005);
                let _ = self.session.close(echoed.or(Some(CloseCode::Normal.into()))).await;
            }
            Next::Go => {}
        }
    }

    async fn end(self, code: u16, reason: &str) {
        let _ = self.session.close(Some(close_reason(code, reason))).await;
    }

    async fn handle(&mut self, message: AggregatedMessage) -> Next {
        let text = match message {
            AggregatedMessage::Text(text) => text,
            AggregatedMessage::Binary(_) => {
                return Next::Close(
                    close::BAD_MESSAGE,
                    "Invalid message received: binary frames are not spoken".into(),
                );
            }
            AggregatedMessage::Ping(bytes) => {
                return if self.session.pong(&bytes).await.is_ok() { Next::Go } else { Next::Gone(None) };
            }
            AggregatedMessage::Pong(_) => return Next::Go,
            AggregatedMessage::Close(reason) => return Next::Gone(reason),
        };
        let message: ClientMessage = match serde_json::from_str(&text) {
            Ok(message) => message,
            Err(err) => return Next::Close(close::BAD_MESSAGE, format!("Invalid message received: {err}")),
        };
        match message {
            ClientMessage::ConnectionInit { payload } => self.init(payload).await,
            ClientMessage::Ping { payload } => {
                let pong = match payload {
                    Some(payload) => json!({"type": "pong", "payload": payload}),
                    None => json!({"type": "pong"}),
                };
                self.send(&pong).await
            }
            ClientMessage::Pong { .. } => Next::Go,
            ClientMessage::Subscribe { id, payload } => self.subscribe(id, *payload).await,
            ClientMessage::Complete { id } => {
                if let Some(operation) = self.operations.remove(&id) {
                    operation.abort();
                }
                Next::Go
            }
        }
    }

    /// A token is required: the API has nothing for a caller without one.
    async fn init(&mut self, payload: Option<Value>) -> Next {
        if self.viewer.is_some() {
            return Next::Close(close::TOO_MANY_INITS, "Too many initialisation requests".into());
        }
        let payload = payload.unwrap_or(Value::Null);
        let token = ["Authorization", "authorization"]
            .iter()
            .find_map(|key| payload.get(*key).and_then(Value::as_str));
        match self.verifier.verify(token) {
            Ok(viewer) => {
                self.viewer = Some(viewer);
                self.send(&json!({"type": "connection_ack"})).await
            }
            Err(err) => {
                Next::Close(close::UNAUTHORIZED, format!("Unauthorized: {}", ApiError::from(err).message))
            }
        }
    }

    async fn subscribe(&mut self, id: String, request: async_graphql::Request) -> Next {
        let Some(viewer) = self.viewer.clone() else {
            return Next::Close(close::UNAUTHORIZED, "Unauthorized".into());
        };
        self.operations.retain(|_, operation| !operation.is_finished());
        if self.operations.contains_key(&id) {
            return Next::Close(close::DUPLICATE_ID, format!("Subscriber for {id} already exists"));
        }
        if self.operations.len() >= MAX_OPERATIONS {
            let exceeded =
                Exceeded { limit: Limit::Operations, max: MAX_OPERATIONS, found: MAX_OPERATIONS + 1 };
            return self
                .send(&json!({"id": id, "type": "error", "payload": [exceeded.to_server_error()]}))
                .await;
        }
        let operation = Operation {
            id: id.clone(),
            session: self.session.clone(),
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
        };
        let stream = self.schemas.execute_stream(request, viewer);
        self.operations.insert(id, actix_web::rt::spawn(operation.run(stream)));
        Next::Go
    }

    async fn send(&mut self, message: &Value) -> Next {
        if self.session.text(message.to_string()).await.is_ok() { Next::Go } else { Next::Gone(None) }
    }
}

/// One running operation's messages.
struct Operation {
    id: String,
    session: Session,
    /// The request's text, read again only if it is refused.
    query: String,
    operation_name: Option<String>,
}

impl Operation {
    async fn run(mut self, mut stream: futures_util::stream::BoxStream<'static, Response>) {
        let mut first = true;
        while let Some(response) = stream.next().await {
            if first && response.data == async_graphql::Value::Null && !response.errors.is_empty() {
                // A subscription its viewer may not see ends the connection, as the
                // protocol has it; a request refused before it ran is an `error`.
                if kind_of(&self.query, self.operation_name.as_deref()) == Some(OperationType::Subscription)
                    && let Some(error) = response.errors.iter().find(|error| has_code(error, "FORBIDDEN"))
                {
                    let _ = self.session.close(Some(close_reason(close::FORBIDDEN, &error.message))).await;
                    return;
                }
                if response.errors.iter().all(|error| error.path.is_empty()) {
                    let _ =
                        self.send(&json!({"id": self.id, "type": "error", "payload": response.errors})).await;
                    return;
                }
            }
            first = false;
            let payload = serde_json::to_value(&response).unwrap_or(Value::Null);
            if !self.send(&json!({"id": self.id, "type": "next", "payload": payload})).await {
                return;
            }
        }
        let _ = self.send(&json!({"id": self.id, "type": "complete"})).await;
    }

    async fn send(&mut self, message: &Value) -> bool {
        self.session.text(message.to_string()).await.is_ok()
    }
}

fn has_code(error: &ServerError, code: &str) -> bool {
    error
        .extensions
        .as_ref()
        .and_then(|extensions| extensions.get("code"))
        .is_some_and(|value| *value == async_graphql::Value::from(code))
}

/// The type of the operation a request runs, when its text can be read safely
/// (within the limits; otherwise the engine refuses it anyway).
fn kind_of(query: &str, operation_name: Option<&str>) -> Option<OperationType> {
    limits::check_text(query).ok()?;
    let document = async_graphql::parser::parse_query(query).ok()?;
    limits::operation_kind(&document, operation_name)
}

/// A close frame's reason is at most 123 bytes.
fn close_reason(code: u16, reason: &str) -> CloseReason {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    CloseReason { code: CloseCode::from(code), description: Some(reason[..end].to_owned()) }
}
