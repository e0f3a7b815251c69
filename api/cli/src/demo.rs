//! The demo district: Riverton Public Schools, invented whole but shaped like a real
//! district — four schools, three hundred students with their guardians, twenty-five
//! partners of every kind with their agreements (MOUs), some eighty openings, a season
//! of matches in every status, and feedback on them. `partnermatch serve --demo`
//! loads it, and tests pin the engine and the store down with it.
//!
//! Deterministic: a fixed seed, no clock, no OS randomness, so every call gives the
//! same district. The data is chosen so that every hard constraint of docs/matching.md
//! rules something out — an expired MOU, one without data sharing, one not yet in
//! force, one that covers a single school; expired and missing background checks;
//! minimum ages; grade ranges; a declined pair; a full opening; students without
//! consent, without travel modes, with narrow afternoons — while most needs can still
//! be matched.
//!
//! Two ways into the matcher must agree: [`Demo::instance`] builds the district's
//! instance straight from the records (the JSON path), and [`seed`] writes the records
//! so that `store::scope::load_scope` reads the same instance back (the database path).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use matcher::calendar::Window;
use matcher::generate::Rng;
use matcher::model::Kind::{self, Internship, Mentoring, Tutoring};
use matcher::record::{OpeningRecord, StudentRecord, raw_window};
use matcher::validate::{
    RawAgreement, RawBackgroundCheck, RawExistingMatch, RawInstance, RawNeed, RawOpening, RawPair,
    RawPartner, RawPlace, RawStudent, RawWindow,
};
use matcher::{Options, Silent};

use store::matches::{get, propose, transition};
use store::records::{
    Agreement, District, Feedback, Guardian, MatchStatus, NewMatch, Opening, Partner, PartnerKind,
    PartnerStatus, Role, School, Student, Visibility,
};
use store::write::{
    claim_empty, save_agreements, save_district, save_feedback, save_openings, save_partners, save_schools,
    save_students,
};
use store::{Store, StoreError};

/// The date the demo is built for: the second week of the 2026–27 school year.
pub const AS_OF: &str = "2026-09-14";

/// [`AS_OF`] as a date.
pub fn as_of() -> NaiveDate {
    date(2026, 9, 14)
}

/// The whole demo district, as records.
#[derive(Clone, Debug)]
pub struct Demo {
    /// Riverton Public Schools.
    pub district: District,
    /// A high school, a middle school, a K–8 and a 6–12 academy.
    pub schools: Vec<School>,
    /// Partners of every kind, one of them inactive.
    pub partners: Vec<Partner>,
    /// MOUs: most in force with data sharing, some expired, one without data sharing,
    /// one not yet started, one open-ended, one covering a single school.
    pub agreements: Vec<Agreement>,
    /// Openings of every kind.
    pub openings: Vec<Opening>,
    /// Students of grades 0–12, ordered by id.
    pub students: Vec<Student>,
    /// The season so far, ordered by id.
    pub matches: Vec<DemoMatch>,
    /// Feedback on active and completed matches.
    pub feedback: Vec<Feedback>,
}

/// A match of the demo and the status it has reached; [`seed`] proposes it and walks
/// it through the lifecycle to that status.
#[derive(Clone, Debug)]
pub struct DemoMatch {
    /// The match as proposed.
    pub new: NewMatch,
    /// Where it is now.
    pub status: MatchStatus,
}

/// Who the console's demo sign-in buttons speak for: the student of the demo's
/// first proposed match (by id), that opening's partner, and the student's school.
/// Fixed by the seed, so the same people however the matches have moved since.
pub fn people() -> service::console::DemoPeople {
    let demo = demo();
    let people = demo.matches.iter().filter(|m| m.status == MatchStatus::Proposed).find_map(|m| {
        let student = demo.students.iter().find(|s| s.matching.id == m.new.student_id)?;
        let opening = demo.openings.iter().find(|o| o.matching.id == m.new.opening_id)?;
        Some(service::console::DemoPeople {
            school: student.school_id.clone(),
            partner: opening.matching.partner_id.clone(),
            student: student.matching.id.clone(),
        })
    });
    people.unwrap_or_else(|| service::console::DemoPeople {
        school: demo.schools[0].id.clone(),
        partner: demo.partners[0].id.clone(),
        student: demo.students[0].matching.id.clone(),
    })
}

/// How many records [`seed`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    /// Schools.
    pub schools: usize,
    /// Partners.
    pub partners: usize,
    /// Openings.
    pub openings: usize,
    /// Students.
    pub students: usize,
    /// Matches, whatever their status.
    pub matches: usize,
    /// Feedback entries.
    pub feedback: usize,
}

/// Builds the demo district. The same every call.
pub fn demo() -> Demo {
    let mut rng = Rng::new(SEED);
    let district = District { id: DISTRICT_ID.to_owned(), name: "Riverton Public Schools".to_owned() };
    let schools = SCHOOLS
        .iter()
        .map(|school| School {
            id: school.id.to_owned(),
            district_id: DISTRICT_ID.to_owned(),
            name: school.name.to_owned(),
        })
        .collect();
    let partners = PARTNERS.iter().enumerate().map(|(index, spec)| partner(spec, index)).collect();
    let agreements = agreements();
    let openings = openings(&mut rng);
    let students = students(&mut rng);
    let mut demo = Demo {
        district,
        schools,
        partners,
        agreements,
        openings,
        students,
        matches: Vec::new(),
        feedback: Vec::new(),
    };
    demo.matches = season(&mut rng, &demo);
    demo.feedback = feedback(&mut rng, &demo);
    demo
}

impl Demo {
    /// The district as the matcher's instance document on `as_of`, built straight
    /// from the records, as `load_scope` reads a district-wide scope back from the
    /// database: openings of active partners and those held by open matches; their
    /// partners with the district-wide MOUs (none for an inactive partner); open
    /// matches with their sessions as existing matches; declined pairs.
    pub fn instance(&self, as_of: NaiveDate) -> RawInstance {
        let open: Vec<&NewMatch> =
            self.matches.iter().filter(|m| m.status.is_open()).map(|m| &m.new).collect();
        let held: BTreeSet<&str> = open.iter().map(|m| m.opening_id.as_str()).collect();
        let active: BTreeSet<&str> = self
            .partners
            .iter()
            .filter(|p| p.status == PartnerStatus::Active)
            .map(|p| p.id.as_str())
            .collect();
        let mut openings: Vec<RawOpening> = self
            .openings
            .iter()
            .map(|o| &o.matching)
            .filter(|o| active.contains(o.partner_id.as_str()) || held.contains(o.id.as_str()))
            .map(OpeningRecord::to_raw)
            .collect();
        openings.sort_by(|a, b| a.id.cmp(&b.id));
        let kept: BTreeSet<&str> = openings.iter().map(|o| o.id.as_str()).collect();
        let partner_ids: BTreeSet<&str> = openings.iter().map(|o| o.partner_id.as_str()).collect();
        let partners = partner_ids
            .into_iter()
            .map(|id| RawPartner {
                id: id.to_owned(),
                agreements: Some(if active.contains(id) {
                    district_agreements(&self.agreements, id)
                } else {
                    Vec::new()
                }),
            })
            .collect();
        let mut existing: Vec<RawExistingMatch> = open
            .iter()
            .filter(|m| kept.contains(m.opening_id.as_str()))
            .map(|m| RawExistingMatch {
                student_id: m.student_id.clone(),
                opening_id: m.opening_id.clone(),
                sessions: Some(m.sessions.iter().map(raw_window).collect()),
            })
            .collect();
        existing.sort_by(|a, b| (&a.student_id, &a.opening_id).cmp(&(&b.student_id, &b.opening_id)));
        let declined: BTreeSet<(&str, &str)> = self
            .matches
            .iter()
            .filter(|m| m.status == MatchStatus::Declined && kept.contains(m.new.opening_id.as_str()))
            .map(|m| (m.new.student_id.as_str(), m.new.opening_id.as_str()))
            .collect();
        let mut students: Vec<RawStudent> = self.students.iter().map(|s| s.matching.to_raw()).collect();
        students.sort_by(|a, b| a.id.cmp(&b.id));
        RawInstance {
            as_of: as_of.to_string(),
            students: Some(students),
            openings: Some(openings),
            partners: Some(partners),
            existing_matches: Some(existing),
            declined: Some(
                declined
                    .into_iter()
                    .map(|(student, opening)| RawPair {
                        student_id: student.to_owned(),
                        opening_id: opening.to_owned(),
                    })
                    .collect(),
            ),
            weights: None,
            held_elsewhere: Default::default(),
        }
    }

