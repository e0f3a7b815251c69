//! `Opening`, its inputs and filter (the `near` filter: a lat/lon box in SQL, exact
//! haversine after), and one page of openings as the viewer may see them.

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::NaiveDate;
use matcher::validate::{RawBackgroundCheck, RawOpening, RawPlace, RawWindow};
use store::Store;
use store::catalog::{self, Near, OpeningFilter, OpeningReads, OpeningSort, PartnerDetail};
use store::read::{self, Detail, StoredOpening};
use store::records::OpeningRecord;

use crate::graphql::access::{Access, Rows};
use crate::graphql::connection::{OrderDirection, Page, Window, counted, detail_for};
use crate::graphql::error::{ApiError, ApiResult, Code};
use crate::graphql::store;
use crate::graphql::types::common::{Place, PlaceInput, WeeklyWindow, WeeklyWindowInput, nullable, required};
use crate::graphql::types::enums::{OpeningKind, OpeningStatusValue};
use crate::graphql::types::partner::{PARTNER_HEAD_FIELDS, PartnerNode, Partners};

/// The widest `near` radius: a bounded search, as every list is bounded.
pub const MAX_RADIUS_KM: f64 = 500.0;

/// Something a partner offers to students.
pub struct OpeningNode {
    pub(crate) stored: StoredOpening,
    pub(crate) partners: Partners,
}

impl OpeningNode {
    /// An opening read from `store` (its partner loads on demand).
    pub(crate) fn new(store: &Store, stored: StoredOpening) -> OpeningNode {
        OpeningNode { stored, partners: Partners::on_demand(store) }
    }

    /// The record as read: only its head ([`HEAD_FIELDS`]: id, partner, capacity) is
    /// sure to be stored values; the rest may be a [`Detail::Head`] read's defaults
    /// (use [`OpeningNode::row`] or [`OpeningNode::full`] for those).
    fn head(&self) -> &OpeningRecord {
        &self.stored.opening.matching
    }

