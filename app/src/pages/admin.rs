//! Administration: users, groups and service principals, and the audit log.

use leptos::prelude::*;
use leptos_meta::Title;
use quiver::services::governance::AuditFilter;

use crate::api::admin::{
    add_group_member, create_group, create_service_principal, create_service_principal_token, create_user, list_audit,
    list_groups, list_users, remove_group_member, set_user_disabled,
};
use crate::components::form::{FormError, TextField, field_error};
use crate::components::permissions::confirm;
use crate::components::toast::use_toasts;
use crate::components::widgets::{EmptyState, SecretOnce, Time};
use crate::pages::loaded;
use quiver::services::storage::human_bytes as size;

/// Runs `action`'s result through a toast and bumps `changed` on success.
fn report<T: Clone + Send + Sync + 'static, I: Send + Sync + 'static>(
    action: Action<I, crate::error::AppResult<T>>,
    changed: RwSignal<u32>,
    done: impl Fn(&T) -> String + 'static,
) {
    let toasts = use_toasts();
    Effect::new(move || match action.value().get() {
        Some(Ok(v)) => {
            toasts.success(done(&v));
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) if e.for_field("name").is_none() && e.for_field("username").is_none() => {
            toasts.error(e.message().to_string())
        }
        _ => {}
    });
}

#[component]
pub fn AdminPage() -> impl IntoView {
    view! { <AdminOnly><AdminSections/></AdminOnly> }
}

/// Administrators see `children`; anyone else a 403 page saying why (not a page of disabled
/// forms).
#[component]
fn AdminOnly(children: ChildrenFn) -> impl IntoView {
    let user = Resource::new(|| (), |_| crate::api::auth::current_user());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match user.await {
                        Ok(Some(u)) if u.admin => children().into_any(),
                        Ok(Some(_)) => view! {
                            <super::not_found::Forbidden message="Administration is for administrators: ask one to create users, groups and service principals, or to read the audit log."/>
                        }.into_any(),
                        _ => view! {
                            <div class="empty-state"><strong>"Your session has ended."</strong><a href="/login">"Sign in again"</a></div>
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn AdminSections() -> impl IntoView {
    view! {
        <Title text="Administration"/>
        <div class="page-head">
            <div>
                <span class="kind">"Administration"</span>
                <h1>"Users, groups and service principals"</h1>
            </div>
            <div class="actions"><a class="button" href="/admin/audit">"Audit log"</a></div>
        </div>
        <Users/>
        <Groups/>
        <ServicePrincipals/>
        <ArtifactStorage/>
    }
}

/// A quota in words (0: none).
fn quota(bytes: u64) -> String {
    if bytes == 0 { "no quota".to_string() } else { format!("quota {}", size(bytes)) }
}

/// Who and what stores the most artifacts, against the quotas.
#[component]
fn ArtifactStorage() -> impl IntoView {
    let usage = Resource::new(|| (), |_| crate::api::admin::artifact_usage());
    let table = |title: &'static str, link: bool, rows: Vec<quiver::services::storage::UsageRow>| {
        view! {
            <table class="list">
                <thead><tr><th>{title}</th><th>"Stored"</th><th>"Files"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr>
                            <td>{if link {
                                view! { <a href=format!("/experiments/{}", r.name)>{r.name.clone()}</a> }.into_any()
                            } else { r.name.clone().into_any() }}</td>
                            <td>{size(r.bytes)}</td>
                            <td>{r.files}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
    };
    view! {
        <h2>"Artifact storage"</h2>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(usage.await, move |u| view! {
                    <div data-testid="artifact-usage">
                        <p class="muted">{format!(
                            "Per experiment: {}. Per user: {}. Set them with --experiment-artifact-quota and --user-artifact-quota.",
                            quota(u.experiment_quota_bytes), quota(u.user_quota_bytes)
                        )}</p>
                        {if u.experiments.is_empty() && u.users.is_empty() {
                            view! { <EmptyState title="No artifacts stored yet"><p>"Files MLflow clients log through Quiver show up here."</p></EmptyState> }.into_any()
                        } else {
                            view! { {table("Experiment", true, u.experiments)} {table("User", false, u.users)} }.into_any()
                        }}
                    </div>
                })
            })}
        </Suspense>
    }
}

