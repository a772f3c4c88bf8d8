//! Principals, accounts, tokens and audit entries as the services return them, and the actor
//! every service call receives. Shared with the browser build, so plain serde only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: String,
    pub username: String,
    pub admin: bool,
    pub disabled: bool,
    /// A machine identity: no password, tokens only.
    #[serde(default)]
    pub service_principal: bool,
    pub created_at: DateTime<Utc>,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: String,
    pub at: DateTime<Utc>,
    pub principal: String,
    pub action: String,
    pub securable_type: String,
    pub securable: String,
    /// `allowed` or `denied`.
    pub outcome: String,
    pub detail: Option<String>,
    pub source: String,
    pub request_id: String,
}

/// What to narrow the audit log to; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditFilter {
    pub principal: Option<String>,
    /// A prefix: `grants` matches `grants.updated`.
    pub action: Option<String>,
    /// A prefix of the full name, case-insensitive.
    pub securable: Option<String>,
    pub outcome: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A group of users; its grants apply to every member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    pub name: String,
    pub members: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PrincipalKind {
    User,
    ServicePrincipal,
    Group,
}

impl PrincipalKind {
    /// For people: "user", "service principal", "group".
    pub fn label(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::ServicePrincipal => "service principal",
            PrincipalKind::Group => "group",
        }
    }
}

/// A principal a grant can name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrincipalInfo {
    pub name: String,
    pub kind: PrincipalKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessToken {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A freshly created token: `secret` is shown once and never stored in clear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAccessToken {
    pub token: AccessToken,
    pub secret: String,
}

/// Where a call came from, recorded with everything it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Ui,
    Rest,
    Cli,
}

/// The authenticated caller of a service operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Principal {
    pub user_id: String,
    pub username: String,
    pub admin: bool,
}

/// Every service call receives the actor: who, through which surface, under which request id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub principal: Principal,
    pub source: Source,
    pub request_id: String,
}
