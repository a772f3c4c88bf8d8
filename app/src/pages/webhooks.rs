//! Webhooks: the list (failing ones flagged), registering one (its secret shown once), and one
//! webhook's page: settings, "send test event", and the delivery log with redelivery.

use leptos::prelude::*;
use leptos_meta::Title;
use quiver::services::delivery::{EVENT_TYPES, NewWebhook, WebhookFormat, WebhookScope, WebhookUpdate};

use super::{loaded, param};
use crate::api::webhooks::{
    create_webhook, delete_webhook, get_webhook, list_deliveries, list_webhooks, redeliver, test_webhook,
    update_webhook,
};
use crate::components::form::{FormError, TextField, field_error};
use crate::components::permissions::confirm;
use crate::components::toast::use_toasts;
use crate::components::widgets::{EmptyState, SecretOnce, Time};

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let hooks = Resource::new(move || changed.get(), |_| list_webhooks());
    view! {
        <Title text="Webhooks"/>
        <div class="page-head"><div><span class="kind">"Automation"</span><h1>"Webhooks"</h1></div></div>
        <p class="muted">"Quiver posts signed events (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature) to these URLs, retrying for hours until they answer 2xx. Webhooks created through MLflow's API get MLflow's payload and X-MLflow-* headers."</p>
        <NewWebhookForm changed/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(hooks.await, |page| {
                    let failing = page.items.iter().filter(|w| w.failing).count();
                    if page.items.is_empty() {
                        return view! { <EmptyState title="No webhooks yet.">
                            <p>"Register one above: owners of a catalog, schema or model (and admins) may."</p>
                        </EmptyState> }.into_any();
                    }
                    view! {
                        {(failing > 0).then(|| view! {
                            <div class="form-error" role="alert" data-testid="failing-banner">
                                {format!("{failing} webhook{} failing: deliveries keep being refused.", if failing == 1 { " is" } else { "s are" })}
                            </div>
                        })}
                        <table class="list" data-testid="webhooks">
                            <thead><tr><th>"Name"</th><th>"URL"</th><th>"Scope"</th><th>"Events"</th><th>"Status"</th></tr></thead>
                            <tbody>
                                {page.items.into_iter().map(|w| view! {
                                    <tr>
                                        <td><a href=format!("/webhooks/{}", w.id)>{w.name.clone()}</a>
                                            {(w.format == WebhookFormat::Mlflow).then(|| view! { " "<span class="badge" title="Created through MLflow's API: delivered in MLflow's format">"MLflow"</span> })}</td>
                                        <td class="mono">{w.url.clone()}</td>
                                        <td>{w.scope.label()}</td>
                                        <td>{w.events.join(", ")}</td>
                                        <td>{if w.failing { view! { <span class="badge failing">"failing"</span> }.into_any() }
                                            else if w.active { view! { <span class="badge">"active"</span> }.into_any() }
                                            else { view! { <span class="badge">"disabled"</span> }.into_any() }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                })
            })}
        </Suspense>
    }
}

#[component]
fn NewWebhookForm(changed: RwSignal<u32>) -> impl IntoView {
    let (name, url, description) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let scope_kind = RwSignal::new("registered_model".to_string());
    let scope_name = RwSignal::new(String::new());
    let events = RwSignal::new(vec!["*".to_string()]);
    let secret = RwSignal::new(None::<String>);
    let toasts = use_toasts();
    let create = Action::new(|new: &NewWebhook| {
        let new = new.clone();
        async move { create_webhook(new).await }
    });
    Effect::new(move || match create.value().get() {
        Some(Ok(c)) => {
            toasts.success(format!("Webhook {} registered.", c.webhook.name));
            secret.set(Some(c.secret));
            changed.update(|n| *n += 1);
        }
        Some(Err(e)) if e.general().is_some() => toasts.error(e.message().to_string()),
        _ => {}
    });
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let toggle = move |e: &'static str, on: bool| {
        events.update(|list| {
            list.retain(|x| x != e && x != "*");
            if on {
                list.push(e.to_string());
            }
        })
    };
    view! {
        <details class="card" data-testid="new-webhook">
            <summary>"Register a webhook"</summary>
            <form class="inline-form" novalidate on:submit=move |ev| {
                ev.prevent_default();
                let kind = scope_kind.get_untracked();
                let scope = (kind != "registry").then(|| WebhookScope { kind, full_name: scope_name.get_untracked() });
                create.dispatch(NewWebhook {
                    name: name.get_untracked(),
                    url: url.get_untracked(),
                    description: description.get_untracked(),
                    events: events.get_untracked(),
                    scope,
                    active: Some(true),
                    ..Default::default()
                });
            }>
                <FormError error/>
                <TextField label="URL" name="url" value=url error=field_error(error, "url") required=true placeholder="https://ci.example.com/hooks/quiver"/>
                <TextField label="Name" name="name" value=name error=field_error(error, "name")/>
                <TextField label="Description" name="description" value=description error=field_error(error, "description")/>
                <div class="field">
                    <label for="scope-kind">"Scope"</label>
                    <select id="scope-kind" on:change=move |ev| scope_kind.set(event_target_value(&ev)) prop:value=move || scope_kind.get()>
                        <option value="registered_model">"Model"</option>
                        <option value="schema">"Schema"</option>
                        <option value="catalog">"Catalog"</option>
                        <option value="registry">"Whole registry (admins)"</option>
                    </select>
                </div>
                <Show when=move || scope_kind.get() != "registry">
                    <TextField label="Full name" name="scope" value=scope_name error=field_error(error, "full_name") placeholder="prod.ml_team.fraud"/>
                </Show>
                <fieldset class="events">
                    <legend>"Events"</legend>
                    <span class="error">{move || field_error(error, "events").get()}</span>
                    <label class="check"><input type="checkbox" prop:checked=move || events.get().iter().any(|e| e == "*")
                        on:change=move |ev| if event_target_checked(&ev) { events.set(vec!["*".into()]) } else { events.set(vec![]) }/>"All events"</label>
                    {EVENT_TYPES.iter().map(|e| view! {
                        <label class="check"><input type="checkbox" prop:checked=move || events.get().iter().any(|x| x == e)
                            on:change=move |ev| toggle(e, event_target_checked(&ev))/><code>{*e}</code></label>
                    }).collect_view()}
                </fieldset>
                <button type="submit" class="primary" disabled=move || create.pending().get()>"Register"</button>
            </form>
        </details>
        <SecretOnce secret=secret.into() what="signing secret"/>
    }
}

