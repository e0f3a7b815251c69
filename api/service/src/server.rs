//! The HTTP service: `POST /graphql`, GraphiQL at `GET /graphql`, subscriptions
//! over websocket at `GET /graphql` (graphql-transport-ws), `GET /healthz`.
//! actix-web handles SIGINT and SIGTERM with a graceful shutdown (in-flight requests
//! finish). Every response carries an `x-request-id`; the access log line names
//! method, path, status and time, never a body (student data stays out of logs).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, guard, web};
use async_graphql::BatchRequest;
use tracing::Instrument;

use crate::auth::Verifier;
use crate::auth::Viewer;
use crate::export;
use crate::graphql::error::{ApiError, Code, refusal};
use crate::graphql::limits::{Exceeded, Limit};
use crate::graphql::{Deadline, MAX_BATCH, MAX_BODY_BYTES, Schemas};
use crate::runner::Runner;
use store::Store;

/// What the service runs on.
pub struct Service {
    /// The database.
    pub store: Store,
    /// Checks bearer tokens.
    pub verifier: Verifier,
    /// `--demo`: introspection and suggestions for everyone.
    pub demo: bool,
    /// The console's sign-in buttons for the demo people (`--demo` with HS256 only).
    pub demo_sign_in: Option<crate::console::DemoSignIn>,
    /// How long a match run's lease lasts unless its node renews it.
    pub run_lease: std::time::Duration,
    /// Origins whose pages may call the API (none by default).
    pub cors: crate::cors::AllowedOrigins,
    /// Which hook URLs may be registered, and how often this node delivers.
    pub hooks: crate::notify::HookSettings,
}

struct State {
    store: Store,
    verifier: std::sync::Arc<Verifier>,
    schemas: Schemas,
}

/// A started server.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Stops it.
    pub handle: ServerHandle,
    /// Ends when the server has stopped.
    pub done: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Fails runs whose node stopped renewing their lease.
    pub sweeper: tokio::task::JoinHandle<()>,
    /// Delivers the outbox (none when the settings say this node does not).
    pub dispatcher: Option<tokio::task::JoinHandle<()>>,
}

/// Binds `bind` (port 0: any free port) and serves until stopped.
pub async fn start(service: Service, bind: &str) -> std::io::Result<Running> {
    let runner = Runner::new(service.store.clone(), service.run_lease);
    let sweeper = runner.sweep(service.run_lease / 2);
    let dispatcher = service.hooks.dispatch_every.map(|every| {
        crate::notify::Dispatcher::new(service.store.clone(), service.hooks.allow_private)
            .with_roots(&service.hooks.extra_roots)
            .with_mailer(service.hooks.mailer.clone())
            .spawn(every)
    });
    let schemas = Schemas::new(service.store.clone(), runner, service.hooks, service.demo);
    let demo = web::Data::new(service.demo_sign_in);
    let state = web::Data::new(State {
        store: service.store,
        verifier: std::sync::Arc::new(service.verifier),
        schemas,
    });
    let cors = web::Data::new(service.cors);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            // Larger bodies are refused with 413 before any parsing.
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .app_data(cors.clone())
            .app_data(demo.clone())
            .wrap(from_fn(crate::cors::middleware))
            .wrap(from_fn(request_id))
            .route("/graphql", web::post().to(graphql))
            .route("/graphql", web::get().guard(guard::Header("upgrade", "websocket")).to(subscriptions))
            .route("/graphql", web::get().to(crate::graphiql::page))
            .route(crate::graphiql::ASSETS_PATH, web::get().to(crate::graphiql::asset))
            .route("/", web::get().to(crate::console::page))
            .route("/console/demo", web::get().to(crate::console::demo_roles))
            .route("/console/demo-token", web::post().to(crate::console::demo_token))
            .route(crate::console::ASSETS_PATH, web::get().to(crate::console::asset))
            .route("/healthz", web::get().to(healthz))
            .route("/export/{file}", web::get().to(export))
    })
    .workers(2)
    .bind(bind)?;
    let addr = server.addrs().first().copied().ok_or_else(|| std::io::Error::other("bound to no address"))?;
    let server = server.run();
    let handle = server.handle();
    let done = tokio::spawn(server);
    Ok(Running { addr, handle, done, sweeper, dispatcher })
}

/// A graphql-transport-ws connection ([`crate::ws`]): the bearer token comes in the
/// `connection_init` payload (`{"Authorization": "Bearer …"}`).
async fn subscriptions(
    state: web::Data<State>,
    request: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    crate::ws::start(&request, payload, state.schemas.clone(), state.verifier.clone())
}

/// The viewer of a request's one `Authorization` header (None without one); a bad
/// token, or several headers, is refused with `status_for_bad_token`.
fn bearer(
    state: &State,
    request: &HttpRequest,
    status_for_bad_token: actix_web::http::StatusCode,
) -> Result<Option<Viewer>, Box<HttpResponse>> {
    let mut tokens = request.headers().get_all(header::AUTHORIZATION);
    match (tokens.next(), tokens.next()) {
        (None, _) => Ok(None),
        (Some(_), Some(_)) => {
            let refused = ApiError::unauthenticated("send one Authorization header, not several");
            Err(Box::new(HttpResponse::Unauthorized().json(refusal(&refused))))
        }
        (Some(value), None) => {
            state.verifier.verify(Some(value.to_str().unwrap_or("\u{0}"))).map(Some).map_err(|err| {
                Box::new(HttpResponse::build(status_for_bad_token).json(refusal(&ApiError::from(err))))
            })
        }
    }
}

