//! Successive shortest augmenting paths with potentials (the sparse
//! Jonker–Volgenant scheme) for the lexicographic assignment with capacities.
//!
//! Every row may also take a private "dummy" exit that stands for staying
//! unmatched. A real edge costs `top − weight` (`top` the heaviest weight) and a
//! dummy `dummy_cost = min(rows, slots) · top + 1`, more than any set of real edges
//! can gain, so the cheapest assignment of all rows matches as many rows as
//! possible and, among those, has the largest total weight.
//!
//! Rows are taken fewest edges first; for each, Dijkstra on reduced costs (non-negative under
//! the potentials) finds the cheapest augmenting path to a column with a free slot
//! or to some row's dummy, stopping as soon as that target is settled. Potentials
//! of settled nodes then move by `distance − target distance`, which keeps every
//! residual arc's reduced cost non-negative, so the assignment of the rows taken so
//! far stays optimal: the standard argument for Jonker–Volgenant.
//!
//! Cost: O(rows · (E + V) log V) in the worst case; on sparse local graphs the
//! searches stay small.

use super::queue::Queue;
use super::{Component, LocalAssignment};
use crate::error::Error;

const NONE: u32 = u32::MAX;

/// Where a row stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Not taken yet.
    Waiting,
    /// On its dummy: unmatched for good.
    Unmatched,
    /// In a column, at this edge cost.
    In { column: u32, cost: i64 },
}

/// The node the target was reached from.
#[derive(Clone, Copy)]
enum Exit {
    Column(u32),
    Dummy(u32),
}

pub(super) fn solve(component: &Component) -> Result<LocalAssignment, Error> {
    let mut search = Search::new(component)?;
    // Most constrained roots first: fewest edges, then the lightest best edge. A
    // root with few ways in takes its place before the well-connected ones crowd
    // it, and those, coming later, find short detours. Against heaviest best edge
    // first, on a dense 100k-student district: 3.5 million nodes settled in a
    // tutoring solve rather than 7.0 million, mentoring's and tutoring's sparse
    // solves 1.72 s and 2.83 s rather than 2.27 s and 4.26 s; every order reaches
    // the same optimum, ties aside.
    // A row's cheapest cost is its heaviest weight's, so the highest cheapest cost
    // first is the lightest best edge first (an edgeless row counts as weight 0).
    let mut order: Vec<u32> = (0..component.n_rows() as u32).collect();
    order.sort_by_key(|row| {
        let range = component.range(*row as usize);
        let cheapest =
            if range.is_empty() { search.top } else { i64::from(search.cheapest_first[range.start].0) };
        (range.len(), std::cmp::Reverse(cheapest), *row)
    });
    for root in order {
        let root = root as usize;
        let exit = search.shortest_path(root as u32);
        search.augment(root as u32, exit);
    }
    Ok(search
        .rows
        .iter()
        .map(|row| match row.place {
            Place::In { column, .. } => Some(column),
            _ => None,
        })
        .collect())
}

struct Search<'a> {
    component: &'a Component,
    /// Each row's edges as (cost, column), cheapest first: column potentials never
    /// rise above 0, so `distance + cost + row potential` bounds an edge's reach
    /// from below and a scan can stop at the first edge past the best exit.
    cheapest_first: Vec<(u32, u32)>,
    top: i64,
    dummy_cost: i64,
    /// Per row and per column, what a search reads of it side by side: a search
    /// is bound by memory, and a relaxation touches all of it at once.
    rows: Vec<RowState>,
    columns: Vec<ColumnState>,
    /// The rows in each column: column `c` holds
    /// `members[columns[c].first..][..columns[c].load]`.
    members: Vec<u32>,
    target_potential: i64,
    stamp: u32,
    settled_rows: Vec<u32>,
    settled_columns: Vec<u32>,
    heap: Queue,
}

#[derive(Clone, Copy)]
struct RowState {
    potential: i64,
    distance: i64,
    /// The search that last reached it.
    seen: u32,
    place: Place,
}

