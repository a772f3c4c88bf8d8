//! Two versions of a model side by side, as an approver reads them before saying yes: what each
//! is (status, aliases, source, run), and row by row where they differ (signature, metrics with
//! deltas, params, tags, checks, files). The rows are computed here, once, for every surface.
//! The types are shared with the browser; reading the sides is server-only.

use serde::{Deserialize, Serialize};

use crate::services::governance::VersionCheck;
use crate::services::registry::{ModelVersion, Signature, Tag};
use crate::services::tracking::TrainingRun;

/// One version as compared: the version, its training run (when Quiver tracked it), its checks,
/// and its registered files (path, size, SHA-256) when Quiver recorded them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareSide {
    pub version: ModelVersion,
    pub run: Option<TrainingRun>,
    pub checks: Vec<VersionCheck>,
    pub files: Vec<(String, u64, String)>,
}

/// One row of a comparison: a key and its value on each side (none: absent there).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    pub key: String,
    pub a: Option<String>,
    pub b: Option<String>,
    /// For numbers on both sides: b − a.
    pub delta: Option<f64>,
}

impl CompareRow {
    pub fn differs(&self) -> bool {
        self.a != self.b
    }

    /// "added", "removed", "changed" or "same", for styling and screen readers.
    pub fn change(&self) -> &'static str {
        match (&self.a, &self.b) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (a, b) if a != b => "changed",
            _ => "same",
        }
    }
}

/// Two versions compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub a: CompareSide,
    pub b: CompareSide,
}

/// Rows for every key of either side, in key order.
pub(crate) fn rows(a: Vec<(String, String)>, b: Vec<(String, String)>) -> Vec<CompareRow> {
    let mut keys: Vec<String> = a.iter().chain(b.iter()).map(|(k, _)| k.clone()).collect();
    keys.sort();
    keys.dedup();
    let find = |side: &[(String, String)], k: &str| side.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    keys.into_iter()
        .map(|key| {
            let (va, vb) = (find(&a, &key), find(&b, &key));
            let delta = match (va.as_deref().map(str::parse::<f64>), vb.as_deref().map(str::parse::<f64>)) {
                (Some(Ok(x)), Some(Ok(y))) if x.is_finite() && y.is_finite() => Some(y - x),
                _ => None,
            };
            CompareRow { key, a: va, b: vb, delta }
        })
        .collect()
}

fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect()
}

/// A metric value as people read it: up to six significant decimals, no trailing zeros.
pub fn number(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A signature side's fields by name ("name: type", "required" noted), or the whole side as text
/// when it does not parse.
pub(crate) fn signature_side(json: Option<&str>) -> Vec<(String, String)> {
    let Some(json) = json else { return Vec::new() };
    match Signature::fields(json) {
        Ok(fields) => fields
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let name = if f.name.is_empty() { format!("#{}", i + 1) } else { f.name };
                (name, if f.required { f.kind } else { format!("{} (optional)", f.kind) })
            })
            .collect(),
        Err(_) => vec![("(as logged)".into(), json.to_string())],
    }
}

impl Comparison {
    /// Status, stage, aliases, source, run, digest: what each version is.
    pub fn overview(&self) -> Vec<CompareRow> {
        let side = |s: &CompareSide| {
            let v = &s.version;
            let mut out = vec![
                ("status".to_string(), v.status.as_str().to_string()),
                ("source".to_string(), v.source.clone()),
                ("created by".to_string(), v.created.by.clone()),
            ];
            if !v.aliases.is_empty() {
                out.push(("aliases".into(), v.aliases.iter().map(|a| format!("@{a}")).collect::<Vec<_>>().join(" ")));
            }
            if v.stage != "None" && !v.stage.is_empty() {
                out.push(("stage".into(), v.stage.clone()));
            }
            if let Some(r) = &s.run {
                out.push(("run".into(), format!("{} ({})", r.run.run_name, r.experiment_name)));
            } else if let Some(id) = &v.run_id {
                out.push(("run".into(), id.clone()));
            }
            if let Some(d) = &v.digest {
                out.push(("digest".into(), d.clone()));
            }
            if let Some(from) = &v.copied_from {
                out.push(("copied from".into(), from.clone()));
            }
            out
        };
        let mut r = rows(side(&self.a), side(&self.b));
        // The order people read a version in, not alphabetical.
        let order = ["status", "aliases", "stage", "source", "run", "digest", "copied from", "created by"];
        r.sort_by_key(|row| order.iter().position(|k| *k == row.key).unwrap_or(order.len()));
        for row in &mut r {
            row.delta = None;
        }
        r
    }

    /// The signature's inputs and outputs, field by field.
    pub fn signature(&self) -> (Vec<CompareRow>, Vec<CompareRow>) {
        let part = |s: &CompareSide, outputs: bool| {
            signature_side(
                s.version
                    .signature
                    .as_ref()
                    .map(|sig| if outputs { sig.outputs.as_str() } else { sig.inputs.as_str() }),
            )
        };
        let clean = |mut r: Vec<CompareRow>| {
            r.iter_mut().for_each(|row| row.delta = None);
            r
        };
        (clean(rows(part(&self.a, false), part(&self.b, false))), clean(rows(part(&self.a, true), part(&self.b, true))))
    }

