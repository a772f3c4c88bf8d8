use leptos::prelude::*;
use leptos_meta::Title;

/// The 404 page; during server rendering it also sets the status.
#[component]
pub fn NotFound(#[prop(optional, into)] message: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let message = if message.is_empty() { "There is nothing at this address.".to_string() } else { message };
    view! {
        <Title text="Not found"/>
        <div class="not-found">
            <h1>"Not found"</h1>
            <p class="muted" data-testid="not-found">{message}</p>
            <a class="button" href="/explore">"Back to catalogs"</a>
        </div>
    }
}

/// The 403 page: the caller is signed in but may not see this page; during server rendering it
/// also sets the status.
#[component]
pub fn Forbidden(#[prop(into)] message: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::FORBIDDEN);
    }
    view! {
        <Title text="Not allowed"/>
        <div class="not-found">
            <h1>"Not allowed"</h1>
            <p class="muted" data-testid="forbidden">{message}</p>
            <a class="button" href="/explore">"Back to catalogs"</a>
        </div>
    }
}
