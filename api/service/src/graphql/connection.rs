//! Relay connections: `edges { cursor node }`, `pageInfo { hasNextPage endCursor }`,
//! `totalCount`. Pages are keyset pages over the record id (stable order, no gaps or
//! duplicates while rows are added); a cursor is the opaque base64 of that id.

use async_graphql::SimpleObject;
use async_graphql::connection::{Connection, Edge};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::ApiError;

/// `first` when the client gives none.
pub const DEFAULT_FIRST: i32 = 20;
/// The largest `first`.
pub const MAX_FIRST: i32 = 100;

/// The extra connection field.
#[derive(Clone, Copy, Debug, SimpleObject)]
pub struct Total {
    /// Rows in the whole list (every page), as the viewer may see it.
    pub total_count: u64,
}

/// A page of `Node`s.
pub type Page<Node> = Connection<String, Node, Total>;

/// Which page a client asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// How many rows.
    pub first: u64,
    /// Rows after this id (exclusive).
    pub after: Option<String>,
}

impl Window {
    /// Reads `first` (default 20, 0–100) and `after` (a cursor of this API).
    pub fn new(first: Option<i32>, after: Option<String>) -> Result<Window, ApiError> {
        let first = first.unwrap_or(DEFAULT_FIRST);
        if !(0..=MAX_FIRST).contains(&first) {
            return Err(ApiError::bad_input("first", format!("must be 0 to {MAX_FIRST}, not {first}")));
        }
        let after = after.map(|cursor| decode(&cursor)).transpose()?;
        Ok(Window { first: first as u64, after })
    }

    /// Rows to fetch: one more than the page, to learn whether another follows.
    pub fn fetch(&self) -> u64 {
        self.first + 1
    }

    /// The page from rows fetched with [`Window::fetch`] in id order.
    pub fn page<Node, F>(&self, mut rows: Vec<Node>, total: u64, id: F) -> Page<Node>
    where
        Node: async_graphql::OutputType,
        F: Fn(&Node) -> &str,
    {
        let has_next = rows.len() as u64 > self.first;
        rows.truncate(self.first as usize);
        let mut page =
            Connection::with_additional_fields(self.after.is_some(), has_next, Total { total_count: total });
        page.edges.extend(rows.into_iter().map(|node| Edge::new(encode(id(&node)), node)));
        page
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

fn decode(cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("id:").map(str::to_owned))
        .ok_or_else(|| ApiError::bad_input("after", "not a cursor of this API"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_validate_and_cursors_round_trip() {
        assert_eq!(Window::new(None, None).unwrap().first, 20);
        assert_eq!(Window::new(Some(100), None).unwrap().first, 100);
        assert!(Window::new(Some(101), None).is_err());
        assert!(Window::new(Some(-1), None).is_err());
        let after = Window::new(Some(5), Some(encode("s-1042"))).unwrap().after;
        assert_eq!(after.as_deref(), Some("s-1042"));
        let err = Window::new(None, Some("nope".into())).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("after"));
        assert_eq!(cost(Some(100), 3), 300);
        assert_eq!(cost(None, 2), 40);
    }
}
