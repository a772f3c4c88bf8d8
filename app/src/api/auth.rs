use leptos::prelude::*;
use quiver::services::governance::Principal;

use crate::error::AppResult;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "quiver_session";

/// Signs in and sets the session cookie. One generic error for any wrong username or password.
#[server(endpoint = "login")]
pub async fn login(username: String, password: String, next: Option<String>) -> AppResult<Principal> {
    use axum::http::{HeaderValue, header};
    let auth = ctx::request_auth();
    let ip = auth.as_ref().map(|a| a.client_ip.clone()).unwrap_or_default();
    let https = auth.as_ref().is_some_and(|a| a.https);
    let state = expect_context::<crate::AppState>();
    let session = state.quiver.login(&username, &password, &ip).await?;
    let cookie = session_cookie(&session.secret, state.session_ttl_secs, https || state.secure_cookies);
    let response = expect_context::<leptos_axum::ResponseOptions>();
    response.insert_header(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("cookie is ASCII"));
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(session.principal)
}

/// Ends the current session and clears the cookie.
#[server(endpoint = "logout")]
pub async fn logout() -> AppResult<()> {
    use axum::http::{HeaderValue, header};
    if let Some(secret) = ctx::request_auth().and_then(|a| a.session_secret) {
        ctx::quiver().logout(&secret).await?;
    }
    let response = expect_context::<leptos_axum::ResponseOptions>();
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    response.insert_header(header::SET_COOKIE, HeaderValue::from_str(&clear).expect("cookie is ASCII"));
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in user, if any.
#[server]
pub async fn current_user() -> AppResult<Option<Principal>> {
    Ok(ctx::request_auth().and_then(|a| a.actor).map(|a| a.principal))
}

#[cfg(feature = "ssr")]
use super::ctx;

#[cfg(feature = "ssr")]
pub fn session_cookie(secret: &str, ttl_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={ttl_secs}{secure}")
}

/// Where to go after signing in: a local path only, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.chars().any(|c| c.is_control() || c == '\\') => {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/explore/prod")), "/explore/prod");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/", "browsers drop tabs: //evil.example");
        assert_eq!(safe_next(Some("/a\u{7f}")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
