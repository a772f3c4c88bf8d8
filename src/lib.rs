//! Quiver's registry core: names, shared types and errors (also built for the browser), and,
//! with the `server` feature, the SurrealDB store and the service layer every surface calls.

pub mod approvals;
pub mod error;
pub mod experiment_permissions;
pub mod filter;
pub mod names;
pub mod privileges;
pub mod tracking;
pub mod types;
pub mod webhooks;

#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
pub mod markdown;
#[cfg(feature = "server")]
pub mod sealer;
#[cfg(feature = "server")]
pub mod services;
#[cfg(feature = "server")]
pub mod store;

#[cfg(feature = "server")]
pub use services::{Quiver, ServiceConfig};
