//! The instance as JSON, and its one-time conversion into the model. Raw serde
//! types live only here; every field rule of docs/matching.md is checked once, and an
//! error names the JSON path of the culprit.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{Minutes, WeekWindows, Weekday, Window};
use crate::error::Error;
use crate::languages::is_language_code;
use crate::model::{
    Agreement, BackgroundCheck, ExistingMatch, Grade, Instance, Kind, Location, Need, Opening, OpeningId,
    Partner, PartnerId, Place, Student, StudentId, Term, TravelMode,
};
use crate::score::{Criterion, MAX_WEIGHT, Weights};

/// The instance document, as read.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawInstance {
    /// `YYYY-MM-DD`.
    pub as_of: String,
    #[serde(default)]
    #[allow(missing_docs)]
    pub students: Option<Vec<RawStudent>>,
    #[serde(default)]
    #[allow(missing_docs)]
    pub openings: Option<Vec<RawOpening>>,
    #[serde(default)]
    #[allow(missing_docs)]
    pub partners: Option<Vec<RawPartner>>,
    #[serde(default)]
    #[allow(missing_docs)]
    pub existing_matches: Option<Vec<RawExistingMatch>>,
    #[serde(default)]
    #[allow(missing_docs)]
    pub declined: Option<Vec<RawPair>>,
    /// Criterion name → weight.
    #[serde(default)]
    pub weights: Option<BTreeMap<String, serde_json::Value>>,
    /// Opening id → slots held by matches outside this instance (when it is one
    /// scope of a larger district). Such an opening keeps its capacity and offers
    /// what is left; with nothing left it is FULL in `ruledOutBy`, so a need's
    /// reasons count every opening of its kind. Set by library callers, never read
    /// from or written to JSON.
    #[serde(skip)]
    pub held_elsewhere: BTreeMap<String, u32>,
}

/// A student, as read.
#[allow(missing_docs)]
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawStudent {
    pub id: String,
    pub grade: i64,
    #[serde(default)]
    pub birth_date: Option<String>,
    pub languages: Vec<String>,
    pub home: RawPlace,
    #[serde(default)]
    pub travel_modes: Option<Vec<String>>,
    pub max_travel_minutes: f64,
    #[serde(default)]
    pub remote_ok: Option<bool>,
    pub availability: Vec<RawWindow>,
    pub needs: Vec<RawNeed>,
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default)]
    pub consent_on_file: Option<bool>,
}

impl RawStudent {
    /// `remoteOk`, which defaults to true.
    pub fn accepts_remote(&self) -> bool {
        self.remote_ok.unwrap_or(true)
    }

    /// `consentOnFile`, which defaults to false: no consent, no match.
    pub fn has_consent(&self) -> bool {
        self.consent_on_file.unwrap_or(false)
    }

    /// `priority`, which defaults to 0.
    pub fn priority_or_default(&self) -> i64 {
        self.priority.unwrap_or(0)
    }
}

/// A point, as read.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlace {
    pub lat: f64,
    pub lon: f64,
}

/// A weekly window, as read.
#[allow(missing_docs)]
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    pub day: String,
    pub start: String,
    pub end: String,
}

/// A need, as read.
#[allow(missing_docs)]
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawNeed {
    pub kind: String,
    #[serde(default)]
    pub subjects: Option<Vec<String>>,
    /// Days waited unmatched; absent is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_days: Option<i64>,
}

/// An opening, as read.
#[allow(missing_docs)]
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawOpening {
    pub id: String,
    pub partner_id: String,
    pub kind: String,
    pub subjects: Vec<String>,
    pub languages: Vec<String>,
    #[serde(default)]
    pub r#virtual: Option<bool>,
    #[serde(default)]
    pub place: Option<RawPlace>,
    #[serde(default)]
    pub pickup_radius_km: Option<f64>,
    pub schedule: Vec<RawWindow>,
    pub session_minutes: i64,
    #[serde(default)]
    pub sessions_per_week: Option<i64>,
    pub capacity: i64,
    #[serde(default)]
    pub min_grade: Option<i64>,
    #[serde(default)]
    pub max_grade: Option<i64>,
    #[serde(default)]
    pub min_age: Option<i64>,
    #[serde(default)]
    pub background_check: Option<RawBackgroundCheck>,
}

