//! Helpers for the core tests: a fresh registry on the real embedded SurrealDB.

#![allow(dead_code)]

use quiver::store::StoreConfig;
use quiver::types::{Actor, Principal, Source};
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
