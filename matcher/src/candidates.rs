//! Candidate pairs of one kind, found through indexes rather than a scan of every
//! student × opening: in-person openings in a box tree of unit vectors queried with
//! each student's reach, virtual openings bucketed by language. A need with no
//! candidate gets its `ruledOutBy` counts from per-constraint tallies, so the
//! explanation also costs far less than a scan.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rayon::prelude::*;

mod days;
mod near;
mod pair;
mod shelves;

use days::DayTables;
use near::Near;
use pair::{Asker, Sketch, TermBits, Terms};
use shelves::Layout;

use crate::calendar::WeekWindows;
use crate::feasibility::{Constraint, PairFacts, Standing, needs_background_check};
use crate::geo::{PICKUP_TOLERANCE_KM, Spot, chord_squared, reach_km, unit_vector};
use crate::model::{Instance, Kind, Location, Need, Opening, Student, Term, TravelMode};
use crate::score::{
    Breakdown, Criterion, Ratings, rate_field, rate_priority, rate_schedule, rate_travel, rate_waiting,
};

/// Openings of each constraint that a need's openings failed, by
/// [`Constraint::index`].
pub type RuledOut = [u32; 11];

/// A feasible opening for a need, with its score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Opening index.
    pub opening: u32,
    /// The pair's score.
    pub score: u32,
}

/// What candidate generation found for one need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// Feasible openings, ascending by index.
    Candidates(Vec<Candidate>),
    /// More feasible openings than were asked to be kept: the heaviest of them.
    Best(Best),
    /// None: how many openings of the kind fail each constraint.
    Nothing(RuledOut),
}

/// The heaviest candidates of a need that has more than a limit of them; the
/// rest are found again when they are needed ([`KindIndex::for_each_candidate`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Best {
    /// The kept candidates (the limit's worth by score, ties to the lower
    /// opening), ascending by opening.
    pub candidates: Vec<Candidate>,
    /// How many candidates the need has in all.
    pub count: usize,
    /// The highest score among the candidates left out.
    pub beyond: u32,
}

impl Found {
    /// How many candidates the need has.
    pub fn count(&self) -> usize {
        match self {
            Found::Candidates(candidates) => candidates.len(),
            Found::Best(best) => best.count,
            Found::Nothing(_) => 0,
        }
    }
}

/// A limit on the candidates kept per need: keep every one.
pub const KEEP_ALL: usize = usize::MAX;

/// A need to match in this kind's round: the student and their need.
#[derive(Clone, Copy, Debug)]
pub struct NeedRef<'a> {
    /// Student index.
    pub student: usize,
    /// The student's need of this kind.
    pub need: &'a Need,
}

/// Per shelf, positions in [`KindIndex::virtual_sketches`].
type VirtualShelves = Arc<[Vec<u32>]>;

/// The indexes of one kind's openings.
pub struct KindIndex<'a> {
    instance: &'a Instance,
    standing: &'a Standing,
    kind: Kind,
    /// Opening indices of this kind, ascending.
    openings: Vec<u32>,
    /// Every in-person opening of the kind, for `ruledOutBy`'s travel count.
    in_person: Near<Sketch>,
    /// How the open ones are shelved for finding candidates ([`shelves`]).
    layout: Layout,
    /// The open in-person openings per shelf.
    in_person_shelves: Vec<Near<Sketch>>,
    /// The virtual openings, ascending.
    virtual_sketches: Vec<Sketch>,
    /// Per language, its virtual openings' positions in `virtual_sketches`.
    virtual_by_language: HashMap<Term, Vec<u32>>,
    /// The open virtual openings in each language set asked for, per shelf, as
    /// positions, ascending, each once: students share few language sets, and a
    /// dense district has thousands of virtual openings to merge.
    virtual_by_languages: RwLock<HashMap<Vec<Term>, VirtualShelves>>,
    max_pickup_km: Option<f64>,
    terms: Terms,
    /// A representative opening of each distinct (schedule, session length).
    rules: Vec<u32>,
    /// Per opening of the instance, its rule in `rules` (`u32::MAX` for other kinds).
    rule_of: Vec<u32>,
    /// Each rule's fitting days, per free time met.
    days: DayTables,
    tallies: Tallies,
}