#[component]
fn Users() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let users = Resource::new(move || changed.get(), |_| list_users());
    let (username, password) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let admin = RwSignal::new(false);
    let create = Action::new(|(u, p, a): &(String, String, bool)| {
        let (u, p, a) = (u.clone(), p.clone(), *a);
        async move { create_user(u, p, a).await }
    });
    report(create, changed, |u| format!("User {} created.", u.username));
    let toggle = Action::new(|(u, off): &(String, bool)| {
        let (u, off) = (u.clone(), *off);
        async move { set_user_disabled(u, off).await }
    });
    report(toggle, changed, |_| "Account updated.".to_string());
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    view! {
        <h2>"Users"</h2>
        <form class="card inline-form" data-testid="create-user" novalidate on:submit=move |ev| {
            ev.prevent_default();
            create.dispatch((username.get_untracked(), password.get_untracked(), admin.get_untracked()));
        }>
            <FormError error/>
            <TextField label="Username" name="username" value=username error=field_error(error, "username") required=true/>
            <div class="field">
                <label for="new-password">"Password"</label>
                <input id="new-password" type="password" autocomplete="new-password" required=true
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                <span class="error">{move || field_error(error, "password").get()}</span>
            </div>
            <label class="check"><input type="checkbox" prop:checked=move || admin.get()
                on:change=move |ev| admin.set(event_target_checked(&ev))/>"Administrator"</label>
            <button type="submit" class="primary" disabled=move || create.pending().get()>"Create user"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(users.await, move |list| view! {
                    <table class="list" data-testid="users">
                        <thead><tr><th>"Name"</th><th>"Kind"</th><th>"Status"</th><th>"Created"</th><th></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|u| {
                                let (name, off) = (u.username.clone(), !u.disabled);
                                let label = if u.disabled { "Enable" } else { "Disable" };
                                view! {
                                    <tr>
                                        <td>{u.username.clone()}{u.admin.then(|| view! { " " <span class="badge admin">"admin"</span> })}</td>
                                        <td>{if u.service_principal { "service principal" } else { "user" }}</td>
                                        <td>{if u.disabled { "disabled" } else { "active" }}</td>
                                        <td><Time at=u.created_at/></td>
                                        <td><button class="small" on:click=move |_| {
                                            if !off || confirm(&format!("Disable {name}? Their sessions end and their tokens stop working.")) {
                                                toggle.dispatch((name.clone(), off));
                                            }
                                        }>{label}</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            })}
        </Suspense>
    }
}

