//! The hard constraints of docs/matching.md: whether a need and an opening may be
//! paired, and if not, every constraint the pair fails.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::calendar::WeekWindows;
use crate::geo::{haversine_km, least_minutes, within_limit};
use crate::model::{Instance, Kind, Location, Need, Opening, Student};

/// A hard constraint, named as in `ruledOutBy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Constraint {
    /// Tutoring shares no subject.
    Subjects,
    /// Grade outside the opening's range.
    Grade,
    /// Younger than the opening's minimum age, or no birth date to tell.
    Age,
    /// No shared language.
    Language,
    /// Too few days with a long enough common stretch of free time.
    Schedule,
    /// Too far for the student's modes and limit, or virtual for a student who is not remote.
    Travel,
    /// No guardian consent on file.
    Consent,
    /// The partner has no agreement in force with data sharing.
    Agreement,
    /// In-person tutoring or mentoring without a valid background check.
    BackgroundCheck,
    /// The student declined this opening before (or already holds it).
    Declined,
    /// No free slot.
    Full,
}

impl Constraint {
    /// Every constraint, in the contract's order.
    pub const ALL: [Constraint; 11] = [
        Constraint::Subjects,
        Constraint::Grade,
        Constraint::Age,
        Constraint::Language,
        Constraint::Schedule,
        Constraint::Travel,
        Constraint::Consent,
        Constraint::Agreement,
        Constraint::BackgroundCheck,
        Constraint::Declined,
        Constraint::Full,
    ];

    /// The key used in `ruledOutBy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Constraint::Subjects => "SUBJECTS",
            Constraint::Grade => "GRADE",
            Constraint::Age => "AGE",
            Constraint::Language => "LANGUAGE",
            Constraint::Schedule => "SCHEDULE",
            Constraint::Travel => "TRAVEL",
            Constraint::Consent => "CONSENT",
            Constraint::Agreement => "AGREEMENT",
            Constraint::BackgroundCheck => "BACKGROUND_CHECK",
            Constraint::Declined => "DECLINED",
            Constraint::Full => "FULL",
        }
    }

    /// Position in [`Constraint::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The set of constraints a pair fails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Violations(u16);

impl Violations {
    /// Adds `constraint` when `fails`.
    pub fn record(&mut self, constraint: Constraint, fails: bool) {
        self.0 |= u16::from(fails) << constraint.index();
    }

    /// True when no constraint fails: the pair is a candidate.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True when `constraint` fails.
    pub fn contains(self, constraint: Constraint) -> bool {
        self.0 & (1 << constraint.index()) != 0
    }
}

/// What a feasible pair's score is computed from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairFacts {
    /// Least travel minutes; 0 for a virtual opening.
    pub travel_minutes: f64,
    /// Days (0–7) with a long enough common stretch of free time.
    pub fitting_days: u8,
}

/// Facts about openings and history that hold for the whole run.
#[derive(Debug)]
pub struct Standing {
    /// Per opening: the partner has an agreement in force with data sharing.
    pub agreement_ok: Vec<bool>,
    /// Per opening: a background check is not needed, or is valid.
    pub background_ok: Vec<bool>,
    /// Per opening: capacity less existing matches (0 when over-full).
    pub free_slots: Vec<u32>,
    /// (student, opening) pairs of existing matches.
    pub existing_pairs: HashSet<(u32, u32)>,
    /// Per student with an existing match, the partners they already work with,
    /// ascending: continuity.
    pub partners: HashMap<u32, Vec<u32>>,
    /// Per student with any, the openings they declined or hold, ascending.
    pub history: HashMap<u32, Vec<u32>>,
}

impl Standing {
    /// Computes the run-wide facts of `instance`.
    pub fn of(instance: &Instance) -> Standing {
        let as_of = instance.as_of;
        let agreement_ok = instance
            .openings
            .iter()
            .map(|opening| {
                instance.partners[opening.partner]
                    .agreements
                    .iter()
                    .any(|agreement| agreement.allows_matching_on(as_of))
            })
            .collect();
        let background_ok = instance
            .openings
            .iter()
            .map(|opening| {
                !needs_background_check(opening)
                    || opening.background_check.is_some_and(|check| check.is_valid_on(as_of))
            })
            .collect();
        let mut held = vec![0u64; instance.openings.len()];
        let mut existing_pairs = HashSet::new();
        let mut partners: HashMap<u32, Vec<u32>> = HashMap::new();
        for existing in &instance.existing_matches {
            held[existing.opening] += 1;
            existing_pairs.insert((existing.student as u32, existing.opening as u32));
            partners
                .entry(existing.student as u32)
                .or_default()
                .push(instance.openings[existing.opening].partner as u32);
        }
        for list in partners.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        let free_slots = instance
            .openings
            .iter()
            .zip(held)
            .map(|(opening, held)| {
                let held = held + u64::from(opening.held_elsewhere);
                u64::from(opening.capacity).saturating_sub(held) as u32
            })
            .collect();
        let mut history: HashMap<u32, Vec<u32>> = HashMap::new();
        for (student, opening) in instance.declined.iter().chain(&existing_pairs) {
            history.entry(*student).or_default().push(*opening);
        }
        for openings in history.values_mut() {
            openings.sort_unstable();
            openings.dedup();
        }
        Standing { agreement_ok, background_ok, free_slots, existing_pairs, partners, history }
    }
}

/// In-person tutoring and mentoring put an adult alone with a minor.
pub fn needs_background_check(opening: &Opening) -> bool {
    kind_needs_background_check(opening.kind, opening.location == Location::Virtual)
}

/// Whether an opening of `kind`, virtual or not, needs a valid background check
/// (for code that holds a stored opening rather than the model's).
pub fn kind_needs_background_check(kind: Kind, is_virtual: bool) -> bool {
    matches!(kind, Kind::Tutoring | Kind::Mentoring) && !is_virtual
}

