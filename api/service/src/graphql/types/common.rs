//! Shapes shared across the schema: places, weekly windows, score breakdowns and
//! ruled-out tallies.

use std::collections::BTreeMap;

use async_graphql::{InputObject, MaybeUndefined, SimpleObject};
use matcher::calendar::Window;
use matcher::feasibility::Constraint as DomainConstraint;
use matcher::score::Criterion as DomainCriterion;
use matcher::validate::RawWindow;

use crate::graphql::error::ApiError;
use crate::graphql::types::enums::{Constraint, ScoreCriterion, Weekday};

/// Coordinates in degrees: an opening's place, a student's home (kept to about
/// 100 m).
#[derive(Clone, Copy, Debug, SimpleObject)]
pub struct Place {
    /// Degrees north, -90 to 90.
    pub lat: f64,
    /// Degrees east, -180 to 180.
    pub lon: f64,
}

impl Place {
    pub(crate) fn of(place: matcher::model::Place) -> Place {
        Place { lat: place.lat(), lon: place.lon() }
    }
}

/// A weekly window: a day, and `start`/`end` as `HH:MM` (`end` may be `24:00`).
#[derive(Clone, Debug, SimpleObject)]
pub struct WeeklyWindow {
    /// The day.
    pub day: Weekday,
    /// `HH:MM`.
    pub start: String,
    /// `HH:MM`, after `start`.
    pub end: String,
}

impl WeeklyWindow {
    /// A window as the schema shows it.
    pub(crate) fn of(window: &Window) -> WeeklyWindow {
        WeeklyWindow {
            day: window.day().into(),
            start: window.start().to_string(),
            end: window.end().to_string(),
        }
    }

    /// Windows as the schema shows them.
    pub(crate) fn all(windows: &[Window]) -> Vec<WeeklyWindow> {
        windows.iter().map(WeeklyWindow::of).collect()
    }

    /// Windows of a stored result document, which the engine wrote.
    pub(crate) fn of_document(windows: &[RawWindow]) -> Result<Vec<WeeklyWindow>, ApiError> {
        windows
            .iter()
            .map(|window| {
                matcher::record::parse_window("sessions", window)
                    .map(|window| WeeklyWindow::of(&window))
                    .map_err(|err| {
                        ApiError::internal(format!("a stored result's session does not read: {err}"))
                    })
            })
            .collect()
    }
}

/// Coordinates in degrees.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct PlaceInput {
    /// Degrees north, -90 to 90.
    pub(crate) lat: f64,
    /// Degrees east, -180 to 180.
    pub(crate) lon: f64,
}

/// A weekly window: `day` `MON`…`SUN`, `start`/`end` `HH:MM`.
#[derive(Clone, Debug, InputObject)]
pub struct WeeklyWindowInput {
    /// `MON`…`SUN`.
    pub(crate) day: String,
    /// `HH:MM`.
    pub(crate) start: String,
    /// `HH:MM`, after `start`.
    pub(crate) end: String,
}

impl From<WeeklyWindowInput> for RawWindow {
    fn from(window: WeeklyWindowInput) -> RawWindow {
        RawWindow { day: window.day, start: window.start, end: window.end }
    }
}

/// Points one criterion gave a pair; a breakdown's points add up to its score.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct Criterion {
    /// The criterion.
    pub criterion: ScoreCriterion,
    /// Its points.
    pub points: i64,
}

/// A stored breakdown as a list, in criterion-name order.
pub fn criteria(breakdown: &BTreeMap<String, i64>) -> Result<Vec<Criterion>, ApiError> {
    breakdown
        .iter()
        .map(|(name, points)| {
            let criterion = DomainCriterion::parse(name)
                .ok_or_else(|| ApiError::internal(format!("a stored breakdown names {name:?}")))?;
            Ok(Criterion { criterion: criterion.into(), points: *points })
        })
        .collect()
}

/// How many openings one constraint rules out.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct RuledOut {
    /// The constraint.
    pub constraint: Constraint,
    /// How many openings of the kind fail it.
    pub count: i64,
}

/// `ruledOutBy` counts in docs/matching.md's key order, zeros left out.
pub fn ruled_out(counts: BTreeMap<String, i64>) -> Vec<RuledOut> {
    DomainConstraint::ALL
        .iter()
        .filter_map(|constraint| {
            let count = counts.get(constraint.as_str()).copied().unwrap_or(0);
            (count > 0).then(|| RuledOut { constraint: (*constraint).into(), count })
        })
        .collect()
}

/// A patch field that may not be null: `Some(value)` when given, an error when null.
pub(crate) fn required<T>(field: &str, value: MaybeUndefined<T>, errors: &mut Vec<ApiError>) -> Option<T> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => {
            errors.push(ApiError::bad_input(
                format!("input.{field}"),
                "cannot be null: leave it out to keep it",
            ));
            None
        }
        MaybeUndefined::Value(value) => Some(value),
    }
}

/// A patch field that may be null: `Some(None)` clears, `Some(Some(v))` sets.
pub(crate) fn nullable<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(value)),
    }
}
