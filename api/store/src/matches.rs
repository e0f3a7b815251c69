//! Matches: taking slots and moving through the lifecycle. Both are guarded against
//! racing writers without locks held across requests: a slot is taken by a
//! conditional `UPDATE … WHERE filled + n <= capacity`, a status moves by a
//! conditional `UPDATE … WHERE version = ?`; a writer that loses gets `Conflict`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityName, EntityTrait, FromQueryResult,
    IdenStatic, PaginatorTrait, QueryFilter, QueryOrder, Statement,
};
use serde_json::json;

use super::bulk::{Cell, Insert, in_list};
use super::entity::{declined_pairs, disclosure_log, match_sessions, matches, openings, partners, students};
use super::laps::Laps;
use super::notify::{self, Event, EventKind};
use super::order::{self, Seek};
use super::people::Listed;
use super::records::{Kind, Match, MatchStatus, NewMatch, Partner, Student};
use super::write::{audit, stored_window, window_rows};
use super::{Conflict, ConstraintKind, StoreError};
use super::{people, read};

impl MatchStatus {
    /// The lifecycle of docs/api.md "Matching over the API": `PROPOSED → ACCEPTED → ACTIVE → COMPLETED`, or
    /// `DECLINED` / `CANCELLED` from any open status (declining an active match is a
    /// cancellation).
    pub fn can_become(self, next: MatchStatus) -> bool {
        use MatchStatus::*;
        matches!(
            (self, next),
            (Proposed, Accepted | Declined | Cancelled)
                | (Accepted, Active | Declined | Cancelled)
                | (Active, Completed | Cancelled)
        )
    }
}

/// Openings per slot-taking statement: two bound parameters each, well under
/// SQLite's 32,766 and PostgreSQL's 65,535.
const SLOTS_PER_STATEMENT: usize = 4_000;

/// Takes `count` slots of each opening, all or none, in one conditional statement
/// per chunk (`UPDATE … FROM (VALUES …) WHERE filled + n <= capacity RETURNING id`)
/// rather than one round trip per opening: a district's commit fills tens of
/// thousands. An opening left out of the answer was full (Conflict) or is missing.
async fn take_slots<C: ConnectionTrait>(db: &C, per_opening: &BTreeMap<&str, i32>) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let entries: Vec<(&str, i32)> = per_opening.iter().map(|(id, n)| (*id, *n)).collect();
    for chunk in entries.chunks(SLOTS_PER_STATEMENT) {
        let mut values = Vec::with_capacity(chunk.len() * 2);
        let rows: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(at, (id, n))| {
                values.push(sea_orm::Value::from((*id).to_owned()));
                values.push(sea_orm::Value::from(*n));
                match backend {
                    DbBackend::Postgres => format!("(${}, CAST(${} AS INTEGER))", 2 * at + 1, 2 * at + 2),
                    _ => "(?, CAST(? AS INTEGER))".to_owned(),
                }
            })
            .collect();
        let sql = format!(
            "UPDATE openings SET filled = openings.filled + v.n, version = openings.version + 1 \
             FROM (SELECT column1 AS id, column2 AS n FROM (VALUES {}) AS t) AS v \
             WHERE openings.id = v.id AND openings.filled + v.n <= openings.capacity \
             RETURNING openings.id",
            rows.join(", ")
        );
        let taken = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        if taken.len() == chunk.len() {
            continue;
        }
        let taken: std::collections::HashSet<String> =
            taken.iter().filter_map(|row| row.try_get_by_index::<String>(0).ok()).collect();
        let (first, _) = chunk.iter().find(|(id, _)| !taken.contains(*id)).copied().unwrap_or(chunk[0]);
        return Err(match openings::Entity::find_by_id(first.to_owned()).one(db).await? {
            None => StoreError::not_found("opening", first),
            Some(_) => Conflict::NoFreeSlot { opening: first.to_owned() }.into(),
        });
    }
    Ok(())
}

/// Writes `new` matches as PROPOSED, taking one slot each, all or none: the caller
/// runs this inside its transaction. A full opening, a student who already holds an
/// open match to that opening or of that kind, or a declined pair is `Conflict`.
pub async fn propose<C: ConnectionTrait>(
    db: &C,
    new: &[NewMatch],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    propose_timed(db, new, actor, now, &mut Laps::new()).await
}

