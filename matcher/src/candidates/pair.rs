//! One need against the openings an index visits: the hot loop of candidate
//! generation. What a pair's tests read is in the opening's [`Sketch`] or worked
//! out once per need in an [`Asker`], so a pair costs a few loads, at most one
//! distance, and a table lookup for its schedule. [`quick_check`] and
//! [`rate_pair`](super::rate_pair) are the reference: debug builds check every
//! pair against them.
//!
//! [`quick_check`]: crate::feasibility::quick_check

use std::collections::HashMap;

use super::days::Days;
use super::{KindIndex, NeedRef};
use crate::calendar::WeekWindows;
use crate::feasibility::{Standing, shares_any};
use crate::geo::{Spot, least_minutes, within_limit};
use crate::model::{Kind, Location, Opening, Student, Term};
use crate::score::{
    Criterion, MAX_RATING, Ratings, rate_field, rate_priority, rate_schedule, rate_travel, rate_waiting,
};

/// Bits for the terms (languages, or subjects) of one kind's openings. With 64
/// terms or fewer each term has a bit of its own and a mask test is the set test;
/// beyond that terms share bits (a Bloom filter: a mask never rejects a pair that
/// could match) and the sets themselves are compared as well.
pub(super) struct TermBits {
    bits: HashMap<Term, u64>,
    pub(super) exact: bool,
}

impl TermBits {
    /// Bits in order of first appearance, so the same instance gets the same bits.
    pub(super) fn build<'t>(sets: impl Iterator<Item = &'t [Term]>) -> TermBits {
        let mut bits = HashMap::new();
        for term in sets.flatten() {
            let next = bits.len();
            bits.entry(*term).or_insert(1u64 << (next % 64));
        }
        let exact = bits.len() <= 64;
        TermBits { bits, exact }
    }

    /// How many distinct terms the kind's openings have.
    pub(super) fn len(&self) -> usize {
        self.bits.len()
    }

    /// The mask of `terms`; terms no opening of the kind has get no bit.
    pub(super) fn mask(&self, terms: &[Term]) -> u64 {
        terms.iter().filter_map(|term| self.bits.get(term)).fold(0, |mask, bit| mask | bit)
    }
}

/// The languages' and the subjects' bits of one kind.
pub(super) struct Terms {
    pub(super) languages: TermBits,
    pub(super) subjects: TermBits,
}

/// What an index keeps of an opening: every fact a pair's tests read, so the
/// loop over a need's openings does not chase the opening's own vectors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Sketch {
    /// Opening index.
    pub(super) index: u32,
    /// Agreement, background check and a free slot all hold.
    is_open: bool,
    min_grade: u8,
    max_grade: u8,
    sessions_per_week: u8,
    /// The opening's (schedule, session length) among the index's distinct ones.
    rule: u32,
    partner: u32,
    min_age: Option<u32>,
    languages: u64,
    subjects: u64,
    /// `None` for a virtual opening.
    spot: Option<Spot>,
    pickup_radius_km: Option<f64>,
}

impl Sketch {
    pub(super) fn of(standing: &Standing, terms: &Terms, opening: &Opening, index: u32, rule: u32) -> Sketch {
        let at = index as usize;
        Sketch {
            index,
            is_open: standing.agreement_ok[at] && standing.background_ok[at] && standing.free_slots[at] > 0,
            min_grade: opening.min_grade.get(),
            max_grade: opening.max_grade.get(),
            sessions_per_week: opening.sessions_per_week,
            rule,
            partner: opening.partner as u32,
            min_age: opening.min_age,
            languages: terms.languages.mask(&opening.languages),
            subjects: terms.subjects.mask(&opening.subjects),
            spot: match opening.location {
                Location::Virtual => None,
                Location::InPerson(place) => Some(Spot::of(place)),
            },
            pickup_radius_km: opening.pickup_radius_km,
        }
    }

    /// Agreement, background check and a free slot all hold.
    pub(super) fn is_open(&self) -> bool {
        self.is_open
    }

    /// The student grades it takes.
    pub(super) fn grades(&self) -> std::ops::RangeInclusive<u8> {
        self.min_grade..=self.max_grade
    }

    /// Its subjects' bits.
    pub(super) fn subject_bits(&self) -> u64 {
        self.subjects
    }
}

/// One need's side of every pair test, worked out once.
pub(super) struct Asker<'a> {
    need: NeedRef<'a>,
    free: &'a WeekWindows,
    grade: u8,
    languages: u64,
    first_language: u64,
    subjects: u64,
    /// Tutoring must share a subject; other kinds only rate subjects.
    needs_subject: bool,
    age: Option<i32>,
    /// Openings declined or held, ascending.
    history: &'a [u32],
    /// Partners of existing matches, ascending.
    partners: &'a [u32],
    home: Spot,
    /// The need's own ratings, the same for every opening.
    priority: u32,
    waiting: u32,
}

