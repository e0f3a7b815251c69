//! Partners, agreements and openings: reads with filters and Relay pages, and the
//! writes of the access matrix, each in one transaction with its audit entry.
//!
//! An opening's partner is loaded through a [`DataLoader`] shared by every opening
//! of one page, so a page costs the same few queries however long it is.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{NaiveDate, Utc};

use super::access::{Access, Rows};
use super::connection::{Page, Window};
use super::error::{ApiError, ApiResult, Code};
use super::{audited, commit, store};
use store::catalog::{self, Near, OpeningFilter, PartnerFilter};
use store::read::{self, StoredOpening};
use store::records::{
    Agreement, Kind, Opening, Partner, PartnerKind, PartnerStatus, RawBackgroundCheck, RawOpening, RawPlace,
    RawWindow,
};
use store::{Store, StoreError, write};

/// The widest `near` radius: a bounded search, as every list is bounded.
pub const MAX_RADIUS_KM: f64 = 500.0;

/// What an opening offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum OpeningKind {
    #[allow(missing_docs)]
    Tutoring,
    #[allow(missing_docs)]
    Mentoring,
    #[allow(missing_docs)]
    Internship,
}

impl OpeningKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OpeningKind::Tutoring => "TUTORING",
            OpeningKind::Mentoring => "MENTORING",
            OpeningKind::Internship => "INTERNSHIP",
        }
    }

    fn parse(text: &str) -> Option<OpeningKind> {
        [OpeningKind::Tutoring, OpeningKind::Mentoring, OpeningKind::Internship]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

impl From<OpeningKind> for Kind {
    fn from(kind: OpeningKind) -> Kind {
        match kind {
            OpeningKind::Tutoring => Kind::Tutoring,
            OpeningKind::Mentoring => Kind::Mentoring,
            OpeningKind::Internship => Kind::Internship,
        }
    }
}

impl From<Kind> for OpeningKind {
    fn from(kind: Kind) -> OpeningKind {
        match kind {
            Kind::Tutoring => OpeningKind::Tutoring,
            Kind::Mentoring => OpeningKind::Mentoring,
            Kind::Internship => OpeningKind::Internship,
        }
    }
}

/// What kind of organisation or person a partner is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "PartnerKind")]
pub enum PartnerKindValue {
    #[allow(missing_docs)]
    Business,
    #[allow(missing_docs)]
    Nonprofit,
    #[allow(missing_docs)]
    University,
    #[allow(missing_docs)]
    Government,
    #[allow(missing_docs)]
    FaithBased,
    #[allow(missing_docs)]
    Family,
    #[allow(missing_docs)]
    CommunityMember,
}

impl From<PartnerKind> for PartnerKindValue {
    fn from(kind: PartnerKind) -> PartnerKindValue {
        match kind {
            PartnerKind::Business => PartnerKindValue::Business,
            PartnerKind::Nonprofit => PartnerKindValue::Nonprofit,
            PartnerKind::University => PartnerKindValue::University,
            PartnerKind::Government => PartnerKindValue::Government,
            PartnerKind::FaithBased => PartnerKindValue::FaithBased,
            PartnerKind::Family => PartnerKindValue::Family,
            PartnerKind::CommunityMember => PartnerKindValue::CommunityMember,
        }
    }
}

impl From<PartnerKindValue> for PartnerKind {
    fn from(kind: PartnerKindValue) -> PartnerKind {
        match kind {
            PartnerKindValue::Business => PartnerKind::Business,
            PartnerKindValue::Nonprofit => PartnerKind::Nonprofit,
            PartnerKindValue::University => PartnerKind::University,
            PartnerKindValue::Government => PartnerKind::Government,
            PartnerKindValue::FaithBased => PartnerKind::FaithBased,
            PartnerKindValue::Family => PartnerKind::Family,
            PartnerKindValue::CommunityMember => PartnerKind::CommunityMember,
        }
    }
}

/// Whether a partner takes part; an inactive partner's openings are not matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "PartnerStatus")]
pub enum PartnerStatusValue {
    #[allow(missing_docs)]
    Active,
    #[allow(missing_docs)]
    Inactive,
}

impl From<PartnerStatus> for PartnerStatusValue {
    fn from(status: PartnerStatus) -> PartnerStatusValue {
        match status {
            PartnerStatus::Active => PartnerStatusValue::Active,
            PartnerStatus::Inactive => PartnerStatusValue::Inactive,
        }
    }
}

impl From<PartnerStatusValue> for PartnerStatus {
    fn from(status: PartnerStatusValue) -> PartnerStatus {
        match status {
            PartnerStatusValue::Active => PartnerStatus::Active,
            PartnerStatusValue::Inactive => PartnerStatus::Inactive,
        }
    }
}

/// Coordinates in degrees.
#[derive(Clone, Copy, Debug, SimpleObject)]
pub struct Place {
    #[allow(missing_docs)]
    pub lat: f64,
    #[allow(missing_docs)]
    pub lon: f64,
}

/// A weekly window: `day` is `MON`…`SUN`, `start`/`end` are `HH:MM`.
#[derive(Clone, Debug, SimpleObject)]
pub struct WeeklyWindow {
    #[allow(missing_docs)]
    pub day: String,
    #[allow(missing_docs)]
    pub start: String,
    #[allow(missing_docs)]
    pub end: String,
}

impl From<&RawWindow> for WeeklyWindow {
    fn from(window: &RawWindow) -> WeeklyWindow {
        WeeklyWindow { day: window.day.clone(), start: window.start.clone(), end: window.end.clone() }
    }
}

/// Loads partners by id, many at once.
pub struct PartnerLoader(Store);

impl Loader<String> for PartnerLoader {
    type Value = Partner;
    type Error = ApiError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Partner>, ApiError> {
        catalog::partners_by_id(self.0.db(), keys).await.map_err(ApiError::from)
    }
}

type Partners = Arc<DataLoader<PartnerLoader>>;

/// Longest a partner batch waits for keys that never come (a fallback only).
const BATCH_FALLBACK: Duration = Duration::from_millis(20);

/// A loader for the openings of one page, which name `n_partners` distinct
/// partners. The batch goes out as soon as all of them are asked for: a timing
/// window alone (the engine resolves a long list in several passes, yielding in
/// between) could split a page into several batches under load.
fn partner_loader(store: &Store, n_partners: usize) -> Partners {
    let loader = DataLoader::new(PartnerLoader(store.clone()), tokio::spawn)
        .max_batch_size(n_partners.max(1))
        .delay(BATCH_FALLBACK);
    Arc::new(loader)
}

/// A partner.
pub struct PartnerNode(Partner);

#[Object(name = "Partner")]
impl PartnerNode {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn kind(&self) -> PartnerKindValue {
        self.0.kind.into()
    }

    /// Not for students.
    async fn status(&self, ctx: &Context<'_>) -> ApiResult<PartnerStatusValue> {
        Access::of(ctx)?.partner_private(&self.0.id)?;
        Ok(self.0.status.into())
    }

    /// Not for students.
    async fn contact_name(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Access::of(ctx)?.partner_private(&self.0.id)?;
        Ok(self.0.contact_name.as_deref())
    }

    /// Not for students.
    async fn contact_email(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Access::of(ctx)?.partner_private(&self.0.id)?;
        Ok(self.0.contact_email.as_deref())
    }

    /// Not for students.
    async fn contact_phone(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Access::of(ctx)?.partner_private(&self.0.id)?;
        Ok(self.0.contact_phone.as_deref())
    }

    /// The partner's MOUs, by start date. Not for students.
    async fn agreements(&self, ctx: &Context<'_>) -> ApiResult<Vec<AgreementNode>> {
        Access::of(ctx)?.partner_private(&self.0.id)?;
        let rows = read::agreements_of(store(ctx)?.db(), &self.0.id).await?;
        Ok(rows.into_iter().map(AgreementNode).collect())
    }

    /// The partner's openings, by id.
    #[graphql(complexity = "crate::graphql::connection::cost(first, child_complexity)")]
    async fn openings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<OpeningNode>> {
        let access = Access::of(ctx)?;
        let window = Window::new(first, after)?;
        let filter = OpeningFilter { partner_id: Some(self.0.id.clone()), ..OpeningFilter::default() };
        Ok(opening_list(ctx, &access, &window, filter).await?)
    }
}

/// An MOU between a partner and the district (no school) or one school.
pub struct AgreementNode(Agreement);

#[Object(name = "Agreement")]
impl AgreementNode {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<PartnerNode> {
        Access::of(ctx)?.read_partner(&self.0.partner_id)?;
        let partner = read::partner(store(ctx)?.db(), &self.0.partner_id).await?;
        Ok(PartnerNode(partner))
    }

    /// Absent: the agreement covers the whole district.
    async fn school_id(&self) -> Option<ID> {
        self.0.school_id.clone().map(ID)
    }

    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }

    /// Absent: open-ended.
    async fn ends_on(&self) -> Option<NaiveDate> {
        self.0.ends_on
    }

    async fn signed_on(&self) -> Option<NaiveDate> {
        self.0.signed_on
    }

    /// Whether student data may be shared with the partner; matching needs it.
    async fn data_sharing(&self) -> bool {
        self.0.data_sharing
    }

    async fn terms(&self) -> Option<&str> {
        self.0.terms.as_deref()
    }
}

