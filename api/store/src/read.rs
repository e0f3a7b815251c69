//! Reading records back. Each reader takes a subquery naming the ids it wants and
//! costs a fixed number of queries (one per table), however many records match:
//! no query per record.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::StoreError;
use super::entity::{
    agreements, background_checks, guardians, opening_languages, opening_subjects, opening_windows, openings,
    partners, student_languages, student_needs, student_windows, students,
};
use super::records::{
    Agreement, Guardian, Kind, Opening, OpeningStatus, Partner, PartnerKind, PartnerStatus,
    RawBackgroundCheck, RawNeed, RawOpening, RawPlace, RawStudent, RawWindow, Student,
};
use super::write::raw_window;

/// `SELECT id FROM table WHERE id = ?`: one record's id, as a subquery.
pub fn by_id<E: EntityTrait>(entity: E, id_column: E::Column, id: &str) -> SelectStatement {
    Query::select().column(id_column).from(entity).and_where(id_column.eq(id)).to_owned()
}

fn group<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> HashMap<K, Vec<V>>
where
    K: std::hash::Hash + Eq,
{
    let mut map: HashMap<K, Vec<V>> = HashMap::new();
    for (key, value) in pairs {
        map.entry(key).or_default().push(value);
    }
    map
}

/// The students whose ids `ids` selects, ordered by id, with as much `detail` as
/// asked: [`Detail::Row`] reads the `students` row alone (languages, availability,
/// needs, waiting dates and guardians empty), [`Detail::Full`] every child table.
pub async fn students_with<C: ConnectionTrait>(
    db: &C,
    ids: &SelectStatement,
    detail: Detail,
) -> Result<Vec<Student>, StoreError> {
    match detail {
        Detail::Full => students_in(db, ids, true).await,
        Detail::Row => Ok(students::Entity::find()
            .filter(Expr::col((students::Entity, students::Column::Id)).in_subquery(ids.clone()))
            .order_by_asc(students::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|row| student_record(row, StudentChildren::default()))
            .collect()),
    }
}

/// What a student's child tables hold for them.
#[derive(Default)]
struct StudentChildren {
    languages: Vec<String>,
    availability: Vec<RawWindow>,
    needs: Vec<RawNeed>,
    waiting_since: BTreeMap<Kind, NaiveDate>,
    guardians: Vec<Guardian>,
}

fn student_record(row: students::Model, children: StudentChildren) -> Student {
    let mut needs = children.needs;
    // Needs in the order kinds are matched, so a record reads the same every time.
    needs.sort_by_key(|need| matcher::model::Kind::parse(&need.kind).map(|k| k.match_rank()));
    let modes = [("WALK", row.walk), ("BIKE", row.bike), ("TRANSIT", row.transit), ("CAR", row.car)];
    let matching = RawStudent {
        grade: i64::from(row.grade),
        birth_date: row.birth_date.map(|d| d.to_string()),
        languages: children.languages,
        home: RawPlace { lat: row.home_lat, lon: row.home_lon },
        travel_modes: Some(modes.iter().filter(|(_, on)| *on).map(|(m, _)| (*m).to_owned()).collect()),
        max_travel_minutes: row.max_travel_minutes,
        remote_ok: Some(row.remote_ok),
        availability: children.availability,
        needs,
        priority: Some(i64::from(row.priority)),
        consent_on_file: Some(row.consent_on_file),
        id: row.id,
    };
    Student {
        school_id: row.school_id,
        first_name: row.first_name,
        last_name: row.last_name,
        guardians: children.guardians,
        waiting_since: children.waiting_since,
        matching,
    }
}

