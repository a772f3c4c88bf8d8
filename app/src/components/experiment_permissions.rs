//! An experiment's Permissions section: the caller's own level for everyone, and for those who
//! manage it the owner, each grant (change or revoke it) and a form to grant a level.

use leptos::prelude::*;
use quiver::services::tracking::{ExperimentGrant, ExperimentLevel, ExperimentPermissions};

use crate::api::governance::list_experiment_principals;
use crate::api::runs::{ExperimentAccessView, change_experiment_permission};
use crate::components::permissions::confirm;
use crate::components::toast::use_toasts;

/// What each level allows, as the section explains it.
fn meaning(level: ExperimentLevel) -> &'static str {
    match level {
        ExperimentLevel::Read => "see its runs, models and artifacts",
        ExperimentLevel::Edit => "see it and log runs, models and artifacts into it",
        ExperimentLevel::Manage => {
            "do anything with it: log into it, rename, delete or restore it, decide who may use it"
        }
    }
}

/// `access` comes with the page (one read, so server and browser render the same); `refresh`
/// reloads the page after a change.
#[component]
pub fn ExperimentPermissionsSection(
    experiment_id: String,
    access: ExperimentAccessView,
    #[prop(into)] refresh: Callback<()>,
) -> impl IntoView {
    let mine = match access.level {
        Some(l) => format!("Your access: {} — you may {}.", l.label(), meaning(l)),
        None => "You have no access of your own.".to_string(),
    };
    view! {
        <h2>"Permissions"</h2>
        <p class="muted" data-testid="my-experiment-level">{mine}</p>
        {access.permissions.map(|p| view! { <ManageAccess p id=experiment_id refresh/> })}
    }
}

#[component]
fn ManageAccess(p: ExperimentPermissions, id: String, refresh: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let id = StoredValue::new(id);
    let change = Action::new(move |(who, level): &(String, Option<ExperimentLevel>)| {
        let (who, level) = (who.clone(), *level);
        async move { change_experiment_permission(id.get_value(), who, level).await }
    });
    Effect::new(move || match change.value().get() {
        Some(Ok(_)) => {
            change.value().set(None);
            toasts.success("Permissions updated.");
            refresh.run(());
        }
        Some(Err(e)) => toasts.error(e.message().to_string()),
        None => {}
    });
    // Suggestions for the principal field, loaded once the page is interactive (the server
    // renders the list empty, and so does the browser until then).
    let principals = RwSignal::new(Vec::new());
    Effect::new(move || {
        leptos::task::spawn_local(async move {
            if let Ok(found) = list_experiment_principals(id.get_value()).await {
                principals.try_set(found);
            }
        });
    });
    let grantee = RwSignal::new(String::new());
    let level = RwSignal::new(ExperimentLevel::Read);
    let owner = p.owner.clone();
    let rows = p.grants.into_iter().map(|g| view! { <GrantRow g change/> }).collect_view();
    view! {
        <section class="permissions" data-testid="experiment-permissions">
            <datalist id="experiment-principals">
                {move || principals.get().into_iter().map(|p| {
                    view! { <option value=p.name.clone()>{p.kind.label()}</option> }
                }).collect_view()}
            </datalist>
            <table class="list" data-testid="experiment-grants">
                <thead><tr><th>"Principal"</th><th>"Level"</th><th></th></tr></thead>
                <tbody>
                    <tr>
                        <td><strong data-testid="experiment-owner">{owner}</strong>" (owner)"</td>
                        <td>{ExperimentLevel::Manage.label()}</td>
                        <td></td>
                    </tr>
                    {rows}
                </tbody>
            </table>
            <form class="inline-form" data-testid="experiment-grant-form" on:submit=move |ev| {
                ev.prevent_default();
                change.dispatch((grantee.get_untracked(), Some(level.get_untracked())));
            }>
                <label>"Principal"
                    <input name="principal" list="experiment-principals" required=true autocomplete="off"
                        placeholder="user or group"
                        prop:value=move || grantee.get() on:input=move |ev| grantee.set(event_target_value(&ev))/>
                </label>
                <label>"Level" <LevelSelect value=level on_pick=move |l| level.set(l)/></label>
                <button type="submit" class="primary" disabled=move || change.pending().get()>"Grant"</button>
            </form>
        </section>
    }
}

type Change = Action<(String, Option<ExperimentLevel>), crate::error::AppResult<ExperimentPermissions>>;

/// One grant: its level can be changed in place or revoked (after a confirmation).
#[component]
fn GrantRow(g: ExperimentGrant, change: Change) -> impl IntoView {
    let who = StoredValue::new(g.principal.clone());
    let aria = format!("Revoke {}'s access", g.principal);
    view! {
        <tr data-testid="experiment-grant">
            <td>{g.principal.clone()} " " <span class="muted">{g.kind.label()}</span></td>
            <td><LevelSelect value=g.level on_pick=move |l| { change.dispatch((who.get_value(), Some(l))); }/></td>
            <td>
                <button class="small" aria-label=aria on:click=move |_| {
                    let who = who.get_value();
                    if confirm(&format!("Revoke {who}'s access to this experiment?")) {
                        change.dispatch((who, None));
                    }
                }>"Revoke"</button>
            </td>
        </tr>
    }
}

/// The three levels; `on_pick` hears the one chosen.
#[component]
fn LevelSelect(
    #[prop(into)] value: Signal<ExperimentLevel>,
    #[prop(into)] on_pick: Callback<ExperimentLevel>,
) -> impl IntoView {
    view! {
        <select class="level" aria-label="Level" on:change=move |ev| {
            if let Some(l) = ExperimentLevel::parse(&event_target_value(&ev)) {
                on_pick.run(l);
            }
        }>
            {ExperimentLevel::ALL.into_iter().map(|l| view! {
                <option value=l.api_name() selected=move || value.get() == l>{l.label()}</option>
            }).collect_view()}
        </select>
    }
}
