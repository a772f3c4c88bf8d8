//! One request pipeline: every answer names its request id (header and error body) and the
//! audit entry of the change carries the same id; malformed bodies, query strings and server
//! function arguments are 400s in each surface's shape, naming what is wrong, never 500s.

use base64::Engine;
use quiver::ServiceConfig;
use quiver::services::governance::AuditFilter;
use quiver::services::paging::PageRequest;
use quiver::services::system_actor;
use reqwest::StatusCode;
use serde_json::Value;
use support::*;

mod support;

fn basic() -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("admin:{ADMIN_PASSWORD}")))
}

async fn send(app: &App, method: reqwest::Method, path: &str, content_type: &str, body: &str) -> reqwest::Response {
    let mut req =
        reqwest::Client::new().request(method, format!("{}{path}", app.base)).header("authorization", basic());
    if !content_type.is_empty() {
        req = req.header("content-type", content_type);
    }
    req.body(body.to_string()).send().await.unwrap()
}

fn request_id(r: &reqwest::Response) -> String {
    r.headers().get("x-request-id").expect("every answer names its request").to_str().unwrap().to_string()
}

#[tokio::test]
async fn the_request_id_is_answered_and_recorded_in_the_audit_entry() {
    let app = spawn(ServiceConfig::default()).await;
    let r =
        send(&app, reqwest::Method::POST, "/api/quiver/v1/catalogs", "application/json", r#"{"name": "prod"}"#).await;
    assert_eq!(r.status(), StatusCode::OK);
    let id = request_id(&r);
    assert_eq!(id.len(), 36, "a fresh uuid: {id}");
    let admin = system_actor(quiver::services::governance::Source::Cli);
    let filter = AuditFilter { action: Some("catalog.created".into()), ..Default::default() };
    let entries = app.quiver.list_audit(&admin, &filter, &PageRequest::default()).await.unwrap().items;
    assert_eq!(entries.iter().map(|e| e.request_id.as_str()).collect::<Vec<_>>(), [id.as_str()]);

    // An error answer carries the same id in its body as in its header; a client cannot choose it.
    let r = reqwest::Client::new()
        .get(format!("{}/api/quiver/v1/catalogs/nope", app.base))
        .header("authorization", basic())
        .header("x-request-id", "chosen-by-the-client")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let id = request_id(&r);
    assert_ne!(id, "chosen-by-the-client");
    let body = json(r).await;
    assert_eq!(body["request_id"], id.as_str());
    assert_eq!(body["error_code"], "RESOURCE_DOES_NOT_EXIST");
    // MLflow's surface and unauthenticated answers name it too.
    let r = reqwest::Client::new().get(format!("{}/api/quiver/v1/me", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let id = request_id(&r);
    assert_eq!(json(r).await["request_id"], id.as_str());
    let r = send(&app, reqwest::Method::GET, "/api/2.0/mlflow/registered-models/get?name=nope", "", "").await;
    let id = request_id(&r);
    assert_eq!(json(r).await["request_id"], id.as_str());
}

#[tokio::test]
async fn bad_bodies_and_query_strings_are_400s_in_the_api_shape() {
    let app = spawn(ServiceConfig::default()).await;
    let cases: [(&str, &str, &str, &str); 5] = [
        ("POST", "/api/quiver/v1/catalogs", "application/json", "{not json"),
        ("POST", "/api/quiver/v1/catalogs", "application/json", r#"{"comment": "no name"}"#),
        ("POST", "/api/quiver/v1/catalogs", "text/plain", r#"{"name": "x"}"#),
        ("POST", "/api/2.1/unity-catalog/catalogs", "application/json", r#"{"name": 7}"#),
        ("POST", "/api/quiver/v1/approval-requests", "application/json", "[]"),
    ];
    for (method, path, content_type, body) in cases {
        let r = send(&app, method.parse().unwrap(), path, content_type, body).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{method} {path} {body}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        let e: Value = json(r).await;
        assert_eq!(e["error_code"], "INVALID_PARAMETER_VALUE", "{e}");
        assert_eq!(e["field"], "body", "{e}");
        assert!(e["message"].as_str().unwrap().len() > 10, "{e}");
    }
    let r = send(&app, reqwest::Method::GET, "/api/quiver/v1/catalogs?max_results=many", "", "").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e = json(r).await;
    assert_eq!((e["error_code"].as_str(), e["field"].as_str()), (Some("INVALID_PARAMETER_VALUE"), Some("query")));
    // MLflow's endpoints answer a body that is not JSON in MLflow's shape.
    let r =
        send(&app, reqwest::Method::POST, "/api/2.0/mlflow/registered-models/create", "application/json", "[1]").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(r).await["error_code"], "INVALID_PARAMETER_VALUE");
}

#[tokio::test]
async fn one_route_decides_requests_and_refuses_unknown_decisions() {
    let app = spawn(ServiceConfig::default()).await;
    for decision in ["approve", "reject", "cancel"] {
        let path = format!("/api/quiver/v1/approval-requests/nope/{decision}");
        let r = send(&app, reqwest::Method::POST, &path, "application/json", r#"{"comment": "x"}"#).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{decision}");
        assert!(json(r).await["message"].as_str().unwrap().contains("request"), "{decision}");
    }
    // No body at all is fine: the comment is optional.
    let r = send(&app, reqwest::Method::POST, "/api/quiver/v1/approval-requests/nope/approve", "", "").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = send(&app, reqwest::Method::POST, "/api/quiver/v1/approval-requests/nope/merge", "", "").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(json(r).await["message"].as_str().unwrap().contains("approve, reject or cancel"));
}

#[tokio::test]
async fn server_function_arguments_that_do_not_fit_are_400s_naming_the_field() {
    let app = spawn(ServiceConfig::default()).await;
    let c = client();
    login(&c, &app, "admin", ADMIN_PASSWORD).await;
    // `create_catalog(name, description)` without its name.
    use leptos::server_fn::ServerFn;
    let path = <app::api::catalogs::CreateCatalog as ServerFn>::PATH;
    let req = c
        .http
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("description=x");
    let r = c.send(req).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e = json(r).await;
    assert_eq!(e["kind"], "InvalidArgument", "{e}");
    assert_eq!(e["field"], "name", "{e}");
}
