//! Shared by the HTTP tests: the real app on a random loopback port, and a small client.

#![allow(dead_code)]

use quiver::store::StoreConfig;
use quiver::{Quiver, ServiceConfig};
use quiver_server::http::{HttpConfig, router, serve_on};
use reqwest::redirect::Policy;

pub const ADMIN_PASSWORD: &str = "correct-horse-battery";

pub struct App {
    pub base: String,
    pub quiver: Quiver,
    /// The artifact root, removed when the test ends.
    pub artifacts: tempfile::TempDir,
}

/// `Authorization: Basic …` for a username and password.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// One JSON API call with an `Authorization` header: the status and the body (Null if not JSON).
pub async fn call(
    app: &App,
    auth: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", app.base)).header("authorization", auth);
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(body.to_string());
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, serde_json::from_str(&r.text().await.unwrap()).unwrap_or(serde_json::Value::Null))
}

/// Where a test's direct sign-in comes from.
pub fn sign_in_from(source: quiver::services::governance::Source) -> quiver::services::governance::SignInFrom {
    quiver::services::governance::SignInFrom { client: "test".into(), source, request_id: "test".into() }
}

pub async fn spawn(config: ServiceConfig) -> App {
    spawn_with_site(config, "target/site").await
}

pub async fn spawn_with_site(config: ServiceConfig, site_root: &str) -> App {
    spawn_full(config, site_root, Default::default()).await
}

/// The app behind proxies it trusts to say who the client is.
pub async fn spawn_behind(config: ServiceConfig, proxy_trust: quiver::auth::ProxyTrust) -> App {
    spawn_full(config, "target/site", proxy_trust).await
}

/// The bearer token /metrics accepts in these tests.
pub const METRICS_TOKEN: &str = "metrics-test-token";

pub async fn spawn_full(config: ServiceConfig, site_root: &str, proxy_trust: quiver::auth::ProxyTrust) -> App {
    let artifacts = tempfile::tempdir().unwrap();
    let config = ServiceConfig { artifact_root: artifacts.path().to_path_buf(), max_artifact_bytes: 1 << 20, ..config };
    let quiver = Quiver::open(&StoreConfig::memory(), config).await.unwrap();
    quiver.bootstrap_admin(Some(ADMIN_PASSWORD.into())).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let http = HttpConfig {
        site_root: site_root.into(),
        addr,
        session_ttl_secs: 3600,
        secure_cookies: false,
        proxy_trust,
        mlflow: quiver_server::mlflow::MlflowConfig { create_namespaces: true },
        metrics_token: Some(METRICS_TOKEN.into()),
    };
    let app = router(quiver.clone(), &http);
    tokio::spawn(async move { serve_on(listener, app).await.unwrap() });
    App { base: format!("http://{addr}"), quiver, artifacts }
}

/// A browser-like client: keeps the session cookie it is given and the page's anti-forgery
/// token, which it sends back on changes as Quiver's pages do (`/csrf.js`); follows no redirects.
pub struct Client {
    pub http: reqwest::Client,
    pub cookie: std::sync::Mutex<Option<String>>,
    pub csrf: std::sync::Mutex<Option<String>>,
}

pub fn client() -> Client {
    // A bounded wait: a request that hangs fails its test instead of stalling the run.
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    Client { http, cookie: Default::default(), csrf: Default::default() }
}

impl Client {
    /// The Cookie header this client sends.
    pub fn cookies(&self) -> Option<String> {
        let session = self.cookie.lock().unwrap().clone();
        let csrf = self.csrf.lock().unwrap().clone().map(|t| format!("quiver_csrf={t}"));
        let all: Vec<String> = session.into_iter().chain(csrf).collect();
        (!all.is_empty()).then(|| all.join("; "))
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> reqwest::Response {
        let mut req = req;
        if let Some(c) = self.cookies() {
            req = req.header("cookie", c);
        }
        let built = req.build().unwrap();
        let mut built = built;
        if built.method() != reqwest::Method::GET {
            if let Some(token) = self.csrf.lock().unwrap().clone() {
                built.headers_mut().insert("x-quiver-csrf", token.parse().unwrap());
            }
        }
        let r = self.http.execute(built).await.unwrap();
        for set in r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let pair = set.split(';').next().unwrap_or("").to_string();
            if let Some(token) = pair.strip_prefix("quiver_csrf=") {
                *self.csrf.lock().unwrap() = Some(token.to_string());
            } else {
                *self.cookie.lock().unwrap() = if pair.ends_with('=') { None } else { Some(pair) };
            }
        }
        r
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.send(self.http.get(url)).await
    }

    pub async fn post(&self, url: &str) -> reqwest::Response {
        self.send(self.http.post(url)).await
    }

    pub async fn get_bearer(&self, url: &str, token: &str) -> reqwest::Response {
        self.http.get(url).bearer_auth(token).send().await.unwrap()
    }

    pub async fn post_json(&self, url: &str, token: &str, body: serde_json::Value) -> reqwest::Response {
        let req = self.http.post(url).bearer_auth(token).header("content-type", "application/json");
        req.body(body.to_string()).send().await.unwrap()
    }
}

pub async fn json(r: reqwest::Response) -> serde_json::Value {
    serde_json::from_str(&r.text().await.unwrap()).expect("a JSON body")
}

/// Signs in through the sign-in form, as the page does (which first hands out the form's token).
pub async fn login(c: &Client, app: &App, user: &str, password: &str) -> reqwest::Response {
    if c.csrf.lock().unwrap().is_none() {
        c.get(&format!("{}/login", app.base)).await;
    }
    let req = c
        .http
        .post(format!("{}/api/login", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={user}&password={password}"));
    c.send(req).await
}
