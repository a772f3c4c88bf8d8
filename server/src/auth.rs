//! Authentication in front of every route (inside the request-id layer): a bearer token, HTTP
//! Basic credentials or the session cookie becomes the
//! request's actor. Deny by default: without one, API calls get 401 and pages redirect to the
//! sign-in page; only sign-in itself and static assets are public.

use std::net::SocketAddr;

use app::AppState;
use app::api::RequestAuth;
use app::api::auth::SESSION_COOKIE;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use quiver::error::{Error, ErrorKind};
use quiver::services::governance::{Actor, Principal, SignInFrom, Source};

use crate::api::error_response;
use crate::csrf;
use crate::request::{RequestId, current_id};

pub async fn authenticate(State(state): State<AppState>, jar: CookieJar, mut req: Request, next: Next) -> Response {
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_else(current_id);
    let path = req.uri().path().to_string();
    let client_ip = client_ip(&req, &state.proxy_trust);
    let api_error = |e: &Error| error_for(&path, e, &request_id);
    let https = req
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));

    let mut principal: Option<Principal> = None;
    let mut source = Source::Ui;
    let mut session_secret = None;
    let basic = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(basic_credentials);
    if let Some((username, password)) = basic {
        // MLflow clients with MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD.
        let from = SignInFrom { client: client_ip.clone(), source: Source::Rest, request_id: request_id.clone() };
        match state.quiver.authenticate_password(&username, &password, &from).await {
            Ok(p) => {
                principal = Some(p);
                source = Source::Rest;
            }
            Err(e) if e.kind == ErrorKind::Unauthenticated => {
                return api_error(&Error::new(ErrorKind::Unauthenticated, "Invalid username or password."));
            }
            Err(e) => return api_error(&e),
        }
    } else if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return api_error(&Error::new(
                ErrorKind::Unauthenticated,
                "Use 'Authorization: Bearer <token>' or HTTP Basic with a username and password.",
            ));
        };
        match state.quiver.authenticate_token(token).await {
            Ok(p) => {
                principal = Some(p);
                source = Source::Rest;
            }
            Err(e) if e.kind == ErrorKind::Unauthenticated => {
                return api_error(&Error::new(
                    ErrorKind::Unauthenticated,
                    "The access token is invalid, expired or revoked.",
                ));
            }
            Err(e) => return api_error(&e),
        }
    } else if let Some(cookie) = jar.get(SESSION_COOKIE) {
        match state.quiver.authenticate_session(cookie.value()).await {
            Ok(p) => {
                principal = Some(p);
                session_secret = Some(cookie.value().to_string());
            }
            // An expired or unknown cookie is the same as none.
            Err(e) if e.kind == ErrorKind::Unauthenticated => {}
            Err(e) => return api_error(&e),
        }
    }

    // The token the page's changes must carry: the session's, or before signing in the random
    // one in the cookie (made now when there is none).
    let page_cookie = jar.get(csrf::CSRF_COOKIE).map(|c| c.value().to_string()).filter(|v| !v.is_empty());
    let csrf_token = match (&session_secret, &page_cookie) {
        (Some(secret), _) => quiver::auth::csrf_token(secret),
        (None, Some(cookie)) => cookie.clone(),
        (None, None) => quiver::auth::anonymous_csrf_token(),
    };
    let set_page_cookie = page_cookie.as_deref() != Some(csrf_token.as_str());
    if csrf::changes_state(req.method()) && (session_secret.is_some() || path == "/api/login") {
        let forwarded_host = !matches!(state.proxy_trust, quiver::auth::ProxyTrust::None);
        let refused = || {
            tracing::info!(path, "refused a cookie-authenticated change that did not come from Quiver's pages");
            api_error(&Error::permission_denied(
                "This change did not come from Quiver's own pages (cross-site request refused). Reload the page and try again.",
            ))
        };
        if csrf::cross_origin(req.headers(), forwarded_host) {
            return refused();
        }
        let expected =
            if session_secret.is_some() { csrf_token.clone() } else { page_cookie.clone().unwrap_or_default() };
        req = match csrf::carries_token(req, &expected).await {
            Ok(req) => req,
            Err(_) => return refused(),
        };
    }

    let signed_in = principal.is_some();
    req.extensions_mut().insert(RequestAuth {
        actor: principal.map(|principal| Actor { principal, source, request_id: request_id.clone() }),
        session_secret: session_secret.clone(),
        request_id: request_id.clone(),
        client_ip,
        https,
        csrf_token: csrf_token.clone(),
    });

    if !signed_in && !is_public(&path) {
        if path.starts_with("/api/") {
            return api_error(&Error::unauthenticated());
        }
        let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let next = if target == "/" { String::new() } else { format!("?next={}", encode_component(target)) };
        let mut response = Redirect::to(&format!("/login{next}")).into_response();
        if set_page_cookie {
            append_cookie(&mut response, &csrf::cookie(&csrf_token, https || state.secure_cookies));
        }
        return response;
    }
    if signed_in && path == "/login" {
        return Redirect::to("/").into_response();
    }
    let is_page = !path.starts_with("/api/") && !path.starts_with("/pkg/");
    let mut response = next.run(req).await;
    if response.status() == StatusCode::OK && !path.starts_with("/pkg/") {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    // Pages hand their token to /csrf.js through the cookie (the sign-in response sets its own).
    if set_page_cookie && (is_page || session_secret.is_some()) && path != "/api/login" && path != "/api/logout" {
        append_cookie(&mut response, &csrf::cookie(&csrf_token, https || state.secure_cookies));
    }
    response
}

