//! The schema's enums, each the domain's own enum seen from GraphQL: async-graphql's
//! `remote` derives the conversions both ways, so a variant added to the domain is a
//! compile error here until the schema says what it is called.

use async_graphql::Enum;
use matcher::calendar::Weekday as DomainWeekday;
use matcher::feasibility::Constraint as DomainConstraint;
use matcher::score::Criterion as DomainCriterion;
use store::records::{
    Kind, MatchStatus, OpeningStatus, PartnerKind, PartnerStatus, Role, RunPhase, RunStatus, Visibility,
};

/// What an opening offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "Kind")]
pub enum OpeningKind {
    /// Help with school subjects.
    Tutoring,
    /// An adult's guidance towards a field or a future.
    Mentoring,
    /// Work experience with a partner.
    Internship,
}

impl OpeningKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        Kind::from(self).as_str()
    }
}

/// What kind of organisation or person a partner is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "PartnerKind", remote = "PartnerKind")]
pub enum PartnerKindValue {
    #[allow(missing_docs)]
    Business,
    #[allow(missing_docs)]
    Nonprofit,
    #[allow(missing_docs)]
    University,
    #[allow(missing_docs)]
    Government,
    #[allow(missing_docs)]
    FaithBased,
    #[allow(missing_docs)]
    Family,
    #[allow(missing_docs)]
    CommunityMember,
}

/// Whether a partner takes part; an inactive partner's openings are not matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "PartnerStatus", remote = "PartnerStatus")]
pub enum PartnerStatusValue {
    #[allow(missing_docs)]
    Active,
    #[allow(missing_docs)]
    Inactive,
}

/// Where a match is in its lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "MatchStatus", remote = "MatchStatus")]
pub enum MatchStatusValue {
    /// Proposed by a counselor or a run; waiting for the student and partner.
    Proposed,
    /// Accepted; sessions have not begun.
    Accepted,
    /// Sessions are under way.
    Active,
    /// Finished as planned.
    Completed,
    /// Declined by the student, the family or the partner; never proposed again.
    Declined,
    /// Stopped after it was accepted or began.
    Cancelled,
}

/// A student's or partner's answer to a proposed match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum MatchDecision {
    #[allow(missing_docs)]
    Accept,
    #[allow(missing_docs)]
    Decline,
}

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "MatchRunStatus", remote = "RunStatus")]
pub enum RunStatusValue {
    /// Accepted, not started.
    Queued,
    /// Loading, matching or committing.
    Running,
    /// Finished: a dry run's assignment is on the run; a commit's matches exist.
    Succeeded,
    /// Stopped by an error or a lost node; nothing of it was written.
    Failed,
    /// Cancelled before it finished; nothing of it was written.
    Cancelled,
}

/// What a running match run is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "MatchRunPhase", remote = "RunPhase")]
pub enum RunPhaseValue {
    /// Not started yet.
    Queued,
    /// Reading the scope from the database.
    Loading,
    /// Finding the feasible pairs of a kind.
    Candidates,
    /// Solving a kind's assignment.
    Solving,
    /// Writing the matches.
    Committing,
    /// Finished.
    Done,
}

/// Who a token speaks for, as docs/api.md names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "Role", remote = "Role")]
pub enum RoleValue {
    #[allow(missing_docs)]
    Admin,
    #[allow(missing_docs)]
    Counselor,
    #[allow(missing_docs)]
    Partner,
    #[allow(missing_docs)]
    Student,
}

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "DomainWeekday")]
pub enum Weekday {
    #[allow(missing_docs)]
    Mon,
    #[allow(missing_docs)]
    Tue,
    #[allow(missing_docs)]
    Wed,
    #[allow(missing_docs)]
    Thu,
    #[allow(missing_docs)]
    Fri,
    #[allow(missing_docs)]
    Sat,
    #[allow(missing_docs)]
    Sun,
}

/// A hard constraint of the matching contract, as `ruledOutBy` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "DomainConstraint")]
pub enum Constraint {
    /// Tutoring that shares no subject with the need.
    Subjects,
    /// A grade outside the opening's range.
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

/// A criterion of a pair's score, as `weights` names it (in lower case there).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "DomainCriterion")]
pub enum ScoreCriterion {
    /// Share of the need's subjects (interests, fields) that the opening covers.
    Field,
    /// How much of the student's travel limit is left.
    Travel,
    /// Spare days: how many more days than needed could hold a session.
    Schedule,
    /// The opening speaks the student's preferred (first) language.
    Language,
    /// The student's equity priority.
    Priority,
    /// The student already works with this partner.
    Continuity,
    /// Time the need has waited unmatched (the waitlist).
    Waiting,
}

/// Whether an opening takes new matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "OpeningStatus", remote = "OpeningStatus")]
pub enum OpeningStatusValue {
    /// Takes new matches.
    Open,
    /// Takes none; its open matches go on.
    Closed,
}

/// Who may read a piece of feedback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "Visibility")]
pub enum FeedbackVisibility {
    /// ADMIN and the school's counselor only: a counselor's notes about a family.
    School,
    /// Both sides of the match too.
    Parties,
}

/// Why a need was left unmatched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum UnmatchedReason {
    /// No opening passed every constraint (see `ruledOutBy`).
    NoCandidate,
    /// Some did, but the optimal assignment gave their slots to other needs.
    Outscored,
}

impl UnmatchedReason {
    /// Reads the result document's `reason`.
    pub(crate) fn parse(text: &str) -> Option<UnmatchedReason> {
        match text {
            "NO_CANDIDATE" => Some(UnmatchedReason::NoCandidate),
            "OUTSCORED" => Some(UnmatchedReason::Outscored),
            _ => None,
        }
    }
}
