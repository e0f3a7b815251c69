//! One matching run: kinds in contract order, each through candidates → solve →
//! sessions, later kinds seeing the time earlier kinds took.

use std::collections::HashSet;

use crate::calendar::{WeekWindows, Window};
use crate::candidates::{Found, KEEP_ALL, KindIndex, NeedRef, RuledOut};
use crate::error::Error;
use crate::feasibility::{Pair, Standing, assess};
use crate::model::{Instance, Kind};
use crate::score::Breakdown;
use crate::solve::{Beyond, Edge, Problem, solve, solve_beyond};

/// A phase of a run, reported to an [`Observer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Finding and scoring candidate pairs of one kind.
    Candidates,
    /// Solving one kind's assignment and placing its sessions.
    Solve,
}

/// A kind whose needs have this many candidates each on average is solved on
/// their heaviest few and priced ([`solve_beyond`]): the same optimum, in a
/// fraction of the memory. Generated cities have about 33 (a whole solve is
/// faster there); dense ones about 470.
const DENSE_EDGES_PER_ROW: usize = 64;
/// Edges each need keeps in a sparse solve, and brings in per pricing round.
/// Measured on the dense 100k-student city (seed 7): 8 or 4 kept took more
/// rounds, 24 to 64 made each solve slower.
const SPARSE_KEEP: usize = 16;
const SPARSE_BRING_IN: usize = 8;
/// A need keeps at most its share of [`HELD_PAIRS`], and never fewer than
/// this many, of its heaviest candidates; a dense kind's pricing finds the rest
/// again when the duals ask for them ([`solve_beyond`]), so memory follows the
/// needs rather than the pairs.
const HELD_PER_NEED: usize = 128;
/// Candidates a kind's needs keep between them (about 1 GiB with the problem's
/// copy). A 100k-student dense city holds all of its 27 million a kind but a
/// few hundred needs' worth: reading a need again costs about as much as
/// finding it, and pricing reads a row in every round that cannot rule it out.
const HELD_PAIRS: usize = 128_000_000;

/// The engine's sizes, apart so that tests can make every path run on small
/// instances.
#[derive(Clone, Copy, Debug)]
struct Tuning {
    dense_edges_per_row: usize,
    keep: usize,
    bring_in: usize,
    held_per_need: usize,
    held_pairs: usize,
}

impl Tuning {
    const RUN: Tuning = Tuning {
        dense_edges_per_row: DENSE_EDGES_PER_ROW,
        keep: SPARSE_KEEP,
        bring_in: SPARSE_BRING_IN,
        held_per_need: HELD_PER_NEED,
        held_pairs: HELD_PAIRS,
    };

    /// How many candidates each of `needs` needs may keep.
    fn limit(self, options: Options, needs: usize) -> usize {
        if options.keep_candidates {
            return KEEP_ALL;
        }
        self.held_per_need.max(self.held_pairs / needs.max(1))
    }
}

/// Hears a run's progress. The engine reads no clock: callers time phases here.
///
/// A kind's solve ends on the thread that solved it, while the next kind's
/// candidates may still be found beside it: the observer is `Send` so that the
/// solve's end is heard when it happens, and the wait for the rest counts as the
/// next kind's candidates.
pub trait Observer: Send {
    /// A phase of `kind` begins; `needs` is how many needs the kind has to match.
    fn started(&mut self, _phase: Phase, _kind: Kind, _needs: usize) {}
    /// The phase ends.
    fn finished(&mut self, _phase: Phase, _kind: Kind) {}
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Observer for Silent {}

/// What a run is asked for beyond the instance.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Keep every candidate pair in the outcome.
    pub keep_candidates: bool,
}

/// A match the run makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// Student index.
    pub student: usize,
    /// Opening index.
    pub opening: usize,
    /// The need's kind.
    pub kind: Kind,
    /// Points per criterion; their sum is the score.
    pub breakdown: Breakdown,
    /// Weekly sessions, on distinct days, Monday first.
    pub sessions: Vec<Window>,
}

/// Why a need stayed unmatched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// No opening passed every constraint; how many failed each.
    NoCandidate(RuledOut),
    /// Some did, but the optimal assignment gave their slots to other needs.
    Outscored,
}

/// A need left unmatched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unmatched {
    /// Student index.
    pub student: usize,
    /// The need's kind.
    pub kind: Kind,
    /// Why.
    pub reason: Reason,
}

