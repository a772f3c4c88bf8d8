//! The `quiver` binary's library half: HTTP router, authentication layer, REST surface and CLI,
//! exposed so integration tests can spawn the real app on a random port.

pub mod cli;
pub mod config;
pub mod http;
pub mod middleware;
pub mod rest;
