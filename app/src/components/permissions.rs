//! The Permissions tab of catalogs, schemas and models: owner and transfer, direct grants with
//! grant and revoke, and the effective permissions of any principal with their origin. What the
//! caller may not do is disabled with the reason (and refused by the server anyway).

use leptos::prelude::*;
use quiver::services::governance::privileges::{
    EffectivePrivilege, Operation, PermissionsChange, Privilege, SecurableType,
};

use crate::RegistryVersion;
use crate::api::governance::{
    change_permissions, effective_permissions, get_permissions, list_principals, my_denials, transfer_ownership,
};
use crate::components::toast::use_toasts;
use crate::pages::loaded;

/// What the caller may not do to the object on this page, and why (provided by the page).
#[derive(Debug, Clone, Copy)]
pub struct Denials(pub Signal<Vec<(Operation, String)>>);

impl Denials {
    /// The reason `op` is refused, if it is.
    pub fn reason(&self, op: Operation) -> Option<String> {
        self.0.get().into_iter().find(|(o, _)| *o == op).map(|(_, r)| r)
    }
}

/// Loads the caller's denials on an object and provides them to the controls below. Loaded in
/// the browser once the page is interactive (the server refuses the operations either way).
pub fn provide_denials(kind: SecurableType, full_name: Signal<String>) -> Denials {
    let registry = expect_context::<RegistryVersion>();
    // A plain signal filled by an effect (effects run only in the browser): no <Suspense/> waits
    // for it, so pages render on the server as before.
    let list = RwSignal::new(Vec::new());
    Effect::new(move || {
        registry.get();
        let name = full_name.get();
        leptos::task::spawn_local(async move {
            if let Ok(found) = my_denials(kind, name).await {
                list.try_set(found);
            }
        });
    });
    let denials = Denials(list.into());
    provide_context(denials);
    denials
}

/// The reason `op` is refused on this page's object (nothing when no page provided denials).
pub fn denied(op: Operation) -> Signal<Option<String>> {
    let denials = use_context::<Denials>();
    Signal::derive(move || denials.and_then(|d| d.reason(op)))
}

/// A line saying why a control is disabled.
#[component]
pub fn DeniedReason(reason: Signal<Option<String>>) -> impl IntoView {
    move || reason.get().map(|r| view! { <p class="denied" data-testid="denied-reason">{r}</p> })
}

