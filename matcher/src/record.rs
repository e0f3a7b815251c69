//! One student's or one opening's matching fields, parsed once: every field rule
//! of docs/matching.md checked, every default applied, every enum and date typed.
//! A service stores and edits these; [`crate::validate::build_instance`] turns a
//! set of them into the model without reading a string again.
//!
//! Subjects and languages stay text (as given, in order): the model interns them
//! per instance, and a record must read back as it was written.

use chrono::NaiveDate;

use crate::calendar::{Minutes, Weekday, Window};
use crate::error::Error;
use crate::languages::is_language_code;
use crate::model::{Agreement, BackgroundCheck, Grade, Kind, Place, TravelMode};
use crate::validate::{
    RawAgreement, RawBackgroundCheck, RawExistingMatch, RawNeed, RawOpening, RawPartner, RawPlace,
    RawStudent, RawWindow,
};

/// A student's matching fields.
#[derive(Clone, Debug, PartialEq)]
pub struct StudentRecord {
    /// Never empty.
    pub id: String,
    #[allow(missing_docs)]
    pub grade: Grade,
    #[allow(missing_docs)]
    pub birth_date: Option<NaiveDate>,
    /// ISO 639-1 codes, preferred first.
    pub languages: Vec<String>,
    #[allow(missing_docs)]
    pub home: Place,
    /// As given; empty means no way of one's own (only online or pick-up).
    pub travel_modes: Vec<TravelMode>,
    /// Finite, ≥ 0.
    pub max_travel_minutes: f64,
    /// `remoteOk`, true unless stated.
    pub remote_ok: bool,
    /// As given (not merged).
    pub availability: Vec<Window>,
    /// At most one per kind.
    pub needs: Vec<NeedRecord>,
    /// 0–3.
    pub priority: u8,
    /// `consentOnFile`, false unless stated: no consent, no match.
    pub consent_on_file: bool,
}

/// One thing a student asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeedRecord {
    #[allow(missing_docs)]
    pub kind: Kind,
    /// As given.
    pub subjects: Vec<String>,
    /// Days waited unmatched; 0 when not waiting.
    pub waiting_days: u32,
}

/// An opening's matching fields.
#[derive(Clone, Debug, PartialEq)]
pub struct OpeningRecord {
    /// Never empty.
    pub id: String,
    #[allow(missing_docs)]
    pub partner_id: String,
    #[allow(missing_docs)]
    pub kind: Kind,
    /// As given.
    pub subjects: Vec<String>,
    /// ISO 639-1 codes, as given.
    pub languages: Vec<String>,
    /// `virtual`, false unless stated.
    pub r#virtual: bool,
    /// Always present unless virtual (a virtual opening may keep one).
    pub place: Option<Place>,
    /// Finite, ≥ 0.
    pub pickup_radius_km: Option<f64>,
    /// As given (not merged).
    pub schedule: Vec<Window>,
    /// 1–1440.
    pub session_minutes: u16,
    /// 1–7, 1 unless stated.
    pub sessions_per_week: u8,
    /// ≥ 1.
    pub capacity: u32,
    /// 0 unless stated.
    pub min_grade: Grade,
    /// 12 unless stated.
    pub max_grade: Grade,
    /// 0–150.
    pub min_age: Option<u32>,
    #[allow(missing_docs)]
    pub background_check: Option<BackgroundCheck>,
}

/// A partner with its agreements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerRecord {
    #[allow(missing_docs)]
    pub id: String,
    #[allow(missing_docs)]
    pub agreements: Vec<Agreement>,
}

/// A match made before: it holds a slot and the student's time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldRecord {
    #[allow(missing_docs)]
    pub student_id: String,
    #[allow(missing_docs)]
    pub opening_id: String,
    /// The weekly sessions it holds.
    pub sessions: Vec<Window>,
}

impl StudentRecord {
    /// Checks `raw` by every field rule of docs/matching.md; the error's path is
    /// relative to the student (`availability[0]`, `$` for the whole record).
    ///
    /// # Errors
    /// [`Error::Input`] naming the path of the first broken rule.
    pub fn parse(raw: &RawStudent) -> Result<StudentRecord, Error> {
        StudentRecord::parse_at(&At::Root(""), raw.clone()).map_err(relative)
    }

