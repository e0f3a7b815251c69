//! The matching contract (docs/matching.md) checked against the independent oracle in
//! `oracle.rs`: random small instances rich in boundary cases, hand-written cases on both
//! sides of each boundary, and bad input.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::{Map, Value, json};

use crate::oracle::{self, Coverage, Date, Finding, haversine_km, least_travel_minutes};

// ---------------------------------------------------------------------------------------
// Random instances.

/// Instances checked by the random test; `PARTNERMATCH_ORACLE_CASES` overrides it.
const RANDOM_CASES: u64 = 1000;
const CENTER: (f64, f64) = (41.88, -87.63);
const SUBJECTS: [&str; 4] = ["algebra", "biology", "healthcare", "reading"];
const LANGUAGES: [&str; 4] = ["en", "es", "zh", "vi"];
const MODES: [&str; 4] = ["WALK", "BIKE", "TRANSIT", "CAR"];
const KINDS: [&str; 3] = ["INTERNSHIP", "MENTORING", "TUTORING"];
const DAYS: [&str; 7] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];

/// SplitMix64: small, seeded, and enough for test data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A uniform integer in `low..=high`.
    fn range(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next() % (high - low + 1) as u64) as i64
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }

    fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// One random instance in the making. `hazard` (0–1, drawn per instance) is how often a
/// field takes a value on or beyond a boundary instead of a comfortable one, so some
/// instances are crowded with candidates (and OUTSCORED needs) and others with ruled-out pairs.
struct Generator {
    rng: Rng,
    as_of: Date,
    /// The weekdays most windows fall on, so schedules meet.
    days: Vec<&'static str>,
    hazard: f64,
    /// Where the instance lies: mostly one city (~10 km), sometimes across the
    /// antimeridian, near a pole, or spread over a region with long travel limits.
    center: (f64, f64),
    spread: f64,
    is_far_reaching: bool,
    max_students: i64,
    max_openings: i64,
}

impl Generator {
    fn new(seed: u64) -> Generator {
        Generator::sized(seed, 12, 10)
    }

    /// Up to `max_students` students and `max_openings` openings.
    fn sized(seed: u64, max_students: i64, max_openings: i64) -> Generator {
        let mut rng = Rng::new(seed);
        let as_of = rng.pick(&[(2026, 9, 14), (2026, 12, 31), (2027, 3, 1), (2028, 2, 28), (2028, 2, 29)]);
        let as_of = Date::new(as_of.0, as_of.1, as_of.2).expect("valid dates");
        let mut days: Vec<&'static str> = DAYS[..5].to_vec();
        for _ in 0..rng.range(2, 3) {
            days.remove(rng.below(days.len()));
        }
        let hazard = rng.pick(&[0.03, 0.1, 0.2, 0.35]);
        let (center, spread, is_far_reaching) = match rng.below(20) {
            0 => ((-17.7, 179.98), 1.0, false),
            1 => ((89.93, 10.0), 1.0, false),
            2 => ((-17.7, -179.7), 20.0, true),
            3 | 4 => (CENTER, 20.0, true),
            _ => (CENTER, 1.0, false),
        };
        Generator { rng, as_of, days, hazard, center, spread, is_far_reaching, max_students, max_openings }
    }

    /// Whether this field should sit on or beyond a boundary.
    fn edgy(&mut self) -> bool {
        self.rng.chance(self.hazard)
    }

    /// `comfortable` usually; one of `edges` (which may include it) with the hazard's odds.
    fn choose<T: Copy>(&mut self, comfortable: T, edges: &[T]) -> T {
        if self.edgy() { self.rng.pick(edges) } else { comfortable }
    }

    fn date_from(&mut self, delta: Option<i64>) -> Option<Date> {
        delta.map(|delta| self.as_of.plus(delta))
    }

    /// Absent, or null: both mean "take the default".
    fn put_default(&mut self, object: &mut Map<String, Value>, key: &str) {
        if self.rng.chance(0.5) {
            object.insert(key.to_owned(), Value::Null);
        }
    }

    fn put_date(&mut self, object: &mut Map<String, Value>, key: &str, date: Option<Date>) {
        match date {
            Some(date) => {
                object.insert(key.to_owned(), json!(date.to_string()));
            }
            None => self.put_default(object, key),
        }
    }

    fn instance(mut self) -> Value {
        let n_partners = self.rng.range(1, 4) as usize;
        let partners: Vec<Value> = (0..n_partners).map(|index| self.partner(index)).collect();
        let n_openings = self.rng.range(1, self.max_openings) as usize;
        let mut openings: Vec<Value> = (0..n_openings).map(|index| self.opening(index, n_partners)).collect();
        let n_students = self.rng.range(1, self.max_students) as usize;
        let mut students: Vec<Value> = (0..n_students).map(|index| self.student(index, &openings)).collect();
        for student in &mut students {
            if self.rng.chance(0.4) {
                self.place_on_a_boundary(student, &mut openings);
            }
        }
        let existing_matches = self.existing_matches(&students, &openings);
        let mut declined = Vec::new();
        for _ in 0..self.rng.pick(&[0, 0, 1, 2, 3]) {
            declined.push(json!({
                "studentId": students[self.rng.below(n_students)]["id"],
                "openingId": openings[self.rng.below(n_openings)]["id"],
            }));
        }
        let mut root = Map::new();
        root.insert("asOf".into(), json!(self.as_of.to_string()));
        root.insert("students".into(), json!(students));
        root.insert("openings".into(), json!(openings));
        root.insert("partners".into(), json!(partners));
        if !existing_matches.is_empty() || self.rng.chance(0.5) {
            root.insert("existingMatches".into(), json!(existing_matches));
        }
        if !declined.is_empty() || self.rng.chance(0.5) {
            root.insert("declined".into(), json!(declined));
        }
        match self.rng.below(10) {
            0 => {
                root.insert("weights".into(), json!({}));
            }
            1..=3 => {
                let mut weights = Map::new();
                for criterion in oracle::CRITERIA {
                    if self.rng.chance(0.5) {
                        weights.insert(criterion.into(), json!(self.rng.pick(&[0, 1, 7, 100, 1000])));
                    }
                }
                root.insert("weights".into(), Value::Object(weights));
            }
            _ => {}
        }
        Value::Object(root)
    }

    fn partner(&mut self, index: usize) -> Value {
        let mut agreements = Vec::new();
        let n_agreements = self.choose(1, &[0, 1, 2, 2]);
        for _ in 0..n_agreements {
            let mut agreement = Map::new();
            let starts = self.choose(Some(-200), &[None, Some(-1), Some(0), Some(1)]);
            let starts = self.date_from(starts);
            self.put_date(&mut agreement, "startsOn", starts);
            let ends = self.choose(Some(200), &[None, Some(1), Some(0), Some(-1)]);
            let ends = self.date_from(ends);
            self.put_date(&mut agreement, "endsOn", ends);
            match self.choose(0, &[0, 1, 2]) {
                0 => {
                    agreement.insert("dataSharing".into(), json!(true));
                }
                1 => {
                    agreement.insert("dataSharing".into(), json!(false));
                }
                _ => self.put_default(&mut agreement, "dataSharing"),
            }
            agreements.push(Value::Object(agreement));
        }
        let mut partner = Map::new();
        partner.insert("id".into(), json!(format!("p-{index}")));
        if !agreements.is_empty() || self.rng.chance(0.5) {
            partner.insert("agreements".into(), json!(agreements));
        } else {
            self.put_default(&mut partner, "agreements");
        }
        Value::Object(partner)
    }

    fn opening(&mut self, index: usize, n_partners: usize) -> Value {
        let mut opening = Map::new();
        let kind = self.rng.pick(&KINDS);
        opening.insert("id".into(), json!(format!("o-{index}")));
        opening.insert("partnerId".into(), json!(format!("p-{}", self.rng.below(n_partners))));
        opening.insert("kind".into(), json!(kind));
        let min_subjects = if kind != "TUTORING" && self.rng.chance(0.1) { 0 } else { 1 };
        opening.insert("subjects".into(), json!(self.subjects(min_subjects)));
        opening.insert("languages".into(), json!(self.languages(1)));
        let is_virtual = self.rng.chance(0.2);
        if is_virtual {
            opening.insert("virtual".into(), json!(true));
        } else if self.rng.chance(0.5) {
            opening.insert("virtual".into(), json!(false));
        } else {
            self.put_default(&mut opening, "virtual");
        }
        if !is_virtual || self.rng.chance(0.5) {
            opening.insert("place".into(), point_json(self.point()));
        }
        if self.rng.chance(0.25) {
            opening.insert("pickupRadiusKm".into(), json!(1.0 + 7.0 * self.rng.unit()));
        } else {
            self.put_default(&mut opening, "pickupRadiusKm");
        }
        let schedule = if self.rng.chance(0.02) { Vec::new() } else { self.windows(0.85, true) };
        opening.insert("schedule".into(), json!(schedule));
        opening.insert("sessionMinutes".into(), json!(self.choose(60, &[30, 45, 90, 120, 37, 61])));
        match self.choose(0, &[1, 1, 2, 2, 3]) {
            0 => self.put_default(&mut opening, "sessionsPerWeek"),
            count => {
                opening.insert("sessionsPerWeek".into(), json!(count));
            }
        }
        opening.insert("capacity".into(), json!(self.rng.pick(&[1, 1, 1, 2, 3])));
        if self.rng.chance(0.4) {
            let min_grade = self.rng.pick(&[0, 6, 9, 10]);
            opening.insert("minGrade".into(), json!(min_grade));
        } else {
            self.put_default(&mut opening, "minGrade");
        }
        if self.rng.chance(0.4) {
            let max_grade = self.rng.pick(&[10, 11, 12]);
            opening.insert("maxGrade".into(), json!(max_grade));
        } else {
            self.put_default(&mut opening, "maxGrade");
        }
        if self.rng.chance(0.25) {
            opening.insert("minAge".into(), json!(self.rng.pick(&[14, 16, 18])));
        } else {
            self.put_default(&mut opening, "minAge");
        }
        if kind == "INTERNSHIP" && self.rng.chance(0.5) || self.edgy() && self.rng.chance(0.5) {
            self.put_default(&mut opening, "backgroundCheck");
        } else {
            let mut check = Map::new();
            let cleared = self.choose(Some(-300), &[Some(0), Some(1), None]);
            let cleared = self.date_from(cleared);
            self.put_date(&mut check, "clearedOn", cleared);
            let expires = self.choose(Some(300), &[Some(0), Some(-1), None]);
            let expires = self.date_from(expires);
            self.put_date(&mut check, "expiresOn", expires);
            opening.insert("backgroundCheck".into(), Value::Object(check));
        }
        Value::Object(opening)
    }

