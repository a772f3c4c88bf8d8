//! MLflow experiments: create, find, rename, delete and restore, and their tags
//! (`mlflow.note.content` is an experiment's description).

use surrealdb::types::SurrealValue;

use crate::error::{Error, Result};
use crate::services::db::{returned, throwable};
use crate::services::governance::Actor;
use crate::services::paging::{Page, PageRequest};
use crate::services::registry::Tag;
use crate::services::registry::rows::TagRow;
use crate::services::tracking::access::{EXPERIMENT_IN_SCOPE, EXPERIMENT_SCOPE, InExperiment, bind_experiment_scope};
use crate::services::tracking::lookup::{check_kv, experiment_not_found, experiment_num};
use crate::services::tracking::{Experiment, ExperimentLevel};
use crate::services::{Quiver, paging};

/// MLflow's limit on experiment tag values; the count is Quiver's (they live on the record).
const MAX_TAG_VALUE_LEN: usize = 20_000;
const MAX_TAGS: usize = 200;

/// A trimmed experiment name of 1 to 500 characters.
fn check_experiment_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 500 {
        return Err(Error::invalid("name", "An experiment name must have 1 to 500 characters."));
    }
    Ok(name)
}

/// An experiment tag as MLflow accepts it: a value of at most 20,000 characters.
fn check_experiment_tag(key: &str, value: &str) -> Result<()> {
    check_kv("tag", key, value, MAX_TAG_VALUE_LEN)
}

pub(crate) const EXPERIMENT_FIELDS: &str =
    "num, name, artifact_location, lifecycle_stage, created_at, updated_at, tags ?? [] AS tags";

#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct ExperimentRow {
    pub(crate) num: i64,
    name: String,
    artifact_location: String,
    lifecycle_stage: String,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
    tags: Vec<TagRow>,
}

impl From<ExperimentRow> for Experiment {
    fn from(r: ExperimentRow) -> Self {
        Experiment {
            experiment_id: r.num.to_string(),
            name: r.name,
            artifact_location: r.artifact_location,
            lifecycle_stage: r.lifecycle_stage,
            creation_time: r.created_at.timestamp_millis(),
            last_update_time: r.updated_at.timestamp_millis(),
            tags: crate::services::registry::rows::sorted_tags(r.tags),
        }
    }
}

impl Quiver {
    pub async fn create_experiment(
        &self,
        actor: &Actor,
        name: &str,
        artifact_location: Option<&str>,
        tags: &[Tag],
    ) -> Result<String> {
        if !actor.principal.admin && actor.principal.user_id.is_empty() {
            return Err(Error::permission_denied("Sign in first."));
        }
        let name = check_experiment_name(name)?;
        for t in tags {
            check_experiment_tag(&t.key, &t.value)?;
        }
        let tags = crate::services::registry::models::dedup_tags(tags);
        if tags.len() > MAX_TAGS {
            return Err(Error::invalid("tags", format!("An experiment has at most {MAX_TAGS} tags.")));
        }
        let tags: Vec<serde_json::Value> =
            tags.into_iter().map(|t| serde_json::json!({"key": t.key, "value": t.value})).collect();
        if artifact_location.is_some_and(|l| !l.is_empty() && !l.starts_with("mlflow-artifacts:/")) {
            return Err(Error::invalid(
                "artifact_location",
                "Quiver stores artifacts itself: leave artifact_location out.",
            ));
        }
        let sql = "BEGIN TRANSACTION;
            LET $num = (UPSERT ONLY sequence:experiment SET value += 1 RETURN VALUE value);
            CREATE experiment SET num = $num, name = $name, artifact_location = 'mlflow-artifacts:/' + <string> $num,
                lifecycle_stage = 'active', created_at = time::now(), updated_at = time::now(), created_by = $actor,
                tags = $tags;
            RETURN $num;
            COMMIT TRANSACTION;";
        let mut res = self
            .write_content(
                || {
                    self.q(sql)
                        .bind(("name", name.to_string()))
                        .bind(("actor", actor.principal.username.clone()))
                        .bind(("tags", tags.clone()))
                },
                |_| Error::already_exists("name", format!("Experiment '{name}' already exists.")),
            )
            .await?;
        let num: Option<i64> = returned(&mut res)?;
        Ok(num.ok_or_else(|| Error::internal("experiment number missing"))?.to_string())
    }