/// Something a partner offers to students.
pub struct OpeningNode {
    stored: StoredOpening,
    partners: Partners,
}

impl OpeningNode {
    /// An opening read from `store` (its partner loads on demand).
    pub(crate) fn new(store: &Store, stored: StoredOpening) -> OpeningNode {
        OpeningNode { stored, partners: partner_loader(store, 1) }
    }

    fn raw(&self) -> &RawOpening {
        &self.stored.opening.matching
    }
}

#[Object(name = "Opening")]
impl OpeningNode {
    async fn id(&self) -> ID {
        ID(self.raw().id.clone())
    }

    /// Loaded together with the partners of the other openings of the page.
    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<PartnerNode> {
        let partner_id = &self.raw().partner_id;
        Access::of(ctx)?.read_opening(partner_id)?;
        match self.partners.load_one(partner_id.clone()).await? {
            Some(partner) => Ok(PartnerNode(partner)),
            None => Err(ApiError::new(Code::NotFound, format!("partner {partner_id} does not exist"))),
        }
    }

    async fn kind(&self) -> ApiResult<OpeningKind> {
        OpeningKind::parse(&self.raw().kind)
            .ok_or_else(|| ApiError::internal("a stored opening has an unknown kind"))
    }

    /// A short human title.
    async fn title(&self) -> Option<&str> {
        self.stored.opening.title.as_deref()
    }

