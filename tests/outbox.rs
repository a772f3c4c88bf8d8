//! The webhook outbox: an event is written in the transaction of its change, and only while a
//! webhook is active to hear it (no one else reads events, and an idle outbox costs every write).

mod common;

use common::{actor, init_logs};
use quiver::services::delivery::{NewWebhook, WebhookUpdate};
use quiver::services::registry::NewVersion;
use quiver::store::StoreConfig;
use quiver::{Quiver, ServiceConfig};

async fn new_version(q: &Quiver, path: &quiver::names::ModelPath) {
    let v = NewVersion { source: "s3://bucket/model".into(), ..Default::default() };
    q.create_version(&actor("admin"), path, v).await.expect("create version");
}

/// A fresh store holding prod.ml.fraud, whose webhooks may reach loopback.
async fn store_with_a_model() -> (Quiver, quiver::names::ModelPath) {
    let config = ServiceConfig { webhook_allow_private: true, ..ServiceConfig::default() };
    let q = Quiver::open(&StoreConfig::memory(), config).await.expect("open store");
    let a = actor("admin");
    q.create_catalog(&a, "prod", "").await.unwrap();
    q.create_schema(&a, "prod", "ml", "").await.unwrap();
    q.create_model(&a, "prod", "ml", "fraud", "").await.unwrap();
    (q, quiver::names::ModelPath::new("prod", "ml", "fraud").unwrap())
}

#[tokio::test]
async fn events_are_written_only_while_a_webhook_is_active() {
    init_logs();
    let (q, path) = store_with_a_model().await;
    let a = actor("admin");

    new_version(&q, &path).await;
    assert_eq!(q.fan_out_events(100).await.unwrap(), 0, "no webhook, no event");

    let hook = NewWebhook {
        url: "http://127.0.0.1:9/hook".into(),
        events: vec!["model_version.created".into()],
        ..NewWebhook::default()
    };
    let created = q.create_webhook(&a, &hook).await.expect("create webhook");
    new_version(&q, &path).await;
    new_version(&q, &path).await;
    assert_eq!(q.fan_out_events(100).await.unwrap(), 2, "both versions are events once a webhook listens");

    let off = WebhookUpdate { active: Some(false), ..WebhookUpdate::default() };
    q.update_webhook(&a, &created.webhook.id, &off).await.unwrap();
    new_version(&q, &path).await;
    assert_eq!(q.fan_out_events(100).await.unwrap(), 0, "a disabled webhook hears nothing");

    let on = WebhookUpdate { active: Some(true), ..WebhookUpdate::default() };
    q.update_webhook(&a, &created.webhook.id, &on).await.unwrap();
    new_version(&q, &path).await;
    assert_eq!(q.fan_out_events(100).await.unwrap(), 1);
    let deliveries = q.list_deliveries(&a, &created.webhook.id, &Default::default()).await.unwrap();
    assert_eq!(deliveries.items.len(), 3, "versions 2, 3 and 5 were delivered, 1 and 4 not");

    q.delete_webhook(&a, &created.webhook.id).await.unwrap();
    new_version(&q, &path).await;
    assert_eq!(q.fan_out_events(100).await.unwrap(), 0, "no webhook left, no event");
}

#[tokio::test]
async fn a_stopping_process_gives_back_the_deliveries_it_claimed() {
    init_logs();
    let (q, path) = store_with_a_model().await;
    let a = actor("admin");
    let hook = NewWebhook {
        url: "http://127.0.0.1:9/hook".into(),
        events: vec!["model_version.created".into()],
        ..NewWebhook::default()
    };
    q.create_webhook(&a, &hook).await.expect("create webhook");
    new_version(&q, &path).await;
    new_version(&q, &path).await;
    q.fan_out_events(100).await.unwrap();
    let lease = std::time::Duration::from_secs(600);
    assert_eq!(q.claim_deliveries("stopping", 10, lease).await.unwrap().len(), 2);
    assert!(q.claim_deliveries("other", 10, lease).await.unwrap().is_empty(), "leased to the first process");
    let (_, pending) = q.outbox_backlog().await.unwrap();
    assert_eq!(pending, 2, "both still to be sent");
    assert_eq!(q.release_leases("stopping").await.unwrap(), 2);
    assert_eq!(q.release_leases("stopping").await.unwrap(), 0, "nothing left to give back");
    assert_eq!(q.claim_deliveries("other", 10, lease).await.unwrap().len(), 2, "another process sends them at once");
}