impl RawOpening {
    /// `virtual`, which defaults to false.
    pub fn is_virtual(&self) -> bool {
        self.r#virtual.unwrap_or(false)
    }

    /// `sessionsPerWeek`, which defaults to 1.
    pub fn sessions_per_week_or_default(&self) -> i64 {
        self.sessions_per_week.unwrap_or(1)
    }

    /// `minGrade`, which defaults to 0 (kindergarten).
    pub fn min_grade_or_default(&self) -> i64 {
        self.min_grade.unwrap_or(0)
    }

    /// `maxGrade`, which defaults to 12.
    pub fn max_grade_or_default(&self) -> i64 {
        self.max_grade.unwrap_or(12)
    }
}

/// A background check, as read.
#[allow(missing_docs)]
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawBackgroundCheck {
    #[serde(default)]
    pub cleared_on: Option<String>,
    #[serde(default)]
    pub expires_on: Option<String>,
}

/// A partner, as read.
#[allow(missing_docs)]
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPartner {
    pub id: String,
    #[serde(default)]
    pub agreements: Option<Vec<RawAgreement>>,
}

/// An agreement, as read.
#[allow(missing_docs)]
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawAgreement {
    #[serde(default)]
    pub starts_on: Option<String>,
    #[serde(default)]
    pub ends_on: Option<String>,
    #[serde(default)]
    pub data_sharing: Option<bool>,
}

impl RawAgreement {
    /// `dataSharing`, which defaults to false: no sharing, no match.
    pub fn allows_sharing(&self) -> bool {
        self.data_sharing.unwrap_or(false)
    }
}

/// An existing match, as read.
#[allow(missing_docs)]
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawExistingMatch {
    pub student_id: String,
    pub opening_id: String,
    #[serde(default)]
    pub sessions: Option<Vec<RawWindow>>,
}

/// A (student, opening) pair, as read.
#[allow(missing_docs)]
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawPair {
    pub student_id: String,
    pub opening_id: String,
}

/// Reads and validates an instance document. The bytes are read whole, then
/// parsed from memory (several times faster than parsing from a stream); garbage
/// is refused at its first byte.
///
/// # Errors
/// [`Error::Input`] naming the path, for unreadable or malformed JSON or any
/// broken field rule.
pub fn read_instance(mut reader: impl Read) -> Result<Instance, Error> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|err| Error::input("$", format!("cannot read: {err}")))?;
    parse_instance(&parse_json(&bytes)?)
}

/// Parses instance JSON into its raw form; type errors name their path.
///
/// # Errors
/// [`Error::Input`] for malformed JSON, unknown fields or wrong types.
pub fn parse_json(bytes: &[u8]) -> Result<RawInstance, Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let raw: RawInstance = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        Error::input(error_path(&path, &message), message)
    })?;
    deserializer.end().map_err(|err| Error::input("$", err.to_string()))?;
    Ok(raw)
}

/// The path of a serde error. A missing field is reported at its parent by
/// serde; naming the field itself gives one path per rule, absent or null.
fn error_path(path: &str, message: &str) -> String {
    let missing = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (".", Some(field)) => field.to_owned(),
        (".", None) => "$".to_owned(),
        (_, Some(field)) => format!("{path}.{field}"),
        (_, None) => path.to_owned(),
    }
}