    /// How many records [`seed`] writes.
    pub fn counts(&self) -> Seeded {
        Seeded {
            schools: self.schools.len(),
            partners: self.partners.len(),
            openings: self.openings.len(),
            students: self.students.len(),
            matches: self.matches.len(),
            feedback: self.feedback.len(),
        }
    }
}

/// Writes the demo district in one transaction, walking each match through its
/// lifecycle with the store's own guarded writes.
///
/// # Errors
/// `StoreError::Conflict` when the database already holds any district: demo rows are
/// never mixed into real data. Of two seeds racing on an empty database one wins and
/// the other gets `Conflict`: SQLite's write transaction and, on PostgreSQL, a lock
/// on `districts` make the check and the writes one step. Anything else the writes
/// refuse; nothing is written then.
pub async fn seed(store: &Store, now: DateTime<Utc>) -> Result<Seeded, StoreError> {
    let demo = demo();
    let txn = store.write().await?;
    claim_empty(&txn, "the demo").await?;
    save_district(&txn, &demo.district).await?;
    save_schools(&txn, &demo.schools).await?;
    save_partners(&txn, &demo.partners, now).await?;
    save_agreements(&txn, &demo.agreements).await?;
    save_openings(&txn, &demo.openings, now).await?;
    save_students(&txn, &demo.students, now).await?;
    for (index, item) in demo.matches.iter().enumerate() {
        walk(&txn, &demo, index, item, now).await?;
    }
    for item in &demo.feedback {
        save_feedback(&txn, item, now).await?;
    }
    txn.commit().await?;
    Ok(demo.counts())
}

/// Proposes one match and moves it, step by step, to its status.
async fn walk<C: store::Db>(
    db: &C,
    demo: &Demo,
    index: usize,
    item: &DemoMatch,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let new = &item.new;
    let school = demo
        .students
        .iter()
        .find(|s| s.matching.id == new.student_id)
        .map_or("district", |s| s.school_id.as_str());
    let partner = demo
        .openings
        .iter()
        .find(|o| o.matching.id == new.opening_id)
        .map_or("unknown", |o| o.matching.partner_id.as_str());
    let counselor = format!("counselor:{school}");
    propose(db, std::slice::from_ref(new), &counselor, now).await?;
    let student = format!("student:{}", new.student_id);
    let partner = format!("partner:{partner}");
    let (student, partner, counselor) = (student.as_str(), partner.as_str(), counselor.as_str());
    let mut current = get(db, &new.id).await?;
    use MatchStatus::{Accepted, Active, Cancelled, Completed, Declined, Proposed};
    let steps: &[(MatchStatus, &str, Option<&str>)] = match item.status {
        Proposed => &[],
        Accepted => &[(Accepted, student, None)],
        Active => &[(Accepted, student, None), (Active, partner, None)],
        Completed => &[(Accepted, student, None), (Active, partner, None), (Completed, counselor, None)],
        Declined => &[(Declined, student, Some(DECLINE_REASONS[index % DECLINE_REASONS.len()]))],
        Cancelled => &[
            (Accepted, student, None),
            (Active, partner, None),
            (Cancelled, counselor, Some(CANCEL_REASONS[index % CANCEL_REASONS.len()])),
        ],
    };
    for (next, actor, reason) in steps {
        current = transition(db, &current, *next, actor, *reason, now).await?;
    }
    Ok(())
}

const SEED: u64 = 0x5249_5645_5254_4f4e; // "RIVERTON"
/// The demo district's id: `serve --demo` runs on a database holding it, or none.
pub const DISTRICT_ID: &str = "d-riverton";
const N_STUDENTS: usize = 300;
/// The season's matches, a few placed by hand (see [`season`]).
const N_MATCHES: usize = 30;
/// Statuses of the season, counted.
const SEASON: [(MatchStatus, usize); 6] = [
    (MatchStatus::Proposed, 5),
    (MatchStatus::Accepted, 5),
    (MatchStatus::Active, 11),
    (MatchStatus::Completed, 4),
    (MatchStatus::Declined, 3),
    (MatchStatus::Cancelled, 2),
];
const DECLINE_REASONS: [&str; 3] = [
    "would rather meet a tutor in person",
    "the sessions clash with soccer practice",
    "found help at school",
];
const CANCEL_REASONS: [&str; 2] = ["the family moved across the river", "the mentor changed jobs"];

/// The city centre; everything lies within about 7.5 km of it.
const CENTRE: (f64, f64) = (44.95, -93.2);
const CITY_RADIUS_KM: f64 = 7.5;
const KM_PER_DEGREE: f64 = 111.195;

struct SchoolSpec {
    id: &'static str,
    name: &'static str,
    /// km north and east of the centre.
    site: (f64, f64),
}

const SCHOOLS: [SchoolSpec; 4] = [
    SchoolSpec { id: "sch-1", name: "Riverton High School", site: (1.5, -2.0) },
    SchoolSpec { id: "sch-2", name: "Lincoln Middle School", site: (-2.5, 1.5) },
    SchoolSpec { id: "sch-3", name: "Harbor View K-8 School", site: (3.0, 3.5) },
    SchoolSpec { id: "sch-4", name: "Eastside Academy", site: (-1.0, 4.5) },
];

/// A partner's MOU history with the district.
#[derive(Clone, Copy, PartialEq)]
enum Mou {
    /// This school year's, with data sharing.
    Current,
    /// Last year's (expired) and this year's.
    Renewed,
    /// Ended in June: openings are not matchable.
    Expired,
    /// In force, but student data may not be shared.
    NoDataSharing,
    /// Signed, in force from October.
    NotYetStarted,
    /// In force since 2025, no end date.
    OpenEnded,
    /// Covers one school only: counts in that school's runs, not district-wide ones.
    SchoolOnly(&'static str),
}

/// What overrides an offer's defaults.
#[derive(Clone, Copy)]
enum Tweak {
    Virtual,
    /// At a school (index into [`SCHOOLS`]) instead of the partner's site.
    AtSchool(usize),
    Pickup(f64),
    MinAge(i64),
    Grades(i64, i64),
    Capacity(i64),
    /// Session minutes and sessions per week.
    Sessions(i64, i64),
    /// Saturday mornings (some Sunday afternoons too) instead of weekday afternoons.
    Weekend,
    Languages(&'static [&'static str]),
    Check(Check),
}

/// A host's background check.
#[derive(Clone, Copy, PartialEq)]
enum Check {
    Valid,
    Expired,
    Missing,
}

/// One opening a partner offers: kind, title, subjects or fields, tweaks.
/// Subjects or fields are space-separated.
struct Offer(Kind, &'static str, &'static str, &'static [Tweak]);

struct PartnerSpec {
    id: &'static str,
    name: &'static str,
    kind: PartnerKind,
    status: PartnerStatus,
    contact: &'static str,
    mou: Mou,
    /// Where its openings happen unless said otherwise: km north and east of the centre.
    site: (f64, f64),
    languages: &'static [&'static str],
    offers: &'static [Offer],
}

use Check::{Expired, Missing};
use PartnerKind::{Business, CommunityMember, FaithBased, Family, Government, Nonprofit, University};
use PartnerStatus::{Active as On, Inactive as Off};
use Tweak::{AtSchool, Capacity, Grades, Languages, MinAge, Pickup, Sessions, Virtual, Weekend};

