//! The console at `GET /`: web pages for counselors, partners, families and ADMIN,
//! written as plain JavaScript modules and one stylesheet under
//! `api/service/assets/console/` and embedded in the binary (no build step, no
//! Node, nothing from another origin). The pages talk only to this service's
//! GraphQL API and export endpoints with the user's bearer token, so everything
//! they show obeys the API's access rules.
//!
//! Under `--demo` the sign-in page also offers one button per role; those tokens
//! are minted here for fixed demo people (see [`DemoPeople`]).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use store::records::Role;

use crate::auth::Minter;

/// The URL path of the console's files; the page names them `console/…`.
pub const ASSETS_PATH: &str = "/console/{file}";

/// What the pages may do: their own scripts, styles and images, and requests to
/// this origin only (the websocket of run progress included, `'self'` in CSP 3).
pub const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// How long a demo sign-in lasts.
const DEMO_TTL: std::time::Duration = std::time::Duration::from_secs(8 * 3600);

/// Who the demo sign-in buttons sign in as: one family, the partner of one of its
/// proposed matches and their school's counselor, so the journeys of every role
/// meet on the same matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoPeople {
    /// The counselor's school.
    pub school: String,
    /// The partner.
    pub partner: String,
    /// The student (and family).
    pub student: String,
}

/// `--demo`'s sign-in: the people, and the development key their tokens are signed with.
pub struct DemoSignIn {
    /// Signs the tokens (the development secret the service checks tokens with).
    pub minter: Minter,
    /// Who each role signs in as.
    pub people: DemoPeople,
}

/// The console's page. Its scripts and styles are files of their own, so no
/// inline script or style is needed.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(PAGE)
}

/// One of the console's files by name, or 404.
pub async fn asset(file: web::Path<String>) -> HttpResponse {
    let Some(found) = ASSETS.iter().find(|asset| asset.0 == file.as_str()) else {
        return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such file");
    };
    HttpResponse::Ok()
        .content_type(found.1)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(found.2)
}

/// `GET /console/demo`: the roles one may sign in as with a button: all four
/// under `--demo`, none otherwise.
pub async fn demo_roles(demo: web::Data<Option<DemoSignIn>>) -> HttpResponse {
    let roles: &[&str] = match demo.as_ref() {
        Some(_) => &["ADMIN", "COUNSELOR", "PARTNER", "STUDENT"],
        None => &[],
    };
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "roles": roles }))
}

/// What `POST /console/demo-token` reads.
#[derive(Deserialize)]
pub struct DemoRequest {
    role: String,
}

/// `POST /console/demo-token` `{"role": "COUNSELOR"}`: under `--demo`, a token for
/// that role's demo person (404 otherwise; 400 for an unknown role).
pub async fn demo_token(
    demo: web::Data<Option<DemoSignIn>>,
    request: web::Json<DemoRequest>,
) -> HttpResponse {
    let Some(demo) = demo.as_ref() else {
        return not_found();
    };
    let people = &demo.people;
    let (role, scope) = match request.role.to_ascii_uppercase().as_str() {
        "ADMIN" => (Role::Admin, None),
        "COUNSELOR" => (Role::Counselor, Some(people.school.as_str())),
        "PARTNER" => (Role::Partner, Some(people.partner.as_str())),
        "STUDENT" => (Role::Student, Some(people.student.as_str())),
        _ => {
            return HttpResponse::BadRequest()
                .json(serde_json::json!({ "error": "role is one of ADMIN, COUNSELOR, PARTNER, STUDENT" }));
        }
    };
    match demo.minter.mint(role, scope, DEMO_TTL, Utc::now()) {
        Ok(token) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({ "token": token })),
        Err(err) => {
            tracing::error!(error = %err, "cannot mint a demo token");
            HttpResponse::InternalServerError().json(serde_json::json!({ "error": "cannot sign in now" }))
        }
    }
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("not found")
}

const PAGE: &str = include_str!("../assets/console/index.html");

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// Every file the page loads: (name, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("console.css", "text/css; charset=utf-8", include_bytes!("../assets/console/console.css")),
    ("app.js", JAVASCRIPT, include_bytes!("../assets/console/app.js")),
    ("api.js", JAVASCRIPT, include_bytes!("../assets/console/api.js")),
    ("i18n.js", JAVASCRIPT, include_bytes!("../assets/console/i18n.js")),
    ("ui.js", JAVASCRIPT, include_bytes!("../assets/console/ui.js")),
    ("counselor.js", JAVASCRIPT, include_bytes!("../assets/console/counselor.js")),
    ("partner.js", JAVASCRIPT, include_bytes!("../assets/console/partner.js")),
    ("family.js", JAVASCRIPT, include_bytes!("../assets/console/family.js")),
    ("admin.js", JAVASCRIPT, include_bytes!("../assets/console/admin.js")),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every module the page or another module imports is served.
    #[test]
    fn every_imported_file_is_served() {
        let served: Vec<&str> = ASSETS.iter().map(|asset| asset.0).collect();
        let mut named = Vec::new();
        for text in
            std::iter::once(PAGE).chain(ASSETS.iter().filter_map(|asset| std::str::from_utf8(asset.2).ok()))
        {
            for piece in text.split(['"', '\'']) {
                if let Some(file) = piece.strip_prefix("./").or_else(|| piece.strip_prefix("console/"))
                    && (file.ends_with(".js") || file.ends_with(".css"))
                {
                    named.push(file.to_owned());
                }
            }
        }
        assert!(named.len() >= 8, "{named:?}");
        for file in named {
            assert!(served.contains(&file.as_str()), "{file} is imported but not served");
        }
    }
}
