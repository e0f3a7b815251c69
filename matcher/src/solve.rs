//! Optimal assignment with capacities: rows (needs) to columns (openings), each
//! row at most once, each column up to its capacity, maximising first the number
//! of rows matched and then the total weight. This module knows graphs, not
//! students.
//!
//! The graph is split into connected components, solved in parallel (rayon) and
//! put back together in component order, so the answer does not depend on the
//! number of threads. A component with one row or one column is solved greedily
//! (exact there); a small dense one by `pathfinding::kuhn_munkres` on the
//! slot-expanded matrix; the rest by successive shortest paths (`solve/ssp.rs`) on each
//! part of its Dulmage–Mendelsohn split (`solve/parts.rs`), rooted on the part's scarce
//! side: a search that ends unmatched explores its whole region, one on the scarce
//! side always ends at a free partner.

mod duals;
mod parts;
mod queue;
mod reach;
mod repair;
mod ssp;

pub use duals::Duals;

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use rayon::prelude::*;

use crate::error::Error;
use parts::Part;

/// An assignment problem in compressed sparse rows.
#[derive(Clone, Debug, Default)]
pub struct Problem {
    capacities: Vec<u32>,
    row_starts: Vec<usize>,
    columns: Vec<u32>,
    weights: Vec<u32>,
}

/// One row's edge: (column, weight).
pub type Edge = (u32, u32);

impl Problem {
    /// A problem with these column capacities and no rows yet.
    pub fn new(capacities: Vec<u32>) -> Problem {
        Problem { capacities, row_starts: vec![0], columns: Vec::new(), weights: Vec::new() }
    }

    /// Adds a row with its edges; returns the row's index. Edges to unknown or
    /// zero-capacity columns are dropped, as are repeats of a column.
    pub fn add_row(&mut self, edges: impl IntoIterator<Item = Edge>) -> usize {
        let start = self.columns.len();
        let mut ascending = true;
        for (column, weight) in edges {
            let known = self.capacities.get(column as usize).is_some_and(|capacity| *capacity > 0);
            if known {
                ascending &= self.columns[start..].last().is_none_or(|last| *last < column);
                self.columns.push(column);
                self.weights.push(weight);
            }
        }
        if !ascending {
            // Rows of hundreds of edges: sort once rather than search per edge. The
            // sort is stable, so a repeated column keeps its first weight.
            let mut edges: Vec<Edge> = self.columns.drain(start..).zip(self.weights.drain(start..)).collect();
            edges.sort_by_key(|(column, _)| *column);
            edges.dedup_by_key(|(column, _)| *column);
            for (column, weight) in edges {
                self.columns.push(column);
                self.weights.push(weight);
            }
        }
        self.row_starts.push(self.columns.len());
        self.row_starts.len() - 2
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.row_starts.len() - 1
    }

    /// Number of columns.
    pub fn n_columns(&self) -> usize {
        self.capacities.len()
    }

    /// Number of edges.
    pub fn n_edges(&self) -> usize {
        self.columns.len()
    }

    /// The edges of `row`.
    pub fn edges(&self, row: usize) -> impl Iterator<Item = Edge> + '_ {
        let range = self.row_starts[row]..self.row_starts[row + 1];
        self.columns[range.clone()].iter().copied().zip(self.weights[range].iter().copied())
    }

    /// The capacity of `column`.
    pub fn capacity(&self, column: usize) -> u32 {
        self.capacities[column]
    }
}

/// An optimal assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Solution {
    /// Per row, its column.
    pub assignment: Vec<Option<u32>>,
    /// Rows matched.
    pub matched: usize,
    /// Sum of the matched edges' weights.
    pub total_weight: i64,
}

/// Which exact method a component was given; exposed for tests and benchmarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Pick per row or per column: exact for one row or one column.
    Greedy,
    /// `pathfinding::kuhn_munkres` on the slot-expanded square matrix.
    KuhnMunkres,
    /// Successive shortest paths with potentials.
    ShortestPaths,
}

/// Largest side of the slot-expanded matrix handed to Kuhn–Munkres (cubic).
const KUHN_MUNKRES_MAX_SIDE: usize = 40;

