//! A generated district: an instance file of docs/matching.md (such as `partnermatch gen`
//! writes) loaded into an empty database as one district, so the service can be
//! measured on a district of any size. `partnermatch seed --instance FILE` runs it.
//!
//! What the file does not say is made up deterministically from each record's
//! position: schools (students assigned round-robin), partner names and kinds,
//! students' names. The file's `existingMatches` and `declined` are left out: the
//! district starts with no history. Every record goes through the store's validated
//! writers, in one transaction.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use matcher::validate::{Parts, RawAgreement, RawInstance};

use crate::error::Error;
use store::records::{Agreement, District, Opening, Partner, PartnerKind, PartnerStatus, School, Student};
use store::write::{
    claim_empty, save_agreements, save_district, save_openings, save_partners, save_schools, save_students,
};
use store::{Store, StoreError};

/// Students per school when the number of schools is not given.
pub const STUDENTS_PER_SCHOOL: usize = 2_500;

/// A generated district, as records.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The one district.
    pub district: District,
    /// Its schools.
    pub schools: Vec<School>,
    /// Every partner of the file, active, kinds taken in turn.
    pub partners: Vec<Partner>,
    /// The partners' agreements, district-wide.
    pub agreements: Vec<Agreement>,
    /// Every opening of the file.
    pub openings: Vec<Opening>,
    /// Every student of the file, without guardians.
    pub students: Vec<Student>,
}

/// How many records [`seed`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Schools.
    pub schools: usize,
    /// Partners.
    pub partners: usize,
    /// Agreements.
    pub agreements: usize,
    /// Openings.
    pub openings: usize,
    /// Students.
    pub students: usize,
}

impl Generated {
    /// How many records [`seed`] writes.
    pub fn counts(&self) -> Counts {
        Counts {
            schools: self.schools.len(),
            partners: self.partners.len(),
            agreements: self.agreements.len(),
            openings: self.openings.len(),
            students: self.students.len(),
        }
    }
}

/// Reads an instance file and checks it by every rule of docs/matching.md, so a bad file
/// is refused before any database is opened.
///
/// # Errors
/// `Error::Read` when the file cannot be read; `Error::BadInput` naming the path of
/// the first broken rule.
pub fn read(path: &Path) -> Result<Checked, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read { path: path.to_owned(), source })?;
    let raw = matcher::validate::parse_json(&bytes)?;
    let parts = Parts::parse(&raw)?;
    matcher::build_instance(&parts)?;
    Ok(Checked { raw, parts })
}

/// A checked instance file: as read, and its records parsed.
pub struct Checked {
    raw: RawInstance,
    parts: Parts,
}

/// The district of a checked instance ([`read`]): `schools` schools (default: one
/// per [`STUDENTS_PER_SCHOOL`] students, at least one), student `i` in school
/// `i mod schools`. Existing matches and declines are dropped.
pub fn district(checked: Checked, schools: Option<usize>) -> Generated {
    let Checked { raw, parts } = checked;
    let students = parts.students;
    let n_schools = schools.unwrap_or(students.len() / STUDENTS_PER_SCHOOL).max(1);
    let school_id = |index: usize| format!("sch-{}", index + 1);
    let schools = (0..n_schools)
        .map(|index| School {
            id: school_id(index),
            district_id: DISTRICT_ID.to_owned(),
            name: format!("Generated School {}", index + 1),
        })
        .collect();
    let raw_partners = raw.partners.unwrap_or_default();
    let mut agreements = Vec::new();
    for partner in &raw_partners {
        for (index, agreement) in partner.agreements.iter().flatten().enumerate() {
            agreements.push(agreement_of(&partner.id, index, agreement));
        }
    }
    let partners = raw_partners
        .into_iter()
        .enumerate()
        .map(|(index, partner)| Partner {
            name: format!("Partner {}", partner.id),
            id: partner.id,
            kind: PartnerKind::ALL[index % PartnerKind::ALL.len()],
            status: PartnerStatus::Active,
            contact_name: None,
            contact_email: None,
            contact_phone: None,
        })
        .collect();
    let openings = parts.openings.into_iter().map(|matching| Opening { title: None, matching }).collect();
    let students = students
        .into_iter()
        .enumerate()
        .map(|(index, matching)| Student {
            school_id: school_id(index % n_schools),
            first_name: FIRST_NAMES[index % FIRST_NAMES.len()].to_owned(),
            last_name: LAST_NAMES[(index / FIRST_NAMES.len()) % LAST_NAMES.len()].to_owned(),
            matching,
            guardians: Vec::new(),
            waiting_since: Default::default(),
        })
        .collect();
    Generated {
        district: District { id: DISTRICT_ID.to_owned(), name: "Generated District".to_owned() },
        schools,
        partners,
        agreements,
        openings,
        students,
    }
}

/// Writes a generated district in one transaction; on PostgreSQL, then gathers the
/// planner's statistics, as a freshly loaded district would otherwise go without
/// them until autovacuum comes by.
///
/// # Errors
/// `StoreError::Conflict` when the database already holds any district (as for the
/// demo, generated rows are never mixed into other data); `StoreError::Invalid` for
/// a record the writers refuse. Nothing is written then; only a failing `ANALYZE`
/// comes after the commit.
pub async fn seed(store: &Store, generated: &Generated, now: DateTime<Utc>) -> Result<Counts, StoreError> {
    let txn = store.write().await?;
    claim_empty(&txn, "an instance").await?;
    save_district(&txn, &generated.district).await?;
    save_schools(&txn, &generated.schools).await?;
    save_partners(&txn, &generated.partners, now).await?;
    save_agreements(&txn, &generated.agreements).await?;
    save_openings(&txn, &generated.openings, now).await?;
    save_students(&txn, &generated.students, now).await?;
    txn.commit().await?;
    // Until autovacuum's next pass the planner has no statistics on the tables just
    // filled; at 100k students its guesses made one suggestions request take > 10 s.
    store.analyze().await?;
    Ok(generated.counts())
}

const DISTRICT_ID: &str = "d-generated";

/// An agreement without a start is in force since long before any school year;
/// the store keeps a start date, so it gets this one.
const OPEN_START: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("1900-01-01 is a date");

const FIRST_NAMES: [&str; 20] = [
    "Amara", "Ben", "Carmen", "Dmitri", "Elena", "Farah", "Gabriel", "Hana", "Isaac", "Jada", "Kofi",
    "Lucia", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Samir", "Thu",
];

const LAST_NAMES: [&str; 20] = [
    "Abdi", "Brown", "Chen", "Diaz", "Evans", "Fofana", "Garcia", "Hassan", "Ivanova", "Johnson", "Kim",
    "Lopez", "Martin", "Nguyen", "Okafor", "Patel", "Rossi", "Smith", "Tran", "Vang",
];

/// A district-wide agreement of `partner_id`; the dates were checked by [`read`].
fn agreement_of(partner_id: &str, index: usize, raw: &RawAgreement) -> Agreement {
    let date = |text: Option<&str>| text.and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok());
    Agreement {
        id: format!("a-{partner_id}-{}", index + 1),
        partner_id: partner_id.to_owned(),
        school_id: None,
        starts_on: date(raw.starts_on.as_deref()).unwrap_or(OPEN_START),
        ends_on: date(raw.ends_on.as_deref()),
        signed_on: None,
        data_sharing: raw.allows_sharing(),
        terms: None,
    }
}
