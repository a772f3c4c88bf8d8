//! A version's deployment checks: what CI reported (status, name, how long it ran, a link to
//! the run, the summary on demand), or how to report one when there is none.

use leptos::prelude::*;
use quiver::services::governance::{CheckConclusion, CheckRollup, CheckStatus, VersionCheck};

use crate::api::Described;
use crate::components::markdown::Markdown;
use crate::components::widgets::{EmptyState, Time};
use crate::error::AppResult;

/// The class of a check's state: passed, failed, skipped, running, waiting.
fn state(c: &VersionCheck) -> &'static str {
    match (c.status, c.conclusion) {
        (CheckStatus::Completed, Some(CheckConclusion::Success)) => "passed",
        (CheckStatus::Completed, Some(CheckConclusion::Failure | CheckConclusion::TimedOut)) => "failed",
        (CheckStatus::Completed, _) => "skipped",
        (CheckStatus::InProgress, _) => "running",
        (CheckStatus::Queued, _) => "waiting",
    }
}

/// The icon of a state class (passed, failed, skipped, running, waiting), as inline SVG.
fn icon_path(class: &str) -> &'static str {
    match class {
        "passed" => "M3 8.5l3 3 7-7",
        "failed" => "M4 4l8 8M12 4l-8 8",
        "running" => "M8 3v5l3 2",
        "waiting" => "M5 8h.01M8 8h.01M11 8h.01",
        _ => "M4 8h8",
    }
}

/// A state's icon with its words beside it.
#[component]
pub fn StateBadge(class: &'static str, label: String) -> impl IntoView {
    view! {
        <span class=format!("check-state {class}")>
            <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
                <circle cx="8" cy="8" r="7.25" fill="none" stroke="currentColor" stroke-width="1.5"/>
                <path d=icon_path(class) fill="none" stroke="currentColor" stroke-width="1.75" stroke-linecap="round" stroke-linejoin="round"/>
            </svg>
            <span>{label}</span>
        </span>
    }
}

/// A check's state as an inline SVG with its words beside it.
#[component]
pub fn CheckState(check: VersionCheck) -> impl IntoView {
    let class = state(&check);
    view! { <StateBadge class label=check.state_label().to_string()/> }
}

/// A promotion rule's standing for a request: passed, failing or waiting, and why.
#[component]
pub fn RuleList(rules: Vec<quiver::services::governance::RuleOutcome>) -> impl IntoView {
    use quiver::services::governance::RuleState;
    view! {
        <ul class="rules" data-testid="rules">
            {rules.into_iter().map(|r| {
                let (class, word) = match r.state {
                    RuleState::Passed => ("passed", "passed"),
                    RuleState::Failing => ("failed", "failing"),
                    RuleState::Waiting => ("waiting", "waiting"),
                };
                view! {
                    <li data-rule=r.rule.clone() data-state=word>
                        <StateBadge class label=word.to_string()/> " " <strong>{r.rule.clone()}</strong>
                        <span class="muted">{format!(" — {}", r.reason)}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// "1 min 5 s", "42 s".
fn duration_label(c: &VersionCheck) -> Option<String> {
    let secs = c.duration()?.num_seconds().max(0);
    Some(match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    })
}

#[component]
pub fn VersionChecks(
    checks: Resource<AppResult<Vec<Described<VersionCheck>>>>,
    /// The model's full name and the version (number or alias), for the how-to when there is no check.
    full_name: Signal<String>,
    version: Signal<String>,
) -> impl IntoView {
    view! {
        <h2 id="checks">"Checks"</h2>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                crate::pages::loaded_part(checks.await, move |list| {
                    if list.is_empty() {
                        let put = format!(
                            "PUT /api/quiver/v1/models/{}/versions/{}/checks/<name>",
                            full_name.get_untracked(),
                            version.get_untracked()
                        );
                        return view! {
                            <EmptyState title="No checks reported">
                                <p>"CI reports evaluation and deployment checks here with " <code>{put}</code>
                                   " (status, conclusion, a link and a summary), as a principal holding REPORT CHECKS on the model."</p>
                            </EmptyState>
                        }.into_any();
                    }
                    view! {
                        <table class="list checks" data-testid="checks">
                            <thead><tr><th scope="col">"State"</th><th scope="col">"Check"</th><th scope="col">"Ran for"</th><th scope="col">"Reported"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|d| {
                                    let c = d.item;
                                    let summary = (!d.html.is_empty()).then(|| view! {
                                        <details>
                                            <summary>"Summary"</summary>
                                            <Markdown html=d.html.clone()/>
                                        </details>
                                    });
                                    let name = match c.details_url.clone() {
                                        Some(url) => view! { <a href=url target="_blank" rel="noopener noreferrer nofollow">{c.name.clone()}</a> }.into_any(),
                                        None => view! { <span>{c.name.clone()}</span> }.into_any(),
                                    };
                                    view! {
                                        <tr data-check=c.name.clone()>
                                            <td><CheckState check=c.clone()/></td>
                                            <td>{name}{summary}</td>
                                            <td>{duration_label(&c).unwrap_or_else(|| "—".into())}</td>
                                            <td><Time at=c.updated_at/> " by " <strong>{c.reported_by.clone()}</strong></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                })
            })}
        </Suspense>
    }
}

/// A version's checks in a table cell: "3 passed · 1 failed · 1 running", linking to them.
#[component]
pub fn CheckRollupCell(rollup: Option<CheckRollup>, href: String) -> impl IntoView {
    let Some(r) = rollup.filter(|r| r.total() > 0) else {
        return view! { <span class="muted">"—"</span> }.into_any();
    };
    let mut parts = Vec::new();
    if r.failed > 0 {
        parts.push(view! { <span class="check-state failed">{format!("{} failed", r.failed)}</span> }.into_any());
    }
    if r.pending > 0 {
        parts.push(view! { <span class="check-state running">{format!("{} pending", r.pending)}</span> }.into_any());
    }
    if r.passed > 0 {
        parts.push(view! { <span class="check-state passed">{format!("{} passed", r.passed)}</span> }.into_any());
    }
    let label = format!("{} checks: {} passed, {} failed, {} pending", r.total(), r.passed, r.failed, r.pending);
    view! {
        <a class="check-rollup" href=format!("{href}#checks") aria-label=label.clone() title=label>
            {parts.into_iter().enumerate().map(|(i, p)| view! { {(i > 0).then_some(" · ")} {p} }).collect_view()}
        </a>
    }
    .into_any()
}

/// The checks of one version, loaded on their own (the approval request page shows those of the
/// version it would promote).
#[component]
pub fn ChecksOf(full_name: String, version: i64) -> impl IntoView {
    let registry = expect_context::<crate::RegistryVersion>();
    let parts: Vec<String> = full_name.split('.').map(str::to_string).collect();
    let checks = Resource::new(
        move || registry.get(),
        move |_| {
            let p = parts.clone();
            let at = |i: usize| p.get(i).cloned().unwrap_or_default();
            crate::api::versions::version_checks(at(0), at(1), at(2), version.to_string())
        },
    );
    let full = full_name.clone();
    view! { <VersionChecks checks full_name=Signal::derive(move || full.clone()) version=Signal::derive(move || version.to_string())/> }
}
