//! The real app on a random loopback port, over HTTP: sign-in, throttling, sessions, tokens, 401s.

use std::time::Duration;

use quiver::ServiceConfig;
use quiver::services::governance::Source;
use quiver::services::system_actor;
use reqwest::StatusCode;
use support::*;

mod support;

#[tokio::test]
async fn pages_need_a_session_and_sign_in_sets_a_safe_cookie() {
    let app = spawn(ServiceConfig::default()).await;
    let c = client();
    let r = c.get(&format!("{}/explore", app.base)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=/explore");
    let r = c.get(&format!("{}/login", app.base)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Sign in"));

    let r = login(&c, &app, "admin", ADMIN_PASSWORD).await;
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("quiver_session=qvs_"), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert!(!cookie.contains("Secure"), "plain http gets no Secure flag");

    // Signed in: pages render on the server with the user in the header.
    app.quiver.create_catalog(&system_actor(Source::Cli), "prod", "Production models").await.unwrap();
    let r = c.get(&format!("{}/explore", app.base)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("prod") && html.contains("Production models"), "catalog list is server-rendered");
    assert!(html.contains("admin"), "the signed-in user shows in the header");
    // A missing object is a real 404.
    let r = c.get(&format!("{}/explore/nope", app.base)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("does not exist"));

    // Signing out ends the session on the server, not only in the browser.
    let r = c.post(&format!("{}/api/logout", app.base)).await;
    assert!(r.status().is_success() || r.status().is_redirection());
    let r = c.get(&format!("{}/explore", app.base)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_look_the_same_and_are_throttled() {
    let app = spawn(ServiceConfig { login_max_failures: 3, ..ServiceConfig::default() }).await;
    let c = client();
    let wrong = login(&c, &app, "admin", "not-the-password").await;
    let wrong_status = wrong.status();
    let wrong_body = wrong.text().await.unwrap();
    let unknown = login(&client(), &app, "nobody", "not-the-password").await;
    assert_eq!(unknown.status(), wrong_status);
    assert_eq!(unknown.text().await.unwrap(), wrong_body, "no user enumeration");
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert!(wrong_body.contains("Invalid username or password."));

    login(&c, &app, "admin", "nope-2").await;
    login(&c, &app, "admin", "nope-3").await;
    // Locked now, even with the right password.
    let r = login(&c, &app, "admin", ADMIN_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Too many failed sign-ins"));
}

#[tokio::test]
async fn sessions_expire_when_idle() {
    let app = spawn(ServiceConfig { session_idle: Duration::from_secs(1), ..ServiceConfig::default() }).await;
    let c = client();
    let r = login(&c, &app, "admin", ADMIN_PASSWORD).await;
    assert!(r.headers().contains_key("set-cookie"));
    let r = c.get(&format!("{}/explore", app.base)).await;
    assert_eq!(r.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = c.get(&format!("{}/explore", app.base)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "expired session redirects to sign-in");
}

#[tokio::test]
async fn api_needs_a_valid_token() {
    let app = spawn(ServiceConfig::default()).await;
    let c = client();
    let me = format!("{}/api/quiver/v1/me", app.base);

    let r = c.get(&me).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body = json(r).await;
    assert_eq!(body["error_code"], "UNAUTHENTICATED");
    // Server functions are API calls too.
    let r = c.post(&format!("{}/api/current_user", app.base)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let r = c.get_bearer(&me, "qvp_made_up").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let admin = admin_actor(&app).await;
    let token = app.quiver.create_token(&admin, "ci", Some(30)).await.unwrap();
    let r = c.get_bearer(&me, &token.secret).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = json(r).await;
    assert_eq!(body["username"], "admin");

    // The token works for the REST API…
    let r = c
        .post_json(
            &format!("{}/api/quiver/v1/catalogs", app.base),
            &token.secret,
            serde_json::json!({"name": "staging", "comment": "pre-prod"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .post_json(
            &format!("{}/api/quiver/v1/catalogs", app.base),
            &token.secret,
            serde_json::json!({"name": "bad name"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = json(r).await;
    assert_eq!(body["error_code"], "INVALID_PARAMETER_VALUE");
    assert_eq!(body["field"], "name");

    // …and stops working when revoked.
    app.quiver.revoke_token(&admin, &token.token.id).await.unwrap();
    let r = c.get_bearer(&me, &token.secret).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

async fn admin_actor(app: &App) -> quiver::services::governance::Actor {
    let session = app.quiver.login("admin", ADMIN_PASSWORD, &sign_in_from(Source::Ui)).await.unwrap();
    quiver::services::governance::Actor { principal: session.principal, source: Source::Rest, request_id: "t".into() }
}

/// The built assets have their own route: served by Leptos' fallback handler, the WASM now and
/// then got the 404 status of a page rendered at the same time (seen in the browser tests: the
/// page never became interactive). Among concurrent 404 pages they answer 200, carry
/// `no-cache`, and answer 304 when unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_keep_their_status_while_404_pages_render() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/quiver.wasm"), vec![0u8; 64 * 1024]).unwrap();
    let app = spawn_with_site(ServiceConfig::default(), site.path().to_str().unwrap()).await;
    let c = client();
    let r = login(&c, &app, "admin", ADMIN_PASSWORD).await;
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    assert!(c.cookie.lock().unwrap().is_some(), "signed in");
    let mut tasks = Vec::new();
    for i in 0..40 {
        let url = if i % 2 == 0 {
            format!("{}/pkg/quiver.wasm", app.base)
        } else {
            format!("{}/explore/nope/nope/nope{i}", app.base)
        };
        let req = c.http.get(&url);
        let req = match c.cookie.lock().unwrap().clone() {
            Some(cookie) => req.header("cookie", cookie),
            None => req,
        };
        tasks.push(tokio::spawn(async move { (i, req.send().await.unwrap().status()) }));
    }
    for t in tasks {
        let (i, status) = t.await.unwrap();
        let expected = if i % 2 == 0 { StatusCode::OK } else { StatusCode::NOT_FOUND };
        assert_eq!(status, expected, "request {i}");
    }
    let r = c.get(&format!("{}/pkg/quiver.wasm", app.base)).await;
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let modified = r.headers()["last-modified"].to_str().unwrap().to_string();
    let again =
        c.http.get(format!("{}/pkg/quiver.wasm", app.base)).header("if-modified-since", modified).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}