/// A candidate pair as its kind's solve saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CandidatePair {
    /// Student index (u32: tens of millions of these are kept at a million students).
    pub student: u32,
    /// Opening index.
    pub opening: u32,
    /// The kind.
    pub kind: Kind,
    /// The pair's score.
    pub score: u32,
}

/// Counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Needs the run tried to match (needs already filled by an existing match are not).
    pub needs: usize,
    /// Needs matched.
    pub matched: usize,
    /// Candidate pairs over all kinds.
    pub candidates: usize,
    /// Sum of the assignments' scores.
    pub total_score: i64,
}

/// Everything a run decides, ordered by student (input order), then kind in match order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The matches made.
    pub assignments: Vec<Assignment>,
    /// The needs left unmatched, each with its reason.
    pub unmatched: Vec<Unmatched>,
    /// Every candidate pair (only when [`Options::keep_candidates`]), by kind in match order, student, opening.
    pub candidates: Vec<CandidatePair>,
    /// Totals.
    pub counts: Counts,
}

/// Matches `instance`: the same instance always gives the same outcome.
///
/// Cost: per kind, finding candidates is linear in the pairs within reach (spatial
/// and language indexes skip the rest), then the exact solve per connected
/// component (see [`crate::solve::solve`]), or for a kind whose needs average 64
/// candidates or more, on their 16 best with pricing ([`crate::solve::solve_beyond`]).
/// Memory is linear in the candidate pairs up to 128 million a kind; past that
/// each need keeps its heaviest (at least 128) and pricing finds the rest again,
/// so memory follows the needs. With [`Options::keep_candidates`] every pair is kept.
///
/// ```
/// let raw = matcher::validate::parse_json(br#"{
///   "asOf": "2026-09-14",
///   "students": [{
///     "id": "s-1", "grade": 9, "birthDate": "2011-03-02", "languages": ["es", "en"],
///     "home": {"lat": 41.881, "lon": -87.623}, "travelModes": ["TRANSIT"],
///     "maxTravelMinutes": 45, "availability": [{"day": "TUE", "start": "15:30", "end": "18:00"}],
///     "needs": [{"kind": "MENTORING", "subjects": ["healthcare"]},
///               {"kind": "TUTORING", "subjects": ["algebra"]}],
///     "priority": 2, "consentOnFile": true
///   }],
///   "openings": [{
///     "id": "o-1", "partnerId": "p-1", "kind": "MENTORING", "subjects": ["healthcare"],
///     "languages": ["en"], "virtual": false, "place": {"lat": 41.902, "lon": -87.651},
///     "schedule": [{"day": "TUE", "start": "16:00", "end": "18:00"}],
///     "sessionMinutes": 60, "sessionsPerWeek": 1, "capacity": 3, "minGrade": 9, "maxGrade": 12,
///     "backgroundCheck": {"clearedOn": "2026-01-10", "expiresOn": "2027-01-10"}
///   }],
///   "partners": [{"id": "p-1", "agreements": [
///     {"startsOn": "2026-08-01", "endsOn": "2027-07-31", "dataSharing": true}]}]
/// }"#)?;
/// let instance = matcher::parse_instance(&raw)?;
/// let outcome = matcher::run(&instance, matcher::Options::default(), &mut matcher::Silent)?;
///
/// // The mentoring need is matched; no opening offers algebra tutoring.
/// assert_eq!(outcome.counts.matched, 1);
/// let made = &outcome.assignments[0];
/// assert_eq!(instance.openings()[made.opening].id().as_str(), "o-1");
/// assert_eq!(outcome.unmatched.len(), 1);
/// # Ok::<(), matcher::Error>(())
/// ```
///
/// # Errors
/// [`Error::TooLarge`] if scores could overflow (not at realistic sizes).
pub fn run(instance: &Instance, options: Options, observer: &mut dyn Observer) -> Result<Outcome, Error> {
    run_tuned(instance, options, Tuning::RUN, observer)
}

