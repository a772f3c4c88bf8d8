//! The keys trusted to sign the versions of a catalog, schema or model: listed with where each
//! is set, added from a PEM public key, revoked after a confirmation. Shown to everyone who may
//! read the object; changed by its owners and MANAGE holders.

use leptos::prelude::*;
use quiver::services::governance::NewSigningKey;
use quiver::services::governance::privileges::{Operation, SecurableType};

use crate::api::signing_keys::{add_signing_key, list_signing_keys, revoke_signing_key};
use crate::components::form::{FormError, TextField, field_error};
use crate::components::permissions::{confirm, denied};
use crate::components::toast::use_toasts;
use crate::components::widgets::Time;
use crate::pages::loaded;

#[component]
pub fn SigningKeysSection(kind: SecurableType, full_name: String) -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let name = StoredValue::new(full_name);
    let keys = Resource::new(move || changed.get(), move |_| list_signing_keys(kind, name.get_value()));
    let cannot = denied(Operation::ManageSigningKeys);
    let toasts = use_toasts();
    let key_name = RwSignal::new(String::new());
    let pem = RwSignal::new(String::new());
    let add = Action::new(move |k: &NewSigningKey| {
        let k = k.clone();
        async move { add_signing_key(kind, name.get_value(), k).await }
    });
    let revoke = Action::new(move |n: &String| {
        let n = n.clone();
        async move { revoke_signing_key(kind, name.get_value(), n).await }
    });
    let error = Signal::derive(move || add.value().get().and_then(|r| r.err()));
    Effect::new(move || {
        if let Some(Ok(k)) = add.value().get() {
            add.value().set(None);
            toasts.success(format!("Key '{}' is trusted here now.", k.name));
            key_name.set(String::new());
            pem.set(String::new());
            changed.update(|c| *c += 1);
        }
    });
    Effect::new(move || match revoke.value().get() {
        Some(Ok(k)) => {
            revoke.value().set(None);
            toasts.success(format!("Key '{}' revoked.", k.name));
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => {
            revoke.value().set(None);
            toasts.error(e.message().to_string());
        }
        None => {}
    });
    view! {
        <details class="card" data-testid="signing-keys">
            <summary>"Trusted signing keys"</summary>
            <p class="muted">"Versions signed with one of these keys ("<code>"model_signing sign key"</code>
                ") show as signed; a protected alias can require it."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    loaded(keys.await, move |v| {
                        let rows: Vec<_> = v.keys.iter().cloned().map(|k| (k, true)).chain(v.inherited.iter().cloned().map(|k| (k, false))).collect();
                        if rows.is_empty() {
                            return view! { <p class="empty" data-testid="no-keys">"No key is trusted here yet. Add the public key (PEM) your release process signs with."</p> }.into_any();
                        }
                        view! {
                            <table class="list">
                                <thead><tr><th>"Key"</th><th>"Algorithm"</th><th>"Fingerprint"</th><th>"Set on"</th><th>"Added"</th><th></th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|(k, own)| {
                                        let revoked = k.revoked_at.is_some();
                                        let n = k.name.clone();
                                        let short = format!("{}…", &k.fingerprint[..k.fingerprint.len().min(16)]);
                                        view! {
                                            <tr data-testid="signing-key" class:muted=revoked>
                                                <td>{k.name.clone()} {revoked.then(|| view! { " " <span class="badge failed">"revoked"</span> })}</td>
                                                <td>{k.algorithm.clone()}</td>
                                                <td class="mono" title=k.fingerprint.clone()>{short}</td>
                                                <td>{k.set_on.clone()}</td>
                                                <td><Time at=k.created_at/> " by " {k.created_by.clone()}</td>
                                                <td>{(own && !revoked).then(|| view! {
                                                    <button type="button" class="danger small" disabled=move || revoke.pending().get() || cannot.get().is_some()
                                                        title=move || cannot.get().unwrap_or_default()
                                                        on:click=move |_| {
                                                            if confirm(&format!("Revoke the key '{n}'? Signatures made with it stop counting as trusted here.")) {
                                                                revoke.dispatch(n.clone());
                                                            }
                                                        }>"Revoke"</button>
                                                })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    })
                })}
            </Suspense>
            {move || cannot.get().is_none().then(|| view! {
                <form class="stack" data-testid="add-signing-key" novalidate on:submit=move |ev| {
                    ev.prevent_default();
                    add.dispatch(NewSigningKey { name: key_name.get_untracked(), public_key: pem.get_untracked() });
                }>
                    <TextField label="Key name" name="signing_key_name" value=key_name error=field_error(error, "name") hint="e.g. release-2026"/>
                    <label for="signing-key-pem">"Public key (PEM)"</label>
                    <textarea id="signing-key-pem" rows="5" class="mono" placeholder="-----BEGIN PUBLIC KEY-----"
                        prop:value=move || pem.get() on:input=move |ev| pem.set(event_target_value(&ev))></textarea>
                    {move || field_error(error, "public_key").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    <FormError error/>
                    <div class="actions">
                        <button type="submit" disabled=move || add.pending().get()>
                            {move || if add.pending().get() { "Adding…" } else { "Trust this key" }}
                        </button>
                    </div>
                </form>
            })}
        </details>
    }
}