    /// As [`StudentRecord::parse`], taking `raw`'s text, with paths under `path`
    /// (`students[3]`).
    pub(crate) fn parse_at(path: &At<'_>, raw: RawStudent) -> Result<StudentRecord, Error> {
        require_id(path, &raw.id)?;
        let grade = parse_grade(&path.field("grade"), raw.grade)?;
        let birth_date =
            raw.birth_date.as_deref().map(|date| parse_date(&path.field("birthDate"), date)).transpose()?;
        check_languages(path, &raw.languages)?;
        let home = parse_place(&path.field("home"), raw.home)?;
        let travel_modes = raw
            .travel_modes
            .as_deref()
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(index, mode)| {
                TravelMode::parse(mode).ok_or_else(|| {
                    Error::input(
                        At::Item(&path.field("travelModes"), index),
                        format!("{mode:?} is not one of WALK, BIKE, TRANSIT, CAR"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !(raw.max_travel_minutes.is_finite() && raw.max_travel_minutes >= 0.0) {
            return Err(Error::input(path.field("maxTravelMinutes"), "must be a number ≥ 0"));
        }
        let availability = parse_windows(&path.field("availability"), &raw.availability)?;
        let (remote_ok, consent_on_file) = (raw.accepts_remote(), raw.has_consent());
        let mut needs: Vec<NeedRecord> = Vec::with_capacity(raw.needs.len());
        for (index, need) in raw.needs.into_iter().enumerate() {
            let needs_at = path.field("needs");
            let need_path = needs_at.item(index);
            let kind = parse_kind(&need_path.field("kind"), &need.kind)?;
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
                        need_path.field("waitingDays"),
                        format!("{days} is not a whole number of days ≥ 0"),
                    )
                })?,
            };
            needs.push(NeedRecord { kind, subjects: need.subjects.unwrap_or_default(), waiting_days });
        }
        let priority = match raw.priority {
            None => 0,
            Some(priority @ 0..=3) => priority as u8,
            Some(priority) => {
                return Err(Error::input(path.field("priority"), format!("{priority} is not in 0–3")));
            }
        };
        Ok(StudentRecord {
            remote_ok,
            consent_on_file,
            id: raw.id,
            grade,
            birth_date,
            languages: raw.languages,
            home,
            travel_modes,
            max_travel_minutes: raw.max_travel_minutes,
            availability,
            needs,
            priority,
        })
    }

    /// The need of `kind`, if the student has one.
    pub fn need(&self, kind: Kind) -> Option<&NeedRecord> {
        self.needs.iter().find(|need| need.kind == kind)
    }

    /// The record as the instance document writes it (every default spelled out).
    pub fn to_raw(&self) -> RawStudent {
        RawStudent {
            id: self.id.clone(),
            grade: i64::from(self.grade.get()),
            birth_date: self.birth_date.map(|date| date.to_string()),
            languages: self.languages.clone(),
            home: raw_place(self.home),
            travel_modes: Some(self.travel_modes.iter().map(|mode| mode.as_str().to_owned()).collect()),
            max_travel_minutes: self.max_travel_minutes,
            remote_ok: Some(self.remote_ok),
            availability: raw_windows(&self.availability),
            needs: self
                .needs
                .iter()
                .map(|need| RawNeed {
                    kind: need.kind.as_str().to_owned(),
                    subjects: Some(need.subjects.clone()),
                    waiting_days: (need.waiting_days > 0).then_some(i64::from(need.waiting_days)),
                })
                .collect(),
            priority: Some(i64::from(self.priority)),
            consent_on_file: Some(self.consent_on_file),
        }
    }
}

impl OpeningRecord {
    /// Checks `raw` by every field rule of docs/matching.md (its `partnerId` is
    /// taken to resolve); the error's path is relative to the opening.
    ///
    /// # Errors
    /// [`Error::Input`] naming the path of the first broken rule.
    pub fn parse(raw: &RawOpening) -> Result<OpeningRecord, Error> {
        OpeningRecord::parse_at(&At::Root(""), raw.clone()).map_err(relative)
    }

