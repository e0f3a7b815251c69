//! Validated writes of records. Every function takes the caller's connection or
//! transaction, so an import or a seed composes them into one all-or-nothing change.
//! Saving a record with a known id replaces it (child rows included).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use matcher::calendar::{Minutes, WeekWindows, Weekday, Window};
use matcher::model::TravelMode;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

use super::StoreError;
use super::entity::{
    agreements, audit_log, background_checks, districts, feedback, guardians, opening_languages,
    opening_subjects, opening_windows, openings, partners, schools, student_languages, student_needs,
    student_windows, students,
};
use super::records::{Agreement, District, Feedback, Opening, OpeningStatus, Partner, School, Student};
use matcher::record::{OpeningRecord, StudentRecord};
use matcher::validate::{RawOpening, RawStudent};

/// Rows per INSERT: keeps every statement under SQLite's bound-parameter limit.
const CHUNK: usize = 400;

/// Home coordinates are kept to 3 decimals (about 100 m): enough for travel times,
/// not a street address.
pub fn coarse(degrees: f64) -> f64 {
    (degrees * 1000.0).round() / 1000.0
}

/// A matcher error about one record, at its path inside the record.
fn field_error(err: matcher::Error) -> StoreError {
    match err {
        matcher::Error::Input { path, message } => StoreError::invalid(path, message),
        other => StoreError::invalid("$", other.to_string()),
    }
}

/// A student's matching fields, read by the rules of docs/matching.md (the
/// matcher's own); an error's field is its path inside the record.
pub fn parse_student(raw: &RawStudent) -> Result<StudentRecord, StoreError> {
    StudentRecord::parse(raw).map_err(field_error)
}

/// An opening's matching fields, read by the rules of docs/matching.md.
pub fn parse_opening(raw: &RawOpening) -> Result<OpeningRecord, StoreError> {
    OpeningRecord::parse(raw).map_err(field_error)
}

/// Checks what the service needs of a student beyond docs/matching.md's rules
/// (which parsing its record applied): names, lengths, guardians.
pub fn check_student(student: &Student) -> Result<(), StoreError> {
    non_empty("id", &student.matching.id)?;
    non_empty("firstName", &student.first_name)?;
    non_empty("lastName", &student.last_name)?;
    non_empty("schoolId", &student.school_id)?;
    terms("languages", &student.matching.languages)?;
    for (index, need) in student.matching.needs.iter().enumerate() {
        terms(&format!("needs[{index}].subjects"), &need.subjects)?;
    }
    for (index, guardian) in student.guardians.iter().enumerate() {
        non_empty(&format!("guardians[{index}].name"), &guardian.name)?;
        optional(
            &format!("guardians[{index}].relationship"),
            guardian.relationship.as_ref(),
            MAX_NAME_CHARS,
        )?;
        optional(&format!("guardians[{index}].email"), guardian.email.as_ref(), MAX_NAME_CHARS)?;
        optional(&format!("guardians[{index}].phone"), guardian.phone.as_ref(), MAX_NAME_CHARS)?;
        if let Some(language) = &guardian.language
            && !(language.len() == 2 && language.bytes().all(|b| b.is_ascii_lowercase()))
        {
            return Err(StoreError::invalid(
                format!("guardians[{index}].language"),
                format!("{language:?} is not an ISO 639-1 code (two lower-case letters, like es)"),
            ));
        }
    }
    Ok(())
}

/// Checks what the service needs of an opening beyond docs/matching.md's rules
/// (which parsing its record applied).
pub fn check_opening(opening: &Opening) -> Result<(), StoreError> {
    non_empty("id", &opening.matching.id)?;
    optional("title", opening.title.as_ref(), MAX_NAME_CHARS)?;
    terms("subjects", &opening.matching.subjects)?;
    terms("languages", &opening.matching.languages)?;
    // What the matcher ignores but a row must still hold: a capacity that fits the
    // column, check dates in order.
    let o = &opening.matching;
    if i64::from(o.capacity) > i64::from(i32::MAX) {
        return Err(StoreError::invalid("capacity", format!("must be at most {}", i32::MAX)));
    }
    if let Some(check) = &o.background_check
        && let (Some(cleared), Some(expires)) = (check.cleared_on(), check.expires_on())
        && expires < cleared
    {
        return Err(StoreError::invalid("backgroundCheck.expiresOn", "is before clearedOn"));
    }
    Ok(())
}