const PARTNERS: [PartnerSpec; 25] = [
    PartnerSpec {
        id: "p-01",
        name: "Northstar Credit Union",
        kind: Business,
        status: On,
        contact: "Dana Whitfield",
        mou: Mou::Renewed,
        site: (0.5, -1.0),
        languages: &["en", "es"],
        offers: &[
            Offer(Internship, "Member services internship", "business", &[MinAge(16)]),
            Offer(Internship, "Finance operations internship", "business technology", &[Grades(11, 12)]),
            Offer(Mentoring, "Money mentors", "business", &[]),
            Offer(Tutoring, "Math for real life", "algebra math", &[AtSchool(1)]),
        ],
    },
    PartnerSpec {
        id: "p-02",
        name: "Halvorsen Engineering",
        kind: Business,
        status: On,
        contact: "Erik Halvorsen",
        mou: Mou::Current,
        site: (4.0, -3.0),
        languages: &["en"],
        offers: &[
            Offer(Internship, "Engineering job-shadow internship", "engineering", &[MinAge(16), Pickup(5.0)]),
            Offer(Internship, "CAD drafting internship", "engineering technology", &[Grades(11, 12)]),
            Offer(Mentoring, "Women in engineering mentors", "engineering science", &[]),
            Offer(Tutoring, "Physics and calculus clinic", "calculus physics", &[Virtual]),
        ],
    },
    PartnerSpec {
        id: "p-03",
        name: "Bluewater Software",
        kind: Business,
        status: On,
        contact: "Priya Raman",
        mou: Mou::Current,
        site: (-0.5, 0.8),
        languages: &["en", "vi"],
        offers: &[
            Offer(Internship, "Junior developer internship (remote)", "technology", &[MinAge(16), Virtual]),
            Offer(Mentoring, "Code mentors", "technology", &[Virtual]),
            Offer(Tutoring, "Intro to coding, online", "coding", &[Virtual, Sessions(60, 2)]),
            Offer(Tutoring, "After-school coding club", "coding math", &[AtSchool(2)]),
        ],
    },
    PartnerSpec {
        id: "p-04",
        name: "Prairie Builders Cooperative",
        kind: Business,
        status: On,
        contact: "Luis Ortega",
        mou: Mou::Current,
        site: (-5.0, -2.0),
        languages: &["en", "es"],
        offers: &[
            Offer(
                Internship,
                "Saturday carpentry apprenticeship taster",
                "trades",
                &[MinAge(16), Pickup(6.0), Weekend, Sessions(180, 1)],
            ),
            Offer(Mentoring, "Trades mentors", "business trades", &[]),
            Offer(
                Internship,
                "Electrical trades internship",
                "engineering trades",
                &[MinAge(17), Grades(11, 12)],
            ),
        ],
    },
    PartnerSpec {
        id: "p-05",
        name: "Friends of the Riverton Public Library",
        kind: Nonprofit,
        status: On,
        contact: "Margaret Olson",
        mou: Mou::Renewed,
        site: (0.0, 0.0),
        languages: &["en", "es", "so"],
        offers: &[
            Offer(Tutoring, "Reading buddies", "reading", &[Grades(0, 5), Capacity(6)]),
            Offer(Tutoring, "Homework help at the central library", "math reading writing", &[Capacity(6)]),
            Offer(Tutoring, "Teen writing workshop", "writing", &[Grades(6, 12)]),
            Offer(Tutoring, "ESL conversation circle", "esl", &[Languages(&["ar", "en", "es", "so"])]),
            Offer(Mentoring, "Library teen mentors", "education media", &[]),
            Offer(Tutoring, "Online reading tutors", "reading writing", &[Virtual, Capacity(6)]),
        ],
    },
    PartnerSpec {
        id: "p-06",
        name: "Boys & Girls Club of Riverton",
        kind: Nonprofit,
        status: On,
        contact: "Andre Jackson",
        mou: Mou::Current,
        site: (-3.0, 2.5),
        languages: &["en", "es"],
        offers: &[
            Offer(
                Tutoring,
                "Power Hour homework help",
                "math reading writing",
                &[Capacity(6), Sessions(45, 3)],
            ),
            Offer(Mentoring, "Youth mentoring", "arts education", &[]),
            Offer(Tutoring, "Algebra bootcamp", "algebra", &[Sessions(60, 2)]),
            Offer(Mentoring, "Sports and leadership mentors", "education public-service", &[]),
        ],
    },
    PartnerSpec {
        id: "p-07",
        name: "Somali Youth Alliance",
        kind: Nonprofit,
        status: On,
        contact: "Hodan Warsame",
        mou: Mou::Current,
        site: (2.0, 1.0),
        languages: &["en", "so"],
        offers: &[
            Offer(Tutoring, "Homework help in Somali and English", "math reading science", &[]),
            Offer(Mentoring, "Big sister, big brother", "education healthcare", &[]),
            Offer(Tutoring, "Weekend study hall", "algebra biology chemistry", &[Weekend]),
            Offer(Tutoring, "English for newcomers", "esl", &[Languages(&["ar", "en", "so"])]),
        ],
    },
    PartnerSpec {
        id: "p-08",
        name: "Casa de la Comunidad",
        kind: Nonprofit,
        status: On,
        contact: "Rosa Delgado",
        mou: Mou::Current,
        site: (-4.0, 0.5),
        languages: &["en", "es"],
        offers: &[
            Offer(Tutoring, "Tareas en familia: homework help", "math reading writing", &[Grades(0, 8)]),
            Offer(Mentoring, "Mentores latinos", "business law", &[]),
            Offer(Tutoring, "Spanish literacy", "reading spanish", &[]),
            Offer(Internship, "Community organizing internship", "law public-service", &[MinAge(16)]),
        ],
    },
    PartnerSpec {
        id: "p-09",
        name: "Riverton Medical Center",
        kind: Nonprofit,
        status: On,
        contact: "Grace Lindqvist",
        mou: Mou::Renewed,
        site: (1.0, 4.0),
        languages: &["en", "es", "so", "vi"],
        offers: &[
            Offer(Internship, "Hospital volunteer internship", "healthcare", &[MinAge(16)]),
            Offer(Internship, "Lab assistant internship", "healthcare science", &[MinAge(17), Capacity(1)]),
            Offer(Mentoring, "Future nurses mentoring", "healthcare", &[]),
            Offer(Mentoring, "Physicians in training", "healthcare science", &[Tweak::Check(Expired)]),
        ],
    },
    PartnerSpec {
        id: "p-10",
        name: "Riverton State University",
        kind: University,
        status: On,
        contact: "Dr. Samuel Okonkwo",
        mou: Mou::Current,
        site: (3.0, -0.5),
        languages: &["en", "es", "zh"],
        offers: &[
            Offer(
                Tutoring,
                "College student STEM tutors",
                "algebra biology chemistry geometry physics",
                &[Capacity(6), Sessions(60, 2)],
            ),
            Offer(Tutoring, "Online writing center", "history writing", &[Virtual]),
            Offer(Tutoring, "Homework hotline", "math reading science writing", &[Virtual, Capacity(6)]),
            Offer(
                Tutoring,
                "Online STEM tutoring",
                "algebra biology chemistry geometry physics",
                &[Virtual, Capacity(6)],
            ),
            Offer(Mentoring, "First-generation college mentors", "education science", &[]),
            Offer(Internship, "Research lab internship", "science", &[MinAge(16), Grades(11, 12)]),
            Offer(
                Mentoring,
                "Mentors for Chinese-speaking families",
                "business technology",
                &[Virtual, Languages(&["en", "zh"])],
            ),
        ],
    },
    PartnerSpec {
        id: "p-11",
        name: "Lakeshore Community College",
        kind: University,
        status: On,
        contact: "Teresa Vang",
        mou: Mou::Current,
        site: (-2.0, -4.5),
        languages: &["en", "es"],
        offers: &[
            Offer(Tutoring, "Math lab", "algebra geometry math", &[]),
            Offer(Internship, "Welding and automotive internship", "trades", &[MinAge(16)]),
            Offer(Mentoring, "Career pathways mentoring", "business healthcare trades", &[Virtual]),
        ],
    },
    PartnerSpec {
        id: "p-12",
        name: "Northfield Technical Institute",
        kind: University,
        status: On,
        contact: "Kevin Brandt",
        mou: Mou::Expired,
        site: (5.5, 1.0),
        languages: &["en"],
        offers: &[
            Offer(Tutoring, "Robotics and coding lab", "coding physics", &[]),
            Offer(Internship, "IT help desk internship", "technology", &[MinAge(16)]),
            Offer(Mentoring, "Tech careers mentoring", "engineering technology", &[Virtual]),
        ],
    },
    PartnerSpec {
        id: "p-13",
        name: "City of Riverton Parks and Recreation",
        kind: Government,
        status: On,
        contact: "Jamal Carter",
        mou: Mou::OpenEnded,
        site: (-1.0, -2.5),
        languages: &["en", "es", "so"],
        offers: &[
            Offer(Internship, "Junior park ranger", "public-service science", &[Weekend, Sessions(180, 1)]),
            Offer(Tutoring, "Rec center study hall", "math reading science", &[Capacity(6)]),
            Offer(Mentoring, "Outdoor leadership mentors", "education science", &[]),
            Offer(Internship, "Teen lifeguard training", "healthcare public-service", &[MinAge(15)]),
        ],
    },
    PartnerSpec {
        id: "p-14",
        name: "Hennessey County Public Health",
        kind: Government,
        status: On,
        contact: "Mai Xiong",
        mou: Mou::Current,
        site: (0.5, 2.0),
        languages: &["en", "es", "so", "vi"],
        offers: &[
            Offer(Internship, "Public health ambassadors", "healthcare public-service", &[MinAge(16)]),
            Offer(Mentoring, "Health careers mentoring", "healthcare", &[Virtual]),
            Offer(Internship, "Community health worker shadowing", "healthcare", &[MinAge(17), Capacity(2)]),
        ],
    },
    PartnerSpec {
        id: "p-15",
        name: "Riverton Fire Department",
        kind: Government,
        status: On,
        contact: "Captain Ray Sorensen",
        mou: Mou::NoDataSharing,
        site: (-2.5, -0.5),
        languages: &["en"],
        offers: &[
            Offer(Internship, "Fire cadet program", "healthcare public-service", &[MinAge(16)]),
            Offer(Mentoring, "Firefighter mentors", "public-service", &[]),
        ],
    },
    PartnerSpec {
        id: "p-16",
        name: "First Lutheran Church Tutoring Ministry",
        kind: FaithBased,
        status: On,
        contact: "Pastor Ingrid Nelson",
        mou: Mou::Current,
        site: (2.5, -2.0),
        languages: &["en"],
        offers: &[
            Offer(
                Tutoring,
                "Tuesday tutoring at First Lutheran",
                "algebra math reading writing",
                &[Tweak::Check(Missing)],
            ),
            Offer(Tutoring, "Online math tutoring", "algebra math", &[Virtual]),
            Offer(Mentoring, "Faith and family mentors", "education", &[]),
        ],
    },
    PartnerSpec {
        id: "p-17",
        name: "Masjid Al-Noor Community Center",
        kind: FaithBased,
        status: On,
        contact: "Imam Yusuf Abdi",
        mou: Mou::Current,
        site: (1.5, 2.5),
        languages: &["ar", "en", "so"],
        offers: &[
            Offer(Tutoring, "Arabic and English homework help", "esl math reading", &[]),
            Offer(Mentoring, "Youth mentoring circle", "business education", &[]),
            Offer(Tutoring, "Weekend science tutoring", "biology chemistry science", &[Weekend]),
        ],
    },
    PartnerSpec {
        id: "p-18",
        name: "St. Brigid Parish Youth Program",
        kind: FaithBased,
        status: On,
        contact: "Sister Marie-Claude Joseph",
        mou: Mou::SchoolOnly("sch-2"),
        site: (-3.0, 1.0),
        languages: &["en", "fr", "ht"],
        offers: &[
            Offer(Tutoring, "Homework help in Haitian Creole and French", "math reading writing", &[]),
            Offer(Mentoring, "Parish youth mentors", "arts education", &[]),
        ],
    },
    PartnerSpec {
        id: "p-19",
        name: "The Nguyen Family",
        kind: Family,
        status: On,
        contact: "Lan Nguyen",
        mou: Mou::Current,
        site: (-1.5, 3.5),
        languages: &["en", "vi"],
        offers: &[
            Offer(Tutoring, "Vietnamese-English tutoring at home", "math reading", &[Capacity(2)]),
            Offer(Mentoring, "Small business mentoring at the family bakery", "business", &[Capacity(1)]),
        ],
    },
    PartnerSpec {
        id: "p-20",
        name: "The Okafor Family",
        kind: Family,
        status: On,
        contact: "Chidi Okafor",
        mou: Mou::Expired,
        site: (4.5, 4.5),
        languages: &["en", "fr"],
        offers: &[
            Offer(Tutoring, "Chemistry help from a chemist parent", "biology chemistry", &[Virtual]),
            Offer(Mentoring, "Nursing mentor", "healthcare", &[Capacity(1)]),
        ],
    },
    PartnerSpec {
        id: "p-21",
        name: "Dr. Helen Park",
        kind: CommunityMember,
        status: On,
        contact: "Helen Park",
        mou: Mou::Current,
        site: (0.0, -3.5),
        languages: &["en", "zh"],
        offers: &[
            Offer(
                Mentoring,
                "Medicine mentoring with a retired physician",
                "healthcare science",
                &[Capacity(2)],
            ),
            Offer(Tutoring, "Biology tutoring", "biology chemistry", &[Virtual, Capacity(2)]),
        ],
    },
    PartnerSpec {
        id: "p-22",
        name: "Marcus Bell",
        kind: CommunityMember,
        status: On,
        contact: "Marcus Bell",
        mou: Mou::Current,
        site: (-0.5, 4.0),
        languages: &["en"],
        offers: &[
            Offer(Mentoring, "Software career mentoring", "technology", &[Virtual, Capacity(2)]),
            Offer(Tutoring, "Coding help at the makerspace", "coding", &[Tweak::Check(Expired)]),
        ],
    },
    PartnerSpec {
        id: "p-23",
        name: "Irina Volkova",
        kind: CommunityMember,
        status: On,
        contact: "Irina Volkova",
        mou: Mou::Current,
        site: (3.5, 1.5),
        languages: &["en", "ru"],
        offers: &[
            Offer(
                Tutoring,
                "Physics and chemistry in Russian",
                "chemistry physics",
                &[Virtual, Languages(&["ru"]), Grades(8, 12), Capacity(2)],
            ),
            Offer(Tutoring, "Math olympiad circle", "algebra geometry", &[Virtual, Grades(6, 12)]),
        ],
    },
    PartnerSpec {
        id: "p-24",
        name: "Tomás Herrera",
        kind: CommunityMember,
        status: On,
        contact: "Tomás Herrera",
        mou: Mou::NotYetStarted,
        site: (-4.5, -1.0),
        languages: &["en", "es"],
        offers: &[
            Offer(Internship, "Furniture workshop internship", "arts trades", &[MinAge(16), Pickup(3.0)]),
            Offer(Mentoring, "Trades mentoring", "trades", &[]),
        ],
    },
    PartnerSpec {
        id: "p-25",
        name: "Riverton Robotics League",
        kind: Nonprofit,
        status: Off,
        contact: "Nadia Petrov",
        mou: Mou::Current,
        site: (2.0, -1.5),
        languages: &["en"],
        offers: &[
            Offer(Tutoring, "Robotics team tutoring", "coding physics", &[]),
            Offer(Mentoring, "Robotics mentors", "engineering technology", &[]),
            Offer(Internship, "Build-season internship", "engineering", &[MinAge(15)]),
        ],
    },
];

