//! The partner and opening lists behind the API: ids chosen by filter (and by what
//! the caller may see, decided elsewhere and passed in as a restriction), in id
//! order, one keyset page at a time. Each call costs a fixed number of queries.

use std::collections::HashMap;

use matcher::model::Place;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::StoreError;
use super::entity::{opening_languages, opening_subjects, openings, partners, schools};
use super::geo::Bounds;
use super::read::{StoredOpening, openings_in, partner_record};
use super::records::{Partner, PartnerKind, PartnerStatus};

pub use matcher::geo::EARTH_RADIUS_KM;

/// Which partners a list holds.
#[derive(Clone, Debug, Default)]
pub struct PartnerFilter {
    /// Only this partner (a partner sees itself alone).
    pub only: Option<String>,
    /// Only this kind.
    pub kind: Option<PartnerKind>,
    /// Only this status.
    pub status: Option<PartnerStatus>,
}

/// A point and a radius: openings whose place lies within `radius_km` of it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Near {
    /// Degrees, -90 to 90.
    pub lat: f64,
    /// Degrees, -180 to 180.
    pub lon: f64,
    /// Kilometres, at least 0.
    pub radius_km: f64,
}

/// Which openings a list holds.
#[derive(Clone, Debug, Default)]
pub struct OpeningFilter {
    /// Only openings of this partner.
    pub partner_id: Option<String>,
    /// Only openings of this partner too: the caller's access restriction (when
    /// both are set, both must hold).
    pub only_partner: Option<String>,
    /// `TUTORING`, `MENTORING` or `INTERNSHIP`.
    pub kind: Option<String>,
    /// Only openings listing this subject.
    pub subject: Option<String>,
    /// Only openings offering this language.
    pub language: Option<String>,
    /// `true`: a free slot left; `false`: full.
    pub has_capacity: Option<bool>,
    /// Only in-person openings within the radius (virtual ones have no place).
    pub near: Option<Near>,
}

/// One page of a list and the size of the whole list.
#[derive(Clone, Debug)]
pub struct Slice<Row> {
    /// At most `limit` rows after the cursor, in id order.
    pub rows: Vec<Row>,
    /// Rows in the whole list.
    pub total: u64,
}

/// The great-circle distance in km between two points given in degrees: the
/// matcher's own haversine (MATCHING.md rule 5), so `near` and travel agree. A point
/// outside the valid ranges is infinitely far.
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    match (Place::new(lat1, lon1), Place::new(lat2, lon2)) {
        (Some(from), Some(to)) => matcher::geo::haversine_km(from, to),
        _ => f64::INFINITY,
    }
}

/// Partners by filter, `limit` of them after the id `after`.
pub async fn partner_page<C: ConnectionTrait>(
    db: &C,
    filter: &PartnerFilter,
    after: Option<&str>,
    limit: u64,
) -> Result<Slice<Partner>, StoreError> {
    let condition = partner_condition(filter);
    let total = partners::Entity::find().filter(condition.clone()).count(db).await?;
    let mut select = partners::Entity::find().filter(condition);
    if let Some(after) = after {
        select = select.filter(partners::Column::Id.gt(after));
    }
    let rows = select.order_by_asc(partners::Column::Id).limit(limit).all(db).await?;
    let rows = rows.into_iter().map(partner_record).collect::<Result<_, _>>()?;
    Ok(Slice { rows, total })
}

/// The partners of `ids` that exist, by id: one query however many ids.
pub async fn partners_by_id<C: ConnectionTrait>(
    db: &C,
    ids: &[String],
) -> Result<HashMap<String, Partner>, StoreError> {
    let rows =
        partners::Entity::find().filter(partners::Column::Id.is_in(ids.iter().cloned())).all(db).await?;
    rows.into_iter().map(|row| partner_record(row).map(|partner| (partner.id.clone(), partner))).collect()
}

/// Whether a partner exists.
pub async fn partner_exists<C: ConnectionTrait>(db: &C, id: &str) -> Result<bool, StoreError> {
    Ok(partners::Entity::find_by_id(id.to_owned()).count(db).await? > 0)
}

/// Whether a partner row was inserted rather than updated by the last save: an
/// update keeps `created_at` and moves `updated_at`.
pub async fn partner_is_new<C: ConnectionTrait>(db: &C, id: &str) -> Result<bool, StoreError> {
    let row = partners::Entity::find_by_id(id.to_owned()).one(db).await?;
    Ok(row.is_some_and(|row| row.created_at == row.updated_at))
}

/// Whether a school exists.
pub async fn school_exists<C: ConnectionTrait>(db: &C, id: &str) -> Result<bool, StoreError> {
    Ok(schools::Entity::find_by_id(id.to_owned()).count(db).await? > 0)
}

/// Whether an agreement exists.
pub async fn agreement_exists<C: ConnectionTrait>(db: &C, id: &str) -> Result<bool, StoreError> {
    Ok(super::entity::agreements::Entity::find_by_id(id.to_owned()).count(db).await? > 0)
}