    /// MLflow's experiments/delete: the experiment and its active runs are marked deleted (the
    /// name stays taken); with `deleted` false, experiments/restore brings both back (runs deleted
    /// on their own before stay deleted).
    pub async fn set_experiment_deleted(&self, actor: &Actor, id: &str, deleted: bool) -> Result<()> {
        let num = experiment_num(id)?;
        if num == 0 && deleted {
            return Err(Error::invalid("experiment_id", "The Default experiment (id 0) cannot be deleted."));
        }
        let what = if deleted { "delete it" } else { "restore it" };
        self.require_experiment(actor, InExperiment::Experiment(num), ExperimentLevel::Manage, what).await?;
        let sql = "BEGIN TRANSACTION;
            LET $exp = (SELECT id, lifecycle_stage FROM experiment WHERE num = $num LIMIT 1)[0];
            IF !$exp { THROW $missing };
            IF $deleted AND $exp.lifecycle_stage = 'active' {
                UPDATE $exp.id SET lifecycle_stage = 'deleted', updated_at = time::now();
                UPDATE run SET lifecycle_stage = 'deleted', deleted_time = $now, deleted_with_experiment = true
                    WHERE experiment = $exp.id AND lifecycle_stage = 'active';
            } ELSE IF !$deleted AND $exp.lifecycle_stage = 'deleted' {
                UPDATE run SET lifecycle_stage = 'active', deleted_time = NONE, deleted_with_experiment = NONE
                    WHERE experiment = $exp.id AND deleted_with_experiment = true;
                UPDATE $exp.id SET lifecycle_stage = 'active', updated_at = time::now();
            };
            COMMIT TRANSACTION;";
        let now = chrono::Utc::now().timestamp_millis();
        self.write_content(
            || {
                self.q(sql)
                    .bind(("num", num))
                    .bind(("deleted", deleted))
                    .bind(("now", now))
                    .bind(("missing", throwable(&experiment_not_found(id))))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }

    /// MLflow's experiments/update: a new name, unique among all experiments (deleted ones too).
    pub async fn rename_experiment(&self, actor: &Actor, id: &str, new_name: &str) -> Result<()> {
        let num = experiment_num(id)?;
        let name = check_experiment_name(new_name)?;
        self.require_experiment(actor, InExperiment::Experiment(num), ExperimentLevel::Manage, "rename it").await?;
        let sql = "BEGIN TRANSACTION;
            LET $exp = (SELECT VALUE id FROM experiment WHERE num = $num LIMIT 1)[0];
            IF !$exp { THROW $missing };
            UPDATE $exp SET name = $name, updated_at = time::now();
            COMMIT TRANSACTION;";
        self.write_content(
            || {
                self.q(sql)
                    .bind(("num", num))
                    .bind(("name", name.to_string()))
                    .bind(("missing", throwable(&experiment_not_found(id))))
            },
            |_| Error::already_exists("new_name", format!("Experiment '{name}' already exists.")),
        )
        .await?;
        Ok(())
    }

    pub async fn get_experiment(&self, actor: &Actor, id: &str) -> Result<Experiment> {
        let num = experiment_num(id)?;
        self.require_experiment(actor, InExperiment::Experiment(num), ExperimentLevel::Read, "read it").await?;
        self.fetch_experiment(num).await
    }

    /// An experiment by number, unchecked: for callers that checked access another way.
    pub(crate) async fn fetch_experiment(&self, num: i64) -> Result<Experiment> {
        let sql = format!("SELECT {EXPERIMENT_FIELDS} FROM experiment WHERE num = $num LIMIT 1");
        let row: Option<ExperimentRow> = self.answer(self.q(&sql).bind(("num", num))).await?;
        row.map(Into::into).ok_or_else(|| experiment_not_found(&num.to_string()))
    }

    /// An experiment by name. One the caller may not read is refused rather than reported
    /// missing, so that `mlflow.set_experiment` says why instead of failing to create it.
    pub async fn get_experiment_by_name(&self, actor: &Actor, name: &str) -> Result<Experiment> {
        let sql = format!("SELECT {EXPERIMENT_FIELDS} FROM experiment WHERE name = $name LIMIT 1");
        let row: Option<ExperimentRow> = self.answer(self.q(&sql).bind(("name", name.to_string()))).await?;
        let row = row.ok_or_else(|| Error::not_found(format!("Could not find experiment with name '{name}'")))?;
        self.require_experiment(actor, InExperiment::Experiment(row.num), ExperimentLevel::Read, "read it").await?;
        Ok(row.into())
    }

    /// One page of the active experiments the caller may read, newest first (the UI's list),
    /// paged by number.
    pub async fn experiments_page(&self, actor: &Actor, page: &PageRequest) -> Result<Page<Experiment>> {
        let limit = paging::limit(page)?;
        let sql = format!(
            "{EXPERIMENT_SCOPE} SELECT {EXPERIMENT_FIELDS} FROM experiment WHERE num < $below \
             AND lifecycle_stage = 'active' AND {EXPERIMENT_IN_SCOPE} ORDER BY num DESC LIMIT $limit"
        );
        let query = self.q(&sql).bind(("below", paging::below_number(page)?)).bind(("limit", limit + 1));
        let rows: Vec<ExperimentRow> = self.answer(bind_experiment_scope(query, actor)).await?;
        Ok(paging::page(rows, limit, |r| paging::number_token(r.num), Into::into))
    }

    /// MLflow's experiments/set-experiment-tag: sets one tag, replacing the key's value. Deleted
    /// experiments keep their tags as they are (MLflow refuses the change too).
    pub async fn set_experiment_tag(&self, actor: &Actor, id: &str, key: &str, value: &str) -> Result<()> {
        check_experiment_tag(key, value)?;
        let sql = "BEGIN TRANSACTION;
            LET $exp = (SELECT id, lifecycle_stage, tags ?? [] AS tags FROM experiment WHERE num = $num LIMIT 1)[0];
            IF !$exp { THROW $missing };
            IF $exp.lifecycle_stage != 'active' { THROW $deleted };
            LET $others = $exp.tags[WHERE key != $key];
            IF array::len($others) >= $max { THROW $too_many };
            UPDATE $exp.id SET tags = array::push($others, { key: $key, value: $value }), updated_at = time::now();
            COMMIT TRANSACTION;";
        self.experiment_tag_change(actor, id, sql, key, Some(value)).await
    }

    /// MLflow's experiments/delete-experiment-tag. A key the experiment does not have is an
    /// error, as in MLflow.
    pub async fn delete_experiment_tag(&self, actor: &Actor, id: &str, key: &str) -> Result<()> {
        let sql = "BEGIN TRANSACTION;
            LET $exp = (SELECT id, lifecycle_stage, tags ?? [] AS tags FROM experiment WHERE num = $num LIMIT 1)[0];
            IF !$exp { THROW $missing };
            IF $exp.lifecycle_stage != 'active' { THROW $deleted };
            IF $exp.tags[WHERE key = $key] = [] { THROW $no_tag };
            UPDATE $exp.id SET tags = $exp.tags[WHERE key != $key], updated_at = time::now();
            COMMIT TRANSACTION;";
        self.experiment_tag_change(actor, id, sql, key, None).await
    }

    async fn experiment_tag_change(
        &self,
        actor: &Actor,
        id: &str,
        sql: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<()> {
        let num = experiment_num(id)?;
        self.require_experiment(actor, InExperiment::Experiment(num), ExperimentLevel::Edit, "change its tags").await?;
        let deleted = crate::services::db::throwable(&Error::precondition(&format!(
            "Experiment {id} is deleted: restore it before changing its tags."
        )));
        let no_tag = throwable(&Error::not_found(format!("Experiment {id} has no tag '{key}'.")));
        self.write_content(
            || {
                self.q(sql)
                    .bind(("num", num))
                    .bind(("key", key.to_string()))
                    .bind(("value", value.map(str::to_string)))
                    .bind(("max", MAX_TAGS))
                    .bind(("missing", throwable(&experiment_not_found(id))))
                    .bind(("deleted", deleted.clone()))
                    .bind(("no_tag", no_tag.clone()))
                    .bind((
                        "too_many",
                        crate::services::db::throwable(&Error::precondition(&format!(
                            "An experiment has at most {MAX_TAGS} tags."
                        ))),
                    ))
            },
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }
}
