//! An experiment's runs as a table: facts, then a column per metric and param seen on the page,
//! each header a link that orders the runs by it (MLflow's `order_by`), and a filter box that
//! takes MLflow's search_runs syntax.

use chrono::DateTime;
use leptos::prelude::*;
use leptos_router::components::Form;
use quiver::services::tracking::Run;

use super::crumbs::url_encode;
use super::training_run::{duration, metric_value, run_badge, run_href};
use super::widgets::Time;

/// Most metric and param columns shown; a run's page has the rest.
const MAX_METRIC_COLUMNS: usize = 8;
const MAX_PARAM_COLUMNS: usize = 6;

/// Where the list stands: the filter and order in the address.
#[derive(Debug, Clone, PartialEq)]
pub struct RunsView {
    /// The experiment's page, without a query.
    pub base: String,
    pub filter: String,
    pub order: String,
}

impl RunsView {
    /// This list's address with another order (and the first page).
    pub fn href_ordered(&self, order: &str) -> String {
        let mut query = Vec::new();
        if !self.filter.trim().is_empty() {
            query.push(format!("filter={}", url_encode(&self.filter)));
        }
        if !order.is_empty() {
            query.push(format!("order={}", url_encode(order)));
        }
        if query.is_empty() { self.base.clone() } else { format!("{}?{}", self.base, query.join("&")) }
    }

    /// This list's address without its filter (the order stays).
    pub fn href_unfiltered(&self) -> String {
        RunsView { filter: String::new(), ..self.clone() }.href()
    }

    /// The address pages of this list add their token to.
    pub fn href(&self) -> String {
        self.href_ordered(&self.order)
    }

    /// The link of a column header ordering by `key`: first descending for metrics (best first
    /// for scores) and ascending otherwise, then the other way round. Also what the header shows
    /// (`aria-sort` and an arrow) when the list is ordered by it.
    fn sort_link(&self, key: &str, first_desc: bool) -> (String, Option<&'static str>) {
        let (desc, asc) = (format!("{key} DESC"), format!("{key} ASC"));
        let current = self.order.trim();
        let (next, state) = if current == desc {
            (asc, Some("descending"))
        } else if current == asc || (current == key && !first_desc) {
            (desc, Some("ascending"))
        } else if first_desc {
            (desc, None)
        } else {
            (asc, None)
        };
        (self.href_ordered(&next), state)
    }
}

/// A key as written in a filter or order: bare when it is plain words, else in backticks.
pub fn quoted_key(prefix: &str, key: &str) -> String {
    let plain =
        !key.is_empty() && key.split('.').all(|s| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_'));
    if plain { format!("{prefix}.{key}") } else { format!("{prefix}.`{key}`") }
}

/// The distinct `keys`, sorted, at most `max`, and how many were left out.
fn columns<'a>(keys: impl Iterator<Item = &'a str>, max: usize) -> (Vec<String>, usize) {
    let mut all: Vec<String> = keys.map(str::to_string).collect();
    all.sort();
    all.dedup();
    let hidden = all.len().saturating_sub(max);
    all.truncate(max);
    (all, hidden)
}

#[component]
fn SortHeader(
    view: RunsView,
    key: String,
    label: String,
    first_desc: bool,
    #[prop(optional)] num: bool,
) -> impl IntoView {
    let (href, state) = view.sort_link(&key, first_desc);
    let arrow = match state {
        Some("descending") => " ▼",
        Some(_) => " ▲",
        None => "",
    };
    let title = format!("Order by {label}");
    view! {
        <th class:num=num aria-sort=state.unwrap_or("none")>
            <a class="sort" href=href title=title>{label}{arrow}</a>
        </th>
    }
}

