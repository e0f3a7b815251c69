//! An independent reading of docs/matching.md, written from the contract alone: it shares no
//! code with the engine's feasibility, scoring, calendar or geo modules. Weekly time is
//! seven bitmaps of 1440 minutes (minute `m` stands for `[m, m + 1)`), so merging and
//! subtracting windows is set arithmetic rather than interval arithmetic.
//!
//! [`check`] runs the engine on an instance and lists every way its result departs from
//! the contract. Scores are the engine's to choose; the oracle checks only what the
//! contract fixes about them (they add up, and the assignment is optimal for them).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use serde_json::Value;

/// The kinds in the order they are matched.
pub const KINDS: [&str; 3] = ["INTERNSHIP", "MENTORING", "TUTORING"];
/// The days of a week, in the order sessions are placed.
pub const DAYS: [&str; 7] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
/// The `ruledOutBy` keys, in the order of docs/matching.md.
pub const CONSTRAINTS: [&str; 11] = [
    "SUBJECTS",
    "GRADE",
    "AGE",
    "LANGUAGE",
    "SCHEDULE",
    "TRAVEL",
    "CONSENT",
    "AGREEMENT",
    "BACKGROUND_CHECK",
    "DECLINED",
    "FULL",
];
/// The criteria of a breakdown.
pub const CRITERIA: [&str; 7] =
    ["field", "travel", "schedule", "language", "priority", "continuity", "waiting"];

const MINUTES_PER_DAY: usize = 1440;
const EARTH_RADIUS_KM: f64 = 6371.0;
/// docs/matching.md: travel time is compared with a tolerance of 1e-9 minutes.
const TRAVEL_TOLERANCE_MINUTES: f64 = 1e-9;
/// The engine's documented reading of `km ≤ pickupRadiusKm`: a micrometre of slack.
const PICKUP_TOLERANCE_KM: f64 = 1e-9;

/// One way the engine's result departs from the contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Which part of the contract: `CANDIDATES`, `RULED_OUT_BY`, `OPTIMUM`, `SESSIONS`, ….
    pub rule: &'static str,
    /// What differs, with the ids involved.
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.rule, self.detail)
    }
}

/// What an instance exercised, summed over many instances to show the generator reaches
/// the boundaries it aims at.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Instances checked.
    pub instances: usize,
    /// Pairs assessed by the oracle.
    pub pairs: usize,
    /// Candidate pairs.
    pub candidates: usize,
    /// Assignments made.
    pub assignments: usize,
    /// Unmatched needs by reason.
    pub no_candidate: usize,
    /// Unmatched needs with candidates.
    pub outscored: usize,
    /// Needs filled by an existing match.
    pub filled_needs: usize,
    /// Pairs failing each constraint.
    pub failures: BTreeMap<&'static str, usize>,
    /// Pairs whose travel time is within 1e-6 minutes of the limit, by outcome.
    pub travel_edge_feasible: usize,
    /// Pairs whose travel time is above the limit by less than 1e-5 minutes but more than the tolerance.
    pub travel_edge_infeasible: usize,
    /// Pairs whose travel time is above the limit by no more than the tolerance.
    pub travel_within_tolerance: usize,
    /// Pairs whose distance is within 1e-6 km of the pick-up radius, by outcome.
    pub pickup_edge_inside: usize,
    /// Pairs whose distance is just outside the pick-up radius.
    pub pickup_edge_outside: usize,
    /// Pairs where the pick-up decided travel.
    pub pickup_decides: usize,
    /// Pairs with age exactly the minimum age.
    pub age_equal: usize,
    /// Pairs one day short of the minimum age.
    pub age_one_day_short: usize,
    /// Pairs whose schedule fit uses touching or overlapping windows only as merged.
    pub merged_fit: usize,
    /// Assignments whose free time was reduced by an earlier kind.
    pub reduced_by_earlier_kind: usize,
    /// Assignments whose free time was reduced by existing sessions.
    pub reduced_by_existing: usize,
}

impl Coverage {
    /// Adds another instance's coverage.
    pub fn add(&mut self, other: &Coverage) {
        self.instances += other.instances;
        self.pairs += other.pairs;
        self.candidates += other.candidates;
        self.assignments += other.assignments;
        self.no_candidate += other.no_candidate;
        self.outscored += other.outscored;
        self.filled_needs += other.filled_needs;
        for (key, count) in &other.failures {
            *self.failures.entry(key).or_default() += count;
        }
        self.travel_edge_feasible += other.travel_edge_feasible;
        self.travel_edge_infeasible += other.travel_edge_infeasible;
        self.travel_within_tolerance += other.travel_within_tolerance;
        self.pickup_edge_inside += other.pickup_edge_inside;
        self.pickup_edge_outside += other.pickup_edge_outside;
        self.pickup_decides += other.pickup_decides;
        self.age_equal += other.age_equal;
        self.age_one_day_short += other.age_one_day_short;
        self.merged_fit += other.merged_fit;
        self.reduced_by_earlier_kind += other.reduced_by_earlier_kind;
        self.reduced_by_existing += other.reduced_by_existing;
    }
}

/// The verdict on one instance.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Every departure from the contract; empty when the engine agrees.
    pub findings: Vec<Finding>,
    /// What the instance exercised.
    pub coverage: Coverage,
}

/// Runs the engine on `json` (twice, for determinism) and checks its result against the
/// oracle's reading of docs/matching.md.
pub fn check(json: &[u8]) -> Verdict {
    let mut verdict = Verdict::default();
    let first = match run_engine(json) {
        Ok(result) => result,
        Err(finding) => {
            verdict.findings.push(finding);
            return verdict;
        }
    };
    match run_engine(json) {
        Ok(second) if without_seconds(&second) != without_seconds(&first) => verdict.findings.push(Finding {
            rule: "DETERMINISM",
            detail: "two runs on the same input gave different results".into(),
        }),
        Ok(_) => {}
        Err(finding) => verdict.findings.push(finding),
    }
    let instance = match Instance::parse(json) {
        Ok(instance) => instance,
        Err(message) => {
            verdict.findings.push(Finding { rule: "ORACLE_INPUT", detail: message });
            return verdict;
        }
    };
    let result = match EngineResult::parse(&first) {
        Ok(result) => result,
        Err(message) => {
            verdict.findings.push(Finding { rule: "SHAPE", detail: message });
            return verdict;
        }
    };
    Checker { instance: &instance, result: &result, verdict: &mut verdict }.check_all();
    verdict.coverage.instances = 1;
    verdict
}

