//! Schools and students as the API lists them, and the disclosure log of docs/api.md
//! "Privacy". Lists are keyset pages over the id: a page costs one query for its
//! ids, one for the total and the fixed few of [`read::students_in`].

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::StoreError;
use super::entity::{disclosure_log, districts, matches, openings, schools, student_needs, students};
use super::order::{self, Seek};
use super::read::{self, by_id};
use super::records::{District, MatchStatus, School, Student};
use super::waitlist;

/// The match statuses that tie a student to a partner: the partner may see the
/// student's minimal fields while a match is proposed, under way or done.
pub const TIES: [MatchStatus; 4] =
    [MatchStatus::Proposed, MatchStatus::Accepted, MatchStatus::Active, MatchStatus::Completed];

/// Which students a list may hold at all, before any filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Visible {
    /// Every student.
    All,
    /// The students of one school.
    School(String),
    /// One student.
    Student(String),
    /// Students matched to this partner ([`TIES`]).
    MatchedTo(String),
    /// None.
    Nothing,
}

/// What a client filters a student list by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StudentFilter {
    /// Only this school.
    pub school_id: Option<String>,
    /// Only this grade.
    pub grade: Option<i32>,
    /// Only students with a need of this kind (`TUTORING` …).
    pub need_kind: Option<String>,
    /// `true`: only students with a need (of `need_kind`, when given) that no open
    /// match fills; `false`: only students without one.
    pub unmatched: Option<bool>,
    /// Only students whose full name ("first last") contains this text, ignoring
    /// case (ASCII letters; SQLite folds no others).
    pub name: Option<String>,
    /// `true`: only students with a need (of `need_kind`, when given) on the
    /// waitlist; `false`: only students without one.
    pub waiting: Option<bool>,
}

/// A page of records and the size of the whole list.
#[derive(Clone, Debug)]
pub struct Listed<T> {
    /// At most the rows asked for, in the list's order.
    pub rows: Vec<T>,
    /// Rows in the whole list.
    pub total: u64,
}

/// `SELECT student_id FROM matches JOIN openings … WHERE partner = ? AND tied`.
pub fn matched_to(partner_id: &str) -> SelectStatement {
    Query::select()
        .column((matches::Entity, matches::Column::StudentId))
        .from(matches::Entity)
        .inner_join(
            openings::Entity,
            Expr::col((openings::Entity, openings::Column::Id))
                .equals((matches::Entity, matches::Column::OpeningId)),
        )
        .and_where(Expr::col((openings::Entity, openings::Column::PartnerId)).eq(partner_id))
        .and_where(Expr::col((matches::Entity, matches::Column::Status)).is_in(TIES.map(|s| s.as_str())))
        .to_owned()
}

/// The students of `ids` that exist, with as much `detail` as asked (guardians
/// included in [`read::Detail::Full`]), in one set of statements; with
/// `matched_to_partner`, only those matched to that partner ([`TIES`]), in the same
/// statements: a partner's read of a page of students costs no extra check.
pub async fn students_by_id<C: ConnectionTrait>(
    db: &C,
    ids: &[String],
    detail: read::Detail,
    matched_to_partner: Option<&str>,
) -> Result<Vec<Student>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut selected = Query::select()
        .column(students::Column::Id)
        .from(students::Entity)
        .and_where(students::Column::Id.is_in(ids.iter().map(String::as_str)))
        .to_owned();
    if let Some(partner) = matched_to_partner {
        selected
            .and_where(Expr::col((students::Entity, students::Column::Id)).in_subquery(matched_to(partner)));
    }
    read::students_with(db, &selected, detail).await
}

/// How a student list is sorted (then by id).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StudentSort {
    /// When the record was made.
    #[default]
    CreatedAt,
    /// Last name, then first name, ignoring case.
    Name,
    /// First name alone, ignoring case: the name a partner may see.
    FirstName,
    /// Grade.
    Grade,
    /// Longest waiting first: the earliest day a need (of the filter's `need_kind`)
    /// went on the waitlist; students not waiting after them (before them descending).
    WaitingSince,
}

impl StudentSort {
    fn keys(self, filter: &StudentFilter) -> Vec<sea_orm::sea_query::SimpleExpr> {
        use students::Column as C;
        match self {
            StudentSort::WaitingSince => vec![waitlist::waiting_key(filter.need_kind.as_deref())],
            StudentSort::CreatedAt => vec![order::key(C::CreatedAt)],
            StudentSort::Name => vec![order::text_key(C::LastName), order::text_key(C::FirstName)],
            StudentSort::FirstName => vec![order::text_key(C::FirstName)],
            StudentSort::Grade => vec![order::key(C::Grade)],
        }
    }
}

