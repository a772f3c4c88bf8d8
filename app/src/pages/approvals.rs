//! The Approvals inbox (what the signed-in user may decide, and what they asked for) and one
//! request's page: its timeline and comments, approve / reject / cancel.

use leptos::prelude::*;
use leptos_meta::Title;
use quiver::services::governance::{RequestFilter, RequestState};

use super::{loaded, param};
use crate::api::approvals::{comment_request, decide_request, get_request, list_requests, my_requests};
use crate::components::approvals::{RequestStateBadge, RequestTable};
use crate::components::checks::{ChecksOf, RuleList};
use crate::components::markdown::Markdown;
use crate::components::permissions::confirm;
use crate::components::toast::use_toasts;
use crate::components::widgets::{EmptyState, Time};

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let inbox = Resource::new(|| (), |_| list_requests(RequestFilter { actionable: true, ..Default::default() }, None));
    let mine = Resource::new(|| (), |_| my_requests());
    view! {
        <Title text="Approvals"/>
        <div class="page-head"><div><span class="kind">"Approvals"</span><h1>"Alias change requests"</h1></div></div>
        <h2>"Waiting for you"</h2>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(inbox.await, |page| if page.items.is_empty() {
                    view! { <EmptyState title="Nothing waits for your decision.">
                        <p>"Requests on models where you hold MANAGE (or that you own) appear here."</p>
                    </EmptyState> }.into_any()
                } else {
                    view! { <div data-testid="inbox"><RequestTable requests=page.items show_model=true/></div> }.into_any()
                })
            })}
        </Suspense>
        <h2>"Your requests"</h2>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(mine.await, |page| if page.items.is_empty() {
                    view! { <EmptyState title="You have not asked for anything yet.">
                        <p>"Open a model's Approvals tab to request an alias change."</p>
                    </EmptyState> }.into_any()
                } else {
                    view! { <div data-testid="my-requests"><RequestTable requests=page.items show_model=true/></div> }.into_any()
                })
            })}
        </Suspense>
    }
}

