//! Shapes shared across the schema: places, weekly windows, score breakdowns and
//! ruled-out tallies.

use std::collections::BTreeMap;

use async_graphql::{InputObject, SimpleObject};
use store::records::RawWindow;

/// Coordinates in degrees.
#[derive(Clone, Copy, Debug, SimpleObject)]
pub struct Place {
    #[allow(missing_docs)]
    pub lat: f64,
    #[allow(missing_docs)]
    pub lon: f64,
}

/// A weekly window: `day` is `MON`…`SUN`, `start`/`end` are `HH:MM`.
#[derive(Clone, Debug, SimpleObject)]
pub struct WeeklyWindow {
    #[allow(missing_docs)]
    pub day: String,
    #[allow(missing_docs)]
    pub start: String,
    #[allow(missing_docs)]
    pub end: String,
}

impl From<&RawWindow> for WeeklyWindow {
    fn from(window: &RawWindow) -> WeeklyWindow {
        WeeklyWindow { day: window.day.clone(), start: window.start.clone(), end: window.end.clone() }
    }
}

/// Coordinates in degrees.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct PlaceInput {
    pub(crate) lat: f64,
    pub(crate) lon: f64,
}

/// A weekly window: `day` `MON`…`SUN`, `start`/`end` `HH:MM`.
#[derive(Clone, Debug, InputObject)]
pub struct WeeklyWindowInput {
    pub(crate) day: String,
    pub(crate) start: String,
    pub(crate) end: String,
}

/// A home location.
#[derive(Clone, Copy, Debug, SimpleObject)]
pub struct Home {
    pub(crate) lat: f64,
    pub(crate) lon: f64,
}

/// A weekly window: `day` is `MON` … `SUN`, times are `HH:MM`.
#[derive(Clone, Debug, SimpleObject)]
pub struct AvailabilityWindow {
    pub(crate) day: String,
    pub(crate) start: String,
    pub(crate) end: String,
}

impl From<&RawWindow> for AvailabilityWindow {
    fn from(window: &RawWindow) -> AvailabilityWindow {
        AvailabilityWindow { day: window.day.clone(), start: window.start.clone(), end: window.end.clone() }
    }
}

/// A home location.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct HomeInput {
    pub(crate) lat: f64,
    pub(crate) lon: f64,
}

/// A weekly window: `TUE`, `15:30`, `18:00`.
#[derive(Clone, Debug, InputObject)]
pub struct AvailabilityInput {
    pub(crate) day: String,
    pub(crate) start: String,
    pub(crate) end: String,
}

/// Points one criterion gave a pair; a breakdown's points add up to its score.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct Criterion {
    /// The criterion's name, as `weights` names it.
    pub criterion: String,
    #[allow(missing_docs)]
    pub points: i64,
}

/// A breakdown as a list, in criterion-name order.
pub fn criteria(breakdown: &BTreeMap<String, i64>) -> Vec<Criterion> {
    breakdown
        .iter()
        .map(|(criterion, points)| Criterion { criterion: criterion.clone(), points: *points })
        .collect()
}

/// How many openings failed one constraint.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct RuledOutCount {
    /// A MATCHING.md `ruledOutBy` key (`SUBJECTS`, `TRAVEL`, …).
    pub constraint: String,
    #[allow(missing_docs)]
    pub count: i64,
}

/// `ruledOutBy` counts in MATCHING.md's key order, zeros left out.
pub fn ruled_out(counts: BTreeMap<String, i64>) -> Vec<RuledOutCount> {
    matcher::feasibility::Constraint::ALL
        .iter()
        .filter_map(|constraint| {
            let count = counts.get(constraint.as_str()).copied().unwrap_or(0);
            (count > 0).then(|| RuledOutCount { constraint: constraint.as_str().to_owned(), count })
        })
        .collect()
}

/// Openings one constraint rules out.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct RuledOut {
    /// `SUBJECTS GRADE AGE LANGUAGE SCHEDULE TRAVEL CONSENT AGREEMENT
    /// BACKGROUND_CHECK DECLINED FULL`.
    pub constraint: String,
    /// How many openings of the kind fail it.
    pub count: i32,
}
