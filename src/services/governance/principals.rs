//! Groups, their members, service principals, and the user directory. Administrators only
//! (except listing principals, which anyone granting privileges needs for the picker).

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use crate::auth::{self, SecretKind};
use crate::error::{Error, Result};
use crate::names::{Name, NameKind};
use crate::services::Quiver;
use crate::services::db::{returned, throwable, who};
use crate::services::governance::access::require_admin;
use crate::services::governance::accounts::{USER_FIELDS, UserRow};
use crate::services::governance::privileges::Operation;
use crate::services::governance::{Actor, Group, NewAccessToken, PrincipalInfo, PrincipalKind, Securable, User};

#[derive(Debug, Clone, SurrealValue)]
struct GroupRow {
    name: String,
    members: Vec<String>,
    created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, SurrealValue)]
struct MemberRow {
    group: String,
    member: String,
}

fn taken(name: &Name) -> Error {
    Error::already_exists("name", format!("A user, service principal or group named '{name}' already exists."))
}

impl Quiver {
    /// Creates a group. Group names share one namespace with users and service principals, so a
    /// grant's principal is never ambiguous.
    pub async fn create_group(&self, actor: &Actor, name: &str) -> Result<Group> {
        require_admin(actor, "create groups")?;
        let name = Name::parse(NameKind::Username, name)?;
        let sql = "BEGIN TRANSACTION;
             IF (SELECT VALUE id FROM user WHERE username_lc = $name_lc LIMIT 1)[0] { THROW $taken };
             CREATE principal_group SET name = $name, name_lc = $name_lc, created_at = time::now(), created_by = $who.by;
             fn::audit('group.created', 'group', $name, 'allowed', NONE, $who);
             COMMIT TRANSACTION;";
        self.write(
            || {
                self.q(sql)
                    .bind(("name", name.as_str().to_string()))
                    .bind(("name_lc", name.folded()))
                    .bind(("who", who(actor)))
                    .bind(("taken", throwable(&taken(&name))))
            },
            |_| taken(&name),
        )
        .await?;
        self.get_group(actor, name.as_str()).await
    }

    pub async fn get_group(&self, actor: &Actor, name: &str) -> Result<Group> {
        require_admin(actor, "look at groups")?;
        let name = Name::parse(NameKind::Username, name)?;
        let sql = "LET $g = (SELECT id, name, created_at FROM principal_group WHERE name_lc = $n LIMIT 1)[0];
             IF $g THEN { name: $g.name, created_at: $g.created_at,
                 members: (SELECT VALUE user.username FROM group_member WHERE group = $g.id) } ELSE NONE END;";
        let row: Option<GroupRow> = self.answer(self.q(sql).bind(("n", name.folded()))).await?;
        row.map(group_of).ok_or_else(|| group_not_found(&name))
    }

