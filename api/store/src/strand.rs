//! Edits never strand a match: before an opening or a student is changed, each of
//! its open matches (PROPOSED, ACCEPTED, ACTIVE) is judged against the record as it
//! would be after the edit, by the engine's own feasibility ([`assess`]). A match
//! that was feasible and would not be is *stranded*, and the edit is refused naming
//! it. What a match does not need to be judged on again: its slot (it holds one),
//! its pair's decline history, its fitting days (its sessions are fixed: they must
//! stay inside the new schedule or availability instead), and the agreement and
//! consent, which edits of these records do not change (consent has its own,
//! deliberate withdrawal).

use chrono::NaiveDate;
use matcher::calendar::{WeekWindows, Window};
use matcher::feasibility::{Constraint, Pair, Standing, assess};
use matcher::model::Instance;
use matcher::record::{OpeningRecord, PartnerRecord, StudentRecord};
use matcher::score::Weights;
use matcher::validate::Parts;

use crate::matches::{self, MatchFilter};
use crate::order::Seek;
use crate::read::by_id;
use crate::records::{Match, MatchStatus, Opening, Student};
use crate::{Db, StoreError, entity::students};

/// An open match an edit would strand, and which rules it would break.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stranded {
    /// The match.
    pub match_id: String,
    /// The rules it would break, in the contract's order (`SCHEDULE` when its
    /// sessions would fall outside the schedule or the availability).
    pub constraints: Vec<Constraint>,
}

/// `m-1 (GRADE, TRAVEL); m-2 (LANGUAGE)`: the matches and the rules they would break.
pub fn describe(stranded: &[Stranded]) -> String {
    let why: Vec<String> = stranded
        .iter()
        .map(|item| {
            let rules: Vec<&str> = item.constraints.iter().map(|c| c.as_str()).collect();
            format!("{} ({})", item.match_id, rules.join(", "))
        })
        .collect();
    why.join("; ")
}

/// More open matches than any opening or student holds.
const ALL_ROWS: u64 = i64::MAX as u64;

/// What an opening's edit checks its open matches for.
const OPENING_RULES: [Constraint; 6] = [
    Constraint::Subjects,
    Constraint::Grade,
    Constraint::Age,
    Constraint::Language,
    Constraint::Travel,
    Constraint::BackgroundCheck,
];

/// What a student's edit checks its open matches for (consent is withdrawn on
/// purpose with `withdrawConsent`, which leaves open matches be).
const STUDENT_RULES: [Constraint; 6] = [
    Constraint::Subjects,
    Constraint::Grade,
    Constraint::Age,
    Constraint::Language,
    Constraint::Travel,
    Constraint::Consent,
];

/// The open matches of `after.matching.id` that the edited opening would strand, on
/// `today`.
pub async fn by_opening<C: Db>(
    db: &C,
    after: &Opening,
    today: NaiveDate,
) -> Result<Vec<Stranded>, StoreError> {
    let filter = MatchFilter {
        opening_id: Some(after.matching.id.clone()),
        statuses: open_statuses(),
        ..MatchFilter::default()
    };
    let open = matches::list(db, &filter, &Seek::first(ALL_ROWS)).await?.rows;
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<&str> = open.iter().map(|m| m.student_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut students = Vec::new();
    for id in ids {
        let one = by_id(students::Entity, students::Column::Id, id);
        students.extend(crate::read::students_in(db, &one, false).await?);
    }
    let raws: Vec<_> = students.iter().map(|s| s.matching.clone()).collect();
    judge(
        &open,
        raws,
        after.matching.clone(),
        today,
        &OPENING_RULES,
        Check::Schedule(&after.matching.schedule),
    )
}

/// The open matches of `after` (a student as edited) that the edit would strand,
/// on `today`.
pub async fn by_student<C: Db>(
    db: &C,
    after: &Student,
    today: NaiveDate,
) -> Result<Vec<Stranded>, StoreError> {
    let filter = MatchFilter {
        student_id: Some(after.matching.id.clone()),
        statuses: open_statuses(),
        ..MatchFilter::default()
    };
    let open = matches::list(db, &filter, &Seek::first(ALL_ROWS)).await?.rows;
    let mut stranded = Vec::new();
    for found in &open {
        let stored = crate::read::opening(db, &found.opening_id).await?;
        let one = std::slice::from_ref(found);
        let check = Check::Availability(&after.matching.availability);
        stranded.extend(judge(
            one,
            vec![after.matching.clone()],
            stored.opening.matching.clone(),
            today,
            &STUDENT_RULES,
            check,
        )?);
    }
    Ok(stranded)
}

fn open_statuses() -> Vec<MatchStatus> {
    MatchStatus::ALL.iter().copied().filter(|status| status.is_open()).collect()
}

/// Where a match's fixed sessions must still fit.
enum Check<'a> {
    /// Inside the opening's (new) schedule.
    Schedule(&'a [Window]),
    /// Inside the student's (new) availability.
    Availability(&'a [Window]),
}

/// Judges each of `open` (all matches to `opening`) against the instance of
/// `students` and `opening`, by `rules` and `check`.
fn judge(
    open: &[Match],
    students: Vec<StudentRecord>,
    opening: OpeningRecord,
    today: NaiveDate,
    rules: &[Constraint],
    check: Check<'_>,
) -> Result<Vec<Stranded>, StoreError> {
    let partner = PartnerRecord { id: opening.partner_id.clone(), agreements: Vec::new() };
    let parts = Parts {
        as_of: today,
        students,
        openings: vec![opening],
        partners: vec![partner],
        existing_matches: Vec::new(),
        declined: Vec::new(),
        weights: Weights::default(),
        held_elsewhere: Default::default(),
    };
    // Records always tie together here (one partner, one opening, distinct students).
    let instance = matcher::build_instance(&parts)
        .map_err(|err| StoreError::invalid("$", format!("the edited record is not valid: {err}")))?;
    let standing = Standing::of(&instance);
    let fits = match check {
        Check::Schedule(windows) | Check::Availability(windows) => week(windows),
    };
    let mut stranded = Vec::new();
    for found in open {
        let constraints = failed(&instance, &standing, found, rules, &fits);
        if !constraints.is_empty() {
            stranded.push(Stranded { match_id: found.id.clone(), constraints });
        }
    }
    Ok(stranded)
}

/// The rules `found` breaks in `instance` (one opening, its student among the students).
fn failed(
    instance: &Instance,
    standing: &Standing,
    found: &Match,
    rules: &[Constraint],
    fits: &WeekWindows,
) -> Vec<Constraint> {
    let Some(student) = instance.students().iter().position(|s| s.id().as_str() == found.student_id) else {
        return Vec::new();
    };
    let record = &instance.students()[student];
    let mut constraints = Vec::new();
    // A student without a need of the kind any more is judged on the rest only.
    if let Some(need) = record.needs().iter().find(|need| need.kind() == found.kind) {
        let pair = Pair { student, need, free: record.availability(), opening: 0 };
        let (violations, _) = assess(instance, standing, pair);
        constraints.extend(rules.iter().copied().filter(|rule| violations.contains(*rule)));
    }
    let inside = found.sessions.iter().all(|session| {
        fits.on(session.day()).iter().any(|w| w.start() <= session.start() && session.end() <= w.end())
    });
    if !inside {
        constraints.push(Constraint::Schedule);
    }
    constraints.sort();
    constraints
}

fn week(windows: &[Window]) -> WeekWindows {
    WeekWindows::from_windows(windows.to_vec())
}