#[allow(clippy::expect_used, reason = "the demo's dates are constants written in this file")]
fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a calendar date")
}

/// A point `north` and `east` km from the centre.
fn place(north: f64, east: f64) -> RawPlace {
    RawPlace {
        lat: CENTRE.0 + north / KM_PER_DEGREE,
        lon: CENTRE.1 + east / (KM_PER_DEGREE * CENTRE.0.to_radians().cos()),
    }
}

/// Rounded to `decimals` places, as stored (homes: 3, about 100 m).
fn rounded(place: RawPlace, decimals: i32) -> RawPlace {
    let scale = 10f64.powi(decimals);
    RawPlace { lat: (place.lat * scale).round() / scale, lon: (place.lon * scale).round() / scale }
}

fn window(day: &str, start: &str, end: &str) -> RawWindow {
    RawWindow { day: day.to_owned(), start: start.to_owned(), end: end.to_owned() }
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Sorted, without repeats.
fn set_of(list: &[&str]) -> Vec<String> {
    let set: BTreeSet<&str> = list.iter().copied().collect();
    set.into_iter().map(str::to_owned).collect()
}

/// An address-safe ASCII form of a name: `Tomás Herrera` → `tomas.herrera`.
fn email_local(name: &str) -> String {
    let folded: String = name
        .chars()
        .filter_map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'Á' => Some('a'),
            'é' | 'è' | 'ê' | 'ë' | 'É' => Some('e'),
            'í' | 'ì' | 'î' | 'ï' => Some('i'),
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => Some('o'),
            'ú' | 'ù' | 'û' | 'ü' => Some('u'),
            'ñ' => Some('n'),
            'ç' => Some('c'),
            ' ' => Some('.'),
            c if c.is_ascii_alphanumeric() || c == '-' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    folded.trim_matches('.').to_owned()
}

/// A number from the range reserved for fiction, 555-0100 to 555-0199.
fn phone(index: usize) -> String {
    format!("(612) 555-{:04}", 100 + index % 100)
}

fn partner(spec: &PartnerSpec, index: usize) -> Partner {
    let contact = spec.contact.trim_start_matches("Dr. ").trim_start_matches("Captain ");
    let contact =
        contact.trim_start_matches("Pastor ").trim_start_matches("Imam ").trim_start_matches("Sister ");
    Partner {
        id: spec.id.to_owned(),
        name: spec.name.to_owned(),
        kind: spec.kind,
        status: spec.status,
        contact_name: Some(spec.contact.to_owned()),
        contact_email: Some(format!("{}@example.org", email_local(contact))),
        contact_phone: (index % 3 != 2).then(|| phone(index * 7)),
    }
}

fn agreements() -> Vec<Agreement> {
    let mut list = Vec::new();
    let mut add =
        |partner: &str, school: Option<&str>, span: (NaiveDate, Option<NaiveDate>), shares: bool| {
            let (starts_on, ends_on) = span;
            list.push(Agreement {
                id: format!("a-{:02}", list.len() + 1),
                partner_id: partner.to_owned(),
                school_id: school.map(str::to_owned),
                starts_on,
                ends_on,
                signed_on: starts_on.checked_sub_days(Days::new(21)),
                data_sharing: shares,
                terms: Some(
                    if shares {
                        "Student data limited to first name, grade, languages and schedule; \
                     hosts keep it confidential and delete it when the match ends."
                    } else {
                        "Use of district facilities only; no student data is shared."
                    }
                    .to_owned(),
                ),
            });
        };
    let this_year = (date(2026, 7, 1), Some(date(2027, 6, 30)));
    for spec in &PARTNERS {
        let id = spec.id;
        match spec.mou {
            Mou::Current => add(id, None, this_year, true),
            Mou::Renewed => {
                add(id, None, (date(2025, 7, 1), Some(date(2026, 6, 30))), true);
                add(id, None, this_year, true);
            }
            Mou::Expired => add(id, None, (date(2024, 9, 1), Some(date(2026, 6, 30))), true),
            Mou::NoDataSharing => add(id, None, (date(2026, 8, 1), Some(date(2027, 7, 31))), false),
            Mou::NotYetStarted => add(id, None, (date(2026, 10, 1), Some(date(2027, 9, 30))), true),
            Mou::OpenEnded => add(id, None, (date(2025, 1, 15), None), true),
            Mou::SchoolOnly(school) => {
                add(id, Some(school), (date(2026, 8, 15), Some(date(2027, 6, 15))), true)
            }
        }
    }
    list
}

/// The MOUs of `partner` that a district-wide scope counts, as the matcher reads
/// them, in the order the store reads them (start, then id).
fn district_agreements(agreements: &[Agreement], partner: &str) -> Vec<RawAgreement> {
    let mut own: Vec<&Agreement> =
        agreements.iter().filter(|a| a.partner_id == partner && a.school_id.is_none()).collect();
    own.sort_by(|a, b| (a.starts_on, &a.id).cmp(&(b.starts_on, &b.id)));
    own.into_iter()
        .map(|a| RawAgreement {
            starts_on: Some(a.starts_on.to_string()),
            ends_on: a.ends_on.map(|d| d.to_string()),
            data_sharing: Some(a.data_sharing),
        })
        .collect()
}

const WEEKDAYS: [&str; 5] = ["MON", "TUE", "WED", "THU", "FRI"];

/// `count` distinct weekdays, Monday first.
fn weekdays(rng: &mut Rng, count: usize) -> Vec<&'static str> {
    let mut days = WEEKDAYS.to_vec();
    for at in (1..days.len()).rev() {
        days.swap(at, rng.below(at + 1));
    }
    days.truncate(count.min(WEEKDAYS.len()));
    days.sort_by_key(|day| WEEKDAYS.iter().position(|d| d == day));
    days
}

