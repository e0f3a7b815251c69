//! The domain of matching after validation: every value here is well-formed, so
//! nothing past `validate` checks again.

use std::collections::HashSet;
use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::calendar::{WeekWindows, Window};
use crate::score::Weights;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id read from input.
            pub fn new(value: impl Into<String>) -> $name {
                $name(value.into())
            }

            /// The id as given.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A student's id, as the district gives it.
    StudentId
);
id_type!(
    /// An opening's id.
    OpeningId
);
id_type!(
    /// A partner's id.
    PartnerId
);

/// What an opening offers and a need asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Academic help in named subjects.
    Tutoring,
    /// A mentor in a field.
    Mentoring,
    /// Work experience with a partner.
    Internship,
}

impl Kind {
    /// The order kinds are matched in: longest commitment first.
    pub const MATCH_ORDER: [Kind; 3] = [Kind::Internship, Kind::Mentoring, Kind::Tutoring];

    /// Parses the contract's name.
    pub fn parse(text: &str) -> Option<Kind> {
        Kind::MATCH_ORDER.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Tutoring => "TUTORING",
            Kind::Mentoring => "MENTORING",
            Kind::Internship => "INTERNSHIP",
        }
    }

    /// Position in [`Kind::MATCH_ORDER`].
    pub fn match_rank(self) -> usize {
        match self {
            Kind::Internship => 0,
            Kind::Mentoring => 1,
            Kind::Tutoring => 2,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a student can get to an in-person opening.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TravelMode {
    /// 4.5 km/h.
    Walk,
    /// 14 km/h.
    Bike,
    /// 18 km/h plus 10 minutes of waiting.
    Transit,
    /// 35 km/h.
    Car,
}

impl TravelMode {
    /// Every mode.
    pub const ALL: [TravelMode; 4] =
        [TravelMode::Walk, TravelMode::Bike, TravelMode::Transit, TravelMode::Car];

    /// Parses the contract's name.
    pub fn parse(text: &str) -> Option<TravelMode> {
        TravelMode::ALL.into_iter().find(|mode| mode.as_str() == text)
    }

    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            TravelMode::Walk => "WALK",
            TravelMode::Bike => "BIKE",
            TravelMode::Transit => "TRANSIT",
            TravelMode::Car => "CAR",
        }
    }
}

/// A point on Earth, degrees; latitude in [-90, 90], longitude in [-180, 180].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Place {
    lat: f64,
    lon: f64,
}

impl Place {
    /// `None` outside the valid ranges (or for NaN).
    pub fn new(lat: f64, lon: f64) -> Option<Place> {
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some(Place { lat, lon })
    }

    /// Latitude in degrees.
    pub fn lat(&self) -> f64 {
        self.lat
    }

    /// Longitude in degrees.
    pub fn lon(&self) -> f64 {
        self.lon
    }
}

/// A school grade, 0 (kindergarten) to 12.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grade(u8);

impl Grade {
    /// Kindergarten.
    pub const MIN: Grade = Grade(0);
    /// Twelfth grade.
    pub const MAX: Grade = Grade(12);

    /// `None` above 12 or below 0.
    pub fn new(value: i64) -> Option<Grade> {
        u8::try_from(value).ok().filter(|value| *value <= 12).map(Grade)
    }

    /// The grade number.
    pub fn get(self) -> u8 {
        self.0
    }
}

/// A small integer standing for a language code or a subject, so set tests are
/// integer comparisons.
pub type Term = u32;

/// One thing a student asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    pub(crate) kind: Kind,
    /// Sorted, deduplicated.
    pub(crate) subjects: Vec<Term>,
    /// Days waited unmatched so far (`waitingDays`), rated by the `waiting` criterion.
    pub(crate) waiting_days: u32,
}

impl Need {
    /// The kind asked for.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Days the need has waited unmatched.
    pub fn waiting_days(&self) -> u32 {
        self.waiting_days
    }
}

/// A student as the matcher sees them.
#[derive(Clone, Debug)]
pub struct Student {
    pub(crate) id: StudentId,
    pub(crate) grade: Grade,
    pub(crate) birth_date: Option<NaiveDate>,
    /// Preferred first, as given.
    pub(crate) languages: Vec<Term>,
    /// Sorted, deduplicated copy of `languages` for set tests.
    pub(crate) language_set: Vec<Term>,
    pub(crate) home: Place,
    pub(crate) travel_modes: Vec<TravelMode>,
    pub(crate) max_travel_minutes: f64,
    pub(crate) remote_ok: bool,
    pub(crate) availability: WeekWindows,
    /// At most one per kind.
    pub(crate) needs: Vec<Need>,
    pub(crate) priority: u8,
    pub(crate) consent_on_file: bool,
}

