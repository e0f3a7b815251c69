//! Loading a scope of records into the matcher's instance: the same parsed records
//! (`matcher::Parts`) an instance file becomes, so the database path and the file
//! path share every rule. A scope costs a fixed number of queries (students' and openings' tables,
//! partners, agreements, open matches with their sessions, declines).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use matcher::model::Agreement;
use matcher::record::{HeldRecord, OpeningRecord, PartnerRecord, StudentRecord};
use matcher::score::Weights;
use matcher::validate::Parts;
use sea_orm::sea_query::{Alias, Asterisk, Condition, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::StoreError;
use super::bulk::in_list;
use super::entity::{agreements, declined_pairs, match_sessions, matches, openings, partners, students};
use super::laps::Laps;
use super::read::{StoredOpening, openings_in, students_in};
use super::records::{Kind, MatchStatus, OpeningStatus, PartnerStatus, Student};
use super::write::stored_window;

/// What a match run covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// One school's students, or the whole district's.
    pub school_id: Option<String>,
    /// The kinds of needs to match; empty means all.
    pub kinds: Vec<Kind>,
    /// Only these students (a cohort), when given.
    pub student_ids: Option<Vec<String>>,
}

impl Scope {
    /// Every student and kind of the district.
    pub fn district() -> Scope {
        Scope { school_id: None, kinds: Vec::new(), student_ids: None }
    }

    /// Every student of one school, every kind.
    pub fn school(id: &str) -> Scope {
        Scope { school_id: Some(id.to_owned()), ..Scope::district() }
    }

    fn kinds(&self) -> Vec<Kind> {
        if self.kinds.is_empty() { Kind::MATCH_ORDER.to_vec() } else { self.kinds.clone() }
    }

    /// A stable name of the scope, for the one-run-per-scope lease.
    pub fn key(&self) -> String {
        let mut kinds: Vec<&str> = self.kinds().iter().map(|k| k.as_str()).collect();
        kinds.sort_unstable();
        format!("{}|{}", self.school_id.as_deref().unwrap_or("*"), kinds.join(","))
    }

    /// `SELECT id FROM students WHERE …` for this scope.
    fn students(&self) -> SelectStatement {
        let mut select = Query::select();
        select.column(students::Column::Id).from(students::Entity);
        if let Some(school) = &self.school_id {
            select.and_where(students::Column::SchoolId.eq(school.as_str()));
        }
        if let Some(ids) = &self.student_ids {
            select.and_where(students::Column::Id.is_in(ids.iter().map(String::as_str)));
        }
        select.to_owned()
    }
}

fn open_statuses() -> Vec<&'static str> {
    MatchStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect()
}

/// `SELECT column FROM matches WHERE open AND student in scope`.
fn held_by(students: &SelectStatement, column: matches::Column) -> SelectStatement {
    Query::select()
        .column(column)
        .from(matches::Entity)
        .and_where(matches::Column::Status.is_in(open_statuses()))
        .and_where(Expr::col(matches::Column::StudentId).in_subquery(students.clone()))
        .to_owned()
}

/// Loads `scope` as of `as_of` as the matcher's instance parts.
///
/// Openings: those of the scope's kinds whose partner is active, plus those the
/// scope's students already hold (their sessions take the students' time). An opening
/// held by students outside the scope offers only its remaining slots; one with none
/// left is left out. An inactive partner's openings carry no agreement, so they are
/// never matched. A school's own MOUs count in its school-scoped runs; a
/// district-wide run counts district-wide MOUs.
pub async fn load_scope<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    as_of: NaiveDate,
    weights: Weights,
) -> Result<Parts, StoreError> {
    let kinds = scope.kinds();
    let student_ids = scope.students();
    let opening_ids = Query::select()
        .column((openings::Entity, openings::Column::Id))
        .from(openings::Entity)
        .inner_join(
            partners::Entity,
            Expr::col((partners::Entity, partners::Column::Id))
                .equals((openings::Entity, openings::Column::PartnerId)),
        )
        .cond_where(
            Condition::any()
                .add(
                    Condition::all().add(openings::Column::Kind.is_in(kinds.iter().map(|k| k.as_str()))).add(
                        Expr::col((partners::Entity, partners::Column::Status))
                            .eq(PartnerStatus::Active.as_str()),
                    ),
                )
                .add(
                    Expr::col((openings::Entity, openings::Column::Id))
                        .in_subquery(held_by_students(&student_ids)),
                ),
        )
        .to_owned();

    let mut laps = Laps::new();
    // At once, on the pool's connections: the district's students (in two halves
    // when large) and its openings are the long reads, and neither needs the other.
    let (mut students, stored) =
        tokio::try_join!(scope_students(db, &student_ids), openings_in(db, &opening_ids))?;
    laps.lap("students and openings");
    for student in &mut students {
        student.matching.needs.retain(|need| kinds.contains(&need.kind));
    }
    let students = students.iter().map(|s| s.matching_on(as_of)).collect();
    laps.lap("needs");
    let loaded =
        load_around(db, students, &student_ids, stored, scope.school_id.as_deref(), &mut laps).await?;
    let instance = loaded.into_instance(as_of, weights);
    laps.lap("instance");
    tracing::info!(scope = %scope.key(), ms = laps.total().as_millis() as u64, steps = %laps, "scope loaded");
    Ok(instance)
}