    fn student(&mut self, index: usize, openings: &[Value]) -> Value {
        let mut student = Map::new();
        student.insert("id".into(), json!(format!("s-{index}")));
        let near: &Value = &openings[self.rng.below(openings.len())];
        let grade = if self.rng.chance(0.5) {
            let edge = near["minGrade"].as_i64().or(near["maxGrade"].as_i64()).unwrap_or(9);
            (edge + self.rng.range(-1, 1)).clamp(0, 12)
        } else {
            self.rng.range(6, 12)
        };
        student.insert("grade".into(), json!(grade));
        let age = near["minAge"].as_i64().unwrap_or_else(|| self.rng.pick(&[14, 16, 18]));
        let as_of = self.as_of;
        let birth = match self.rng.below(6) {
            0 => None,
            // The birthday is on asOf: exactly `age` today.
            1 | 2 => Date::new(as_of.year - age, as_of.month, as_of.day),
            // The birthday is tomorrow: one day short of `age`.
            3 => {
                let tomorrow = as_of.plus(1);
                Date::new(tomorrow.year - age, tomorrow.month, tomorrow.day)
            }
            _ => Date::new(as_of.year - self.rng.range(13, 19), self.rng.range(1, 12), self.rng.range(1, 28)),
        };
        self.put_date(&mut student, "birthDate", birth);
        let min_languages = if self.rng.chance(0.03) { 0 } else { 1 };
        student.insert("languages".into(), json!(self.languages(min_languages)));
        student.insert("home".into(), point_json(self.point()));
        match self.choose(0, &[0, 1, 2]) {
            0 => {
                let modes: Vec<&str> = MODES.iter().copied().filter(|_| self.rng.chance(0.5)).collect();
                let modes = if modes.is_empty() { vec![self.rng.pick(&MODES)] } else { modes };
                student.insert("travelModes".into(), json!(modes));
            }
            1 => {
                student.insert("travelModes".into(), json!([]));
            }
            _ => self.put_default(&mut student, "travelModes"),
        }
        let max_travel = if self.is_far_reaching {
            self.rng.pick(&[60, 120, 300, 600])
        } else {
            self.choose(60, &[15, 20, 30, 45])
        };
        student.insert("maxTravelMinutes".into(), json!(max_travel));
        match self.choose(0, &[1, 1, 2]) {
            0 => self.put_default(&mut student, "remoteOk"),
            1 => {
                student.insert("remoteOk".into(), json!(false));
            }
            _ => {
                student.insert("remoteOk".into(), json!(true));
            }
        }
        let availability = if self.rng.chance(0.02) { Vec::new() } else { self.windows(0.75, false) };
        student.insert("availability".into(), json!(availability));
        let mut needs = Vec::new();
        for kind in KINDS {
            if self.rng.chance(0.5) {
                let mut need = Map::new();
                need.insert("kind".into(), json!(kind));
                if self.rng.chance(if kind == "TUTORING" { 0.97 } else { 0.8 }) {
                    let min_subjects = if kind != "TUTORING" && self.rng.chance(0.1) { 0 } else { 1 };
                    need.insert("subjects".into(), json!(self.subjects(min_subjects)));
                }
                match self.rng.below(5) {
                    0 => {
                        need.insert("waitingDays".into(), json!(self.rng.range(0, 60)));
                    }
                    1 => {
                        need.insert("waitingDays".into(), json!(0));
                    }
                    _ => {}
                }
                needs.push(Value::Object(need));
            }
        }
        if needs.is_empty() && self.rng.chance(0.9) {
            needs.push(json!({"kind": self.rng.pick(&KINDS), "subjects": self.subjects(1)}));
        }
        student.insert("needs".into(), json!(needs));
        match self.rng.below(6) {
            0 => self.put_default(&mut student, "priority"),
            _ => {
                student.insert("priority".into(), json!(self.rng.range(0, 3)));
            }
        }
        match self.choose(0, &[1, 2]) {
            0 => {
                student.insert("consentOnFile".into(), json!(true));
            }
            1 => {
                student.insert("consentOnFile".into(), json!(false));
            }
            _ => self.put_default(&mut student, "consentOnFile"),
        }
        Value::Object(student)
    }

    /// Windows, often touching or overlapping, mostly in the afternoon: on each of the
    /// instance's busy days with odds `density`, and sometimes on another day. `is_wide`
    /// gives the longer windows of an opening's schedule.
    fn windows(&mut self, density: f64, is_wide: bool) -> Vec<Value> {
        let mut days: Vec<&'static str> =
            self.days.iter().copied().filter(|_| self.rng.chance(density)).collect();
        if days.is_empty() || self.rng.chance(0.3) {
            days.push(self.rng.pick(&DAYS));
        }
        let mut windows = Vec::new();
        for day in days {
            let rng = &mut self.rng;
            let start =
                if is_wide { 13 * 60 + 15 * rng.range(0, 12) } else { 14 * 60 + 15 * rng.range(0, 12) };
            let length = if is_wide { 15 * rng.range(10, 24) } else { 15 * rng.range(6, 16) };
            match rng.below(10) {
                0 | 1 => {
                    // Touching: 15:00–16:00 + 16:00–17:00.
                    let middle = start + 15 * rng.range(2, 6);
                    windows.push(window(day, start, middle));
                    windows.push(window(day, middle, middle + 15 * rng.range(2, 6)));
                }
                2 => {
                    // Overlapping.
                    let middle = start + 15 * rng.range(2, 6);
                    windows.push(window(day, start, middle));
                    windows.push(window(day, middle - 15 * rng.range(1, 2), middle + 15 * rng.range(2, 6)));
                }
                3 => windows.push(window(day, 15 * rng.range(84, 92), 1440)),
                4 if rng.chance(0.3) => windows.push(window(day, 0, 15 * rng.range(2, 8))),
                5 => {
                    // Off the quarter-hour grid.
                    let start = start + rng.range(1, 14);
                    windows.push(window(day, start, start + length + rng.range(-7, 7)));
                }
                _ => windows.push(window(day, start, start + length)),
            }
        }
        windows
    }

    fn subjects(&mut self, min: i64) -> Vec<Value> {
        let count = self.rng.range(min, 2);
        (0..count)
            .map(|_| {
                let subject = self.rng.pick(&SUBJECTS);
                match self.rng.below(10) {
                    0 => json!(format!(" {} ", subject.to_uppercase())),
                    1 => json!(format!("{}{} ", subject[..1].to_uppercase(), &subject[1..])),
                    _ => json!(subject),
                }
            })
            .collect()
    }

    fn languages(&mut self, min: i64) -> Vec<Value> {
        let mut languages: Vec<&str> =
            (0..self.rng.range(min, 2)).map(|_| self.rng.pick(&LANGUAGES)).collect();
        if min > 0 && !self.edgy() {
            languages.push("en");
        }
        languages.sort_unstable();
        languages.dedup();
        languages.into_iter().map(|language| json!(language)).collect()
    }

    fn point(&mut self) -> (f64, f64) {
        let lat = self.center.0 + (self.rng.unit() - 0.5) * 0.09 * self.spread;
        let lon = self.center.1 + (self.rng.unit() - 0.5) * 0.12 * self.spread;
        (
            lat.clamp(-90.0, 90.0),
            if lon > 180.0 {
                lon - 360.0
            } else if lon < -180.0 {
                lon + 360.0
            } else {
                lon
            },
        )
    }

