//! The run a version was trained in: name, experiment, status, when and how long, its params
//! and the latest value of each metric, so a reviewer sees what produced the model.

use chrono::DateTime;
use leptos::prelude::*;
use quiver::services::registry::Tag;
use quiver::services::tracking::{Metric, TrainingRun};

use crate::components::widgets::Time;
use crate::error::AppResult;

/// Most params or metrics listed; a run may log thousands.
const MAX_ROWS: usize = 100;

/// Nothing when the version names no run Quiver tracked; a note when the run's experiment is
/// one the caller may not read. The page reads the run in the same `Suspend` as the version, so
/// both render (and hydrate) together.
#[component]
pub fn TrainingRunCard(run: AppResult<Option<TrainingRun>>) -> impl IntoView {
    if let Err(e) = &run {
        if e.kind() == quiver::error::ErrorKind::PermissionDenied {
            let why = e.message().to_string();
            return view! {
                <h2>"Training run"</h2>
                <p class="muted" data-testid="training-run-hidden">
                    "This version was trained in an experiment you may not read. " {why}
                </p>
            }
            .into_any();
        }
    }
    crate::pages::loaded_part(run, |found| {
        found.map(|t| {
            view! {
                <h2>"Training run"</h2>
                <div class="card" data-testid="training-run">
                    <RunFacts t link=true/>
                </div>
            }
        })
    })
}

/// The run page's address.
pub fn run_href(run_id: &str) -> String {
    format!("/runs/{}", crate::components::crumbs::url_encode(run_id))
}

/// A run's facts, params and latest metrics; `link` makes its name lead to the run's page.
#[component]
pub fn RunFacts(t: TrainingRun, #[prop(optional)] link: bool) -> impl IntoView {
    let r = t.run;
    let started = DateTime::from_timestamp_millis(r.start_time);
    let took = r.end_time.map(|end| duration(end - r.start_time));
    let tag = |key: &str| r.tags.iter().find(|t| t.key == key).map(|t| t.value.clone());
    let (source, commit) = (tag("mlflow.source.name"), tag("mlflow.source.git.commit"));
    let name = if link {
        view! { <a href=run_href(&r.run_id) data-testid="run-name">{r.run_name.clone()}</a> }.into_any()
    } else {
        view! { <span data-testid="run-name">{r.run_name.clone()}</span> }.into_any()
    };
    view! {
        <dl class="facts">
            <dt>"Run"</dt>
            <dd><strong>{name}</strong> " " <span class=run_badge(&r.status)>{r.status.clone()}</span></dd>
            <dt>"Experiment"</dt>
            <dd data-testid="run-experiment">
                <a href=format!("/experiments/{}", r.experiment_id)>{t.experiment_name}</a>
                <span class="muted">{format!(" (id {})", r.experiment_id)}</span>
            </dd>
            <dt>"Started"</dt>
            <dd>{started.map(|at| view! { <Time at/> })} " by " <strong>{r.user_id.clone()}</strong></dd>
            <dt>"Duration"</dt>
            <dd>{took.unwrap_or_else(|| "still running".into())}</dd>
            {source.map(|s| view! { <dt>"Source"</dt><dd><code>{s}</code></dd> })}
            {commit.map(|c| view! { <dt>"Git commit"</dt><dd><code>{c}</code></dd> })}
        </dl>
        <div class="grid2">
            <div>
                <h3>"Parameters"</h3>
                <ParamTable params=r.params testid="run-params" empty="No parameters logged."/>
            </div>
            <div>
                <h3>"Metrics"</h3>
                <MetricTable metrics=r.metrics/>
            </div>
        </div>
    }
}

/// Key-value rows: a run's params, or its tags.
#[component]
pub fn ParamTable(params: Vec<Tag>, testid: &'static str, empty: &'static str) -> impl IntoView {
    if params.is_empty() {
        return view! { <p class="muted">{empty}</p> }.into_any();
    }
    let more = params.len().saturating_sub(MAX_ROWS);
    view! {
        <table class="list" data-testid=testid>
            <thead><tr><th>"Name"</th><th>"Value"</th></tr></thead>
            <tbody>
                {params.into_iter().take(MAX_ROWS).map(|p| view! {
                    <tr><td class="mono">{p.key}</td><td class="mono">{p.value}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
        {(more > 0).then(|| view! { <p class="muted small">{format!("and {more} more")}</p> })}
    }
    .into_any()
}

#[component]
fn MetricTable(metrics: Vec<Metric>) -> impl IntoView {
    if metrics.is_empty() {
        return view! { <p class="muted">"No metrics logged."</p> }.into_any();
    }
    let more = metrics.len().saturating_sub(MAX_ROWS);
    view! {
        <table class="list" data-testid="run-metrics">
            <thead><tr><th>"Name"</th><th class="num">"Latest"</th><th class="num">"Step"</th></tr></thead>
            <tbody>
                {metrics.into_iter().take(MAX_ROWS).map(|m| view! {
                    <tr>
                        <td class="mono">{m.key}</td>
                        <td class="num mono" title=m.value.to_string()>{metric_value(m.value)}</td>
                        <td class="num">{m.step}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {(more > 0).then(|| view! { <p class="muted small">{format!("and {more} more")}</p> })}
    }
    .into_any()
}

pub fn run_badge(status: &str) -> &'static str {
    match status {
        "FINISHED" => "badge ready",
        "RUNNING" | "SCHEDULED" => "badge pending",
        _ => "badge failed",
    }
}

/// Six significant digits at most: `0.966667`, `12`, `1.2346e7`.
pub fn metric_value(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return v.to_string();
    }
    let magnitude = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        return format!("{v:.4e}");
    }
    let decimals = (5 - magnitude).max(0) as usize;
    let fixed = format!("{v:.decimals$}");
    if fixed.contains('.') { fixed.trim_end_matches('0').trim_end_matches('.').to_string() } else { fixed }
}

/// `850 ms`, `42 s`, `3 min 12 s`, `2 h 5 min`.
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    let s = ms / 1000;
    match s {
        0 => format!("{ms} ms"),
        1..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_values_keep_six_significant_digits() {
        assert_eq!(metric_value(0.9666666666), "0.966667");
        assert_eq!(metric_value(12.0), "12");
        assert_eq!(metric_value(123456.7), "123457");
        assert_eq!(metric_value(-0.5), "-0.5");
        assert_eq!(metric_value(12345678.0), "1.2346e7");
        assert_eq!(metric_value(0.00001234), "1.2340e-5");
        assert_eq!(metric_value(0.0), "0");
    }

    #[test]
    fn durations_read_like_a_person_would_say_them() {
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(42_300), "42 s");
        assert_eq!(duration(192_000), "3 min 12 s");
        assert_eq!(duration(7_500_000), "2 h 5 min");
        assert_eq!(duration(-5), "0 ms");
    }
}