/// One page of the students `visible` and `filter` select, in `sort` order from
/// `seek`, with guardians when asked.
pub async fn list_students<C: ConnectionTrait>(
    db: &C,
    visible: &Visible,
    filter: &StudentFilter,
    sort: StudentSort,
    seek: &Seek,
    with_guardians: bool,
) -> Result<Listed<Student>, StoreError> {
    let condition = student_condition(visible, filter);
    let total = students::Entity::find().filter(condition.clone()).count(db).await?;
    let select = students::Entity::find().select_only().column(students::Column::Id).filter(condition);
    let ids: Vec<String> =
        order::keyset(select, students::Entity, students::Column::Id, &sort.keys(filter), seek)
            .into_tuple()
            .all(db)
            .await?;
    if ids.is_empty() {
        return Ok(Listed { rows: Vec::new(), total });
    }
    let page = Query::select()
        .column(students::Column::Id)
        .from(students::Entity)
        .and_where(students::Column::Id.is_in(ids.clone()))
        .to_owned();
    let rows = read::students_in(db, &page, with_guardians).await?;
    Ok(Listed { rows: order::in_order(&ids, rows, |student| student.matching.id.as_str()), total })
}

/// One student with guardians, or `None`.
pub async fn find_student<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<Student>, StoreError> {
    let ids = by_id(students::Entity, students::Column::Id, id);
    Ok(read::students_in(db, &ids, true).await?.pop())
}

/// One page of schools (all of them, or only `only`) by name, ignoring case.
pub async fn list_schools<C: ConnectionTrait>(
    db: &C,
    only: Option<&str>,
    seek: &Seek,
) -> Result<Listed<School>, StoreError> {
    let mut condition = Condition::all();
    if let Some(id) = only {
        condition = condition.add(schools::Column::Id.eq(id));
    }
    let total = schools::Entity::find().filter(condition.clone()).count(db).await?;
    let select = schools::Entity::find().filter(condition);
    let keys = [order::text_key(schools::Column::Name)];
    let page = order::keyset(select, schools::Entity, schools::Column::Id, &keys, seek);
    let rows = page.all(db).await?.into_iter().map(school_record).collect();
    Ok(Listed { rows, total })
}

/// One school, or `None`.
pub async fn find_school<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<School>, StoreError> {
    Ok(schools::Entity::find_by_id(id.to_owned()).one(db).await?.map(school_record))
}

/// Every district (one per database in practice), by id.
pub async fn list_districts<C: ConnectionTrait>(db: &C) -> Result<Vec<District>, StoreError> {
    let rows = districts::Entity::find().order_by_asc(districts::Column::Id).all(db).await?;
    Ok(rows.into_iter().map(|row| District { id: row.id, name: row.name }).collect())
}

/// The schools of a district, by id.
pub async fn schools_of_district<C: ConnectionTrait>(
    db: &C,
    district_id: &str,
) -> Result<Vec<School>, StoreError> {
    let rows = schools::Entity::find()
        .filter(schools::Column::DistrictId.eq(district_id))
        .order_by_asc(schools::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(school_record).collect())
}

/// Whether a district exists.
pub async fn district_exists<C: ConnectionTrait>(db: &C, id: &str) -> Result<bool, StoreError> {
    Ok(districts::Entity::find_by_id(id.to_owned()).one(db).await?.is_some())
}

/// Sets a student's guardian consent; `NotFound` when there is no such student.
pub async fn set_consent<C: ConnectionTrait>(
    db: &C,
    student_id: &str,
    consent: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let result = students::Entity::update_many()
        .col_expr(students::Column::ConsentOnFile, Expr::value(consent))
        .col_expr(students::Column::UpdatedAt, Expr::value(now))
        .col_expr(students::Column::Version, Expr::col(students::Column::Version).add(1))
        .filter(students::Column::Id.eq(student_id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(StoreError::not_found("student", student_id));
    }
    Ok(())
}

/// One read of one student's data by a partner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disclosure {
    /// The log's own id (0 before it is written).
    pub id: i64,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// To which partner.
    pub partner_id: String,
    /// Who asked, as `role:scope`.
    pub actor: String,
    /// Whose data.
    pub student_id: String,
    /// Which fields, by their API names.
    pub fields: Vec<String>,
    /// Which operation of the API read them (`student`, `students`).
    pub operation: Option<String>,
}

/// What an ADMIN filters the disclosure log by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DisclosureFilter {
    /// Only this student's.
    pub student_id: Option<String>,
    /// Only this partner's.
    pub partner_id: Option<String>,
}

/// Appends to the disclosure log. There is no update or delete: the log only grows.
pub async fn log_disclosures<C: ConnectionTrait>(db: &C, entries: &[Disclosure]) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let rows = entries.iter().map(|entry| disclosure_log::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        occurred_at: Set(entry.occurred_at),
        partner_id: Set(entry.partner_id.clone()),
        actor: Set(entry.actor.clone()),
        student_id: Set(entry.student_id.clone()),
        fields: Set(serde_json::json!(entry.fields)),
        operation: Set(entry.operation.clone()),
    });
    disclosure_log::Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

