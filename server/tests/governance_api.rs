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
