//! The doors, hardened: requests forged by other sites, client addresses behind proxies,
//! sign-in throttling that never throttles a valid password, what sign-ins and tokens leave in
//! the audit log, who may list principals, the headers every response carries, and how files
//! are served. The real app on a loopback port, over HTTP.

use quiver::ServiceConfig;
use quiver::auth::ProxyTrust;
use quiver::services::governance::Source;
use quiver::services::system_actor;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::*;

mod support;

async fn audit(app: &App, action: &str) -> Vec<Value> {
    let (s, log) =
        call(app, &basic("admin", ADMIN_PASSWORD), Method::GET, &format!("/api/quiver/v1/audit?action={action}"), None)
            .await;
    assert_eq!(s, StatusCode::OK, "{log}");
    log["items"].as_array().cloned().unwrap_or_default()
}

/// Where the `create_catalog` server function is served.
fn create_catalog() -> &'static str {
    <app::api::catalogs::CreateCatalog as leptos::server_fn::ServerFn>::PATH
}

/// A server function posted with the session cookie, as a page of `origin` would post it.
fn forged(c: &Client, app: &App, path: &str, body: &str) -> reqwest::RequestBuilder {
    let req = c
        .http
        .post(format!("{}{path}", app.base))
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string());
    match c.cookie.lock().unwrap().clone() {
        // Only the session cookie: another site's page cannot read the token's cookie.
        Some(session) => req.header("cookie", session),
        None => req,
    }
}

