//! Personal access tokens for the APIs.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::tokens::{create_token, list_tokens, revoke_token};
use crate::components::form::{FormError, TextField, field_error};
use crate::components::permissions::confirm;
use crate::components::toast::use_toasts;
use crate::components::widgets::{EmptyState, SecretOnce, Time};
use crate::pages::loaded;

#[component]
pub fn TokensPage() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let tokens = Resource::new(move || changed.get(), |_| list_tokens());
    let name = RwSignal::new(String::new());
    let days = RwSignal::new("90".to_string());
    let create = Action::new(|(name, days): &(String, u32)| {
        let (name, days) = (name.clone(), *days);
        async move { create_token(name, days).await }
    });
    let revoke = Action::new(|id: &String| {
        let id = id.clone();
        async move { revoke_token(id).await }
    });
    let toasts = use_toasts();
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let secret = Memo::new(move |_| create.value().get().and_then(|r| r.ok()).map(|t| t.secret));
    Effect::new(move || {
        if let Some(Ok(t)) = create.value().get() {
            toasts.success(format!("Token '{}' created.", t.token.name));
            name.set(String::new());
            changed.update(|c| *c += 1);
        }
    });
    Effect::new(move || match revoke.value().get() {
        Some(Ok(())) => {
            toasts.success("Token revoked.");
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toasts.error(e.message().to_string()),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch((name.get_untracked(), days.get_untracked().parse().unwrap_or(0)));
    };
    view! {
        <Title text="Access tokens"/>
        <div class="page-head">
            <div>
                <span class="kind">"Settings"</span>
                <h1>"Personal access tokens"</h1>
            </div>
        </div>
        <p class="muted">"Tokens let scripts and CI call Quiver's APIs as you: send " <code>"Authorization: Bearer <token>"</code> "."</p>
        <form class="card" on:submit=submit novalidate style="max-width: 640px">
            <FormError error/>
            <TextField label="Token name" name="name" value=name error=field_error(error, "name") placeholder="e.g. ci-pipeline" required=true/>
            <div class="field">
                <label for="token-days">"Expires"</label>
                <select id="token-days" prop:value=move || days.get() on:change=move |ev| days.set(event_target_value(&ev))>
                    <option value="30">"in 30 days"</option>
                    <option value="90">"in 90 days"</option>
                    <option value="365">"in a year"</option>
                    <option value="0">"never"</option>
                </select>
            </div>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || create.pending().get()>"Create token"</button>
            </div>
        </form>
        <SecretOnce secret=secret.into()/>
        <h2>"Your tokens"</h2>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(tokens.await, move |list| {
                    if list.is_empty() {
                        return view! { <EmptyState title="No tokens"><p>"Create one above to use the APIs."</p></EmptyState> }.into_any();
                    }
                    view! {
                        <table class="list">
                            <thead><tr><th>"Name"</th><th>"Created"</th><th>"Expires"</th><th>"Last used"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| {
                                    let id = t.id.clone();
                                    let label = format!("Revoke {}", t.name);
                                    view! {
                                        <tr>
                                            <td>{t.name.clone()}</td>
                                            <td><Time at=t.created_at/></td>
                                            <td>{t.expires_at.map(|e| view! { <Time at=e/> }.into_any()).unwrap_or_else(|| "never".into_any())}</td>
                                            <td>{t.last_used_at.map(|e| view! { <Time at=e/> }.into_any()).unwrap_or_else(|| "never".into_any())}</td>
                                            <td>
                                                <button class="icon" aria-label=label on:click=move |_| {
                                                    if confirm("Revoke this token? Scripts using it will stop working.") {
                                                        revoke.dispatch(id.clone());
                                                    }
                                                }>"Revoke"</button>
                                            </td>
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