/// Scopes of at least this many students are read in two halves.
const SPLIT_FROM: i64 = 4_000;

/// The students `ids` selects, in id order. A large scope is read as two halves
/// split at its middle id, on two of the pool's connections: the students' read
/// (their child rows aggregated per student) is the longest of a load, and one
/// statement runs on one core of the database server.
async fn scope_students<C: ConnectionTrait>(
    db: &C,
    ids: &SelectStatement,
) -> Result<Vec<Student>, StoreError> {
    let counted = Query::select()
        .expr_as(Expr::col(Asterisk).count(), "n")
        .from_subquery(ids.clone(), Alias::new("scope"))
        .to_owned();
    let n = match db.query_one(&counted).await? {
        Some(row) => row.try_get::<i64>("", "n")?,
        None => 0,
    };
    if n < SPLIT_FROM {
        return students_in(db, ids, false).await;
    }
    let id = || Expr::col((students::Entity, students::Column::Id));
    let middle = ids
        .clone()
        .order_by((students::Entity, students::Column::Id), Order::Asc)
        .limit(1)
        .offset(u64::try_from(n / 2).unwrap_or_default())
        .to_owned();
    let Some(middle) = db.query_one(&middle).await? else {
        // The scope shrank between the two statements: read it whole.
        return students_in(db, ids, false).await;
    };
    let middle: String = middle.try_get_by_index(0)?;
    let below = ids.clone().and_where(id().lt(middle.as_str())).to_owned();
    let above = ids.clone().and_where(id().gte(middle.as_str())).to_owned();
    let (mut students, above) =
        tokio::try_join!(students_in(db, &below, false), students_in(db, &above, false))?;
    students.extend(above);
    Ok(students)
}

/// `SELECT opening_id FROM matches WHERE open AND student in `student_ids``: the
/// openings some of these students hold.
pub(crate) fn held_by_students(student_ids: &SelectStatement) -> SelectStatement {
    held_by(student_ids, matches::Column::OpeningId)
}

/// Students with everything the matcher needs around them: the openings
/// `opening_ids` selects (with capacity as these students see it), their partners
/// and agreements, the students' open matches and declines.
#[derive(Clone, Debug)]
pub(crate) struct Loaded {
    /// The students, as given.
    pub students: Vec<StudentRecord>,
    /// The openings kept, as stored: every open one, full or not (a full one is
    /// FULL in a need's reasons), and a closed one only for the slots these
    /// students hold.
    pub openings: Vec<StoredOpening>,
    /// Per opening: its capacity as these students see it (a closed opening's: the
    /// slots they hold).
    pub capacities: Vec<u32>,
    /// Opening id → slots held by students not loaded here.
    pub held_elsewhere: BTreeMap<String, u32>,
    /// The openings' partners, with the agreements that count.
    pub partners: Vec<PartnerRecord>,
    /// The students' open matches to kept openings, with their sessions.
    pub existing_matches: Vec<HeldRecord>,
    /// The students' declined pairs with kept openings: (student id, opening id).
    pub declined: Vec<(String, String)>,
}

impl Loaded {
    /// The instance's parts, leaving `self` whole.
    pub fn instance(&self, as_of: NaiveDate, weights: Weights) -> Parts {
        self.clone().into_instance(as_of, weights)
    }

    /// The instance's parts.
    pub fn into_instance(self, as_of: NaiveDate, weights: Weights) -> Parts {
        let openings = self
            .openings
            .into_iter()
            .zip(self.capacities)
            .map(|(item, capacity)| OpeningRecord { capacity, ..item.opening.matching })
            .collect();
        Parts {
            as_of,
            students: self.students,
            openings,
            partners: self.partners,
            existing_matches: self.existing_matches,
            declined: self.declined,
            weights,
            held_elsewhere: self.held_elsewhere,
        }
    }
}

