//! The waitlist (docs/api.md "Notifications"): a need a committed run leaves
//! unmatched goes on it (`student_needs.waiting_since`, the first such day); a match
//! of the need takes it off. The days waited reach the matcher as the need's
//! `waitingDays` ([`crate::records::Student::matching_on`]), which the `waiting`
//! criterion rates, so whoever was left out in one round comes first in the next.

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::StoreError;
use super::bulk::in_list;
use super::entity::{student_needs, students};
use super::records::Kind;

/// Puts each (student, kind) need on the waitlist from `today`, unless it is on it
/// already (the first day left out is kept).
pub(crate) async fn leave_out<C: ConnectionTrait>(
    db: &C,
    needs: &[(&str, Kind)],
    today: NaiveDate,
) -> Result<(), StoreError> {
    set(db, needs, Some(today)).await
}

/// Takes each (student, kind) need off the waitlist: it has a match.
pub(crate) async fn take_off<C: ConnectionTrait>(db: &C, needs: &[(&str, Kind)]) -> Result<(), StoreError> {
    set(db, needs, None).await
}

async fn set<C: ConnectionTrait>(
    db: &C,
    needs: &[(&str, Kind)],
    since: Option<NaiveDate>,
) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    for kind in Kind::MATCH_ORDER {
        let students: Vec<&str> =
            needs.iter().filter(|(_, of)| *of == kind).map(|(student, _)| *student).collect();
        if students.is_empty() {
            continue;
        }
        let mut update = student_needs::Entity::update_many()
            .col_expr(student_needs::Column::WaitingSince, Expr::value(since))
            .filter(student_needs::Column::Kind.eq(kind.as_str()))
            .filter(in_list(backend, "student_needs.student_id", students));
        update = if since.is_some() {
            update.filter(student_needs::Column::WaitingSince.is_null())
        } else {
            update.filter(student_needs::Column::WaitingSince.is_not_null())
        };
        update.exec(db).await?;
    }
    Ok(())
}

/// `SELECT student_id FROM student_needs WHERE waiting_since IS NOT NULL [AND kind = ?]`:
/// the students with a need (of `kind`) on the waitlist.
pub(crate) fn waiting_students(kind: Option<&str>) -> SelectStatement {
    let mut select = Query::select();
    select
        .column(student_needs::Column::StudentId)
        .from(student_needs::Entity)
        .and_where(student_needs::Column::WaitingSince.is_not_null());
    if let Some(kind) = kind {
        select.and_where(student_needs::Column::Kind.eq(kind));
    }
    select
}

/// The sort key "longest waiting first": the earliest `waiting_since` of the
/// student's needs (of `kind`), for the row of `students` in scope; a student who is
/// not waiting has none and sorts last.
pub(crate) fn waiting_key(kind: Option<&str>) -> SimpleExpr {
    let need = Alias::new("waiting_need");
    let mut earliest = Query::select();
    earliest
        .expr(Func::min(Expr::col((need.clone(), student_needs::Column::WaitingSince))))
        .from_as(student_needs::Entity, need.clone())
        .and_where(
            Expr::col((need.clone(), student_needs::Column::StudentId))
                .equals((students::Entity, students::Column::Id)),
        );
    if let Some(kind) = kind {
        earliest.and_where(Expr::col((need.clone(), student_needs::Column::Kind)).eq(kind));
    }
    // Far in the future for "not waiting", so the key is never NULL (NULLs sort
    // differently on SQLite and PostgreSQL, and a NULL tuple compares as unknown).
    let none = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    let earliest: SimpleExpr = earliest.to_owned().into();
    Func::coalesce([earliest, Expr::val(none)]).into()
}
