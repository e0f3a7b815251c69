//! The one mapping from what went wrong to a GraphQL error: every error leaves with
//! `extensions.code` (docs/api.md "Errors"), and bad input also names `extensions.field`.
//! Messages never carry SQL, internals or another user's data.

use async_graphql::ErrorExtensions;

use crate::auth::AuthError;
use store::StoreError;

/// The codes of docs/api.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    #[allow(missing_docs)]
    Unauthenticated,
    #[allow(missing_docs)]
    Forbidden,
    #[allow(missing_docs)]
    BadUserInput,
    #[allow(missing_docs)]
    NotFound,
    #[allow(missing_docs)]
    Conflict,
    #[allow(missing_docs)]
    Internal,
}

impl Code {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::NotFound => "NOT_FOUND",
            Code::Conflict => "CONFLICT",
            Code::Internal => "INTERNAL",
        }
    }
}

/// An error on its way to the client.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// Which code.
    pub code: Code,
    /// Safe to show.
    pub message: String,
    /// The input path, for BAD_USER_INPUT.
    pub field: Option<String>,
    /// The records an error is about (`extensions.matches` of a CONFLICT naming the
    /// open matches an edit would strand).
    pub matches: Vec<String>,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into(), field: None, matches: Vec::new() }
    }

    /// Bad input at `field`.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            code: Code::BadUserInput,
            message: message.into(),
            field: Some(field.into()),
            matches: Vec::new(),
        }
    }

    /// Something that cannot happen happened: `cause` goes to the log (inside the
    /// request's span, so with its request id), the client reads "internal error".
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "internal error");
        ApiError::new(Code::Internal, "internal error")
    }

    /// The same error, naming the input it is about.
    pub fn at(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    /// The same error, naming the matches it is about.
    pub fn about_matches(mut self, matches: Vec<String>) -> ApiError {
        self.matches = matches;
        self
    }

    /// No valid token.
    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::Unauthenticated, message)
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> ApiError {
        if err.is_refusal() {
            ApiError::unauthenticated(format!("the bearer token is not accepted: {err}"))
        } else {
            // Keys are set up before the first request; minting is the CLI's.
            ApiError::internal(format!("authentication is not set up: {err}"))
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        match err {
            StoreError::NotFound { entity, id } => {
                ApiError::new(Code::NotFound, format!("{entity} {id} does not exist"))
            }
            StoreError::Conflict(conflict) => ApiError::new(Code::Conflict, conflict.to_string()),
            StoreError::Invalid { field, message } => ApiError::bad_input(field, message),
            // An import answers with its rows (`ImportResult`); elsewhere, the summary.
            StoreError::Rows(_) => ApiError::bad_input("csv", err.to_string()),
            StoreError::Constraint { constraint, .. } => {
                ApiError::new(Code::Conflict, format!("the change breaks the rule {constraint}"))
            }
            // The cause goes to the log with the request id, never to the client.
            StoreError::Connect(_) | StoreError::Database(_) => ApiError::internal(format!("{err:?}")),
        }
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.message.clone()).extend_with(|_, extensions| {
            extensions.set("code", self.code.as_str());
            if let Some(field) = &self.field {
                extensions.set("field", field.as_str());
            }
            if !self.matches.is_empty() {
                let ids: Vec<async_graphql::Value> =
                    self.matches.iter().map(|id| async_graphql::Value::from(id.as_str())).collect();
                extensions.set("matches", async_graphql::Value::List(ids));
            }
        })
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> async_graphql::Error {
        err.extend()
    }
}

/// What resolvers return: their errors leave through [`ApiError`]'s one mapping.
pub type ApiResult<T> = Result<T, ApiError>;

/// Every error of `errors` in the response, in order, for input with several bad
/// fields: all but the last are added to the response (with the field's path), the
/// last is returned as the field's own error, which the engine puts after them.
pub fn all_of(ctx: &async_graphql::Context<'_>, mut errors: Vec<ApiError>) -> ApiError {
    let last = errors.pop().unwrap_or_else(|| ApiError::internal("no error to report"));
    let path: Vec<async_graphql::PathSegment> = ctx
        .path_node
        .map(|node| node.to_string_vec().into_iter().map(async_graphql::PathSegment::Field).collect())
        .unwrap_or_default();
    for other in errors {
        ctx.add_error(other.extend().into_server_error(ctx.item.pos).with_path(path.clone()));
    }
    last
}

/// A whole-request refusal (over a limit, unreadable body) as a GraphQL response.
pub fn refusal(err: &ApiError) -> async_graphql::Response {
    let mut error = async_graphql::ServerError::new(err.message.clone(), None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", err.code.as_str());
    if let Some(field) = &err.field {
        extensions.set("field", field.as_str());
    }
    error.extensions = Some(extensions);
    async_graphql::Response::from_errors(vec![error])
}

/// Gives every error that left the engine without a code (parse and validation
/// errors, depth and complexity limits) `BAD_USER_INPUT`: the query itself is wrong.
/// An argument the engine could not read also gets its `field`, in the same
/// `input.schedule[0].day` form our own checks use.
pub fn ensure_codes(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let field = engine_field(&error.message);
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", Code::BadUserInput.as_str());
            if let Some(field) = field {
                extensions.set("field", field);
            }
        }
    }
}

/// `Invalid value for argument "input.schedule.0.day", …` → `input.schedule[0].day`.
fn engine_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("Invalid value for argument \"")?;
    let path = &rest[..rest.find('"')?];
    let mut field = String::new();
    for segment in path.split('.') {
        if segment.parse::<usize>().is_ok() {
            field.push_str(&format!("[{segment}]"));
        } else {
            if !field.is_empty() {
                field.push('.');
            }
            field.push_str(segment);
        }
    }
    Some(field)
}

#[cfg(test)]
mod tests {
    use super::engine_field;

    #[test]
    fn engine_argument_paths_read_like_ours() {
        let message = "Invalid value for argument \"input.schedule.0.day\", expected type \"String\"";
        assert_eq!(engine_field(message).as_deref(), Some("input.schedule[0].day"));
        assert_eq!(engine_field("Invalid value for argument \"first\", …").as_deref(), Some("first"));
        assert_eq!(engine_field("Unknown field \"x\""), None);
    }
}
