//! What was approved is what runs, over REST under /api/quiver/v1: a version's registered files
//! and their signature's verdict, attaching a signature, the keys trusted to sign, and
//! re-checking stored files (administrators).

use app::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use quiver::Quiver;
use quiver::error::Error;
use quiver::names::{ModelPath, VersionRef};
use quiver::services::governance::{NewSigningKey, SigningKey, SigningKeysView};
use quiver::services::storage::{SignatureCheck, VerifyReport, VersionFiles};
use serde::Deserialize;

use crate::api::{ApiError, ApiJson, ApiResult, Caller, SecurablePath};
use crate::rest::{reply, version_of};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/model-versions/{full_name}/{version}/files", get(version_files))
        .route("/model-versions/{full_name}/{version}/signature", put(attach_signature))
        .route("/signing-keys/{securable_type}/{full_name}", get(list_keys).post(add_key))
        .route("/signing-keys/{securable_type}/{full_name}/{name}", axum::routing::delete(revoke_key))
        .route("/verify", post(verify))
}

#[utoipa::path(get, path = "/api/quiver/v1/model-versions/{full_name}/{version}/files", tag = "integrity", summary = "A version's files as registered (path, size, SHA-256), their root digest (OpenSSF model-signing's) and what its signature says", params(("full_name" = String, Path, description = "catalog.schema.model"), ("version" = i64, Path, description = "Version number")), responses((status = 200, description = "OK", body = VersionFiles), (status = 403, description = "Missing privilege"), (status = 404, description = "No such version")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn version_files(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path((full_name, version)): Path<(String, String)>,
) -> ApiResult<VersionFiles> {
    let (path, n) = version_of(&full_name, &version)?;
    reply(quiver.version_files(&caller, &path, &VersionRef::Number(n)).await)
}

/// The body is the `model.sig` file `model_signing sign` wrote, as it is.
#[utoipa::path(put, path = "/api/quiver/v1/model-versions/{full_name}/{version}/signature", tag = "integrity", summary = "Attach (or replace) a version's signature: the model.sig (Sigstore bundle) model_signing wrote. CREATE MODEL VERSION or MANAGE", params(("full_name" = String, Path, description = "catalog.schema.model"), ("version" = i64, Path, description = "Version number")), request_body(content = serde_json::Value, description = "The model.sig bundle"), responses((status = 200, description = "The verdict on it", body = SignatureCheck), (status = 400, description = "Not a signature"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn attach_signature(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path((full_name, version)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<SignatureCheck> {
    let (path, n) = version_of(&full_name, &version)?;
    let bundle = std::str::from_utf8(&body)
        .map_err(|_| ApiError(Error::invalid("signature", "The signature must be UTF-8 JSON.")))?;
    reply(quiver.attach_signature(&caller, &path, n, bundle).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/signing-keys/{securable_type}/{full_name}", tag = "integrity", summary = "The public keys trusted to sign the versions of a catalog, schema or model, and those its parents trust", params(("securable_type" = String, Path, description = "catalog, schema or registered_model"), ("full_name" = String, Path, description = "e.g. prod.ml_team.fraud")), responses((status = 200, description = "OK", body = SigningKeysView), (status = 404, description = "No such object")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_keys(
    State(quiver): State<Quiver>,
    caller: Caller,
    SecurablePath(s): SecurablePath,
) -> ApiResult<SigningKeysView> {
    reply(quiver.list_signing_keys(&caller, &s).await)
}

#[utoipa::path(post, path = "/api/quiver/v1/signing-keys/{securable_type}/{full_name}", tag = "integrity", summary = "Trust a public key (PEM: ECDSA P-256, P-384 or Ed25519) to sign versions here and below (owner or MANAGE)", params(("securable_type" = String, Path, description = "catalog, schema or registered_model"), ("full_name" = String, Path, description = "e.g. prod.ml_team.fraud")), request_body = NewSigningKey, responses((status = 200, description = "OK", body = SigningKey), (status = 400, description = "Not a PEM public key"), (status = 403, description = "Missing privilege"), (status = 409, description = "A key of that name exists")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn add_key(
    State(quiver): State<Quiver>,
    caller: Caller,
    SecurablePath(s): SecurablePath,
    ApiJson(body): ApiJson<NewSigningKey>,
) -> ApiResult<SigningKey> {
    reply(quiver.add_signing_key(&caller, &s, &body).await)
}

#[utoipa::path(delete, path = "/api/quiver/v1/signing-keys/{securable_type}/{full_name}/{name}", tag = "integrity", summary = "Revoke a key: it verifies nothing from now on (owner or MANAGE)", params(("securable_type" = String, Path, description = "catalog, schema or registered_model"), ("full_name" = String, Path, description = "e.g. prod.ml_team.fraud"), ("name" = String, Path, description = "The key's name")), responses((status = 200, description = "OK", body = SigningKey), (status = 404, description = "No such key")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn revoke_key(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path((kind, full_name, name)): Path<(String, String, String)>,
) -> ApiResult<SigningKey> {
    let kind = quiver::services::governance::privileges::SecurableType::parse(&kind)
        .ok_or_else(|| ApiError(Error::invalid("securable_type", format!("'{kind}' is not a securable type."))))?;
    let s = quiver::services::governance::Securable::parse(kind, &full_name)?;
    reply(quiver.revoke_signing_key(&caller, &s, &name).await)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub(crate) struct VerifyRequest {
    /// Only this model (catalog.schema.model); every READY version without it.
    model: Option<String>,
}

#[utoipa::path(post, path = "/api/quiver/v1/verify", tag = "integrity", summary = "Re-check stored files against what their versions registered (administrators); failures are audited and raised as model_version.integrity_failed", request_body = VerifyRequest, responses((status = 200, description = "OK", body = VerifyReport), (status = 403, description = "Administrators only")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn verify(
    State(quiver): State<Quiver>,
    caller: Caller,
    body: Option<ApiJson<VerifyRequest>>,
) -> ApiResult<VerifyReport> {
    let model = body.and_then(|b| b.0.model).map(|m| ModelPath::parse_full(&m)).transpose()?;
    reply(quiver.verify_versions(&caller, model.as_ref()).await)
}
