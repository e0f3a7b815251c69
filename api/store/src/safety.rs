//! The date-dependent hard constraints (docs/matching.md constraints 2 and 6: a minimum age, an
//! agreement in force with data sharing, a valid background check for in-person
//! tutoring and mentoring), judged again on *today* inside a write transaction: a
//! committed run just before it writes its matches, and every move of a match to
//! ACCEPTED or ACTIVE. A run judged on one date and committed on another, an
//! agreement that ended or a clearance that lapsed since the match was proposed
//! must never put a minor in front of an adult.
//!
//! The rules are the matcher's own (`Agreement::allows_matching_on`,
//! `BackgroundCheck::is_valid_on`, `age_in_years`, `kind_needs_background_check`);
//! this module only reads the rows they apply to, five statements however many
//! pairs.

use std::collections::HashMap;

use chrono::NaiveDate;
use matcher::feasibility::{Constraint, kind_needs_background_check};
use matcher::model::{Agreement, BackgroundCheck, age_in_years};
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::StoreError;
use super::bulk::in_list;
use super::entity::{agreements, background_checks, openings, partners, students};
use super::records::{Kind, PartnerStatus};

/// What the date-dependent rules read of an opening.
struct Rules {
    partner_id: String,
    kind: String,
    is_virtual: bool,
    min_age: Option<i32>,
}

/// A pair (student, opening) that a date-dependent constraint forbids today.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lapsed {
    /// Position of the pair in the caller's list.
    pub index: usize,
    /// Every date-dependent constraint it fails, in the contract's order.
    pub constraints: Vec<Constraint>,
}

/// The pairs of `pairs` (student id, opening id) that fail a date-dependent
/// constraint on `today`; a pair whose student or opening no longer exists fails
/// `AGREEMENT` (nothing allows it).
pub async fn lapsed<C: ConnectionTrait>(
    db: &C,
    pairs: &[(&str, &str)],
    today: NaiveDate,
) -> Result<Vec<Lapsed>, StoreError> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let mut student_ids: Vec<&str> = pairs.iter().map(|(student, _)| *student).collect();
    let mut opening_ids: Vec<&str> = pairs.iter().map(|(_, opening)| *opening).collect();
    for ids in [&mut student_ids, &mut opening_ids] {
        ids.sort_unstable();
        ids.dedup();
    }
    let backend = db.get_database_backend();
    let rows: Vec<(String, String, Option<NaiveDate>)> = students::Entity::find()
        .select_only()
        .column(students::Column::Id)
        .column(students::Column::SchoolId)
        .column(students::Column::BirthDate)
        .filter(in_list(backend, "students.id", &student_ids))
        .into_tuple()
        .all(db)
        .await?;
    let students: HashMap<String, (String, Option<NaiveDate>)> =
        rows.into_iter().map(|(id, school, birth)| (id, (school, birth))).collect();
    // Only the columns the rules read: a district's commit checks tens of thousands.
    let rows: Vec<(String, String, String, bool, Option<i32>)> = openings::Entity::find()
        .select_only()
        .column(openings::Column::Id)
        .column(openings::Column::PartnerId)
        .column(openings::Column::Kind)
        .column(openings::Column::IsVirtual)
        .column(openings::Column::MinAge)
        .filter(in_list(backend, "openings.id", &opening_ids))
        .into_tuple()
        .all(db)
        .await?;
    let openings: HashMap<String, Rules> = rows
        .into_iter()
        .map(|(id, partner_id, kind, is_virtual, min_age)| {
            (id, Rules { partner_id, kind, is_virtual, min_age })
        })
        .collect();
    let checks: HashMap<String, BackgroundCheck> = background_checks::Entity::find()
        .filter(in_list(backend, "background_checks.opening_id", &opening_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.opening_id, BackgroundCheck::new(row.cleared_on, row.expires_on)))
        .collect();
    let mut partner_ids: Vec<&str> = openings.values().map(|opening| opening.partner_id.as_str()).collect();
    partner_ids.sort_unstable();
    partner_ids.dedup();
    let active: HashMap<String, bool> = partners::Entity::find()
        .filter(in_list(backend, "partners.id", &partner_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row.status == PartnerStatus::Active.as_str()))
        .collect();
    let mut agreements_of: HashMap<String, Vec<(Option<String>, Agreement)>> = HashMap::new();
    for row in agreements::Entity::find()
        .filter(in_list(backend, "agreements.partner_id", &partner_ids))
        .all(db)
        .await?
    {
        let agreement = Agreement::new(Some(row.starts_on), row.ends_on, row.data_sharing);
        agreements_of.entry(row.partner_id).or_default().push((row.school_id, agreement));
    }

    let mut found = Vec::new();
    for (index, (student_id, opening_id)) in pairs.iter().enumerate() {
        let (Some((school_id, birth_date)), Some(opening)) =
            (students.get(*student_id), openings.get(*opening_id))
        else {
            found.push(Lapsed { index, constraints: vec![Constraint::Agreement] });
            continue;
        };
        let mut constraints = Vec::new();
        if let Some(min_age) = opening.min_age
            && birth_date.is_none_or(|birth| age_in_years(birth, today) < min_age)
        {
            constraints.push(Constraint::Age);
        }
        let in_force = active.get(&opening.partner_id).copied().unwrap_or(false)
            && agreements_of.get(&opening.partner_id).is_some_and(|list| {
                list.iter().any(|(school, agreement)| {
                    school.as_ref().is_none_or(|school| school == school_id)
                        && agreement.allows_matching_on(today)
                })
            });
        if !in_force {
            constraints.push(Constraint::Agreement);
        }
        let needs_check = Kind::parse(&opening.kind)
            .is_some_and(|kind| kind_needs_background_check(kind, opening.is_virtual));
        if needs_check && !checks.get(*opening_id).is_some_and(|check| check.is_valid_on(today)) {
            constraints.push(Constraint::BackgroundCheck);
        }
        if !constraints.is_empty() {
            found.push(Lapsed { index, constraints });
        }
    }
    Ok(found)
}

/// Words a counselor can act on: which constraint, for which opening.
pub fn explain(constraint: Constraint, opening_id: &str, today: NaiveDate) -> String {
    match constraint {
        Constraint::Age => {
            format!("the student is younger than opening {opening_id}'s minimum age on {today}")
        }
        Constraint::Agreement => {
            format!("opening {opening_id}'s partner has no agreement with data sharing in force on {today}")
        }
        Constraint::BackgroundCheck => {
            format!("opening {opening_id} has no background check valid on {today}")
        }
        other => format!("opening {opening_id} fails {other}"),
    }
}
