//! The model registry endpoints under /api/2.0/mlflow/registered-models and /model-versions.

use app::AppState;
use axum::Router;
use axum::routing::{get, patch, post};
use quiver::error::{Error, ErrorKind};
use quiver::filter::{self, Entity, Expr, Field, Value as FValue};
use quiver::names::ModelPath;
use quiver::services::registry::{NewVersion, TagTarget, VersionStatus};
use serde_json::json;

use super::{Args, Ctx, MlError, MlResult, json as j, ok, put_list};

pub fn routes() -> Router<AppState> {
    let base = "/api/2.0/mlflow";
    Router::new()
        .route(&format!("{base}/registered-models/create"), post(create_model))
        .route(&format!("{base}/registered-models/get"), get(get_model))
        .route(&format!("{base}/registered-models/rename"), post(rename_model))
        .route(&format!("{base}/registered-models/update"), patch(update_model))
        .route(&format!("{base}/registered-models/delete"), axum::routing::delete(delete_model))
        .route(&format!("{base}/registered-models/search"), get(search_models))
        .route(&format!("{base}/registered-models/get-latest-versions"), post(latest_versions).get(latest_versions))
        .route(&format!("{base}/registered-models/set-tag"), post(set_model_tag))
        .route(&format!("{base}/registered-models/delete-tag"), axum::routing::delete(delete_model_tag))
        .route(&format!("{base}/registered-models/alias"), post(set_alias).delete(delete_alias).get(get_by_alias))
        .route(&format!("{base}/model-versions/create"), post(create_version))
        .route(&format!("{base}/model-versions/get"), get(get_version))
        .route(&format!("{base}/model-versions/update"), patch(update_version))
        .route(&format!("{base}/model-versions/delete"), axum::routing::delete(delete_version))
        .route(&format!("{base}/model-versions/transition-stage"), post(transition_stage))
        .route(&format!("{base}/model-versions/search"), get(search_versions))
        .route(&format!("{base}/model-versions/get-download-uri"), get(download_uri))
        .route(&format!("{base}/model-versions/set-tag"), post(set_version_tag))
        .route(&format!("{base}/model-versions/delete-tag"), axum::routing::delete(delete_version_tag))
}

/// The name the client sent and the path it means.
fn named(a: &Args) -> Result<(String, ModelPath), MlError> {
    let name = a.str("name")?;
    let path = a.ctx.names().path(&name)?;
    Ok((name, path))
}

async fn create_model(a: Args) -> MlResult {
    let (name, path) = named(&a)?;
    let q = &a.ctx.state.quiver;
    if a.ctx.config.create_namespaces {
        q.ensure_schema(&a.ctx.actor, path.catalog.as_str(), path.schema.as_str()).await?;
    }
    let description = a.opt_str("description")?.unwrap_or_default();
    let tags = a.tags("tags")?;
    let m = q.create_model_tagged(&a.ctx.actor, &path, &description, &tags).await.map_err(|e| {
        if e.is(ErrorKind::AlreadyExists) {
            a.err(Error::already_exists("name", format!("Registered Model (name={name}) already exists.")))
        } else {
            a.err(e)
        }
    })?;
    ok(json!({ "registered_model": j::model(&m, a.ctx.names(), Some(&name), &[]) }))
}

async fn get_model(a: Args) -> MlResult {
    let (name, path) = named(&a)?;
    let q = &a.ctx.state.quiver;
    let m = q.get_model(&a.ctx.actor, &path).await?;
    let latest = q.latest_versions(&a.ctx.actor, &path, &[]).await?;
    ok(json!({ "registered_model": j::model(&m, a.ctx.names(), Some(&name), &latest) }))
}

async fn rename_model(a: Args) -> MlResult {
    let (_, path) = named(&a)?;
    let new_name = a.str("new_name")?;
    let target = a.ctx.names().path(&new_name)?;
    if target.catalog.folded() != path.catalog.folded() || target.schema.folded() != path.schema.folded() {
        return Err(a.err(Error::invalid(
            "new_name",
            format!(
                "A model is renamed within its schema: '{new_name}' is not in {}.{}. Copy its versions to move it.",
                path.catalog, path.schema
            ),
        )));
    }
    let q = &a.ctx.state.quiver;
    let m = q.rename_model(&a.ctx.actor, &path, target.model.as_str()).await?;
    ok(json!({ "registered_model": j::model(&m, a.ctx.names(), Some(&new_name), &[]) }))
}

async fn update_model(a: Args) -> MlResult {
    let (name, path) = named(&a)?;
    let q = &a.ctx.state.quiver;
    let m = match a.opt_str("description")? {
        Some(d) => q.update_model(&a.ctx.actor, &path, &d).await?,
        None => q.get_model(&a.ctx.actor, &path).await?,
    };
    ok(json!({ "registered_model": j::model(&m, a.ctx.names(), Some(&name), &[]) }))
}

