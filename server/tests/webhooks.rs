//! Webhook delivery end to end: a loopback receiver checks every Standard Webhooks signature,
//! answers 500 for a while and then 200; Quiver is stopped with deliveries pending and started
//! again on the same store, and every event arrives, none lost. Two dispatchers on one store
//! never send the same delivery twice. The REST API closes the loop for a CI system: it hears
//! of an approval request and approves it with a service principal's token.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use quiver::names::ModelPath;
use quiver::sealer::{Sealer, new_key};
use quiver::services::delivery::{NewWebhook, signing};
use quiver::services::governance::{Actor, Principal, Source};
use quiver::services::paging::PageRequest;
use quiver::services::registry::NewVersion;
use quiver::store::StoreConfig;
use quiver::{Quiver, ServiceConfig};
use quiver_server::dispatcher::{self, DispatcherConfig};
use serde_json::{Value, json};

mod support;

#[derive(Default)]
struct Seen {
    secret: String,
    failing: bool,
    attempts: usize,
    /// (webhook-id, type, signature valid) of every request answered 200.
    delivered: Vec<(String, String, bool)>,
}

#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Seen>>);

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let mut seen = r.0.lock().unwrap();
    seen.attempts += 1;
    if seen.failing {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let ts: i64 = h("webhook-timestamp").parse().unwrap_or(0);
    let fresh = (chrono::Utc::now().timestamp() - ts).abs() < 300;
    let valid = fresh && signing::verify(&seen.secret, &h("webhook-id"), ts, &body, &h("webhook-signature"));
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    assert_eq!(event["id"].as_str(), Some(h("webhook-id").as_str()), "the body's id is the webhook-id header");
    seen.delivered.push((h("webhook-id"), event["type"].as_str().unwrap_or_default().to_string(), valid));
    StatusCode::OK
}

/// A receiver on a loopback port; returns its URL.
async fn start_receiver(r: Receiver) -> String {
    let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(r);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hook")
}

fn admin() -> Actor {
    Actor {
        principal: Principal { user_id: String::new(), username: "admin".into(), admin: true },
        source: Source::Rest,
        request_id: "test".into(),
    }
}

fn config(key: [u8; 32]) -> ServiceConfig {
    ServiceConfig {
        sealer: Sealer::new(key),
        webhook_allow_private: true,
        webhook_timeout: Duration::from_secs(2),
        ..ServiceConfig::default()
    }
}

fn fast(id: &str) -> DispatcherConfig {
    DispatcherConfig {
        id: id.into(),
        retry_schedule: vec![Duration::from_millis(150); 40],
        poll: Duration::from_millis(50),
        lease: Duration::from_secs(10),
        ..DispatcherConfig::default()
    }
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..400 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

fn all() -> PageRequest {
    PageRequest { max_results: Some(1000), page_token: None }
}

#[tokio::test]
async fn signed_deliveries_are_retried_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        StoreConfig { url: format!("surrealkv://{}", dir.path().join("q.db").display()), ..StoreConfig::memory() };
    let key = new_key();
    let receiver = Receiver::default();
    receiver.0.lock().unwrap().failing = true;
    let url = start_receiver(receiver.clone()).await;
    let a = admin();
    let p = ModelPath::parse_full("prod.ml.fraud").unwrap();

    let hook_id = {
        let q = Quiver::open(&store, config(key)).await.unwrap();
        q.create_catalog(&a, "prod", "").await.unwrap();
        q.create_schema(&a, "prod", "ml", "").await.unwrap();
        let hook = NewWebhook { url: url.clone(), events: vec!["*".into()], ..Default::default() };
        let created = q.create_webhook(&a, &hook).await.unwrap();
        assert!(created.secret.starts_with("whsec_"));
        receiver.0.lock().unwrap().secret = created.secret.clone();
        let worker = dispatcher::spawn(q.clone(), fast("first"));
        q.create_model(&a, "prod", "ml", "fraud", "").await.unwrap();
        for i in 1..=3 {
            q.create_version(&a, &p, NewVersion { source: format!("s3://b/{i}"), ..Default::default() }).await.unwrap();
        }
        q.set_alias(&a, &p, "Champion", 2).await.unwrap();
        q.set_tag(&a, &p, quiver::services::registry::TagTarget::Model, "team", "risk").await.unwrap();
        // Every event has been tried and refused at least once; then Quiver stops.
        wait_for("failed attempts", || receiver.0.lock().unwrap().attempts >= 12).await;
        worker.abort();
        let _ = worker.await;
        let deliveries = q.list_deliveries(&a, &created.webhook.id, &all()).await.unwrap().items;
        assert_eq!(deliveries.len(), 6);
        assert!(deliveries.iter().all(|d| d.state == "pending"), "{deliveries:?}");
        let webhook = q.get_webhook(&a, &created.webhook.id).await.unwrap();
        assert!(webhook.failing, "repeated failures flag the webhook");
        created.webhook.id
    };
    assert!(receiver.0.lock().unwrap().delivered.is_empty());

    // The receiver recovers; a new Quiver process on the same store delivers everything.
    receiver.0.lock().unwrap().failing = false;
    let q = Quiver::open(&store, config(key)).await.unwrap();
    let worker = dispatcher::spawn(q.clone(), fast("second"));
    wait_for("every event delivered", || receiver.0.lock().unwrap().delivered.len() >= 6).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    worker.abort();
    let seen = receiver.0.lock().unwrap();
    assert!(seen.delivered.iter().all(|(_, _, valid)| *valid), "every signature verifies: {:?}", seen.delivered);
    let mut types: Vec<&str> = seen.delivered.iter().map(|(_, t, _)| t.as_str()).collect();
    types.sort();
    assert_eq!(
        types,
        [
            "model_version.created",
            "model_version.created",
            "model_version.created",
            "model_version_alias.created",
            "registered_model.created",
            "registered_model_tag.set"
        ]
    );
    let mut ids: Vec<&str> = seen.delivered.iter().map(|(id, _, _)| id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "each event once, with its own stable id");
    drop(seen);
    let log = q.list_deliveries(&a, &hook_id, &all()).await.unwrap().items;
    for d in &log {
        assert_eq!(d.state, "succeeded");
        assert!(d.attempts >= 2, "{d:?}");
        assert_eq!(d.attempt_log.first().and_then(|x| x.status), Some(500));
        assert_eq!(d.attempt_log.last().and_then(|x| x.status), Some(200));
    }
    assert!(!q.get_webhook(&a, &hook_id).await.unwrap().failing, "a success clears the flag");
}

