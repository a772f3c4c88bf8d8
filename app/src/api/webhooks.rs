//! Server functions for webhooks and their delivery logs.

use leptos::prelude::*;
use quiver::services::delivery::{CreatedWebhook, Delivery, NewWebhook, TestResult, Webhook, WebhookUpdate};
use quiver::services::paging::Page;

use crate::error::AppResult;

#[cfg(feature = "ssr")]
use quiver::services::paging::PageRequest;

#[cfg(feature = "ssr")]
use super::ctx::{actor, quiver};

#[server]
pub async fn list_webhooks() -> AppResult<Page<Webhook>> {
    let page = PageRequest { max_results: Some(200), page_token: None };
    Ok(quiver().list_webhooks(&actor()?, &page).await?)
}

#[server]
pub async fn create_webhook(new: NewWebhook) -> AppResult<CreatedWebhook> {
    Ok(quiver().create_webhook(&actor()?, &new).await?)
}

#[server]
pub async fn get_webhook(id: String) -> AppResult<Webhook> {
    Ok(quiver().get_webhook(&actor()?, &id).await?)
}

#[server]
pub async fn update_webhook(id: String, change: WebhookUpdate) -> AppResult<Webhook> {
    Ok(quiver().update_webhook(&actor()?, &id, &change).await?)
}

#[server]
pub async fn delete_webhook(id: String) -> AppResult<()> {
    Ok(quiver().delete_webhook(&actor()?, &id).await?)
}

#[server]
pub async fn list_deliveries(id: String, page_token: Option<String>) -> AppResult<Page<Delivery>> {
    let page = PageRequest { max_results: Some(25), page_token };
    Ok(quiver().list_deliveries(&actor()?, &id, &page).await?)
}

#[server]
pub async fn redeliver(id: String, delivery_id: String) -> AppResult<Delivery> {
    Ok(quiver().redeliver(&actor()?, &id, &delivery_id).await?)
}

#[server]
pub async fn test_webhook(id: String) -> AppResult<TestResult> {
    Ok(quiver().test_webhook(&actor()?, &id).await?)
}
