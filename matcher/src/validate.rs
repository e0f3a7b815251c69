//! The instance as JSON, and its one-time conversion into the model. Raw serde
//! types live only here; every field rule of docs/matching.md is checked once, and an
//! error names the JSON path of the culprit.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;

use chrono::NaiveDate;
use foldhash::HashMap;
use serde::{Deserialize, Serialize};

use crate::calendar::{WeekWindows, Window};
use crate::error::Error;
use crate::model::{
    Agreement, ExistingMatch, Instance, Location, Need, Opening, OpeningId, Partner, PartnerId, Student,
    StudentId, Term, TravelMode,
};
use crate::record::{At, HeldRecord, OpeningRecord, PartnerRecord, StudentRecord, parse_date};
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
    parse_owned(parse_json(&bytes)?)
}

/// Parses instance JSON into its raw form; type errors name their path.
///
/// # Errors
/// [`Error::Input`] for malformed JSON, unknown fields or wrong types.
pub fn parse_json(bytes: &[u8]) -> Result<RawInstance, Error> {
    // Tracking every value's path costs about a tenth of a parse: a document that
    // parses needs none, one that does not is parsed again to name the place.
    if let Ok(raw) = serde_json::from_slice(bytes) {
        return Ok(raw);
    }
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
    build_instance(&Parts::parse(raw)?)
}

/// [`parse_instance`], taking the document's text instead of copying it.
///
/// # Errors
/// [`Error::Input`] naming the path of the first broken rule.
pub fn parse_owned(raw: RawInstance) -> Result<Instance, Error> {
    let mut parts = Parts::from_raw(raw)?;
    let kept = Kept::taken(&mut parts);
    build(&parts, kept)
}

/// An instance whose records are parsed: what a service that keeps parsed records
/// hands the engine. [`build_instance`] checks what ties the records together.
#[derive(Clone, Debug)]
pub struct Parts {
    /// The date every date rule is judged on.
    pub as_of: NaiveDate,
    #[allow(missing_docs)]
    pub students: Vec<StudentRecord>,
    #[allow(missing_docs)]
    pub openings: Vec<OpeningRecord>,
    #[allow(missing_docs)]
    pub partners: Vec<PartnerRecord>,
    #[allow(missing_docs)]
    pub existing_matches: Vec<HeldRecord>,
    /// (student id, opening id) pairs the student declined.
    pub declined: Vec<(String, String)>,
    #[allow(missing_docs)]
    pub weights: Weights,
    /// As [`RawInstance::held_elsewhere`].
    pub held_elsewhere: BTreeMap<String, u32>,
}

impl Parts {
    /// Parses every record of `raw`, with its path in the document.
    ///
    /// # Errors
    /// [`Error::Input`] naming the path of the first broken field rule.
    pub fn parse(raw: &RawInstance) -> Result<Parts, Error> {
        Parts::from_raw(raw.clone())
    }

    /// [`Parts::parse`], taking the document's text instead of copying it.
    ///
    /// # Errors
    /// [`Error::Input`] naming the path of the first broken field rule.
    pub fn from_raw(raw: RawInstance) -> Result<Parts, Error> {
        let as_of = parse_date(&At::Root("asOf"), &raw.as_of)?;
        let partners = parse_all("partners", raw.partners, PartnerRecord::parse_at)?;
        let students = parse_all("students", raw.students, StudentRecord::parse_at)?;
        let openings = parse_all("openings", raw.openings, OpeningRecord::parse_at)?;
        let existing_matches = parse_all("existingMatches", raw.existing_matches, HeldRecord::parse_at)?;
        let declined = raw
            .declined
            .unwrap_or_default()
            .into_iter()
            .map(|pair| (pair.student_id, pair.opening_id))
            .collect();
        Ok(Parts {
            as_of,
            students,
            openings,
            partners,
            existing_matches,
            declined,
            weights: parse_weights(raw.weights.as_ref())?,
            held_elsewhere: raw.held_elsewhere,
        })
    }

