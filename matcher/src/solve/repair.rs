//! Resuming an optimal solve after edges are added, rather than solving again:
//! the pricing rounds of [`super::solve_sparse`] add a few edges at a time to a
//! graph of a million.
//!
//! The frame is [`Duals`]' min-cost flow: every row sends one unit into a column
//! and on to the sink, or along its own exit straight to the sink. The duals of
//! the optimum before the edges came are potentials (`π = −distance`) under which
//! every residual arc costs at least 0, except the added edges that could improve
//! it. Each row with such an edge is taken out ("evicted"): its slot or its exit
//! becomes a *target*, and its own potential rises until its arcs cost at least 0
//! again (nothing enters an evicted row, so nothing else changes). What is left
//! is the situation of the Hungarian method after some rows were unassigned: as
//! many free rows as free targets, every reduced cost non-negative, so one
//! shortest augmenting path per evicted row (Dijkstra, potentials moved as in
//! [`super::ssp`]) restores an optimum of the larger graph.
//!
//! One difference from [`super::ssp`]: the sink is a node a path may cross. A
//! free slot that is not a target, and every row's exit, lead into the sink; from
//! there a path may go on into any column (someone leaves it for a slot freed
//! further along) or to any row on its exit (it takes a column instead), which
//! is how an eviction's freed slot is offered to rows far from it. There are as
//! many such arcs as columns and unmatched rows, and a search needs the cheapest
//! few: they are kept ordered by cost ([`Search::from_sink`]) and relaxed lazily,
//! one at a time, by a cursor that waits in the heap at the next one's distance.
//!
//! Cost: one Dijkstra per evicted row, O((E + V) log V) at worst each; after a
//! pricing round of a few thousand rows, far less than a solve from scratch.

use std::collections::BTreeSet;
use std::ops::Bound;

use super::queue::Queue;
use super::{Duals, Problem, Solution};
use crate::error::Error;

/// Where a row stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// On its exit.
    Unmatched,
    /// Taken out, to be routed again.
    Evicted,
    /// In a column, at this edge cost.
    In { column: u32, cost: i64 },
}

/// Which node reached a node first on the search tree.
#[derive(Clone, Copy, PartialEq, Eq)]
enum From {
    Root,
    Row(u32),
    Column(u32),
    Sink,
}

/// Where an augmenting path ends.
#[derive(Clone, Copy)]
enum Exit {
    /// A target slot of this column.
    Column(u32),
    /// The target exit of this evicted row, from the sink.
    Dummy(u32),
    /// The root's own target exit: it stays unmatched.
    OwnDummy,
}

/// The optimum of `problem`, given `solution`, optimal on `problem` less some
/// edges of the rows `changed`, and its `duals` in that smaller problem (in the
/// frame of [`Duals::of`], with a `top` covering every weight of `problem`).
///
/// # Errors
/// [`Error::Internal`] if a row finds no way out or is left without a place,
/// which the potentials' invariant rules out (every evicted row can reach its
/// freed slot or exit through the sink).
pub(super) fn repair(
    problem: &Problem,
    solution: &Solution,
    duals: &Duals,
    changed: &[u32],
) -> Result<Solution, Error> {
    let mut search = Search::new(problem, solution, duals);
    // A row listed twice is evicted, and routed, once.
    let roots: Vec<u32> = changed.iter().copied().filter(|row| search.evict(*row)).collect();
    for root in roots {
        let exit = search.shortest_path(root).ok_or(Error::Internal("a repaired row found no way out"))?;
        search.augment(root, exit);
    }
    let mut assignment = Vec::with_capacity(problem.n_rows());
    let mut total_weight = 0i64;
    let mut matched = 0;
    for place in &search.places {
        match place {
            Place::In { column, cost } => {
                assignment.push(Some(*column));
                total_weight += search.top - cost;
                matched += 1;
            }
            Place::Unmatched => assignment.push(None),
            Place::Evicted => return Err(Error::Internal("a repaired row was left without a place")),
        }
    }
    Ok(Solution { assignment, matched, total_weight })
}

