//! GraphiQL at `GET /graphql`, served from the binary: React, ReactDOM and GraphiQL
//! are vendored at pinned versions under `api/service/assets/graphiql/` (see its
//! README) and embedded here, so the page works on a school network behind a filter
//! or on a machine without internet. Nothing on the page comes from another origin,
//! and the Content-Security-Policy says so.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

/// The URL path under which [`asset`] serves the page's files; the page names them
/// relative to itself (`graphiql/assets/…`), so a proxy's path prefix carries over.
pub const ASSETS_PATH: &str = "/graphiql/assets/{file}";

/// What the page may do: run its own scripts and styles, talk to this origin only
/// (`'self'` covers `ws:`/`wss:` to the same host in CSP Level 3, which the
/// subscriptions need). Inline styles stay allowed because GraphiQL's dialogs
/// (settings, short keys) insert a `<style>` element to lock scrolling, with
/// values computed at run time, so no hash fits (checked in Chromium: without
/// `'unsafe-inline'` those are refused); inline scripts are not allowed. Fonts and
/// icons are `data:` URLs inside GraphiQL's stylesheet.
pub const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The page itself. Its script is a file of its own so that no inline script is needed.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(PAGE)
}

/// One of the page's files by name, or 404.
pub async fn asset(file: web::Path<String>) -> HttpResponse {
    let Some(found) = ASSETS.iter().find(|asset| asset.name == file.as_str()) else {
        return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such asset");
    };
    // Vendored files carry their version in their name and never change under it;
    // the page's own files change with the binary, so browsers ask again.
    let cache = if found.is_versioned { "public, max-age=31536000, immutable" } else { "no-cache" };
    HttpResponse::Ok()
        .content_type(found.content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(found.bytes)
}

const PAGE: &str = include_str!("../assets/graphiql/page.html");

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    is_versioned: bool,
    bytes: &'static [u8],
}

/// Every file the page names; the page's `<script src>` and `<link href>` must match.
const ASSETS: &[Asset] = &[
    Asset {
        name: "react-18.3.1.production.min.js",
        content_type: JAVASCRIPT,
        is_versioned: true,
        bytes: include_bytes!("../assets/graphiql/react-18.3.1.production.min.js"),
    },
    Asset {
        name: "react-dom-18.3.1.production.min.js",
        content_type: JAVASCRIPT,
        is_versioned: true,
        bytes: include_bytes!("../assets/graphiql/react-dom-18.3.1.production.min.js"),
    },
    Asset {
        name: "graphiql-3.9.0.min.js",
        content_type: JAVASCRIPT,
        is_versioned: true,
        bytes: include_bytes!("../assets/graphiql/graphiql-3.9.0.min.js"),
    },
    Asset {
        name: "graphiql-3.9.0.min.css",
        content_type: CSS,
        is_versioned: true,
        bytes: include_bytes!("../assets/graphiql/graphiql-3.9.0.min.css"),
    },
    Asset {
        name: "page.js",
        content_type: JAVASCRIPT,
        is_versioned: false,
        bytes: include_bytes!("../assets/graphiql/page.js"),
    },
    Asset {
        name: "page.css",
        content_type: CSS,
        is_versioned: false,
        bytes: include_bytes!("../assets/graphiql/page.css"),
    },
];
