//! Bulk CSV import (docs/csv.md): a file of districts, schools, partners,
//! agreements, openings or students is written whole or not at all. A district is
//! set up from nothing in that order (parents first).
//!
//! A file is read in three steps. The header comes first: an unknown, repeated or
//! missing column refuses the file at row 1, since no row means anything without
//! it. Each row is then parsed into its record and checked by the rules every other
//! write obeys (the matcher's own validation, [`write::check_student`] and
//! [`write::check_opening`]); an error names the row and the CSV column. Last, in
//! one transaction, the references are resolved (schools, partners, ids already
//! stored) with one query per table, and the records are saved. Every bad row is
//! reported at once, so a spreadsheet is fixed in one pass rather than one error at a
//! time, and any error means nothing is written.
//!
//! Cells (RFC 4180, UTF-8, a leading byte order mark is ignored):
//! - Surrounding spaces are ignored; an empty cell is an absent value, its default
//!   in docs/matching.md, or an empty list. A row whose cells are all empty is skipped.
//! - Lists are `;`-separated: `es;en`. Names of kinds, days and modes are read in any
//!   case (`Tutoring` is `TUTORING`), language codes too (`EN` is `en`).
//! - A weekly window is `TUE 15:30-18:00`; availability and schedules are lists
//!   of them.
//! - A need is `TUTORING:algebra|geometry`; subjects are optional (`MENTORING`).
//! - Booleans are `true`/`false`, `yes`/`no` or `1`/`0`.
//! - Rows are numbered as a spreadsheet shows them: the header is row 1, and a
//!   quoted cell spanning lines is still one row.
//!
//! Re-importing a row with a known `id` replaces that record whole, its child
//! rows (languages, windows, needs, guardians) included.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, TryGetableMany,
};
use serde_json::json;

use crate::entity::{agreements, districts, matches, openings, partners, schools, students};
use crate::records::{
    Agreement, District, Guardian, MatchStatus, Opening, Partner, PartnerKind, PartnerStatus, School, Student,
};
use crate::text::{control_message, refused_control};
use crate::{StoreError, begin_write};
use crate::{strand, write};
use matcher::validate::{RawBackgroundCheck, RawNeed, RawOpening, RawPlace, RawStudent, RawWindow};

/// Which records a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// School districts.
    Districts,
    /// Schools of a district.
    Schools,
    /// Students of a school.
    Students,
    /// Partners.
    Partners,
    /// Partners' agreements (MOUs) with the district or one school.
    Agreements,
    /// Partners' openings.
    Openings,
}

impl Table {
    /// Every table, in the order a district imports them (parents first: a
    /// student's school and an opening's partner must already exist).
    pub const ALL: [Table; 6] = [
        Table::Districts,
        Table::Schools,
        Table::Partners,
        Table::Agreements,
        Table::Openings,
        Table::Students,
    ];

    /// Reads a table's name (`districts`, `schools`, `partners`, …).
    pub fn parse(text: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|table| table.as_str() == text)
    }

    /// The table's name, as [`Table::parse`] reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            Table::Districts => "districts",
            Table::Schools => "schools",
            Table::Students => "students",
            Table::Partners => "partners",
            Table::Agreements => "agreements",
            Table::Openings => "openings",
        }
    }

    /// The columns a file must have (docs/csv.md). A students file may leave out
    /// `schoolId` when the caller names the school.
    pub fn required_columns(self) -> &'static [&'static str] {
        match self {
            Table::Districts => &["id", "name"],
            Table::Schools => &["id", "name", "districtId"],
            Table::Agreements => {
                &["id", "partnerId", "schoolId", "startsOn", "endsOn", "signedOn", "dataSharing"]
            }
            Table::Students => &[
                "id",
                "firstName",
                "lastName",
                SCHOOL_ID,
                "grade",
                "birthDate",
                "languages",
                "homeLat",
                "homeLon",
                "travelModes",
                "maxTravelMinutes",
                "remoteOk",
                "availability",
                "needs",
                "priority",
                "consentOnFile",
            ],
            Table::Partners => &["id", "name", "kind", "contactEmail"],
            Table::Openings => &[
                "id",
                "partnerId",
                "kind",
                "subjects",
                "languages",
                "virtual",
                "lat",
                "lon",
                "pickupRadiusKm",
                "schedule",
                "sessionMinutes",
                "sessionsPerWeek",
                "capacity",
                "minGrade",
                "maxGrade",
                "minAge",
                "backgroundClearedOn",
                "backgroundExpiresOn",
            ],
        }
    }

    /// The columns a file may add.
    pub fn optional_columns(self) -> &'static [&'static str] {
        match self {
            Table::Districts | Table::Schools => &[],
            Table::Agreements => &["terms"],
            Table::Students => &[
                "guardianName",
                "guardianRelationship",
                "guardianEmail",
                "guardianPhone",
                "guardianLanguage",
            ],
            Table::Partners => &["contactName", "contactPhone", "status"],
            Table::Openings => &["title"],
        }
    }

    /// A known column by its name.
    fn column(self, name: &str) -> Option<&'static str> {
        self.required_columns().iter().chain(self.optional_columns()).find(|column| **column == name).copied()
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is wrong with one row (or, at row 1, with the header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// 1-based; the header is row 1, the first data row is row 2.
    pub row: usize,
    /// The CSV column, when the error is about one cell.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl RowError {
    fn new(row: usize, column: Option<&str>, message: impl Into<String>) -> RowError {
        RowError { row, column: column.map(str::to_owned), message: message.into() }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "row {}, column {column}: {}", self.row, self.message),
            None => write!(f, "row {}: {}", self.row, self.message),
        }
    }
}

