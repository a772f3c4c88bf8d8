//! MLflow's artifact proxy (`/api/2.0/mlflow-artifacts/artifacts`) on a local directory.
//! Uploads and downloads stream to and from disk in chunks; paths that would leave the root
//! are refused; files above the configured size are refused while they arrive.

use std::path::Path;
use std::sync::Arc;

use app::AppState;
use app::api::RequestAuth;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use quiver::error::Error;
use quiver::services::resolve_artifact_path;
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::{MlError, MlflowConfig};

pub fn routes() -> Router<AppState> {
    let base = "/api/2.0/mlflow-artifacts/artifacts";
    Router::new().route(base, get(list)).route(&format!("{base}/{{*path}}"), get(download).put(upload).delete(remove))
}

/// What the authentication layer left on the request: the caller and the settings.
type Caller = (Option<RequestAuth>, Option<Arc<MlflowConfig>>);

fn caller(req: &Request) -> Caller {
    (req.extensions().get::<RequestAuth>().cloned(), req.extensions().get::<Arc<MlflowConfig>>().cloned())
}

/// The caller's request id and the settings, once the caller may read (`write` false) or write
/// the artifacts at `path`; the authentication layer already refused anonymous callers.
async fn context(
    state: &AppState,
    (auth, config): Caller,
    path: &str,
    write: bool,
) -> Result<(String, Arc<MlflowConfig>), MlError> {
    let request_id = auth.as_ref().map(|a| a.request_id.clone()).unwrap_or_default();
    let Some(actor) = auth.and_then(|a| a.actor) else {
        return Err(MlError(Error::unauthenticated(), request_id));
    };
    let config = config.ok_or_else(|| MlError(Error::internal("MLflow settings missing"), request_id.clone()))?;
    state.quiver.authorize_artifact(&actor, path, write).await.map_err(|e| MlError(e, request_id.clone()))?;
    Ok((request_id, config))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    path: String,
}

/// The entries of a folder, relative to it. A folder that does not exist lists nothing (as in
/// MLflow, whose clients probe for folders this way).
async fn list(State(state): State<AppState>, Query(q): Query<ListQuery>, req: Request) -> Result<Response, MlError> {
    let (rid, _) = context(&state, caller(&req), &q.path, false).await?;
    let entries = state.quiver.list_artifacts(&q.path).await.map_err(|e| MlError(e, rid.clone()))?;
    let files: Vec<serde_json::Value> = entries
        .into_iter()
        .map(|e| match e.size {
            Some(size) => json!({ "path": e.path, "is_dir": false, "file_size": size }),
            None => json!({ "path": e.path, "is_dir": true }),
        })
        .collect();
    let body = if files.is_empty() { json!({}) } else { json!({ "files": files }) };
    Ok(axum::Json(body).into_response())
}

async fn download(
    State(state): State<AppState>,
    UrlPath(path): UrlPath<String>,
    req: Request,
) -> Result<Response, MlError> {
    let (rid, _) = context(&state, caller(&req), &path, false).await?;
    let file_path = resolve_artifact_path(state.quiver.artifact_root(), &path).map_err(|e| MlError(e, rid.clone()))?;
    let missing = || MlError(Error::not_found(format!("Artifact '{path}' does not exist.")), rid.clone());
    let file = tokio::fs::File::open(&file_path).await.map_err(|_| missing())?;
    let meta = file.metadata().await.map_err(|_| missing())?;
    if meta.is_dir() {
        return Err(missing());
    }
    let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024);
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
    if let Ok(v) = HeaderValue::from_str(&meta.len().to_string()) {
        headers.insert(header::CONTENT_LENGTH, v);
    }
    Ok(response)
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    let name = path.rsplit('/').next().unwrap_or("");
    match ext.as_str() {
        "txt" | "yaml" | "yml" | "json" | "md" | "py" | "csv" => "text/plain; charset=utf-8",
        _ if name == "MLmodel" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Streams the body to a temporary file next to the target, then moves it into place, so a
/// failed or oversized upload never leaves a partial file under the real name.
async fn upload(
    State(state): State<AppState>,
    UrlPath(path): UrlPath<String>,
    req: Request,
) -> Result<Response, MlError> {
    let (rid, config) = context(&state, caller(&req), &path, true).await?;
    let err = |e: Error| MlError(e, rid.clone());
    let root = state.quiver.artifact_root();
    let target = resolve_artifact_path(root, &path).map_err(err)?;
    if target == root {
        return Err(err(Error::invalid("path", "An artifact path is required.")));
    }
    let parent = target.parent().ok_or_else(|| err(Error::invalid("path", "An artifact path is required.")))?;
    tokio::fs::create_dir_all(parent)
        .await
        .map_err(|e| err(Error::internal(format!("cannot create {parent:?}: {e}"))))?;
    let temp = target.with_file_name(format!(
        "{}.part-{}",
        target.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
        hex_id()
    ));
    let result = write_stream(req.into_body(), &temp, config.max_artifact_bytes).await;
    if let Err(e) = result {
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(err(e));
    }
    if let Err(e) = tokio::fs::rename(&temp, &target).await {
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(err(Error::internal(format!("cannot move the upload into place: {e}"))));
    }
    Ok(StatusCode::OK.into_response())
}

async fn write_stream(body: Body, temp: &Path, max: u64) -> Result<(), Error> {
    let mut file =
        tokio::fs::File::create(temp).await.map_err(|e| Error::internal(format!("cannot create {temp:?}: {e}")))?;
    let mut stream = body.into_data_stream();
    let mut written: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::invalid("body", format!("The upload was interrupted: {e}")))?;
        written += chunk.len() as u64;
        if written > max {
            return Err(Error::invalid("body", format!("The artifact is larger than the limit of {max} bytes.")));
        }
        file.write_all(&chunk).await.map_err(|e| Error::internal(format!("cannot write {temp:?}: {e}")))?;
    }
    file.flush().await.map_err(|e| Error::internal(format!("cannot write {temp:?}: {e}")))?;
    file.sync_all().await.map_err(|e| Error::internal(format!("cannot write {temp:?}: {e}")))?;
    Ok(())
}

async fn remove(
    State(state): State<AppState>,
    UrlPath(path): UrlPath<String>,
    req: Request,
) -> Result<Response, MlError> {
    let (rid, _) = context(&state, caller(&req), &path, true).await?;
    let target = resolve_artifact_path(state.quiver.artifact_root(), &path).map_err(|e| MlError(e, rid.clone()))?;
    let meta = tokio::fs::metadata(&target).await;
    let done = match meta {
        Ok(m) if m.is_dir() => tokio::fs::remove_dir_all(&target).await,
        Ok(_) => tokio::fs::remove_file(&target).await,
        Err(_) => Ok(()),
    };
    done.map_err(|e| MlError(Error::internal(format!("cannot delete {target:?}: {e}")), rid))?;
    Ok(axum::Json(json!({})).into_response())
}

fn hex_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}