/// Solves `problem` exactly, choosing a method per component.
///
/// Cost: near-linear to split; per component as its method (see [`Method`]).
///
/// The optimum is lexicographic: as many rows matched as possible, then the
/// heaviest total weight among those assignments.
///
/// ```
/// use matcher::solve::{Problem, solve};
///
/// // Two rows want column 0 (one slot); row 1 can also take column 1.
/// let mut problem = Problem::new(vec![1, 1]);
/// problem.add_row([(0, 10)]);
/// problem.add_row([(0, 9), (1, 1)]);
/// let solution = solve(&problem)?;
/// // Matching both rows beats the heavier single edge (10 alone).
/// assert_eq!(solution.assignment, vec![Some(0), Some(1)]);
/// assert_eq!((solution.matched, solution.total_weight), (2, 11));
/// # Ok::<(), matcher::Error>(())
/// ```
///
/// # Errors
/// [`Error::TooLarge`] if the lexicographic costs would overflow `i64`.
pub fn solve(problem: &Problem) -> Result<Solution, Error> {
    solve_with(problem, None)
}

/// Like [`solve`], with every component forced to `method` where it applies
/// (greedy only fits one-row or one-column components; elsewhere the default runs).
///
/// # Errors
/// As [`solve`].
pub fn solve_with(problem: &Problem, method: Option<Method>) -> Result<Solution, Error> {
    let components = split_components(problem);
    let pieces = components
        .par_iter()
        .map(|component| solve_component(component, method))
        .collect::<Result<Vec<_>, Error>>()?;
    let mut assignment = vec![None; problem.n_rows()];
    let mut total_weight = 0i64;
    let mut matched = 0;
    for (component, piece) in components.iter().zip(pieces) {
        for (local_row, local_column) in piece.into_iter().enumerate() {
            let Some(local_column) = local_column else { continue };
            let row = component.rows[local_row];
            let column = component.columns[local_column as usize];
            assignment[row as usize] = Some(column);
            total_weight += i64::from(component.weight(local_row, local_column));
            matched += 1;
        }
    }
    Ok(Solution { assignment, matched, total_weight })
}

/// How [`solve_sparse`] reached its answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SparseStats {
    /// Rounds: the first solve, plus one per pricing round that brought edges in
    /// (solved again or resumed).
    pub rounds: usize,
    /// Edges of the last solve.
    pub edges: usize,
    /// Rounds resumed from the previous round's optimum rather than solved again.
    pub resumed: usize,
    /// Rows whose edges beyond the problem were read ([`Beyond`]), over all rounds.
    pub rows_read_beyond: usize,
    /// Edges brought in from beyond the problem.
    pub brought_from_beyond: usize,
}

/// Edges a problem's rows have beyond those it holds: read again, never stored,
/// for the rows whose duals leave room for one of them to improve the solution.
pub trait Beyond: Sync {
    /// An upper bound on the weight of the edges of `row` that the problem does not
    /// hold; `None` when it holds them all.
    fn bound(&self, row: usize) -> Option<u32>;
    /// Visits every edge of `row` into a column that `wanted` accepts, those the
    /// problem holds too, in any order. (Pricing wants only the columns cheap
    /// enough on the duals for an edge of the row's bound to improve: the
    /// reading can skip the rest before testing them.)
    fn for_each_edge(&self, row: usize, wanted: &dyn Fn(u32) -> bool, visit: &mut dyn FnMut(Edge));
    /// A key to read rows in: rows with near keys should read much the same
    /// data (the engine's are its students' homes on a space-filling curve).
    fn reading_key(&self, _row: usize) -> u64 {
        0
    }
}

/// Every edge is in the problem.
struct AllHeld;

impl Beyond for AllHeld {
    fn bound(&self, _row: usize) -> Option<u32> {
        None
    }

    fn for_each_edge(&self, _row: usize, _wanted: &dyn Fn(u32) -> bool, _visit: &mut dyn FnMut(Edge)) {}
}

/// When a pricing round resumes from the previous optimum ([`repair`]) rather
/// than solving again: one search per changed row, against a whole solve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resume {
    /// When at most one row in [`RESUME_SHARE`] brought edges in.
    Few,
    /// Every round (for tests).
    #[cfg_attr(not(test), allow(dead_code))]
    Always,
    /// Never (for tests).
    #[cfg_attr(not(test), allow(dead_code))]
    Never,
}

/// A round with more changed rows than one in this many solves again. Each
/// resumed row costs a Dijkstra over the plateau of tight arcs around it (about
/// 5,000 rows settled per search in a dense district's tutoring): on a dense
/// 100k-student city a repair of 10–190 rows took 0.03–0.9 s against 1–3 s for a
/// solve, one of 1,700 rows 5 s against 2.5 s.
const RESUME_SHARE: usize = 200;