/// What an import wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Imported {
    /// Records with a new id.
    pub created: usize,
    /// Records whose id was already stored, now replaced.
    pub updated: usize,
}

/// Imports one CSV file of `table` records: all rows or none, in one transaction,
/// with one audit entry (`import`, the table's name, `csv`, `{"rows": n}`) by `actor`.
///
/// `school_id` is the school a students file is for (a counselor's import): the
/// `schoolId` column may then be left out, must agree where given, and a row may
/// not take over a student stored in another school. Other tables ignore it.
///
/// # Errors
/// [`StoreError::Rows`] with every bad row when the file breaks a rule (header,
/// cell syntax, a docs/matching.md field rule, a repeated id, an unknown school or
/// partner); another [`StoreError`] when the database fails. Either way nothing
/// is written. No input bytes make it panic. `today` is the date open matches are
/// judged on when an update could strand them ([`crate::Store::today`]).
pub async fn import_csv(
    db: &DatabaseConnection,
    table: Table,
    csv: &[u8],
    school_id: Option<&str>,
    actor: &str,
    (now, today): (DateTime<Utc>, NaiveDate),
) -> Result<Imported, StoreError> {
    match table {
        Table::Districts => import_districts(db, csv, actor, now).await,
        Table::Schools => import_schools(db, csv, actor, now).await,
        Table::Agreements => import_agreements(db, csv, actor, now).await,
        Table::Students => import_students(db, csv, school_id, actor, (now, today)).await,
        Table::Partners => import_partners(db, csv, actor, now).await,
        Table::Openings => import_openings(db, csv, actor, (now, today)).await,
    }
}

const SCHOOL_ID: &str = "schoolId";

/// Ids per `IN (…)` query: one query for any realistic file, and well under the
/// bound-parameter limits of SQLite (32,766) and PostgreSQL (65,535).
const IDS_PER_QUERY: usize = 10_000;

/// Cell values quoted in messages are cut to this many characters, and messages
/// to `MESSAGE_CHARS`: a message must stay readable whatever the file holds.
const QUOTE_CHARS: usize = 40;
const MESSAGE_CHARS: usize = 200;

async fn import_students(
    db: &DatabaseConnection,
    csv: &[u8],
    school_id: Option<&str>,
    actor: &str,
    (now, today): (DateTime<Utc>, NaiveDate),
) -> Result<Imported, StoreError> {
    let Sheet { rows, mut errors } =
        read_sheet(csv, Table::Students, school_id.is_some(), |cells| student_row(cells, school_id))?;
    if rows.is_empty() {
        return finish_empty(errors);
    }
    let txn = begin_write(db).await?;
    let school_ids = distinct(rows.iter().map(|(_, student)| student.school_id.as_str()));
    let known_schools: HashSet<String> =
        select_in::<schools::Entity, String>(&txn, schools::Column::Id, &[schools::Column::Id], &school_ids)
            .await?
            .into_iter()
            .collect();
    let ids: Vec<&str> = rows.iter().map(|(_, student)| student.matching.id.as_str()).collect();
    let stored: HashMap<String, String> = select_in::<students::Entity, (String, String)>(
        &txn,
        students::Column::Id,
        &[students::Column::Id, students::Column::SchoolId],
        &ids,
    )
    .await?
    .into_iter()
    .collect();
    let matched: HashSet<String> = select_in::<matches::Entity, (String, String)>(
        &txn,
        matches::Column::StudentId,
        &[matches::Column::StudentId, matches::Column::Status],
        &ids,
    )
    .await?
    .into_iter()
    .filter(|(_, status)| MatchStatus::parse(status).is_some_and(MatchStatus::is_open))
    .map(|(id, _)| id)
    .collect();
    for (row, student) in &rows {
        if !known_schools.contains(&student.school_id) {
            let message = format!("no such school {}", quote(&student.school_id));
            errors.push(RowError::new(*row, Some(SCHOOL_ID), message));
        }
        // A school's import may not take over another school's student.
        let stored_school = stored.get(&student.matching.id);
        if school_id.is_some_and(|given| stored_school.is_some_and(|stored| stored != given)) {
            errors.push(RowError::new(*row, Some("id"), "belongs to a student of another school"));
        }
        // An update never strands an open match, as through the API.
        if matched.contains(&student.matching.id) {
            let stranded = strand::by_student(&txn, student, today).await?;
            if !stranded.is_empty() {
                errors.push(RowError::new(*row, None, strands(&stranded)));
            }
        }
    }
    if !errors.is_empty() {
        txn.rollback().await.map_err(StoreError::from)?;
        return Err(rows_error(errors));
    }
    let records: Vec<Student> = rows.into_iter().map(|(_, student)| student).collect();
    write::save_students(&txn, &records, now).await?;
    finish(txn, Table::Students, records.len(), stored.len(), actor, now).await
}

