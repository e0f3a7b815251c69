//! The result document of docs/matching.md, built from an [`Outcome`].

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq};

use crate::calendar::Window;
use crate::candidates::RuledOut;
use crate::engine::{CandidatePair, Outcome, Reason};
use crate::feasibility::Constraint;
use crate::model::Instance;
use crate::score::{Breakdown, Criterion};

/// Wall-clock seconds per phase, measured by the caller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Seconds {
    /// Reading and validating the input.
    pub read: f64,
    /// Finding and scoring candidates.
    pub candidates: f64,
    /// Solving and placing sessions.
    pub solve: f64,
    /// All of it.
    pub total: f64,
}

/// The result document.
#[derive(Clone, Debug, Serialize)]
pub struct ResultDocument<'a> {
    /// Matches made.
    pub assignments: Vec<AssignmentDocument<'a>>,
    /// Needs left unmatched.
    pub unmatched: Vec<UnmatchedDocument<'a>>,
    /// Every candidate pair, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidates: Option<CandidatesDocument<'a>>,
    /// Totals and timings.
    pub stats: StatsDocument,
}

/// One match.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentDocument<'a> {
    /// The student's id.
    pub student_id: &'a str,
    /// The opening's id.
    pub opening_id: &'a str,
    /// The kind.
    pub kind: &'static str,
    /// The score: the sum of the breakdown.
    pub score: u32,
    /// Points per criterion.
    pub breakdown: BreakdownDocument,
    /// Weekly sessions.
    pub sessions: Vec<WindowDocument>,
}

/// Points per criterion, in a fixed order.
#[derive(Clone, Copy, Debug)]
pub struct BreakdownDocument(pub Breakdown);

impl Serialize for BreakdownDocument {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(Criterion::ALL.len()))?;
        for (criterion, points) in self.0.iter() {
            map.serialize_entry(criterion.as_str(), &points)?;
        }
        map.end()
    }
}

/// A weekly window.
#[derive(Clone, Debug, Serialize)]
pub struct WindowDocument {
    /// `MON` … `SUN`.
    pub day: &'static str,
    /// `HH:MM`.
    pub start: String,
    /// `HH:MM`.
    pub end: String,
}

impl From<&Window> for WindowDocument {
    fn from(window: &Window) -> WindowDocument {
        WindowDocument {
            day: window.day().as_str(),
            start: window.start().to_string(),
            end: window.end().to_string(),
        }
    }
}

/// An unmatched need.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnmatchedDocument<'a> {
    /// The student's id.
    pub student_id: &'a str,
    /// The need's kind.
    pub kind: &'static str,
    /// `NO_CANDIDATE` or `OUTSCORED`.
    pub reason: &'static str,
    /// For `NO_CANDIDATE`: openings of the kind failing each constraint (non-zero only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruled_out_by: Option<RuledOutDocument>,
}

/// `ruledOutBy`, keys in the contract's order, zero counts left out.
#[derive(Clone, Copy, Debug)]
pub struct RuledOutDocument(pub RuledOut);

impl Serialize for RuledOutDocument {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for constraint in Constraint::ALL {
            let count = self.0[constraint.index()];
            if count > 0 {
                map.serialize_entry(constraint.as_str(), &count)?;
            }
        }
        map.end()
    }
}

/// A candidate pair.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateDocument<'a> {
    /// The student's id.
    pub student_id: &'a str,
    /// The opening's id.
    pub opening_id: &'a str,
    /// The kind.
    pub kind: &'static str,
    /// The pair's score.
    pub score: u32,
}

/// Every candidate pair, written as it is serialized: at a million students there
/// are tens of millions, too many to hold twice.
#[derive(Clone, Copy, Debug)]
pub struct CandidatesDocument<'a> {
    instance: &'a Instance,
    pairs: &'a [CandidatePair],
}

impl Serialize for CandidatesDocument<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut sequence = serializer.serialize_seq(Some(self.pairs.len()))?;
        for pair in self.pairs {
            sequence.serialize_element(&CandidateDocument {
                student_id: self.instance.students[pair.student as usize].id.as_str(),
                opening_id: self.instance.openings[pair.opening as usize].id.as_str(),
                kind: pair.kind.as_str(),
                score: pair.score,
            })?;
        }
        sequence.end()
    }
}

/// Totals and timings.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsDocument {
    /// Students in the instance.
    pub students: usize,
    /// Openings in the instance.
    pub openings: usize,
    /// Needs the run tried to match.
    pub needs: usize,
    /// Needs matched.
    pub matched: usize,
    /// Candidate pairs.
    pub candidates: usize,
    /// Sum of the assignments' scores.
    pub total_score: i64,
    /// Timings.
    pub seconds: Seconds,
}

/// Builds the result document; candidates are included when the outcome kept them
/// and `with_candidates` asks for them.
pub fn result_document<'a>(
    instance: &'a Instance,
    outcome: &'a Outcome,
    with_candidates: bool,
    seconds: Seconds,
) -> ResultDocument<'a> {
    let student_id = |index: usize| instance.students[index].id.as_str();
    let opening_id = |index: usize| instance.openings[index].id.as_str();
    let assignments = outcome
        .assignments
        .iter()
        .map(|assignment| AssignmentDocument {
            student_id: student_id(assignment.student),
            opening_id: opening_id(assignment.opening),
            kind: assignment.kind.as_str(),
            score: assignment.breakdown.score(),
            breakdown: BreakdownDocument(assignment.breakdown),
            sessions: assignment.sessions.iter().map(WindowDocument::from).collect(),
        })
        .collect();
    let unmatched = outcome
        .unmatched
        .iter()
        .map(|unmatched| {
            let (reason, ruled_out_by) = match &unmatched.reason {
                Reason::NoCandidate(counts) => ("NO_CANDIDATE", Some(RuledOutDocument(*counts))),
                Reason::Outscored => ("OUTSCORED", None),
            };
            UnmatchedDocument {
                student_id: student_id(unmatched.student),
                kind: unmatched.kind.as_str(),
                reason,
                ruled_out_by,
            }
        })
        .collect();
    let candidates = with_candidates.then_some(CandidatesDocument { instance, pairs: &outcome.candidates });
    let counts = outcome.counts;
    ResultDocument {
        assignments,
        unmatched,
        candidates,
        stats: StatsDocument {
            students: instance.students.len(),
            openings: instance.openings.len(),
            needs: counts.needs,
            matched: counts.matched,
            candidates: counts.candidates,
            total_score: counts.total_score,
            seconds,
        },
    }
}
