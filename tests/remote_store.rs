//! Quiver on a real SurrealDB server (`ws://`), reached as a user defined on Quiver's database
//! only (`--db-auth-level database`, the default), not as root. The server is `surreal` built from
//! `tools/surreal` (SurrealDB's own server, in-memory storage); `scripts/test.sh` builds it and
//! `QUIVER_SURREAL` says where it is.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use quiver::error::ErrorKind;
use quiver::services::governance::{Actor, Principal, Source};
use quiver::store::{AuthLevel, StoreConfig};
use quiver::{Quiver, ServiceConfig};
use surrealdb::opt::auth::Root;

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn surreal_binary() -> std::path::PathBuf {
    if let Ok(path) = std::env::var("QUIVER_SURREAL") {
        return path.into();
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("debug").join("surreal")
}

async fn start_server() -> Server {
    start_server_with(&[]).await
}

async fn start_server_with(extra: &[&str]) -> Server {
    let bin = surreal_binary();
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build --manifest-path tools/surreal/Cargo.toml`",
        bin.display()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(bin)
        .args(["start", "--username", "root", "--password", "root", "--bind", &addr])
        .args(extra)
        .arg("memory")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start surreal");
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(&addr).await.is_err() {
        assert!(Instant::now() < deadline, "surreal did not start listening on {addr}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Server { child, addr }
}

fn config(addr: &str, user: &str, pass: &str, level: AuthLevel, database: &str) -> StoreConfig {
    StoreConfig {
        url: format!("ws://{addr}"),
        user: Some(user.into()),
        pass: Some(pass.into()),
        auth_level: level,
        namespace: "quiver".into(),
        database: database.into(),
        ca_file: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiver_runs_on_a_surrealdb_server_as_a_database_user() {
    let server = start_server().await;
    // What an operator does once, as root: Quiver's namespace, database and user.
    let root = surrealdb::engine::any::connect(format!("ws://{}", server.addr)).await.unwrap();
    root.signin(Root { username: "root".into(), password: "root".into() }).await.unwrap();
    root.query(
        "DEFINE NAMESPACE quiver; USE NS quiver; DEFINE DATABASE quiver; DEFINE DATABASE other;
         USE NS quiver DB quiver; DEFINE USER quiver ON DATABASE PASSWORD 'quiver-db-pass' ROLES OWNER;",
    )
    .await
    .unwrap()
    .check()
    .unwrap();

    // Quiver signs in as that user, brings the schema up and works.
    let cfg = config(&server.addr, "quiver", "quiver-db-pass", AuthLevel::Database, "quiver");
    let q =
        Quiver::open(&cfg, ServiceConfig::default()).await.expect("Quiver opens the remote store as a database user");
    let admin = Actor {
        principal: Principal { user_id: String::new(), username: "admin".into(), admin: true },
        source: Source::Cli,
        request_id: "t".into(),
    };
    q.create_catalog(&admin, "prod", "on a server").await.unwrap();
    assert_eq!(q.get_catalog(&admin, "prod").await.unwrap().description, "on a server");
    drop(q);
    // Opening again finds the schema in place and the data there.
    let q = Quiver::open(&cfg, ServiceConfig::default()).await.unwrap();
    assert_eq!(q.get_catalog(&admin, "prod").await.unwrap().name, "prod");

    // The user reaches Quiver's database only, and a wrong level or password is a clear error.
    let elsewhere = Quiver::open(
        &config(&server.addr, "quiver", "quiver-db-pass", AuthLevel::Database, "other"),
        ServiceConfig::default(),
    )
    .await;
    assert!(elsewhere.is_err(), "a database user cannot open another database");
    let as_root = Quiver::open(
        &config(&server.addr, "quiver", "quiver-db-pass", AuthLevel::Root, "quiver"),
        ServiceConfig::default(),
    )
    .await;
    let e = as_root.err().expect("not a root user");
    assert_eq!(e.kind, ErrorKind::FailedPrecondition);
    assert!(e.message.contains("cannot sign in") && e.message.contains("Root"), "{}", e.message);
    let wrong =
        Quiver::open(&config(&server.addr, "quiver", "nope", AuthLevel::Database, "quiver"), ServiceConfig::default())
            .await;
    assert!(wrong.err().expect("wrong password").message.contains("cannot sign in"));
}

/// Quiver's namespace, database and a database user on `addr`, as an operator defines them.
async fn define_user(addr: &str, database: &str) -> StoreConfig {
    let root = surrealdb::engine::any::connect(format!("ws://{addr}")).await.unwrap();
    root.signin(Root { username: "root".into(), password: "root".into() }).await.unwrap();
    root.query(format!(
        "DEFINE NAMESPACE IF NOT EXISTS quiver; USE NS quiver; DEFINE DATABASE {database};
         USE NS quiver DB {database}; DEFINE USER quiver ON DATABASE PASSWORD 'quiver-db-pass' ROLES OWNER;"
    ))
    .await
    .unwrap()
    .check()
    .unwrap();
    config(addr, "quiver", "quiver-db-pass", AuthLevel::Database, database)
}

fn admin() -> Actor {
    Actor {
        principal: Principal { user_id: String::new(), username: "admin".into(), admin: true },
        source: Source::Cli,
        request_id: "t".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_starting_together_migrate_once_and_all_open() {
    let server = start_server().await;
    let cfg = define_user(&server.addr, "together").await;
    // Six processes' worth of handles open the empty store at the same moment.
    let opened = futures::future::join_all((0..6).map(|_| Quiver::open(&cfg, ServiceConfig::default()))).await;
    let handles: Vec<Quiver> = opened.into_iter().map(|r| r.expect("every process opens")).collect();
    handles[0].create_catalog(&admin(), "prod", "").await.unwrap();
    // The schema was applied by one of them, once.
    let root = surrealdb::engine::any::connect(format!("ws://{}", server.addr)).await.unwrap();
    root.signin(Root { username: "root".into(), password: "root".into() }).await.unwrap();
    root.use_ns("quiver").use_db("together").await.unwrap();
    let migrations: Option<i64> = root.query("RETURN meta:schema.migrations").await.unwrap().take(0).unwrap();
    assert_eq!(migrations, Some(1), "migrated once");
    // Reopening with the same build changes nothing.
    drop(Quiver::open(&cfg, ServiceConfig::default()).await.unwrap());
    let again: Option<i64> = root.query("RETURN meta:schema.migrations").await.unwrap().take(0).unwrap();
    assert_eq!(again, Some(1), "a current schema is not applied again");
    for q in &handles {
        assert_eq!(q.get_catalog(&admin(), "prod").await.unwrap().name, "prod", "one store, seen by all");
        q.ready(Duration::from_secs(5)).await.expect("the schema is current");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedded_store_moves_to_a_server_through_export_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let embedded =
        StoreConfig { url: format!("surrealkv://{}", dir.path().join("q.db").display()), ..StoreConfig::memory() };
    let q = Quiver::open(&embedded, ServiceConfig::default()).await.unwrap();
    q.create_catalog(&admin(), "prod", "moved **with** its description").await.unwrap();
    q.create_user(&admin(), "dana", "dana-password-1", false).await.unwrap();
    drop(q);
    let file = dir.path().join("quiver.surql");
    quiver::store::export(&embedded, &file).await.expect("export");

    let server = start_server().await;
    let remote = define_user(&server.addr, "moved").await;
    quiver::store::import(&remote, &file).await.expect("import into an empty database");
    let q = Quiver::open(&remote, ServiceConfig::default()).await.unwrap();
    assert_eq!(q.get_catalog(&admin(), "prod").await.unwrap().description, "moved **with** its description");
    let from = quiver::services::governance::SignInFrom {
        client: "127.0.0.1".into(),
        source: Source::Rest,
        request_id: "t".into(),
    };
    q.authenticate_password("dana", "dana-password-1", &from).await.expect("accounts moved, passwords still work");
    // New records continue after the imported ones (nothing collides).
    q.create_catalog(&admin(), "staging", "").await.unwrap();

    // A second import into a store that holds Quiver data is refused, and changes nothing.
    let again = quiver::store::import(&remote, &file).await.expect_err("not into a store with data");
    assert_eq!(again.kind, ErrorKind::FailedPrecondition);
    assert!(again.message.contains("already holds Quiver data"), "{}", again.message);
    // And a server cannot be exported by Quiver (SurrealDB's own export does that).
    assert!(quiver::store::export(&remote, &file).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_per_interval_takes_a_periodic_jobs_turn() {
    let server = start_server().await;
    let cfg = define_user(&server.addr, "turns").await;
    let a = Quiver::open(&cfg, ServiceConfig::default()).await.unwrap();
    let b = Quiver::open(&cfg, ServiceConfig::default()).await.unwrap();
    let every = Duration::from_millis(1500);
    assert!(a.take_turn("scrub", "a", every).await.unwrap(), "the first to ask runs it");
    assert!(!b.take_turn("scrub", "b", every).await.unwrap(), "the other skips this interval");
    assert!(b.take_turn("other-job", "b", every).await.unwrap(), "turns are per job");
    tokio::time::sleep(every).await;
    assert!(b.take_turn("scrub", "b", every).await.unwrap(), "the next interval is anyone's");
    assert!(!a.take_turn("scrub", "a", every).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_went_away_is_unavailable_not_a_hang() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let server = start_server().await;
    let cfg = define_user(&server.addr, "away").await;
    let config = ServiceConfig { query_timeout: Duration::from_secs(2), ..ServiceConfig::default() };
    let q = Quiver::open(&cfg, config).await.unwrap();
    q.create_catalog(&admin(), "prod", "").await.unwrap();
    drop(server);
    let started = Instant::now();
    let read = q.get_catalog(&admin(), "prod").await.expect_err("the server is gone");
    assert_eq!(read.kind, ErrorKind::Unavailable, "{read:?}");
    let write = q.create_catalog(&admin(), "staging", "").await.expect_err("the server is gone");
    assert_eq!(write.kind, ErrorKind::Unavailable, "{write:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "bounded by the timeout: {:?}", started.elapsed());
    assert!(q.ready(Duration::from_secs(1)).await.is_err(), "not ready");
}

/// Two processes on one server, each with its read cache: a write that returned on one is what
/// the other answers with at once (content, tokens, privileges), while reads nobody wrote over
/// keep coming from memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_cache_is_coherent_across_processes() {
    use quiver::names::ModelPath;
    use quiver::services::governance::{Securable, privileges::PermissionsChange, privileges::SecurableType};
    let server = start_server().await;
    let cfg = define_user(&server.addr, "coherent").await;
    let a = Quiver::open(&cfg, ServiceConfig::default()).await.unwrap();
    let b = Quiver::open(&cfg, ServiceConfig::default()).await.unwrap();
    assert!(a.is_shared() && b.is_shared());
    let admin = admin();
    a.create_catalog(&admin, "prod", "").await.unwrap();
    a.create_schema(&admin, "prod", "ml", "").await.unwrap();
    a.create_model(&admin, "prod", "ml", "fraud", "one").await.unwrap();
    let path = ModelPath::new("prod", "ml", "fraud").unwrap();

    // Content: B keeps its answer until A writes over it.
    assert_eq!(b.get_model(&admin, &path).await.unwrap().description, "one");
    let hits = b.read_cache_hits();
    assert_eq!(b.get_model(&admin, &path).await.unwrap().description, "one");
    assert!(b.read_cache_hits() > hits, "nothing was written: B answers from memory");
    a.update_model(&admin, &path, "two").await.unwrap();
    assert_eq!(b.get_model(&admin, &path).await.unwrap().description, "two", "A's write, read on B at once");
    let hits = b.read_cache_hits();
    assert_eq!(b.get_model(&admin, &path).await.unwrap().description, "two");
    assert!(b.read_cache_hits() > hits, "and cached again");
    // B's own write ends A's entry the same way.
    assert_eq!(a.get_model(&admin, &path).await.unwrap().description, "two");
    b.update_model(&admin, &path, "three").await.unwrap();
    assert_eq!(a.get_model(&admin, &path).await.unwrap().description, "three");

    // Access: a token made and revoked on A; a grant on A.
    let dana = a.create_user(&admin, "dana", "correct horse battery", false).await.unwrap();
    let dana = Actor {
        principal: Principal { user_id: dana.id, username: dana.username, admin: false },
        source: Source::Rest,
        request_id: "t".into(),
    };
    let token = a.create_token(&dana, "ci", None).await.unwrap();
    assert_eq!(b.authenticate_token(&token.secret).await.unwrap().username, "dana");
    let hits = b.read_cache_hits();
    a.update_model(&admin, &path, "four").await.unwrap(); // content only: the token stays cached
    assert_eq!(b.authenticate_token(&token.secret).await.unwrap().username, "dana");
    assert!(b.read_cache_hits() > hits, "a content write does not end cached tokens");
    let denied = b.get_model(&dana, &path).await.unwrap_err();
    assert_eq!(denied.kind, ErrorKind::PermissionDenied);
    let grant = PermissionsChange { principal: "dana".into(), add: vec!["ALL PRIVILEGES".into()], remove: vec![] };
    let on = Securable::parse(SecurableType::Catalog, "prod").unwrap();
    a.update_permissions(&admin, &on, &[grant]).await.unwrap();
    assert_eq!(b.get_model(&dana, &path).await.unwrap().description, "four", "A's grant holds on B at once");
    a.revoke_token(&dana, &token.token.id).await.unwrap();
    let refused = b.authenticate_token(&token.secret).await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Unauthenticated, "a token revoked on A is refused on B at once");

    // A process that keeps no cache itself still tells the others of its writes.
    let c = Quiver::open(&cfg, ServiceConfig { read_cache: false, ..ServiceConfig::default() }).await.unwrap();
    assert_eq!(b.get_model(&admin, &path).await.unwrap().description, "four");
    c.update_model(&admin, &path, "five").await.unwrap();
    assert_eq!(b.get_model(&admin, &path).await.unwrap().description, "five");
}

/// `wss://` to a server whose certificate a private CA signed: refused without that CA, opened
/// with `--db-ca-file`, and the CA file is refused for a plain `ws://` URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let d = |f: &str| dir.path().join(f).display().to_string();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl").args(args).output().expect("openssl");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                &d("ca.key"),
                "-out",
                &d("ca.pem"),
                "-days",
                "1",
                "-subj",
                "/CN=Quiver test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign",
            ],
        ]
        .concat(),
    );
    openssl(
        &[&["req"][..], &ec, &["-keyout", &d("server.key"), "-out", &d("server.csr"), "-subj", "/CN=127.0.0.1"]]
            .concat(),
    );
    std::fs::write(
        d("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &d("server.csr"),
        "-CA",
        &d("ca.pem"),
        "-CAkey",
        &d("ca.key"),
        "-CAcreateserial",
        "-out",
        &d("server.pem"),
        "-days",
        "1",
        "-extfile",
        &d("ext.cnf"),
    ]);
    let server = start_server_with(&["--web-crt", &d("server.pem"), "--web-key", &d("server.key")]).await;

    // The operator's setup, as root over TLS (trusting the CA).
    let tls = StoreConfig {
        url: format!("wss://{}", server.addr),
        user: Some("root".into()),
        pass: Some("root".into()),
        auth_level: AuthLevel::Root,
        ca_file: Some(dir.path().join("ca.pem")),
        ..StoreConfig::memory()
    };
    let q = Quiver::open(&tls, ServiceConfig::default()).await.expect("wss with the private CA opens");
    q.create_catalog(&admin(), "prod", "over TLS").await.unwrap();
    assert_eq!(q.get_catalog(&admin(), "prod").await.unwrap().description, "over TLS");

    let untrusted = StoreConfig { ca_file: None, ..tls.clone() };
    let e = Quiver::open(&untrusted, ServiceConfig::default()).await.err().expect("an unknown CA is refused");
    assert_eq!(e.kind, ErrorKind::Internal);
    let plain = StoreConfig { url: format!("ws://{}", server.addr), ..tls.clone() };
    let e = Quiver::open(&plain, ServiceConfig::default()).await.err().expect("a CA file for ws:// is refused");
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(e.message.contains("wss://"), "{}", e.message);
}
