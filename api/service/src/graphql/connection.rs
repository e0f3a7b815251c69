//! Relay connections: `edges { cursor node }`, `pageInfo { hasNextPage endCursor }`,
//! `totalCount`, forward (`first`/`after`) or backward (`last`/`before`). Pages are
//! keyset pages over the list's sort keys and then the record id (stable order, no
//! gaps or duplicates while rows are added); a cursor is the opaque base64 of the
//! id, so it names the same row in every order.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, Lookahead, Object};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use store::order::{Direction, Seek};
use store::read::Detail;

use super::error::ApiError;

/// `first` when the client gives none.
pub const DEFAULT_FIRST: i32 = 20;
/// The largest `first`.
pub const MAX_FIRST: i32 = 100;

/// The extra connection field: the list's length, counted when the query selects it
/// ([`counted`]).
#[derive(Clone, Copy, Debug)]
pub struct Total(Option<u64>);

impl Total {
    /// A list of `n` rows.
    pub fn of(n: u64) -> Total {
        Total(Some(n))
    }
}

#[Object]
impl Total {
    /// Rows in the whole list (every page), as the viewer may see it.
    async fn total_count(&self) -> Result<u64, ApiError> {
        // A list skips its count only when the look-ahead saw no `totalCount`.
        self.0.ok_or_else(|| ApiError::internal("a list was not counted although totalCount was asked"))
    }
}

/// How much of its records a read needs: the child tables only when `node` (the
/// selection on each record) names one of `children`, the fields kept in them.
pub fn detail_for(node: &Lookahead<'_>, children: &[&str]) -> Detail {
    if children.iter().any(|field| node.field(field).exists()) { Detail::Full } else { Detail::Row }
}

/// Whether the connection being resolved selects `totalCount` (a list that is not
/// asked for its length saves the statement that counts it).
pub fn counted(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// A page of `Node`s.
pub type Page<Node> = Connection<String, Node, Total>;

/// Which page a client asked for: `first` rows after a cursor, or `last` rows
/// before one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// How many rows.
    pub count: u64,
    /// The id the page starts next to (exclusive), from `after` or `before`.
    pub from: Option<String>,
    /// `last`/`before`: the rows before `from` (or the end).
    pub backward: bool,
}

impl Window {
    /// Reads `first` (default 20, 0–100) and `after` (a cursor of this API), for
    /// lists that read forward only.
    pub fn new(first: Option<i32>, after: Option<String>) -> Result<Window, ApiError> {
        Window::either(first, after, None, None)
    }

    /// Reads `first`/`after` or `last`/`before`; mixing the two is refused.
    pub fn either(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Window, ApiError> {
        let backward = last.is_some() || before.is_some();
        if backward && first.is_some() {
            return Err(ApiError::bad_input(
                "last",
                "give first (with after) or last (with before), not both",
            ));
        }
        if backward && after.is_some() {
            return Err(ApiError::bad_input("after", "after goes with first; use before with last"));
        }
        let (count, cursor, field) = if backward { (last, before, "last") } else { (first, after, "first") };
        let count = count.unwrap_or(DEFAULT_FIRST);
        if !(0..=MAX_FIRST).contains(&count) {
            return Err(ApiError::bad_input(field, format!("must be 0 to {MAX_FIRST}, not {count}")));
        }
        let cursor_field = if backward { "before" } else { "after" };
        let from = cursor.map(|cursor| decode(&cursor, cursor_field)).transpose()?;
        Ok(Window { count: count as u64, from, backward })
    }

    /// The cursor of a list keyed by a row number (logs, attempts): the number after
    /// which the page starts.
    pub fn after_number(&self) -> Result<Option<i64>, ApiError> {
        self.from
            .as_deref()
            .map(|id| {
                id.parse::<i64>().map_err(|_| ApiError::bad_input("after", "not a cursor of this list"))
            })
            .transpose()
    }

    /// Rows to fetch: one more than the page, to learn whether another follows.
    pub fn fetch(&self) -> u64 {
        self.count + 1
    }

    /// What the store reads for this window of a list running `direction`.
    pub fn seek(&self, direction: Direction) -> Seek {
        Seek { direction, backward: self.backward, from: self.from.clone(), limit: self.fetch() }
    }

    /// The page from rows fetched with [`Window::seek`] (nearest the cursor first).
    pub fn page<Node, F>(&self, rows: Vec<Node>, total: u64, id: F) -> Page<Node>
    where
        Node: async_graphql::OutputType,
        F: Fn(&Node) -> &str,
    {
        self.page_counted(rows, Some(total), id)
    }

    /// [`Window::page`] of a list counted only when asked ([`counted`]).
    pub fn page_counted<Node, F>(&self, mut rows: Vec<Node>, total: Option<u64>, id: F) -> Page<Node>
    where
        Node: async_graphql::OutputType,
        F: Fn(&Node) -> &str,
    {
        let has_more = rows.len() as u64 > self.count;
        rows.truncate(self.count as usize);
        let (has_previous, has_next) = if self.backward {
            rows.reverse();
            (has_more, self.from.is_some())
        } else {
            (self.from.is_some(), has_more)
        };
        let mut page = Connection::with_additional_fields(has_previous, has_next, Total(total));
        page.edges.extend(rows.into_iter().map(|node| Edge::new(encode(id(&node)), node)));
        page
    }
}

/// Which way a list runs, as GitHub's API names it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Enum)]
pub enum OrderDirection {
    /// Smallest (or oldest, or first in the alphabet) first.
    #[default]
    Asc,
    /// Largest (or newest) first.
    Desc,
}

impl From<OrderDirection> for Direction {
    fn from(direction: OrderDirection) -> Direction {
        match direction {
            OrderDirection::Asc => Direction::Asc,
            OrderDirection::Desc => Direction::Desc,
        }
    }
}

/// The complexity of a connection field: `first` × what each node asks for.
pub fn cost(first: Option<i32>, child_complexity: usize) -> usize {
    let first = first.unwrap_or(DEFAULT_FIRST).clamp(0, MAX_FIRST) as usize;
    first.saturating_mul(child_complexity).max(1)
}

/// The cursor of a row.
pub fn encode(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("id:{id}"))
}

fn decode(cursor: &str, field: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("id:").map(str::to_owned))
        .ok_or_else(|| ApiError::bad_input(field, "not a cursor of this API"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_validate_and_cursors_round_trip() {
        assert_eq!(Window::new(None, None).unwrap().count, 20);
        assert_eq!(Window::new(Some(100), None).unwrap().count, 100);
        assert!(Window::new(Some(101), None).is_err());
        assert!(Window::new(Some(-1), None).is_err());
        let from = Window::new(Some(5), Some(encode("s-1042"))).unwrap().from;
        assert_eq!(from.as_deref(), Some("s-1042"));
        let err = Window::new(None, Some("nope".into())).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("after"));
        let back = Window::either(None, None, Some(3), Some(encode("s-7"))).unwrap();
        assert!(back.backward && back.count == 3 && back.from.as_deref() == Some("s-7"));
        assert_eq!(Window::either(Some(1), None, Some(1), None).unwrap_err().field.as_deref(), Some("last"));
        let mixed = Window::either(None, Some(encode("s-1")), None, Some(encode("s-2"))).unwrap_err();
        assert_eq!(mixed.field.as_deref(), Some("after"));
        assert_eq!(Window::either(None, None, Some(101), None).unwrap_err().field.as_deref(), Some("last"));
        assert_eq!(cost(Some(100), 3), 300);
        assert_eq!(cost(None, 2), 40);
    }
}
