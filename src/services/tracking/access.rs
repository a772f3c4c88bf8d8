//! Experiment permissions: every tracking call (experiments, runs, what runs log, logged models,
//! artifacts) is checked here against the caller's level on the experiment it touches. The
//! creator owns an experiment and holds CAN_MANAGE; administrators hold everything; anyone else
//! holds the highest level granted to them or one of their groups, or nothing: a new user sees
//! no experiment until given one or creating their own.

use surrealdb::types::SurrealValue;

use crate::error::{Error, ErrorKind, Result};
use crate::services::Quiver;
use crate::services::cache::Class;
use crate::services::db::{throwable, who};
use crate::services::governance::access::{NAMES, bind_principal};
use crate::services::governance::{Actor, PrincipalKind};
use crate::services::tracking::lookup::{experiment_not_found, experiment_num};
use crate::services::tracking::{ExperimentGrant, ExperimentGrantChange, ExperimentLevel, ExperimentPermissions};

const MAX_CHANGES: usize = 100;

/// Something that lives in one experiment, by the key its callers know it by.
#[derive(Debug, Clone, Copy)]
pub(crate) enum InExperiment<'a> {
    Experiment(i64),
    Run(&'a str),
    LoggedModel(&'a str),
}

impl InExperiment<'_> {
    /// `SELECT … FROM … WHERE … = $key` giving the experiment's id, number and owner.
    fn lookup(&self) -> &'static str {
        match self {
            InExperiment::Experiment(_) => {
                "SELECT id, num, created_by AS owner FROM experiment WHERE num = $key LIMIT 1"
            }
            InExperiment::Run(_) => {
                "SELECT experiment AS id, experiment.num AS num, experiment.created_by AS owner FROM run \
                 WHERE run_id = $key LIMIT 1"
            }
            InExperiment::LoggedModel(_) => {
                "SELECT experiment AS id, experiment.num AS num, experiment.created_by AS owner FROM logged_model \
                 WHERE model_id = $key LIMIT 1"
            }
        }
    }

    fn cache_key(&self, user_id: &str) -> String {
        match self {
            InExperiment::Experiment(n) => format!("exp-level|{user_id}|e|{n}"),
            InExperiment::Run(r) => format!("exp-level|{user_id}|r|{r}"),
            InExperiment::LoggedModel(m) => format!("exp-level|{user_id}|m|{m}"),
        }
    }

    fn missing(&self) -> Error {
        match self {
            InExperiment::Experiment(n) => experiment_not_found(&n.to_string()),
            InExperiment::Run(r) => crate::services::tracking::lookup::run_not_found(r),
            InExperiment::LoggedModel(m) => crate::services::tracking::lookup::logged_model_not_found(m),
        }
    }
}

/// The experiment something is in, and the caller's level there.
#[derive(Debug, Clone)]
pub(crate) struct ExperimentAccess {
    pub num: i64,
    pub level: Option<ExperimentLevel>,
}

#[derive(Debug, Clone, SurrealValue)]
struct AccessRow {
    num: i64,
    owner: String,
    levels: Vec<String>,
}

#[derive(Debug, Clone, SurrealValue)]
struct GrantRow {
    principal: String,
    level: String,
    kind: String,
}

#[derive(Debug, Clone, SurrealValue)]
struct PermissionsRow {
    name: String,
    owner: String,
    grants: Vec<GrantRow>,
}

/// Two statements narrowing experiments to those the caller may read (unless `$everything`):
/// `$names`, the caller's principal names, and `$granted`, the experiments granted to them.
pub(crate) const EXPERIMENT_SCOPE: &str = "LET $names = IF $everything THEN [] ELSE array::concat([$me], \
     (SELECT VALUE group.name_lc FROM group_member WHERE user = $uid)) END; \
     LET $granted = IF $everything THEN [] ELSE (SELECT VALUE experiment FROM experiment_grant \
     WHERE principal IN $names) END;";

/// Whether an experiment row is one the caller may read, after [`EXPERIMENT_SCOPE`]: granted to
/// them or a group, or created by them (a group owns nothing).
pub(crate) const EXPERIMENT_IN_SCOPE: &str = "($everything OR id IN $granted OR string::lowercase(created_by) = $me)";

/// Binds [`EXPERIMENT_SCOPE`]'s parameters.
pub(crate) fn bind_experiment_scope<'a>(
    query: crate::services::db::Query<'a>,
    actor: &Actor,
) -> crate::services::db::Query<'a> {
    bind_principal(query, actor).bind(("everything", actor.principal.admin))
}

/// What the caller was about to do, for the refusal: "You need CAN_EDIT on experiment 3 to …".
fn denial(num: i64, need: ExperimentLevel, what: &str) -> String {
    let mut reason =
        format!("You need {need} on experiment {num} to {what}; its owner or an administrator can grant it.");
    if num == 0 {
        // Where runs go when training code names no experiment.
        reason.push_str(" Or log into an experiment of your own: mlflow.set_experiment(\"<name>\").");
    }
    reason
}