async fn delete_model(a: Args) -> MlResult {
    let (_, path) = named(&a)?;
    a.ctx.state.quiver.delete_model(&a.ctx.actor, &path).await?;
    ok(json!({}))
}

/// Parses an MLflow filter and qualifies one-part model names with the default schema.
fn parse_filter(a: &Args, entity: Entity) -> Result<Option<Expr>, MlError> {
    let raw = a.opt_str("filter")?.unwrap_or_default();
    let expr = filter::parse(&raw, entity)?;
    Ok(expr.map(|e| qualify(e, &a.ctx)))
}

fn qualify(e: Expr, ctx: &Ctx) -> Expr {
    let names = ctx.names();
    match e {
        Expr::And(v) => Expr::And(v.into_iter().map(|e| qualify(e, ctx)).collect()),
        Expr::Or(v) => Expr::Or(v.into_iter().map(|e| qualify(e, ctx)).collect()),
        Expr::Cmp { field: Field::Name, op, value } => {
            let value = match (op, value) {
                (filter::Op::Eq | filter::Op::Ne, FValue::Str(s)) => FValue::Str(names.qualify(&s)),
                (filter::Op::In | filter::Op::NotIn, FValue::List(l)) => {
                    FValue::List(l.iter().map(|s| names.qualify(s)).collect())
                }
                (_, v) => v,
            };
            Expr::Cmp { field: Field::Name, op, value }
        }
        other => other,
    }
}

async fn search_models(a: Args) -> MlResult {
    let filter = parse_filter(&a, Entity::Models)?;
    let limit = a.max_results(100, 1000)?;
    let order = a.list("order_by")?;
    let token = a.opt_str("page_token")?;
    let q = &a.ctx.state.quiver;
    let page = q.search_registered_models(&a.ctx.actor, filter.as_ref(), &order, limit, token.as_deref()).await?;
    let mut body = json!({});
    let names = &a.ctx.names();
    put_list(&mut body, "registered_models", page.items.iter().map(|m| j::model(m, names, None, &[])).collect());
    if let Some(t) = page.next_page_token {
        body["next_page_token"] = json!(t);
    }
    ok(body)
}

async fn latest_versions(a: Args) -> MlResult {
    let (name, path) = named(&a)?;
    let stages = a.list("stages")?;
    let q = &a.ctx.state.quiver;
    let versions = q.latest_versions(&a.ctx.actor, &path, &stages).await?;
    let mut body = json!({});
    put_list(&mut body, "model_versions", versions.iter().map(|v| j::version(v, &name)).collect());
    ok(body)
}

async fn set_model_tag(a: Args) -> MlResult {
    let (_, path) = named(&a)?;
    let (key, value) = (a.str("key")?, a.opt_str("value")?.unwrap_or_default());
    a.ctx.state.quiver.set_tag(&a.ctx.actor, &path, TagTarget::Model, &key, &value).await?;
    ok(json!({}))
}

async fn delete_model_tag(a: Args) -> MlResult {
    let (_, path) = named(&a)?;
    let key = a.str("key")?;
    a.ctx.state.quiver.delete_tag(&a.ctx.actor, &path, TagTarget::Model, &key).await?;
    ok(json!({}))
}

async fn set_alias(a: Args) -> MlResult {
    let (_, path) = named(&a)?;
    let alias = a.str("alias")?;
    let version = a.version()?;
    a.ctx.state.quiver.set_alias(&a.ctx.actor, &path, &alias, version).await?;
    ok(json!({}))
}

async fn delete_alias(a: Args) -> MlResult {
    let (_, path) = named(&a)?;
    let alias = a.str("alias")?;
    a.ctx.state.quiver.delete_alias(&a.ctx.actor, &path, &alias).await?;
    ok(json!({}))
}

async fn get_by_alias(a: Args) -> MlResult {
    let (name, path) = named(&a)?;
    let alias = a.str("alias")?;
    let q = &a.ctx.state.quiver;
    let v = if alias.eq_ignore_ascii_case("latest") {
        // As in MLflow: `@latest` reads the highest version.
        let m = q.get_model(&a.ctx.actor, &path).await?;
        let page = quiver::services::paging::PageRequest { max_results: Some(1), page_token: None };
        let newest = q.list_versions(&a.ctx.actor, &path, &page).await?.items.into_iter().next();
        newest.ok_or_else(|| a.err(Error::invalid("alias", format!("Model '{}' has no versions.", m.full_name()))))?
    } else {
        q.get_version_by_alias(&a.ctx.actor, &path, &alias).await.map_err(|e| {
            // MLflow answers an unknown alias of an existing model with INVALID_PARAMETER_VALUE.
            if e.is(ErrorKind::NotFound) && e.message.contains("has no alias") {
                a.err(Error::invalid("alias", format!("Registered model alias {alias} not found.")))
            } else {
                a.err(e)
            }
        })?
    };
    ok(json!({ "model_version": j::version(&v, &name) }))
}

