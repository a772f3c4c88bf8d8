//! Personal access tokens: `Authorization: Bearer qvp_…`.

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use crate::auth::{self, SecretKind};
use crate::error::{Error, Result};
use crate::services::Quiver;
use crate::services::governance::accounts::Bearer;
use crate::services::governance::{AccessToken, Actor, NewAccessToken, Principal};
use crate::store::key_of;

const MAX_TOKEN_NAME: usize = 100;
const MAX_TOKEN_DAYS: u32 = 3650;

#[derive(Debug, Clone, SurrealValue)]
struct TokenRow {
    id: RecordId,
    name: String,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for AccessToken {
    fn from(r: TokenRow) -> Self {
        AccessToken {
            id: key_of(&r.id),
            name: r.name,
            created_at: r.created_at,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
        }
    }
}

const TOKEN_FIELDS: &str = "id, name, created_at, expires_at, last_used_at";

fn user_record(actor: &Actor) -> Result<RecordId> {
    if actor.principal.user_id.is_empty() {
        return Err(Error::permission_denied("Access tokens belong to users; sign in as one."));
    }
    Ok(RecordId::new("user", actor.principal.user_id.clone()))
}

impl Quiver {
    /// Creates a token for the caller. The secret is returned once; only its hash is kept.
    pub async fn create_token(
        &self,
        actor: &Actor,
        name: &str,
        expires_in_days: Option<u32>,
    ) -> Result<NewAccessToken> {
        self.create_token_for(actor, user_record(actor)?, name, expires_in_days).await
    }

    /// Creates a token for `user` (the caller, or a service principal an administrator manages).
    /// Audited (`token.created`, naming the token and its owner, never the secret).
    pub(crate) async fn create_token_for(
        &self,
        actor: &Actor,
        user: RecordId,
        name: &str,
        expires_in_days: Option<u32>,
    ) -> Result<NewAccessToken> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME || name.chars().any(char::is_control) {
            return Err(Error::invalid("name", format!("Give the token a name of 1 to {MAX_TOKEN_NAME} characters.")));
        }
        if let Some(days) = expires_in_days {
            if days == 0 || days > MAX_TOKEN_DAYS {
                return Err(Error::invalid("expires_in_days", format!("A token lasts 1 to {MAX_TOKEN_DAYS} days.")));
            }
        }
        let secret = auth::generate_secret(SecretKind::AccessToken);
        let expires_at: Option<DateTime<Utc>> = expires_in_days.map(|d| Utc::now() + chrono::Duration::days(d as i64));
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $row = (CREATE ONLY access_token SET user = $user, name = $name, secret_hash = $hash,
                 created_at = time::now(), expires_at = $expires RETURN {TOKEN_FIELDS});
             fn::audit('token.created', 'user', $user.username, 'allowed',
                 'token ' + <string> record::id($row.id) + ' (' + $name + ')'
                     + IF $expires THEN ', expires ' + <string> $expires ELSE ', no expiry' END, $who);
             RETURN $row;
             COMMIT TRANSACTION;"
        );
        let mut res = self
            .write(
                || {
                    self.q(&sql)
                        .bind(("user", user.clone()))
                        .bind(("name", name.to_string()))
                        .bind(("hash", auth::hash_secret(&secret)))
                        .bind(("expires", expires_at))
                        .bind(("who", crate::services::db::who(actor)))
                },
                |i| Error::internal(format!("token secret collision on {i}")),
            )
            .await?;
        let row: Option<TokenRow> = crate::services::db::returned(&mut res)?;
        let token = row.ok_or_else(|| Error::internal("CREATE returned nothing"))?.into();
        Ok(NewAccessToken { token, secret })
    }

    /// The caller's live tokens, newest first.
    pub async fn list_tokens(&self, actor: &Actor) -> Result<Vec<AccessToken>> {
        let user = user_record(actor)?;
        let sql = format!(
            "SELECT {TOKEN_FIELDS} FROM access_token WHERE user = $user AND revoked_at = NONE ORDER BY created_at DESC"
        );
        let rows: Vec<TokenRow> = self.answer(self.q(&sql).bind(("user", user))).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Revokes one of the caller's tokens (administrators may revoke anyone's).
    pub async fn revoke_token(&self, actor: &Actor, id: &str) -> Result<()> {
        if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::invalid("id", "That is not a token id."));
        }
        let token = RecordId::new("access_token", id.to_string());
        let owner = if actor.principal.admin { None } else { Some(user_record(actor)?) };
        let mut res = self
            .write(
                || {
                    self.q("BEGIN TRANSACTION;
                            LET $done = (UPDATE $tok SET revoked_at = time::now()
                                WHERE revoked_at = NONE AND ($owner = NONE OR user = $owner) RETURN AFTER);
                            FOR $t IN $done {
                                fn::audit('token.revoked', 'user', $t.user.username, 'allowed',
                                    'token ' + <string> record::id($t.id) + ' (' + $t.name + ')', $who);
                            };
                            RETURN $done.id;
                            COMMIT TRANSACTION;")
                        .bind(("tok", token.clone()))
                        .bind(("owner", owner.clone()))
                        .bind(("who", crate::services::db::who(actor)))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let done: Vec<RecordId> = crate::services::db::returned(&mut res)?;
        if done.is_empty() {
            return Err(Error::not_found("No such token (it may already be revoked)."));
        }
        Ok(())
    }

    /// The principal behind a token secret; unknown, revoked, expired, or a disabled user's
    /// token is Unauthenticated.
    pub async fn authenticate_token(&self, secret: &str) -> Result<Principal> {
        let hash = auth::hash_secret(secret);
        let key = format!("token|{hash}");
        // Revoking a token or disabling its user is a write, which ends the cached answer.
        let generation = self.inner.cache.generation(crate::services::cache::Class::Access);
        let token: Bearer = self
            .cached(crate::services::cache::Class::Access, key.clone(), || async {
                let token: Option<Bearer> = self
                    .answer(
                        self.q("SELECT id, user AS user_id, user.username AS username, user.admin AS admin,
                                    user.disabled AS disabled, expires_at, created_at, last_used_at
                                FROM access_token WHERE secret_hash = $hash AND revoked_at = NONE LIMIT 1")
                            .bind(("hash", hash.clone())),
                    )
                    .await?;
                token.ok_or_else(Error::unauthenticated)
            })
            .await?;
        let now = Utc::now();
        if token.disabled || token.expires_at.is_some_and(|e| e <= now) {
            return Err(Error::unauthenticated());
        }
        // Record use at most once a minute per token, so reads stay reads.
        if token.last_used_at.is_none_or(|t| now - t > chrono::Duration::seconds(60)) {
            let write = self.q("UPDATE $id SET last_used_at = time::now()").bind(("id", token.id.clone()));
            self.bookkeeping(write, "token last-used time").await;
            let used = Bearer { last_used_at: Some(now), ..token.clone() };
            let weight = crate::services::cache::Weigh::weight(&used);
            self.inner.cache.put(crate::services::cache::Class::Access, key, generation, used, weight);
        }
        Ok(token.principal())
    }
}
