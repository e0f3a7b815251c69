//! `viewer`: who the token says I am.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};

use super::error::{ApiError, ApiResult};
use crate::auth::Viewer;
use store::records::Role;

/// Who a token speaks for, as API.md names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "Role")]
pub enum RoleValue {
    #[allow(missing_docs)]
    Admin,
    #[allow(missing_docs)]
    Counselor,
    #[allow(missing_docs)]
    Partner,
    #[allow(missing_docs)]
    Student,
}

impl From<Role> for RoleValue {
    fn from(role: Role) -> RoleValue {
        match role {
            Role::Admin => RoleValue::Admin,
            Role::Counselor => RoleValue::Counselor,
            Role::Partner => RoleValue::Partner,
            Role::Student => RoleValue::Student,
        }
    }
}

/// Who the token says I am: role and scope ids.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(name = "Viewer")]
pub struct ViewerObject {
    /// The token's subject.
    subject: String,
    role: RoleValue,
    /// A COUNSELOR's school.
    school_id: Option<ID>,
    /// A PARTNER's organisation.
    partner_id: Option<ID>,
    /// A STUDENT's own id.
    student_id: Option<ID>,
}

/// The caller, or UNAUTHENTICATED: every field but introspection needs a token.
pub fn viewer<'c>(ctx: &Context<'c>) -> Result<&'c Viewer, ApiError> {
    ctx.data_opt::<Viewer>().ok_or_else(|| ApiError::unauthenticated("a bearer token is required"))
}

/// `viewer`.
#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// Who the token says I am.
    async fn viewer(&self, ctx: &Context<'_>) -> ApiResult<ViewerObject> {
        let viewer = viewer(ctx)?;
        let scope = |role: Role| (viewer.role == role).then(|| viewer.scope.clone().map(ID)).flatten();
        Ok(ViewerObject {
            subject: viewer.subject.clone(),
            role: viewer.role.into(),
            school_id: scope(Role::Counselor),
            partner_id: scope(Role::Partner),
            student_id: scope(Role::Student),
        })
    }
}
