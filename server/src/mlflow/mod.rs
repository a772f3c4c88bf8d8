//! MLflow's REST API (`/api/2.0/mlflow/…`, `/api/2.0/mlflow-artifacts/…`, server-info), so
//! the official MLflow client registers, logs and loads models against Quiver unchanged.
//! Handlers only translate: every change goes through the services.

mod artifacts;
mod experiments;
mod json;
mod permissions;
mod registry;
mod tracking;
mod webhooks;

use std::sync::Arc;

use app::AppState;
use app::api::RequestAuth;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use quiver::error::{Error, ErrorKind};
use quiver::names::MlflowNames;
use quiver::services::governance::{Actor, Source};
use quiver::services::registry::Tag;
use serde_json::{Map, Value, json};

use crate::request::current_id;

/// How Quiver behaves towards MLflow clients.
#[derive(Debug, Clone)]
pub struct MlflowConfig {
    /// Create a missing catalog and schema when a three-part name is registered (admins).
    pub create_namespaces: bool,
}

pub fn router(config: MlflowConfig) -> Router<AppState> {
    let config = Arc::new(config);
    Router::new()
        .merge(registry::routes())
        .merge(experiments::routes())
        .merge(tracking::routes())
        .merge(artifacts::routes())
        .merge(webhooks::routes())
        .merge(permissions::routes())
        .route("/api/2.0/mlflow/{*rest}", axum::routing::any(unknown_endpoint))
        .route("/api/3.0/mlflow/{*rest}", axum::routing::any(unknown_endpoint))
        .layer(axum::Extension(config))
}

/// An MLflow endpoint Quiver does not serve: MLflow's error shape, not the web app's 404 page,
/// so the client's message names the endpoint.
async fn unknown_endpoint(method: Method, uri: axum::http::Uri) -> Response {
    let message = format!("Quiver does not serve {method} {}.", uri.path());
    (StatusCode::NOT_FOUND, axum::Json(json!({ "error_code": "ENDPOINT_NOT_FOUND", "message": message })))
        .into_response()
}

/// An error in MLflow's shape: `{"error_code", "message"}` with MLflow's statuses (an existing
/// resource is 400 there, not 409), and the request id.
#[derive(Debug)]
pub struct MlError(pub Error);

impl From<Error> for MlError {
    fn from(e: Error) -> Self {
        MlError(e)
    }
}

impl IntoResponse for MlError {
    fn into_response(self) -> Response {
        let (code, status) = match self.0.kind {
            ErrorKind::AlreadyExists => ("RESOURCE_ALREADY_EXISTS", 400),
            ErrorKind::FailedPrecondition => ("INVALID_STATE", 400),
            k => (k.code(), k.http_status()),
        };
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({ "error_code": code, "message": self.0.message, "request_id": current_id() });
        (status, axum::Json(body)).into_response()
    }
}

pub type MlResult = Result<Response, MlError>;

/// A JSON answer.
pub fn ok(body: Value) -> MlResult {
    Ok(axum::Json(body).into_response())
}

/// The arguments of a call: the query string for GET, the JSON body otherwise (MLflow clients
/// send DELETE arguments in a body too), and the query when the body is empty.
pub struct Args {
    pub map: Map<String, Value>,
    pub ctx: Ctx,
}

/// Who is calling and with which settings.
#[derive(Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub config: Arc<MlflowConfig>,
    pub state: AppState,
}

impl Ctx {
    /// How one-part model names map to paths (the services' setting).
    pub fn names(&self) -> &MlflowNames {
        &self.state.quiver.config().mlflow_names
    }

    pub fn err(&self, e: Error) -> MlError {
        MlError(e)
    }
}

/// Keys that MLflow clients repeat in query strings (`order_by=a&order_by=b`).
const LIST_KEYS: [&str; 4] = ["order_by", "stages", "experiment_ids", "run_ids"];

impl FromRequest<AppState> for Args {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let auth = req.extensions().get::<RequestAuth>().cloned();
        let config = req.extensions().get::<Arc<MlflowConfig>>().cloned();
        let fail = |e: Error| MlError(e).into_response();
        let Some(actor) = auth.and_then(|a| a.actor) else { return Err(fail(Error::unauthenticated())) };
        let Some(config) = config else { return Err(fail(Error::internal("MLflow settings missing"))) };
        let method = req.method().clone();
        let query = req.uri().query().unwrap_or("").to_string();
        let mut map = query_map(&query).map_err(fail)?;
        if method != Method::GET {
            let body = Bytes::from_request(req, state)
                .await
                .map_err(|e| fail(Error::invalid("body", format!("The body cannot be read: {}", e.body_text()))))?;
            if !body.iter().all(u8::is_ascii_whitespace) {
                match serde_json::from_slice::<Value>(&body) {
                    Ok(Value::Object(m)) => map.extend(m),
                    _ => return Err(fail(Error::invalid("body", "The request body must be a JSON object."))),
                }
            }
        }
        let actor = Actor { source: Source::Rest, ..actor };
        Ok(Args { map, ctx: Ctx { actor, config, state: state.clone() } })
    }
}