/// Converts a read instance into the model, checking every field rule.
///
/// # Errors
/// [`Error::Input`] naming the path of the first broken rule.
pub fn parse_instance(raw: &RawInstance) -> Result<Instance, Error> {
    let as_of = parse_date("asOf", &raw.as_of)?;
    let mut terms = Terms::default();

    let raw_partners = raw.partners.as_deref().unwrap_or_default();
    let partners = raw_partners
        .iter()
        .enumerate()
        .map(|(index, partner)| parse_partner(&format!("partners[{index}]"), partner))
        .collect::<Result<Vec<_>, _>>()?;
    let partner_index = index_ids("partners", raw_partners.iter().map(|partner| partner.id.as_str()))?;

    let raw_students = raw.students.as_deref().unwrap_or_default();
    let students = raw_students
        .iter()
        .enumerate()
        .map(|(index, student)| parse_student(&format!("students[{index}]"), student, &mut terms))
        .collect::<Result<Vec<_>, _>>()?;
    let student_index = index_ids("students", raw_students.iter().map(|student| student.id.as_str()))?;

    let raw_openings = raw.openings.as_deref().unwrap_or_default();
    let mut openings = raw_openings
        .iter()
        .enumerate()
        .map(|(index, opening)| {
            parse_opening(&format!("openings[{index}]"), opening, &partner_index, &mut terms)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let opening_index = index_ids("openings", raw_openings.iter().map(|opening| opening.id.as_str()))?;
    for (id, held) in &raw.held_elsewhere {
        let at = resolve("heldElsewhere", "openingId", &opening_index, id)?;
        openings[at].held_elsewhere = *held;
    }

    let existing_matches = raw
        .existing_matches
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(index, existing)| {
            let path = format!("existingMatches[{index}]");
            let student = resolve(&path, "studentId", &student_index, &existing.student_id)?;
            let opening = resolve(&path, "openingId", &opening_index, &existing.opening_id)?;
            let sessions = existing
                .sessions
                .as_deref()
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(at, window)| parse_window(&format!("{path}.sessions[{at}]"), window))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ExistingMatch { student, opening, sessions })
        })
        .collect::<Result<Vec<_>, Error>>()?;

    let mut declined = HashSet::new();
    for (index, pair) in raw.declined.as_deref().unwrap_or_default().iter().enumerate() {
        let path = format!("declined[{index}]");
        let student = resolve(&path, "studentId", &student_index, &pair.student_id)?;
        let opening = resolve(&path, "openingId", &opening_index, &pair.opening_id)?;
        declined.insert((student as u32, opening as u32));
    }

    let weights = parse_weights(raw.weights.as_ref())?;
    Ok(Instance { as_of, students, openings, partners, existing_matches, declined, weights })
}

/// Checks one student by every field rule of docs/matching.md, as inside an instance;
/// the error's path is relative to the student (`availability[0]`, `$` for the
/// whole record). For a service that validates records one at a time.
///
/// # Errors
/// [`Error::Input`] naming the path of the first broken rule.
pub fn check_student(raw: &RawStudent) -> Result<(), Error> {
    parse_student("", raw, &mut Terms::default()).map(drop).map_err(relative)
}

/// Checks one opening by every field rule of docs/matching.md (its `partnerId` is taken
/// to resolve); the error's path is relative to the opening.
///
/// # Errors
/// [`Error::Input`] naming the path of the first broken rule.
pub fn check_opening(raw: &RawOpening) -> Result<(), Error> {
    let partners = HashMap::from([(raw.partner_id.as_str(), 0)]);
    parse_opening("", raw, &partners, &mut Terms::default()).map(drop).map_err(relative)
}

/// Reads `weights` (criterion name → weight) as an instance's `weights` would be
/// read; the error's path is the criterion's name.
///
/// # Errors
/// [`Error::Input`] for an unknown criterion or a weight outside 0–1000.
pub fn check_weights(weights: &BTreeMap<String, serde_json::Value>) -> Result<Weights, Error> {
    parse_weights(Some(weights)).map_err(|err| match err {
        Error::Input { path, message } => {
            Error::Input { path: path.strip_prefix("weights.").unwrap_or(&path).to_owned(), message }
        }
        other => other,
    })
}

/// A record's error with its path made relative to the record.
fn relative(err: Error) -> Error {
    match err {
        Error::Input { path, message } => {
            let path = path.trim_start_matches('.');
            Error::Input { path: if path.is_empty() { "$".to_owned() } else { path.to_owned() }, message }
        }
        other => other,
    }
}

/// Interned languages and subjects.
#[derive(Default)]
struct Terms {
    ids: HashMap<String, Term>,
}

