//! Realistic random instances for tests and benchmarks: a city whose area grows
//! with its students so density (and so candidates per need) stays about constant.
//! The dense shapes are the big-city regime: a compact city, wide transit reach and
//! many virtual openings, so a need sees hundreds of feasible openings.
//! Deterministic for a seed: the generator is SplitMix64, written out here because
//! its sequence must never change under us between benchmark runs.

use crate::validate::{
    RawAgreement, RawBackgroundCheck, RawExistingMatch, RawInstance, RawNeed, RawOpening, RawPair,
    RawPartner, RawPlace, RawStudent, RawWindow,
};

/// Where students live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Spread evenly over the city.
    Uniform,
    /// Bunched in neighbourhoods, so demand piles up where capacity is short.
    Clustered,
    /// A compact city (83 students per km²: 100k students on about 30 × 40 km), 8%
    /// of tutoring and mentoring virtual at any size, most students on transit with
    /// up to 45 minutes' reach: a need has a few hundred feasible openings.
    Dense,
    /// [`Shape::Dense`] with homes bunched in neighbourhoods.
    DenseClustered,
}

impl Shape {
    fn is_dense(self) -> bool {
        matches!(self, Shape::Dense | Shape::DenseClustered)
    }

    fn is_clustered(self) -> bool {
        matches!(self, Shape::Clustered | Shape::DenseClustered)
    }
}

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Number of students; openings are a third of that.
    pub students: usize,
    /// RNG seed.
    pub seed: u64,
    /// Where students live.
    pub shape: Shape,
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and fixed forever.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of `items`, uniformly.
    pub fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len())]
    }

    /// A standard normal deviate (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.unit().max(f64::MIN_POSITIVE);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

const CENTRE: (f64, f64) = (41.88, -87.63);
/// Kilometres per degree of latitude (and of longitude at the equator).
const KM_PER_DEGREE: f64 = 111.195;
/// Students per km²: with openings a third of that, a need sees a few dozen
/// candidates, as in a suburban district.
const STUDENTS_PER_KM2: f64 = 10.0;
/// The dense shapes' students per km²: 100k students on 1,200 km².
const DENSE_STUDENTS_PER_KM2: f64 = 83.0;
/// The dense shapes' share of virtual tutoring and mentoring openings, whatever the size.
const DENSE_VIRTUAL_SHARE: f64 = 0.08;
const TUTORING_SUBJECTS: [&str; 10] = [
    "algebra",
    "geometry",
    "reading",
    "writing",
    "biology",
    "chemistry",
    "physics",
    "history",
    "spanish",
    "coding",
];
const FIELDS: [&str; 10] = [
    "healthcare",
    "engineering",
    "arts",
    "business",
    "law",
    "education",
    "technology",
    "trades",
    "science",
    "media",
];
const LANGUAGES: [(&str, f64); 8] = [
    ("en", 0.58),
    ("es", 0.2),
    ("zh", 0.05),
    ("vi", 0.05),
    ("ar", 0.04),
    ("so", 0.03),
    ("ht", 0.03),
    ("pl", 0.02),
];
const WEEKDAYS: [&str; 5] = ["MON", "TUE", "WED", "THU", "FRI"];
const AS_OF: &str = "2026-09-14";

