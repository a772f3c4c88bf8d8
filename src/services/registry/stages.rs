//! MLflow's legacy stages (None, Staging, Production, Archived): moving versions between them,
//! and the latest version in each.

use crate::error::{Error, Result};
use crate::names::ModelPath;
use crate::services::Quiver;
use crate::services::db::{returned, throwable, who};
use crate::services::governance::Actor;
use crate::services::governance::access::Target;
use crate::services::governance::privileges::Operation;
use crate::services::registry::ModelVersion;
use crate::services::registry::lookup::{RESOLVE, model_not_found, version_not_found};
use crate::services::registry::rows::{VERSION_FIELDS, VersionRow};

pub const STAGES: [&str; 4] = ["None", "Staging", "Production", "Archived"];

/// A stage name, matched case-insensitively ("staging" → "Staging").
pub fn parse_stage(raw: &str) -> Result<&'static str> {
    STAGES.iter().find(|s| s.eq_ignore_ascii_case(raw.trim())).copied().ok_or_else(|| {
        Error::invalid(
            "stage",
            format!("Invalid Model Version stage: {raw}. Value must be one of None, Staging, Production, Archived."),
        )
    })
}

impl Quiver {
    /// Moves a version to a stage; with `archive_existing`, the other versions in that stage
    /// (Staging or Production) move to Archived, in the same transaction.
    pub async fn transition_stage(
        &self,
        actor: &Actor,
        path: &ModelPath,
        version: i64,
        stage: &str,
        archive_existing: bool,
    ) -> Result<ModelVersion> {
        self.authorize(actor, Operation::TransitionStage, Target::Model(path)).await?;
        let stage = parse_stage(stage)?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             LET $id = (SELECT VALUE id FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0];
             IF !$id {{ THROW $no_version }};
             LET $before = $id.current_stage;
             IF $archive AND $stage IN ['Staging', 'Production'] {{
                 FOR $other IN (SELECT id, version FROM model_version WHERE model = $mdl AND current_stage = $stage AND version != $version) {{
                     UPDATE $other.id SET current_stage = 'Archived', updated_at = time::now(), updated_by = $who.by;
                     fn::activity($mdl, $other.version, 'model_version.stage_transitioned', NONE, $stage, 'Archived', $who);
                 }};
             }};
             IF $before != $stage {{
                 UPDATE $id SET current_stage = $stage, updated_at = time::now(), updated_by = $who.by;
                 fn::activity($mdl, $version, 'model_version.stage_transitioned', NONE, $before, $stage, $who);
             }};
             RETURN (SELECT {VERSION_FIELDS} FROM ONLY $id);
             COMMIT TRANSACTION;"
        );
        let mut res = self
            .write_content(
                || {
                    self.path_query(&sql, path)
                        .bind(("version", version))
                        .bind(("stage", stage))
                        .bind(("archive", archive_existing))
                        .bind(("who", who(actor)))
                        .bind(("no_model", throwable(&model_not_found(path))))
                        .bind(("no_version", throwable(&version_not_found(path, version))))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<VersionRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("transition returned nothing"))?.into())
    }

    /// The newest version in each of `stages` (all four when empty), in stage order: one
    /// indexed lookup (model, stage, version) per stage, in one round trip.
    pub async fn latest_versions(
        &self,
        actor: &Actor,
        path: &ModelPath,
        stages: &[String],
    ) -> Result<Vec<ModelVersion>> {
        self.authorize(actor, Operation::GetModel, Target::Model(path)).await?;
        let stages: Vec<&'static str> = if stages.is_empty() {
            STAGES.to_vec()
        } else {
            stages.iter().map(|s| parse_stage(s)).collect::<Result<Vec<_>>>()?
        };
        let key = format!("latest|{}|{}", crate::services::registry::lookup::path_key(path), stages.join(","));
        self.cached(crate::services::cache::Class::Content, key, || async {
            let mdl = self.resolve_model(path).await?;
            // The newest version in each stage, in the order the stages were asked for.
            let newest: Vec<String> = (0..stages.len())
                .map(|i| {
                    format!(
                        "(SELECT {VERSION_FIELDS} FROM model_version WHERE model = $mdl AND current_stage = $stage{i} \
                         ORDER BY version_desc LIMIT 1)[0]"
                    )
                })
                .collect();
            let sql = format!("RETURN [{}];", newest.join(", "));
            let mut query = self.q(&sql).bind(("mdl", mdl));
            for (i, s) in stages.iter().enumerate() {
                query = query.bind((format!("stage{i}"), *s));
            }
            let rows: Vec<Option<VersionRow>> = self.answer(query).await?;
            Ok(rows.into_iter().flatten().map(ModelVersion::from).collect())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_matched_case_insensitively() {
        assert_eq!(parse_stage("staging").unwrap(), "Staging");
        assert!(parse_stage("Canary").unwrap_err().message.contains("must be one of None, Staging"));
    }
}
