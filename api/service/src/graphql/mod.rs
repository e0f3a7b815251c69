//! The GraphQL schema and the rules every request meets before a resolver runs
//! (API.md "Limits"): query size, aliases, depth, complexity, batch size, time.
//!
//! - [`error`]: the one mapping to `extensions.code`.
//! - [`limits`]: the request limits, an extension every transport passes through.
//! - [`access`]: who may see and do what (the one place that decides).
//! - [`connection`]: Relay pages.
//! - [`query`]: `viewer`; [`records`]: partners, agreements, openings;
//!   [`people`]: schools and students; [`matching`]: matches and their lifecycle;
//!   [`runs`]: match runs and their progress subscription.

pub mod access;
pub mod connection;
pub mod error;
pub mod limits;
pub mod matching;
pub mod people;
pub mod query;
pub mod records;
pub mod report;
pub mod runs;
pub mod suggest;

use async_graphql::{MergedObject, Schema};

use crate::auth::Viewer;
use crate::runner::Runner;
use error::ApiError;
use store::Store;

/// The root of every read.
#[derive(Default, MergedObject)]
pub struct Query(
    query::ViewerQuery,
    records::RecordsQuery,
    people::PeopleQuery,
    matching::MatchQuery,
    report::ReportQuery,
    suggest::SuggestQuery,
    runs::RunQuery,
);

/// The root of every write.
#[derive(Default, MergedObject)]
pub struct Mutation(
    records::RecordsMutation,
    people::PeopleMutation,
    matching::MatchMutation,
    report::FeedbackMutation,
    runs::RunMutation,
);

pub use limits::{
    Deadline, MAX_ALIASES, MAX_BATCH, MAX_BODY_BYTES, MAX_COMPLEXITY, MAX_DEPTH, MAX_NESTING,
    MAX_QUERY_BYTES, REQUEST_TIMEOUT,
};

/// The schema the service serves.
pub type ApiSchema = Schema<Query, Mutation, runs::RunSubscription>;

/// The schemas of one service: field suggestions ("did you mean") are for ADMIN or
/// `--demo` only, and the engine sets them per schema, so there are two.
#[derive(Clone)]
pub struct Schemas {
    helpful: ApiSchema,
    terse: ApiSchema,
    demo: bool,
}

/// The schema with the request limits of every transport (depth and complexity
/// are measured by [`limits`], not the engine: its depth would count introspection).
fn builder(demo: bool) -> async_graphql::SchemaBuilder<Query, Mutation, runs::RunSubscription> {
    Schema::build(Query::default(), Mutation::default(), runs::RunSubscription)
        .extension(limits::Limits { demo })
}

impl Schemas {
    /// Schemas over `store`, starting match runs with `runner`; `demo` opens
    /// introspection and suggestions to everyone.
    pub fn new(store: Store, runner: Runner, demo: bool) -> Schemas {
        Schemas {
            helpful: builder(demo).data(store.clone()).data(runner.clone()).finish(),
            terse: builder(demo).data(store).data(runner).disable_suggestions().finish(),
            demo,
        }
    }

    /// The schema for subscriptions over websocket (the viewer comes from the
    /// connection's init payload).
    pub fn for_subscriptions(&self) -> ApiSchema {
        if self.demo { self.helpful.clone() } else { self.terse.clone() }
    }

    /// Runs one request for `viewer` (None: no token was sent) by `deadline`; the
    /// limits are checked by the schema's extension, as on every transport.
    pub async fn execute(
        &self,
        mut request: async_graphql::Request,
        viewer: Option<Viewer>,
        deadline: Deadline,
    ) -> async_graphql::Response {
        let privileged = self.demo || viewer.as_ref().is_some_and(|v| v.role == store::records::Role::Admin);
        if let Some(viewer) = viewer {
            request = request.data(viewer);
        }
        let schema = if privileged { &self.helpful } else { &self.terse };
        schema.execute(request.data(deadline)).await
    }
}

/// The store, as the schema holds it.
pub(crate) fn store<'c>(ctx: &async_graphql::Context<'c>) -> Result<&'c Store, ApiError> {
    ctx.data::<Store>().map_err(|_| ApiError::internal("the schema holds no store"))
}

/// Records who changed what, inside the mutation's transaction.
pub(crate) async fn audited(
    txn: &store::Transaction,
    access: &access::Access<'_>,
    action: &str,
    entity: &str,
    id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    store::write::audit(txn, &access.actor(), action, entity, id, None, now).await.map_err(ApiError::from)
}

/// Commits a mutation's transaction.
pub(crate) async fn commit(txn: store::Transaction) -> Result<(), ApiError> {
    txn.commit().await.map_err(|err| ApiError::from(store::StoreError::from(err)))
}

/// The SDL of the schema (what `schema.graphql` holds).
pub fn sdl() -> String {
    builder(false).finish().sdl()
}
