//! `createPartner`, `updatePartner`, `createAgreement`, `createOpening`,
//! `updateOpening`.

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use matcher::validate::RawOpening;
use store::matches::{self, MatchFilter};
use store::records::{Agreement, MatchStatus, OpeningStatus};
use store::{StoreError, catalog, read, strand, write};

use crate::graphql::access::Access;
use crate::graphql::error::{ApiError, ApiResult, Code, all_of};
use crate::graphql::mutation::in_input;
use crate::graphql::types::opening::{OpeningInput, OpeningNode, OpeningPatch};
use crate::graphql::types::partner::{
    AgreementInput, AgreementNode, PartnerInput, PartnerNode, PartnerPatch, Partners,
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
        Ok(PartnerNode::whole(partner))
    }

    /// Changes a partner (ADMIN): fields left out stay as they are.
    async fn update_partner(&self, ctx: &Context<'_>, id: ID, input: PartnerPatch) -> ApiResult<PartnerNode> {
        let access = Access::of(ctx)?;
        access.write_partner()?;
        let txn = store(ctx)?.write().await?;
        let before = match read::partner(&txn, &id).await {
            Ok(before) => before,
            Err(StoreError::NotFound { .. }) => {
                return Err(ApiError::new(Code::NotFound, format!("partner {} does not exist", id.as_str())));
            }
            Err(err) => return Err(err.into()),
        };
        let (partner, changed) = input.apply(&before).map_err(|errors| all_of(ctx, errors))?;
        let now = Utc::now();
        write::save_partners(&txn, std::slice::from_ref(&partner), now).await.map_err(in_input)?;
        let detail = serde_json::json!({ "changed": changed });
        write::audit(&txn, &access.actor(), "update", "partner", &partner.id, Some(detail), now).await?;
        commit(txn).await?;
        Ok(PartnerNode::whole(partner))
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
        let (title, raw) = input.into_raw();
        access.write_opening(&raw.partner_id, None)?;
        let opening = refuse_unmatchable(ctx, title, &raw)?;
        let (id, partner_id) = (&opening.matching.id, &opening.matching.partner_id);
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
        Ok(OpeningNode { stored, partners: Partners::on_demand(store) })
    }

    /// Changes an opening (ADMIN, or the partner it belongs to): fields left out
    /// stay as they are. An edit that would strand an open match — a new kind, a
    /// capacity below the open matches, or an open match no longer feasible (its
    /// sessions outside the schedule, no shared language, out of reach, outside the
    /// grades, the clearance gone) — is CONFLICT with `extensions.matches`, and
    /// nothing is written. The background check is ADMIN's (FORBIDDEN for a partner).
    async fn update_opening(&self, ctx: &Context<'_>, id: ID, input: OpeningPatch) -> ApiResult<OpeningNode> {
        let access = Access::of(ctx)?;
        if input.touches_background_check() {
            access.set_background_check()?;
        }
        let store = store(ctx)?;
        let txn = store.write().await?;
        // A missing opening is NOT_FOUND "opening … does not exist", as StoreError maps it.
        let before = read::opening(&txn, &id).await?;
        access.write_opening(&before.opening.matching.partner_id, Some(&id))?;
        let (title, raw, changed) = input.apply(&before.opening).map_err(|errors| all_of(ctx, errors))?;
        let after = refuse_unmatchable(ctx, title, &raw)?;
        let open = matches_of(&txn, &id).await?;
        if !open.is_empty() && after.matching.kind != before.opening.matching.kind {
            return Err(ApiError::new(
                Code::Conflict,
                format!("opening {} has open matches: its kind cannot change while they go on", id.as_str()),
            )
            .about_matches(open));
        }
        if i64::from(after.matching.capacity) < i64::from(before.filled) {
            return Err(ApiError::new(
                Code::Conflict,
                format!(
                    "capacity {} is below the {} slots open matches hold",
                    after.matching.capacity, before.filled
                ),
            )
            .about_matches(open));
        }
        let now = Utc::now();
        let stranded = strand::by_opening(&txn, &after, store.today(now)).await?;
        if !stranded.is_empty() {
            return Err(stranding(&stranded));
        }
        write::save_openings(&txn, std::slice::from_ref(&after), now).await.map_err(in_input)?;
        let detail = serde_json::json!({ "changed": changed });
        write::audit(&txn, &access.actor(), "update", "opening", &id, Some(detail), now).await?;
        let stored = read::opening(&txn, &id).await?;
        commit(txn).await?;
        Ok(OpeningNode { stored, partners: Partners::on_demand(store) })
    }

    /// Closes an opening to new matches (ADMIN, or its partner); its open matches go
    /// on. Closing a closed opening changes nothing.
    async fn close_opening(&self, ctx: &Context<'_>, id: ID) -> ApiResult<OpeningNode> {
        let access = Access::of(ctx)?;
        let store = store(ctx)?;
        let txn = store.write().await?;
        // A missing opening is NOT_FOUND "opening … does not exist", as StoreError maps it.
        let before = read::opening(&txn, &id).await?;
        access.write_opening(&before.opening.matching.partner_id, Some(&id))?;
        let now = Utc::now();
        if before.status != OpeningStatus::Closed {
            write::set_opening_status(&txn, &id, OpeningStatus::Closed, now).await?;
            audited(&txn, &access, "close", "opening", &id, now).await?;
        }
        let stored = read::opening(&txn, &id).await?;
        commit(txn).await?;
        Ok(OpeningNode { stored, partners: Partners::on_demand(store) })
    }
}

