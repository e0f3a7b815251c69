//! Reports (docs/api.md `report`) and the feedback behind them. Every number is a SQL
//! aggregate (`COUNT`, `SUM`, `GROUP BY`, a correlated `EXISTS`); nothing here loads
//! the matches, needs or students it counts, and a report costs a fixed number of
//! statements whatever the size of the district: one per rate table, one for
//! capacity, two for the median travel time, one for feedback.
//!
//! What counts:
//! - A need (a row of `student_needs`) is **matched** when a match of its kind for
//!   its student is ACCEPTED, ACTIVE or COMPLETED: someone said yes, which is what a
//!   counselor means by "has a match". It is **proposed** when its only live match
//!   is PROPOSED (waiting for answers). The two never overlap: matched + proposed ≤
//!   needs.
//! - Capacity: `filled` counts open matches (PROPOSED, ACCEPTED, ACTIVE), the ones
//!   holding a slot — what `openings.filled` counts.
//! - Travel: the median over PROPOSED, ACCEPTED, ACTIVE and COMPLETED matches that
//!   carry a travel time: every pair judged workable and not turned down.
//! - Feedback: every row on a match in scope.
//!
//! The statements run one after another outside a transaction, so a report taken
//! while matches change may mix moments (by one write at most per statement).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, Order, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QueryResult};

use super::StoreError;
use super::entity::{feedback, matches, openings, partners, schools, student_needs, students};
use super::records::{Feedback, MatchStatus, Role, Visibility};

/// Statuses of a match that fills its need: someone accepted it.
pub const MATCHED: [MatchStatus; 3] = [MatchStatus::Accepted, MatchStatus::Active, MatchStatus::Completed];

/// Statuses of a match the median travel time is taken over: every live match.
pub const LIVE: [MatchStatus; 4] =
    [MatchStatus::Proposed, MatchStatus::Accepted, MatchStatus::Active, MatchStatus::Completed];

/// Statuses of a match that holds a slot of its opening.
pub const OPEN: [MatchStatus; 3] = [MatchStatus::Proposed, MatchStatus::Accepted, MatchStatus::Active];

/// What a report covers; every given bound must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportScope {
    /// Students of this school (their needs, matches and feedback).
    pub school_id: Option<String>,
    /// Matches to openings of this partner (and its own capacity).
    pub partner_id: Option<String>,
}

/// One row of a match-rate table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateCount {
    /// The school id, kind name or priority group.
    pub key: String,
    /// Needs of the students in scope.
    pub needs: u64,
    /// Needs filled by an accepted, active or completed match ([`MATCHED`]).
    pub matched: u64,
    /// Needs whose only live match is still PROPOSED.
    pub proposed: u64,
}

impl RateCount {
    fn empty(key: &str) -> RateCount {
        RateCount { key: key.to_owned(), needs: 0, matched: 0, proposed: 0 }
    }

    /// matched / needs, 0 when there are no needs.
    pub fn rate(&self) -> f64 {
        ratio(self.matched, self.needs)
    }
}

/// One partner's capacity and how much of it open matches hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapacityCount {
    #[allow(missing_docs)]
    pub partner_id: String,
    #[allow(missing_docs)]
    pub partner_name: String,
    /// Its openings, of any kind.
    pub openings: u64,
    /// Their slots together.
    pub capacity: u64,
    /// Open matches on its openings (of the scope's school's students, when bound).
    pub filled: u64,
}

impl CapacityCount {
    /// filled / capacity, 0 when there is no capacity.
    pub fn usage(&self) -> f64 {
        ratio(self.filled, self.capacity)
    }
}

/// Feedback by one kind of author.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedbackCount {
    /// Entries.
    pub count: u64,
    /// Their ratings added up.
    pub rating_sum: u64,
    /// Entries that say how many sessions were attended.
    pub sessions_count: u64,
    /// Those sessions added up.
    pub sessions_sum: u64,
}

impl FeedbackCount {
    /// The mean rating, `None` without feedback.
    pub fn average_rating(&self) -> Option<f64> {
        (self.count > 0).then(|| ratio(self.rating_sum, self.count))
    }

    /// The mean of sessions attended where stated, `None` where never stated.
    pub fn average_sessions_attended(&self) -> Option<f64> {
        (self.sessions_count > 0).then(|| ratio(self.sessions_sum, self.sessions_count))
    }

    fn add(&mut self, other: &FeedbackCount) {
        self.count += other.count;
        self.rating_sum += other.rating_sum;
        self.sessions_count += other.sessions_count;
        self.sessions_sum += other.sessions_sum;
    }
}