    /// The latest value of each metric of the two runs, with b − a.
    pub fn metrics(&self) -> Vec<CompareRow> {
        let side = |s: &CompareSide| -> Vec<(String, String)> {
            s.run
                .as_ref()
                .map(|r| r.run.metrics.iter().map(|m| (m.key.clone(), number(m.value))).collect())
                .unwrap_or_default()
        };
        rows(side(&self.a), side(&self.b))
    }

    pub fn params(&self) -> Vec<CompareRow> {
        let side = |s: &CompareSide| s.run.as_ref().map(|r| pairs(&r.run.params)).unwrap_or_default();
        let mut r = rows(side(&self.a), side(&self.b));
        r.iter_mut().for_each(|row| row.delta = None);
        r
    }

    pub fn tags(&self) -> Vec<CompareRow> {
        let mut r = rows(pairs(&self.a.version.tags), pairs(&self.b.version.tags));
        r.iter_mut().for_each(|row| row.delta = None);
        r
    }

    /// Each check's state on either side ("success", "in progress"…).
    pub fn checks(&self) -> Vec<CompareRow> {
        let side = |s: &CompareSide| {
            s.checks.iter().map(|c| (c.name.clone(), c.state_label().to_string())).collect::<Vec<_>>()
        };
        rows(side(&self.a), side(&self.b))
    }

    /// Each registered file: its size and the start of its SHA-256.
    pub fn files(&self) -> Vec<CompareRow> {
        let side = |s: &CompareSide| {
            s.files
                .iter()
                .map(|(p, size, sha)| (p.clone(), format!("{size} B · {}", &sha[..sha.len().min(12)])))
                .collect::<Vec<_>>()
        };
        let mut r = rows(side(&self.a), side(&self.b));
        r.iter_mut().for_each(|row| row.delta = None);
        r
    }
}

#[cfg(feature = "server")]
mod read {
    use super::{CompareSide, Comparison};
    use crate::error::{ErrorKind, Result};
    use crate::names::{ModelPath, VersionRef};
    use crate::services::Quiver;
    use crate::services::governance::Actor;

    /// What a side may lack without failing the comparison: a run or files the caller may not
    /// read, or that are gone.
    fn optional<T: Default>(r: Result<T>) -> Result<T> {
        match r {
            Err(e) if matches!(e.kind, ErrorKind::PermissionDenied | ErrorKind::NotFound) => Ok(T::default()),
            other => other,
        }
    }

    impl Quiver {
        /// Versions `a` and `b` of a model side by side (EXECUTE on the model, as for reading one).
        pub async fn compare_versions(
            &self,
            actor: &Actor,
            path: &ModelPath,
            a: &VersionRef,
            b: &VersionRef,
        ) -> Result<Comparison> {
            let a = self.compare_side(actor, path, a).await?;
            let b = self.compare_side(actor, path, b).await?;
            Ok(Comparison { a, b })
        }

        async fn compare_side(&self, actor: &Actor, path: &ModelPath, at: &VersionRef) -> Result<CompareSide> {
            let version = self.get_version_ref(actor, path, at).await?;
            let number = VersionRef::Number(version.version);
            let checks = self.version_checks(actor, path, version.version).await?;
            let run = optional(self.version_run(actor, path, &number).await)?;
            let files = optional(
                self.version_files(actor, path, &number)
                    .await
                    .map(|f| f.manifest.into_iter().map(|f| (f.path, f.size, f.sha256)).collect::<Vec<_>>()),
            )?;
            Ok(CompareSide { version, run, checks, files })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(a: Option<&str>, b: Option<&str>) -> CompareRow {
        CompareRow { key: "k".into(), a: a.map(Into::into), b: b.map(Into::into), delta: None }
    }

    #[test]
    fn rows_cover_both_sides_with_numeric_deltas() {
        let a = vec![("acc".to_string(), "0.91".to_string()), ("loss".to_string(), "0.3".to_string())];
        let b = vec![("acc".to_string(), "0.93".to_string()), ("f1".to_string(), "0.8".to_string())];
        let r = rows(a, b);
        assert_eq!(r.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["acc", "f1", "loss"]);
        assert!((r[0].delta.unwrap() - 0.02).abs() < 1e-9);
        assert_eq!((r[1].change(), r[2].change()), ("added", "removed"));
        assert_eq!(r[1].delta, None);
        assert_eq!(row(Some("x"), Some("x")).change(), "same");
        assert_eq!(row(Some("x"), Some("y")).change(), "changed");
        assert_eq!(number(0.930000), "0.93");
        assert_eq!(number(12.0), "12");
    }

    #[test]
    fn signatures_compare_field_by_field() {
        let a =
            r#"[{"name": "x", "type": "double", "required": true}, {"name": "y", "type": "long", "required": true}]"#;
        let b = r#"[{"name": "x", "type": "double", "required": true}, {"name": "y", "type": "string", "required": false}]"#;
        let r = rows(signature_side(Some(a)), signature_side(Some(b)));
        assert_eq!(r.len(), 2);
        assert!(!r[0].differs());
        assert_eq!(r[1].b.as_deref(), Some("string (optional)"));
        assert_eq!(signature_side(Some("{")), vec![("(as logged)".to_string(), "{".to_string())]);
    }
}