/// [`propose`], timing its steps into `laps`.
pub async fn propose_timed<C: ConnectionTrait>(
    db: &C,
    new: &[NewMatch],
    actor: &str,
    now: DateTime<Utc>,
    laps: &mut Laps,
) -> Result<(), StoreError> {
    let mut per_opening: BTreeMap<&str, i32> = BTreeMap::new();
    for item in new {
        *per_opening.entry(item.opening_id.as_str()).or_default() += 1;
    }
    take_slots(db, &per_opening).await?;
    laps.lap("slots");
    let proposed: std::collections::HashSet<(&str, &str)> =
        new.iter().map(|m| (m.student_id.as_str(), m.opening_id.as_str())).collect();
    let students = new.iter().map(|m| m.student_id.as_str());
    let declined = declined_pairs::Entity::find()
        .filter(in_list(db.get_database_backend(), "declined_pairs.student_id", students))
        .all(db)
        .await?;
    if let Some(pair) =
        declined.iter().find(|pair| proposed.contains(&(pair.student_id.as_str(), pair.opening_id.as_str())))
    {
        return Err(Conflict::Declined {
            student: pair.student_id.clone(),
            opening: pair.opening_id.clone(),
        }
        .into());
    }
    laps.lap("declined");
    let rows: Vec<serde_json::Value> = new
        .iter()
        .map(|item| {
            json!([
                item.id,
                item.run_id,
                item.student_id,
                item.opening_id,
                item.kind.as_str(),
                i32::try_from(item.score).unwrap_or(i32::MAX),
                item.breakdown,
                item.travel_minutes,
            ])
        })
        .collect();
    let insert = Insert {
        table: "matches",
        varying: &[
            ("id", Cell::Text),
            ("run_id", Cell::Text),
            ("student_id", Cell::Text),
            ("opening_id", Cell::Text),
            ("kind", Cell::Text),
            ("score", Cell::Integer),
            ("breakdown", Cell::Document),
            ("travel_minutes", Cell::Real),
        ],
        shared: vec![
            ("status", Some(MatchStatus::Proposed.as_str().into())),
            ("created_at", Some(now.into())),
            ("decided_by", None),
            ("decided_at", None),
            ("decline_reason", None),
            ("version", Some(0i32.into())),
            ("student_accepted", Some(false.into())),
            ("partner_accepted", Some(false.into())),
        ],
    };
    insert.run(db, rows).await.map_err(|err| match err {
        // The primary key (`matches_pkey` / `matches.id`) is a reused id; the
        // partial unique indexes are the one-open-match rules.
        StoreError::Constraint { kind: ConstraintKind::Unique, constraint }
            if constraint.ends_with("pkey") || constraint == "matches.id" =>
        {
            Conflict::IdReused { entity: "match" }.into()
        }
        StoreError::Constraint { kind: ConstraintKind::Unique, .. } => Conflict::AlreadyMatched.into(),
        other => other,
    })?;
    laps.lap("matches");
    let session_rows: Vec<serde_json::Value> = new
        .iter()
        .flat_map(|item| {
            window_rows(&item.sessions).into_iter().map(|(day, start, end)| json!([item.id, day, start, end]))
        })
        .collect();
    let sessions = Insert {
        table: "match_sessions",
        varying: &[
            ("match_id", Cell::Text),
            ("day", Cell::Integer),
            ("start_minute", Cell::Integer),
            ("end_minute", Cell::Integer),
        ],
        shared: Vec::new(),
    };
    sessions.run(db, session_rows).await?;
    laps.lap("sessions");
    let matched: Vec<(&str, Kind)> = new.iter().map(|m| (m.student_id.as_str(), m.kind)).collect();
    crate::waitlist::take_off(db, &matched).await?;
    laps.lap("waitlist");
    let events: Vec<Event> = new
        .iter()
        .map(|m| {
            let data = json!({
                "matchId": m.id, "studentId": m.student_id, "openingId": m.opening_id,
                "kind": m.kind.as_str(), "status": MatchStatus::Proposed.as_str(), "runId": m.run_id,
            });
            Event::about_match(EventKind::MatchProposed, &m.id, data)
        })
        .collect();
    notify::record(db, &events, now).await?;
    laps.lap("outbox");
    let detail = if new.len() == 1 {
        json!({"studentId": new[0].student_id, "openingId": new[0].opening_id})
    } else {
        json!({"matches": new.len()})
    };
    let entity_id = match new {
        [one] => one.id.as_str(),
        _ => new.first().and_then(|m| m.run_id.as_deref()).unwrap_or("-"),
    };
    audit(db, actor, "propose", "match", entity_id, Some(detail), now).await?;
    laps.lap("audit");
    Ok(())
}