/// Feedback in scope, by author role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackSummary {
    /// Every role, in [`Role::ALL`] order, with zero counts where none wrote.
    pub by_role: Vec<(Role, FeedbackCount)>,
}

impl FeedbackSummary {
    /// All roles together (a sum of the per-role aggregates).
    pub fn total(&self) -> FeedbackCount {
        let mut total = FeedbackCount::default();
        for (_, count) in &self.by_role {
            total.add(count);
        }
        total
    }
}

/// A stored feedback entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFeedback {
    /// The database's id.
    pub id: i64,
    #[allow(missing_docs)]
    pub feedback: Feedback,
    #[allow(missing_docs)]
    pub created_at: DateTime<Utc>,
}

/// Needs and how many are matched, per school in scope (every school, with zeros
/// where a school has no needs), in id order. One statement.
pub async fn rates_by_school<C: ConnectionTrait>(
    db: &C,
    scope: &ReportScope,
) -> Result<Vec<RateCount>, StoreError> {
    let key = Expr::col((schools::Entity, schools::Column::Id));
    let mut select = rate_select(key.clone(), scope);
    select
        .from(schools::Entity)
        .left_join(
            students::Entity,
            Expr::col((students::Entity, students::Column::SchoolId))
                .equals((schools::Entity, schools::Column::Id)),
        )
        .left_join(
            student_needs::Entity,
            Expr::col((student_needs::Entity, student_needs::Column::StudentId))
                .equals((students::Entity, students::Column::Id)),
        )
        .group_by_col((schools::Entity, schools::Column::Id))
        .order_by((schools::Entity, schools::Column::Id), Order::Asc);
    if let Some(school) = &scope.school_id {
        select.and_where(key.eq(school.as_str()));
    }
    let rows = db.query_all(&select).await?;
    rows.iter().map(|row| rate_row(row, |row| row.try_get::<String>("", "key"))).collect()
}

/// Needs and how many are matched, per kind: every kind, in declaration order. One
/// statement.
pub async fn rates_by_kind<C: ConnectionTrait>(
    db: &C,
    scope: &ReportScope,
) -> Result<Vec<RateCount>, StoreError> {
    let key = Expr::col((student_needs::Entity, student_needs::Column::Kind));
    let mut select = need_rates(key, scope);
    select.group_by_col((student_needs::Entity, student_needs::Column::Kind));
    let rows = db.query_all(&select).await?;
    let counted = rows
        .iter()
        .map(|row| rate_row(row, |row| row.try_get::<String>("", "key")))
        .collect::<Result<Vec<_>, _>>()?;
    let kinds =
        [matcher::model::Kind::Tutoring, matcher::model::Kind::Mentoring, matcher::model::Kind::Internship];
    Ok(complete(counted, kinds.iter().map(|kind| kind.as_str().to_owned())))
}