impl<'a> KindIndex<'a> {
    /// Indexes the openings of `kind`. Cost: O(n log n) in its openings.
    pub fn build(instance: &'a Instance, standing: &'a Standing, kind: Kind) -> KindIndex<'a> {
        let openings: Vec<u32> = (0..instance.openings.len() as u32)
            .filter(|opening| instance.openings[*opening as usize].kind == kind)
            .collect();
        let of_kind = || openings.iter().map(|index| &instance.openings[*index as usize]);
        let terms = Terms {
            languages: TermBits::build(of_kind().map(|opening| &opening.languages[..])),
            subjects: TermBits::build(of_kind().map(|opening| &opening.subjects[..])),
        };
        let mut rules = Vec::new();
        let mut rule_of: HashMap<(&WeekWindows, u16), u32> = HashMap::new();
        // Per opening of the kind, in `openings` order: its schedule rule.
        let mut rule_per_opening = Vec::with_capacity(openings.len());
        let mut points = Vec::new();
        let mut virtual_sketches = Vec::new();
        let mut virtual_by_language: HashMap<Term, Vec<u32>> = HashMap::new();
        let mut max_pickup_km: Option<f64> = None;
        for &index in &openings {
            let opening = &instance.openings[index as usize];
            let rule = *rule_of.entry((&opening.schedule, opening.session_minutes)).or_insert_with(|| {
                rules.push(index);
                rules.len() as u32 - 1
            });
            rule_per_opening.push(rule);
            let sketch = Sketch::of(standing, &terms, opening, index, rule);
            match opening.location {
                Location::Virtual => {
                    for language in &opening.languages {
                        virtual_by_language.entry(*language).or_default().push(virtual_sketches.len() as u32);
                    }
                    virtual_sketches.push(sketch);
                }
                Location::InPerson(place) => {
                    points.push((unit_vector(place), sketch));
                    if let Some(radius) = opening.pickup_radius_km {
                        max_pickup_km = Some(max_pickup_km.map_or(radius, |max| max.max(radius)));
                    }
                }
            }
        }
        let tallies = Tallies::build(instance, standing, &openings, &rule_per_opening);
        let mut rule_of = vec![u32::MAX; instance.openings.len()];
        for (index, rule) in openings.iter().zip(&rule_per_opening) {
            rule_of[*index as usize] = *rule;
        }
        let layout = Layout::new(kind == Kind::Tutoring && terms.subjects.exact, terms.subjects.len());
        KindIndex {
            instance,
            standing,
            kind,
            openings,
            layout,
            in_person_shelves: layout.shelve_in_person(&points),
            in_person: Near::build(points),
            virtual_sketches,
            virtual_by_language,
            virtual_by_languages: RwLock::new(HashMap::new()),
            max_pickup_km,
            terms,
            days: DayTables::new(rules.len()),
            rules,
            rule_of,
            tallies,
        }
    }

    /// The kind indexed.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The instance indexed.
    pub fn instance(&self) -> &'a Instance {
        self.instance
    }

    /// The run-wide facts used.
    pub fn standing(&self) -> &'a Standing {
        self.standing
    }

    /// Candidates of every need, in parallel; `free` is each student's free time.
    /// Needs are visited in space-filling-curve order of their homes, so that
    /// consecutive queries touch the same openings (far fewer cache misses at a
    /// million students); results come back in the order of `needs`.
    pub fn find_all(&self, needs: &[NeedRef<'_>], free: &[WeekWindows]) -> Vec<Found> {
        self.find_all_within(needs, free, KEEP_ALL)
    }

    /// As [`KindIndex::find_all`], keeping at most `limit` candidates of a need:
    /// one with more is [`Found::Best`].
    pub fn find_all_within(&self, needs: &[NeedRef<'_>], free: &[WeekWindows], limit: usize) -> Vec<Found> {
        let mut order: Vec<(u64, u32)> = needs
            .iter()
            .enumerate()
            .map(|(at, need)| (morton_key(self.instance.students[need.student].home), at as u32))
            .collect();
        order.sort_unstable();
        let found: Vec<Found> = order
            .par_iter()
            .map_init(Vec::new, |scratch, (_, at)| {
                let need = needs[*at as usize];
                self.find_with(need, &free[need.student], limit, scratch)
            })
            .collect();
        let mut by_need: Vec<Option<Found>> = vec![None; needs.len()];
        for ((_, at), found) in order.into_iter().zip(found) {
            by_need[at as usize] = Some(found);
        }
        by_need.into_iter().map(|found| found.unwrap_or(Found::Nothing([0; 11]))).collect()
    }

    /// Finds again, in parallel, the needs of `needs` at `positions`: their
    /// students had free time `before` when `found` was found, and have `free`
    /// now, less than before; the rest stay.
    ///
    /// Less free time can only fail the schedule test or lower the schedule
    /// rating, so a need's candidates are its old ones re-rated on their schedule
    /// alone; a need left with none (or that had none) is found in full, for its
    /// `ruledOutBy`, and so is one that kept only its best (its count and the
    /// best themselves may change), keeping at most `limit`.
    pub fn find_again(
        &self,
        needs: &[NeedRef<'_>],
        before: &[WeekWindows],
        free: &[WeekWindows],
        positions: &[usize],
        limit: usize,
        found: &mut [Found],
    ) {
        let again: Vec<Found> = positions
            .par_iter()
            .map_init(Vec::new, |scratch, at| {
                let need = needs[*at];
                let student = need.student;
                let kept = match &found[*at] {
                    Found::Candidates(old) => self.rerate(need, &before[student], &free[student], old),
                    Found::Best(_) | Found::Nothing(_) => Vec::new(),
                };
                if kept.is_empty() {
                    self.find_with(need, &free[student], limit, scratch)
                } else {
                    Found::Candidates(kept)
                }
            })
            .collect();
        for (at, again) in positions.iter().zip(again) {
            found[*at] = again;
        }
    }

    /// The candidates of `old` (found on free time `before`) that still fit the
    /// free time `now`, with their schedule points moved to the days that fit now.
    fn rerate(
        &self,
        need: NeedRef<'_>,
        before: &WeekWindows,
        now: &WeekWindows,
        old: &[Candidate],
    ) -> Vec<Candidate> {
        let weight = self.instance.weights.get(Criterion::Schedule);
        let (was, is) = (self.days.of(before), self.days.of(now));
        old.iter()
            .filter_map(|candidate| {
                let opening = candidate.opening as usize;
                let rule = self.rule_of[opening];
                let needed = self.instance.openings[opening].sessions_per_week;
                let days = self.fitting_days(&is, now, rule);
                let score = (days >= needed).then(|| {
                    let had = self.fitting_days(&was, before, rule);
                    candidate.score - weight * rate_schedule(had, needed)
                        + weight * rate_schedule(days, needed)
                });
                debug_assert_eq!(
                    score,
                    self.reference_score(need, now, candidate.opening),
                    "re-rated wrongly"
                );
                score.map(|score| Candidate { opening: candidate.opening, score })
            })
            .collect()
    }

    /// Candidates of one need given the student's free time.
    pub fn find(&self, need: NeedRef<'_>, free: &WeekWindows) -> Found {
        self.find_with(need, free, KEEP_ALL, &mut Vec::new())
    }

    /// Visits every candidate of one need given the student's free time, in no
    /// particular order, keeping none: what pricing reads of a need that kept
    /// only its best.
    pub fn for_each_candidate(&self, need: NeedRef<'_>, free: &WeekWindows, visit: impl FnMut(Candidate)) {
        self.for_each_candidate_among(need, free, |_| true, visit);
    }

    /// As [`KindIndex::for_each_candidate`], among the openings `wanted` accepts
    /// (asked before any test of the pair).
    pub fn for_each_candidate_among(
        &self,
        need: NeedRef<'_>,
        free: &WeekWindows,
        wanted: impl Fn(u32) -> bool,
        mut visit: impl FnMut(Candidate),
    ) {
        // Without consent no pair is feasible.
        if !self.instance.students[need.student].consent_on_file {
            return;
        }
        let asker = Asker::new(self, need, free);
        let days = self.days.of(free);
        self.for_each_shelved(&asker, |sketch: &Sketch| {
            if !wanted(sketch.index) || !asker.may_match(sketch) {
                return;
            }
            let score = self.score_pair(&asker, sketch, &days);
            debug_assert_eq!(
                score,
                self.reference_score(need, free, sketch.index),
                "the fast test disagrees"
            );
            if let Some(score) = score {
                visit(Candidate { opening: sketch.index, score });
            }
        });
    }

    /// One need's candidates, at most `limit` of them kept; `scratch` is a
    /// buffer to reuse (the lists come out at their exact length).
    fn find_with(
        &self,
        need: NeedRef<'_>,
        free: &WeekWindows,
        limit: usize,
        scratch: &mut Vec<Candidate>,
    ) -> Found {
        scratch.clear();
        self.for_each_candidate(need, free, |candidate| scratch.push(candidate));
        let count = scratch.len();
        if count > limit {
            // The heaviest `limit` (ties to the lower opening), then by opening.
            let heaviest = |candidate: &Candidate| (std::cmp::Reverse(candidate.score), candidate.opening);
            scratch.select_nth_unstable_by_key(limit, heaviest);
            let beyond = scratch[limit..].iter().map(|candidate| candidate.score).max().unwrap_or(0);
            let mut candidates = scratch[..limit].to_vec();
            candidates.sort_unstable_by_key(|candidate| candidate.opening);
            return Found::Best(Best { candidates, count, beyond });
        }
        if count > 0 {
            scratch.sort_unstable_by_key(|candidate| candidate.opening);
            return Found::Candidates(scratch.clone());
        }
        // Only a need with no candidate needs every travel time: for ruledOutBy.
        let student = &self.instance.students[need.student];
        let home = Spot::of(student.home);
        let mut travel_passes = 0;
        self.for_each_in_reach(need.student, |sketch| {
            travel_passes += u32::from(pair::travel_minutes(student, &home, sketch).is_some());
        });
        Found::Nothing(self.ruled_out(need, free, travel_passes))
    }

    /// The pair's score by the reference tests, `assess` and `quick_check` agreeing.
    fn reference_score(&self, need: NeedRef<'_>, free: &WeekWindows, opening: u32) -> Option<u32> {
        use crate::feasibility::{Pair, assess, quick_check};
        let history = self.standing.history.get(&(need.student as u32)).map_or(&[][..], Vec::as_slice);
        let pair = Pair { student: need.student, need: need.need, free, opening: opening as usize };
        let facts = quick_check(self.instance, self.standing, pair, history);
        debug_assert_eq!(
            facts,
            assess(self.instance, self.standing, pair).1,
            "the quick check and assess disagree"
        );
        facts.map(|facts| self.rate(need, opening, facts).score())
    }

    /// The score breakdown of a feasible pair.
    pub fn rate(&self, need: NeedRef<'_>, opening: u32, facts: PairFacts) -> Breakdown {
        rate_pair(self.instance, self.standing, need, opening as usize, facts)
    }

    /// Visits, once each, the open openings on the shelves of the asker's grade
    /// and subjects: those in person within the student's reach radius and, for a
    /// student open to remote ones, the virtual ones in their languages.
    fn for_each_shelved(&self, asker: &Asker<'_>, mut visit: impl FnMut(&Sketch)) {
        let student = &self.instance.students[asker.student()];
        let reach = self.reach(student);
        let virtual_shelves = student.remote_ok.then(|| self.virtual_for(&student.language_set));
        let slots = self.layout.slots(asker.subject_bits());
        for slot in shelves::ones(slots) {
            let earlier = shelves::earlier(slots, slot);
            let mut once = |sketch: &Sketch| {
                if sketch.subject_bits() & earlier == 0 {
                    visit(sketch);
                }
            };
            let shelf = self.layout.shelf(asker.grade(), slot);
            if let Some((centre, max_squared)) = reach {
                self.in_person_shelves[shelf].for_each_within(centre, max_squared, &mut once);
            }
            if let Some(virtual_shelves) = &virtual_shelves {
                virtual_shelves[shelf].iter().for_each(|at| once(&self.virtual_sketches[*at as usize]));
            }
        }
    }

    /// The open virtual openings in any of `languages`, per shelf, ascending, each once.
    fn virtual_for(&self, languages: &[Term]) -> VirtualShelves {
        let cached = self.virtual_by_languages.read().ok().and_then(|cache| cache.get(languages).cloned());
        if let Some(sketches) = cached {
            return sketches;
        }
        let mut positions: Vec<u32> = languages
            .iter()
            .filter_map(|language| self.virtual_by_language.get(language))
            .flatten()
            .copied()
            .collect();
        positions.sort_unstable();
        positions.dedup();
        let items = positions.iter().map(|at| (&self.virtual_sketches[*at as usize], *at));
        let shelves: VirtualShelves = self.layout.shelve(items).into();
        if let Ok(mut cache) = self.virtual_by_languages.write() {
            cache.insert(languages.to_vec(), Arc::clone(&shelves));
        }
        shelves
    }

    /// Visits the in-person openings within the student's reach radius (a superset
    /// of those within their travel limit).
    fn for_each_in_reach(&self, student_index: usize, visit: impl FnMut(&Sketch)) {
        let student = &self.instance.students[student_index];
        if let Some((centre, max_squared)) = self.reach(student) {
            self.in_person.for_each_within(centre, max_squared, visit);
        }
    }

    /// The centre and squared chord of the student's reach: the farthest any of
    /// their ways (or a partner's pick-up) can take them within their limit.
    fn reach(&self, student: &Student) -> Option<([f64; 3], f64)> {
        let limit = student.max_travel_minutes;
        let own = student.travel_modes.iter().map(|mode| reach_km(*mode, limit)).fold(-1.0, f64::max);
        let pickup = self
            .max_pickup_km
            .map_or(-1.0, |radius| reach_km(TravelMode::Car, limit).min(radius + PICKUP_TOLERANCE_KM));
        let radius = own.max(pickup);
        (radius >= 0.0).then(|| (unit_vector(student.home), chord_squared(radius)))
    }

    /// `ruledOutBy` for a need with no candidate; `travel_passes` counts the
    /// in-person openings within the travel limit.
    fn ruled_out(&self, need: NeedRef<'_>, free: &WeekWindows, travel_passes: u32) -> RuledOut {
        let student = &self.instance.students[need.student];
        let tallies = &self.tallies;
        let n = self.openings.len() as u32;
        let mut counts: RuledOut = [0; 11];
        if need.need.kind == Kind::Tutoring {
            counts[Constraint::Subjects.index()] = n - tallies.subjects.count_any(&need.need.subjects);
        }
        counts[Constraint::Grade.index()] = tallies.grade_fails[usize::from(student.grade.get())];
        counts[Constraint::Age.index()] = match student.age_on(self.instance.as_of) {
            None => tallies.min_ages.len() as u32,
            Some(age) => {
                let met = tallies.min_ages.partition_point(|min_age| i64::from(*min_age) <= i64::from(age));
                (tallies.min_ages.len() - met) as u32
            }
        };
        counts[Constraint::Language.index()] = n - tallies.languages.count_any(&student.language_set);
        counts[Constraint::Schedule.index()] = self.count_schedule_fails(free);
        let virtual_fails = if student.remote_ok { 0 } else { self.virtual_sketches.len() as u32 };
        counts[Constraint::Travel.index()] = virtual_fails + self.in_person.len() as u32 - travel_passes;
        counts[Constraint::Consent.index()] = if student.consent_on_file { 0 } else { n };
        counts[Constraint::Agreement.index()] = tallies.agreement_fails;
        counts[Constraint::BackgroundCheck.index()] = tallies.background_fails;
        counts[Constraint::Declined.index()] = self.count_declined(need.student);
        counts[Constraint::Full.index()] = tallies.full;
        counts
    }

    /// Openings whose schedule cannot hold their sessions in `free`, from the
    /// fitting days of `free`'s table (one lookup per schedule group).
    fn count_schedule_fails(&self, free: &WeekWindows) -> u32 {
        let days = self.days.of(free);
        self.tallies
            .schedules
            .iter()
            .filter(|group| self.fitting_days(&days, free, group.rule) < group.sessions_per_week)
            .map(|group| group.count)
            .sum()
    }

    fn count_declined(&self, student: usize) -> u32 {
        let history = self.standing.history.get(&(student as u32));
        let of_kind =
            history.into_iter().flatten().filter(|o| self.instance.openings[**o as usize].kind == self.kind);
        of_kind.count() as u32
    }
}

/// Interleaves the bits of a place's grid cell (about 0.01°, 1 km) into a
/// Z-order key: nearby homes get nearby keys.
pub(crate) fn morton_key(place: crate::model::Place) -> u64 {
    let cell = |degrees: f64, offset: f64| ((degrees + offset) * 100.0) as u32;
    let spread = |value: u32| {
        let mut x = u64::from(value);
        x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
        x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
        x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        x = (x | (x << 2)) & 0x3333_3333_3333_3333;
        (x | (x << 1)) & 0x5555_5555_5555_5555
    };
    spread(cell(place.lat(), 90.0)) | (spread(cell(place.lon(), 180.0)) << 1)
}

/// Rates a feasible pair on every criterion and weighs the ratings.
pub fn rate_pair(
    instance: &Instance,
    standing: &Standing,
    need: NeedRef<'_>,
    opening_index: usize,
    facts: PairFacts,
) -> Breakdown {
    let student = &instance.students[need.student];
    let opening: &Opening = &instance.openings[opening_index];
    let mut ratings = Ratings::default();
    ratings.set(Criterion::Field, rate_field(&need.need.subjects, &opening.subjects));
    ratings.set(Criterion::Travel, rate_travel(facts.travel_minutes, student.max_travel_minutes));
    ratings.set(Criterion::Schedule, rate_schedule(facts.fitting_days, opening.sessions_per_week));
    let speaks_preferred =
        student.languages.first().is_some_and(|first| opening.languages.binary_search(first).is_ok());
    ratings.set(Criterion::Language, if speaks_preferred { 100 } else { 0 });
    ratings.set(Criterion::Priority, rate_priority(student.priority));
    let continues = standing
        .partners
        .get(&(need.student as u32))
        .is_some_and(|partners| partners.binary_search(&(opening.partner as u32)).is_ok());
    ratings.set(Criterion::Continuity, if continues { 100 } else { 0 });
    ratings.set(Criterion::Waiting, rate_waiting(need.need.waiting_days));
    ratings.weigh(&instance.weights)
}

/// Per-constraint tallies over one kind's openings, for `ruledOutBy`.
struct Tallies {
    /// Per student grade 0–12: openings whose grade range excludes it.
    grade_fails: [u32; 13],
    /// Minimum ages set, ascending.
    min_ages: Vec<u32>,
    languages: TermSets,
    subjects: TermSets,
    schedules: Vec<ScheduleGroup>,
    agreement_fails: u32,
    background_fails: u32,
    full: u32,
}

/// Openings sharing one schedule rule (the index's, [`KindIndex::rules`]) and
/// sessions a week.
struct ScheduleGroup {
    rule: u32,
    sessions_per_week: u8,
    count: u32,
}

impl Tallies {
    /// `rules[i]` is the schedule rule of `openings[i]`.
    fn build(instance: &Instance, standing: &Standing, openings: &[u32], rules: &[u32]) -> Tallies {
        let mut grade_fails = [0u32; 13];
        let mut min_ages = Vec::new();
        let mut groups: HashMap<(u32, u8), u32> = HashMap::new();
        let (mut agreement_fails, mut background_fails, mut full) = (0, 0, 0);
        for (&index, &rule) in openings.iter().zip(rules) {
            let opening = &instance.openings[index as usize];
            for (grade, fails) in grade_fails.iter_mut().enumerate() {
                let grade = grade as u8;
                *fails += u32::from(!(opening.min_grade.get() <= grade && grade <= opening.max_grade.get()));
            }
            min_ages.extend(opening.min_age);
            *groups.entry((rule, opening.sessions_per_week)).or_default() += 1;
            agreement_fails += u32::from(!standing.agreement_ok[index as usize]);
            background_fails +=
                u32::from(needs_background_check(opening) && !standing.background_ok[index as usize]);
            full += u32::from(standing.free_slots[index as usize] == 0);
        }
        min_ages.sort_unstable();
        let mut schedules: Vec<ScheduleGroup> = groups
            .into_iter()
            .map(|((rule, sessions_per_week), count)| ScheduleGroup { rule, sessions_per_week, count })
            .collect();
        schedules.sort_unstable_by_key(|group| (group.rule, group.sessions_per_week));
        let languages =
            TermSets::build(openings.iter().map(|index| &instance.openings[*index as usize].languages));
        let subjects =
            TermSets::build(openings.iter().map(|index| &instance.openings[*index as usize].subjects));
        Tallies {
            grade_fails,
            min_ages,
            languages,
            subjects,
            schedules,
            agreement_fails,
            background_fails,
            full,
        }
    }
}

/// For each term, the (local) openings that carry it: a bitset when many do, a
/// sorted list when few do, so memory stays linear and counting a union stays fast.
struct TermSets {
    n: usize,
    dense: HashMap<Term, Vec<u64>>,
    sparse: HashMap<Term, Vec<u32>>,
}

impl TermSets {
    fn build<'t>(sets: impl Iterator<Item = &'t Vec<Term>>) -> TermSets {
        let mut lists: HashMap<Term, Vec<u32>> = HashMap::new();
        let mut n = 0;
        for (local, terms) in sets.enumerate() {
            n = local + 1;
            for term in terms {
                lists.entry(*term).or_default().push(local as u32);
            }
        }
        let words = n.div_ceil(64);
        let mut dense = HashMap::new();
        let mut sparse = HashMap::new();
        for (term, list) in lists {
            if list.len() >= words {
                let mut bits = vec![0u64; words];
                for local in list {
                    bits[local as usize / 64] |= 1 << (local % 64);
                }
                dense.insert(term, bits);
            } else {
                sparse.insert(term, list);
            }
        }
        TermSets { n, dense, sparse }
    }

    /// How many openings carry at least one of `terms`.
    fn count_any(&self, terms: &[Term]) -> u32 {
        let mut bits = vec![0u64; self.n.div_ceil(64)];
        for term in terms {
            if let Some(dense) = self.dense.get(term) {
                for (word, more) in bits.iter_mut().zip(dense) {
                    *word |= more;
                }
            } else if let Some(list) = self.sparse.get(term) {
                for local in list {
                    bits[*local as usize / 64] |= 1 << (local % 64);
                }
            }
        }
        bits.iter().map(|word| word.count_ones()).sum()
    }
}