/// The filter box: a GET form, so it works before the page is interactive too.
#[component]
pub fn RunFilter(view: RunsView, error: Option<String>) -> impl IntoView {
    let invalid = error.is_some();
    let clear =
        (!view.filter.trim().is_empty()).then(|| view! { <a class="button" href=view.href_unfiltered()>"Clear"</a> });
    view! {
        <Form method="GET" action=view.base.clone() attr:class="run-filter" attr:role="search">
            <div class="field">
                <label for="run-filter">"Filter runs"</label>
                <div class="run-filter-row">
                    <input id="run-filter" type="search" name="filter" autocomplete="off" spellcheck="false"
                        prop:value=view.filter.clone() aria-invalid=invalid.to_string()
                        aria-describedby="run-filter-hint"
                        placeholder="metrics.accuracy > 0.9 AND params.max_depth = '3'"/>
                    {(!view.order.is_empty()).then(|| view! { <input type="hidden" name="order" value=view.order.clone()/> })}
                    <button type="submit" class="primary">"Search"</button>
                    {clear}
                </div>
                {error.map(|e| view! { <span class="error" role="alert" data-testid="run-filter-error">{e}</span> })}
                <span class="hint" id="run-filter-hint">
                    "MLflow's syntax: " <code>"metrics.<key>"</code> " compared with numbers, "
                    <code>"params.<key>"</code> ", " <code>"tags.<key>"</code> " and "
                    <code>"attributes.status"</code> " with quoted strings (=, !=, LIKE, IN); AND, OR and parentheses."
                </span>
            </div>
        </Form>
    }
}

/// "1 more metric and 8 more params are on each run's page.", naming only what is hidden.
fn hidden_note(metrics: usize, params: usize) -> Option<String> {
    let count = |n: usize, one: &str, many: &str| match n {
        0 => None,
        1 => Some(format!("1 more {one}")),
        n => Some(format!("{n} more {many}")),
    };
    let parts: Vec<String> =
        [count(metrics, "metric", "metrics"), count(params, "param", "params")].into_iter().flatten().collect();
    let verb = if parts.len() == 1 && (metrics == 1 || params == 1) { "is" } else { "are" };
    (!parts.is_empty()).then(|| format!("{} {verb} on each run's page.", parts.join(" and ")))
}

/// A run's datasets as chips: the name, and the role it played (`train`, `eval`, …).
fn dataset_chips(run: &Run) -> impl IntoView + use<> {
    run.inputs
        .iter()
        .map(|i| {
            let title = format!("{} · digest {}", i.dataset.name, i.dataset.digest);
            let role = i.context().map(|c| view! { <span class="chip-value">{c.to_string()}</span> });
            view! { <span class="chip" title=title><span class="chip-key">{i.dataset.name.clone()}</span>{role}</span> " " }
        })
        .collect_view()
}

