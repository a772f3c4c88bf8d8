//! A comment thread on a model or a version: markdown, author, relative time, edit and delete.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use quiver::services::registry::Comment;

use crate::RegistryVersion;
use crate::api::auth::current_user;
use crate::api::comments::{add_comment, delete_comment, edit_comment, list_comments};
use crate::components::markdown::Markdown;
use crate::components::modal::Modal;
use crate::components::toast::use_toasts;
use crate::components::widgets::{EmptyState, Pager};
use crate::pages::{loaded_part, page_token};

/// "just now", "5 minutes ago", "3 days ago", with the exact time as a tooltip.
#[component]
pub fn Ago(at: DateTime<Utc>) -> impl IntoView {
    let iso = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let secs = (Utc::now() - at).num_seconds().max(0);
    let text = match secs {
        0..60 => "just now".to_string(),
        60..3600 => plural(secs / 60, "minute"),
        3600..86400 => plural(secs / 3600, "hour"),
        86400..2_592_000 => plural(secs / 86400, "day"),
        _ => at.format("%Y-%m-%d").to_string(),
    };
    view! { <time datetime=iso.clone() title=iso>{text}</time> }
}

fn plural(n: i64, unit: &str) -> String {
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[derive(Clone)]
struct Thread {
    catalog: String,
    schema: String,
    model: String,
}

#[component]
pub fn CommentThread(
    catalog: String,
    schema: String,
    model: String,
    version: Option<String>,
    base: String,
) -> impl IntoView {
    let token = page_token();
    let registry = expect_context::<RegistryVersion>();
    let toasts = use_toasts();
    let thread = Thread { catalog, schema, model };
    let data = Resource::new(move || (registry.get(), token.get()), {
        let (t, version) = (thread.clone(), version.clone());
        move |(_, page)| {
            let (t, version) = (t.clone(), version.clone());
            async move {
                let comments = list_comments(t.catalog, t.schema, t.model, version, page).await;
                let me = current_user().await.ok().flatten();
                (comments, me)
            }
        }
    });
    let body = RwSignal::new(String::new());
    let post = Action::new({
        let t = thread.clone();
        move |text: &String| {
            add_comment(t.catalog.clone(), t.schema.clone(), t.model.clone(), version.clone(), text.clone())
        }
    });
    let error = Signal::derive(move || post.value().get().and_then(|r| r.err()));
    Effect::new(move || {
        if let Some(Ok(_)) = post.value().get() {
            post.value().set(None);
            body.set(String::new());
            toasts.success("Comment posted.");
            registry.bump();
        }
    });
    view! {
        <section class="comments" data-testid="comments">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let (thread, base) = (thread.clone(), base.clone());
                    Suspend::new(async move {
                        let (comments, me) = data.await;
                        loaded_part(comments, move |page| {
                            let empty = page.items.is_empty();
                            view! {
                                {empty.then(|| view! {
                                    <EmptyState title="No comments yet"><p>"Start the conversation below: questions, review notes, decisions."</p></EmptyState>
                                })}
                                <ol class="comment-list">
                                    {page.items.into_iter().map(|c| {
                                        let mine = me.as_ref().is_some_and(|u| u.username == c.author);
                                        let admin = me.as_ref().is_some_and(|u| u.admin);
                                        view! { <CommentItem comment=c can_edit=mine can_delete=mine || admin thread=thread.clone()/> }
                                    }).collect_view()}
                                </ol>
                                <Pager current=token.get_untracked() next=page.next_page_token base/>
                            }.into_any()
                        })
                    })
                }}
            </Suspense>
            <form class="comment-form" on:submit=move |ev| { ev.prevent_default(); post.dispatch(body.get_untracked()); }>
                <label for="new-comment">"Add a comment"</label>
                <textarea id="new-comment" name="body" rows="4" placeholder="Markdown is supported."
                    prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                <span class="error" role="alert">{move || error.get().map(|e| e.message().to_string())}</span>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || post.pending().get()>
                        {move || if post.pending().get() { "Posting…" } else { "Comment" }}
                    </button>
                </div>
            </form>
        </section>
    }
}

#[component]
fn CommentItem(comment: Comment, can_edit: bool, can_delete: bool, thread: Thread) -> impl IntoView {
    let registry = expect_context::<RegistryVersion>();
    let toasts = use_toasts();
    let editing = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let draft = RwSignal::new(comment.body.clone());
    let id = comment.id.clone();
    let save = Action::new({
        let (t, id) = (thread.clone(), id.clone());
        move |text: &String| {
            edit_comment(t.catalog.clone(), t.schema.clone(), t.model.clone(), id.clone(), text.clone())
        }
    });
    let delete = Action::new({
        let (t, id) = (thread.clone(), id.clone());
        move |_: &()| delete_comment(t.catalog.clone(), t.schema.clone(), t.model.clone(), id.clone())
    });
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    Effect::new(move || {
        if let Some(Ok(_)) = save.value().get() {
            save.value().set(None);
            editing.set(false);
            toasts.success("Comment updated.");
            registry.bump();
        }
    });
    Effect::new(move || match delete.value().get() {
        Some(Ok(())) => {
            delete.value().set(None);
            confirming.set(false);
            toasts.success("Comment deleted.");
            registry.bump();
        }
        Some(Err(e)) => {
            delete.value().set(None);
            toasts.error(e.message().to_string());
        }
        None => {}
    });
    let html = comment.body_html.clone();
    view! {
        <li class="comment" data-testid="comment" id=format!("comment-{id}")>
            <div class="comment-head">
                <strong>{comment.author.clone()}</strong>
                <span class="muted">" · " <Ago at=comment.created_at/></span>
                {comment.edited_at.map(|at| view! {
                    <span class="muted edited" title=at.to_rfc3339()>" · edited"</span>
                })}
                <span class="spacer"></span>
                {can_edit.then(|| view! {
                    <button type="button" class="link" on:click=move |_| editing.set(true)>"Edit"</button>
                })}
                {can_delete.then(|| view! {
                    <button type="button" class="link danger" on:click=move |_| confirming.set(true)>"Delete"</button>
                })}
            </div>
            <Show when=move || editing.get() fallback=move || view! { <Markdown html=html.clone()/> }>
                <form on:submit=move |ev| { ev.prevent_default(); save.dispatch(draft.get_untracked()); }>
                    <textarea name="body" rows="4" aria-label="Edit comment" prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))></textarea>
                    <span class="error" role="alert">{move || error.get().map(|e| e.message().to_string())}</span>
                    <div class="form-actions">
                        <button type="button" on:click=move |_| editing.set(false)>"Cancel"</button>
                        <button type="submit" class="primary" disabled=move || save.pending().get()>"Save"</button>
                    </div>
                </form>
            </Show>
            <Show when=move || confirming.get()>
                <Modal title="Delete comment?".to_string() on_close=Callback::new(move |_| confirming.set(false))>
                    <p>"The comment is removed for everyone. This cannot be undone."</p>
                    <div class="form-actions">
                        <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                        <button type="button" class="danger" autofocus=true disabled=move || delete.pending().get()
                            on:click=move |_| { delete.dispatch(()); }>"Delete comment"</button>
                    </div>
                </Modal>
            </Show>
        </li>
    }
}