/// Moves `current` (the match as the caller read it) to `next`, recording who and
/// when. Leaving an open status frees the slot; a decline is remembered so the pair
/// is never proposed again. A transition the lifecycle does not allow, or a match
/// someone else moved on since it was read (its version changed), is `Conflict`.
/// The guard is the `UPDATE … WHERE version = ? AND status = ?` itself, so two
/// racing writers cannot both win, on either backend.
pub async fn transition<C: ConnectionTrait>(
    db: &C,
    current: &Match,
    next: MatchStatus,
    actor: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Match, StoreError> {
    let id = current.id.as_str();
    if !current.status.can_become(next) {
        return Err(Conflict::Transition { id: id.to_owned(), from: current.status, to: next }.into());
    }
    let reason = reason.map(str::to_owned);
    let mut update = matches::Entity::update_many();
    if next == MatchStatus::Accepted {
        // An ACCEPTED match has been accepted by both sides, whoever moved it.
        update = update
            .col_expr(matches::Column::StudentAccepted, Expr::value(true))
            .col_expr(matches::Column::PartnerAccepted, Expr::value(true));
    }
    let moved = update
        .col_expr(matches::Column::Status, Expr::value(next.as_str()))
        .col_expr(matches::Column::Version, Expr::col(matches::Column::Version).add(1))
        .col_expr(matches::Column::DecidedBy, Expr::value(actor))
        .col_expr(matches::Column::DecidedAt, Expr::value(now))
        .col_expr(matches::Column::DeclineReason, Expr::value(reason.clone()))
        .filter(matches::Column::Id.eq(id))
        .filter(matches::Column::Version.eq(current.version))
        .filter(matches::Column::Status.eq(current.status.as_str()))
        .exec(db)
        .await?;
    if moved.rows_affected != 1 {
        return Err(match matches::Entity::find_by_id(id.to_owned()).one(db).await? {
            None => StoreError::not_found("match", id),
            Some(_) => Conflict::Stale { entity: "match", id: id.to_owned() }.into(),
        });
    }
    if current.status.is_open() && !next.is_open() {
        openings::Entity::update_many()
            .col_expr(openings::Column::Filled, Expr::col(openings::Column::Filled).sub(1))
            .col_expr(openings::Column::Version, Expr::col(openings::Column::Version).add(1))
            .filter(openings::Column::Id.eq(current.opening_id.as_str()))
            .exec(db)
            .await?;
    }
    if next == MatchStatus::Declined {
        let pair = declined_pairs::ActiveModel {
            student_id: Set(current.student_id.clone()),
            opening_id: Set(current.opening_id.clone()),
            declined_at: Set(now),
        };
        declined_pairs::Entity::insert(pair)
            .on_conflict_do_nothing_on([declined_pairs::Column::StudentId, declined_pairs::Column::OpeningId])
            .exec_without_returning(db)
            .await?;
    }
    let detail = json!({"from": current.status.as_str(), "to": next.as_str(), "reason": reason});
    audit(db, actor, "set_status", "match", id, Some(detail), now).await?;
    let kind = match next {
        MatchStatus::Declined => EventKind::MatchDeclined,
        MatchStatus::Accepted => EventKind::MatchAccepted,
        _ => EventKind::MatchStatusChanged,
    };
    let mut event = match_event(kind, current, next);
    if next == MatchStatus::Declined {
        // Who declined decides who is told: the other side.
        let by = match actor.split(':').next() {
            Some("partner") => "PARTNER",
            Some("admin") => "BOTH",
            _ => "STUDENT",
        };
        event.data["by"] = json!(by);
    }
    notify::record(db, &[event], now).await?;
    let accepted = next == MatchStatus::Accepted;
    Ok(Match {
        status: next,
        version: current.version + 1,
        decided_by: Some(actor.to_owned()),
        decided_at: Some(now),
        decline_reason: reason,
        student_accepted: current.student_accepted || accepted,
        partner_accepted: current.partner_accepted || accepted,
        ..current.clone()
    })
}

/// The event of `current` moving to `next`: ids, kind and both statuses, which
/// every party to the match may see.
fn match_event(kind: EventKind, current: &Match, next: MatchStatus) -> Event {
    let data = json!({
        "matchId": current.id, "studentId": current.student_id, "openingId": current.opening_id,
        "kind": current.kind.as_str(), "from": current.status.as_str(), "status": next.as_str(),
    });
    Event::about_match(kind, &current.id, data)
}

/// Which side of a match answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The student, their family on the student's token, or their counselor.
    Student,
    /// The partner whose opening it is.
    Partner,
    /// ADMIN, for the district: both at once.
    Both,
}

