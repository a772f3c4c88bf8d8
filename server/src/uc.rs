//! Unity Catalog's REST API (2.1) for what admins script: grants, effective permissions,
//! catalogs and schemas. Handlers only translate HTTP to service calls.

use app::AppState;
use app::api::RequestAuth;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use quiver::error::Error;
use quiver::privileges::{PermissionsChange, SecurableType};
use quiver::services::Securable;
use quiver::types::{Catalog, PageRequest, Schema};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::rest::{ApiError, ApiResult, actor, call};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/permissions/{securable_type}/{full_name}", get(get_permissions).patch(update_permissions))
        .route("/effective-permissions/{securable_type}/{full_name}", get(effective_permissions))
        .route("/catalogs", get(list_catalogs).post(create_catalog))
        .route("/catalogs/{name}", get(get_catalog).patch(update_catalog).delete(delete_catalog))
        .route("/schemas", get(list_schemas).post(create_schema))
        .route("/schemas/{full_name}", get(get_schema).patch(update_schema).delete(delete_schema))
}

pub(crate) fn securable(auth: &RequestAuth, kind: &str, full_name: &str) -> Result<Securable, ApiError> {
    let kind = SecurableType::parse(kind).ok_or_else(|| {
        ApiError(
            Error::invalid(
                "securable_type",
                format!("'{kind}' is not a securable type (catalog, schema, registered_model, function, metastore)."),
            ),
            auth.request_id.clone(),
        )
    })?;
    Securable::parse(kind, full_name).map_err(|e| ApiError(e, auth.request_id.clone()))
}

#[derive(Debug, Deserialize)]
pub(crate) struct PrincipalQuery {
    principal: Option<String>,
}

#[utoipa::path(get, path = "/api/2.1/unity-catalog/permissions/{securable_type}/{full_name}", tag = "governance", summary = "Direct grants on a securable", params(("securable_type" = String, Path, description = "catalog, schema, registered_model (or function), metastore"), ("full_name" = String, Path, description = "e.g. prod.ml_team.fraud"), ("principal" = Option<String>, Query, description = "Only this principal")), responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_permissions(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path((kind, full_name)): Path<(String, String)>,
    Query(q): Query<PrincipalQuery>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    let s = securable(&auth, &kind, &full_name)?;
    let r = state.quiver.get_permissions(&a, &s, q.principal.as_deref()).await;
    call(&auth, r.map(|list| json!({ "privilege_assignments": list })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct Changes {
    #[serde(default)]
    changes: Vec<PermissionsChange>,
}

#[utoipa::path(patch, path = "/api/2.1/unity-catalog/permissions/{securable_type}/{full_name}", tag = "governance", summary = "Grant and revoke privileges (owner, MANAGE or admin)", params(("securable_type" = String, Path, description = "catalog, schema, registered_model (or function), metastore"), ("full_name" = String, Path, description = "e.g. prod.ml_team.fraud")), request_body = Changes, responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn update_permissions(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path((kind, full_name)): Path<(String, String)>,
    Json(body): Json<Changes>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    let s = securable(&auth, &kind, &full_name)?;
    let r = state.quiver.update_permissions(&a, &s, &body.changes).await;
    call(&auth, r.map(|list| json!({ "privilege_assignments": list })))
}

#[utoipa::path(get, path = "/api/2.1/unity-catalog/effective-permissions/{securable_type}/{full_name}", tag = "governance", summary = "Every privilege a principal holds here, with where it comes from", params(("securable_type" = String, Path, description = "catalog, schema, registered_model (or function), metastore"), ("full_name" = String, Path, description = "e.g. prod.ml_team.fraud"), ("principal" = Option<String>, Query, description = "Default: the caller")), responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn effective_permissions(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path((kind, full_name)): Path<(String, String)>,
    Query(q): Query<PrincipalQuery>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    let s = securable(&auth, &kind, &full_name)?;
    // Without `principal`, the caller's own.
    let principal = q.principal.unwrap_or_else(|| a.principal.username.clone());
    let r = state.quiver.effective_permissions(&a, &s, &principal).await;
    call(&auth, r.map(|list| json!({ "privilege_assignments": [{ "principal": principal, "privileges": list }] })))
}