impl Quiver {
    /// The experiment `thing` is in and the caller's level on it (administrators: CAN_MANAGE).
    /// A missing experiment, run or logged model is NotFound.
    pub(crate) async fn experiment_access(&self, actor: &Actor, thing: InExperiment<'_>) -> Result<ExperimentAccess> {
        let key = thing.cache_key(&actor.principal.user_id);
        let row = self
            .cached(Class::Access, key, || async {
                let sql = format!(
                    "{NAMES}
                     LET $e = ({})[0];
                     RETURN IF $e THEN {{ num: $e.num, owner: $e.owner,
                         levels: (SELECT VALUE level FROM experiment_grant WHERE experiment = $e.id AND principal IN $names)
                     }} ELSE NONE END;",
                    thing.lookup()
                );
                let query = match thing {
                    InExperiment::Experiment(n) => self.q(&sql).bind(("key", n)),
                    InExperiment::Run(r) | InExperiment::LoggedModel(r) => self.q(&sql).bind(("key", r.to_string())),
                };
                let query = bind_principal(query, actor);
                let row: Option<AccessRow> = self.answer(query).await?;
                row.ok_or_else(|| thing.missing())
            })
            .await?;
        let level = if actor.principal.admin {
            Some(ExperimentLevel::Manage)
        } else if actor.principal.username.eq_ignore_ascii_case(&row.owner) {
            Some(ExperimentLevel::Manage)
        } else {
            row.levels.iter().filter_map(|l| ExperimentLevel::parse(l)).max()
        };
        Ok(ExperimentAccess { num: row.num, level })
    }

    /// Allows the call when the caller holds `need` on the experiment `thing` is in; otherwise
    /// refuses it (and audits the refusal). Administrators pass without a read; for anyone else
    /// a missing object is NotFound.
    pub(crate) async fn require_experiment(
        &self,
        actor: &Actor,
        thing: InExperiment<'_>,
        need: ExperimentLevel,
        what: &str,
    ) -> Result<()> {
        if actor.principal.admin {
            return Ok(());
        }
        if actor.principal.user_id.is_empty() {
            return Err(Error::permission_denied("Sign in first."));
        }
        let access = self.experiment_access(actor, thing).await?;
        if access.level.is_some_and(|l| l >= need) {
            return Ok(());
        }
        let reason = denial(access.num, need, what);
        let query = self
            .q("fn::audit('experiment.denied', 'experiment', $securable, 'denied', $detail, $who);")
            .bind(("securable", format!("experiment {}", access.num)))
            .bind(("detail", reason.clone()))
            .bind(("who", who(actor)));
        self.bookkeeping(query, "audit log").await;
        Err(Error::permission_denied(reason))
    }

    /// [`Self::require_experiment`] for each experiment of a search; experiments that do not
    /// exist are skipped (they hold nothing, as in MLflow).
    pub(crate) async fn require_readable(&self, actor: &Actor, nums: &[i64], what: &str) -> Result<()> {
        for num in nums {
            match self.require_experiment(actor, InExperiment::Experiment(*num), ExperimentLevel::Read, what).await {
                Err(e) if e.is(ErrorKind::NotFound) => {}
                other => other?,
            }
        }
        Ok(())
    }

    /// The caller's level on an experiment (`None`: none), for the UI to offer what it allows.
    pub async fn my_experiment_level(&self, actor: &Actor, experiment_id: &str) -> Result<Option<ExperimentLevel>> {
        let num = experiment_num(experiment_id)?;
        Ok(self.experiment_access(actor, InExperiment::Experiment(num)).await?.level)
    }

    /// An experiment's owner and grants (Databricks' `GET /permissions/experiments/{id}`);
    /// CAN_MANAGE sees them.
    /// The names a grant on the experiment can go to, for those who may manage its permissions.
    pub async fn experiment_principals(
        &self,
        actor: &Actor,
        experiment_id: &str,
    ) -> Result<Vec<crate::services::governance::PrincipalInfo>> {
        let num = experiment_num(experiment_id)?;
        self.require_experiment(actor, InExperiment::Experiment(num), ExperimentLevel::Manage, "grant access to it")
            .await?;
        self.principal_list().await
    }

