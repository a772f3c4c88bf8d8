use leptos::prelude::*;
use quiver::services::governance::Principal;

use crate::error::AppResult;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "quiver_session";
/// Name of the cookie holding the page's anti-forgery token (see the server's `csrf` module):
/// readable by Quiver's own script, which sends it back in the `x-quiver-csrf` header.
pub const CSRF_COOKIE: &str = "quiver_csrf";

/// The anti-forgery token of this page, for forms that may be posted before the app has loaded.
pub fn page_csrf_token() -> String {
    #[cfg(feature = "ssr")]
    {
        ctx::request_auth().map(|a| a.csrf_token).unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        use wasm_bindgen::JsCast;
        let cookies = document().dyn_into::<web_sys::HtmlDocument>().ok().and_then(|d| d.cookie().ok());
        cookies
            .unwrap_or_default()
            .split(';')
            .find_map(|c| c.trim().strip_prefix(CSRF_COOKIE).and_then(|rest| rest.strip_prefix('=')).map(str::to_owned))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        String::new()
    }
}

/// The hidden field carrying the page's token, for `<ActionForm>`s that work before hydration.
#[component]
pub fn CsrfField() -> impl IntoView {
    view! { <input type="hidden" name="csrf" value=page_csrf_token()/> }
}

/// Signs in and sets the session cookie. One generic error for any wrong username or password.
#[server(endpoint = "login")]
pub async fn login(username: String, password: String, next: Option<String>) -> AppResult<Principal> {
    use axum::http::{HeaderValue, header};
    let auth = ctx::request_auth();
    let from = quiver::services::governance::SignInFrom {
        client: auth.as_ref().map(|a| a.client_ip.clone()).unwrap_or_default(),
        source: quiver::services::governance::Source::Ui,
        request_id: auth.as_ref().map(|a| a.request_id.clone()).unwrap_or_default(),
    };
    let https = auth.as_ref().is_some_and(|a| a.https);
    let state = expect_context::<crate::AppState>();
    let session = state.quiver.login(&username, &password, &from).await?;
    let cookie = session_cookie(&session.secret, state.session_ttl_secs, https || state.secure_cookies);
    let response = expect_context::<leptos_axum::ResponseOptions>();
    response.insert_header(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("cookie is ASCII"));
    // The new session's token replaces the one that guarded the sign-in form.
    let csrf = csrf_cookie(&quiver::auth::csrf_token(&session.secret), https || state.secure_cookies);
    response.append_header(header::SET_COOKIE, HeaderValue::from_str(&csrf).expect("cookie is ASCII"));
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

/// The `Set-Cookie` value for a page's anti-forgery token: not HttpOnly (the page's script reads
/// it), never sent along by other sites' requests (SameSite=Strict).
#[cfg(feature = "ssr")]
pub fn csrf_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{CSRF_COOKIE}={token}; Path=/; SameSite=Strict{secure}")
}

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