/// Solves `problem` exactly, as [`solve`] does, mostly on a small part of it: each
/// row's `keep` heaviest edges (ties to the lower column). Every edge left out is
/// then priced against the optimality duals of that solve ([`Duals`]); rows with
/// an edge that could improve bring in their `bring_in` most improving ones and
/// the solve runs again, until no left-out edge can improve. The answer has the
/// same count and total weight as [`solve`] on the whole problem (the assignment
/// may differ where optima tie).
///
/// A round that brought edges to few rows (one in 200 or fewer)
/// resumes from the last optimum instead of solving again: those rows are taken
/// out and routed back by shortest paths on the last duals (`solve/repair.rs`).
///
/// Cost: the solves run on about `keep` edges per row; each pricing round reads
/// only the rows whose duals leave room for a left-out edge, and of those only the
/// ones whose edges, when last read, could have come within reach since
/// (`solve/reach.rs`); a resumed round costs one shortest-path search per changed row.
///
/// # Errors
/// As [`solve`].
pub fn solve_sparse(
    problem: &Problem,
    keep: usize,
    bring_in: usize,
) -> Result<(Solution, SparseStats), Error> {
    solve_sparse_with(problem, &AllHeld, keep, bring_in, Resume::Few)
}

/// As [`solve_sparse`], for a problem whose rows may have more edges than it
/// holds ([`Beyond`]): the rows whose bound the duals do not price out have
/// their edges read again, and the improving ones are brought in as held ones
/// are. Rows are read beside the held pricing while readings bring many in, then
/// only once no held edge can improve; the last round reads every such row and
/// finds none. The answer is the optimum of the whole graph, held and beyond,
/// and memory follows the held edges.
///
/// # Errors
/// As [`solve`].
pub fn solve_beyond(
    problem: &Problem,
    beyond: &dyn Beyond,
    keep: usize,
    bring_in: usize,
) -> Result<(Solution, SparseStats), Error> {
    solve_sparse_with(problem, beyond, keep, bring_in, Resume::Few)
}

