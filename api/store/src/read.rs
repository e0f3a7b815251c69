//! Reading records back. Each reader takes a subquery naming the ids it wants and
//! costs a fixed number of queries (one per table), however many records match:
//! no query per record.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};

use super::StoreError;
use super::bulk::{Item, children, json_cell};
use super::entity::{agreements, guardians, openings, partners, students};
use super::records::{
    Agreement, BackgroundCheck, Grade, Guardian, Kind, NeedRecord, Opening, OpeningRecord, OpeningStatus,
    Partner, PartnerKind, PartnerStatus, Place, Student, StudentRecord, TravelMode, Window,
};
use super::write::stored_window;

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
        // A student has no head narrower than its row.
        Detail::Head | Detail::Row => Ok(students::Entity::find()
            .filter(Expr::col((students::Entity, students::Column::Id)).in_subquery(ids.clone()))
            .order_by_asc(students::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(student_row)
            .collect::<Result<_, _>>()?),
    }
}

/// What a student's child tables hold for them.
#[derive(Default)]
struct StudentChildren {
    languages: Vec<String>,
    availability: Vec<Window>,
    needs: Vec<NeedRecord>,
    waiting_since: BTreeMap<Kind, NaiveDate>,
    guardians: Vec<Guardian>,
}

fn student_record(row: students::Model, children: StudentChildren) -> Result<Student, StoreError> {
    let mut needs = children.needs;
    // Needs in the order kinds are matched, so a record reads the same every time.
    needs.sort_by_key(|need| need.kind.match_rank());
    let modes = [
        (TravelMode::Walk, row.walk),
        (TravelMode::Bike, row.bike),
        (TravelMode::Transit, row.transit),
        (TravelMode::Car, row.car),
    ];
    let matching = StudentRecord {
        grade: Grade::new(i64::from(row.grade)).ok_or_else(|| StoreError::unreadable("a student's grade"))?,
        birth_date: row.birth_date,
        languages: children.languages,
        home: Place::new(row.home_lat, row.home_lon)
            .ok_or_else(|| StoreError::unreadable("a student's home"))?,
        travel_modes: modes.iter().filter(|(_, on)| *on).map(|(mode, _)| *mode).collect(),
        max_travel_minutes: row.max_travel_minutes,
        remote_ok: row.remote_ok,
        availability: children.availability,
        needs,
        priority: u8::try_from(row.priority).map_err(|_| StoreError::unreadable("a student's priority"))?,
        consent_on_file: row.consent_on_file,
        id: row.id,
    };
    Ok(Student {
        school_id: row.school_id,
        first_name: row.first_name,
        last_name: row.last_name,
        guardians: children.guardians,
        waiting_since: children.waiting_since,
        matching,
    })
}

