//! Suggestions for one student's need: the best feasible openings and why, found
//! without loading the catalog. A narrowed instance holds the student (with only
//! that need), their open matches and declines, and the openings that pass, in SQL,
//! conditions every feasible opening meets (kind, an active partner, a free slot,
//! grade, age, a shared language, for tutoring a shared subject, a background check
//! and an agreement in force, within reach or virtual). The matcher's one-need view
//! ([`matcher::single::NeedView`]) then decides: the same feasibility, scores and
//! sessions a match run gives the pair.
//!
//! The need's report (`ruledOutBy`) is exact over every opening of the kind, so it
//! loads the student's whole scope, as a run of that one student would.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use matcher::calendar::{WeekWindows, Window};
use matcher::feasibility::Constraint;
use matcher::geo::{ROUTE_FACTOR, haversine_km, mode_minutes, reach_km, within_limit};
use matcher::model::{Instance, TravelMode, age_in_years};
use matcher::record::{NeedRecord, OpeningRecord, StudentRecord};
use matcher::score::Weights;
use matcher::single::{NeedView, Tally};
use matcher::validate::Parts;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query, SelectStatement, SimpleExpr, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, DbErr};

use super::StoreError;
use super::entity::{
    agreements, background_checks, opening_languages, opening_subjects, opening_windows, openings, partners,
    students,
};
use super::geo::Bounds;
use super::laps::Laps;
use super::read::{StoredOpening, by_id, openings_in, students_in};
use super::records::{Kind, OpeningStatus, PartnerStatus, Student};
use super::scope::{Loaded, Scope, held_by_students, load_around, load_scope};

/// A feasible opening for a need, as a match run would make the pair.
#[derive(Clone, Debug)]
pub struct Suggestion {
    /// The opening, as stored.
    pub opening: StoredOpening,
    /// The pair's score.
    pub score: u32,
    /// Points per criterion (every criterion, by name); they add up to `score`.
    pub breakdown: BTreeMap<String, i64>,
    /// The weekly sessions the pair would get, Monday first.
    pub sessions: Vec<Window>,
    /// How the student would get there.
    pub travel: Travel,
    /// The student's most preferred language the opening speaks.
    pub language: String,
    /// The opening's subjects the need asks for, as the opening spells them.
    pub subjects: Vec<String>,
}

/// How a student gets to an opening.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Travel {
    /// A virtual opening.
    Online,
    /// By the fastest of the student's own modes.
    Own {
        /// Minutes by that mode.
        minutes: f64,
        /// The mode.
        mode: TravelMode,
    },
    /// Only the partner's pick-up brings it within the student's limit.
    Pickup {
        /// Minutes by the partner's car.
        minutes: f64,
    },
}

/// Why a need has the suggestions it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeedReport {
    /// An open match of the kind already fills the need; nothing is suggested.
    pub filled: bool,
    /// Openings of the kind that pass every constraint.
    pub feasible: u32,
    /// Openings of the kind failing each constraint (one failing several counts
    /// under each), in the contract's order, zero counts left out.
    pub ruled_out_by: Vec<(Constraint, u32)>,
}

/// A student with the fields matching reads (no guardians).
///
/// # Errors
/// `NotFound` when there is no such student.
pub async fn student<C: ConnectionTrait>(db: &C, id: &str) -> Result<Student, StoreError> {
    let ids = by_id(students::Entity, students::Column::Id, id);
    students_in(db, &ids, false).await?.pop().ok_or_else(|| StoreError::not_found("student", id))
}

/// The best `limit` feasible openings for `student`'s need of `kind` on `as_of`, by
/// score (highest first), then opening id. Empty when the student has no such need
/// or an open match already fills it. Costs a fixed number of queries, whatever the
/// size of the district.
pub async fn suggestions<C: ConnectionTrait>(
    db: &C,
    student: &Student,
    kind: Kind,
    as_of: NaiveDate,
    limit: usize,
) -> Result<Vec<Suggestion>, StoreError> {
    let matching = student.matching_on(as_of);
    let Some(need) = matching.need(kind) else {
        return Ok(Vec::new());
    };
    let raw = StudentRecord { needs: vec![need.clone()], ..matching.clone() };
    let student_ids = by_id(students::Entity, students::Column::Id, &raw.id);
    let held = held_by_students(&student_ids);
    let candidates = candidate_ids(db.get_database_backend(), &raw, need, kind, &student.school_id, as_of)?;
    let opening_ids = match candidates {
        Some(candidates) => listed(db, candidates, held).await?,
        None => held,
    };
    let stored = openings_in(db, &opening_ids).await?;
    let loaded =
        load_around(db, vec![raw], &student_ids, stored, Some(&student.school_id), &mut Laps::new()).await?;
    let instance = build(&loaded.instance(as_of, Weights::default()))?;
    let Some(view) = NeedView::of(&instance, 0, kind) else {
        return Ok(Vec::new());
    };
    view.ranked(limit)
        .iter()
        .map(|candidate| match suggestion(&view, &loaded, need, candidate.opening as usize) {
            Ok(suggestion) => Ok(suggestion),
            Err(_) => Err(inconsistent("a candidate is not feasible")),
        })
        .collect()
}

