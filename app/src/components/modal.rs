//! A modal dialog: focus moves into it, Escape or the backdrop closes it.

use leptos::prelude::*;

#[component]
pub fn Modal(
    /// Heading of the dialog.
    title: String,
    /// Called to close the dialog.
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let title_id = "modal-title";
    view! {
        <div
            class="modal-backdrop"
            on:click=move |_| on_close.run(())
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    on_close.run(());
                }
            }
        >
            <div
                class="modal"
                role="dialog"
                aria-modal="true"
                aria-labelledby=title_id
                on:click=|ev| ev.stop_propagation()
            >
                <h2 id=title_id>{title}</h2>
                {children()}
            </div>
        </div>
    }
}