fn solve_sparse_with(
    problem: &Problem,
    beyond: &dyn Beyond,
    keep: usize,
    bring_in: usize,
    resume: Resume,
) -> Result<(Solution, SparseStats), Error> {
    let keep = keep.max(1);
    let bring_in = bring_in.max(1);
    let n_rows = problem.n_rows();
    // Per row, the edges kept (offsets in the row, ascending, so the columns are
    // too), and the heaviest weight it has left out, if any. Rows are chosen for
    // in parallel: a dense kind has tens of millions of edges.
    let (mut kept, mut left_out): (Vec<Vec<u32>>, Vec<Option<u32>>) = (0..n_rows)
        .into_par_iter()
        .map_init(Vec::new, |ranked: &mut Vec<u32>, row| {
            let range = problem.row_starts[row]..problem.row_starts[row + 1];
            let start = range.start;
            if range.len() <= keep {
                return ((0..range.len() as u32).collect(), None);
            }
            ranked.clear();
            ranked.extend(0..range.len() as u32);
            ranked.select_nth_unstable_by_key(keep - 1, |offset| {
                let at = start + *offset as usize;
                (std::cmp::Reverse(problem.weights[at]), problem.columns[at])
            });
            let rest = ranked[keep..].iter().map(|offset| problem.weights[start + *offset as usize]).max();
            let mut chosen = ranked[..keep].to_vec();
            chosen.sort_unstable();
            (chosen, rest)
        })
        .unzip();
    let bounds: Vec<Option<u32>> = (0..n_rows).map(|row| beyond.bound(row)).collect();
    let top = problem.weights.iter().copied().chain(bounds.iter().flatten().copied()).max().unwrap_or(0);
    // Per row, the edges brought in from beyond the problem.
    let mut extra: Vec<Vec<Edge>> = vec![Vec::new(); n_rows];
    // Edges beyond are read beside the held ones' pricing until a reading brings
    // few in, then only once the held ones settle: the first readings bring in
    // most rows, and a separate chain of rounds for them doubled the solves.
    let mut read_early = true;
    let mut stats = SparseStats::default();
    // The last round's optimum, its duals and the rows that brought edges in.
    let mut previous: Option<(Solution, Duals, Vec<u32>)> = None;
    let mut reach = reach::Reach::new(n_rows);
    loop {
        let mut sub = Problem::new(problem.capacities.clone());
        for (row, kept) in kept.iter().enumerate() {
            let start = problem.row_starts[row];
            let held = kept.iter().map(|offset| {
                let at = start + *offset as usize;
                (problem.columns[at], problem.weights[at])
            });
            sub.add_row(held.chain(extra[row].iter().copied()));
        }
        let solution = match previous.take() {
            Some((solution, duals, changed)) if resumable(resume, changed.len(), n_rows) => {
                stats.resumed += 1;
                repair::repair(&sub, &solution, &duals, &changed)?
            }
            _ => solve(&sub)?,
        };
        stats.rounds += 1;
        stats.edges = sub.n_edges();
        if left_out.iter().all(Option::is_none) && bounds.iter().all(Option::is_none) {
            return Ok((solution, stats));
        }
        let Some(duals) = Duals::of(&sub, &solution, top) else {
            // Never for an exact solve; stay exact anyway, on every edge.
            stats.rounds += 1;
            stats.edges = problem.n_edges();
            return Ok((solve(problem)?, stats));
        };
        reach.advance(&duals);
        // A row's pricing reads only its own edges: rows are priced in parallel and
        // their edges brought in row order. Each row read has its reach recorded.
        let read: Vec<(usize, i64, Option<Bringing>)> = left_out
            .par_iter()
            .enumerate()
            .map_init(Vec::new, |improving: &mut Vec<(i64, u32)>, (row, left_out)| {
                let best = (*left_out)?;
                if !reach.may_improve(&duals, row, best) {
                    return None;
                }
                let start = problem.row_starts[row];
                let end = problem.row_starts[row + 1];
                improving.clear();
                // An edge's gain is the row's margin plus the edge's reach.
                let margin = duals.margin(row);
                // The heaviest left-out edge that cannot improve, and the farthest reach.
                let mut plain: Option<u32> = None;
                let mut farthest = i64::MIN;
                // The left-out edges are the runs between kept ones.
                let mut from = 0u32;
                let ends = kept[row].iter().copied().chain(std::iter::once((end - start) as u32));
                for until in ends {
                    for offset in from..until {
                        let at = start + offset as usize;
                        let weight = problem.weights[at];
                        let reach = duals.reach(problem.columns[at], weight);
                        farthest = farthest.max(reach);
                        let gain = margin.saturating_add(reach);
                        if gain > 0 {
                            improving.push((gain, offset));
                        } else {
                            plain = plain.max(Some(weight));
                        }
                    }
                    from = until + 1;
                }
                if improving.is_empty() {
                    return Some((row, farthest, None));
                }
                // The best `bring_in` by gain (ties to the lower offset), in that order.
                let split = bring_in.min(improving.len());
                let by_gain = |(gain, offset): &(i64, u32)| (std::cmp::Reverse(*gain), *offset);
                if split < improving.len() {
                    improving.select_nth_unstable_by_key(split, by_gain);
                }
                improving[..split].sort_unstable_by_key(by_gain);
                let rest = improving[split..]
                    .iter()
                    .map(|(_, offset)| problem.weights[start + *offset as usize])
                    .max();
                let chosen: Vec<u32> = improving[..split].iter().map(|(_, offset)| *offset).collect();
                Some((row, farthest, Some((chosen, rest.max(plain)))))
            })
            .flatten()
            .collect();
        let mut priced: Vec<(usize, Vec<u32>, Option<u32>)> = Vec::new();
        for (row, farthest, improving) in read {
            reach.record(row, farthest);
            if let Some((chosen, rest)) = improving {
                priced.push((row, chosen, rest));
            }
        }
        // Every priced row brings at least one edge in. A reading costs far more
        // per row than pricing held edges: once readings bring few in, they wait
        // for the held edges to settle.
        let brought = if priced.is_empty() || read_early {
            let (read, brought) = price_beyond(problem, beyond, &bounds, &duals, &solution, &sub, bring_in);
            stats.rows_read_beyond += read;
            read_early &= !resumable(Resume::Few, brought.len(), n_rows);
            brought
        } else {
            Vec::new()
        };
        if priced.is_empty() && brought.is_empty() {
            return Ok((solution, stats));
        }
        let mut changed = Vec::with_capacity(priced.len() + brought.len());
        for (row, chosen, rest) in priced {
            changed.push(row as u32);
            kept[row].extend(chosen);
            kept[row].sort_unstable();
            left_out[row] = rest;
        }
        for (row, edges) in brought {
            changed.push(row as u32);
            stats.brought_from_beyond += edges.len();
            extra[row].extend(edges);
        }
        changed.sort_unstable();
        changed.dedup();
        previous = Some((solution, duals, changed));
    }
}