    /// Subjects or fields.
    async fn subjects(&self) -> &[String] {
        &self.raw().subjects
    }

    /// ISO 639-1 codes.
    async fn languages(&self) -> &[String] {
        &self.raw().languages
    }

    /// Whether it takes place online (and has no place then).
    #[graphql(name = "virtual")]
    async fn is_virtual(&self) -> bool {
        self.raw().r#virtual.unwrap_or(false)
    }

    async fn place(&self) -> Option<Place> {
        self.raw().place.map(|place| Place { lat: place.lat, lon: place.lon })
    }

    /// Students within this distance can be picked up by the partner.
    async fn pickup_radius_km(&self) -> Option<f64> {
        self.raw().pickup_radius_km
    }

    /// Weekly windows in which sessions can take place.
    async fn schedule(&self) -> Vec<WeeklyWindow> {
        self.raw().schedule.iter().map(WeeklyWindow::from).collect()
    }

    async fn session_minutes(&self) -> i64 {
        self.raw().session_minutes
    }

    async fn sessions_per_week(&self) -> i64 {
        self.raw().sessions_per_week.unwrap_or(1)
    }

    /// Students it can take at once.
    async fn capacity(&self) -> i64 {
        self.raw().capacity
    }

    /// Slots not held by an open match.
    async fn free_slots(&self) -> i64 {
        (self.raw().capacity - i64::from(self.stored.filled)).max(0)
    }

    async fn min_grade(&self) -> i64 {
        self.raw().min_grade.unwrap_or(0)
    }

    async fn max_grade(&self) -> i64 {
        self.raw().max_grade.unwrap_or(12)
    }

