//! Aliases: badges, the set/move form, removal, the history timeline and the as-of answer.

use leptos::prelude::*;
use quiver::services::paging::Page;
use quiver::services::registry::{AliasEvent, AliasRef, AliasesAt};

use crate::RegistryVersion;
use crate::api::aliases::{alias_history, aliases_as_of, delete_alias, set_alias};
use crate::api::models::get_model;
use crate::components::crumbs::explore_href;
use crate::components::toast::use_toasts;
use crate::components::widgets::{EmptyState, Pager, Time};
use crate::error::AppResult;
use crate::pages::{loaded_part, page_token};

/// The model a component works on.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRef {
    pub catalog: String,
    pub schema: String,
    pub model: String,
}

impl ModelRef {
    pub fn href(&self) -> String {
        explore_href(&[&self.catalog, &self.schema, &self.model])
    }
}

/// "@Champion → v2" badges linking to the versions.
#[component]
pub fn AliasBadges(model: ModelRef, aliases: Vec<AliasRef>) -> impl IntoView {
    let base = model.href();
    view! {
        <span class="aliases" data-testid="alias-badges">
            {aliases.into_iter().map(|a| view! {
                <a class="badge alias" href=format!("{base}/versions/{}", a.version) data-testid="alias-badge">
                    {format!("@{} → v{}", a.alias, a.version)}
                </a>
            }).collect_view()}
        </span>
    }
}

/// Sets or moves an alias. With `version` fixed (the version page), only the alias is asked.
#[component]
pub fn SetAliasForm(model: ModelRef, #[prop(optional)] version: Option<i64>) -> impl IntoView {
    let alias = RwSignal::new(String::new());
    let number = RwSignal::new(version.map(|v| v.to_string()).unwrap_or_default());
    let toasts = use_toasts();
    let registry = expect_context::<RegistryVersion>();
    let set = Action::new(move |(alias, n): &(String, String)| {
        let (m, alias, n) = (model.clone(), alias.clone(), n.clone());
        async move {
            let n = n.trim().trim_start_matches('v').parse::<i64>().map_err(|_| {
                crate::error::AppError::from(quiver::error::Error::invalid("version", "Enter a version number."))
            })?;
            set_alias(m.catalog, m.schema, m.model, alias, n).await
        }
    });
    let error = Signal::derive(move || set.value().get().and_then(|r| r.err()));
    let cannot = crate::components::permissions::denied(quiver::services::governance::privileges::Operation::SetAlias);
    Effect::new(move || {
        if let Some(Ok(v)) = set.value().get() {
            set.value().set(None);
            toasts.success(format!("@{} now names version {}.", alias.get_untracked().trim(), v.version));
            alias.set(String::new());
            registry.bump();
        }
    });
    view! {
        <form class="inline-form" data-testid="set-alias" on:submit=move |ev| {
            ev.prevent_default();
            set.dispatch((alias.get_untracked(), number.get_untracked()));
        }>
            <label>
                "Alias"
                <input name="alias" placeholder="Champion" required=true autocomplete="off"
                    prop:value=move || alias.get() on:input=move |ev| alias.set(event_target_value(&ev))/>
            </label>
            {version.is_none().then(|| view! {
                <label>
                    "Version"
                    <input name="version" inputmode="numeric" placeholder="2" required=true size="6"
                        prop:value=move || number.get() on:input=move |ev| number.set(event_target_value(&ev))/>
                </label>
            })}
            <button type="submit" class="primary small" disabled=move || set.pending().get() || cannot.get().is_some()
                title=move || cannot.get().unwrap_or_default()>
                {move || if set.pending().get() { "Setting…" } else { "Set alias" }}
            </button>
            <span class="error" role="alert">{move || error.get().map(|e| e.message().to_string())}</span>
            <crate::components::permissions::DeniedReason reason=cannot/>
        </form>
    }
}

/// A remove (×) button for an alias, with a confirmation.
#[component]
pub fn RemoveAliasButton(model: ModelRef, alias: String) -> impl IntoView {
    let toasts = use_toasts();
    let registry = expect_context::<RegistryVersion>();
    let remove = Action::new(move |alias: &String| {
        let (m, alias) = (model.clone(), alias.clone());
        async move { delete_alias(m.catalog, m.schema, m.model, alias).await }
    });
    Effect::new(move || match remove.value().get() {
        Some(Ok(())) => {
            remove.value().set(None);
            toasts.success("Alias removed.");
            registry.bump();
        }
        Some(Err(e)) => {
            remove.value().set(None);
            toasts.error(e.message().to_string());
        }
        None => {}
    });
    let label = format!("Remove alias {alias}");
    let question = format!("Remove alias @{alias}? Code loading models:/…@{alias} will stop finding a version.");
    view! {
        <button type="button" class="chip-remove" aria-label=label.clone() title=label disabled=move || remove.pending().get()
            on:click=move |_| {
                #[cfg(feature = "hydrate")]
                if !window().confirm_with_message(&question).unwrap_or(false) {
                    return;
                }
                let _ = &question;
                remove.dispatch(alias.clone());
            }>"×"</button>
    }
}

