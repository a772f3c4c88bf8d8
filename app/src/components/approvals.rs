//! Approval requests on a model page (list, "request a change" form) and the protected-alias
//! policy editor of catalogs, schemas and models.

use leptos::prelude::*;
use quiver::services::governance::privileges::{Operation, SecurableType};
use quiver::services::governance::{
    AliasPolicy, ApprovalRequest, NewApprovalRequest, RequestAction, RequestFilter, RequestState,
};

use crate::api::approvals::{create_request, get_alias_policy, list_requests, protected_aliases, set_alias_policy};
use crate::components::aliases::ModelRef;
use crate::components::form::{FormError, TextField, field_error};
use crate::components::permissions::denied;
use crate::components::toast::use_toasts;
use crate::components::widgets::{EmptyState, Time};
use crate::pages::loaded;

/// The state as a badge.
#[component]
pub fn RequestStateBadge(state: RequestState) -> impl IntoView {
    view! { <span class=format!("badge state-{}", state.as_str()) data-testid="request-state">{state.as_str()}</span> }
}

/// Requests as a table linking to their pages.
#[component]
pub fn RequestTable(requests: Vec<ApprovalRequest>, #[prop(optional)] show_model: bool) -> impl IntoView {
    view! {
        <table class="list" data-testid="requests">
            <thead><tr><th>"Change"</th>{show_model.then(|| view! { <th>"Model"</th> })}<th>"State"</th>
                <th>"Approvals"</th><th>"Asked by"</th><th>"When"</th></tr></thead>
            <tbody>
                {requests.into_iter().map(|r| {
                    let href = format!("/approvals/{}", r.id);
                    view! {
                        <tr>
                            <td><a href=href>{r.summary()}</a></td>
                            {show_model.then(|| view! { <td>{r.model.clone()}</td> })}
                            <td><RequestStateBadge state=r.state/></td>
                            <td>{format!("{} of {}", r.approvals.len(), r.required_approvals)}</td>
                            <td>{r.requester.clone()}</td>
                            <td><Time at=r.created_at/></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The Approvals tab of a model (and, with `version`, of a version page).
#[component]
pub fn ApprovalsTab(model: ModelRef, #[prop(optional)] version: Option<i64>) -> impl IntoView {
    let full = format!("{}.{}.{}", model.catalog, model.schema, model.model);
    let changed = RwSignal::new(0u32);
    let filter = RequestFilter { model: Some(full.clone()), version, ..Default::default() };
    let requests = Resource::new(move || changed.get(), move |_| list_requests(filter.clone(), None));
    let full_for_protected = full.clone();
    let protected = Resource::new(move || changed.get(), move |_| protected_aliases(full_for_protected.clone()));
    let cannot_protect = denied(Operation::ProtectAliases);
    view! {
        <div class="approvals-tab">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    protected.await.ok().filter(|p| !p.is_empty()).map(|list| view! {
                        <p class="muted" data-testid="protected-aliases">"Protected aliases (change only through approved requests): "
                            {list.into_iter().map(|p| view! {
                                <span class="badge protected" title=format!("set on {}", p.set_on)>
                                    <LockIcon/>
                                    {format!("@{} · {} approval{}{}", p.alias, p.required_approvals,
                                        if p.required_approvals == 1 { "" } else { "s" },
                                        if p.allow_self_approval { "" } else { ", not by the requester" })}
                                </span> " "
                            }).collect_view()}
                        </p>
                    })
                })}
            </Suspense>
            <RequestForm full_name=full.clone() version changed/>
            <h3>"Requests"</h3>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    loaded(requests.await, |page| {
                        if page.items.is_empty() {
                            view! { <EmptyState title="No approval requests yet.">
                                <p>"Ask for an alias change above; approvers see it in their Approvals inbox."</p>
                            </EmptyState> }.into_any()
                        } else {
                            view! { <RequestTable requests=page.items/> }.into_any()
                        }
                    })
                })}
            </Suspense>
            {let full = full.clone(); move || cannot_protect.get().is_none().then(|| view! {
                <details class="card">
                    <summary>"Protected aliases of this model"</summary>
                    <AliasPolicyEditor kind=SecurableType::Model full_name=full.clone()/>
                </details>
            })}
            <crate::components::signing_keys::SigningKeysSection kind=SecurableType::Model full_name=full.clone()/>
        </div>
    }
}

