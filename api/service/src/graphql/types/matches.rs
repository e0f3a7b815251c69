//! `Match`, its filter, and pages of the matches a viewer is party to.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use store::audit::{self, AuditEntry};
use store::matches::{self, MatchFilter, MatchParties, PageReads};
use store::read::StoredOpening;
use store::read::{Detail, PartnerRead};
use store::records::{Match, MatchStatus};
use store::{StoreError, read};

use crate::graphql::access::{Access, MatchRows, Parties};
use crate::graphql::connection::{OrderDirection, Page, Window, counted, detail_for};
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::store;
use crate::graphql::types::common::{Criterion, WeeklyWindow, criteria};
use crate::graphql::types::enums::{MatchStatusValue, OpeningKind};
use crate::graphql::types::opening::{OPENING_CHILDREN, OpeningNode};
use crate::graphql::types::partner::Partners;
use crate::graphql::types::student::{
    StudentNode, page_log, page_student_nodes, page_students, student_node, student_nodes,
};

/// How the disclosure log names a partner's read of a match's student.
const STUDENT_OPERATION: &str = "Match.student";

/// The parties of a stored match, as the access rules read them.
pub fn parties_of(parties: &MatchParties) -> Parties<'_> {
    Parties {
        student_id: &parties.student_id,
        school_id: &parties.school_id,
        partner_id: &parties.partner_id,
    }
}

/// A match the viewer may see; `student` and `opening` load on demand, or with the
/// rest of its page when the query asks for them (see [`match_page`]).
#[derive(Clone)]
pub struct MatchNode(pub Match, pub(crate) PageOpenings, pub(crate) PageStudents, pub(crate) Detail);

/// A page's openings and their partners, read together; empty for a match on its own.
#[derive(Clone, Default)]
pub(crate) struct PageOpenings(Option<Arc<(HashMap<String, StoredOpening>, Partners)>>);

/// A page's students as the viewer may see them (absent: not visible), read and
/// logged together; empty for a match on its own.
#[derive(Clone, Default)]
pub(crate) struct PageStudents(Option<Arc<HashMap<String, StudentNode>>>);

impl MatchNode {
    /// A match read on its own.
    pub(crate) fn alone(found: Match) -> MatchNode {
        MatchNode(found, PageOpenings::default(), PageStudents::default(), Detail::Full)
    }
}

impl MatchNode {
    pub(crate) fn id(&self) -> &str {
        &self.0.id
    }
}

/// A student ↔ opening match with its score, breakdown and weekly sessions.
#[Object(name = "Match")]
impl MatchNode {
    #[graphql(name = "id")]
    pub(crate) async fn id_field(&self) -> ID {
        ID(self.0.id.clone())
    }

    pub(crate) async fn status(&self) -> MatchStatusValue {
        self.0.status.into()
    }

    pub(crate) async fn kind(&self) -> OpeningKind {
        self.0.kind.into()
    }

    /// The sum of the breakdown's points.
    pub(crate) async fn score(&self) -> i64 {
        i64::from(self.0.score)
    }

    /// Points per criterion; they add up to `score`.
    pub(crate) async fn breakdown(&self) -> ApiResult<Vec<Criterion>> {
        criteria(&self.0.breakdown)
    }

    /// Weekly sessions, on distinct days.
    pub(crate) async fn sessions(&self, ctx: &Context<'_>) -> ApiResult<Vec<WeeklyWindow>> {
        match self.3 {
            Detail::Full => Ok(WeeklyWindow::all(&self.0.sessions)),
            // Its page read no sessions: the look-ahead saw none asked.
            Detail::Head | Detail::Row => {
                Ok(WeeklyWindow::all(&matches::sessions(store(ctx)?.db(), &self.0.id).await?))
            }
        }
    }

    /// The student, as the viewer may see them (a partner: minimal fields, logged).
    pub(crate) async fn student(&self, ctx: &Context<'_>) -> ApiResult<Option<StudentNode>> {
        if let Some(page) = &self.2.0 {
            // Read, checked and logged with the page.
            return Ok(page.get(&self.0.student_id).cloned());
        }
        Ok(student_node(ctx, &self.0.student_id, STUDENT_OPERATION).await?)
    }