impl Side {
    fn as_str(self) -> &'static str {
        match self {
            Side::Student => "student",
            Side::Partner => "partner",
            Side::Both => "both",
        }
    }
}

/// Records `side`'s acceptance of `current` (a PROPOSED or ACCEPTED match, as the
/// caller read it). The match becomes ACCEPTED once both sides have accepted; an
/// answer given again changes nothing but the audit log. Guarded like
/// [`transition`]: a match someone else moved on since it was read is `Conflict`.
pub async fn accept<C: ConnectionTrait>(
    db: &C,
    current: &Match,
    side: Side,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Match, StoreError> {
    let id = current.id.as_str();
    if !matches!(current.status, MatchStatus::Proposed | MatchStatus::Accepted) {
        return Err(Conflict::Transition {
            id: id.to_owned(),
            from: current.status,
            to: MatchStatus::Accepted,
        }
        .into());
    }
    let student = current.student_accepted || matches!(side, Side::Student | Side::Both);
    let partner = current.partner_accepted || matches!(side, Side::Partner | Side::Both);
    let next = if student && partner { MatchStatus::Accepted } else { current.status };
    let mut update = matches::Entity::update_many()
        .col_expr(matches::Column::StudentAccepted, Expr::value(student))
        .col_expr(matches::Column::PartnerAccepted, Expr::value(partner))
        .col_expr(matches::Column::Status, Expr::value(next.as_str()))
        .col_expr(matches::Column::Version, Expr::col(matches::Column::Version).add(1));
    if next != current.status {
        update = update
            .col_expr(matches::Column::DecidedBy, Expr::value(actor))
            .col_expr(matches::Column::DecidedAt, Expr::value(now));
    }
    let moved = update
        .filter(matches::Column::Id.eq(id))
        .filter(matches::Column::Version.eq(current.version))
        .filter(matches::Column::Status.eq(current.status.as_str()))
        .exec(db)
        .await?;
    if moved.rows_affected != 1 {
        return Err(match matches::Entity::find_by_id(id.to_owned()).one(db).await? {
            None => StoreError::not_found("match", id),
            Some(_) => Conflict::Stale { entity: "match", id: id.to_owned() }.into(),
        });
    }
    let detail = json!({"side": side.as_str(), "from": current.status.as_str(), "to": next.as_str()});
    audit(db, actor, "accept", "match", id, Some(detail), now).await?;
    let mut event = match_event(EventKind::MatchAccepted, current, next);
    event.data["by"] = json!(side.as_str().to_uppercase());
    notify::record(db, &[event], now).await?;
    let moved_on = next != current.status;
    Ok(Match {
        status: next,
        version: current.version + 1,
        student_accepted: student,
        partner_accepted: partner,
        decided_by: if moved_on { Some(actor.to_owned()) } else { current.decided_by.clone() },
        decided_at: if moved_on { Some(now) } else { current.decided_at },
        ..current.clone()
    })
}

/// Forgets that `student` declined `opening`, so the pair may be proposed again (a
/// decline made by mistake). Whether there was one.
pub async fn clear_decline<C: ConnectionTrait>(
    db: &C,
    student: &str,
    opening: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let removed = declined_pairs::Entity::delete_many()
        .filter(declined_pairs::Column::StudentId.eq(student))
        .filter(declined_pairs::Column::OpeningId.eq(opening))
        .exec(db)
        .await?;
    if removed.rows_affected == 0 {
        return Ok(false);
    }
    // The declined matches of the pair carry the event in their history.
    let declined = matches::Entity::find()
        .filter(matches::Column::StudentId.eq(student))
        .filter(matches::Column::OpeningId.eq(opening))
        .filter(matches::Column::Status.eq(MatchStatus::Declined.as_str()))
        .all(db)
        .await?;
    for row in declined {
        let detail = json!({"studentId": student, "openingId": opening});
        audit(db, actor, "clear_decline", "match", &row.id, Some(detail), now).await?;
    }
    Ok(true)
}

/// Makes proposals for one student wait for each other inside their transactions
/// (a row lock on PostgreSQL; SQLite serializes writers already), so two picks for
/// one student cannot both take the same free time.
pub async fn lock_student(txn: &crate::Transaction, student_id: &str) -> Result<(), StoreError> {
    use sea_orm::{EntityTrait, QuerySelect};
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        students::Entity::find_by_id(student_id.to_owned()).lock_exclusive().one(txn).await?;
    }
    Ok(())
}