/// A priced row's most improving left-out edges (offsets in the row), and the
/// heaviest weight it leaves out after them.
type Bringing = (Vec<u32>, Option<u32>);

/// Whether a round that changed `changed` of `n_rows` rows resumes.
fn resumable(resume: Resume, changed: usize, n_rows: usize) -> bool {
    match resume {
        Resume::Few => changed.saturating_mul(RESUME_SHARE) <= n_rows,
        Resume::Always => true,
        Resume::Never => false,
    }
}

/// The rows whose edges beyond `problem` could improve `solution` (of `sub`,
/// the last round's subproblem, with `duals`), each with its `bring_in` most
/// improving edges beyond (ties to the lower column); and how many rows were read.
/// Edges `problem` holds are left to its own pricing.
fn price_beyond(
    problem: &Problem,
    beyond: &dyn Beyond,
    bounds: &[Option<u32>],
    duals: &Duals,
    solution: &Solution,
    sub: &Problem,
    bring_in: usize,
) -> (usize, Vec<(usize, Vec<Edge>)>) {
    let mut rows: Vec<usize> = (0..bounds.len())
        .filter(|row| bounds[*row].is_some_and(|bound| !duals.prices_out_up_to(*row, bound)))
        .collect();
    // Read in the source's order (at a million students, input order read
    // several times slower), brought in row order.
    rows.sort_by_cached_key(|row| (beyond.reading_key(*row), *row));
    let mut brought: Vec<(usize, Vec<Edge>)> = rows
        .par_iter()
        .map_init(Vec::new, |improving: &mut Vec<(i64, u32, u32)>, &row| {
            improving.clear();
            let own = solution.assignment[row];
            let wanted = duals.columns_improvable_by(row, bounds[row].unwrap_or(0));
            beyond.for_each_edge(row, &wanted, &mut |(column, weight)| {
                let gain = duals.gain(row, column, weight);
                if gain > 0 && own != Some(column) {
                    improving.push((gain, column, weight));
                }
            });
            // Rows hold their columns ascending. `sub`'s edges price out at its
            // optimum, so the second test is a guard.
            let held = |problem: &Problem, column: u32| {
                problem.columns[problem.row_starts[row]..problem.row_starts[row + 1]]
                    .binary_search(&column)
                    .is_ok()
            };
            improving.retain(|(_, column, _)| !held(problem, *column) && !held(sub, *column));
            if improving.is_empty() {
                return None;
            }
            let split = bring_in.min(improving.len());
            let by_gain = |(gain, column, _): &(i64, u32, u32)| (std::cmp::Reverse(*gain), *column);
            if split < improving.len() {
                improving.select_nth_unstable_by_key(split, by_gain);
            }
            improving[..split].sort_unstable_by_key(by_gain);
            Some((row, improving[..split].iter().map(|(_, column, weight)| (*column, *weight)).collect()))
        })
        .flatten()
        .collect();
    brought.sort_unstable_by_key(|(row, _)| *row);
    (rows.len(), brought)
}

/// A connected component with local indices.
#[derive(Debug)]
struct Component {
    /// Global row of each local row, ascending.
    rows: Vec<u32>,
    /// Global column of each local column, ascending.
    columns: Vec<u32>,
    capacities: Vec<u32>,
    /// Edge lists in compressed sparse rows: block `b` is
    /// `edge_*[block_starts[b]..block_starts[b + 1]]`.
    block_starts: Vec<usize>,
    /// Each row's block, when rows share them (the slots of one column in
    /// [`transpose`] have the same edges: one copy rather than one per slot);
    /// `None`: row `r` has block `r`.
    row_blocks: Option<Vec<u32>>,
    edge_columns: Vec<u32>,
    edge_weights: Vec<u32>,
}

impl Component {
    fn empty() -> Component {
        Component {
            rows: Vec::new(),
            columns: Vec::new(),
            capacities: Vec::new(),
            block_starts: vec![0],
            row_blocks: None,
            edge_columns: Vec::new(),
            edge_weights: Vec::new(),
        }
    }

    fn n_rows(&self) -> usize {
        self.rows.len()
    }

    /// Ends the row being built: its edges are those pushed since the last row.
    fn end_row(&mut self) {
        self.block_starts.push(self.edge_columns.len());
    }

    fn block(&self, row: usize) -> usize {
        self.row_blocks.as_ref().map_or(row, |blocks| blocks[row] as usize)
    }

