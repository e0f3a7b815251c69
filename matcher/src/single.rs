//! One need at a time: what a run would decide for each opening of one student's
//! need, for a service that suggests openings, checks a counselor's pick or explains
//! a miss without running the district. Every answer comes from the engine's own
//! pieces (`assess`, the candidate index, `rate_pair`, session placement), so it is
//! exactly what a run of the same instance would give the pair.

use crate::calendar::{WeekWindows, Window};
use crate::candidates::{Candidate, Found, KindIndex, NeedRef, rate_pair};
use crate::feasibility::{Constraint, Pair, Standing, assess};
use crate::model::{Instance, Kind, Need};
use crate::score::Breakdown;

/// One student's need of one kind in an instance, with the student's free time
/// (availability less the sessions of their existing matches). Building it costs
/// one pass over the instance's existing matches and openings.
pub struct NeedView<'a> {
    instance: &'a Instance,
    standing: Standing,
    student: usize,
    need: &'a Need,
    free: WeekWindows,
    filled: bool,
}

/// A feasible pair as a run would make it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judged {
    /// Points per criterion; they add up to the score.
    pub breakdown: Breakdown,
    /// The weekly sessions the pair gets: the earliest fit on the first days that hold one.
    pub sessions: Vec<Window>,
}

/// How the openings of a need's kind fare against it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    /// Openings of the kind that pass every constraint.
    pub feasible: u32,
    /// Openings of the kind failing each constraint (one failing several counts
    /// under each), in the contract's order, zero counts left out.
    pub ruled_out_by: Vec<(Constraint, u32)>,
}

impl<'a> NeedView<'a> {
    /// The need of `kind` of the student at `student`; `None` when they have none.
    pub fn of(instance: &'a Instance, student: usize, kind: Kind) -> Option<NeedView<'a>> {
        let record = instance.students.get(student)?;
        let need = record.needs.iter().find(|need| need.kind == kind)?;
        let held = instance.existing_matches.iter().filter(|held| held.student == student);
        let free = held
            .clone()
            .flat_map(|held| &held.sessions)
            .fold(record.availability.clone(), |free, session| free.without(session));
        // docs/matching.md: a need an open match of its kind fills is not matched again.
        let filled = held.clone().any(|held| instance.openings[held.opening].kind == kind);
        Some(NeedView { instance, standing: Standing::of(instance), student, need, free, filled })
    }

    /// Whether an existing match of the need's kind already fills it.
    pub fn is_filled(&self) -> bool {
        self.filled
    }

    fn need_ref(&self) -> NeedRef<'a> {
        NeedRef { student: self.student, need: self.need }
    }

    /// The best `limit` feasible openings by score (highest first), then opening id;
    /// empty when the need is filled.
    pub fn ranked(&self, limit: usize) -> Vec<Candidate> {
        if self.filled {
            return Vec::new();
        }
        let index = KindIndex::build(self.instance, &self.standing, self.need.kind);
        let Found::Candidates(mut candidates) = index.find(self.need_ref(), &self.free) else {
            return Vec::new();
        };
        let id_of = |opening: u32| self.instance.openings[opening as usize].id.as_str();
        candidates.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| id_of(a.opening).cmp(id_of(b.opening))));
        candidates.truncate(limit);
        candidates
    }

    /// The pair with the opening at `opening` as a run would make it, or every
    /// constraint it fails, in the contract's order.
    pub fn judge(&self, opening: usize) -> Result<Judged, Vec<Constraint>> {
        let (violations, facts) = assess(self.instance, &self.standing, self.pair(opening));
        let failed = || Constraint::ALL.into_iter().filter(|c| violations.contains(*c)).collect::<Vec<_>>();
        let facts = facts.ok_or_else(failed)?;
        let breakdown = rate_pair(self.instance, &self.standing, self.need_ref(), opening, facts);
        let record = &self.instance.openings[opening];
        // A feasible pair always has sessions; SCHEDULE names the impossible case.
        let sessions = self
            .free
            .place_sessions(&record.schedule, record.session_minutes, record.sessions_per_week)
            .ok_or_else(|| vec![Constraint::Schedule])?;
        Ok(Judged { breakdown, sessions })
    }

    /// How every opening of the need's kind fares: exact, one `assess` per opening.
    pub fn tally(&self) -> Tally {
        let mut counts = [0u32; Constraint::ALL.len()];
        let mut feasible = 0;
        for (at, opening) in self.instance.openings.iter().enumerate() {
            if opening.kind != self.need.kind {
                continue;
            }
            let (violations, _) = assess(self.instance, &self.standing, self.pair(at));
            feasible += u32::from(violations.is_empty());
            for constraint in Constraint::ALL {
                counts[constraint.index()] += u32::from(violations.contains(constraint));
            }
        }
        let ruled_out_by = Constraint::ALL
            .into_iter()
            .map(|constraint| (constraint, counts[constraint.index()]))
            .filter(|(_, count)| *count > 0)
            .collect();
        Tally { feasible, ruled_out_by }
    }

    fn pair(&self, opening: usize) -> Pair<'_> {
        Pair { student: self.student, need: self.need, free: &self.free, opening }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Options, Silent, run};
    use crate::generate::{Shape, Spec, generate};

    /// Each need's view agrees with a run of the instance: the run's pick is among
    /// the view's feasible openings with the same score and sessions, and a need the
    /// run leaves without candidates has no feasible opening in the view.
    #[test]
    fn a_view_agrees_with_a_run() {
        let raw = generate(Spec { students: 400, seed: 3, shape: Shape::Dense });
        let instance = crate::validate::parse_instance(&raw).unwrap();
        let outcome = run(&instance, Options { keep_candidates: true }, &mut Silent).unwrap();
        let mut checked = 0;
        for assignment in &outcome.assignments {
            let kind = assignment.kind;
            // Later kinds see the time earlier kinds took; the first kind sees the instance as it is.
            if kind != Kind::MATCH_ORDER[0] {
                continue;
            }
            let view = NeedView::of(&instance, assignment.student, kind).unwrap();
            let judged = view.judge(assignment.opening).unwrap();
            assert_eq!(judged.breakdown, assignment.breakdown);
            assert_eq!(judged.sessions, assignment.sessions);
            let ranked = view.ranked(usize::MAX);
            assert!(
                ranked
                    .iter()
                    .any(|c| c.opening as usize == assignment.opening
                        && c.score == assignment.breakdown.score())
            );
            assert_eq!(view.tally().feasible as usize, ranked.len());
            checked += 1;
        }
        assert!(checked > 10, "{checked} pairs checked");
    }
}