/// "Set @alias to version N" / "Remove @alias", with a markdown justification.
#[component]
fn RequestForm(full_name: String, version: Option<i64>, changed: RwSignal<u32>) -> impl IntoView {
    let alias = RwSignal::new("Champion".to_string());
    let number = RwSignal::new(version.map(|v| v.to_string()).unwrap_or_default());
    let remove = RwSignal::new(false);
    let justification = RwSignal::new(String::new());
    let toasts = use_toasts();
    let cannot = denied(Operation::RequestAliasChange);
    let send = Action::new(move |new: &NewApprovalRequest| {
        let new = new.clone();
        async move { create_request(new).await }
    });
    Effect::new(move || {
        if let Some(Ok(r)) = send.value().get() {
            toasts.success(format!("Requested: {}.", r.summary()));
            justification.set(String::new());
            changed.update(|c| *c += 1);
        }
    });
    let error = Signal::derive(move || send.value().get().and_then(|r| r.err()));
    view! {
        <form class="card inline-form" data-testid="request-form" novalidate on:submit=move |ev| {
            ev.prevent_default();
            let v = number.get_untracked().trim().parse::<i64>().ok();
            send.dispatch(NewApprovalRequest {
                model: full_name.clone(),
                version: v,
                alias: alias.get_untracked(),
                action: if remove.get_untracked() { RequestAction::Remove } else { RequestAction::Set },
                justification: justification.get_untracked(),
            });
        }>
            <strong>"Request an alias change"</strong>
            <FormError error/>
            <TextField label="Alias" name="alias" value=alias error=field_error(error, "alias") required=true/>
            <label class="check"><input type="checkbox" data-testid="request-remove" prop:checked=move || remove.get()
                on:change=move |ev| remove.set(event_target_checked(&ev))/>"Remove the alias"</label>
            <Show when=move || !remove.get()>
                <TextField label="Version" name="version" value=number error=field_error(error, "version") required=true/>
            </Show>
            <div class="field wide">
                <label for="field-justification">"Justification (markdown)"</label>
                <textarea id="field-justification" rows="3" prop:value=move || justification.get()
                    on:input=move |ev| justification.set(event_target_value(&ev))
                    placeholder="Why this version: evaluation results, checks, links"></textarea>
                <span class="error">{move || field_error(error, "justification").get()}</span>
            </div>
            <button type="submit" class="primary" disabled=move || send.pending().get() || cannot.get().is_some()
                title=move || cannot.get().unwrap_or_default()>"Request approval"</button>
        </form>
    }
}

/// The collapsible protected-aliases section of a catalog's or schema's page, for those who may
/// protect aliases there.
#[component]
pub fn ProtectedAliasesSection(kind: SecurableType, full_name: String) -> impl IntoView {
    let cannot_protect = denied(Operation::ProtectAliases);
    let noun = if kind == SecurableType::Catalog { "catalog" } else { "schema" };
    move || {
        cannot_protect.get().is_none().then(|| {
            view! {
                <details class="card" data-testid="alias-policy-section">
                    <summary>"Protected aliases"</summary>
                    <p class="muted">{format!("Aliases listed here change only through approved requests, on every model in this {noun}.")}</p>
                    <AliasPolicyEditor kind full_name=full_name.clone()/>
                </details>
            }
        })
    }
}

