//! Breadcrumbs: where this page sits in catalogs → schemas → models → versions.

use leptos::prelude::*;

/// `parts` are (label, href) pairs from the root down; the last one is the current page.
#[component]
pub fn Crumbs(parts: Vec<(String, String)>) -> impl IntoView {
    let n = parts.len();
    let items = parts
        .into_iter()
        .enumerate()
        .map(|(i, (label, href))| {
            let last = i + 1 == n;
            view! {
                {(i > 0).then(|| view! { <span class="sep" aria-hidden="true">"/"</span> })}
                {if last {
                    view! { <span aria-current="page">{label}</span> }.into_any()
                } else {
                    view! { <a href=href>{label}</a> }.into_any()
                }}
            }
        })
        .collect_view();
    view! { <nav class="crumbs" aria-label="Breadcrumbs">{items}</nav> }
}

/// Path segments of an explorer URL, escaped for use in an href.
pub fn explore_href(parts: &[&str]) -> String {
    let mut href = String::from("/explore");
    for p in parts {
        href.push('/');
        href.push_str(&url_encode(p));
    }
    href
}

/// Percent-encodes a path segment or query value (unreserved characters stay as they are).
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Breadcrumb parts for a path of names below Explore.
pub fn crumbs_for(names: &[&str]) -> Vec<(String, String)> {
    let mut parts = vec![("Catalogs".to_string(), "/explore".to_string())];
    for i in 0..names.len() {
        parts.push((names[i].to_string(), explore_href(&names[..=i])));
    }
    parts
}