#[component]
pub fn RequestPage() -> impl IntoView {
    let id = param("id");
    let changed = RwSignal::new(0u32);
    let detail = Resource::new(move || (id.get(), changed.get()), |(id, _)| get_request(id));
    let comment = RwSignal::new(String::new());
    let toasts = use_toasts();
    let decide = Action::new(move |(d, c): &(String, String)| {
        let (d, c, id) = (d.clone(), c.clone(), id.get_untracked());
        async move { decide_request(id, d, c).await }
    });
    Effect::new(move || match decide.value().get() {
        Some(Ok(r)) => {
            if r.state == RequestState::Pending {
                toasts.success("Your approval counts; the request waits for what it still needs.");
            } else {
                toasts.success(format!("The request is {}.", r.state.as_str()));
            }
            comment.set(String::new());
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toasts.error(e.message().to_string()),
        None => {}
    });
    let note = Action::new(move |body: &String| {
        let (body, id) = (body.clone(), id.get_untracked());
        async move { comment_request(id, body).await }
    });
    Effect::new(move || match note.value().get() {
        Some(Ok(_)) => {
            toasts.success("Comment added.");
            comment.set(String::new());
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toasts.error(e.message().to_string()),
        None => {}
    });
    let busy = move || decide.pending().get() || note.pending().get();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                loaded(detail.await, move |d| {
                    let r = d.request.clone();
                    let parts: Vec<String> = r.model.split('.').map(str::to_string).collect();
                    let model_href = format!("/explore/{}?tab=approvals", parts.join("/"));
                    let version_href = format!("/explore/{}/versions/{}", parts.join("/"), r.version);
                    let summary = r.summary();
                    view! {
                        <Title text=summary.clone()/>
                        <div class="page-head">
                            <div>
                                <span class="kind">"Approval request"</span>
                                <h1 data-testid="request-title">{summary.clone()}</h1>
                                <p><a href=model_href>{r.model.clone()}</a>" · "<a href=version_href>{format!("version {}", r.version)}</a>
                                    " · "<RequestStateBadge state=r.state/>" · "
                                    {format!("{} of {} approvals", r.approvals.len(), r.required_approvals)}</p>
                                {r.reason.clone().map(|why| view! { <p class="muted" data-testid="request-reason">{why}</p> })}
                            </div>
                        </div>
                        {(!d.rules.is_empty()).then(|| {
                            let waiting = !quiver::services::governance::all_pass(&d.rules);
                            view! {
                                <h2>"Rules"</h2>
                                <p class="muted">{if waiting {
                                    format!("@{} moves only once every rule passes; approvals given meanwhile count, and the request settles as soon as checks or tags change.", r.alias)
                                } else {
                                    "Every rule passes.".to_string()
                                }}</p>
                                <RuleList rules=d.rules.clone()/>
                            }
                        })}
                        {(r.action == quiver::services::governance::RequestAction::Set).then(|| view! {
                            {r.from_version.filter(|f| *f != r.version).map(|f| view! {
                                <p><a data-testid="compare-current" href=format!("/explore/{}/compare?a={f}&b={}", parts.join("/"), r.version)>
                                    {format!("Compare with version {f} (@{} now)", r.alias)}</a></p>
                            })}
                            <ChecksOf full_name=r.model.clone() version=r.version/>
                            <h2>"Discussion"</h2>
                        })}
                        <ol class="timeline" data-testid="timeline">
                            {d.notes.into_iter().map(|n| view! {
                                <li class=format!("note note-{}", n.kind)>
                                    <div class="meta"><strong>{n.by.clone()}</strong>" "{note_label(&n.kind)}" · "<Time at=n.at/></div>
                                    {(!n.body_html.is_empty()).then(|| view! { <Markdown html=n.body_html.clone()/> })}
                                </li>
                            }).collect_view()}
                        </ol>
                        <Show when=move || r.state == RequestState::Pending fallback=|| ()>
                            <div class="card">
                                <div class="field wide">
                                    <label for="request-comment">"Comment (markdown)"</label>
                                    <textarea id="request-comment" rows="3" prop:value=move || comment.get()
                                        on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                                </div>
                                <div class="actions">
                                    <button on:click=move |_| { note.dispatch(comment.get_untracked()); }
                                        disabled=move || busy() || comment.get().trim().is_empty()>"Comment"</button>
                                    <button class="primary" data-testid="approve" disabled=move || busy() || !d.can_approve
                                        title=d.approve_denied.clone().unwrap_or_default()
                                        on:click=move |_| { decide.dispatch(("approve".into(), comment.get_untracked())); }>"Approve"</button>
                                    <button class="danger" data-testid="reject" disabled=move || busy() || !d.can_reject
                                        on:click=move |_| {
                                            if confirm("Reject this request? It cannot be reopened.") {
                                                decide.dispatch(("reject".into(), comment.get_untracked()));
                                            }
                                        }>"Reject"</button>
                                    {d.can_cancel.then(|| view! {
                                        <button data-testid="cancel" disabled=busy on:click=move |_| {
                                            if confirm("Withdraw your request?") {
                                                decide.dispatch(("cancel".into(), comment.get_untracked()));
                                            }
                                        }>"Withdraw"</button>
                                    })}
                                </div>
                            </div>
                        </Show>
                    }
                })
            })}
        </Suspense>
    }
}

fn note_label(kind: &str) -> &'static str {
    match kind {
        "created" => "asked for this change",
        "comment" => "commented",
        "approval" => "approved",
        "approved" => "— the request is approved and the alias changed",
        "waiting" => "— approvals are complete; the alias waits for the policy's rules",
        "rejected" => "rejected it",
        "cancelled" => "withdrew it",
        _ => "— the request went stale",
    }
}
