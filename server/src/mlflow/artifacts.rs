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
    // Never rendered on Quiver's origin: a file someone logged (HTML, SVG) cannot run as Quiver.
    if let Ok(value) = HeaderValue::from_str(&attachment(&path)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    Ok(response)
}

/// `attachment` with the file's name (RFC 6266: an ASCII fallback and the UTF-8 name).
fn attachment(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or("file");
    let fallback: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' { c } else { '_' }).collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => encoded.push(b as char),
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn files_download_as_attachments_under_their_name() {
        assert_eq!(
            super::attachment("1/abc/artifacts/model/MLmodel"),
            "attachment; filename=\"MLmodel\"; filename*=UTF-8''MLmodel"
        );
        assert_eq!(
            super::attachment("x/r\u{e9}sum\u{e9} \"1\".html"),
            "attachment; filename=\"r_sum___1_.html\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.html"
        );
    }
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
