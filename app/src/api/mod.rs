//! Server functions. They only translate: find the acting principal, call one service, return
//! its answer. No registry logic lives here.

pub mod admin;
pub mod aliases;
pub mod approvals;
pub mod auth;
pub mod catalogs;
pub mod comments;
pub mod governance;
pub mod models;
pub mod runs;
pub mod schemas;
pub mod signing_keys;
pub mod tags;
pub mod tokens;
pub mod versions;
pub mod webhooks;

use serde::{Deserialize, Serialize};

/// An object with its markdown description rendered and sanitized on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Described<T> {
    pub item: T,
    pub html: String,
}

#[cfg(feature = "ssr")]
pub(crate) fn described<T>(item: T, markdown: &str) -> Described<T> {
    Described { html: quiver::markdown::render(markdown), item }
}

/// Renders markdown the way descriptions and comments are shown (for the editors' preview).
#[leptos::server]
pub async fn render_markdown(text: String) -> crate::error::AppResult<String> {
    ctx::actor()?;
    if text.len() > 100_000 {
        return Err(quiver::error::Error::invalid("description", "The text is too long to preview.").into());
    }
    Ok(quiver::markdown::render(&text))
}

#[cfg(feature = "ssr")]
pub use ctx::RequestAuth;

#[cfg(feature = "ssr")]
pub(crate) mod ctx {
    use leptos::prelude::*;
    use quiver::Quiver;
    use quiver::services::governance::{Actor, Source};

    use crate::error::AppError;

    /// What the HTTP layer learned about the caller, stored in the request's extensions.
    #[derive(Debug, Clone)]
    pub struct RequestAuth {
        pub actor: Option<Actor>,
        /// The raw session secret from the cookie, for sign-out.
        pub session_secret: Option<String>,
        pub request_id: String,
        pub client_ip: String,
        pub https: bool,
        /// The token this page's changes must carry (see the server's `csrf` module).
        pub csrf_token: String,
    }

    pub fn quiver() -> Quiver {
        expect_context::<crate::AppState>().quiver
    }

    pub fn request_auth() -> Option<RequestAuth> {
        use_context::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<RequestAuth>().cloned())
    }

    /// The signed-in caller, or Unauthenticated.
    pub fn actor() -> Result<Actor, AppError> {
        request_auth()
            .and_then(|a| a.actor)
            .map(|mut a| {
                a.source = Source::Ui;
                a
            })
            .ok_or_else(|| quiver::error::Error::unauthenticated().into())
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use leptos::server_fn::ServerFn;

    /// The browser calls server functions by these URLs, so the server and the web assets must
    /// agree on them wherever each was built. `.cargo/config.toml` fixes the key they are hashed
    /// with; without it the hash comes from the checkout's path and this differs between clones.
    #[test]
    fn server_function_urls_do_not_depend_on_where_quiver_is_built() {
        assert_eq!(<super::catalogs::ListCatalogs as ServerFn>::PATH, "/api/list_catalogs15447393957152458180");
    }
}
