//! `Partner` and `Agreement`, their inputs and filter, and where an opening's
//! partner comes from (a page's partners are read together, in one statement).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::NaiveDate;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use store::Store;
use store::catalog::{self, OpeningFilter};
use store::read::{self, PartnerRead};
use store::records::{Agreement, Partner, PartnerKind, PartnerStatus};

use crate::graphql::access::Access;
use crate::graphql::connection::{Page, Window};
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::store;
use crate::graphql::types::common::{nullable, required};
use crate::graphql::types::enums::{PartnerKindValue, PartnerStatusValue};
use crate::graphql::types::opening::{OpeningNode, OpeningOrder, opening_list};

/// Where an opening's partner comes from.
#[derive(Clone)]
pub(crate) enum Partners {
    /// The partners of a page, read with its rows (in their statement, or in one of
    /// their own) before its nodes resolve, when the query selects them: a page
    /// costs the same statements however long it is and no batch depends on timing.
    Page(Arc<HashMap<String, PartnerRead>>),
    /// Read when asked: an opening on its own.
    OnDemand(Store),
}

impl Partners {
    /// An opening's partner read on demand from `store`.
    pub(crate) fn on_demand(store: &Store) -> Partners {
        Partners::OnDemand(store.clone())
    }

    pub(crate) async fn get(&self, id: &str) -> Result<Option<PartnerRead>, ApiError> {
        match self {
            Partners::Page(page) => Ok(page.get(id).cloned()),
            Partners::OnDemand(store) => Ok(catalog::partners_by_id(store.db(), &[id.to_owned()])
                .await?
                .remove(id)
                .map(PartnerRead::Whole)),
        }
    }
}

/// A partner: whole, or the head a page of openings read when its look-ahead saw
/// only [`PARTNER_HEAD_FIELDS`] (the rest is read when asked, so a wrong look-ahead
/// costs a statement, never a wrong answer).
pub struct PartnerNode(pub(crate) PartnerRead);

/// The fields of a partner its head answers ([`read::PartnerHead`]).
pub(crate) const PARTNER_HEAD_FIELDS: [&str; 4] = ["__typename", "id", "name", "kind"];

impl PartnerNode {
    /// A partner read whole.
    pub(crate) fn whole(partner: Partner) -> PartnerNode {
        PartnerNode(PartnerRead::Whole(partner))
    }

    /// Every column of the partner, for a viewer allowed its private fields: as
    /// read, or read now.
    async fn private(&self, ctx: &Context<'_>) -> ApiResult<Cow<'_, Partner>> {
        Access::of(ctx)?.partner_private(self.0.id())?;
        match &self.0 {
            PartnerRead::Whole(partner) => Ok(Cow::Borrowed(partner)),
            PartnerRead::Head(head) => Ok(Cow::Owned(read::partner(store(ctx)?.db(), &head.id).await?)),
        }
    }
}

#[Object(name = "Partner")]
impl PartnerNode {
    pub(crate) async fn id(&self) -> ID {
        ID(self.0.id().to_owned())
    }

    pub(crate) async fn name(&self) -> &str {
        self.0.name()
    }

    pub(crate) async fn kind(&self) -> PartnerKindValue {
        self.0.kind().into()
    }

    /// Not for students.
    pub(crate) async fn status(&self, ctx: &Context<'_>) -> ApiResult<PartnerStatusValue> {
        Ok(self.private(ctx).await?.status.into())
    }

    /// Not for students.
    pub(crate) async fn contact_name(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        Ok(self.private(ctx).await?.contact_name.clone())
    }

    /// Not for students.
    pub(crate) async fn contact_email(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        Ok(self.private(ctx).await?.contact_email.clone())
    }

    /// Not for students.
    pub(crate) async fn contact_phone(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        Ok(self.private(ctx).await?.contact_phone.clone())
    }

    /// The partner's MOUs, by start date. Not for students.
    pub(crate) async fn agreements(&self, ctx: &Context<'_>) -> ApiResult<Vec<AgreementNode>> {
        Access::of(ctx)?.partner_private(self.0.id())?;
        let rows = read::agreements_of(store(ctx)?.db(), self.0.id()).await?;
        Ok(rows.into_iter().map(AgreementNode).collect())
    }

    /// The partner's openings, oldest record first unless `orderBy` says otherwise.
    #[graphql(complexity = "crate::graphql::connection::cost(first.or(last), child_complexity)")]
    pub(crate) async fn openings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<OpeningOrder>,
    ) -> ApiResult<Page<OpeningNode>> {
        let access = Access::of(ctx)?;
        let window = Window::either(first, after, last, before)?;
        let filter = OpeningFilter { partner_id: Some(self.0.id().to_owned()), ..OpeningFilter::default() };
        Ok(opening_list(ctx, &access, &window, filter, order_by.unwrap_or_default()).await?)
    }
}