/// Grades a tutoring subject is taught to.
fn subject_grades(subject: &str) -> (i64, i64) {
    match subject {
        "reading" | "math" | "science" => (0, 8),
        "writing" => (2, 12),
        "algebra" => (7, 12),
        "geometry" => (8, 12),
        "calculus" => (11, 12),
        "biology" | "history" | "coding" | "spanish" => (6, 12),
        "chemistry" | "physics" => (9, 12),
        _ => (0, 12),
    }
}

fn openings(rng: &mut Rng) -> Vec<Opening> {
    let mut list = Vec::new();
    for spec in &PARTNERS {
        for offer in spec.offers {
            let id = format!("o-{:03}", list.len() + 1);
            list.push(opening(rng, spec, offer, id));
        }
    }
    list
}

fn opening(rng: &mut Rng, spec: &PartnerSpec, offer: &Offer, id: String) -> Opening {
    let Offer(kind, title, subjects, tweaks) = *offer;
    let subjects: Vec<&str> = subjects.split_whitespace().collect();
    // Defaults by kind; then the tweaks.
    let (mut minutes, mut per_week, mut capacity, mut grades) = match kind {
        Tutoring => {
            let grades = subjects
                .iter()
                .map(|s| subject_grades(s))
                .fold((12, 0), |(low, high), (from, to)| (low.min(from), high.max(to)));
            (*rng.pick(&[45, 60, 60, 90]), *rng.pick(&[1, 1, 1, 2]), 3 + rng.below(4) as i64, grades)
        }
        Mentoring => (*rng.pick(&[60, 60, 90]), 1, 1 + rng.below(5) as i64, (6, 12)),
        Internship => (*rng.pick(&[120, 120, 150]), *rng.pick(&[1, 2]), 1 + rng.below(4) as i64, (10, 12)),
    };
    let mut is_virtual = false;
    let mut site = spec.site;
    let mut pickup = None;
    let mut min_age = None;
    let mut weekend = false;
    let mut languages = spec.languages;
    let mut check = if kind == Internship { Missing } else { Check::Valid };
    for tweak in tweaks {
        match *tweak {
            Virtual => is_virtual = true,
            AtSchool(school) => site = SCHOOLS[school].site,
            Pickup(radius) => pickup = Some(radius),
            MinAge(age) => min_age = Some(age),
            Grades(low, high) => grades = (low, high),
            Capacity(slots) => capacity = slots,
            Sessions(length, count) => (minutes, per_week) = (length, count),
            Weekend => weekend = true,
            Languages(codes) => languages = codes,
            Tweak::Check(state) => check = state,
        }
    }
    if is_virtual && check == Check::Valid {
        check = Missing;
    }
    let schedule = if weekend {
        let mut days = vec![window("SAT", "09:00", "13:00")];
        if rng.chance(0.5) {
            days.push(window("SUN", "13:00", "17:00"));
        }
        days
    } else {
        let (start, end) = match kind {
            Internship => *rng.pick(&[("15:30", "18:30"), ("15:00", "18:00"), ("16:00", "19:00")]),
            _ => *rng.pick(&[("15:00", "17:00"), ("15:30", "17:30"), ("15:30", "18:00"), ("16:00", "18:00")]),
        };
        let n_days = per_week as usize + 1 + rng.below(2);
        weekdays(rng, n_days).into_iter().map(|day| window(day, start, end)).collect()
    };
    let cleared = date(2025, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32);
    let background_check = match check {
        Check::Valid => Some(RawBackgroundCheck {
            cleared_on: Some(cleared.to_string()),
            expires_on: Some(date(cleared.year() + 2, cleared.month(), cleared.day()).to_string()),
        }),
        Expired => Some(RawBackgroundCheck {
            cleared_on: Some("2023-08-15".to_owned()),
            expires_on: Some("2025-08-15".to_owned()),
        }),
        Missing => None,
    };
    let place = place(site.0, site.1);
    Opening {
        title: Some(title.to_owned()),
        matching: opening_record(RawOpening {
            id,
            partner_id: spec.id.to_owned(),
            kind: kind.as_str().to_owned(),
            subjects: set_of(&subjects),
            languages: set_of(languages),
            r#virtual: Some(is_virtual),
            place: (!is_virtual).then(|| rounded(place, 5)),
            pickup_radius_km: pickup,
            schedule,
            session_minutes: minutes,
            sessions_per_week: Some(per_week),
            capacity,
            min_grade: Some(grades.0),
            max_grade: Some(grades.1),
            min_age,
            background_check,
        }),
    }
}

/// Generated records are valid by construction, and the demo's tests read every one back.
#[allow(clippy::expect_used, reason = "the demo district is fixed data, checked by its tests")]
fn opening_record(raw: RawOpening) -> OpeningRecord {
    OpeningRecord::parse(&raw).expect("a generated opening is valid")
}