    /// As [`OpeningRecord::parse`], taking `raw`'s text, with paths under `path`
    /// (`openings[3]`).
    pub(crate) fn parse_at(path: &At<'_>, raw: RawOpening) -> Result<OpeningRecord, Error> {
        require_id(path, &raw.id)?;
        let kind = parse_kind(&path.field("kind"), &raw.kind)?;
        check_languages(path, &raw.languages)?;
        let is_virtual = raw.is_virtual();
        let place = match (is_virtual, raw.place) {
            (_, Some(place)) => Some(parse_place(&path.field("place"), place)?),
            (true, None) => None,
            (false, None) => return Err(Error::input(path.field("place"), "required unless virtual")),
        };
        let pickup_radius_km = match raw.pickup_radius_km {
            Some(radius) if !(radius.is_finite() && radius >= 0.0) => {
                return Err(Error::input(path.field("pickupRadiusKm"), "must be a number ≥ 0"));
            }
            radius => radius,
        };
        let schedule = parse_windows(&path.field("schedule"), &raw.schedule)?;
        let session_minutes = in_range(&path.field("sessionMinutes"), raw.session_minutes, 1, 1440)? as u16;
        let sessions_per_week =
            in_range(&path.field("sessionsPerWeek"), raw.sessions_per_week_or_default(), 1, 7)? as u8;
        let capacity = in_range(&path.field("capacity"), raw.capacity, 1, i64::from(u32::MAX))? as u32;
        let min_grade = parse_grade(&path.field("minGrade"), raw.min_grade_or_default())?;
        let max_grade = parse_grade(&path.field("maxGrade"), raw.max_grade_or_default())?;
        let min_age = raw
            .min_age
            .map(|age| in_range(&path.field("minAge"), age, 0, 150).map(|age| age as u32))
            .transpose()?;
        let background_check = raw
            .background_check
            .as_ref()
            .map(|check| -> Result<BackgroundCheck, Error> {
                let check_path = path.field("backgroundCheck");
                Ok(BackgroundCheck::new(
                    optional_date(&check_path.field("clearedOn"), check.cleared_on.as_deref())?,
                    optional_date(&check_path.field("expiresOn"), check.expires_on.as_deref())?,
                ))
            })
            .transpose()?;
        Ok(OpeningRecord {
            id: raw.id,
            partner_id: raw.partner_id,
            kind,
            subjects: raw.subjects,
            languages: raw.languages,
            r#virtual: is_virtual,
            place,
            pickup_radius_km,
            schedule,
            session_minutes,
            sessions_per_week,
            capacity,
            min_grade,
            max_grade,
            min_age,
            background_check,
        })
    }

