//! The signature of a logged model: MLflow's registry has no signature field, so a version's
//! signature is read from the `MLmodel` file (YAML) its client logged with the model.

use crate::services::Quiver;
use crate::services::governance::Actor;

/// Largest `MLmodel` file read for a signature (a real one is a few KiB).
const MAX_MLMODEL_BYTES: u64 = 1 << 20;

/// A signature's inputs and outputs: MLflow's JSON column or tensor specs.
pub(crate) type LoggedSignature = (Option<String>, Option<String>);

/// `signature.inputs` and `signature.outputs` of an `MLmodel` file (YAML), each kept only when
/// it is a valid spec; `None` when the file has neither.
pub(crate) fn mlmodel_signature(yaml: &str) -> Option<LoggedSignature> {
    let docs = yaml_rust2::YamlLoader::load_from_str(yaml).ok()?;
    let signature = &docs.first()?["signature"];
    let part = |key: &str| {
        signature[key]
            .as_str()
            .map(str::to_string)
            .filter(|json| crate::services::registry::Signature::fields(json).is_ok())
    };
    let (inputs, outputs) = (part("inputs"), part("outputs"));
    (inputs.is_some() || outputs.is_some()).then_some((inputs, outputs))
}

impl Quiver {
    /// The signature MLflow wrote into the `MLmodel` file of the model a version is registered
    /// from, as (inputs, outputs), when Quiver stores that file and it has one. MLflow's
    /// registry has no signature field: clients log it with the model (inferred from an input
    /// example), so this is where a version's signature comes from.
    pub(crate) async fn logged_signature(
        &self,
        actor: &Actor,
        model_id: Option<&str>,
        source: &str,
    ) -> Option<LoggedSignature> {
        if model_id.is_none()
            && !source.starts_with("models:/")
            && !source.starts_with("runs:/")
            && !source.starts_with("mlflow-artifacts:")
        {
            return None; // s3://, file:// and the like: not Quiver's to read
        }
        let uri = self.artifact_uri_of(actor, model_id.map(str::to_string), source.to_string()).await.ok()?;
        let folder = uri.strip_prefix("mlflow-artifacts:")?.trim_start_matches('/');
        let file = format!("{folder}/MLmodel");
        let bytes = match self.artifact_store().read_small(&file, MAX_MLMODEL_BYTES).await {
            Ok(bytes) => bytes?,
            Err(e) => {
                tracing::warn!(file, error = %e.message, "cannot read the signature in an MLmodel file");
                return None;
            }
        };
        mlmodel_signature(std::str::from_utf8(&bytes).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As MLflow 3.17 writes it: PyYAML folds long quoted strings over several lines.
    const MLMODEL: &str = r#"artifact_path: mlflow-artifacts:/0/models/m-f8/artifacts
flavors:
  python_function:
    loader_module: mlflow.sklearn
signature:
  inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type":
    "double", "name": "petal width
    (cm)", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
utc_time_created: '2026-11-24 20:12:39.240124'
"#;

    #[test]
    fn the_signature_is_read_from_a_folded_mlmodel() {
        let (inputs, outputs) = mlmodel_signature(MLMODEL).expect("a signature");
        let inputs = crate::services::registry::Signature::fields(&inputs.expect("inputs")).expect("valid");
        let names: Vec<_> = inputs.iter().map(|f| (f.name.as_str(), f.kind.as_str())).collect();
        assert_eq!(names, [("sepal length (cm)", "double"), ("petal width (cm)", "double")]);
        assert_eq!(outputs.as_deref(), Some(r#"[{"type": "long", "required": true}]"#));
    }

    #[test]
    fn files_without_a_valid_signature_give_none() {
        assert_eq!(mlmodel_signature("flavors:\n  python_function: {}\n"), None);
        assert_eq!(mlmodel_signature("signature:\n  inputs: null\n  outputs: null\n"), None);
        assert_eq!(mlmodel_signature("signature: [unclosed"), None);
        // A part that is not a spec is dropped, the other kept.
        let (inputs, outputs) =
            mlmodel_signature("signature:\n  inputs: 'not json'\n  outputs: '[{\"type\": \"long\"}]'\n")
                .expect("outputs");
        assert_eq!((inputs, outputs.as_deref()), (None, Some(r#"[{"type": "long"}]"#)));
    }
}