/// The Aliases tab: current aliases, the set form, the as-of answer, and the history.
#[component]
pub fn AliasPanel(model: ModelRef) -> impl IntoView {
    let token = page_token();
    let registry = expect_context::<RegistryVersion>();
    let current = Resource::new(move || registry.get(), {
        let m = model.clone();
        move |_| {
            let m = m.clone();
            async move { get_model(m.catalog, m.schema, m.model).await.map(|d| d.item.aliases) }
        }
    });
    let history = Resource::new(move || (registry.get(), token.get()), {
        let m = model.clone();
        move |(_, t)| alias_history(m.catalog.clone(), m.schema.clone(), m.model.clone(), t)
    });
    let base = format!("{}?tab=aliases", model.href());
    let href = model.href();
    let (list_model, list_href) = (model.clone(), href.clone());
    view! {
        <section class="card" data-testid="aliases">
            <h3>"Current aliases"</h3>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let (model, href) = (list_model.clone(), list_href.clone());
                    Suspend::new(async move {
                        loaded_part(current.await, move |aliases| current_aliases(model, href, aliases))
                    })
                }}
            </Suspense>
            <SetAliasForm model=model.clone()/>
        </section>
        <AsOf model=model.clone()/>
        <h3>"History"</h3>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let (base, href) = (base.clone(), href.clone());
                Suspend::new(async move {
                    loaded_part(history.await, move |page| history_view(page, base, href, token.get_untracked()))
                })
            }}
        </Suspense>
    }
}

fn current_aliases(model: ModelRef, href: String, aliases: Vec<AliasRef>) -> AnyView {
    if aliases.is_empty() {
        view! { <p class="muted">"No aliases. Point one at a version, e.g. Champion → 2, and load it with models:/…@Champion."</p> }.into_any()
    } else {
        view! {
            <ul class="alias-list">
                {aliases.into_iter().map(|a| view! {
                    <li data-testid="alias-row">
                        <span class="badge alias">{format!("@{}", a.alias)}</span>
                        " → " <a href=format!("{href}/versions/{}", a.version)>{format!("Version {}", a.version)}</a>
                        <RemoveAliasButton model=model.clone() alias=a.alias.clone()/>
                    </li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    }
}

fn history_view(page: Page<AliasEvent>, base: String, href: String, current: Option<String>) -> AnyView {
    if page.items.is_empty() {
        return view! { <EmptyState title="No alias has moved yet"><p>"Every set, move and removal is recorded here."</p></EmptyState> }.into_any();
    }
    view! {
        <ol class="timeline" data-testid="alias-history">
            {page.items.into_iter().map(|e| {
                let link = |v: i64| view! { <a href=format!("{href}/versions/{v}")>{format!("v{v}")}</a> };
                let what = match (e.from_version, e.to_version) {
                    (None, Some(to)) => view! { "set to " {link(to)} }.into_any(),
                    (Some(from), Some(to)) => view! { "moved " {link(from)} " → " {link(to)} }.into_any(),
                    (Some(from), None) => view! { "removed from " {link(from)} }.into_any(),
                    (None, None) => view! { "changed" }.into_any(),
                };
                view! {
                    <li data-testid="alias-event">
                        <span class="badge alias">{format!("@{}", e.alias)}</span> " " {what}
                        {e.reason.clone().map(|r| view! { <span class="muted">{format!(" ({r})")}</span> })}
                        <div class="muted small">
                            <strong>{e.by.clone()}</strong> " · " <Time at=e.at/> " · " {e.source.clone()}
                            {(!e.request_id.is_empty()).then(|| view! { <span title="Request id">{format!(" · {}", e.request_id)}</span> })}
                        </div>
                    </li>
                }
            }).collect_view()}
        </ol>
        <Pager current next=page.next_page_token base/>
    }
    .into_any()
}

/// "Which version was Champion on …": pick a time, see every alias as it was then.
#[component]
fn AsOf(model: ModelRef) -> impl IntoView {
    let when = RwSignal::new(String::new());
    let href = model.href();
    let ask = Action::new(move |at: &String| {
        let (m, at) = (model.clone(), at.clone());
        async move { aliases_as_of(m.catalog, m.schema, m.model, at).await }
    });
    let answer = move || ask.value().get();
    view! {
        <section class="card" data-testid="as-of">
            <h3>"Aliases at a point in time"</h3>
            <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); ask.dispatch(when.get_untracked()); }>
                <label>
                    "Date and time (UTC)"
                    <input type="datetime-local" name="at" step="1" required=true
                        prop:value=move || when.get() on:input=move |ev| when.set(event_target_value(&ev))/>
                </label>
                <button type="submit" class="small" disabled=move || ask.pending().get()>"Show"</button>
            </form>
            {move || answer().map(|r: AppResult<AliasesAt>| match r {
                Ok(at) if at.aliases.is_empty() => view! {
                    <p data-testid="as-of-answer" class="muted">{format!("No aliases were set at {}.", at.at.format("%Y-%m-%d %H:%M:%S UTC"))}</p>
                }.into_any(),
                Ok(at) => view! {
                    <div data-testid="as-of-answer">
                        <p class="muted">{format!("At {}:", at.at.format("%Y-%m-%d %H:%M:%S UTC"))}</p>
                        <ul class="alias-list">
                            {at.aliases.into_iter().map(|a| view! {
                                <li>
                                    <span class="badge alias">{format!("@{}", a.alias)}</span>
                                    " → " <a href=format!("{}/versions/{}", href, a.version)>{format!("Version {}", a.version)}</a>
                                </li>
                            }).collect_view()}
                        </ul>
                    </div>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.message().to_string()}</p> }.into_any(),
            })}
        </section>
    }
}
