//! The dense city shapes, and the optimality duals on the graphs they make: every
//! kind's optimum carries a certificate, and solving on a few edges per need then
//! pricing the rest reaches the same optimum.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test stops at the first broken input")]

use std::collections::BTreeMap;

use matcher::calendar::WeekWindows;
use matcher::candidates::{Found, KindIndex, NeedRef};
use matcher::feasibility::Standing;
use matcher::generate::{Shape, Spec, generate};
use matcher::model::{Instance, Kind};
use matcher::solve::{Duals, Problem, solve, solve_sparse};
use matcher::{Options, Silent, parse_instance};

fn city(students: usize, seed: u64, shape: Shape) -> Instance {
    parse_instance(&generate(Spec { students, seed, shape })).unwrap()
}

/// Each kind's candidate graph, every student's whole availability free.
fn graphs(instance: &Instance) -> Vec<(Kind, Problem)> {
    let standing = Standing::of(instance);
    let free: Vec<WeekWindows> =
        instance.students().iter().map(|student| student.availability().clone()).collect();
    Kind::MATCH_ORDER
        .into_iter()
        .map(|kind| {
            let needs: Vec<NeedRef<'_>> = instance
                .students()
                .iter()
                .enumerate()
                .filter_map(|(student, record)| {
                    record
                        .needs()
                        .iter()
                        .find(|need| need.kind() == kind)
                        .map(|need| NeedRef { student, need })
                })
                .collect();
            let mut problem = Problem::new(standing.free_slots.clone());
            for found in KindIndex::build(instance, &standing, kind).find_all(&needs, &free) {
                if let Found::Candidates(candidates) = found {
                    problem.add_row(candidates.iter().map(|candidate| (candidate.opening, candidate.score)));
                }
            }
            (kind, problem)
        })
        .collect()
}

fn candidates_per_need(graphs: &[(Kind, Problem)]) -> f64 {
    let edges: usize = graphs.iter().map(|(_, problem)| problem.n_edges()).sum();
    let rows: usize = graphs.iter().map(|(_, problem)| problem.n_rows()).sum();
    edges as f64 / rows as f64
}

#[test]
fn dense_cities_give_a_need_several_times_the_candidates() {
    for (plain, dense) in [(Shape::Uniform, Shape::Dense), (Shape::Clustered, Shape::DenseClustered)] {
        let plain = candidates_per_need(&graphs(&city(3_000, 5, plain)));
        let dense = candidates_per_need(&graphs(&city(3_000, 5, dense)));
        assert!(dense > 2.0 * plain, "{dense:.1} candidates per need against {plain:.1}");
    }
}

#[test]
fn every_kind_of_a_dense_city_has_an_optimality_certificate_and_a_sparse_route_to_it() {
    let mut priced_rounds = 0;
    for (seed, shape) in [(1, Shape::Dense), (2, Shape::DenseClustered), (3, Shape::Dense)] {
        for (kind, problem) in graphs(&city(700, seed, shape)) {
            let whole = solve(&problem).unwrap();
            let top =
                (0..problem.n_rows()).flat_map(|row| problem.edges(row)).map(|(_, weight)| weight).max();
            let duals = Duals::of(&problem, &whole, top.unwrap_or(0)).expect("an optimum settles");
            for row in 0..problem.n_rows() {
                for (column, weight) in problem.edges(row) {
                    if whole.assignment[row] != Some(column) {
                        assert!(
                            duals.prices_out(row, column, weight),
                            "{kind:?}: row {row}, column {column}"
                        );
                    }
                }
            }
            let (sparse, stats) = solve_sparse(&problem, 3, 2).unwrap();
            assert_eq!(
                (sparse.matched, sparse.total_weight),
                (whole.matched, whole.total_weight),
                "{kind:?}"
            );
            assert!(stats.edges < problem.n_edges(), "{kind:?}: {stats:?}");
            priced_rounds += stats.rounds - 1;
        }
    }
    // Three kept edges per need are never enough in a dense city: pricing worked.
    assert!(priced_rounds > 0);
}

#[test]
fn the_engine_solves_dense_kinds_on_few_edges_and_still_reaches_each_kinds_optimum() {
    for (seed, shape) in [(4, Shape::Dense), (5, Shape::DenseClustered)] {
        let instance = city(3_000, seed, shape);
        let outcome = matcher::run(&instance, Options { keep_candidates: true }, &mut Silent).unwrap();
        let free_slots = Standing::of(&instance).free_slots;
        let mut dense_kinds = 0;
        for kind in Kind::MATCH_ORDER {
            // The graph this kind's solve saw, as the run exports it.
            let mut rows: BTreeMap<u32, Vec<(u32, u32)>> = BTreeMap::new();
            for pair in outcome.candidates.iter().filter(|pair| pair.kind == kind) {
                rows.entry(pair.student).or_default().push((pair.opening, pair.score));
            }
            let mut problem = Problem::new(free_slots.clone());
            for edges in rows.into_values() {
                problem.add_row(edges);
            }
            dense_kinds += usize::from(problem.n_edges() >= 64 * problem.n_rows());
            let whole = solve(&problem).unwrap();
            let made: Vec<_> = outcome.assignments.iter().filter(|made| made.kind == kind).collect();
            let total: i64 = made.iter().map(|made| i64::from(made.breakdown.score())).sum();
            assert_eq!((made.len(), total), (whole.matched, whole.total_weight), "{shape:?} {kind:?}");
        }
        // Otherwise the run never took the sparse route this test is about.
        assert!(dense_kinds > 0, "{shape:?}: no kind averaged 64 candidates per need");
    }
}
