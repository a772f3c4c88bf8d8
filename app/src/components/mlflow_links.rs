//! The MLflow client prints links into MLflow's own UI ("View run at
//! http://host/#/experiments/1/runs/<id>", "View experiment at …/#/experiments/1"), and its
//! registry pages are `#/models/<name>/versions/<n>`. What follows `#` never reaches the server,
//! so once the page has hydrated the browser sends such links on to Quiver's pages.

use leptos::prelude::*;

use super::crumbs::{explore_href, url_encode};

/// Quiver's page for an MLflow UI fragment (`#/experiments/1/runs/<id>`), if it has one.
pub fn mlflow_link_target(fragment: &str) -> Option<String> {
    let path = fragment.strip_prefix("#/")?;
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let parts: Vec<String> = path
        .split('/')
        .map(|p| percent_encoding::percent_decode_str(p).decode_utf8().ok().map(|d| d.into_owned()))
        .collect::<Option<_>>()?;
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    match parts.as_slice() {
        ["experiments", _, "runs", run_id, ..] if !run_id.is_empty() => Some(format!("/runs/{}", url_encode(run_id))),
        ["experiments", n, ..] if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            Some(format!("/experiments/{n}"))
        }
        ["models", name, rest @ ..] => {
            let [catalog, schema, model] = name.split('.').collect::<Vec<_>>()[..] else { return None };
            let href = explore_href(&[catalog, schema, model]);
            match rest {
                [] => Some(href),
                ["versions", n] if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                    Some(format!("{href}/versions/{n}"))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Sends an MLflow UI link on to Quiver's page for it (in the browser, after hydration).
#[component]
pub fn MlflowLinks() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        let navigate = leptos_router::hooks::use_navigate();
        let follow = move || {
            let fragment = window().location().hash().unwrap_or_default();
            if let Some(to) = mlflow_link_target(&fragment) {
                navigate(&to, leptos_router::NavigateOptions { replace: true, ..Default::default() });
            }
        };
        // On load, and when such a link is pasted into a tab already showing Quiver.
        let on_change = follow.clone();
        let listener = window_event_listener(leptos::ev::hashchange, move |_| on_change());
        on_cleanup(move || listener.remove());
        Effect::new(move || follow());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mlflow_ui_links_lead_to_quivers_pages() {
        let run = "#/experiments/1/runs/aaf0969b5074cc3a4192a849bf4ad3ee";
        assert_eq!(mlflow_link_target(run).as_deref(), Some("/runs/aaf0969b5074cc3a4192a849bf4ad3ee"));
        assert_eq!(mlflow_link_target(&format!("{run}/artifacts")).as_deref(), mlflow_link_target(run).as_deref());
        assert_eq!(
            mlflow_link_target("#/models/prod.ml_team.iris/versions/2").as_deref(),
            Some("/explore/prod/ml_team/iris/versions/2")
        );
        assert_eq!(mlflow_link_target("#/models/prod.ml_team.iris").as_deref(), Some("/explore/prod/ml_team/iris"));
        assert_eq!(mlflow_link_target("#/experiments/12").as_deref(), Some("/experiments/12"));
        assert_eq!(mlflow_link_target("#/experiments/12/traces").as_deref(), Some("/experiments/12"));
        assert_eq!(
            mlflow_link_target("#/models/prod.ml%20team.iris").as_deref(),
            Some(explore_href(&["prod", "ml team", "iris"]).as_str())
        );
        for other in
            ["", "#", "#/experiments/x1", "#/models/iris", "#/models/a.b.c/versions/x", "#top", "#/models/%FF.a.b"]
        {
            assert_eq!(mlflow_link_target(other), None, "{other}");
        }
    }
}
