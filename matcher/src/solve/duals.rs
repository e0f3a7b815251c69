//! Optimality duals of a solved problem, to price edges that were left out of it.
//!
//! Write the lexicographic objective as a min-cost flow: every row sends one unit,
//! either along an edge (cost `top − weight`) into a column and on to the sink (up
//! to the column's capacity), or along its own exit straight to the sink (cost
//! `exit = rows · top + 1`, more than any set of edges can gain). A solution is
//! optimal exactly when its residual graph has no negative cycle; then the
//! shortest distance `d` from each node to the sink is a feasible potential, and an
//! edge missing from the problem can improve the solution only if its reduced cost
//! `top − weight + d(column) − d(row)` is negative. [`Duals`] holds those distances.
//!
//! Structure makes them cheap. A column with a free slot is at distance 0 (its arc
//! to the sink is free, and optimality forbids below); an unmatched row is at
//! `exit`. A matched row's distance is its best way out —
//! its exit, or another edge into a column and on from there — and a full
//! column's is the cheapest of its members' ways out less the member's own edge.
//! Those equations are relaxed column by column from upper bounds (a
//! label-correcting shortest-path pass, Bellman–Ford with a queue) until nothing
//! moves. With no negative cycle the pass ends at the true distances.
//!
//! Cost: O(E) per sweep, a handful of sweeps on district graphs; the pass gives up
//! (returns `None`) past a generous bound rather than loop on a non-optimal input.

use std::collections::VecDeque;

use super::{Problem, Solution};

/// Distances to the sink in the residual graph of an optimal solution.
#[derive(Clone, Debug)]
pub struct Duals {
    top: i64,
    exit: i64,
    row: Vec<i64>,
    column: Vec<i64>,
}

impl Duals {
    /// The duals of `solution`, an optimal solution of `problem`, in the cost frame
    /// `top` (at least every weight that will be priced, kept or not). `None` if
    /// the relaxation does not settle, which an optimal solution never causes.
    pub fn of(problem: &Problem, solution: &Solution, top: u32) -> Option<Duals> {
        let top = i64::from(top);
        let n_rows = problem.n_rows();
        let n_columns = problem.n_columns();
        let exit = (n_rows as i64).checked_add(1)?.checked_mul(top)?.checked_add(1)?;
        // Room for `gain`, which adds and subtracts distances of at most `exit`.
        exit.checked_mul(4)?;

        let mut load = vec![0u32; n_columns];
        let mut own_weight = vec![0i64; n_rows];
        for (row, column) in solution.assignment.iter().enumerate() {
            if let Some(column) = column {
                load[*column as usize] += 1;
                own_weight[row] = i64::from(
                    problem.edges(row).find(|(at, _)| at == column).map_or(0, |(_, weight)| weight),
                );
            }
        }
        let full: Vec<bool> = (0..n_columns).map(|column| load[column] >= problem.capacity(column)).collect();

        // `via[row]`: the matched row's best way out, less its own edge's cost. A
        // full column starts at its members' exits; one with a free slot stays at 0;
        // one that can take nobody (capacity 0) is out of reach.
        let mut via = vec![i64::MAX; n_rows];
        let mut column_distance: Vec<i64> =
            full.iter().map(|full| if *full { i64::MAX } else { 0 }).collect();
        for (row, column) in solution.assignment.iter().enumerate() {
            let Some(column) = column else { continue };
            via[row] = exit - (top - own_weight[row]);
            let c = *column as usize;
            if full[c] {
                column_distance[c] = column_distance[c].min(via[row]);
            }
        }
        let reverse = Reverse::of(problem, &solution.assignment);
        let mut queue: VecDeque<u32> = (0..n_columns as u32).collect();
        let mut queued = vec![true; n_columns];
        let bound = 64usize.saturating_mul(n_columns + 1).saturating_add(problem.n_edges().saturating_mul(4));
        let mut pops = 0usize;
        while let Some(column) = queue.pop_front() {
            pops += 1;
            if pops > bound {
                return None;
            }
            let c = column as usize;
            queued[c] = false;
            let distance = column_distance[c];
            for &(row, weight) in reverse.of_column(c) {
                let r = row as usize;
                let reached = (own_weight[r] - i64::from(weight)).saturating_add(distance);
                if reached >= via[r] {
                    continue;
                }
                via[r] = reached;
                let Some(home) = solution.assignment[r] else { continue };
                let h = home as usize;
                if full[h] && reached < column_distance[h] {
                    column_distance[h] = reached;
                    if !queued[h] {
                        queued[h] = true;
                        queue.push_back(home);
                    }
                }
            }
        }
        let row = (0..n_rows)
            .map(|row| match solution.assignment[row] {
                Some(_) => (top - own_weight[row]) + via[row],
                None => exit,
            })
            .collect();
        Some(Duals { top, exit, row, column: column_distance })
    }