/// One match.
pub async fn get<C: ConnectionTrait>(db: &C, id: &str) -> Result<Match, StoreError> {
    find(db, id).await?.ok_or_else(|| StoreError::not_found("match", id))
}

/// One match, or `None`.
pub async fn find<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<Match>, StoreError> {
    let Some(row) = matches::Entity::find_by_id(id.to_owned()).one(db).await? else {
        return Ok(None);
    };
    let mut sessions = sessions_of(db, vec![row.id.clone()]).await?;
    record(row, sessions.remove(id).unwrap_or_default()).map(Some)
}

/// Who a match concerns: its student, the student's school, the opening's partner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchParties {
    #[allow(missing_docs)]
    pub student_id: String,
    #[allow(missing_docs)]
    pub school_id: String,
    #[allow(missing_docs)]
    pub partner_id: String,
}

/// The parties of `found`.
pub async fn parties<C: ConnectionTrait>(db: &C, found: &Match) -> Result<MatchParties, StoreError> {
    let school_id = students::Entity::find_by_id(found.student_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("student", &found.student_id))?
        .school_id;
    let partner_id = openings::Entity::find_by_id(found.opening_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("opening", &found.opening_id))?
        .partner_id;
    Ok(MatchParties { student_id: found.student_id.clone(), school_id, partner_id })
}

/// Which matches a list holds; every given field must hold.
#[derive(Clone, Debug, Default)]
pub struct MatchFilter {
    /// Of students of this school.
    pub school_id: Option<String>,
    /// To openings of this partner.
    pub partner_id: Option<String>,
    #[allow(missing_docs)]
    pub student_id: Option<String>,
    #[allow(missing_docs)]
    pub opening_id: Option<String>,
    /// Made by this match run.
    pub run_id: Option<String>,
    #[allow(missing_docs)]
    pub kind: Option<Kind>,
    /// In any of these statuses (empty: any).
    pub statuses: Vec<MatchStatus>,
}

impl MatchFilter {
    fn condition(&self) -> Condition {
        let mut all = Condition::all();
        if let Some(school) = &self.school_id {
            let ids = Query::select()
                .column(students::Column::Id)
                .from(students::Entity)
                .and_where(students::Column::SchoolId.eq(school.as_str()))
                .to_owned();
            all = all.add(matches::Column::StudentId.in_subquery(ids));
        }
        if let Some(partner) = &self.partner_id {
            let ids = Query::select()
                .column(openings::Column::Id)
                .from(openings::Entity)
                .and_where(openings::Column::PartnerId.eq(partner.as_str()))
                .to_owned();
            all = all.add(matches::Column::OpeningId.in_subquery(ids));
        }
        if let Some(student) = &self.student_id {
            all = all.add(matches::Column::StudentId.eq(student.as_str()));
        }
        if let Some(opening) = &self.opening_id {
            all = all.add(matches::Column::OpeningId.eq(opening.as_str()));
        }
        if let Some(run) = &self.run_id {
            all = all.add(matches::Column::RunId.eq(run.as_str()));
        }
        if let Some(kind) = self.kind {
            all = all.add(matches::Column::Kind.eq(kind.as_str()));
        }
        if !self.statuses.is_empty() {
            all = all.add(matches::Column::Status.is_in(self.statuses.iter().map(|s| s.as_str())));
        }
        all
    }
}

/// One page of the matches `filter` selects, oldest first (then by id) from `seek`,
/// counted, with their sessions.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &MatchFilter,
    seek: &Seek,
) -> Result<Listed<Match>, StoreError> {
    let reads = PageReads { count: true, sessions: true, ..PageReads::default() };
    let found = page(db, filter, seek, reads).await?;
    Ok(Listed { rows: found.rows, total: found.total.unwrap_or_default() })
}

/// What a page of matches reads besides its rows.
#[derive(Clone, Debug, Default)]
pub struct PageReads {
    /// The whole list's length (`None` in [`MatchPage::total`] without it).
    pub count: bool,
    /// Each match's sessions (empty without).
    pub sessions: bool,
    /// Each match's opening row and that opening's partner.
    pub openings: bool,
    /// Each match's student (the `students` row alone).
    pub students: Option<PageStudents>,
    /// The disclosure entries for those students, written with the page: in its own
    /// statement on PostgreSQL ([`joined`]), right after it on SQLite ([`beside`]).
    pub log: Option<PageLog>,
}