/// The opening at `at` as a run would match it to the view's need, or every
/// constraint it fails.
fn suggestion(
    view: &NeedView<'_>,
    loaded: &Loaded,
    need: &NeedRecord,
    at: usize,
) -> Result<Suggestion, Vec<Constraint>> {
    let judged = view.judge(at)?;
    let stored = &loaded.openings[at];
    Ok(Suggestion {
        score: judged.breakdown.score(),
        breakdown: judged
            .breakdown
            .iter()
            .map(|(c, points)| (c.as_str().to_owned(), i64::from(points)))
            .collect(),
        sessions: judged.sessions,
        travel: travel(&loaded.students[0], &stored.opening.matching),
        language: shared_language(&loaded.students[0], &stored.opening.matching),
        subjects: shared_subjects(need, &stored.opening.matching),
        opening: stored.clone(),
    })
}

/// What a counselor's pick of `opening_id` for `student` would be, checked by every
/// hard constraint exactly as a run checks it, on what the database holds now.
#[derive(Clone, Debug)]
pub enum Pick {
    /// Feasible: the match a run would make of the pair.
    Feasible(Box<Suggestion>),
    /// Not feasible: every constraint the pair fails, in the contract's order.
    Infeasible(Vec<Constraint>),
}

/// Checks a pick of `opening_id` (of kind `kind`) for `student` on `as_of`.
///
/// # Errors
/// `Invalid` (`openingId`) when the student has no need of the opening's kind;
/// `Conflict` when an open match already fills that need.
pub async fn pick<C: ConnectionTrait>(
    db: &C,
    student: &Student,
    opening_id: &str,
    kind: Kind,
    as_of: NaiveDate,
) -> Result<Pick, StoreError> {
    let matching = student.matching_on(as_of);
    let Some(need) = matching.need(kind) else {
        return Err(StoreError::invalid("openingId", format!("the student has no {} need", kind.as_str())));
    };
    let raw = StudentRecord { needs: vec![need.clone()], ..matching.clone() };
    let student_ids = by_id(students::Entity, students::Column::Id, &raw.id);
    let mut opening_ids = by_id(openings::Entity, openings::Column::Id, opening_id);
    opening_ids.union(UnionType::Distinct, held_by_students(&student_ids));
    let stored = openings_in(db, &opening_ids).await?;
    let loaded =
        load_around(db, vec![raw], &student_ids, stored, Some(&student.school_id), &mut Laps::new()).await?;
    let instance = build(&loaded.instance(as_of, Weights::default()))?;
    let view = NeedView::of(&instance, 0, kind).ok_or_else(|| inconsistent("the need was not loaded"))?;
    if view.is_filled() {
        return Err(crate::Conflict::NeedFilled { kind }.into());
    }
    // An opening without a slot left for this student is not loaded at all.
    let Some(at) = loaded.openings.iter().position(|o| o.opening.matching.id == opening_id) else {
        return Ok(Pick::Infeasible(vec![Constraint::Full]));
    };
    Ok(match suggestion(&view, &loaded, need, at) {
        Ok(suggestion) => Pick::Feasible(Box::new(suggestion)),
        Err(failed) => Pick::Infeasible(failed),
    })
}

/// How many openings of `kind` in `student`'s scope are feasible for their need, and
/// how many fail each constraint: exact, over every opening of the kind, as a run of
/// this student alone would see them.
///
/// # Errors
/// `Invalid` (`kind`) when the student has no need of `kind`.
pub async fn need_report<C: ConnectionTrait>(
    db: &C,
    student: &Student,
    kind: Kind,
    as_of: NaiveDate,
) -> Result<NeedReport, StoreError> {
    let scope = Scope {
        school_id: Some(student.school_id.clone()),
        kinds: vec![kind],
        student_ids: Some(vec![student.matching.id.clone()]),
    };
    let raw = load_scope(db, &scope, as_of, Weights::default()).await?;
    let instance = build(&raw)?;
    let Some(view) = NeedView::of(&instance, 0, kind) else {
        return Err(StoreError::invalid("kind", format!("the student has no {} need", kind.as_str())));
    };
    if view.is_filled() {
        return Ok(NeedReport { filled: true, feasible: 0, ruled_out_by: Vec::new() });
    }
    let Tally { feasible, ruled_out_by } = view.tally();
    Ok(NeedReport { filled: false, feasible, ruled_out_by })
}