    /// The cost frame's heaviest weight: an edge costs `top − weight`.
    pub(super) fn top(&self) -> i64 {
        self.top
    }

    /// What a row's own exit (staying unmatched) costs.
    pub(super) fn exit(&self) -> i64 {
        self.exit
    }

    /// The distance from `row` to the sink.
    pub(super) fn row_distance(&self, row: usize) -> i64 {
        self.row[row]
    }

    /// The distance from `column` to the sink; `i64::MAX` for a column that can
    /// take nobody.
    pub(super) fn column_distance(&self, column: usize) -> i64 {
        self.column[column]
    }

    /// Every column's [`Duals::column_distance`].
    pub(super) fn column_distances(&self) -> &[i64] {
        &self.column
    }

    /// Whether a missing edge `row`–`column` of `weight` leaves the solution optimal.
    pub fn prices_out(&self, row: usize, column: u32, weight: u32) -> bool {
        self.gain(row, column, weight) <= 0
    }

    /// How much a missing edge `row`–`column` of `weight` undercuts its reduced
    /// cost: positive when the edge could improve the solution.
    pub fn gain(&self, row: usize, column: u32, weight: u32) -> i64 {
        self.margin(row).saturating_add(self.reach(column, weight))
    }

    /// What `row`'s distance leaves for a missing edge: `d(row) − top`. An edge's
    /// gain is this plus its [`Duals::reach`].
    pub(super) fn margin(&self, row: usize) -> i64 {
        self.row[row].saturating_sub(self.top)
    }

    /// How far a missing edge into `column` of `weight` reaches: `weight − d(column)`.
    pub(super) fn reach(&self, column: u32, weight: u32) -> i64 {
        i64::from(weight).saturating_sub(self.column.get(column as usize).copied().unwrap_or(0))
    }

    /// Which columns a missing edge of `row` weighing at most `weight` could
    /// improve the solution through: those closer to the sink than the row's
    /// distance allows.
    pub fn columns_improvable_by(&self, row: usize, weight: u32) -> impl Fn(u32) -> bool + '_ {
        let under = self.row[row].saturating_sub(self.top - i64::from(weight));
        move |column| self.column.get(column as usize).copied().unwrap_or(0) < under
    }

    /// Whether every missing edge of `row` up to `weight` leaves the solution
    /// optimal, whatever its column (column distances are never negative).
    pub fn prices_out_up_to(&self, row: usize, weight: u32) -> bool {
        self.row[row] <= self.top - i64::from(weight)
    }
}

/// For each column, the matched rows with an edge into it other than their own.
struct Reverse {
    starts: Vec<usize>,
    entries: Vec<(u32, u32)>,
}

impl Reverse {
    fn of(problem: &Problem, assignment: &[Option<u32>]) -> Reverse {
        let n_columns = problem.n_columns();
        let mut starts = vec![0usize; n_columns + 1];
        let others = |row: usize| {
            let own = assignment[row];
            problem.edges(row).filter(move |(column, _)| own.is_some_and(|own| own != *column))
        };
        for row in 0..problem.n_rows() {
            for (column, _) in others(row) {
                starts[column as usize + 1] += 1;
            }
        }
        for column in 0..n_columns {
            starts[column + 1] += starts[column];
        }
        let mut fill = starts.clone();
        let mut entries = vec![(0u32, 0u32); starts[n_columns]];
        for row in 0..problem.n_rows() {
            for (column, weight) in others(row) {
                entries[fill[column as usize]] = (row as u32, weight);
                fill[column as usize] += 1;
            }
        }
        Reverse { starts, entries }
    }

    fn of_column(&self, column: usize) -> &[(u32, u32)] {
        &self.entries[self.starts[column]..self.starts[column + 1]]
    }
}