/// The students whose ids `ids` selects, ordered by id; guardians only when asked
/// (matching never needs them).
pub async fn students_in<C: ConnectionTrait>(
    db: &C,
    ids: &SelectStatement,
    with_guardians: bool,
) -> Result<Vec<Student>, StoreError> {
    let rows = students::Entity::find()
        .filter(Expr::col((students::Entity, students::Column::Id)).in_subquery(ids.clone()))
        .order_by_asc(students::Column::Id)
        .all(db)
        .await?;
    let mut languages = group(
        student_languages::Entity::find()
            .filter(Expr::col(student_languages::Column::StudentId).in_subquery(ids.clone()))
            .order_by_asc(student_languages::Column::StudentId)
            .order_by_asc(student_languages::Column::Position)
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.student_id, row.language)),
    );
    let mut windows = group(
        student_windows::Entity::find()
            .filter(Expr::col(student_windows::Column::StudentId).in_subquery(ids.clone()))
            .order_by_asc(student_windows::Column::StudentId)
            .order_by_asc(student_windows::Column::Day)
            .order_by_asc(student_windows::Column::StartMinute)
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.student_id, raw_window(row.day, row.start_minute, row.end_minute))),
    );
    let need_rows = student_needs::Entity::find()
        .filter(Expr::col(student_needs::Column::StudentId).in_subquery(ids.clone()))
        .all(db)
        .await?;
    let mut waiting: HashMap<String, BTreeMap<Kind, NaiveDate>> = HashMap::new();
    for row in &need_rows {
        if let (Some(since), Some(kind)) = (row.waiting_since, Kind::parse(&row.kind)) {
            waiting.entry(row.student_id.clone()).or_default().insert(kind, since);
        }
    }
    let mut needs = group(need_rows.into_iter().map(|row| {
        let subjects: Vec<String> = serde_json::from_value(row.subjects).unwrap_or_default();
        (row.student_id, RawNeed { kind: row.kind, subjects: Some(subjects), waiting_days: None })
    }));
    let mut contacts = if with_guardians {
        group(
            guardians::Entity::find()
                .filter(Expr::col(guardians::Column::StudentId).in_subquery(ids.clone()))
                .order_by_asc(guardians::Column::Id)
                .all(db)
                .await?
                .into_iter()
                .map(|row| {
                    let guardian = Guardian {
                        name: row.name,
                        relationship: row.relationship,
                        email: row.email,
                        phone: row.phone,
                        language: row.language,
                    };
                    (row.student_id, guardian)
                }),
        )
    } else {
        HashMap::new()
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let children = StudentChildren {
                languages: languages.remove(&row.id).unwrap_or_default(),
                availability: windows.remove(&row.id).unwrap_or_default(),
                needs: needs.remove(&row.id).unwrap_or_default(),
                waiting_since: waiting.remove(&row.id).unwrap_or_default(),
                guardians: contacts.remove(&row.id).unwrap_or_default(),
            };
            student_record(row, children)
        })
        .collect())
}

/// An opening as stored, with its slot count.
#[derive(Clone, Debug)]
pub struct StoredOpening {
    /// The record.
    pub opening: Opening,
    /// Open matches holding a slot.
    pub filled: i32,
    /// Bumped by every change.
    pub version: i32,
    /// Open or closed to new matches.
    pub status: OpeningStatus,
    /// Whether the child tables were read ([`Detail::Row`]: the child fields are empty).
    pub detail: Detail,
}

/// How much of a record a read builds. A page that shows only a record's own columns
/// (an opening's title and capacity, a student's name and grade) needs only its row;
/// an opening's subjects, languages, schedule and background check, and a student's
/// languages, availability, needs and guardians live in child tables, one statement each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// The `openings` row alone: `subjects`, `languages`, `schedule` are empty and
    /// `background_check` is `None` whatever is stored ([`StoredOpening::detail`] says so).
    Row,
    /// The row and every child table.
    Full,
}

/// The openings whose ids `ids` selects, ordered by id.
pub async fn openings_in<C: ConnectionTrait>(
    db: &C,
    ids: &SelectStatement,
) -> Result<Vec<StoredOpening>, StoreError> {
    let rows = openings::Entity::find()
        .filter(Expr::col((openings::Entity, openings::Column::Id)).in_subquery(ids.clone()))
        .order_by_asc(openings::Column::Id)
        .all(db)
        .await?;
    with_children(db, rows, ids).await
}

/// `rows` built as openings in their order, with their child tables when `detail`
/// asks (two to five statements fewer than [`openings_in`] for a page that needs none).
pub async fn openings_of_rows<C: ConnectionTrait>(
    db: &C,
    rows: Vec<openings::Model>,
    detail: Detail,
) -> Result<Vec<StoredOpening>, StoreError> {
    match detail {
        Detail::Row => {
            Ok(rows.into_iter().map(|row| stored_opening(row, Children::default(), Detail::Row)).collect())
        }
        Detail::Full if rows.is_empty() => Ok(Vec::new()),
        Detail::Full => {
            let ids = Query::select()
                .column(openings::Column::Id)
                .from(openings::Entity)
                .and_where(openings::Column::Id.is_in(rows.iter().map(|row| row.id.clone())))
                .to_owned();
            with_children(db, rows, &ids).await
        }
    }
}

/// What an opening's child tables hold for it.
#[derive(Default)]
struct Children {
    subjects: Vec<String>,
    languages: Vec<String>,
    schedule: Vec<RawWindow>,
    background_check: Option<RawBackgroundCheck>,
}

