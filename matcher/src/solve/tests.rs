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
