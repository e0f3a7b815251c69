//! The records the service keeps, as typed values. A record's matching fields are
//! the matcher's own parsed records ([`StudentRecord`], [`OpeningRecord`]), so a
//! record, an import row and an instance file all mean the same thing, are checked
//! by the same rules, and nothing is parsed twice.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
pub use matcher::calendar::{Minutes, Weekday, Window};
pub use matcher::model::Kind;
pub use matcher::model::{BackgroundCheck, Grade, Place, TravelMode};
pub use matcher::record::{NeedRecord, OpeningRecord, StudentRecord};

/// A text enum stored as its upper-case name; one definition per enum of docs/api.md.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $(#[allow(missing_docs)] $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &[$name] = &[$($name::$variant),+];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Reads a stored name.
            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What kind of organisation or person a partner is.
    PartnerKind {
        Business = "BUSINESS",
        Nonprofit = "NONPROFIT",
        University = "UNIVERSITY",
        Government = "GOVERNMENT",
        FaithBased = "FAITH_BASED",
        Family = "FAMILY",
        CommunityMember = "COMMUNITY_MEMBER",
    }
);

text_enum!(
    /// Whether a partner takes part at all; an inactive partner's openings are not matched.
    PartnerStatus { Active = "ACTIVE", Inactive = "INACTIVE" }
);

text_enum!(
    /// Where a match is in its lifecycle (docs/api.md "Matching over the API").
    MatchStatus {
        Proposed = "PROPOSED",
        Accepted = "ACCEPTED",
        Active = "ACTIVE",
        Completed = "COMPLETED",
        Declined = "DECLINED",
        Cancelled = "CANCELLED",
    }
);

text_enum!(
    /// Whether an opening takes new matches; a closed one's open matches go on.
    OpeningStatus { Open = "OPEN", Closed = "CLOSED" }
);

text_enum!(
    /// Who may read a piece of feedback: the school alone (a counselor's notes about
    /// a family), or both sides of the match.
    Visibility { School = "SCHOOL", Parties = "PARTIES" }
);

text_enum!(
    /// Where a match run is.
    RunStatus {
        Queued = "QUEUED",
        Running = "RUNNING",
        Succeeded = "SUCCEEDED",
        Failed = "FAILED",
        Cancelled = "CANCELLED",
    }
);

text_enum!(
    /// What a running match run is doing.
    RunPhase {
        Queued = "QUEUED",
        Loading = "LOADING",
        Candidates = "CANDIDATES",
        Solving = "SOLVING",
        Committing = "COMMITTING",
        Done = "DONE",
    }
);

impl RunStatus {
    /// Whether the run has ended (and will not change again).
    pub fn is_final(self) -> bool {
        matches!(self, RunStatus::Succeeded | RunStatus::Failed | RunStatus::Cancelled)
    }
}

text_enum!(
    /// Who a token speaks for.
    Role { Admin = "ADMIN", Counselor = "COUNSELOR", Partner = "PARTNER", Student = "STUDENT" }
);

impl MatchStatus {
    /// An open match holds its opening's slot and its student's time.
    pub fn is_open(self) -> bool {
        matches!(self, MatchStatus::Proposed | MatchStatus::Accepted | MatchStatus::Active)
    }
}

/// A school district.
#[derive(Clone, Debug, PartialEq)]
pub struct District {
    #[allow(missing_docs)]
    pub id: String,
    #[allow(missing_docs)]
    pub name: String,
}

/// A school of a district.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq)]
pub struct School {
    pub id: String,
    pub district_id: String,
    pub name: String,
}

/// An organisation or person offering openings.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq)]
pub struct Partner {
    pub id: String,
    pub name: String,
    pub kind: PartnerKind,
    pub status: PartnerStatus,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
}

