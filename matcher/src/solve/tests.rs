use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use proptest::prelude::*;

use super::*;

/// (matched, total weight) by trying every assignment: exact for tiny problems.
fn brute_force(problem: &Problem) -> (usize, i64) {
    fn walk(problem: &Problem, row: usize, left: &mut [u32], matched: usize, total: i64) -> (usize, i64) {
        if row == problem.n_rows() {
            return (matched, total);
        }
        let mut best = walk(problem, row + 1, left, matched, total);
        for (column, weight) in problem.edges(row) {
            if left[column as usize] > 0 {
                left[column as usize] -= 1;
                best = best.max(walk(problem, row + 1, left, matched + 1, total + i64::from(weight)));
                left[column as usize] += 1;
            }
        }
        best
    }
    let mut left = problem.capacities.clone();
    walk(problem, 0, &mut left, 0, 0)
}

/// (matched, total weight) from Kuhn–Munkres on the whole slot-expanded matrix,
/// with the count folded into the weight: a second, independent oracle.
fn kuhn_munkres_oracle(problem: &Problem) -> (usize, i64) {
    let slots: Vec<u32> = (0..problem.n_columns() as u32)
        .flat_map(|column| {
            std::iter::repeat_n(column, (problem.capacity(column as usize) as usize).min(problem.n_rows()))
        })
        .collect();
    let side = problem.n_rows().max(slots.len()).max(1);
    let big = 1_000_000_000i64;
    let mut matrix = Matrix::new(side, side, 0i64);
    for row in 0..problem.n_rows() {
        for (column, weight) in problem.edges(row) {
            for (slot, at) in slots.iter().enumerate() {
                if *at == column {
                    matrix[(row, slot)] = big + i64::from(weight);
                }
            }
        }
    }
    let (total, _) = kuhn_munkres(&matrix);
    ((total / big) as usize, total % big)
}

/// Checks an assignment is one: edges exist, capacities hold, totals add up.
fn check_valid(problem: &Problem, solution: &Solution) {
    let mut used = vec![0u32; problem.n_columns()];
    let mut total = 0i64;
    for (row, column) in solution.assignment.iter().enumerate() {
        let Some(column) = column else { continue };
        let weight = problem.edges(row).find(|(at, _)| at == column).map(|(_, weight)| weight);
        let weight = weight.expect("assigned along an edge");
        used[*column as usize] += 1;
        total += i64::from(weight);
    }
    for (column, used) in used.iter().enumerate() {
        assert!(*used <= problem.capacity(column), "column {column} over capacity");
    }
    assert_eq!(solution.matched, solution.assignment.iter().flatten().count());
    assert_eq!(solution.total_weight, total);
}

