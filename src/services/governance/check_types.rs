//! Deployment checks: results CI reports against a version, GitHub-checks style (a name, a
//! status, a conclusion once completed, a link and a summary). Shared with the browser build.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Longest check name, summary and details URL accepted.
pub const MAX_CHECK_NAME: usize = 100;
pub const MAX_CHECK_SUMMARY: usize = 64 * 1024;
pub const MAX_CHECK_URL: usize = 2048;

/// Where a check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Queued,
    InProgress,
    Completed,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Queued => "queued",
            CheckStatus::InProgress => "in_progress",
            CheckStatus::Completed => "completed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [CheckStatus::Queued, CheckStatus::InProgress, CheckStatus::Completed].into_iter().find(|s| s.as_str() == raw)
    }
}

/// How a completed check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckConclusion {
    Success,
    Failure,
    Neutral,
    Cancelled,
    TimedOut,
}

impl CheckConclusion {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckConclusion::Success => "success",
            CheckConclusion::Failure => "failure",
            CheckConclusion::Neutral => "neutral",
            CheckConclusion::Cancelled => "cancelled",
            CheckConclusion::TimedOut => "timed_out",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            CheckConclusion::Success,
            CheckConclusion::Failure,
            CheckConclusion::Neutral,
            CheckConclusion::Cancelled,
            CheckConclusion::TimedOut,
        ]
        .into_iter()
        .find(|c| c.as_str() == raw)
    }
}

/// What CI reports for one check of one version (`PUT …/checks/{name}`). Fields Quiver does not
/// know are refused, so a typo is not silently dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CheckReport {
    pub status: CheckStatus,
    /// Required when (and only when) `status` is `completed`.
    #[serde(default)]
    pub conclusion: Option<CheckConclusion>,
    /// Where the run's details are (http or https).
    #[serde(default)]
    pub details_url: Option<String>,
    /// Markdown, shown on the version page.
    #[serde(default)]
    pub summary: Option<String>,
    /// Defaults: when the check was first reported in progress, and when it was reported completed.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
}

impl CheckReport {
    /// A report of `status` (and `conclusion`), the other fields left to their defaults.
    pub fn new(status: CheckStatus, conclusion: Option<CheckConclusion>) -> Self {
        CheckReport { status, conclusion, details_url: None, summary: None, started_at: None, completed_at: None }
    }

    /// The report's own consistency (the name is checked by [`check_name`]).
    pub fn validate(&self) -> Result<()> {
        match (self.status, self.conclusion) {
            (CheckStatus::Completed, None) => {
                return Err(Error::invalid("conclusion", "A completed check needs a conclusion."));
            }
            (CheckStatus::Queued | CheckStatus::InProgress, Some(_)) => {
                return Err(Error::invalid("conclusion", "Only a completed check has a conclusion."));
            }
            _ => {}
        }
        if self.completed_at.is_some() && self.status != CheckStatus::Completed {
            return Err(Error::invalid("completed_at", "Only a completed check has a completion time."));
        }
        if let (Some(s), Some(c)) = (self.started_at, self.completed_at) {
            if c < s {
                return Err(Error::invalid("completed_at", "A check cannot complete before it started."));
            }
        }
        if let Some(url) = &self.details_url {
            let ok = url.len() <= MAX_CHECK_URL
                && (url.starts_with("https://") || url.starts_with("http://"))
                && !url.chars().any(|c| c.is_control() || c.is_whitespace());
            if !ok {
                return Err(Error::invalid(
                    "details_url",
                    format!("An http(s) URL of at most {MAX_CHECK_URL} characters, without spaces."),
                ));
            }
        }
        if self.summary.as_ref().is_some_and(|s| s.len() > MAX_CHECK_SUMMARY) {
            return Err(Error::invalid("summary", format!("A summary is at most {} KiB.", MAX_CHECK_SUMMARY / 1024)));
        }
        Ok(())
    }
}