/// `rows` (whose ids `ids` selects) with their child tables, in the rows' order.
async fn with_children<C: ConnectionTrait>(
    db: &C,
    rows: Vec<openings::Model>,
    ids: &SelectStatement,
) -> Result<Vec<StoredOpening>, StoreError> {
    let mut subjects = group(
        opening_subjects::Entity::find()
            .filter(Expr::col(opening_subjects::Column::OpeningId).in_subquery(ids.clone()))
            .order_by_asc(opening_subjects::Column::OpeningId)
            .order_by_asc(opening_subjects::Column::Subject)
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.opening_id, row.subject)),
    );
    let mut languages = group(
        opening_languages::Entity::find()
            .filter(Expr::col(opening_languages::Column::OpeningId).in_subquery(ids.clone()))
            .order_by_asc(opening_languages::Column::OpeningId)
            .order_by_asc(opening_languages::Column::Language)
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.opening_id, row.language)),
    );
    let mut windows = group(
        opening_windows::Entity::find()
            .filter(Expr::col(opening_windows::Column::OpeningId).in_subquery(ids.clone()))
            .order_by_asc(opening_windows::Column::OpeningId)
            .order_by_asc(opening_windows::Column::Day)
            .order_by_asc(opening_windows::Column::StartMinute)
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.opening_id, raw_window(row.day, row.start_minute, row.end_minute))),
    );
    let mut checks: HashMap<String, RawBackgroundCheck> = background_checks::Entity::find()
        .filter(Expr::col(background_checks::Column::OpeningId).in_subquery(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let check = RawBackgroundCheck {
                cleared_on: row.cleared_on.map(|d| d.to_string()),
                expires_on: row.expires_on.map(|d| d.to_string()),
            };
            (row.opening_id, check)
        })
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let children = Children {
                subjects: subjects.remove(&row.id).unwrap_or_default(),
                languages: languages.remove(&row.id).unwrap_or_default(),
                schedule: windows.remove(&row.id).unwrap_or_default(),
                background_check: checks.remove(&row.id),
            };
            stored_opening(row, children, Detail::Full)
        })
        .collect())
}

fn stored_opening(row: openings::Model, children: Children, detail: Detail) -> StoredOpening {
    let place = row.lat.zip(row.lon).map(|(lat, lon)| RawPlace { lat, lon });
    let matching = RawOpening {
        partner_id: row.partner_id,
        kind: row.kind,
        subjects: children.subjects,
        languages: children.languages,
        r#virtual: Some(row.is_virtual),
        place,
        pickup_radius_km: row.pickup_radius_km,
        schedule: children.schedule,
        session_minutes: i64::from(row.session_minutes),
        sessions_per_week: Some(i64::from(row.sessions_per_week)),
        capacity: i64::from(row.capacity),
        min_grade: Some(i64::from(row.min_grade)),
        max_grade: Some(i64::from(row.max_grade)),
        min_age: row.min_age.map(i64::from),
        background_check: children.background_check,
        id: row.id,
    };
    StoredOpening {
        opening: Opening { title: row.title, matching },
        filled: row.filled,
        version: row.version,
        status: OpeningStatus::parse(&row.status).unwrap_or(OpeningStatus::Open),
        detail,
    }
}

/// One student, with guardians.
pub async fn student<C: ConnectionTrait>(db: &C, id: &str) -> Result<Student, StoreError> {
    let ids = by_id(students::Entity, students::Column::Id, id);
    students_in(db, &ids, true).await?.pop().ok_or_else(|| StoreError::not_found("student", id))
}

/// The openings of `ids` that exist, in one set of statements however many
/// (a page's openings, read together), with as much `detail` as asked.
pub async fn openings_by_id<C: ConnectionTrait>(
    db: &C,
    ids: &[String],
    detail: Detail,
) -> Result<Vec<StoredOpening>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = openings::Entity::find()
        .filter(openings::Column::Id.is_in(ids.iter().map(String::as_str)))
        .order_by_asc(openings::Column::Id)
        .all(db)
        .await?;
    openings_of_rows(db, rows, detail).await
}

/// One opening.
pub async fn opening<C: ConnectionTrait>(db: &C, id: &str) -> Result<StoredOpening, StoreError> {
    let ids = by_id(openings::Entity, openings::Column::Id, id);
    openings_in(db, &ids).await?.pop().ok_or_else(|| StoreError::not_found("opening", id))
}

/// A partner row as a record.
pub fn partner_record(row: partners::Model) -> Result<Partner, StoreError> {
    let bad = |what: &str| StoreError::invalid(what, "unknown value in the database");
    Ok(Partner {
        kind: PartnerKind::parse(&row.kind).ok_or_else(|| bad("kind"))?,
        status: PartnerStatus::parse(&row.status).ok_or_else(|| bad("status"))?,
        id: row.id,
        name: row.name,
        contact_name: row.contact_name,
        contact_email: row.contact_email,
        contact_phone: row.contact_phone,
    })
}

/// One partner.
pub async fn partner<C: ConnectionTrait>(db: &C, id: &str) -> Result<Partner, StoreError> {
    let row = partners::Entity::find_by_id(id.to_owned()).one(db).await?;
    partner_record(row.ok_or_else(|| StoreError::not_found("partner", id))?)
}

/// An agreement row as a record.
pub fn agreement_record(row: agreements::Model) -> Agreement {
    Agreement {
        id: row.id,
        partner_id: row.partner_id,
        school_id: row.school_id,
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        signed_on: row.signed_on,
        data_sharing: row.data_sharing,
        terms: row.terms,
    }
}

/// A partner's agreements, ordered by start.
pub async fn agreements_of<C: ConnectionTrait>(
    db: &C,
    partner_id: &str,
) -> Result<Vec<Agreement>, StoreError> {
    let rows = agreements::Entity::find()
        .filter(agreements::Column::PartnerId.eq(partner_id))
        .order_by_asc(agreements::Column::StartsOn)
        .order_by_asc(agreements::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(agreement_record).collect())
}
