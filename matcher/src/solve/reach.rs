//! Bounds, carried from one pricing round to the next, on how far a row's
//! left-out edges reach under the duals, so that a round reads only the rows
//! whose bound leaves room for an improving edge.
//!
//! A left-out edge `row`–`column` of `weight` improves exactly when
//! `d(row) − (top − weight) − d(column) > 0` ([`Duals::gain`]); call
//! `weight − d(column)` its reach. A row read in some round has its heaviest reach
//! recorded. In a later round no column is closer to the sink than it was by more
//! than the largest decrease of any column's distance since, so the row's reach
//! is at most the recorded one plus the decreases summed over the rounds between:
//! if even that cannot improve, the row is not read. Column distances are never
//! negative, so the heaviest left-out weight is a bound too; the smaller one counts.
//!
//! On a dense district's last rounds only a few columns move, by a few points:
//! most rows' recorded reach is far below what an improvement needs, and the
//! rounds that only confirm the optimum read a few rows instead of every one
//! (every round read all 26 million left-out edges of the 100k city's mentoring).

use super::Duals;

/// Not read yet: no bound but the heaviest left-out weight.
const UNREAD: i64 = i64::MAX;

pub(super) struct Reach {
    /// Per row, its heaviest reach when last read, less `drift` at that time.
    base: Vec<i64>,
    /// The largest decrease of a column's distance, summed over rounds.
    drift: i64,
    /// The last round's column distances.
    columns: Vec<i64>,
}

impl Reach {
    pub(super) fn new(n_rows: usize) -> Reach {
        Reach { base: vec![UNREAD; n_rows], drift: 0, columns: Vec::new() }
    }

    /// Moves to a new round's duals.
    pub(super) fn advance(&mut self, duals: &Duals) {
        let columns = duals.column_distances().to_vec();
        if self.columns.len() == columns.len() {
            let fall = self
                .columns
                .iter()
                .zip(&columns)
                .filter(|(old, new)| **old != i64::MAX && **new != i64::MAX)
                .map(|(old, new)| old.saturating_sub(*new))
                .max()
                .unwrap_or(0)
                .max(0);
            self.drift = self.drift.saturating_add(fall);
        }
        self.columns = columns;
    }

    /// Whether some left-out edge of `row`, the heaviest weighing `heaviest`,
    /// may improve the solution under `duals`.
    pub(super) fn may_improve(&self, duals: &Duals, row: usize, heaviest: u32) -> bool {
        let mut reach = i64::from(heaviest);
        if self.base[row] != UNREAD {
            reach = reach.min(self.base[row].saturating_add(self.drift));
        }
        duals.margin(row).saturating_add(reach) > 0
    }

    /// Records `row`'s heaviest reach, read under the current duals.
    pub(super) fn record(&mut self, row: usize, reach: i64) {
        self.base[row] = reach.saturating_sub(self.drift);
    }
}