    /// Where `row`'s edges are in `edge_columns` and `edge_weights`.
    fn range(&self, row: usize) -> std::ops::Range<usize> {
        let block = self.block(row);
        self.block_starts[block]..self.block_starts[block + 1]
    }

    fn edges(&self, row: usize) -> impl Iterator<Item = Edge> + '_ {
        let range = self.range(row);
        self.edge_columns[range.clone()].iter().copied().zip(self.edge_weights[range].iter().copied())
    }

    fn weight(&self, row: usize, column: u32) -> u32 {
        self.edges(row).find(|(at, _)| *at == column).map_or(0, |(_, weight)| weight)
    }

    fn n_slots(&self) -> usize {
        self.capacities.iter().map(|capacity| (*capacity as usize).min(self.n_rows())).sum()
    }
}

/// Union–find over rows and columns; components come out ordered by their
/// smallest row, rows and columns ascending within each.
fn split_components(problem: &Problem) -> Vec<Component> {
    let n_rows = problem.n_rows();
    let mut parent: Vec<u32> = (0..(n_rows + problem.n_columns()) as u32).collect();
    for row in 0..n_rows {
        for (column, _) in problem.edges(row) {
            union(&mut parent, row as u32, (n_rows + column as usize) as u32);
        }
    }
    let mut component_of_root = vec![u32::MAX; parent.len()];
    let mut components: Vec<Component> = Vec::new();
    let mut local_column = vec![u32::MAX; problem.n_columns()];
    for row in 0..n_rows {
        if problem.row_starts[row] == problem.row_starts[row + 1] {
            continue;
        }
        let root = find(&mut parent, row as u32) as usize;
        if component_of_root[root] == u32::MAX {
            component_of_root[root] = components.len() as u32;
            components.push(Component::empty());
        }
        components[component_of_root[root] as usize].rows.push(row as u32);
    }
    for (column, local) in local_column.iter_mut().enumerate() {
        let root = find(&mut parent, (n_rows + column) as u32) as usize;
        let Some(component) = components.get_mut(component_of_root[root] as usize) else { continue };
        *local = component.columns.len() as u32;
        component.columns.push(column as u32);
        component.capacities.push(problem.capacity(column));
    }
    // One buffer for every row's edges: a dense kind has tens of thousands of rows.
    let mut edges: Vec<Edge> = Vec::new();
    for component in &mut components {
        for at in 0..component.rows.len() {
            let row = component.rows[at] as usize;
            edges.clear();
            edges.extend(problem.edges(row).map(|(column, weight)| (local_column[column as usize], weight)));
            edges.sort_unstable();
            for &(column, weight) in &edges {
                component.edge_columns.push(column);
                component.edge_weights.push(weight);
            }
            component.end_row();
        }
    }
    components
}

fn find(parent: &mut [u32], mut node: u32) -> u32 {
    while parent[node as usize] != node {
        let grandparent = parent[parent[node as usize] as usize];
        parent[node as usize] = grandparent;
        node = grandparent;
    }
    node
}

fn union(parent: &mut [u32], a: u32, b: u32) {
    let (root_a, root_b) = (find(parent, a), find(parent, b));
    // The smaller index wins so the structure is the same on every run.
    let (low, high) = if root_a < root_b { (root_a, root_b) } else { (root_b, root_a) };
    parent[high as usize] = low;
}

/// Local column per local row.
type LocalAssignment = Vec<Option<u32>>;

fn solve_component(component: &Component, forced: Option<Method>) -> Result<LocalAssignment, Error> {
    let method =
        forced.filter(|method| *method != Method::Greedy || is_star(component)).unwrap_or_else(|| {
            if is_star(component) {
                Method::Greedy
            } else if is_small_and_dense(component) {
                Method::KuhnMunkres
            } else {
                Method::ShortestPaths
            }
        });
    match method {
        Method::Greedy => Ok(solve_star(component)),
        Method::KuhnMunkres => solve_kuhn_munkres(component),
        Method::ShortestPaths => solve_by_parts(component),
    }
}