fn run_tuned(
    instance: &Instance,
    options: Options,
    tuning: Tuning,
    observer: &mut dyn Observer,
) -> Result<Outcome, Error> {
    let standing = Standing::of(instance);
    let mut free = initial_free_time(instance);
    let filled = filled_needs(instance);
    let needs_of = |kind: Kind| needs_of(instance, &filled, kind);
    let mut outcome = Outcome::default();
    // The next kind's candidates, found on the free time before this kind's
    // sessions while this kind is solved (its biggest component holds one core),
    // and the students this kind gave sessions to: only their needs are found again.
    let mut ahead: Option<(Ahead<'_>, Vec<bool>)> = None;
    for (at, kind) in Kind::MATCH_ORDER.into_iter().enumerate() {
        let (needs, index, found) = match ahead.take() {
            // The candidates phase began when the kind before finished solving.
            Some((Ahead { needs, index, mut found, before }, touched)) => {
                let positions: Vec<usize> =
                    (0..needs.len()).filter(|position| touched[needs[*position].student]).collect();
                index.find_again(
                    &needs,
                    &before,
                    &free,
                    &positions,
                    tuning.limit(options, needs.len()),
                    &mut found,
                );
                (needs, index, found)
            }
            None => {
                let needs = needs_of(kind);
                observer.started(Phase::Candidates, kind, needs.len());
                let index = KindIndex::build(instance, &standing, kind);
                let found = index.find_all_within(&needs, &free, tuning.limit(options, needs.len()));
                (needs, index, found)
            }
        };
        // The free time before this kind's sessions, copied before the solve takes it.
        let next = Kind::MATCH_ORDER.get(at + 1).map(|next| (*next, needs_of(*next), free.clone()));
        let next_needs = next.as_ref().map(|(next, needs, _)| (*next, needs.len()));
        let (touched, next) = rayon::join(
            || {
                // Building the graph is the candidates' last step (OR-tools' peer
                // times its graph apart from its solve, too).
                let graph = Graph::of(&index, &needs, &free, found, options, tuning, &mut outcome);
                observer.finished(Phase::Candidates, kind);
                observer.started(Phase::Solve, kind, needs.len());
                let touched = match_kind(&index, &needs, graph, tuning, &mut free, &mut outcome);
                observer.finished(Phase::Solve, kind);
                if let Some((next, needs)) = next_needs {
                    observer.started(Phase::Candidates, next, needs);
                }
                touched
            },
            || {
                next.map(|(next, needs, before)| {
                    let index = KindIndex::build(instance, &standing, next);
                    let found = index.find_all_within(&needs, &before, tuning.limit(options, needs.len()));
                    Ahead { needs, index, found, before }
                })
            },
        );
        let touched = touched?;
        ahead = next.map(|next| (next, touched));
    }
    outcome.assignments.sort_by_key(|assignment| (assignment.student, assignment.kind.match_rank()));
    outcome.unmatched.sort_by_key(|unmatched| (unmatched.student, unmatched.kind.match_rank()));
    Ok(outcome)
}

/// A kind's needs and candidates, found ahead of its turn.
struct Ahead<'a> {
    needs: Vec<NeedRef<'a>>,
    index: KindIndex<'a>,
    found: Vec<Found>,
    /// The free time they were found on.
    before: Vec<WeekWindows>,
}

/// The (student, kind) needs an existing match already fills.
fn filled_needs(instance: &Instance) -> HashSet<(usize, Kind)> {
    instance
        .existing_matches
        .iter()
        .map(|existing| (existing.student, instance.openings[existing.opening].kind))
        .collect()
}

/// The needs of `kind` to match: every student's, but those `filled`.
fn needs_of<'a>(instance: &'a Instance, filled: &HashSet<(usize, Kind)>, kind: Kind) -> Vec<NeedRef<'a>> {
    instance
        .students
        .iter()
        .enumerate()
        .filter(|(student, _)| !filled.contains(&(*student, kind)))
        .filter_map(|(student, record)| {
            record.needs.iter().find(|need| need.kind == kind).map(|need| NeedRef { student, need })
        })
        .collect()
}

/// Availability less the sessions of existing matches.
fn initial_free_time(instance: &Instance) -> Vec<WeekWindows> {
    let mut free: Vec<WeekWindows> =
        instance.students.iter().map(|student| student.availability.clone()).collect();
    for existing in &instance.existing_matches {
        for session in &existing.sessions {
            free[existing.student] = free[existing.student].without(session);
        }
    }
    free
}

/// A kind's candidates as an assignment problem: one row per need that has any.
struct Graph {
    problem: Problem,
    /// The need of each row.
    rows: Vec<usize>,
    /// Per row, the highest score of the candidates the problem does not hold
    /// (`None` when it holds them all).
    beyond: Vec<Option<u32>>,
    /// Whether the needs average enough candidates to solve on their best few.
    dense: bool,
    /// Per need, why it has no candidate (`None` when it has some).
    ruled_out: Vec<Option<RuledOut>>,
}

