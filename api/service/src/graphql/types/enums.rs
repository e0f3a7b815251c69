//! The schema's enums, each the domain's own enum seen from GraphQL.

use async_graphql::Enum;
use store::records::{Kind, MatchStatus, PartnerKind, PartnerStatus, Role, RunStatus};

/// What an opening offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum OpeningKind {
    #[allow(missing_docs)]
    Tutoring,
    #[allow(missing_docs)]
    Mentoring,
    #[allow(missing_docs)]
    Internship,
}

impl OpeningKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OpeningKind::Tutoring => "TUTORING",
            OpeningKind::Mentoring => "MENTORING",
            OpeningKind::Internship => "INTERNSHIP",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<OpeningKind> {
        [OpeningKind::Tutoring, OpeningKind::Mentoring, OpeningKind::Internship]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

impl From<OpeningKind> for Kind {
    fn from(kind: OpeningKind) -> Kind {
        match kind {
            OpeningKind::Tutoring => Kind::Tutoring,
            OpeningKind::Mentoring => Kind::Mentoring,
            OpeningKind::Internship => Kind::Internship,
        }
    }
}

impl From<Kind> for OpeningKind {
    fn from(kind: Kind) -> OpeningKind {
        match kind {
            Kind::Tutoring => OpeningKind::Tutoring,
            Kind::Mentoring => OpeningKind::Mentoring,
            Kind::Internship => OpeningKind::Internship,
        }
    }
}

/// What kind of organisation or person a partner is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "PartnerKind")]
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

impl From<PartnerKind> for PartnerKindValue {
    fn from(kind: PartnerKind) -> PartnerKindValue {
        match kind {
            PartnerKind::Business => PartnerKindValue::Business,
            PartnerKind::Nonprofit => PartnerKindValue::Nonprofit,
            PartnerKind::University => PartnerKindValue::University,
            PartnerKind::Government => PartnerKindValue::Government,
            PartnerKind::FaithBased => PartnerKindValue::FaithBased,
            PartnerKind::Family => PartnerKindValue::Family,
            PartnerKind::CommunityMember => PartnerKindValue::CommunityMember,
        }
    }
}

impl From<PartnerKindValue> for PartnerKind {
    fn from(kind: PartnerKindValue) -> PartnerKind {
        match kind {
            PartnerKindValue::Business => PartnerKind::Business,
            PartnerKindValue::Nonprofit => PartnerKind::Nonprofit,
            PartnerKindValue::University => PartnerKind::University,
            PartnerKindValue::Government => PartnerKind::Government,
            PartnerKindValue::FaithBased => PartnerKind::FaithBased,
            PartnerKindValue::Family => PartnerKind::Family,
            PartnerKindValue::CommunityMember => PartnerKind::CommunityMember,
        }
    }
}

/// Whether a partner takes part; an inactive partner's openings are not matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "PartnerStatus")]
pub enum PartnerStatusValue {
    #[allow(missing_docs)]
    Active,
    #[allow(missing_docs)]
    Inactive,
}

impl From<PartnerStatus> for PartnerStatusValue {
    fn from(status: PartnerStatus) -> PartnerStatusValue {
        match status {
            PartnerStatus::Active => PartnerStatusValue::Active,
            PartnerStatus::Inactive => PartnerStatusValue::Inactive,
        }
    }
}

impl From<PartnerStatusValue> for PartnerStatus {
    fn from(status: PartnerStatusValue) -> PartnerStatus {
        match status {
            PartnerStatusValue::Active => PartnerStatus::Active,
            PartnerStatusValue::Inactive => PartnerStatus::Inactive,
        }
    }
}

/// Where a match is in its lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "MatchStatus")]
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

impl From<MatchStatus> for MatchStatusValue {
    fn from(status: MatchStatus) -> MatchStatusValue {
        match status {
            MatchStatus::Proposed => MatchStatusValue::Proposed,
            MatchStatus::Accepted => MatchStatusValue::Accepted,
            MatchStatus::Active => MatchStatusValue::Active,
            MatchStatus::Completed => MatchStatusValue::Completed,
            MatchStatus::Declined => MatchStatusValue::Declined,
            MatchStatus::Cancelled => MatchStatusValue::Cancelled,
        }
    }
}

impl From<MatchStatusValue> for MatchStatus {
    fn from(status: MatchStatusValue) -> MatchStatus {
        match status {
            MatchStatusValue::Proposed => MatchStatus::Proposed,
            MatchStatusValue::Accepted => MatchStatus::Accepted,
            MatchStatusValue::Active => MatchStatus::Active,
            MatchStatusValue::Completed => MatchStatus::Completed,
            MatchStatusValue::Declined => MatchStatus::Declined,
            MatchStatusValue::Cancelled => MatchStatus::Cancelled,
        }
    }
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
#[graphql(name = "MatchRunStatus")]
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

impl From<RunStatus> for RunStatusValue {
    fn from(status: RunStatus) -> RunStatusValue {
        match status {
            RunStatus::Queued => RunStatusValue::Queued,
            RunStatus::Running => RunStatusValue::Running,
            RunStatus::Succeeded => RunStatusValue::Succeeded,
            RunStatus::Failed => RunStatusValue::Failed,
            RunStatus::Cancelled => RunStatusValue::Cancelled,
        }
    }
}

impl From<RunStatusValue> for RunStatus {
    fn from(status: RunStatusValue) -> RunStatus {
        match status {
            RunStatusValue::Queued => RunStatus::Queued,
            RunStatusValue::Running => RunStatus::Running,
            RunStatusValue::Succeeded => RunStatus::Succeeded,
            RunStatusValue::Failed => RunStatus::Failed,
            RunStatusValue::Cancelled => RunStatus::Cancelled,
        }
    }
}

/// Who a token speaks for, as API.md names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "Role")]
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

impl From<Role> for RoleValue {
    fn from(role: Role) -> RoleValue {
        match role {
            Role::Admin => RoleValue::Admin,
            Role::Counselor => RoleValue::Counselor,
            Role::Partner => RoleValue::Partner,
            Role::Student => RoleValue::Student,
        }
    }
}
