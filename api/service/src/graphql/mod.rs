//! The GraphQL API, cut as async-graphql's and sea-orm's examples cut theirs:
//!
//! - [`schema`]: the schema with its roots, built once per service.
//! - [`types`]: every object, input and enum of the schema, one module per domain
//!   (partners and openings, schools and students, matches, runs, reports,
//!   suggestions) and the shared ones (`common`, `enums`).
//! - [`query`], [`mutation`], [`subscription`]: thin roots, one module per domain,
//!   each a recipe: authorize, load, call the store or the engine, map.
//! - [`access`]: who may see and do what (the one place that decides).
//! - [`limits`]: the request limits, an extension every transport passes through.
//! - [`error`]: the one mapping to `extensions.code`; [`nulls`]: errored fields
//!   present and null, as the GraphQL spec has them.
//! - [`connection`]: Relay pages.

pub mod access;
pub mod connection;
pub mod error;
pub mod limits;
pub mod mutation;
pub mod nulls;
pub mod query;
pub mod scan;
pub mod schema;
pub mod subscription;
pub mod types;

use error::ApiError;
use store::Store;

pub use limits::{
    Deadline, MAX_ALIASES, MAX_BATCH, MAX_BODY_BYTES, MAX_COMPLEXITY, MAX_DEPTH, MAX_NESTING,
    MAX_QUERY_BYTES, REQUEST_TIMEOUT,
};
pub use schema::{ApiSchema, Schemas, sdl};

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