/// One question of feasibility: a student's need, their free time now, an opening.
#[derive(Clone, Copy, Debug)]
pub struct Pair<'a> {
    /// Student index.
    pub student: usize,
    /// The student's need of the opening's kind.
    pub need: &'a Need,
    /// The student's free time: availability less sessions already held.
    pub free: &'a WeekWindows,
    /// Opening index.
    pub opening: usize,
}

/// Every constraint the pair fails; the facts for scoring when it fails none.
pub fn assess(instance: &Instance, standing: &Standing, pair: Pair<'_>) -> (Violations, Option<PairFacts>) {
    let Pair { student: student_index, need, free, opening: opening_index } = pair;
    let student = &instance.students[student_index];
    let opening = &instance.openings[opening_index];
    let mut violations = Violations::default();
    violations.record(Constraint::Subjects, fails_subjects(need, opening));
    violations.record(Constraint::Grade, fails_grade(student, opening));
    violations.record(Constraint::Age, fails_age(instance, student, opening));
    violations.record(Constraint::Language, !shares_any(&student.language_set, &opening.languages));
    let fitting_days = free.fitting_days(&opening.schedule, opening.session_minutes);
    violations.record(Constraint::Schedule, fitting_days < opening.sessions_per_week);
    let travel_minutes = travel_minutes(student, opening);
    violations.record(Constraint::Travel, travel_minutes.is_none());
    violations.record(Constraint::Consent, !student.consent_on_file);
    violations.record(Constraint::Agreement, !standing.agreement_ok[opening_index]);
    violations.record(Constraint::BackgroundCheck, !standing.background_ok[opening_index]);
    let ids = (student_index as u32, opening_index as u32);
    violations.record(
        Constraint::Declined,
        instance.declined.contains(&ids) || standing.existing_pairs.contains(&ids),
    );
    violations.record(Constraint::Full, standing.free_slots[opening_index] == 0);
    let facts = match (violations.is_empty(), travel_minutes) {
        (true, Some(travel_minutes)) => Some(PairFacts { travel_minutes, fitting_days }),
        _ => None,
    };
    (violations, facts)
}

/// The same verdict as [`assess`] with no violation, found faster: cheap tests
/// first, then travel, the schedule last, stopping at the first failure.
/// `history` lists the openings the student declined or holds, ascending.
pub fn quick_check(
    instance: &Instance,
    standing: &Standing,
    pair: Pair<'_>,
    history: &[u32],
) -> Option<PairFacts> {
    let Pair { student: student_index, need, free, opening: opening_index } = pair;
    let student = &instance.students[student_index];
    let opening = &instance.openings[opening_index];
    let passes = student.consent_on_file
        && standing.agreement_ok[opening_index]
        && standing.background_ok[opening_index]
        && standing.free_slots[opening_index] > 0
        && !fails_grade(student, opening)
        && shares_any(&student.language_set, &opening.languages)
        && !fails_subjects(need, opening)
        && history.binary_search(&(opening_index as u32)).is_err()
        && !fails_age(instance, student, opening);
    if !passes {
        return None;
    }
    let travel_minutes = travel_minutes(student, opening)?;
    let fitting_days = free.fitting_days(&opening.schedule, opening.session_minutes);
    (fitting_days >= opening.sessions_per_week).then_some(PairFacts { travel_minutes, fitting_days })
}

/// Tutoring needs a shared subject; other kinds only score subjects.
pub fn fails_subjects(need: &Need, opening: &Opening) -> bool {
    need.kind == Kind::Tutoring && !shares_any(&need.subjects, &opening.subjects)
}

/// Grade outside `minGrade..=maxGrade`.
pub fn fails_grade(student: &Student, opening: &Opening) -> bool {
    !(opening.min_grade <= student.grade && student.grade <= opening.max_grade)
}

/// A minimum age not shown to be met on `asOf`.
pub fn fails_age(instance: &Instance, student: &Student, opening: &Opening) -> bool {
    opening.min_age.is_some_and(|min_age| {
        student.age_on(instance.as_of).is_none_or(|age| i64::from(age) < i64::from(min_age))
    })
}

/// The least travel minutes to `opening` within the student's limit: 0 for a
/// virtual opening the student accepts; `None` when out of reach.
pub fn travel_minutes(student: &Student, opening: &Opening) -> Option<f64> {
    match opening.location {
        Location::Virtual => student.remote_ok.then_some(0.0),
        Location::InPerson(place) => {
            let km = haversine_km(student.home, place);
            least_minutes(km, &student.travel_modes, opening.pickup_radius_km)
                .filter(|minutes| within_limit(*minutes, student.max_travel_minutes))
        }
    }
}

/// True when two sorted sets meet.
pub fn shares_any(left: &[u32], right: &[u32]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        match left[i].cmp(&right[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_sets_meet() {
        assert!(shares_any(&[1, 4, 9], &[2, 4]));
        assert!(!shares_any(&[1, 4, 9], &[2, 5, 10]));
        assert!(!shares_any(&[], &[1]));
    }

    #[test]
    fn violations_record_each_constraint() {
        let mut violations = Violations::default();
        assert!(violations.is_empty());
        violations.record(Constraint::Travel, true);
        violations.record(Constraint::Grade, false);
        violations.record(Constraint::Full, true);
        assert!(violations.contains(Constraint::Travel));
        assert!(violations.contains(Constraint::Full));
        assert!(!violations.contains(Constraint::Grade));
        assert!(!violations.is_empty());
        assert_eq!(Constraint::ALL.iter().filter(|c| violations.contains(**c)).count(), 2);
    }
}