/// Most candidate ids one statement names; past that, each statement repeats the
/// candidates' query as a subquery instead (slower, but no bound-parameter limit).
const MAX_LISTED: usize = 2000;

/// `SELECT id FROM openings WHERE id IN (the candidates) UNION held`: the candidates'
/// query runs once here, not once per table the openings are read from.
async fn listed<C: ConnectionTrait>(
    db: &C,
    mut candidates: SelectStatement,
    held: SelectStatement,
) -> Result<SelectStatement, StoreError> {
    let mut ids = db
        .query_all(&candidates)
        .await?
        .iter()
        .map(|row| row.try_get::<String>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    if ids.len() > MAX_LISTED {
        return Ok(candidates.union(UnionType::Distinct, held).to_owned());
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(Query::select()
        .column(openings::Column::Id)
        .from(openings::Entity)
        .and_where(openings::Column::Id.is_in(ids))
        .union(UnionType::Distinct, held)
        .to_owned())
}

/// `SELECT openings.id …` of the openings that may be feasible for `need`: every
/// condition here is one that a feasible opening meets, so none is left out. One
/// branch per way to get there (online, own modes, pick-up), each an index range on
/// `openings(kind, is_virtual, lat, lon)`; an opening may come twice. `None` when no
/// opening can be feasible (no consent, no language, tutoring without subjects,
/// nowhere to go).
fn candidate_ids(
    backend: DbBackend,
    student: &StudentRecord,
    need: &NeedRecord,
    kind: Kind,
    school_id: &str,
    as_of: NaiveDate,
) -> Result<Option<SelectStatement>, StoreError> {
    let subjects: Vec<String> = need.subjects.iter().map(|subject| subject.trim().to_lowercase()).collect();
    let is_tutoring = kind == Kind::Tutoring;
    let places = places(student);
    let availability = WeekWindows::from_windows(student.availability.clone());
    if !student.consent_on_file
        || student.languages.is_empty()
        || (is_tutoring && subjects.is_empty())
        || places.is_empty()
        || availability.windows().is_empty()
    {
        return Ok(None);
    }
    let grade = i32::from(student.grade.get());
    let age = student.birth_date.map(|birth| age_in_years(birth, as_of));
    let column = |column: openings::Column| Expr::col((openings::Entity, column));
    // Cheap column tests first, then the most selective lookups; the agreement
    // (which most partners have) last.
    let mut common = Condition::all()
        .add(column(openings::Column::Status).eq(OpeningStatus::Open.as_str()))
        .add(column(openings::Column::Filled).lt(column(openings::Column::Capacity)))
        .add(column(openings::Column::MinGrade).lte(grade))
        .add(column(openings::Column::MaxGrade).gte(grade))
        .add(match age {
            Some(age) => Condition::any()
                .add(column(openings::Column::MinAge).is_null())
                .add(column(openings::Column::MinAge).lte(age)),
            None => Condition::all().add(column(openings::Column::MinAge).is_null()),
        })
        .add(Expr::col((partners::Entity, partners::Column::Status)).eq(PartnerStatus::Active.as_str()));
    // On PostgreSQL a top-level EXISTS becomes a semi-join the planner may start
    // from, and it did: a scan of every opening's subjects or languages (50–110 ms)
    // where the place index gives a few hundred openings to test one by one
    // (5–10 ms). `IS TRUE` keeps each test a filter on the openings the index finds.
    let test = |exists: SimpleExpr| match backend {
        // sea-query's numbered placeholder: the expression itself, parenthesised.
        DbBackend::Postgres => Expr::cust_with_expr("($1) IS TRUE", exists),
        _ => exists,
    };
    if is_tutoring {
        common = common.add(test(shares_subject(backend, &subjects)));
    }
    common = common
        .add(test(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(opening_languages::Entity)
                .and_where(
                    Expr::col((opening_languages::Entity, opening_languages::Column::OpeningId))
                        .equals((openings::Entity, openings::Column::Id)),
                )
                .and_where(
                    Expr::col((opening_languages::Entity, opening_languages::Column::Language))
                        .is_in(student.languages.iter().map(String::as_str)),
                )
                .to_owned(),
        )))
        .add(test(fits_availability(&availability)));
    if matches!(kind, Kind::Tutoring | Kind::Mentoring) {
        common = common.add(background_checked(as_of));
    }
    common = common.add(test(agreement_in_force(school_id, as_of)));
    let branch = |place: Condition| {
        Query::select()
            .column((openings::Entity, openings::Column::Id))
            .from(openings::Entity)
            .inner_join(
                partners::Entity,
                Expr::col((partners::Entity, partners::Column::Id))
                    .equals((openings::Entity, openings::Column::PartnerId)),
            )
            .cond_where(Condition::all().add(column(openings::Column::Kind).eq(kind.as_str())).add(place))
            .cond_where(common.clone())
            .to_owned()
    };
    let mut branches = places.into_iter().map(branch);
    let first = branches
        .next()
        .map(|first| branches.fold(first, |mut all, next| all.union(UnionType::All, next).to_owned()));
    Ok(first)
}

/// Where a feasible opening can be: online for a remote student; in person within
/// the reach of the student's own modes; in person with a pick-up, within a car's
/// reach. Each condition starts with `is_virtual` and then bounds `lat`, so an index
/// on `(kind, is_virtual, lat, lon)` serves it as a range.
fn places(student: &StudentRecord) -> Vec<Condition> {
    let column = |column: openings::Column| Expr::col((openings::Entity, column));
    let limit = student.max_travel_minutes;
    let own = student.travel_modes.iter().map(|mode| reach_km(*mode, limit)).fold(-1.0, f64::max);
    let by_car = reach_km(TravelMode::Car, limit);
    let mut places = Vec::new();
    if student.remote_ok {
        places.push(Condition::all().add(column(openings::Column::IsVirtual).eq(true)));
    }
    if own >= 0.0 {
        let near = Bounds::around(student.home.lat(), student.home.lon(), own).condition();
        places.push(Condition::all().add(column(openings::Column::IsVirtual).eq(false)).add(near));
    }
    // A student who drives reaches every pick-up place on their own.
    if by_car > own {
        let near = Bounds::around(student.home.lat(), student.home.lon(), by_car).condition();
        places.push(
            Condition::all()
                .add(column(openings::Column::IsVirtual).eq(false))
                .add(near)
                .add(column(openings::Column::PickupRadiusKm).is_not_null()),
        );
    }
    places
}

/// Some day on which a window of the opening's schedule and one of the student's
/// availability overlap by `sessionMinutes`: the student's free time lies within
/// their availability, so every feasible opening passes. Stored windows are merged
/// (touching ones joined) when written, so comparing them pairwise misses no stretch.
fn fits_availability(availability: &WeekWindows) -> SimpleExpr {
    let window = |column: opening_windows::Column| Expr::col((opening_windows::Entity, column));
    let minutes = || Expr::col((openings::Entity, openings::Column::SessionMinutes));
    let mut overlaps = Condition::any();
    for free in availability.windows() {
        let (start, end) = (i32::from(free.start().get()), i32::from(free.end().get()));
        // min(ends) − max(starts) ≥ m holds when every end less every start is ≥ m.
        overlaps = overlaps.add(
            Condition::all()
                .add(window(opening_windows::Column::Day).eq(free.day().index() as i32))
                .add(minutes().lte(end - start))
                .add(window(opening_windows::Column::EndMinute).sub(start).gte(minutes()))
                .add(Expr::val(end).sub(window(opening_windows::Column::StartMinute)).gte(minutes()))
                .add(
                    window(opening_windows::Column::EndMinute)
                        .sub(window(opening_windows::Column::StartMinute))
                        .gte(minutes()),
                ),
        );
    }
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(opening_windows::Entity)
            .and_where(
                window(opening_windows::Column::OpeningId).equals((openings::Entity, openings::Column::Id)),
            )
            .cond_where(overlaps)
            .to_owned(),
    )
}