/// Successive shortest paths on each Dulmage–Mendelsohn part ([`parts`]), rooted
/// on its scarce side: a search that ends unmatched explores its whole region, a
/// search on the scarce side always ends at a free partner.
fn solve_by_parts(component: &Component) -> Result<LocalAssignment, Error> {
    let split = parts::split(component);
    let mut assignment = vec![None; component.n_rows()];
    for part in [Part::RowSurplus, Part::SlotSurplus, Part::Perfect] {
        if split.rows.iter().all(|at| *at == part) && split.columns.iter().all(|at| *at == part) {
            // One part is the whole component (common in a dense district): no copy.
            return solve_part(component, part);
        }
        let in_part = |row: usize| split.rows[row] == part;
        let column_in_part = |column: usize| split.columns[column] == part;
        if part == Part::RowSurplus {
            // Transposed straight from the component: a copy of the part first
            // cost as much again (0.75 s for the 1M city's mentoring).
            let local = solve_transposed(component, in_part, column_in_part)?;
            for (row, column) in local.into_iter().enumerate() {
                if column.is_some() {
                    assignment[row] = column;
                }
            }
            continue;
        }
        let sub = restrict(component, in_part, column_in_part);
        if sub.n_rows() == 0 {
            continue;
        }
        let local = ssp::solve(&sub)?;
        for (row, column) in local.into_iter().enumerate() {
            if let Some(column) = column {
                assignment[sub.rows[row] as usize] = Some(sub.columns[column as usize]);
            }
        }
    }
    Ok(assignment)
}

/// A part's solve, rooted on its scarce side.
fn solve_part(part_of: &Component, part: Part) -> Result<LocalAssignment, Error> {
    if part == Part::RowSurplus { solve_transposed(part_of, |_| true, |_| true) } else { ssp::solve(part_of) }
}

/// Successive shortest paths rooted on slots, on the rows and columns of
/// `component` that `keep_row` and `keep_column` accept; the rows left out stay
/// unassigned.
fn solve_transposed(
    component: &Component,
    keep_row: impl Fn(usize) -> bool,
    keep_column: impl Fn(usize) -> bool,
) -> Result<LocalAssignment, Error> {
    let (transposed, slot_columns, unit_rows) = transpose(component, keep_row, keep_column);
    let slot_rows = ssp::solve(&transposed)?;
    let mut assignment = vec![None; component.n_rows()];
    for (slot, unit) in slot_rows.into_iter().enumerate() {
        if let Some(unit) = unit {
            assignment[unit_rows[unit as usize] as usize] = Some(slot_columns[slot]);
        }
    }
    Ok(assignment)
}

/// The rows and columns of `component` that `keep_row` and `keep_column` accept,
/// with the edges between them; `rows` and `columns` of the result hold the
/// indices in `component`.
fn restrict(
    component: &Component,
    keep_row: impl Fn(usize) -> bool,
    keep_column: impl Fn(usize) -> bool,
) -> Component {
    let mut local_column = vec![u32::MAX; component.columns.len()];
    let mut sub = Component::empty();
    for (column, local) in local_column.iter_mut().enumerate() {
        if keep_column(column) {
            *local = sub.columns.len() as u32;
            sub.columns.push(column as u32);
            sub.capacities.push(component.capacities[column]);
        }
    }
    for row in (0..component.n_rows()).filter(|row| keep_row(*row)) {
        sub.rows.push(row as u32);
        for (column, weight) in component.edges(row) {
            let local = local_column[column as usize];
            if local != u32::MAX {
                sub.edge_columns.push(local);
                sub.edge_weights.push(weight);
            }
        }
        sub.end_row();
    }
    sub
}