#[tokio::test]
async fn two_dispatchers_on_one_store_send_each_delivery_once() {
    let q = Quiver::open(&StoreConfig::memory(), config(new_key())).await.unwrap();
    let other = q.handle_with(q.config().clone());
    let receiver = Receiver::default();
    let url = start_receiver(receiver.clone()).await;
    let a = admin();
    q.create_catalog(&a, "prod", "").await.unwrap();
    q.create_schema(&a, "prod", "ml", "").await.unwrap();
    let hook = NewWebhook { url, events: vec!["registered_model.created".into()], ..Default::default() };
    receiver.0.lock().unwrap().secret = q.create_webhook(&a, &hook).await.unwrap().secret;
    let one = dispatcher::spawn(q.clone(), fast("one"));
    let two = dispatcher::spawn(other.clone(), fast("two"));
    for i in 0..30 {
        q.create_model(&a, "prod", "ml", &format!("m{i}"), "").await.unwrap();
        other.wake_dispatcher();
    }
    wait_for("30 deliveries", || receiver.0.lock().unwrap().delivered.len() >= 30).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    one.abort();
    two.abort();
    let seen = receiver.0.lock().unwrap();
    let mut ids: Vec<&str> = seen.delivered.iter().map(|(id, _, _)| id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((seen.delivered.len(), ids.len()), (30, 30), "no event sent twice");
}

#[tokio::test]
async fn a_ci_system_hears_of_a_request_and_approves_it_over_rest() {
    let app = support::spawn(config(new_key())).await;
    let receiver = Receiver::default();
    let url = start_receiver(receiver.clone()).await;
    let worker = dispatcher::spawn(app.quiver.clone(), fast("rest"));
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, auth: String, body: Option<Value>| {
        let mut req = http.request(method, format!("{}{path}", app.base)).header("authorization", auth);
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_string());
        }
        async move {
            let r = req.send().await.unwrap();
            let status = r.status();
            (status, serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap_or(Value::Null))
        }
    };
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{}", support::ADMIN_PASSWORD))
    );
    let a = admin();
    let p = ModelPath::parse_full("prod.ml.fraud").unwrap();
    app.quiver.create_catalog(&a, "prod", "").await.unwrap();
    app.quiver.create_schema(&a, "prod", "ml", "").await.unwrap();
    app.quiver.create_model(&a, "prod", "ml", "fraud", "").await.unwrap();
    for i in 1..=2 {
        app.quiver
            .create_version(&a, &p, NewVersion { source: format!("s3://b/{i}"), ..Default::default() })
            .await
            .unwrap();
    }
    app.quiver.set_alias(&a, &p, "Champion", 1).await.unwrap();
    let (s, policy) = call(
        reqwest::Method::PUT,
        "/api/quiver/v1/protected-aliases/registered_model/prod.ml.fraud",
        basic.clone(),
        Some(json!({"aliases": ["Champion"], "required_approvals": 1})),
    )
    .await;
    assert_eq!(s, 200, "{policy}");
    // MLflow's API is refused the protected alias, with a pointer to the request flow.
    let (s, e) = call(
        reqwest::Method::POST,
        "/api/2.0/mlflow/registered-models/alias",
        basic.clone(),
        Some(json!({"name": "prod.ml.fraud", "alias": "Champion", "version": "2"})),
    )
    .await;
    assert_eq!((s.as_u16(), e["error_code"].as_str()), (403, Some("PERMISSION_DENIED")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("approval-requests"));
    // The CI system's webhook, scoped to the model, for approval requests only.
    let body = json!({"url": url, "events": ["approval_request.created", "approval_request.approved"],
        "scope": {"type": "registered_model", "full_name": "prod.ml.fraud"}, "description": "CI gate"});
    let (s, created) = call(reqwest::Method::POST, "/api/quiver/v1/webhooks", basic.clone(), Some(body)).await;
    assert_eq!(s, 200, "{created}");
    receiver.0.lock().unwrap().secret = created["secret"].as_str().unwrap().to_string();
    let (s, sp) = call(
        reqwest::Method::POST,
        "/api/quiver/v1/service-principals",
        basic.clone(),
        Some(json!({"name": "ci-bot"})),
    )
    .await;
    assert_eq!(s, 200, "{sp}");
    let grant =
        json!({"changes": [{"principal": "ci-bot", "add": ["USE_CATALOG", "USE_SCHEMA", "EXECUTE", "MANAGE"]}]});
    let (s, _) =
        call(reqwest::Method::PATCH, "/api/2.1/unity-catalog/permissions/catalog/prod", basic.clone(), Some(grant))
            .await;
    assert_eq!(s, 200);
    let (s, token) = call(
        reqwest::Method::POST,
        "/api/quiver/v1/service-principals/ci-bot/tokens",
        basic.clone(),
        Some(json!({"name": "ci"})),
    )
    .await;
    assert_eq!(s, 200, "{token}");
    let bot = format!("Bearer {}", token["secret"].as_str().unwrap());

    let ask = json!({"model": "prod.ml.fraud", "version": 2, "alias": "Champion", "action": "set", "justification": "v2 wins"});
    let (s, request) = call(reqwest::Method::POST, "/api/quiver/v1/approval-requests", basic.clone(), Some(ask)).await;
    assert_eq!(s, 200, "{request}");
    let id = request["id"].as_str().unwrap().to_string();
    wait_for("the created event", || {
        receiver.0.lock().unwrap().delivered.iter().any(|d| d.1 == "approval_request.created")
    })
    .await;
    let (s, inbox) =
        call(reqwest::Method::GET, "/api/quiver/v1/approval-requests?actionable=true", bot.clone(), None).await;
    assert_eq!(s, 200);
    assert_eq!(inbox["items"][0]["id"].as_str(), Some(id.as_str()), "{inbox}");
    let (s, done) = call(
        reqwest::Method::POST,
        &format!("/api/quiver/v1/approval-requests/{id}/approve"),
        bot,
        Some(json!({"comment": "checks passed"})),
    )
    .await;
    assert_eq!((s.as_u16(), done["state"].as_str()), (200, Some("approved")), "{done}");
    wait_for("the approved event", || {
        receiver.0.lock().unwrap().delivered.iter().any(|d| d.1 == "approval_request.approved")
    })
    .await;
    assert_eq!(app.quiver.get_version_by_alias(&a, &p, "Champion").await.unwrap().version, 2);
    let hook = created["webhook"]["id"].as_str().unwrap();
    let (s, test) =
        call(reqwest::Method::POST, &format!("/api/quiver/v1/webhooks/{hook}/test"), basic.clone(), None).await;
    assert_eq!((s.as_u16(), test["success"].as_bool()), (200, Some(true)), "{test}");
    let (s, log) = call(reqwest::Method::GET, &format!("/api/quiver/v1/webhooks/{hook}/deliveries"), basic, None).await;
    assert_eq!(s, 200);
    assert_eq!(log["items"].as_array().unwrap().len(), 3, "{log}");
    assert!(receiver.0.lock().unwrap().delivered.iter().all(|d| d.2), "signatures verify");
    worker.abort();
}