/// The partner has an agreement in force on `as_of` with data sharing, district-wide
/// or with the student's school (what a school-scoped run counts).
fn agreement_in_force(school_id: &str, as_of: NaiveDate) -> SimpleExpr {
    let column = |column: agreements::Column| Expr::col((agreements::Entity, column));
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(agreements::Entity)
            .and_where(
                column(agreements::Column::PartnerId).equals((openings::Entity, openings::Column::PartnerId)),
            )
            .and_where(column(agreements::Column::DataSharing).eq(true))
            .and_where(column(agreements::Column::StartsOn).lte(as_of))
            .cond_where(
                Condition::any()
                    .add(column(agreements::Column::EndsOn).is_null())
                    .add(column(agreements::Column::EndsOn).gte(as_of)),
            )
            .cond_where(
                Condition::any()
                    .add(column(agreements::Column::SchoolId).is_null())
                    .add(column(agreements::Column::SchoolId).eq(school_id)),
            )
            .to_owned(),
    )
}

/// Virtual, or a host's background check valid on `as_of`.
fn background_checked(as_of: NaiveDate) -> Condition {
    let column = |column: background_checks::Column| Expr::col((background_checks::Entity, column));
    Condition::any().add(Expr::col((openings::Entity, openings::Column::IsVirtual)).eq(true)).add(
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(background_checks::Entity)
                .and_where(
                    column(background_checks::Column::OpeningId)
                        .equals((openings::Entity, openings::Column::Id)),
                )
                .and_where(column(background_checks::Column::ClearedOn).lte(as_of))
                .cond_where(
                    Condition::any()
                        .add(column(background_checks::Column::ExpiresOn).is_null())
                        .add(column(background_checks::Column::ExpiresOn).gte(as_of)),
                )
                .to_owned(),
        ),
    )
}

