//! Small pieces: timestamps, status badges, copy buttons, pagers, empty states.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use quiver::services::registry::{Stamp, VersionStatus};

/// `2026-11-23 14:05 UTC`, with the full ISO time as a tooltip.
#[component]
pub fn Time(at: DateTime<Utc>) -> impl IntoView {
    let iso = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    view! { <time datetime=iso.clone() title=iso>{at.format("%Y-%m-%d %H:%M UTC").to_string()}</time> }
}

/// "2026-11-23 14:05 UTC by alice".
#[component]
pub fn StampView(stamp: Stamp) -> impl IntoView {
    view! { <Time at=stamp.at/> " by " <strong>{stamp.by}</strong> }
}

#[component]
pub fn StatusBadge(status: VersionStatus) -> impl IntoView {
    let class = match status {
        VersionStatus::Ready => "badge ready",
        VersionStatus::PendingRegistration => "badge pending",
        VersionStatus::FailedRegistration => "badge failed",
    };
    view! { <span class=class>{status.label()}</span> }
}

/// Copies `text` to the clipboard and says so.
#[component]
pub fn CopyButton(text: String, #[prop(optional)] label: &'static str) -> impl IntoView {
    let copied = RwSignal::new(false);
    let label = if label.is_empty() { "Copy" } else { label };
    let aria = format!("Copy {text}");
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let clipboard = window().navigator().clipboard();
            let _ = clipboard.write_text(&text);
            copied.set(true);
            set_timeout(move || copied.set(false), std::time::Duration::from_millis(1500));
        }
    };
    view! {
        <button type="button" class="copy" aria-label=aria on:click=on_click>
            {move || if copied.get() { "Copied" } else { label }}
        </button>
    }
}

/// A new secret (an access token, a webhook's signing secret), shown this once with a copy button.
#[component]
pub fn SecretOnce(
    secret: Signal<Option<String>>,
    /// What the secret is, for the notice ("token" unless said).
    #[prop(optional)]
    what: Option<&'static str>,
) -> impl IntoView {
    let what = what.unwrap_or("token");
    move || {
        secret.get().map(|s| {
            view! {
                <div class="card" role="status">
                    <strong>{format!("Copy the {what} now: it is shown only once.")}</strong>
                    <p class="secret" data-testid="token-secret">{s.clone()}</p>
                    <CopyButton text=s/>
                </div>
            }
        })
    }
}

/// Links to the first and the next page of a list paged by tokens in the `page` query parameter.
/// `base` may carry other query parameters (`?tab=activity`).
#[component]
pub fn Pager(
    /// The current page's token (None on the first page).
    current: Option<String>,
    next: Option<String>,
    /// The page's path without a query.
    base: String,
) -> impl IntoView {
    // Always one <nav>, so server and browser render the same node whether or not there are links.
    let first = current.is_some().then(|| view! { <a class="button" href=base.clone()>"« First page"</a> });
    let sep = if base.contains('?') { '&' } else { '?' };
    let next =
        next.map(|t| view! { <a class="button" href=format!("{base}{sep}page={t}") rel="next">"Next page »"</a> });
    view! { <nav class="pager" aria-label="Pages">{first}{next}</nav> }
}

#[component]
pub fn EmptyState(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="empty-state">
            <strong>{title}</strong>
            {children()}
        </div>
    }
}

/// The first line of a description as plain text for lists and tables: markdown markers
/// dropped (headings, quotes, bullets, emphasis, code), links shown by their text, shortened.
pub fn snippet(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("```")).unwrap_or("");
    let line = line.trim_start_matches(['#', '>', '-', '*', '+', ' ']);
    // `[text](url)` → `text`, `![alt](src)` → `alt`.
    let mut plain = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let (before, after) = rest.split_at(open);
        plain.push_str(before.strip_suffix('!').unwrap_or(before));
        match after.find("](").and_then(|m| after[m..].find(')').map(|c| (m, m + c))) {
            Some((mid, close)) => {
                plain.push_str(&after[1..mid]);
                rest = &after[close + 1..];
            }
            None => {
                plain.push('[');
                rest = &after[1..];
            }
        }
    }
    plain.push_str(rest);
    let line: String = plain.chars().filter(|c| !matches!(c, '*' | '`' | '_')).collect();
    if line.chars().count() > 120 { format!("{}…", line.chars().take(120).collect::<String>()) } else { line }
}

#[cfg(test)]
mod tests {
    use super::snippet;

    #[test]
    fn snippets_are_plain_text() {
        assert_eq!(snippet("\n# Fraud **scores**\n\nmore"), "Fraud scores");
        assert_eq!(snippet("See [the docs](https://x.example/d) and ![plot](p.png)."), "See the docs and plot.");
        assert_eq!(snippet("a [b c"), "a [b c");
        assert_eq!(snippet(&"x".repeat(130)).chars().count(), 121);
    }
}
