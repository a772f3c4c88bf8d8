//! Delivery: telling other systems what changed, through signed, durable webhooks.
//!
//! - `types`: event types, webhooks and their deliveries (shared with the browser).
//! - `webhooks`: register, change and remove webhooks, read their delivery logs.
//! - `events`: the event rows changes write in their own transaction.
//! - `outbox`: fan events out to deliveries, claim them under a lease, record attempts.
//! - `transport`: sending one delivery (signing, timeouts, what the receiver answered);
//!   `outbound`: which addresses a webhook may reach; `signing`: Standard Webhooks signatures.
//! - `quiver_payload` and `mlflow_payload`: the two body formats.

mod types;
pub use types::*;

#[cfg(feature = "server")]
pub(crate) mod events;
#[cfg(feature = "server")]
pub(crate) mod mlflow_payload;
#[cfg(feature = "server")]
pub mod outbound;
#[cfg(feature = "server")]
pub(crate) mod outbox;
#[cfg(feature = "server")]
pub(crate) mod quiver_payload;
#[cfg(feature = "server")]
pub mod signing;
#[cfg(feature = "server")]
pub(crate) mod transport;
#[cfg(feature = "server")]
pub(crate) mod webhooks;

#[cfg(feature = "server")]
pub use transport::{AttemptOutcome, DeliveryJob};