async fn import_districts(
    db: &DatabaseConnection,
    csv: &[u8],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Imported, StoreError> {
    let Sheet { rows, errors } = read_sheet(csv, Table::Districts, false, district_row)?;
    if rows.is_empty() || !errors.is_empty() {
        return finish_empty(errors);
    }
    let txn = begin_write(db).await?;
    let ids: Vec<&str> = rows.iter().map(|(_, district)| district.id.as_str()).collect();
    let n_stored =
        select_in::<districts::Entity, String>(&txn, districts::Column::Id, &[districts::Column::Id], &ids)
            .await?
            .len();
    for (_, district) in &rows {
        write::save_district(&txn, district).await?;
    }
    finish(txn, Table::Districts, rows.len(), n_stored, actor, now).await
}

async fn import_schools(
    db: &DatabaseConnection,
    csv: &[u8],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Imported, StoreError> {
    let Sheet { rows, mut errors } = read_sheet(csv, Table::Schools, false, school_row)?;
    if rows.is_empty() {
        return finish_empty(errors);
    }
    let txn = begin_write(db).await?;
    let district_ids = distinct(rows.iter().map(|(_, school)| school.district_id.as_str()));
    let known: HashSet<String> = select_in::<districts::Entity, String>(
        &txn,
        districts::Column::Id,
        &[districts::Column::Id],
        &district_ids,
    )
    .await?
    .into_iter()
    .collect();
    for (row, school) in &rows {
        if !known.contains(&school.district_id) {
            let message = format!("no such district {}", quote(&school.district_id));
            errors.push(RowError::new(*row, Some("districtId"), message));
        }
    }
    if !errors.is_empty() {
        txn.rollback().await.map_err(StoreError::from)?;
        return Err(rows_error(errors));
    }
    let ids: Vec<&str> = rows.iter().map(|(_, school)| school.id.as_str()).collect();
    let n_stored =
        select_in::<schools::Entity, String>(&txn, schools::Column::Id, &[schools::Column::Id], &ids)
            .await?
            .len();
    let records: Vec<School> = rows.into_iter().map(|(_, school)| school).collect();
    write::save_schools(&txn, &records).await?;
    finish(txn, Table::Schools, records.len(), n_stored, actor, now).await
}

async fn import_agreements(
    db: &DatabaseConnection,
    csv: &[u8],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Imported, StoreError> {
    let Sheet { rows, mut errors } = read_sheet(csv, Table::Agreements, false, agreement_row)?;
    if rows.is_empty() {
        return finish_empty(errors);
    }
    let txn = begin_write(db).await?;
    let partner_ids = distinct(rows.iter().map(|(_, agreement)| agreement.partner_id.as_str()));
    let known_partners: HashSet<String> = select_in::<partners::Entity, String>(
        &txn,
        partners::Column::Id,
        &[partners::Column::Id],
        &partner_ids,
    )
    .await?
    .into_iter()
    .collect();
    let school_ids = distinct(rows.iter().filter_map(|(_, agreement)| agreement.school_id.as_deref()));
    let known_schools: HashSet<String> =
        select_in::<schools::Entity, String>(&txn, schools::Column::Id, &[schools::Column::Id], &school_ids)
            .await?
            .into_iter()
            .collect();
    for (row, agreement) in &rows {
        if !known_partners.contains(&agreement.partner_id) {
            let message = format!("no such partner {}", quote(&agreement.partner_id));
            errors.push(RowError::new(*row, Some("partnerId"), message));
        }
        if let Some(school) = &agreement.school_id
            && !known_schools.contains(school)
        {
            errors.push(RowError::new(*row, Some(SCHOOL_ID), format!("no such school {}", quote(school))));
        }
    }
    if !errors.is_empty() {
        txn.rollback().await.map_err(StoreError::from)?;
        return Err(rows_error(errors));
    }
    let ids: Vec<&str> = rows.iter().map(|(_, agreement)| agreement.id.as_str()).collect();
    let n_stored = select_in::<agreements::Entity, String>(
        &txn,
        agreements::Column::Id,
        &[agreements::Column::Id],
        &ids,
    )
    .await?
    .len();
    let records: Vec<Agreement> = rows.into_iter().map(|(_, agreement)| agreement).collect();
    write::save_agreements(&txn, &records).await?;
    finish(txn, Table::Agreements, records.len(), n_stored, actor, now).await
}

async fn import_partners(
    db: &DatabaseConnection,
    csv: &[u8],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Imported, StoreError> {
    let Sheet { rows, errors } = read_sheet(csv, Table::Partners, false, partner_row)?;
    if rows.is_empty() || !errors.is_empty() {
        return finish_empty(errors);
    }
    let txn = begin_write(db).await?;
    let ids: Vec<&str> = rows.iter().map(|(_, partner)| partner.id.as_str()).collect();
    let n_stored =
        select_in::<partners::Entity, String>(&txn, partners::Column::Id, &[partners::Column::Id], &ids)
            .await?
            .len();
    let records: Vec<Partner> = rows.into_iter().map(|(_, partner)| partner).collect();
    write::save_partners(&txn, &records, now).await?;
    finish(txn, Table::Partners, records.len(), n_stored, actor, now).await
}

async fn import_openings(
    db: &DatabaseConnection,
    csv: &[u8],
    actor: &str,
    (now, today): (DateTime<Utc>, NaiveDate),
) -> Result<Imported, StoreError> {
    let Sheet { rows, mut errors } = read_sheet(csv, Table::Openings, false, opening_row)?;
    if rows.is_empty() {
        return finish_empty(errors);
    }
    let txn = begin_write(db).await?;
    let partner_ids = distinct(rows.iter().map(|(_, opening)| opening.matching.partner_id.as_str()));
    let known_partners: HashSet<String> = select_in::<partners::Entity, String>(
        &txn,
        partners::Column::Id,
        &[partners::Column::Id],
        &partner_ids,
    )
    .await?
    .into_iter()
    .collect();
    let ids: Vec<&str> = rows.iter().map(|(_, opening)| opening.matching.id.as_str()).collect();
    let stored: HashMap<String, (i32, String)> = select_in::<openings::Entity, (String, i32, String)>(
        &txn,
        openings::Column::Id,
        &[openings::Column::Id, openings::Column::Filled, openings::Column::Kind],
        &ids,
    )
    .await?
    .into_iter()
    .map(|(id, filled, kind)| (id, (filled, kind)))
    .collect();
    for (row, opening) in &rows {
        let partner_id = &opening.matching.partner_id;
        if !known_partners.contains(partner_id) {
            errors.push(RowError::new(
                *row,
                Some("partnerId"),
                format!("no such partner {}", quote(partner_id)),
            ));
        }
        // Matches already hold these slots; the database would refuse the change.
        let Some((taken, kind)) = stored.get(&opening.matching.id) else { continue };
        let taken = i64::from(*taken);
        if i64::from(opening.matching.capacity) < taken {
            let message = format!("is below the {taken} places already taken by matches");
            errors.push(RowError::new(*row, Some("capacity"), message));
        }
        // An update never strands an open match, as through the API.
        if taken > 0 && opening.matching.kind.as_str() != kind {
            let message = "the opening has open matches: its kind cannot change while they go on";
            errors.push(RowError::new(*row, Some("kind"), message));
        } else if taken > 0 {
            let stranded = strand::by_opening(&txn, opening, today).await?;
            if !stranded.is_empty() {
                errors.push(RowError::new(*row, None, strands(&stranded)));
            }
        }
    }
    if !errors.is_empty() {
        txn.rollback().await.map_err(StoreError::from)?;
        return Err(rows_error(errors));
    }
    let records: Vec<Opening> = rows.into_iter().map(|(_, opening)| opening).collect();
    write::save_openings(&txn, &records, now).await?;
    finish(txn, Table::Openings, records.len(), stored.len(), actor, now).await
}

/// The row error for an update that would strand open matches.
fn strands(stranded: &[strand::Stranded]) -> String {
    shorten(format!("would make open matches infeasible: {}", strand::describe(stranded)))
}

/// A file without rows to write: its errors, or nothing to do.
fn finish_empty(errors: Vec<RowError>) -> Result<Imported, StoreError> {
    if errors.is_empty() { Ok(Imported::default()) } else { Err(rows_error(errors)) }
}

/// Audits and commits an import of `n_rows` records, `n_stored` of which existed.
async fn finish(
    txn: DatabaseTransaction,
    table: Table,
    n_rows: usize,
    n_stored: usize,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Imported, StoreError> {
    write::audit(&txn, actor, "import", table.as_str(), "csv", Some(json!({ "rows": n_rows })), now).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(Imported { created: n_rows.saturating_sub(n_stored), updated: n_stored })
}

/// Sorted by row, then column, then message; each error once.
fn rows_error(mut errors: Vec<RowError>) -> StoreError {
    errors.sort_by(|a, b| (a.row, &a.column, &a.message).cmp(&(b.row, &b.column, &b.message)));
    errors.dedup();
    StoreError::Rows(errors)
}

pub(crate) fn summary(errors: &[RowError]) -> String {
    match errors {
        [] => "the file is invalid".to_owned(),
        [only] => only.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more errors)", rest.len()),
    }
}

/// The distinct values, first occurrence kept.
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    values.filter(|value| seen.insert(*value)).collect()
}

/// `columns` of the rows of `E` whose `key` is one of `ids`: one query per
/// [`IDS_PER_QUERY`] ids.
async fn select_in<E, T>(
    db: &impl ConnectionTrait,
    key: E::Column,
    columns: &[E::Column],
    ids: &[&str],
) -> Result<Vec<T>, StoreError>
where
    E: EntityTrait,
    T: TryGetableMany,
{
    let mut found = Vec::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let rows = E::find()
            .select_only()
            .columns(columns.iter().copied())
            .filter(key.is_in(chunk.iter().copied()))
            .into_tuple::<T>()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

// ---------------------------------------------------------------------------------
// Reading the file.

/// The rows that parsed, with their row numbers, and the errors of the others.
struct Sheet<T> {
    rows: Vec<(usize, T)>,
    errors: Vec<RowError>,
}

/// Reads the header and every row; `parse_row` turns one row's cells into a record,
/// or records why not in [`Cells::errors`]. Header errors end the reading.
fn read_sheet<T>(
    csv: &[u8],
    table: Table,
    school_given: bool,
    mut parse_row: impl FnMut(&mut Cells<'_>) -> Option<T>,
) -> Result<Sheet<T>, StoreError> {
    // Without `has_headers` the header is just the first record, and `flexible(false)`
    // still holds every row to its length.
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(false).trim(csv::Trim::None).from_reader(csv);
    let mut record = csv::ByteRecord::new();
    let header = match reader.read_byte_record(&mut record) {
        Ok(true) => read_header(table, &record, school_given)?,
        Ok(false) => return Err(rows_error(vec![RowError::new(1, None, "the header row is missing")])),
        Err(err) => return Err(rows_error(vec![RowError::new(1, None, err.to_string())])),
    };
    let mut sheet = Sheet { rows: Vec::new(), errors: Vec::new() };
    let mut first_row_of_id: HashMap<String, usize> = HashMap::new();
    let mut row = 1;
    loop {
        row += 1;
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                // A ragged row is consumed whole; reading goes on with the next one.
                // Nothing else can fail on bytes in memory, but if it did, stop.
                let is_ragged = matches!(err.kind(), csv::ErrorKind::UnequalLengths { .. });
                sheet.errors.push(RowError::new(row, None, csv_message(&err)));
                if is_ragged {
                    continue;
                }
                break;
            }
        }
        let fields = match cell_texts(row, &header, &record) {
            Ok(fields) => fields,
            Err(errors) => {
                sheet.errors.extend(errors);
                continue;
            }
        };
        if fields.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let mut cells = Cells { row, header: &header, fields, errors: Vec::new() };
        let id = cells.cell("id").trim();
        if !id.is_empty() {
            match first_row_of_id.entry(id.to_owned()) {
                Entry::Occupied(first) => cells.fail("id", format!("repeats the id of row {}", first.get())),
                Entry::Vacant(slot) => {
                    slot.insert(row);
                }
            }
        }
        let parsed = parse_row(&mut cells);
        match parsed {
            Some(parsed) if cells.errors.is_empty() => sheet.rows.push((row, parsed)),
            _ if cells.errors.is_empty() => sheet.errors.push(RowError::new(row, None, "cannot be read")),
            _ => sheet.errors.append(&mut cells.errors),
        }
    }
    Ok(sheet)
}

fn csv_message(err: &csv::Error) -> String {
    match err.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("has {len} cells, but the header has {expected_len}")
        }
        _ => err.to_string(),
    }
}

/// The header's columns, in file order.
fn read_header(
    table: Table,
    record: &csv::ByteRecord,
    school_given: bool,
) -> Result<Vec<&'static str>, StoreError> {
    let mut columns = Vec::with_capacity(record.len());
    let mut errors = Vec::new();
    for field in record {
        let Ok(name) = std::str::from_utf8(field) else {
            errors.push(RowError::new(1, None, "the header is not valid UTF-8"));
            continue;
        };
        let name = name.trim();
        match table.column(name) {
            None => {
                let known: Vec<&str> =
                    table.required_columns().iter().chain(table.optional_columns()).copied().collect();
                let message = format!("unknown column; {table} columns are {}", known.join(", "));
                errors.push(RowError::new(1, Some(name), message));
            }
            Some(column) if columns.contains(&column) => {
                errors.push(RowError::new(1, Some(column), "appears twice"));
            }
            Some(column) => columns.push(column),
        }
    }
    for &column in table.required_columns() {
        let may_be_left_out = school_given && column == SCHOOL_ID;
        if !columns.contains(&column) && !may_be_left_out {
            errors.push(RowError::new(1, Some(column), "required column is missing"));
        }
    }
    if errors.is_empty() { Ok(columns) } else { Err(rows_error(errors)) }
}

