//! Points for a candidate pair: each criterion rates the pair 0–100, its weight
//! multiplies that, and the score is the sum, so the breakdown always adds up.

use std::fmt;

/// A scoring criterion, named as in `weights` and in a breakdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Criterion {
    /// Share of the need's subjects (interests, fields) that the opening covers.
    Field,
    /// How much of the student's travel limit is left: 100 at the door (or
    /// virtual), 0 at the limit.
    Travel,
    /// Spare days: how many more days than needed hold a session, of those that could.
    Schedule,
    /// The opening speaks the student's preferred (first) language.
    Language,
    /// The student's equity priority, 0–3, as 0, 33, 66, 100.
    Priority,
    /// The student already works with this partner (an existing match).
    Continuity,
    /// Days the need has waited unmatched (`waitingDays`): 0 when it has not waited,
    /// 50 on its first day, 10 more per full week after that, 100 from day 36 on.
    Waiting,
}

impl Criterion {
    /// Every criterion, in breakdown order.
    pub const ALL: [Criterion; COUNT] = [
        Criterion::Field,
        Criterion::Travel,
        Criterion::Schedule,
        Criterion::Language,
        Criterion::Priority,
        Criterion::Continuity,
        Criterion::Waiting,
    ];

    /// The name used in `weights` and breakdowns.
    pub fn as_str(self) -> &'static str {
        match self {
            Criterion::Field => "field",
            Criterion::Travel => "travel",
            Criterion::Schedule => "schedule",
            Criterion::Language => "language",
            Criterion::Priority => "priority",
            Criterion::Continuity => "continuity",
            Criterion::Waiting => "waiting",
        }
    }

    /// Parses a criterion name.
    pub fn parse(name: &str) -> Option<Criterion> {
        Criterion::ALL.into_iter().find(|criterion| criterion.as_str() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many criteria there are.
const COUNT: usize = 7;

/// A criterion's rating of a pair, 0 to 100.
pub const MAX_RATING: u32 = 100;
/// The largest weight accepted; with seven criteria a score stays below 700 000, so
/// sums over millions of pairs fit an `i64` with room to spare.
pub const MAX_WEIGHT: u32 = 1000;

/// Points per rating unit, per criterion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weights([u32; COUNT]);

impl Default for Weights {
    /// Field alignment, equity and time waited lead, travel next, then language and
    /// continuity; schedule slack breaks ties.
    fn default() -> Weights {
        Weights([4, 3, 1, 2, 3, 2, 4])
    }
}

impl Weights {
    /// The weight of one criterion.
    pub fn get(&self, criterion: Criterion) -> u32 {
        self.0[criterion.index()]
    }

    /// Overrides one weight; `None` above [`MAX_WEIGHT`].
    pub fn with(mut self, criterion: Criterion, weight: u32) -> Option<Weights> {
        if weight > MAX_WEIGHT {
            return None;
        }
        self.0[criterion.index()] = weight;
        Some(self)
    }

    /// The highest score any pair can get.
    pub fn max_score(&self) -> u32 {
        self.0.iter().sum::<u32>() * MAX_RATING
    }
}

/// Ratings of one pair, 0–100 each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ratings([u32; COUNT]);

impl Ratings {
    /// Sets one rating, clamped to 0–100.
    pub fn set(&mut self, criterion: Criterion, rating: u32) {
        self.0[criterion.index()] = rating.min(MAX_RATING);
    }

    /// Weighs the ratings into points.
    pub fn weigh(&self, weights: &Weights) -> Breakdown {
        let mut points = [0; COUNT];
        for criterion in Criterion::ALL {
            points[criterion.index()] = self.0[criterion.index()] * weights.get(criterion);
        }
        Breakdown(points)
    }
}

/// Points per criterion; [`Breakdown::score`] is their sum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Breakdown([u32; COUNT]);

impl Breakdown {
    /// The points of one criterion.
    pub fn get(&self, criterion: Criterion) -> u32 {
        self.0[criterion.index()]
    }

    /// The score: the sum of the points.
    pub fn score(&self) -> u32 {
        self.0.iter().sum()
    }

    /// (criterion, points) in breakdown order.
    pub fn iter(&self) -> impl Iterator<Item = (Criterion, u32)> + '_ {
        Criterion::ALL.into_iter().map(|criterion| (criterion, self.get(criterion)))
    }
}

/// The rating of a travel time against the student's limit.
pub fn rate_travel(minutes: f64, limit: f64) -> u32 {
    if minutes <= 0.0 || limit <= 0.0 {
        return MAX_RATING;
    }
    let left = (1.0 - minutes / limit).clamp(0.0, 1.0);
    // Truncation is the floor of a value in 0–100, without a call into libm per pair.
    (left * f64::from(MAX_RATING)) as u32
}

/// The rating of schedule slack: of the days beyond the `needed` ones, the share
/// that also hold a session.
pub fn rate_schedule(fitting_days: u8, needed: u8) -> u32 {
    let spare_days = 7u32.saturating_sub(u32::from(needed));
    if spare_days == 0 {
        return 0;
    }
    let extra = u32::from(fitting_days.saturating_sub(needed));
    extra * MAX_RATING / spare_days
}

/// The rating of subject overlap: the share of the need's subjects covered.
pub fn rate_field(need_subjects: &[u32], opening_subjects: &[u32]) -> u32 {
    if need_subjects.is_empty() {
        return 0;
    }
    let shared =
        need_subjects.iter().filter(|subject| opening_subjects.binary_search(subject).is_ok()).count();
    (shared as u32) * MAX_RATING / need_subjects.len() as u32
}

/// The rating of time waited: 0 for a need that has not waited, 50 on its first day
/// on the waitlist, 10 more for each full week after that, 100 from day 36 on.
pub fn rate_waiting(waiting_days: u32) -> u32 {
    match waiting_days {
        0 => 0,
        days => (50 + 10 * ((days - 1) / 7).min(5)).min(MAX_RATING),
    }
}

/// The rating of equity priority 0–3.
pub fn rate_priority(priority: u8) -> u32 {
    u32::from(priority.min(3)) * MAX_RATING / 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdown_adds_up_to_the_score() {
        let mut ratings = Ratings::default();
        ratings.set(Criterion::Field, 50);
        ratings.set(Criterion::Travel, 250);
        ratings.set(Criterion::Priority, 66);
        let weights = Weights::default().with(Criterion::Travel, 7).unwrap();
        let breakdown = ratings.weigh(&weights);
        assert_eq!(breakdown.get(Criterion::Travel), 700);
        assert_eq!(breakdown.score(), breakdown.iter().map(|(_, points)| points).sum::<u32>());
        assert_eq!(breakdown.score(), 50 * 4 + 700 + 66 * 3);
    }

    #[test]
    fn weights_are_bounded() {
        assert!(Weights::default().with(Criterion::Field, MAX_WEIGHT).is_some());
        assert!(Weights::default().with(Criterion::Field, MAX_WEIGHT + 1).is_none());
        assert_eq!(Criterion::parse("travel"), Some(Criterion::Travel));
        assert_eq!(Criterion::parse("Travel"), None);
    }

    #[test]
    fn ratings_stay_in_range() {
        assert_eq!(rate_travel(0.0, 45.0), 100);
        assert_eq!(rate_travel(45.0, 45.0), 0);
        assert_eq!(rate_travel(45.0 + 1e-10, 45.0), 0);
        assert_eq!(rate_travel(22.5, 45.0), 50);
        assert_eq!(rate_schedule(1, 1), 0);
        assert_eq!(rate_schedule(7, 1), 100);
        assert_eq!(rate_schedule(4, 1), 50);
        assert_eq!(rate_schedule(7, 7), 0);
        assert_eq!(rate_field(&[1, 2], &[2, 3]), 50);
        assert_eq!(rate_field(&[], &[2, 3]), 0);
        assert_eq!(rate_priority(3), 100);
        assert_eq!(rate_priority(1), 33);
        assert_eq!(rate_waiting(0), 0);
        assert_eq!(rate_waiting(1), 50);
        assert_eq!(rate_waiting(7), 50);
        assert_eq!(rate_waiting(8), 60);
        assert_eq!(rate_waiting(35), 90);
        assert_eq!(rate_waiting(36), 100);
        assert_eq!(rate_waiting(u32::MAX), 100);
    }
}
