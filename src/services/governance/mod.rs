//! Governance: who may do what, and the record of what was done.
//!
//! - `privileges`: Unity Catalog's privileges and the one rule table every operation is
//!   checked against (shared with the browser, which disables what a user may not do).
//! - `access`: the check itself (holdings along a path, visibility of lists); `grants`
//!   (grant, revoke, ownership, effective permissions).
//! - `policies` (protected aliases) and `approvals` (requests that move them); `checks`
//!   (deployment checks CI reports against versions, shared types in `check_types`); `signing_keys`
//!   (public keys trusted to sign a catalog's, schema's or model's versions).
//! - `audit` (the log), `principals` (groups, service principals, the directory), `accounts`
//!   (users, sign-in, sessions), `lockouts` (sign-in failures every process on a shared store
//!   honours), `tokens` (personal access tokens).

mod approval_types;
mod check_types;
mod gate_types;
pub mod privileges;
mod types;
pub use approval_types::*;
pub use check_types::*;
pub use gate_types::*;
pub use types::*;

#[cfg(feature = "server")]
pub(crate) mod access;
#[cfg(feature = "server")]
pub(crate) mod accounts;
#[cfg(feature = "server")]
pub(crate) mod approvals;
#[cfg(feature = "server")]
pub(crate) mod audit;
#[cfg(feature = "server")]
pub(crate) mod checks;
#[cfg(feature = "server")]
pub(crate) mod gates;
#[cfg(feature = "server")]
pub(crate) mod grants;
#[cfg(feature = "server")]
pub(crate) mod lockouts;
#[cfg(feature = "server")]
pub(crate) mod policies;
#[cfg(feature = "server")]
pub(crate) mod principals;
#[cfg(feature = "server")]
pub(crate) mod signing_keys;
#[cfg(feature = "server")]
pub(crate) mod tokens;

#[cfg(feature = "server")]
pub use access::Target;
#[cfg(feature = "server")]
pub use accounts::{LoginSession, SignInFrom};
#[cfg(feature = "server")]
pub use grants::Securable;