    async fn min_age(&self) -> Option<i64> {
        self.raw().min_age
    }
}

/// Which partners `partners` lists.
#[derive(Clone, Debug, Default, InputObject)]
#[graphql(name = "PartnerFilter")]
pub struct PartnerFilterInput {
    kind: Option<PartnerKindValue>,
    status: Option<PartnerStatusValue>,
}

/// A point and a radius.
#[derive(Clone, Copy, Debug, InputObject)]
#[graphql(name = "NearInput")]
pub struct NearInput {
    /// Degrees, -90 to 90.
    lat: f64,
    /// Degrees, -180 to 180.
    lon: f64,
    /// Kilometres, 0 to 500.
    radius_km: f64,
}

/// Which openings `openings` lists; every condition given must hold.
#[derive(Clone, Debug, Default, InputObject)]
#[graphql(name = "OpeningFilter")]
pub struct OpeningFilterInput {
    kind: Option<OpeningKind>,
    /// Openings listing this subject.
    subject: Option<String>,
    /// Openings offering this language.
    language: Option<String>,
    /// In-person openings whose place lies within `radiusKm` of the point (haversine).
    near: Option<NearInput>,
    /// `true`: a free slot left; `false`: full.
    has_capacity: Option<bool>,
    partner_id: Option<ID>,
}

impl OpeningFilterInput {
    fn parse(self) -> Result<OpeningFilter, ApiError> {
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

fn parse_near(near: NearInput) -> Result<Near, ApiError> {
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

/// A partner, as created or replaced.
#[derive(Clone, Debug, InputObject)]
pub struct PartnerInput {
    /// On update, the same id as the argument: ids do not change.
    id: ID,
    name: String,
    kind: PartnerKindValue,
    /// Default `ACTIVE`.
    status: Option<PartnerStatusValue>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
}

impl PartnerInput {
    fn into_record(self) -> Partner {
        Partner {
            id: self.id.0,
            name: self.name,
            kind: self.kind.into(),
            status: self.status.map_or(PartnerStatus::Active, PartnerStatus::from),
            contact_name: self.contact_name,
            contact_email: self.contact_email,
            contact_phone: self.contact_phone,
        }
    }
}

/// An MOU, as created.
#[derive(Clone, Debug, InputObject)]
pub struct AgreementInput {
    id: ID,
    partner_id: ID,
    /// Absent: the whole district.
    school_id: Option<ID>,
    starts_on: NaiveDate,
    /// Absent: open-ended.
    ends_on: Option<NaiveDate>,
    signed_on: Option<NaiveDate>,
    data_sharing: bool,
    terms: Option<String>,
}

/// Coordinates in degrees.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct PlaceInput {
    lat: f64,
    lon: f64,
}

/// A weekly window: `day` `MON`…`SUN`, `start`/`end` `HH:MM`.
#[derive(Clone, Debug, InputObject)]
pub struct WeeklyWindowInput {
    day: String,
    start: String,
    end: String,
}

/// When a host's background check was cleared and when it expires.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct BackgroundCheckInput {
    cleared_on: Option<NaiveDate>,
    expires_on: Option<NaiveDate>,
}

/// An opening, as created or replaced (MATCHING.md's opening fields).
#[derive(Clone, Debug, InputObject)]
pub struct OpeningInput {
    /// On update, the same id as the argument: ids do not change.
    id: ID,
    partner_id: ID,
    kind: OpeningKind,
    title: Option<String>,
    subjects: Vec<String>,
    languages: Vec<String>,
    /// Default false; an in-person opening needs a `place`.
    #[graphql(name = "virtual")]
    is_virtual: Option<bool>,
    place: Option<PlaceInput>,
    pickup_radius_km: Option<f64>,
    schedule: Vec<WeeklyWindowInput>,
    session_minutes: i32,
    /// Default 1.
    sessions_per_week: Option<i32>,
    capacity: i32,
    /// Default 0.
    min_grade: Option<i32>,
    /// Default 12.
    max_grade: Option<i32>,
    min_age: Option<i32>,
    background_check: Option<BackgroundCheckInput>,
}

impl OpeningInput {
    fn into_record(self) -> Opening {
        let matching = RawOpening {
            id: self.id.0,
            partner_id: self.partner_id.0,
            kind: self.kind.as_str().to_owned(),
            subjects: self.subjects,
            languages: self.languages,
            r#virtual: Some(self.is_virtual.unwrap_or(false)),
            place: self.place.map(|place| RawPlace { lat: place.lat, lon: place.lon }),
            pickup_radius_km: self.pickup_radius_km,
            schedule: self
                .schedule
                .into_iter()
                .map(|w| RawWindow { day: w.day, start: w.start, end: w.end })
                .collect(),
            session_minutes: i64::from(self.session_minutes),
            sessions_per_week: Some(i64::from(self.sessions_per_week.unwrap_or(1))),
            capacity: i64::from(self.capacity),
            min_grade: self.min_grade.map(i64::from),
            max_grade: self.max_grade.map(i64::from),
            min_age: self.min_age.map(i64::from),
            background_check: self.background_check.map(|check| RawBackgroundCheck {
                cleared_on: check.cleared_on.map(|d| d.to_string()),
                expires_on: check.expires_on.map(|d| d.to_string()),
            }),
        };
        Opening { title: self.title, matching }
    }
}

/// Reads of partners, agreements and openings.
#[derive(Default)]
pub struct RecordsQuery;

#[Object]
impl RecordsQuery {
    /// Partners by id; a partner sees only itself.
    #[graphql(complexity = "crate::graphql::connection::cost(first, child_complexity)")]
    async fn partners(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<PartnerFilterInput>,
    ) -> ApiResult<Page<PartnerNode>> {
        let access = Access::of(ctx)?;
        let window = Window::new(first, after)?;
        let filter = filter.unwrap_or_default();
        let only = match access.partners() {
            Rows::All => None,
            Rows::Own(id) => Some(id),
            Rows::MatchedTo(_) | Rows::Nothing => return Ok(window.page(Vec::new(), 0, partner_id)),
        };
        let filter = PartnerFilter {
            only,
            kind: filter.kind.map(PartnerKind::from),
            status: filter.status.map(PartnerStatus::from),
        };
        let slice =
            catalog::partner_page(store(ctx)?.db(), &filter, window.after.as_deref(), window.fetch()).await?;
        let rows = slice.rows.into_iter().map(PartnerNode).collect();
        Ok(window.page(rows, slice.total, partner_id))
    }