#[component]
pub fn PermissionsPanel(kind: SecurableType, full_name: String, #[prop(into)] owner: Signal<String>) -> impl IntoView {
    let registry = expect_context::<RegistryVersion>();
    let toasts = use_toasts();
    let name = StoredValue::new(full_name);
    let grants = Resource::new(move || registry.get(), move |_| get_permissions(kind, name.get_value()));
    let cannot_grant = denied(Operation::ManageGrants);
    // Only those who may grant here may list who could be granted.
    let principals = Resource::new(
        move || cannot_grant.get().is_none(),
        move |may_grant| async move {
            if may_grant { list_principals(kind, name.get_value()).await } else { Ok(Vec::new()) }
        },
    );
    let cannot_transfer = denied(Operation::TransferOwnership);

    let change = Action::new(move |(who, add, remove): &(String, Vec<String>, Vec<String>)| {
        let (who, add, remove) = (who.clone(), add.clone(), remove.clone());
        async move { change_permissions(kind, name.get_value(), PermissionsChange { principal: who, add, remove }).await }
    });
    Effect::new(move || match change.value().get() {
        Some(Ok(_)) => {
            change.value().set(None);
            toasts.success("Permissions updated.");
            registry.bump();
        }
        Some(Err(e)) => toasts.error(e.message().to_string()),
        None => {}
    });
    let transfer = Action::new(move |to: &String| {
        let to = to.clone();
        async move { transfer_ownership(kind, name.get_value(), to).await }
    });
    Effect::new(move || match transfer.value().get() {
        Some(Ok(())) => {
            transfer.value().set(None);
            toasts.success("Ownership transferred.");
            registry.bump();
        }
        Some(Err(e)) => toasts.error(e.message().to_string()),
        None => {}
    });

    let grantee = RwSignal::new(String::new());
    let picked = RwSignal::new(Vec::<String>::new());
    let new_owner = RwSignal::new(String::new());
    let grantable: Vec<Privilege> = Privilege::ALL.into_iter().filter(|p| p.grantable_on(kind)).collect();
    let list_id = format!("principals-{}", kind.api_name());

    view! {
        <section class="permissions" data-testid="permissions">
            <datalist id=list_id.clone()>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        principals.await.unwrap_or_default().into_iter().map(|p| {
                            view! { <option value=p.name.clone()>{p.kind.label()}</option> }
                        }).collect_view()
                    })}
                </Suspense>
            </datalist>
            <h2>"Owner"</h2>
            <form class="inline-form" data-testid="transfer-owner" on:submit=move |ev| {
                ev.prevent_default();
                if confirm(&format!("Make {} the owner? You may lose your own rights to it.", new_owner.get_untracked())) {
                    transfer.dispatch(new_owner.get_untracked());
                }
            }>
                <span>"Owned by " <strong data-testid="owner">{move || owner.get()}</strong></span>
                <label>"New owner"
                    <input list=list_id.clone() required=true autocomplete="off" disabled=move || cannot_transfer.get().is_some()
                        prop:value=move || new_owner.get() on:input=move |ev| new_owner.set(event_target_value(&ev))/>
                </label>
                <button type="submit" class="small" disabled=move || cannot_transfer.get().is_some() || transfer.pending().get()>
                    "Transfer"
                </button>
            </form>
            <DeniedReason reason=cannot_transfer/>

            <h2>"Grants"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    loaded(grants.await, move |list| {
                        if list.is_empty() {
                            return view! { <p class="muted">"No direct grants. Privileges granted on a parent still apply."</p> }.into_any();
                        }
                        view! {
                            <table class="list" data-testid="grants">
                                <thead><tr><th>"Principal"</th><th>"Privileges"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|a| {
                                        let who = a.principal.clone();
                                        view! {
                                            <tr>
                                                <td>{a.principal.clone()}</td>
                                                <td class="chips">
                                                    {a.privileges.into_iter().map(|p| {
                                                        let label = Privilege::parse(&p).map(|x| x.label().to_string()).unwrap_or(p.clone());
                                                        let (who, p2) = (who.clone(), p.clone());
                                                        let aria = format!("Revoke {label} from {who}");
                                                        view! {
                                                            <span class="chip">{label.clone()}
                                                                <button class="icon" aria-label=aria disabled=move || cannot_grant.get().is_some()
                                                                    on:click=move |_| {
                                                                        if confirm(&format!("Revoke {label} from {who}?")) {
                                                                            change.dispatch((who.clone(), vec![], vec![p2.clone()]));
                                                                        }
                                                                    }>"×"</button>
                                                            </span>
                                                        }
                                                    }).collect_view()}
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
            <form class="card grant-form" data-testid="grant-form" on:submit=move |ev| {
                ev.prevent_default();
                change.dispatch((grantee.get_untracked(), picked.get_untracked(), vec![]));
            }>
                <label>"Principal"
                    <input name="principal" list=list_id required=true autocomplete="off" placeholder="user or group"
                        disabled=move || cannot_grant.get().is_some()
                        prop:value=move || grantee.get() on:input=move |ev| grantee.set(event_target_value(&ev))/>
                </label>
                <fieldset class="privileges" disabled=move || cannot_grant.get().is_some()>
                    <legend>"Privileges"</legend>
                    {grantable.into_iter().map(|p| {
                        let api = p.api_name().to_string();
                        let api2 = api.clone();
                        view! {
                            <label class="check">
                                <input type="checkbox" value=api.clone()
                                    prop:checked=move || picked.get().contains(&api)
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        picked.update(|l| { l.retain(|x| x != &api2); if on { l.push(api2.clone()); } });
                                    }/>
                                {p.label()}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <button type="submit" class="primary" disabled=move || cannot_grant.get().is_some() || change.pending().get()>"Grant"</button>
                <DeniedReason reason=cannot_grant/>
            </form>

            <h2>"Effective permissions"</h2>
            <EffectiveView kind name=name.get_value()/>
        </section>
    }
}

/// Pick a principal, see each privilege they hold here and where it comes from.
#[component]
fn EffectiveView(kind: SecurableType, name: String) -> impl IntoView {
    let who = RwSignal::new(String::new());
    let name = StoredValue::new(name);
    let show = Action::new(move |p: &String| {
        let p = p.clone();
        async move { effective_permissions(kind, name.get_value(), p).await }
    });
    view! {
        <form class="inline-form" data-testid="effective-form" on:submit=move |ev| {
            ev.prevent_default();
            show.dispatch(who.get_untracked());
        }>
            <label>"Principal"
                <input list=format!("principals-{}", kind.api_name()) required=true autocomplete="off"
                    prop:value=move || who.get() on:input=move |ev| who.set(event_target_value(&ev))/>
            </label>
            <button type="submit" class="small">"Show"</button>
        </form>
        {move || show.value().get().map(|r| match r {
            Err(e) => view! { <p class="error" role="alert">{e.message().to_string()}</p> }.into_any(),
            Ok(list) if list.is_empty() => view! { <p class="muted" data-testid="effective">"No privileges here."</p> }.into_any(),
            Ok(list) => view! {
                <ul class="effective" data-testid="effective">
                    {list.into_iter().map(|e| view! { <li>{explain(&e)}</li> }).collect_view()}
                </ul>
            }.into_any(),
        })}
    }
}

/// "EXECUTE — inherited from catalog prod, granted to ml-team".
pub fn explain(e: &EffectivePrivilege) -> String {
    let label = Privilege::parse(&e.privilege).map(|p| p.label().to_string()).unwrap_or(e.privilege.clone());
    let from = match (&e.inherited_from_type, &e.inherited_from_name) {
        (Some(t), Some(n)) => {
            let t = SecurableType::parse(t).map(|k| k.label()).unwrap_or(t.as_str());
            format!("inherited from {t} {n}")
        }
        _ => "granted here".to_string(),
    };
    if e.privilege == "OWNERSHIP" {
        format!("OWNER — {from}: {} owns it", e.granted_to)
    } else {
        format!("{label} — {from}, granted to {}", e.granted_to)
    }
}

/// The browser's confirmation prompt (always "yes" where there is no browser).
pub fn confirm(message: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        window().confirm_with_message(message).unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = message;
        true
    }
}