    /// The record as the instance document writes it (every default spelled out).
    pub fn to_raw(&self) -> RawOpening {
        RawOpening {
            id: self.id.clone(),
            partner_id: self.partner_id.clone(),
            kind: self.kind.as_str().to_owned(),
            subjects: self.subjects.clone(),
            languages: self.languages.clone(),
            r#virtual: Some(self.r#virtual),
            place: self.place.map(raw_place),
            pickup_radius_km: self.pickup_radius_km,
            schedule: raw_windows(&self.schedule),
            session_minutes: i64::from(self.session_minutes),
            sessions_per_week: Some(i64::from(self.sessions_per_week)),
            capacity: i64::from(self.capacity),
            min_grade: Some(i64::from(self.min_grade.get())),
            max_grade: Some(i64::from(self.max_grade.get())),
            min_age: self.min_age.map(i64::from),
            background_check: self.background_check.map(|check| RawBackgroundCheck {
                cleared_on: check.cleared_on().map(|date| date.to_string()),
                expires_on: check.expires_on().map(|date| date.to_string()),
            }),
        }
    }
}

impl PartnerRecord {
    /// Checks `raw`'s id and agreement dates, with paths under `path`.
    pub(crate) fn parse_at(path: &At<'_>, raw: RawPartner) -> Result<PartnerRecord, Error> {
        require_id(path, &raw.id)?;
        let agreements = raw
            .agreements
            .as_deref()
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(index, agreement)| {
                let agreements = path.field("agreements");
                let at = agreements.item(index);
                Ok(Agreement::new(
                    optional_date(&at.field("startsOn"), agreement.starts_on.as_deref())?,
                    optional_date(&at.field("endsOn"), agreement.ends_on.as_deref())?,
                    // Sharing a minor's data must be stated, never assumed.
                    agreement.allows_sharing(),
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(PartnerRecord { id: raw.id, agreements })
    }

    /// The record as the instance document writes it.
    pub fn to_raw(&self) -> RawPartner {
        let agreements = self
            .agreements
            .iter()
            .map(|agreement| RawAgreement {
                starts_on: agreement.starts_on().map(|date| date.to_string()),
                ends_on: agreement.ends_on().map(|date| date.to_string()),
                data_sharing: Some(agreement.data_sharing()),
            })
            .collect();
        RawPartner { id: self.id.clone(), agreements: Some(agreements) }
    }
}

impl HeldRecord {
    /// Checks `raw`'s sessions, with paths under `path`.
    pub(crate) fn parse_at(path: &At<'_>, raw: RawExistingMatch) -> Result<HeldRecord, Error> {
        let sessions = raw
            .sessions
            .as_deref()
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(at, window)| window_at(&At::Item(&path.field("sessions"), at), window))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(HeldRecord { student_id: raw.student_id, opening_id: raw.opening_id, sessions })
    }

    /// The record as the instance document writes it.
    pub fn to_raw(&self) -> RawExistingMatch {
        RawExistingMatch {
            student_id: self.student_id.clone(),
            opening_id: self.opening_id.clone(),
            sessions: Some(raw_windows(&self.sessions)),
        }
    }
}

/// A window as the instance document writes it.
pub fn raw_window(window: &Window) -> RawWindow {
    RawWindow {
        day: window.day().as_str().to_owned(),
        start: window.start().to_string(),
        end: window.end().to_string(),
    }
}

fn raw_windows(windows: &[Window]) -> Vec<RawWindow> {
    windows.iter().map(raw_window).collect()
}

fn raw_place(place: Place) -> RawPlace {
    RawPlace { lat: place.lat(), lon: place.lon() }
}

/// A place in the document (`students[3].needs[0].kind`), written out only for
/// an error: a read checks millions of fields and reports at most one.
#[derive(Clone, Copy, Debug)]
pub(crate) enum At<'a> {
    /// A place named whole.
    Root(&'a str),
    /// A field of an object.
    Field(&'a At<'a>, &'a str),
    /// An item of a list.
    Item(&'a At<'a>, usize),
}

impl At<'_> {
    pub(crate) fn field<'b>(&'b self, name: &'b str) -> At<'b> {
        At::Field(self, name)
    }

    pub(crate) fn item(&self, index: usize) -> At<'_> {
        At::Item(self, index)
    }
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Root(name) => f.write_str(name),
            At::Field(parent, name) => write!(f, "{parent}.{name}"),
            At::Item(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

impl From<&At<'_>> for String {
    fn from(at: &At<'_>) -> String {
        at.to_string()
    }
}

impl From<At<'_>> for String {
    fn from(at: At<'_>) -> String {
        at.to_string()
    }
}

/// A record's error with its path made relative to the record.
pub(crate) fn relative(err: Error) -> Error {
    match err {
        Error::Input { path, message } => {
            let path = path.trim_start_matches('.');
            Error::Input { path: if path.is_empty() { "$".to_owned() } else { path.to_owned() }, message }
        }
        other => other,
    }
}

fn check_languages(path: &At<'_>, languages: &[String]) -> Result<(), Error> {
    for (index, code) in languages.iter().enumerate() {
        if !is_language_code(code) {
            return Err(Error::input(
                At::Item(&path.field("languages"), index),
                format!("{code:?} is not a lower-case ISO 639-1 language code"),
            ));
        }
    }
    Ok(())
}

/// Reads each of `raw` as a window, with paths `path[i]`.
pub(crate) fn parse_windows(path: &At<'_>, raw: &[RawWindow]) -> Result<Vec<Window>, Error> {
    raw.iter().enumerate().map(|(index, window)| window_at(&path.item(index), window)).collect()
}

/// Reads a window: a day MON … SUN and times HH:MM with `start < end`; an error
/// names `path`'s field.
///
/// # Errors
/// [`Error::Input`] for a bad day, a bad time or an end not after the start.
pub fn parse_window(path: &str, raw: &RawWindow) -> Result<Window, Error> {
    window_at(&At::Root(path), raw)
}

fn window_at(path: &At<'_>, raw: &RawWindow) -> Result<Window, Error> {
    let day = Weekday::parse(&raw.day)
        .ok_or_else(|| Error::input(path.field("day"), format!("{:?} is not one of MON … SUN", raw.day)))?;
    let clock = |field: &str, text: &str| {
        Minutes::parse(text).ok_or_else(|| {
            Error::input(path.field(field), format!("{text:?} is not a time HH:MM from 00:00 to 24:00"))
        })
    };
    let start = clock("start", &raw.start)?;
    let end = clock("end", &raw.end)?;
    Window::new(day, start, end)
        .ok_or_else(|| Error::input(path, format!("end {end} is not after start {start}")))
}

fn parse_kind(path: &At<'_>, text: &str) -> Result<Kind, Error> {
    Kind::parse(text)
        .ok_or_else(|| Error::input(path, format!("{text:?} is not one of TUTORING, MENTORING, INTERNSHIP")))
}

fn parse_grade(path: &At<'_>, value: i64) -> Result<Grade, Error> {
    Grade::new(value).ok_or_else(|| Error::input(path, format!("{value} is not a grade in 0–12")))
}

fn parse_place(path: &At<'_>, raw: RawPlace) -> Result<Place, Error> {
    if !(-90.0..=90.0).contains(&raw.lat) {
        return Err(Error::input(path.field("lat"), format!("{} is not in [-90, 90]", raw.lat)));
    }
    Place::new(raw.lat, raw.lon)
        .ok_or_else(|| Error::input(path.field("lon"), format!("{} is not in [-180, 180]", raw.lon)))
}

/// Reads a date `YYYY-MM-DD` (exactly ten characters).
pub(crate) fn parse_date(path: &At<'_>, text: &str) -> Result<NaiveDate, Error> {
    let well_formed = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    well_formed
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| Error::input(path, format!("{text:?} is not a date YYYY-MM-DD")))
}

fn optional_date(path: &At<'_>, text: Option<&str>) -> Result<Option<NaiveDate>, Error> {
    text.map(|text| parse_date(path, text)).transpose()
}

fn in_range(path: &At<'_>, value: i64, min: i64, max: i64) -> Result<i64, Error> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Error::input(path, format!("{value} is not in {min}–{max}")))
    }
}

