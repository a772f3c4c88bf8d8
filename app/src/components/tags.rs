//! Tags as chips: remove with ×, add with an inline form.

use leptos::prelude::*;
use quiver::services::registry::Tag;

use crate::RegistryVersion;
use crate::components::toast::use_toasts;
use crate::error::AppResult;

#[component]
pub fn TagEditor(
    tags: Vec<Tag>,
    set: Action<(String, String), AppResult<Vec<Tag>>>,
    remove: Action<String, AppResult<Vec<Tag>>>,
    /// Why the caller may not change tags, if they may not (controls disabled with the reason).
    #[prop(optional, into)]
    denied: Signal<Option<String>>,
) -> impl IntoView {
    let adding = RwSignal::new(false);
    let key = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let toasts = use_toasts();
    let registry = expect_context::<RegistryVersion>();
    let error = Signal::derive(move || set.value().get().and_then(|r| r.err()));
    Effect::new(move || {
        if let Some(Ok(_)) = set.value().get() {
            set.value().set(None);
            toasts.success(format!("Tag '{}' saved.", key.get_untracked()));
            key.set(String::new());
            value.set(String::new());
            adding.set(false);
            registry.bump();
        }
    });
    Effect::new(move || match remove.value().get() {
        Some(Ok(_)) => {
            remove.value().set(None);
            toasts.success("Tag removed.");
            registry.bump();
        }
        Some(Err(e)) => {
            remove.value().set(None);
            toasts.error(e.message().to_string());
        }
        None => {}
    });
    let empty = tags.is_empty();
    view! {
        <div class="tags" data-testid="tags">
            {tags.into_iter().map(|t| {
                let k = t.key.clone();
                let label = format!("Remove tag {}", t.key);
                view! {
                    <span class="chip" data-testid="tag">
                        <span class="chip-key">{t.key.clone()}</span>
                        {(!t.value.is_empty()).then(|| view! { <span class="chip-value">{t.value.clone()}</span> })}
                        <button type="button" class="chip-remove" aria-label=label title="Remove"
                            disabled=move || remove.pending().get() || denied.get().is_some()
                            on:click=move |_| { remove.dispatch(k.clone()); }>"×"</button>
                    </span>
                }
            }).collect_view()}
            {empty.then(|| view! { <span class="muted">"No tags."</span> })}
            <Show when=move || adding.get() fallback=move || view! {
                <button type="button" class="small" on:click=move |_| adding.set(true)
                    disabled=move || denied.get().is_some() title=move || denied.get().unwrap_or_default()>"+ Add tag"</button>
            }>
                <form class="tag-form" on:submit=move |ev| {
                    ev.prevent_default();
                    set.dispatch((key.get_untracked().trim().to_string(), value.get_untracked()));
                }>
                    <input name="key" placeholder="key" aria-label="Tag key" autofocus=true required=true
                        prop:value=move || key.get() on:input=move |ev| key.set(event_target_value(&ev))/>
                    <input name="value" placeholder="value" aria-label="Tag value"
                        prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
                    <button type="submit" class="primary small" disabled=move || set.pending().get()>"Save tag"</button>
                    <button type="button" class="small" on:click=move |_| adding.set(false)>"Cancel"</button>
                    <span class="error" role="alert">{move || error.get().map(|e| e.message().to_string())}</span>
                </form>
            </Show>
        </div>
    }
}
