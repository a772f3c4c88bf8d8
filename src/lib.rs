//! Quiver's registry core: names, errors and the service layer every surface calls. The data
//! types of each subdomain (`services::registry`, `services::tracking`, …) are also built for
//! the browser; with the `server` feature come the SurrealDB store and the services themselves.

pub mod error;
pub mod filter;
pub mod names;
pub mod services;

#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
pub mod markdown;
#[cfg(feature = "server")]
pub mod sealer;
#[cfg(feature = "server")]
pub mod store;

#[cfg(feature = "server")]
pub use services::{Quiver, ServiceConfig};

#[cfg(all(test, feature = "server"))]
mod test_support;