pub(crate) fn require_id(path: &At<'_>, id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::input(path.field("id"), "must not be empty"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::validate::tests::{opening as virtual_opening, student as plain_student, window};

    /// The instance tests' student, with travel modes and windows out of order and a
    /// need that has waited.
    fn student() -> RawStudent {
        let mut raw = plain_student();
        raw.travel_modes = Some(vec!["TRANSIT".into(), "WALK".into()]);
        raw.availability.push(window("MON", "09:00", "10:30"));
        raw.needs[0].waiting_days = Some(4);
        raw
    }

    /// The instance tests' opening, in person, with grades up to 10 and a clearance.
    fn opening() -> RawOpening {
        let mut raw = virtual_opening();
        raw.r#virtual = None;
        raw.place = Some(RawPlace { lat: 41.88, lon: -87.63 });
        raw.subjects = vec!["Art".into()];
        raw.max_grade = Some(10);
        raw.background_check =
            Some(RawBackgroundCheck { cleared_on: Some("2026-01-10".into()), expires_on: None });
        raw
    }

    /// Defaults are applied once, typed values read back as written, and a record
    /// written out reads back equal.
    #[test]
    fn records_apply_defaults_and_round_trip() {
        let record = StudentRecord::parse(&student()).unwrap();
        assert!(record.remote_ok && !record.consent_on_file && record.priority == 0);
        assert_eq!(record.travel_modes, vec![TravelMode::Transit, TravelMode::Walk], "as given");
        assert_eq!(record.availability[0].day(), Weekday::Tue, "as given, not merged");
        assert_eq!(record.need(Kind::Tutoring).map(|need| need.waiting_days), Some(4));
        assert!(record.need(Kind::Mentoring).is_none());
        assert_eq!(StudentRecord::parse(&record.to_raw()).unwrap(), record);

        let record = OpeningRecord::parse(&opening()).unwrap();
        assert!(!record.r#virtual && record.sessions_per_week == 1);
        assert_eq!((record.min_grade.get(), record.max_grade.get()), (0, 10));
        assert_eq!(
            record.background_check.and_then(|check| check.cleared_on()),
            NaiveDate::from_ymd_opt(2026, 1, 10)
        );
        assert_eq!(OpeningRecord::parse(&record.to_raw()).unwrap(), record);
    }

    /// A broken rule is named by its path inside the record, first one first.
    #[test]
    fn errors_name_the_field() {
        let path = |result: Result<(), Error>| match result {
            Err(Error::Input { path, .. }) => path,
            other => panic!("{other:?}"),
        };
        let mut bad = student();
        bad.needs.push(RawNeed { kind: "TUTORING".into(), subjects: None, waiting_days: None });
        assert_eq!(path(StudentRecord::parse(&bad).map(drop)), "needs[1]", "one need per kind");
        let mut bad = student();
        bad.priority = Some(4);
        assert_eq!(path(StudentRecord::parse(&bad).map(drop)), "priority");
        let mut bad = opening();
        bad.place = None;
        assert_eq!(path(OpeningRecord::parse(&bad).map(drop)), "place", "in person needs a place");
        bad.r#virtual = Some(true);
        assert!(OpeningRecord::parse(&bad).is_ok(), "virtual needs none");
        bad.place = Some(RawPlace { lat: 91.0, lon: 0.0 });
        assert_eq!(path(OpeningRecord::parse(&bad).map(drop)), "place.lat", "one it keeps must be a place");
        let mut bad = opening();
        bad.background_check =
            Some(RawBackgroundCheck { cleared_on: Some("2026-1-10".into()), expires_on: None });
        assert_eq!(path(OpeningRecord::parse(&bad).map(drop)), "backgroundCheck.clearedOn");
    }
}