#[derive(Clone, Copy)]
struct ColumnState {
    potential: i64,
    distance: i64,
    /// The search that last reached it.
    seen: u32,
    /// The row it was reached from.
    from: u32,
    /// Where its members start in [`Search::members`].
    first: u32,
    /// Rows in it.
    load: u32,
    /// Rows it can take.
    capacity: u32,
}

impl ColumnState {
    fn has_room(&self) -> bool {
        self.load < self.capacity
    }
}

impl<'a> Search<'a> {
    fn new(component: &'a Component) -> Result<Search<'a>, Error> {
        let n_rows = component.n_rows();
        let top_weight = component.edge_weights.iter().copied().max().unwrap_or(0);
        let top = i64::from(top_weight);
        let most_matches = n_rows.min(component.n_slots()) as i64;
        let dummy_cost = most_matches
            .checked_mul(top)
            .and_then(|cost| cost.checked_add(1))
            .filter(|cost| cost.checked_mul(4).is_some())
            .ok_or(Error::TooLarge("weights times rows"))?;
        // One sorted copy per block, at the block's own positions: rows that share
        // their edges share this too.
        let mut cheapest_first = Vec::with_capacity(component.edge_columns.len());
        for block in component.block_starts.windows(2) {
            let start = cheapest_first.len();
            let edges = component.edge_columns[block[0]..block[1]]
                .iter()
                .zip(&component.edge_weights[block[0]..block[1]]);
            cheapest_first.extend(edges.map(|(column, weight)| (top_weight - *weight, *column)));
            cheapest_first[start..].sort_unstable();
        }
        let mut first = 0u32;
        let columns = component
            .capacities
            .iter()
            .map(|&capacity| {
                let column =
                    ColumnState { potential: 0, distance: 0, seen: 0, from: NONE, first, load: 0, capacity };
                // No column holds more than every row.
                first = first.saturating_add(capacity.min(u32::try_from(n_rows).unwrap_or(u32::MAX)));
                column
            })
            .collect();
        Ok(Search {
            component,
            cheapest_first,
            top,
            dummy_cost,
            rows: vec![RowState { potential: 0, distance: 0, seen: 0, place: Place::Waiting }; n_rows],
            columns,
            members: vec![NONE; first as usize],
            target_potential: 0,
            stamp: 0,
            settled_rows: Vec::new(),
            settled_columns: Vec::new(),
            heap: Queue::new(),
        })
    }

    fn members_of(&self, column: usize) -> &[u32] {
        let state = &self.columns[column];
        &self.members[state.first as usize..][..state.load as usize]
    }

    fn shortest_path(&mut self, root: u32) -> Exit {
        self.stamp += 1;
        self.settled_rows.clear();
        self.settled_columns.clear();
        self.heap.clear();
        let stamp = self.stamp;
        let state = &mut self.rows[root as usize];
        state.seen = stamp;
        state.distance = 0;
        self.heap.push(0, root);
        let n_rows = self.component.n_rows() as u32;
        let mut best = i64::MAX;
        let mut exit = Exit::Dummy(root);
        while let Some((distance, node)) = self.heap.pop() {
            if distance >= best {
                break;
            }
            if node < n_rows {
                if distance > self.rows[node as usize].distance {
                    continue;
                }
                self.settled_rows.push(node);
                self.scan_row(node, distance, &mut best, &mut exit);
            } else {
                let column = node - n_rows;
                if distance > self.columns[column as usize].distance {
                    continue;
                }
                self.settled_columns.push(column);
                self.scan_column(column, distance, &mut best, &mut exit);
            }
        }
        self.update_potentials(best);
        exit
    }

    fn scan_row(&mut self, row: u32, distance: i64, best: &mut i64, exit: &mut Exit) {
        let r = row as usize;
        let RowState { potential, place, .. } = self.rows[r];
        let current = match place {
            Place::In { column, .. } => column,
            _ => NONE,
        };
        let to_dummy = distance + self.dummy_cost + potential - self.target_potential;
        if to_dummy < *best {
            *best = to_dummy;
            *exit = Exit::Dummy(row);
        }
        let stamp = self.stamp;
        // Node ids in the queue: rows first, then columns; ties settle lower ids first.
        let n_rows = self.component.n_rows() as u32;
        for at in self.component.range(r) {
            let (cost, column) = self.cheapest_first[at];
            let cost = i64::from(cost);
            if distance + cost + potential >= *best {
                break;
            }
            if column == current {
                continue;
            }
            let state = &mut self.columns[column as usize];
            let reached = distance + cost + potential - state.potential;
            // A node at or past the best exit is never settled: no need to queue it.
            if reached >= *best {
                continue;
            }
            if state.seen != stamp || reached < state.distance {
                state.seen = stamp;
                state.distance = reached;
                state.from = row;
                self.heap.push(reached, n_rows + column);
                // A column with a free slot bounds the search at once; it is still
                // queued, so it is settled (and its potential moved) if it is closer.
                if state.has_room() {
                    let to_target = reached + state.potential - self.target_potential;
                    if to_target < *best {
                        *best = to_target;
                        *exit = Exit::Column(column);
                    }
                }
            }
        }
    }

    fn scan_column(&mut self, column: u32, distance: i64, best: &mut i64, exit: &mut Exit) {
        let c = column as usize;
        let state = self.columns[c];
        let ColumnState { potential, first, load, .. } = state;
        if state.has_room() {
            let to_target = distance + potential - self.target_potential;
            if to_target < *best {
                *best = to_target;
                *exit = Exit::Column(column);
            }
        }
        let stamp = self.stamp;
        for at in first..first + load {
            let row = self.members[at as usize];
            let state = &mut self.rows[row as usize];
            let Place::In { cost, .. } = state.place else { continue };
            let reached = distance - cost + potential - state.potential;
            if reached >= *best {
                continue;
            }
            if state.seen != stamp || reached < state.distance {
                state.seen = stamp;
                state.distance = reached;
                self.heap.push(reached, row);
            }
        }
    }

    /// Settled nodes move by `distance − best`; the rest stay, which keeps reduced
    /// costs non-negative and makes the augmenting path's arcs tight.
    fn update_potentials(&mut self, best: i64) {
        for &row in &self.settled_rows {
            let state = &mut self.rows[row as usize];
            state.potential += state.distance - best;
        }
        for &column in &self.settled_columns {
            let state = &mut self.columns[column as usize];
            state.potential += state.distance - best;
        }
    }

    /// Shifts rows along the path: each row on it moves into the column that
    /// reached it... from the exit back to the root.
    fn augment(&mut self, root: u32, exit: Exit) {
        let mut column = match exit {
            Exit::Column(column) => column,
            Exit::Dummy(row) => {
                let Place::In { column, .. } = self.rows[row as usize].place else {
                    // Only the root is ever reached without a column.
                    self.rows[row as usize].place = Place::Unmatched;
                    return;
                };
                self.leave(row, column);
                self.rows[row as usize].place = Place::Unmatched;
                column
            }
        };
        loop {
            let row = self.columns[column as usize].from;
            let previous = self.rows[row as usize].place;
            let weight = self.component.weight(row as usize, column);
            self.rows[row as usize].place = Place::In { column, cost: self.top - i64::from(weight) };
            self.join(row, column);
            if row == root {
                return;
            }
            let Place::In { column: from, .. } = previous else { return };
            self.leave(row, from);
            column = from;
        }
    }

    /// Adds `row` after the column's members.
    fn join(&mut self, row: u32, column: u32) {
        let state = &mut self.columns[column as usize];
        self.members[(state.first + state.load) as usize] = row;
        state.load += 1;
    }

    /// Takes `row` out of the column's members; the last one takes its place.
    fn leave(&mut self, row: u32, column: u32) {
        let c = column as usize;
        let Some(at) = self.members_of(c).iter().position(|member| *member == row) else { return };
        let state = &mut self.columns[c];
        let first = state.first as usize;
        state.load -= 1;
        self.members.swap(first + at, first + state.load as usize);
    }
}