#[component]
pub fn WebhookPage() -> impl IntoView {
    let id = param("id");
    let changed = RwSignal::new(0u32);
    let hook = Resource::new(move || (id.get(), changed.get()), |(id, _)| get_webhook(id));
    let log = Resource::new(move || (id.get(), changed.get()), |(id, _)| list_deliveries(id, None));
    let toasts = use_toasts();
    let test = Action::new(move |_: &()| test_webhook(id.get_untracked()));
    Effect::new(move || match test.value().get() {
        Some(Ok(r)) if r.success => {
            toasts.success(format!("Test event delivered: HTTP {}.", r.status.unwrap_or_default()));
            changed.update(|c| *c += 1);
        }
        Some(Ok(r)) => {
            let why = r.error.unwrap_or_else(|| format!("HTTP {}", r.status.unwrap_or_default()));
            toasts.error(format!("The test event was not accepted: {why}."));
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toasts.error(e.message().to_string()),
        None => {}
    });
    let toggle = Action::new(move |active: &bool| {
        let change = WebhookUpdate { active: Some(*active), ..Default::default() };
        update_webhook(id.get_untracked(), change)
    });
    Effect::new(move || match toggle.value().get() {
        Some(Ok(w)) => {
            toasts.success(if w.active { "Webhook enabled." } else { "Webhook disabled." });
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toasts.error(e.message().to_string()),
        None => {}
    });
    let resend = Action::new(move |delivery: &String| redeliver(id.get_untracked(), delivery.clone()));
    Effect::new(move || match resend.value().get() {
        Some(Ok(_)) => {
            toasts.success("Queued for delivery again.");
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toasts.error(e.message().to_string()),
        None => {}
    });
    let remove = Action::new(move |_: &()| delete_webhook(id.get_untracked()));
    Effect::new(move || match remove.value().get() {
        Some(Ok(())) => {
            toasts.success("Webhook removed.");
            leptos_router::hooks::use_navigate()("/webhooks", Default::default());
        }
        Some(Err(e)) => toasts.error(e.message().to_string()),
        None => {}
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(hook.await, move |w| {
                    let active = w.active;
                    view! {
                        <Title text=format!("Webhook {}", w.name)/>
                        <div class="page-head">
                            <div>
                                <span class="kind">"Webhook"</span>
                                <h1>{w.name.clone()}</h1>
                                <p class="mono">{w.url.clone()}</p>
                            </div>
                            <div class="actions">
                                <button class="primary" data-testid="send-test" disabled=move || test.pending().get()
                                    on:click=move |_| { test.dispatch(()); }>"Send test event"</button>
                                <button disabled=move || toggle.pending().get() on:click=move |_| { toggle.dispatch(!active); }>
                                    {if active { "Disable" } else { "Enable" }}</button>
                                <button class="danger" on:click=move |_| {
                                    if confirm("Remove this webhook and its delivery log? This cannot be undone.") { remove.dispatch(()); }
                                }>"Remove"</button>
                            </div>
                        </div>
                        {w.failing.then(|| view! { <div class="form-error" role="alert">
                            {format!("Failing: {} failed attempts in a row. Check the receiver, then redeliver.", w.consecutive_failures)}
                        </div> })}
                        <dl class="facts card">
                            <dt>"Scope"</dt><dd>{w.scope.label()}</dd>
                            <dt>"Events"</dt><dd>{w.events.join(", ")}</dd>
                            <dt>"Payload"</dt><dd>{w.format.label()}</dd>
                            <dt>"Status"</dt><dd>{if w.active { "active" } else { "disabled" }}</dd>
                            <dt>"Description"</dt><dd>{w.description.clone()}</dd>
                            <dt>"Created"</dt><dd><Time at=w.created_at/>" by "{w.created_by.clone()}</dd>
                        </dl>
                    }
                })
            })}
        </Suspense>
        <h2>"Deliveries"</h2>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(log.await, move |page| {
                    if page.items.is_empty() {
                        return view! { <EmptyState title="Nothing delivered yet.">
                            <p>"Events appear here as they happen; send a test event to try the receiver."</p>
                        </EmptyState> }.into_any();
                    }
                    view! {
                        <table class="list" data-testid="deliveries">
                            <thead><tr><th>"Event"</th><th>"State"</th><th>"Attempts"</th><th>"Created"</th><th></th></tr></thead>
                            <tbody>
                                {page.items.into_iter().map(|d| {
                                    let delivery = d.id.clone();
                                    view! {
                                        <tr>
                                            <td><code>{d.event_type.clone()}</code><div class="muted mono">{d.event_id.clone()}</div></td>
                                            <td><span class=format!("badge state-{}", d.state)>{d.state.clone()}</span></td>
                                            <td>
                                                <ul class="attempts">
                                                    {d.attempt_log.into_iter().map(|a| view! {
                                                        <li>{format!("#{} · {} · {} ms", a.attempt,
                                                            a.status.map(|s| format!("HTTP {s}")).unwrap_or_else(|| a.error.clone().unwrap_or_default()),
                                                            a.latency_ms)}
                                                            {(!a.response.is_empty()).then(|| view! { <code class="excerpt">{a.response.chars().take(200).collect::<String>()}</code> })}
                                                            " · "<Time at=a.at/></li>
                                                    }).collect_view()}
                                                </ul>
                                                {d.next_at.map(|at| view! { <span class="muted">"next try "<Time at/></span> })}
                                            </td>
                                            <td><Time at=d.created_at/></td>
                                            <td><button class="small" disabled=move || resend.pending().get()
                                                on:click=move |_| { resend.dispatch(delivery.clone()); }>"Redeliver"</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                })
            })}
        </Suspense>
    }
}
