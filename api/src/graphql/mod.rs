//! The GraphQL schema and the rules every request meets before a resolver runs
//! (API.md "Limits"): query size, aliases, depth, complexity, batch size, time.
//!
//! - [`error`]: the one mapping to `extensions.code`.
//! - [`access`]: who may see and do what (the one place that decides).
//! - [`connection`]: Relay pages.
//! - [`query`]: `viewer`; [`records`]: partners, agreements, openings;
//!   [`people`]: schools and students; [`matching`]: matches and their lifecycle;
//!   [`runs`]: match runs and their progress subscription.

pub mod access;
pub mod connection;
pub mod error;
pub mod matching;
pub mod people;
pub mod query;
pub mod records;
pub mod report;
pub mod runs;
pub mod suggest;

use std::time::Duration;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{MergedObject, Schema};

use crate::auth::Viewer;
use crate::runner::Runner;
use crate::store::Store;
use error::{ApiError, Code, ensure_codes, refusal};

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

/// Deepest selection a query may nest.
pub const MAX_DEPTH: usize = 10;
/// Most work a query may ask for; a connection counts `first` × its children.
pub const MAX_COMPLEXITY: usize = 5_000;
/// Most aliases in one query.
pub const MAX_ALIASES: usize = 15;
/// Longest query text.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;
/// Largest request body (refused with 413 before parsing).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most operations in one batch.
pub const MAX_BATCH: usize = 10;
/// Longest a request may run.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

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

fn builder() -> async_graphql::SchemaBuilder<Query, Mutation, runs::RunSubscription> {
    Schema::build(Query::default(), Mutation::default(), runs::RunSubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

impl Schemas {
    /// Schemas over `store`, starting match runs with `runner`; `demo` opens
    /// introspection and suggestions to everyone.
    pub fn new(store: Store, runner: Runner, demo: bool) -> Schemas {
        Schemas {
            helpful: builder().data(store.clone()).data(runner.clone()).finish(),
            terse: builder().data(store).data(runner).disable_suggestions().finish(),
            demo,
        }
    }

    /// The schema for subscriptions over websocket (the viewer comes from the
    /// connection's init payload).
    pub fn for_subscriptions(&self) -> ApiSchema {
        if self.demo { self.helpful.clone() } else { self.terse.clone() }
    }

    /// Runs one request for `viewer` (None: no token was sent), within the limits.
    pub async fn execute(
        &self,
        mut request: async_graphql::Request,
        viewer: Option<Viewer>,
    ) -> async_graphql::Response {
        let privileged =
            self.demo || viewer.as_ref().is_some_and(|v| v.role == crate::store::records::Role::Admin);
        if let Err(err) = check_query(&mut request, privileged) {
            return refusal(&err);
        }
        if !privileged {
            request = request.disable_introspection();
        }
        if let Some(viewer) = viewer {
            request = request.data(viewer);
        }
        let schema = if privileged { &self.helpful } else { &self.terse };
        let mut response = match tokio::time::timeout(REQUEST_TIMEOUT, schema.execute(request)).await {
            Ok(response) => response,
            Err(_) => refusal(&ApiError::new(
                Code::Internal,
                format!("the request ran longer than {} s", REQUEST_TIMEOUT.as_secs()),
            )),
        };
        ensure_codes(&mut response);
        response
    }
}

/// The store, as the schema holds it.
pub(crate) fn store<'c>(ctx: &async_graphql::Context<'c>) -> Result<&'c Store, ApiError> {
    ctx.data::<Store>().map_err(|_| ApiError::new(Code::Internal, "internal error"))
}

/// Records who changed what, inside the mutation's transaction.
pub(crate) async fn audited(
    txn: &sea_orm::DatabaseTransaction,
    access: &access::Access<'_>,
    action: &str,
    entity: &str,
    id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    crate::store::write::audit(txn, &access.actor(), action, entity, id, None, now)
        .await
        .map_err(ApiError::from)
}

/// Commits a mutation's transaction.
pub(crate) async fn commit(txn: sea_orm::DatabaseTransaction) -> Result<(), ApiError> {
    txn.commit().await.map_err(|err| ApiError::from(crate::store::StoreError::from(err)))
}

/// The SDL of the schema (what `schema.graphql` holds).
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// Query size, aliases and introspection, checked before the engine runs. (The
/// engine alone would answer refused introspection with a silent `null`; a client
/// deserves to hear why.) The document parsed here is kept on the request, so the
/// engine does not parse it again.
fn check_query(request: &mut async_graphql::Request, privileged: bool) -> Result<(), ApiError> {
    let bytes = request.query.len();
    if bytes > MAX_QUERY_BYTES {
        return Err(ApiError::bad_input(
            "query",
            format!("the query is {bytes} bytes; at most {MAX_QUERY_BYTES} are accepted"),
        ));
    }
    // An unparsable query is left to the engine, which says where it breaks.
    if let Ok(document) = request.parsed_query() {
        let aliases = count_aliases(document);
        if aliases > MAX_ALIASES {
            return Err(ApiError::bad_input(
                "query",
                format!("the query has {aliases} aliases; at most {MAX_ALIASES} are accepted"),
            ));
        }
        if !privileged && introspects(document) {
            return Err(ApiError::new(Code::Forbidden, "introspection is open to ADMIN only"));
        }
    }
    Ok(())
}

/// Whether any operation or fragment asks for `__schema` or `__type`.
fn introspects(document: &ExecutableDocument) -> bool {
    fn in_set(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                matches!(field.node.name.node.as_str(), "__schema" | "__type")
                    || in_set(&field.node.selection_set.node)
            }
            Selection::FragmentSpread(_) => false,
            Selection::InlineFragment(inline) => in_set(&inline.node.selection_set.node),
        })
    }
    document.operations.iter().any(|(_, op)| in_set(&op.node.selection_set.node))
        || document.fragments.values().any(|fragment| in_set(&fragment.node.selection_set.node))
}

/// Every alias in every operation and fragment.
fn count_aliases(document: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + in_set(&field.node.selection_set.node)
                }
                Selection::FragmentSpread(_) => 0,
                Selection::InlineFragment(inline) => in_set(&inline.node.selection_set.node),
            })
            .sum()
    }
    let operations: usize =
        document.operations.iter().map(|(_, op)| in_set(&op.node.selection_set.node)).sum();
    let fragments: usize =
        document.fragments.values().map(|fragment| in_set(&fragment.node.selection_set.node)).sum();
    operations + fragments
}
