//! Cross-origin requests (`PARTNERMATCH_CORS_ORIGINS`): a partner portal or a
//! mobile web app on its own origin may call the API when its origin is listed.
//! Tokens travel in `Authorization`, never in cookies, so credentials are not
//! allowed; an unlisted origin gets no `Access-Control-Allow-Origin`, and the
//! browser keeps the answer from it.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

/// How long a browser may cache a preflight's answer.
const MAX_AGE_SECONDS: &str = "600";
const METHODS: &str = "GET, POST, OPTIONS";
const HEADERS: &str = "authorization, content-type, x-request-id";

/// The origins allowed to call the API, exactly as browsers send them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// Reads a list of origins such as `https://portal.example.org,http://localhost:3000`.
    ///
    /// # Errors
    /// An entry that is not `scheme://host[:port]` (no path, no `*`): a typo would
    /// otherwise fail silently in every browser.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<AllowedOrigins, String> {
        let mut origins = Vec::new();
        for entry in entries.iter().map(|entry| entry.as_ref().trim()).filter(|entry| !entry.is_empty()) {
            let origin = entry.trim_end_matches('/');
            let well_formed = ["http://", "https://"].iter().any(|scheme| {
                origin.strip_prefix(scheme).is_some_and(|rest| {
                    !rest.is_empty()
                        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
                })
            });
            if !well_formed {
                return Err(format!(
                    "PARTNERMATCH_CORS_ORIGINS: {entry:?} is not an origin; write scheme://host[:port], \
                     such as https://portal.example.org"
                ));
            }
            origins.push(origin.to_ascii_lowercase());
        }
        Ok(AllowedOrigins(origins))
    }

    /// Whether `origin` is listed.
    pub fn allows(&self, origin: &str) -> bool {
        self.0.iter().any(|listed| listed.eq_ignore_ascii_case(origin))
    }

    /// No origin listed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Answers preflights and marks answers to listed origins; everything else passes
/// through untouched.
pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let allowed = request.app_data::<web::Data<AllowedOrigins>>().cloned().unwrap_or_default();
    let origin =
        request.headers().get(header::ORIGIN).and_then(|value| value.to_str().ok()).map(str::to_owned);
    let listed = origin.as_deref().filter(|origin| allowed.allows(origin)).map(str::to_owned);
    if request.method() == Method::OPTIONS {
        let mut response = HttpResponse::build(StatusCode::NO_CONTENT);
        response.insert_header((header::ALLOW, METHODS)).insert_header((header::VARY, "Origin"));
        if let Some(origin) = &listed {
            response
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.as_str()))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, METHODS))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE_SECONDS));
        }
        return Ok(request.into_response(response.finish()).map_into_right_body());
    }
    let mut response = next.call(request).await?;
    mark(response.headers_mut(), listed.as_deref());
    Ok(response.map_into_left_body())
}

fn mark(headers: &mut HeaderMap, origin: Option<&str>) {
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(value) = origin.and_then(|origin| HeaderValue::from_str(origin).ok()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("x-request-id"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_parsed_strictly() {
        let allowed =
            AllowedOrigins::parse(&["https://Portal.example.org/", " http://localhost:3000", ""]).unwrap();
        assert!(allowed.allows("https://portal.example.org"));
        assert!(allowed.allows("http://localhost:3000"));
        assert!(!allowed.allows("http://localhost:3001"));
        assert!(!allowed.allows("https://portal.example.org.evil.example"));
        for bad in ["*", "portal.example.org", "https://portal.example.org/app", "ftp://x", "https://"] {
            assert!(AllowedOrigins::parse(&[bad]).is_err(), "{bad}");
        }
        assert!(AllowedOrigins::parse::<&str>(&[]).unwrap().is_empty());
    }
}
