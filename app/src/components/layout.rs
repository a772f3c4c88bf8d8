//! The frame around every signed-in page: header, catalog tree, content, toasts.

use leptos::prelude::*;
use leptos_router::components::{A, Form, Outlet};
use leptos_router::hooks::use_query_map;

use super::mlflow_links::MlflowLinks;
use super::toast::ToastHost;
use super::tree::Tree;
use crate::api::auth::{Logout, current_user};

#[component]
pub fn Layout() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    let logout = ServerAction::<Logout>::new();
    // Effects run only in the browser, after hydration.
    let mounted = RwSignal::new(false);
    Effect::new(move || mounted.set(true));
    view! {
        <MlflowLinks/>
        <a class="skip-link" href="#main" on:click=skip_to_main>"Skip to content"</a>
        <header class="topbar">
            <a class="brand" href="/">"Quiver"<span>"·"</span></a>
            <nav aria-label="Main">
                <A href="/explore">"Catalogs"</A>
                <A href="/experiments">"Experiments"</A>
                <A href="/approvals">"Approvals"</A>
                <A href="/webhooks">"Webhooks"</A>
            </nav>
            <SearchBox/>
            <div class="spacer"></div>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    user.await.ok().flatten().map(|u| view! {
                        <div class="user">
                            <span><span class="signed-in-as">"Signed in as "</span><strong data-testid="current-user">{u.username.clone()}</strong></span>
                            {u.admin.then(|| view! { <span class="badge admin">"admin"</span> <A href="/admin">"Admin"</A> })}
                            <A href="/settings/tokens">"Access tokens"</A>
                            <ActionForm action=logout>
                                <crate::api::auth::CsrfField/>
                                <button type="submit" class="link" disabled=move || logout.pending().get()>"Sign out"</button>
                            </ActionForm>
                        </div>
                    })
                })}
            </Suspense>
        </header>
        <div class="shell">
            <aside class="sidebar">
                // The tree loads its levels as they open, at times that differ between server and
                // browser; rendered in the browser only, it cannot upset hydration of the page.
                <Show when=move || mounted.get() fallback=|| view! { <h3>"Catalogs"</h3><div class="loading">"Loading…"</div> }>
                    <Tree/>
                </Show>
            </aside>
            <main class="content" id="main" tabindex="-1">
                <Outlet/>
            </main>
        </div>
        <ToastHost/>
    }
}

/// Moves focus to the page's content (the router would otherwise take over the `#main` link).
fn skip_to_main(ev: leptos::ev::MouseEvent) {
    #[cfg(feature = "hydrate")]
    if let Some(main) = document().get_element_by_id("main") {
        ev.prevent_default();
        let _ = wasm_bindgen::JsCast::unchecked_into::<web_sys::HtmlElement>(main).focus();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}

/// The header's search box: `/` focuses it from anywhere; Enter shows the results page.
#[component]
fn SearchBox() -> impl IntoView {
    let query = use_query_map();
    let current = move || query.read().get("q").unwrap_or_default();
    #[cfg(feature = "hydrate")]
    {
        use leptos::ev::keydown;
        let handle = window_event_listener(keydown, |ev| {
            let typing = ev
                .target()
                .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
                .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
            if ev.key() == "/" && !typing {
                if let Some(input) = document().get_element_by_id("site-search") {
                    ev.prevent_default();
                    let _ = wasm_bindgen::JsCast::unchecked_into::<web_sys::HtmlElement>(input).focus();
                }
            }
        });
        on_cleanup(move || handle.remove());
    }
    view! {
        <Form method="GET" action="/search" attr:class="search" attr:role="search">
            <input id="site-search" type="search" name="q" placeholder="Search models  ( / )" aria-label="Search models"
                prop:value=current autocomplete="off"/>
        </Form>
    }
}