fn append_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// `Basic base64(username:password)` → the two parts.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    use base64::Engine;
    let encoded = header.strip_prefix("Basic ").or_else(|| header.strip_prefix("basic "))?.trim();
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// An error in the shape the caller decodes: REST clients get MLflow's shape, the browser app's
/// server functions get Quiver's own error (so the UI can show it, e.g. "sign in again").
fn error_for(path: &str, e: &Error, request_id: &str) -> Response {
    if path.starts_with("/api/") && !is_rest(path) {
        let status = StatusCode::from_u16(e.kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(e).unwrap_or_default();
        return (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    error_response(e, request_id)
}

/// The REST surfaces (as opposed to the UI's server functions, which also live under /api).
fn is_rest(path: &str) -> bool {
    path.starts_with("/api/quiver/")
        || path.starts_with("/api/2.0/")
        || path.starts_with("/api/2.1/")
        || path.starts_with("/api/3.0/")
}

/// The caller's address: the socket's, or what the trusted proxies in front say (see
/// [`quiver::auth::ProxyTrust`]).
fn client_ip(req: &Request, trust: &quiver::auth::ProxyTrust) -> String {
    let Some(peer) = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) else {
        return String::new();
    };
    let forwarded: Vec<&str> =
        req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    trust.client(peer, &forwarded).to_string()
}

/// Reachable without signing in.
fn is_public(path: &str) -> bool {
    matches!(path, "/login" | "/api/login" | "/favicon.svg" | "/csrf.js" | "/api/openapi.json")
        || path.starts_with("/pkg/")
}

/// Percent-encodes a path for the `next` query parameter.
fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sign_in_and_assets_are_public() {
        for p in ["/login", "/api/login", "/pkg/quiver.wasm", "/favicon.svg"] {
            assert!(is_public(p), "{p}");
        }
        for p in ["/", "/explore", "/api/list_catalogs", "/api/quiver/v1/me", "/login/x", "/pkgs"] {
            assert!(!is_public(p), "{p}");
        }
    }

    #[test]
    fn rest_and_server_function_paths_are_told_apart() {
        assert!(is_rest("/api/quiver/v1/me"));
        assert!(is_rest("/api/2.0/mlflow/registered-models/get"));
        assert!(!is_rest("/api/current_user"));
    }

    #[test]
    fn basic_credentials_are_decoded() {
        assert_eq!(basic_credentials("Basic YWxpY2U6czNjcjp0"), Some(("alice".into(), "s3cr:t".into())));
        assert_eq!(basic_credentials("Basic !!!"), None);
        assert_eq!(basic_credentials("Bearer abc"), None);
    }

    #[test]
    fn next_is_encoded() {
        assert_eq!(encode_component("/explore/a b?x=1&y"), "/explore/a%20b%3Fx%3D1%26y");
    }
}