/// Runs the engine with candidates kept; its result document as JSON.
pub fn run_engine(json: &[u8]) -> Result<Value, Finding> {
    let attempt = catch_unwind(AssertUnwindSafe(|| -> Result<Value, String> {
        let instance = matcher::read_instance(json).map_err(|err| format!("read_instance: {err}"))?;
        let outcome =
            matcher::run(&instance, matcher::Options { keep_candidates: true }, &mut matcher::Silent)
                .map_err(|err| format!("run: {err}"))?;
        let document = matcher::result_document(&instance, &outcome, true, matcher::Seconds::default());
        serde_json::to_value(&document).map_err(|err| format!("serialize: {err}"))
    }));
    match attempt {
        Ok(Ok(result)) => Ok(result),
        Ok(Err(message)) => Err(Finding { rule: "ENGINE_ERROR", detail: message }),
        Err(_) => Err(Finding { rule: "PANIC", detail: "the engine panicked".into() }),
    }
}

fn without_seconds(result: &Value) -> Value {
    let mut result = result.clone();
    if let Some(stats) = result.get_mut("stats").and_then(Value::as_object_mut) {
        stats.remove("seconds");
    }
    result
}

// ---------------------------------------------------------------------------------------
// Time: a week as seven days of 1440 minutes.

/// A set of minutes in a week: per day, 1440 bits in 23 words (bit `m % 64` of word
/// `m / 64` is minute `m`).
#[derive(Clone, PartialEq, Eq)]
pub struct Week([[u64; WORDS_PER_DAY]; 7]);

const WORDS_PER_DAY: usize = MINUTES_PER_DAY.div_ceil(64);

impl Week {
    /// No time at all.
    pub fn empty() -> Week {
        Week([[0; WORDS_PER_DAY]; 7])
    }

    /// Adds the session's minutes; overlapping and touching windows merge by construction.
    pub fn add(&mut self, session: Session) {
        for minute in session.start..session.end {
            self.0[session.day][minute / 64] |= 1 << (minute % 64);
        }
    }

    /// Removes the session's minutes.
    pub fn remove(&mut self, session: Session) {
        for minute in session.start..session.end {
            self.0[session.day][minute / 64] &= !(1 << (minute % 64));
        }
    }

    fn has(&self, day: usize, minute: usize) -> bool {
        self.0[day][minute / 64] >> (minute % 64) & 1 == 1
    }

    /// Whether every minute of the session is in the set.
    pub fn contains(&self, session: Session) -> bool {
        (session.start..session.end).all(|minute| self.has(session.day, minute))
    }

    /// Whether any minute of the session is in the set.
    pub fn touches(&self, session: Session) -> bool {
        (session.start..session.end).any(|minute| self.has(session.day, minute))
    }

    /// The minutes in both sets.
    pub fn intersect(&self, other: &Week) -> Week {
        let mut both = self.clone();
        for (day, words) in both.0.iter_mut().enumerate() {
            for (word, other_word) in words.iter_mut().zip(&other.0[day]) {
                *word &= other_word;
            }
        }
        both
    }

    /// The earliest start on `day` of `length` contiguous minutes: the start of the first
    /// run of set minutes at least `length` long.
    pub fn earliest_fit(&self, day: usize, length: usize) -> Option<usize> {
        if length == 0 {
            return Some(0);
        }
        let (mut run_start, mut run) = (0, 0);
        for (index, &word) in self.0[day].iter().enumerate() {
            if word == 0 {
                run = 0;
                continue;
            }
            for bit in 0..64 {
                if word >> bit & 1 == 0 {
                    run = 0;
                    continue;
                }
                if run == 0 {
                    run_start = index * 64 + bit;
                }
                run += 1;
                if run >= length {
                    return Some(run_start);
                }
            }
        }
        None
    }
}

/// A weekly window `[start, end)` in minutes on `day` (0 = MON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Session {
    /// 0 = MON … 6 = SUN.
    pub day: usize,
    /// Minutes since midnight.
    pub start: usize,
    /// Minutes since midnight, up to 1440.
    pub end: usize,
}

impl fmt::Display for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}-{}", DAYS[self.day], clock(self.start), clock(self.end))
    }
}

/// `HH:MM` for minutes since midnight.
pub fn clock(minutes: usize) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn parse_clock(text: &str) -> Result<usize, String> {
    let bytes = text.as_bytes();
    let is_digits = bytes.len() == 5
        && bytes[2] == b':'
        && [0, 1, 3, 4].iter().all(|&index| bytes[index].is_ascii_digit());
    if !is_digits {
        return Err(format!("bad clock {text:?}"));
    }
    let hours = usize::from(bytes[0] - b'0') * 10 + usize::from(bytes[1] - b'0');
    let minutes = usize::from(bytes[3] - b'0') * 10 + usize::from(bytes[4] - b'0');
    let total = hours * 60 + minutes;
    if minutes >= 60 || total > MINUTES_PER_DAY {
        return Err(format!("bad clock {text:?}"));
    }
    Ok(total)
}

fn parse_session(value: &Value) -> Result<Session, String> {
    let day_name = value.get("day").and_then(Value::as_str).ok_or("window without day")?;
    let day = DAYS.iter().position(|&name| name == day_name).ok_or(format!("bad day {day_name:?}"))?;
    let start = parse_clock(value.get("start").and_then(Value::as_str).ok_or("window without start")?)?;
    let end = parse_clock(value.get("end").and_then(Value::as_str).ok_or("window without end")?)?;
    if end <= start {
        return Err(format!("window {value} ends before it starts"));
    }
    Ok(Session { day, start, end })
}

// ---------------------------------------------------------------------------------------
// Dates as days since 1970-01-01 (proleptic Gregorian).

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: i64,
    /// 1–12.
    pub month: i64,
    /// 1–31.
    pub day: i64,
}

