//! MLflow's artifact proxy (`/api/2.0/mlflow-artifacts/artifacts`). Handlers only translate:
//! the storage service authorizes each call and streams the files to and from its store.

use app::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::{StreamExt, TryStreamExt};
use quiver::Quiver;
use serde::Deserialize;
use serde_json::json;

use super::MlError;
use crate::api::SignedIn;

pub fn routes() -> Router<AppState> {
    let base = "/api/2.0/mlflow-artifacts/artifacts";
    Router::new().route(base, get(list)).route(&format!("{base}/{{*path}}"), get(download).put(upload).delete(remove))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    path: String,
}

/// The entries of a folder, relative to it. A folder that does not exist lists nothing (as in
/// MLflow, whose clients probe for folders this way).
async fn list(State(quiver): State<Quiver>, caller: SignedIn, RawQuery(query): RawQuery) -> Result<Response, MlError> {
    let q: ListQuery = serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
        .map_err(|_| MlError(quiver::error::Error::invalid("query", "The query string is malformed.")))?;
    let entries = quiver.list_artifacts(&caller, &q.path).await?;
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
    State(quiver): State<Quiver>,
    caller: SignedIn,
    Path(path): Path<String>,
) -> Result<Response, MlError> {
    let file = quiver.download_artifact(&caller, &path).await?;
    let mut response = Body::from_stream(file.body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    Ok(response)
}

/// Streams the body into the store: a failed or oversized upload leaves no file behind.
async fn upload(
    State(quiver): State<Quiver>,
    caller: SignedIn,
    Path(path): Path<String>,
    body: Body,
) -> Result<Response, MlError> {
    let body = body.into_data_stream().map_err(std::io::Error::other).boxed();
    quiver.upload_artifact(&caller, &path, body).await?;
    Ok(StatusCode::OK.into_response())
}

async fn remove(State(quiver): State<Quiver>, caller: SignedIn, Path(path): Path<String>) -> Result<Response, MlError> {
    quiver.delete_artifact(&caller, &path).await?;
    Ok(axum::Json(json!({})).into_response())
}