#[tokio::test]
async fn cookie_authenticated_changes_must_come_from_quivers_pages() {
    let app = spawn(ServiceConfig::default()).await;
    let c = client();
    let r = login(&c, &app, "admin", ADMIN_PASSWORD).await;
    assert!(r.status().is_redirection() || r.status().is_success(), "{}", r.status());
    let token = c.csrf.lock().unwrap().clone().expect("the sign-in hands the page its token");

    // Without the token: refused, nothing created, whatever the browser says about the origin.
    for headers in [vec![], vec![("sec-fetch-site", "same-origin")], vec![("origin", app.base.as_str())]] {
        let mut req = forged(&c, &app, create_catalog(), "name=forged&description=");
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.text().await.unwrap().contains("did not come from Quiver's own pages"));
    }
    // With the token, but sent by another origin (a page on the same host, another port:
    // the same site, so SameSite=Lax lets the cookie through).
    let other_origin = app.base.replace("127.0.0.1:", "127.0.0.1:1");
    for (k, v) in [("origin", other_origin.as_str()), ("sec-fetch-site", "same-site"), ("sec-fetch-site", "cross-site")]
    {
        let r = forged(&c, &app, create_catalog(), "name=forged&description=")
            .header("x-quiver-csrf", &token)
            .header(k, v)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{k}: {v}");
    }
    // A wrong token in the form field is no better.
    let r = forged(&c, &app, create_catalog(), "name=forged&description=&csrf=guess").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let admin = system_actor(Source::Cli);
    assert!(app.quiver.get_catalog(&admin, "forged").await.is_err(), "no forged request got through");

    // The REST API with the cookie: the same rule (a bodyless approve was the worst case).
    let r = forged(&c, &app, "/api/quiver/v1/approval-requests/nope/approve", "").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Quiver's own page: the token in the header (what /csrf.js adds) or the form field.
    let r = forged(&c, &app, create_catalog(), "name=real&description=")
        .header("x-quiver-csrf", &token)
        .header("sec-fetch-site", "same-origin")
        .header("origin", &app.base)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = forged(&c, &app, create_catalog(), &format!("name=real2&description=&csrf={token}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.headers());

    // API clients with a token or a password are unaffected, cookie or not.
    let (s, body) = call(
        &app,
        &basic("admin", ADMIN_PASSWORD),
        Method::POST,
        "/api/quiver/v1/catalogs",
        Some(json!({"name": "from_ci"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");

    // Login CSRF: signing in needs the sign-in page's token too.
    let fresh = client();
    let r = fresh
        .http
        .post(format!("{}/api/login", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username=admin&password={ADMIN_PASSWORD}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a sign-in posted from elsewhere is refused");
    assert!(!r.headers().get_all("set-cookie").iter().any(|v| v.to_str().unwrap().starts_with("quiver_session=")));
}

#[tokio::test]
async fn behind_a_proxy_the_address_it_saw_is_throttled_not_what_the_client_wrote() {
    let config = ServiceConfig { login_max_failures: 3, ..ServiceConfig::default() };
    let app = spawn_behind(config, ProxyTrust::OneHop).await;
    let me = format!("{}/api/quiver/v1/me", app.base);
    let http = reqwest::Client::new();
    // The attacker writes a new first entry each time; the proxy appends the address it saw.
    for i in 0..3 {
        let r = http
            .get(&me)
            .header("authorization", basic("admin", &format!("guess-{i}")))
            .header("x-forwarded-for", format!("10.9.9.{i}, 203.0.113.7"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = http
        .get(&me)
        .header("authorization", basic("admin", "guess-again"))
        .header("x-forwarded-for", "10.9.9.99, 203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "the address the proxy saw is paused");
    // Admin, elsewhere, is not locked out by someone guessing their password.
    let r = http
        .get(&me)
        .header("authorization", basic("admin", ADMIN_PASSWORD))
        .header("x-forwarded-for", "198.51.100.20")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // The audit log has the failures and the pause, with the address the proxy saw.
    let failed = audit(&app, "user.sign_in_failed").await;
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed.iter().all(|e| e["detail"].as_str().unwrap().contains("203.0.113.7")), "{failed:?}");
    let paused = audit(&app, "user.sign_in_paused").await;
    assert_eq!(paused.len(), 1, "{paused:?}");
    assert_eq!(paused[0]["principal"], "admin");
    let signed_in = audit(&app, "user.signed_in").await;
    assert!(signed_in.iter().any(|e| e["detail"].as_str().unwrap().contains("198.51.100.20")), "{signed_in:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_clients_with_the_right_password_is_never_throttled() {
    let app = spawn(ServiceConfig::default()).await;
    let me = format!("{}/api/quiver/v1/me", app.base);
    let http = reqwest::Client::new();
    let requests = (0..20).map(|_| {
        let (http, me) = (http.clone(), me.clone());
        tokio::spawn(async move {
            http.get(&me).header("authorization", basic("admin", ADMIN_PASSWORD)).send().await.unwrap().status()
        })
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(requests).await.into_iter().map(Result::unwrap).collect();
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    // One check served them all.
    assert_eq!(audit(&app, "user.signed_in").await.len(), 1);
}

#[tokio::test]
async fn tokens_are_audited_and_principals_are_for_those_who_grant() {
    let app = spawn(ServiceConfig::default()).await;
    let admin = basic("admin", ADMIN_PASSWORD);
    let ok = |(s, b): (StatusCode, Value)| {
        assert_eq!(s, StatusCode::OK, "{b}");
        b
    };
    ok(call(
        &app,
        &admin,
        Method::POST,
        "/api/quiver/v1/users",
        Some(json!({"username": "dana", "password": "correct horse battery"})),
    )
    .await);
    ok(call(&app, &admin, Method::POST, "/api/quiver/v1/catalogs", Some(json!({"name": "prod"}))).await);
    let uc = "/api/2.1/unity-catalog";
    let patch = json!({"changes": [{"principal": "dana", "add": ["USE_CATALOG"]}]});
    ok(call(&app, &admin, Method::PATCH, &format!("{uc}/permissions/catalog/prod"), Some(patch)).await);
    let dana = basic("dana", "correct horse battery");

    // Tokens: creation and revocation are in the audit log, the secret is not.
    let token = ok(call(&app, &dana, Method::POST, "/api/quiver/v1/tokens", Some(json!({"name": "laptop"}))).await);
    let id = token["token"]["id"].as_str().or(token["id"].as_str()).expect("a token id").to_string();
    ok(call(&app, &dana, Method::DELETE, &format!("/api/quiver/v1/tokens/{id}"), None).await);
    let created = audit(&app, "token.created").await;
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!((created[0]["principal"].as_str(), created[0]["securable"].as_str()), (Some("dana"), Some("dana")));
    assert!(created[0]["detail"].as_str().unwrap().contains("laptop"));
    let secret = token["secret"].as_str().unwrap();
    assert!(!created[0].to_string().contains(secret));
    assert_eq!(audit(&app, "token.revoked").await.len(), 1);

    // Readers cannot list who has accounts, nor look at someone else's privileges.
    let (s, _) = call(&app, &dana, Method::GET, "/api/quiver/v1/principals", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) =
        call(&app, &dana, Method::GET, "/api/quiver/v1/principals?securable_type=catalog&full_name=prod", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "USE CATALOG is not MANAGE");
    let (s, b) =
        call(&app, &dana, Method::GET, &format!("{uc}/effective-permissions/catalog/prod?principal=admin"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let mine =
        ok(call(&app, &dana, Method::GET, &format!("{uc}/effective-permissions/catalog/prod?principal=dana"), None)
            .await);
    assert!(mine.to_string().contains("USE_CATALOG"), "{mine}");
    // Those who manage the catalog may.
    let patch = json!({"changes": [{"principal": "dana", "add": ["MANAGE"]}]});
    ok(call(&app, &admin, Method::PATCH, &format!("{uc}/permissions/catalog/prod"), Some(patch)).await);
    let names =
        ok(call(&app, &dana, Method::GET, "/api/quiver/v1/principals?securable_type=catalog&full_name=prod", None)
            .await);
    assert!(names.to_string().contains("admin"), "{names}");
    ok(call(&app, &dana, Method::GET, &format!("{uc}/effective-permissions/catalog/prod?principal=admin"), None).await);
    ok(call(&app, &admin, Method::GET, "/api/quiver/v1/principals", None).await);
}

#[tokio::test]
async fn mlflow_creates_namespaces_through_the_rule_table() {
    let app = spawn(ServiceConfig::default()).await;
    let admin = basic("admin", ADMIN_PASSWORD);
    for user in ["erin", "finn"] {
        let body = json!({"username": user, "password": "correct horse battery"});
        assert_eq!(call(&app, &admin, Method::POST, "/api/quiver/v1/users", Some(body)).await.0, StatusCode::OK);
    }
    // Erin may create catalogs (and owns what she creates); Finn may not.
    let patch = json!({"changes": [{"principal": "erin", "add": ["CREATE_CATALOG"]}]});
    let (s, b) =
        call(&app, &admin, Method::PATCH, "/api/2.1/unity-catalog/permissions/metastore/metastore", Some(patch)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let create = |who: &str, name: &str| {
        let (auth, name) = (basic(who, "correct horse battery"), name.to_string());
        let app = &app;
        async move {
            call(app, &auth, Method::POST, "/api/2.0/mlflow/registered-models/create", Some(json!({"name": name})))
                .await
        }
    };
    let (s, b) = create("erin", "lab.exp.fraud").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let created: Vec<String> =
        audit(&app, "").await.iter().map(|e| e["action"].as_str().unwrap_or("").to_string()).collect();
    assert!(created.contains(&"catalog.created".to_string()) && created.contains(&"schema.created".to_string()));
    // Finn gets what registering into a missing schema gets, whether or not the catalog exists.
    let (s1, b1) = create("finn", "nowhere.exp.fraud").await;
    let (s2, b2) = create("finn", "lab.nowhere.fraud").await;
    assert_eq!(s1, s2, "{b1} / {b2}");
    assert_eq!(b1["error_code"], b2["error_code"]);
    let admin_actor = system_actor(Source::Cli);
    assert!(app.quiver.get_catalog(&admin_actor, "nowhere").await.is_err());
}

#[tokio::test]
async fn responses_carry_security_headers_and_files_download_as_attachments() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    let app = spawn_with_site(ServiceConfig::default(), site.path().to_str().unwrap()).await;
    let c = client();
    let r = c.get(&format!("{}/login", app.base)).await;
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    for part in ["frame-ancestors 'none'", "script-src 'self' 'nonce-", "'wasm-unsafe-eval'", "img-src 'self' data:"] {
        assert!(csp.contains(part), "{csp} lacks {part}");
    }
    assert!(!csp.contains("unsafe-inline'; img") || !csp.contains("script-src 'self' 'unsafe-inline'"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["referrer-policy"], "same-origin");
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_string();
    let html = r.text().await.unwrap();
    // Every inline script carries this request's nonce (or the page would not hydrate).
    for script in html.split("<script").skip(1) {
        let tag = script.split('>').next().unwrap();
        assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "a script without the nonce: <script{tag}>");
    }
    let again = c.get(&format!("{}/login", app.base)).await;
    assert!(!again.headers()["content-security-policy"].to_str().unwrap().contains(&nonce), "a nonce per response");

    let (_, body) = call(&app, &basic("admin", ADMIN_PASSWORD), Method::GET, "/api/quiver/v1/me", None).await;
    assert_eq!(body["username"], "admin");
    let r = reqwest::Client::new()
        .get(format!("{}/api/quiver/v1/me", app.base))
        .header("authorization", basic("admin", ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));

    // A logged HTML file downloads; it never renders on Quiver's origin.
    let auth = basic("admin", ADMIN_PASSWORD);
    let (s, exp) =
        call(&app, &auth, Method::POST, "/api/2.0/mlflow/experiments/create", Some(json!({"name": "e"}))).await;
    assert_eq!(s, StatusCode::OK, "{exp}");
    let id = exp["experiment_id"].as_str().unwrap();
    let url = format!("{}/api/2.0/mlflow-artifacts/artifacts/{id}/x/report.html", app.base);
    let http = reqwest::Client::new();
    let put = http.put(&url).header("authorization", &auth).body("<script>alert(1)</script>").send().await.unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    let got = http.get(&url).header("authorization", &auth).send().await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(
        got.headers()["content-disposition"],
        "attachment; filename=\"report.html\"; filename*=UTF-8''report.html"
    );
    assert!(got.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    assert_eq!(got.headers()["content-type"], "application/octet-stream");
}

/// "Send test event" reports whether the receiver took it; what the receiver answered (which,
/// for an internal address, may be an internal service's data) only administrators see.
#[tokio::test]
async fn only_administrators_read_what_a_receiver_answered() {
    let app = spawn(ServiceConfig { webhook_allow_private: true, ..ServiceConfig::default() }).await;
    let router = axum::Router::new().route("/hook", axum::routing::post(|| async { "internal: db_password=hunter2" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let admin = basic("admin", ADMIN_PASSWORD);
    let ok = |(s, b): (StatusCode, Value)| {
        assert_eq!(s, StatusCode::OK, "{b}");
        b
    };
    ok(call(&app, &admin, Method::POST, "/api/quiver/v1/catalogs", Some(json!({"name": "prod"}))).await);
    ok(call(
        &app,
        &admin,
        Method::POST,
        "/api/2.1/unity-catalog/schemas",
        Some(json!({"name": "ml", "catalog_name": "prod"})),
    )
    .await);
    ok(call(
        &app,
        &admin,
        Method::POST,
        "/api/quiver/v1/users",
        Some(json!({"username": "olga", "password": "correct horse battery"})),
    )
    .await);
    let patch = json!({"changes": [{"principal": "olga", "add": ["USE_CATALOG"]}]});
    ok(call(&app, &admin, Method::PATCH, "/api/2.1/unity-catalog/permissions/catalog/prod", Some(patch)).await);
    let patch = json!({"changes": [{"principal": "olga", "add": ["USE_SCHEMA", "MANAGE"]}]});
    ok(call(&app, &admin, Method::PATCH, "/api/2.1/unity-catalog/permissions/schema/prod.ml", Some(patch)).await);
    let olga = basic("olga", "correct horse battery");
    let body =
        json!({"url": url, "events": ["model_version.created"], "scope": {"type": "schema", "full_name": "prod.ml"}});
    let created = ok(call(&app, &olga, Method::POST, "/api/quiver/v1/webhooks", Some(body)).await);
    let hook = created["webhook"]["id"].as_str().unwrap().to_string();

    let test = ok(call(&app, &olga, Method::POST, &format!("/api/quiver/v1/webhooks/{hook}/test"), None).await);
    assert_eq!(test["success"], true, "{test}");
    assert_eq!(test["status"], 200);
    assert!(!test.to_string().contains("hunter2"), "{test}");
    let log = ok(call(&app, &olga, Method::GET, &format!("/api/quiver/v1/webhooks/{hook}/deliveries"), None).await);
    assert!(!log.to_string().contains("hunter2"), "{log}");
    // Administrators debugging a receiver see its answer.
    let test = ok(call(&app, &admin, Method::POST, &format!("/api/quiver/v1/webhooks/{hook}/test"), None).await);
    assert!(test["response"].as_str().unwrap().contains("hunter2"), "{test}");
    let log = ok(call(&app, &admin, Method::GET, &format!("/api/quiver/v1/webhooks/{hook}/deliveries"), None).await);
    assert!(log.to_string().contains("hunter2"), "{log}");
}

/// Artifact quotas over MLflow's artifact API: a full quota is RESOURCE_EXHAUSTED (507, which
/// clients do not retry), and administrators see what is stored.
#[tokio::test]
async fn uploads_past_a_quota_are_refused_as_resource_exhausted() {
    let app = spawn(ServiceConfig { experiment_quota_bytes: 1000, ..ServiceConfig::default() }).await;
    let auth = basic("admin", ADMIN_PASSWORD);
    let (s, exp) =
        call(&app, &auth, Method::POST, "/api/2.0/mlflow/experiments/create", Some(json!({"name": "q"}))).await;
    assert_eq!(s, StatusCode::OK, "{exp}");
    let id = exp["experiment_id"].as_str().unwrap();
    let http = reqwest::Client::new();
    let put = |name: &str, len: usize| {
        http.put(format!("{}/api/2.0/mlflow-artifacts/artifacts/{id}/r/{name}", app.base))
            .header("authorization", &auth)
            .body(vec![1u8; len])
            .send()
    };
    assert_eq!(put("a.bin", 700).await.unwrap().status(), StatusCode::OK);
    let r = put("b.bin", 400).await.unwrap();
    assert_eq!(r.status().as_u16(), 507);
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(body["error_code"], "RESOURCE_EXHAUSTED", "{body}");
    let (s, usage) = call(&app, &auth, Method::GET, "/api/quiver/v1/artifact-usage", None).await;
    assert_eq!(s, StatusCode::OK, "{usage}");
    assert_eq!(usage["experiment_quota_bytes"], 1000);
    assert_eq!(usage["experiments"][0]["bytes"], 700);
    assert_eq!(usage["users"][0]["name"], "admin");
    let body = json!({"username": "dana", "password": "correct horse battery"});
    assert_eq!(call(&app, &auth, Method::POST, "/api/quiver/v1/users", Some(body)).await.0, StatusCode::OK);
    let (s, _) =
        call(&app, &basic("dana", "correct horse battery"), Method::GET, "/api/quiver/v1/artifact-usage", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