/// One page of the disclosure log, oldest first.
pub async fn list_disclosures<C: ConnectionTrait>(
    db: &C,
    filter: &DisclosureFilter,
    after: Option<i64>,
    limit: u64,
) -> Result<Listed<Disclosure>, StoreError> {
    let mut condition = Condition::all();
    if let Some(student) = &filter.student_id {
        condition = condition.add(disclosure_log::Column::StudentId.eq(student.as_str()));
    }
    if let Some(partner) = &filter.partner_id {
        condition = condition.add(disclosure_log::Column::PartnerId.eq(partner.as_str()));
    }
    let total = disclosure_log::Entity::find().filter(condition.clone()).count(db).await?;
    let mut page = disclosure_log::Entity::find()
        .filter(condition)
        .order_by_asc(disclosure_log::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        page = page.filter(disclosure_log::Column::Id.gt(after));
    }
    let rows = page
        .all(db)
        .await?
        .into_iter()
        .map(|row| Disclosure {
            id: row.id,
            occurred_at: row.occurred_at,
            partner_id: row.partner_id,
            actor: row.actor,
            student_id: row.student_id,
            fields: serde_json::from_value(row.fields).unwrap_or_default(),
            operation: row.operation,
        })
        .collect();
    Ok(Listed { rows, total })
}

fn school_record(row: schools::Model) -> School {
    School { id: row.id, district_id: row.district_id, name: row.name }
}

fn open_statuses() -> Vec<&'static str> {
    MatchStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect()
}

/// The `WHERE` of a student list.
fn student_condition(visible: &Visible, filter: &StudentFilter) -> Condition {
    let id = || Expr::col((students::Entity, students::Column::Id));
    let mut condition = Condition::all();
    condition = match visible {
        Visible::All => condition,
        Visible::School(school) => condition.add(students::Column::SchoolId.eq(school.as_str())),
        Visible::Student(student) => condition.add(students::Column::Id.eq(student.as_str())),
        Visible::MatchedTo(partner) => condition.add(id().in_subquery(matched_to(partner))),
        Visible::Nothing => condition.add(Expr::val(1).eq(0)),
    };
    if let Some(school) = &filter.school_id {
        condition = condition.add(students::Column::SchoolId.eq(school.as_str()));
    }
    if let Some(grade) = filter.grade {
        condition = condition.add(students::Column::Grade.eq(grade));
    }
    if let Some(kind) = &filter.need_kind {
        let with_need = Query::select()
            .column(student_needs::Column::StudentId)
            .from(student_needs::Entity)
            .and_where(student_needs::Column::Kind.eq(kind.as_str()))
            .to_owned();
        condition = condition.add(id().in_subquery(with_need));
    }
    if let Some(name) = filter.name.as_deref().map(str::trim).filter(|name| !name.is_empty()) {
        // LIKE's own wildcards in the text are literal: escaped with `\`.
        let mut pattern = String::from("%");
        for c in name.to_lowercase().chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        condition = condition.add(Expr::cust_with_values(
            "LOWER(students.first_name || ' ' || students.last_name) LIKE ? ESCAPE '\\'",
            [pattern],
        ));
    }
    if let Some(waiting) = filter.waiting {
        let on_list = waitlist::waiting_students(filter.need_kind.as_deref());
        condition =
            condition.add(if waiting { id().in_subquery(on_list) } else { id().not_in_subquery(on_list) });
    }
    if let Some(unmatched) = filter.unmatched {
        let open_needs = unfilled_needs(filter.need_kind.as_deref());
        condition = condition.add(if unmatched {
            id().in_subquery(open_needs)
        } else {
            id().not_in_subquery(open_needs)
        });
    }
    condition
}

/// `SELECT n.student_id FROM student_needs n WHERE NOT EXISTS (an open match of
/// n's student and kind)`: students with a need no open match fills.
fn unfilled_needs(kind: Option<&str>) -> SelectStatement {
    let need = Alias::new("n");
    let filled = Query::select()
        .expr(Expr::val(1))
        .from(matches::Entity)
        .and_where(
            Expr::col((matches::Entity, matches::Column::StudentId))
                .equals((need.clone(), student_needs::Column::StudentId)),
        )
        .and_where(
            Expr::col((matches::Entity, matches::Column::Kind))
                .equals((need.clone(), student_needs::Column::Kind)),
        )
        .and_where(Expr::col((matches::Entity, matches::Column::Status)).is_in(open_statuses()))
        .to_owned();
    let mut select = Query::select();
    select
        .column((need.clone(), student_needs::Column::StudentId))
        .from_as(student_needs::Entity, need.clone())
        .and_where(Expr::exists(filled).not());
    if let Some(kind) = kind {
        select.and_where(Expr::col((need, student_needs::Column::Kind)).eq(kind));
    }
    select
}

/// The school of each of `ids` that exists (a query per 5,000 ids).
pub async fn schools_of<C: ConnectionTrait>(
    db: &C,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    let mut found = std::collections::HashMap::new();
    for chunk in ids.chunks(5_000) {
        let rows: Vec<(String, String)> = students::Entity::find()
            .select_only()
            .column(students::Column::Id)
            .column(students::Column::SchoolId)
            .filter(students::Column::Id.is_in(chunk.iter().map(String::as_str)))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}
