//! `viewer`.

use async_graphql::{Context, ID, Object};
use store::records::Role;

use crate::graphql::error::ApiResult;
use crate::graphql::types::viewer::{ViewerObject, viewer};

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