/// Every request a receiver got: its headers and body.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<(HeaderMap, Bytes)>>>);

async fn capture(State(c): State<Capture>, headers: HeaderMap, body: Bytes) -> StatusCode {
    c.0.lock().unwrap().push((headers, body));
    StatusCode::OK
}

#[tokio::test]
async fn a_webhook_created_through_mlflow_is_delivered_as_mlflow_delivers() {
    let app = support::spawn(config(new_key())).await;
    let seen = Capture::default();
    let router = axum::Router::new().route("/hook", axum::routing::post(capture)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let worker = dispatcher::spawn(app.quiver.clone(), fast("mlflow"));
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{}", support::ADMIN_PASSWORD))
    );
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        let req = http
            .post(format!("{}{path}", app.base))
            .header("authorization", basic.clone())
            .header("content-type", "application/json")
            .body(body.to_string());
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            (status, serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap_or(Value::Null))
        }
    };
    // Shaped like a Standard Webhooks secret on purpose: MLflow signs with the secret's own
    // bytes whatever it looks like, and so must Quiver for these webhooks.
    let secret = "whsec_dGhlIHJlY2VpdmVyIGtub3dzIGl0";
    let hook = json!({"name": "deploy", "url": url, "secret": secret,
        "events": [{"entity": "registered_model", "action": "created"}, {"entity": "model_version", "action": "created"},
            {"entity": "model_version_alias", "action": "created"}]});
    let (s, created) = post("/api/2.0/mlflow/webhooks", hook).await;
    assert_eq!(s, 200, "{created}");
    let model =
        json!({"name": "prod.ml.fraud", "description": "Flags fraud", "tags": [{"key": "team", "value": "risk"}]});
    let (s, m) = post("/api/2.0/mlflow/registered-models/create", model).await;
    assert_eq!(s, 200, "{m}");
    let version = json!({"name": "prod.ml.fraud", "source": "models:/m-abc", "run_id": "r1",
        "tags": [{"key": "team", "value": "fraud"}]});
    for _ in 0..2 {
        let (s, v) = post("/api/2.0/mlflow/model-versions/create", version.clone()).await;
        assert_eq!(s, 200, "{v}");
    }
    for version in ["1", "2"] {
        let alias = json!({"name": "prod.ml.fraud", "alias": "Champion", "version": version});
        let (s, e) = post("/api/2.0/mlflow/registered-models/alias", alias).await;
        assert_eq!(s, 200, "{e}");
    }
    wait_for("five deliveries", || seen.0.lock().unwrap().len() >= 5).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    worker.abort();

    let got = seen.0.lock().unwrap().clone();
    let mut bodies = Vec::new();
    for (headers, body) in &got {
        let h = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let (id, ts) = (h("x-mlflow-delivery-id"), h("x-mlflow-timestamp"));
        let ts: i64 = ts.parse().expect("X-MLflow-Timestamp is seconds");
        assert!(!id.is_empty(), "X-MLflow-Delivery-Id is set");
        let expected = signing::signature_with_key(secret.as_bytes(), &id, ts, body);
        assert_eq!(h("x-mlflow-signature"), expected, "signed as MLflow signs: HMAC keyed by the secret's bytes");
        assert_eq!(h("x-mlflow-signature"), h("webhook-signature"), "one signature under both names");
        assert_eq!(h("content-type"), "application/json");
        bodies.push(serde_json::from_slice::<Value>(body).unwrap());
    }
    let of = |entity: &str| -> Vec<Value> {
        let mut v: Vec<Value> = bodies.iter().filter(|b| b["entity"] == entity).cloned().collect();
        v.sort_by_key(|b| b["data"]["version"].as_str().unwrap_or_default().to_string());
        v
    };
    let versions = of("model_version");
    assert_eq!(versions.len(), 2, "{bodies:?}");
    assert_eq!(versions[0]["action"], "created");
    assert_eq!(
        versions[0]["data"],
        json!({"name": "prod.ml.fraud", "version": "1", "source": "models:/m-abc", "run_id": "r1",
            "tags": {"team": "fraud"}, "description": null})
    );
    let stamp = versions[0]["timestamp"].as_str().unwrap();
    assert!(stamp.ends_with("+00:00") && chrono::DateTime::parse_from_rfc3339(stamp).is_ok(), "{stamp}");
    // An alias set, and then moved: both are `created` in MLflow's words.
    let aliases = of("model_version_alias");
    assert_eq!(aliases.len(), 2, "{bodies:?}");
    for (alias, version) in aliases.iter().zip(["1", "2"]) {
        assert_eq!(alias["action"], "created");
        assert_eq!(alias["data"], json!({"name": "prod.ml.fraud", "alias": "Champion", "version": version}));
    }
    let models = of("registered_model");
    assert_eq!(models.len(), 1, "{bodies:?}");
    assert_eq!(
        models[0]["data"],
        json!({"name": "prod.ml.fraud", "tags": {"team": "risk"}, "description": "Flags fraud"})
    );
    assert_eq!(bodies.len(), 5, "one delivery per event the webhook hears");
}
