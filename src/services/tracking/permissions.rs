//! Who may read, edit and manage an MLflow experiment and everything in it (runs, their metrics,
//! datasets and artifacts, logged models): Databricks' experiment permission levels.
//!
//! Pure data (no store): the services check every tracking call against [`ExperimentLevel`], the
//! UI shows the same levels and the docs describe them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::services::governance::PrincipalKind;

/// A permission level on an experiment; each includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ExperimentLevel {
    /// See the experiment, its runs, logged models and artifacts.
    Read,
    /// Also start and change runs, log to them, upload artifacts, set tags, log models.
    Edit,
    /// Also rename, delete and restore it, and grant and revoke levels on it.
    Manage,
}

impl ExperimentLevel {
    pub const ALL: [ExperimentLevel; 3] = [ExperimentLevel::Read, ExperimentLevel::Edit, ExperimentLevel::Manage];

    /// As Databricks' permissions API and the store spell it: `CAN_READ`.
    pub fn api_name(self) -> &'static str {
        match self {
            ExperimentLevel::Read => "CAN_READ",
            ExperimentLevel::Edit => "CAN_EDIT",
            ExperimentLevel::Manage => "CAN_MANAGE",
        }
    }

    /// As people read it: "Can read".
    pub fn label(self) -> &'static str {
        match self {
            ExperimentLevel::Read => "Can read",
            ExperimentLevel::Edit => "Can edit",
            ExperimentLevel::Manage => "Can manage",
        }
    }

    /// `CAN_READ`, `can read`, or MLflow's own names (`READ`, `EDIT`, `MANAGE`).
    pub fn parse(raw: &str) -> Option<Self> {
        let norm = raw.trim().to_ascii_uppercase().replace(' ', "_");
        let norm = norm.strip_prefix("CAN_").unwrap_or(&norm);
        match norm {
            "READ" => Some(ExperimentLevel::Read),
            "EDIT" => Some(ExperimentLevel::Edit),
            "MANAGE" => Some(ExperimentLevel::Manage),
            _ => None,
        }
    }
}

impl fmt::Display for ExperimentLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.api_name())
    }
}

/// One principal's level on an experiment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExperimentGrant {
    pub principal: String,
    pub kind: PrincipalKind,
    pub level: ExperimentLevel,
}

/// An experiment's owner (its creator, who holds CAN_MANAGE) and the levels granted on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExperimentPermissions {
    pub experiment_id: String,
    pub name: String,
    pub owner: String,
    pub grants: Vec<ExperimentGrant>,
}

/// One change: give `principal` a level, or take its level away (`None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExperimentGrantChange {
    pub principal: String,
    pub level: Option<ExperimentLevel>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_in_databricks_and_mlflow_spellings_and_are_ordered() {
        for l in ExperimentLevel::ALL {
            assert_eq!(ExperimentLevel::parse(l.api_name()), Some(l));
            assert_eq!(ExperimentLevel::parse(&l.label().to_lowercase()), Some(l));
        }
        assert_eq!(ExperimentLevel::parse("EDIT"), Some(ExperimentLevel::Edit));
        assert_eq!(ExperimentLevel::parse("CAN_RUN"), None);
        assert_eq!(ExperimentLevel::parse("NO_PERMISSIONS"), None);
        assert!(ExperimentLevel::Read < ExperimentLevel::Edit && ExperimentLevel::Edit < ExperimentLevel::Manage);
    }
}
