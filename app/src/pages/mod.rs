//! One module per page, plus what several pages share.

pub mod admin;
pub mod approvals;
pub mod catalog;
pub mod catalogs;
pub mod compare;
pub mod dialogs;
pub mod experiment;
pub mod login;
pub mod model;
pub mod not_found;
pub mod run;
pub mod schema;
pub mod search;
pub mod tokens;
pub mod version;
pub mod version_new;
pub mod webhooks;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use not_found::NotFound;
use quiver::error::ErrorKind;

use crate::error::AppResult;

/// A route parameter as a reactive string ("" when absent).
pub fn param(name: &'static str) -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get(name).unwrap_or_default())
}

/// The `page` query parameter: the token of the page shown.
pub fn page_token() -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("page").filter(|t| !t.is_empty()))
}

/// Renders a loaded object, or the page a user should see instead: a real 404 for a missing
/// object, a sign-in link when the session ended, the message otherwise.
pub fn loaded<T, V: IntoView + 'static>(result: AppResult<T>, ok: impl FnOnce(T) -> V) -> AnyView {
    match result {
        Ok(v) => ok(v).into_any(),
        Err(e) if e.kind() == ErrorKind::NotFound => view! { <NotFound message=e.message().to_string()/> }.into_any(),
        Err(e) if e.kind() == ErrorKind::Unauthenticated => view! {
            <div class="empty-state">
                <strong>"Your session has ended."</strong>
                <a href="/login">"Sign in again"</a>
            </div>
        }
        .into_any(),
        Err(e) => view! { <div class="form-error" role="alert">{e.message().to_string()}</div> }.into_any(),
    }
}

/// Like [`loaded`], for a part below the page's object (a tab): when the object is missing the
/// page already shows the 404, so the part shows nothing.
pub fn loaded_part<T, V: IntoView + 'static>(result: AppResult<T>, ok: impl FnOnce(T) -> V) -> AnyView {
    match result {
        Err(e) if e.kind() == ErrorKind::NotFound => ().into_any(),
        other => loaded(other, ok),
    }
}