/// Needs and how many are matched, per equity priority: groups "0" to "3" always, in
/// order (and any other value found after them). One statement.
pub async fn rates_by_priority<C: ConnectionTrait>(
    db: &C,
    scope: &ReportScope,
) -> Result<Vec<RateCount>, StoreError> {
    let key = Expr::col((students::Entity, students::Column::Priority));
    let mut select = need_rates(key, scope);
    select.group_by_col((students::Entity, students::Column::Priority));
    let rows = db.query_all(&select).await?;
    let counted = rows
        .iter()
        .map(|row| rate_row(row, |row| row.try_get::<i32>("", "key").map(|p| p.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(complete(counted, (0..=3).map(|priority: i32| priority.to_string())))
}

/// Every partner in scope with its openings, capacity and the open matches that
/// hold it, in id order. With a school in scope, `filled` counts that school's
/// students only while `capacity` stays the partner's whole capacity: the share of
/// each partner the school uses. One statement.
pub async fn capacity_by_partner<C: ConnectionTrait>(
    db: &C,
    scope: &ReportScope,
) -> Result<Vec<CapacityCount>, StoreError> {
    let held = Query::select()
        .column((openings::Entity, openings::Column::Id))
        .from(openings::Entity)
        .and_where(
            Expr::col((openings::Entity, openings::Column::PartnerId))
                .equals((partners::Entity, partners::Column::Id)),
        )
        .to_owned();
    let mut filled = Query::select()
        .expr(Func::count(Expr::col((matches::Entity, matches::Column::Id))))
        .from(matches::Entity)
        .and_where(Expr::col((matches::Entity, matches::Column::OpeningId)).in_subquery(held))
        .and_where(status_in(OPEN))
        .to_owned();
    if let Some(school) = &scope.school_id {
        filled.and_where(
            Expr::col((matches::Entity, matches::Column::StudentId)).in_subquery(students_of(school)),
        );
    }
    let mut select = Query::select()
        .expr_as(Expr::col((partners::Entity, partners::Column::Id)), "partner_id")
        .expr_as(Expr::col((partners::Entity, partners::Column::Name)), "partner_name")
        .expr_as(Func::count(Expr::col((openings::Entity, openings::Column::Id))), "openings")
        .expr_as(Func::sum(Expr::col((openings::Entity, openings::Column::Capacity))), "capacity")
        .expr_as(Expr::from(filled), "filled")
        .from(partners::Entity)
        .left_join(
            openings::Entity,
            Expr::col((openings::Entity, openings::Column::PartnerId))
                .equals((partners::Entity, partners::Column::Id)),
        )
        .group_by_col((partners::Entity, partners::Column::Id))
        .group_by_col((partners::Entity, partners::Column::Name))
        .order_by((partners::Entity, partners::Column::Id), Order::Asc)
        .to_owned();
    if let Some(partner) = &scope.partner_id {
        select.and_where(Expr::col((partners::Entity, partners::Column::Id)).eq(partner.as_str()));
    }
    let rows = db.query_all(&select).await?;
    rows.iter()
        .map(|row| {
            Ok(CapacityCount {
                partner_id: row.try_get("", "partner_id")?,
                partner_name: row.try_get("", "partner_name")?,
                openings: count(row.try_get::<i64>("", "openings")?),
                capacity: count(row.try_get::<Option<i64>>("", "capacity")?.unwrap_or(0)),
                filled: count(row.try_get::<i64>("", "filled")?),
            })
        })
        .collect()
}

/// The median travel time of live matches in scope ([`LIVE`], with a travel time);
/// `None` when there is none. Two statements: the count `n`, then the one or two
/// middle values by `ORDER BY … LIMIT 1 or 2 OFFSET (n-1)/2` (both always run).
pub async fn median_travel_minutes<C: ConnectionTrait>(
    db: &C,
    scope: &ReportScope,
) -> Result<Option<f64>, StoreError> {
    let travel = Expr::col((matches::Entity, matches::Column::TravelMinutes));
    let mut counted =
        Query::select().expr_as(Func::count(travel.clone()), "n").from(matches::Entity).to_owned();
    in_match_scope(&mut counted, scope);
    let n = match db.query_one(&counted).await? {
        Some(row) => count(row.try_get::<i64>("", "n")?),
        None => 0,
    };
    let mut middle = Query::select()
        .expr_as(travel.clone(), "minutes")
        .from(matches::Entity)
        .and_where(travel.clone().is_not_null())
        .order_by((matches::Entity, matches::Column::TravelMinutes), Order::Asc)
        .limit(if n % 2 == 0 { 2 } else { 1 })
        .offset(n.saturating_sub(1) / 2)
        .to_owned();
    in_match_scope(&mut middle, scope);
    let values = db
        .query_all(&middle)
        .await?
        .iter()
        .map(|row| row.try_get::<f64>("", "minutes"))
        .collect::<Result<Vec<f64>, _>>()?;
    if n == 0 || values.is_empty() {
        return Ok(None);
    }
    Ok(Some(values.iter().sum::<f64>() / values.len() as f64))
}

/// Which feedback a reader may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedbackReader {
    /// Everything: ADMIN and the school's counselor.
    School,
    /// `PARTIES` feedback, and what this author (`role`, `id`) wrote.
    Party {
        /// The reader's role.
        role: Role,
        /// The reader's author id.
        id: String,
    },
}

impl FeedbackReader {
    /// The condition on `feedback` rows this reader may see.
    fn condition(&self) -> Condition {
        match self {
            FeedbackReader::School => Condition::all(),
            FeedbackReader::Party { role, id } => Condition::any()
                .add(
                    Expr::col((feedback::Entity, feedback::Column::Visibility))
                        .eq(Visibility::Parties.as_str()),
                )
                .add(
                    Condition::all()
                        .add(Expr::col((feedback::Entity, feedback::Column::AuthorRole)).eq(role.as_str()))
                        .add(Expr::col((feedback::Entity, feedback::Column::AuthorId)).eq(id.as_str())),
                ),
        }
    }
}

/// Feedback on matches in scope that `reader` may see, by author role; each author
/// counts once per match, with their latest entry (a parent who rates a match ten
/// times does not outweigh the other side). One statement.
pub async fn feedback_summary<C: ConnectionTrait>(
    db: &C,
    scope: &ReportScope,
    reader: &FeedbackReader,
) -> Result<FeedbackSummary, StoreError> {
    let column = |c: feedback::Column| Expr::col((feedback::Entity, c));
    let mut select = Query::select()
        .expr_as(column(feedback::Column::AuthorRole), "role")
        .expr_as(Func::count(column(feedback::Column::Id)), "n")
        .expr_as(Func::sum(column(feedback::Column::Rating)), "rating_sum")
        .expr_as(Func::count(column(feedback::Column::SessionsAttended)), "sessions_count")
        .expr_as(Func::sum(column(feedback::Column::SessionsAttended)), "sessions_sum")
        .from(feedback::Entity)
        .inner_join(
            matches::Entity,
            Expr::col((matches::Entity, matches::Column::Id))
                .equals((feedback::Entity, feedback::Column::MatchId)),
        )
        .cond_where(reader.condition())
        .and_where(Expr::col((feedback::Entity, feedback::Column::Id)).in_subquery(latest_per_author(reader)))
        .group_by_col((feedback::Entity, feedback::Column::AuthorRole))
        .to_owned();
    in_match_scope_any_status(&mut select, scope);
    let mut by_role: Vec<(Role, FeedbackCount)> =
        Role::ALL.iter().map(|role| (*role, FeedbackCount::default())).collect();
    for row in db.query_all(&select).await? {
        let role: String = row.try_get("", "role")?;
        let role = Role::parse(&role)
            .ok_or_else(|| StoreError::invalid("authorRole", "unknown value in the database"))?;
        let counted = FeedbackCount {
            count: count(row.try_get::<i64>("", "n")?),
            rating_sum: count(row.try_get::<Option<i64>>("", "rating_sum")?.unwrap_or(0)),
            sessions_count: count(row.try_get::<i64>("", "sessions_count")?),
            sessions_sum: count(row.try_get::<Option<i64>>("", "sessions_sum")?.unwrap_or(0)),
        };
        if let Some(slot) = by_role.iter_mut().find(|(r, _)| *r == role) {
            slot.1 = counted;
        }
    }
    Ok(FeedbackSummary { by_role })
}

/// The newest entry (highest id) of each author on each match, among those
/// `reader` may see.
fn latest_per_author(reader: &FeedbackReader) -> SelectStatement {
    Query::select()
        .expr(Func::max(Expr::col((feedback::Entity, feedback::Column::Id))))
        .from(feedback::Entity)
        .cond_where(reader.condition())
        .group_by_col((feedback::Entity, feedback::Column::MatchId))
        .group_by_col((feedback::Entity, feedback::Column::AuthorRole))
        .group_by_col((feedback::Entity, feedback::Column::AuthorId))
        .to_owned()
}

/// The feedback on one match that `reader` may see, oldest first.
pub async fn feedback_of<C: ConnectionTrait>(
    db: &C,
    match_id: &str,
    reader: &FeedbackReader,
) -> Result<Vec<StoredFeedback>, StoreError> {
    let rows = feedback::Entity::find()
        .filter(feedback::Column::MatchId.eq(match_id))
        .filter(reader.condition())
        .order_by_asc(feedback::Column::CreatedAt)
        .order_by_asc(feedback::Column::Id)
        .all(db)
        .await?;
    rows.into_iter().map(stored_feedback).collect()
}

/// A stored row as a record.
pub fn stored_feedback(row: feedback::Model) -> Result<StoredFeedback, StoreError> {
    let bad = |what: &str| StoreError::invalid(what, "unknown value in the database");
    Ok(StoredFeedback {
        id: row.id,
        feedback: Feedback {
            match_id: row.match_id,
            author_role: Role::parse(&row.author_role).ok_or_else(|| bad("authorRole"))?,
            author_id: row.author_id,
            rating: u8::try_from(row.rating).map_err(|_| bad("rating"))?,
            comment: row.comment,
            sessions_attended: row.sessions_attended.and_then(|n| u32::try_from(n).ok()),
            visibility: Visibility::parse(&row.visibility).ok_or_else(|| bad("visibility"))?,
        },
        created_at: row.created_at,
    })
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// A count as the database returns it (never negative).
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn status_in<const N: usize>(statuses: [MatchStatus; N]) -> Expr {
    Expr::col((matches::Entity, matches::Column::Status)).is_in(statuses.map(|s| s.as_str()))
}

/// `SELECT students.id FROM students WHERE school_id = ?`.
fn students_of(school: &str) -> SelectStatement {
    Query::select()
        .column((students::Entity, students::Column::Id))
        .from(students::Entity)
        .and_where(Expr::col((students::Entity, students::Column::SchoolId)).eq(school))
        .to_owned()
}

/// `SELECT openings.id FROM openings WHERE partner_id = ?`.
fn openings_of(partner: &str) -> SelectStatement {
    Query::select()
        .column((openings::Entity, openings::Column::Id))
        .from(openings::Entity)
        .and_where(Expr::col((openings::Entity, openings::Column::PartnerId)).eq(partner))
        .to_owned()
}

/// Bounds a select over `matches` to the scope's school and partner, any status.
fn in_match_scope_any_status(select: &mut SelectStatement, scope: &ReportScope) {
    if let Some(school) = &scope.school_id {
        select.and_where(
            Expr::col((matches::Entity, matches::Column::StudentId)).in_subquery(students_of(school)),
        );
    }
    if let Some(partner) = &scope.partner_id {
        select.and_where(
            Expr::col((matches::Entity, matches::Column::OpeningId)).in_subquery(openings_of(partner)),
        );
    }
}

/// Bounds a select over `matches` to live matches ([`LIVE`]) of the scope.
fn in_match_scope(select: &mut SelectStatement, scope: &ReportScope) {
    select.and_where(status_in(LIVE));
    in_match_scope_any_status(select, scope);
}

/// `EXISTS (a match of the need's student and kind, in `statuses`, to the scope's
/// partner when bound)`, correlated with the outer `student_needs` row.
fn need_filled<const N: usize>(statuses: [MatchStatus; N], scope: &ReportScope) -> Expr {
    let mut select = Query::select()
        .expr(Expr::val(1))
        .from(matches::Entity)
        .and_where(
            Expr::col((matches::Entity, matches::Column::StudentId))
                .equals((student_needs::Entity, student_needs::Column::StudentId)),
        )
        .and_where(
            Expr::col((matches::Entity, matches::Column::Kind))
                .equals((student_needs::Entity, student_needs::Column::Kind)),
        )
        .and_where(status_in(statuses))
        .to_owned();
    if let Some(partner) = &scope.partner_id {
        select.and_where(
            Expr::col((matches::Entity, matches::Column::OpeningId)).in_subquery(openings_of(partner)),
        );
    }
    Expr::exists(select)
}

/// `SELECT key, COUNT(need), SUM(matched), SUM(proposed)`: the select list every
/// rate table shares; the caller adds FROM, joins and GROUP BY.
fn rate_select(key: Expr, scope: &ReportScope) -> SelectStatement {
    let matched = need_filled(MATCHED, scope);
    let waiting = need_filled([MatchStatus::Proposed], scope).and(matched.clone().not());
    let one_if = |condition: Expr| Func::sum(Expr::case(condition, Expr::val(1)).finally(Expr::val(0)));
    Query::select()
        .expr_as(key, "key")
        .expr_as(Func::count(Expr::col((student_needs::Entity, student_needs::Column::StudentId))), "needs")
        .expr_as(one_if(matched), "matched")
        .expr_as(one_if(waiting), "proposed")
        .to_owned()
}

/// [`rate_select`] over the needs of students in scope; the caller groups.
fn need_rates(key: Expr, scope: &ReportScope) -> SelectStatement {
    let mut select = rate_select(key, scope);
    select.from(student_needs::Entity).inner_join(
        students::Entity,
        Expr::col((students::Entity, students::Column::Id))
            .equals((student_needs::Entity, student_needs::Column::StudentId)),
    );
    if let Some(school) = &scope.school_id {
        select.and_where(Expr::col((students::Entity, students::Column::SchoolId)).eq(school.as_str()));
    }
    select
}

fn rate_row(
    row: &QueryResult,
    key: impl Fn(&QueryResult) -> Result<String, sea_orm::DbErr>,
) -> Result<RateCount, StoreError> {
    Ok(RateCount {
        key: key(row)?,
        needs: count(row.try_get::<i64>("", "needs")?),
        matched: count(row.try_get::<Option<i64>>("", "matched")?.unwrap_or(0)),
        proposed: count(row.try_get::<Option<i64>>("", "proposed")?.unwrap_or(0)),
    })
}

/// `expected` keys in order, counted or zero, then any other key the database held.
fn complete(mut counted: Vec<RateCount>, expected: impl Iterator<Item = String>) -> Vec<RateCount> {
    let mut rows: Vec<RateCount> = expected
        .map(|key| match counted.iter().position(|row| row.key == key) {
            Some(at) => counted.remove(at),
            None => RateCount::empty(&key),
        })
        .collect();
    counted.sort_by(|a, b| a.key.cmp(&b.key));
    rows.extend(counted);
    rows
}