async fn graphql(state: web::Data<State>, request: HttpRequest, payload: web::Payload) -> HttpResponse {
    // One deadline for the whole request: a batch does not get ten seconds per operation.
    let deadline = Deadline::from_now();
    let viewer = match bearer(&state, &request, actix_web::http::StatusCode::OK) {
        Ok(viewer) => viewer,
        Err(refused) => return *refused,
    };
    let body = match read_body(&request, payload).await {
        Ok(body) => body,
        Err(refused) => return *refused,
    };
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(err) => {
            let refused = ApiError::bad_input("body", format!("not a GraphQL request: {err}"));
            return HttpResponse::BadRequest().json(refusal(&refused));
        }
    };
    match batch {
        BatchRequest::Single(one) => {
            HttpResponse::Ok().json(state.schemas.execute(one, viewer, deadline).await)
        }
        BatchRequest::Batch(many) if many.len() > MAX_BATCH => {
            let exceeded = Exceeded { limit: Limit::Batch, max: MAX_BATCH, found: many.len() };
            HttpResponse::Ok().json(async_graphql::Response::from_errors(vec![exceeded.to_server_error()]))
        }
        BatchRequest::Batch(many) => {
            let mut responses = Vec::with_capacity(many.len());
            for one in many {
                responses.push(state.schemas.execute(one, viewer.clone(), deadline).await);
            }
            HttpResponse::Ok().json(responses)
        }
    }
}

/// The request body, up to [`MAX_BODY_BYTES`]; a larger one is refused with a JSON
/// 413 before any of it is parsed (a declared length is refused before reading).
async fn read_body(
    request: &HttpRequest,
    mut payload: web::Payload,
) -> Result<web::Bytes, Box<HttpResponse>> {
    use futures_util::StreamExt;
    let too_large = |found: usize| {
        let exceeded = Exceeded { limit: Limit::BodyBytes, max: MAX_BODY_BYTES, found };
        let response = async_graphql::Response::from_errors(vec![exceeded.to_server_error()]);
        Box::new(HttpResponse::PayloadTooLarge().json(response))
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if let Some(declared) = declared.filter(|declared| *declared > MAX_BODY_BYTES) {
        return Err(too_large(declared));
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| {
            let refused = ApiError::bad_input("body", format!("the request body could not be read: {err}"));
            Box::new(HttpResponse::BadRequest().json(refusal(&refused)))
        })?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large(body.len() + chunk.len()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// How long `/healthz` waits for the database: probes give up after a few seconds.
const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// `GET /export/{matches,unmatched,report}.csv` with the API's bearer token.
async fn export(
    state: web::Data<State>,
    request: HttpRequest,
    file: web::Path<String>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> HttpResponse {
    let viewer = match bearer(&state, &request, actix_web::http::StatusCode::UNAUTHORIZED) {
        Ok(Some(viewer)) => viewer,
        Ok(None) => {
            let refused = ApiError::unauthenticated("a bearer token is required");
            return HttpResponse::Unauthorized().json(refusal(&refused));
        }
        Err(refused) => return *refused,
    };
    let schemas = &state.schemas;
    let made = match file.as_str() {
        "matches.csv" => export::matches(schemas, viewer).await,
        "report.csv" => export::report(schemas, viewer).await,
        "unmatched.csv" => match query.get("run") {
            Some(run) => export::unmatched(schemas, viewer, run).await,
            None => Err(ApiError::bad_input("run", "name the run: unmatched.csv?run=ID")),
        },
        _ => Err(ApiError::new(Code::NotFound, "no such export: matches.csv, unmatched.csv or report.csv")),
    };
    match made {
        Ok(csv) => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")))
            .body(csv),
        Err(err) => {
            let status = match err.code {
                Code::Unauthenticated => actix_web::http::StatusCode::UNAUTHORIZED,
                Code::Forbidden => actix_web::http::StatusCode::FORBIDDEN,
                Code::NotFound => actix_web::http::StatusCode::NOT_FOUND,
                Code::BadUserInput => actix_web::http::StatusCode::BAD_REQUEST,
                Code::Conflict => actix_web::http::StatusCode::CONFLICT,
                Code::Internal => actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            };
            HttpResponse::build(status).json(refusal(&err))
        }
    }
}

async fn healthz(state: web::Data<State>) -> HttpResponse {
    let answer = match tokio::time::timeout(HEALTH_TIMEOUT, state.store.ping()).await {
        Ok(answer) => answer.map_err(|err| err.to_string()),
        Err(_) => Err(format!("no answer within {} s", HEALTH_TIMEOUT.as_secs())),
    };
    match answer {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        Err(cause) => {
            tracing::error!(error = %cause, "health check: the database does not answer");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "database unavailable"}))
        }
    }
}

/// Names each request (`x-request-id`, kept when the caller sent a sane one) and
/// logs its outcome.
async fn request_id(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let given = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_owned);
    let id = given.unwrap_or_else(|| format!("req-{:08x}", NEXT.fetch_add(1, Ordering::Relaxed)));
    let (method, path, started) = (request.method().clone(), request.path().to_owned(), Instant::now());
    let span = tracing::info_span!("request", id = %id);
    let mut response = next.call(request).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
    }
    span.in_scope(|| {
        tracing::info!(
            %method,
            %path,
            status = response.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "served"
        )
    });
    Ok(response)
}
