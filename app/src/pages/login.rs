//! Sign in. Works before the app has hydrated: the form posts to the server function directly.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::{CsrfField, Login};

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    // An MLflow link followed while signed out ("View run at …/#/experiments/1/runs/<id>") came
    // through the redirect with its fragment: after signing in, go where it points.
    let from_link = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move || {
        let fragment = window().location().hash().unwrap_or_default();
        from_link.set(crate::components::mlflow_links::mlflow_link_target(&fragment));
    });
    let next = move || from_link.get().unwrap_or_else(|| query.read().get("next").unwrap_or_default());
    let pending = login.pending();
    let error = move || login.value().get().and_then(|r| r.err()).map(|e| e.message().to_string());
    view! {
        <Title text="Sign in"/>
        <div class="login-wrap">
            <div class="login">
                <h1>"Quiver"</h1>
                <p>"Sign in to the model catalog."</p>
                <ActionForm action=login>
                    <input type="hidden" name="next" value=next/>
                    <CsrfField/>
                    {move || error().map(|m| view! { <div class="form-error" role="alert" data-testid="login-error">{m}</div> })}
                    <div class="field">
                        <label for="username">"Username"</label>
                        <input id="username" name="username" type="text" autocomplete="username" required autofocus/>
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    </div>
                    <button type="submit" class="primary" disabled=move || pending.get()>
                        {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </div>
        </div>
    }
}