/// The rows and columns of `component` that `keep_row` and `keep_column` accept,
/// seen from the columns: one row per slot (a column of capacity c holds
/// min(c, rows) slots, which share one copy of the column's edges), one unit
/// column per row. Returns it with each slot's column and each unit column's
/// row, as indices in `component`.
fn transpose(
    component: &Component,
    keep_row: impl Fn(usize) -> bool,
    keep_column: impl Fn(usize) -> bool,
) -> (Component, Vec<u32>, Vec<u32>) {
    // Kept rows and columns, renumbered in order.
    let unit_rows: Vec<u32> = (0..component.n_rows() as u32).filter(|row| keep_row(*row as usize)).collect();
    let mut kept_columns: Vec<u32> = Vec::new();
    let mut block_of_column = vec![u32::MAX; component.columns.len()];
    for (column, block) in block_of_column.iter_mut().enumerate() {
        if keep_column(column) {
            *block = kept_columns.len() as u32;
            kept_columns.push(column as u32);
        }
    }
    let n_blocks = kept_columns.len();
    let kept_edges = |row: u32| {
        component.edges(row as usize).filter_map(|(column, weight)| {
            Some((block_of_column[column as usize], weight)).filter(|(b, _)| *b != u32::MAX)
        })
    };
    // Counting sort by column: the rows of each column come out ascending.
    let mut block_starts = vec![0usize; n_blocks + 1];
    for &row in &unit_rows {
        for (block, _) in kept_edges(row) {
            block_starts[block as usize + 1] += 1;
        }
    }
    for block in 0..n_blocks {
        block_starts[block + 1] += block_starts[block];
    }
    let n_edges = block_starts[n_blocks];
    let mut next = block_starts.clone();
    let mut edge_columns = vec![0u32; n_edges];
    let mut edge_weights = vec![0u32; n_edges];
    for (unit, &row) in unit_rows.iter().enumerate() {
        for (block, weight) in kept_edges(row) {
            let at = &mut next[block as usize];
            edge_columns[*at] = unit as u32;
            edge_weights[*at] = weight;
            *at += 1;
        }
    }
    let mut rows = Vec::new();
    let mut row_blocks = Vec::new();
    let mut slot_columns = Vec::new();
    for (block, &column) in kept_columns.iter().enumerate() {
        let degree = block_starts[block + 1] - block_starts[block];
        let slots = (component.capacities[column as usize] as usize).min(degree);
        for _ in 0..slots {
            rows.push(column);
            row_blocks.push(block as u32);
            slot_columns.push(column);
        }
    }
    let transposed = Component {
        rows,
        columns: unit_rows.clone(),
        capacities: vec![1; unit_rows.len()],
        block_starts,
        row_blocks: Some(row_blocks),
        edge_columns,
        edge_weights,
    };
    (transposed, slot_columns, unit_rows)
}

fn is_star(component: &Component) -> bool {
    component.n_rows() == 1 || component.columns.len() == 1
}

fn is_small_and_dense(component: &Component) -> bool {
    let side = component.n_slots().max(component.n_rows());
    let cells = component.n_rows() * component.columns.len();
    side <= KUHN_MUNKRES_MAX_SIDE && 2 * component.edge_columns.len() >= cells
}

/// One row: its heaviest edge. One column: its heaviest rows up to capacity.
/// Ties go to the lower index.
fn solve_star(component: &Component) -> LocalAssignment {
    let mut assignment = vec![None; component.n_rows()];
    if component.n_rows() == 1 {
        let best = component.edges(0).max_by_key(|(column, weight)| (*weight, std::cmp::Reverse(*column)));
        assignment[0] = best.map(|(column, _)| column);
        return assignment;
    }
    let mut rows: Vec<(u32, usize)> = (0..component.n_rows())
        .map(|row| (component.edge_weights[component.range(row).start], row))
        .collect();
    rows.sort_unstable_by_key(|(weight, row)| (std::cmp::Reverse(*weight), *row));
    for (_, row) in rows.into_iter().take(component.capacities[0] as usize) {
        assignment[row] = Some(0);
    }
    assignment
}

/// Kuhn–Munkres on the square matrix of rows × slots: an edge weighs `big +
/// weight` with `big` above any total weight, a non-edge 0, so the maximum is the
/// lexicographic optimum. Cost: O(n³) for side n ≤ [`KUHN_MUNKRES_MAX_SIDE`].
fn solve_kuhn_munkres(component: &Component) -> Result<LocalAssignment, Error> {
    let n_rows = component.n_rows();
    let mut slot_columns: Vec<u32> = Vec::new();
    for (column, capacity) in component.capacities.iter().enumerate() {
        let slots = (*capacity as usize).min(n_rows);
        slot_columns.extend(std::iter::repeat_n(column as u32, slots));
    }
    let side = n_rows.max(slot_columns.len());
    let big = (0..n_rows)
        .map(|row| i64::from(component.edges(row).map(|(_, weight)| weight).max().unwrap_or(0)))
        .sum::<i64>()
        + 1;
    let mut matrix = Matrix::new(side, side, 0i64);
    for row in 0..n_rows {
        for (slot, column) in slot_columns.iter().enumerate() {
            if let Some((_, weight)) = component.edges(row).find(|(at, _)| at == column) {
                matrix[(row, slot)] = big.checked_add(i64::from(weight)).ok_or(Error::TooLarge("weights"))?;
            }
        }
    }
    let (_, slots) = kuhn_munkres(&matrix);
    Ok((0..n_rows)
        .map(|row| {
            let slot = slots[row];
            (matrix[(row, slot)] > 0).then(|| slot_columns[slot])
        })
        .collect())
}

#[cfg(test)]
mod tests;
