//! Users, sign-in and browser sessions.

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use crate::auth::{self, SecretKind};
use crate::error::{Error, ErrorKind, Result};
use crate::names::{Name, NameKind};
use crate::services::Quiver;
use crate::services::db::throwable;
use crate::services::governance::access::require_admin;
use crate::services::governance::{Actor, Principal, User};
use crate::store::{internal, key_of};

/// Where a sign-in attempt comes from: the client's address (for throttling), the surface and
/// the request (for the audit trail).
#[derive(Debug, Clone)]
pub struct SignInFrom {
    pub client: String,
    pub source: crate::services::governance::Source,
    pub request_id: String,
}

/// A successful sign-in: who, and the session secret for the cookie (shown once).
#[derive(Debug, Clone)]
pub struct LoginSession {
    pub principal: Principal,
    pub secret: String,
}

#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct UserRow {
    id: RecordId,
    username: String,
    admin: bool,
    disabled: bool,
    kind: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: key_of(&r.id),
            username: r.username,
            admin: r.admin,
            disabled: r.disabled,
            service_principal: r.kind.as_deref() == Some("service_principal"),
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Clone, SurrealValue)]
struct Credentials {
    id: RecordId,
    username: String,
    admin: bool,
    disabled: bool,
    password_hash: String,
}

/// A session or token joined with its user, as authentication reads it.
#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct Bearer {
    pub id: RecordId,
    pub user_id: RecordId,
    pub username: String,
    pub admin: bool,
    pub disabled: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Tokens only; missing for sessions.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl Bearer {
    pub fn principal(&self) -> Principal {
        Principal { user_id: key_of(&self.user_id), username: self.username.clone(), admin: self.admin }
    }
}

pub(crate) const USER_FIELDS: &str = "id, username, admin, disabled, kind, created_at";

fn invalid_login() -> Error {
    Error::new(ErrorKind::Unauthenticated, "Invalid username or password.")
}

