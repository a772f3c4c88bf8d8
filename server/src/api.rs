//! One request pipeline for the JSON APIs (Quiver's own under /api/quiver/v1 and Unity Catalog's
//! under /api/2.1/unity-catalog): the caller as an extractor, bodies and query strings whose
//! rejections answer in the API's error shape, and errors that carry the request id. A handler
//! is then one service call: `Ok(Json(q.get_catalog(&caller, &name).await?))`.
//! (MLflow's endpoints have their own extractor, `mlflow::Args`, with MLflow's statuses.)

use std::ops::Deref;

use app::api::RequestAuth;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quiver::error::Error;
use quiver::services::governance::privileges::SecurableType;
use quiver::services::governance::{Actor, Securable, Source};
use serde_json::json;

use crate::request::current_id;

/// The signed-in caller of an API (the authentication layer already refused anonymous calls to
/// API paths; this refuses them again rather than trust the route table).
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

impl Deref for Caller {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<RequestAuth>()
            .and_then(|auth| auth.actor.clone())
            .map(|actor| Caller(Actor { source: Source::Rest, ..actor }))
            .ok_or_else(|| ApiError(Error::unauthenticated()))
    }
}

/// The signed-in caller with the surface they came through as authenticated: the browser (`ui`)
/// for the session cookie, as when someone follows a file link on a page; `rest` for tokens.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Actor);

impl Deref for SignedIn {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let auth = parts.extensions.get::<RequestAuth>();
        auth.and_then(|auth| auth.actor.clone()).map(SignedIn).ok_or_else(|| ApiError(Error::unauthenticated()))
    }
}

/// An error answered as the APIs answer every error:
/// `{"error_code", "message", "request_id", "field"?}` with the status of its kind.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(&self.0, &current_id())
    }
}

pub type ApiResult<T> = Result<Json<T>, ApiError>;

/// The body of an error answer, with the request id to find the details in the logs.
pub fn error_response(e: &Error, request_id: &str) -> Response {
    let status = StatusCode::from_u16(e.kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = json!({ "error_code": e.kind.code(), "message": e.message, "request_id": request_id });
    if let Some(field) = &e.field {
        body["field"] = json!(field);
    }
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"quiver\""));
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}

/// A JSON body; a missing, malformed or mistyped one is a 400 in the API's shape that says
/// what is wrong with it (field `body`).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match <Json<T> as FromRequest<S>>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError(body_error(&rejection))),
        }
    }
}

/// An optional JSON body: none when the request sends no JSON at all.
impl<T: serde::de::DeserializeOwned, S: Send + Sync> OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Option<Self>, ApiError> {
        match <Json<T> as OptionalFromRequest<S>>::from_request(req, state).await {
            Ok(value) => Ok(value.map(|Json(v)| ApiJson(v))),
            Err(rejection) => Err(ApiError(body_error(&rejection))),
        }
    }
}

fn body_error(rejection: &JsonRejection) -> Error {
    let message = match rejection {
        JsonRejection::MissingJsonContentType(_) => "Send the body as JSON (Content-Type: application/json).".into(),
        JsonRejection::JsonSyntaxError(_) => "The body is not valid JSON.".into(),
        JsonRejection::JsonDataError(e) => format!("The body does not fit: {}", e.body_text_detail()),
        other => format!("The body cannot be read: {}", other.body_text()),
    };
    Error::invalid("body", message)
}

/// A query string; values of the wrong type are a 400 in the API's shape (field `query`).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiError(query_error(&rejection))),
        }
    }
}

fn query_error(rejection: &QueryRejection) -> Error {
    let detail = rejection.body_text();
    let detail = detail.strip_prefix("Failed to deserialize query string: ").unwrap_or(&detail);
    Error::invalid("query", format!("The query string does not fit: {detail}"))
}

/// The text of a JSON data error without axum's prefix ("Failed to deserialize the JSON body
/// into the target type: ").
trait Detail {
    fn body_text_detail(&self) -> String;
}

impl Detail for axum::extract::rejection::JsonDataError {
    fn body_text_detail(&self) -> String {
        let text = self.body_text();
        text.split_once(": ").map(|(_, rest)| rest.to_string()).unwrap_or(text)
    }
}

/// A `{securable_type}/{full_name}` path (`registered_model/prod.ml.fraud`), parsed: an unknown
/// type or a malformed name is a 400 naming it.
pub struct SecurablePath(pub Securable);

impl<S: Send + Sync> FromRequestParts<S> for SecurablePath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path((kind, full_name)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError(Error::invalid("path", e.body_text())))?;
        let kind = SecurableType::parse(&kind).ok_or_else(|| {
            ApiError(Error::invalid(
                "securable_type",
                format!("'{kind}' is not a securable type (catalog, schema, registered_model, function, metastore)."),
            ))
        })?;
        Ok(SecurablePath(Securable::parse(kind, &full_name)?))
    }
}
