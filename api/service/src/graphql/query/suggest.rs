//! `suggestions` and `needReport`: one student's need against the openings of its
//! kind, decided by the engine's own feasibility, scores and session placement.

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use store::records::{Kind, Student};
use store::{Store, StoreError, suggest};

use crate::graphql::access::Access;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::store;
use crate::graphql::types::common::{RuledOut, WeeklyWindow, criteria};
use crate::graphql::types::enums::OpeningKind;
use crate::graphql::types::opening::OpeningNode;
use crate::graphql::types::suggestion::{Facts, NeedReport, Suggestion};

/// Suggestions a query returns unless asked otherwise.
pub const DEFAULT_SUGGESTIONS: i32 = 5;

/// Most suggestions a query may ask for.
pub const MAX_SUGGESTIONS: i32 = 20;

/// Reads.
#[derive(Default)]
pub struct SuggestQuery;

#[Object]
impl SuggestQuery {
    /// The best feasible openings for the student's need of `kind`, highest score
    /// first (then opening id); `first` 1–20, default 5. Empty when an open match
    /// already fills the need or nothing is feasible (`needReport` says why).
    #[graphql(complexity = "suggestion_cost(first, child_complexity)")]
    async fn suggestions(
        &self,
        ctx: &Context<'_>,
        student_id: ID,
        kind: OpeningKind,
        first: Option<i32>,
    ) -> ApiResult<Vec<Suggestion>> {
        let access = Access::of(ctx)?;
        let limit = limit(first)?;
        let store = store(ctx)?;
        let (student, kind) = need(store, &access, &student_id, kind).await?;
        let found = suggest::suggestions(store.db(), &student, kind, store.today(Utc::now()), limit).await?;
        found
            .into_iter()
            .map(|item| {
                Ok(Suggestion {
                    facts: Facts::of(&item),
                    score: i64::from(item.score),
                    breakdown: criteria(&item.breakdown)?,
                    sessions: WeeklyWindow::all(&item.sessions),
                    opening: OpeningNode::new(store, item.opening),
                })
            })
            .collect()
    }

    /// Why the student's need of `kind` has the suggestions it has: over every
    /// opening of the kind, how many are feasible and how many fail each constraint.
    async fn need_report(
        &self,
        ctx: &Context<'_>,
        student_id: ID,
        kind: OpeningKind,
    ) -> ApiResult<NeedReport> {
        let access = Access::of(ctx)?;
        let store = store(ctx)?;
        let (student, kind) = need(store, &access, &student_id, kind).await?;
        let report = suggest::need_report(store.db(), &student, kind, store.today(Utc::now())).await?;
        Ok(NeedReport {
            filled: report.filled,
            feasible: i64::from(report.feasible),
            ruled_out_by: report
                .ruled_out_by
                .into_iter()
                .map(|(constraint, n)| RuledOut { constraint: constraint.into(), count: i64::from(n) })
                .collect(),
        })
    }
}

/// `first` × what each suggestion asks for.
pub(crate) fn suggestion_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let first = first.unwrap_or(DEFAULT_SUGGESTIONS).clamp(1, MAX_SUGGESTIONS) as usize;
    first.saturating_mul(child_complexity).max(1)
}

pub(crate) fn limit(first: Option<i32>) -> Result<usize, ApiError> {
    let first = first.unwrap_or(DEFAULT_SUGGESTIONS);
    if !(1..=MAX_SUGGESTIONS).contains(&first) {
        return Err(ApiError::bad_input("first", format!("must be 1 to {MAX_SUGGESTIONS}, not {first}")));
    }
    Ok(first as usize)
}

/// The student, if the viewer may ask about them, and their need of `kind`.
pub(crate) async fn need(
    store: &Store,
    access: &Access<'_>,
    student_id: &str,
    kind: OpeningKind,
) -> Result<(Student, Kind), ApiError> {
    access.may_suggest()?;
    let student = suggest::student(store.db(), student_id).await?;
    access.suggestions(student_id, &student.school_id)?;
    let kind = Kind::from(kind);
    if student.matching.need(kind).is_none() {
        return Err(StoreError::invalid("kind", format!("the student has no {} need", kind.as_str())).into());
    }
    Ok((student, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked() {
        assert_eq!(limit(None).unwrap(), 5);
        assert_eq!(limit(Some(20)).unwrap(), 20);
        assert_eq!(limit(Some(0)).unwrap_err().field.as_deref(), Some("first"));
        assert!(limit(Some(21)).is_err());
        assert_eq!(suggestion_cost(Some(99), 3), 60);
    }
}