/// A row's cells as text, refused when one holds a control character (the rule
/// GraphQL input meets too: [`crate::text`]).
fn cell_texts<'r>(
    row: usize,
    header: &[&'static str],
    record: &'r csv::ByteRecord,
) -> Result<Vec<&'r str>, Vec<RowError>> {
    let mut texts = Vec::with_capacity(header.len());
    let mut errors = Vec::new();
    for (field, &column) in record.iter().zip(header) {
        match std::str::from_utf8(field) {
            Ok(text) => match refused_control(text) {
                Some(refused) => errors.push(RowError::new(row, Some(column), control_message(refused))),
                None => texts.push(text),
            },
            Err(_) => errors.push(RowError::new(row, Some(column), "is not valid UTF-8")),
        }
    }
    if errors.is_empty() { Ok(texts) } else { Err(errors) }
}

/// One row's cells by column name, and the errors found so far.
struct Cells<'r> {
    row: usize,
    header: &'r [&'static str],
    fields: Vec<&'r str>,
    errors: Vec<RowError>,
}

impl<'r> Cells<'r> {
    /// A cell's text; empty when the file has no such (optional) column.
    fn cell(&self, column: &str) -> &'r str {
        self.header
            .iter()
            .position(|name| *name == column)
            .and_then(|at| self.fields.get(at))
            .map_or("", |v| *v)
    }

    fn is_empty(&self, column: &str) -> bool {
        self.cell(column).trim().is_empty()
    }

    fn fail(&mut self, column: &str, message: impl Into<String>) {
        self.errors.push(RowError::new(self.row, Some(column), message));
    }

    /// A cell's value; `None` when empty, or when it does not parse (error recorded).
    fn optional<T>(&mut self, column: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let text = self.cell(column).trim();
        if text.is_empty() {
            return None;
        }
        parse(text).map_err(|message| self.fail(column, message)).ok()
    }

    /// A cell that must not be empty; `None` when it is, or does not parse.
    fn required<T>(&mut self, column: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        if self.is_empty(column) {
            self.fail(column, "is required");
            return None;
        }
        self.optional(column, parse)
    }

    /// Records a record's failed check at the column `column_of` names for its field.
    fn fail_check(&mut self, err: StoreError, column_of: fn(&str) -> Option<&'static str>) {
        let error = match err {
            StoreError::Invalid { field, message } => {
                RowError::new(self.row, column_of(&field), shorten(message))
            }
            other => RowError::new(self.row, None, other.to_string()),
        };
        self.errors.push(error);
    }
}