/// Openings by filter, `limit` of them after the id `after`. With `near`, the
/// database narrows to a bounding box and the exact distance is decided here.
pub async fn opening_page<C: ConnectionTrait>(
    db: &C,
    filter: &OpeningFilter,
    after: Option<&str>,
    limit: u64,
) -> Result<Slice<StoredOpening>, StoreError> {
    let condition = opening_condition(filter);
    let (ids, total) = match filter.near {
        Some(near) => {
            let candidates: Vec<(String, Option<f64>, Option<f64>)> = openings::Entity::find()
                .select_only()
                .columns([openings::Column::Id, openings::Column::Lat, openings::Column::Lon])
                .filter(condition)
                .order_by_asc(openings::Column::Id)
                .into_tuple()
                .all(db)
                .await?;
            let within: Vec<String> = candidates
                .into_iter()
                .filter_map(|(id, lat, lon)| {
                    let (lat, lon) = lat.zip(lon)?;
                    (haversine_km(near.lat, near.lon, lat, lon) <= near.radius_km).then_some(id)
                })
                .collect();
            let total = within.len() as u64;
            let page = within
                .into_iter()
                .filter(|id| after.is_none_or(|after| id.as_str() > after))
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .collect();
            (page, total)
        }
        None => {
            let total = openings::Entity::find().filter(condition.clone()).count(db).await?;
            let mut select =
                openings::Entity::find().select_only().column(openings::Column::Id).filter(condition);
            if let Some(after) = after {
                select = select.filter(openings::Column::Id.gt(after));
            }
            let page = select.order_by_asc(openings::Column::Id).limit(limit).into_tuple().all(db).await?;
            (page, total)
        }
    };
    if ids.is_empty() {
        return Ok(Slice { rows: Vec::new(), total });
    }
    let rows = openings_in(db, &ids_statement(ids)).await?;
    Ok(Slice { rows, total })
}

/// Whether an opening exists.
pub async fn opening_exists<C: ConnectionTrait>(db: &C, id: &str) -> Result<bool, StoreError> {
    Ok(openings::Entity::find_by_id(id.to_owned()).count(db).await? > 0)
}

fn partner_condition(filter: &PartnerFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(id) = &filter.only {
        condition = condition.add(partners::Column::Id.eq(id.as_str()));
    }
    if let Some(kind) = filter.kind {
        condition = condition.add(partners::Column::Kind.eq(kind.as_str()));
    }
    if let Some(status) = filter.status {
        condition = condition.add(partners::Column::Status.eq(status.as_str()));
    }
    condition
}

fn opening_condition(filter: &OpeningFilter) -> Condition {
    use openings::Column as C;
    let mut condition = Condition::all();
    for partner_id in [&filter.partner_id, &filter.only_partner].into_iter().flatten() {
        condition = condition.add(C::PartnerId.eq(partner_id.as_str()));
    }
    if let Some(kind) = &filter.kind {
        condition = condition.add(C::Kind.eq(kind.as_str()));
    }
    if let Some(subject) = &filter.subject {
        let ids = Query::select()
            .column(opening_subjects::Column::OpeningId)
            .from(opening_subjects::Entity)
            .and_where(opening_subjects::Column::Subject.eq(subject.as_str()))
            .to_owned();
        condition = condition.add(Expr::col((openings::Entity, C::Id)).in_subquery(ids));
    }
    if let Some(language) = &filter.language {
        let ids = Query::select()
            .column(opening_languages::Column::OpeningId)
            .from(opening_languages::Entity)
            .and_where(opening_languages::Column::Language.eq(language.as_str()))
            .to_owned();
        condition = condition.add(Expr::col((openings::Entity, C::Id)).in_subquery(ids));
    }
    match filter.has_capacity {
        Some(true) => condition = condition.add(Expr::col(C::Filled).lt(Expr::col(C::Capacity))),
        Some(false) => condition = condition.add(Expr::col(C::Filled).gte(Expr::col(C::Capacity))),
        None => {}
    }
    if let Some(near) = filter.near {
        condition = condition
            .add(C::IsVirtual.eq(false))
            .add(Bounds::around(near.lat, near.lon, near.radius_km).condition());
    }
    condition
}

/// `SELECT id FROM openings WHERE id IN (…)`.
fn ids_statement(ids: Vec<String>) -> SelectStatement {
    Query::select()
        .column(openings::Column::Id)
        .from(openings::Entity)
        .and_where(Expr::col(openings::Column::Id).is_in(ids))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_known_distances() {
        assert!(haversine_km(41.88, -87.62, 41.88, -87.62).abs() < 1e-9);
        // One degree of latitude is R·π/180.
        let degree = haversine_km(0.0, 0.0, 1.0, 0.0);
        assert!((degree - EARTH_RADIUS_KM * std::f64::consts::PI / 180.0).abs() < 1e-9);
        // Across the antimeridian.
        assert!((haversine_km(0.0, 179.5, 0.0, -179.5) - degree).abs() < 1e-9);
    }
}
