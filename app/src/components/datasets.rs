//! The datasets a run used (`mlflow.log_input`, autologging): what, how many rows, in which role,
//! and the columns its schema names, so a reviewer sees what a model was trained and checked on.

use leptos::prelude::*;
use quiver::services::tracking::DatasetInput;

/// Most columns listed under one dataset.
const MAX_COLUMNS: usize = 50;

#[component]
pub fn RunDatasets(inputs: Vec<DatasetInput>) -> impl IntoView {
    if inputs.is_empty() {
        return view! {
            <p class="muted" data-testid="run-datasets">
                "No datasets logged. " <code>"mlflow.log_input(mlflow.data.from_pandas(df), context=\"training\")"</code>
                " records one; autologging does it for you."
            </p>
        }
        .into_any();
    }
    view! {
        <table class="list" data-testid="run-datasets">
            <thead>
                <tr><th>"Dataset"</th><th>"Context"</th><th class="num">"Rows"</th><th>"Source"</th><th>"Columns"</th></tr>
            </thead>
            <tbody>
                {inputs.into_iter().map(|i| {
                    let d = &i.dataset;
                    let columns = d.columns();
                    let source = d.location().unwrap_or_else(|| d.source_type.clone());
                    view! {
                        <tr>
                            <td>
                                <strong>{d.name.clone()}</strong>
                                " " <span class="muted mono small" title="digest">{d.digest.clone()}</span>
                            </td>
                            <td>{i.context().map(|c| view! { <span class="chip">{c.to_string()}</span> })}</td>
                            <td class="num">{d.rows().map(|n| n.to_string())}</td>
                            <td><code title=d.source_type.clone()>{source}</code></td>
                            <td><Columns columns/></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// "5 columns", opening to their names and types.
#[component]
fn Columns(columns: Vec<(String, String)>) -> impl IntoView {
    if columns.is_empty() {
        return view! { <span class="muted">"—"</span> }.into_any();
    }
    let summary = if columns.len() == 1 { "1 column".to_string() } else { format!("{} columns", columns.len()) };
    let more = columns.len().saturating_sub(MAX_COLUMNS);
    view! {
        <details class="columns">
            <summary>{summary}</summary>
            <ul>
                {columns.into_iter().take(MAX_COLUMNS).map(|(name, kind)| view! {
                    <li><span class="mono">{name}</span> " " <span class="muted small">{kind}</span></li>
                }).collect_view()}
                {(more > 0).then(|| view! { <li class="muted small">{format!("and {more} more")}</li> })}
            </ul>
        </details>
    }
    .into_any()
}