/// Generates an instance for `spec`.
pub fn generate(spec: Spec) -> RawInstance {
    let mut rng = Rng::new(spec.seed);
    let dense = spec.shape.is_dense();
    let per_km2 = if dense { DENSE_STUDENTS_PER_KM2 } else { STUDENTS_PER_KM2 };
    let radius_km = (spec.students as f64 / (std::f64::consts::PI * per_km2)).sqrt().max(1.0);
    let n_openings = (spec.students / 3).max(1);
    let n_partners = (n_openings / 10).max(1);
    let hubs: Vec<(f64, f64)> =
        (0..(spec.students / 4000).max(3)).map(|_| disk_point(&mut rng, radius_km)).collect();

    let partners: Vec<RawPartner> = (0..n_partners).map(|index| partner(&mut rng, index)).collect();
    // Virtual openings serve the whole district, so their number stays about a
    // hundred whatever the size: otherwise every remote student's candidates
    // would grow with the city. The dense shapes are that city.
    let virtual_share = if dense { DENSE_VIRTUAL_SHARE } else { (100.0 / n_openings as f64).min(0.08) };
    let openings: Vec<RawOpening> =
        (0..n_openings).map(|index| opening(&mut rng, index, n_partners, radius_km, virtual_share)).collect();
    let students: Vec<RawStudent> = (0..spec.students)
        .map(|index| {
            let home = if spec.shape.is_clustered() {
                let hub = *rng.pick(&hubs);
                let (north, east) = (rng.normal() * 2.0, rng.normal() * 2.0);
                (hub.0 + north / KM_PER_DEGREE, hub.1 + east / (KM_PER_DEGREE * hub.0.to_radians().cos()))
            } else {
                disk_point(&mut rng, radius_km)
            };
            student(&mut rng, index, home, dense)
        })
        .collect();

    let mut existing_matches = Vec::new();
    let mut declined = Vec::new();
    for index in 0..spec.students {
        if rng.chance(0.02) {
            let opening = rng.below(n_openings);
            let day = *rng.pick(&WEEKDAYS);
            existing_matches.push(RawExistingMatch {
                student_id: format!("s-{index}"),
                opening_id: format!("o-{opening}"),
                sessions: Some(vec![window(day, "15:00", "16:00")]),
            });
        }
        if rng.chance(0.01) {
            declined.push(RawPair {
                student_id: format!("s-{index}"),
                opening_id: format!("o-{}", rng.below(n_openings)),
            });
        }
    }
    RawInstance {
        as_of: AS_OF.to_owned(),
        students: Some(students),
        openings: Some(openings),
        partners: Some(partners),
        existing_matches: Some(existing_matches),
        declined: Some(declined),
        weights: None,
        held_elsewhere: Default::default(),
    }
}

/// A point uniform in the city disk, as (lat, lon).
fn disk_point(rng: &mut Rng, radius_km: f64) -> (f64, f64) {
    let r = radius_km * rng.unit().sqrt();
    let angle = std::f64::consts::TAU * rng.unit();
    offset(r * angle.cos(), r * angle.sin())
}

fn offset(north_km: f64, east_km: f64) -> (f64, f64) {
    let lat = CENTRE.0 + north_km / KM_PER_DEGREE;
    let lon = CENTRE.1 + east_km / (KM_PER_DEGREE * CENTRE.0.to_radians().cos());
    (lat.clamp(-90.0, 90.0), lon.clamp(-180.0, 180.0))
}

fn window(day: &str, start: &str, end: &str) -> RawWindow {
    RawWindow { day: day.to_owned(), start: start.to_owned(), end: end.to_owned() }
}

fn language(rng: &mut Rng) -> &'static str {
    let mut roll = rng.unit();
    for (code, share) in LANGUAGES {
        if roll < share {
            return code;
        }
        roll -= share;
    }
    "en"
}

fn some_of(rng: &mut Rng, items: &[&str], most: usize) -> Vec<String> {
    let count = 1 + rng.below(most);
    let mut chosen: Vec<String> = (0..count).map(|_| rng.pick(items).to_string()).collect();
    chosen.sort();
    chosen.dedup();
    chosen
}

fn partner(rng: &mut Rng, index: usize) -> RawPartner {
    let agreement = match rng.below(20) {
        0 => RawAgreement {
            starts_on: Some("2025-08-01".into()),
            ends_on: Some("2026-09-13".into()),
            data_sharing: Some(true),
        },
        1 => RawAgreement {
            starts_on: Some("2026-08-01".into()),
            ends_on: Some("2027-07-31".into()),
            data_sharing: Some(false),
        },
        _ => RawAgreement {
            starts_on: Some("2026-08-01".into()),
            ends_on: Some("2027-07-31".into()),
            data_sharing: Some(true),
        },
    };
    RawPartner { id: format!("p-{index}"), agreements: Some(vec![agreement]) }
}