// ---------------------------------------------------------------------------------
// Rows to records.

fn student_row(cells: &mut Cells<'_>, school_id: Option<&str>) -> Option<Student> {
    let school_id = student_school(cells, school_id);
    let guardians = guardians(cells);
    let first_name = cells.required("firstName", text).unwrap_or_default();
    let last_name = cells.required("lastName", text).unwrap_or_default();
    let raw = RawStudent {
        id: cells.required("id", text).unwrap_or_default(),
        grade: cells.required("grade", integer).unwrap_or_default(),
        birth_date: cells.optional("birthDate", text),
        languages: cells.optional("languages", languages).unwrap_or_default(),
        home: RawPlace {
            lat: cells.required("homeLat", number).unwrap_or_default(),
            lon: cells.required("homeLon", number).unwrap_or_default(),
        },
        travel_modes: cells.optional("travelModes", names),
        max_travel_minutes: cells.required("maxTravelMinutes", number).unwrap_or_default(),
        remote_ok: cells.optional("remoteOk", boolean),
        availability: cells.optional("availability", windows).unwrap_or_default(),
        needs: cells.optional("needs", needs).unwrap_or_default(),
        priority: cells.optional("priority", integer),
        consent_on_file: cells.optional("consentOnFile", boolean),
    };
    if !cells.errors.is_empty() {
        return None;
    }
    let matching = match write::parse_student(&raw) {
        Ok(matching) => matching,
        Err(err) => {
            cells.fail_check(err, student_column);
            return None;
        }
    };
    let student = Student {
        school_id: school_id.unwrap_or_default(),
        first_name,
        last_name,
        matching,
        guardians,
        waiting_since: Default::default(),
    };
    if let Err(err) = write::check_student(&student) {
        cells.fail_check(err, student_column);
        return None;
    }
    Some(student)
}