    /// The instance document of these records (every default spelled out, but
    /// the weights only when they are not the defaults).
    pub fn to_raw(&self) -> RawInstance {
        let weights = (self.weights != Weights::default()).then(|| {
            Criterion::ALL
                .iter()
                .map(|criterion| {
                    (criterion.as_str().to_owned(), serde_json::json!(self.weights.get(*criterion)))
                })
                .collect()
        });
        RawInstance {
            as_of: self.as_of.to_string(),
            students: Some(self.students.iter().map(StudentRecord::to_raw).collect()),
            openings: Some(self.openings.iter().map(OpeningRecord::to_raw).collect()),
            partners: Some(self.partners.iter().map(PartnerRecord::to_raw).collect()),
            existing_matches: Some(self.existing_matches.iter().map(HeldRecord::to_raw).collect()),
            declined: Some(
                self.declined
                    .iter()
                    .map(|(student_id, opening_id)| RawPair {
                        student_id: student_id.clone(),
                        opening_id: opening_id.clone(),
                    })
                    .collect(),
            ),
            weights,
            held_elsewhere: self.held_elsewhere.clone(),
        }
    }
}

fn parse_all<R, T>(
    list: &str,
    raw: Option<Vec<R>>,
    parse: impl Fn(&At<'_>, R) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    let list = At::Root(list);
    raw.unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(index, item)| parse(&list.item(index), item))
        .collect()
}

/// Turns parsed records into the model, checking what ties them together: ids
/// unique per list, every id referred to present. Paths name the records' places
/// in `parts` (`openings[3].partnerId`).
///
/// # Errors
/// [`Error::Input`] naming the path of the first broken rule.
pub fn build_instance(parts: &Parts) -> Result<Instance, Error> {
    build(parts, Kept::cloned(parts))
}

/// What the model keeps whole of each record, in record order: moved out of
/// records that are used up ([`parse_owned`]: a million students' ids and windows
/// are not copied, then freed), cloned from records that stay.
struct Kept {
    partners: Vec<(String, Vec<Agreement>)>,
    students: Vec<(String, Vec<TravelMode>, Vec<Window>)>,
    openings: Vec<(String, Vec<Window>)>,
}

impl Kept {
    fn cloned(parts: &Parts) -> Kept {
        Kept {
            partners: parts
                .partners
                .iter()
                .map(|partner| (partner.id.clone(), partner.agreements.clone()))
                .collect(),
            students: parts
                .students
                .iter()
                .map(|student| {
                    (student.id.clone(), student.travel_modes.clone(), student.availability.clone())
                })
                .collect(),
            openings: parts
                .openings
                .iter()
                .map(|opening| (opening.id.clone(), opening.schedule.clone()))
                .collect(),
        }
    }

    fn taken(parts: &mut Parts) -> Kept {
        use std::mem::take;
        Kept {
            partners: parts
                .partners
                .iter_mut()
                .map(|partner| (take(&mut partner.id), take(&mut partner.agreements)))
                .collect(),
            students: parts
                .students
                .iter_mut()
                .map(|student| {
                    (take(&mut student.id), take(&mut student.travel_modes), take(&mut student.availability))
                })
                .collect(),
            openings: parts
                .openings
                .iter_mut()
                .map(|opening| (take(&mut opening.id), take(&mut opening.schedule)))
                .collect(),
        }
    }
}

