//! Several `quiver serve` processes on one SurrealDB server (`ws://`, as a database user), as a
//! company runs them behind a load balancer: the real binary, the real server (`surreal` from
//! `tools/surreal`, which `scripts/test.sh` builds and names in `QUIVER_SURREAL`).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ADMIN: &str = "cluster-admin-password";
const DB_PASS: &str = "quiver-db-pass";

struct Proc {
    child: Child,
    name: String,
    log: PathBuf,
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.id()
    }
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn surreal_binary() -> PathBuf {
    if let Ok(path) = std::env::var("QUIVER_SURREAL") {
        return path.into();
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("debug").join("surreal")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A SurrealDB server with Quiver's namespace, database and database user defined (as root).
struct Cluster {
    _surreal: Proc,
    surreal_addr: String,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl Cluster {
    async fn start() -> Cluster {
        let bin = surreal_binary();
        assert!(bin.exists(), "{} is missing: cargo build --manifest-path tools/surreal/Cargo.toml", bin.display());
        let dir = tempfile::tempdir().unwrap();
        let addr = format!("127.0.0.1:{}", free_port());
        let log = dir.path().join("surreal.log");
        let child = Command::new(bin)
            .args(["start", "--username", "root", "--password", "root", "--bind", &addr, "memory"])
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("start surreal");
        let surreal = Proc { child, name: "surreal".into(), log };
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(&addr).await.is_err() {
            assert!(Instant::now() < deadline, "surreal did not start listening on {addr}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        // What an operator runs once, as root.
        let sql = format!(
            "DEFINE NAMESPACE quiver; USE NS quiver; DEFINE DATABASE quiver; USE NS quiver DB quiver;
             DEFINE USER quiver ON DATABASE PASSWORD '{DB_PASS}' ROLES OWNER;"
        );
        let res = http
            .post(format!("http://{addr}/sql"))
            .basic_auth("root", Some("root"))
            .header("accept", "application/json")
            .body(sql)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body = res.text().await.unwrap();
        assert!(status.is_success() && !body.contains("\"ERR\""), "defining Quiver's user: {status} {body}");
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("secret.key"), hex(&[7u8; 32])).unwrap();
        Cluster { _surreal: surreal, surreal_addr: addr, dir, http }
    }

    /// Starts `quiver serve` (not waiting for it) with the shared data directory and key.
    fn spawn(&self, name: &str, extra: &[&str]) -> (Proc, String) {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let log = self.dir.path().join(format!("{name}.log"));
        let data = self.dir.path().join("data");
        let key = self.dir.path().join("secret.key");
        let mut args = vec![
            "serve".to_string(),
            "--addr".into(),
            addr.clone(),
            "--db".into(),
            format!("ws://{}", self.surreal_addr),
            "--db-user".into(),
            "quiver".into(),
            "--db-pass".into(),
            DB_PASS.into(),
            "--data-dir".into(),
            data.display().to_string(),
            "--webhook-allow-private".into(),
            "--metrics-token".into(),
            "cluster-metrics".into(),
        ];
        if !extra.contains(&"--secret-key-file") {
            args.extend(["--secret-key-file".to_string(), key.display().to_string()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new(env!("CARGO_BIN_EXE_quiver"))
            .args(&args)
            .env("QUIVER_ADMIN_PASSWORD", ADMIN)
            .env("RUST_LOG", "info,surrealdb=warn")
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
            .spawn()
            .expect("start quiver");
        (Proc { child, name: name.into(), log }, format!("http://{addr}"))
    }

    async fn ready(&self, proc: &mut Proc, base: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = self.http.get(format!("{base}/readyz")).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            if let Ok(Some(status)) = proc.child.try_wait() {
                let err = std::fs::read_to_string(proc.log.with_extension("err")).unwrap_or_default();
                panic!("{} exited ({status}) before it was ready:\n{}\n{err}", proc.name, proc.log());
            }
            assert!(Instant::now() < deadline, "{} was not ready in time:\n{}", proc.name, proc.log());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Two processes started at the same moment (they race to migrate the empty store).
    async fn pair(&self, extra: &[&str]) -> ((Proc, String), (Proc, String)) {
        let (mut a, base_a) = self.spawn("a", extra);
        let (mut b, base_b) = self.spawn("b", extra);
        self.ready(&mut a, &base_a).await;
        self.ready(&mut b, &base_b).await;
        ((a, base_a), (b, base_b))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

enum Auth<'a> {
    Basic(&'a str, &'a str),
    Bearer(&'a str),
}

async fn call(http: &reqwest::Client, auth: &Auth<'_>, method: &str, url: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = http.request(method.parse().unwrap(), url);
    req = match auth {
        Auth::Basic(u, p) => req.basic_auth(u, Some(p)),
        Auth::Bearer(t) => req.bearer_auth(t),
    };
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn ok((status, body): (u16, Value)) -> Value {
    assert!((200..300).contains(&status), "{status}: {body}");
    body
}

const ADMIN_AUTH: Auth<'static> = Auth::Basic("admin", ADMIN);

async fn create_model(http: &reqwest::Client, base: &str, name: &str) {
    ok(call(
        http,
        &ADMIN_AUTH,
        "POST",
        &format!("{base}/api/2.0/mlflow/registered-models/create"),
        Some(json!({ "name": name })),
    )
    .await);
}

async fn create_user(http: &reqwest::Client, base: &str, username: &str, password: &str) {
    let body = json!({ "username": username, "password": password });
    ok(call(http, &ADMIN_AUTH, "POST", &format!("{base}/api/quiver/v1/users"), Some(body)).await);
}

async fn register(http: &reqwest::Client, base: &str, name: &str) -> (u16, Value) {
    call(
        http,
        &ADMIN_AUTH,
        "POST",
        &format!("{base}/api/2.0/mlflow/model-versions/create"),
        Some(json!({ "name": name, "source": "s3://bucket/model" })),
    )
    .await
}

async fn versions_of(http: &reqwest::Client, base: &str, name: &str) -> BTreeSet<i64> {
    let mut found = BTreeSet::new();
    let mut token = String::new();
    loop {
        let url = format!(
            "{base}/api/2.0/mlflow/model-versions/search?filter=name%3D%27{name}%27&max_results=200&page_token={token}"
        );
        let page = ok(call(http, &ADMIN_AUTH, "GET", &url, None).await);
        for v in page["model_versions"].as_array().cloned().unwrap_or_default() {
            found.insert(v["version"].as_str().unwrap().parse::<i64>().unwrap());
        }
        match page["next_page_token"].as_str() {
            Some(t) if !t.is_empty() => token = t.to_string(),
            _ => return found,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_one_surrealdb_server_act_as_one_quiver() {
    let cluster = Cluster::start().await;
    let http = cluster.http.clone();
    let ((_a, a), (_b, b)) = cluster.pair(&["--login-max-failures", "5"]).await;

    // A write on A is read on B at once.
    ok(call(&http, &ADMIN_AUTH, "POST", &format!("{a}/api/quiver/v1/catalogs"), Some(json!({ "name": "shared" })))
        .await);
    ok(call(&http, &ADMIN_AUTH, "GET", &format!("{b}/api/quiver/v1/catalogs/shared"), None).await);

    // 50 concurrent registrations split across the two processes: exactly 1..=50.
    let model = "main.default.fifty";
    create_model(&http, &a, model).await;
    let regs = (0..50).map(|i| {
        let (http, base) = (http.clone(), if i % 2 == 0 { a.clone() } else { b.clone() });
        async move { ok(register(&http, &base, model).await)["model_version"]["version"].as_str().unwrap().to_string() }
    });
    let numbers: BTreeSet<i64> = futures::future::join_all(regs).await.iter().map(|v| v.parse().unwrap()).collect();
    assert_eq!(numbers, (1..=50).collect::<BTreeSet<i64>>(), "gap-free and without duplicates");
    assert_eq!(versions_of(&http, &b, model).await, numbers);

    // An approval is applied once, however many approvers press at the same time on both.
    ok(call(
        &http,
        &ADMIN_AUTH,
        "POST",
        &format!("{a}/api/2.0/mlflow/registered-models/alias"),
        Some(json!({ "name": model, "alias": "Champion", "version": "1" })),
    )
    .await);
    ok(call(
        &http,
        &ADMIN_AUTH,
        "PUT",
        &format!("{b}/api/quiver/v1/protected-aliases/registered_model/{model}"),
        Some(json!({ "aliases": ["Champion"], "required_approvals": 1, "allow_self_approval": true })),
    )
    .await);
    let ask = json!({ "model": model, "version": 2, "alias": "Champion", "action": "set", "justification": "v2" });
    let request =
        ok(call(&http, &ADMIN_AUTH, "POST", &format!("{a}/api/quiver/v1/approval-requests"), Some(ask)).await);
    let id = request["id"].as_str().unwrap().to_string();
    let presses = (0..6).map(|i| {
        let (http, base, id) = (http.clone(), if i % 2 == 0 { a.clone() } else { b.clone() }, id.clone());
        async move {
            call(&http, &ADMIN_AUTH, "POST", &format!("{base}/api/quiver/v1/approval-requests/{id}/approve"), None)
                .await
                .0
        }
    });
    let statuses = futures::future::join_all(presses).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "applied once: {statuses:?}");
    assert!(statuses.iter().all(|s| [200, 409].contains(s)), "the others are told it is decided: {statuses:?}");
    let alias = ok(call(
        &http,
        &ADMIN_AUTH,
        "GET",
        &format!("{b}/api/2.0/mlflow/registered-models/alias?name={model}&alias=Champion"),
        None,
    )
    .await);
    assert_eq!(alias["model_version"]["version"], "2");

    // Disabling a user on A ends their Basic and token access on B at once, cached or not.
    create_user(&http, &a, "dana", "dana-password-1").await;
    let dana = Auth::Basic("dana", "dana-password-1");
    ok(call(&http, &dana, "GET", &format!("{b}/api/quiver/v1/me"), None).await);
    let token = ok(call(&http, &dana, "POST", &format!("{b}/api/quiver/v1/tokens"), Some(json!({ "name": "t" }))).await)
        ["secret"]
        .as_str()
        .unwrap()
        .to_string();
    ok(call(&http, &Auth::Bearer(&token), "GET", &format!("{b}/api/quiver/v1/me"), None).await);
    ok(call(&http, &dana, "GET", &format!("{b}/api/quiver/v1/me"), None).await);
    ok(call(&http, &ADMIN_AUTH, "POST", &format!("{a}/api/quiver/v1/users/dana/disable"), None).await);
    assert_eq!(call(&http, &dana, "GET", &format!("{b}/api/quiver/v1/me"), None).await.0, 401, "Basic on B");
    assert_eq!(call(&http, &Auth::Bearer(&token), "GET", &format!("{b}/api/quiver/v1/me"), None).await.0, 401);
    // A changed password likewise.
    create_user(&http, &a, "omar", "omar-password-1").await;
    let omar = Auth::Basic("omar", "omar-password-1");
    ok(call(&http, &omar, "GET", &format!("{b}/api/quiver/v1/me"), None).await);
    ok(call(
        &http,
        &ADMIN_AUTH,
        "POST",
        &format!("{a}/api/quiver/v1/users/omar/password"),
        Some(json!({ "password": "omar-password-2" })),
    )
    .await);
    assert_eq!(call(&http, &omar, "GET", &format!("{b}/api/quiver/v1/me"), None).await.0, 401, "old password on B");

    // Failed sign-ins from one address count on every process. Two so far (dana disabled, omar's
    // old password, both on B); two more on A and one on B reach the limit of five, which
    // neither process reached alone: both refuse even the right password.
    let wrong = Auth::Basic("omar", "not-the-password");
    for _ in 0..2 {
        assert_eq!(call(&http, &wrong, "GET", &format!("{a}/api/quiver/v1/me"), None).await.0, 401);
    }
    assert_eq!(call(&http, &wrong, "GET", &format!("{b}/api/quiver/v1/me"), None).await.0, 401);
    let refused =
        call(&http, &Auth::Basic("omar", "omar-password-2"), "GET", &format!("{a}/api/quiver/v1/me"), None).await;
    assert_eq!(refused.0, 429, "locked on A by failures on A and B: {}", refused.1);
    let refused =
        call(&http, &Auth::Basic("omar", "omar-password-2"), "GET", &format!("{b}/api/quiver/v1/me"), None).await;
    assert_eq!(refused.0, 429, "and on B: {}", refused.1);

    // A process with another secret key refuses to start, saying why.
    let other_key = cluster.dir.path().join("other.key");
    std::fs::write(&other_key, hex(&[9u8; 32])).unwrap();
    let (mut c, _) = cluster.spawn("c", &["--secret-key-file", other_key.to_str().unwrap()]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = c.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "a process with another key kept running");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let said = std::fs::read_to_string(c.log.with_extension("err")).unwrap();
    assert!(!status.success() && said.contains("same --secret-key-file"), "{status}: {said}");

    // Metrics on B count its requests.
    let metrics = http.get(format!("{b}/metrics")).bearer_auth("cluster-metrics").send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("quiver_http_request_duration_seconds_count{method=\"POST\",route=\"/api/2.0/mlflow/model-versions/create\",status=\"200\"} 25"),
        "{text}"
    );
    assert!(text.contains("quiver_db_query_seconds_bucket"), "{text}");
    assert_eq!(http.get(format!("{b}/metrics")).bearer_auth("wrong").send().await.unwrap().status(), 403);
}

/// Receives webhook deliveries and counts each event id.
async fn receiver() -> (String, Arc<Mutex<HashMap<String, usize>>>) {
    let seen: Arc<Mutex<HashMap<String, usize>>> = Default::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counts = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let counts = counts.clone();
            async move {
                let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                *counts.lock().unwrap().entry(id).or_default() += 1;
                "ok"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhooks_go_out_once_and_nothing_acknowledged_is_lost_when_a_process_dies() {
    let cluster = Cluster::start().await;
    let http = cluster.http.clone();
    let ((mut a_proc, a), (_b, b)) = cluster.pair(&[]).await;

    // Both dispatchers run; each event is delivered exactly once.
    let (url, seen) = receiver().await;
    ok(call(
        &http,
        &ADMIN_AUTH,
        "POST",
        &format!("{a}/api/quiver/v1/webhooks"),
        Some(json!({ "url": url, "events": ["model_version.created"] })),
    )
    .await);
    let model = "main.default.hooked";
    create_model(&http, &a, model).await;
    for i in 0..20 {
        ok(register(&http, if i % 2 == 0 { &a } else { &b }, model).await);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().len() < 20 {
        assert!(Instant::now() < deadline, "deliveries missing: {:?}", seen.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Long enough for both dispatchers to poll again (2 s) and to send a duplicate if they would.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 20, "{seen:?}");
    assert!(seen.values().all(|n| *n == 1), "each event once: {seen:?}");

    // Writes on both processes; A is killed (-9) while they run. B keeps serving, and every
    // registration either process acknowledged is in the store.
    let model = "main.default.survivor";
    create_model(&http, &b, model).await;
    let acknowledged: Arc<Mutex<Vec<i64>>> = Default::default();
    let stop = Instant::now() + Duration::from_secs(6);
    let writers = (0..4).map(|w| {
        let (http, acknowledged) = (http.clone(), acknowledged.clone());
        let base = if w % 2 == 0 { a.clone() } else { b.clone() };
        tokio::spawn(async move {
            let mut failures_on_b = 0;
            for _ in 0..500 {
                if Instant::now() > stop {
                    break;
                }
                let req = http
                    .post(format!("{base}/api/2.0/mlflow/model-versions/create"))
                    .basic_auth("admin", Some(ADMIN))
                    .header("content-type", "application/json")
                    .body(json!({ "name": model, "source": "s3://bucket/model" }).to_string())
                    .send()
                    .await;
                match req {
                    Ok(r) if r.status().is_success() => {
                        let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
                        acknowledged
                            .lock()
                            .unwrap()
                            .push(v["model_version"]["version"].as_str().unwrap().parse().unwrap());
                    }
                    // A's requests fail once it is gone; B's must not.
                    _ if w % 2 == 0 => tokio::time::sleep(Duration::from_millis(20)).await,
                    other => {
                        failures_on_b += 1;
                        eprintln!("a write on B failed: {other:?}");
                    }
                }
            }
            failures_on_b
        })
    });
    let writers: Vec<_> = writers.collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    Command::new("kill").args(["-9", &a_proc.pid().to_string()]).status().unwrap();
    let _ = a_proc.child.wait();
    let mut failures_on_b = 0;
    for w in writers {
        failures_on_b += w.await.unwrap();
    }
    assert_eq!(failures_on_b, 0, "B kept serving");
    let acknowledged: BTreeSet<i64> = acknowledged.lock().unwrap().iter().copied().collect();
    assert!(acknowledged.len() > 10, "the load ran: {}", acknowledged.len());
    let stored = versions_of(&http, &b, model).await;
    assert!(acknowledged.is_subset(&stored), "lost: {:?}", acknowledged.difference(&stored).collect::<Vec<_>>());
    ok(call(&http, &ADMIN_AUTH, "GET", &format!("{b}/readyz"), None).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_process_drains_then_exits_cleanly() {
    let cluster = Cluster::start().await;
    let (mut a, base) = cluster.spawn("a", &["--shutdown-delay-secs", "2"]);
    cluster.ready(&mut a, &base).await;
    Command::new("kill").args(["-TERM", &a.pid().to_string()]).status().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let during = cluster.http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(during.status(), 503, "not ready while draining");
    assert_eq!(cluster.http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200, "still up");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = a.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "did not stop");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status}: {}", a.log());
    assert!(a.log().contains("webhook dispatcher stopped"), "{}", a.log());
}