#[allow(clippy::expect_used, reason = "the demo district is fixed data, checked by its tests")]
fn student_record(raw: RawStudent) -> StudentRecord {
    StudentRecord::parse(&raw).expect("a generated student is valid")
}

/// Students' home languages, with the names their families tend to carry.
struct Community {
    language: &'static str,
    /// Share of the district, in percent.
    share: usize,
    /// Chance that the student also speaks English (listed after the home language).
    english: f64,
    /// Another language some speak, and the chance that a student does.
    other: Option<(&'static str, f64)>,
    /// Comma-separated.
    first_names: &'static str,
    /// Comma-separated.
    last_names: &'static str,
}

const COMMUNITIES: [Community; 11] = [
    Community {
        language: "en",
        share: 48,
        english: 0.0,
        other: Some(("es", 0.08)),
        first_names: "Emma, Liam, Olivia, Noah, Ava, Ethan, Mia, Lucas, Harper, Mason, Ella, Logan, Grace, \
            Owen, Chloe, Caleb, Aaliyah, Jayden, Maya, Isaiah, Zoe, Elijah, Nora, Henry",
        last_names: "Johnson, Smith, Anderson, Williams, Brown, Miller, Davis, Wilson, Taylor, Thomas, \
            Moore, Jackson, Martin, Thompson, White, Harris, Clark, Lewis, Walker, Young, Olson, Larson, \
            Peterson, Washington",
    },
    Community {
        language: "es",
        share: 20,
        english: 0.75,
        other: None,
        first_names: "Sofía, Mateo, Valentina, Santiago, Camila, Diego, Lucía, Alejandro, Isabella, Carlos, \
            Daniela, Javier, Ximena, Luis, María, José",
        last_names: "García, Hernández, López, Martínez, Rodríguez, González, Pérez, Sánchez, Ramírez, \
            Flores, Torres, Morales, Cruz, Reyes",
    },
    Community {
        language: "so",
        share: 7,
        english: 0.7,
        other: Some(("ar", 0.15)),
        first_names: "Ayaan, Hodan, Abdi, Fadumo, Mohamed, Hibaq, Yusuf, Sahra, Abdirahman, Ifrah, Hassan, \
            Nasra",
        last_names: "Ahmed, Hassan, Mohamud, Ali, Farah, Warsame, Abdullahi, Osman, Jama",
    },
    Community {
        language: "vi",
        share: 5,
        english: 0.8,
        other: None,
        first_names: "Minh, Linh, Khoa, Thao, Bao, Anh, Duc, Mai, Tuan, Ngoc",
        last_names: "Nguyen, Tran, Le, Pham, Hoang, Vu, Dang, Bui",
    },
    Community {
        language: "zh",
        share: 5,
        english: 0.8,
        other: None,
        first_names: "Wei, Mei, Jun, Xin, Hao, Yu, Lei, Ying, Jia, Zhen",
        last_names: "Wang, Li, Zhang, Liu, Chen, Yang, Zhao, Huang, Zhou, Wu",
    },
    Community {
        language: "ar",
        share: 4,
        english: 0.7,
        other: Some(("fr", 0.2)),
        first_names: "Omar, Layla, Yousef, Noor, Karim, Mariam, Ahmad, Salma, Rami, Huda",
        last_names: "Haddad, Khalil, Nasser, Saleh, Mansour, Aziz, Farouk",
    },
    Community {
        language: "ht",
        share: 3,
        english: 0.6,
        other: Some(("fr", 0.5)),
        first_names: "Jean, Marie, Widelene, Stanley, Rose, Kervens, Nadège, Wesley",
        last_names: "Pierre, Joseph, Jean-Baptiste, Charles, Louis, Celestin",
    },
    Community {
        language: "fr",
        share: 2,
        english: 0.7,
        other: None,
        first_names: "Camille, Hugo, Aminata, Moussa, Léa, Ibrahima, Fatou",
        last_names: "Diallo, Traoré, Konaté, Dubois, Camara, Moreau",
    },
    Community {
        language: "ru",
        share: 2,
        english: 0.65,
        other: None,
        first_names: "Anya, Dmitri, Sasha, Nikolai, Olga, Ivan, Katya, Mikhail",
        last_names: "Kovalenko, Shevchenko, Bondarenko, Tkachenko, Kravchenko, Melnyk",
    },
    Community {
        language: "tl",
        share: 2,
        english: 0.9,
        other: None,
        first_names: "Angelo, Maricel, Jomar, Kristine, Paolo, Divina",
        last_names: "Santos, Bautista, Villanueva, Dela Cruz, Mendoza",
    },
    Community {
        language: "pt",
        share: 2,
        english: 0.8,
        other: None,
        first_names: "João, Ana, Gabriel, Beatriz, Rafael, Larissa",
        last_names: "Silva, Souza, Oliveira, Costa, Pereira, Almeida",
    },
];

/// Students per grade 0–12, weighted towards grades 6–12 where most partner
/// programs are.
const GRADE_WEIGHTS: [usize; 13] = [3, 3, 3, 3, 3, 4, 8, 8, 8, 10, 10, 10, 9];

const YOUNG_SUBJECTS: [&str; 4] = ["math", "reading", "science", "writing"];
const MIDDLE_SUBJECTS: [&str; 8] =
    ["algebra", "coding", "history", "math", "reading", "science", "spanish", "writing"];
const HIGH_SUBJECTS: [&str; 10] = [
    "algebra",
    "biology",
    "calculus",
    "chemistry",
    "coding",
    "geometry",
    "history",
    "physics",
    "spanish",
    "writing",
];
const FIELDS: [&str; 11] = [
    "arts",
    "business",
    "education",
    "engineering",
    "healthcare",
    "law",
    "media",
    "public-service",
    "science",
    "technology",
    "trades",
];

/// The student whose only feasible tutor was declined: a newcomer who speaks only
/// Russian and wants physics (see [`newcomer`]).
const NEWCOMER: usize = 41;

fn pick_weighted(rng: &mut Rng, weights: &[usize]) -> usize {
    let total: usize = weights.iter().sum();
    let mut roll = rng.below(total);
    for (index, weight) in weights.iter().enumerate() {
        if roll < *weight {
            return index;
        }
        roll -= weight;
    }
    weights.len() - 1
}

/// One of a comma-separated list of names.
fn pick_name<'n>(rng: &mut Rng, names: &'n str) -> &'n str {
    let names: Vec<&str> = names.split(", ").collect();
    names[rng.below(names.len())]
}

fn students(rng: &mut Rng) -> Vec<Student> {
    let mut list: Vec<Student> = (0..N_STUDENTS).map(|index| student(rng, index)).collect();
    newcomer(&mut list[NEWCOMER]);
    list
}

fn student(rng: &mut Rng, index: usize) -> Student {
    let grade = pick_weighted(rng, &GRADE_WEIGHTS) as i64;
    let school = match grade {
        0..=5 => 2,
        6..=8 => *rng.pick(&[1, 1, 1, 2, 3]),
        _ => *rng.pick(&[0, 0, 0, 0, 0, 0, 0, 3, 3, 3]),
    };
    let shares: Vec<usize> = COMMUNITIES.iter().map(|c| c.share).collect();
    let community = &COMMUNITIES[pick_weighted(rng, &shares)];
    let mut languages = vec![community.language.to_owned()];
    if let Some((other, chance)) = community.other
        && rng.chance(chance)
    {
        languages.push(other.to_owned());
    }
    if community.language != "en" && rng.chance(community.english) {
        languages.push("en".to_owned());
    }
    let first_name = pick_name(rng, community.first_names);
    let last_name = pick_name(rng, community.last_names);

    let birth_date = birth_date(rng, grade);
    let home = home(rng, SCHOOLS[school].site);
    let travel_modes = strings(match rng.below(100) {
        0..=5 => &[],
        6..=27 => &["WALK"],
        28..=55 => &["WALK", "TRANSIT"],
        56..=67 => &["WALK", "BIKE", "TRANSIT"],
        68..=75 => &["BIKE"],
        76..=89 => &["WALK", "CAR"],
        _ => &["CAR"],
    });
    let max_travel_minutes = *rng.pick(&[15.0, 20.0, 25.0, 30.0, 30.0, 30.0, 40.0, 45.0, 45.0, 60.0, 60.0]);
    let remote_ok = rng.chance(0.8);
    let availability = availability(rng, grade);
    let needs = needs(rng, grade, &languages);
    let priority = pick_weighted(rng, &[50, 25, 15, 10]) as i64;
    let consent_on_file = rng.chance(0.92);
    let guardians = guardians(rng, community, last_name, index);
    Student {
        school_id: SCHOOLS[school].id.to_owned(),
        first_name: first_name.to_owned(),
        last_name: last_name.to_owned(),
        waiting_since: Default::default(),
        matching: student_record(RawStudent {
            id: format!("s-{:04}", index + 1),
            grade,
            birth_date: birth_date.map(|d| d.to_string()),
            languages,
            home,
            travel_modes: Some(travel_modes),
            max_travel_minutes,
            remote_ok: Some(remote_ok),
            availability,
            needs,
            priority: Some(priority),
            consent_on_file: Some(consent_on_file),
        }),
        guardians,
    }
}

