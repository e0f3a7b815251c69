//! The partner and opening lists behind the API: ids chosen by filter (and by what
//! the caller may see, decided elsewhere and passed in as a restriction), in id
//! order, one keyset page at a time. Each call costs a fixed number of queries.

use std::collections::{BTreeSet, HashMap};

use matcher::model::Place;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

use super::StoreError;
use super::entity::{opening_languages, opening_subjects, openings, partners, schools};
use super::geo::Bounds;
use super::order::{self, Direction, Seek};
use super::read::{self, Detail, PartnerRead, StoredOpening, partner_record};
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
    /// At most the rows asked for, in the list's order.
    pub rows: Vec<Row>,
    /// Rows in the whole list.
    pub total: u64,
}

/// The great-circle distance in km between two points given in degrees: the
/// matcher's own haversine (docs/matching.md "Travel"), so `near` and travel agree. A point
/// outside the valid ranges is infinitely far.
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    match (Place::new(lat1, lon1), Place::new(lat2, lon2)) {
        (Some(from), Some(to)) => matcher::geo::haversine_km(from, to),
        _ => f64::INFINITY,
    }
}

/// Partners by filter, oldest first (then by id) from `seek`.
pub async fn partner_page<C: ConnectionTrait>(
    db: &C,
    filter: &PartnerFilter,
    seek: &Seek,
) -> Result<Slice<Partner>, StoreError> {
    let condition = partner_condition(filter);
    let total = partners::Entity::find().filter(condition.clone()).count(db).await?;
    let select = partners::Entity::find().filter(condition);
    let keys = [order::key(partners::Column::CreatedAt)];
    let rows = order::keyset(select, partners::Entity, partners::Column::Id, &keys, seek).all(db).await?;
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

/// How an opening list is sorted (then by id).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OpeningSort {
    /// When the record was made.
    #[default]
    CreatedAt,
    /// Title, ignoring case (an opening without one first).
    Title,
    /// Slots not yet taken: capacity less the slots held.
    FreeSlots,
}

impl OpeningSort {
    fn keys(self) -> Vec<sea_orm::sea_query::SimpleExpr> {
        use openings::Column as C;
        match self {
            OpeningSort::CreatedAt => vec![order::key(C::CreatedAt)],
            OpeningSort::Title => vec![order::text_key(C::Title)],
            OpeningSort::FreeSlots => vec![Expr::col(C::Capacity).sub(Expr::col(C::Filled))],
        }
    }

    /// The same key read from a row, for lists narrowed outside the database.
    fn of(self, row: &openings::Model) -> (i64, String) {
        match self {
            OpeningSort::CreatedAt => (row.created_at.timestamp_micros(), String::new()),
            OpeningSort::Title => (0, row.title.as_deref().unwrap_or("").to_lowercase()),
            OpeningSort::FreeSlots => (i64::from(row.capacity) - i64::from(row.filled), String::new()),
        }
    }
}

/// What a page of openings reads besides its rows.
#[derive(Clone, Copy, Debug)]
pub struct OpeningReads {
    /// How much of each opening.
    pub detail: Detail,
    /// The whole list's length (always known with `near`).
    pub count: bool,
    /// The openings' partners, and how much of each.
    pub partners: Option<PartnerDetail>,
}

/// How much of each partner a page of openings reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartnerDetail {
    /// [`read::PartnerHead`]'s columns.
    Head,
    /// Every column.
    Whole,
}

/// A page of openings, with what [`OpeningReads`] asked for.
#[derive(Debug)]
pub struct OpeningPage {
    /// The openings, in the page's order.
    pub rows: Vec<StoredOpening>,
    /// The whole list's length, when counted.
    pub total: Option<u64>,
    /// Their partners by id, as much of each as asked (empty unless asked).
    pub partners: HashMap<String, PartnerRead>,
}