/// The opening has a subject among `subjects` (trimmed, lower case). The matcher
/// compares subjects trimmed and lower-cased by Unicode rules; SQL's `TRIM` and
/// `LOWER` agree with those rules on printable ASCII only (PostgreSQL's `LOWER` under
/// the "C" collation), so a subject with any other character is always let through.
fn shares_subject(backend: DbBackend, subjects: &[String]) -> SimpleExpr {
    let (normalized, unusual) = match backend {
        DbBackend::Postgres => (
            r#"LOWER(TRIM("opening_subjects"."subject") COLLATE "C")"#,
            r#""opening_subjects"."subject" ~ '[^ -~]'"#,
        ),
        _ => (
            r#"LOWER(TRIM("opening_subjects"."subject"))"#,
            r#""opening_subjects"."subject" GLOB '*[^ -~]*'"#,
        ),
    };
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(opening_subjects::Entity)
            .and_where(
                Expr::col((opening_subjects::Entity, opening_subjects::Column::OpeningId))
                    .equals((openings::Entity, openings::Column::Id)),
            )
            .cond_where(
                Condition::any()
                    .add(Expr::cust(normalized).is_in(subjects.iter().map(String::as_str)))
                    .add(Expr::cust(unusual)),
            )
            .to_owned(),
    )
}

/// The matcher's model of loaded records; stored records always tie together, so
/// a failure is the database's, not the caller's.
fn build(parts: &Parts) -> Result<Instance, StoreError> {
    matcher::build_instance(parts)
        .map_err(|err| inconsistent(&format!("stored records are not a valid instance: {err}")))
}

fn inconsistent(what: &str) -> StoreError {
    StoreError::Database(DbErr::Custom(what.to_owned()))
}

/// Online; the fastest of the student's own modes when it is within their limit;
/// otherwise the partner's pick-up (the pair is feasible, so one of these holds).
/// What a pair's sentence says, for a match already made: how the student gets
/// there, the language they share, the subjects of their need of `kind` it covers.
pub fn pair_facts(
    student: &StudentRecord,
    kind: Kind,
    opening: &OpeningRecord,
) -> (Travel, String, Vec<String>) {
    let subjects = student.need(kind).map(|need| shared_subjects(need, opening)).unwrap_or_default();
    (travel(student, opening), shared_language(student, opening), subjects)
}

fn travel(student: &StudentRecord, opening: &OpeningRecord) -> Travel {
    let Some(place) = opening.place.filter(|_| !opening.r#virtual) else {
        return Travel::Online;
    };
    let route = ROUTE_FACTOR * haversine_km(student.home, place);
    let fastest = student
        .travel_modes
        .iter()
        .map(|mode| (mode_minutes(*mode, route), *mode))
        .reduce(|best, next| if next.0 < best.0 { next } else { best });
    match fastest {
        Some((minutes, mode)) if within_limit(minutes, student.max_travel_minutes) => {
            Travel::Own { minutes, mode }
        }
        _ => Travel::Pickup { minutes: mode_minutes(TravelMode::Car, route) },
    }
}

fn shared_language(student: &StudentRecord, opening: &OpeningRecord) -> String {
    student
        .languages
        .iter()
        .find(|language| opening.languages.contains(language))
        .cloned()
        .unwrap_or_default()
}

fn shared_subjects(need: &NeedRecord, opening: &OpeningRecord) -> Vec<String> {
    let wanted: Vec<String> = need.subjects.iter().map(|subject| subject.trim().to_lowercase()).collect();
    opening
        .subjects
        .iter()
        .filter(|subject| wanted.contains(&subject.trim().to_lowercase()))
        .cloned()
        .collect()
}