impl Date {
    /// The date if it exists.
    pub fn new(year: i64, month: i64, day: i64) -> Option<Date> {
        ((1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day)).then_some(Date {
            year,
            month,
            day,
        })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        let shape = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(index, byte)| index == 4 || index == 7 || byte.is_ascii_digit());
        if !shape {
            return None;
        }
        Date::new(text[0..4].parse().ok()?, text[5..7].parse().ok()?, text[8..10].parse().ok()?)
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        let year = if self.month <= 2 { self.year - 1 } else { self.year };
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month_from_march = (self.month + 9) % 12;
        let day_of_year = (153 * month_from_march + 2) / 5 + self.day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` since 1970-01-01.
    pub fn from_days(days: i64) -> Date {
        let shifted = days + 719_468;
        let era = shifted.div_euclid(146_097);
        let day_of_era = shifted - era * 146_097;
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_from_march = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
        let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Date { year, month, day }
    }

    /// The date `delta` days later.
    pub fn plus(self, delta: i64) -> Date {
        Date::from_days(self.days() + delta)
    }

    /// Whole years from `self` (a birth date) to `on`.
    pub fn age_on(self, on: Date) -> i64 {
        let years = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) { years - 1 } else { years }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let is_leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if is_leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// ---------------------------------------------------------------------------------------
// Geography, exactly as docs/matching.md writes it.

/// Haversine distance in km on a sphere of radius 6371.0 km.
pub fn haversine_km(from: (f64, f64), to: (f64, f64)) -> f64 {
    let (lat1, lon1) = (from.0.to_radians(), from.1.to_radians());
    let (lat2, lon2) = (to.0.to_radians(), to.1.to_radians());
    let half_lat = ((lat2 - lat1) / 2.0).sin();
    let half_lon = ((lon2 - lon1) / 2.0).sin();
    let a = half_lat * half_lat + lat1.cos() * lat2.cos() * half_lon * half_lon;
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

/// Minutes by `mode` over a route of `route_km`.
pub fn mode_minutes(mode: &str, route_km: f64) -> f64 {
    match mode {
        "WALK" => route_km / 4.5 * 60.0,
        "BIKE" => route_km / 14.0 * 60.0,
        "TRANSIT" => 10.0 + route_km / 18.0 * 60.0,
        "CAR" => route_km / 35.0 * 60.0,
        other => panic!("unknown travel mode {other}"),
    }
}

/// The least travel time over `modes`, with the pick-up's CAR time when `km` is within
/// `pickup_radius_km`; `None` when no way is available.
pub fn least_travel_minutes(modes: &[String], km: f64, pickup_radius_km: Option<f64>) -> Option<f64> {
    let route = 1.3 * km;
    let mut times: Vec<f64> = modes.iter().map(|mode| mode_minutes(mode, route)).collect();
    if pickup_radius_km.is_some_and(|radius| km <= radius + PICKUP_TOLERANCE_KM) {
        times.push(mode_minutes("CAR", route));
    }
    times.into_iter().reduce(f64::min)
}

// ---------------------------------------------------------------------------------------
// The instance, with the defaults of docs/matching.md.

/// A student.
pub struct Student {
    /// Id.
    pub id: String,
    grade: i64,
    birth_date: Option<Date>,
    languages: BTreeSet<String>,
    home: (f64, f64),
    travel_modes: Vec<String>,
    max_travel_minutes: f64,
    remote_ok: bool,
    availability: Week,
    raw_availability: Vec<Session>,
    /// Subjects per kind.
    pub needs: BTreeMap<String, BTreeSet<String>>,
    consent_on_file: bool,
}

/// An opening.
pub struct Opening {
    /// Id.
    pub id: String,
    partner_id: String,
    /// Kind.
    pub kind: String,
    subjects: BTreeSet<String>,
    languages: BTreeSet<String>,
    is_virtual: bool,
    place: Option<(f64, f64)>,
    pickup_radius_km: Option<f64>,
    schedule: Week,
    raw_schedule: Vec<Session>,
    session_minutes: usize,
    sessions_per_week: usize,
    capacity: i64,
    min_grade: i64,
    max_grade: i64,
    min_age: Option<i64>,
    background_check: Option<(Option<Date>, Option<Date>)>,
}

struct Agreement {
    starts_on: Option<Date>,
    ends_on: Option<Date>,
    data_sharing: bool,
}

struct ExistingMatch {
    student_id: String,
    opening_id: String,
    sessions: Vec<Session>,
}

/// A parsed instance.
pub struct Instance {
    as_of: Date,
    /// Students in input order.
    pub students: Vec<Student>,
    /// Openings in input order.
    pub openings: Vec<Opening>,
    agreements: HashMap<String, Vec<Agreement>>,
    existing_matches: Vec<ExistingMatch>,
    declined: HashSet<(String, String)>,
}

/// A field that is neither absent nor null.
fn present<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|value| !value.is_null())
}

fn required<'a>(object: &'a Value, key: &str) -> Result<&'a Value, String> {
    present(object, key).ok_or_else(|| format!("missing {key} in {object}"))
}

fn text(value: &Value) -> Result<String, String> {
    value.as_str().map(str::to_owned).ok_or_else(|| format!("{value} is not a string"))
}

fn number(value: &Value) -> Result<f64, String> {
    value.as_f64().ok_or_else(|| format!("{value} is not a number"))
}

fn integer(value: &Value) -> Result<i64, String> {
    value.as_i64().ok_or_else(|| format!("{value} is not an integer"))
}

fn list(value: Option<&Value>) -> Result<&[Value], String> {
    match value {
        None => Ok(&[]),
        Some(value) => value.as_array().map(Vec::as_slice).ok_or_else(|| format!("{value} is not a list")),
    }
}

fn strings(value: Option<&Value>) -> Result<Vec<String>, String> {
    list(value)?.iter().map(text).collect()
}

fn date(value: Option<&Value>) -> Result<Option<Date>, String> {
    value.map(|value| Date::parse(&text(value)?).ok_or_else(|| format!("bad date {value}"))).transpose()
}

fn point(value: &Value) -> Result<(f64, f64), String> {
    Ok((number(required(value, "lat")?)?, number(required(value, "lon")?)?))
}

fn sessions(value: Option<&Value>) -> Result<Vec<Session>, String> {
    list(value)?.iter().map(parse_session).collect()
}

fn week(value: Option<&Value>) -> Result<Week, String> {
    let mut week = Week::empty();
    for window in sessions(value)? {
        week.add(window);
    }
    Ok(week)
}

/// The engine's documented reading: subjects compare trimmed and case-insensitively.
fn subject_key(subject: &str) -> String {
    subject.trim().to_lowercase()
}

impl Instance {
    /// Reads an instance the engine accepted, applying the defaults of docs/matching.md.
    pub fn parse(json: &[u8]) -> Result<Instance, String> {
        let root: Value = serde_json::from_slice(json).map_err(|err| err.to_string())?;
        let as_of = date(Some(required(&root, "asOf")?))?.ok_or("no asOf")?;
        let students =
            list(present(&root, "students"))?.iter().map(Student::parse).collect::<Result<Vec<_>, _>>()?;
        let openings =
            list(present(&root, "openings"))?.iter().map(Opening::parse).collect::<Result<Vec<_>, _>>()?;
        let mut agreements = HashMap::new();
        for partner in list(present(&root, "partners"))? {
            let id = text(required(partner, "id")?)?;
            let parsed = list(present(partner, "agreements"))?
                .iter()
                .map(|agreement| {
                    Ok(Agreement {
                        starts_on: date(present(agreement, "startsOn"))?,
                        ends_on: date(present(agreement, "endsOn"))?,
                        data_sharing: present(agreement, "dataSharing")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            agreements.insert(id, parsed);
        }
        let existing_matches = list(present(&root, "existingMatches"))?
            .iter()
            .map(|existing| {
                Ok(ExistingMatch {
                    student_id: text(required(existing, "studentId")?)?,
                    opening_id: text(required(existing, "openingId")?)?,
                    sessions: list(present(existing, "sessions"))?
                        .iter()
                        .map(parse_session)
                        .collect::<Result<Vec<_>, _>>()?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let declined = list(present(&root, "declined"))?
            .iter()
            .map(|pair| Ok((text(required(pair, "studentId")?)?, text(required(pair, "openingId")?)?)))
            .collect::<Result<HashSet<_>, String>>()?;
        Ok(Instance { as_of, students, openings, agreements, existing_matches, declined })
    }

    fn opening(&self, id: &str) -> Option<&Opening> {
        self.openings.iter().find(|opening| opening.id == id)
    }

    /// Capacity minus existing matches, never below zero.
    fn free_slots(&self, opening: &Opening) -> i64 {
        let taken = self.existing_matches.iter().filter(|existing| existing.opening_id == opening.id).count();
        (opening.capacity - i64::try_from(taken).unwrap_or(i64::MAX)).max(0)
    }

    /// Whether the student already fills a need of `kind` through an existing match.
    fn is_filled(&self, student: &Student, kind: &str) -> bool {
        self.existing_matches.iter().any(|existing| {
            existing.student_id == student.id
                && self.opening(&existing.opening_id).is_some_and(|opening| opening.kind == kind)
        })
    }

    /// The student's availability minus the sessions of their existing matches.
    fn initial_free_time(&self, student: &Student) -> Week {
        let mut free = student.availability.clone();
        for existing in self.existing_matches.iter().filter(|existing| existing.student_id == student.id) {
            for &session in &existing.sessions {
                free.remove(session);
            }
        }
        free
    }

    /// Every constraint the pair fails, in the order of docs/matching.md.
    fn assess(&self, student: &Student, kind: &str, opening: &Opening, free: &Week) -> Vec<&'static str> {
        let mut failures = Vec::new();
        let need_subjects = &student.needs[kind];
        if kind == "TUTORING" && need_subjects.is_disjoint(&opening.subjects) {
            failures.push("SUBJECTS");
        }
        if !(opening.min_grade <= student.grade && student.grade <= opening.max_grade) {
            failures.push("GRADE");
        }
        if let Some(min_age) = opening.min_age {
            let is_old_enough = student.birth_date.is_some_and(|birth| birth.age_on(self.as_of) >= min_age);
            if !is_old_enough {
                failures.push("AGE");
            }
        }
        if student.languages.is_disjoint(&opening.languages) {
            failures.push("LANGUAGE");
        }
        if fitting_days(free, opening).len() < opening.sessions_per_week {
            failures.push("SCHEDULE");
        }
        if !self.is_reachable(student, opening) {
            failures.push("TRAVEL");
        }
        if !student.consent_on_file {
            failures.push("CONSENT");
        }
        if !self.has_agreement(opening) {
            failures.push("AGREEMENT");
        }
        if !self.has_background_check(opening) {
            failures.push("BACKGROUND_CHECK");
        }
        let has_existing = self
            .existing_matches
            .iter()
            .any(|existing| existing.student_id == student.id && existing.opening_id == opening.id);
        if self.declined.contains(&(student.id.clone(), opening.id.clone())) || has_existing {
            failures.push("DECLINED");
        }
        if self.free_slots(opening) < 1 {
            failures.push("FULL");
        }
        failures
    }

    fn is_reachable(&self, student: &Student, opening: &Opening) -> bool {
        if opening.is_virtual {
            return student.remote_ok;
        }
        let Some(place) = opening.place else { return false };
        let km = haversine_km(student.home, place);
        least_travel_minutes(&student.travel_modes, km, opening.pickup_radius_km)
            .is_some_and(|minutes| minutes <= student.max_travel_minutes + TRAVEL_TOLERANCE_MINUTES)
    }

    fn has_agreement(&self, opening: &Opening) -> bool {
        self.agreements.get(&opening.partner_id).is_some_and(|agreements| {
            agreements.iter().any(|agreement| {
                agreement.data_sharing
                    && agreement.starts_on.is_none_or(|starts| starts <= self.as_of)
                    && agreement.ends_on.is_none_or(|ends| self.as_of <= ends)
            })
        })
    }

    fn has_background_check(&self, opening: &Opening) -> bool {
        if opening.kind == "INTERNSHIP" || opening.is_virtual {
            return true;
        }
        opening.background_check.is_some_and(|(cleared_on, expires_on)| {
            cleared_on.is_some_and(|cleared| cleared <= self.as_of)
                && expires_on.is_none_or(|expires| self.as_of <= expires)
        })
    }

    /// Fills `coverage` with the boundary cases a pair touches.
    fn observe_pair(&self, student: &Student, opening: &Opening, free: &Week, coverage: &mut Coverage) {
        if let (Some(min_age), Some(birth)) = (opening.min_age, student.birth_date) {
            if birth.age_on(self.as_of) == min_age {
                coverage.age_equal += 1;
            }
            if birth.age_on(self.as_of.plus(1)) == min_age && birth.age_on(self.as_of) == min_age - 1 {
                coverage.age_one_day_short += 1;
            }
        }
        let days = fitting_days(free, opening);
        let has_merged_fit = days.iter().any(|&(day, _)| {
            let start = free.intersect(&opening.schedule).earliest_fit(day, opening.session_minutes);
            start.is_some_and(|start| {
                let session = Session { day, start, end: start + opening.session_minutes };
                let is_inside_one = |windows: &[Session]| {
                    windows.iter().any(|w| w.day == day && w.start <= session.start && session.end <= w.end)
                };
                !is_inside_one(&student.raw_availability) || !is_inside_one(&opening.raw_schedule)
            })
        });
        if has_merged_fit {
            coverage.merged_fit += 1;
        }
        let (false, Some(place)) = (opening.is_virtual, opening.place) else { return };
        let km = haversine_km(student.home, place);
        if let Some(minutes) = least_travel_minutes(&student.travel_modes, km, opening.pickup_radius_km) {
            let excess = minutes - student.max_travel_minutes;
            if excess.abs() <= 1e-6 && excess <= TRAVEL_TOLERANCE_MINUTES {
                coverage.travel_edge_feasible += 1;
            }
            if excess > 0.0 && excess <= TRAVEL_TOLERANCE_MINUTES {
                coverage.travel_within_tolerance += 1;
            }
            if excess > TRAVEL_TOLERANCE_MINUTES && excess < 1e-5 {
                coverage.travel_edge_infeasible += 1;
            }
        }
        if let Some(radius) = opening.pickup_radius_km {
            if (km - radius).abs() <= 1e-6 {
                if km <= radius + PICKUP_TOLERANCE_KM {
                    coverage.pickup_edge_inside += 1;
                } else {
                    coverage.pickup_edge_outside += 1;
                }
            }
            let with_pickup = least_travel_minutes(&student.travel_modes, km, Some(radius));
            let without = least_travel_minutes(&student.travel_modes, km, None);
            let limit = student.max_travel_minutes + TRAVEL_TOLERANCE_MINUTES;
            if with_pickup.is_some_and(|m| m <= limit) && !without.is_some_and(|m| m <= limit) {
                coverage.pickup_decides += 1;
            }
        }
    }
}

impl Student {
    fn parse(value: &Value) -> Result<Student, String> {
        let mut needs = BTreeMap::new();
        for need in list(Some(required(value, "needs")?))? {
            let kind = text(required(need, "kind")?)?;
            let subjects = strings(present(need, "subjects"))?.iter().map(|s| subject_key(s)).collect();
            if needs.insert(kind.clone(), subjects).is_some() {
                return Err(format!("two needs of kind {kind}"));
            }
        }
        Ok(Student {
            id: text(required(value, "id")?)?,
            grade: integer(required(value, "grade")?)?,
            birth_date: date(present(value, "birthDate"))?,
            languages: strings(Some(required(value, "languages")?))?.into_iter().collect(),
            home: point(required(value, "home")?)?,
            travel_modes: strings(present(value, "travelModes"))?,
            max_travel_minutes: number(required(value, "maxTravelMinutes")?)?,
            remote_ok: present(value, "remoteOk").and_then(Value::as_bool).unwrap_or(true),
            availability: week(Some(required(value, "availability")?))?,
            raw_availability: sessions(Some(required(value, "availability")?))?,
            needs,
            consent_on_file: present(value, "consentOnFile").and_then(Value::as_bool).unwrap_or(false),
        })
    }
}

impl Opening {
    fn parse(value: &Value) -> Result<Opening, String> {
        let background_check = present(value, "backgroundCheck")
            .map(|check| {
                Ok::<_, String>((date(present(check, "clearedOn"))?, date(present(check, "expiresOn"))?))
            })
            .transpose()?;
        Ok(Opening {
            id: text(required(value, "id")?)?,
            partner_id: text(required(value, "partnerId")?)?,
            kind: text(required(value, "kind")?)?,
            subjects: strings(Some(required(value, "subjects")?))?.iter().map(|s| subject_key(s)).collect(),
            languages: strings(Some(required(value, "languages")?))?.into_iter().collect(),
            is_virtual: present(value, "virtual").and_then(Value::as_bool).unwrap_or(false),
            place: present(value, "place").map(point).transpose()?,
            pickup_radius_km: present(value, "pickupRadiusKm").map(number).transpose()?,
            schedule: week(Some(required(value, "schedule")?))?,
            raw_schedule: sessions(Some(required(value, "schedule")?))?,
            session_minutes: usize::try_from(integer(required(value, "sessionMinutes")?)?)
                .map_err(|err| err.to_string())?,
            sessions_per_week: present(value, "sessionsPerWeek")
                .map(integer)
                .transpose()?
                .map_or(Ok(1), usize::try_from)
                .map_err(|err| err.to_string())?,
            capacity: integer(required(value, "capacity")?)?,
            min_grade: present(value, "minGrade").map(integer).transpose()?.unwrap_or(0),
            max_grade: present(value, "maxGrade").map(integer).transpose()?.unwrap_or(12),
            min_age: present(value, "minAge").map(integer).transpose()?,
            background_check,
        })
    }
}

/// The days (in MON..SUN order) on which `free` and the opening's schedule share a
/// contiguous stretch of at least `sessionMinutes`, with the earliest start on each.
fn fitting_days(free: &Week, opening: &Opening) -> Vec<(usize, usize)> {
    let both = free.intersect(&opening.schedule);
    (0..7)
        .filter_map(|day| both.earliest_fit(day, opening.session_minutes).map(|start| (day, start)))
        .collect()
}

/// The sessions the engine's earliest-first reading gives the pair.
fn expected_sessions(free: &Week, opening: &Opening) -> Vec<Session> {
    fitting_days(free, opening)
        .into_iter()
        .take(opening.sessions_per_week)
        .map(|(day, start)| Session { day, start, end: start + opening.session_minutes })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The engine's result, read back from JSON.

struct Assignment {
    student_id: String,
    opening_id: String,
    kind: String,
    score: u64,
    breakdown: BTreeMap<String, u64>,
    sessions: Vec<Session>,
}

struct Unmatched {
    student_id: String,
    kind: String,
    reason: String,
    ruled_out_by: Option<BTreeMap<String, u64>>,
}

struct Candidate {
    student_id: String,
    opening_id: String,
    kind: String,
    score: u64,
}

struct EngineResult {
    assignments: Vec<Assignment>,
    unmatched: Vec<Unmatched>,
    candidates: Vec<Candidate>,
    stats: Value,
}

fn unsigned(value: &Value) -> Result<u64, String> {
    value.as_u64().ok_or_else(|| format!("{value} is not a non-negative integer"))
}

fn counts(value: &Value) -> Result<BTreeMap<String, u64>, String> {
    let object = value.as_object().ok_or_else(|| format!("{value} is not an object"))?;
    object.iter().map(|(key, count)| Ok((key.clone(), unsigned(count)?))).collect()
}

impl EngineResult {
    fn parse(result: &Value) -> Result<EngineResult, String> {
        let assignments = list(result.get("assignments"))?
            .iter()
            .map(|assignment| {
                Ok(Assignment {
                    student_id: text(required(assignment, "studentId")?)?,
                    opening_id: text(required(assignment, "openingId")?)?,
                    kind: text(required(assignment, "kind")?)?,
                    score: unsigned(required(assignment, "score")?)?,
                    breakdown: counts(required(assignment, "breakdown")?)?,
                    sessions: list(Some(required(assignment, "sessions")?))?
                        .iter()
                        .map(parse_session)
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let unmatched = list(result.get("unmatched"))?
            .iter()
            .map(|unmatched| {
                Ok(Unmatched {
                    student_id: text(required(unmatched, "studentId")?)?,
                    kind: text(required(unmatched, "kind")?)?,
                    reason: text(required(unmatched, "reason")?)?,
                    ruled_out_by: present(unmatched, "ruledOutBy").map(counts).transpose()?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let candidates = list(Some(required(result, "candidates")?))?
            .iter()
            .map(|candidate| {
                Ok(Candidate {
                    student_id: text(required(candidate, "studentId")?)?,
                    opening_id: text(required(candidate, "openingId")?)?,
                    kind: text(required(candidate, "kind")?)?,
                    score: unsigned(required(candidate, "score")?)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let stats = required(result, "stats")?.clone();
        Ok(EngineResult { assignments, unmatched, candidates, stats })
    }
}

// ---------------------------------------------------------------------------------------
// The checks.

struct Checker<'a> {
    instance: &'a Instance,
    result: &'a EngineResult,
    verdict: &'a mut Verdict,
}

impl Checker<'_> {
    fn report(&mut self, rule: &'static str, detail: String) {
        self.verdict.findings.push(Finding { rule, detail });
    }

    fn check_all(&mut self) {
        self.check_known_kinds();
        let instance = self.instance;
        let mut free: Vec<Week> =
            instance.students.iter().map(|student| instance.initial_free_time(student)).collect();
        let mut busy: Vec<Week> = instance
            .students
            .iter()
            .map(|student| {
                let mut week = Week::empty();
                for existing in instance.existing_matches.iter().filter(|e| e.student_id == student.id) {
                    for &session in &existing.sessions {
                        week.add(session);
                    }
                }
                week
            })
            .collect();
        let mut n_needs = 0;
        for kind in KINDS {
            n_needs += self.check_kind(kind, &mut free, &mut busy);
        }
        self.check_stats(n_needs);
    }

    fn check_known_kinds(&mut self) {
        let result = self.result;
        let kinds = result
            .assignments
            .iter()
            .map(|a| &a.kind)
            .chain(result.unmatched.iter().map(|u| &u.kind))
            .chain(result.candidates.iter().map(|c| &c.kind));
        for kind in kinds {
            if !KINDS.contains(&kind.as_str()) {
                self.report("SHAPE", format!("unknown kind {kind}"));
            }
        }
    }

    /// Checks one kind; returns how many needs the run tried to match in it.
    fn check_kind(&mut self, kind: &'static str, free: &mut [Week], busy: &mut [Week]) -> usize {
        let instance = self.instance;
        let result = self.result;
        let openings: Vec<&Opening> = instance.openings.iter().filter(|o| o.kind == kind).collect();
        let mut run_students = Vec::new();
        for (student_index, student) in instance.students.iter().enumerate() {
            if !student.needs.contains_key(kind) {
                continue;
            }
            if instance.is_filled(student, kind) {
                self.verdict.coverage.filled_needs += 1;
                continue;
            }
            run_students.push(student_index);
        }
        let run_ids: HashSet<&str> = run_students.iter().map(|&i| instance.students[i].id.as_str()).collect();

        // Candidates and the per-constraint counts, as the oracle sees them.
        let mut oracle_candidates = BTreeSet::new();
        let mut oracle_counts: HashMap<&str, BTreeMap<String, u64>> = HashMap::new();
        for &student_index in &run_students {
            let student = &instance.students[student_index];
            let tally = oracle_counts.entry(student.id.as_str()).or_default();
            for opening in &openings {
                self.verdict.coverage.pairs += 1;
                instance.observe_pair(student, opening, &free[student_index], &mut self.verdict.coverage);
                let failures = instance.assess(student, kind, opening, &free[student_index]);
                for &failure in &failures {
                    *tally.entry(failure.to_owned()).or_default() += 1;
                    *self.verdict.coverage.failures.entry(failure).or_default() += 1;
                }
                if failures.is_empty() {
                    oracle_candidates.insert((student.id.clone(), opening.id.clone()));
                }
            }
        }
        self.verdict.coverage.candidates += oracle_candidates.len();

        // The engine's candidates of this kind.
        let mut engine_scores: BTreeMap<(String, String), u64> = BTreeMap::new();
        for candidate in result.candidates.iter().filter(|c| c.kind == kind) {
            let key = (candidate.student_id.clone(), candidate.opening_id.clone());
            if engine_scores.insert(key, candidate.score).is_some() {
                self.report(
                    "CANDIDATES",
                    format!("{kind}: ({}, {}) is listed twice", candidate.student_id, candidate.opening_id),
                );
            }
        }
        let engine_candidates: BTreeSet<(String, String)> = engine_scores.keys().cloned().collect();
        for (student_id, opening_id) in oracle_candidates.difference(&engine_candidates) {
            self.report(
                "CANDIDATES",
                format!(
                    "{kind}: oracle finds ({student_id}, {opening_id}) feasible; the engine does not list it"
                ),
            );
        }
        for (student_id, opening_id) in engine_candidates.difference(&oracle_candidates) {
            let reasons = match (
                instance.students.iter().position(|s| &s.id == student_id),
                instance.opening(opening_id),
            ) {
                (Some(index), Some(opening))
                    if run_ids.contains(student_id.as_str()) && opening.kind == kind =>
                {
                    format!("{:?}", instance.assess(&instance.students[index], kind, opening, &free[index]))
                }
                _ => "no such need or opening in this kind's run".to_owned(),
            };
            self.report(
                "CANDIDATES",
                format!(
                    "{kind}: the engine lists ({student_id}, {opening_id}); oracle rules it out by {reasons}"
                ),
            );
        }

        // Assignments of this kind.
        let assignments: Vec<&Assignment> = result.assignments.iter().filter(|a| a.kind == kind).collect();
        self.verdict.coverage.assignments += assignments.len();
        let mut assigned_students = HashSet::new();
        let mut per_opening: HashMap<&str, i64> = HashMap::new();
        let mut total_score = 0;
        for assignment in &assignments {
            total_score += assignment.score;
            let pair = format!("{kind}: ({}, {})", assignment.student_id, assignment.opening_id);
            if !assigned_students.insert(assignment.student_id.as_str()) {
                self.report("ASSIGNMENTS", format!("{pair}: the need is matched more than once"));
            }
            *per_opening.entry(assignment.opening_id.as_str()).or_default() += 1;
            let key = (assignment.student_id.clone(), assignment.opening_id.clone());
            match engine_scores.get(&key) {
                None => {
                    self.report("ASSIGNMENTS", format!("{pair} is assigned but is not a listed candidate"))
                }
                Some(&score) if score != assignment.score => self.report(
                    "SCORE",
                    format!("{pair} scores {} as an assignment but {score} as a candidate", assignment.score),
                ),
                Some(_) => {}
            }
            self.check_breakdown(&pair, assignment);
            let (Some(student_index), Some(opening)) = (
                instance.students.iter().position(|s| s.id == assignment.student_id),
                instance.opening(&assignment.opening_id),
            ) else {
                self.report("ASSIGNMENTS", format!("{pair} names an unknown student or opening"));
                continue;
            };
            if !run_ids.contains(assignment.student_id.as_str()) || opening.kind != kind {
                self.report("ASSIGNMENTS", format!("{pair} is not a need of this kind the run had to match"));
                continue;
            }
            if free[student_index] != instance.initial_free_time(&instance.students[student_index]) {
                self.verdict.coverage.reduced_by_earlier_kind += 1;
            }
            if instance.initial_free_time(&instance.students[student_index])
                != instance.students[student_index].availability
            {
                self.verdict.coverage.reduced_by_existing += 1;
            }
            self.check_sessions(&pair, assignment, opening, &free[student_index], &busy[student_index]);
        }
        for (opening_id, count) in per_opening {
            if let Some(opening) = instance.opening(opening_id) {
                let slots = instance.free_slots(opening);
                if count > slots {
                    self.report(
                        "CAPACITY",
                        format!("{kind}: {opening_id} gets {count} with {slots} free slots"),
                    );
                }
            }
        }

        // Unmatched needs of this kind.
        let mut unmatched_students = HashSet::new();
        for unmatched in result.unmatched.iter().filter(|u| u.kind == kind) {
            let who = format!("{kind}: {}", unmatched.student_id);
            if !unmatched_students.insert(unmatched.student_id.as_str()) {
                self.report("UNMATCHED", format!("{who} is listed as unmatched twice"));
            }
            if !run_ids.contains(unmatched.student_id.as_str()) {
                self.report(
                    "UNMATCHED",
                    format!("{who} is not a need the run had to match (absent or filled)"),
                );
                continue;
            }
            if assigned_students.contains(unmatched.student_id.as_str()) {
                self.report("UNMATCHED", format!("{who} is both assigned and unmatched"));
            }
            let has_candidates =
                engine_candidates.iter().any(|(student_id, _)| *student_id == unmatched.student_id);
            let oracle_tally = oracle_counts.get(unmatched.student_id.as_str()).cloned().unwrap_or_default();
            match (unmatched.reason.as_str(), has_candidates) {
                ("NO_CANDIDATE", false) => {
                    self.verdict.coverage.no_candidate += 1;
                    let engine_tally = unmatched.ruled_out_by.clone().unwrap_or_default();
                    if engine_tally != oracle_tally {
                        self.report(
                            "RULED_OUT_BY",
                            format!("{who}: engine {engine_tally:?}, oracle {oracle_tally:?}"),
                        );
                    }
                    // Every opening of the kind failed something, so is counted at least once.
                    let n_counted: u64 = engine_tally.values().sum();
                    if n_counted < openings.len() as u64 {
                        self.report(
                            "RULED_OUT_BY",
                            format!(
                                "{who}: NO_CANDIDATE, but ruledOutBy {engine_tally:?} counts fewer failures \
                                 than the {} openings of the kind",
                                openings.len()
                            ),
                        );
                    }
                    if unmatched.ruled_out_by.as_ref().is_some_and(|t| t.values().any(|&count| count == 0)) {
                        self.report("RULED_OUT_BY", format!("{who}: ruledOutBy holds a zero count"));
                    }
                }
                ("OUTSCORED", true) => {
                    self.verdict.coverage.outscored += 1;
                    if unmatched.ruled_out_by.is_some() {
                        self.report("RULED_OUT_BY", format!("{who}: OUTSCORED with a ruledOutBy"));
                    }
                }
                (reason, _) => self.report(
                    "REASON",
                    format!("{who}: reason {reason} but the need has {} candidates", {
                        engine_candidates.iter().filter(|(s, _)| *s == unmatched.student_id).count()
                    }),
                ),
            }
        }
        for &student_index in &run_students {
            let id = instance.students[student_index].id.as_str();
            if !assigned_students.contains(id) && !unmatched_students.contains(id) {
                self.report("UNMATCHED", format!("{kind}: {id} is neither assigned nor unmatched"));
            }
        }

        self.check_optimum(kind, &run_students, &openings, &engine_scores, assignments.len(), total_score);

        // Later kinds see this kind's sessions as taken.
        for assignment in &assignments {
            if let Some(student_index) = instance.students.iter().position(|s| s.id == assignment.student_id)
            {
                for &session in &assignment.sessions {
                    free[student_index].remove(session);
                    busy[student_index].add(session);
                }
            }
        }
        run_students.len()
    }

    fn check_breakdown(&mut self, pair: &str, assignment: &Assignment) {
        let keys: BTreeSet<&str> = assignment.breakdown.keys().map(String::as_str).collect();
        let expected: BTreeSet<&str> = CRITERIA.into_iter().collect();
        if keys != expected {
            self.report("BREAKDOWN", format!("{pair}: breakdown keys {keys:?}"));
        }
        let sum: u64 = assignment.breakdown.values().sum();
        if sum != assignment.score {
            self.report(
                "BREAKDOWN",
                format!("{pair}: breakdown adds up to {sum}, score is {}", assignment.score),
            );
        }
    }

    fn check_sessions(
        &mut self,
        pair: &str,
        assignment: &Assignment,
        opening: &Opening,
        free: &Week,
        busy: &Week,
    ) {
        let sessions = &assignment.sessions;
        let shown: Vec<String> = sessions.iter().map(Session::to_string).collect();
        if sessions.len() != opening.sessions_per_week {
            self.report(
                "SESSIONS",
                format!(
                    "{pair}: {} sessions {shown:?}, sessionsPerWeek is {}",
                    sessions.len(),
                    opening.sessions_per_week
                ),
            );
        }
        let days: BTreeSet<usize> = sessions.iter().map(|s| s.day).collect();
        if days.len() != sessions.len() {
            self.report("SESSIONS", format!("{pair}: two sessions on one day {shown:?}"));
        }
        for session in sessions {
            if session.end - session.start != opening.session_minutes {
                self.report(
                    "SESSIONS",
                    format!("{pair}: session {session} is not {} minutes", opening.session_minutes),
                );
            }
            if !free.contains(*session) {
                self.report(
                    "SESSIONS",
                    format!("{pair}: session {session} is outside the student's free time"),
                );
            }
            if !opening.schedule.contains(*session) {
                self.report(
                    "SESSIONS",
                    format!("{pair}: session {session} is outside the opening's schedule"),
                );
            }
            if busy.touches(*session) {
                self.report("OVERLAP", format!("{pair}: session {session} overlaps another session"));
            }
        }
        let mut sorted = sessions.clone();
        sorted.sort();
        let expected = expected_sessions(free, opening);
        if sorted != expected {
            let expected: Vec<String> = expected.iter().map(Session::to_string).collect();
            self.report(
                "EARLIEST_FIRST",
                format!("{pair}: sessions {shown:?}, earliest first gives {expected:?}"),
            );
        }
    }

    /// The lexicographic optimum (count, then score) over the engine's candidate scores,
    /// by Kuhn–Munkres on the slot-expanded matrix.
    fn check_optimum(
        &mut self,
        kind: &str,
        run_students: &[usize],
        openings: &[&Opening],
        scores: &BTreeMap<(String, String), u64>,
        matched: usize,
        total_score: u64,
    ) {
        let instance = self.instance;
        // No opening can use more slots than there are needs.
        let slots: Vec<&str> = openings
            .iter()
            .flat_map(|opening| {
                let free = usize::try_from(instance.free_slots(opening)).unwrap_or(usize::MAX);
                std::iter::repeat_n(opening.id.as_str(), free.min(run_students.len()))
            })
            .collect();
        let needs: Vec<&str> = run_students.iter().map(|&i| instance.students[i].id.as_str()).collect();
        if needs.is_empty() || slots.is_empty() {
            if matched != 0 {
                self.report("OPTIMUM", format!("{kind}: {matched} matched without needs or free slots"));
            }
            return;
        }
        let big = i64::try_from(scores.values().sum::<u64>()).expect("scores fit i64") + 1;
        let size = needs.len().max(slots.len());
        let mut weights = Matrix::new(size, size, 0_i64);
        for (row, student_id) in needs.iter().enumerate() {
            for (column, opening_id) in slots.iter().enumerate() {
                if let Some(&score) = scores.get(&((*student_id).to_owned(), (*opening_id).to_owned())) {
                    weights[(row, column)] = big + i64::try_from(score).expect("score fits i64");
                }
            }
        }
        let (best, _) = kuhn_munkres(&weights);
        let (best_count, best_score) = (best / big, best % big);
        let (engine_count, engine_score) = (i64::try_from(matched).unwrap_or(i64::MAX), total_score);
        if (engine_count, i64::try_from(engine_score).unwrap_or(i64::MAX)) != (best_count, best_score) {
            self.report(
                "OPTIMUM",
                format!(
                    "{kind}: engine matches {engine_count} with score {engine_score}; \
                     the optimum is {best_count} with score {best_score}"
                ),
            );
        }
    }

    fn check_stats(&mut self, n_needs: usize) {
        let result = self.result;
        let stats = &result.stats;
        let total_score: u64 = result.assignments.iter().map(|a| a.score).sum();
        let expected = [
            ("students", self.instance.students.len() as u64),
            ("openings", self.instance.openings.len() as u64),
            ("needs", n_needs as u64),
            ("matched", result.assignments.len() as u64),
            ("candidates", result.candidates.len() as u64),
            ("totalScore", total_score),
        ];
        for (key, value) in expected {
            if stats.get(key).and_then(Value::as_u64) != Some(value) {
                self.report("STATS", format!("stats.{key} is {:?}, expected {value}", stats.get(key)));
            }
        }
        if n_needs != result.assignments.len() + result.unmatched.len() {
            self.report(
                "STATS",
                format!(
                    "{n_needs} needs to match but {} assignments + {} unmatched",
                    result.assignments.len(),
                    result.unmatched.len()
                ),
            );
        }
    }
}