    /// One partner; null when there is none or it is another partner's (to a partner).
    async fn partner(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<PartnerNode>> {
        if Access::of(ctx)?.read_partner(&id).is_err() {
            return Ok(None);
        }
        match read::partner(store(ctx)?.db(), &id).await {
            Ok(partner) => Ok(Some(PartnerNode(partner))),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(err) => Err(ApiError::from(err)),
        }
    }

    /// Openings by id; a partner sees only its own.
    #[graphql(complexity = "crate::graphql::connection::cost(first, child_complexity)")]
    async fn openings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<OpeningFilterInput>,
    ) -> ApiResult<Page<OpeningNode>> {
        let access = Access::of(ctx)?;
        let window = Window::new(first, after)?;
        let filter = filter.unwrap_or_default().parse()?;
        Ok(opening_list(ctx, &access, &window, filter).await?)
    }

    /// One opening; null when there is none or it is another partner's (to a partner).
    async fn opening(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<OpeningNode>> {
        let access = Access::of(ctx)?;
        let store = store(ctx)?;
        let stored = match read::opening(store.db(), &id).await {
            Ok(stored) => stored,
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(err) => return Err(ApiError::from(err)),
        };
        if access.read_opening(&stored.opening.matching.partner_id).is_err() {
            return Ok(None);
        }
        Ok(Some(OpeningNode { stored, partners: partner_loader(store, 1) }))
    }
}

/// Writes of partners, agreements and openings.
#[derive(Default)]
pub struct RecordsMutation;

#[Object]
impl RecordsMutation {
    /// A new partner (ADMIN).
    async fn create_partner(&self, ctx: &Context<'_>, input: PartnerInput) -> ApiResult<PartnerNode> {
        let access = Access::of(ctx)?;
        access.write_partner()?;
        let partner = input.into_record();
        let txn = store(ctx)?.write().await?;
        if catalog::partner_exists(&txn, &partner.id).await? {
            return Err(conflict("partner", &partner.id));
        }
        let now = Utc::now();
        write::save_partners(&txn, std::slice::from_ref(&partner), now).await.map_err(in_input)?;
        // A writer that created the same id since the check above made this save an
        // update: refuse, and the rollback restores its row.
        if !catalog::partner_is_new(&txn, &partner.id).await? {
            return Err(conflict("partner", &partner.id));
        }
        audited(&txn, &access, "create", "partner", &partner.id, now).await?;
        commit(txn).await?;
        Ok(PartnerNode(partner))
    }

