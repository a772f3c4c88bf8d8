//! A version's files as registered: their root digest (copyable; the digest a signer computes
//! locally), each file's size and SHA-256 with its download link, what the version's signature
//! says about them, and a form to attach a signature.

use leptos::prelude::*;
use quiver::services::storage::{SignatureCheck, VersionFiles};

use crate::RegistryVersion;
use crate::components::crumbs::url_encode;
use crate::components::toast::use_toasts;
use crate::components::widgets::CopyButton;
use crate::error::AppResult;

#[component]
pub fn ArtifactFiles(
    files: Resource<AppResult<VersionFiles>>,
    /// Attaches a signature (the `model.sig` text) and answers its verdict.
    attach: Action<String, AppResult<SignatureCheck>>,
) -> impl IntoView {
    view! {
        <h2>"Artifacts"</h2>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                crate::pages::loaded_part(files.await, move |f| view! { <Files f attach/> }.into_any())
            })}
        </Suspense>
    }
}

#[component]
fn Files(f: VersionFiles, attach: Action<String, AppResult<SignatureCheck>>) -> impl IntoView {
    let uri = f.uri.clone();
    let provenance = f.digest.clone().map(|d| {
        view! {
            <dl class="facts provenance">
                <dt>"Root digest"</dt>
                <dd data-testid="digest" title="SHA-256 over the files' digests, as OpenSSF model-signing computes it">
                    <code class="mono">{d.clone()}</code> " " <CopyButton text=d label="Copy digest"/>
                </dd>
                <dt>"Signature"</dt>
                <dd><SignatureState check=f.signature.clone() attach/></dd>
            </dl>
        }
    });
    // The files as registered (with their digests), or, for versions registered before Quiver
    // recorded them, what is there now.
    let checked = !f.manifest.is_empty();
    let rows: Vec<(String, u64, Option<String>)> = if checked {
        f.manifest.into_iter().map(|e| (e.path, e.size, Some(e.sha256))).collect()
    } else {
        f.files.into_iter().map(|e| (e.path, e.size.unwrap_or(0), None)).collect()
    };
    let listing = match f.root {
        None => view! {
            <p class="muted" data-testid="artifacts">"Stored outside Quiver at " <code>{uri.clone()}</code> "."</p>
        }
        .into_any(),
        Some(_) if rows.is_empty() => view! {
            <p class="muted" data-testid="artifacts">"No files at " <code>{uri.clone()}</code> "."</p>
        }
        .into_any(),
        Some(root) => view! {
            <table class="list" data-testid="artifacts">
                <thead><tr>
                    <th>"File"</th><th class="num">"Size"</th>{checked.then(|| view! { <th>"SHA-256"</th> })}<th></th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|(path, size, sha256)| {
                        let href = download_href(&root, &path);
                        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
                        view! {
                            <tr data-testid="artifact">
                                <td class="mono">{path.clone()}</td>
                                <td class="num">{quiver::services::storage::human_bytes(size)}</td>
                                {sha256.map(|d| {
                                    let short = format!("{}…", &d[..d.len().min(12)]);
                                    view! { <td class="mono" title=d>{short}</td> }
                                })}
                                <td><a href=href download=name>"Download"</a></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <p class="muted small">"Location: " <code>{uri.clone()}</code>
                {if checked { " · registered files cannot be changed or deleted" } else { " · registered before Quiver recorded digests" }}</p>
        }
        .into_any(),
    };
    view! { {provenance} {listing} }
}

/// "Signed by release-key ✓", "Signature does not match the files ✗" or "Unsigned", and a form
/// to attach (or replace) the signature.
#[component]
fn SignatureState(check: SignatureCheck, attach: Action<String, AppResult<SignatureCheck>>) -> impl IntoView {
    let (class, detail) = match &check {
        SignatureCheck::Verified { scope, .. } => ("badge ready", Some(format!("The key is trusted on {scope}."))),
        SignatureCheck::Unsigned => ("badge", None),
        SignatureCheck::Mismatch { detail, scope, .. } => {
            ("badge failed", Some(format!("{detail} (key trusted on {scope})")))
        }
        SignatureCheck::Untrusted { detail } | SignatureCheck::Invalid { detail } => {
            ("badge failed", Some(detail.clone()))
        }
    };
    let open = RwSignal::new(false);
    let text = RwSignal::new(String::new());
    let toasts = use_toasts();
    let registry = expect_context::<RegistryVersion>();
    let error = Signal::derive(move || attach.value().get().and_then(|r| r.err()).map(|e| e.message().to_string()));
    Effect::new(move || {
        if let Some(Ok(check)) = attach.value().get() {
            attach.value().set(None);
            toasts.success(format!("Signature attached: {}.", check.summary()));
            text.set(String::new());
            open.set(false);
            registry.bump();
        }
    });
    view! {
        <div class="signature" data-testid="signature">
            <span class=class data-testid="signature-state">{check.summary()}</span>
            {detail.map(|d| view! { " " <span class="muted small">{d}</span> })}
            " "
            <button type="button" class="link" aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>
                {if matches!(check, SignatureCheck::Unsigned) { "Attach a signature" } else { "Replace the signature" }}
            </button>
            <Show when=move || open.get()>
                <form class="stack" on:submit=move |ev| {
                    ev.prevent_default();
                    attach.dispatch(text.get_untracked());
                }>
                    <label for="signature-bundle">"model.sig, as "<code>"model_signing sign key"</code>" wrote it"</label>
                    <textarea id="signature-bundle" rows="4" class="mono" required
                        prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                    {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    <div class="actions">
                        <button type="submit" disabled=move || attach.pending().get() || text.get().trim().is_empty()>
                            {move || if attach.pending().get() { "Checking…" } else { "Attach" }}
                        </button>
                        <button type="button" class="secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                    </div>
                </form>
            </Show>
        </div>
    }
}

/// The artifact proxy's URL of a file below `root` (`.` is the root itself, a single-file model),
/// each path segment percent-encoded.
fn download_href(root: &str, path: &str) -> String {
    let segments = root.split('/').chain(path.split('/').filter(|p| *p != "."));
    let encoded: Vec<String> = segments.map(url_encode).collect();
    format!("/api/2.0/mlflow-artifacts/artifacts/{}", encoded.join("/"))
}
