//! Markdown: shown as the server rendered and sanitized it, edited with a live preview.

use leptos::prelude::*;

use crate::RegistryVersion;
use crate::api::render_markdown;
use crate::components::toast::use_toasts;
use crate::error::AppResult;

/// HTML the server rendered from markdown and sanitized (see `quiver::markdown`).
#[component]
pub fn Markdown(html: String) -> impl IntoView {
    view! { <div class="markdown" inner_html=html></div> }
}

/// A description: rendered, with an editor (markdown on the left, live preview on the right).
#[component]
pub fn DescriptionEditor(
    /// The markdown as stored.
    text: String,
    /// Its rendering.
    html: String,
    save: Action<String, AppResult<()>>,
    /// Why the caller may not edit it, if they may not (the button is disabled with the reason).
    #[prop(optional, into)]
    denied: Signal<Option<String>>,
    /// What to say while there is none (a model's default: what it is for, how it was trained).
    #[prop(optional)]
    empty_hint: Option<&'static str>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(text.clone());
    let preview = RwSignal::new(html.clone());
    let pending = save.pending();
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let toasts = use_toasts();
    let registry = expect_context::<RegistryVersion>();
    Effect::new(move || {
        if let Some(Ok(())) = save.value().get() {
            save.value().set(None);
            editing.set(false);
            toasts.success("Description saved.");
            registry.bump();
        }
    });
    // The preview follows the text a moment after typing stops.
    let typed = StoredValue::new(0u64);
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        draft.set(value.clone());
        typed.update_value(|n| *n += 1);
        let mine = typed.get_value();
        // The editor may be gone (saved, cancelled) when the timer fires: then nothing happens.
        set_timeout(
            move || {
                if typed.try_get_value() == Some(mine) {
                    leptos::task::spawn_local(async move {
                        if let Ok(html) = render_markdown(value).await {
                            preview.try_set(html);
                        }
                    });
                }
            },
            std::time::Duration::from_millis(200),
        );
    };
    let original = text.clone();
    let empty = text.trim().is_empty();
    view! {
        <section class="description-block" data-testid="description">
            <Show when=move || editing.get() fallback=move || {
                let html = html.clone();
                view! {
                    {if empty {
                        view! { <p class="muted">{empty_hint.unwrap_or("No description yet. Say what this is for, how it was trained, and how to use it.")}</p> }.into_any()
                    } else {
                        view! { <Markdown html/> }.into_any()
                    }}
                    <button type="button" class="small" on:click=move |_| editing.set(true)
                        disabled=move || denied.get().is_some() title=move || denied.get().unwrap_or_default()>
                        {if empty { "Add description" } else { "Edit description" }}
                    </button>
                }
            }>
                <form class="md-editor" on:submit=move |ev| { ev.prevent_default(); save.dispatch(draft.get_untracked()); }>
                    <div class="md-panes">
                        <label class="field">
                            <span>"Markdown"</span>
                            <textarea name="description" rows="12" autofocus=true prop:value=move || draft.get() on:input=on_input
                                aria-invalid=move || error.get().is_some().to_string()></textarea>
                        </label>
                        <div class="field">
                            <span>"Preview"</span>
                            <div class="markdown preview" data-testid="preview" inner_html=move || preview.get()></div>
                        </div>
                    </div>
                    <span class="error" role="alert">{move || error.get().map(|e| e.message().to_string())}</span>
                    <div class="form-actions">
                        <button type="button" on:click={
                            let original = original.clone();
                            move |_| { draft.set(original.clone()); editing.set(false); }
                        }>"Cancel"</button>
                        <button type="submit" class="primary" disabled=move || pending.get()>
                            {move || if pending.get() { "Saving…" } else { "Save" }}
                        </button>
                    </div>
                </form>
            </Show>
        </section>
    }
}