fn problem_strategy(max_rows: usize, max_columns: usize, max_weight: u32) -> impl Strategy<Value = Problem> {
    (1..=max_rows, 1..=max_columns).prop_flat_map(move |(n_rows, n_columns)| {
        let capacities = prop::collection::vec(0u32..=3, n_columns);
        let rows = prop::collection::vec(
            prop::collection::vec((0..n_columns as u32, 0..=max_weight), 0..=n_columns.min(4)),
            n_rows,
        );
        (capacities, rows).prop_map(|(capacities, rows)| {
            let mut problem = Problem::new(capacities);
            for edges in rows {
                problem.add_row(edges);
            }
            problem
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn every_method_agrees_with_brute_force(problem in problem_strategy(7, 5, 20)) {
        let best = brute_force(&problem);
        for method in [None, Some(Method::ShortestPaths), Some(Method::KuhnMunkres), Some(Method::Greedy)] {
            let solution = solve_with(&problem, method).unwrap();
            check_valid(&problem, &solution);
            prop_assert_eq!((solution.matched, solution.total_weight), best, "method {:?}", method);
        }
    }

    #[test]
    fn shortest_paths_agree_with_kuhn_munkres_on_larger_problems(problem in problem_strategy(24, 14, 600_000)) {
        let oracle = kuhn_munkres_oracle(&problem);
        let solution = solve_with(&problem, Some(Method::ShortestPaths)).unwrap();
        check_valid(&problem, &solution);
        prop_assert_eq!((solution.matched, solution.total_weight), oracle);
        prop_assert_eq!(solve(&problem).unwrap(), solve(&problem).unwrap());
    }

    #[test]
    fn ties_and_zero_weights_still_maximise_the_count(problem in problem_strategy(10, 6, 1)) {
        let best = brute_force(&problem);
        let solution = solve(&problem).unwrap();
        check_valid(&problem, &solution);
        prop_assert_eq!((solution.matched, solution.total_weight), best);
    }
}

#[test]
fn count_comes_before_weight() {
    // Row 0 alone could take column 0 for 100, but then row 1 stays unmatched:
    // two matches at 2 beat one at 100.
    let mut problem = Problem::new(vec![1, 1]);
    problem.add_row([(0, 100), (1, 1)]);
    problem.add_row([(0, 1)]);
    for method in [None, Some(Method::ShortestPaths), Some(Method::KuhnMunkres)] {
        let solution = solve_with(&problem, method).unwrap();
        assert_eq!(solution.assignment, vec![Some(1), Some(0)]);
        assert_eq!((solution.matched, solution.total_weight), (2, 2));
    }
}

#[test]
fn capacity_fills_with_the_heaviest_rows() {
    let mut problem = Problem::new(vec![2]);
    problem.add_row([(0, 5)]);
    problem.add_row([(0, 9)]);
    problem.add_row([(0, 7)]);
    let solution = solve(&problem).unwrap();
    assert_eq!(solution.assignment, vec![None, Some(0), Some(0)]);
    assert_eq!(solution.total_weight, 16);
}

#[test]
fn rows_without_edges_and_empty_problems() {
    let solution = solve(&Problem::new(vec![])).unwrap();
    assert_eq!(solution.matched, 0);
    let mut problem = Problem::new(vec![0, 1]);
    problem.add_row([(0, 5)]);
    problem.add_row([]);
    problem.add_row([(7, 5)]);
    let solution = solve(&problem).unwrap();
    assert_eq!(solution.assignment, vec![None, None, None]);
}

#[test]
fn slots_of_a_column_share_one_copy_of_its_edges() {
    // Six rows compete for two columns (3 and 2 slots): a row-surplus component,
    // solved from its slots.
    let mut problem = Problem::new(vec![3, 2]);
    for row in 0..6u32 {
        problem.add_row([(0, 10 + row), (1, 20 - row)]);
    }
    let components = split_components(&problem);
    let (transposed, slot_columns, unit_rows) = transpose(&components[0], |_| true, |_| true);
    assert_eq!(slot_columns, vec![0, 0, 0, 1, 1]);
    assert_eq!(unit_rows, (0..6).collect::<Vec<u32>>());
    assert_eq!(transposed.n_rows(), 5);
    // One copy per column (12 edges), not one per slot (30).
    assert_eq!(transposed.edge_columns.len(), problem.n_edges());
    for slot in 0..3 {
        let edges: Vec<Edge> = transposed.edges(slot).collect();
        assert_eq!(edges, (0..6).map(|row| (row, 10 + row)).collect::<Vec<_>>());
    }
    assert_eq!(
        transposed.edges(4).collect::<Vec<_>>(),
        (0..6).map(|row| (row, 20 - row)).collect::<Vec<_>>()
    );
    // Column 0 takes rows 3–5 (13 + 14 + 15), column 1 rows 0–1 (20 + 19).
    let solution = solve_with(&problem, Some(Method::ShortestPaths)).unwrap();
    assert_eq!(solution.assignment, vec![Some(1), Some(1), None, Some(0), Some(0), Some(0)]);
    assert_eq!((solution.matched, solution.total_weight), (5, 81));
}

/// Solves `problem` without the edges `added` ((row, column) pairs), then repairs
/// with the rows that had one.
fn repaired_after_adding(problem: &Problem, added: &[(usize, u32)]) -> Solution {
    let (sub, _) = without_some(problem, |row, at| {
        let column = problem.edges(row).nth(at).map(|(column, _)| column);
        added.iter().any(|(r, c)| *r == row && Some(*c) == column)
    });
    let before = solve(&sub).unwrap();
    let duals = Duals::of(&sub, &before, top_weight(problem)).unwrap();
    let mut changed: Vec<u32> = added.iter().map(|(row, _)| *row as u32).collect();
    changed.dedup();
    repair::repair(problem, &before, &duals, &changed).unwrap()
}

#[test]
fn a_repair_moves_a_row_into_the_slot_an_eviction_freed_through_the_sink() {
    // Row 0 holds column 0, row 1 settles for column 1 (1 point against 10 in
    // column 0). Row 0 gains an edge to the free column 2: the optimum moves it
    // there and row 1 into column 0, leaving column 1 empty, a path that crosses
    // the sink (row 0 → column 2 → sink → column 1 → row 1 → column 0).
    let mut problem = Problem::new(vec![1, 1, 1]);
    problem.add_row([(0, 10), (2, 8)]);
    problem.add_row([(0, 10), (1, 1)]);
    let repaired = repaired_after_adding(&problem, &[(0, 2)]);
    assert_eq!(repaired.assignment, vec![Some(2), Some(0)]);
    assert_eq!((repaired.matched, repaired.total_weight), (2, 18));
}

#[test]
fn a_repair_matches_a_row_that_was_unmatched_through_the_sink() {
    // Column 0 (one slot) holds row 0; row 1 is unmatched. Row 0 gains an edge to
    // column 1: it moves there and row 1, on its exit, takes column 0.
    let mut problem = Problem::new(vec![1, 1]);
    problem.add_row([(0, 10), (1, 3)]);
    problem.add_row([(0, 4)]);
    let repaired = repaired_after_adding(&problem, &[(0, 1)]);
    assert_eq!(repaired.assignment, vec![Some(1), Some(0)]);
    assert_eq!((repaired.matched, repaired.total_weight), (2, 7));
}

#[test]
fn a_repair_of_an_unmatched_row_takes_a_column_or_stays_out() {
    // Row 1 was unmatched (column 0 is row 0's); its new edge to column 1 matches it.
    let mut problem = Problem::new(vec![1, 1]);
    problem.add_row([(0, 10)]);
    problem.add_row([(0, 9), (1, 2)]);
    let repaired = repaired_after_adding(&problem, &[(1, 1)]);
    assert_eq!(repaired.assignment, vec![Some(0), Some(1)]);
    // Its new edge to a full column it cannot win leaves it out.
    let mut problem = Problem::new(vec![1, 1]);
    problem.add_row([(0, 10), (1, 1)]);
    problem.add_row([(1, 5), (0, 2)]);
    problem.add_row([(1, 4), (0, 3)]);
    let repaired = repaired_after_adding(&problem, &[(2, 0)]);
    assert_eq!(repaired.assignment, vec![Some(0), Some(1), None]);
    assert_eq!((repaired.matched, repaired.total_weight), (2, 15));
}

/// The problem without the edges `drop` picks, by (row, position in the row).
fn without_some(problem: &Problem, drop: impl Fn(usize, usize) -> bool) -> (Problem, Vec<(usize, Edge)>) {
    let mut sub = Problem::new(problem.capacities.clone());
    let mut dropped = Vec::new();
    for row in 0..problem.n_rows() {
        let mut kept = Vec::new();
        for (at, edge) in problem.edges(row).enumerate() {
            if drop(row, at) {
                dropped.push((row, edge));
            } else {
                kept.push(edge);
            }
        }
        sub.add_row(kept);
    }
    (sub, dropped)
}

fn top_weight(problem: &Problem) -> u32 {
    problem.weights.iter().copied().max().unwrap_or(0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_duals_of_an_optimum_price_out_every_unused_edge(problem in problem_strategy(24, 14, 600_000)) {
        let solution = solve(&problem).unwrap();
        let duals = Duals::of(&problem, &solution, top_weight(&problem)).expect("an optimum settles");
        for row in 0..problem.n_rows() {
            for (column, weight) in problem.edges(row).filter(|(column, _)| solution.assignment[row] != Some(*column)) {
                prop_assert!(duals.prices_out(row, column, weight), "row {} column {}", row, column);
            }
        }
    }

    #[test]
    fn the_duals_find_an_improving_edge_exactly_when_one_was_left_out(
        problem in problem_strategy(12, 8, 50),
        seed in any::<u64>(),
    ) {
        let (sub, dropped) = without_some(&problem, |row, at| (seed >> ((row * 3 + at) % 64)) & 1 == 1);
        let solution = solve(&sub).unwrap();
        let duals = Duals::of(&sub, &solution, top_weight(&problem)).expect("an optimum settles");
        let improvable = dropped.iter().any(|(row, (column, weight))| !duals.prices_out(*row, *column, *weight));
        let whole = brute_force(&problem);
        // No improving edge proves the sub-problem's optimum is the whole one's;
        // a worse sub-problem optimum always shows one.
        if !improvable {
            prop_assert_eq!((solution.matched, solution.total_weight), whole);
        }
        if (solution.matched, solution.total_weight) != whole {
            prop_assert!(improvable);
        }
    }

    #[test]
    fn a_row_its_reach_passes_over_has_no_improving_edge_however_the_duals_moved(
        problem in problem_strategy(24, 14, 50),
        seeds in (any::<u64>(), any::<u64>(), any::<u64>()),
    ) {
        // Three rounds on nested sub-problems, each holding more of the edges, as
        // pricing grows them: the duals move between rounds.
        let (a, b, c) = seeds;
        let top = top_weight(&problem);
        let mut reach = reach::Reach::new(problem.n_rows());
        for mask in [a | b | c, b | c, c] {
            let (sub, dropped) = without_some(&problem, |row, at| (mask >> ((row * 3 + at) % 64)) & 1 == 1);
            let solution = solve(&sub).unwrap();
            let duals = Duals::of(&sub, &solution, top).expect("an optimum settles");
            reach.advance(&duals);
            for row in 0..problem.n_rows() {
                let left_out: Vec<Edge> =
                    dropped.iter().filter(|(at, _)| *at == row).map(|(_, edge)| *edge).collect();
                let Some(heaviest) = left_out.iter().map(|(_, weight)| *weight).max() else { continue };
                let improving = left_out.iter().any(|(column, weight)| !duals.prices_out(row, *column, *weight));
                if reach.may_improve(&duals, row, heaviest) {
                    let farthest = left_out.iter().map(|(column, weight)| duals.reach(*column, *weight)).max();
                    reach.record(row, farthest.unwrap_or(i64::MIN));
                } else {
                    prop_assert!(!improving, "row {} passed over with an improving edge", row);
                }
            }
        }
    }

    #[test]
    fn solving_on_the_heaviest_edges_then_pricing_reaches_the_optimum(
        problem in problem_strategy(24, 14, 600_000),
        keep in 1usize..4,
        bring_in in 1usize..3,
    ) {
        let (solution, stats) = solve_sparse(&problem, keep, bring_in).unwrap();
        check_valid(&problem, &solution);
        let whole = solve(&problem).unwrap();
        prop_assert_eq!((solution.matched, solution.total_weight), (whole.matched, whole.total_weight));
        prop_assert!(stats.rounds >= 1 && stats.edges <= problem.n_edges());
        prop_assert_eq!(solve_sparse(&problem, keep, bring_in).unwrap(), (solution, stats));
    }

    #[test]
    fn resuming_each_pricing_round_from_the_last_optimum_reaches_the_optimum(
        problem in problem_strategy(24, 14, 600_000),
        keep in 1usize..4,
        bring_in in 1usize..3,
    ) {
        let whole = solve(&problem).unwrap();
        let (resumed, stats) = solve_sparse_with(&problem, &AllHeld, keep, bring_in, Resume::Always).unwrap();
        check_valid(&problem, &resumed);
        prop_assert_eq!((resumed.matched, resumed.total_weight), (whole.matched, whole.total_weight));
        prop_assert_eq!(stats.resumed, stats.rounds - 1);
        let (solved, cold) = solve_sparse_with(&problem, &AllHeld, keep, bring_in, Resume::Never).unwrap();
        prop_assert_eq!((solved.matched, solved.total_weight), (whole.matched, whole.total_weight));
        prop_assert_eq!(cold.resumed, 0);
    }

    #[test]
    fn a_repair_after_adding_edges_is_an_optimum_of_the_larger_problem(
        problem in problem_strategy(40, 12, 5_000),
        seed in any::<u64>(),
        evict_all in any::<bool>(),
    ) {
        // Drop edges at random, solve without them, then add them back: the rows
        // with an improving added edge (or every row that got one) are repaired.
        let (sub, dropped) = without_some(&problem, |row, at| (seed >> ((row * 5 + at) % 64)) & 1 == 1);
        let before = solve(&sub).unwrap();
        let duals = Duals::of(&sub, &before, top_weight(&problem)).expect("an optimum settles");
        let mut changed: Vec<u32> = dropped
            .iter()
            .filter(|(row, (column, weight))| evict_all || !duals.prices_out(*row, *column, *weight))
            .map(|(row, _)| *row as u32)
            .collect();
        // Unsorted and repeated, as a caller might list them.
        changed.reverse();
        changed.extend(changed.clone());
        let repaired = repair::repair(&problem, &before, &duals, &changed).unwrap();
        check_valid(&problem, &repaired);
        let whole = solve(&problem).unwrap();
        prop_assert_eq!((repaired.matched, repaired.total_weight), (whole.matched, whole.total_weight));
        // And it is an optimum in the strong sense: its duals settle and price out
        // every unused edge.
        let after = Duals::of(&problem, &repaired, top_weight(&problem)).expect("a repaired optimum settles");
        for row in 0..problem.n_rows() {
            for (column, weight) in problem.edges(row).filter(|(column, _)| repaired.assignment[row] != Some(*column)) {
                prop_assert!(after.prices_out(row, column, weight));
            }
        }
    }

    #[test]
    fn resuming_on_larger_problems_matches_a_whole_solve(
        problem in problem_strategy(160, 40, 1_000),
        keep in 1usize..3,
    ) {
        let whole = solve(&problem).unwrap();
        let (resumed, _) = solve_sparse_with(&problem, &AllHeld, keep, 1, Resume::Always).unwrap();
        check_valid(&problem, &resumed);
        prop_assert_eq!((resumed.matched, resumed.total_weight), (whole.matched, whole.total_weight));
    }

    #[test]
    fn resuming_with_ties_and_scarce_slots_still_maximises_the_count(
        problem in problem_strategy(12, 5, 2),
        keep in 1usize..3,
    ) {
        let (resumed, _) = solve_sparse_with(&problem, &AllHeld, keep, 1, Resume::Always).unwrap();
        check_valid(&problem, &resumed);
        prop_assert_eq!((resumed.matched, resumed.total_weight), brute_force(&problem));
    }
}

/// A problem that holds only each row's `held` heaviest edges (ties to the lower
/// column), the rest of `whole` read on demand as the engine finds candidates again.
struct Heaviest<'a> {
    whole: &'a Problem,
    bounds: Vec<Option<u32>>,
}

impl<'a> Heaviest<'a> {
    fn of(whole: &'a Problem, held: usize) -> (Problem, Heaviest<'a>) {
        let mut problem = Problem::new(whole.capacities.clone());
        let mut bounds = Vec::new();
        for row in 0..whole.n_rows() {
            let mut edges: Vec<Edge> = whole.edges(row).collect();
            edges.sort_by_key(|(column, weight)| (std::cmp::Reverse(*weight), *column));
            bounds.push(edges.get(held).map(|(_, weight)| *weight));
            edges.truncate(held);
            problem.add_row(edges);
        }
        (problem, Heaviest { whole, bounds })
    }
}

impl Beyond for Heaviest<'_> {
    fn bound(&self, row: usize) -> Option<u32> {
        self.bounds[row]
    }

    fn for_each_edge(&self, row: usize, wanted: &dyn Fn(u32) -> bool, visit: &mut dyn FnMut(Edge)) {
        // Backwards, as the engine's visiting order is not the problem's.
        let edges: Vec<Edge> = self.whole.edges(row).filter(|(column, _)| wanted(*column)).collect();
        edges.into_iter().rev().for_each(visit);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn pricing_edges_read_beyond_the_problem_reaches_the_whole_optimum(
        whole in problem_strategy(24, 14, 600_000),
        held in 1usize..4,
        keep in 1usize..3,
        bring_in in 1usize..3,
        resume in prop_oneof![Just(Resume::Always), Just(Resume::Never), Just(Resume::Few)],
    ) {
        let (problem, beyond) = Heaviest::of(&whole, held);
        let (solution, stats) = solve_sparse_with(&problem, &beyond, keep, bring_in, resume).unwrap();
        check_valid(&whole, &solution);
        let optimum = solve(&whole).unwrap();
        prop_assert_eq!((solution.matched, solution.total_weight), (optimum.matched, optimum.total_weight));
        // Rows are read beyond only after their held edges are settled.
        prop_assert!(stats.brought_from_beyond <= stats.rows_read_beyond * bring_in);
    }

    #[test]
    fn pricing_beyond_with_ties_and_scarce_slots_still_maximises_the_count(
        whole in problem_strategy(12, 5, 2),
        held in 1usize..3,
    ) {
        let (problem, beyond) = Heaviest::of(&whole, held);
        let (solution, _) = solve_sparse_with(&problem, &beyond, 1, 1, Resume::Always).unwrap();
        check_valid(&whole, &solution);
        prop_assert_eq!((solution.matched, solution.total_weight), brute_force(&whole));
    }
}

#[test]
fn pricing_reads_beyond_the_problem_for_the_edge_that_matches_one_more_row() {
    // Row 1 holds only its edge to column 0 (one slot, row 0's too); its edge to
    // column 1 is beyond the problem. Matching both rows needs it read and brought in.
    let mut whole = Problem::new(vec![1, 1]);
    whole.add_row([(0, 10)]);
    whole.add_row([(0, 9), (1, 2)]);
    let (problem, beyond) = Heaviest::of(&whole, 1);
    assert_eq!(problem.n_edges(), 2);
    for resume in [Resume::Never, Resume::Always] {
        let (solution, stats) = solve_sparse_with(&problem, &beyond, 4, 4, resume).unwrap();
        assert_eq!(solution.assignment, vec![Some(0), Some(1)]);
        assert_eq!((solution.matched, solution.total_weight), (2, 12));
        // Row 0 holds all it has; row 1 is read twice: once to bring the edge
        // in, once to find nothing more.
        assert_eq!((stats.rows_read_beyond, stats.brought_from_beyond), (2, 1));
        assert_eq!((stats.rounds, stats.edges), (2, 3));
    }
}

#[test]
fn an_edge_beyond_that_cannot_improve_is_read_and_left_out() {
    // Row 1's edge beyond (to the full column 0) can only displace row 0 for less:
    // row 1 is read once, nothing comes in, and the first solve stands.
    let mut whole = Problem::new(vec![1, 1]);
    whole.add_row([(0, 10)]);
    whole.add_row([(1, 8), (0, 3)]);
    let (problem, beyond) = Heaviest::of(&whole, 1);
    let (solution, stats) = solve_sparse_with(&problem, &beyond, 4, 4, Resume::Few).unwrap();
    assert_eq!((solution.matched, solution.total_weight), (2, 18));
    assert_eq!((stats.rows_read_beyond, stats.brought_from_beyond, stats.rounds), (1, 0, 1));
}

#[test]
fn pricing_brings_in_the_edge_that_matches_one_more_row() {
    // Row 1 keeps only its heaviest edge, to column 0 (one slot) as row 0's: the
    // first solve matches one row; the duals must bring in row 1's edge to column 1.
    let mut problem = Problem::new(vec![1, 1]);
    problem.add_row([(0, 10)]);
    problem.add_row([(0, 9), (1, 2)]);
    for resume in [Resume::Never, Resume::Always] {
        let (solution, stats) = solve_sparse_with(&problem, &AllHeld, 1, 1, resume).unwrap();
        assert_eq!((solution.matched, solution.total_weight), (2, 12));
        assert_eq!(solution.assignment, vec![Some(0), Some(1)]);
        let resumed = usize::from(resume == Resume::Always);
        assert_eq!(stats, SparseStats { rounds: 2, edges: 3, resumed, ..SparseStats::default() });
    }
}

#[test]
fn pricing_leaves_out_edges_that_cannot_improve() {
    // Row 1's light edge to the full column 0 can only displace row 0 for less.
    let mut problem = Problem::new(vec![1, 1]);
    problem.add_row([(0, 10)]);
    problem.add_row([(1, 8), (0, 3)]);
    let (solution, stats) = solve_sparse(&problem, 1, 1).unwrap();
    assert_eq!((solution.matched, solution.total_weight), (2, 18));
    assert_eq!(stats, SparseStats { rounds: 1, edges: 2, resumed: 0, ..SparseStats::default() });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The split is the same with its matching grown by Hopcroft–Karp's layered
    /// phases, from the rows or from the columns, or by plain ones (the
    /// Dulmage–Mendelsohn parts do not depend on the matching).
    #[test]
    fn the_split_is_the_same_grown_in_layered_or_plain_phases(problem in problem_strategy(30, 12, 50)) {
        for component in split_components(&problem) {
            let layered = parts::split_from(&component, parts::Grow::Layered);
            prop_assert_eq!(&layered, &parts::split_from(&component, parts::Grow::FromRows));
            prop_assert_eq!(&layered, &parts::split_from(&component, parts::Grow::FromSlots));
            // A part transposed straight from the component is the transpose of
            // its copy, slot for slot and edge for edge.
            let in_part = |row: usize| layered.rows[row] == parts::Part::RowSurplus;
            let column_in_part = |column: usize| layered.columns[column] == parts::Part::RowSurplus;
            let (straight, slot_columns, unit_rows) = transpose(&component, in_part, column_in_part);
            let copy = restrict(&component, in_part, column_in_part);
            let (of_copy, copy_slot_columns, copy_unit_rows) = transpose(&copy, |_| true, |_| true);
            prop_assert_eq!(&straight.block_starts, &of_copy.block_starts);
            prop_assert_eq!(&straight.row_blocks, &of_copy.row_blocks);
            prop_assert_eq!(&straight.edge_columns, &of_copy.edge_columns);
            prop_assert_eq!(&straight.edge_weights, &of_copy.edge_weights);
            prop_assert_eq!(&straight.capacities, &of_copy.capacities);
            let in_component = |locals: &[u32], of: &[u32]| locals.iter().map(|at| of[*at as usize]).collect::<Vec<u32>>();
            prop_assert_eq!(slot_columns, in_component(&copy_slot_columns, &copy.columns));
            prop_assert_eq!(unit_rows, in_component(&copy_unit_rows, &copy.rows));
            let surplus = |part| layered.rows.iter().filter(|at| **at == part).count();
            // A row-surplus part exists exactly when some row cannot be matched.
            let unmatched = component.n_rows() - solve_component(&component, None).unwrap().iter().flatten().count();
            prop_assert_eq!(surplus(parts::Part::RowSurplus) > 0, unmatched > 0);
        }
    }
}