struct Search<'a> {
    problem: &'a Problem,
    top: i64,
    exit_cost: i64,
    places: Vec<Place>,
    members: Vec<Vec<u32>>,
    /// Slots freed by evictions and not yet refilled.
    target_slots: Vec<u32>,
    /// Evicted rows whose exit is still free, with the exit's potential.
    target_exits: Vec<(u32, i64)>,
    row_potential: Vec<i64>,
    column_potential: Vec<i64>,
    sink_potential: i64,
    row_distance: Vec<i64>,
    column_distance: Vec<i64>,
    sink_distance: i64,
    row_from: Vec<From>,
    column_from: Vec<From>,
    sink_from: From,
    row_seen: Vec<u32>,
    column_seen: Vec<u32>,
    sink_seen: u32,
    stamp: u32,
    settled_rows: Vec<u32>,
    settled_columns: Vec<u32>,
    sink_settled: bool,
    /// The arcs out of the sink as (cost less the sink's potential, node): into
    /// every column (node id `n_rows + column`) and to every unmatched row.
    from_sink: BTreeSet<(i64, u32)>,
    /// The last arc out of the sink the cursor relaxed in this search.
    cursor: Option<(i64, u32)>,
    heap: Queue,
}

impl<'a> Search<'a> {
    fn new(problem: &'a Problem, solution: &Solution, duals: &Duals) -> Search<'a> {
        let n_rows = problem.n_rows();
        let n_columns = problem.n_columns();
        let top = duals.top();
        let mut members = vec![Vec::new(); n_columns];
        let places = (0..n_rows)
            .map(|row| match solution.assignment[row] {
                Some(column) => {
                    members[column as usize].push(row as u32);
                    let weight = problem.edges(row).find(|(at, _)| *at == column).map_or(0, |(_, w)| w);
                    Place::In { column, cost: top - i64::from(weight) }
                }
                None => Place::Unmatched,
            })
            .collect();
        let column_potential = (0..n_columns)
            .map(|column| match duals.column_distance(column) {
                i64::MAX => 0,
                distance => -distance,
            })
            .collect();
        let mut search = Search {
            problem,
            top,
            exit_cost: duals.exit(),
            places,
            members,
            target_slots: vec![0; n_columns],
            target_exits: Vec::new(),
            row_potential: (0..n_rows).map(|row| -duals.row_distance(row)).collect(),
            column_potential,
            sink_potential: 0,
            row_distance: vec![0; n_rows],
            column_distance: vec![0; n_columns],
            sink_distance: 0,
            row_from: vec![From::Root; n_rows],
            column_from: vec![From::Root; n_columns],
            sink_from: From::Root,
            row_seen: vec![0; n_rows],
            column_seen: vec![0; n_columns],
            sink_seen: 0,
            stamp: 0,
            settled_rows: Vec::new(),
            settled_columns: Vec::new(),
            sink_settled: false,
            from_sink: BTreeSet::new(),
            cursor: None,
            heap: Queue::new(),
        };
        for column in 0..n_columns {
            if problem.capacity(column) > 0 {
                search.from_sink.insert(search.sink_key(search.n_rows() + column as u32));
            }
        }
        for row in 0..n_rows as u32 {
            if search.places[row as usize] == Place::Unmatched {
                search.from_sink.insert(search.sink_key(row));
            }
        }
        search
    }

    /// A node's entry in [`Search::from_sink`] under the current potentials: the
    /// arc into a column costs 0, the one to a row on its exit takes the exit back.
    fn sink_key(&self, node: u32) -> (i64, u32) {
        let n_rows = self.n_rows();
        if node < n_rows {
            (-self.exit_cost - self.row_potential[node as usize], node)
        } else {
            (-self.column_potential[(node - n_rows) as usize], node)
        }
    }

    fn cursor_node(&self) -> u32 {
        self.sink_node() + 1
    }

    /// Queues the cheapest arc out of the sink after the cursor, at its distance.
    fn advance_cursor(&mut self, best: i64) {
        let next = match self.cursor {
            None => self.from_sink.iter().next().copied(),
            Some(at) => self.from_sink.range((Bound::Excluded(at), Bound::Unbounded)).next().copied(),
        };
        self.cursor = next;
        if let Some((key, _)) = next {
            let reached = self.sink_distance + self.sink_potential + key;
            if reached < best {
                self.heap.push(reached, self.cursor_node());
            }
        }
    }

    fn n_rows(&self) -> u32 {
        self.problem.n_rows() as u32
    }

    fn sink_node(&self) -> u32 {
        self.n_rows() + self.problem.n_columns() as u32
    }

    /// Takes `row` out: its slot or exit becomes a target, and its potential rises
    /// until every arc out of it costs at least 0 (nothing enters it any more).
    /// False if it was out already.
    fn evict(&mut self, row: u32) -> bool {
        let r = row as usize;
        match self.places[r] {
            Place::In { column, .. } => {
                self.leave(row, column);
                self.target_slots[column as usize] += 1;
            }
            Place::Unmatched => {
                self.from_sink.remove(&self.sink_key(row));
                self.target_exits.push((row, self.sink_potential));
            }
            Place::Evicted => return false,
        }
        self.places[r] = Place::Evicted;
        let mut potential = self.row_potential[r].max(self.sink_potential - self.exit_cost);
        for (column, weight) in self.problem.edges(r) {
            let cost = self.top - i64::from(weight);
            potential = potential.max(self.column_potential[column as usize] - cost);
        }
        self.row_potential[r] = potential;
        true
    }

    /// The cheapest way from `root` to a target, with potentials moved as in
    /// [`super::ssp`]; `None` if there is none.
    fn shortest_path(&mut self, root: u32) -> Option<Exit> {
        self.stamp += 1;
        self.settled_rows.clear();
        self.settled_columns.clear();
        self.sink_settled = false;
        self.cursor = None;
        self.heap.clear();
        let mut best = i64::MAX;
        let mut exit = Exit::OwnDummy;
        self.reach_row(root, 0, From::Root, best);
        let n_rows = self.n_rows();
        let sink = self.sink_node();
        while let Some((distance, node)) = self.heap.pop() {
            if distance >= best {
                break;
            }
            if node < n_rows {
                if distance > self.row_distance[node as usize] {
                    continue;
                }
                self.settled_rows.push(node);
                self.scan_row(root, node, distance, &mut best, &mut exit);
            } else if node < sink {
                let column = node - n_rows;
                if distance > self.column_distance[column as usize] {
                    continue;
                }
                self.settled_columns.push(column);
                self.scan_column(column, distance, best);
            } else if node == sink {
                if distance > self.sink_distance || self.sink_settled {
                    continue;
                }
                self.sink_settled = true;
                self.scan_sink(distance, &mut best, &mut exit);
            } else if let Some((_, target)) = self.cursor {
                // The cursor: relax the arc it waited for, then queue the next.
                if target < n_rows {
                    self.reach_row(target, distance, From::Sink, best);
                } else {
                    self.reach_column(target - n_rows, distance, From::Sink, &mut best, &mut exit);
                }
                self.advance_cursor(best);
            }
        }
        if best == i64::MAX {
            return None;
        }
        let n_rows = self.n_rows();
        for at in 0..self.settled_rows.len() {
            let row = self.settled_rows[at];
            let keyed = self.places[row as usize] == Place::Unmatched;
            if keyed {
                self.from_sink.remove(&self.sink_key(row));
            }
            self.row_potential[row as usize] += self.row_distance[row as usize] - best;
            if keyed {
                self.from_sink.insert(self.sink_key(row));
            }
        }
        for at in 0..self.settled_columns.len() {
            let column = self.settled_columns[at];
            let node = n_rows + column;
            let keyed = self.from_sink.remove(&self.sink_key(node));
            self.column_potential[column as usize] += self.column_distance[column as usize] - best;
            if keyed {
                self.from_sink.insert(self.sink_key(node));
            }
        }
        if self.sink_settled {
            self.sink_potential += self.sink_distance - best;
        }
        Some(exit)
    }

    fn reach_row(&mut self, row: u32, reached: i64, from: From, best: i64) {
        let r = row as usize;
        if reached >= best {
            return;
        }
        if self.row_seen[r] != self.stamp || reached < self.row_distance[r] {
            self.row_seen[r] = self.stamp;
            self.row_distance[r] = reached;
            self.row_from[r] = from;
            self.heap.push(reached, row);
        }
    }

    /// Reaches `column`; a target slot there bounds the search at once.
    fn reach_column(&mut self, column: u32, reached: i64, from: From, best: &mut i64, exit: &mut Exit) {
        let c = column as usize;
        if reached >= *best {
            return;
        }
        if self.column_seen[c] != self.stamp || reached < self.column_distance[c] {
            self.column_seen[c] = self.stamp;
            self.column_distance[c] = reached;
            self.column_from[c] = from;
            if self.target_slots[c] > 0 {
                *best = reached;
                *exit = Exit::Column(column);
            } else {
                self.heap.push(reached, self.n_rows() + column);
            }
        }
    }

    fn reach_sink(&mut self, reached: i64, from: From, best: i64) {
        if reached >= best || self.sink_settled {
            return;
        }
        if self.sink_seen != self.stamp || reached < self.sink_distance {
            self.sink_seen = self.stamp;
            self.sink_distance = reached;
            self.sink_from = from;
            self.heap.push(reached, self.sink_node());
        }
    }

    fn scan_row(&mut self, root: u32, row: u32, distance: i64, best: &mut i64, exit: &mut Exit) {
        let r = row as usize;
        let potential = self.row_potential[r];
        let current = match self.places[r] {
            Place::In { column, .. } => Some(column),
            _ => None,
        };
        match self.places[r] {
            // On its exit already: no arc out along it.
            Place::Unmatched => {}
            Place::Evicted if row == root => {
                let own =
                    self.target_exits.iter().find(|(at, _)| *at == row).map(|(_, potential)| *potential);
                match own {
                    Some(exit_potential) => {
                        let reached = distance + self.exit_cost + potential - exit_potential;
                        if reached < *best {
                            *best = reached;
                            *exit = Exit::OwnDummy;
                        }
                    }
                    None => {
                        let reached = distance + self.exit_cost + potential - self.sink_potential;
                        self.reach_sink(reached, From::Row(row), *best);
                    }
                }
            }
            _ => {
                let reached = distance + self.exit_cost + potential - self.sink_potential;
                self.reach_sink(reached, From::Row(row), *best);
            }
        }
        let range = self.problem.row_starts[r]..self.problem.row_starts[r + 1];
        for at in range {
            let column = self.problem.columns[at];
            if Some(column) == current {
                continue;
            }
            let cost = self.top - i64::from(self.problem.weights[at]);
            let reached = distance + cost + potential - self.column_potential[column as usize];
            self.reach_column(column, reached, From::Row(row), best, exit);
        }
    }

    fn scan_column(&mut self, column: u32, distance: i64, best: i64) {
        let c = column as usize;
        let potential = self.column_potential[c];
        let held = self.members[c].len() as u32 + self.target_slots[c];
        if held < self.problem.capacity(c) {
            self.reach_sink(distance + potential - self.sink_potential, From::Column(column), best);
        }
        for at in 0..self.members[c].len() {
            let member = self.members[c][at];
            let Place::In { cost, .. } = self.places[member as usize] else { continue };
            let reached = distance - cost + potential - self.row_potential[member as usize];
            self.reach_row(member, reached, From::Column(column), best);
        }
    }

    /// From the sink: a free target exit, then, lazily, any column (one of its
    /// rows leaves it) or row on its exit (it takes a column instead).
    fn scan_sink(&mut self, distance: i64, best: &mut i64, exit: &mut Exit) {
        let potential = self.sink_potential;
        for &(row, exit_potential) in &self.target_exits {
            let reached = distance + potential - exit_potential;
            if reached < *best {
                *best = reached;
                *exit = Exit::Dummy(row);
            }
        }
        self.advance_cursor(*best);
    }

    /// Walks the path back from `exit`, moving each row on it to the next node.
    fn augment(&mut self, root: u32, exit: Exit) {
        #[derive(Clone, Copy)]
        enum Node {
            Row(u32),
            Column(u32),
            Sink,
        }
        let mut node = match exit {
            Exit::OwnDummy => {
                self.target_exits.retain(|(row, _)| *row != root);
                self.settle(root, None);
                return;
            }
            Exit::Dummy(row) => {
                // The exit is held from the sink again: its row routes as any other.
                self.target_exits.retain(|(at, _)| *at != row);
                Node::Sink
            }
            Exit::Column(column) => {
                self.target_slots[column as usize] -= 1;
                Node::Column(column)
            }
        };
        loop {
            node = match node {
                Node::Column(column) => match self.column_from[column as usize] {
                    From::Row(row) => {
                        self.settle(row, Some(column));
                        Node::Row(row)
                    }
                    _ => Node::Sink,
                },
                Node::Row(row) => match self.row_from[row as usize] {
                    From::Column(column) => Node::Column(column),
                    From::Sink => Node::Sink,
                    _ => return,
                },
                Node::Sink => match self.sink_from {
                    From::Row(row) => {
                        self.settle(row, None);
                        Node::Row(row)
                    }
                    From::Column(column) => Node::Column(column),
                    _ => return,
                },
            };
        }
    }

    /// Moves `row` into `column`, or onto its exit.
    fn settle(&mut self, row: u32, column: Option<u32>) {
        match self.places[row as usize] {
            Place::In { column: from, .. } => self.leave(row, from),
            Place::Unmatched => {
                self.from_sink.remove(&self.sink_key(row));
            }
            Place::Evicted => {}
        }
        self.places[row as usize] = match column {
            Some(column) => {
                self.members[column as usize].push(row);
                let weight =
                    self.problem.edges(row as usize).find(|(at, _)| *at == column).map_or(0, |(_, w)| w);
                Place::In { column, cost: self.top - i64::from(weight) }
            }
            None => {
                self.from_sink.insert(self.sink_key(row));
                Place::Unmatched
            }
        };
    }

    fn leave(&mut self, row: u32, column: u32) {
        let members = &mut self.members[column as usize];
        if let Some(at) = members.iter().position(|member| *member == row) {
            members.swap_remove(at);
        }
    }
}