fn opening(rng: &mut Rng, index: usize, n_partners: usize, radius_km: f64, virtual_share: f64) -> RawOpening {
    let kind = match rng.below(10) {
        0..=4 => "TUTORING",
        5..=7 => "MENTORING",
        _ => "INTERNSHIP",
    };
    let subjects =
        if kind == "TUTORING" { some_of(rng, &TUTORING_SUBJECTS, 3) } else { some_of(rng, &FIELDS, 2) };
    let mut languages = vec!["en".to_owned()];
    if rng.chance(0.4) {
        languages.push(language(rng).to_owned());
    }
    if rng.chance(0.05) {
        languages = vec![language(rng).to_owned()];
    }
    languages.sort();
    languages.dedup();
    let is_virtual = kind != "INTERNSHIP" && rng.chance(virtual_share);
    let (lat, lon) = disk_point(rng, radius_km);
    let (start, end) =
        *rng.pick(&[("15:00", "17:00"), ("15:30", "18:00"), ("16:00", "19:00"), ("14:30", "16:30")]);
    let first = rng.below(5);
    let n_days = 2 + rng.below(3);
    let mut schedule: Vec<RawWindow> =
        (0..n_days).map(|k| window(WEEKDAYS[(first + k) % 5], start, end)).collect();
    if rng.chance(0.15) {
        schedule.push(window("SAT", "10:00", "13:00"));
    }
    let min_grade = if kind == "INTERNSHIP" { 10 } else { rng.below(7) as i64 };
    let check = match rng.below(20) {
        0 => None,
        1 => Some(RawBackgroundCheck {
            cleared_on: Some("2024-06-01".into()),
            expires_on: Some("2026-06-01".into()),
        }),
        _ => Some(RawBackgroundCheck {
            cleared_on: Some("2026-01-10".into()),
            expires_on: Some("2027-01-10".into()),
        }),
    };
    RawOpening {
        id: format!("o-{index}"),
        partner_id: format!("p-{}", rng.below(n_partners)),
        kind: kind.to_owned(),
        subjects,
        languages,
        r#virtual: Some(is_virtual),
        place: (!is_virtual).then_some(RawPlace { lat, lon }),
        pickup_radius_km: rng.chance(0.1).then(|| 2.0 + rng.unit() * 6.0),
        schedule,
        session_minutes: *rng.pick(&[45, 60, 60, 90]),
        sessions_per_week: Some(1 + i64::from(rng.chance(0.3))),
        capacity: 1 + rng.below(5) as i64,
        min_grade: Some(min_grade),
        max_grade: Some((min_grade + 4 + rng.below(6) as i64).min(12)),
        min_age: (kind == "INTERNSHIP" && rng.chance(0.3)).then_some(16),
        background_check: check,
    }
}

/// One student; `dense` raises the shares on transit and willing to travel far,
/// drawing as many random numbers either way (the other shapes never change).
fn student(rng: &mut Rng, index: usize, home: (f64, f64), dense: bool) -> RawStudent {
    let grade = 3 + rng.below(10) as i64;
    let birth_year = 2026 - 6 - grade;
    let birth_date = format!("{birth_year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
    let first = language(rng).to_owned();
    let mut languages = vec![first.clone()];
    if first != "en" && rng.chance(0.7) {
        languages.push("en".to_owned());
    }
    let mut travel_modes = vec!["WALK".to_owned()];
    if rng.chance(if dense { 0.85 } else { 0.6 }) {
        travel_modes.push("TRANSIT".to_owned());
    }
    if rng.chance(0.3) {
        travel_modes.push("BIKE".to_owned());
    }
    if rng.chance(0.15) {
        travel_modes.push("CAR".to_owned());
    }
    let first_day = rng.below(5);
    let n_days = 2 + rng.below(4);
    let (start, end) = *rng.pick(&[("15:00", "18:00"), ("15:30", "17:30"), ("14:45", "19:00")]);
    let mut availability: Vec<RawWindow> =
        (0..n_days).map(|k| window(WEEKDAYS[(first_day + k) % 5], start, end)).collect();
    if rng.chance(0.2) {
        availability.push(window("SAT", "09:00", "14:00"));
    }
    let mut needs = Vec::new();
    if rng.chance(0.75) {
        needs.push(RawNeed {
            kind: "TUTORING".into(),
            subjects: Some(some_of(rng, &TUTORING_SUBJECTS, 2)),
            waiting_days: None,
        });
    }
    if rng.chance(0.35) {
        needs.push(RawNeed {
            kind: "MENTORING".into(),
            subjects: Some(some_of(rng, &FIELDS, 2)),
            waiting_days: None,
        });
    }
    if grade >= 10 && rng.chance(0.4) {
        needs.push(RawNeed {
            kind: "INTERNSHIP".into(),
            subjects: Some(some_of(rng, &FIELDS, 2)),
            waiting_days: None,
        });
    }
    RawStudent {
        id: format!("s-{index}"),
        grade,
        birth_date: Some(birth_date),
        languages,
        home: RawPlace { lat: home.0.clamp(-90.0, 90.0), lon: home.1.clamp(-180.0, 180.0) },
        travel_modes: Some(travel_modes),
        max_travel_minutes: *rng.pick(if dense {
            &[20.0, 30.0, 45.0, 45.0, 45.0]
        } else {
            &[15.0, 20.0, 30.0, 30.0, 45.0]
        }),
        remote_ok: Some(rng.chance(if dense { 0.8 } else { 0.7 })),
        availability,
        needs,
        priority: Some(rng.below(4) as i64),
        consent_on_file: Some(rng.chance(0.95)),
    }
}
