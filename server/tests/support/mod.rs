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

pub async fn spawn(config: ServiceConfig) -> App {
    spawn_with_site(config, "target/site").await
}

pub async fn spawn_with_site(config: ServiceConfig, site_root: &str) -> App {
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
        trust_forwarded_for: false,
        mlflow: quiver_server::mlflow::MlflowConfig { create_namespaces: true },
    };
    let app = router(quiver.clone(), &http);
    tokio::spawn(async move { serve_on(listener, app).await.unwrap() });
    App { base: format!("http://{addr}"), quiver, artifacts }
}

/// A browser-like client: keeps the session cookie it is given, follows no redirects.
pub struct Client {
    pub http: reqwest::Client,
    pub cookie: std::sync::Mutex<Option<String>>,
}

pub fn client() -> Client {
    // A bounded wait: a request that hangs fails its test instead of stalling the run.
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    Client { http, cookie: Default::default() }
}

impl Client {
    pub async fn send(&self, req: reqwest::RequestBuilder) -> reqwest::Response {
        let cookie = self.cookie.lock().unwrap().clone();
        let req = match cookie {
            Some(c) => req.header("cookie", c),
            None => req,
        };
        let r = req.send().await.unwrap();
        if let Some(set) = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()) {
            let pair = set.split(';').next().unwrap_or("").to_string();
            *self.cookie.lock().unwrap() = if pair.ends_with('=') { None } else { Some(pair) };
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

pub async fn login(c: &Client, app: &App, user: &str, password: &str) -> reqwest::Response {
    let req = c
        .http
        .post(format!("{}/api/login", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={user}&password={password}"));
    c.send(req).await
}
