//! The writes, one root per domain; [`super::schema`] merges them into
//! `Mutation`. Each runs in one transaction with its audit entry: a failing one
//! writes nothing.

pub mod feedback;
pub mod matches;
pub mod people;
pub mod records;
pub mod runs;
pub mod webhooks;

use store::StoreError;

use crate::graphql::error::ApiError;

/// A store error about the mutation's input, its field named from `input`.
pub(crate) fn in_input(err: StoreError) -> ApiError {
    match err {
        StoreError::Invalid { field, message } if field == "$" => ApiError::bad_input("input", message),
        StoreError::Invalid { field, message } => ApiError::bad_input(format!("input.{field}"), message),
        other => ApiError::from(other),
    }
}
