//! Requests made on a signed-in user's behalf by another site (CSRF). The session cookie goes
//! with every request the browser sends to Quiver, whoever's page sent it, so a change that the
//! cookie authenticates must prove it comes from Quiver's own pages, twice:
//!
//! - the browser says where it was sent from: `Sec-Fetch-Site` must be `same-origin` (or `none`,
//!   typed by the user), or, from browsers without it, `Origin` must be Quiver's own;
//! - it carries the session's token: the `x-quiver-csrf` header (added by `/csrf.js` to the app's
//!   own requests) or, for forms posted before the app has loaded, a `csrf` form field. The
//!   token is derived from the session secret, so other sites can neither read nor make it.
//!
//! Signing in gets the same checks against a random token in the `quiver_csrf` cookie (login
//! CSRF). Token- and Basic-authenticated API clients never use the cookie, so nothing changes
//! for them.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use subtle::ConstantTimeEq;

pub use app::api::auth::{CSRF_COOKIE, csrf_cookie as cookie};
/// The header the page's requests carry the token in.
pub const CSRF_HEADER: &str = "x-quiver-csrf";
/// The form field of forms posted before the app has loaded.
const CSRF_FIELD: &str = "csrf";
/// Largest form body read for its token (sign-in and sign-out forms are tiny).
const MAX_FORM_BYTES: usize = 64 * 1024;

/// Methods that change nothing; everything else must prove its origin.
pub fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the browser says the request came from another site or origin. Requests without
/// either header (non-browser clients) rely on the token alone.
pub fn cross_origin(headers: &HeaderMap, forwarded_host: bool) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(site) = get("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = get("origin") else { return false };
    let Ok(origin) = url::Url::parse(origin) else { return true };
    let Some(origin_host) = origin.host_str() else { return true };
    let origin_authority = match origin.port() {
        Some(port) => format!("{origin_host}:{port}"),
        None => origin_host.to_string(),
    };
    let host = forwarded_host.then(|| get("x-forwarded-host")).flatten().or_else(|| get("host"));
    let Some(host) = host else { return true };
    // The Host header carries a default port only when the client wrote one.
    let host_without_default = host.strip_suffix(":80").or_else(|| host.strip_suffix(":443")).unwrap_or(host);
    !(origin_authority.eq_ignore_ascii_case(host) || origin_authority.eq_ignore_ascii_case(host_without_default))
}

/// Checks the request's token against `expected`; returns the request (its body put back when
/// it was read for a form field) or `None` when the token is missing or wrong.
pub async fn carries_token(req: Request, expected: &str) -> Result<Request, Request> {
    if expected.is_empty() {
        return Err(req);
    }
    let matches = |given: &str| !given.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()));
    if let Some(given) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if matches(given.trim()) { Ok(req) } else { Err(req) };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(req);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return Err(Request::from_parts(parts, Body::empty()));
    };
    let found = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|fields| fields.into_iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v));
    let req = Request::from_parts(parts, Body::from(Bytes::clone(&bytes)));
    if found.as_deref().is_some_and(matches) { Ok(req) } else { Err(req) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(!cross_origin(&headers(&[("sec-fetch-site", "same-origin"), ("host", "q:3000")]), false));
        assert!(cross_origin(&headers(&[("sec-fetch-site", "same-site"), ("host", "q:3000")]), false));
        assert!(cross_origin(&headers(&[("sec-fetch-site", "cross-site")]), false));
    }

    #[test]
    fn otherwise_the_origin_must_be_quivers_own() {
        let h = |origin: &str, host: &str| headers(&[("origin", origin), ("host", host)]);
        assert!(!cross_origin(&h("http://127.0.0.1:3000", "127.0.0.1:3000"), false));
        assert!(!cross_origin(&h("https://quiver.example.com", "quiver.example.com"), false));
        assert!(!cross_origin(&h("https://quiver.example.com", "quiver.example.com:443"), false));
        assert!(cross_origin(&h("http://127.0.0.1:4000", "127.0.0.1:3000"), false), "same site, other port");
        assert!(cross_origin(&h("https://evil.example.com", "quiver.example.com"), false));
        assert!(cross_origin(&h("null", "quiver.example.com"), false));
        assert!(!cross_origin(&headers(&[]), false), "no browser headers: the token decides");
        let proxied = headers(&[
            ("origin", "https://quiver.example.com"),
            ("host", "10.0.0.7:3000"),
            ("x-forwarded-host", "quiver.example.com"),
        ]);
        assert!(!cross_origin(&proxied, true));
        assert!(cross_origin(&proxied, false));
    }

    #[tokio::test]
    async fn the_token_comes_in_the_header_or_a_form_field() {
        let with_header = Request::post("/api/x").header(CSRF_HEADER, "tok").body(Body::empty()).unwrap();
        assert!(carries_token(with_header, "tok").await.is_ok());
        let wrong = Request::post("/api/x").header(CSRF_HEADER, "nope").body(Body::empty()).unwrap();
        assert!(carries_token(wrong, "tok").await.is_err());
        let form = Request::post("/api/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("username=a&csrf=tok&password=b"))
            .unwrap();
        let back = carries_token(form, "tok").await.expect("the form field is accepted");
        let body = axum::body::to_bytes(back.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"username=a&csrf=tok&password=b", "the body is put back");
        let none = Request::post("/api/x").body(Body::from("{}")).unwrap();
        assert!(carries_token(none, "tok").await.is_err());
        let empty = Request::post("/api/x").header(CSRF_HEADER, "").body(Body::empty()).unwrap();
        assert!(carries_token(empty, "").await.is_err());
    }
}