/// Why an opening as entered could never be matched, one error per field, beyond
/// the field rules of docs/matching.md (which [`parse_opening`] applies): grades that exclude every
/// student, a schedule with no room for a session, too few days for its sessions a
/// week, a blank subject, no language. What a person enters (the API, CSV import)
/// meets these; generated and seeded instances need not.
pub fn unmatchable(o: &RawOpening) -> Vec<StoreError> {
    let mut problems = Vec::new();
    if o.min_grade_or_default() > o.max_grade_or_default() {
        let message = format!("{} is above maxGrade {}", o.min_grade_or_default(), o.max_grade_or_default());
        problems.push(StoreError::invalid("minGrade", message));
    }
    for (index, subject) in o.subjects.iter().enumerate() {
        if subject.trim().is_empty() {
            problems.push(StoreError::invalid(format!("subjects[{index}]"), "is blank"));
        }
    }
    if o.languages.is_empty() {
        problems.push(StoreError::invalid("languages", "is empty: sessions need a language"));
    }
    // A window that does not parse is the field rules' to report; judging the rest
    // would blame the schedule twice.
    let parsed: Option<Vec<Window>> =
        o.schedule.iter().map(|w| matcher::record::parse_window("schedule", w).ok()).collect();
    let Some(parsed) = parsed else {
        return problems;
    };
    let windows = window_rows(&parsed);
    if windows.is_empty() {
        problems.push(StoreError::invalid("schedule", "is empty: no session can be placed"));
        return problems;
    }
    let minutes = o.session_minutes;
    let mut days: Vec<i32> = windows
        .iter()
        .filter(|(_, start, end)| i64::from(end - start) >= minutes)
        .map(|(day, _, _)| *day)
        .collect();
    days.dedup();
    if days.is_empty() {
        problems.push(StoreError::invalid(
            "sessionMinutes",
            format!("{minutes} minutes is longer than every window of the schedule"),
        ));
    } else if (days.len() as i64) < o.sessions_per_week_or_default() {
        problems.push(StoreError::invalid(
            "sessionsPerWeek",
            format!(
                "{} sessions a week need as many days with room for {minutes} minutes; the schedule has {}",
                o.sessions_per_week_or_default(),
                days.len()
            ),
        ));
    }
    problems
}

fn non_empty(field: &str, value: &str) -> Result<(), StoreError> {
    if value.trim().is_empty() {
        return Err(StoreError::invalid(field, "must not be empty"));
    }
    at_most(field, value, MAX_NAME_CHARS)
}

/// Longest id, name, title, contact or relationship, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest subject or language, in characters.
pub const MAX_TERM_CHARS: usize = 100;
/// Longest free text kept with a record (an agreement's terms).
pub const MAX_TEXT_CHARS: usize = 10_000;

/// Refuses text longer than `max` characters: every column is bounded, so one
/// request cannot fill the database with a 50,000-character name.
fn at_most(field: &str, value: &str, max: usize) -> Result<(), StoreError> {
    let length = value.chars().count();
    if length > max {
        return Err(StoreError::invalid(
            field,
            format!("is {length} characters long; at most {max} are kept"),
        ));
    }
    Ok(())
}

fn optional(field: &str, value: Option<&String>, max: usize) -> Result<(), StoreError> {
    value.map_or(Ok(()), |value| at_most(field, value, max))
}

fn terms(field: &str, values: &[String]) -> Result<(), StoreError> {
    for (index, value) in values.iter().enumerate() {
        at_most(&format!("{field}[{index}]"), value, MAX_TERM_CHARS)?;
    }
    Ok(())
}

/// Merged weekly windows as `(day, start, end)` minutes.
pub fn window_rows(windows: &[Window]) -> Vec<(i32, i32, i32)> {
    WeekWindows::from_windows(windows.to_vec())
        .windows()
        .iter()
        .map(|w| (w.day().index() as i32, i32::from(w.start().get()), i32::from(w.end().get())))
        .collect()
}

/// A stored window's columns back as a window.
pub fn stored_window(day: i32, start: i32, end: i32) -> Result<Window, StoreError> {
    let day = usize::try_from(day).ok().and_then(|d| Weekday::ALL.get(d).copied());
    let minutes = |m: i32| u16::try_from(m).ok().and_then(Minutes::new);
    day.zip(minutes(start))
        .zip(minutes(end))
        .and_then(|((day, start), end)| Window::new(day, start, end))
        .ok_or_else(|| StoreError::unreadable("a stored window"))
}

