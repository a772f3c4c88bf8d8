//! Two versions of a model side by side (`…/compare?a=2&b=3`, numbers or aliases): what each is,
//! and row by row where they differ — signature, metrics with deltas, params, tags, checks,
//! files. Rendered on the server; picking other versions is a plain GET form, so it works
//! before (and without) the WASM.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use quiver::services::registry::{CompareRow, Comparison, number};

use super::{loaded, param};
use crate::api::versions::compare_versions;
use crate::components::crumbs::{Crumbs, crumbs_for, explore_href};

#[component]
pub fn ComparePage() -> impl IntoView {
    let catalog = param("catalog");
    let schema = param("schema");
    let model = param("model");
    let query = use_query_map();
    // `a` and `b`, or the first two `v` the versions table's checkboxes send, older first.
    let pick = move |k: &'static str, i: usize| {
        Memo::new(move |_| {
            let q = query.read();
            q.get(k)
                .filter(|v| !v.is_empty())
                .or_else(|| {
                    let mut picked = q.get_all("v").unwrap_or_default();
                    picked.sort_by_key(|v| v.parse::<i64>().unwrap_or(i64::MAX));
                    picked.get(i).cloned()
                })
                .unwrap_or_default()
        })
    };
    let (a, b) = (pick("a", 0), pick("b", 1));
    let data = Resource::new(
        move || (catalog.get(), schema.get(), model.get(), a.get(), b.get()),
        |(c, s, m, a, b)| async move {
            if a.trim().is_empty() || b.trim().is_empty() {
                return None;
            }
            Some(compare_versions(c, s, m, a, b).await)
        },
    );
    let heading = move || format!("Compare versions of {}", model.get());
    view! {
        <Title text=heading()/>
        <Crumbs parts={
            let mut parts = crumbs_for(&[&catalog.get_untracked(), &schema.get_untracked(), &model.get_untracked()]);
            parts.push(("Compare".to_string(), String::new()));
            parts
        }/>
        <div class="page-head"><div class="title"><div>
            <span class="kind">"Compare"</span>
            <h1>{heading}</h1>
        </div></div></div>
        <form class="compare-pick card" method="get" data-testid="compare-form">
            <div class="field">
                <label for="compare-a">"Version A"</label>
                <input id="compare-a" name="a" value=move || a.get() placeholder="2 or Champion" required/>
            </div>
            <div class="field">
                <label for="compare-b">"Version B"</label>
                <input id="compare-b" name="b" value=move || b.get() placeholder="3" required/>
            </div>
            <button type="submit" class="primary">"Compare"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    None => view! {
                        <p class="muted">"Give two versions (numbers, or aliases such as Champion) to see them side by side."</p>
                    }.into_any(),
                    Some(result) => loaded(result, |c| view! { <Compared c/> }).into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Compared(c: Comparison) -> impl IntoView {
    let (va, vb) = (c.a.version.clone(), c.b.version.clone());
    let href = |n: i64| format!("{}/versions/{n}", explore_href(&[&va.catalog_name, &va.schema_name, &va.model_name]));
    let (ha, hb) = (href(va.version), href(vb.version));
    let (inputs, outputs) = c.signature();
    let sections: Vec<(&'static str, &'static str, Vec<CompareRow>, bool)> = vec![
        ("Overview", "overview", c.overview(), false),
        ("Signature: inputs", "inputs", inputs, false),
        ("Signature: outputs", "outputs", outputs, false),
        ("Metrics (latest values of the training runs)", "metrics", c.metrics(), true),
        ("Parameters", "params", c.params(), false),
        ("Tags", "tags", c.tags(), false),
        ("Checks", "checks", c.checks(), false),
        ("Files", "files", c.files(), false),
    ];
    let differing: usize =
        sections.iter().skip(1).map(|(_, _, rows, _)| rows.iter().filter(|r| r.differs()).count()).sum();
    view! {
        <p data-testid="compare-summary">
            <a href=ha.clone()>{format!("Version {}", va.version)}</a> " and " <a href=hb.clone()>{format!("Version {}", vb.version)}</a>
            {if differing == 0 { " differ in nothing compared below.".to_string() } else { format!(": {differing} differences below, marked.") }}
        </p>
        {sections.into_iter().map(|(title, id, rows, deltas)| {
            let empty = rows.is_empty();
            view! {
                <h2 id=id>{title}</h2>
                {if empty {
                    view! { <p class="muted">"Neither version has any."</p> }.into_any()
                } else {
                    view! { <CompareTable id rows deltas a=va.version b=vb.version/> }.into_any()
                }}
            }
        }).collect_view()}
    }
}

#[component]
fn CompareTable(id: &'static str, rows: Vec<CompareRow>, deltas: bool, a: i64, b: i64) -> impl IntoView {
    let cell = |v: Option<String>| match v {
        Some(v) => view! { <td class="mono">{v}</td> }.into_any(),
        None => view! { <td class="muted">"—"</td> }.into_any(),
    };
    view! {
        <div class="table-scroll">
        <table class="list compare" data-testid=format!("compare-{id}")>
            <thead><tr>
                <th scope="col">""</th>
                <th scope="col">{format!("Version {a}")}</th>
                <th scope="col">{format!("Version {b}")}</th>
                {deltas.then(|| view! { <th scope="col">"B − A"</th> })}
                <th scope="col"><span class="visually-hidden">"Difference"</span></th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let change = r.change();
                    let delta = r.delta.filter(|d| *d != 0.0).map(|d| {
                        view! { <span class="delta">{format!("{}{}", if d > 0.0 { "+" } else { "" }, number(d))}</span> }
                    });
                    view! {
                        <tr class=format!("row-{change}") data-key=r.key.clone()>
                            <th scope="row">{r.key.clone()}</th>
                            {cell(r.a.clone())}
                            {cell(r.b.clone())}
                            {deltas.then(|| view! { <td class="num">{delta}</td> })}
                            <td class="change">{(change != "same").then_some(change)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}