/// Which aliases of a catalog, schema or model change only through approved requests.
#[component]
pub fn AliasPolicyEditor(kind: SecurableType, full_name: String) -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let name = full_name.clone();
    let policy = Resource::new(move || changed.get(), move |_| get_alias_policy(kind, name.clone()));
    let aliases = RwSignal::new(String::new());
    let required = RwSignal::new("1".to_string());
    let allow_self = RwSignal::new(false);
    let signed = RwSignal::new(false);
    let checks = RwSignal::new(String::new());
    let tags = RwSignal::new(String::new());
    let thresholds = RwSignal::new(String::new());
    let compatible = RwSignal::new(false);
    let toasts = use_toasts();
    let save = Action::new(move |p: &AliasPolicy| {
        let (p, f) = (p.clone(), full_name.clone());
        async move { set_alias_policy(kind, f, p).await }
    });
    Effect::new(move || match save.value().get() {
        Some(Ok(_)) => {
            toasts.success("Protected aliases saved.");
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) if e.for_field("aliases").is_none() && e.for_field("required_approvals").is_none() => {
            toasts.error(e.message().to_string())
        }
        _ => {}
    });
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(policy.await, move |view_| {
                    aliases.set(view_.policy.aliases.join(", "));
                    required.set(view_.policy.required_approvals.to_string());
                    allow_self.set(view_.policy.allow_self_approval);
                    signed.set(view_.policy.require_signature);
                    checks.set(view_.policy.required_checks.join(", "));
                    tags.set(view_.policy.required_tags.iter().map(|t| format!("{}={}", t.key, t.value)).collect::<Vec<_>>().join(", "));
                    thresholds.set(view_.policy.metric_thresholds.iter().map(|t| t.label()).collect::<Vec<_>>().join(", "));
                    compatible.set(view_.policy.compatible_signature);
                    view! {
                        {(!view_.inherited.is_empty()).then(|| view! {
                            <p class="muted">"Also protected here by a parent: "
                                {view_.inherited.iter().map(|(a, on)| format!("@{a} ({on})")).collect::<Vec<_>>().join(", ")}</p>
                        })}
                        <form class="inline-form" data-testid="alias-policy" novalidate on:submit=move |ev| {
                            ev.prevent_default();
                            let list = aliases.get_untracked().split(',').map(|a| a.trim().to_string())
                                .filter(|a| !a.is_empty()).collect();
                            let items = |s: RwSignal<String>| s.get_untracked().split(',').map(|a| a.trim().to_string())
                                .filter(|a| !a.is_empty()).collect::<Vec<_>>();
                            let required_tags = items(tags).into_iter().map(|t| match t.split_once('=') {
                                Some((k, v)) => quiver::services::governance::RequiredTag { key: k.trim().into(), value: v.trim().into() },
                                None => quiver::services::governance::RequiredTag { key: t, value: String::new() },
                            }).collect();
                            let metric_thresholds = match items(thresholds).iter()
                                .map(|t| quiver::services::governance::MetricThreshold::parse(t)).collect::<Result<Vec<_>, _>>() {
                                Ok(t) => t,
                                Err(e) => { toasts.error(e.message); return; }
                            };
                            save.dispatch(AliasPolicy {
                                aliases: list,
                                required_approvals: required.get_untracked().trim().parse().unwrap_or(0),
                                allow_self_approval: allow_self.get_untracked(),
                                require_signature: signed.get_untracked(),
                                required_checks: items(checks),
                                required_tags,
                                metric_thresholds,
                                compatible_signature: compatible.get_untracked(),
                            });
                        }>
                            <TextField label="Protected aliases" name="aliases" value=aliases error=field_error(error, "aliases")
                                hint="Comma-separated, e.g. Champion, Production. Empty: none."/>
                            <TextField label="Approvals needed" name="required_approvals" value=required
                                error=field_error(error, "required_approvals")/>
                            <label class="check"><input type="checkbox" prop:checked=move || allow_self.get()
                                on:change=move |ev| allow_self.set(event_target_checked(&ev))/>"The requester may approve"</label>
                            <label class="check"><input type="checkbox" data-testid="require-signature" prop:checked=move || signed.get()
                                on:change=move |ev| signed.set(event_target_checked(&ev))/>
                                "Only versions signed by a trusted key, over exactly their registered files"</label>
                            <TextField label="Required checks" name="required_checks" value=checks error=field_error(error, "required_checks")
                                hint="Comma-separated check names that must pass on the version, e.g. eval/accuracy, bias-audit."/>
                            <TextField label="Required tags" name="required_tags" value=tags error=field_error(error, "required_tags")
                                hint="Comma-separated key=value, e.g. validation_status=approved."/>
                            <TextField label="Metric thresholds" name="metric_thresholds" value=thresholds error=field_error(error, "metric_thresholds")
                                hint="Comma-separated, on the training run's latest metrics, e.g. val_accuracy >= 0.9, latency_ms < 50."/>
                            <label class="check"><input type="checkbox" data-testid="compatible-signature" prop:checked=move || compatible.get()
                                on:change=move |ev| compatible.set(event_target_checked(&ev))/>
                                "The version's signature keeps the inputs and outputs of the version the alias names now"</label>
                            <button type="submit" disabled=move || save.pending().get()>"Save protection"</button>
                        </form>
                    }
                })
            })}
        </Suspense>
    }
}

/// A padlock, for protected aliases (inline SVG: no emoji font needed, inherits the text colour).
#[component]
pub fn LockIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false">
            <rect x="3" y="7" width="10" height="7" rx="1.5" fill="currentColor"/>
            <path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" stroke-width="1.6"/>
        </svg>
    }
}