impl Quiver {
    /// Creates a user account. Administrators only.
    pub async fn create_user(&self, actor: &Actor, username: &str, password: &str, admin: bool) -> Result<User> {
        require_admin(actor, "create users")?;
        let name = Name::parse(NameKind::Username, username)?;
        auth::validate_new_password(password)?;
        let hash = auth::hash_password(password.to_string()).await?;
        let sql = format!(
            "BEGIN TRANSACTION;
             IF (SELECT VALUE id FROM principal_group WHERE name_lc = $username_lc LIMIT 1)[0] {{ THROW $taken }};
             LET $row = (CREATE ONLY user SET username = $username, username_lc = $username_lc, password_hash = $hash,
                 admin = $admin, disabled = false, created_at = time::now() RETURN {USER_FIELDS});
             fn::audit('user.created', 'user', $username, 'allowed', IF $admin THEN 'administrator' ELSE NONE END, $who);
             RETURN $row;
             COMMIT TRANSACTION;"
        );
        let taken = throwable(&Error::already_exists(
            "username",
            format!("A user, service principal or group named '{name}' already exists."),
        ));
        let mut res = self
            .write(
                || {
                    self.q(&sql)
                        .bind(("username", name.as_str().to_string()))
                        .bind(("username_lc", name.folded()))
                        .bind(("hash", hash.clone()))
                        .bind(("admin", admin))
                        .bind(("who", crate::services::db::who(actor)))
                        .bind(("taken", taken.clone()))
                },
                |_| Error::already_exists("username", format!("A user named '{name}' already exists.")),
            )
            .await?;
        let row: Option<UserRow> = crate::services::db::returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("CREATE returned nothing"))?.into())
    }

    pub async fn get_user(&self, actor: &Actor, username: &str) -> Result<User> {
        let name = Name::parse(NameKind::Username, username)?;
        if !actor.principal.admin && actor.principal.username.to_lowercase() != name.folded() {
            return Err(Error::permission_denied("Only administrators may look at other users."));
        }
        let sql = format!("SELECT {USER_FIELDS} FROM user WHERE username_lc = $u LIMIT 1");
        let row: Option<UserRow> = self.answer(self.q(&sql).bind(("u", name.folded()))).await?;
        row.map(Into::into).ok_or_else(|| Error::not_found(format!("User '{name}' does not exist.")))
    }

    /// Sets a new password and ends every session of the user, in one transaction.
    pub async fn reset_password(&self, actor: &Actor, username: &str, password: &str) -> Result<()> {
        require_admin(actor, "reset passwords")?;
        let name = Name::parse(NameKind::Username, username)?;
        auth::validate_new_password(password)?;
        let hash = auth::hash_password(password.to_string()).await?;
        let not_found = throwable(&Error::not_found(format!("User '{name}' does not exist.")));
        self.write(
            || {
                self.q("BEGIN TRANSACTION;
                        LET $user = (SELECT VALUE id FROM user WHERE username_lc = $u LIMIT 1)[0];
                        IF !$user { THROW $not_found };
                        UPDATE $user SET password_hash = $hash;
                        DELETE user_session WHERE user = $user;
                        fn::audit('user.password_reset', 'user', $user.username, 'allowed', NONE, $who);
                        COMMIT TRANSACTION;")
                    .bind(("u", name.folded()))
                    .bind(("hash", hash.clone()))
                    .bind(("who", crate::services::db::who(actor)))
                    .bind(("not_found", not_found.clone()))
            },
            crate::services::db::no_unique,
        )
        .await?;
        // The old password must stop working at once, also through HTTP Basic.
        self.inner.basic_cache.clear();
        Ok(())
    }

    /// Creates the `admin` account when the store has no users yet. Returns the generated
    /// password when none was given, so the caller can print it once.
    pub async fn bootstrap_admin(&self, password: Option<String>) -> Result<Option<String>> {
        let any: Vec<RecordId> = self.answer(self.q("SELECT VALUE id FROM user LIMIT 1")).await?;
        if !any.is_empty() {
            return Ok(None);
        }
        let (password, generated) = match password.filter(|p| !p.is_empty()) {
            Some(p) => (p, false),
            None => (auth::generate_secret(SecretKind::Session)[4..28].to_string(), true),
        };
        let system = crate::services::system_actor(crate::services::governance::Source::Cli);
        match self.create_user(&system, "admin", &password, true).await {
            Ok(_) => Ok(generated.then_some(password)),
            // Another process bootstrapped first.
            Err(e) if e.kind == ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Checks a username and password and opens a session. Every failure, whatever its cause,
    /// gets the same answer; repeated failures per client address are throttled. Audited.
    pub async fn login(&self, username: &str, password: &str, from: &SignInFrom) -> Result<LoginSession> {
        let user = self.check_password(username, password, from).await?;
        let secret = auth::generate_secret(SecretKind::Session);
        let idle = chrono::Duration::from_std(self.config().session_idle).map_err(internal)?;
        let expires_at = Utc::now() + idle;
        self.write(
            || {
                self.q("CREATE user_session SET user = $user, secret_hash = $hash, created_at = time::now(),
                        expires_at = $expires_at")
                    .bind(("user", user.id.clone()))
                    .bind(("hash", auth::hash_secret(&secret)))
                    .bind(("expires_at", expires_at))
            },
            |i| Error::internal(format!("session secret collision on {i}")),
        )
        .await?;
        Ok(LoginSession {
            principal: Principal { user_id: key_of(&user.id), username: user.username, admin: user.admin },
            secret,
        })
    }

    /// The throttled password check behind sign-in and HTTP Basic authentication. Only failures
    /// count against the limit; every outcome (success, failure, the failure that pauses sign-in
    /// from an address) is audited under the name that was typed.
    async fn check_password(&self, username: &str, password: &str, from: &SignInFrom) -> Result<Credentials> {
        let refused = |busy: bool, wait: std::time::Duration| {
            let wait = wait.as_secs().max(1);
            let what = if busy { "Too many sign-ins at once from your address" } else { "Too many failed sign-ins" };
            Error::new(ErrorKind::RateLimited, format!("{what}. Try again in {wait} seconds."))
        };
        let keys = auth::attempt_keys(username, &from.client);
        let attempt = self.inner.throttle.begin(keys.clone()).map_err(|r| refused(r.busy, r.retry_after))?;
        // Failures counted by the other processes on a shared store.
        if let Some(wait) = self.shared_lockout(&keys).await? {
            return Err(refused(false, wait));
        }
        let user: Option<Credentials> = self
            .answer(
                // Service principals have no password: they never sign in.
                self.q("SELECT id, username, admin, disabled, password_hash FROM user
                        WHERE username_lc = $u AND kind != 'service_principal' LIMIT 1")
                    .bind(("u", username.trim().to_lowercase())),
            )
            .await?;
        let ok = auth::verify_password(password.to_string(), user.as_ref().map(|u| u.password_hash.clone())).await?;
        let user = user.filter(|u| ok && !u.disabled);
        let mut outcome = attempt.finish(user.is_some());
        if user.is_some() {
            self.forgive_shared_failures(&keys).await;
        } else {
            match self.record_shared_failure(&keys).await {
                Ok(true) => outcome = auth::Outcome::LockedOut,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e.message, "could not count a failed sign-in on the shared store"),
            }
        }
        self.audit_sign_in(username, from, outcome).await;
        user.ok_or_else(invalid_login)
    }

    async fn audit_sign_in(&self, username: &str, from: &SignInFrom, outcome: auth::Outcome) {
        let typed: String = username.trim().chars().filter(|c| !c.is_control()).take(100).collect();
        let client = if from.client.is_empty() { "an unknown address" } else { from.client.as_str() };
        let (action, result, detail) = match outcome {
            auth::Outcome::Succeeded => ("user.signed_in", "allowed", format!("from {client}")),
            auth::Outcome::Failed => ("user.sign_in_failed", "denied", format!("from {client}")),
            auth::Outcome::LockedOut => (
                "user.sign_in_paused",
                "denied",
                format!(
                    "from {client}: {} failed sign-ins, paused for {} s",
                    self.config().login_max_failures,
                    self.config().login_lockout.as_secs()
                ),
            ),
        };
        let actor = Actor {
            principal: Principal { user_id: String::new(), username: typed.clone(), admin: false },
            source: from.source,
            request_id: from.request_id.clone(),
        };
        let written = self
            .write_content(
                || {
                    self.q("fn::audit($action, 'user', $name, $outcome, $detail, $who)")
                        .bind(("action", action))
                        .bind(("name", typed.clone()))
                        .bind(("outcome", result))
                        .bind(("detail", detail.clone()))
                        .bind(("who", crate::services::db::who(&actor)))
                },
                crate::services::db::no_unique,
            )
            .await;
        if let Err(e) = written {
            tracing::warn!(error = %e.message, action, "could not audit a sign-in");
        }
    }

    /// HTTP Basic authentication (MLflow clients' username and password). A successful check is
    /// remembered for [`crate::auth::BASIC_CACHE_TTL`], so argon2 does not run on every request; the cache
    /// holds salted hashes of the credentials, never the password. Requests with the same
    /// credentials arriving while one is being checked wait for that check.
    pub async fn authenticate_password(&self, username: &str, password: &str, from: &SignInFrom) -> Result<Principal> {
        let cache = &self.inner.basic_cache;
        let key = cache.key(username, password);
        if let Some((principal, hash)) = cache.get(&key) {
            if !self.is_shared() || self.still_valid(&principal, &hash).await? {
                return Ok(principal);
            }
            // Disabled, or its password changed, on another process.
            cache.forget(&key);
        }
        // Landed however this request ends (a client that hangs up must not leave its flight).
        let flight = crate::auth::Landing::new(cache, key);
        flight
            .get_or_init(|| async {
                let user = self.check_password(username, password, from).await?;
                let principal = Principal { user_id: key_of(&user.id), username: user.username, admin: user.admin };
                cache.put(key, principal.clone(), user.password_hash);
                Ok(principal)
            })
            .await
            .clone()
    }

    /// Whether a remembered HTTP Basic check still holds on a store other processes share: the
    /// account is enabled, its password hash is the one checked and it is still (or still not)
    /// an administrator (one indexed read, no argon2).
    async fn still_valid(&self, principal: &Principal, hash: &str) -> Result<bool> {
        #[derive(SurrealValue)]
        struct Current {
            password_hash: String,
            admin: bool,
        }
        let current: Option<Current> = self
            .answer(
                self.q("SELECT password_hash, admin FROM user WHERE username_lc = $u AND disabled = false LIMIT 1")
                    .bind(("u", principal.username.to_lowercase())),
            )
            .await?;
        Ok(current.is_some_and(|c| c.password_hash == hash && c.admin == principal.admin))
    }

    /// The principal behind a session secret; an unknown, expired or disabled one is
    /// Unauthenticated. Activity extends the session (sliding expiry, capped by the maximum age).
    pub async fn authenticate_session(&self, secret: &str) -> Result<Principal> {
        let session: Option<Bearer> = self
            .answer(
                self.q("SELECT id, user AS user_id, user.username AS username, user.admin AS admin,
                            user.disabled AS disabled, expires_at, created_at
                        FROM user_session WHERE secret_hash = $hash LIMIT 1")
                    .bind(("hash", auth::hash_secret(secret))),
            )
            .await?;
        let session = session.ok_or_else(Error::unauthenticated)?;
        let now = Utc::now();
        let idle = chrono::Duration::from_std(self.config().session_idle).map_err(internal)?;
        let max = chrono::Duration::from_std(self.config().session_max).map_err(internal)?;
        let expires = session.expires_at.unwrap_or(now);
        if session.disabled || expires <= now || session.created_at + max <= now {
            return Err(Error::unauthenticated());
        }
        // Extend once half the idle window has passed, so busy sessions do not write per request.
        if expires - now < idle / 2 {
            let new_expiry = (now + idle).min(session.created_at + max);
            let write =
                self.q("UPDATE $id SET expires_at = $exp").bind(("id", session.id.clone())).bind(("exp", new_expiry));
            self.bookkeeping(write, "session expiry").await;
        }
        Ok(session.principal())
    }

    /// Browser sessions that have not expired (for /metrics).
    pub async fn active_sessions(&self) -> Result<i64> {
        let n: Option<i64> =
            self.answer(self.q("RETURN count(SELECT id FROM user_session WHERE expires_at > time::now());")).await?;
        Ok(n.unwrap_or(0))
    }

    /// Deletes sessions that have expired; returns how many. Run periodically by the server.
    pub async fn purge_expired_sessions(&self) -> Result<usize> {
        let mut res = self
            .write(
                || self.q("DELETE user_session WHERE expires_at < time::now() RETURN BEFORE"),
                crate::services::db::no_unique,
            )
            .await?;
        let gone: Vec<surrealdb::types::Value> = res.take(0).map_err(internal)?;
        Ok(gone.len())
    }

    /// Ends the session behind `secret` (no error when it is already gone).
    pub async fn logout(&self, secret: &str) -> Result<()> {
        self.write(
            || self.q("DELETE user_session WHERE secret_hash = $hash").bind(("hash", auth::hash_secret(secret))),
            crate::services::db::no_unique,
        )
        .await?;
        Ok(())
    }
}

impl crate::services::cache::Weigh for Bearer {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + self.username.len() + 64
    }
}
