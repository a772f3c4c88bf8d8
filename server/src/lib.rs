//! The `quiver` binary's library half: HTTP router, authentication layer, REST surface and CLI,
//! exposed so integration tests can spawn the real app on a random port.

// Leptos view types of the bigger pages nest deeper than the default limit.
#![recursion_limit = "256"]

pub mod admin;
pub mod approvals;
pub mod cli;
pub mod config;
pub mod dispatcher;
pub mod http;
pub mod middleware;
pub mod mlflow;
pub mod openapi;
pub mod rest;
pub mod uc;
pub mod webhooks;
