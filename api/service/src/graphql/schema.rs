//! The schema: its three roots, merged from the per-domain roots of [`query`],
//! [`mutation`] and [`subscription`], and the two variants a service runs (field
//! suggestions for ADMIN and `--demo` only, which async-graphql sets per schema).

use async_graphql::{MergedObject, Schema};

use super::limits::{self, Deadline};
use super::{mutation, query, subscription};
use crate::auth::Viewer;
use crate::notify::HookSettings;
use crate::runner::Runner;
use store::Store;

/// The root of every read.
#[derive(Default, MergedObject)]
pub struct Query(
    query::viewer::ViewerQuery,
    query::records::RecordsQuery,
    query::people::PeopleQuery,
    query::matches::MatchQuery,
    query::report::ReportQuery,
    query::suggest::SuggestQuery,
    query::runs::RunQuery,
    query::audit::AuditQuery,
    query::webhooks::WebhookQuery,
);

/// The root of every write.
#[derive(Default, MergedObject)]
pub struct Mutation(
    mutation::records::RecordsMutation,
    mutation::people::PeopleMutation,
    mutation::matches::MatchMutation,
    mutation::feedback::FeedbackMutation,
    mutation::runs::RunMutation,
    mutation::webhooks::WebhookMutation,
);

/// The schema the service serves.
pub type ApiSchema = Schema<Query, Mutation, subscription::RunSubscription>;

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
fn builder(demo: bool) -> async_graphql::SchemaBuilder<Query, Mutation, subscription::RunSubscription> {
    Schema::build(Query::default(), Mutation::default(), subscription::RunSubscription)
        .extension(limits::Limits { demo })
}

impl Schemas {
    /// Schemas over `store`, starting match runs with `runner`, registering hooks
    /// under `hooks`; `demo` opens introspection and suggestions to everyone.
    pub fn new(store: Store, runner: Runner, hooks: HookSettings, demo: bool) -> Schemas {
        Schemas {
            helpful: builder(demo).data(store.clone()).data(runner.clone()).data(hooks.clone()).finish(),
            terse: builder(demo).data(store).data(runner).data(hooks).disable_suggestions().finish(),
            demo,
        }
    }

    /// Runs one websocket operation for `viewer` (from the connection's init
    /// payload): a query's or mutation's one response, or a subscription's events.
    pub fn execute_stream(
        &self,
        request: async_graphql::Request,
        viewer: Viewer,
    ) -> futures_util::stream::BoxStream<'static, async_graphql::Response> {
        use futures_util::StreamExt;
        self.for_viewer(Some(&viewer)).execute_stream(request.data(viewer)).boxed()
    }

    /// Suggestions for ADMIN and under `--demo`.
    fn for_viewer(&self, viewer: Option<&Viewer>) -> &ApiSchema {
        let privileged = self.demo || viewer.is_some_and(|v| v.role == store::records::Role::Admin);
        if privileged { &self.helpful } else { &self.terse }
    }

    /// Runs one request for `viewer` (None: no token was sent) by `deadline`; the
    /// limits are checked by the schema's extension, as on every transport.
    pub async fn execute(
        &self,
        mut request: async_graphql::Request,
        viewer: Option<Viewer>,
        deadline: Deadline,
    ) -> async_graphql::Response {
        let schema = self.for_viewer(viewer.as_ref());
        if let Some(viewer) = viewer {
            request = request.data(viewer);
        }
        schema.execute(request.data(deadline)).await
    }
}

/// The SDL of the schema (what `schema.graphql` holds).
pub fn sdl() -> String {
    builder(false).finish().sdl()
}
