//! Candidate generation against a scan of every student × opening with the
//! reference tests (`assess`, `rate_pair`): the same feasible openings with the
//! same scores, for generated cities whose kinds have few terms (the indexes' term
//! masks are exact) and many (the masks share bits and the sets are compared).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test stops at the first broken input")]

use matcher::calendar::WeekWindows;
use matcher::candidates::{Best, Candidate, Found, KindIndex, NeedRef, RuledOut, rate_pair};
use matcher::feasibility::{Constraint, Pair, Standing, assess};
use matcher::generate::{Rng, Shape, Spec, generate};
use matcher::model::{Instance, Kind};
use matcher::{RawInstance, parse_instance};

/// 99 ISO 639-1 codes (the engine accepts no others).
/// How many candidates a need keeps in the check of `find_all_within`.
const HELD: usize = 5;

const CODES: &str = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs \
    cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu \
    hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln \
    lo lt lu";

/// Adds made-up subjects (of `extra`) and languages (of 99) to openings and
/// needs, so that a kind has more than 64 of each.
fn with_many_terms(mut raw: RawInstance, extra: usize, seed: u64) -> RawInstance {
    let codes: Vec<&str> = CODES.split_whitespace().collect();
    assert_eq!(codes.len(), 99);
    let mut rng = Rng::new(seed);
    for opening in raw.openings.iter_mut().flatten() {
        for _ in 0..1 + rng.below(2) {
            opening.subjects.push(format!("s{}", rng.below(extra)));
        }
        for _ in 0..2 {
            opening.languages.push(codes[rng.below(codes.len())].to_owned());
        }
    }
    for student in raw.students.iter_mut().flatten() {
        if rng.chance(0.5) {
            student.languages.push(codes[rng.below(codes.len())].to_owned());
        }
        for need in &mut student.needs {
            let subjects = need.subjects.get_or_insert_with(Vec::new);
            for _ in 0..rng.below(3) {
                subjects.push(format!("s{}", rng.below(extra)));
            }
        }
    }
    raw
}

/// Every opening of the kind tested with `assess`: the candidates a scan finds.
fn scanned(
    instance: &Instance,
    standing: &Standing,
    need: NeedRef<'_>,
    free: &WeekWindows,
) -> Vec<Candidate> {
    (0..instance.openings().len())
        .filter(|opening| instance.openings()[*opening].kind() == need.need.kind())
        .filter_map(|opening| {
            let pair = Pair { student: need.student, need: need.need, free, opening };
            let facts = assess(instance, standing, pair).1?;
            let score = rate_pair(instance, standing, need, opening, facts).score();
            Some(Candidate { opening: opening as u32, score })
        })
        .collect()
}

/// How many openings of the kind fail each constraint, by `assess`.
fn tally(instance: &Instance, standing: &Standing, need: NeedRef<'_>, free: &WeekWindows) -> RuledOut {
    let mut counts: RuledOut = [0; 11];
    for opening in 0..instance.openings().len() {
        if instance.openings()[opening].kind() != need.need.kind() {
            continue;
        }
        let pair = Pair { student: need.student, need: need.need, free, opening };
        let violations = assess(instance, standing, pair).0;
        for constraint in Constraint::ALL {
            counts[constraint.index()] += u32::from(violations.contains(constraint));
        }
    }
    counts
}

/// Compares the index with the scan for every need (candidates, or the
/// `ruledOutBy` tally of a need without any); returns how many candidates and
/// needs without any there were, so a test can tell it checked something.
fn compare(instance: &Instance) -> (usize, usize) {
    let standing = Standing::of(instance);
    let free: Vec<WeekWindows> =
        instance.students().iter().map(|student| student.availability().clone()).collect();
    let (mut total, mut nothing) = (0, 0);
    for kind in Kind::MATCH_ORDER {
        let needs: Vec<NeedRef<'_>> = instance
            .students()
            .iter()
            .enumerate()
            .filter_map(|(student, record)| {
                record.needs().iter().find(|need| need.kind() == kind).map(|need| NeedRef { student, need })
            })
            .collect();
        let index = KindIndex::build(instance, &standing, kind);
        let within = index.find_all_within(&needs, &free, HELD);
        for ((need, found), trimmed) in needs.iter().zip(index.find_all(&needs, &free)).zip(within) {
            let expected = scanned(instance, &standing, *need, &free[need.student]);
            // Found again one by one, in any order: the same candidates.
            let mut again = Vec::new();
            index.for_each_candidate(*need, &free[need.student], |candidate| again.push(candidate));
            again.sort_by_key(|candidate| candidate.opening);
            assert_eq!(again, expected, "student {} kind {kind:?}", need.student);
            let mut among = Vec::new();
            let wanted = |opening: u32| opening % 3 == 1;
            index.for_each_candidate_among(*need, &free[need.student], wanted, |candidate| {
                among.push(candidate)
            });
            among.sort_by_key(|candidate| candidate.opening);
            again.retain(|candidate| wanted(candidate.opening));
            assert_eq!(among, again, "student {} kind {kind:?}", need.student);
            // Kept within a limit: the heaviest, ties to the lower opening.
            if expected.len() > HELD {
                let mut heaviest = expected.clone();
                heaviest.sort_by_key(|candidate| (std::cmp::Reverse(candidate.score), candidate.opening));
                let beyond = heaviest[HELD..].iter().map(|candidate| candidate.score).max().unwrap();
                heaviest.truncate(HELD);
                heaviest.sort_by_key(|candidate| candidate.opening);
                let best = Best { candidates: heaviest, count: expected.len(), beyond };
                assert_eq!(trimmed, Found::Best(best), "student {} kind {kind:?}", need.student);
            } else {
                assert_eq!(trimmed, found, "student {} kind {kind:?}", need.student);
            }
            match found {
                Found::Best(_) => panic!("find_all keeps every candidate"),
                Found::Candidates(candidates) => {
                    assert_eq!(candidates, expected, "student {} kind {kind:?}", need.student);
                    total += candidates.len();
                }
                Found::Nothing(ruled_out) => {
                    assert!(expected.is_empty(), "student {} kind {kind:?}", need.student);
                    let tally = tally(instance, &standing, *need, &free[need.student]);
                    assert_eq!(ruled_out, tally, "student {} kind {kind:?}", need.student);
                    nothing += 1;
                }
            }
        }
    }
    (total, nothing)
}

#[test]
fn the_index_finds_what_a_scan_finds() {
    for (seed, shape) in
        [(1, Shape::Uniform), (2, Shape::Clustered), (3, Shape::Dense), (4, Shape::DenseClustered)]
    {
        let instance = parse_instance(&generate(Spec { students: 400, seed, shape })).unwrap();
        let (candidates, nothing) = compare(&instance);
        assert!(
            candidates > 1000 && nothing > 5,
            "seed {seed}: too little to tell ({candidates}, {nothing})"
        );
    }
}

#[test]
fn the_index_finds_what_a_scan_finds_with_more_than_64_terms() {
    for (seed, shape) in [(5, Shape::Uniform), (6, Shape::Dense)] {
        let raw = with_many_terms(generate(Spec { students: 900, seed, shape }), 150, seed);
        let instance = parse_instance(&raw).unwrap();
        let (candidates, nothing) = compare(&instance);
        assert!(
            candidates > 1000 && nothing > 5,
            "seed {seed}: too little to tell ({candidates}, {nothing})"
        );
    }
}
