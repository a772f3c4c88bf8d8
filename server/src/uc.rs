//! Unity Catalog's REST API (2.1) for what admins script: grants, effective permissions,
//! catalogs and schemas. Handlers only translate HTTP to service calls.

use app::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use quiver::Quiver;
use quiver::error::Error;
use quiver::services::governance::Securable;
use quiver::services::governance::privileges::{PermissionsChange, SecurableType};
use quiver::services::paging::PageRequest;
use quiver::services::registry::{Catalog, Schema};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{ApiError, ApiJson, ApiQuery, ApiResult, Caller, SecurablePath};
use crate::rest::reply;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/permissions/{securable_type}/{full_name}", get(get_permissions).patch(update_permissions))
        .route("/effective-permissions/{securable_type}/{full_name}", get(effective_permissions))
        .route("/catalogs", get(list_catalogs).post(create_catalog))
        .route("/catalogs/{name}", get(get_catalog).patch(update_catalog).delete(delete_catalog))
        .route("/schemas", get(list_schemas).post(create_schema))
        .route("/schemas/{full_name}", get(get_schema).patch(update_schema).delete(delete_schema))
}

#[derive(Debug, Deserialize)]
pub(crate) struct PrincipalQuery {
    principal: Option<String>,
}

#[utoipa::path(get, path = "/api/2.1/unity-catalog/permissions/{securable_type}/{full_name}", tag = "governance", summary = "Direct grants on a securable", params(("securable_type" = String, Path, description = "catalog, schema, registered_model (or function), metastore"), ("full_name" = String, Path, description = "e.g. prod.ml_team.fraud"), ("principal" = Option<String>, Query, description = "Only this principal")), responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_permissions(
    State(quiver): State<Quiver>,
    caller: Caller,
    SecurablePath(s): SecurablePath,
    ApiQuery(q): ApiQuery<PrincipalQuery>,
) -> ApiResult<Value> {
    let r = quiver.get_permissions(&caller, &s, q.principal.as_deref()).await;
    reply(r.map(|list| json!({ "privilege_assignments": list })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct Changes {
    #[serde(default)]
    changes: Vec<PermissionsChange>,
}

#[utoipa::path(patch, path = "/api/2.1/unity-catalog/permissions/{securable_type}/{full_name}", tag = "governance", summary = "Grant and revoke privileges (owner, MANAGE or admin)", params(("securable_type" = String, Path, description = "catalog, schema, registered_model (or function), metastore"), ("full_name" = String, Path, description = "e.g. prod.ml_team.fraud")), request_body = Changes, responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn update_permissions(
    State(quiver): State<Quiver>,
    caller: Caller,
    SecurablePath(s): SecurablePath,
    ApiJson(body): ApiJson<Changes>,
) -> ApiResult<Value> {
    let r = quiver.update_permissions(&caller, &s, &body.changes).await;
    reply(r.map(|list| json!({ "privilege_assignments": list })))
}

#[utoipa::path(get, path = "/api/2.1/unity-catalog/effective-permissions/{securable_type}/{full_name}", tag = "governance", summary = "Every privilege a principal holds here, with where it comes from", params(("securable_type" = String, Path, description = "catalog, schema, registered_model (or function), metastore"), ("full_name" = String, Path, description = "e.g. prod.ml_team.fraud"), ("principal" = Option<String>, Query, description = "Default: the caller")), responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn effective_permissions(
    State(quiver): State<Quiver>,
    caller: Caller,
    SecurablePath(s): SecurablePath,
    ApiQuery(q): ApiQuery<PrincipalQuery>,
) -> ApiResult<Value> {
    // Without `principal`, the caller's own.
    let principal = q.principal.unwrap_or_else(|| caller.principal.username.clone());
    let r = quiver.effective_permissions(&caller, &s, &principal).await;
    reply(r.map(|list| json!({ "privilege_assignments": [{ "principal": principal, "privileges": list }] })))
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
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Value> {
    let r = quiver.list_catalogs(&caller, &q.page()).await;
    reply(
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
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiJson(body): ApiJson<NewObject>,
) -> ApiResult<Value> {
    reply(quiver.create_catalog(&caller, &body.name, &body.comment).await.map(|c| catalog_json(&c)))
}

#[utoipa::path(get, path = "/api/2.1/unity-catalog/catalogs/{name}", tag = "namespace", summary = "One catalog", params(("name" = String, Path, description = "The name")), responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_catalog(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Value> {
    reply(quiver.get_catalog(&caller, &name).await.map(|c| catalog_json(&c)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct Patch {
    comment: Option<String>,
    owner: Option<String>,
    new_name: Option<String>,
}

#[utoipa::path(patch, path = "/api/2.1/unity-catalog/catalogs/{name}", tag = "namespace", summary = "Change a catalog's comment or owner", params(("name" = String, Path, description = "The name")), request_body = Patch, responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn update_catalog(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<Patch>,
) -> ApiResult<Value> {
    let q = &quiver;
    let r = async {
        refuse_rename(&body)?;
        if let Some(owner) = &body.owner {
            q.transfer_ownership(&caller, &Securable::parse(SecurableType::Catalog, &name)?, owner).await?;
        }
        match &body.comment {
            Some(comment) => q.update_catalog(&caller, &name, comment).await,
            None => q.get_catalog(&caller, &name).await,
        }
    }
    .await;
    reply(r.map(|c| catalog_json(&c)))
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
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(name): Path<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> ApiResult<Value> {
    reply(quiver.delete_catalog(&caller, &name, q.force).await.map(|_| json!({})))
}

#[utoipa::path(get, path = "/api/2.1/unity-catalog/schemas", tag = "namespace", summary = "Schemas of a catalog the caller may see", params(("catalog_name" = String, Query, description = "The catalog"), ("max_results" = Option<u32>, Query, description = "Page size"), ("page_token" = Option<String>, Query, description = "Token from the previous page")), responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_schemas(
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Value> {
    let Some(catalog) = q.catalog_name.clone() else {
        return Err(ApiError(Error::invalid("catalog_name", "Name the catalog: ?catalog_name=…")));
    };
    let r = quiver.list_schemas(&caller, &catalog, &q.page()).await;
    reply(
        r.map(|p| {
            json!({ "schemas": p.items.iter().map(schema_json).collect::<Vec<_>>(), "next_page_token": p.next_page_token })
        }),
    )
}

#[utoipa::path(post, path = "/api/2.1/unity-catalog/schemas", tag = "namespace", summary = "Create a schema", request_body = NewObject, responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_schema(
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiJson(body): ApiJson<NewObject>,
) -> ApiResult<Value> {
    let Some(catalog) = body.catalog_name.clone() else {
        return Err(ApiError(Error::invalid("catalog_name", "A schema needs its catalog_name.")));
    };
    reply(quiver.create_schema(&caller, &catalog, &body.name, &body.comment).await.map(|s| schema_json(&s)))
}

fn split_schema(full_name: &str) -> Result<(String, String), ApiError> {
    match full_name.split_once('.') {
        Some((c, s)) if !s.contains('.') => Ok((c.to_string(), s.to_string())),
        _ => Err(ApiError(Error::invalid(
            "full_name",
            format!("'{full_name}' is not a schema's full name (catalog.schema)."),
        ))),
    }
}

#[utoipa::path(get, path = "/api/2.1/unity-catalog/schemas/{full_name}", tag = "namespace", summary = "One schema", params(("full_name" = String, Path, description = "catalog.schema")), responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_schema(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(full_name): Path<String>,
) -> ApiResult<Value> {
    let (c, s) = split_schema(&full_name)?;
    reply(quiver.get_schema(&caller, &c, &s).await.map(|s| schema_json(&s)))
}

#[utoipa::path(patch, path = "/api/2.1/unity-catalog/schemas/{full_name}", tag = "namespace", summary = "Change a schema's comment or owner", params(("full_name" = String, Path, description = "catalog.schema")), request_body = Patch, responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn update_schema(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(full_name): Path<String>,
    ApiJson(body): ApiJson<Patch>,
) -> ApiResult<Value> {
    let (c, s) = split_schema(&full_name)?;
    let q = &quiver;
    let r = async {
        refuse_rename(&body)?;
        if let Some(owner) = &body.owner {
            q.transfer_ownership(&caller, &Securable::parse(SecurableType::Schema, &full_name)?, owner).await?;
        }
        match &body.comment {
            Some(comment) => q.update_schema(&caller, &c, &s, comment).await,
            None => q.get_schema(&caller, &c, &s).await,
        }
    }
    .await;
    reply(r.map(|s| schema_json(&s)))
}

#[utoipa::path(delete, path = "/api/2.1/unity-catalog/schemas/{full_name}", tag = "namespace", summary = "Delete a schema (force: with everything inside)", params(("full_name" = String, Path, description = "catalog.schema"), ("force" = Option<bool>, Query, description = "Delete what it holds too")), responses((status = 200, description = "OK", body = serde_json::Value), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn delete_schema(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(full_name): Path<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> ApiResult<Value> {
    let (c, s) = split_schema(&full_name)?;
    reply(quiver.delete_schema(&caller, &c, &s, q.force).await.map(|_| json!({})))
}