    /// Replaces a partner's fields (ADMIN).
    async fn update_partner(&self, ctx: &Context<'_>, id: ID, input: PartnerInput) -> ApiResult<PartnerNode> {
        let access = Access::of(ctx)?;
        access.write_partner()?;
        same_id(&id, &input.id)?;
        let partner = input.into_record();
        let txn = store(ctx)?.write().await?;
        if !catalog::partner_exists(&txn, &partner.id).await? {
            return Err(ApiError::from(StoreError::not_found("partner", partner.id)));
        }
        let now = Utc::now();
        write::save_partners(&txn, std::slice::from_ref(&partner), now).await.map_err(in_input)?;
        audited(&txn, &access, "update", "partner", &partner.id, now).await?;
        commit(txn).await?;
        Ok(PartnerNode(partner))
    }

    /// A new agreement of an existing partner (ADMIN).
    async fn create_agreement(&self, ctx: &Context<'_>, input: AgreementInput) -> ApiResult<AgreementNode> {
        let access = Access::of(ctx)?;
        access.write_partner()?;
        let agreement = Agreement {
            id: input.id.0,
            partner_id: input.partner_id.0,
            school_id: input.school_id.map(|id| id.0),
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            signed_on: input.signed_on,
            data_sharing: input.data_sharing,
            terms: input.terms,
        };
        let txn = store(ctx)?.write().await?;
        if catalog::agreement_exists(&txn, &agreement.id).await? {
            return Err(conflict("agreement", &agreement.id));
        }
        if !catalog::partner_exists(&txn, &agreement.partner_id).await? {
            return Err(unknown("input.partnerId", "partner", &agreement.partner_id));
        }
        if let Some(school_id) = &agreement.school_id
            && !catalog::school_exists(&txn, school_id).await?
        {
            return Err(unknown("input.schoolId", "school", school_id));
        }
        write::create_agreements(&txn, std::slice::from_ref(&agreement)).await.map_err(in_input)?;
        let now = Utc::now();
        audited(&txn, &access, "create", "agreement", &agreement.id, now).await?;
        commit(txn).await?;
        Ok(AgreementNode(agreement))
    }

    /// A new opening (ADMIN, or the partner it belongs to; only ADMIN gives it a
    /// background check).
    async fn create_opening(&self, ctx: &Context<'_>, input: OpeningInput) -> ApiResult<OpeningNode> {
        let access = Access::of(ctx)?;
        if input.background_check.is_some() {
            access.set_background_check()?;
        }
        let opening = input.into_record();
        let (id, partner_id) = (&opening.matching.id, &opening.matching.partner_id);
        access.write_opening(partner_id)?;
        let store = store(ctx)?;
        let txn = store.write().await?;
        if catalog::opening_exists(&txn, id).await? {
            return Err(conflict("opening", id));
        }
        if !catalog::partner_exists(&txn, partner_id).await? {
            return Err(unknown("input.partnerId", "partner", partner_id));
        }
        let now = Utc::now();
        write::save_openings(&txn, std::slice::from_ref(&opening), now).await.map_err(in_input)?;
        audited(&txn, &access, "create", "opening", id, now).await?;
        let stored = read::opening(&txn, id).await?;
        // A writer that created the same id since the check above made this save an
        // update (the version moved on): refuse, and the rollback restores its row.
        if stored.version != 0 {
            return Err(conflict("opening", id));
        }
        commit(txn).await?;
        Ok(OpeningNode { stored, partners: partner_loader(store, 1) })
    }