/// One page of runs.
#[component]
pub fn RunsTable(runs: Vec<Run>, view: RunsView) -> impl IntoView {
    let (metrics, hidden_metrics) =
        columns(runs.iter().flat_map(|r| r.metrics.iter().map(|m| m.key.as_str())), MAX_METRIC_COLUMNS);
    let (params, hidden_params) =
        columns(runs.iter().flat_map(|r| r.params.iter().map(|p| p.key.as_str())), MAX_PARAM_COLUMNS);
    let more = hidden_note(hidden_metrics, hidden_params).map(|note| view! { <p class="muted small">{note}</p> });
    // A column of datasets when a run of the page logged any (autologging does).
    let datasets = runs.iter().any(|r| !r.inputs.is_empty());
    let header = {
        let v = view.clone();
        let metric_headers = metrics
            .iter()
            .map(|k| view! { <SortHeader view=v.clone() key=quoted_key("metrics", k) label=k.clone() first_desc=true num=true/> })
            .collect_view();
        let param_headers = params
            .iter()
            .map(
                |k| view! { <SortHeader view=v.clone() key=quoted_key("params", k) label=k.clone() first_desc=false/> },
            )
            .collect_view();
        view! {
            <tr>
                <SortHeader view=v.clone() key="attributes.run_name".into() label="Run".into() first_desc=false/>
                <th>"Status"</th>
                <SortHeader view=v.clone() key="attributes.start_time".into() label="Started".into() first_desc=true/>
                <th>"Duration"</th>
                <th>"By"</th>
                {datasets.then(|| view! { <th>"Datasets"</th> })}
                {metric_headers}
                {param_headers}
            </tr>
        }
    };
    let rows = runs
        .into_iter()
        .map(|r| {
            let metric_cells = metrics
                .iter()
                .map(|k| match r.metrics.iter().find(|m| &m.key == k) {
                    Some(m) => view! { <td class="num" title=format!("{} (step {})", m.value, m.step)>{metric_value(m.value)}</td> }.into_any(),
                    None => view! { <td class="num muted">"–"</td> }.into_any(),
                })
                .collect_view();
            let param_cells = params
                .iter()
                .map(|k| match r.params.iter().find(|p| &p.key == k) {
                    Some(p) => view! { <td class="clip" title=p.value.clone()>{p.value.clone()}</td> }.into_any(),
                    None => view! { <td class="muted">"–"</td> }.into_any(),
                })
                .collect_view();
            view! {
                <tr>
                    <td><a href=run_href(&r.run_id)>{r.run_name.clone()}</a></td>
                    <td><span class=run_badge(&r.status)>{r.status.clone()}</span></td>
                    <td>{DateTime::from_timestamp_millis(r.start_time).map(|at| view! { <Time at/> })}</td>
                    <td>{r.end_time.map(|end| duration(end - r.start_time)).unwrap_or_else(|| "still running".into())}</td>
                    <td>{r.user_id.clone()}</td>
                    {datasets.then(|| view! { <td class="datasets">{dataset_chips(&r)}</td> })}
                    {metric_cells}
                    {param_cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="list runs" data-testid="experiment-runs">
                <thead>{header}</thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {more}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hidden_columns_note_names_only_what_is_hidden() {
        assert_eq!(hidden_note(0, 0), None);
        assert_eq!(hidden_note(0, 8).as_deref(), Some("8 more params are on each run's page."));
        assert_eq!(hidden_note(1, 0).as_deref(), Some("1 more metric is on each run's page."));
        assert_eq!(hidden_note(1, 8).as_deref(), Some("1 more metric and 8 more params are on each run's page."));
    }

    fn at(order: &str, filter: &str) -> RunsView {
        RunsView { base: "/experiments/1".into(), filter: filter.into(), order: order.into() }
    }

    #[test]
    fn headers_order_by_their_column_and_then_the_other_way() {
        let (href, state) = at("", "").sort_link("metrics.acc", true);
        assert_eq!((href.as_str(), state), ("/experiments/1?order=metrics.acc%20DESC", None));
        let (href, state) = at("metrics.acc DESC", "").sort_link("metrics.acc", true);
        assert_eq!((href.as_str(), state), ("/experiments/1?order=metrics.acc%20ASC", Some("descending")));
        let (href, state) = at("metrics.acc ASC", "").sort_link("metrics.acc", true);
        assert_eq!((href.as_str(), state), ("/experiments/1?order=metrics.acc%20DESC", Some("ascending")));
        let (href, _) = at("metrics.acc DESC", "a = 'b'").sort_link("params.depth", false);
        assert_eq!(href, "/experiments/1?filter=a%20%3D%20%27b%27&order=params.depth%20ASC");
        assert_eq!(at("", "").href(), "/experiments/1");
        assert_eq!(at("start_time", "x").href_unfiltered(), "/experiments/1?order=start_time");
    }

    #[test]
    fn keys_are_quoted_only_when_they_must_be() {
        assert_eq!(quoted_key("metrics", "val_loss"), "metrics.val_loss");
        assert_eq!(quoted_key("metrics", "a.b"), "metrics.a.b");
        assert_eq!(quoted_key("params", "max depth"), "params.`max depth`");
        assert_eq!(quoted_key("params", "lr-1"), "params.`lr-1`");
    }
}
