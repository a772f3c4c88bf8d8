//! The `quiver` binary's library half: HTTP router, authentication layer, REST surface and CLI,
//! exposed so integration tests can spawn the real app on a random port.

// Leptos view types of the bigger pages nest deeper than the default limit.
#![recursion_limit = "256"]

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod csrf;
pub mod dispatcher;
pub mod http;
pub mod mlflow;
pub mod openapi;
pub mod ops;
pub mod request;
pub mod rest;
pub mod uc;