/// The students whose ids `ids` selects, ordered by id; guardians only when asked
/// (matching never needs them). One statement for the students with their
/// languages, availability and needs (each an array column, [`children`]), one for
/// guardians.
pub async fn students_in<C: ConnectionTrait>(
    db: &C,
    ids: &SelectStatement,
    with_guardians: bool,
) -> Result<Vec<Student>, StoreError> {
    let backend = db.get_database_backend();
    let child = |table, items: &[Item<'_>]| children(backend, table, "student_id", "students.id", items);
    let select = students::Entity::find()
        .filter(Expr::col((students::Entity, students::Column::Id)).in_subquery(ids.clone()))
        .order_by_asc(students::Column::Id)
        .expr_as(
            child("student_languages", &[Item::Column("position"), Item::Column("language")]),
            "child_languages",
        )
        .expr_as(child("student_windows", WINDOW), "child_windows")
        .expr_as(
            child(
                "student_needs",
                &[Item::Column("kind"), Item::Json("subjects"), Item::Column("waiting_since")],
            ),
            "child_needs",
        )
        .into_query();
    let rows = db.query_all(&select).await?;
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
    rows.iter()
        .map(|row| {
            let student = students::Model::from_query_result(row, "")?;
            let mut languages: Vec<(i32, String)> = json_cell(row, "child_languages")?;
            languages.sort_unstable();
            let mut needs: Vec<(String, serde_json::Value, Option<String>)> = json_cell(row, "child_needs")?;
            needs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            let mut waiting_since = BTreeMap::new();
            let mut raw_needs = Vec::with_capacity(needs.len());
            for (kind, subjects, since) in needs {
                let kind = Kind::parse(&kind).ok_or_else(|| StoreError::unreadable("a need's kind"))?;
                if let Some(since) = since {
                    let since = since
                        .parse::<NaiveDate>()
                        .map_err(|_| StoreError::unreadable("a need's waiting date"))?;
                    waiting_since.insert(kind, since);
                }
                let subjects: Vec<String> = serde_json::from_value(subjects).unwrap_or_default();
                raw_needs.push(NeedRecord { kind, subjects, waiting_days: 0 });
            }
            let children = StudentChildren {
                languages: languages.into_iter().map(|(_, language)| language).collect(),
                availability: windows(row)?,
                needs: raw_needs,
                waiting_since,
                guardians: contacts.remove(&student.id).unwrap_or_default(),
            };
            student_record(student, children)
        })
        .collect()
}

/// A window's columns, as [`windows`] reads them.
const WINDOW: &[Item<'static>] =
    &[Item::Column("day"), Item::Column("start_minute"), Item::Column("end_minute")];

/// The `child_windows` column ([`WINDOW`]s) of `row`, Monday first, then by start.
fn windows(row: &sea_orm::QueryResult) -> Result<Vec<Window>, StoreError> {
    let mut windows: Vec<(i32, i32, i32)> = json_cell(row, "child_windows")?;
    windows.sort_unstable();
    windows.into_iter().map(|(day, start, end)| stored_window(day, start, end)).collect()
}

/// The strings of the JSON column `name` of `row`, sorted.
fn sorted(row: &sea_orm::QueryResult, name: &str) -> Result<Vec<String>, StoreError> {
    let mut values: Vec<String> = json_cell(row, name)?;
    values.sort_unstable();
    Ok(values)
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
    /// Of an opening, the columns of [`HEAD_COLUMNS`] alone: id, partner, title,
    /// capacity, slots, status and version as stored, every other field at its
    /// default and the child fields empty ([`StoredOpening::detail`] says so). Only a
    /// page of openings reads this little ([`crate::catalog::opening_page`]).
    Head,
    /// The `openings` row alone: `subjects`, `languages`, `schedule` are empty and
    /// `background_check` is `None` whatever is stored ([`StoredOpening::detail`] says so).
    Row,
    /// The row and every child table.
    Full,
}

/// The columns of an opening [`Detail::Head`] reads.
pub const HEAD_COLUMNS: [openings::Column; 7] = [
    openings::Column::Id,
    openings::Column::PartnerId,
    openings::Column::Title,
    openings::Column::Capacity,
    openings::Column::Filled,
    openings::Column::Status,
    openings::Column::Version,
];

/// An opening's [`HEAD_COLUMNS`], as a [`Detail::Head`] read gives them.
#[derive(Debug, sea_orm::FromQueryResult)]
pub struct OpeningHead {
    id: String,
    partner_id: String,
    title: Option<String>,
    capacity: i32,
    filled: i32,
    status: String,
    version: i32,
}

impl OpeningHead {
    /// The row with every column the head leaves out at a default that parses
    /// (a virtual TUTORING opening of one 60-minute session a week, any grade).
    pub fn into_row(self) -> openings::Model {
        let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        openings::Model {
            id: self.id,
            partner_id: self.partner_id,
            kind: "TUTORING".to_owned(),
            title: self.title,
            is_virtual: true,
            lat: None,
            lon: None,
            pickup_radius_km: None,
            session_minutes: 60,
            sessions_per_week: 1,
            capacity: self.capacity,
            filled: self.filled,
            min_grade: 0,
            max_grade: 12,
            min_age: None,
            status: self.status,
            version: self.version,
            created_at: epoch,
            updated_at: epoch,
        }
    }
}

/// The openings whose ids `ids` selects, ordered by id, with their child tables:
/// one statement.
pub async fn openings_in<C: ConnectionTrait>(
    db: &C,
    ids: &SelectStatement,
) -> Result<Vec<StoredOpening>, StoreError> {
    let select = openings::Entity::find()
        .filter(Expr::col((openings::Entity, openings::Column::Id)).in_subquery(ids.clone()))
        .order_by_asc(openings::Column::Id);
    let select = with_opening_children(db.get_database_backend(), select.into_query());
    db.query_all(&select)
        .await?
        .iter()
        .map(|row| {
            let opening = openings::Model::from_query_result(row, "")?;
            stored_opening(opening, opening_children(row)?, Detail::Full)
        })
        .collect()
}

/// `rows` built as openings in their order, with their child tables when `detail`
/// asks (one statement more).
pub async fn openings_of_rows<C: ConnectionTrait>(
    db: &C,
    rows: Vec<openings::Model>,
    detail: Detail,
) -> Result<Vec<StoredOpening>, StoreError> {
    match detail {
        Detail::Head | Detail::Row => {
            rows.into_iter().map(|row| stored_opening(row, Children::default(), detail)).collect()
        }
        Detail::Full if rows.is_empty() => Ok(Vec::new()),
        Detail::Full => {
            let select = Query::select()
                .column((openings::Entity, openings::Column::Id))
                .from(openings::Entity)
                .and_where(openings::Column::Id.is_in(rows.iter().map(|row| row.id.clone())))
                .to_owned();
            let select = with_opening_children(db.get_database_backend(), select);
            let mut children: HashMap<String, Children> = db
                .query_all(&select)
                .await?
                .iter()
                .map(|row| Ok((row.try_get::<String>("", "id")?, opening_children(row)?)))
                .collect::<Result<_, StoreError>>()?;
            rows.into_iter()
                .map(|row| {
                    let found = children.remove(&row.id).unwrap_or_default();
                    stored_opening(row, found, Detail::Full)
                })
                .collect()
        }
    }
}

/// What an opening's child tables hold for it.
#[derive(Default)]
struct Children {
    subjects: Vec<String>,
    languages: Vec<String>,
    schedule: Vec<Window>,
    background_check: Option<BackgroundCheck>,
}

/// `select` (over `openings`) with each opening's child tables as array columns.
fn with_opening_children(backend: DbBackend, mut select: SelectStatement) -> SelectStatement {
    let child = |table, items: &[Item<'_>]| children(backend, table, "opening_id", "openings.id", items);
    select
        .expr_as(child("opening_subjects", &[Item::Column("subject")]), "child_subjects")
        .expr_as(child("opening_languages", &[Item::Column("language")]), "child_languages")
        .expr_as(child("opening_windows", WINDOW), "child_windows")
        .expr_as(
            child("background_checks", &[Item::Column("cleared_on"), Item::Column("expires_on")]),
            "child_check",
        );
    select
}

/// The child columns of a row of [`with_opening_children`].
fn opening_children(row: &sea_orm::QueryResult) -> Result<Children, StoreError> {
    let checks: Vec<(Option<String>, Option<String>)> = json_cell(row, "child_check")?;
    let date = |text: Option<String>| {
        text.map(|text| {
            text.parse::<NaiveDate>().map_err(|_| StoreError::unreadable("a background check's date"))
        })
        .transpose()
    };
    let background_check = match checks.into_iter().next() {
        Some((cleared_on, expires_on)) => Some(BackgroundCheck::new(date(cleared_on)?, date(expires_on)?)),
        None => None,
    };
    Ok(Children {
        subjects: sorted(row, "child_subjects")?,
        languages: sorted(row, "child_languages")?,
        schedule: windows(row)?,
        background_check,
    })
}

fn stored_opening(
    row: openings::Model,
    children: Children,
    detail: Detail,
) -> Result<StoredOpening, StoreError> {
    let unreadable = |what: &str| StoreError::unreadable(format!("opening {}'s {what}", row.id));
    let place = match row.lat.zip(row.lon) {
        Some((lat, lon)) => Some(Place::new(lat, lon).ok_or_else(|| unreadable("place"))?),
        None => None,
    };
    let grade = |value: i32| Grade::new(i64::from(value)).ok_or_else(|| unreadable("grades"));
    let matching = OpeningRecord {
        partner_id: row.partner_id.clone(),
        kind: Kind::parse(&row.kind).ok_or_else(|| unreadable("kind"))?,
        subjects: children.subjects,
        languages: children.languages,
        r#virtual: row.is_virtual,
        place,
        pickup_radius_km: row.pickup_radius_km,
        schedule: children.schedule,
        session_minutes: u16::try_from(row.session_minutes).map_err(|_| unreadable("session length"))?,
        sessions_per_week: u8::try_from(row.sessions_per_week).map_err(|_| unreadable("sessions a week"))?,
        capacity: u32::try_from(row.capacity).map_err(|_| unreadable("capacity"))?,
        min_grade: grade(row.min_grade)?,
        max_grade: grade(row.max_grade)?,
        min_age: row
            .min_age
            .map(|age| u32::try_from(age).map_err(|_| unreadable("minimum age")))
            .transpose()?,
        background_check: children.background_check,
        id: row.id.clone(),
    };
    Ok(StoredOpening {
        opening: Opening { title: row.title, matching },
        filled: row.filled,
        version: row.version,
        status: OpeningStatus::parse(&row.status).unwrap_or(OpeningStatus::Open),
        detail,
    })
}

/// One student, with guardians.
pub async fn student<C: ConnectionTrait>(db: &C, id: &str) -> Result<Student, StoreError> {
    let ids = by_id(students::Entity, students::Column::Id, id);
    students_in(db, &ids, true).await?.pop().ok_or_else(|| StoreError::not_found("student", id))
}

/// Adds every column of `entity` to `select`, each named `prefix` + its name, so a
/// joined table's columns can be told from the others' in one row
/// (`Model::from_query_result(row, prefix)` reads them back).
pub(crate) fn select_prefixed<E: EntityTrait>(select: &mut SelectStatement, entity: E, prefix: &str) {
    for column in E::Column::iter() {
        select.expr_as(Expr::col((entity, column)), Alias::new(format!("{prefix}{}", column.as_str())));
    }
}

/// A `students` row as a record without its child tables ([`Detail::Row`]).
pub(crate) fn student_row(row: students::Model) -> Result<Student, StoreError> {
    student_record(row, StudentChildren::default())
}

/// How the partner's columns are named in [`opening_rows_and_partners`]'s rows.
const PARTNER_PREFIX: &str = "partner_";

/// The opening rows of `ids` with each one's partner (each once, by id), read in one
/// statement.
pub(crate) async fn opening_rows_and_partners<C: ConnectionTrait>(
    db: &C,
    ids: &[String],
) -> Result<(Vec<openings::Model>, HashMap<String, Partner>), StoreError> {
    if ids.is_empty() {
        return Ok((Vec::new(), HashMap::new()));
    }
    let mut select = openings::Entity::find()
        .filter(openings::Column::Id.is_in(ids.iter().map(String::as_str)))
        .order_by_asc(openings::Column::Id)
        .into_query();
    select.inner_join(
        partners::Entity,
        Expr::col((partners::Entity, partners::Column::Id))
            .equals((openings::Entity, openings::Column::PartnerId)),
    );
    select_prefixed(&mut select, partners::Entity, PARTNER_PREFIX);
    let mut rows = Vec::new();
    let mut partners = HashMap::new();
    for row in db.query_all(&select).await? {
        rows.push(openings::Model::from_query_result(&row, "")?);
        let partner = partner_record(partners::Model::from_query_result(&row, PARTNER_PREFIX)?)?;
        partners.entry(partner.id.clone()).or_insert(partner);
    }
    Ok((rows, partners))
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

/// What is public of a partner and all a page of openings usually shows of it: id,
/// name and kind. Its status and contacts are read whole when asked
/// ([`PartnerRead::Head`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PartnerHead {
    /// The partner's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Business, nonprofit, …
    pub kind: PartnerKind,
}

/// A partner as a read gave it: whole, or its head alone.
#[derive(Clone, Debug, PartialEq)]
pub enum PartnerRead {
    /// Only [`PartnerHead`]'s columns were read.
    Head(PartnerHead),
    /// Every column.
    Whole(Partner),
}

impl PartnerRead {
    /// The partner's id.
    pub fn id(&self) -> &str {
        match self {
            PartnerRead::Head(head) => &head.id,
            PartnerRead::Whole(partner) => &partner.id,
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        match self {
            PartnerRead::Head(head) => &head.name,
            PartnerRead::Whole(partner) => &partner.name,
        }
    }

    /// Its kind.
    pub fn kind(&self) -> PartnerKind {
        match self {
            PartnerRead::Head(head) => head.kind,
            PartnerRead::Whole(partner) => partner.kind,
        }
    }
}

/// The columns of a partner [`PartnerHead`] reads.
#[derive(Debug, sea_orm::FromQueryResult)]
struct PartnerHeadRow {
    id: String,
    name: String,
    kind: String,
}

/// The heads of the partners of `ids` that exist, by id: one statement.
pub async fn partner_heads_by_id<C: ConnectionTrait>(
    db: &C,
    ids: &[String],
) -> Result<HashMap<String, PartnerHead>, StoreError> {
    let rows = partners::Entity::find()
        .select_only()
        .columns([partners::Column::Id, partners::Column::Name, partners::Column::Kind])
        .filter(partners::Column::Id.is_in(ids.iter().cloned()))
        .into_model::<PartnerHeadRow>()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|row| {
            let kind = PartnerKind::parse(&row.kind)
                .ok_or_else(|| StoreError::invalid("kind", "unknown value in the database"))?;
            Ok((row.id.clone(), PartnerHead { id: row.id, name: row.name, kind }))
        })
        .collect()
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