impl Terms {
    fn intern(&mut self, text: String) -> Term {
        let next = self.ids.len() as Term;
        *self.ids.entry(text).or_insert(next)
    }

    /// Subjects compare trimmed and case-insensitively: `Algebra` is `algebra`.
    fn subjects(&mut self, subjects: &[String]) -> Vec<Term> {
        let mut terms: Vec<Term> = subjects
            .iter()
            .map(|subject| self.intern(format!("subject:{}", subject.trim().to_lowercase())))
            .collect();
        terms.sort_unstable();
        terms.dedup();
        terms
    }

    /// Languages in the given order (the first is preferred).
    fn languages(&mut self, path: &str, languages: &[String]) -> Result<Vec<Term>, Error> {
        languages
            .iter()
            .enumerate()
            .map(|(index, code)| {
                if !is_language_code(code) {
                    return Err(Error::input(
                        format!("{path}.languages[{index}]"),
                        format!("{code:?} is not a lower-case ISO 639-1 language code"),
                    ));
                }
                Ok(self.intern(format!("language:{code}")))
            })
            .collect()
    }
}

fn sorted_set(terms: &[Term]) -> Vec<Term> {
    let mut set = terms.to_vec();
    set.sort_unstable();
    set.dedup();
    set
}

fn parse_student(path: &str, raw: &RawStudent, terms: &mut Terms) -> Result<Student, Error> {
    require_id(path, &raw.id)?;
    let grade = parse_grade(&format!("{path}.grade"), raw.grade)?;
    let birth_date =
        raw.birth_date.as_deref().map(|date| parse_date(&format!("{path}.birthDate"), date)).transpose()?;
    let languages = terms.languages(path, &raw.languages)?;
    let home = parse_place(&format!("{path}.home"), raw.home)?;
    let travel_modes = raw
        .travel_modes
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(index, mode)| {
            TravelMode::parse(mode).ok_or_else(|| {
                Error::input(
                    format!("{path}.travelModes[{index}]"),
                    format!("{mode:?} is not one of WALK, BIKE, TRANSIT, CAR"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !(raw.max_travel_minutes.is_finite() && raw.max_travel_minutes >= 0.0) {
        return Err(Error::input(format!("{path}.maxTravelMinutes"), "must be a number ≥ 0"));
    }
    let availability = parse_windows(&format!("{path}.availability"), &raw.availability)?;
    let mut needs: Vec<Need> = Vec::with_capacity(raw.needs.len());
    for (index, need) in raw.needs.iter().enumerate() {
        let need_path = format!("{path}.needs[{index}]");
        let kind = parse_kind(&format!("{need_path}.kind"), &need.kind)?;
        if needs.iter().any(|earlier| earlier.kind == kind) {
            return Err(Error::input(
                need_path,
                format!("a second {kind} need; a student has at most one per kind"),
            ));
        }
        let waiting_days = match need.waiting_days {
            None => 0,
            Some(days) => u32::try_from(days).map_err(|_| {
                Error::input(
                    format!("{need_path}.waitingDays"),
                    format!("{days} is not a whole number of days ≥ 0"),
                )
            })?,
        };
        needs.push(Need {
            kind,
            subjects: terms.subjects(need.subjects.as_deref().unwrap_or_default()),
            waiting_days,
        });
    }
    let priority = match raw.priority {
        None => 0,
        Some(priority @ 0..=3) => priority as u8,
        Some(priority) => {
            return Err(Error::input(format!("{path}.priority"), format!("{priority} is not in 0–3")));
        }
    };
    Ok(Student {
        id: StudentId::new(raw.id.clone()),
        grade,
        birth_date,
        language_set: sorted_set(&languages),
        languages,
        home,
        travel_modes,
        max_travel_minutes: raw.max_travel_minutes,
        remote_ok: raw.accepts_remote(),
        availability,
        needs,
        priority,
        consent_on_file: raw.has_consent(),
    })
}

fn parse_opening(
    path: &str,
    raw: &RawOpening,
    partners: &HashMap<&str, usize>,
    terms: &mut Terms,
) -> Result<Opening, Error> {
    require_id(path, &raw.id)?;
    let partner = resolve(path, "partnerId", partners, &raw.partner_id)?;
    let kind = parse_kind(&format!("{path}.kind"), &raw.kind)?;
    let subjects = terms.subjects(&raw.subjects);
    let languages = sorted_set(&terms.languages(path, &raw.languages)?);
    let is_virtual = raw.is_virtual();
    let location = match (is_virtual, raw.place) {
        (true, _) => Location::Virtual,
        (false, Some(place)) => Location::InPerson(parse_place(&format!("{path}.place"), place)?),
        (false, None) => return Err(Error::input(format!("{path}.place"), "required unless virtual")),
    };
    let pickup_radius_km = match raw.pickup_radius_km {
        Some(radius) if !(radius.is_finite() && radius >= 0.0) => {
            return Err(Error::input(format!("{path}.pickupRadiusKm"), "must be a number ≥ 0"));
        }
        radius => radius,
    };
    let schedule = parse_windows(&format!("{path}.schedule"), &raw.schedule)?;
    let session_minutes = in_range(&format!("{path}.sessionMinutes"), raw.session_minutes, 1, 1440)? as u16;
    let sessions_per_week =
        in_range(&format!("{path}.sessionsPerWeek"), raw.sessions_per_week_or_default(), 1, 7)? as u8;
    let capacity = in_range(&format!("{path}.capacity"), raw.capacity, 1, i64::from(u32::MAX))? as u32;
    let min_grade = parse_grade(&format!("{path}.minGrade"), raw.min_grade_or_default())?;
    let max_grade = parse_grade(&format!("{path}.maxGrade"), raw.max_grade_or_default())?;
    let min_age = raw
        .min_age
        .map(|age| in_range(&format!("{path}.minAge"), age, 0, 150).map(|age| age as u32))
        .transpose()?;
    let background_check = raw
        .background_check
        .as_ref()
        .map(|check| -> Result<BackgroundCheck, Error> {
            let check_path = format!("{path}.backgroundCheck");
            Ok(BackgroundCheck {
                cleared_on: optional_date(&format!("{check_path}.clearedOn"), check.cleared_on.as_deref())?,
                expires_on: optional_date(&format!("{check_path}.expiresOn"), check.expires_on.as_deref())?,
            })
        })
        .transpose()?;
    Ok(Opening {
        id: OpeningId::new(raw.id.clone()),
        partner,
        kind,
        subjects,
        languages,
        location,
        pickup_radius_km,
        schedule,
        session_minutes,
        sessions_per_week,
        capacity,
        held_elsewhere: 0,
        min_grade,
        max_grade,
        min_age,
        background_check,
    })
}

fn parse_partner(path: &str, raw: &RawPartner) -> Result<Partner, Error> {
    require_id(path, &raw.id)?;
    let agreements = raw
        .agreements
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(index, agreement)| {
            let at = format!("{path}.agreements[{index}]");
            Ok(Agreement {
                starts_on: optional_date(&format!("{at}.startsOn"), agreement.starts_on.as_deref())?,
                ends_on: optional_date(&format!("{at}.endsOn"), agreement.ends_on.as_deref())?,
                // Sharing a minor's data must be stated, never assumed.
                data_sharing: agreement.allows_sharing(),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Partner { id: PartnerId::new(raw.id.clone()), agreements })
}

fn parse_weights(raw: Option<&BTreeMap<String, serde_json::Value>>) -> Result<Weights, Error> {
    let mut weights = Weights::default();
    for (name, value) in raw.into_iter().flatten() {
        let path = format!("weights.{name}");
        let criterion = Criterion::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Criterion::ALL.iter().map(|criterion| criterion.as_str()).collect();
            Error::input(&path, format!("unknown criterion; known: {}", known.join(", ")))
        })?;
        let weight = value
            .as_u64()
            .and_then(|weight| u32::try_from(weight).ok())
            .and_then(|weight| weights.with(criterion, weight));
        weights = weight.ok_or_else(|| {
            Error::input(&path, format!("{value} is not an integer weight in 0–{MAX_WEIGHT}"))
        })?;
    }
    Ok(weights)
}

fn parse_windows(path: &str, raw: &[RawWindow]) -> Result<WeekWindows, Error> {
    let windows = raw
        .iter()
        .enumerate()
        .map(|(index, window)| parse_window(&format!("{path}[{index}]"), window))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(WeekWindows::from_windows(windows))
}

fn parse_window(path: &str, raw: &RawWindow) -> Result<Window, Error> {
    let day = Weekday::parse(&raw.day).ok_or_else(|| {
        Error::input(format!("{path}.day"), format!("{:?} is not one of MON … SUN", raw.day))
    })?;
    let clock = |field: &str, text: &str| {
        Minutes::parse(text).ok_or_else(|| {
            Error::input(
                format!("{path}.{field}"),
                format!("{text:?} is not a time HH:MM from 00:00 to 24:00"),
            )
        })
    };
    let start = clock("start", &raw.start)?;
    let end = clock("end", &raw.end)?;
    Window::new(day, start, end)
        .ok_or_else(|| Error::input(path, format!("end {end} is not after start {start}")))
}

fn parse_kind(path: &str, text: &str) -> Result<Kind, Error> {
    Kind::parse(text)
        .ok_or_else(|| Error::input(path, format!("{text:?} is not one of TUTORING, MENTORING, INTERNSHIP")))
}

fn parse_grade(path: &str, value: i64) -> Result<Grade, Error> {
    Grade::new(value).ok_or_else(|| Error::input(path, format!("{value} is not a grade in 0–12")))
}

fn parse_place(path: &str, raw: RawPlace) -> Result<Place, Error> {
    if !(-90.0..=90.0).contains(&raw.lat) {
        return Err(Error::input(format!("{path}.lat"), format!("{} is not in [-90, 90]", raw.lat)));
    }
    Place::new(raw.lat, raw.lon)
        .ok_or_else(|| Error::input(format!("{path}.lon"), format!("{} is not in [-180, 180]", raw.lon)))
}

fn parse_date(path: &str, text: &str) -> Result<NaiveDate, Error> {
    let well_formed = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    well_formed
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| Error::input(path, format!("{text:?} is not a date YYYY-MM-DD")))
}

fn optional_date(path: &str, text: Option<&str>) -> Result<Option<NaiveDate>, Error> {
    text.map(|text| parse_date(path, text)).transpose()
}

fn in_range(path: &str, value: i64, min: i64, max: i64) -> Result<i64, Error> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Error::input(path, format!("{value} is not in {min}–{max}")))
    }
}

fn require_id(path: &str, id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::input(format!("{path}.id"), "must not be empty"));
    }
    Ok(())
}