/// Openings by filter, in `sort` order from `seek`, with what `reads` asks. With
/// `near`, the database narrows to a bounding box and the exact distance is decided
/// here.
pub async fn opening_page<C: ConnectionTrait>(
    db: &C,
    filter: &OpeningFilter,
    sort: OpeningSort,
    seek: &Seek,
    reads: OpeningReads,
) -> Result<OpeningPage, StoreError> {
    let condition = opening_condition(filter);
    let (rows, total) = match filter.near {
        Some(near) => {
            let candidates = openings::Entity::find().filter(condition).all(db).await?;
            let mut within: Vec<(_, openings::Model)> = candidates
                .into_iter()
                .filter(|row| {
                    row.lat.zip(row.lon).is_some_and(|(lat, lon)| {
                        haversine_km(near.lat, near.lon, lat, lon) <= near.radius_km
                    })
                })
                .map(|row| ((sort.of(&row), row.id.clone()), row))
                .collect();
            within.sort_by(|a, b| a.0.cmp(&b.0));
            if seek.direction == Direction::Desc {
                within.reverse();
            }
            let total = Some(within.len() as u64);
            let rows: Vec<openings::Model> = within.into_iter().map(|(_, row)| row).collect();
            (page_of(rows, seek, |row| row.id.as_str()), total)
        }
        None => {
            let total = match reads.count {
                true => Some(openings::Entity::find().filter(condition.clone()).count(db).await?),
                false => None,
            };
            // The page's rows in one statement, in the list's order; only the head
            // columns when that is all the page needs (on SQLite each value read is a
            // copy handed across threads: bench/README.md "Reads against PostGraphile").
            let select = openings::Entity::find().filter(condition);
            let page = order::keyset(select, openings::Entity, openings::Column::Id, &sort.keys(), seek);
            let rows = match reads.detail {
                Detail::Head => {
                    let heads =
                        page.select_only().columns(read::HEAD_COLUMNS).into_model::<read::OpeningHead>();
                    heads.all(db).await?.into_iter().map(read::OpeningHead::into_row).collect()
                }
                Detail::Row | Detail::Full => page.all(db).await?,
            };
            (rows, total)
        }
    };
    // The partners in a statement of their own: joined to the rows, each partner's
    // columns would come once per opening, which costs more to decode than the round
    // trip saves (measured on both backends; with heads only, joining is about even
    // on SQLite, 0.97x). Only their heads when that is all the page shows: every
    // value read costs on SQLite.
    let partner_ids = || -> Vec<String> {
        let ids: BTreeSet<String> = rows.iter().map(|row| row.partner_id.clone()).collect();
        ids.into_iter().collect()
    };
    let partners = match reads.partners {
        Some(PartnerDetail::Head) => read::partner_heads_by_id(db, &partner_ids())
            .await?
            .into_iter()
            .map(|(id, head)| (id, PartnerRead::Head(head)))
            .collect(),
        Some(PartnerDetail::Whole) => partners_by_id(db, &partner_ids())
            .await?
            .into_iter()
            .map(|(id, partner)| (id, PartnerRead::Whole(partner)))
            .collect(),
        None => HashMap::new(),
    };
    // `near` reads whole rows (it needs the place): no reason to flag them as less.
    let detail = match (reads.detail, filter.near) {
        (Detail::Head, Some(_)) => Detail::Row,
        (detail, _) => detail,
    };
    Ok(OpeningPage { rows: read::openings_of_rows(db, rows, detail).await?, total, partners })
}

/// The page `seek` names of a whole list `ids` already in the list's order, nearest
/// first when reading backward (as the database gives it).
fn page_of<Row>(rows: Vec<Row>, seek: &Seek, id: impl Fn(&Row) -> &str) -> Vec<Row> {
    let limit = usize::try_from(seek.limit).unwrap_or(usize::MAX);
    let at = seek.from.as_ref().map(|from| rows.iter().position(|row| id(row) == from));
    match (seek.backward, at) {
        // The row the page starts at is no longer in the list.
        (_, Some(None)) => Vec::new(),
        (false, None) => rows.into_iter().take(limit).collect(),
        (false, Some(Some(at))) => rows.into_iter().skip(at + 1).take(limit).collect(),
        (true, at) => {
            let end = at.flatten().unwrap_or(rows.len());
            rows.into_iter().take(end).rev().take(limit).collect()
        }
    }
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