/// An MOU between a partner and the district (`school_id` absent) or one school.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq)]
pub struct Agreement {
    pub id: String,
    pub partner_id: String,
    pub school_id: Option<String>,
    pub starts_on: NaiveDate,
    /// Absent: open-ended.
    pub ends_on: Option<NaiveDate>,
    pub signed_on: Option<NaiveDate>,
    /// Whether student data may be shared with the partner; matching needs it.
    pub data_sharing: bool,
    pub terms: Option<String>,
}

/// An opening: its matching fields are exactly an opening of docs/matching.md.
#[derive(Clone, Debug)]
pub struct Opening {
    /// A short human title ("Algebra help at the library").
    pub title: Option<String>,
    /// Id, partner, kind, subjects, languages, place, schedule, sessions, capacity,
    /// grades, age, background check.
    pub matching: OpeningRecord,
}

/// A student: matching fields as docs/matching.md, plus who they are.
#[allow(missing_docs)]
#[derive(Clone, Debug)]
pub struct Student {
    pub school_id: String,
    pub first_name: String,
    pub last_name: String,
    pub matching: StudentRecord,
    pub guardians: Vec<Guardian>,
    /// Need kind → the day a committed run first left it unmatched (the waitlist).
    /// Kept by the store: writing a student never changes it.
    pub waiting_since: BTreeMap<Kind, NaiveDate>,
}

impl Student {
    /// The matching fields on `as_of`: each waiting need carries its days waited,
    /// the day it was left out counted as the first (so a need left out this
    /// morning already comes first this afternoon).
    pub fn matching_on(&self, as_of: NaiveDate) -> StudentRecord {
        let mut matching = self.matching.clone();
        for need in &mut matching.needs {
            need.waiting_days =
                self.waiting_since.get(&need.kind).map_or(0, |since| waiting_days(*since, as_of));
        }
        matching
    }
}

/// Days on the waitlist on `as_of`, counting the first; 0 before it began.
pub fn waiting_days(since: NaiveDate, as_of: NaiveDate) -> u32 {
    u32::try_from(((as_of - since).num_days() + 1).max(0)).unwrap_or(u32::MAX)
}

/// A guardian or family contact of a student.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guardian {
    pub name: String,
    pub relationship: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The language mail to them is written in: an ISO 639-1 code (`es`).
    pub language: Option<String>,
}

/// A match about to be written: what the engine or a counselor decided.
#[allow(missing_docs)]
#[derive(Clone, Debug)]
pub struct NewMatch {
    pub id: String,
    pub run_id: Option<String>,
    pub student_id: String,
    pub opening_id: String,
    pub kind: Kind,
    pub score: u32,
    /// Criterion name → points.
    pub breakdown: BTreeMap<String, i64>,
    /// Weekly session times.
    pub sessions: Vec<Window>,
    /// The least travel time by the student's modes (0 when virtual).
    pub travel_minutes: Option<f64>,
}

/// A stored match.
#[allow(missing_docs)]
#[derive(Clone, Debug)]
pub struct Match {
    pub id: String,
    pub run_id: Option<String>,
    pub student_id: String,
    pub opening_id: String,
    pub kind: Kind,
    pub status: MatchStatus,
    pub score: u32,
    pub breakdown: BTreeMap<String, i64>,
    pub sessions: Vec<Window>,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decline_reason: Option<String>,
    /// Bumped by every change; a writer names the version it read.
    pub version: i32,
    /// The least travel time by the student's modes when it was made (0 when virtual).
    pub travel_minutes: Option<f64>,
    /// The student (or their family or counselor) has accepted.
    pub student_accepted: bool,
    /// The partner has accepted.
    pub partner_accepted: bool,
}

/// Feedback on a match.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feedback {
    pub match_id: String,
    pub author_role: Role,
    pub author_id: String,
    /// 1–5.
    pub rating: u8,
    pub comment: Option<String>,
    pub sessions_attended: Option<u32>,
    /// Who may read it.
    pub visibility: Visibility,
}
