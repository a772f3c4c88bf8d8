//! Quiver's browser app: rendered on the server, hydrated in the browser.

#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod error;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::components::layout::Layout;
use crate::components::toast::provide_toasts;
use crate::pages::catalog::CatalogPage;
use crate::pages::catalogs::CatalogsPage;
use crate::pages::login::LoginPage;
use crate::pages::model::ModelPage;
use crate::pages::not_found::NotFound;
use crate::pages::schema::SchemaPage;
use crate::pages::search::SearchPage;
use crate::pages::tokens::TokensPage;
use crate::pages::version::VersionPage;
use crate::pages::version_new::NewVersionPage;

/// Server-side state every server function can reach through `expect_context`.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub quiver: quiver::Quiver,
    /// Lifetime of the session cookie, in seconds.
    pub session_ttl_secs: u64,
    pub secure_cookies: bool,
    /// Which proxies may tell the client's address (X-Forwarded-For).
    pub proxy_trust: quiver::auth::ProxyTrust,
}

/// Handlers take the registry itself: `State(quiver): State<Quiver>`.
#[cfg(feature = "ssr")]
impl axum::extract::FromRef<AppState> for quiver::Quiver {
    fn from_ref(state: &AppState) -> Self {
        state.quiver.clone()
    }
}

#[cfg(feature = "ssr")]
impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The scripts Leptos writes inline carry the nonce the page's policy names (the server draws
    // it per response; there is none in the browser build).
    #[cfg(feature = "ssr")]
    if let Some(n) = use_context::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned()) {
        provide_context(leptos::nonce::Nonce::from_value(n.0));
    }
    let nonce = use_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // Before the app: its requests carry the page's anti-forgery token.
                <script src="/csrf.js" nonce=nonce></script>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The nonce of this response's inline scripts, drawn by the server's page-security layer, which
/// also sends the Content-Security-Policy naming it.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

/// Bumped after every successful change so lists and the tree fetch again.
#[derive(Clone, Copy)]
pub struct RegistryVersion(pub RwSignal<u64>);

impl RegistryVersion {
    pub fn bump(&self) {
        self.0.update(|v| *v += 1);
    }
    pub fn get(&self) -> u64 {
        self.0.get()
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_toasts();
    provide_context(RegistryVersion(RwSignal::new(0)));
    view! {
        <Stylesheet id="quiver" href="/pkg/quiver.css"/>
        <Title formatter=|t: String| if t.is_empty() { "Quiver".to_string() } else { format!("{t} · Quiver") }/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=Layout ssr=SsrMode::Async>
                    <Route path=path!("/") view=CatalogsPage ssr=SsrMode::Async/>
                    <Route path=path!("/explore") view=CatalogsPage ssr=SsrMode::Async/>
                    <Route path=path!("/explore/:catalog") view=CatalogPage ssr=SsrMode::Async/>
                    <Route path=path!("/explore/:catalog/:schema") view=SchemaPage ssr=SsrMode::Async/>
                    <Route path=path!("/explore/:catalog/:schema/:model") view=ModelPage ssr=SsrMode::Async/>
                    <Route path=path!("/explore/:catalog/:schema/:model/versions/new") view=NewVersionPage ssr=SsrMode::Async/>
                    <Route path=path!("/explore/:catalog/:schema/:model/compare") view=pages::compare::ComparePage ssr=SsrMode::Async/>
                    <Route path=path!("/explore/:catalog/:schema/:model/versions/:n") view=VersionPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/tokens") view=TokensPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view=pages::admin::AdminPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/audit") view=pages::admin::AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async/>
                    <Route path=path!("/runs/:run_id") view=pages::run::RunPage ssr=SsrMode::Async/>
                    <Route path=path!("/experiments") view=pages::experiment::ExperimentsPage ssr=SsrMode::Async/>
                    <Route path=path!("/experiments/:id") view=pages::experiment::ExperimentPage ssr=SsrMode::Async/>
                    <Route path=path!("/approvals") view=pages::approvals::ApprovalsPage ssr=SsrMode::Async/>
                    <Route path=path!("/approvals/:id") view=pages::approvals::RequestPage ssr=SsrMode::Async/>
                    <Route path=path!("/webhooks") view=pages::webhooks::WebhooksPage ssr=SsrMode::Async/>
                    <Route path=path!("/webhooks/:id") view=pages::webhooks::WebhookPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // Lets tests (and curious users) tell the interactive app from the server-rendered page.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