impl<'a> Asker<'a> {
    pub(super) fn new(index: &KindIndex<'a>, need: NeedRef<'a>, free: &'a WeekWindows) -> Asker<'a> {
        let student = &index.instance.students[need.student];
        let id = need.student as u32;
        let languages = &index.terms.languages;
        Asker {
            need,
            free,
            grade: student.grade.get(),
            languages: languages.mask(&student.language_set),
            first_language: languages.mask(student.languages.first().map_or(&[][..], std::slice::from_ref)),
            subjects: index.terms.subjects.mask(&need.need.subjects),
            needs_subject: need.need.kind == Kind::Tutoring,
            age: student.age_on(index.instance.as_of),
            history: index.standing.history.get(&id).map_or(&[][..], Vec::as_slice),
            partners: index.standing.partners.get(&id).map_or(&[][..], Vec::as_slice),
            home: Spot::of(student.home),
            priority: rate_priority(student.priority),
            waiting: rate_waiting(need.need.waiting_days),
        }
    }

    /// The student's index.
    pub(super) fn student(&self) -> usize {
        self.need.student
    }

    /// The student's grade.
    pub(super) fn grade(&self) -> u8 {
        self.grade
    }

    /// The need's subjects' bits.
    pub(super) fn subject_bits(&self) -> u64 {
        self.subjects
    }

    /// The sketch's tests: open, grade, and the term masks (exact when the
    /// kind's bits are).
    pub(super) fn may_match(&self, sketch: &Sketch) -> bool {
        sketch.is_open
            && sketch.min_grade <= self.grade
            && self.grade <= sketch.max_grade
            && sketch.languages & self.languages != 0
            && (!self.needs_subject || sketch.subjects & self.subjects != 0)
    }
}

/// The least travel minutes from `home` (the student's) to the sketch's opening
/// within the student's limit, as `feasibility::travel_minutes` has them.
pub(super) fn travel_minutes(student: &Student, home: &Spot, sketch: &Sketch) -> Option<f64> {
    match sketch.spot {
        None => student.remote_ok.then_some(0.0),
        Some(spot) => least_minutes(home.km_to(&spot), &student.travel_modes, sketch.pickup_radius_km)
            .filter(|minutes| within_limit(*minutes, student.max_travel_minutes)),
    }
}

impl KindIndex<'_> {
    /// The days of `free` that hold a session of schedule rule `rule`, remembered
    /// in `days`, the table of `free`.
    pub(super) fn fitting_days(&self, days: &Days, free: &WeekWindows, rule: u32) -> u8 {
        days.get(rule, || {
            let rule = &self.instance.openings[self.rules[rule as usize] as usize];
            free.fitting_days(&rule.schedule, rule.session_minutes)
        })
    }

    /// The score of the pair when it is feasible (a sketch that passed
    /// [`Asker::may_match`]); the same verdict and score as `quick_check` and
    /// `rate_pair`.
    pub(super) fn score_pair(&self, asker: &Asker<'_>, sketch: &Sketch, days: &Days) -> Option<u32> {
        let student = &self.instance.students[asker.need.student];
        let opening = &self.instance.openings[sketch.index as usize];
        if asker.history.binary_search(&sketch.index).is_ok() {
            return None;
        }
        if sketch
            .min_age
            .is_some_and(|min_age| asker.age.is_none_or(|age| i64::from(age) < i64::from(min_age)))
        {
            return None;
        }
        if !self.terms.languages.exact && !shares_any(&student.language_set, &opening.languages) {
            return None;
        }
        let inexact_subjects = !self.terms.subjects.exact;
        if inexact_subjects
            && asker.needs_subject
            && !shares_any(&asker.need.need.subjects, &opening.subjects)
        {
            return None;
        }
        // The schedule first: a table lookup, where travel is a distance.
        let fitting_days = self.fitting_days(days, asker.free, sketch.rule);
        if fitting_days < sketch.sessions_per_week {
            return None;
        }
        let travel_minutes = travel_minutes(student, &asker.home, sketch)?;

        let need = asker.need.need;
        let mut ratings = Ratings::default();
        let field = if inexact_subjects {
            rate_field(&need.subjects, &opening.subjects)
        } else if need.subjects.is_empty() {
            0
        } else {
            (asker.subjects & sketch.subjects).count_ones() * MAX_RATING / need.subjects.len() as u32
        };
        ratings.set(Criterion::Field, field);
        ratings.set(Criterion::Travel, rate_travel(travel_minutes, student.max_travel_minutes));
        ratings.set(Criterion::Schedule, rate_schedule(fitting_days, sketch.sessions_per_week));
        let speaks_preferred = if self.terms.languages.exact {
            asker.first_language & sketch.languages != 0
        } else {
            student.languages.first().is_some_and(|first| opening.languages.binary_search(first).is_ok())
        };
        ratings.set(Criterion::Language, if speaks_preferred { MAX_RATING } else { 0 });
        ratings.set(Criterion::Priority, asker.priority);
        let continues = asker.partners.binary_search(&sketch.partner).is_ok();
        ratings.set(Criterion::Continuity, if continues { MAX_RATING } else { 0 });
        ratings.set(Criterion::Waiting, asker.waiting);
        Some(ratings.weigh(&self.instance.weights).score())
    }
}
