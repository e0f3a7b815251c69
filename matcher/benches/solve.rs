//! Criterion benches of the two heavy phases on generated cities of growing size:
//! candidate generation (indexes, feasibility, scores) and the exact solver.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use matcher::candidates::{Found, KindIndex, NeedRef};
use matcher::feasibility::Standing;
use matcher::generate::{Shape, Spec, generate};
use matcher::model::{Instance, Kind};
use matcher::parse_instance;
use matcher::solve::{Problem, solve};

const SIZES: [usize; 3] = [1_000, 5_000, 20_000];

fn city(students: usize, shape: Shape) -> Instance {
    parse_instance(&generate(Spec { students, seed: 7, shape })).expect("generated instances are valid")
}

/// The tutoring round: the largest kind.
fn tutoring_needs(instance: &Instance) -> Vec<NeedRef<'_>> {
    instance
        .students()
        .iter()
        .enumerate()
        .filter_map(|(student, record)| {
            record
                .needs()
                .iter()
                .find(|need| need.kind() == Kind::Tutoring)
                .map(|need| NeedRef { student, need })
        })
        .collect()
}

fn free_time(instance: &Instance) -> Vec<matcher::calendar::WeekWindows> {
    instance.students().iter().map(|student| student.availability().clone()).collect()
}

fn candidates(c: &mut Criterion) {
    let mut group = c.benchmark_group("candidates");
    group.sample_size(10);
    for shape in [Shape::Uniform, Shape::Clustered] {
        for students in SIZES {
            let instance = city(students, shape);
            let standing = Standing::of(&instance);
            let needs = tutoring_needs(&instance);
            let free = free_time(&instance);
            let id = BenchmarkId::new(format!("{shape:?}"), students);
            group.bench_with_input(id, &students, |b, _| {
                b.iter(|| {
                    let index = KindIndex::build(&instance, &standing, Kind::Tutoring);
                    black_box(index.find_all(&needs, &free))
                })
            });
        }
    }
    group.finish();
}

fn solver(c: &mut Criterion) {
    let mut group = c.benchmark_group("solve");
    group.sample_size(10);
    for shape in [Shape::Uniform, Shape::Clustered] {
        for students in SIZES {
            let instance = city(students, shape);
            let standing = Standing::of(&instance);
            let needs = tutoring_needs(&instance);
            let free = free_time(&instance);
            let index = KindIndex::build(&instance, &standing, Kind::Tutoring);
            let mut problem = Problem::new(standing.free_slots.clone());
            for found in index.find_all(&needs, &free) {
                if let Found::Candidates(candidates) = found {
                    problem.add_row(candidates.iter().map(|candidate| (candidate.opening, candidate.score)));
                }
            }
            let id = BenchmarkId::new(format!("{shape:?}"), students);
            group.bench_with_input(id, &problem, |b, problem| b.iter(|| black_box(solve(problem))));
        }
    }
    group.finish();
}

criterion_group!(benches, candidates, solver);
criterion_main!(benches);
