//! What the tests inside the crate share, as `tests/common.rs` does for the integration tests:
//! a fresh registry on the real embedded SurrealDB, and actors.

use crate::services::Quiver;
use crate::services::governance::privileges::{PermissionsChange, SecurableType};
use crate::services::governance::{Actor, Principal, Securable, Source};

pub fn actor(name: &str) -> Actor {
    Actor {
        principal: Principal { user_id: String::new(), username: name.into(), admin: true },
        source: Source::Ui,
        request_id: "test".into(),
    }
}

pub fn init_logs() {
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("quiver=debug").try_init();
}

/// A signed-in user who is not an administrator, holding `privileges` on `catalog`.
pub async fn user_with(q: &Quiver, name: &str, catalog: &str, privileges: &[&str]) -> Actor {
    let admin = actor("admin");
    let u = q.create_user(&admin, name, "correct horse battery", false).await.expect("create user");
    if !privileges.is_empty() {
        let change = PermissionsChange {
            principal: name.into(),
            add: privileges.iter().map(|p| p.to_string()).collect(),
            remove: vec![],
        };
        let on = Securable::parse(SecurableType::Catalog, catalog).unwrap();
        q.update_permissions(&admin, &on, &[change]).await.expect("grant");
    }
    Actor {
        principal: Principal { user_id: u.id, username: u.username, admin: false },
        source: Source::Ui,
        request_id: format!("test-{name}"),
    }
}

/// A fresh registry on an in-memory store.
pub async fn registry() -> Quiver {
    init_logs();
    Quiver::open(&crate::store::StoreConfig::memory(), crate::ServiceConfig::default()).await.expect("open mem store")
}