/// The disclosure entries a partner's page of matches owes (docs/api.md), for
/// [`PageReads::log`]: for each entry of `selections` (the fields one selection of
/// the student reads), one entry per row among the first `shown` whose student
/// [`PageStudents::MatchedTo`] lets through, in the page's order.
#[derive(Clone, Debug)]
pub struct PageLog {
    /// Rows the page shows (it may read one more, to know whether another follows).
    pub shown: u64,
    /// Per selection of the student, the fields it reads.
    pub selections: Vec<Vec<String>>,
    /// The partner the students are disclosed to.
    pub partner_id: String,
    /// Who read, as `role:scope`.
    pub actor: String,
    /// The API operation that read.
    pub operation: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

impl PageLog {
    /// The entries for the page `rows` whose `students` the rule let through.
    fn entries(&self, rows: &[matches::Model], students: &[Student]) -> Vec<people::Disclosure> {
        let visible: HashSet<&str> = students.iter().map(|student| student.matching.id.as_str()).collect();
        let shown: Vec<&str> = rows
            .iter()
            .take(usize::try_from(self.shown).unwrap_or(usize::MAX))
            .map(|row| row.student_id.as_str())
            .filter(|id| visible.contains(id))
            .collect();
        self.selections
            .iter()
            .flat_map(|fields| {
                shown.iter().map(move |student| people::Disclosure {
                    id: 0,
                    occurred_at: self.occurred_at,
                    partner_id: self.partner_id.clone(),
                    actor: self.actor.clone(),
                    student_id: (*student).to_owned(),
                    fields: fields.clone(),
                    operation: Some(self.operation.clone()),
                })
            })
            .collect()
    }
}

/// Which of a page's students [`page`] reads with its rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageStudents {
    /// Every one.
    All,
    /// Only those matched to this partner ([`people::TIES`]): the rule of
    /// [`people::students_by_id`], in the same statement.
    MatchedTo(String),
}

/// A page of matches and what [`PageReads`] asked for with it.
#[derive(Debug, Default)]
pub struct MatchPage {
    /// The matches, in the page's order.
    pub rows: Vec<Match>,
    /// The whole list's length, when counted.
    pub total: Option<u64>,
    /// The rows' openings, each once (with [`PageReads::openings`]).
    pub openings: Vec<openings::Model>,
    /// Those openings' partners, by id.
    pub partners: HashMap<String, Partner>,
    /// The rows' students that [`PageReads::students`] lets through, each once.
    pub students: Vec<Student>,
}

/// [`list`], reading only what `reads` asks besides the rows: on PostgreSQL one
/// statement for the rows with their openings, partners and students, and the
/// students' disclosure entries ([`joined`]); on SQLite one for each ([`beside`]);
/// one for the count, one for the sessions.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &MatchFilter,
    seek: &Seek,
    reads: PageReads,
) -> Result<MatchPage, StoreError> {
    let condition = filter.condition();
    let total = match reads.count {
        true => Some(matches::Entity::find().filter(condition.clone()).count(db).await?),
        false => None,
    };
    let select = matches::Entity::find().filter(condition);
    let keys = [order::key(matches::Column::CreatedAt)];
    let mut found = MatchPage { total, ..MatchPage::default() };
    let extra = reads.openings || reads.students.is_some();
    // On PostgreSQL a round trip costs more than decoding the joined tables' columns
    // repeated on each row; on SQLite, in-process, it is the other way round (both
    // measured: bench/README.md "Reads against PostGraphile").
    let rows = match (extra, db.get_database_backend()) {
        (true, DbBackend::Postgres) => {
            let page = order::joinable(select, matches::Entity, matches::Column::Id, &keys, seek);
            joined(db, page, keys.len(), seek, &reads, &mut found).await?
        }
        _ => {
            let rows =
                order::keyset(select, matches::Entity, matches::Column::Id, &keys, seek).all(db).await?;
            beside(db, &rows, &reads, &mut found).await?;
            rows
        }
    };
    let mut sessions = match reads.sessions {
        true => sessions_of(db, rows.iter().map(|row| row.id.clone()).collect()).await?,
        false => Default::default(),
    };
    found.rows = rows
        .into_iter()
        .map(|row| {
            let windows = sessions.remove(&row.id).unwrap_or_default();
            record(row, windows)
        })
        .collect::<Result<_, _>>()?;
    Ok(found)
}