    pub(crate) async fn opening(&self, ctx: &Context<'_>) -> ApiResult<Option<OpeningNode>> {
        let store = store(ctx)?;
        if let Some(page) = &self.1.0 {
            let (openings, partners) = page.as_ref();
            return Ok(openings
                .get(&self.0.opening_id)
                .map(|stored| OpeningNode { stored: stored.clone(), partners: partners.clone() }));
        }
        match read::opening(store.db(), &self.0.opening_id).await {
            Ok(stored) => Ok(Some(OpeningNode::new(store, stored))),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(err) => Err(ApiError::from(err)),
        }
    }

    /// The match run that proposed it; null for a counselor's pick.
    pub(crate) async fn run_id(&self) -> Option<ID> {
        self.0.run_id.clone().map(ID)
    }

    pub(crate) async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Who made the last decision (`role:id`).
    pub(crate) async fn decided_by(&self) -> Option<&str> {
        self.0.decided_by.as_deref()
    }

    pub(crate) async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }

    /// Why it was declined, when the decliner said.
    pub(crate) async fn decline_reason(&self) -> Option<&str> {
        self.0.decline_reason.as_deref()
    }

    /// What happened to the match, oldest first: its proposal, each side's answer,
    /// status changes, a cleared decline.
    pub(crate) async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<MatchEvent>> {
        let entries = audit::history(store(ctx)?.db(), &self.0).await?;
        Ok(entries.iter().filter_map(MatchEvent::of).collect())
    }

    /// The student side (the student, their family or their counselor) has accepted.
    pub(crate) async fn student_accepted(&self) -> bool {
        self.0.student_accepted
    }

    /// The partner has accepted.
    pub(crate) async fn partner_accepted(&self) -> bool {
        self.0.partner_accepted
    }
}

/// Which matches `matches` lists (within what the viewer may see).
#[derive(Clone, Debug, Default, InputObject)]
#[graphql(name = "MatchFilter")]
pub struct MatchFilterInput {
    /// Matches of this school's students.
    pub school_id: Option<ID>,
    /// Matches to this partner's openings.
    pub partner_id: Option<ID>,
    /// This student's matches.
    pub student_id: Option<ID>,
    /// Matches to this opening.
    pub opening_id: Option<ID>,
    /// Matches a run proposed.
    pub run_id: Option<ID>,
    /// Matches of this kind.
    pub kind: Option<OpeningKind>,
    /// Any of these statuses.
    pub status: Option<Vec<MatchStatusValue>>,
}