/// [`build_instance`] with the kept fields given apart (the records' own are not read).
fn build(parts: &Parts, kept: Kept) -> Result<Instance, Error> {
    let mut terms = Terms::default();
    let partners: Vec<Partner> = kept
        .partners
        .into_iter()
        .map(|(id, agreements)| Partner { id: PartnerId::new(id), agreements })
        .collect();
    let partner_index = index_ids("partners", partners.iter().map(|partner| partner.id.as_str()))?;
    let students: Vec<Student> = parts
        .students
        .iter()
        .zip(kept.students)
        .map(|(record, (id, travel_modes, availability))| {
            model_student(record, id, travel_modes, availability, &mut terms)
        })
        .collect();
    let student_index = index_ids("students", students.iter().map(|student| student.id.as_str()))?;
    let mut openings = parts
        .openings
        .iter()
        .zip(kept.openings)
        .enumerate()
        .map(|(index, (opening, (id, schedule)))| {
            let at = At::Item(&At::Root("openings"), index);
            let partner = resolve(&at, "partnerId", &partner_index, &opening.partner_id)?;
            Ok(model_opening(opening, id, schedule, partner, &mut terms))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let opening_index = index_ids("openings", openings.iter().map(|opening| opening.id.as_str()))?;
    let held_elsewhere = parts
        .held_elsewhere
        .iter()
        .map(|(id, held)| Ok((resolve("heldElsewhere", "openingId", &opening_index, id)?, *held)))
        .collect::<Result<Vec<_>, Error>>()?;
    let existing_matches = parts
        .existing_matches
        .iter()
        .enumerate()
        .map(|(index, existing)| {
            let path = At::Item(&At::Root("existingMatches"), index);
            let student = resolve(&path, "studentId", &student_index, &existing.student_id)?;
            let opening = resolve(&path, "openingId", &opening_index, &existing.opening_id)?;
            Ok(ExistingMatch { student, opening, sessions: existing.sessions.clone() })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let mut declined = HashSet::new();
    for (index, (student_id, opening_id)) in parts.declined.iter().enumerate() {
        let path = At::Item(&At::Root("declined"), index);
        let student = resolve(&path, "studentId", &student_index, student_id)?;
        let opening = resolve(&path, "openingId", &opening_index, opening_id)?;
        declined.insert((student as u32, opening as u32));
    }
    for (at, held) in held_elsewhere {
        openings[at].held_elsewhere = held;
    }
    Ok(Instance {
        as_of: parts.as_of,
        students,
        openings,
        partners,
        existing_matches,
        declined,
        weights: parts.weights,
    })
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

/// Interned languages and subjects, numbered in order of first appearance across
/// both. A known term is looked up by reference: a district names the same few
/// dozen terms a million times.
#[derive(Default)]
struct Terms {
    languages: HashMap<String, Term>,
    subjects: HashMap<String, Term>,
    next: Term,
}

impl Terms {
    fn intern(map: &mut HashMap<String, Term>, next: &mut Term, text: &str) -> Term {
        if let Some(term) = map.get(text) {
            return *term;
        }
        let term = *next;
        *next += 1;
        map.insert(text.to_owned(), term);
        term
    }

    /// Subjects compare trimmed and case-insensitively: `Algebra` is `algebra`.
    fn subjects(&mut self, subjects: &[String]) -> Vec<Term> {
        let mut terms: Vec<Term> = subjects
            .iter()
            .map(|subject| {
                let trimmed = subject.trim();
                if trimmed.bytes().any(|byte| byte.is_ascii_uppercase() || !byte.is_ascii()) {
                    Terms::intern(&mut self.subjects, &mut self.next, &trimmed.to_lowercase())
                } else {
                    Terms::intern(&mut self.subjects, &mut self.next, trimmed)
                }
            })
            .collect();
        terms.sort_unstable();
        terms.dedup();
        terms
    }

    /// Languages in the given order (the first is preferred).
    fn languages(&mut self, languages: &[String]) -> Vec<Term> {
        languages.iter().map(|code| Terms::intern(&mut self.languages, &mut self.next, code)).collect()
    }
}

fn sorted_set(terms: &[Term]) -> Vec<Term> {
    let mut set = terms.to_vec();
    set.sort_unstable();
    set.dedup();
    set
}

fn model_student(
    record: &StudentRecord,
    id: String,
    travel_modes: Vec<TravelMode>,
    availability: Vec<Window>,
    terms: &mut Terms,
) -> Student {
    let languages = terms.languages(&record.languages);
    let needs = record
        .needs
        .iter()
        .map(|need| Need {
            kind: need.kind,
            subjects: terms.subjects(&need.subjects),
            waiting_days: need.waiting_days,
        })
        .collect();
    Student {
        id: StudentId::new(id),
        grade: record.grade,
        birth_date: record.birth_date,
        language_set: sorted_set(&languages),
        languages,
        home: record.home,
        travel_modes,
        max_travel_minutes: record.max_travel_minutes,
        remote_ok: record.remote_ok,
        availability: WeekWindows::from_windows(availability),
        needs,
        priority: record.priority,
        consent_on_file: record.consent_on_file,
    }
}

fn model_opening(
    record: &OpeningRecord,
    id: String,
    schedule: Vec<Window>,
    partner: usize,
    terms: &mut Terms,
) -> Opening {
    let location = match (record.r#virtual, record.place) {
        (false, Some(place)) => Location::InPerson(place),
        // A record always has a place unless virtual.
        _ => Location::Virtual,
    };
    Opening {
        id: OpeningId::new(id),
        partner,
        kind: record.kind,
        subjects: terms.subjects(&record.subjects),
        languages: sorted_set(&terms.languages(&record.languages)),
        location,
        pickup_radius_km: record.pickup_radius_km,
        schedule: WeekWindows::from_windows(schedule),
        session_minutes: record.session_minutes,
        sessions_per_week: record.sessions_per_week,
        capacity: record.capacity,
        held_elsewhere: 0,
        min_grade: record.min_grade,
        max_grade: record.max_grade,
        min_age: record.min_age,
        background_check: record.background_check,
    }
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

fn index_ids<'a>(
    list: &str,
    ids: impl ExactSizeIterator<Item = &'a str>,
) -> Result<HashMap<&'a str, usize>, Error> {
    let mut index = HashMap::with_capacity_and_hasher(ids.len(), Default::default());
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

fn resolve(
    path: &(impl std::fmt::Display + ?Sized),
    field: &str,
    index: &HashMap<&str, usize>,
    id: &str,
) -> Result<usize, Error> {
    index
        .get(id)
        .copied()
        .ok_or_else(|| Error::input(format!("{path}.{field}"), format!("no such id {id:?}")))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn window(day: &str, start: &str, end: &str) -> RawWindow {
        RawWindow { day: day.into(), start: start.into(), end: end.into() }
    }

    pub(crate) fn student() -> RawStudent {
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

    pub(crate) fn opening() -> RawOpening {
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
        assert!(StudentRecord::parse(&student()).is_ok());
        let mut late = student();
        late.availability[0] = window("TUE", "17:00", "15:00");
        let err = StudentRecord::parse(&late).unwrap_err();
        assert!(matches!(&err, Error::Input { path, .. } if path == "availability[0]"), "{err}");
        let mut bad_mode = student();
        bad_mode.travel_modes = Some(vec!["BOAT".into()]);
        assert!(
            matches!(StudentRecord::parse(&bad_mode), Err(Error::Input { path, .. }) if path.starts_with("travelModes"))
        );

        assert!(OpeningRecord::parse(&opening()).is_ok());
        let mut grades = opening();
        grades.min_grade = Some(13);
        assert!(
            matches!(OpeningRecord::parse(&grades), Err(Error::Input { path, .. }) if path == "minGrade")
        );

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

    /// A document read by taking its records ([`parse_owned`], the CLI's way) is
    /// the instance read by copying them ([`parse_instance`], a service's).
    #[test]
    fn a_document_taken_reads_as_one_copied() {
        use crate::generate::{Shape, Spec, generate};
        let mut raw = generate(Spec { students: 1500, seed: 11, shape: Shape::Clustered });
        let first_opening = raw.openings.as_ref().unwrap()[0].id.clone();
        raw.held_elsewhere.insert(first_opening, 1);
        let copied = parse_instance(&raw).unwrap();
        let taken = parse_owned(raw).unwrap();
        assert!(!copied.existing_matches.is_empty() && !copied.declined.is_empty());
        assert_eq!(copied.openings[0].held_elsewhere, 1);
        assert_eq!(format!("{:?}", copied.students), format!("{:?}", taken.students));
        assert_eq!(format!("{:?}", copied.openings), format!("{:?}", taken.openings));
        assert_eq!(format!("{:?}", copied.partners), format!("{:?}", taken.partners));
        assert_eq!(format!("{:?}", copied.existing_matches), format!("{:?}", taken.existing_matches));
        assert_eq!(copied.declined, taken.declined);
        let run = |instance: &Instance| {
            crate::run(instance, crate::Options::default(), &mut crate::Silent).unwrap()
        };
        let outcome = run(&taken);
        assert!(outcome.counts.matched > 0);
        assert_eq!(run(&copied), outcome);
    }
}
