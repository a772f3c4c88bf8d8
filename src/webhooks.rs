//! Webhooks: the event types, what a webhook and its deliveries look like, and (on the server)
//! the Standard Webhooks signature. Shared with the browser build apart from the signing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Every event type a webhook may subscribe to (MLflow's `entity.action` names).
pub const EVENT_TYPES: [&str; 21] = [
    "registered_model.created",
    "registered_model.renamed",
    "registered_model.deleted",
    "model_version.created",
    "model_version.deleted",
    "model_version_alias.created",
    "model_version_alias.moved",
    "model_version_alias.deleted",
    "registered_model_tag.set",
    "registered_model_tag.deleted",
    "model_version_tag.set",
    "model_version_tag.deleted",
    "registered_model.description_updated",
    "model_version.description_updated",
    "comment.created",
    "approval_request.created",
    "approval_request.approved",
    "approval_request.rejected",
    "approval_request.cancelled",
    "approval_request.stale",
    "grant.changed",
];

/// The type of the event "send test event" sends.
pub const TEST_EVENT: &str = "webhook.test";

/// What a webhook listens to: the whole registry, or a catalog, schema or model and what is in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookScope {
    /// `registry`, `catalog`, `schema` or `registered_model`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Empty for the registry.
    #[serde(default)]
    pub full_name: String,
}

impl WebhookScope {
    pub fn registry() -> Self {
        WebhookScope { kind: "registry".into(), full_name: String::new() }
    }

    pub fn label(&self) -> String {
        if self.kind == "registry" { "the whole registry".into() } else { format!("{} {}", self.kind, self.full_name) }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: String,
    pub name: String,
    pub url: String,
    pub description: String,
    /// Event types, or `["*"]` for all of them.
    pub events: Vec<String>,
    pub scope: WebhookScope,
    pub active: bool,
    /// How its deliveries look.
    #[serde(default)]
    pub format: WebhookFormat,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    /// Failed attempts since the last delivered one.
    pub consecutive_failures: i64,
    /// Failing repeatedly: flagged for admins.
    pub failing: bool,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_failure_at: Option<DateTime<Utc>>,
}

/// A new webhook, as callers send it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWebhook {
    /// A name for people; the URL's host when empty.
    #[serde(default)]
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Event types, or `["*"]`.
    pub events: Vec<String>,
    /// Omitted: the whole registry (administrators only).
    #[serde(default)]
    pub scope: Option<WebhookScope>,
    /// Defaults to true.
    #[serde(default)]
    pub active: Option<bool>,
    /// Only through MLflow's API, which lets the caller choose the secret.
    #[serde(skip)]
    pub secret: Option<String>,
    /// MLflow's for webhooks created through MLflow's API, so its receivers understand them.
    #[serde(skip)]
    pub format: WebhookFormat,
}

/// What deliveries look like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// Quiver's event (`{id, type, timestamp, actor, object, data}`), signed per Standard
    /// Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
    #[default]
    Standard,
    /// MLflow's (`{entity, action, timestamp, data}`, `X-MLflow-Delivery-Id`,
    /// `X-MLflow-Timestamp`, `X-MLflow-Signature`), with the Standard Webhooks headers as well.
    Mlflow,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Standard => "standard",
            WebhookFormat::Mlflow => "mlflow",
        }
    }

    /// What a receiver gets, in a few words.
    pub fn label(self) -> &'static str {
        match self {
            WebhookFormat::Standard => "Quiver event, Standard Webhooks headers",
            WebhookFormat::Mlflow => "MLflow's payload and X-MLflow-* headers (created through MLflow's API)",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "mlflow" { WebhookFormat::Mlflow } else { WebhookFormat::Standard }
    }
}

/// A change to a webhook; fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookUpdate {
    pub name: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
    pub events: Option<Vec<String>>,
    pub active: Option<bool>,
    /// Only through MLflow's API.
    #[serde(skip)]
    pub secret: Option<String>,
}

/// A webhook just created, with its secret: shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    /// `whsec_…` (Standard Webhooks): receivers verify signatures with it.
    pub secret: String,
}

/// One event on its way to one webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: String,
    /// The event id, sent as `webhook-id` (the same on every attempt).
    pub event_id: String,
    pub event_type: String,
    /// pending, succeeded or failed.
    pub state: String,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    /// When the next attempt is due (pending deliveries).
    pub next_at: Option<DateTime<Utc>>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
    pub body: String,
    pub attempt_log: Vec<DeliveryAttempt>,
}

/// One try at delivering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    pub attempt: i64,
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status (none: no answer).
    pub status: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
    /// The first bytes of the receiver's answer.
    pub response: String,
}

/// What sending a test event got back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestResult {
    pub success: bool,
    pub status: Option<i64>,
    pub response: String,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub delivery_id: String,
}

/// Whether an event type (or `*`) is one webhooks may ask for.
pub fn is_event_type(name: &str) -> bool {
    name == "*" || EVENT_TYPES.contains(&name)
}

/// Standard Webhooks signing (<https://www.standardwebhooks.com>).
#[cfg(feature = "server")]
pub mod signing {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    /// The prefix of Standard Webhooks secrets.
    pub const SECRET_PREFIX: &str = "whsec_";

    /// A new secret: `whsec_` and 32 random bytes in base64.
    pub fn new_secret() -> String {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
    }