/// What `reads` asks for the page `rows`, in statements of their own: one for the
/// openings with their partners, one for the students (with the same rule as
/// [`joined`]'s), one for their disclosure entries (the ones [`logging`] writes).
async fn beside<C: ConnectionTrait>(
    db: &C,
    rows: &[matches::Model],
    reads: &PageReads,
    found: &mut MatchPage,
) -> Result<(), StoreError> {
    if reads.openings {
        let ids: BTreeSet<String> = rows.iter().map(|row| row.opening_id.clone()).collect();
        let ids: Vec<String> = ids.into_iter().collect();
        (found.openings, found.partners) = read::opening_rows_and_partners(db, &ids).await?;
    }
    if let Some(which) = &reads.students {
        let ids: BTreeSet<String> = rows.iter().map(|row| row.student_id.clone()).collect();
        let ids: Vec<String> = ids.into_iter().collect();
        let partner = match which {
            PageStudents::All => None,
            PageStudents::MatchedTo(partner) => Some(partner.as_str()),
        };
        found.students = people::students_by_id(db, &ids, read::Detail::Row, partner).await?;
        if let (PageStudents::MatchedTo(_), Some(log)) = (which, &reads.log) {
            people::log_disclosures(db, &log.entries(rows, &found.students)).await?;
        }
    }
    Ok(())
}

/// How the joined tables' columns are named in [`joined`]'s rows (apart from the
/// matches' own, and from each other's).
const OPENING_PREFIX: &str = "o__";
const PARTNER_PREFIX: &str = "p__";
const STUDENT_PREFIX: &str = "s__";

/// The page `select` ([`order::joinable`] on `keys` sort keys), joined to what
/// `reads` asks for, and writing the students' disclosure entries when it asks for
/// them: one statement.
async fn joined<C: ConnectionTrait>(
    db: &C,
    mut select: sea_orm::sea_query::SelectStatement,
    keys: usize,
    seek: &Seek,
    reads: &PageReads,
    found: &mut MatchPage,
) -> Result<Vec<matches::Model>, StoreError> {
    let alias = Alias::new(order::PAGE);
    if reads.openings {
        select
            .inner_join(
                openings::Entity,
                Expr::col((openings::Entity, openings::Column::Id))
                    .equals((alias.clone(), matches::Column::OpeningId)),
            )
            .inner_join(
                partners::Entity,
                Expr::col((partners::Entity, partners::Column::Id))
                    .equals((openings::Entity, openings::Column::PartnerId)),
            );
        read::select_prefixed(&mut select, openings::Entity, OPENING_PREFIX);
        read::select_prefixed(&mut select, partners::Entity, PARTNER_PREFIX);
    }
    if let Some(which) = &reads.students {
        let student = Expr::col((students::Entity, students::Column::Id));
        let mut on =
            Condition::all().add(student.clone().equals((alias.clone(), matches::Column::StudentId)));
        if let PageStudents::MatchedTo(partner) = which {
            on = on.add(student.in_subquery(people::matched_to(partner)));
        }
        select.left_join(students::Entity, on);
        read::select_prefixed(&mut select, students::Entity, STUDENT_PREFIX);
    }
    let statement = match (&reads.students, &reads.log) {
        (Some(PageStudents::MatchedTo(_)), Some(log)) if !log.selections.is_empty() => {
            logging(&select, keys, seek, log)
        }
        _ => db.get_database_backend().build(&select),
    };
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for row in db.query_all_raw(statement).await? {
        let found_row = matches::Model::from_query_result(&row, "")?;
        if reads.openings && seen.insert(("opening", found_row.opening_id.clone())) {
            found.openings.push(openings::Model::from_query_result(&row, OPENING_PREFIX)?);
            let partner = read::partner_record(partners::Model::from_query_result(&row, PARTNER_PREFIX)?)?;
            found.partners.entry(partner.id.clone()).or_insert(partner);
        }
        // A student the rule keeps out comes back as a row of nulls.
        let student: Option<String> = match reads.students {
            Some(_) => row.try_get("", &format!("{STUDENT_PREFIX}{}", students::Column::Id.as_str()))?,
            None => None,
        };
        if student.is_some_and(|id| seen.insert(("student", id))) {
            found
                .students
                .push(read::student_row(students::Model::from_query_result(&row, STUDENT_PREFIX)?)?);
        }
        rows.push(found_row);
    }
    Ok(rows)
}