/// The school from the cell or the caller; both given, they must agree.
fn student_school(cells: &mut Cells<'_>, given: Option<&str>) -> Option<String> {
    match (cells.optional(SCHOOL_ID, text), given) {
        (Some(cell), Some(given)) if cell != given => {
            let message = format!("is {}, but this import is for school {}", quote(&cell), quote(given));
            cells.fail(SCHOOL_ID, message);
            None
        }
        (Some(cell), _) => Some(cell),
        (None, Some(given)) => Some(given.to_owned()),
        (None, None) => {
            cells.fail(SCHOOL_ID, "is required");
            None
        }
    }
}

/// At most one guardian per row, from the optional guardian columns.
fn guardians(cells: &mut Cells<'_>) -> Vec<Guardian> {
    let name = cells.optional("guardianName", text);
    let relationship = cells.optional("guardianRelationship", text);
    let email = cells.optional("guardianEmail", email);
    let phone = cells.optional("guardianPhone", text);
    let language = cells.optional("guardianLanguage", text);
    match name {
        Some(name) => vec![Guardian { name, relationship, email, phone, language }],
        None => {
            let has_details = ["guardianRelationship", "guardianEmail", "guardianPhone", "guardianLanguage"]
                .iter()
                .any(|column| !cells.is_empty(column));
            if has_details {
                cells.fail("guardianName", "is required with the guardian's other details");
            }
            Vec::new()
        }
    }
}

/// The CSV column of a student's field path: `home.lat` → `homeLat`.
fn student_column(field: &str) -> Option<&'static str> {
    match field_head(field) {
        "home" if field.starts_with("home.lon") => Some("homeLon"),
        "home" => Some("homeLat"),
        "guardians" => Some("guardianName"),
        head => Table::Students.column(head),
    }
}

fn partner_row(cells: &mut Cells<'_>) -> Option<Partner> {
    let id = cells.required("id", text);
    let name = cells.required("name", text);
    let kind = cells.required("kind", partner_kind);
    let status = cells.optional("status", partner_status).unwrap_or(PartnerStatus::Active);
    let contact_name = cells.optional("contactName", text);
    let contact_email = cells.optional("contactEmail", email);
    let contact_phone = cells.optional("contactPhone", text);
    Some(Partner { id: id?, name: name?, kind: kind?, status, contact_name, contact_email, contact_phone })
}

fn district_row(cells: &mut Cells<'_>) -> Option<District> {
    let id = cells.required("id", text);
    let name = cells.required("name", text);
    Some(District { id: id?, name: name? })
}

fn school_row(cells: &mut Cells<'_>) -> Option<School> {
    let id = cells.required("id", text);
    let name = cells.required("name", text);
    let district_id = cells.required("districtId", text);
    Some(School { id: id?, name: name?, district_id: district_id? })
}

