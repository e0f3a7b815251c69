//! `School` and its input.

use async_graphql::{Context, ID, InputObject, Object};
use store::records::School;

use crate::graphql::connection::{Page, Window, cost};
use crate::graphql::error::ApiResult;
use crate::graphql::types::student::{StudentFilter, StudentNode, list_students};

/// A school.
#[derive(Clone, Debug)]
pub struct SchoolNode(pub(crate) School);

impl SchoolNode {
    pub(crate) fn id(&self) -> &str {
        &self.0.id
    }
}

/// A school of the district.
#[Object(name = "School")]
impl SchoolNode {
    #[graphql(name = "id")]
    pub(crate) async fn id_field(&self) -> ID {
        ID(self.0.id.clone())
    }

    pub(crate) async fn name(&self) -> &str {
        &self.0.name
    }

    /// The school's students, as far as the viewer may see them.
    #[graphql(complexity = "cost(first, child_complexity)")]
    pub(crate) async fn students(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<StudentFilter>,
    ) -> ApiResult<Page<StudentNode>> {
        let mut filter = filter.map(StudentFilter::into_store).unwrap_or_default();
        if filter.school_id.as_ref().is_some_and(|given| *given != self.0.id) {
            let window = Window::new(first, after)?;
            return Ok(window.page(Vec::new(), 0, |node: &StudentNode| node.record.matching.id.as_str()));
        }
        filter.school_id = Some(self.0.id.clone());
        Ok(list_students(ctx, filter, first, after, "School.students").await?)
    }
}

/// A new school.
#[derive(Clone, Debug, InputObject)]
pub struct SchoolInput {
    pub(crate) id: ID,
    pub(crate) district_id: ID,
    pub(crate) name: String,
}