/// [`joined`]'s PostgreSQL statement `select` with `log`'s entries written in it by a
/// data-modifying `WITH`: the read and its log are one round trip, and neither
/// happens without the other. The rows are numbered in the page's order (`keys`
/// sort keys, then the id, as [`order::joinable`] names them) to keep the entries to
/// the rows shown; the entries go in selection by selection, each in page order.
fn logging(
    select: &sea_orm::sea_query::SelectStatement,
    keys: usize,
    seek: &Seek,
    log: &PageLog,
) -> Statement {
    let backend = DbBackend::Postgres;
    let inner = backend.build(select);
    let mut values: Vec<sea_orm::Value> = inner.values.map(|values| values.0).unwrap_or_default();
    let mut bind = |value: sea_orm::Value| {
        values.push(value);
        format!("${}", values.len())
    };
    let occurred_at = bind(log.occurred_at.into());
    let partner = bind(log.partner_id.clone().into());
    let actor = bind(log.actor.clone().into());
    let operation = bind(log.operation.clone().into());
    let shown = bind(i64::try_from(log.shown).unwrap_or(i64::MAX).into());
    let selections: Vec<String> = log
        .selections
        .iter()
        .enumerate()
        .map(|(at, fields)| format!("(CAST({} AS json), {at})", bind(json!(fields).to_string().into())))
        .collect();
    let direction = if seek.ascending() { "ASC" } else { "DESC" };
    let mut order: Vec<String> = (0..keys).map(|at| format!("\"key__{at}\" {direction}")).collect();
    order.push(format!("\"{}\" {direction}", matches::Column::Id.as_str()));
    let order = order.join(", ");
    let student = format!("{STUDENT_PREFIX}{}", students::Column::Id.as_str());
    use disclosure_log::Column as Log;
    let columns = [Log::OccurredAt, Log::PartnerId, Log::Actor, Log::StudentId, Log::Fields, Log::Operation];
    let columns: Vec<String> = columns.iter().map(|column| format!("\"{}\"", column.as_str())).collect();
    let sql = format!(
        "WITH \"shown_page\" AS ({page}), \"logged\" AS (\
           INSERT INTO \"{table}\" ({columns}) \
           SELECT {occurred_at}, {partner}, {actor}, \"rows\".\"{student}\", \"selections\".\"fields\", {operation} \
           FROM (SELECT \"{student}\", row_number() OVER (ORDER BY {order}) AS \"at\" FROM \"shown_page\") AS \"rows\" \
           CROSS JOIN (VALUES {selections}) AS \"selections\" (\"fields\", \"n\") \
           WHERE \"rows\".\"at\" <= {shown} AND \"rows\".\"{student}\" IS NOT NULL \
           ORDER BY \"selections\".\"n\", \"rows\".\"at\") \
         SELECT * FROM \"shown_page\" ORDER BY {order}",
        page = inner.sql,
        table = disclosure_log::Entity.table_name(),
        columns = columns.join(", "),
        selections = selections.join(", "),
    );
    Statement::from_sql_and_values(backend, sql, values)
}

/// One match's sessions, in day and time order.
pub async fn sessions<C: ConnectionTrait>(
    db: &C,
    match_id: &str,
) -> Result<Vec<super::records::Window>, StoreError> {
    Ok(sessions_of(db, vec![match_id.to_owned()]).await?.remove(match_id).unwrap_or_default())
}

async fn sessions_of<C: ConnectionTrait>(
    db: &C,
    ids: Vec<String>,
) -> Result<std::collections::HashMap<String, Vec<super::records::Window>>, StoreError> {
    let mut by_match: std::collections::HashMap<String, Vec<_>> = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(by_match);
    }
    for row in match_sessions::Entity::find()
        .filter(match_sessions::Column::MatchId.is_in(ids))
        .order_by_asc(match_sessions::Column::MatchId)
        .order_by_asc(match_sessions::Column::Day)
        .order_by_asc(match_sessions::Column::StartMinute)
        .all(db)
        .await?
    {
        by_match.entry(row.match_id).or_default().push(stored_window(
            row.day,
            row.start_minute,
            row.end_minute,
        )?);
    }
    Ok(by_match)
}

fn record(row: matches::Model, sessions: Vec<super::records::Window>) -> Result<Match, StoreError> {
    let bad = |what: &str| StoreError::invalid(what, "unknown value in the database");
    Ok(Match {
        kind: Kind::parse(&row.kind).ok_or_else(|| bad("kind"))?,
        status: MatchStatus::parse(&row.status).ok_or_else(|| bad("status"))?,
        score: u32::try_from(row.score).unwrap_or(0),
        breakdown: serde_json::from_value(row.breakdown).unwrap_or_default(),
        id: row.id,
        run_id: row.run_id,
        student_id: row.student_id,
        opening_id: row.opening_id,
        sessions,
        created_at: row.created_at,
        decided_by: row.decided_by,
        decided_at: row.decided_at,
        decline_reason: row.decline_reason,
        version: row.version,
        travel_minutes: row.travel_minutes,
        student_accepted: row.student_accepted,
        partner_accepted: row.partner_accepted,
    })
}
