//! `Viewer`: who the token says I am.

use async_graphql::{Context, ID, SimpleObject};

use crate::auth::Viewer;
use crate::graphql::error::ApiError;
use crate::graphql::types::enums::RoleValue;

/// Who the token says I am: role and scope ids.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(name = "Viewer")]
pub struct ViewerObject {
    /// The token's subject.
    pub(crate) subject: String,
    pub(crate) role: RoleValue,
    /// A COUNSELOR's school.
    pub(crate) school_id: Option<ID>,
    /// A PARTNER's organisation.
    pub(crate) partner_id: Option<ID>,
    /// A STUDENT's own id.
    pub(crate) student_id: Option<ID>,
}

/// The caller, or UNAUTHENTICATED: every field but introspection needs a token.
pub fn viewer<'c>(ctx: &Context<'c>) -> Result<&'c Viewer, ApiError> {
    ctx.data_opt::<Viewer>().ok_or_else(|| ApiError::unauthenticated("a bearer token is required"))
}
