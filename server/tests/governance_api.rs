//! Governance over HTTP: Unity Catalog's grants and effective-permissions API, its catalogs and
//! schemas API, and Quiver's admin API (users, groups, service principals, audit), each
//! authenticating with HTTP Basic or a bearer token and refusing what the caller may not do.

use quiver::ServiceConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::*;

mod support;

#[tokio::test]
async fn grants_effective_permissions_and_the_admin_api() {
    let app = spawn(ServiceConfig::default()).await;
    let admin = basic("admin", ADMIN_PASSWORD);
    let uc = "/api/2.1/unity-catalog";
    let ok = |(s, b): (StatusCode, Value)| {
        assert_eq!(s, StatusCode::OK, "{b}");
        b
    };

    // Namespace through Unity Catalog's API, users and a group through Quiver's.
    ok(call(&app, &admin, Method::POST, &format!("{uc}/catalogs"), Some(json!({"name": "prod", "comment": "live"})))
        .await);
    let schema = ok(call(
        &app,
        &admin,
        Method::POST,
        &format!("{uc}/schemas"),
        Some(json!({"name": "ml", "catalog_name": "prod"})),
    )
    .await);
    assert_eq!(schema["full_name"], "prod.ml");
    let body = json!({"username": "dana", "password": "correct horse battery"});
    ok(call(&app, &admin, Method::POST, "/api/quiver/v1/users", Some(body)).await);
    ok(call(&app, &admin, Method::POST, "/api/quiver/v1/groups", Some(json!({"name": "ml-team"}))).await);
    let group = ok(call(
        &app,
        &admin,
        Method::POST,
        "/api/quiver/v1/groups/ml-team/members",
        Some(json!({"username": "dana"})),
    )
    .await);
    assert_eq!(group["members"], json!(["dana"]));
    let groups = ok(call(&app, &admin, Method::GET, "/api/quiver/v1/groups", None).await);
    assert_eq!(groups["groups"][0]["name"], "ml-team");
    assert_eq!(groups["groups"][0]["members"], json!(["dana"]));

    // Dana sees nothing until the group is granted USE on the catalog.
    let dana = basic("dana", "correct horse battery");
    let (s, body) = call(&app, &dana, Method::GET, &format!("{uc}/catalogs/prod"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error_code"], "PERMISSION_DENIED");
    assert!(body["message"].as_str().unwrap().contains("USE CATALOG"), "{body}");
    let listed = ok(call(&app, &dana, Method::GET, &format!("{uc}/catalogs"), None).await);
    assert_eq!(listed["catalogs"], json!([]));

    let patch = json!({"changes": [{"principal": "ml-team", "add": ["USE_CATALOG", "USE_SCHEMA", "EXECUTE"]}]});
    let granted = ok(call(&app, &admin, Method::PATCH, &format!("{uc}/permissions/catalog/prod"), Some(patch)).await);
    assert_eq!(
        granted["privilege_assignments"],
        json!([{"principal": "ml-team", "privileges": ["EXECUTE", "USE_CATALOG", "USE_SCHEMA"]}])
    );
    ok(call(&app, &dana, Method::GET, &format!("{uc}/catalogs/prod"), None).await);
    let listed = ok(call(&app, &dana, Method::GET, &format!("{uc}/schemas?catalog_name=prod"), None).await);
    assert_eq!(listed["schemas"][0]["full_name"], "prod.ml");

    // Effective permissions on the schema: inherited from the catalog, through the group.
    let eff =
        ok(call(&app, &admin, Method::GET, &format!("{uc}/effective-permissions/schema/prod.ml?principal=dana"), None)
            .await);
    let privileges = &eff["privilege_assignments"][0]["privileges"];
    assert!(
        privileges.as_array().unwrap().iter().any(|p| p["privilege"] == "EXECUTE"
            && p["inherited_from_type"] == "catalog"
            && p["inherited_from_name"] == "prod"
            && p["granted_to"] == "ml-team"),
        "{eff}"
    );

    // Dana may not grant, nor use the admin API; neither may a bad request slip through.
    let patch = json!({"changes": [{"principal": "dana", "add": ["MANAGE"]}]});
    let (s, _) = call(&app, &dana, Method::PATCH, &format!("{uc}/permissions/catalog/prod"), Some(patch)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(&app, &dana, Method::GET, "/api/quiver/v1/users", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let patch = json!({"changes": [{"principal": "dana", "add": ["FLY"]}]});
    let (s, body) = call(&app, &admin, Method::PATCH, &format!("{uc}/permissions/schema/prod.ml"), Some(patch)).await;
    assert_eq!((s, body["error_code"].as_str()), (StatusCode::BAD_REQUEST, Some("INVALID_PARAMETER_VALUE")), "{body}");
    let (s, _) = call(&app, &admin, Method::GET, &format!("{uc}/permissions/table/prod.ml"), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(&app, "Bearer nope", Method::GET, &format!("{uc}/catalogs"), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // A service principal authenticates with its token only.
    ok(call(&app, &admin, Method::POST, "/api/quiver/v1/service-principals", Some(json!({"name": "ci-bot"}))).await);
    let token = ok(call(
        &app,
        &admin,
        Method::POST,
        "/api/quiver/v1/service-principals/ci-bot/tokens",
        Some(json!({"name": "deploy"})),
    )
    .await);
    let bearer = format!("Bearer {}", token["secret"].as_str().unwrap());
    let me = ok(call(&app, &bearer, Method::GET, "/api/quiver/v1/me", None).await);
    assert_eq!(me["username"], "ci-bot");
    let (s, _) = call(&app, &basic("ci-bot", "anything at all"), Method::GET, "/api/quiver/v1/me", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // The audit log holds the grant and the refusals, and exports as JSON lines.
    let log = ok(call(&app, &admin, Method::GET, "/api/quiver/v1/audit?outcome=denied", None).await);
    assert!(log["items"].as_array().unwrap().iter().all(|e| e["outcome"] == "denied"), "{log}");
    assert!(log["items"].as_array().unwrap().iter().any(|e| e["principal"] == "dana"), "{log}");
    let r = reqwest::Client::new()
        .get(format!("{}/api/quiver/v1/audit?action=grants&format=jsonl", app.base))
        .header("authorization", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await.unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!lines.is_empty() && lines.iter().all(|e| e["action"] == "grants.updated"), "{text}");
}

#[tokio::test]
async fn the_openapi_document_describes_every_quiver_endpoint() {
    let app = spawn(ServiceConfig::default()).await;
    // Public: describing the API gives nothing away.
    let r = reqwest::get(format!("{}/api/openapi.json", app.base)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("get", "/api/quiver/v1/me"),
        ("get", "/api/quiver/v1/catalogs"),
        ("post", "/api/quiver/v1/catalogs"),
        ("get", "/api/quiver/v1/catalogs/{name}"),
        ("get", "/api/quiver/v1/tokens"),
        ("post", "/api/quiver/v1/tokens"),
        ("delete", "/api/quiver/v1/tokens/{id}"),
        ("get", "/api/quiver/v1/users"),
        ("post", "/api/quiver/v1/users"),
        ("get", "/api/quiver/v1/users/{name}"),
        ("post", "/api/quiver/v1/users/{name}/disable"),
        ("post", "/api/quiver/v1/users/{name}/enable"),
        ("post", "/api/quiver/v1/users/{name}/password"),
        ("get", "/api/quiver/v1/groups"),
        ("post", "/api/quiver/v1/groups"),
        ("get", "/api/quiver/v1/groups/{name}"),
        ("post", "/api/quiver/v1/groups/{name}/members"),
        ("delete", "/api/quiver/v1/groups/{name}/members/{username}"),
        ("get", "/api/quiver/v1/service-principals"),
        ("post", "/api/quiver/v1/service-principals"),
        ("post", "/api/quiver/v1/service-principals/{name}/tokens"),
        ("get", "/api/quiver/v1/principals"),
        ("get", "/api/quiver/v1/audit"),
        ("get", "/api/2.1/unity-catalog/permissions/{securable_type}/{full_name}"),
        ("patch", "/api/2.1/unity-catalog/permissions/{securable_type}/{full_name}"),
        ("get", "/api/2.1/unity-catalog/effective-permissions/{securable_type}/{full_name}"),
    ];
    for (method, path) in expected {
        let op = &paths.get(path).unwrap_or_else(|| panic!("{path} is not described"))[method];
        assert!(op.is_object(), "{method} {path} is not described");
        assert!(op["security"].is_array(), "{method} {path} says nothing about credentials");
    }
    // Every described Quiver path answers (with credentials) something other than 404/405.
    let admin = basic("admin", ADMIN_PASSWORD);
    for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/api/quiver/v1/") && !p.contains('{')) {
        if item.get("get").is_some() {
            let (s, _) = call(&app, &admin, Method::GET, path, None).await;
            assert!(s != StatusCode::NOT_FOUND && s != StatusCode::METHOD_NOT_ALLOWED, "GET {path}: {s}");
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in ["User", "Group", "AuditEntry", "PermissionsChange", "EffectivePrivilege"] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
}

/// CI reports deployment checks as a service principal holding REPORT CHECKS (not MANAGE), over
/// REST: each state replaces the last, times are kept, bad reports are refused naming the field,
/// and readers list them. A protected-alias policy with a rule Quiver does not know is refused.
#[tokio::test]
async fn ci_reports_deployment_checks_and_unknown_policy_rules_are_refused() {
    let app = spawn(ServiceConfig::default()).await;
    let admin = basic("admin", ADMIN_PASSWORD);
    let ok = |(s, b): (StatusCode, Value)| {
        assert_eq!(s, StatusCode::OK, "{b}");
        b
    };
    let a = quiver::services::system_actor(quiver::services::governance::Source::Cli);
    app.quiver.create_catalog(&a, "prod", "").await.unwrap();
    app.quiver.create_schema(&a, "prod", "ml", "").await.unwrap();
    app.quiver.create_model(&a, "prod", "ml", "fraud", "").await.unwrap();
    let p = quiver::names::ModelPath::parse_full("prod.ml.fraud").unwrap();
    let v = quiver::services::registry::NewVersion { source: "s3://b/1".into(), ..Default::default() };
    app.quiver.create_version(&a, &p, v).await.unwrap();

    ok(call(&app, &admin, Method::POST, "/api/quiver/v1/service-principals", Some(json!({"name": "ci-bot"}))).await);
    let grant = json!({"changes": [{"principal": "ci-bot", "add": ["USE_CATALOG", "USE_SCHEMA", "REPORT_CHECKS"]}]});
    ok(call(&app, &admin, Method::PATCH, "/api/2.1/unity-catalog/permissions/catalog/prod", Some(grant)).await);
    let token = ok(call(
        &app,
        &admin,
        Method::POST,
        "/api/quiver/v1/service-principals/ci-bot/tokens",
        Some(json!({"name": "ci"})),
    )
    .await);
    let bot = format!("Bearer {}", token["secret"].as_str().unwrap());
    let checks = "/api/quiver/v1/models/prod.ml.fraud/versions/1/checks";

    let running = ok(call(
        &app,
        &bot,
        Method::PUT,
        &format!("{checks}/eval%2Faccuracy"),
        Some(json!({"status": "in_progress", "details_url": "https://ci.example.com/runs/7"})),
    )
    .await);
    assert_eq!((running["name"].as_str(), running["status"].as_str()), (Some("eval/accuracy"), Some("in_progress")));
    assert!(running["started_at"].is_string(), "{running}");
    assert_eq!(running["reported_by"], "ci-bot");
    let done = ok(call(
        &app,
        &bot,
        Method::PUT,
        &format!("{checks}/eval%2Faccuracy"),
        Some(json!({"status": "completed", "conclusion": "success", "details_url": "https://ci.example.com/runs/7",
            "summary": "accuracy **0.93** (threshold 0.9)"})),
    )
    .await);
    assert_eq!(done["conclusion"], "success");
    assert_eq!(done["started_at"], running["started_at"], "the start is kept");
    assert!(done["completed_at"].is_string());

    // Refusals: each names its field, in the API's error shape; nothing is written.
    for (body, field) in [
        (json!({"status": "completed"}), "conclusion"),
        (json!({"status": "queued", "details_url": "javascript:alert(1)"}), "details_url"),
        (json!({"status": "queued", "conclusoin": "success"}), "conclusoin"),
        (json!({"status": "finished"}), "finished"),
    ] {
        let (s, e) = call(&app, &bot, Method::PUT, &format!("{checks}/lint"), Some(body)).await;
        assert_eq!((s, e["error_code"].as_str()), (StatusCode::BAD_REQUEST, Some("INVALID_PARAMETER_VALUE")), "{e}");
        let named = e["field"].as_str() == Some(field) || e["message"].as_str().unwrap().contains(field);
        assert!(named, "{field}: {e}");
    }
    let (s, e) = call(
        &app,
        &bot,
        Method::PUT,
        "/api/quiver/v1/models/prod.ml.fraud/versions/9/checks/lint",
        Some(json!({"status": "queued"})),
    )
    .await;
    assert_eq!((s, e["error_code"].as_str()), (StatusCode::NOT_FOUND, Some("RESOURCE_DOES_NOT_EXIST")), "{e}");
    // REPORT CHECKS is not MANAGE.
    let (s, e) = call(
        &app,
        &bot,
        Method::PATCH,
        "/api/2.1/unity-catalog/permissions/registered_model/prod.ml.fraud",
        Some(json!({"changes": [{"principal": "ci-bot", "add": ["MANAGE"]}]})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");

    let listed = ok(call(&app, &admin, Method::GET, checks, None).await);
    let names: Vec<&str> = listed["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["eval/accuracy"], "refused reports left nothing");
    assert_eq!(listed["checks"][0]["summary"], "accuracy **0.93** (threshold 0.9)");

    // Activity: one entry per change of state, in a sentence.
    let activity = app
        .quiver
        .list_activity(&a, &p, Some(1), &Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.action == "model_version_check.updated")
        .map(|e| e.summary())
        .collect::<Vec<_>>();
    assert_eq!(
        activity,
        [
            "reported check \"eval/accuracy\" on version 1: success (was in progress)",
            "reported check \"eval/accuracy\" on version 1: in progress"
        ]
    );

    // A policy rule Quiver does not know (here a typo) is refused naming it, not dropped.
    let policy_url = "/api/quiver/v1/protected-aliases/registered_model/prod.ml.fraud";
    let (s, e) = call(
        &app,
        &admin,
        Method::PUT,
        policy_url,
        Some(json!({"aliases": ["Champion"], "required_checks": ["eval/accuracy"], "metric_threshold": "auc > 0.9"})),
    )
    .await;
    assert_eq!((s, e["error_code"].as_str()), (StatusCode::BAD_REQUEST, Some("INVALID_PARAMETER_VALUE")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("metric_threshold"), "{e}");
    let policy = ok(call(&app, &admin, Method::GET, policy_url, None).await);
    assert_eq!(policy["defined"], false, "nothing was set: {policy}");

    // The rules as meant: CI waits on the request's evaluation over REST.
    let rules = json!({"aliases": ["Champion"], "required_checks": ["eval/accuracy", "bias"],
        "metric_thresholds": [{"metric": "auc", "op": ">=", "value": 0.9}]});
    let set = ok(call(&app, &admin, Method::PUT, policy_url, Some(rules)).await);
    assert_eq!(set["policy"]["required_checks"], json!(["eval/accuracy", "bias"]));
    let ask = json!({"model": "prod.ml.fraud", "version": 1, "alias": "Champion", "action": "set"});
    let request = ok(call(&app, &admin, Method::POST, "/api/quiver/v1/approval-requests", Some(ask)).await);
    let detail = ok(call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/quiver/v1/approval-requests/{}", request["id"].as_str().unwrap()),
        None,
    )
    .await);
    let states: Vec<(String, String)> = detail["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rule"].as_str().unwrap().to_string(), r["state"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        states,
        [
            ("check eval/accuracy".to_string(), "passed".to_string()),
            ("check bias".to_string(), "waiting".to_string()),
            ("auc >= 0.9".to_string(), "failing".to_string()),
        ],
        "{detail}"
    );
}
