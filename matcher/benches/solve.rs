//! Criterion benches of the two heavy phases on generated cities of growing size:
//! candidate generation (indexes, feasibility, scores) and the exact solver.

#![allow(clippy::expect_used, reason = "a benchmark stops at the first broken input")]

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

/// Runs `bench` on the tutoring round of each city size and shape.
fn each_city(c: &mut Criterion, name: &str, bench: impl Fn(&mut criterion::Bencher<'_>, &Round<'_>)) {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    for shape in [Shape::Uniform, Shape::Clustered] {
        for students in SIZES {
            let instance = city(students, shape);
            let standing = Standing::of(&instance);
            let round = Round { instance: &instance, standing: &standing, needs: tutoring_needs(&instance) };
            group.bench_with_input(BenchmarkId::new(format!("{shape:?}"), students), &round, &bench);
        }
    }
    group.finish();
}

/// What one kind's round works on.
struct Round<'a> {
    instance: &'a Instance,
    standing: &'a Standing,
    needs: Vec<NeedRef<'a>>,
}

impl Round<'_> {
    fn find(&self) -> Vec<Found> {
        let free = free_time(self.instance);
        KindIndex::build(self.instance, self.standing, Kind::Tutoring).find_all(&self.needs, &free)
    }
}

fn candidates(c: &mut Criterion) {
    each_city(c, "candidates", |b, round| b.iter(|| black_box(round.find())));
}

fn solver(c: &mut Criterion) {
    each_city(c, "solve", |b, round| {
        let mut problem = Problem::new(round.standing.free_slots.clone());
        for found in round.find() {
            if let Found::Candidates(candidates) = found {
                problem.add_row(candidates.iter().map(|candidate| (candidate.opening, candidate.score)));
            }
        }
        b.iter(|| black_box(solve(&problem)))
    });
}

criterion_group!(benches, candidates, solver);
criterion_main!(benches);