/// An MOU between a partner and the district (no school) or one school.
pub struct AgreementNode(pub(crate) Agreement);

#[Object(name = "Agreement")]
impl AgreementNode {
    pub(crate) async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    pub(crate) async fn partner(&self, ctx: &Context<'_>) -> ApiResult<PartnerNode> {
        Access::of(ctx)?.read_partner(&self.0.partner_id)?;
        let partner = read::partner(store(ctx)?.db(), &self.0.partner_id).await?;
        Ok(PartnerNode::whole(partner))
    }

    /// Absent: the agreement covers the whole district.
    pub(crate) async fn school_id(&self) -> Option<ID> {
        self.0.school_id.clone().map(ID)
    }

    pub(crate) async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }

    /// Absent: open-ended.
    pub(crate) async fn ends_on(&self) -> Option<NaiveDate> {
        self.0.ends_on
    }

    pub(crate) async fn signed_on(&self) -> Option<NaiveDate> {
        self.0.signed_on
    }

    /// Whether student data may be shared with the partner; matching needs it.
    pub(crate) async fn data_sharing(&self) -> bool {
        self.0.data_sharing
    }

    pub(crate) async fn terms(&self) -> Option<&str> {
        self.0.terms.as_deref()
    }
}

/// Which partners `partners` lists.
#[derive(Clone, Debug, Default, InputObject)]
#[graphql(name = "PartnerFilter")]
pub struct PartnerFilterInput {
    pub(crate) kind: Option<PartnerKindValue>,
    pub(crate) status: Option<PartnerStatusValue>,
}

/// Changes to a partner: an absent field stays as it is, `null` clears a contact.
#[derive(Clone, Debug, Default, InputObject)]
pub struct PartnerPatch {
    pub(crate) name: MaybeUndefined<String>,
    pub(crate) kind: MaybeUndefined<PartnerKindValue>,
    /// An inactive partner's openings are not matched.
    pub(crate) status: MaybeUndefined<PartnerStatusValue>,
    /// `null` clears it.
    pub(crate) contact_name: MaybeUndefined<String>,
    /// `null` clears it.
    pub(crate) contact_email: MaybeUndefined<String>,
    /// `null` clears it.
    pub(crate) contact_phone: MaybeUndefined<String>,
}

impl PartnerPatch {
    /// `before` with the patch applied, and the fields it gave; or one error per
    /// field that may not be null but was.
    pub(crate) fn apply(self, before: &Partner) -> Result<(Partner, Vec<&'static str>), Vec<ApiError>> {
        let mut errors = Vec::new();
        let mut after = before.clone();
        let mut changed = Vec::new();
        macro_rules! set {
            ($name:literal, $slot:expr, $value:expr) => {
                if let Some(value) = $value {
                    $slot = value;
                    changed.push($name);
                }
            };
        }
        set!("name", after.name, required("name", self.name, &mut errors));
        set!("kind", after.kind, required("kind", self.kind, &mut errors).map(PartnerKind::from));
        set!("status", after.status, required("status", self.status, &mut errors).map(PartnerStatus::from));
        set!("contactName", after.contact_name, nullable(self.contact_name));
        set!("contactEmail", after.contact_email, nullable(self.contact_email));
        set!("contactPhone", after.contact_phone, nullable(self.contact_phone));
        if errors.is_empty() { Ok((after, changed)) } else { Err(errors) }
    }
}

/// A partner, as created or replaced.
#[derive(Clone, Debug, InputObject)]
pub struct PartnerInput {
    /// On update, the same id as the argument: ids do not change.
    pub(crate) id: ID,
    pub(crate) name: String,
    pub(crate) kind: PartnerKindValue,
    /// Default `ACTIVE`.
    pub(crate) status: Option<PartnerStatusValue>,
    pub(crate) contact_name: Option<String>,
    pub(crate) contact_email: Option<String>,
    pub(crate) contact_phone: Option<String>,
}

impl PartnerInput {
    pub(crate) fn into_record(self) -> Partner {
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
    pub(crate) id: ID,
    pub(crate) partner_id: ID,
    /// Absent: the whole district.
    pub(crate) school_id: Option<ID>,
    pub(crate) starts_on: NaiveDate,
    /// Absent: open-ended.
    pub(crate) ends_on: Option<NaiveDate>,
    pub(crate) signed_on: Option<NaiveDate>,
    pub(crate) data_sharing: bool,
    pub(crate) terms: Option<String>,
}

pub(crate) fn partner_id(node: &PartnerNode) -> &str {
    node.0.id()
}