    /// The HMAC key of a secret: the base64 after `whsec_`, or (for secrets chosen through
    /// MLflow's API) the secret's own bytes.
    pub fn key_of(secret: &str) -> Vec<u8> {
        secret
            .strip_prefix(SECRET_PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .unwrap_or_else(|| secret.as_bytes().to_vec())
    }

    /// The `webhook-signature` header: `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
    pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
        signature_with_key(&key_of(secret), id, timestamp, body)
    }

    /// [`signature`] with the HMAC key itself. MLflow signs with the secret's own bytes, whatever
    /// it looks like, so webhooks in MLflow's format are signed with those.
    pub fn signature_with_key(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    /// Checks a `webhook-signature` header (space-separated `v1,…` entries) in constant time.
    pub fn verify(secret: &str, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
        let mut mac = Hmac::<Sha256>::new_from_slice(&key_of(secret)).expect("HMAC takes keys of any length");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        header
            .split(' ')
            .filter_map(|s| s.strip_prefix("v1,"))
            .any(|sig| STANDARD.decode(sig).is_ok_and(|bytes| mac.clone().verify_slice(&bytes).is_ok()))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn matches_the_standard_webhooks_reference_vector() {
            // From the Standard Webhooks reference libraries' tests.
            let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
            let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
            let ts = 1614265330;
            let body = br#"{"test": 2432232314}"#;
            assert_eq!(signature(secret, id, ts, body), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
            assert!(verify(secret, id, ts, body, "v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
            assert!(!verify(secret, id, ts + 1, body, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
        }

        #[test]
        fn new_secrets_are_distinct_and_well_formed() {
            let (a, b) = (new_secret(), new_secret());
            assert_ne!(a, b);
            assert_eq!(key_of(&a).len(), 32);
        }
    }
}

/// Where webhooks may send: never to link-local or cloud metadata addresses; to private and
/// loopback ones only when the operator allows it (`--webhook-allow-private`).
#[cfg(feature = "server")]
pub mod outbound {
    use std::net::IpAddr;

    use crate::error::{Error, Result};

    /// Host names of cloud metadata services.
    const METADATA_HOSTS: [&str; 3] = ["metadata.google.internal", "metadata", "instance-data"];

    /// Why an address is refused, or `None` when it may be used.
    pub fn refusal(ip: IpAddr, allow_private: bool) -> Option<&'static str> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        match ip {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                if v4.is_link_local() || o == [169, 254, 169, 254] || o == [100, 100, 100, 200] {
                    Some("link-local and metadata addresses are never webhook targets")
                } else if v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() {
                    Some("not a unicast address")
                } else if !allow_private
                    && (v4.is_loopback() || v4.is_private() || (o[0] == 100 && (64..128).contains(&o[1])))
                {
                    Some("private and loopback addresses need --webhook-allow-private")
                } else {
                    None
                }
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                if (s[0] & 0xffc0) == 0xfe80 || s == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254] {
                    Some("link-local and metadata addresses are never webhook targets")
                } else if v6.is_unspecified() || v6.is_multicast() {
                    Some("not a unicast address")
                } else if !allow_private && (v6.is_loopback() || (s[0] & 0xfe00) == 0xfc00) {
                    Some("private and loopback addresses need --webhook-allow-private")
                } else {
                    None
                }
            }
        }
    }

    /// Checks a webhook URL as typed: http(s), a host, and no refused literal address or name.
    pub fn check_url(raw: &str, allow_private: bool) -> Result<url::Url> {
        let bad = |m: &str| Error::invalid("url", m.to_string());
        let url = url::Url::parse(raw.trim()).map_err(|e| bad(&format!("Not a URL: {e}.")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("Webhook URLs start with https:// (or http://)."));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("Put no credentials in the URL; receivers check the signature instead."));
        }
        let refused = |why: &str| bad(&format!("This address is refused: {why}."));
        match url.host() {
            None => return Err(bad("The URL has no host.")),
            Some(url::Host::Ipv4(ip)) => {
                if let Some(why) = refusal(IpAddr::V4(ip), allow_private) {
                    return Err(refused(why));
                }
            }
            Some(url::Host::Ipv6(ip)) => {
                if let Some(why) = refusal(IpAddr::V6(ip), allow_private) {
                    return Err(refused(why));
                }
            }
            Some(url::Host::Domain(d)) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                if METADATA_HOSTS.contains(&d.as_str()) {
                    return Err(refused("link-local and metadata addresses are never webhook targets"));
                }
                if !allow_private && (d == "localhost" || d.ends_with(".localhost")) {
                    return Err(refused("private and loopback addresses need --webhook-allow-private"));
                }
            }
        }
        Ok(url)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn metadata_and_link_local_are_always_refused() {
            for url in [
                "http://169.254.169.254/latest/meta-data",
                "http://[fe80::1]/",
                "http://metadata.google.internal/",
                "http://[::ffff:169.254.169.254]/",
                "http://[fd00:ec2::254]/",
            ] {
                assert!(check_url(url, true).is_err(), "{url}");
            }
        }

        #[test]
        fn private_targets_need_the_switch() {
            for url in [
                "http://127.0.0.1:9000/hook",
                "http://10.1.2.3/",
                "http://localhost/",
                "http://[::1]/",
                "http://192.168.1.5/",
            ] {
                assert!(check_url(url, false).is_err(), "{url}");
                assert!(check_url(url, true).is_ok(), "{url}");
            }
            assert!(check_url("https://ci.example.com/hooks/quiver", false).is_ok());
            assert!(check_url("ftp://example.com/", true).is_err());
            assert!(check_url("https://user:pw@example.com/", true).is_err());
        }
    }
}