/// Born in the school year that puts the student in `grade` (a kindergartner is 5 on
/// 1 September); a few repeated a year, and a couple have no birth date on file.
fn birth_date(rng: &mut Rng, grade: i64) -> Option<NaiveDate> {
    if rng.chance(0.01) {
        return None;
    }
    let held_back = i32::from(rng.chance(0.04));
    let first = date(2020 - grade as i32 - held_back, 9, 2);
    first.checked_add_days(Days::new(rng.below(365) as u64))
}

/// Near the student's school, inside the city, to 3 decimals (as stored).
fn home(rng: &mut Rng, school: (f64, f64)) -> RawPlace {
    let (mut north, mut east) = (school.0 + rng.normal() * 2.2, school.1 + rng.normal() * 2.2);
    let distance = north.hypot(east);
    if distance > CITY_RADIUS_KM {
        north *= CITY_RADIUS_KM / distance;
        east *= CITY_RADIUS_KM / distance;
    }
    rounded(place(north, east), 3)
}

/// Weekday afternoons after school, sometimes a weekend window; some families give
/// two touching or overlapping windows for one afternoon (they merge).
fn availability(rng: &mut Rng, grade: i64) -> Vec<RawWindow> {
    if rng.chance(0.07) {
        // Busy: one short afternoon a week.
        let day = *rng.pick(&WEEKDAYS);
        return vec![window(day, "16:00", "17:00")];
    }
    let start = if grade <= 5 {
        *rng.pick(&["14:45", "15:00", "15:15"])
    } else {
        *rng.pick(&["15:00", "15:30", "16:00"])
    };
    let end = *rng.pick(&["17:00", "17:30", "18:00", "18:30", "19:00"]);
    let n_days = 2 + rng.below(4);
    let days = weekdays(rng, n_days);
    let mut windows: Vec<RawWindow> = days.iter().map(|day| window(day, start, end)).collect();
    if rng.chance(0.12) {
        // Club until five, free after: two windows that touch.
        let day = *rng.pick(&WEEKDAYS);
        windows.retain(|w| w.day != day);
        windows.push(window(day, "15:00", "17:00"));
        windows.push(window(day, "17:00", "18:30"));
    }
    if rng.chance(0.05) {
        // Overlapping windows from two forms; they merge too.
        let day = *rng.pick(&WEEKDAYS);
        windows.retain(|w| w.day != day);
        windows.push(window(day, "15:30", "17:00"));
        windows.push(window(day, "16:30", "18:30"));
    }
    if rng.chance(0.3) {
        windows.push(if rng.chance(0.6) {
            window("SAT", "09:00", "13:00")
        } else {
            window("SUN", "12:00", "17:00")
        });
    }
    windows
}

/// Needs of all three kinds, in the order kinds are matched (internship first).
fn needs(rng: &mut Rng, grade: i64, languages: &[String]) -> Vec<RawNeed> {
    let mut needs = Vec::new();
    let wants_internship = match grade {
        10..=12 => rng.chance(0.45),
        9 => rng.chance(0.1),
        _ => false,
    };
    if wants_internship {
        needs.push(need(Internship, some_of(rng, &FIELDS, 2)));
    }
    if grade >= 5 && rng.chance(0.3) {
        needs.push(need(Mentoring, some_of(rng, &FIELDS, 2)));
    }
    if needs.is_empty() || rng.chance(0.6) {
        let subjects: &[&str] = match grade {
            0..=5 => &YOUNG_SUBJECTS,
            6..=8 => &MIDDLE_SUBJECTS,
            _ => &HIGH_SUBJECTS,
        };
        let mut chosen = some_of(rng, subjects, 2);
        if languages.first().is_some_and(|first| first != "en") && rng.chance(0.4) {
            chosen.push("esl".to_owned());
        }
        chosen.retain(|subject| subject != "calculus" || grade >= 11);
        if chosen.is_empty() {
            chosen.push("math".to_owned());
        }
        chosen.sort();
        chosen.dedup();
        needs.push(need(Tutoring, chosen));
    }
    needs
}

fn need(kind: Kind, subjects: Vec<String>) -> RawNeed {
    RawNeed { kind: kind.as_str().to_owned(), subjects: Some(subjects), waiting_days: None }
}

/// One to `most` of `items`, sorted.
fn some_of(rng: &mut Rng, items: &[&str], most: usize) -> Vec<String> {
    let count = 1 + rng.below(most);
    let chosen: Vec<&str> = (0..count).map(|_| *rng.pick(items)).collect();
    set_of(&chosen)
}

fn guardians(rng: &mut Rng, community: &Community, last_name: &str, index: usize) -> Vec<Guardian> {
    let (first, second) = *rng.pick(&[
        ("parent", Some("parent")),
        ("parent", Some("parent")),
        ("parent", Some("step-parent")),
        ("parent", None),
        ("parent", None),
        ("grandparent", Some("grandparent")),
        ("aunt or uncle", None),
        ("foster parent", None),
        ("legal guardian", None),
    ]);
    let mut list = Vec::new();
    for relationship in std::iter::once(first).chain(second) {
        let name = format!("{} {}", pick_name(rng, community.first_names), last_name);
        let email =
            (!rng.chance(0.15)).then(|| format!("{}{}@example.org", email_local(&name), 10 + index % 90));
        list.push(Guardian {
            phone: Some(phone(index + list.len() * 50)),
            name,
            relationship: Some(relationship.to_owned()),
            email,
            language: Some(community.language.to_owned()),
        });
    }
    list
}

/// A grade-11 newcomer who speaks only Russian and wants physics: the only tutor for
/// her is Irina Volkova's online class, which she declines in the season — so her
/// need shows the `DECLINED` constraint at work.
fn newcomer(student: &mut Student) {
    student.first_name = "Anya".to_owned();
    student.last_name = "Kovalenko".to_owned();
    let mut raw = student.matching.to_raw();
    let s = &mut raw;
    s.grade = 11;
    s.birth_date = Some("2010-02-11".to_owned());
    s.languages = strings(&["ru"]);
    s.travel_modes = Some(strings(&["WALK", "TRANSIT"]));
    s.max_travel_minutes = 30.0;
    s.remote_ok = Some(true);
    s.availability = vec![
        window("MON", "15:30", "18:00"),
        window("WED", "15:30", "18:00"),
        window("THU", "15:30", "18:00"),
    ];
    s.needs = vec![need(Tutoring, strings(&["physics"]))];
    s.priority = Some(2);
    s.consent_on_file = Some(true);
    student.matching = student_record(raw);
    student.guardians = vec![Guardian {
        name: "Olga Kovalenko".to_owned(),
        relationship: Some("parent".to_owned()),
        email: Some("olga.kovalenko@example.org".to_owned()),
        phone: Some(phone(NEWCOMER)),
        language: Some("ru".to_owned()),
    }];
    student.school_id = SCHOOLS[0].id.to_owned();
}

