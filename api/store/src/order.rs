//! The order of a list and where a page of it starts (keyset pagination).
//!
//! A list runs on sort keys and then the id, so the order is total and stable while
//! rows are added. A page starts at a row named by its id alone: the row's keys are
//! read back in the same statement (`(keys, id) > (SELECT keys, id … WHERE id = ?)`),
//! so a cursor needs to carry nothing but the id and means the same position in
//! every order.

use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, IntoIden, Query, SelectStatement, SimpleExpr};
use sea_orm::{ColumnTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select};

/// Which way a list runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// Which rows of a list to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seek {
    /// The list's direction.
    pub direction: Direction,
    /// Read the rows before `from` instead of after it, nearest first (for `last`).
    pub backward: bool,
    /// The id of the row the page starts next to (exclusive); `None`: an end of the list.
    pub from: Option<String>,
    /// At most this many rows.
    pub limit: u64,
}

impl Seek {
    /// The first `limit` rows of the list, in its default order.
    pub fn first(limit: u64) -> Seek {
        Seek { direction: Direction::Asc, backward: false, from: None, limit }
    }

    /// Every row, in the default order.
    pub fn all() -> Seek {
        Seek::first(u64::from(u32::MAX))
    }

    /// Whether rows are read smallest first.
    pub(crate) fn ascending(&self) -> bool {
        (self.direction == Direction::Asc) != self.backward
    }
}

/// `select` in the order of `keys` then `id`, narrowed to the page `seek` names.
/// `keys` are expressions over the unqualified columns of `table`, so that the same
/// expressions read the starting row's keys in the subquery.
pub(crate) fn keyset<E, C>(select: Select<E>, table: E, id: C, keys: &[SimpleExpr], seek: &Seek) -> Select<E>
where
    E: EntityTrait + IntoIden + Copy,
    C: ColumnTrait + IntoIden + Copy,
{
    let order = if seek.ascending() { Order::Asc } else { Order::Desc };
    let mut select = select;
    if let Some(from) = &seek.from {
        let mut tuple: Vec<SimpleExpr> = keys.to_vec();
        tuple.push(Expr::col(id));
        let start = Query::select()
            .exprs(tuple.clone())
            .from(table)
            .and_where(Expr::col(id).eq(from.as_str()))
            .to_owned();
        let row = Expr::tuple(tuple);
        let start: SimpleExpr = start.into();
        select = select.filter(if seek.ascending() { row.gt(start) } else { row.lt(start) });
    }
    for key in keys {
        select = select.order_by(key.clone(), order.clone());
    }
    select.order_by(id, order).limit(seek.limit)
}

/// The name of a page's row in [`joinable`]'s statement.
pub(crate) const PAGE: &str = "page";

/// [`keyset`]'s page as a subquery named [`PAGE`], its rows (`page.*`) in the page's
/// order: the statement may join tables that share column names with `table` (whose
/// unqualified keys would be ambiguous in it) while the page's conditions, order and
/// limit stay on `table` alone. The keys are selected in the subquery too, under
/// names of their own, so the outer order repeats the inner one exactly.
pub(crate) fn joinable<E, C>(
    select: Select<E>,
    table: E,
    id: C,
    keys: &[SimpleExpr],
    seek: &Seek,
) -> SelectStatement
where
    E: EntityTrait + IntoIden + Copy,
    C: ColumnTrait + IntoIden + Copy,
{
    let mut inner = keyset(select, table, id, keys, seek).into_query();
    let order = if seek.ascending() { Order::Asc } else { Order::Desc };
    let mut outer = Query::select();
    outer.expr(Expr::col((Alias::new(PAGE), Asterisk)));
    for (at, key) in keys.iter().enumerate() {
        let name = Alias::new(format!("key__{at}"));
        inner.expr_as(key.clone(), name.clone());
        outer.order_by((Alias::new(PAGE), name), order.clone());
    }
    outer.from_subquery(inner, Alias::new(PAGE)).order_by((Alias::new(PAGE), id), order).to_owned()
}

/// `column` as a sort key that ignores letter case (and sorts a missing text first).
pub(crate) fn text_key(column: impl IntoIden) -> SimpleExpr {
    let column: SimpleExpr = Expr::col(column.into_iden());
    sea_orm::sea_query::Func::lower(sea_orm::sea_query::Func::coalesce([column, Expr::val("")])).into()
}

/// `column` as a sort key as it is.
pub(crate) fn key(column: impl IntoIden) -> SimpleExpr {
    Expr::col(column.into_iden())
}

/// `rows` (read back in any order) in the order of `ids`.
pub(crate) fn in_order<T>(ids: &[String], rows: Vec<T>, id: impl Fn(&T) -> &str) -> Vec<T> {
    let position: std::collections::HashMap<&str, usize> =
        ids.iter().enumerate().map(|(at, id)| (id.as_str(), at)).collect();
    let mut rows = rows;
    rows.sort_by_key(|row| position.get(id(row)).copied().unwrap_or(usize::MAX));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backward_reads_against_the_direction() {
        let mut seek = Seek::first(5);
        assert!(seek.ascending());
        seek.backward = true;
        assert!(!seek.ascending());
        seek.direction = Direction::Desc;
        assert!(seek.ascending());
    }
}
