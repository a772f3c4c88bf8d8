//! Sign-in lockouts every Quiver process on a shared store honours. Each process throttles in
//! memory (`auth::LoginThrottle`: reservations for checks in flight, failures, lockouts); when
//! other processes may share the store, failures are also counted in `sign_in_failure`, one
//! record per throttle key (keyed by its HMAC under the processes' shared secret key, so typed
//! names and addresses are not stored, nor guessable from the store alone), and a key
//! locked there is refused by every process. Failures are rare, so the extra read is paid only
//! by password checks (HTTP Basic hits its cache first) and the write only by failures.

use std::time::Duration;

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use crate::error::Result;
use crate::services::Quiver;

fn record(q: &Quiver, key: &str) -> RecordId {
    RecordId::new("sign_in_failure", q.sealer().keyed_digest(key.as_bytes()))
}

impl Quiver {
    /// How long sign-in stays refused for any of `keys` because of failures counted by every
    /// process; `None` when it may go ahead (always on a store no other process shares).
    pub(crate) async fn shared_lockout(&self, keys: &[String]) -> Result<Option<Duration>> {
        if !self.is_shared() {
            return Ok(None);
        }
        #[derive(SurrealValue)]
        struct Locked {
            until: Vec<DateTime<Utc>>,
        }
        let ids: Vec<RecordId> = keys.iter().map(|k| record(self, k)).collect();
        let locked: Option<Locked> = self
            .answer(
                self.q("RETURN { until: (SELECT VALUE locked_until FROM $ids WHERE locked_until > time::now()) };")
                    .bind(("ids", ids)),
            )
            .await?;
        Ok(locked
            .and_then(|l| l.until.into_iter().max())
            .map(|u| (u - Utc::now()).to_std().unwrap_or(Duration::from_secs(1))))
    }

    /// Counts a failed check against `keys` on the shared store; says whether it locked them.
    pub(crate) async fn record_shared_failure(&self, keys: &[String]) -> Result<bool> {
        if !self.is_shared() {
            return Ok(false);
        }
        let ids: Vec<RecordId> = keys.iter().map(|k| record(self, k)).collect();
        let config = self.config();
        let sql = "BEGIN TRANSACTION;
            LET $now = time::now();
            FOR $id IN $ids {
                LET $row = (SELECT failures, window_start, locked_until FROM $id)[0];
                LET $fresh = $row = NONE OR $row.window_start < $now - $window
                    OR ($row.locked_until != NONE AND $row.locked_until <= $now);
                LET $n = IF $fresh THEN 1 ELSE $row.failures + 1 END;
                UPSERT $id SET failures = $n,
                    window_start = IF $fresh THEN $now ELSE $row.window_start END,
                    locked_until = IF $n >= $max THEN $now + $lockout ELSE NONE END;
            };
            RETURN { locked: count(SELECT id FROM $ids WHERE locked_until > $now) > 0 };
            COMMIT TRANSACTION;";
        #[derive(SurrealValue)]
        struct Answer {
            locked: bool,
        }
        let mut res = self
            .write_changing(
                crate::services::cache::Changed::Content,
                || {
                    self.q(sql)
                        .bind(("ids", ids.clone()))
                        .bind(("max", config.login_max_failures.max(1) as i64))
                        .bind(("window", surrealdb::types::Duration::from(config.login_window)))
                        .bind(("lockout", surrealdb::types::Duration::from(config.login_lockout)))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let answer: Option<Answer> = crate::services::db::returned(&mut res)?;
        Ok(answer.is_some_and(|a| a.locked))
    }

    /// A successful sign-in forgives the failures of that user from that address (the first
    /// key), as the in-memory throttle does; the address keeps its own.
    pub(crate) async fn forgive_shared_failures(&self, keys: &[String]) {
        if !self.is_shared() || keys.len() < 2 {
            return;
        }
        let write = self.q("DELETE $id WHERE locked_until = NONE").bind(("id", record(self, &keys[0])));
        self.bookkeeping(write, "sign-in failures").await;
    }

    /// Deletes failure counts whose window and lockout are over. Run periodically by the server.
    pub async fn purge_sign_in_failures(&self) -> Result<()> {
        let write = self
            .q("DELETE sign_in_failure WHERE window_start < time::now() - $window
                AND (locked_until = NONE OR locked_until < time::now())")
            .bind(("window", surrealdb::types::Duration::from(self.config().login_window)));
        self.bookkeeping(write, "expired sign-in failures").await;
        Ok(())
    }
}