/// Distinct values, first occurrence kept (a list may repeat itself; a key may not).
fn distinct(values: &[String]) -> Vec<&String> {
    let mut seen = std::collections::HashSet::new();
    values.iter().filter(|value| seen.insert(value.as_str())).collect()
}

async fn insert_chunks<E, A, C>(
    db: &C,
    rows: Vec<A>,
    on_conflict: Option<OnConflict>,
) -> Result<(), StoreError>
where
    C: ConnectionTrait,
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        let mut insert = E::insert_many(chunk);
        if let Some(on_conflict) = on_conflict.clone() {
            insert = insert.on_conflict(on_conflict);
        }
        insert.exec_without_returning(db).await?;
    }
    Ok(())
}

/// `ON CONFLICT (id) DO UPDATE` of the given columns.
fn upsert<C: sea_orm::sea_query::IntoIden + Copy>(key: C, columns: &[C]) -> OnConflict {
    OnConflict::column(key).update_columns(columns.iter().copied()).to_owned()
}

/// Deletes the child rows of `ids` in `column`.
async fn delete_children<E, C>(db: &C, column: E::Column, ids: &[&str]) -> Result<(), StoreError>
where
    C: ConnectionTrait,
    E: EntityTrait,
{
    for chunk in ids.chunks(CHUNK) {
        E::delete_many().filter(column.is_in(chunk.iter().copied())).exec(db).await?;
    }
    Ok(())
}

/// Makes sure `txn` writes into a database that holds no district yet: a seed's
/// rows (the demo, a generated district) are never mixed into other data. Of two
/// seeds racing on an empty database one wins and the other gets `Conflict`:
/// SQLite's write transaction and, on PostgreSQL, a lock on `districts` make the
/// check and the writes one step.
///
/// # Errors
/// `Conflict` naming `what` when a district exists.
pub async fn claim_empty(txn: &crate::Transaction, what: &'static str) -> Result<(), StoreError> {
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Conflicts with itself and with inserts: a second seed waits, then sees the district.
        txn.execute_unprepared("LOCK TABLE districts IN SHARE ROW EXCLUSIVE MODE").await?;
    }
    use sea_orm::PaginatorTrait;
    if districts::Entity::find().count(txn).await? > 0 {
        return Err(crate::Conflict::NotEmpty { what }.into());
    }
    Ok(())
}

/// Saves a district.
pub async fn save_district<C: ConnectionTrait>(db: &C, district: &District) -> Result<(), StoreError> {
    non_empty("id", &district.id)?;
    non_empty("name", &district.name)?;
    let row = districts::ActiveModel { id: Set(district.id.clone()), name: Set(district.name.clone()) };
    use districts::Column as C;
    insert_chunks(db, vec![row], Some(upsert(C::Id, &[C::Name]))).await
}

/// Saves schools.
pub async fn save_schools<C: ConnectionTrait>(db: &C, list: &[School]) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(list.len());
    for school in list {
        non_empty("id", &school.id)?;
        non_empty("name", &school.name)?;
        rows.push(schools::ActiveModel {
            id: Set(school.id.clone()),
            district_id: Set(school.district_id.clone()),
            name: Set(school.name.clone()),
        });
    }
    use schools::Column as C;
    insert_chunks(db, rows, Some(upsert(C::Id, &[C::DistrictId, C::Name]))).await
}