impl Graph {
    /// Takes the candidate lists into the problem, and into the outcome's
    /// candidates when they are kept; counts them. A kind that turns out not to
    /// be dense is solved whole: its needs that kept only their best are found
    /// again in full first (on `free`, the time they were found on).
    fn of(
        index: &KindIndex<'_>,
        needs: &[NeedRef<'_>],
        free: &[WeekWindows],
        mut found: Vec<Found>,
        options: Options,
        tuning: Tuning,
        outcome: &mut Outcome,
    ) -> Graph {
        let kind = index.kind();
        let pairs: usize = found.iter().map(Found::count).sum();
        let with_any = found.iter().filter(|found| found.count() > 0).count();
        let dense = pairs >= tuning.dense_edges_per_row.saturating_mul(with_any);
        if !dense {
            let trimmed: Vec<usize> =
                (0..found.len()).filter(|at| matches!(found[*at], Found::Best(_))).collect();
            index.find_again(needs, free, free, &trimmed, KEEP_ALL, &mut found);
        }
        let mut problem = Problem::new(index.standing().free_slots.clone());
        let mut rows: Vec<usize> = Vec::new();
        let mut beyond: Vec<Option<u32>> = Vec::new();
        for (at, found) in found.iter().enumerate() {
            let (candidates, bound) = match found {
                Found::Candidates(candidates) => (candidates, None),
                Found::Best(best) => (&best.candidates, Some(best.beyond)),
                Found::Nothing(_) => continue,
            };
            problem.add_row(candidates.iter().map(|candidate| (candidate.opening, candidate.score)));
            rows.push(at);
            beyond.push(bound);
            if options.keep_candidates {
                outcome.candidates.extend(candidates.iter().map(|candidate| CandidatePair {
                    student: needs[at].student as u32,
                    opening: candidate.opening,
                    kind,
                    score: candidate.score,
                }));
            }
        }
        outcome.counts.candidates += pairs;
        // The problem holds the pairs now: the lists go before the solve, which may
        // run beside the next kind's candidates. A need keeps only why it had none.
        let ruled_out = found
            .into_iter()
            .map(|found| match found {
                Found::Nothing(ruled_out) => Some(ruled_out),
                Found::Candidates(_) | Found::Best(_) => None,
            })
            .collect();
        Graph { problem, rows, beyond, dense, ruled_out }
    }
}

/// The candidates a dense kind's problem does not hold, found again for pricing
/// on the free time they were first found on.
struct FoundAgain<'g, 'a> {
    index: &'g KindIndex<'a>,
    needs: &'g [NeedRef<'a>],
    rows: &'g [usize],
    beyond: &'g [Option<u32>],
    free: &'g [WeekWindows],
}

impl Beyond for FoundAgain<'_, '_> {
    fn bound(&self, row: usize) -> Option<u32> {
        self.beyond[row]
    }

    fn for_each_edge(&self, row: usize, wanted: &dyn Fn(u32) -> bool, visit: &mut dyn FnMut(Edge)) {
        let need = self.needs[self.rows[row]];
        self.index.for_each_candidate_among(need, &self.free[need.student], wanted, |candidate| {
            visit((candidate.opening, candidate.score));
        });
    }

    fn reading_key(&self, row: usize) -> u64 {
        let student = self.needs[self.rows[row]].student;
        crate::candidates::morton_key(self.index.instance().students[student].home)
    }
}

