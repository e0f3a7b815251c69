//! `School` and its input.

use async_graphql::{Context, ID, InputObject, Object};
use store::people;
use store::records::{District, School};

use crate::graphql::access::{Access, Rows};
use crate::graphql::connection::{Page, Window, cost};
use crate::graphql::error::ApiResult;
use crate::graphql::store;
use crate::graphql::types::student::{StudentFilter, StudentNode, StudentOrder, list_students};

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

    /// The school's district.
    pub(crate) async fn district_id(&self) -> ID {
        ID(self.0.district_id.clone())
    }

    /// The school's students, as far as the viewer may see them.
    #[graphql(complexity = "cost(first.or(last), child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn students(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<StudentFilter>,
        order_by: Option<StudentOrder>,
    ) -> ApiResult<Page<StudentNode>> {
        let window = Window::either(first, after, last, before)?;
        let mut filter = filter.map(StudentFilter::into_store).unwrap_or_default();
        if filter.school_id.as_ref().is_some_and(|given| *given != self.0.id) {
            return Ok(window.page(Vec::new(), 0, |node: &StudentNode| node.record.matching.id.as_str()));
        }
        filter.school_id = Some(self.0.id.clone());
        Ok(list_students(ctx, filter, order_by.unwrap_or_default(), &window, "School.students").await?)
    }
}

/// A school district: the schools whose students are matched together.
#[derive(Clone, Debug)]
pub struct DistrictNode(pub(crate) District);

#[Object(name = "District")]
impl DistrictNode {
    pub(crate) async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    pub(crate) async fn name(&self) -> &str {
        &self.0.name
    }

    /// The district's schools the viewer may see (ADMIN all, a counselor their own).
    pub(crate) async fn schools(&self, ctx: &Context<'_>) -> ApiResult<Vec<SchoolNode>> {
        let access = Access::of(ctx)?;
        let schools = people::schools_of_district(store(ctx)?.db(), &self.0.id).await?;
        Ok(match access.schools() {
            Rows::All => schools.into_iter().map(SchoolNode).collect(),
            Rows::Own(own) => schools.into_iter().filter(|school| school.id == own).map(SchoolNode).collect(),
            Rows::MatchedTo(_) | Rows::Nothing => Vec::new(),
        })
    }
}

/// A new district.
#[derive(Clone, Debug, InputObject)]
pub struct DistrictInput {
    /// The district's own id (`d-1`).
    pub(crate) id: ID,
    /// Its name.
    pub(crate) name: String,
}

/// A new school.
#[derive(Clone, Debug, InputObject)]
pub struct SchoolInput {
    /// The school's own id (`sch-1`).
    pub(crate) id: ID,
    /// Its district, which must exist.
    pub(crate) district_id: ID,
    /// Its name.
    pub(crate) name: String,
}
