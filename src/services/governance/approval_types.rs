//! Approval requests for alias changes, and the policies that protect aliases. Shared with the
//! browser build (plain serde only).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What a request asks for: point the alias at a version, or remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RequestAction {
    Set,
    Remove,
}

impl RequestAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestAction::Set => "set",
            RequestAction::Remove => "remove",
        }
    }

    pub fn parse(raw: &str) -> Result<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "set" => Ok(RequestAction::Set),
            "remove" => Ok(RequestAction::Remove),
            _ => Err(Error::invalid("action", "The action is \"set\" or \"remove\".")),
        }
    }
}

/// Where a request stands. Only `pending` requests change; the others are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RequestState {
    Pending,
    Approved,
    Rejected,
    Cancelled,
    Stale,
}

impl RequestState {
    pub const ALL: [RequestState; 5] = [
        RequestState::Pending,
        RequestState::Approved,
        RequestState::Rejected,
        RequestState::Cancelled,
        RequestState::Stale,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Pending => "pending",
            RequestState::Approved => "approved",
            RequestState::Rejected => "rejected",
            RequestState::Cancelled => "cancelled",
            RequestState::Stale => "stale",
        }
    }

    pub fn parse(raw: &str) -> Result<Self> {
        RequestState::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim().to_ascii_lowercase())
            .ok_or_else(|| Error::invalid("state", "The state is pending, approved, rejected, cancelled or stale."))
    }
}

/// One approval given to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Approval {
    pub by: String,
    pub at: DateTime<Utc>,
    pub comment: String,
}

/// A request to change an alias of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalRequest {
    pub id: String,
    /// `catalog.schema.model` when the request was made.
    pub model: String,
    pub alias: String,
    pub action: RequestAction,
    /// `set`: the version the alias is to name; `remove`: the version it named.
    pub version: i64,
    /// The version the alias named when the request was made (none: it was not set).
    pub from_version: Option<i64>,
    /// Markdown, as typed.
    pub justification: String,
    pub requester: String,
    pub state: RequestState,
    pub approvals: Vec<Approval>,
    /// How many distinct approvers the alias's policy asks for.
    pub required_approvals: i64,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    /// Why it was rejected, cancelled or went stale.
    pub reason: Option<String>,
}

impl ApprovalRequest {
    /// "Set Champion to version 2" / "Remove Champion (version 1)".
    pub fn summary(&self) -> String {
        match self.action {
            RequestAction::Set => format!("Set @{} to version {}", self.alias, self.version),
            RequestAction::Remove => format!("Remove @{} (version {})", self.alias, self.version),
        }
    }
}

/// A new request, as callers send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewApprovalRequest {
    /// `catalog.schema.model`.
    pub model: String,
    /// For `set`: the version to point the alias at. For `remove`: optional.
    #[serde(default)]
    pub version: Option<i64>,
    pub alias: String,
    pub action: RequestAction,
    #[serde(default)]
    pub justification: String,
}

/// One entry of a request's timeline: created, an approval, the decision, a comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestNote {
    pub id: String,
    /// created, comment, approval, approved, rejected, cancelled, stale.
    pub kind: String,
    pub by: String,
    pub at: DateTime<Utc>,
    /// Markdown as typed (comments, justifications, reasons).
    pub body: String,
    /// `body` rendered and sanitized (empty when there is no body).
    pub body_html: String,
}

/// A request with its timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestDetail {
    pub request: ApprovalRequest,
    pub notes: Vec<RequestNote>,
    /// What the caller may do to it now.
    pub can_approve: bool,
    pub can_reject: bool,
    pub can_cancel: bool,
    /// Why the caller may not approve (when `can_approve` is false and the request is pending).
    pub approve_denied: Option<String>,
    /// The policy's rules for a pending request to point the alias at a version, each passed,
    /// failing or waiting with the reason; the alias moves only once all pass.
    #[serde(default)]
    pub rules: Vec<crate::services::governance::RuleOutcome>,
}

