//! `schools`, `students`, `student` and the disclosure log.

use async_graphql::{Context, ID, Object};
use store::people;

use crate::graphql::access::{Access, Rows};
use store::order::Direction;

use crate::graphql::connection::{OrderDirection, Page, Window, cost};
use crate::graphql::error::ApiResult;
use crate::graphql::store;
use crate::graphql::types::school::{DistrictNode, SchoolNode};
use crate::graphql::types::student::{
    DisclosureFilter, DisclosureNode, StudentFilter, StudentNode, StudentOrder, StudentOrderField,
    list_students, student_node,
};

/// Reads.
#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// Schools the viewer may see: ADMIN all, a counselor their own, others none.
    /// By name.
    #[graphql(complexity = "cost(first.or(last), child_complexity)")]
    async fn schools(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<Page<SchoolNode>> {
        let access = Access::of(ctx)?;
        let window = Window::either(first, after, last, before)?;
        let only = match access.schools() {
            Rows::All => None,
            Rows::Own(id) => Some(id),
            Rows::MatchedTo(_) | Rows::Nothing => {
                return Ok(window.page(Vec::new(), 0, |s: &SchoolNode| s.id()));
            }
        };
        let listed =
            people::list_schools(store(ctx)?.db(), only.as_deref(), &window.seek(Direction::Asc)).await?;
        let nodes = listed.rows.into_iter().map(SchoolNode).collect();
        Ok(window.page(nodes, listed.total, SchoolNode::id))
    }

    /// The districts (one per database in practice); any signed-in viewer may read
    /// their names, and each district's schools as far as `schools` allows.
    async fn districts(&self, ctx: &Context<'_>) -> ApiResult<Vec<DistrictNode>> {
        Access::of(ctx)?;
        let districts = people::list_districts(store(ctx)?.db()).await?;
        Ok(districts.into_iter().map(DistrictNode).collect())
    }

    /// Students the viewer may see (see the access matrix of docs/api.md), oldest record
    /// first unless `orderBy` says otherwise.
    #[graphql(complexity = "cost(first.or(last), child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn students(
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
        if let Some(given) = &filter {
            let access = Access::of(ctx)?;
            let named = [
                ("filter.schoolId", given.school_id.is_some()),
                ("filter.needKind", given.need_kind.is_some()),
                ("filter.unmatched", given.unmatched.is_some()),
                ("filter.name", given.name.is_some()),
                ("filter.waiting", given.waiting.is_some()),
            ];
            for (name, _) in named.iter().filter(|(_, is_given)| *is_given) {
                access.student_filter(name)?;
            }
        }
        let filter = filter.map(StudentFilter::into_store).unwrap_or_default();
        let order = order_by.unwrap_or(if filter.waiting == Some(true) {
            StudentOrder { field: StudentOrderField::WaitingSince, direction: OrderDirection::Asc }
        } else {
            StudentOrder::default()
        });
        Ok(list_students(ctx, filter, order, &window, "students").await?)
    }

    /// One student: null when there is none or the viewer may not see it.
    async fn student(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<StudentNode>> {
        Ok(student_node(ctx, &id, "student").await?)
    }

    /// The disclosure log, oldest first (ADMIN only).
    #[graphql(complexity = "cost(first, child_complexity)")]
    async fn disclosures(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<DisclosureFilter>,
    ) -> ApiResult<Page<DisclosureNode>> {
        let access = Access::of(ctx)?;
        access.admin("reading the disclosure log")?;
        let window = Window::new(first, after)?;
        let after = window.after_number()?;
        let filter = filter.unwrap_or_default();
        let filter = people::DisclosureFilter {
            student_id: filter.student_id.map(|id| id.0),
            partner_id: filter.partner_id.map(|id| id.0),
        };
        let listed = people::list_disclosures(store(ctx)?.db(), &filter, after, window.fetch()).await?;
        let nodes = listed.rows.into_iter().map(DisclosureNode::from).collect();
        Ok(window.page(nodes, listed.total, |node: &DisclosureNode| node.id.as_str()))
    }
}