    pub async fn experiment_permissions(&self, actor: &Actor, experiment_id: &str) -> Result<ExperimentPermissions> {
        let num = experiment_num(experiment_id)?;
        self.require_experiment(actor, InExperiment::Experiment(num), ExperimentLevel::Manage, "see its permissions")
            .await?;
        let sql = "LET $e = (SELECT id, name, created_by FROM experiment WHERE num = $num LIMIT 1)[0];
            RETURN IF $e THEN { name: $e.name, owner: $e.created_by, grants: (SELECT principal, level,
                IF (SELECT VALUE id FROM principal_group WHERE name_lc = $parent.principal LIMIT 1)[0] THEN 'group'
                ELSE (SELECT VALUE kind FROM user WHERE username_lc = $parent.principal LIMIT 1)[0] ?? 'user' END AS kind
                FROM experiment_grant WHERE experiment = $e.id ORDER BY principal) } ELSE NONE END;";
        let row: Option<PermissionsRow> = self.answer(self.q(sql).bind(("num", num))).await?;
        let row = row.ok_or_else(|| experiment_not_found(experiment_id))?;
        Ok(ExperimentPermissions {
            experiment_id: num.to_string(),
            name: row.name,
            owner: row.owner,
            grants: row
                .grants
                .into_iter()
                .filter_map(|g| {
                    let kind = match g.kind.as_str() {
                        "group" => PrincipalKind::Group,
                        "service_principal" => PrincipalKind::ServicePrincipal,
                        _ => PrincipalKind::User,
                    };
                    Some(ExperimentGrant { principal: g.principal, kind, level: ExperimentLevel::parse(&g.level)? })
                })
                .collect(),
        })
    }

    /// Grants, changes and revokes levels on an experiment in one transaction, each change
    /// audited; with `replace`, principals not named lose their level (Databricks' PUT). The
    /// principals must exist. CAN_MANAGE may do this.
    pub async fn update_experiment_permissions(
        &self,
        actor: &Actor,
        experiment_id: &str,
        changes: &[ExperimentGrantChange],
        replace: bool,
    ) -> Result<ExperimentPermissions> {
        let num = experiment_num(experiment_id)?;
        if changes.len() > MAX_CHANGES || (changes.is_empty() && !replace) {
            return Err(Error::invalid("access_control_list", format!("Send 1 to {MAX_CHANGES} changes.")));
        }
        let mut rows = Vec::with_capacity(changes.len());
        for c in changes {
            let principal = c.principal.trim().to_lowercase();
            if principal.is_empty() {
                return Err(Error::invalid("principal", "Every change names a user, service principal or group."));
            }
            rows.push(match c.level {
                Some(l) => serde_json::json!({ "principal": principal, "level": l.api_name() }),
                None => serde_json::json!({ "principal": principal }),
            });
        }
        self.require_experiment(
            actor,
            InExperiment::Experiment(num),
            ExperimentLevel::Manage,
            "change its permissions",
        )
        .await?;
        let sql = "BEGIN TRANSACTION;
            LET $e = (SELECT id, name FROM experiment WHERE num = $num LIMIT 1)[0];
            IF !$e { THROW $missing };
            FOR $c IN $changes {
                IF !(SELECT VALUE id FROM user WHERE username_lc = $c.principal LIMIT 1)[0]
                    AND !(SELECT VALUE id FROM principal_group WHERE name_lc = $c.principal LIMIT 1)[0] {
                    THROW $no_principal + $c.principal + \"'.\";
                };
            };
            IF $replace {
                FOR $g IN (SELECT id, principal, level FROM experiment_grant WHERE experiment = $e.id
                    AND principal NOT IN $changes.principal) {
                    DELETE $g.id;
                    fn::audit('experiment_grants.updated', 'experiment', $e.name, 'allowed',
                        'from ' + $g.principal + ': -' + $g.level, $who);
                };
            };
            FOR $c IN $changes {
                LET $old = (SELECT id, level FROM experiment_grant WHERE experiment = $e.id AND principal = $c.principal LIMIT 1)[0];
                IF $c.level = NONE {
                    IF $old {
                        DELETE $old.id;
                        fn::audit('experiment_grants.updated', 'experiment', $e.name, 'allowed',
                            'from ' + $c.principal + ': -' + $old.level, $who);
                    };
                } ELSE IF !$old {
                    CREATE experiment_grant SET experiment = $e.id, principal = $c.principal, level = $c.level,
                        granted_at = time::now(), granted_by = $who.by;
                    fn::audit('experiment_grants.updated', 'experiment', $e.name, 'allowed',
                        'to ' + $c.principal + ': +' + $c.level, $who);
                } ELSE IF $old.level != $c.level {
                    UPDATE $old.id SET level = $c.level, granted_at = time::now(), granted_by = $who.by;
                    fn::audit('experiment_grants.updated', 'experiment', $e.name, 'allowed',
                        'to ' + $c.principal + ': ' + $old.level + ' -> ' + $c.level, $who);
                };
            };
            COMMIT TRANSACTION;";
        self.write(
            || {
                self.q(sql)
                    .bind(("num", num))
                    .bind(("changes", rows.clone()))
                    .bind(("replace", replace))
                    .bind(("who", who(actor)))
                    .bind(("missing", throwable(&experiment_not_found(experiment_id))))
                    .bind((
                        "no_principal",
                        throwable(&Error::not_found("There is no user, service principal or group named '")),
                    ))
            },
            crate::services::db::no_unique,
        )
        .await?;
        self.experiment_permissions(actor, experiment_id).await
    }
}

impl crate::services::cache::Weigh for AccessRow {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + self.owner.len() + self.levels.iter().map(|l| l.len() + 24).sum::<usize>()
    }
}
