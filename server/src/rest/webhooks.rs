//! Webhooks over REST under /api/quiver/v1/webhooks: register (the secret is in the answer,
//! once), list, read, change, remove, read the delivery log, redeliver, send a test event.

use app::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use quiver::Quiver;
use quiver::services::delivery::{CreatedWebhook, Delivery, NewWebhook, TestResult, Webhook, WebhookUpdate};
use quiver::services::paging::{Page, PageRequest};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{ApiJson, ApiQuery, ApiResult, Caller};
use crate::rest::reply;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list_webhooks).post(create_webhook))
        .route("/webhooks/{id}", get(get_webhook).patch(update_webhook).delete(delete_webhook))
        .route("/webhooks/{id}/deliveries", get(list_deliveries))
        .route("/webhooks/{id}/deliveries/{delivery_id}/redeliver", post(redeliver))
        .route("/webhooks/{id}/test", post(test_webhook))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    max_results: Option<u32>,
    page_token: Option<String>,
}

impl ListQuery {
    fn page(self) -> PageRequest {
        PageRequest { max_results: self.max_results, page_token: self.page_token }
    }
}

#[utoipa::path(post, path = "/api/quiver/v1/webhooks", tag = "webhooks", summary = "Register a webhook (owners and MANAGE holders of the scope; admins for the whole registry). The answer holds the signing secret, shown once", request_body = NewWebhook, responses((status = 200, description = "OK", body = CreatedWebhook), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 401, description = "Not signed in"), (status = 403, description = "Missing privilege")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn create_webhook(
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiJson(body): ApiJson<NewWebhook>,
) -> ApiResult<CreatedWebhook> {
    reply(quiver.create_webhook(&caller, &body).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/webhooks", tag = "webhooks", summary = "Webhooks the caller may manage, oldest first", params(("max_results" = Option<u32>, Query, description = "Page size"), ("page_token" = Option<String>, Query, description = "Token from the previous page")), responses((status = 200, description = "OK", body = Page<Webhook>), (status = 401, description = "Not signed in")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_webhooks(
    State(quiver): State<Quiver>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Page<Webhook>> {
    reply(quiver.list_webhooks(&caller, &q.page()).await)
}

#[utoipa::path(get, path = "/api/quiver/v1/webhooks/{id}", tag = "webhooks", summary = "One webhook", params(("id" = String, Path, description = "Webhook id")), responses((status = 200, description = "OK", body = Webhook), (status = 404, description = "No such webhook (or not yours to manage)")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn get_webhook(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Webhook> {
    reply(quiver.get_webhook(&caller, &id).await)
}

#[utoipa::path(patch, path = "/api/quiver/v1/webhooks/{id}", tag = "webhooks", summary = "Change a webhook (fields left out stay); `active: false` disables it", params(("id" = String, Path, description = "Webhook id")), request_body = WebhookUpdate, responses((status = 200, description = "OK", body = Webhook), (status = 400, description = "Invalid input (MLflow error shape)"), (status = 404, description = "No such webhook")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn update_webhook(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebhookUpdate>,
) -> ApiResult<Webhook> {
    reply(quiver.update_webhook(&caller, &id, &body).await)
}

#[utoipa::path(delete, path = "/api/quiver/v1/webhooks/{id}", tag = "webhooks", summary = "Remove a webhook with its delivery log", params(("id" = String, Path, description = "Webhook id")), responses((status = 200, description = "OK"), (status = 404, description = "No such webhook")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn delete_webhook(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Value> {
    reply(quiver.delete_webhook(&caller, &id).await.map(|()| json!({})))
}

#[utoipa::path(get, path = "/api/quiver/v1/webhooks/{id}/deliveries", tag = "webhooks", summary = "The delivery log, newest first: every attempt with status, latency and the start of the answer", params(("id" = String, Path, description = "Webhook id"), ("max_results" = Option<u32>, Query, description = "Page size"), ("page_token" = Option<String>, Query, description = "Token from the previous page")), responses((status = 200, description = "OK", body = Page<Delivery>), (status = 404, description = "No such webhook")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn list_deliveries(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Page<Delivery>> {
    reply(quiver.list_deliveries(&caller, &id, &q.page()).await)
}

#[utoipa::path(post, path = "/api/quiver/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks", summary = "Send a delivery again (same event id and body)", params(("id" = String, Path, description = "Webhook id"), ("delivery_id" = String, Path, description = "Delivery id")), responses((status = 200, description = "OK", body = Delivery), (status = 404, description = "No such delivery")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn redeliver(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path((id, delivery_id)): Path<(String, String)>,
) -> ApiResult<Delivery> {
    reply(quiver.redeliver(&caller, &id, &delivery_id).await)
}

#[utoipa::path(post, path = "/api/quiver/v1/webhooks/{id}/test", tag = "webhooks", summary = "Send a `webhook.test` event now and report the receiver's answer", params(("id" = String, Path, description = "Webhook id")), responses((status = 200, description = "OK", body = TestResult), (status = 404, description = "No such webhook")), security(("bearer" = []), ("basic" = [])))]
pub(crate) async fn test_webhook(
    State(quiver): State<Quiver>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<TestResult> {
    reply(quiver.test_webhook(&caller, &id).await)
}