impl Student {
    /// The student's id.
    pub fn id(&self) -> &StudentId {
        &self.id
    }

    /// The student's needs, one per kind at most.
    pub fn needs(&self) -> &[Need] {
        &self.needs
    }

    /// Weekly availability, merged.
    pub fn availability(&self) -> &WeekWindows {
        &self.availability
    }

    /// Age in whole years on `date`: the years since birth, less one if this year's
    /// birthday (month, day) is still ahead. A 29 February birthday thus comes on
    /// 1 March in common years.
    pub fn age_on(&self, date: NaiveDate) -> Option<i32> {
        self.birth_date.map(|birth| age_in_years(birth, date))
    }
}

/// Age in whole years on `date` of someone born on `birth`: the years since birth,
/// less one if this year's birthday (month, day) is still ahead. A 29 February
/// birthday thus comes on 1 March in common years.
pub fn age_in_years(birth: NaiveDate, date: NaiveDate) -> i32 {
    let before_birthday = (date.month(), date.day()) < (birth.month(), birth.day());
    date.year() - birth.year() - i32::from(before_birthday)
}

/// Where an opening happens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Location {
    /// Online: feasible for students who accept remote sessions.
    Virtual,
    /// At a place students travel to.
    InPerson(Place),
}

/// A background check of an opening's host; a bound left out is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackgroundCheck {
    pub(crate) cleared_on: Option<NaiveDate>,
    pub(crate) expires_on: Option<NaiveDate>,
}

impl BackgroundCheck {
    /// A check cleared on `cleared_on` and expiring on `expires_on` (open when absent).
    pub fn new(cleared_on: Option<NaiveDate>, expires_on: Option<NaiveDate>) -> BackgroundCheck {
        BackgroundCheck { cleared_on, expires_on }
    }

    /// The day it cleared; absent: it has cleared no one.
    pub fn cleared_on(&self) -> Option<NaiveDate> {
        self.cleared_on
    }

    /// The last day it is valid; open when absent.
    pub fn expires_on(&self) -> Option<NaiveDate> {
        self.expires_on
    }

    /// Valid on `date`: cleared on or before it, expiring on or after it. A check
    /// with no clearance date has not cleared anyone.
    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        self.cleared_on.is_some_and(|cleared| cleared <= date)
            && self.expires_on.is_none_or(|expires| date <= expires)
    }
}

/// An opening as the matcher sees it.
#[derive(Clone, Debug)]
pub struct Opening {
    pub(crate) id: OpeningId,
    pub(crate) partner: usize,
    pub(crate) kind: Kind,
    /// Sorted, deduplicated.
    pub(crate) subjects: Vec<Term>,
    /// Sorted, deduplicated.
    pub(crate) languages: Vec<Term>,
    pub(crate) location: Location,
    pub(crate) pickup_radius_km: Option<f64>,
    pub(crate) schedule: WeekWindows,
    pub(crate) session_minutes: u16,
    pub(crate) sessions_per_week: u8,
    pub(crate) capacity: u32,
    /// Slots held by matches outside the instance ([`crate::validate::RawInstance::held_elsewhere`]).
    pub(crate) held_elsewhere: u32,
    pub(crate) min_grade: Grade,
    pub(crate) max_grade: Grade,
    pub(crate) min_age: Option<u32>,
    pub(crate) background_check: Option<BackgroundCheck>,
}

impl Opening {
    /// The opening's id.
    pub fn id(&self) -> &OpeningId {
        &self.id
    }

    /// What the opening offers.
    pub fn kind(&self) -> Kind {
        self.kind
    }
}

/// A partner's agreement (MOU); a bound left out is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Agreement {
    pub(crate) starts_on: Option<NaiveDate>,
    pub(crate) ends_on: Option<NaiveDate>,
    pub(crate) data_sharing: bool,
}

impl Agreement {
    /// An agreement in force from `starts_on` to `ends_on` (open when absent).
    pub fn new(starts_on: Option<NaiveDate>, ends_on: Option<NaiveDate>, data_sharing: bool) -> Agreement {
        Agreement { starts_on, ends_on, data_sharing }
    }

    /// The first day in force; open when absent.
    pub fn starts_on(&self) -> Option<NaiveDate> {
        self.starts_on
    }

    /// The last day in force; open when absent.
    pub fn ends_on(&self) -> Option<NaiveDate> {
        self.ends_on
    }