/// The season so far: matches the engine proposed on the district before any history
/// (so their scores, breakdowns and sessions are real), moved along the lifecycle.
/// Hand-placed first: the newcomer's declined tutor, a match still running with the
/// partner that has since paused (inactive), and every slot of one opening (full).
#[allow(clippy::expect_used, reason = "the demo district is fixed data, checked by its tests")]
fn season(rng: &mut Rng, demo: &Demo) -> Vec<DemoMatch> {
    let raw = fresh_instance(demo);
    let instance = matcher::parse_instance(&raw).expect("the demo district is a valid instance");
    let outcome = matcher::run(&instance, Options::default(), &mut Silent)
        .expect("the demo district is far too small to overflow a score");
    let picks: Vec<Pick> = outcome
        .assignments
        .iter()
        .map(|a| Pick {
            student_id: instance.students()[a.student].id().as_str().to_owned(),
            opening_id: instance.openings()[a.opening].id().as_str().to_owned(),
            kind: a.kind,
            score: a.breakdown.score(),
            breakdown: a
                .breakdown
                .iter()
                .map(|(c, points)| (c.as_str().to_owned(), i64::from(points)))
                .collect(),
            sessions: a.sessions.clone(),
            travel_minutes: matcher::feasibility::travel_minutes(
                &instance.students()[a.student],
                &instance.openings()[a.opening],
            ),
        })
        .collect();
    let partner_of = |opening: &str| {
        demo.openings.iter().find(|o| o.matching.id == opening).map(|o| o.matching.partner_id.clone())
    };
    let inactive: BTreeSet<&str> =
        demo.partners.iter().filter(|p| p.status == PartnerStatus::Inactive).map(|p| p.id.as_str()).collect();
    let newcomer = demo.students[NEWCOMER].matching.id.as_str();

    let mut chosen: BTreeMap<usize, MatchStatus> = BTreeMap::new();
    if let Some(at) = picks.iter().position(|p| p.student_id == newcomer && p.kind == Tutoring) {
        chosen.insert(at, MatchStatus::Declined);
    }
    if let Some(at) =
        picks.iter().position(|p| partner_of(&p.opening_id).is_some_and(|id| inactive.contains(id.as_str())))
    {
        chosen.insert(at, MatchStatus::Active);
    }
    if let Some(full) = full_opening(&picks, demo, &inactive) {
        for (turn, at) in
            picks.iter().enumerate().filter(|(_, p)| p.opening_id == full).map(|(at, _)| at).enumerate()
        {
            chosen.insert(at, if turn % 2 == 0 { MatchStatus::Active } else { MatchStatus::Accepted });
        }
    }
    // The rest: statuses still to hand out, interleaved, onto picks in shuffled order
    // (not the newcomer's, not more of the inactive partner's).
    let mut left: Vec<(MatchStatus, usize)> = SEASON
        .iter()
        .map(|(status, count)| {
            (*status, count.saturating_sub(chosen.values().filter(|s| *s == status).count()))
        })
        .collect();
    let mut order: Vec<usize> = (0..picks.len()).collect();
    for at in (1..order.len()).rev() {
        order.swap(at, rng.below(at + 1));
    }
    let mut candidates = order
        .into_iter()
        .filter(|at| {
            let pick = &picks[*at];
            pick.student_id != newcomer
                && !partner_of(&pick.opening_id).is_some_and(|id| inactive.contains(id.as_str()))
                && !chosen.contains_key(at)
        })
        .collect::<Vec<_>>()
        .into_iter();
    'fill: while chosen.len() < N_MATCHES {
        for (status, count) in &mut left {
            if *count == 0 {
                continue;
            }
            let Some(at) = candidates.next() else { break 'fill };
            chosen.insert(at, *status);
            *count -= 1;
        }
        if left.iter().all(|(_, count)| *count == 0) {
            break;
        }
    }
    chosen
        .into_iter()
        .enumerate()
        .map(|(number, (at, status))| {
            let pick = &picks[at];
            DemoMatch {
                new: NewMatch {
                    id: format!("m-{:03}", number + 1),
                    run_id: None,
                    student_id: pick.student_id.clone(),
                    opening_id: pick.opening_id.clone(),
                    kind: pick.kind,
                    score: pick.score,
                    breakdown: pick.breakdown.clone(),
                    sessions: pick.sessions.clone(),
                    travel_minutes: pick.travel_minutes,
                },
                status,
            }
        })
        .collect()
}

/// An assignment of the engine's run on the fresh district.
struct Pick {
    student_id: String,
    opening_id: String,
    kind: Kind,
    score: u32,
    breakdown: BTreeMap<String, i64>,
    sessions: Vec<Window>,
    travel_minutes: Option<f64>,
}

/// An opening of an active partner that the fresh run filled to capacity, smallest
/// capacity first: its matches stay open, so it shows `FULL`.
fn full_opening(picks: &[Pick], demo: &Demo, inactive: &BTreeSet<&str>) -> Option<String> {
    let mut taken: BTreeMap<&str, i64> = BTreeMap::new();
    for pick in picks {
        *taken.entry(pick.opening_id.as_str()).or_default() += 1;
    }
    demo.openings
        .iter()
        .map(|o| &o.matching)
        .filter(|o| !inactive.contains(o.partner_id.as_str()))
        .filter(|o| o.capacity <= 2 && taken.get(o.id.as_str()) == Some(&i64::from(o.capacity)))
        .min_by_key(|o| (o.capacity, o.id.clone()))
        .map(|o| o.id.clone())
}

/// The district before any match: every opening (the paused partner's too, as it was
/// when the season began), the district-wide MOUs, no history.
fn fresh_instance(demo: &Demo) -> RawInstance {
    RawInstance {
        as_of: AS_OF.to_owned(),
        students: Some(demo.students.iter().map(|s| s.matching.to_raw()).collect()),
        openings: Some(demo.openings.iter().map(|o| o.matching.to_raw()).collect()),
        partners: Some(
            demo.partners
                .iter()
                .map(|p| RawPartner {
                    id: p.id.clone(),
                    agreements: Some(district_agreements(&demo.agreements, &p.id)),
                })
                .collect(),
        ),
        existing_matches: None,
        declined: None,
        weights: None,
        held_elsewhere: Default::default(),
    }
}

/// What students say, by kind (internship, mentoring, tutoring: `Kind::match_rank`).
const STUDENT_COMMENTS: [[&str; 3]; 3] = [
    [
        "I got to do real work, not just watch.",
        "The bus ride there is long.",
        "Want to work there next summer!",
    ],
    [
        "My mentor helped me pick my classes.",
        "We talk about college a lot.",
        "Sometimes the session starts late.",
    ],
    ["My tutor explains things until I get it.", "Finally understand my homework.", "Sessions go by fast."],
];
const PARTNER_COMMENTS: [&str; 4] = [
    "Always on time and asks great questions.",
    "Missed a few sessions in October; back on track now.",
    "A pleasure to work with; we would host again.",
    "Needs more practice with the basics, improving steadily.",
];
const COUNSELOR_COMMENTS: [&str; 3] = [
    "Grades went from a D to a B this term.",
    "Family reports more confidence at home.",
    "Attendance dropped mid-term; checked in with the family.",
];

/// Feedback on active and completed matches: the student on most, the partner on
/// many, the counselor on completed ones.
fn feedback(rng: &mut Rng, demo: &Demo) -> Vec<Feedback> {
    let mut list = Vec::new();
    for item in &demo.matches {
        let new = &item.new;
        let (attended, counselor) = match item.status {
            MatchStatus::Completed => (10 + rng.below(15) as u32, true),
            MatchStatus::Active => (2 + rng.below(7) as u32, false),
            _ => continue,
        };
        let rating = |rng: &mut Rng| *rng.pick(&[5, 5, 4, 4, 4, 3, 2]);
        if rng.chance(0.8) {
            list.push(Feedback {
                match_id: new.id.clone(),
                author_role: Role::Student,
                author_id: new.student_id.clone(),
                rating: rating(rng),
                comment: rng
                    .chance(0.7)
                    .then(|| rng.pick(&STUDENT_COMMENTS[new.kind.match_rank()]).to_string()),
                sessions_attended: None,
                visibility: Visibility::Parties,
            });
        }
        if rng.chance(0.6) || counselor {
            let partner = demo
                .openings
                .iter()
                .find(|o| o.matching.id == new.opening_id)
                .map(|o| o.matching.partner_id.clone());
            list.push(Feedback {
                match_id: new.id.clone(),
                author_role: Role::Partner,
                author_id: partner.unwrap_or_default(),
                rating: rating(rng),
                comment: Some(rng.pick(&PARTNER_COMMENTS).to_string()),
                sessions_attended: Some(attended),
                visibility: Visibility::Parties,
            });
        }
        if counselor {
            let school =
                demo.students.iter().find(|s| s.matching.id == new.student_id).map(|s| s.school_id.clone());
            list.push(Feedback {
                match_id: new.id.clone(),
                author_role: Role::Counselor,
                author_id: format!("counselor-{}", school.unwrap_or_default()),
                rating: rating(rng),
                comment: Some(rng.pick(&COUNSELOR_COMMENTS).to_string()),
                sessions_attended: Some(attended.saturating_sub(rng.below(3) as u32)),
                // A counselor's notes stay with the school.
                visibility: Visibility::School,
            });
        }
    }
    list
}