async fn create_version(a: Args) -> MlResult {
    let (name, path) = named(&a)?;
    let q = &a.ctx.state.quiver;
    let model_id = a.opt_str("model_id")?.filter(|s| !s.is_empty());
    let mut run_id = a.opt_str("run_id")?.filter(|s| !s.is_empty());
    if run_id.is_none() {
        if let Some(id) = &model_id {
            // As MLflow does: the version's run is the one that logged the model.
            run_id = q.get_logged_model(&a.ctx.actor, id).await.ok().and_then(|m| m.source_run_id);
        }
    }
    let new = NewVersion {
        source: a.str("source")?,
        run_id,
        run_link: a.opt_str("run_link")?.filter(|s| !s.is_empty()),
        description: a.opt_str("description")?.unwrap_or_default(),
        signature_inputs: None,
        signature_outputs: None,
        status: Some(VersionStatus::Ready),
        model_id,
        tags: a.tags("tags")?,
    };
    let v = q.create_version(&a.ctx.actor, &path, new).await?;
    ok(json!({ "model_version": j::version(&v, &name) }))
}

async fn get_version(a: Args) -> MlResult {
    let (name, path) = named(&a)?;
    let v = a.ctx.state.quiver.get_version(&a.ctx.actor, &path, a.version()?).await?;
    ok(json!({ "model_version": j::version(&v, &name) }))
}

async fn update_version(a: Args) -> MlResult {
    let (name, path) = named(&a)?;
    let version = a.version()?;
    let q = &a.ctx.state.quiver;
    let v = match a.opt_str("description")? {
        Some(d) => q.update_version(&a.ctx.actor, &path, version, &d).await?,
        None => q.get_version(&a.ctx.actor, &path, version).await?,
    };
    ok(json!({ "model_version": j::version(&v, &name) }))
}

async fn delete_version(a: Args) -> MlResult {
    let (_, path) = named(&a)?;
    a.ctx.state.quiver.delete_version(&a.ctx.actor, &path, a.version()?).await?;
    ok(json!({}))
}

async fn transition_stage(a: Args) -> MlResult {
    let (name, path) = named(&a)?;
    let stage = a.str("stage")?;
    let archive = a.bool("archive_existing_versions")?;
    let q = &a.ctx.state.quiver;
    let v = q.transition_stage(&a.ctx.actor, &path, a.version()?, &stage, archive).await?;
    ok(json!({ "model_version": j::version(&v, &name) }))
}

async fn search_versions(a: Args) -> MlResult {
    let filter = parse_filter(&a, Entity::Versions)?;
    // MLflow's client asks for 10,000 by default; its server allows up to 200,000.
    let limit = a.max_results(10_000, 200_000)?;
    let order = a.list("order_by")?;
    let token = a.opt_str("page_token")?;
    let q = &a.ctx.state.quiver;
    let page = q.search_model_versions(&a.ctx.actor, filter.as_ref(), &order, limit, token.as_deref()).await?;
    let names = &a.ctx.names();
    let items = page
        .items
        .iter()
        .map(|v| {
            let name = if names.in_default(&v.catalog_name, &v.schema_name) {
                v.model_name.clone()
            } else {
                v.model_full_name()
            };
            j::version(v, &name)
        })
        .collect();
    let mut body = json!({});
    put_list(&mut body, "model_versions", items);
    if let Some(t) = page.next_page_token {
        body["next_page_token"] = json!(t);
    }
    ok(body)
}

async fn download_uri(a: Args) -> MlResult {
    let (_, path) = named(&a)?;
    let q = &a.ctx.state.quiver;
    let v = q.get_version(&a.ctx.actor, &path, a.version()?).await?;
    let uri = q.version_artifact_uri(&a.ctx.actor, v).await?;
    ok(json!({ "artifact_uri": uri }))
}

async fn set_version_tag(a: Args) -> MlResult {
    let (_, path) = named(&a)?;
    let (key, value) = (a.str("key")?, a.opt_str("value")?.unwrap_or_default());
    let target = TagTarget::Version(a.version()?);
    a.ctx.state.quiver.set_tag(&a.ctx.actor, &path, target, &key, &value).await?;
    ok(json!({}))
}

async fn delete_version_tag(a: Args) -> MlResult {
    let (_, path) = named(&a)?;
    let key = a.str("key")?;
    let target = TagTarget::Version(a.version()?);
    a.ctx.state.quiver.delete_tag(&a.ctx.actor, &path, target, &key).await?;
    ok(json!({}))
}
