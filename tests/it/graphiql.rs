//! GraphiQL served from the binary (docs/api.md "Endpoints": no CDN, schools sit
//! behind filters): the page names no other origin, every file it loads is served
//! here with the right type, and its Content-Security-Policy allows nothing else.

use crate::db::sqlite;
use crate::http::{Reply, TestServer, request};

#[tokio::test]
async fn graphiql_loads_nothing_from_elsewhere() {
    let server = TestServer::start(sqlite().await, false).await;
    let page = request(server.addr, "GET", "/graphql", &[], b"").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").is_some_and(|t| t.starts_with("text/html")));
    let html = String::from_utf8(page.body.clone()).unwrap();
    assert!(html.contains("<title>partnermatch GraphiQL</title>"), "{html}");
    assert_no_url("the page", &html);

    let scripts = attributes(&html, "<script", "src");
    let styles = attributes(&html, "<link", "href");
    assert!(scripts.len() >= 3, "React, ReactDOM, GraphiQL and the page's own: {scripts:?}");
    assert!(!styles.is_empty(), "GraphiQL's stylesheet: {styles:?}");
    for (references, expected_type) in [(&scripts, "text/javascript"), (&styles, "text/css")] {
        for reference in references.iter().filter(|r| !r.starts_with("data:")) {
            let reply = fetch_relative(&server, reference).await;
            assert_eq!(reply.status, 200, "{reference}");
            let content_type = reply.header("content-type").unwrap_or_default();
            assert!(content_type.starts_with(expected_type), "{reference}: {content_type}");
            assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{reference}");
            assert!(!reply.body.is_empty(), "{reference}");
            // Vendored files carry their version in their name and are cached for
            // good; the page's own change with the binary and must say no URL either.
            let cache = reply.header("cache-control").unwrap_or_default();
            if has_version(reference) {
                assert!(cache.contains("immutable"), "{reference}: {cache}");
            } else {
                assert_eq!(cache, "no-cache", "{reference}");
                assert_no_url(reference, &String::from_utf8_lossy(&reply.body));
            }
        }
    }
    let missing = request(server.addr, "GET", "/graphiql/assets/nothing.js", &[], b"").await;
    assert_eq!(missing.status, 404);

    let policy = page.header("content-security-policy").expect("a Content-Security-Policy").to_owned();
    let directive = |name: &str| {
        policy
            .split(';')
            .map(str::trim)
            .find_map(|d| d.strip_prefix(name).filter(|rest| rest.starts_with(' ')))
            .unwrap_or_else(|| panic!("no {name} in {policy}"))
            .to_owned()
    };
    assert_eq!(directive("script-src").trim(), "'self'", "{policy}");
    assert_eq!(directive("default-src").trim(), "'none'", "{policy}");
    assert!(directive("connect-src").contains("'self'"), "{policy}");
    assert!(!policy.contains("unpkg") && !policy.contains("http"), "no other host: {policy}");
    for source in policy.split(';').flat_map(|d| d.split_whitespace().skip(1)) {
        let is_keyword = source.starts_with('\'');
        assert!(is_keyword || ["data:", "ws:", "wss:"].contains(&source), "a host in {policy}: {source}");
    }
    server.stop().await;
}

/// Fails if `text` names an http(s) URL.
fn assert_no_url(what: &str, text: &str) {
    for scheme in ["http://", "https://", "//unpkg", "//cdn"] {
        assert!(!text.contains(scheme), "{what} names {scheme}…:\n{text}");
    }
}

/// The value of `attribute` in every tag starting with `tag`.
fn attributes(html: &str, tag: &str, attribute: &str) -> Vec<String> {
    let needle = format!("{attribute}=\"");
    html.split(tag)
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            let start = tag.find(&needle)? + needle.len();
            Some(tag[start..].split('"').next()?.to_owned())
        })
        .collect()
}

/// GETs a reference of the page at `/graphql` the way a browser resolves it.
async fn fetch_relative(server: &TestServer, reference: &str) -> Reply {
    let path = if reference.starts_with('/') { reference.to_owned() } else { format!("/{reference}") };
    request(server.addr, "GET", &path, &[], b"").await
}

/// Whether a file name carries a version such as `-18.3.1`.
fn has_version(reference: &str) -> bool {
    reference
        .split(['-', '.'])
        .collect::<Vec<_>>()
        .windows(3)
        .any(|parts| parts.iter().all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())))
}