/// The opening as entered, parsed; or, one error per field, why it could never be
/// matched: the field rules (the first broken one) and [`write::unmatchable`].
fn refuse_unmatchable(
    ctx: &Context<'_>,
    title: Option<String>,
    raw: &RawOpening,
) -> ApiResult<store::records::Opening> {
    let opening = write::parse_opening(raw).map(|matching| store::records::Opening { title, matching });
    let checked = opening.and_then(|opening| write::check_opening(&opening).map(|()| opening));
    let (opening, mut errors) = match checked {
        Ok(opening) => (Some(opening), Vec::new()),
        Err(err) => (None, vec![in_input(err)]),
    };
    for problem in write::unmatchable(raw).into_iter().map(in_input) {
        if !errors.iter().any(|known| known.field == problem.field) {
            errors.push(problem);
        }
    }
    match opening {
        Some(opening) if errors.is_empty() => Ok(opening),
        _ => Err(all_of(ctx, errors)),
    }
}

/// The ids of the opening's open matches.
async fn matches_of(txn: &store::Transaction, opening: &str) -> Result<Vec<String>, ApiError> {
    let filter = MatchFilter {
        opening_id: Some(opening.to_owned()),
        statuses: MatchStatus::ALL.iter().copied().filter(|status| status.is_open()).collect(),
        ..MatchFilter::default()
    };
    Ok(matches::list(txn, &filter, &store::order::Seek::all())
        .await?
        .rows
        .into_iter()
        .map(|m| m.id)
        .collect())
}

/// The CONFLICT of an edit that would strand open matches, naming them and why.
pub(crate) fn stranding(stranded: &[strand::Stranded]) -> ApiError {
    ApiError::new(
        Code::Conflict,
        format!(
            "the edit would make open matches infeasible: {}; nothing was written",
            strand::describe(stranded)
        ),
    )
    .about_matches(stranded.iter().map(|item| item.match_id.clone()).collect())
}

pub(crate) fn conflict(entity: &str, id: &str) -> ApiError {
    ApiError::new(Code::Conflict, format!("{entity} {id} already exists"))
}

pub(crate) fn unknown(field: &str, entity: &str, id: &str) -> ApiError {
    ApiError::bad_input(field, format!("{entity} {id} does not exist"))
}
