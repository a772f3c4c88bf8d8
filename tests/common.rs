//! Helpers for the core tests: a fresh registry on the real embedded SurrealDB.

#![allow(dead_code)]

use quiver::services::governance::{Actor, Principal, Source};
use quiver::store::StoreConfig;
use quiver::{Quiver, ServiceConfig};

pub async fn registry() -> Quiver {
    init_logs();
    Quiver::open(&StoreConfig::memory(), ServiceConfig::default()).await.expect("open mem store")
}

pub fn actor(name: &str) -> Actor {
    Actor {
        principal: Principal { user_id: String::new(), username: name.into(), admin: true },
        source: Source::Ui,
        request_id: "test".into(),
    }
}

/// Shows what Quiver logs (internal errors included) in the output of a failing test.
pub fn init_logs() {
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("quiver=debug").try_init();
}

/// A signed-in user who is not an administrator, holding `privileges` on catalog `catalog`
/// (inherited by everything inside it).
pub async fn user_with(q: &Quiver, name: &str, catalog: &str, privileges: &[&str]) -> Actor {
    let admin = actor("admin");
    let u = q.create_user(&admin, name, "correct horse battery", false).await.expect("create user");
    if !privileges.is_empty() {
        let change = quiver::services::governance::privileges::PermissionsChange {
            principal: name.into(),
            add: privileges.iter().map(|p| p.to_string()).collect(),
            remove: vec![],
        };
        let on = quiver::services::governance::Securable::parse(
            quiver::services::governance::privileges::SecurableType::Catalog,
            catalog,
        )
        .unwrap();
        q.update_permissions(&admin, &on, &[change]).await.expect("grant");
    }
    Actor {
        principal: Principal { user_id: u.id, username: u.username, admin: false },
        source: Source::Ui,
        request_id: format!("test-{name}"),
    }
}

/// prod.ml.fraud (catalog, schema and model created by `a`), with `versions` versions from
/// `s3://b/1` on.
pub async fn fraud_model(q: &Quiver, a: &Actor, versions: i64) -> quiver::names::ModelPath {
    q.create_catalog(a, "prod", "").await.unwrap();
    q.create_schema(a, "prod", "ml", "").await.unwrap();
    q.create_model(a, "prod", "ml", "fraud", "").await.unwrap();
    let p = quiver::names::ModelPath::new("prod", "ml", "fraud").unwrap();
    for i in 1..=versions {
        let new = quiver::services::registry::NewVersion { source: format!("s3://b/{i}"), ..Default::default() };
        q.create_version(a, &p, new).await.unwrap();
    }
    p
}