fn catalog_json(c: &Catalog) -> Value {
    json!({
        "name": c.name, "full_name": c.name, "comment": c.description, "owner": c.owner, "id": c.id,
        "created_at": c.created.at.timestamp_millis(), "created_by": c.created.by,
        "updated_at": c.updated.at.timestamp_millis(), "updated_by": c.updated.by,
    })
}

fn schema_json(s: &Schema) -> Value {
    json!({
        "name": s.name, "catalog_name": s.catalog_name, "full_name": format!("{}.{}", s.catalog_name, s.name),
        "comment": s.description, "owner": s.owner, "schema_id": s.id,
        "created_at": s.created.at.timestamp_millis(), "created_by": s.created.by,
        "updated_at": s.updated.at.timestamp_millis(), "updated_by": s.updated.by,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    catalog_name: Option<String>,
    max_results: Option<u32>,
    page_token: Option<String>,
}

impl ListQuery {
    fn page(&self) -> PageRequest {
        // Unity Catalog's max_results 0 means "the server's default".
        PageRequest { max_results: self.max_results.filter(|n| *n > 0), page_token: self.page_token.clone() }
    }
}

#[utoipa::path(get, path = "/api/2.1/unity-catalog/catalogs", tag = "namespace", summary = "Catalogs the caller may see", params(("max_results" = Option<u32>, Query, description = "Page size"), ("page_token" = Option<String>, Query, description = "Token from the previous page")), responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_catalogs(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    let r = state.quiver.list_catalogs(&a, &q.page()).await;
    call(
        &auth,
        r.map(|p| {
            json!({ "catalogs": p.items.iter().map(catalog_json).collect::<Vec<_>>(), "next_page_token": p.next_page_token })
        }),
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct NewObject {
    name: String,
    catalog_name: Option<String>,
    #[serde(default)]
    comment: String,
}

#[utoipa::path(post, path = "/api/2.1/unity-catalog/catalogs", tag = "namespace", summary = "Create a catalog", request_body = NewObject, responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_catalog(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Json(body): Json<NewObject>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.create_catalog(&a, &body.name, &body.comment).await.map(|c| catalog_json(&c)))
}

#[utoipa::path(get, path = "/api/2.1/unity-catalog/catalogs/{name}", tag = "namespace", summary = "One catalog", params(("name" = String, Path, description = "The name")), responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_catalog(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(name): Path<String>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.get_catalog(&a, &name).await.map(|c| catalog_json(&c)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct Patch {
    comment: Option<String>,
    owner: Option<String>,
    new_name: Option<String>,
}

#[utoipa::path(patch, path = "/api/2.1/unity-catalog/catalogs/{name}", tag = "namespace", summary = "Change a catalog's comment or owner", params(("name" = String, Path, description = "The name")), request_body = Patch, responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn update_catalog(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(name): Path<String>,
    Json(body): Json<Patch>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    let q = &state.quiver;
    let r = async {
        refuse_rename(&body)?;
        if let Some(owner) = &body.owner {
            q.transfer_ownership(&a, &Securable::parse(SecurableType::Catalog, &name)?, owner).await?;
        }
        match &body.comment {
            Some(comment) => q.update_catalog(&a, &name, comment).await,
            None => q.get_catalog(&a, &name).await,
        }
    }
    .await;
    call(&auth, r.map(|c| catalog_json(&c)))
}