    /// Whether student data may be shared with the partner.
    pub fn data_sharing(&self) -> bool {
        self.data_sharing
    }

    /// In force on `date` (both ends inclusive) and allowing student data to be shared.
    pub fn allows_matching_on(&self, date: NaiveDate) -> bool {
        self.data_sharing
            && self.starts_on.is_none_or(|starts| starts <= date)
            && self.ends_on.is_none_or(|ends| date <= ends)
    }
}

/// A partner and its agreements.
#[derive(Clone, Debug)]
pub struct Partner {
    pub(crate) id: PartnerId,
    pub(crate) agreements: Vec<Agreement>,
}

impl Partner {
    /// The partner's id.
    pub fn id(&self) -> &PartnerId {
        &self.id
    }
}

/// A match made before this run: it holds a slot and some of the student's time.
#[derive(Clone, Debug)]
pub struct ExistingMatch {
    pub(crate) student: usize,
    pub(crate) opening: usize,
    pub(crate) sessions: Vec<Window>,
}

/// A validated instance: the whole input of one matching.
#[derive(Clone, Debug)]
pub struct Instance {
    pub(crate) as_of: NaiveDate,
    pub(crate) students: Vec<Student>,
    pub(crate) openings: Vec<Opening>,
    pub(crate) partners: Vec<Partner>,
    pub(crate) existing_matches: Vec<ExistingMatch>,
    /// (student index, opening index).
    pub(crate) declined: HashSet<(u32, u32)>,
    pub(crate) weights: Weights,
}

impl Instance {
    /// The date every date rule is judged on.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// Students in input order.
    pub fn students(&self) -> &[Student] {
        &self.students
    }

    /// Openings in input order.
    pub fn openings(&self) -> &[Opening] {
        &self.openings
    }

    /// Partners in input order.
    pub fn partners(&self) -> &[Partner] {
        &self.partners
    }

    /// The scoring weights in force.
    pub fn weights(&self) -> &Weights {
        &self.weights
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn born(text: &str) -> Student {
        Student {
            id: StudentId::new("s"),
            grade: Grade::new(9).unwrap(),
            birth_date: Some(date(text)),
            languages: vec![],
            language_set: vec![],
            home: Place::new(0.0, 0.0).unwrap(),
            travel_modes: vec![],
            max_travel_minutes: 0.0,
            remote_ok: true,
            availability: WeekWindows::default(),
            needs: vec![],
            priority: 0,
            consent_on_file: true,
        }
    }

    #[test]
    fn age_turns_on_the_birthday() {
        let student = born("2012-09-14");
        assert_eq!(student.age_on(date("2026-09-13")), Some(13));
        assert_eq!(student.age_on(date("2026-09-14")), Some(14));
        let leap = born("2012-02-29");
        assert_eq!(leap.age_on(date("2026-02-28")), Some(13));
        assert_eq!(leap.age_on(date("2026-03-01")), Some(14));
        assert_eq!(leap.age_on(date("2028-02-29")), Some(16));
    }

    #[test]
    fn agreement_dates_are_inclusive() {
        let agreement = Agreement {
            starts_on: Some(date("2026-08-01")),
            ends_on: Some(date("2026-09-13")),
            data_sharing: true,
        };
        assert!(!agreement.allows_matching_on(date("2026-07-31")));
        assert!(agreement.allows_matching_on(date("2026-08-01")));
        assert!(agreement.allows_matching_on(date("2026-09-13")));
        assert!(!agreement.allows_matching_on(date("2026-09-14")));
        let no_sharing = Agreement { data_sharing: false, ..agreement };
        assert!(!no_sharing.allows_matching_on(date("2026-08-02")));
    }

    #[test]
    fn background_check_dates_are_inclusive() {
        let check =
            BackgroundCheck { cleared_on: Some(date("2026-01-10")), expires_on: Some(date("2026-09-14")) };
        assert!(!check.is_valid_on(date("2026-01-09")));
        assert!(check.is_valid_on(date("2026-01-10")));
        assert!(check.is_valid_on(date("2026-09-14")));
        assert!(!check.is_valid_on(date("2026-09-15")));
        assert!(!BackgroundCheck { cleared_on: None, expires_on: None }.is_valid_on(date("2026-09-15")));
    }

    #[test]
    fn grade_bounds() {
        assert_eq!(Grade::new(0), Some(Grade::MIN));
        assert_eq!(Grade::new(12), Some(Grade::MAX));
        assert_eq!(Grade::new(13), None);
        assert_eq!(Grade::new(-1), None);
    }
}
