//! `createPartner`, `updatePartner`, `createAgreement`, `createOpening`,
//! `updateOpening`.

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use store::records::Agreement;
use store::{StoreError, catalog, read, write};

use crate::graphql::access::Access;
use crate::graphql::error::{ApiError, ApiResult, Code};
use crate::graphql::mutation::in_input;
use crate::graphql::types::opening::{OpeningInput, OpeningNode};
use crate::graphql::types::partner::{
    AgreementInput, AgreementNode, PartnerInput, PartnerNode, partner_loader,
};
use crate::graphql::{audited, commit, store};

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

pub(crate) fn same_id(id: &ID, input_id: &ID) -> Result<(), ApiError> {
    if id == input_id {
        Ok(())
    } else {
        Err(ApiError::bad_input("input.id", "must equal id: ids do not change"))
    }
}

pub(crate) fn conflict(entity: &str, id: &str) -> ApiError {
    ApiError::new(Code::Conflict, format!("{entity} {id} already exists"))
}

pub(crate) fn unknown(field: &str, entity: &str, id: &str) -> ApiError {
    ApiError::bad_input(field, format!("{entity} {id} does not exist"))
}