fn refuse_rename(body: &Patch) -> quiver::error::Result<()> {
    match body.new_name {
        Some(_) => Err(Error::invalid("new_name", "Catalogs and schemas are not renamed in Quiver.")),
        None => Ok(()),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeleteQuery {
    #[serde(default)]
    force: bool,
}

#[utoipa::path(delete, path = "/api/2.1/unity-catalog/catalogs/{name}", tag = "namespace", summary = "Delete a catalog (force: with everything inside)", params(("name" = String, Path, description = "The name"), ("force" = Option<bool>, Query, description = "Delete what it holds too")), responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn delete_catalog(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(name): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    call(&auth, state.quiver.delete_catalog(&a, &name, q.force).await.map(|_| json!({})))
}

#[utoipa::path(get, path = "/api/2.1/unity-catalog/schemas", tag = "namespace", summary = "Schemas of a catalog the caller may see", params(("catalog_name" = String, Query, description = "The catalog"), ("max_results" = Option<u32>, Query, description = "Page size"), ("page_token" = Option<String>, Query, description = "Token from the previous page")), responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_schemas(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    let Some(catalog) = q.catalog_name.clone() else {
        return Err(ApiError(Error::invalid("catalog_name", "Name the catalog: ?catalog_name=…"), auth.request_id));
    };
    let r = state.quiver.list_schemas(&a, &catalog, &q.page()).await;
    call(
        &auth,
        r.map(|p| {
            json!({ "schemas": p.items.iter().map(schema_json).collect::<Vec<_>>(), "next_page_token": p.next_page_token })
        }),
    )
}

#[utoipa::path(post, path = "/api/2.1/unity-catalog/schemas", tag = "namespace", summary = "Create a schema", request_body = NewObject, responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_schema(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Json(body): Json<NewObject>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    let Some(catalog) = body.catalog_name.clone() else {
        return Err(ApiError(Error::invalid("catalog_name", "A schema needs its catalog_name."), auth.request_id));
    };
    call(&auth, state.quiver.create_schema(&a, &catalog, &body.name, &body.comment).await.map(|s| schema_json(&s)))
}

fn split_schema(auth: &RequestAuth, full_name: &str) -> Result<(String, String), ApiError> {
    match full_name.split_once('.') {
        Some((c, s)) if !s.contains('.') => Ok((c.to_string(), s.to_string())),
        _ => Err(ApiError(
            Error::invalid("full_name", format!("'{full_name}' is not a schema's full name (catalog.schema).")),
            auth.request_id.clone(),
        )),
    }
}

#[utoipa::path(get, path = "/api/2.1/unity-catalog/schemas/{full_name}", tag = "namespace", summary = "One schema", params(("full_name" = String, Path, description = "catalog.schema")), responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_schema(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(full_name): Path<String>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    let (c, s) = split_schema(&auth, &full_name)?;
    call(&auth, state.quiver.get_schema(&a, &c, &s).await.map(|s| schema_json(&s)))
}

#[utoipa::path(patch, path = "/api/2.1/unity-catalog/schemas/{full_name}", tag = "namespace", summary = "Change a schema's comment or owner", params(("full_name" = String, Path, description = "catalog.schema")), request_body = Patch, responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn update_schema(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(full_name): Path<String>,
    Json(body): Json<Patch>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    let (c, s) = split_schema(&auth, &full_name)?;
    let q = &state.quiver;
    let r = async {
        refuse_rename(&body)?;
        if let Some(owner) = &body.owner {
            q.transfer_ownership(&a, &Securable::parse(SecurableType::Schema, &full_name)?, owner).await?;
        }
        match &body.comment {
            Some(comment) => q.update_schema(&a, &c, &s, comment).await,
            None => q.get_schema(&a, &c, &s).await,
        }
    }
    .await;
    call(&auth, r.map(|s| schema_json(&s)))
}

#[utoipa::path(delete, path = "/api/2.1/unity-catalog/schemas/{full_name}", tag = "namespace", summary = "Delete a schema (force: with everything inside)", params(("full_name" = String, Path, description = "catalog.schema"), ("force" = Option<bool>, Query, description = "Delete what it holds too")), responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn delete_schema(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(full_name): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> ApiResult<Value> {
    let a = actor(&auth)?;
    let (c, s) = split_schema(&auth, &full_name)?;
    call(&auth, state.quiver.delete_schema(&a, &c, &s, q.force).await.map(|_| json!({})))
}