fn agreement_row(cells: &mut Cells<'_>) -> Option<Agreement> {
    let id = cells.required("id", text);
    let partner_id = cells.required("partnerId", text);
    let school_id = cells.optional(SCHOOL_ID, text);
    let starts_on = cells.required("startsOn", date);
    let ends_on = cells.optional("endsOn", date);
    let signed_on = cells.optional("signedOn", date);
    let data_sharing = cells.required("dataSharing", boolean);
    let terms = cells.optional("terms", text);
    if let (Some(starts), Some(ends)) = (starts_on, ends_on)
        && ends < starts
    {
        cells.fail("endsOn", "is before startsOn");
    }
    Some(Agreement {
        id: id?,
        partner_id: partner_id?,
        school_id,
        starts_on: starts_on?,
        ends_on,
        signed_on,
        data_sharing: data_sharing?,
        terms,
    })
}

fn opening_row(cells: &mut Cells<'_>) -> Option<Opening> {
    let place = place(cells);
    let background_check = background_check(cells);
    let title = cells.optional("title", text);
    let raw = RawOpening {
        id: cells.required("id", text).unwrap_or_default(),
        partner_id: cells.required("partnerId", text).unwrap_or_default(),
        kind: cells.required("kind", name).unwrap_or_default(),
        subjects: cells.optional("subjects", list).unwrap_or_default(),
        languages: cells.optional("languages", languages).unwrap_or_default(),
        r#virtual: cells.optional("virtual", boolean),
        place,
        pickup_radius_km: cells.optional("pickupRadiusKm", number),
        schedule: cells.optional("schedule", windows).unwrap_or_default(),
        session_minutes: cells.required("sessionMinutes", integer).unwrap_or_default(),
        sessions_per_week: cells.optional("sessionsPerWeek", integer),
        capacity: cells.required("capacity", integer).unwrap_or_default(),
        min_grade: cells.optional("minGrade", integer),
        max_grade: cells.optional("maxGrade", integer),
        min_age: cells.optional("minAge", integer),
        background_check,
    };
    if !cells.errors.is_empty() {
        return None;
    }
    let opening = match write::parse_opening(&raw) {
        Ok(matching) => Opening { title, matching },
        Err(err) => {
            cells.fail_check(err, opening_column);
            return None;
        }
    };
    if let Err(err) = write::check_opening(&opening) {
        cells.fail_check(err, opening_column);
        return None;
    }
    // What a person enters must be able to match, as through the API.
    for problem in write::unmatchable(&raw) {
        cells.fail_check(problem, opening_column);
    }
    cells.errors.is_empty().then_some(opening)
}

/// Both coordinates or neither.
fn place(cells: &mut Cells<'_>) -> Option<RawPlace> {
    let (lat_empty, lon_empty) = (cells.is_empty("lat"), cells.is_empty("lon"));
    let lat = cells.optional("lat", number);
    let lon = cells.optional("lon", number);
    match (lat_empty, lon_empty) {
        (false, true) => cells.fail("lon", "is required with lat"),
        (true, false) => cells.fail("lat", "is required with lon"),
        _ => {}
    }
    Some(RawPlace { lat: lat?, lon: lon? })
}

fn background_check(cells: &mut Cells<'_>) -> Option<RawBackgroundCheck> {
    let cleared_on = cells.optional("backgroundClearedOn", text);
    let expires_on = cells.optional("backgroundExpiresOn", text);
    (cleared_on.is_some() || expires_on.is_some()).then_some(RawBackgroundCheck { cleared_on, expires_on })
}

/// The CSV column of an opening's field path: `place.lat` → `lat`.
fn opening_column(field: &str) -> Option<&'static str> {
    match field_head(field) {
        "place" if field.starts_with("place.lon") => Some("lon"),
        "place" => Some("lat"),
        "backgroundCheck" if field.starts_with("backgroundCheck.expiresOn") => Some("backgroundExpiresOn"),
        "backgroundCheck" => Some("backgroundClearedOn"),
        head => Table::Openings.column(head),
    }
}

/// The first segment of a field path: `availability[0].start` → `availability`.
fn field_head(field: &str) -> &str {
    field.split(['.', '[']).next().unwrap_or(field)
}

// ---------------------------------------------------------------------------------
// Cell syntax. Each parser gets a trimmed, non-empty cell.

fn text(cell: &str) -> Result<String, String> {
    Ok(cell.to_owned())
}

/// An upper-case name: a kind, a mode, a day.
fn name(cell: &str) -> Result<String, String> {
    Ok(cell.to_uppercase())
}

fn date(cell: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(cell, "%Y-%m-%d")
        .map_err(|_| format!("{} is not a date (YYYY-MM-DD)", quote(cell)))
}

fn integer(cell: &str) -> Result<i64, String> {
    cell.parse().map_err(|_| format!("{} is not a whole number", quote(cell)))
}

fn number(cell: &str) -> Result<f64, String> {
    cell.parse::<f64>()
        .ok()
        .filter(|value| value.is_finite())
        .ok_or_else(|| format!("{} is not a number", quote(cell)))
}

fn boolean(cell: &str) -> Result<bool, String> {
    match cell.to_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(format!("{} is not true or false", quote(cell))),
    }
}

fn email(cell: &str) -> Result<String, String> {
    let is_address =
        cell.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
            && !cell.contains(char::is_whitespace);
    if is_address { Ok(cell.to_owned()) } else { Err(format!("{} is not an email address", quote(cell))) }
}

fn partner_kind(cell: &str) -> Result<PartnerKind, String> {
    PartnerKind::parse(&cell.to_uppercase()).ok_or_else(|| {
        let known: Vec<&str> = PartnerKind::ALL.iter().map(|kind| kind.as_str()).collect();
        format!("{} is not one of {}", quote(cell), known.join(", "))
    })
}