    /// The record with its child tables (subjects, languages, schedule, background
    /// check): as read, or read now when the page read less because its look-ahead
    /// saw no child field ([`OPENING_CHILDREN`]).
    async fn full(&self, ctx: &Context<'_>) -> ApiResult<Cow<'_, OpeningRecord>> {
        match self.stored.detail {
            Detail::Full => Ok(Cow::Borrowed(self.head())),
            Detail::Head | Detail::Row => self.read_again(ctx).await,
        }
    }

    /// The record with every column of its row: as read, or read now when the page
    /// read its head alone because its look-ahead saw only [`HEAD_FIELDS`].
    async fn row(&self, ctx: &Context<'_>) -> ApiResult<Cow<'_, OpeningRecord>> {
        match self.stored.detail {
            Detail::Row | Detail::Full => Ok(Cow::Borrowed(self.head())),
            Detail::Head => self.read_again(ctx).await,
        }
    }

    async fn read_again(&self, ctx: &Context<'_>) -> ApiResult<Cow<'_, OpeningRecord>> {
        Ok(Cow::Owned(read::opening(store(ctx)?.db(), &self.head().id).await?.opening.matching))
    }
}

/// The fields of an opening kept in its child tables ([`detail_for`]).
pub(crate) const OPENING_CHILDREN: [&str; 4] = ["subjects", "languages", "schedule", "backgroundCheck"];

/// The fields of an opening its head columns answer ([`store::read::HEAD_COLUMNS`]).
const HEAD_FIELDS: [&str; 7] = ["__typename", "id", "partner", "title", "capacity", "freeSlots", "status"];

/// How much of each opening a page needs whose nodes are selected as `nodes` (a
/// connection's `edges { node }` and `nodes`): the head alone when every field
/// selected (in every alias and fragment) is one of [`HEAD_FIELDS`], the child tables
/// when either names one.
fn opening_detail(nodes: &[async_graphql::Lookahead<'_>]) -> Detail {
    let head = nodes
        .iter()
        .flat_map(|node| node.selection_fields())
        .all(|field| field.selection_set().all(|selected| HEAD_FIELDS.contains(&selected.name())));
    match head {
        true => Detail::Head,
        false if nodes.iter().any(|node| detail_for(node, &OPENING_CHILDREN) == Detail::Full) => Detail::Full,
        false => Detail::Row,
    }
}

/// Look-ahead: whether a page whose nodes are selected as `nodes` reads its partners
/// with its rows (when any selection names `partner`), and their heads alone when
/// every field selected of them is one of [`PARTNER_HEAD_FIELDS`].
fn partner_detail(nodes: &[async_graphql::Lookahead<'_>]) -> Option<PartnerDetail> {
    let partners: Vec<_> = nodes.iter().map(|node| node.field("partner")).filter(|p| p.exists()).collect();
    if partners.is_empty() {
        return None;
    }
    let head = partners
        .iter()
        .flat_map(|partner| partner.selection_fields())
        .all(|field| field.selection_set().all(|selected| PARTNER_HEAD_FIELDS.contains(&selected.name())));
    Some(if head { PartnerDetail::Head } else { PartnerDetail::Whole })
}

#[Object(name = "Opening")]
impl OpeningNode {
    pub(crate) async fn id(&self) -> ID {
        ID(self.head().id.clone())
    }

    /// Loaded together with the partners of the other openings of the page.
    pub(crate) async fn partner(&self, ctx: &Context<'_>) -> ApiResult<PartnerNode> {
        let partner_id = &self.head().partner_id;
        Access::of(ctx)?.read_opening(partner_id)?;
        match self.partners.get(partner_id).await? {
            Some(partner) => Ok(PartnerNode(partner)),
            None => Err(ApiError::new(Code::NotFound, format!("partner {partner_id} does not exist"))),
        }
    }

    pub(crate) async fn kind(&self, ctx: &Context<'_>) -> ApiResult<OpeningKind> {
        Ok(self.row(ctx).await?.kind.into())
    }

    /// A short human title.
    pub(crate) async fn title(&self) -> Option<&str> {
        self.stored.opening.title.as_deref()
    }

    /// Subjects or fields.
    pub(crate) async fn subjects(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        Ok(self.full(ctx).await?.subjects.clone())
    }

    /// ISO 639-1 codes.
    pub(crate) async fn languages(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        Ok(self.full(ctx).await?.languages.clone())
    }

    /// Whether it takes place online (and has no place then).
    #[graphql(name = "virtual")]
    pub(crate) async fn is_virtual(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(self.row(ctx).await?.r#virtual)
    }

    pub(crate) async fn place(&self, ctx: &Context<'_>) -> ApiResult<Option<Place>> {
        Ok(self.row(ctx).await?.place.map(Place::of))
    }

    /// Students within this distance can be picked up by the partner.
    pub(crate) async fn pickup_radius_km(&self, ctx: &Context<'_>) -> ApiResult<Option<f64>> {
        Ok(self.row(ctx).await?.pickup_radius_km)
    }

    /// Weekly windows in which sessions can take place.
    pub(crate) async fn schedule(&self, ctx: &Context<'_>) -> ApiResult<Vec<WeeklyWindow>> {
        Ok(WeeklyWindow::all(&self.full(ctx).await?.schedule))
    }

    pub(crate) async fn session_minutes(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(i64::from(self.row(ctx).await?.session_minutes))
    }

    pub(crate) async fn sessions_per_week(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(i64::from(self.row(ctx).await?.sessions_per_week))
    }

    /// Students it can take at once.
    pub(crate) async fn capacity(&self) -> i64 {
        i64::from(self.head().capacity)
    }

    /// Slots not held by an open match.
    pub(crate) async fn free_slots(&self) -> i64 {
        (i64::from(self.head().capacity) - i64::from(self.stored.filled)).max(0)
    }

    pub(crate) async fn min_grade(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(i64::from(self.row(ctx).await?.min_grade.get()))
    }

    pub(crate) async fn max_grade(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(i64::from(self.row(ctx).await?.max_grade.get()))
    }

    pub(crate) async fn min_age(&self, ctx: &Context<'_>) -> ApiResult<Option<i64>> {
        Ok(self.row(ctx).await?.min_age.map(i64::from))
    }

    /// `OPEN` takes new matches; `CLOSED` takes none, while its open matches go on.
    pub(crate) async fn status(&self) -> OpeningStatusValue {
        self.stored.status.into()
    }

    /// The host's clearance, as the district verified it: for ADMIN, counselors
    /// and the opening's partner (FORBIDDEN for students). Set by ADMIN only.
    pub(crate) async fn background_check(&self, ctx: &Context<'_>) -> ApiResult<Option<BackgroundCheck>> {
        Access::of(ctx)?.read_background_check(&self.head().partner_id)?;
        let full = self.full(ctx).await?;
        Ok(full
            .background_check
            .map(|check| BackgroundCheck { cleared_on: check.cleared_on(), expires_on: check.expires_on() }))
    }
}

/// A host's background check: when it was cleared, when it expires (open when absent).
#[derive(Clone, Copy, Debug, SimpleObject)]
pub struct BackgroundCheck {
    /// Cleared on; without it the check clears no one.
    pub cleared_on: Option<NaiveDate>,
    /// Valid until (inclusive); absent: does not expire.
    pub expires_on: Option<NaiveDate>,
}

/// A point and a radius.
#[derive(Clone, Copy, Debug, InputObject)]
#[graphql(name = "NearInput")]
pub struct NearInput {
    /// Degrees, -90 to 90.
    pub(crate) lat: f64,
    /// Degrees, -180 to 180.
    pub(crate) lon: f64,
    /// Kilometres, 0 to 500.
    pub(crate) radius_km: f64,
}

/// Which openings `openings` lists; every condition given must hold.
#[derive(Clone, Debug, Default, InputObject)]
#[graphql(name = "OpeningFilter")]
pub struct OpeningFilterInput {
    pub(crate) kind: Option<OpeningKind>,
    /// Openings listing this subject.
    pub(crate) subject: Option<String>,
    /// Openings offering this language.
    pub(crate) language: Option<String>,
    /// In-person openings whose place lies within `radiusKm` of the point (haversine).
    pub(crate) near: Option<NearInput>,
    /// `true`: a free slot left; `false`: full.
    pub(crate) has_capacity: Option<bool>,
    pub(crate) partner_id: Option<ID>,
}

impl OpeningFilterInput {
    pub(crate) fn parse(self) -> Result<OpeningFilter, ApiError> {
        let near = self.near.map(parse_near).transpose()?;
        Ok(OpeningFilter {
            partner_id: self.partner_id.map(|id| id.0),
            only_partner: None,
            kind: self.kind.map(|kind| kind.as_str().to_owned()),
            subject: self.subject,
            language: self.language,
            has_capacity: self.has_capacity,
            near,
        })
    }
}

pub(crate) fn parse_near(near: NearInput) -> Result<Near, ApiError> {
    if !(-90.0..=90.0).contains(&near.lat) {
        return Err(ApiError::bad_input("filter.near.lat", "must be in [-90, 90]"));
    }
    if !(-180.0..=180.0).contains(&near.lon) {
        return Err(ApiError::bad_input("filter.near.lon", "must be in [-180, 180]"));
    }
    if !(0.0..=MAX_RADIUS_KM).contains(&near.radius_km) {
        return Err(ApiError::bad_input("filter.near.radiusKm", format!("must be 0 to {MAX_RADIUS_KM} km")));
    }
    Ok(Near { lat: near.lat, lon: near.lon, radius_km: near.radius_km })
}

/// When a host's background check was cleared and when it expires.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct BackgroundCheckInput {
    pub(crate) cleared_on: Option<NaiveDate>,
    pub(crate) expires_on: Option<NaiveDate>,
}

/// An opening, as created or replaced (docs/matching.md's opening fields).
#[derive(Clone, Debug, InputObject)]
pub struct OpeningInput {
    /// On update, the same id as the argument: ids do not change.
    pub(crate) id: ID,
    pub(crate) partner_id: ID,
    pub(crate) kind: OpeningKind,
    pub(crate) title: Option<String>,
    pub(crate) subjects: Vec<String>,
    pub(crate) languages: Vec<String>,
    /// Default false; an in-person opening needs a `place`.
    #[graphql(name = "virtual")]
    pub(crate) is_virtual: Option<bool>,
    pub(crate) place: Option<PlaceInput>,
    pub(crate) pickup_radius_km: Option<f64>,
    pub(crate) schedule: Vec<WeeklyWindowInput>,
    pub(crate) session_minutes: i32,
    /// Default 1.
    pub(crate) sessions_per_week: Option<i32>,
    pub(crate) capacity: i32,
    /// Default 0.
    pub(crate) min_grade: Option<i32>,
    /// Default 12.
    pub(crate) max_grade: Option<i32>,
    pub(crate) min_age: Option<i32>,
    pub(crate) background_check: Option<BackgroundCheckInput>,
}

impl OpeningInput {
    /// The title, and the opening's fields as entered (parsed by the store's rules).
    pub(crate) fn into_raw(self) -> (Option<String>, RawOpening) {
        let matching = RawOpening {
            id: self.id.0,
            partner_id: self.partner_id.0,
            kind: self.kind.as_str().to_owned(),
            subjects: self.subjects,
            languages: self.languages,
            r#virtual: self.is_virtual,
            place: self.place.map(|place| RawPlace { lat: place.lat, lon: place.lon }),
            pickup_radius_km: self.pickup_radius_km,
            schedule: self.schedule.into_iter().map(RawWindow::from).collect(),
            session_minutes: i64::from(self.session_minutes),
            sessions_per_week: self.sessions_per_week.map(i64::from),
            capacity: i64::from(self.capacity),
            min_grade: self.min_grade.map(i64::from),
            max_grade: self.max_grade.map(i64::from),
            min_age: self.min_age.map(i64::from),
            background_check: self.background_check.map(BackgroundCheckInput::into_raw),
        };
        (self.title, matching)
    }
}

impl BackgroundCheckInput {
    fn into_raw(self) -> RawBackgroundCheck {
        RawBackgroundCheck {
            cleared_on: self.cleared_on.map(|d| d.to_string()),
            expires_on: self.expires_on.map(|d| d.to_string()),
        }
    }
}

/// A patched opening: its title, its fields as entered (still to be parsed), and
/// the names of the fields the patch gave.
pub(crate) type Patched = (Option<String>, RawOpening, Vec<&'static str>);

/// Changes to an opening: an absent field stays as it is, an explicit `null` clears
/// a field that may be empty, lists given replace the list whole. `partnerId` and
/// the id do not change. `backgroundCheck` is ADMIN's to set.
#[derive(Clone, Debug, Default, InputObject)]
pub struct OpeningPatch {
    pub(crate) kind: MaybeUndefined<OpeningKind>,
    /// `null` clears it.
    pub(crate) title: MaybeUndefined<String>,
    pub(crate) subjects: MaybeUndefined<Vec<String>>,
    pub(crate) languages: MaybeUndefined<Vec<String>>,
    #[graphql(name = "virtual")]
    pub(crate) is_virtual: MaybeUndefined<bool>,
    /// `null` clears it (for a virtual opening).
    pub(crate) place: MaybeUndefined<PlaceInput>,
    /// `null` clears it: no pick-up.
    pub(crate) pickup_radius_km: MaybeUndefined<f64>,
    pub(crate) schedule: MaybeUndefined<Vec<WeeklyWindowInput>>,
    pub(crate) session_minutes: MaybeUndefined<i32>,
    pub(crate) sessions_per_week: MaybeUndefined<i32>,
    pub(crate) capacity: MaybeUndefined<i32>,
    pub(crate) min_grade: MaybeUndefined<i32>,
    pub(crate) max_grade: MaybeUndefined<i32>,
    /// `null` clears it: no minimum age.
    pub(crate) min_age: MaybeUndefined<i32>,
    /// ADMIN only; `null` removes the clearance.
    pub(crate) background_check: MaybeUndefined<BackgroundCheckInput>,
}

impl OpeningPatch {
    /// Whether the patch names the background check at all.
    pub(crate) fn touches_background_check(&self) -> bool {
        !self.background_check.is_undefined()
    }

    /// `before` with the patch applied, and the names of the fields it gave; or one
    /// error per field that may not be null but was.
    pub(crate) fn apply(self, before: &store::records::Opening) -> Result<Patched, Vec<ApiError>> {
        let mut errors = Vec::new();
        let mut title = before.title.clone();
        let mut after = before.matching.to_raw();
        let mut changed = Vec::new();
        let o = &mut after;
        macro_rules! set {
            ($name:literal, $slot:expr, $value:expr) => {
                if let Some(value) = $value {
                    $slot = value;
                    changed.push($name);
                }
            };
        }
        set!("kind", o.kind, required("kind", self.kind, &mut errors).map(|kind| kind.as_str().to_owned()));
        set!("title", title, nullable(self.title));
        set!("subjects", o.subjects, required("subjects", self.subjects, &mut errors));
        set!("languages", o.languages, required("languages", self.languages, &mut errors));
        set!("virtual", o.r#virtual, required("virtual", self.is_virtual, &mut errors).map(Some));
        set!(
            "place",
            o.place,
            nullable(self.place).map(|place| place.map(|p| RawPlace { lat: p.lat, lon: p.lon }))
        );
        set!("pickupRadiusKm", o.pickup_radius_km, nullable(self.pickup_radius_km));
        set!(
            "schedule",
            o.schedule,
            required("schedule", self.schedule, &mut errors)
                .map(|list| list.into_iter().map(RawWindow::from).collect())
        );
        set!(
            "sessionMinutes",
            o.session_minutes,
            required("sessionMinutes", self.session_minutes, &mut errors).map(i64::from)
        );
        set!(
            "sessionsPerWeek",
            o.sessions_per_week,
            required("sessionsPerWeek", self.sessions_per_week, &mut errors).map(|n| Some(i64::from(n)))
        );
        set!("capacity", o.capacity, required("capacity", self.capacity, &mut errors).map(i64::from));
        set!(
            "minGrade",
            o.min_grade,
            required("minGrade", self.min_grade, &mut errors).map(|n| Some(i64::from(n)))
        );
        set!(
            "maxGrade",
            o.max_grade,
            required("maxGrade", self.max_grade, &mut errors).map(|n| Some(i64::from(n)))
        );
        set!("minAge", o.min_age, nullable(self.min_age).map(|age| age.map(i64::from)));
        set!(
            "backgroundCheck",
            o.background_check,
            nullable(self.background_check).map(|check| check.map(BackgroundCheckInput::into_raw))
        );
        if errors.is_empty() { Ok((title, after, changed)) } else { Err(errors) }
    }
}

/// How `openings` may be sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Enum)]
pub enum OpeningOrderField {
    /// When the opening was recorded.
    #[default]
    CreatedAt,
    /// Title, ignoring case; openings without a title first.
    Title,
    /// Slots not yet taken (`capacity` less the slots matches hold).
    FreeSlots,
}

/// The order of an opening list: a field, then the id breaks ties.
#[derive(Clone, Copy, Debug, Default, InputObject)]
pub struct OpeningOrder {
    /// What to sort by.
    pub field: OpeningOrderField,
    /// Which way.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// One page of openings the viewer may see, their partners loaded together.
pub(crate) async fn opening_list(
    ctx: &Context<'_>,
    access: &Access<'_>,
    window: &Window,
    mut filter: OpeningFilter,
    order: OpeningOrder,
) -> Result<Page<OpeningNode>, ApiError> {
    match access.openings() {
        Rows::All => {}
        Rows::Own(partner_id) => filter.only_partner = Some(partner_id),
        Rows::MatchedTo(_) | Rows::Nothing => return Ok(window.page(Vec::new(), 0, opening_id)),
    }
    let store = store(ctx)?;
    let sort = match order.field {
        OpeningOrderField::CreatedAt => OpeningSort::CreatedAt,
        OpeningOrderField::Title => OpeningSort::Title,
        OpeningOrderField::FreeSlots => OpeningSort::FreeSlots,
    };
    let nodes = [ctx.look_ahead().field("edges").field("node"), ctx.look_ahead().field("nodes")];
    let seek = window.seek(order.direction.into());
    let partner_reads = partner_detail(&nodes);
    let reads = OpeningReads { detail: opening_detail(&nodes), count: counted(ctx), partners: partner_reads };
    let found = catalog::opening_page(store.db(), &filter, sort, &seek, reads).await?;
    let partners = match partner_reads {
        Some(_) => Partners::Page(Arc::new(found.partners)),
        None => Partners::on_demand(store),
    };
    let rows =
        found.rows.into_iter().map(|stored| OpeningNode { stored, partners: partners.clone() }).collect();
    Ok(window.page_counted(rows, found.total, opening_id))
}

pub(crate) fn opening_id(node: &OpeningNode) -> &str {
    &node.stored.opening.matching.id
}
