//! Artifact paths: relative to the store's root, never leaving it, and read in canonical form.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// `relative` under `root`, or an error when it is absolute, climbs out with `..`, or holds
/// characters no artifact path has.
pub fn resolve_artifact_path(root: &Path, relative: &str) -> Result<PathBuf> {
    let relative = relative.trim_start_matches('/');
    let bad = || Error::invalid("path", format!("'{relative}' is not a valid artifact path."));
    if relative.contains('\0') || relative.contains('\\') {
        return Err(bad());
    }
    let mut out = root.to_path_buf();
    for c in Path::new(relative).components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// An artifact path in canonical form: no empty or `.` parts (`/1//a/./b` is `1/a/b`); `..`,
/// backslashes and NUL are refused.
pub(crate) fn canonical(relative: &str) -> Result<String> {
    let bad = || Error::invalid("path", format!("'{relative}' is not a valid artifact path."));
    if relative.contains('\0') || relative.contains('\\') {
        return Err(bad());
    }
    let mut parts = Vec::new();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(bad()),
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// The path below the store's root that an `mlflow-artifacts:` URI names, in canonical form;
/// `None` for files stored elsewhere (`s3://…`).
pub(crate) fn stored_root(uri: &str) -> Result<Option<String>> {
    uri.strip_prefix("mlflow-artifacts:").map(canonical).transpose()
}

/// `path` and every folder above it, shortest first (`1`, `1/r`, `1/r/a.pkl`).
pub(crate) fn with_ancestors(path: &str) -> Vec<String> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    (1..=parts.len()).map(|n| parts[..n].join("/")).collect()
}

/// The experiment an artifact path is in and the path in canonical form, or `None` when its
/// first part is not an experiment number written as Quiver writes it (`1`, not `01` or `+1`).
pub(crate) fn in_experiment(relative: &str) -> Result<Option<(i64, String)>> {
    let path = canonical(relative)?;
    let first = path.split('/').next().unwrap_or("");
    let num = first.parse::<i64>().ok().filter(|n| n.to_string() == first);
    Ok(num.map(|n| (n, path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_under_the_root() {
        let root = Path::new("/data/artifacts");
        assert_eq!(
            resolve_artifact_path(root, "1/models/m-1/artifacts/MLmodel").unwrap(),
            root.join("1/models/m-1/artifacts/MLmodel")
        );
        assert_eq!(resolve_artifact_path(root, "/1/./a").unwrap(), root.join("1/a"));
        for bad in ["../etc/passwd", "1/../../x", "a\\..\\b", "a\0b"] {
            assert!(resolve_artifact_path(root, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stored_roots_and_their_ancestors() {
        assert_eq!(stored_root("mlflow-artifacts:/1//r/./artifacts/").unwrap().as_deref(), Some("1/r/artifacts"));
        assert_eq!(stored_root("s3://bucket/x").unwrap(), None);
        assert!(stored_root("mlflow-artifacts:/1/../2").is_err());
        assert_eq!(with_ancestors("1/r/a.pkl"), ["1", "1/r", "1/r/a.pkl"]);
        assert!(with_ancestors("").is_empty());
    }

    #[test]
    fn artifact_paths_are_read_in_canonical_form() {
        assert_eq!(in_experiment("/1//models/./m-1/artifacts/").unwrap(), Some((1, "1/models/m-1/artifacts".into())));
        assert_eq!(in_experiment("12").unwrap(), Some((12, "12".into())));
        for outside in ["", "01/x", "+1/x", "-0/x", "x/1", "1a/x"] {
            assert_eq!(in_experiment(outside).unwrap(), None, "{outside}");
        }
        assert!(in_experiment("1/../2/x").is_err());
    }
}