/// Solves one kind and records its assignments and misses; returns, per student,
/// whether the kind gave them sessions.
fn match_kind(
    index: &KindIndex<'_>,
    needs: &[NeedRef<'_>],
    graph: Graph,
    tuning: Tuning,
    free: &mut [WeekWindows],
    outcome: &mut Outcome,
) -> Result<Vec<bool>, Error> {
    let instance = index.instance();
    let kind = index.kind();
    let Graph { problem, rows, beyond, dense, ruled_out } = graph;
    let solution = if dense {
        let beyond = FoundAgain { index, needs, rows: &rows, beyond: &beyond, free };
        solve_beyond(&problem, &beyond, tuning.keep, tuning.bring_in)?.0
    } else {
        solve(&problem)?
    };
    outcome.counts.needs += needs.len();
    let mut touched = vec![false; instance.students.len()];
    let mut matched_opening: Vec<Option<u32>> = vec![None; needs.len()];
    for (row, column) in solution.assignment.iter().enumerate() {
        matched_opening[rows[row]] = *column;
    }
    for (at, need) in needs.iter().enumerate() {
        let Some(opening) = matched_opening[at] else {
            let reason = ruled_out[at].map_or(Reason::Outscored, Reason::NoCandidate);
            outcome.unmatched.push(Unmatched { student: need.student, kind, reason });
            continue;
        };
        let opening = opening as usize;
        let pair = Pair { student: need.student, need: need.need, free: &free[need.student], opening };
        let (_, facts) = assess(instance, index.standing(), pair);
        let facts = facts.ok_or(Error::Internal("a solved pair is not feasible"))?;
        let breakdown = index.rate(*need, opening as u32, facts);
        let record = &instance.openings[opening];
        let sessions = free[need.student]
            .place_sessions(&record.schedule, record.session_minutes, record.sessions_per_week)
            .ok_or(Error::Internal("a feasible pair has no sessions"))?;
        for session in &sessions {
            free[need.student] = free[need.student].without(session);
        }
        touched[need.student] = true;
        outcome.counts.matched += 1;
        outcome.counts.total_score += i64::from(breakdown.score());
        outcome.assignments.push(Assignment { student: need.student, opening, kind, breakdown, sessions });
    }
    Ok(touched)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feasibility::Constraint;

    /// One free hour on Tuesday, wanted by a mentoring and a tutoring opening.
    const ONE_HOUR_TWO_KINDS: &str = r#"{
      "asOf": "2026-09-14",
      "students": [{
        "id": "s-1", "grade": 9, "birthDate": "2011-03-02", "languages": ["en"],
        "home": {"lat": 41.881, "lon": -87.623}, "travelModes": ["TRANSIT"],
        "maxTravelMinutes": 45, "availability": [{"day": "TUE", "start": "16:00", "end": "17:00"}],
        "needs": [{"kind": "MENTORING", "subjects": ["healthcare"]},
                  {"kind": "TUTORING", "subjects": ["algebra"]}],
        "priority": 2, "consentOnFile": true
      }],
      "openings": [
        {"id": "o-m", "partnerId": "p-1", "kind": "MENTORING", "subjects": ["healthcare"],
         "languages": ["en"], "virtual": false, "place": {"lat": 41.902, "lon": -87.651},
         "schedule": [{"day": "TUE", "start": "16:00", "end": "18:00"}],
         "sessionMinutes": 60, "sessionsPerWeek": 1, "capacity": 3, "minGrade": 9, "maxGrade": 12,
         "backgroundCheck": {"clearedOn": "2026-01-10", "expiresOn": "2027-01-10"}},
        {"id": "o-t", "partnerId": "p-1", "kind": "TUTORING", "subjects": ["algebra"],
         "languages": ["en"], "virtual": false, "place": {"lat": 41.902, "lon": -87.651},
         "schedule": [{"day": "TUE", "start": "16:00", "end": "18:00"}],
         "sessionMinutes": 60, "sessionsPerWeek": 1, "capacity": 3, "minGrade": 9, "maxGrade": 12,
         "backgroundCheck": {"clearedOn": "2026-01-10", "expiresOn": "2027-01-10"}}
      ],
      "partners": [{"id": "p-1", "agreements": [
        {"startsOn": "2026-08-01", "endsOn": "2027-07-31", "dataSharing": true}]}]
    }"#;

    #[test]
    fn a_kind_found_ahead_sees_the_time_the_kind_before_it_took() {
        let raw = crate::validate::parse_json(ONE_HOUR_TWO_KINDS.as_bytes()).unwrap();
        let instance = crate::parse_instance(&raw).unwrap();
        // Alone, the tutoring need has its candidate: the hour is free.
        let standing = Standing::of(&instance);
        let index = KindIndex::build(&instance, &standing, Kind::Tutoring);
        let need = NeedRef { student: 0, need: &instance.students[0].needs[1] };
        assert!(matches!(index.find(need, &instance.students[0].availability), Found::Candidates(_)));

        // In a run, mentoring (first) takes the hour, so tutoring has no candidate
        // left, for want of time: its candidates were found while mentoring was
        // solved, and found again once mentoring placed its session.
        let outcome = run(&instance, Options::default(), &mut Silent).unwrap();
        assert_eq!(outcome.assignments.len(), 1);
        assert_eq!(outcome.assignments[0].kind, Kind::Mentoring);
        let [missed] = outcome.unmatched.as_slice() else { panic!("{:?}", outcome.unmatched) };
        assert_eq!(missed.kind, Kind::Tutoring);
        let Reason::NoCandidate(ruled_out) = missed.reason else { panic!("{:?}", missed.reason) };
        assert_eq!(ruled_out[Constraint::Schedule.index()], 1);
    }

    /// Checks `outcome` kind by kind against a whole solve of the graph that kind
    /// saw: every candidate found on the free time the earlier kinds left (as
    /// the outcome placed them), held in full and solved without pricing.
    fn assert_each_kind_optimal(instance: &Instance, outcome: &Outcome) {
        let standing = Standing::of(instance);
        let mut free = initial_free_time(instance);
        let mut pairs = 0;
        let filled = filled_needs(instance);
        for kind in Kind::MATCH_ORDER {
            let needs = needs_of(instance, &filled, kind);
            let found = KindIndex::build(instance, &standing, kind).find_all(&needs, &free);
            let mut problem = Problem::new(standing.free_slots.clone());
            for (need, found) in needs.iter().zip(&found) {
                let missed = outcome
                    .unmatched
                    .iter()
                    .find(|missed| missed.student == need.student && missed.kind == kind);
                match found {
                    Found::Candidates(candidates) => {
                        pairs += candidates.len();
                        problem
                            .add_row(candidates.iter().map(|candidate| (candidate.opening, candidate.score)));
                        assert!(missed.is_none_or(|missed| missed.reason == Reason::Outscored), "{missed:?}");
                    }
                    Found::Nothing(ruled_out) => {
                        assert_eq!(
                            missed.map(|missed| &missed.reason),
                            Some(&Reason::NoCandidate(*ruled_out))
                        );
                    }
                    Found::Best(_) => panic!("find_all keeps every candidate"),
                }
            }
            let whole = solve(&problem).unwrap();
            let made: Vec<&Assignment> =
                outcome.assignments.iter().filter(|made| made.kind == kind).collect();
            let total: i64 = made.iter().map(|made| i64::from(made.breakdown.score())).sum();
            assert_eq!((made.len(), total), (whole.matched, whole.total_weight), "{kind:?}");
            for made in made {
                for session in &made.sessions {
                    free[made.student] = free[made.student].without(session);
                }
            }
        }
        assert_eq!(outcome.counts.candidates, pairs);
    }

    #[test]
    fn needs_that_keep_only_their_best_still_reach_each_kinds_optimum() {
        use crate::generate::{Shape, Spec, generate};
        // Tiny limits, so that on a small city almost every need keeps only its
        // best, pricing reads candidates again, and both kinds of kind occur.
        let tunings = [
            Tuning { dense_edges_per_row: 0, keep: 1, bring_in: 1, held_per_need: 2, held_pairs: 0 },
            Tuning { dense_edges_per_row: 0, keep: 3, bring_in: 2, held_per_need: 6, held_pairs: 0 },
            Tuning { dense_edges_per_row: 20, keep: 2, bring_in: 1, held_per_need: 4, held_pairs: 0 },
            Tuning::RUN,
        ];
        for (seed, shape) in [(11, Shape::Dense), (12, Shape::DenseClustered), (13, Shape::Uniform)] {
            let raw = generate(Spec { students: 500, seed, shape });
            let instance = crate::parse_instance(&raw).unwrap();
            for tuning in tunings {
                let outcome = run_tuned(&instance, Options::default(), tuning, &mut Silent).unwrap();
                assert_each_kind_optimal(&instance, &outcome);
            }
        }
    }

    /// Records what an observer hears.
    #[derive(Default)]
    struct Heard(Vec<(&'static str, Phase, Kind, Option<usize>)>);

    impl Observer for Heard {
        fn started(&mut self, phase: Phase, kind: Kind, needs: usize) {
            self.0.push(("started", phase, kind, Some(needs)));
        }
        fn finished(&mut self, phase: Phase, kind: Kind) {
            self.0.push(("finished", phase, kind, None));
        }
    }

    #[test]
    fn each_phase_is_heard_to_start_and_finish_in_turn_even_when_found_ahead() {
        let raw = crate::validate::parse_json(ONE_HOUR_TWO_KINDS.as_bytes()).unwrap();
        let instance = crate::parse_instance(&raw).unwrap();
        let mut heard = Heard::default();
        run(&instance, Options::default(), &mut heard).unwrap();
        // Heard from the solving thread or not, every phase starts, then finishes,
        // kind after kind, with the needs it has.
        let mut expected = Vec::new();
        for kind in Kind::MATCH_ORDER {
            let needs = usize::from(kind != Kind::Internship);
            for phase in [Phase::Candidates, Phase::Solve] {
                expected.push(("started", phase, kind, Some(needs)));
                expected.push(("finished", phase, kind, None));
            }
        }
        assert_eq!(heard.0, expected);
    }
}