fn partner_status(cell: &str) -> Result<PartnerStatus, String> {
    PartnerStatus::parse(&cell.to_uppercase())
        .ok_or_else(|| format!("{} is not ACTIVE or INACTIVE", quote(cell)))
}

/// `;`-separated items, each trimmed; empty items are dropped (`es;en;`).
fn items(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(';').map(str::trim).filter(|item| !item.is_empty())
}

fn list(cell: &str) -> Result<Vec<String>, String> {
    Ok(items(cell).map(str::to_owned).collect())
}

fn names(cell: &str) -> Result<Vec<String>, String> {
    Ok(items(cell).map(str::to_uppercase).collect())
}

fn languages(cell: &str) -> Result<Vec<String>, String> {
    Ok(items(cell).map(str::to_lowercase).collect())
}

fn windows(cell: &str) -> Result<Vec<RawWindow>, String> {
    items(cell).map(window).collect()
}

/// `TUE 15:30-18:00`. Day and times are checked by the record's own rules.
fn window(item: &str) -> Result<RawWindow, String> {
    let shape = || format!("{} is not a window like TUE 15:30-18:00", quote(item));
    let (day, times) = item.split_once(char::is_whitespace).ok_or_else(shape)?;
    let (start, end) = times.split_once('-').ok_or_else(shape)?;
    let (start, end) = (start.trim(), end.trim());
    if start.is_empty() || end.is_empty() {
        return Err(shape());
    }
    Ok(RawWindow { day: day.to_uppercase(), start: start.to_owned(), end: end.to_owned() })
}

fn needs(cell: &str) -> Result<Vec<RawNeed>, String> {
    items(cell).map(need).collect()
}

/// `TUTORING:algebra|geometry`, or a kind alone.
fn need(item: &str) -> Result<RawNeed, String> {
    let (kind, subjects) = match item.split_once(':') {
        Some((kind, subjects)) => {
            let subjects = subjects.split('|').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
            (kind.trim(), Some(subjects.collect()))
        }
        None => (item, None),
    };
    if kind.is_empty() {
        return Err(format!("{} is not a need like TUTORING:algebra|geometry", quote(item)));
    }
    Ok(RawNeed { kind: kind.to_uppercase(), subjects, waiting_days: None })
}

/// A message of the record's own checks, which quote values whole, cut short.
fn shorten(message: String) -> String {
    match message.char_indices().nth(MESSAGE_CHARS) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message,
    }
}

/// A cell value for a message, cut short and quoted.
fn quote(value: &str) -> String {
    match value.char_indices().nth(QUOTE_CHARS) {
        Some((at, _)) => format!("{:?}", format!("{}…", &value[..at])),
        None => format!("{value:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_read_day_and_times_in_any_case_and_spacing() {
        let read = windows(" tue 15:30-18:00 ;THU  9:00 - 10:00;").unwrap();
        let read: Vec<(&str, &str, &str)> =
            read.iter().map(|w| (w.day.as_str(), w.start.as_str(), w.end.as_str())).collect();
        assert_eq!(read, [("TUE", "15:30", "18:00"), ("THU", "9:00", "10:00")]);
        for bad in ["TUE", "TUE 15:30", "TUE -18:00", "15:30-18:00", "TUE 15:30-"] {
            assert!(window(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn needs_have_optional_subjects() {
        let read = needs("TUTORING:algebra| geometry;mentoring").unwrap();
        assert_eq!(read[0].kind, "TUTORING");
        assert_eq!(read[0].subjects.as_deref(), Some(&["algebra".to_owned(), "geometry".to_owned()][..]));
        assert_eq!(read[1].kind, "MENTORING");
        assert_eq!(read[1].subjects, None);
        assert!(need(":algebra").is_err());
    }

    #[test]
    fn booleans_and_numbers() {
        for (cell, value) in [("true", true), ("Yes", true), ("1", true), ("FALSE", false), ("no", false)] {
            assert_eq!(boolean(cell), Ok(value), "{cell}");
        }
        assert!(boolean("maybe").is_err());
        assert!(number("NaN").is_err());
        assert!(number("inf").is_err());
        assert_eq!(number("-87.5"), Ok(-87.5));
        assert!(integer("9.5").is_err());
    }

    #[test]
    fn fields_map_to_columns() {
        assert_eq!(student_column("availability[0].start"), Some("availability"));
        assert_eq!(student_column("home.lat"), Some("homeLat"));
        assert_eq!(student_column("home.lon"), Some("homeLon"));
        assert_eq!(student_column("needs[1]"), Some("needs"));
        assert_eq!(student_column("guardians[0].name"), Some("guardianName"));
        assert_eq!(student_column("$"), None);
        assert_eq!(opening_column("place"), Some("lat"));
        assert_eq!(opening_column("place.lon"), Some("lon"));
        assert_eq!(opening_column("backgroundCheck.clearedOn"), Some("backgroundClearedOn"));
        assert_eq!(opening_column("backgroundCheck.expiresOn"), Some("backgroundExpiresOn"));
        assert_eq!(opening_column("schedule[2].end"), Some("schedule"));
    }

    #[test]
    fn quotes_are_cut_on_a_character_boundary() {
        let long = "é".repeat(100);
        assert_eq!(quote(&long).chars().count(), QUOTE_CHARS + 3);
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
    }
}