fn index_ids<'a>(list: &str, ids: impl Iterator<Item = &'a str>) -> Result<HashMap<&'a str, usize>, Error> {
    let mut index = HashMap::new();
    for (at, id) in ids.enumerate() {
        if let Some(first) = index.insert(id, at) {
            return Err(Error::input(
                format!("{list}[{at}].id"),
                format!("{id:?} repeats {list}[{first}].id"),
            ));
        }
    }
    Ok(index)
}

fn resolve(path: &str, field: &str, index: &HashMap<&str, usize>, id: &str) -> Result<usize, Error> {
    index
        .get(id)
        .copied()
        .ok_or_else(|| Error::input(format!("{path}.{field}"), format!("no such id {id:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(day: &str, start: &str, end: &str) -> RawWindow {
        RawWindow { day: day.into(), start: start.into(), end: end.into() }
    }

    fn student() -> RawStudent {
        RawStudent {
            id: "s-1".into(),
            grade: 9,
            birth_date: Some("2011-03-02".into()),
            languages: vec!["en".into()],
            home: RawPlace { lat: 41.9, lon: -87.6 },
            travel_modes: Some(vec!["WALK".into()]),
            max_travel_minutes: 30.0,
            remote_ok: None,
            availability: vec![window("TUE", "15:00", "17:00")],
            needs: vec![RawNeed {
                kind: "TUTORING".into(),
                subjects: Some(vec!["algebra".into()]),
                waiting_days: None,
            }],
            priority: None,
            consent_on_file: None,
        }
    }

    fn opening() -> RawOpening {
        RawOpening {
            id: "o-1".into(),
            partner_id: "p-1".into(),
            kind: "MENTORING".into(),
            subjects: vec![],
            languages: vec!["en".into()],
            r#virtual: Some(true),
            place: None,
            pickup_radius_km: None,
            schedule: vec![window("WED", "16:00", "18:00")],
            session_minutes: 60,
            sessions_per_week: None,
            capacity: 2,
            min_grade: None,
            max_grade: None,
            min_age: None,
            background_check: None,
        }
    }

    /// One record is checked by the rules an instance applies, with its paths
    /// relative to the record, and its defaults are the instance's.
    #[test]
    fn single_records_are_checked_like_instance_records() {
        assert!(check_student(&student()).is_ok());
        let mut late = student();
        late.availability[0] = window("TUE", "17:00", "15:00");
        let err = check_student(&late).unwrap_err();
        assert!(matches!(&err, Error::Input { path, .. } if path == "availability[0]"), "{err}");
        let mut bad_mode = student();
        bad_mode.travel_modes = Some(vec!["BOAT".into()]);
        assert!(
            matches!(check_student(&bad_mode), Err(Error::Input { path, .. }) if path.starts_with("travelModes"))
        );

        assert!(check_opening(&opening()).is_ok());
        let mut grades = opening();
        grades.min_grade = Some(13);
        assert!(matches!(check_opening(&grades), Err(Error::Input { path, .. }) if path == "minGrade"));

        let weights = BTreeMap::from([("travel".to_owned(), serde_json::json!(5))]);
        assert_eq!(check_weights(&weights).unwrap().get(Criterion::Travel), 5);
        let unknown = BTreeMap::from([("wealth".to_owned(), serde_json::json!(5))]);
        assert!(matches!(check_weights(&unknown), Err(Error::Input { path, .. }) if path == "wealth"));

        let (s, o) = (student(), opening());
        assert!(s.accepts_remote() && !s.has_consent() && s.priority_or_default() == 0);
        assert!(o.is_virtual() && o.sessions_per_week_or_default() == 1);
        assert_eq!((o.min_grade_or_default(), o.max_grade_or_default()), (0, 12));
        let instance = RawInstance {
            as_of: "2026-09-01".into(),
            students: Some(vec![s]),
            openings: Some(vec![o]),
            partners: Some(vec![RawPartner { id: "p-1".into(), agreements: None }]),
            ..RawInstance::default()
        };
        let parsed = parse_instance(&instance).unwrap();
        assert!(parsed.students()[0].remote_ok && !parsed.students()[0].consent_on_file);

        // Slots held outside the instance leave the capacity but not the free slots.
        let mut scoped = instance.clone();
        let id = scoped.openings.as_ref().unwrap()[0].id.clone();
        scoped.openings.as_mut().unwrap()[0].capacity = 2;
        scoped.held_elsewhere = BTreeMap::from([(id.clone(), 2)]);
        let parsed = parse_instance(&scoped).unwrap();
        assert_eq!((parsed.openings()[0].capacity, parsed.openings()[0].held_elsewhere), (2, 2));
        assert_eq!(crate::feasibility::Standing::of(&parsed).free_slots, vec![0]);
        scoped.held_elsewhere = BTreeMap::from([(id, 1)]);
        assert_eq!(crate::feasibility::Standing::of(&parsed_of(&scoped)).free_slots, vec![1]);
        scoped.held_elsewhere = BTreeMap::from([("o-none".to_owned(), 1)]);
        assert!(
            matches!(parse_instance(&scoped), Err(Error::Input { path, .. }) if path == "heldElsewhere.openingId")
        );
        // Never part of the JSON document.
        assert!(!serde_json::to_string(&scoped).unwrap().contains("held"));
    }

    fn parsed_of(raw: &RawInstance) -> Instance {
        parse_instance(raw).unwrap()
    }
}