/// Which requests to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestFilter {
    /// `catalog.schema.model`.
    pub model: Option<String>,
    pub version: Option<i64>,
    pub state: Option<RequestState>,
    pub requester: Option<String>,
    /// Only requests the caller may approve or reject (the inbox).
    pub actionable: bool,
}

/// Aliases on a catalog, schema or model that change only through approved requests. A field
/// Quiver does not know is refused (naming it), never silently dropped: a rule someone meant to
/// set must not read as set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AliasPolicy {
    /// Alias names, as typed; matched without regard to case.
    pub aliases: Vec<String>,
    /// Distinct approvers a request needs (1 to 10).
    #[serde(default = "one")]
    pub required_approvals: i64,
    /// Whether the requester may be one of the approvers.
    #[serde(default)]
    pub allow_self_approval: bool,
    /// Whether a version must carry a signature by a key trusted for the model, over exactly its
    /// registered files, before a request to point the alias at it is approved.
    #[serde(default)]
    pub require_signature: bool,
    /// Checks (by name) that must have completed with success (or neutral) on the version.
    #[serde(default)]
    pub required_checks: Vec<String>,
    /// Tags the version must carry, with these values.
    #[serde(default)]
    pub required_tags: Vec<crate::services::governance::RequiredTag>,
    /// Thresholds on the latest metrics of the version's training run.
    #[serde(default)]
    pub metric_thresholds: Vec<crate::services::governance::MetricThreshold>,
    /// The version's signature must be compatible with that of the version the alias names now:
    /// the same inputs by name and type (more are fine) and the same outputs.
    #[serde(default)]
    pub compatible_signature: bool,
}

fn one() -> i64 {
    1
}

impl Default for AliasPolicy {
    fn default() -> Self {
        AliasPolicy {
            aliases: Vec::new(),
            required_approvals: 1,
            allow_self_approval: false,
            require_signature: false,
            required_checks: Vec::new(),
            required_tags: Vec::new(),
            metric_thresholds: Vec::new(),
            compatible_signature: false,
        }
    }
}

impl AliasPolicy {
    /// Whether it sets any rule beyond approvals and signing.
    pub fn has_gates(&self) -> bool {
        !self.required_checks.is_empty()
            || !self.required_tags.is_empty()
            || !self.metric_thresholds.is_empty()
            || self.compatible_signature
    }
}

/// The policy set on one securable, and the aliases protected there by its parents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AliasPolicyView {
    pub securable_type: String,
    pub full_name: String,
    pub policy: AliasPolicy,
    /// Set there at all (an empty policy is the same as none).
    pub defined: bool,
    /// Protected on a parent: `[(alias, "catalog prod")]`.
    pub inherited: Vec<(String, String)>,
    pub updated: Option<crate::services::registry::Stamp>,
}

/// An alias of a model that changes only through approved requests, and where that is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProtectedAlias {
    /// As the policy spells it.
    pub alias: String,
    pub required_approvals: i64,
    pub allow_self_approval: bool,
    #[serde(default)]
    pub require_signature: bool,
    /// "catalog prod", "schema prod.ml", "model prod.ml.fraud".
    pub set_on: String,
}

/// A public key trusted to sign the models of a catalog, schema or model (and everything below).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SigningKey {
    pub name: String,
    /// `ecdsa-p256-sha256`, `ecdsa-p384-sha384` or `ed25519`.
    pub algorithm: String,
    /// Hex SHA-256 of the key's PEM (model-signing names the key this way in its bundles).
    pub fingerprint: String,
    /// PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_key: String,
    /// Where it is configured: "catalog prod", "schema prod.ml", "model prod.ml.fraud".
    pub set_on: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    /// A revoked key verifies nothing from then on; it stays listed.
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

/// A key to trust: a name unique on its securable, and the PEM public key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewSigningKey {
    pub name: String,
    pub public_key: String,
}

/// The keys set on one securable, and those its parents trust (which apply here too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SigningKeysView {
    pub securable_type: String,
    pub full_name: String,
    pub keys: Vec<SigningKey>,
    pub inherited: Vec<SigningKey>,
}