/// Loads what surrounds `students` (whose ids `student_ids` selects) among the
/// openings `stored`, which must include those the students hold
/// ([`held_by_students`]). `school_id`: whose MOUs count besides district-wide ones.
/// Costs a fixed number of queries, each step timed into `laps`.
pub(crate) async fn load_around<C: ConnectionTrait>(
    db: &C,
    students: Vec<StudentRecord>,
    student_ids: &SelectStatement,
    stored: Vec<StoredOpening>,
    school_id: Option<&str>,
    laps: &mut Laps,
) -> Result<Loaded, StoreError> {
    // Open matches of the students, with their sessions.
    let held_matches = matches::Entity::find()
        .filter(matches::Column::Status.is_in(open_statuses()))
        .filter(Expr::col(matches::Column::StudentId).in_subquery(student_ids.clone()))
        .order_by_asc(matches::Column::StudentId)
        .order_by_asc(matches::Column::OpeningId)
        .all(db)
        .await?;
    let held_ids = held_by(student_ids, matches::Column::Id);
    let mut sessions: HashMap<String, Vec<_>> = HashMap::new();
    for row in match_sessions::Entity::find()
        .filter(Expr::col(match_sessions::Column::MatchId).in_subquery(held_ids))
        .order_by_asc(match_sessions::Column::MatchId)
        .order_by_asc(match_sessions::Column::Day)
        .order_by_asc(match_sessions::Column::StartMinute)
        .all(db)
        .await?
    {
        sessions.entry(row.match_id).or_default().push(stored_window(
            row.day,
            row.start_minute,
            row.end_minute,
        )?);
    }
    laps.lap("held");
    let mut inside: HashMap<&str, u32> = HashMap::new();
    for held in &held_matches {
        *inside.entry(held.opening_id.as_str()).or_default() += 1;
    }

    // Capacity as these students see it: what other students hold is gone, but a
    // full opening stays in, held elsewhere, so that it is FULL in a need's reasons
    // (and counted under every other rule it fails) rather than missing from them.
    let mut openings = Vec::with_capacity(stored.len());
    let mut capacities = Vec::with_capacity(stored.len());
    let mut held_elsewhere = BTreeMap::new();
    for item in stored {
        let mine = inside.get(item.opening.matching.id.as_str()).copied().unwrap_or(0);
        let filled = u32::try_from(item.filled).unwrap_or(0);
        let outside = Ord::min(filled.saturating_sub(mine), item.opening.matching.capacity);
        // A closed opening takes no new match: only the slots these students hold.
        let capacity = match item.status {
            OpeningStatus::Closed => mine,
            OpeningStatus::Open => item.opening.matching.capacity,
        };
        if capacity >= 1 {
            if item.status == OpeningStatus::Open && outside > 0 {
                held_elsewhere.insert(item.opening.matching.id.clone(), outside);
            }
            openings.push(item);
            capacities.push(capacity);
        }
    }
    let kept: BTreeSet<&str> = openings.iter().map(|o| o.opening.matching.id.as_str()).collect();
    let partners = partners_of(db, &openings, school_id).await?;
    laps.lap("partners");

    let existing_matches = held_matches
        .into_iter()
        .filter(|row| kept.contains(row.opening_id.as_str()))
        .map(|row| HeldRecord {
            sessions: sessions.remove(&row.id).unwrap_or_default(),
            student_id: row.student_id,
            opening_id: row.opening_id,
        })
        .collect();
    let declined = declined_pairs::Entity::find()
        .filter(Expr::col(declined_pairs::Column::StudentId).in_subquery(student_ids.clone()))
        .order_by_asc(declined_pairs::Column::StudentId)
        .order_by_asc(declined_pairs::Column::OpeningId)
        .all(db)
        .await?
        .into_iter()
        .filter(|row| kept.contains(row.opening_id.as_str()))
        .map(|row| (row.student_id, row.opening_id))
        .collect();
    laps.lap("declined");
    Ok(Loaded { students, openings, capacities, held_elsewhere, partners, existing_matches, declined })
}

/// The partners of `openings`, ordered by id, each with the agreements that count
/// (district-wide ones and `school_id`'s); an inactive partner carries none, so its
/// openings are never matched.
async fn partners_of<C: ConnectionTrait>(
    db: &C,
    openings: &[StoredOpening],
    school_id: Option<&str>,
) -> Result<Vec<PartnerRecord>, StoreError> {
    let partner_ids: BTreeSet<&str> =
        openings.iter().map(|o| o.opening.matching.partner_id.as_str()).collect();
    let partner_ids: Vec<&str> = partner_ids.into_iter().collect();
    let backend = db.get_database_backend();
    let active: Vec<String> = partners::Entity::find()
        .filter(in_list(backend, "partners.id", &partner_ids))
        .filter(partners::Column::Status.eq(PartnerStatus::Active.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.id)
        .collect();
    let mut agreement_filter = Condition::any().add(agreements::Column::SchoolId.is_null());
    if let Some(school) = school_id {
        agreement_filter = agreement_filter.add(agreements::Column::SchoolId.eq(school));
    }
    let mut by_partner: HashMap<String, Vec<Agreement>> = HashMap::new();
    for row in agreements::Entity::find()
        .filter(in_list(backend, "agreements.partner_id", &active))
        .filter(agreement_filter)
        .order_by_asc(agreements::Column::PartnerId)
        .order_by_asc(agreements::Column::StartsOn)
        .order_by_asc(agreements::Column::Id)
        .all(db)
        .await?
    {
        by_partner.entry(row.partner_id).or_default().push(Agreement::new(
            Some(row.starts_on),
            row.ends_on,
            row.data_sharing,
        ));
    }
    Ok(partner_ids
        .into_iter()
        .map(|id| PartnerRecord { id: id.to_owned(), agreements: by_partner.remove(id).unwrap_or_default() })
        .collect())
}
