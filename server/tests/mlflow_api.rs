//! MLflow's REST surface over HTTP: shapes, statuses, errors, HTTP Basic, the artifact proxy.
//! (The official Python client runs against Quiver in tests/mlflow; these pin the details.)

use base64::Engine;
use quiver::ServiceConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;

mod support;

struct Api {
    app: App,
    http: reqwest::Client,
    auth: String,
}

async fn api() -> Api {
    let app = spawn(ServiceConfig::default()).await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("admin:{ADMIN_PASSWORD}"));
    Api { app, http: reqwest::Client::new(), auth: format!("Basic {basic}") }
}

impl Api {
    fn url(&self, path: &str) -> String {
        format!("{}/api/2.0/mlflow/{path}", self.app.base)
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (StatusCode, Value) {
        let mut req = self.http.request(method.clone(), self.url(path)).header("authorization", &self.auth);
        if method == reqwest::Method::GET {
            let pairs: Vec<(String, String)> = body
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or(v.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            req = req.query(&pairs);
        } else {
            req = req.header("content-type", "application/json").body(body.to_string());
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }

    async fn get(&self, path: &str, query: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, query).await
    }
}

#[tokio::test]
async fn registry_round_trip_with_mlflow_shapes() {
    let api = api().await;
    let (s, body) = api
        .post(
            "registered-models/create",
            json!({"name": "prod.ml_team.iris", "description": "d", "tags": [{"key": "team", "value": "ml"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["registered_model"]["name"], "prod.ml_team.iris");
    assert_eq!(body["registered_model"]["tags"][0]["key"], "team");
    assert!(body["registered_model"].get("aliases").is_none(), "empty fields are left out");
    // The catalog and schema were created for the admin on the fly.
    // Duplicate: 400 RESOURCE_ALREADY_EXISTS (MLflow's status, which clients rely on).
    let (s, body) = api.post("registered-models/create", json!({"name": "prod.ml_team.iris"})).await;
    assert_eq!((s, body["error_code"].as_str()), (StatusCode::BAD_REQUEST, Some("RESOURCE_ALREADY_EXISTS")));

    let (s, body) = api.post("model-versions/create", json!({"name": "prod.ml_team.iris", "source": "s3://b/m"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["model_version"]["version"], "1", "versions are strings");
    assert_eq!(body["model_version"]["current_stage"], "None");
    let (s, _) = api
        .post("registered-models/alias", json!({"name": "prod.ml_team.iris", "alias": "Champion", "version": "1"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, body) = api.get("registered-models/get", json!({"name": "prod.ml_team.iris"})).await;
    assert_eq!(body["registered_model"]["aliases"], json!([{"alias": "Champion", "version": "1"}]));
    assert_eq!(body["registered_model"]["latest_versions"][0]["version"], "1");
    // An unknown alias of an existing model is INVALID_PARAMETER_VALUE, as in MLflow.
    let (s, body) = api.get("registered-models/alias", json!({"name": "prod.ml_team.iris", "alias": "Nope"})).await;
    assert_eq!((s, body["error_code"].as_str()), (StatusCode::BAD_REQUEST, Some("INVALID_PARAMETER_VALUE")));
    let (s, body) = api
        .post("registered-models/alias", json!({"name": "prod.ml_team.iris", "alias": "latest", "version": "1"}))
        .await;
    assert_eq!((s, body["error_code"].as_str()), (StatusCode::BAD_REQUEST, Some("INVALID_PARAMETER_VALUE")));
    let (s, body) = api.get("registered-models/get", json!({"name": "prod.ml_team.nope"})).await;
    assert_eq!((s, body["error_code"].as_str()), (StatusCode::NOT_FOUND, Some("RESOURCE_DOES_NOT_EXIST")));

    // One-part names live in main.default, and answers echo the name sent.
    let (s, body) = api.post("registered-models/create", json!({"name": "short"})).await;
    assert_eq!((s, body["registered_model"]["name"].as_str()), (StatusCode::OK, Some("short")));
    let m = api
        .app
        .quiver
        .get_model(&admin(&api).await, &quiver::names::ModelPath::parse_full("main.default.short").unwrap())
        .await;
    assert!(m.is_ok());
}

async fn admin(api: &Api) -> quiver::services::governance::Actor {
    let p = api
        .app
        .quiver
        .authenticate_password("admin", ADMIN_PASSWORD, &sign_in_from(quiver::services::governance::Source::Rest))
        .await
        .unwrap();
    quiver::services::governance::Actor {
        principal: p,
        source: quiver::services::governance::Source::Rest,
        request_id: String::new(),
    }
}

#[tokio::test]
async fn search_filters_order_and_pages() {
    let api = api().await;
    for n in ["a_one", "b_two", "c_three"] {
        api.post("registered-models/create", json!({"name": format!("prod.ml_team.{n}")})).await;
    }
    api.post("registered-models/set-tag", json!({"name": "prod.ml_team.b_two", "key": "team", "value": "x"})).await;
    let filter = "name LIKE 'prod.ml_team.%' AND tag.`mlflow.prompt.is_prompt` != 'true'";
    let (s, body) = api
        .get("registered-models/search", json!({"filter": filter, "max_results": "2", "order_by": "name DESC"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let names: Vec<&str> =
        body["registered_models"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["prod.ml_team.c_three", "prod.ml_team.b_two"]);
    let token = body["next_page_token"].as_str().unwrap().to_string();
    let (_, body) = api
        .get(
            "registered-models/search",
            json!({"filter": filter, "max_results": "2", "order_by": "name DESC", "page_token": token}),
        )
        .await;
    assert_eq!(body["registered_models"][0]["name"], "prod.ml_team.a_one");
    assert!(body.get("next_page_token").is_none());
    let (_, body) =
        api.get("registered-models/search", json!({"filter": "tags.team = 'x' OR name = 'prod.ml_team.a_one'"})).await;
    assert_eq!(body["registered_models"].as_array().unwrap().len(), 2);
    let (_, body) = api.get("registered-models/search", json!({"filter": "name = 'nothing.like.this'"})).await;
    assert_eq!(body, json!({}), "no hits: an empty object");
    // A syntax error says where.
    let (s, body) = api.get("registered-models/search", json!({"filter": "name = "})).await;
    assert_eq!((s, body["error_code"].as_str()), (StatusCode::BAD_REQUEST, Some("INVALID_PARAMETER_VALUE")));
    assert!(body["message"].as_str().unwrap().contains("position"), "{body}");
    let (s, _) = api.get("registered-models/search", json!({"max_results": "1001"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn basic_auth_and_tokens() {
    let api = api().await;
    let bad = base64::engine::general_purpose::STANDARD.encode("admin:wrong-password");
    let r = api
        .http
        .get(api.url("registered-models/get?name=x"))
        .header("authorization", format!("Basic {bad}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = api.http.get(api.url("registered-models/get?name=x")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(r).await["error_code"], "UNAUTHENTICATED");
    // A token created over Basic works as a bearer token.
    let r = api
        .http
        .post(format!("{}/api/quiver/v1/tokens", api.app.base))
        .header("authorization", &api.auth)
        .header("content-type", "application/json")
        .body(json!({"name": "ci"}).to_string())
        .send()
        .await
        .unwrap();
    let secret = json(r).await["secret"].as_str().unwrap().to_string();
    let r = api.http.get(api.url("registered-models/get?name=x")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn artifacts_stream_in_and_out_and_stay_under_the_root() {
    let api = api().await;
    let base = format!("{}/api/2.0/mlflow-artifacts/artifacts", api.app.base);
    let data = vec![7u8; 300_000];
    let r = api
        .http
        .put(format!("{base}/9/models/m-x/artifacts/model.bin"))
        .header("authorization", &api.auth)
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = api
        .http
        .get(format!("{base}?path=9/models/m-x/artifacts"))
        .header("authorization", &api.auth)
        .send()
        .await
        .unwrap();
    let listing: Value = json(r).await;
    assert_eq!(listing["files"], json!([{"path": "model.bin", "is_dir": false, "file_size": 300_000}]));
    let r = api
        .http
        .get(format!("{base}/9/models/m-x/artifacts/model.bin"))
        .header("authorization", &api.auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().to_vec(), data);
    let r =
        api.http.get(format!("{base}?path=9/nothing/here")).header("authorization", &api.auth).send().await.unwrap();
    assert_eq!(json(r).await, json!({}), "a missing folder lists nothing");
    // Above the limit (1 MiB in tests): refused, and nothing is left behind.
    let big = vec![0u8; (1 << 20) + 1];
    let r =
        api.http.put(format!("{base}/9/big.bin")).header("authorization", &api.auth).body(big).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = api.http.get(format!("{base}?path=9")).header("authorization", &api.auth).send().await.unwrap();
    let names: Vec<String> =
        json(r).await["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, ["models"]);
    // Escaping the root is refused (encoded so the client does not normalise it away).
    let r = api.http.get(format!("{base}?path=..%2F..%2Fetc")).header("authorization", &api.auth).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = api
        .http
        .get(format!("{base}/9/%2E%2E/%2E%2E/etc/passwd"))
        .header("authorization", &api.auth)
        .send()
        .await
        .unwrap();
    assert!(r.status() == StatusCode::BAD_REQUEST || r.status() == StatusCode::NOT_FOUND, "{}", r.status());
    let r = api.http.get(format!("{base}/9/models/m-x/artifacts/model.bin")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