fn query_map(query: &str) -> Result<Map<String, Value>, Error> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|_| Error::invalid("query", "The query string is malformed."))?;
    let mut map = Map::new();
    for (k, v) in pairs {
        if LIST_KEYS.contains(&k.as_str()) {
            match map.entry(k).or_insert_with(|| Value::Array(Vec::new())) {
                Value::Array(a) => a.push(Value::String(v)),
                _ => unreachable!("list keys only hold arrays"),
            }
        } else {
            map.insert(k, Value::String(v));
        }
    }
    Ok(map)
}

fn missing(key: &str) -> Error {
    Error::invalid(key, format!("Missing value for required parameter '{key}'."))
}

impl Args {
    pub fn err(&self, e: Error) -> MlError {
        self.ctx.err(e)
    }

    /// A required, non-empty string.
    pub fn str(&self, key: &str) -> Result<String, MlError> {
        self.opt_str(key)?.filter(|s| !s.is_empty()).ok_or_else(|| self.err(missing(key)))
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<String>, MlError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(self.err(Error::invalid(key, format!("'{key}' must be a string.")))),
        }
    }

    /// An integer sent as a number or a string ("1", as MLflow sends versions).
    pub fn opt_i64(&self, key: &str) -> Result<Option<i64>, MlError> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(s) if s.is_empty() => Ok(None),
            Some(s) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| self.err(Error::invalid(key, format!("'{s}' is not a valid value for '{key}'.")))),
        }
    }

    pub fn i64(&self, key: &str) -> Result<i64, MlError> {
        self.opt_i64(key)?.ok_or_else(|| self.err(missing(key)))
    }

    pub fn version(&self) -> Result<i64, MlError> {
        let v = self.i64("version")?;
        if v < 1 {
            return Err(self.err(Error::invalid("version", format!("'{v}' is not a version number."))));
        }
        Ok(v)
    }

    pub fn bool(&self, key: &str) -> Result<bool, MlError> {
        Ok(match self.map.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        })
    }

    pub fn list(&self, key: &str) -> Result<Vec<String>, MlError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(self.err(Error::invalid(key, format!("'{key}' must be a list of strings.")))),
                })
                .collect(),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(_) => Err(self.err(Error::invalid(key, format!("'{key}' must be a list of strings.")))),
        }
    }

    /// `[{"key": …, "value": …}]`.
    pub fn tags(&self, key: &str) -> Result<Vec<Tag>, MlError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|t| {
                    let k = t.get("key").and_then(Value::as_str);
                    let v = t.get("value").map(|v| match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    });
                    match k {
                        Some(k) => Ok(Tag { key: k.to_string(), value: v.unwrap_or_default() }),
                        None => Err(self.err(Error::invalid(key, format!("Each entry of '{key}' needs a 'key'.")))),
                    }
                })
                .collect(),
            Some(_) => Err(self.err(Error::invalid(key, format!("'{key}' must be a list of {{key, value}}.")))),
        }
    }

    /// `max_results` within `1..=max` (`default` when absent), as MLflow checks it.
    pub fn max_results(&self, default: i64, max: i64) -> Result<i64, MlError> {
        match self.opt_i64("max_results")? {
            None => Ok(default),
            Some(n) if n < 1 => Err(self.err(Error::invalid("max_results", "max_results must be at least 1."))),
            Some(n) if n > max => Err(self.err(Error::invalid(
                "max_results",
                format!("Invalid value {n} for parameter 'max_results' supplied. It must be at most {max}."),
            ))),
            Some(n) => Ok(n),
        }
    }

    pub fn call<T>(&self, r: quiver::error::Result<T>) -> Result<T, MlError> {
        r.map_err(|e| self.err(e))
    }
}

/// Inserts `value` under `key` unless it is an empty list (MLflow leaves empty fields out).
pub fn put_list(body: &mut Value, key: &str, items: Vec<Value>) {
    if !items.is_empty() {
        body[key] = Value::Array(items);
    }
}