/// Saves partners.
pub async fn save_partners<C: ConnectionTrait>(
    db: &C,
    list: &[Partner],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(list.len());
    for partner in list {
        non_empty("id", &partner.id)?;
        non_empty("name", &partner.name)?;
        optional("contactName", partner.contact_name.as_ref(), MAX_NAME_CHARS)?;
        optional("contactEmail", partner.contact_email.as_ref(), MAX_NAME_CHARS)?;
        optional("contactPhone", partner.contact_phone.as_ref(), MAX_NAME_CHARS)?;
        rows.push(partners::ActiveModel {
            id: Set(partner.id.clone()),
            name: Set(partner.name.clone()),
            kind: Set(partner.kind.as_str().to_owned()),
            status: Set(partner.status.as_str().to_owned()),
            contact_name: Set(partner.contact_name.clone()),
            contact_email: Set(partner.contact_email.clone()),
            contact_phone: Set(partner.contact_phone.clone()),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    use partners::Column as C;
    let columns =
        [C::Name, C::Kind, C::Status, C::ContactName, C::ContactEmail, C::ContactPhone, C::UpdatedAt];
    insert_chunks(db, rows, Some(upsert(C::Id, &columns))).await
}

/// Saves agreements (a known id is replaced).
pub async fn save_agreements<C: ConnectionTrait>(db: &C, list: &[Agreement]) -> Result<(), StoreError> {
    use agreements::Column as C;
    let columns = [C::PartnerId, C::SchoolId, C::StartsOn, C::EndsOn, C::SignedOn, C::DataSharing, C::Terms];
    insert_chunks(db, agreement_rows(list)?, Some(upsert(C::Id, &columns))).await
}

/// Creates agreements: an id already taken (even by a writer that raced this one)
/// is `Conflict`, never a replacement.
pub async fn create_agreements<C: ConnectionTrait>(db: &C, list: &[Agreement]) -> Result<(), StoreError> {
    insert_chunks(db, agreement_rows(list)?, None).await.map_err(|err| match err {
        StoreError::Constraint { kind: super::ConstraintKind::Unique, .. } => {
            crate::Conflict::IdReused { entity: "agreement" }.into()
        }
        other => other,
    })
}

fn agreement_rows(list: &[Agreement]) -> Result<Vec<agreements::ActiveModel>, StoreError> {
    let mut rows = Vec::with_capacity(list.len());
    for agreement in list {
        non_empty("id", &agreement.id)?;
        optional("terms", agreement.terms.as_ref(), MAX_TEXT_CHARS)?;
        if agreement.ends_on.is_some_and(|end| end < agreement.starts_on) {
            return Err(StoreError::invalid("endsOn", "is before startsOn"));
        }
        rows.push(agreements::ActiveModel {
            id: Set(agreement.id.clone()),
            partner_id: Set(agreement.partner_id.clone()),
            school_id: Set(agreement.school_id.clone()),
            starts_on: Set(agreement.starts_on),
            ends_on: Set(agreement.ends_on),
            signed_on: Set(agreement.signed_on),
            data_sharing: Set(agreement.data_sharing),
            terms: Set(agreement.terms.clone()),
        });
    }
    Ok(rows)
}

/// Saves openings, replacing subjects, languages, schedule and background check.
/// Lowering capacity below the slots already taken is refused by the database
/// (`opening_filled`).
pub async fn save_openings<C: ConnectionTrait>(
    db: &C,
    list: &[Opening],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(list.len());
    let (mut subjects, mut languages, mut windows, mut checks) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for opening in list {
        check_opening(opening)?;
        let o = &opening.matching;
        let is_virtual = o.r#virtual;
        rows.push(openings::ActiveModel {
            id: Set(o.id.clone()),
            partner_id: Set(o.partner_id.clone()),
            kind: Set(o.kind.as_str().to_owned()),
            title: Set(opening.title.clone()),
            is_virtual: Set(is_virtual),
            lat: Set(o.place.map(|p| p.lat())),
            lon: Set(o.place.map(|p| p.lon())),
            pickup_radius_km: Set(o.pickup_radius_km),
            session_minutes: Set(i32::from(o.session_minutes)),
            sessions_per_week: Set(i32::from(o.sessions_per_week)),
            capacity: Set(o.capacity as i32),
            filled: Set(0),
            min_grade: Set(i32::from(o.min_grade.get())),
            max_grade: Set(i32::from(o.max_grade.get())),
            min_age: Set(o.min_age.map(|age| age as i32)),
            // New openings are open; an edit never reopens or closes one.
            status: sea_orm::ActiveValue::NotSet,
            version: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        });
        for subject in distinct(&o.subjects) {
            subjects.push(opening_subjects::ActiveModel {
                opening_id: Set(o.id.clone()),
                subject: Set(subject.clone()),
            });
        }
        for language in distinct(&o.languages) {
            languages.push(opening_languages::ActiveModel {
                opening_id: Set(o.id.clone()),
                language: Set(language.clone()),
            });
        }
        for (day, start, end) in window_rows(&o.schedule) {
            windows.push(opening_windows::ActiveModel {
                opening_id: Set(o.id.clone()),
                day: Set(day),
                start_minute: Set(start),
                end_minute: Set(end),
            });
        }
        if let Some(check) = &o.background_check {
            checks.push(background_checks::ActiveModel {
                opening_id: Set(o.id.clone()),
                cleared_on: Set(check.cleared_on()),
                expires_on: Set(check.expires_on()),
            });
        }
    }
    use openings::Column as C;
    let columns = [
        C::PartnerId,
        C::Kind,
        C::Title,
        C::IsVirtual,
        C::Lat,
        C::Lon,
        C::PickupRadiusKm,
        C::SessionMinutes,
        C::SessionsPerWeek,
        C::Capacity,
        C::MinGrade,
        C::MaxGrade,
        C::MinAge,
        C::UpdatedAt,
    ];
    let mut on_conflict = upsert(C::Id, &columns);
    on_conflict.value(C::Version, Expr::col((openings::Entity, C::Version)).add(1));
    insert_chunks(db, rows, Some(on_conflict)).await?;
    let ids: Vec<&str> = list.iter().map(|o| o.matching.id.as_str()).collect();
    delete_children::<opening_subjects::Entity, _>(db, opening_subjects::Column::OpeningId, &ids).await?;
    delete_children::<opening_languages::Entity, _>(db, opening_languages::Column::OpeningId, &ids).await?;
    delete_children::<opening_windows::Entity, _>(db, opening_windows::Column::OpeningId, &ids).await?;
    delete_children::<background_checks::Entity, _>(db, background_checks::Column::OpeningId, &ids).await?;
    insert_chunks(db, subjects, None).await?;
    insert_chunks(db, languages, None).await?;
    insert_chunks(db, windows, None).await?;
    insert_chunks(db, checks, None).await
}

/// Opens or closes an opening to new matches (its open matches go on either way).
///
/// # Errors
/// `NotFound` when there is no such opening.
pub async fn set_opening_status<C: ConnectionTrait>(
    db: &C,
    id: &str,
    status: OpeningStatus,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let result = openings::Entity::update_many()
        .col_expr(openings::Column::Status, Expr::value(status.as_str()))
        .col_expr(openings::Column::UpdatedAt, Expr::value(now))
        .col_expr(openings::Column::Version, Expr::col(openings::Column::Version).add(1))
        .filter(openings::Column::Id.eq(id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(StoreError::not_found("opening", id));
    }
    Ok(())
}

/// Saves students with their languages, availability, needs and guardians. Home is
/// stored coarsely ([`coarse`]).
pub async fn save_students<C: ConnectionTrait>(
    db: &C,
    list: &[Student],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(list.len());
    let (mut languages, mut windows, mut needs, mut contacts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for student in list {
        check_student(student)?;
        let s = &student.matching;
        let has = |mode: TravelMode| s.travel_modes.contains(&mode);
        rows.push(students::ActiveModel {
            id: Set(s.id.clone()),
            school_id: Set(student.school_id.clone()),
            first_name: Set(student.first_name.clone()),
            last_name: Set(student.last_name.clone()),
            grade: Set(i32::from(s.grade.get())),
            birth_date: Set(s.birth_date),
            home_lat: Set(coarse(s.home.lat())),
            home_lon: Set(coarse(s.home.lon())),
            walk: Set(has(TravelMode::Walk)),
            bike: Set(has(TravelMode::Bike)),
            transit: Set(has(TravelMode::Transit)),
            car: Set(has(TravelMode::Car)),
            max_travel_minutes: Set(s.max_travel_minutes),
            remote_ok: Set(s.remote_ok),
            priority: Set(i32::from(s.priority)),
            consent_on_file: Set(s.consent_on_file),
            version: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        });
        for (position, language) in distinct(&s.languages).into_iter().enumerate() {
            languages.push(student_languages::ActiveModel {
                student_id: Set(s.id.clone()),
                position: Set(position as i32),
                language: Set(language.clone()),
            });
        }
        for (day, start, end) in window_rows(&s.availability) {
            windows.push(student_windows::ActiveModel {
                student_id: Set(s.id.clone()),
                day: Set(day),
                start_minute: Set(start),
                end_minute: Set(end),
            });
        }
        for need in &s.needs {
            needs.push(student_needs::ActiveModel {
                student_id: Set(s.id.clone()),
                kind: Set(need.kind.as_str().to_owned()),
                subjects: Set(json!(distinct(&need.subjects))),
                waiting_since: Set(None),
            });
        }
        for guardian in &student.guardians {
            contacts.push(guardians::ActiveModel {
                id: sea_orm::ActiveValue::NotSet,
                student_id: Set(s.id.clone()),
                name: Set(guardian.name.clone()),
                relationship: Set(guardian.relationship.clone()),
                email: Set(guardian.email.clone()),
                phone: Set(guardian.phone.clone()),
                language: Set(guardian.language.clone()),
            });
        }
    }
    use students::Column as C;
    let columns = [
        C::SchoolId,
        C::FirstName,
        C::LastName,
        C::Grade,
        C::BirthDate,
        C::HomeLat,
        C::HomeLon,
        C::Walk,
        C::Bike,
        C::Transit,
        C::Car,
        C::MaxTravelMinutes,
        C::RemoteOk,
        C::Priority,
        C::ConsentOnFile,
        C::UpdatedAt,
    ];
    let mut on_conflict = upsert(C::Id, &columns);
    on_conflict.value(C::Version, Expr::col((students::Entity, C::Version)).add(1));
    insert_chunks(db, rows, Some(on_conflict)).await?;
    let ids: Vec<&str> = list.iter().map(|s| s.matching.id.as_str()).collect();
    delete_children::<student_languages::Entity, _>(db, student_languages::Column::StudentId, &ids).await?;
    delete_children::<student_windows::Entity, _>(db, student_windows::Column::StudentId, &ids).await?;
    // A need kept through an edit keeps its place on the waitlist.
    let waiting = waiting_needs(db, &ids).await?;
    for need in &mut needs {
        let key = (need.student_id.as_ref().clone(), need.kind.as_ref().clone());
        if let Some(since) = waiting.get(&key) {
            need.waiting_since = Set(Some(*since));
        }
    }
    delete_children::<student_needs::Entity, _>(db, student_needs::Column::StudentId, &ids).await?;
    delete_children::<guardians::Entity, _>(db, guardians::Column::StudentId, &ids).await?;
    insert_chunks(db, languages, None).await?;
    insert_chunks(db, windows, None).await?;
    insert_chunks(db, needs, None).await?;
    insert_chunks(db, contacts, None).await
}

/// (student, kind) → waiting since, for the waiting needs of `ids`.
async fn waiting_needs<C: ConnectionTrait>(
    db: &C,
    ids: &[&str],
) -> Result<HashMap<(String, String), NaiveDate>, StoreError> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(String, String, Option<NaiveDate>)> = student_needs::Entity::find()
            .select_only()
            .column(student_needs::Column::StudentId)
            .column(student_needs::Column::Kind)
            .column(student_needs::Column::WaitingSince)
            .filter(student_needs::Column::StudentId.is_in(chunk.iter().copied()))
            .filter(student_needs::Column::WaitingSince.is_not_null())
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows.into_iter().filter_map(|(student, kind, since)| Some(((student, kind), since?))));
    }
    Ok(found)
}

/// Records feedback on a match.
pub async fn save_feedback<C: ConnectionTrait>(
    db: &C,
    item: &Feedback,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    if !(1..=5).contains(&item.rating) {
        return Err(StoreError::invalid("rating", "must be 1 to 5"));
    }
    let row = feedback::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        match_id: Set(item.match_id.clone()),
        author_role: Set(item.author_role.as_str().to_owned()),
        author_id: Set(item.author_id.clone()),
        rating: Set(i32::from(item.rating)),
        comment: Set(item.comment.clone()),
        sessions_attended: Set(item.sessions_attended.map(|n| i32::try_from(n).unwrap_or(i32::MAX))),
        created_at: Set(now),
        visibility: Set(item.visibility.as_str().to_owned()),
    };
    Ok(feedback::Entity::insert(row).exec(db).await?.last_insert_id)
}

/// Appends to the audit log: who changed what.
pub async fn audit<C: ConnectionTrait>(
    db: &C,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    detail: Option<serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = audit_log::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        occurred_at: Set(now),
        actor: Set(actor.to_owned()),
        action: Set(action.to_owned()),
        entity: Set(entity.to_owned()),
        entity_id: Set(entity_id.to_owned()),
        detail: Set(detail),
    };
    audit_log::Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}