    pub async fn list_groups(&self, actor: &Actor) -> Result<Vec<Group>> {
        require_admin(actor, "list groups")?;
        // Two reads, whatever the number of groups: the groups, then every membership.
        #[derive(SurrealValue)]
        struct Groups {
            groups: Vec<GroupRow>,
            members: Vec<MemberRow>,
        }
        let read: Option<Groups> = self
            .answer(self.q("RETURN {
                 groups: (SELECT name, created_at, [] AS members FROM principal_group ORDER BY name_lc),
                 members: (SELECT group.name AS group, user.username AS member FROM group_member),
             };"))
            .await?;
        let Groups { mut groups, members } =
            read.ok_or_else(|| Error::internal("the groups query answered nothing"))?;
        for m in members {
            if let Some(g) = groups.iter_mut().find(|g| g.name == m.group) {
                g.members.push(m.member);
            }
        }
        Ok(groups.into_iter().map(group_of).collect())
    }

    /// Adds a user (or service principal) to a group; adding a member twice changes nothing.
    pub async fn add_group_member(&self, actor: &Actor, group: &str, username: &str) -> Result<Group> {
        require_admin(actor, "change group members")?;
        let group = Name::parse(NameKind::Username, group)?;
        let user = Name::parse(NameKind::Username, username)?;
        let sql = "BEGIN TRANSACTION;
             LET $g = (SELECT VALUE id FROM principal_group WHERE name_lc = $g_lc LIMIT 1)[0];
             IF !$g { THROW $no_group };
             LET $u = (SELECT VALUE id FROM user WHERE username_lc = $u_lc LIMIT 1)[0];
             IF !$u { THROW $no_user };
             IF !(SELECT VALUE id FROM group_member WHERE group = $g AND user = $u LIMIT 1)[0] {
                 CREATE group_member SET group = $g, user = $u, added_at = time::now(), added_by = $who.by;
                 fn::audit('group.member_added', 'group', $g.name, 'allowed', $u.username, $who);
             };
             COMMIT TRANSACTION;";
        self.write(
            || {
                self.q(sql)
                    .bind(("g_lc", group.folded()))
                    .bind(("u_lc", user.folded()))
                    .bind(("who", who(actor)))
                    .bind(("no_group", throwable(&group_not_found(&group))))
                    .bind(("no_user", throwable(&user_not_found(&user))))
            },
            crate::services::db::no_unique,
        )
        .await?;
        self.get_group(actor, group.as_str()).await
    }

    pub async fn remove_group_member(&self, actor: &Actor, group: &str, username: &str) -> Result<Group> {
        require_admin(actor, "change group members")?;
        let group = Name::parse(NameKind::Username, group)?;
        let user = Name::parse(NameKind::Username, username)?;
        let sql = "BEGIN TRANSACTION;
             LET $g = (SELECT VALUE id FROM principal_group WHERE name_lc = $g_lc LIMIT 1)[0];
             IF !$g { THROW $no_group };
             LET $u = (SELECT VALUE id FROM user WHERE username_lc = $u_lc LIMIT 1)[0];
             IF !$u OR !(SELECT VALUE id FROM group_member WHERE group = $g AND user = $u LIMIT 1)[0] { THROW $no_member };
             DELETE group_member WHERE group = $g AND user = $u;
             fn::audit('group.member_removed', 'group', $g.name, 'allowed', $u.username, $who);
             COMMIT TRANSACTION;";
        let no_member = Error::not_found(format!("'{user}' is not a member of group '{group}'."));
        self.write(
            || {
                self.q(sql)
                    .bind(("g_lc", group.folded()))
                    .bind(("u_lc", user.folded()))
                    .bind(("who", who(actor)))
                    .bind(("no_group", throwable(&group_not_found(&group))))
                    .bind(("no_member", throwable(&no_member)))
            },
            crate::services::db::no_unique,
        )
        .await?;
        self.get_group(actor, group.as_str()).await
    }

    /// Creates a service principal: an account for machines, without a password (it cannot sign
    /// in), authenticating with tokens an administrator creates for it.
    pub async fn create_service_principal(&self, actor: &Actor, name: &str) -> Result<User> {
        require_admin(actor, "create service principals")?;
        let name = Name::parse(NameKind::Username, name)?;
        // A hash of a secret nobody learns: the account has no usable password.
        let unusable = auth::hash_password(auth::generate_secret(SecretKind::Session)).await?;
        let sql = format!(
            "BEGIN TRANSACTION;
             IF (SELECT VALUE id FROM principal_group WHERE name_lc = $name_lc LIMIT 1)[0] {{ THROW $taken }};
             LET $id = (CREATE ONLY user SET username = $name, username_lc = $name_lc, password_hash = $hash,
                 admin = false, disabled = false, kind = 'service_principal', created_at = time::now() RETURN VALUE id);
             fn::audit('service_principal.created', 'service_principal', $name, 'allowed', NONE, $who);
             RETURN (SELECT {USER_FIELDS} FROM ONLY $id);
             COMMIT TRANSACTION;"
        );
        let mut res = self
            .write(
                || {
                    self.q(&sql)
                        .bind(("name", name.as_str().to_string()))
                        .bind(("name_lc", name.folded()))
                        .bind(("hash", unusable.clone()))
                        .bind(("who", who(actor)))
                        .bind(("taken", throwable(&taken(&name))))
                },
                |_| taken(&name),
            )
            .await?;
        let row: Option<UserRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("CREATE returned nothing"))?.into())
    }

    /// Creates a token for a service principal (administrators only); the secret is shown once.
    pub async fn create_service_principal_token(
        &self,
        actor: &Actor,
        name: &str,
        token_name: &str,
        expires_in_days: Option<u32>,
    ) -> Result<NewAccessToken> {
        require_admin(actor, "create tokens for service principals")?;
        let name = Name::parse(NameKind::Username, name)?;
        let id: Option<RecordId> = self
            .answer(
                self.q("SELECT VALUE id FROM user WHERE username_lc = $n AND kind = 'service_principal' LIMIT 1")
                    .bind(("n", name.folded())),
            )
            .await?;
        let id = id.ok_or_else(|| Error::not_found(format!("There is no service principal named '{name}'.")))?;
        self.create_token_for(actor, id, token_name, expires_in_days).await
    }

    /// Users and service principals (administrators only), by name.
    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<User>> {
        require_admin(actor, "list users")?;
        let rows: Vec<UserRow> =
            self.answer(self.q(&format!("SELECT {USER_FIELDS} FROM user ORDER BY username_lc"))).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Disables (or enables again) an account: its sessions end, its tokens stop working.
    pub async fn set_user_disabled(&self, actor: &Actor, username: &str, disabled: bool) -> Result<()> {
        require_admin(actor, "disable users")?;
        let name = Name::parse(NameKind::Username, username)?;
        if disabled && name.folded() == actor.principal.username.to_lowercase() {
            return Err(Error::precondition("You cannot disable your own account."));
        }
        let sql = "BEGIN TRANSACTION;
             LET $u = (SELECT VALUE id FROM user WHERE username_lc = $n LIMIT 1)[0];
             IF !$u { THROW $no_user };
             UPDATE $u SET disabled = $disabled;
             IF $disabled { DELETE user_session WHERE user = $u };
             fn::audit(IF $disabled THEN 'user.disabled' ELSE 'user.enabled' END, 'user', $u.username, 'allowed', NONE, $who);
             COMMIT TRANSACTION;";
        self.write(
            || {
                self.q(sql)
                    .bind(("n", name.folded()))
                    .bind(("disabled", disabled))
                    .bind(("who", who(actor)))
                    .bind(("no_user", throwable(&user_not_found(&name))))
            },
            crate::services::db::no_unique,
        )
        .await?;
        self.inner.basic_cache.clear();
        Ok(())
    }

    /// Every principal a grant can name (users, service principals, groups), for the picker of
    /// someone who may grant on `on` (MANAGE there, or its owner); without `on`, administrators
    /// only. Readers cannot list who has accounts. Only names, nothing else about an account.
    pub async fn list_principals(&self, actor: &Actor, on: Option<&Securable>) -> Result<Vec<PrincipalInfo>> {
        match on {
            Some(securable) => self.authorize(actor, Operation::ManageGrants, securable.target()).await?,
            None => require_admin(actor, "list every user and group")?,
        }
        self.principal_list().await
    }

    /// Every principal's name, unchecked: callers have decided the caller may see them.
    pub(crate) async fn principal_list(&self) -> Result<Vec<PrincipalInfo>> {
        #[derive(SurrealValue)]
        struct Row {
            name: String,
            kind: Option<String>,
        }
        #[derive(SurrealValue)]
        struct Names {
            users: Vec<Row>,
            groups: Vec<Row>,
        }
        let names: Option<Names> = self
            .answer(self.q("RETURN {
                 users: (SELECT username AS name, kind FROM user WHERE disabled = false ORDER BY username_lc),
                 groups: (SELECT name, 'group' AS kind FROM principal_group ORDER BY name_lc),
             };"))
            .await?;
        let Names { users, groups } = names.ok_or_else(|| Error::internal("the principals query answered nothing"))?;
        Ok(users
            .into_iter()
            .chain(groups)
            .map(|r| PrincipalInfo {
                name: r.name,
                kind: match r.kind.as_deref() {
                    Some("group") => PrincipalKind::Group,
                    Some("service_principal") => PrincipalKind::ServicePrincipal,
                    _ => PrincipalKind::User,
                },
            })
            .collect())
    }
}

fn group_of(r: GroupRow) -> Group {
    let mut members = r.members;
    members.sort_by_key(|m| m.to_lowercase());
    Group { name: r.name, members, created_at: r.created_at }
}

fn group_not_found(name: &Name) -> Error {
    Error::not_found(format!("There is no group named '{name}'."))
}

fn user_not_found(name: &Name) -> Error {
    Error::not_found(format!("There is no user named '{name}'."))
}