/// A check's name: 1 to 100 characters, no control characters, not only spaces.
pub fn check_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_CHECK_NAME || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            format!("A check name is 1 to {MAX_CHECK_NAME} characters, without control characters."),
        ));
    }
    Ok(name.to_string())
}

/// One check of a version, as last reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionCheck {
    pub name: String,
    pub status: CheckStatus,
    pub conclusion: Option<CheckConclusion>,
    pub details_url: Option<String>,
    pub summary: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Who reported it last.
    pub reported_by: String,
}

impl VersionCheck {
    /// Passed: completed with success (neutral counts as passed, as GitHub's required checks do).
    pub fn passed(&self) -> bool {
        matches!(self.conclusion, Some(CheckConclusion::Success | CheckConclusion::Neutral))
    }

    /// How long it ran, when it has both ends.
    pub fn duration(&self) -> Option<chrono::Duration> {
        Some(self.completed_at? - self.started_at?)
    }

    /// For people: "queued", "in progress", "success", "failure", "timed out"….
    pub fn state_label(&self) -> &'static str {
        match (self.status, self.conclusion) {
            (CheckStatus::Completed, Some(c)) => match c {
                CheckConclusion::Success => "success",
                CheckConclusion::Failure => "failure",
                CheckConclusion::Neutral => "neutral",
                CheckConclusion::Cancelled => "cancelled",
                CheckConclusion::TimedOut => "timed out",
            },
            (CheckStatus::InProgress, _) => "in progress",
            _ => "queued",
        }
    }
}

/// A version's checks counted by outcome, for lists of versions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRollup {
    /// Completed with success or neutral.
    pub passed: u32,
    /// Completed with failure, cancelled or timed out.
    pub failed: u32,
    /// Queued or in progress.
    pub pending: u32,
}

impl CheckRollup {
    pub fn add(&mut self, status: CheckStatus, conclusion: Option<CheckConclusion>, count: u32) {
        match (status, conclusion) {
            (CheckStatus::Completed, Some(CheckConclusion::Success | CheckConclusion::Neutral)) => self.passed += count,
            (CheckStatus::Completed, _) => self.failed += count,
            _ => self.pending += count,
        }
    }

    pub fn total(&self) -> u32 {
        self.passed + self.failed + self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_consistent_or_refused_with_the_field() {
        assert!(CheckReport::new(CheckStatus::Queued, None).validate().is_ok());
        assert!(CheckReport::new(CheckStatus::Completed, Some(CheckConclusion::Failure)).validate().is_ok());
        let e = CheckReport::new(CheckStatus::Completed, None).validate().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("conclusion"));
        let e = CheckReport::new(CheckStatus::InProgress, Some(CheckConclusion::Success)).validate().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("conclusion"));
        let mut r = CheckReport::new(CheckStatus::Completed, Some(CheckConclusion::Success));
        r.details_url = Some("javascript:alert(1)".into());
        assert_eq!(r.validate().unwrap_err().field.as_deref(), Some("details_url"));
        r.details_url = Some("https://ci.example/run/1".into());
        r.started_at = Some(Utc::now());
        r.completed_at = Some(Utc::now() - chrono::Duration::minutes(1));
        assert_eq!(r.validate().unwrap_err().field.as_deref(), Some("completed_at"));
        assert!(check_name("  ").is_err());
        assert!(check_name(&"x".repeat(101)).is_err());
        assert_eq!(check_name(" eval / accuracy ").unwrap(), "eval / accuracy");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = serde_json::from_str::<CheckReport>(r#"{"status": "queued", "conclusoin": "success"}"#).unwrap_err();
        assert!(e.to_string().contains("conclusoin"), "{e}");
        let e = serde_json::from_str::<CheckReport>(r#"{"status": "done"}"#).unwrap_err();
        assert!(e.to_string().contains("done"), "{e}");
    }
}