#[component]
fn Groups() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let groups = Resource::new(move || changed.get(), |_| list_groups());
    let name = RwSignal::new(String::new());
    let create = Action::new(|n: &String| {
        let n = n.clone();
        async move { create_group(n).await }
    });
    report(create, changed, |g| format!("Group {} created.", g.name));
    let add = Action::new(|(g, u): &(String, String)| {
        let (g, u) = (g.clone(), u.clone());
        async move { add_group_member(g, u).await }
    });
    report(add, changed, |g| format!("Group {} updated.", g.name));
    let remove = Action::new(|(g, u): &(String, String)| {
        let (g, u) = (g.clone(), u.clone());
        async move { remove_group_member(g, u).await }
    });
    report(remove, changed, |g| format!("Group {} updated.", g.name));
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    view! {
        <h2>"Groups"</h2>
        <form class="card inline-form" data-testid="create-group" novalidate on:submit=move |ev| {
            ev.prevent_default();
            create.dispatch(name.get_untracked());
        }>
            <FormError error/>
            <TextField label="Group name" name="name" value=name error=field_error(error, "name") required=true/>
            <button type="submit" class="primary" disabled=move || create.pending().get()>"Create group"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(groups.await, move |list| {
                    if list.is_empty() {
                        return view! { <EmptyState title="No groups"><p>"Groups let you grant privileges to a team at once."</p></EmptyState> }.into_any();
                    }
                    view! {
                        <table class="list" data-testid="groups">
                            <thead><tr><th>"Group"</th><th>"Members"</th><th>"Add member"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|g| {
                                    let member = RwSignal::new(String::new());
                                    let group = g.name.clone();
                                    view! {
                                        <tr data-group=g.name.clone()>
                                            <td>{g.name.clone()}</td>
                                            <td class="chips">
                                                {g.members.into_iter().map(|m| {
                                                    let (grp, who) = (group.clone(), m.clone());
                                                    view! {
                                                        <span class="chip">{m.clone()}
                                                            <button class="icon" aria-label=format!("Remove {m}") on:click=move |_| {
                                                                remove.dispatch((grp.clone(), who.clone()));
                                                            }>"×"</button>
                                                        </span>
                                                    }
                                                }).collect_view()}
                                            </td>
                                            <td>
                                                <form class="inline-form" on:submit={
                                                    let group = group.clone();
                                                    move |ev: leptos::ev::SubmitEvent| {
                                                        ev.prevent_default();
                                                        add.dispatch((group.clone(), member.get_untracked()));
                                                        member.set(String::new());
                                                    }
                                                }>
                                                    <input aria-label=format!("New member of {group}") placeholder="username" required=true
                                                        prop:value=move || member.get() on:input=move |ev| member.set(event_target_value(&ev))/>
                                                    <button type="submit" class="small">"Add"</button>
                                                </form>
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

#[component]
fn ServicePrincipals() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let name = RwSignal::new(String::new());
    let create = Action::new(|n: &String| {
        let n = n.clone();
        async move { create_service_principal(n).await }
    });
    report(create, changed, |u| format!("Service principal {} created.", u.username));
    let token = Action::new(|n: &String| {
        let n = n.clone();
        async move { create_service_principal_token(n, "created in the admin page".into()).await }
    });
    let secret = Memo::new(move |_| token.value().get().and_then(|r| r.ok()).map(|t| t.secret));
    let target = RwSignal::new(String::new());
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let token_error = Signal::derive(move || token.value().get().and_then(|r| r.err()));
    view! {
        <h2>"Service principals"</h2>
        <p class="muted">"Machine identities for CI/CD: they have no password and call the APIs with tokens. They are listed with the users above."</p>
        <form class="card inline-form" novalidate on:submit=move |ev| {
            ev.prevent_default();
            create.dispatch(name.get_untracked());
        }>
            <FormError error/>
            <TextField label="Name" name="name" value=name error=field_error(error, "name") placeholder="ci-deployer" required=true/>
            <button type="submit" class="primary" disabled=move || create.pending().get()>"Create service principal"</button>
        </form>
        <form class="card inline-form" novalidate on:submit=move |ev| {
            ev.prevent_default();
            token.dispatch(target.get_untracked());
        }>
            <FormError error=token_error/>
            <TextField label="Token for" name="sp" value=target error=field_error(token_error, "name") placeholder="ci-deployer"/>
            <button type="submit" disabled=move || token.pending().get()>"Create token (1 year)"</button>
        </form>
        <SecretOnce secret=secret.into()/>
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    view! { <AdminOnly><AuditLog/></AdminOnly> }
}

#[component]
fn AuditLog() -> impl IntoView {
    let principal = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let securable = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let (from, to) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let applied = RwSignal::new(AuditFilter::default());
    let token = RwSignal::new(None::<String>);
    let entries = Resource::new(move || (applied.get(), token.get()), |(f, t)| list_audit(f, t));
    let some = |s: RwSignal<String>| Some(s.get_untracked().trim().to_string()).filter(|v| !v.is_empty());
    let export = move || {
        let f = applied.get();
        let mut q = vec!["format=jsonl".to_string(), "max_results=1000".to_string()];
        let times = [("from", f.from), ("to", f.to)].map(|(k, t)| (k, t.map(|t| t.to_rfc3339())));
        for (k, v) in
            [("principal", f.principal), ("action", f.action), ("securable", f.securable), ("outcome", f.outcome)]
                .into_iter()
                .chain(times)
        {
            if let Some(v) = v {
                q.push(format!("{k}={}", crate::components::crumbs::url_encode(&v)));
            }
        }
        format!("/api/quiver/v1/audit?{}", q.join("&"))
    };
    view! {
        <Title text="Audit log"/>
        <div class="page-head">
            <div>
                <span class="kind">"Administration"</span>
                <h1>"Audit log"</h1>
            </div>
            <div class="actions"><a class="button" href=export download="audit.jsonl">"Export (JSON lines)"</a></div>
        </div>
        <form class="toolbar" data-testid="audit-filter" on:submit=move |ev| {
            ev.prevent_default();
            token.set(None);
            applied.set(AuditFilter {
                principal: some(principal),
                action: some(action),
                securable: some(securable),
                outcome: some(outcome),
                from: utc(&from.get_untracked()),
                to: utc(&to.get_untracked()),
            });
        }>
            <input aria-label="Principal" placeholder="principal" prop:value=move || principal.get() on:input=move |ev| principal.set(event_target_value(&ev))/>
            <input aria-label="Action" placeholder="action, e.g. grants" prop:value=move || action.get() on:input=move |ev| action.set(event_target_value(&ev))/>
            <input aria-label="Object" placeholder="object, e.g. prod.ml" prop:value=move || securable.get() on:input=move |ev| securable.set(event_target_value(&ev))/>
            <select aria-label="Outcome" prop:value=move || outcome.get() on:change=move |ev| outcome.set(event_target_value(&ev))>
                <option value="">"any outcome"</option>
                <option value="allowed">"allowed"</option>
                <option value="denied">"denied"</option>
            </select>
            <label class="muted">"From (UTC)" <input type="datetime-local" step="1" prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev))/></label>
            <label class="muted">"To (UTC)" <input type="datetime-local" step="1" prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev))/></label>
            <button type="submit">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(entries.await, move |page| {
                    if page.items.is_empty() {
                        return view! { <EmptyState title="Nothing recorded"><p>"No entries match these filters."</p></EmptyState> }.into_any();
                    }
                    let next = page.next_page_token.clone();
                    view! {
                        <table class="list" data-testid="audit">
                            <thead><tr><th>"When"</th><th>"Principal"</th><th>"Action"</th><th>"Object"</th><th>"Outcome"</th><th>"Detail"</th><th>"Source"</th></tr></thead>
                            <tbody>
                                {page.items.into_iter().map(|e| view! {
                                    <tr class=format!("outcome-{}", e.outcome)>
                                        <td><Time at=e.at/></td>
                                        <td>{e.principal.clone()}</td>
                                        <td class="mono">{e.action.clone()}</td>
                                        <td>{format!("{} {}", e.securable_type, e.securable)}</td>
                                        <td>{e.outcome.clone()}</td>
                                        <td class="muted">{e.detail.clone().unwrap_or_default()}</td>
                                        <td title=e.request_id.clone()>{e.source.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        {next.map(|t| view! { <button on:click=move |_| token.set(Some(t.clone()))>"Older entries"</button> })}
                    }.into_any()
                })
            })}
        </Suspense>
    }
}

/// A `datetime-local` value read as UTC (empty or malformed: no bound).
fn utc(value: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(value.trim(), f).ok())
        .map(|n| n.and_utc())
}