    /// Replaces an opening's fields (ADMIN, or the partner it belongs to). Capacity
    /// may not drop below the slots already taken. The background check is set by
    /// ADMIN only (FORBIDDEN for a partner); left out, the one on file is kept.
    async fn update_opening(&self, ctx: &Context<'_>, id: ID, input: OpeningInput) -> ApiResult<OpeningNode> {
        let access = Access::of(ctx)?;
        same_id(&id, &input.id)?;
        if input.background_check.is_some() {
            access.set_background_check()?;
        }
        let mut opening = input.into_record();
        let partner_id = &opening.matching.partner_id;
        access.write_opening(partner_id)?;
        let store = store(ctx)?;
        let txn = store.write().await?;
        let before = read::opening(&txn, &id).await?;
        access.write_opening(&before.opening.matching.partner_id)?;
        if *partner_id != before.opening.matching.partner_id
            && !catalog::partner_exists(&txn, partner_id).await?
        {
            return Err(unknown("input.partnerId", "partner", partner_id));
        }
        if opening.matching.capacity < i64::from(before.filled) {
            return Err(ApiError::new(
                Code::Conflict,
                format!(
                    "capacity {} is below the {} slots already taken",
                    opening.matching.capacity, before.filled
                ),
            ));
        }
        // Only ADMIN sets a clearance; an edit that leaves it out keeps the one on file.
        if opening.matching.background_check.is_none() {
            opening.matching.background_check = before.opening.matching.background_check.clone();
        }
        let now = Utc::now();
        write::save_openings(&txn, std::slice::from_ref(&opening), now).await.map_err(in_input)?;
        audited(&txn, &access, "update", "opening", &id, now).await?;
        let stored = read::opening(&txn, &id).await?;
        commit(txn).await?;
        Ok(OpeningNode { stored, partners: partner_loader(store, 1) })
    }
}

/// One page of openings the viewer may see, their partners loaded together.
async fn opening_list(
    ctx: &Context<'_>,
    access: &Access<'_>,
    window: &Window,
    mut filter: OpeningFilter,
) -> Result<Page<OpeningNode>, ApiError> {
    match access.openings() {
        Rows::All => {}
        Rows::Own(partner_id) => filter.only_partner = Some(partner_id),
        Rows::MatchedTo(_) | Rows::Nothing => return Ok(window.page(Vec::new(), 0, opening_id)),
    }
    let store = store(ctx)?;
    let slice = catalog::opening_page(store.db(), &filter, window.after.as_deref(), window.fetch()).await?;
    let n_partners = slice
        .rows
        .iter()
        .take(window.first as usize)
        .map(|stored| stored.opening.matching.partner_id.as_str())
        .collect::<HashSet<_>>()
        .len();
    let partners = partner_loader(store, n_partners);
    let rows =
        slice.rows.into_iter().map(|stored| OpeningNode { stored, partners: partners.clone() }).collect();
    Ok(window.page(rows, slice.total, opening_id))
}

fn partner_id(node: &PartnerNode) -> &str {
    &node.0.id
}

fn opening_id(node: &OpeningNode) -> &str {
    &node.stored.opening.matching.id
}

/// A store error about the mutation's input, its field named from `input`.
fn in_input(err: StoreError) -> ApiError {
    match err {
        StoreError::Invalid { field, message } if field == "$" => ApiError::bad_input("input", message),
        StoreError::Invalid { field, message } => ApiError::bad_input(format!("input.{field}"), message),
        other => ApiError::from(other),
    }
}

fn same_id(id: &ID, input_id: &ID) -> Result<(), ApiError> {
    if id == input_id {
        Ok(())
    } else {
        Err(ApiError::bad_input("input.id", "must equal id: ids do not change"))
    }
}

fn conflict(entity: &str, id: &str) -> ApiError {
    ApiError::new(Code::Conflict, format!("{entity} {id} already exists"))
}

fn unknown(field: &str, entity: &str, id: &str) -> ApiError {
    ApiError::bad_input(field, format!("{entity} {id} does not exist"))
}