    /// Moves the student's home onto a travel or pick-up boundary of one in-person opening.
    fn place_on_a_boundary(&mut self, student: &mut Value, openings: &mut [Value]) {
        let in_person: Vec<usize> = (0..openings.len())
            .filter(|&index| {
                openings[index]["virtual"] != json!(true) && openings[index]["place"].is_object()
            })
            .collect();
        if in_person.is_empty() {
            return;
        }
        let rng = &mut self.rng;
        let opening = &mut openings[rng.pick(&in_person)];
        let place = (opening["place"]["lat"].as_f64().unwrap(), opening["place"]["lon"].as_f64().unwrap());
        let limit = student["maxTravelMinutes"].as_f64().unwrap();
        if rng.chance(0.6) {
            // Travel time on the limit (a few ulps above, inside the tolerance), or just
            // above or below it.
            let mut modes: Vec<String> = student["travelModes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            if modes.is_empty() {
                modes = vec!["WALK".to_owned()];
                student["travelModes"] = json!(modes);
            }
            let target = limit + rng.pick(&[0.0, 0.0, 2e-6, -2e-6]);
            let time = |km: f64| least_travel_minutes(&modes, km, None).unwrap();
            let (mut low, mut high) = (0.0_f64, 400.0_f64);
            for _ in 0..200 {
                let middle = (low + high) / 2.0;
                if time(middle) < target {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            let mut home = toward_equator(place, high);
            // Step by ulps to the first latitude whose time is at or above the target.
            for _ in 0..64 {
                if time(haversine_km(place, home)) >= target {
                    break;
                }
                home.0 = if home.0 < place.0 { home.0.next_down() } else { home.0.next_up() };
            }
            student["home"] = point_json(home);
        } else {
            // Pick-up radius exactly the distance, or a micrometre short of it, or beyond.
            let km = 1.5 + 4.5 * rng.unit();
            let home = toward_equator(place, km);
            let home = (home.0, (home.1 + (rng.unit() - 0.5) * 0.01).clamp(-180.0, 180.0));
            let distance = haversine_km(place, home);
            let radius = distance + rng.pick(&[0.0, 0.0, -1e-6, 1e-6]);
            opening["pickupRadiusKm"] = json!(radius);
            student["home"] = point_json(home);
            student["travelModes"] = if rng.chance(0.5) { json!(["WALK"]) } else { json!([]) };
            let car = 1.3 * distance / 35.0 * 60.0;
            student["maxTravelMinutes"] = json!(car.ceil() + 2.0);
        }
    }

    fn existing_matches(&mut self, students: &[Value], openings: &[Value]) -> Vec<Value> {
        let rng = &mut self.rng;
        let mut matches: Vec<Value> = Vec::new();
        for _ in 0..rng.pick(&[0, 0, 1, 2, 3]) {
            let student = &students[rng.below(students.len())];
            let opening = &openings[rng.below(openings.len())];
            let is_duplicate =
                matches.iter().any(|m| m["studentId"] == student["id"] && m["openingId"] == opening["id"]);
            if is_duplicate {
                continue;
            }
            let mut sessions = Vec::new();
            for _ in 0..rng.range(0, 2) {
                // A session cut from one of the student's windows, so it takes free time.
                let windows = student["availability"].as_array().unwrap();
                if windows.is_empty() {
                    break;
                }
                let window = &windows[rng.below(windows.len())];
                let start = minutes_of(&window["start"]);
                let end = minutes_of(&window["end"]);
                let from = start + 15 * rng.range(0, ((end - start) / 15 - 1).max(0));
                let to = (from + 15 * rng.range(1, 6)).min(end.max(from + 15)).min(1440);
                sessions.push(json!({"day": window["day"], "start": hhmm(from), "end": hhmm(to)}));
            }
            let mut existing = Map::new();
            existing.insert("studentId".into(), student["id"].clone());
            existing.insert("openingId".into(), opening["id"].clone());
            if !sessions.is_empty() || rng.chance(0.5) {
                existing.insert("sessions".into(), json!(sessions));
            } else if rng.chance(0.5) {
                existing.insert("sessions".into(), Value::Null);
            }
            matches.push(Value::Object(existing));
        }
        matches
    }
}

fn random_instance(seed: u64) -> Value {
    Generator::new(seed).instance()
}

fn window(day: &str, start: i64, end: i64) -> Value {
    json!({"day": day, "start": hhmm(start), "end": hhmm(end)})
}

fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn minutes_of(clock: &Value) -> i64 {
    let text = clock.as_str().unwrap();
    text[0..2].parse::<i64>().unwrap() * 60 + text[3..5].parse::<i64>().unwrap()
}

fn point_json(point: (f64, f64)) -> Value {
    json!({"lat": point.0, "lon": point.1})
}

/// A point `km` north of `from` (along the meridian, so haversine gives back `km`).
fn north_of(from: (f64, f64), km: f64) -> (f64, f64) {
    (from.0 + (km / 6371.0).to_degrees(), from.1)
}

/// A point `km` from `from` along the meridian, toward the equator (so it stays a latitude).
fn toward_equator(from: (f64, f64), km: f64) -> (f64, f64) {
    if from.0 > 0.0 { north_of(from, -km) } else { north_of(from, km) }
}

// ---------------------------------------------------------------------------------------
// Shrinking: remove array elements and object keys while the same rule still fails.

fn removals(value: &Value, pointer: String, edits: &mut Vec<(String, String)>) {
    match value {
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate().rev() {
                edits.push((pointer.clone(), index.to_string()));
                removals(item, format!("{pointer}/{index}"), edits);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                edits.push((pointer.clone(), key.clone()));
                removals(item, format!("{pointer}/{key}"), edits);
            }
        }
        _ => {}
    }
}

fn remove(value: &Value, parent: &str, key: &str) -> Option<Value> {
    let mut value = value.clone();
    match value.pointer_mut(parent)? {
        Value::Array(items) => {
            items.remove(key.parse::<usize>().ok()?);
        }
        Value::Object(fields) => {
            fields.remove(key)?;
        }
        _ => return None,
    }
    Some(value)
}

fn fails_with(instance: &Value, rule: &str) -> bool {
    let bytes = serde_json::to_vec(instance).unwrap();
    if matcher::read_instance(bytes.as_slice()).is_err() {
        return false;
    }
    oracle::check(&bytes).findings.iter().any(|finding| finding.rule == rule)
}

/// A smaller instance on which `rule` still fails.
fn shrink(instance: &Value, rule: &str) -> Value {
    let mut smallest = instance.clone();
    // First whole runs of students, openings and the rest, halving the run each round.
    for list in ["/students", "/openings", "/partners", "/existingMatches", "/declined"] {
        let mut chunk = smallest.pointer(list).and_then(Value::as_array).map_or(0, Vec::len) / 2;
        while chunk > 0 {
            let mut start = 0;
            while start < smallest.pointer(list).and_then(Value::as_array).map_or(0, Vec::len) {
                let mut candidate = smallest.clone();
                let items = candidate.pointer_mut(list).and_then(Value::as_array_mut).unwrap();
                let end = (start + chunk).min(items.len());
                items.drain(start..end);
                if fails_with(&candidate, rule) {
                    smallest = candidate;
                } else {
                    start += chunk;
                }
            }
            chunk /= 2;
        }
    }
    // Then single elements and fields, resuming where the last pass succeeded.
    let mut resume = 0;
    loop {
        let mut edits = Vec::new();
        removals(&smallest, String::new(), &mut edits);
        let found = (resume..edits.len()).chain(0..resume.min(edits.len())).find_map(|index| {
            let (parent, key) = &edits[index];
            remove(&smallest, parent, key).filter(|candidate| fails_with(candidate, rule)).map(|c| (index, c))
        });
        match found {
            Some((index, smaller)) => {
                resume = index;
                smallest = smaller;
            }
            None => return smallest,
        }
    }
}

fn cases() -> u64 {
    std::env::var("PARTNERMATCH_ORACLE_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(RANDOM_CASES)
}

/// Failing instances shrunk per rule (distinct shrunk instances only).
const EXAMPLES_PER_RULE: usize = 2;

/// Checks each seed's instance; the summed coverage, and a report of the disagreements
/// with a few shrunk instances per rule (empty when the engine agrees throughout).
fn check_seeds(seeds: std::ops::Range<u64>, make: fn(u64) -> Value) -> (Coverage, String) {
    let mut coverage = Coverage::default();
    let mut failures: BTreeMap<&'static str, Vec<(u64, Value)>> = BTreeMap::new();
    let mut failing_instances = 0;
    let n_seeds = seeds.end - seeds.start;
    for seed in seeds {
        let instance = make(seed);
        let verdict = oracle::check(&serde_json::to_vec(&instance).unwrap());
        coverage.add(&verdict.coverage);
        if !verdict.findings.is_empty() {
            failing_instances += 1;
        }
        for finding in &verdict.findings {
            let seeds = failures.entry(finding.rule).or_default();
            if seeds.last().is_none_or(|(last, _)| *last != seed) {
                seeds.push((seed, instance.clone()));
            }
        }
    }
    let mut report = String::new();
    for (rule, seeds) in &failures {
        let first: Vec<u64> = seeds.iter().take(10).map(|(seed, _)| *seed).collect();
        report.push_str(&format!("\n== {rule}: {} instances, first at seeds {first:?}\n", seeds.len()));
        let mut shown: Vec<Value> = Vec::new();
        for (seed, instance) in seeds.iter().take(3 * EXAMPLES_PER_RULE) {
            let smallest = shrink(instance, rule);
            if shown.contains(&smallest) || shown.len() == EXAMPLES_PER_RULE {
                continue;
            }
            let verdict = oracle::check(&serde_json::to_vec(&smallest).unwrap());
            let findings: Vec<String> =
                verdict.findings.iter().filter(|f| f.rule == *rule).map(Finding::to_string).collect();
            report.push_str(&format!(
                "   seed {seed} shrunk: {}\n   findings: {findings:#?}\n",
                serde_json::to_string(&smallest).unwrap()
            ));
            shown.push(smallest);
        }
    }
    if !report.is_empty() {
        report = format!("{failing_instances} of {n_seeds} instances disagree with the oracle:{report}");
    }
    (coverage, report)
}

#[test]
fn the_engine_agrees_with_the_oracle_on_random_instances() {
    let started = std::time::Instant::now();
    let (coverage, report) = check_seeds(0..cases(), random_instance);
    eprintln!("{} random instances in {:.1?}: {coverage:#?}", cases(), started.elapsed());
    assert!(report.is_empty(), "{report}");
    assert_covered(&coverage);
}

#[test]
fn the_engine_agrees_with_the_oracle_on_larger_instances() {
    // Components large enough for the engine's general solver, not only its small-case paths.
    let (_, report) = check_seeds(10_000..10_012, |seed| Generator::sized(seed, 60, 30).instance());
    assert!(report.is_empty(), "{report}");
}

#[test]
fn the_engine_agrees_with_the_oracle_on_generated_cities() {
    // The engine's own realistic generator makes the input only; the oracle judges.
    let mut failures = Vec::new();
    for (students, seed, shape) in [
        (40, 1, matcher::generate::Shape::Uniform),
        (150, 2, matcher::generate::Shape::Clustered),
        (300, 3, matcher::generate::Shape::Uniform),
    ] {
        let raw = matcher::generate::generate(matcher::generate::Spec { students, seed, shape });
        let bytes = serde_json::to_vec(&raw).unwrap();
        let findings = oracle::check(&bytes).findings;
        if !findings.is_empty() {
            failures.push(format!("{students} students, seed {seed}: {findings:#?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The generator reaches the boundaries it aims at (checked only on a full run).
fn assert_covered(coverage: &Coverage) {
    if cases() < RANDOM_CASES {
        return;
    }
    for constraint in oracle::CONSTRAINTS {
        assert!(coverage.failures.get(constraint).copied().unwrap_or(0) > 0, "no pair fails {constraint}");
    }
    let reached = [
        ("assignments", coverage.assignments),
        ("NO_CANDIDATE", coverage.no_candidate),
        ("OUTSCORED", coverage.outscored),
        ("needs filled by existing matches", coverage.filled_needs),
        ("travel time on the limit", coverage.travel_edge_feasible),
        ("travel time above the limit within the tolerance", coverage.travel_within_tolerance),
        ("travel time just above the limit", coverage.travel_edge_infeasible),
        ("distance on the pick-up radius", coverage.pickup_edge_inside),
        ("distance just beyond the pick-up radius", coverage.pickup_edge_outside),
        ("pick-up deciding travel", coverage.pickup_decides),
        ("age equal to minAge", coverage.age_equal),
        ("age one day short of minAge", coverage.age_one_day_short),
        ("fits only in merged windows", coverage.merged_fit),
        ("free time reduced by an earlier kind", coverage.reduced_by_earlier_kind),
        ("free time reduced by existing sessions", coverage.reduced_by_existing),
    ];
    for (what, count) in reached {
        assert!(count > 0, "the random instances never reach: {what}");
    }
}

// ---------------------------------------------------------------------------------------
// Hand-written cases: a feasible base pair, then one change on each side of a boundary.

const AS_OF: &str = "2026-09-14";

fn student(id: &str) -> Value {
    json!({
        "id": id, "grade": 9, "birthDate": "2010-01-01", "languages": ["en"],
        "home": point_json(CENTER), "travelModes": ["WALK"], "maxTravelMinutes": 30,
        "availability": [{"day": "TUE", "start": "15:00", "end": "18:00"}],
        "needs": [{"kind": "TUTORING", "subjects": ["algebra"]}],
        "consentOnFile": true
    })
}

fn opening(id: &str, kind: &str) -> Value {
    json!({
        "id": id, "partnerId": "p-1", "kind": kind, "subjects": ["algebra"], "languages": ["en"],
        "place": point_json(CENTER),
        "schedule": [{"day": "TUE", "start": "15:00", "end": "18:00"}],
        "sessionMinutes": 60, "capacity": 1,
        "backgroundCheck": {"clearedOn": "2026-01-10", "expiresOn": "2027-01-10"}
    })
}

fn instance(students: Vec<Value>, openings: Vec<Value>) -> Value {
    json!({
        "asOf": AS_OF,
        "students": students,
        "openings": openings,
        "partners": [{"id": "p-1", "agreements": [
            {"startsOn": "2026-01-01", "endsOn": "2027-12-31", "dataSharing": true}]}]
    })
}

/// One student, one tutoring opening: a match.
fn pair() -> Value {
    instance(vec![student("s-1")], vec![opening("o-1", "TUTORING")])
}

/// Runs the engine and also checks the whole result against the oracle.
fn run(instance: &Value) -> Value {
    let bytes = serde_json::to_vec(instance).unwrap();
    let result = oracle::run_engine(&bytes).unwrap_or_else(|finding| panic!("{finding}"));
    let findings = oracle::check(&bytes).findings;
    assert!(findings.is_empty(), "the oracle disagrees: {findings:#?}\nresult: {result:#}");
    result
}

fn run_unchecked(instance: &Value) -> Value {
    oracle::run_engine(&serde_json::to_vec(instance).unwrap()).unwrap_or_else(|finding| panic!("{finding}"))
}

fn assignment<'a>(result: &'a Value, student_id: &str, kind: &str) -> Option<&'a Value> {
    result["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["studentId"] == student_id && a["kind"] == kind)
}

fn unmatched<'a>(result: &'a Value, student_id: &str, kind: &str) -> Option<&'a Value> {
    result["unmatched"].as_array().unwrap().iter().find(|u| u["studentId"] == student_id && u["kind"] == kind)
}

/// The engine matches s-1's tutoring need to o-1 (asserted before the oracle's full check).
#[track_caller]
fn assert_matched(instance: &Value) {
    let result = run_unchecked(instance);
    let matched = assignment(&result, "s-1", "TUTORING").map(|a| a["openingId"].clone());
    assert_eq!(matched, Some(json!("o-1")), "result: {result:#}");
    run(instance);
}

/// The engine leaves s-1's tutoring need unmatched with exactly this `ruledOutBy`.
#[track_caller]
fn assert_ruled_out(instance: &Value, ruled_out_by: Value) {
    let result = run_unchecked(instance);
    let entry = unmatched(&result, "s-1", "TUTORING").unwrap_or_else(|| panic!("matched: {result:#}"));
    assert_eq!(entry["reason"], "NO_CANDIDATE", "result: {result:#}");
    assert_eq!(entry["ruledOutBy"], ruled_out_by, "result: {result:#}");
    run(instance);
}

#[test]
fn the_base_pair_matches() {
    let result = run(&pair());
    let assignment = assignment(&result, "s-1", "TUTORING").unwrap();
    assert_eq!(assignment["sessions"], json!([{"day": "TUE", "start": "15:00", "end": "16:00"}]));
}

#[test]
fn age_counts_whole_years_and_the_birthday_itself() {
    let mut on_birthday = pair();
    on_birthday["openings"][0]["minAge"] = json!(16);
    on_birthday["students"][0]["birthDate"] = json!("2010-09-14");
    assert_matched(&on_birthday);
    let mut day_after = on_birthday.clone();
    day_after["students"][0]["birthDate"] = json!("2010-09-15");
    assert_ruled_out(&day_after, json!({"AGE": 1}));
    let mut no_birth_date = on_birthday.clone();
    no_birth_date["students"][0]["birthDate"] = Value::Null;
    assert_ruled_out(&no_birth_date, json!({"AGE": 1}));
    let mut no_minimum = no_birth_date.clone();
    no_minimum["openings"][0]["minAge"] = Value::Null;
    assert_matched(&no_minimum);
}

#[test]
fn a_leap_day_birthday_is_reached_on_march_first_in_common_years() {
    // The engine's reading: the birthday has not come while (month, day) < (2, 29).
    let mut leap = pair();
    leap["openings"][0]["minAge"] = json!(16);
    leap["students"][0]["birthDate"] = json!("2012-02-29");
    leap["asOf"] = json!("2028-02-28");
    leap["partners"][0]["agreements"][0]["endsOn"] = Value::Null;
    leap["openings"][0]["backgroundCheck"]["expiresOn"] = Value::Null;
    assert_ruled_out(&leap, json!({"AGE": 1}));
    leap["asOf"] = json!("2028-02-29");
    assert_matched(&leap);
    leap["students"][0]["birthDate"] = json!("2011-02-28");
    leap["asOf"] = json!("2027-02-28");
    assert_matched(&leap);
}

#[test]
fn grades_are_inclusive_at_both_ends() {
    for (grade, min_grade, max_grade, is_feasible) in
        [(9, 9, 12, true), (8, 9, 12, false), (12, 9, 12, true), (10, 6, 9, false), (0, 0, 0, true)]
    {
        let mut instance = pair();
        instance["students"][0]["grade"] = json!(grade);
        instance["openings"][0]["minGrade"] = json!(min_grade);
        instance["openings"][0]["maxGrade"] = json!(max_grade);
        if is_feasible { assert_matched(&instance) } else { assert_ruled_out(&instance, json!({"GRADE": 1})) }
    }
    let mut defaults = pair();
    for grade in [0, 12] {
        defaults["students"][0]["grade"] = json!(grade);
        assert_matched(&defaults);
    }
}

#[test]
fn agreements_hold_from_start_to_end_inclusive_and_need_data_sharing() {
    let cases = [
        (json!({"startsOn": "2026-01-01", "endsOn": "2026-09-13", "dataSharing": true}), false),
        (json!({"startsOn": "2026-01-01", "endsOn": "2026-09-14", "dataSharing": true}), true),
        (json!({"startsOn": "2026-09-14", "endsOn": "2027-01-01", "dataSharing": true}), true),
        (json!({"startsOn": "2026-09-15", "endsOn": "2027-01-01", "dataSharing": true}), false),
        (json!({"startsOn": "2026-01-01", "endsOn": "2027-01-01", "dataSharing": false}), false),
        (json!({"startsOn": "2026-01-01", "endsOn": "2027-01-01"}), false),
        (json!({"startsOn": "2026-01-01", "endsOn": "2027-01-01", "dataSharing": null}), false),
        (json!({"dataSharing": true}), true),
        (json!({"startsOn": null, "endsOn": "2026-09-14", "dataSharing": true}), true),
    ];
    for (agreement, is_feasible) in cases {
        let mut instance = pair();
        instance["partners"][0]["agreements"] = json!([agreement]);
        if is_feasible {
            assert_matched(&instance)
        } else {
            assert_ruled_out(&instance, json!({"AGREEMENT": 1}))
        }
    }
    let mut none = pair();
    none["partners"][0] = json!({"id": "p-1"});
    assert_ruled_out(&none, json!({"AGREEMENT": 1}));
    let mut one_of_two = pair();
    one_of_two["partners"][0]["agreements"] = json!([
        {"startsOn": "2025-01-01", "endsOn": "2025-12-31", "dataSharing": true},
        {"startsOn": "2026-01-01", "endsOn": "2026-12-31", "dataSharing": true}]);
    assert_matched(&one_of_two);
}

#[test]
fn background_checks_hold_from_clearance_to_expiry_inclusive() {
    let cases = [
        (json!({"clearedOn": "2026-01-10", "expiresOn": "2026-09-14"}), true),
        (json!({"clearedOn": "2026-01-10", "expiresOn": "2026-09-13"}), false),
        (json!({"clearedOn": "2026-09-14", "expiresOn": "2027-01-01"}), true),
        (json!({"clearedOn": "2026-09-15", "expiresOn": "2027-01-01"}), false),
        (json!({"clearedOn": "2026-01-10"}), true),
        (json!({"expiresOn": "2027-01-01"}), false),
        (json!({}), false),
        (Value::Null, false),
    ];
    for (check, is_feasible) in cases {
        let mut instance = pair();
        instance["openings"][0]["backgroundCheck"] = check.clone();
        if is_feasible {
            assert_matched(&instance)
        } else {
            assert_ruled_out(&instance, json!({"BACKGROUND_CHECK": 1}))
        }
    }
}

#[test]
fn background_checks_bind_only_in_person_tutoring_and_mentoring() {
    let mut internship = pair();
    internship["students"][0]["needs"] = json!([{"kind": "INTERNSHIP"}]);
    internship["openings"][0]["kind"] = json!("INTERNSHIP");
    internship["openings"][0]["backgroundCheck"] = Value::Null;
    let result = run(&internship);
    assert!(assignment(&result, "s-1", "INTERNSHIP").is_some(), "{result:#}");
    let mut mentoring = internship.clone();
    mentoring["students"][0]["needs"] = json!([{"kind": "MENTORING", "subjects": []}]);
    mentoring["openings"][0]["kind"] = json!("MENTORING");
    let result = run(&mentoring);
    assert_eq!(unmatched(&result, "s-1", "MENTORING").unwrap()["ruledOutBy"], json!({"BACKGROUND_CHECK": 1}));
    let mut virtual_mentoring = mentoring.clone();
    virtual_mentoring["openings"][0]["virtual"] = json!(true);
    let result = run(&virtual_mentoring);
    assert!(assignment(&result, "s-1", "MENTORING").is_some(), "{result:#}");
}

#[test]
fn consent_must_be_on_file() {
    let mut refused = pair();
    refused["students"][0]["consentOnFile"] = json!(false);
    assert_ruled_out(&refused, json!({"CONSENT": 1}));
    // docs/matching.md gives no default for consentOnFile; absent consent is no consent.
    refused["students"][0].as_object_mut().unwrap().remove("consentOnFile");
    assert_ruled_out(&refused, json!({"CONSENT": 1}));
    refused["students"][0]["consentOnFile"] = Value::Null;
    assert_ruled_out(&refused, json!({"CONSENT": 1}));
}

#[test]
fn subjects_bind_tutoring_only_and_compare_trimmed_and_case_insensitively() {
    let mut other = pair();
    other["students"][0]["needs"][0]["subjects"] = json!(["biology"]);
    assert_ruled_out(&other, json!({"SUBJECTS": 1}));
    let mut spelled = pair();
    spelled["students"][0]["needs"][0]["subjects"] = json!([" Algebra "]);
    spelled["openings"][0]["subjects"] = json!(["ALGEBRA"]);
    assert_matched(&spelled);
    let mut mentoring = other.clone();
    mentoring["students"][0]["needs"][0]["kind"] = json!("MENTORING");
    mentoring["openings"][0]["kind"] = json!("MENTORING");
    let result = run(&mentoring);
    assert!(assignment(&result, "s-1", "MENTORING").is_some(), "{result:#}");
}

#[test]
fn subjects_fold_case_and_trim_beyond_ascii() {
    let mut accented = pair();
    accented["students"][0]["needs"][0]["subjects"] = json!(["ÁLGEBRA"]);
    accented["openings"][0]["subjects"] = json!(["\u{a0}álgebra"]);
    assert_matched(&accented);
}

#[test]
fn an_opening_without_subjects_is_a_candidate_outside_tutoring() {
    // Subjects bind TUTORING only; for other kinds they are scored, never required.
    for kind in ["MENTORING", "INTERNSHIP"] {
        for need_subjects in [json!(["healthcare"]), json!([]), Value::Null] {
            let mut bare = pair();
            bare["students"][0]["needs"] = json!([{"kind": kind, "subjects": need_subjects}]);
            bare["openings"][0]["kind"] = json!(kind);
            bare["openings"][0]["subjects"] = json!([]);
            let result = run_unchecked(&bare);
            assert!(
                assignment(&result, "s-1", kind).is_some(),
                "{kind} need {need_subjects}, opening subjects []: {}",
                serde_json::to_string(&result["unmatched"]).unwrap()
            );
            run(&bare);
        }
    }
}

#[test]
fn languages_must_share_one() {
    let mut apart = pair();
    apart["students"][0]["languages"] = json!(["es", "vi"]);
    assert_ruled_out(&apart, json!({"LANGUAGE": 1}));
    apart["openings"][0]["languages"] = json!(["zh", "vi"]);
    assert_matched(&apart);
}

/// The home `minutes` of walking north of the centre, on or a few ulps above the limit.
fn home_at_walk(minutes: f64) -> (f64, f64) {
    let km = minutes / 60.0 * 4.5 / 1.3;
    let mut home = north_of(CENTER, km);
    let walk = |home: (f64, f64)| 1.3 * haversine_km(CENTER, home) / 4.5 * 60.0;
    while walk(home) < minutes {
        home.0 = home.0.next_up();
    }
    home
}

#[test]
fn travel_time_on_the_limit_is_feasible_and_just_above_is_not() {
    let home = home_at_walk(30.0);
    let walk = 1.3 * haversine_km(CENTER, home) / 4.5 * 60.0;
    assert!((0.0..1e-10).contains(&(walk - 30.0)), "walk {walk}");
    let mut on_limit = pair();
    on_limit["students"][0]["home"] = point_json(home);
    assert_matched(&on_limit);
    let mut above = pair();
    above["students"][0]["home"] = point_json(home_at_walk(30.0 + 1e-6));
    assert_ruled_out(&above, json!({"TRAVEL": 1}));
}

#[test]
fn travel_takes_the_fastest_mode_and_transit_waits_ten_minutes() {
    // 4.5 km away: walk 78 min, bike 25.1, transit 29.5, car 10.03.
    let home = north_of(CENTER, 4.5);
    let mut far = pair();
    far["students"][0]["home"] = point_json(home);
    far["students"][0]["travelModes"] = json!(["WALK", "BIKE"]);
    far["students"][0]["maxTravelMinutes"] = json!(26);
    assert_matched(&far);
    far["students"][0]["maxTravelMinutes"] = json!(25);
    assert_ruled_out(&far, json!({"TRAVEL": 1}));
    let mut next_door = pair();
    next_door["students"][0]["travelModes"] = json!(["TRANSIT"]);
    next_door["students"][0]["maxTravelMinutes"] = json!(9);
    assert_ruled_out(&next_door, json!({"TRAVEL": 1}));
    next_door["students"][0]["maxTravelMinutes"] = json!(10);
    assert_matched(&next_door);
    let mut car = far.clone();
    car["students"][0]["travelModes"] = json!(["CAR"]);
    car["students"][0]["maxTravelMinutes"] = json!(11);
    assert_matched(&car);
    car["students"][0]["maxTravelMinutes"] = json!(10);
    assert_ruled_out(&car, json!({"TRAVEL": 1}));
}

#[test]
fn no_travel_mode_and_no_pick_up_is_infeasible_even_next_door() {
    let mut none = pair();
    none["students"][0]["travelModes"] = json!([]);
    assert_ruled_out(&none, json!({"TRAVEL": 1}));
    none["students"][0].as_object_mut().unwrap().remove("travelModes");
    assert_ruled_out(&none, json!({"TRAVEL": 1}));
}

#[test]
fn a_pick_up_reaches_exactly_its_radius() {
    let home = (north_of(CENTER, 3.0).0, CENTER.1 + 0.004);
    let km = haversine_km(CENTER, home);
    let mut pick_up = pair();
    pick_up["students"][0]["home"] = point_json(home);
    pick_up["students"][0]["travelModes"] = json!([]);
    pick_up["students"][0]["maxTravelMinutes"] = json!(10);
    pick_up["openings"][0]["pickupRadiusKm"] = json!(km);
    assert_matched(&pick_up);
    pick_up["openings"][0]["pickupRadiusKm"] = json!(km - 1e-6);
    assert_ruled_out(&pick_up, json!({"TRAVEL": 1}));
    // The engine's reading: a micrometre of slack.
    pick_up["openings"][0]["pickupRadiusKm"] = json!(km - 5e-10);
    assert_matched(&pick_up);
    // Within the radius but the car is still too slow.
    pick_up["openings"][0]["pickupRadiusKm"] = json!(km + 1.0);
    pick_up["students"][0]["maxTravelMinutes"] = json!(6);
    assert_ruled_out(&pick_up, json!({"TRAVEL": 1}));
}

#[test]
fn travel_is_exact_at_zero_distance_and_at_the_antipodes() {
    let mut door = pair();
    door["students"][0]["maxTravelMinutes"] = json!(0);
    assert_matched(&door);
    door["students"][0]["travelModes"] = json!([]);
    door["openings"][0]["pickupRadiusKm"] = json!(0.0);
    assert_matched(&door);
    // Half the globe away: 20015 km, 44 605 minutes by car.
    let mut far = pair();
    far["students"][0]["home"] = point_json((0.0, 0.0));
    far["openings"][0]["place"] = point_json((0.0, 180.0));
    far["students"][0]["travelModes"] = json!(["CAR"]);
    far["students"][0]["maxTravelMinutes"] = json!(44_606);
    assert_matched(&far);
    far["students"][0]["maxTravelMinutes"] = json!(44_604);
    assert_ruled_out(&far, json!({"TRAVEL": 1}));
    // Across the antimeridian, 2.2 km apart.
    let mut across = pair();
    across["students"][0]["home"] = point_json((-17.7, 179.99));
    across["openings"][0]["place"] = point_json((-17.7, -179.99));
    across["students"][0]["maxTravelMinutes"] = json!(40);
    assert_matched(&across);
    across["students"][0]["maxTravelMinutes"] = json!(30);
    assert_ruled_out(&across, json!({"TRAVEL": 1}));
    // Over the pole, 2.2 km apart.
    let mut polar = pair();
    polar["students"][0]["home"] = point_json((89.99, 0.0));
    polar["openings"][0]["place"] = point_json((89.99, 180.0));
    polar["students"][0]["maxTravelMinutes"] = json!(40);
    assert_matched(&polar);
}

#[test]
fn boundary_values_of_the_field_rules_are_accepted() {
    let mut edges = full_instance();
    edges["students"][0]["home"] = point_json((90.0, -180.0));
    edges["students"][1]["home"] = point_json((-90.0, 180.0));
    edges["students"][0]["grade"] = json!(0);
    edges["students"][1]["grade"] = json!(12);
    edges["students"][0]["priority"] = json!(3);
    edges["students"][1]["priority"] = json!(0);
    edges["students"][0]["travelModes"] = json!(["WALK", "BIKE", "TRANSIT", "CAR"]);
    edges["students"][0]["availability"] = json!([{"day": "SUN", "start": "00:00", "end": "24:00"}]);
    edges["openings"][0]["capacity"] = json!(1);
    edges["openings"][0]["sessionsPerWeek"] = json!(7);
    edges["openings"][1]["virtual"] = json!(true);
    edges["openings"][1]["place"] = Value::Null;
    run(&edges);
}

#[test]
fn virtual_openings_need_remote_ok_which_defaults_to_true() {
    let mut remote = pair();
    remote["openings"][0]["virtual"] = json!(true);
    remote["openings"][0].as_object_mut().unwrap().remove("place");
    remote["students"][0]["home"] = point_json((-33.9, 151.2));
    remote["students"][0]["travelModes"] = json!([]);
    assert_matched(&remote);
    remote["students"][0]["remoteOk"] = json!(false);
    assert_ruled_out(&remote, json!({"TRAVEL": 1}));
    remote["students"][0]["remoteOk"] = Value::Null;
    assert_matched(&remote);
}

#[test]
fn touching_windows_merge_and_hold_a_longer_session() {
    let mut touching = pair();
    touching["students"][0]["availability"] = json!([
        {"day": "TUE", "start": "15:00", "end": "16:00"}, {"day": "TUE", "start": "16:00", "end": "17:00"}]);
    touching["openings"][0]["sessionMinutes"] = json!(90);
    assert_matched(&touching);
    let result = run(&touching);
    let sessions = &assignment(&result, "s-1", "TUTORING").unwrap()["sessions"];
    assert_eq!(sessions, &json!([{"day": "TUE", "start": "15:00", "end": "16:30"}]));
    let mut gap = touching.clone();
    gap["students"][0]["availability"][1]["start"] = json!("16:01");
    assert_ruled_out(&gap, json!({"SCHEDULE": 1}));
    // The opening's schedule merges too.
    let mut schedule = pair();
    schedule["openings"][0]["schedule"] = json!([
        {"day": "TUE", "start": "15:30", "end": "16:15"}, {"day": "TUE", "start": "16:00", "end": "17:00"}]);
    schedule["openings"][0]["sessionMinutes"] = json!(90);
    let result = run(&schedule);
    let sessions = &assignment(&result, "s-1", "TUTORING").unwrap()["sessions"];
    assert_eq!(sessions, &json!([{"day": "TUE", "start": "15:30", "end": "17:00"}]));
}

#[test]
fn sessions_per_week_need_as_many_distinct_days() {
    let mut twice = pair();
    twice["openings"][0]["sessionsPerWeek"] = json!(2);
    twice["students"][0]["availability"] = json!([
        {"day": "TUE", "start": "15:00", "end": "16:00"}, {"day": "TUE", "start": "17:00", "end": "18:00"}]);
    assert_ruled_out(&twice, json!({"SCHEDULE": 1}));
    twice["students"][0]["availability"] = json!([
        {"day": "TUE", "start": "15:00", "end": "16:00"}, {"day": "MON", "start": "17:00", "end": "19:00"},
        {"day": "SUN", "start": "10:00", "end": "12:00"}]);
    twice["openings"][0]["schedule"] = json!([
        {"day": "MON", "start": "18:00", "end": "20:00"}, {"day": "TUE", "start": "14:00", "end": "18:00"},
        {"day": "SUN", "start": "09:00", "end": "13:00"}]);
    let result = run(&twice);
    let sessions = &assignment(&result, "s-1", "TUTORING").unwrap()["sessions"];
    assert_eq!(
        sessions,
        &json!([{"day": "MON", "start": "18:00", "end": "19:00"}, {"day": "TUE", "start": "15:00", "end": "16:00"}])
    );
}

#[test]
fn a_session_may_end_at_midnight() {
    let mut late = pair();
    late["students"][0]["availability"] = json!([{"day": "FRI", "start": "23:00", "end": "24:00"}]);
    late["openings"][0]["schedule"] = json!([{"day": "FRI", "start": "22:00", "end": "24:00"}]);
    let result = run(&late);
    let sessions = &assignment(&result, "s-1", "TUTORING").unwrap()["sessions"];
    assert_eq!(sessions, &json!([{"day": "FRI", "start": "23:00", "end": "24:00"}]));
    // Saturday 00:00 does not continue Friday.
    late["students"][0]["availability"] = json!([{"day": "FRI", "start": "23:30", "end": "24:00"}, {"day": "SAT", "start": "00:00", "end": "00:30"}]);
    late["openings"][0]["schedule"] = json!([{"day": "FRI", "start": "22:00", "end": "24:00"}, {"day": "SAT", "start": "00:00", "end": "02:00"}]);
    assert_ruled_out(&late, json!({"SCHEDULE": 1}));
}

#[test]
fn existing_sessions_take_free_time() {
    let mut busy = pair();
    busy["students"][0]["availability"] = json!([{"day": "TUE", "start": "15:00", "end": "17:00"}]);
    busy["openings"].as_array_mut().unwrap().push(opening("o-9", "MENTORING"));
    busy["openings"][1]["capacity"] = json!(5);
    busy["existingMatches"] = json!([{"studentId": "s-1", "openingId": "o-9",
        "sessions": [{"day": "TUE", "start": "15:30", "end": "16:30"}]}]);
    assert_ruled_out(&busy, json!({"SCHEDULE": 1}));
    busy["existingMatches"][0]["sessions"] = json!([{"day": "TUE", "start": "15:00", "end": "15:30"}]);
    let result = run(&busy);
    assert_eq!(
        assignment(&result, "s-1", "TUTORING").unwrap()["sessions"],
        json!([{"day": "TUE", "start": "15:30", "end": "16:30"}])
    );
}

#[test]
fn earlier_kinds_take_time_from_later_kinds() {
    let mut student = student("s-1");
    student["availability"] = json!([{"day": "TUE", "start": "15:00", "end": "16:30"}]);
    student["needs"] = json!([{"kind": "TUTORING", "subjects": ["algebra"]}, {"kind": "INTERNSHIP"}]);
    let mut internship = opening("o-2", "INTERNSHIP");
    internship["backgroundCheck"] = Value::Null;
    let multi = instance(vec![student], vec![opening("o-1", "TUTORING"), internship]);
    let result = run(&multi);
    assert_eq!(
        assignment(&result, "s-1", "INTERNSHIP").unwrap()["sessions"],
        json!([{"day": "TUE", "start": "15:00", "end": "16:00"}])
    );
    assert_eq!(unmatched(&result, "s-1", "TUTORING").unwrap()["ruledOutBy"], json!({"SCHEDULE": 1}));
    // With half an hour less tutoring, it fits right after the internship.
    let mut shorter = multi.clone();
    shorter["openings"][0]["sessionMinutes"] = json!(30);
    let result = run(&shorter);
    assert_eq!(
        assignment(&result, "s-1", "TUTORING").unwrap()["sessions"],
        json!([{"day": "TUE", "start": "16:00", "end": "16:30"}])
    );
}

#[test]
fn declined_pairs_and_full_openings_are_ruled_out() {
    let mut declined = pair();
    declined["declined"] = json!([{"studentId": "s-1", "openingId": "o-1"}]);
    assert_ruled_out(&declined, json!({"DECLINED": 1}));
    let mut full = pair();
    full["students"].as_array_mut().unwrap().push(student("s-2"));
    full["students"][1]["needs"] = json!([]);
    full["existingMatches"] = json!([{"studentId": "s-2", "openingId": "o-1"}]);
    assert_ruled_out(&full, json!({"FULL": 1}));
    full["openings"][0]["capacity"] = json!(2);
    assert_matched(&full);
}

#[test]
fn a_need_filled_by_an_existing_match_is_neither_matched_nor_unmatched() {
    let mut filled = pair();
    filled["openings"].as_array_mut().unwrap().push(opening("o-2", "TUTORING"));
    filled["existingMatches"] = json!([{"studentId": "s-1", "openingId": "o-2"}]);
    let result = run(&filled);
    assert!(assignment(&result, "s-1", "TUTORING").is_none(), "{result:#}");
    assert!(unmatched(&result, "s-1", "TUTORING").is_none(), "{result:#}");
    assert_eq!(result["stats"]["needs"], 0);
}

#[test]
fn failing_several_constraints_counts_under_each() {
    let mut many = pair();
    many["students"][0]["languages"] = json!(["es"]);
    many["students"][0]["grade"] = json!(3);
    many["students"][0]["consentOnFile"] = json!(false);
    many["openings"].as_array_mut().unwrap().push(opening("o-2", "TUTORING"));
    many["openings"][1]["subjects"] = json!(["art"]);
    many["openings"][1]["minGrade"] = json!(6);
    assert_ruled_out(&many, json!({"SUBJECTS": 1, "GRADE": 1, "LANGUAGE": 2, "CONSENT": 2}));
}

#[test]
fn a_need_without_any_opening_of_its_kind_has_no_candidate() {
    let mut none = pair();
    none["openings"][0]["kind"] = json!("MENTORING");
    let result = run(&none);
    let entry = unmatched(&result, "s-1", "TUTORING").unwrap();
    assert_eq!(entry["reason"], "NO_CANDIDATE");
}

#[test]
fn scarce_slots_leave_the_other_need_outscored() {
    let scarce = instance(vec![student("s-1"), student("s-2")], vec![opening("o-1", "TUTORING")]);
    let result = run(&scarce);
    assert_eq!(result["assignments"].as_array().unwrap().len(), 1);
    let loser = result["unmatched"][0].clone();
    assert_eq!(loser["reason"], "OUTSCORED");
    assert!(loser.get("ruledOutBy").is_none(), "{loser}");
}

#[test]
fn whoever_waited_takes_the_contested_slot_and_the_breakdown_says_why() {
    for (waiting, rating) in [(1, 50), (8, 60), (400, 100)] {
        let mut waited = student("s-2");
        waited["needs"][0]["waitingDays"] = json!(waiting);
        let contested = instance(vec![student("s-1"), waited], vec![opening("o-1", "TUTORING")]);
        let result = run(&contested);
        let winner = &result["assignments"][0];
        assert_eq!(winner["studentId"], "s-2", "{result:#}");
        assert_eq!(winner["breakdown"]["waiting"], 4 * rating, "default weight 4: {result:#}");
        assert_eq!(result["unmatched"][0]["studentId"], "s-1");

        // Without the criterion's weight the wait earns nothing.
        let mut unweighted = contested.clone();
        unweighted["weights"] = json!({"waiting": 0});
        let result = run(&unweighted);
        assert_eq!(result["assignments"][0]["breakdown"]["waiting"], 0, "{result:#}");
    }
}

#[test]
fn the_count_of_matches_comes_before_their_score() {
    // s-1 fits both openings, s-2 only o-1: both must be matched, whatever the scores.
    let mut s2 = student("s-2");
    s2["priority"] = json!(0);
    let mut s1 = student("s-1");
    s1["priority"] = json!(3);
    let mut far = opening("o-2", "TUTORING");
    far["place"] = point_json(north_of(CENTER, 1.5));
    s2["home"] = point_json(north_of(CENTER, -0.5));
    let choice = instance(vec![s1, s2], vec![opening("o-1", "TUTORING"), far]);
    let result = run(&choice);
    assert_eq!(result["stats"]["matched"], 2, "{result:#}");
}

#[test]
fn zero_weights_give_zero_scores() {
    let mut zero = instance(vec![student("s-1"), student("s-2")], vec![opening("o-1", "TUTORING")]);
    zero["weights"] = json!({"field": 0, "travel": 0, "schedule": 0, "language": 0, "priority": 0, "continuity": 0,
               "waiting": 0});
    zero["students"][1]["needs"][0]["waitingDays"] = json!(30);
    let result = run(&zero);
    assert_eq!(result["stats"]["totalScore"], 0, "{result:#}");
}

#[test]
fn the_same_input_gives_the_same_output_whatever_the_thread_count() {
    let raw = matcher::generate::generate(matcher::generate::Spec {
        students: 400,
        seed: 7,
        shape: matcher::generate::Shape::Clustered,
    });
    let mut inputs = vec![serde_json::to_vec(&raw).unwrap()];
    inputs.extend(
        (1000..1010).map(|seed| serde_json::to_vec(&Generator::sized(seed, 60, 30).instance()).unwrap()),
    );
    for bytes in &inputs {
        let results: Vec<Value> = [1, 3, 1, 4]
            .into_iter()
            .map(|threads| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                let mut result = pool.install(|| oracle::run_engine(bytes)).unwrap();
                result["stats"]["seconds"] = Value::Null;
                result
            })
            .collect();
        assert!(results.windows(2).all(|pair| pair[0] == pair[1]), "results differ between runs");
    }
    // A dense city: its kinds are solved on a sparse subgraph priced in parallel.
    let dense = serde_json::to_vec(&matcher::generate::generate(matcher::generate::Spec {
        students: 3_000,
        seed: 5,
        shape: matcher::generate::Shape::Dense,
    }))
    .unwrap();
    let results: Vec<Value> = [1, 2]
        .into_iter()
        .map(|threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let mut result = pool.install(|| oracle::run_engine(&dense)).unwrap();
            result["stats"]["seconds"] = Value::Null;
            result
        })
        .collect();
    assert_eq!(results[0], results[1], "a dense city's results differ between thread counts");
}

// ---------------------------------------------------------------------------------------
// Bad input: refused with the path of the culprit, never a panic.

/// What `read_instance` says about `bytes`: the error path, or why there is none.
fn refusal(bytes: &[u8]) -> Result<String, String> {
    match catch_unwind(AssertUnwindSafe(|| matcher::read_instance(bytes))) {
        Err(_) => Err("panicked".into()),
        Ok(Ok(_)) => Err("accepted".into()),
        Ok(Err(matcher::Error::Input { path, .. })) => Ok(path),
        Ok(Err(other)) => Err(format!("not an input error: {other}")),
    }
}

/// A valid instance with a student, an opening of each kind, a partner, history and weights.
fn full_instance() -> Value {
    let mut instance = instance(
        vec![student("s-0"), student("s-1")],
        vec![opening("o-0", "TUTORING"), opening("o-1", "MENTORING")],
    );
    instance["students"][0]["birthDate"] = json!("2010-03-02");
    instance["openings"][0]["pickupRadiusKm"] = json!(3.0);
    instance["openings"][0]["minAge"] = json!(14);
    instance["existingMatches"] = json!([{"studentId": "s-1", "openingId": "o-1", "sessions": [{"day": "WED", "start": "16:00", "end": "17:00"}]}]);
    instance["declined"] = json!([{"studentId": "s-0", "openingId": "o-1"}]);
    instance["weights"] = json!({});
    instance
}

type Breakage = fn(&mut Value);

/// Every field rule of docs/matching.md, broken once; the paths that name the culprit.
fn broken_rules() -> Vec<(&'static str, Breakage, &'static [&'static str])> {
    fn drop(value: &mut Value, key: &str) {
        value.as_object_mut().unwrap().remove(key);
    }
    vec![
        ("asOf not a date", |i| i["asOf"] = json!("2026-02-30"), &["asOf"]),
        ("student grade null", |i| i["students"][0]["grade"] = Value::Null, &["students[0].grade"]),
        (
            "day unknown",
            |i| i["students"][1]["availability"][0]["day"] = json!("TUESDAY"),
            &["students[1].availability[0].day", "students[1].availability[0]"],
        ),
        (
            "day lower case",
            |i| i["openings"][0]["schedule"][0]["day"] = json!("tue"),
            &["openings[0].schedule[0].day", "openings[0].schedule[0]"],
        ),
        (
            "start not HH:MM",
            |i| i["students"][0]["availability"][0]["start"] = json!("9:00"),
            &["students[0].availability[0].start", "students[0].availability[0]"],
        ),
        (
            "end after 24:00",
            |i| i["students"][0]["availability"][0]["end"] = json!("24:01"),
            &["students[0].availability[0].end", "students[0].availability[0]"],
        ),
        (
            "minutes 60",
            |i| i["openings"][0]["schedule"][0]["end"] = json!("17:60"),
            &["openings[0].schedule[0].end", "openings[0].schedule[0]"],
        ),
        (
            "end before start",
            |i| i["students"][0]["availability"][0]["end"] = json!("14:00"),
            &["students[0].availability[0]", "students[0].availability[0].end"],
        ),
        (
            "end equal to start",
            |i| i["openings"][1]["schedule"][0]["end"] = json!("15:00"),
            &["openings[1].schedule[0]", "openings[1].schedule[0].end"],
        ),
        (
            "existing session end before start",
            |i| i["existingMatches"][0]["sessions"][0]["end"] = json!("15:00"),
            &["existingMatches[0].sessions[0]", "existingMatches[0].sessions[0].end"],
        ),
        ("grade 13", |i| i["students"][0]["grade"] = json!(13), &["students[0].grade"]),
        ("grade -1", |i| i["students"][1]["grade"] = json!(-1), &["students[1].grade"]),
        (
            "language upper case",
            |i| i["students"][0]["languages"] = json!(["en", "ES"]),
            &["students[0].languages[1]", "students[0].languages"],
        ),
        (
            "language of three letters",
            |i| i["openings"][0]["languages"] = json!(["eng"]),
            &["openings[0].languages[0]", "openings[0].languages"],
        ),
        (
            "language not ISO 639-1",
            |i| i["openings"][1]["languages"] = json!(["en", "qq"]),
            &["openings[1].languages[1]", "openings[1].languages"],
        ),
        (
            "travel mode unknown",
            |i| i["students"][0]["travelModes"] = json!(["WALK", "PLANE"]),
            &["students[0].travelModes[1]", "students[0].travelModes"],
        ),
        ("priority 4", |i| i["students"][0]["priority"] = json!(4), &["students[0].priority"]),
        ("priority -1", |i| i["students"][0]["priority"] = json!(-1), &["students[0].priority"]),
        (
            "waitingDays -1",
            |i| i["students"][0]["needs"][0]["waitingDays"] = json!(-1),
            &["students[0].needs[0].waitingDays"],
        ),
        (
            "waitingDays 1.5",
            |i| i["students"][0]["needs"][0]["waitingDays"] = json!(1.5),
            &["students[0].needs[0].waitingDays"],
        ),
        (
            "waitingDays text",
            |i| i["students"][0]["needs"][0]["waitingDays"] = json!("3"),
            &["students[0].needs[0].waitingDays"],
        ),
        (
            "need kind unknown",
            |i| i["students"][0]["needs"][0]["kind"] = json!("COACHING"),
            &["students[0].needs[0].kind", "students[0].needs[0]"],
        ),
        ("opening kind unknown", |i| i["openings"][0]["kind"] = json!("tutoring"), &["openings[0].kind"]),
        ("capacity 0", |i| i["openings"][1]["capacity"] = json!(0), &["openings[1].capacity"]),
        ("capacity -1", |i| i["openings"][1]["capacity"] = json!(-1), &["openings[1].capacity"]),
        (
            "place missing in person",
            |i| drop(&mut i["openings"][1], "place"),
            &["openings[1].place", "openings[1]"],
        ),
        (
            "place null with virtual false",
            |i| {
                i["openings"][1]["place"] = Value::Null;
                i["openings"][1]["virtual"] = json!(false);
            },
            &["openings[1].place", "openings[1]"],
        ),
        (
            "lat 90.5 at home",
            |i| i["students"][0]["home"]["lat"] = json!(90.5),
            &["students[0].home.lat", "students[0].home"],
        ),
        (
            "lat -91 at place",
            |i| i["openings"][0]["place"]["lat"] = json!(-91),
            &["openings[0].place.lat", "openings[0].place"],
        ),
        (
            "lon 180.5 at home",
            |i| i["students"][1]["home"]["lon"] = json!(180.5),
            &["students[1].home.lon", "students[1].home"],
        ),
        (
            "lon -181 at place",
            |i| i["openings"][1]["place"]["lon"] = json!(-181),
            &["openings[1].place.lon", "openings[1].place"],
        ),
        (
            "student id repeated",
            |i| i["students"][1]["id"] = json!("s-0"),
            &["students[1].id", "students[1]"],
        ),
        (
            "opening id repeated",
            |i| i["openings"][1]["id"] = json!("o-0"),
            &["openings[1].id", "openings[1]"],
        ),
        (
            "partner id repeated",
            |i| i["partners"] = json!([{"id": "p-1"}, {"id": "p-1"}]),
            &["partners[1].id", "partners[1]"],
        ),
        (
            "partnerId unresolved",
            |i| i["openings"][1]["partnerId"] = json!("p-404"),
            &["openings[1].partnerId"],
        ),
        (
            "existing studentId unresolved",
            |i| i["existingMatches"][0]["studentId"] = json!("s-404"),
            &["existingMatches[0].studentId"],
        ),
        (
            "existing openingId unresolved",
            |i| i["existingMatches"][0]["openingId"] = json!("o-404"),
            &["existingMatches[0].openingId"],
        ),
        (
            "declined studentId unresolved",
            |i| i["declined"][0]["studentId"] = json!("s-404"),
            &["declined[0].studentId"],
        ),
        (
            "declined openingId unresolved",
            |i| i["declined"][0]["openingId"] = json!("o-404"),
            &["declined[0].openingId"],
        ),
        (
            "two needs of one kind",
            |i| i["students"][0]["needs"] = json!([{"kind": "TUTORING", "subjects": ["algebra"]}, {"kind": "TUTORING", "subjects": ["art"]}]),
            &["students[0].needs[1]", "students[0].needs[1].kind", "students[0].needs"],
        ),
        ("unknown top-level field", |i| i["weight"] = json!({}), &["$", "", "weight"]),
        (
            "unknown student field",
            |i| i["students"][0]["grades"] = json!(9),
            &["students[0]", "students[0].grades"],
        ),
        (
            "unknown opening field",
            |i| i["openings"][0]["capacityMax"] = json!(2),
            &["openings[0]", "openings[0].capacityMax"],
        ),
        (
            "unknown need field",
            |i| i["students"][0]["needs"][0]["subject"] = json!("algebra"),
            &["students[0].needs[0]", "students[0].needs[0].subject"],
        ),
        (
            "unknown window field",
            |i| i["students"][0]["availability"][0]["weekday"] = json!("TUE"),
            &["students[0].availability[0]", "students[0].availability[0].weekday"],
        ),
        (
            "unknown home field",
            |i| i["students"][0]["home"]["alt"] = json!(180),
            &["students[0].home", "students[0].home.alt"],
        ),
        (
            "unknown partner field",
            |i| i["partners"][0]["name"] = json!("x"),
            &["partners[0]", "partners[0].name"],
        ),
        (
            "unknown agreement field",
            |i| i["partners"][0]["agreements"][0]["datasharing"] = json!(true),
            &["partners[0].agreements[0]", "partners[0].agreements[0].datasharing"],
        ),
        (
            "unknown background check field",
            |i| i["openings"][0]["backgroundCheck"]["expires"] = json!("2027-01-01"),
            &["openings[0].backgroundCheck", "openings[0].backgroundCheck.expires"],
        ),
        (
            "unknown existing match field",
            |i| i["existingMatches"][0]["kind"] = json!("MENTORING"),
            &["existingMatches[0]", "existingMatches[0].kind"],
        ),
        (
            "unknown declined field",
            |i| i["declined"][0]["reason"] = json!("x"),
            &["declined[0]", "declined[0].reason"],
        ),
        ("unknown weight", |i| i["weights"] = json!({"feild": 2}), &["weights", "weights.feild"]),
        ("wrong type: grade as text", |i| i["students"][0]["grade"] = json!("9"), &["students[0].grade"]),
        ("wrong type: grade fractional", |i| i["students"][0]["grade"] = json!(9.5), &["students[0].grade"]),
        (
            "wrong type: languages as text",
            |i| i["students"][0]["languages"] = json!("en"),
            &["students[0].languages"],
        ),
        (
            "wrong type: capacity fractional",
            |i| i["openings"][0]["capacity"] = json!(1.5),
            &["openings[0].capacity"],
        ),
        ("wrong type: students not a list", |i| i["students"] = json!({"id": "s-0"}), &["students"]),
        ("wrong type: asOf a number", |i| i["asOf"] = json!(20260914), &["asOf"]),
        (
            "wrong type: birthDate not a date",
            |i| i["students"][0]["birthDate"] = json!("14/09/2010"),
            &["students[0].birthDate"],
        ),
        (
            "wrong type: remoteOk as text",
            |i| i["students"][0]["remoteOk"] = json!("yes"),
            &["students[0].remoteOk"],
        ),
        (
            "wrong type: agreement endsOn not a date",
            |i| i["partners"][0]["agreements"][0]["endsOn"] = json!("2027-13-01"),
            &["partners[0].agreements[0].endsOn"],
        ),
        (
            "wrong type: lat as text",
            |i| i["openings"][0]["place"]["lat"] = json!("41.9"),
            &["openings[0].place.lat"],
        ),
    ]
}

/// The required fields of docs/matching.md: (the object's JSON pointer, its path, the field).
const REQUIRED_FIELDS: [(&str, &str, &str); 18] = [
    ("", "", "asOf"),
    ("/students/0", "students[0].", "id"),
    ("/students/0", "students[0].", "grade"),
    ("/students/0", "students[0].", "languages"),
    ("/students/0", "students[0].", "home"),
    ("/students/0", "students[0].", "maxTravelMinutes"),
    ("/students/0", "students[0].", "availability"),
    ("/students/0", "students[0].", "needs"),
    ("/openings/1", "openings[1].", "id"),
    ("/openings/1", "openings[1].", "partnerId"),
    ("/openings/1", "openings[1].", "kind"),
    ("/openings/1", "openings[1].", "subjects"),
    ("/openings/1", "openings[1].", "languages"),
    ("/openings/1", "openings[1].", "schedule"),
    ("/openings/1", "openings[1].", "sessionMinutes"),
    ("/openings/1", "openings[1].", "capacity"),
    ("/partners/0", "partners[0].", "id"),
    ("/openings/1", "openings[1].", "place"),
];

#[test]
fn a_missing_required_field_is_refused_at_its_own_path() {
    // The same path whether the field is absent or null: the path names the field, as it
    // does for every other broken rule.
    let mut failures = Vec::new();
    for (pointer, prefix, field) in REQUIRED_FIELDS {
        let expected = format!("{prefix}{field}");
        for is_null in [false, true] {
            let mut instance = full_instance();
            let object = instance.pointer_mut(pointer).unwrap().as_object_mut().unwrap();
            if is_null {
                object.insert(field.to_owned(), Value::Null);
            } else {
                object.remove(field);
            }
            let how = if is_null { "null" } else { "absent" };
            match refusal(&serde_json::to_vec(&instance).unwrap()) {
                Ok(path) if path == expected => {}
                Ok(path) => failures.push(format!("{expected} {how}: refused at {path:?}")),
                Err(why) => failures.push(format!("{expected} {how}: {why}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {}:\n{}",
        failures.len(),
        2 * REQUIRED_FIELDS.len(),
        failures.join("\n")
    );
}

#[test]
fn every_list_may_be_absent_or_null() {
    for instance in [
        json!({"asOf": AS_OF}),
        json!({"asOf": AS_OF, "students": null, "openings": null, "partners": null,
               "existingMatches": null, "declined": null, "weights": null}),
    ] {
        let result = run(&instance);
        assert_eq!(result["stats"]["needs"], 0);
    }
}

#[test]
fn the_unbroken_instance_is_accepted() {
    run(&full_instance());
}

#[test]
fn each_broken_field_rule_is_refused_with_its_path() {
    let mut failures = Vec::new();
    for (rule, breakage, paths) in broken_rules() {
        let mut instance = full_instance();
        breakage(&mut instance);
        match refusal(&serde_json::to_vec(&instance).unwrap()) {
            Ok(path) if paths.contains(&path.as_str()) => {}
            Ok(path) => failures.push(format!("{rule}: refused at {path:?}, expected one of {paths:?}")),
            Err(why) => failures.push(format!("{rule}: {why}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} broken rules not refused as expected:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn text_that_is_not_an_instance_is_refused_without_panicking() {
    let whole = serde_json::to_vec(&full_instance()).unwrap();
    let mut inputs: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"not json".to_vec(),
        b"[]".to_vec(),
        b"null".to_vec(),
        b"42".to_vec(),
        b"{}".to_vec(),
        vec![0xff, 0xfe, 0x00],
        b"{\"asOf\": \"2026-09-14\", \"students\": [], \"openings\": [], \"partners\": []} trailing".to_vec(),
    ];
    for cut in (0..whole.len()).step_by(7) {
        inputs.push(whole[..cut].to_vec());
    }
    let mut failures = Vec::new();
    for input in &inputs {
        if let Err(why) = refusal(input) {
            failures.push(format!("{:?}: {why}", String::from_utf8_lossy(&input[..input.len().min(60)])));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