/// The match `id` with its parties, checked by `allowed`; NOT_FOUND when absent or
/// when the viewer is no party to it (the same answer).
pub(crate) async fn load_match<C: store::Db>(
    db: &C,
    access: &Access<'_>,
    id: &str,
    allowed: impl FnOnce(&Parties<'_>) -> Result<(), ApiError>,
) -> Result<(Match, MatchParties), ApiError> {
    let found = matches::get(db, id).await?;
    let parties = matches::parties(db, &found).await?;
    access.read_match(id, &parties_of(&parties))?;
    allowed(&parties_of(&parties))?;
    Ok((found, parties))
}

/// How `matches` may be sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Enum)]
pub enum MatchOrderField {
    /// When the match was proposed.
    #[default]
    CreatedAt,
}

/// The order of a match list: a field, then the id breaks ties.
#[derive(Clone, Copy, Debug, Default, InputObject)]
pub struct MatchOrder {
    /// What to sort by.
    pub field: MatchOrderField,
    /// Which way.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// One page of the matches `filter` selects among those the viewer is party to.
pub(crate) async fn match_page(
    ctx: &Context<'_>,
    mut filter: MatchFilter,
    order: MatchOrder,
    window: &Window,
) -> Result<Page<MatchNode>, ApiError> {
    let access = Access::of(ctx)?;
    // The viewer's own bound replaces theirs; a different one selects nothing.
    let (bound, own) = match access.matches() {
        MatchRows::All => (None, String::new()),
        MatchRows::School(school) => (Some(&mut filter.school_id), school),
        MatchRows::Partner(partner) => (Some(&mut filter.partner_id), partner),
        MatchRows::Student(student) => (Some(&mut filter.student_id), student),
    };
    if let Some(bound) = bound {
        if bound.as_ref().is_some_and(|asked| *asked != own) {
            return Ok(window.page(Vec::new(), 0, MatchNode::id));
        }
        *bound = Some(own);
    }
    let MatchOrderField::CreatedAt = order.field;
    let store = store(ctx)?;
    // Look-ahead: the count, the sessions, the page's openings (and their partners)
    // and students only when the query asks for them, read with the page (joined to
    // its rows or beside them, whichever the backend does faster), never per match.
    let node = ctx.look_ahead().field("edges").field("node");
    let sessions = node.field("sessions").exists();
    let opening = node.field("opening");
    let opening_detail = detail_for(&opening, &OPENING_CHILDREN);
    let student = node.field("student");
    let with_rows = page_students(&access, &student);
    // Only the rows the page shows: the one fetched past its end is not read out.
    let shown = usize::try_from(window.count).unwrap_or(usize::MAX);
    let log = with_rows.as_ref().and_then(|_| page_log(&access, &student, window.count, STUDENT_OPERATION));
    let reads = PageReads {
        count: counted(ctx),
        sessions,
        openings: opening.exists(),
        students: with_rows.clone(),
        log,
    };
    let found = matches::page(store.db(), &filter, &window.seek(order.direction.into()), reads).await?;
    let page = if opening.exists() {
        let openings = read::openings_of_rows(store.db(), found.openings, opening_detail).await?;
        let by_id = openings.into_iter().map(|o| (o.opening.matching.id.clone(), o)).collect();
        PageOpenings(Some(Arc::new((
            by_id,
            Partners::Page(Arc::new(
                found.partners.into_iter().map(|(id, partner)| (id, PartnerRead::Whole(partner))).collect(),
            )),
        ))))
    } else {
        PageOpenings::default()
    };
    let students = if student.exists() {
        let ids: Vec<String> = found.rows.iter().take(shown).map(|m| m.student_id.clone()).collect();
        let nodes = match with_rows {
            Some(_) => page_student_nodes(ctx, found.students, &ids, &student).await?,
            None => student_nodes(ctx, &ids, &student, STUDENT_OPERATION).await?,
        };
        PageStudents(Some(Arc::new(nodes)))
    } else {
        PageStudents::default()
    };
    let detail = if sessions { Detail::Full } else { Detail::Row };
    let nodes = found
        .rows
        .into_iter()
        .map(|found| MatchNode(found, page.clone(), students.clone(), detail))
        .collect();
    Ok(window.page_counted(nodes, found.total, MatchNode::id))
}

/// What kind of step a match took.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum MatchEventAction {
    /// Proposed by a counselor's pick or a match run.
    Proposed,
    /// A side accepted (the match is ACCEPTED once both have).
    Accepted,
    /// A side declined.
    Declined,
    /// Moved to ACTIVE, COMPLETED or CANCELLED.
    StatusChanged,
    /// A decline of the pair was cleared, so it may be proposed again.
    DeclineCleared,
}

/// One step in a match's history.
#[derive(Clone, Debug, SimpleObject)]
pub struct MatchEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// Who, as `role:scope`.
    pub actor: String,
    /// What.
    pub action: MatchEventAction,
    /// The status before; null for the proposal.
    pub from: Option<MatchStatusValue>,
    /// The status after.
    pub to: Option<MatchStatusValue>,
    /// The reason given with a decline.
    pub reason: Option<String>,
    /// For an acceptance: which side answered (`student`, `partner`, or `both` for ADMIN).
    pub side: Option<String>,
}

impl MatchEvent {
    /// The event an audit entry records; `None` for entries that are not steps.
    pub(crate) fn of(entry: &AuditEntry) -> Option<MatchEvent> {
        let detail = entry.detail.as_ref();
        let text = |key: &str| detail.and_then(|d| d.get(key)).and_then(serde_json::Value::as_str);
        let status = |key: &str| text(key).and_then(MatchStatus::parse).map(MatchStatusValue::from);
        let (action, from, to) = match entry.action.as_str() {
            "propose" => (MatchEventAction::Proposed, None, Some(MatchStatusValue::Proposed)),
            "accept" => (MatchEventAction::Accepted, status("from"), status("to")),
            "set_status" if text("to") == Some("DECLINED") => {
                (MatchEventAction::Declined, status("from"), status("to"))
            }
            "set_status" => (MatchEventAction::StatusChanged, status("from"), status("to")),
            "clear_decline" => (MatchEventAction::DeclineCleared, None, None),
            _ => return None,
        };
        Some(MatchEvent {
            at: entry.at,
            actor: entry.actor.clone(),
            action,
            from,
            to,
            reason: text("reason").map(str::to_owned),
            side: text("side").map(str::to_owned),
        })
    }
}
