//! Lists keep the order they promise (`createdAt`, then id), sort by `orderBy`, and
//! page both ways: walking a list forward with `first`/`after` and backward with
//! `last`/`before` gives the same rows once each, in the same order, and DESC is
//! ASC reversed. On every backend, over the real server, on the demo district.

use cli::demo::seed;
use serde_json::{Value, json};

use crate::db::backends;
use crate::gql::{admin, code, counselor, field, no_errors, partner};
use crate::http::TestServer;

/// Every node of `list(args)` selecting `fields`, `size` at a time, forward or backward.
async fn walk(
    server: &TestServer,
    token: &str,
    list: &str,
    args: &str,
    fields: &str,
    size: usize,
    backward: bool,
) -> Vec<Value> {
    let mut nodes: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut total = None;
    for page_number in 0.. {
        assert!(page_number < 1_000, "{list}: the walk does not end");
        let window = match (&cursor, backward) {
            (None, false) => format!("first: {size}"),
            (Some(at), false) => format!("first: {size}, after: \"{at}\""),
            (None, true) => format!("last: {size}"),
            (Some(at), true) => format!("last: {size}, before: \"{at}\""),
        };
        let query = format!(
            "{{ {list}({window}{args}) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} \
             edges {{ cursor node {{ {fields} }} }} }} }}"
        );
        let response = server.query(Some(token), &query).await;
        no_errors(&response);
        let page = &response["data"][list];
        let count = page["totalCount"].as_u64().unwrap();
        assert_eq!(*total.get_or_insert(count), count, "{list}: the total moved");
        let edges: Vec<Value> =
            page["edges"].as_array().unwrap().iter().map(|edge| edge["node"].clone()).collect();
        assert!(edges.len() <= size, "{list}: {} rows for {size}", edges.len());
        let info = &page["pageInfo"];
        let (more, came_from) = if backward {
            (info["hasPreviousPage"].as_bool().unwrap(), info["hasNextPage"].as_bool().unwrap())
        } else {
            (info["hasNextPage"].as_bool().unwrap(), info["hasPreviousPage"].as_bool().unwrap())
        };
        assert_eq!(came_from, cursor.is_some(), "{list} {window}: {info}");
        cursor = if backward { info["startCursor"].as_str() } else { info["endCursor"].as_str() }
            .map(str::to_owned);
        if backward {
            nodes.splice(0..0, edges);
        } else {
            nodes.extend(edges);
        }
        if !more {
            break;
        }
    }
    assert_eq!(nodes.len() as u64, total.unwrap(), "{list}{args}: every row once");
    let mut ids: Vec<&str> = nodes.iter().map(|node| node["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), nodes.len(), "{list}{args}: no row twice");
    nodes
}

/// The list in `args`' order walked forward and backward (the same), and DESC the reverse.
async fn walked(server: &TestServer, token: &str, list: &str, field: &str, fields: &str) -> Vec<Value> {
    let ascending = format!(", orderBy: {{field: {field}}}");
    let forward = walk(server, token, list, &ascending, fields, 7, false).await;
    let backward = walk(server, token, list, &ascending, fields, 5, true).await;
    assert_eq!(forward, backward, "{list} by {field}: forward and backward differ");
    let descending = format!(", orderBy: {{field: {field}, direction: DESC}}");
    let mut reversed = walk(server, token, list, &descending, fields, 9, false).await;
    reversed.reverse();
    assert_eq!(forward, reversed, "{list} by {field}: DESC is not ASC reversed");
    forward
}

/// Fails unless `nodes` ascend by `key`, then by id.
fn assert_ascending<K: PartialOrd + std::fmt::Debug>(what: &str, nodes: &[Value], key: impl Fn(&Value) -> K) {
    for pair in nodes.windows(2) {
        let (a, b) = ((key(&pair[0]), pair[0]["id"].as_str()), (key(&pair[1]), pair[1]["id"].as_str()));
        assert!(a < b, "{what}: {a:?} before {b:?}");
    }
}

/// Fails unless `nodes` never descend by `key` (for text, whose collation is the database's).
fn assert_not_descending<K: PartialOrd + std::fmt::Debug>(
    what: &str,
    nodes: &[Value],
    key: impl Fn(&Value) -> K,
) {
    for pair in nodes.windows(2) {
        assert!(key(&pair[0]) <= key(&pair[1]), "{what}: {:?} before {:?}", key(&pair[0]), key(&pair[1]));
    }
}

fn text(node: &Value, name: &str) -> String {
    node[name].as_str().unwrap_or("").to_owned()
}

fn number(node: &Value, name: &str) -> i64 {
    node[name].as_i64().unwrap()
}

/// The first letter, case folded: what every collation agrees on for these names.
fn initial(node: &Value, name: &str) -> String {
    text(node, name).chars().next().map(|c| c.to_lowercase().collect()).unwrap_or_default()
}

/// Proposes the first suggestion of the first unmatched student that has one; its id.
async fn propose_any(server: &TestServer, token: &str) -> String {
    let listed = server
        .query(
            Some(token),
            "{ students(first: 60, filter: {unmatched: true}) { edges { node { id needs { kind } } } } }",
        )
        .await;
    no_errors(&listed);
    for edge in listed["data"]["students"]["edges"].as_array().unwrap() {
        let id = edge["node"]["id"].as_str().unwrap();
        for need in edge["node"]["needs"].as_array().unwrap() {
            let kind = need["kind"].as_str().unwrap();
            let query = format!(
                "{{ suggestions(studentId: \"{id}\", kind: {kind}, first: 1) {{ opening {{ id }} }} }}"
            );
            let suggested = server.query(Some(token), &query).await;
            let Some(opening) = suggested["data"]["suggestions"][0]["opening"]["id"].as_str() else {
                continue;
            };
            let propose = format!(
                "mutation {{ proposeMatch(studentId: \"{id}\", openingId: \"{opening}\") {{ id }} }}"
            );
            let made = server.query(Some(token), &propose).await;
            if let Some(match_id) = made["data"]["proposeMatch"]["id"].as_str() {
                return match_id.to_owned();
            }
        }
    }
    panic!("no unmatched student with a suggestion to propose");
}

#[tokio::test]
async fn lists_sort_by_order_by_and_page_both_ways() {
    for db in backends().await {
        let name = db.name;
        seed(&db.store, chrono::Utc::now()).await.unwrap();
        let server = TestServer::start(db, false).await;
        let admin = admin();

        let by_name = walked(&server, &admin, "students", "NAME", "id firstName lastName").await;
        assert!(by_name.len() > 20, "{name}: the demo has students");
        assert_not_descending(name, &by_name, |n| (initial(n, "lastName"), 0));
        if name == "sqlite" {
            // SQLite's lower() folds ASCII only and compares bytes: the order is exact.
            let folded = |n: &Value, f: &str| text(n, f).to_ascii_lowercase();
            assert_ascending(name, &by_name, |n| (folded(n, "lastName"), folded(n, "firstName")));
        }
        let by_grade = walked(&server, &admin, "students", "GRADE", "id grade").await;
        assert_ascending(name, &by_grade, |n| number(n, "grade"));

        let by_title = walked(&server, &admin, "openings", "TITLE", "id title").await;
        assert_not_descending(name, &by_title, |n| initial(n, "title"));
        let by_free = walked(&server, &admin, "openings", "FREE_SLOTS", "id freeSlots").await;
        assert_ascending(name, &by_free, |n| number(n, "freeSlots"));
        assert!(
            by_free.first().map(|n| number(n, "freeSlots")) < by_free.last().map(|n| number(n, "freeSlots"))
        );

        let by_date = walked(&server, &admin, "matches", "CREATED_AT", "id createdAt").await;
        assert_ascending(name, &by_date, |n| {
            chrono::DateTime::parse_from_rfc3339(&text(n, "createdAt")).unwrap()
        });

        // Pages that read joined rows (an opening's partner; a match's opening and
        // student) keep the same order as those that do not.
        let ids = |nodes: &[Value]| nodes.iter().map(|n| n["id"].clone()).collect::<Vec<_>>();
        for (list, field, bare, fields) in [
            ("openings", "TITLE", &by_title, "id title partner { id name }"),
            ("openings", "FREE_SLOTS", &by_free, "id freeSlots partner { id }"),
            (
                "matches",
                "CREATED_AT",
                &by_date,
                "id opening { id partner { name } } student { id firstName }",
            ),
        ] {
            let joined = walked(&server, &admin, list, field, fields).await;
            assert_eq!(ids(&joined), ids(bare), "{name}: {list} by {field} with {fields}");
        }

        // A partner sorts the students it may see by first name, the name it may read.
        let p = partner("p-05");
        let theirs = walked(&server, &p, "students", "NAME", "id firstName").await;
        assert!(!theirs.is_empty(), "{name}: p-05 has matched students");
        assert_not_descending(name, &theirs, |n| initial(n, "firstName"));

        // The default order is the promised one (createdAt, then id): a match made now
        // comes last, whatever its id.
        let default = walk(&server, &admin, "matches", "", "id createdAt", 50, false).await;
        assert_eq!(default, by_date, "{name}: the default order is createdAt, then id");
        let made = propose_any(&server, &admin).await;
        let after = walk(&server, &admin, "matches", "", "id createdAt", 50, false).await;
        assert_eq!(after.len(), default.len() + 1, "{name}");
        assert_eq!(after.last().unwrap()["id"], json!(made), "{name}: the newest match is last");

        // Mixing the two directions, or a bad cursor, names the argument.
        let mixed = server.query(Some(&admin), "{ students(first: 2, last: 2) { totalCount } }").await;
        assert_eq!((code(&mixed), field(&mixed)), ("BAD_USER_INPUT", "last"), "{mixed}");
        let bad = server.query(Some(&admin), "{ matches(last: 2, before: \"nope\") { totalCount } }").await;
        assert_eq!((code(&bad), field(&bad)), ("BAD_USER_INPUT", "before"), "{bad}");
        let over = server.query(Some(&admin), "{ openings(last: 101) { totalCount } }").await;
        assert_eq!((code(&over), field(&over)), ("BAD_USER_INPUT", "last"), "{over}");

        // A counselor's list is their school's, in the same order as ADMIN's.
        let school = "sch-1";
        let mine = walked(&server, &counselor(school), "students", "GRADE", "id grade school { id }").await;
        assert!(mine.iter().all(|n| n["school"]["id"] == json!(school)), "{name}");
        let expected: Vec<&str> = by_grade.iter().map(|n| n["id"].as_str().unwrap()).collect();
        let got: Vec<&str> = mine.iter().map(|n| n["id"].as_str().unwrap()).collect();
        assert!(got.iter().all(|id| expected.contains(id)), "{name}");
        let positions: Vec<usize> =
            got.iter().map(|id| expected.iter().position(|e| e == id).unwrap()).collect();
        assert!(positions.windows(2).all(|p| p[0] < p[1]), "{name}: a school's order is the district's");
        server.stop().await;
    }
}
