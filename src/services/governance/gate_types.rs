//! Promotion gates: the rules a protected alias's policy adds beyond approvals (checks that must
//! pass, tags a version must carry, metric thresholds, a signature compatible with the version
//! the alias names now), and how each stands for one request. Shared with the browser build.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// At most this many rules of each kind per policy.
pub const MAX_RULES: usize = 20;

/// A tag a version must carry, with exactly this value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RequiredTag {
    pub key: String,
    pub value: String,
}

/// How a metric compares with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ThresholdOp {
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = ">")]
    Above,
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = "<")]
    Below,
}

impl ThresholdOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ThresholdOp::AtLeast => ">=",
            ThresholdOp::Above => ">",
            ThresholdOp::AtMost => "<=",
            ThresholdOp::Below => "<",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [ThresholdOp::AtLeast, ThresholdOp::Above, ThresholdOp::AtMost, ThresholdOp::Below]
            .into_iter()
            .find(|o| o.symbol() == raw.trim())
    }

    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            ThresholdOp::AtLeast => value >= threshold,
            ThresholdOp::Above => value > threshold,
            ThresholdOp::AtMost => value <= threshold,
            ThresholdOp::Below => value < threshold,
        }
    }
}

/// A metric of the version's training run (its latest value) against a threshold:
/// `val_accuracy >= 0.9`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MetricThreshold {
    pub metric: String,
    pub op: ThresholdOp,
    pub value: f64,
}

impl MetricThreshold {
    /// "val_accuracy >= 0.9".
    pub fn label(&self) -> String {
        format!("{} {} {}", self.metric, self.op.symbol(), self.value)
    }

    /// "val_accuracy >= 0.9" back into a threshold.
    pub fn parse(raw: &str) -> Result<Self> {
        let bad = || {
            Error::invalid("metric_thresholds", format!("'{raw}' is not a threshold such as `val_accuracy >= 0.9`."))
        };
        let raw = raw.trim();
        let at = raw.find(['<', '>']).ok_or_else(bad)?;
        let (metric, rest) = raw.split_at(at);
        let len = if rest.starts_with(">=") || rest.starts_with("<=") { 2 } else { 1 };
        let op = ThresholdOp::parse(&rest[..len]).ok_or_else(bad)?;
        let value = rest[len..].trim().parse::<f64>().map_err(|_| bad())?;
        let t = MetricThreshold { metric: metric.trim().to_string(), op, value };
        t.validate()?;
        Ok(t)
    }

    pub fn validate(&self) -> Result<()> {
        if self.metric.trim().is_empty() || self.metric.len() > 250 || !self.value.is_finite() {
            return Err(Error::invalid(
                "metric_thresholds",
                format!("'{}' needs a metric name and a finite number.", self.label()),
            ));
        }
        Ok(())
    }
}

/// Where one rule stands for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RuleState {
    Passed,
    Failing,
    /// Not decided yet: a check still running or not reported, a metric not logged.
    Waiting,
}

/// One rule of the policy, evaluated for one request: "check eval/accuracy", "tag
/// validation_status = approved", "val_accuracy >= 0.9", "signature compatible with v2".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleOutcome {
    pub rule: String,
    pub state: RuleState,
    pub reason: String,
}

/// Whether every rule passed (no rules: yes).
pub fn all_pass(rules: &[RuleOutcome]) -> bool {
    rules.iter().all(|r| r.state == RuleState::Passed)
}

/// What still stands in the way, for a note on the request: "waits for: check eval (running); …".
pub fn pending_summary(rules: &[RuleOutcome]) -> String {
    rules
        .iter()
        .filter(|r| r.state != RuleState::Passed)
        .map(|r| format!("{} ({})", r.rule, r.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_read_and_hold() {
        let t = MetricThreshold::parse(" val_accuracy >= 0.9 ").unwrap();
        assert_eq!((t.metric.as_str(), t.op, t.value), ("val_accuracy", ThresholdOp::AtLeast, 0.9));
        assert!(t.op.holds(0.9, 0.9) && !ThresholdOp::Above.holds(0.9, 0.9));
        assert_eq!(MetricThreshold::parse("loss<0.2").unwrap().op, ThresholdOp::Below);
        assert!(MetricThreshold::parse("accuracy = 1").is_err());
        assert!(MetricThreshold::parse(">= 1").is_err());
        assert!(MetricThreshold::parse("acc >= x").is_err());
        let json: MetricThreshold = serde_json::from_str(r#"{"metric": "auc", "op": ">", "value": 0.8}"#).unwrap();
        assert_eq!(json.op, ThresholdOp::Above);
        assert!(serde_json::from_str::<MetricThreshold>(r#"{"metric": "auc", "op": "~", "value": 1}"#).is_err());
    }
}
