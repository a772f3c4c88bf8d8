//! Group commit for version registrations: concurrent `create_version` calls share transactions.
//!
//! A version write costs its transaction (begin, commit, the query's parse and plan) plus about
//! 1.3–1.8 ms of work per version (the model's counter, the version with its index entries, the
//! journal entry). Registered one transaction each, sixteen concurrent registrations pay the
//! first part sixteen times; here they queue, and each of a few writers gathers its share of them
//! (up to [`MAX_BATCH`], waiting at most [`GATHER`]) into one transaction that registers them in
//! order. A lone registration goes straight through: nothing waits for company that is not coming.
//!
//! Every registration keeps its own outcome. The shared statement marks a registration whose
//! model is missing instead of failing the others, and that one gets the error naming what is
//! missing. Should a shared transaction fail as a whole (which no known input causes), nothing of
//! it is kept and each registration runs again in a transaction of its own, so one cannot fail
//! another.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, Weak};

use surrealdb::types::RecordId;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::error::{Error, Result};
use crate::names::ModelPath;
use crate::services::Quiver;
use crate::services::cache::Class;
use crate::services::handle::Inner;
use crate::services::registry::rows::VERSION_FIELDS;
use crate::services::registry::version_queue::{InFlight, Job, Registered, Registration, RegistrationCounts};
use crate::store::journal;

/// The most registrations one transaction takes.
pub const MAX_BATCH: usize = 64;

/// How long a writer waits for the registrations it expects (see [`writer`]).
const GATHER: std::time::Duration = std::time::Duration::from_millis(2);

impl Quiver {
    /// Registers `registration` (already validated and authorized) through the queue.
    pub(crate) async fn register_version(&self, path: &ModelPath, registration: Registration) -> Result<Registered> {
        let (reply, answer) = oneshot::channel();
        let job = Job { registration, path: path.clone(), reply, span: tracing::Span::current() };
        let _counted = InFlight::new(&self.inner.versions);
        self.version_queue().send(job).map_err(|_| Error::internal("the version writers have stopped"))?;
        answer.await.map_err(|_| Error::internal("a version writer stopped before answering"))?
    }

    /// How many versions were registered, in how many transactions.
    pub fn registration_counts(&self) -> RegistrationCounts {
        let queue = &self.inner.versions;
        RegistrationCounts {
            registrations: queue.registrations.load(Ordering::Relaxed),
            transactions: queue.transactions.load(Ordering::Relaxed),
        }
    }

    fn version_queue(&self) -> &mpsc::UnboundedSender<Job> {
        self.inner.versions.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            let receiver = Arc::new(Mutex::new(receiver));
            // As many writers as cores: one shared transaction runs on one core at a time.
            let writers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8);
            for _ in 0..writers {
                tokio::spawn(writer(Arc::downgrade(&self.inner), receiver.clone(), writers));
            }
            sender
        })
    }

    /// Registers `jobs` in one transaction and answers each.
    async fn register_together(&self, jobs: Vec<Job>) {
        let registrations: Vec<Registration> = jobs.iter().map(|j| j.registration.clone()).collect();
        match self.write_registrations(registrations).await {
            Ok(outcomes) if outcomes.len() == jobs.len() => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let answer = match outcome {
                        Some(registered) => Ok(registered),
                        None => Err(self.why_unregistered(&job.path).await),
                    };
                    let _ = job.reply.send(answer);
                }
            }
            Ok(_) => answer_all(jobs, Error::internal("the shared registration returned a wrong count")),
            Err(e) if jobs.len() == 1 => answer_all(jobs, e),
            Err(e) => {
                tracing::warn!(error = %e, count = jobs.len(), "a shared version registration failed; registering one by one");
                for job in jobs {
                    let alone = async {
                        match self.write_registrations(vec![job.registration]).await {
                            Ok(mut one) => match one.pop().flatten() {
                                Some(registered) => Ok(registered),
                                None => Err(self.why_unregistered(&job.path).await),
                            },
                            Err(e) => Err(e),
                        }
                    };
                    let answer = tracing::Instrument::instrument(alone, job.span).await;
                    let _ = job.reply.send(answer);
                }
            }
        }
    }

    /// One transaction registering each of `registrations` in order: for each, the version, or
    /// nothing when its model is missing.
    async fn write_registrations(&self, registrations: Vec<Registration>) -> Result<Vec<Option<Registered>>> {
        // Whether an event is written at all is known here on an embedded store (a read saved).
        let webhooks = journal::Webhooks::known(self.webhooks_active().await?);
        let sql = registration_sql(webhooks);
        let id_generation = self.inner.cache.generation(Class::Access);
        let mut res = self
            .write_content(
                || self.q(sql).bind(("registrations", registrations.clone())),
                |i| Error::internal(format!("version number collision on {i}")),
            )
            .await?;
        let outcomes: Vec<Option<Registered>> = crate::services::db::returned(&mut res)?;
        let queue = &self.inner.versions;
        queue.transactions.fetch_add(1, Ordering::Relaxed);
        queue.registrations.fetch_add(outcomes.iter().flatten().count() as u64, Ordering::Relaxed);
        for (r, outcome) in registrations.iter().zip(&outcomes) {
            if let Some(done) = outcome {
                let weight = crate::services::cache::Weigh::weight(&done.model);
                self.inner.cache.put(Class::Access, model_id_key(&r.name), id_generation, done.model.clone(), weight);
            }
        }
        Ok(outcomes)
    }

    /// The model's record id, when a registration found it earlier.
    pub(crate) fn known_model_id(&self, name: &str) -> Option<RecordId> {
        self.inner.cache.get(&model_id_key(name))
    }

    /// Why a registration found no model: the missing catalog, schema or model.
    async fn why_unregistered(&self, path: &ModelPath) -> Error {
        match self.resolve_model(path).await {
            Err(e) => e,
            // Created since: the caller may try again.
            Ok(_) => crate::services::registry::lookup::model_not_found(path),
        }
    }
}

fn model_id_key(name: &str) -> String {
    format!("model-id|{name}")
}

fn answer_all(jobs: Vec<Job>, e: Error) {
    for job in jobs {
        let _ = job.reply.send(Err(e.clone()));
    }
}

/// Takes what is queued, up to [`MAX_BATCH`], and registers it; stops when the registry is gone.
///
/// Under steady concurrent load the callers of one transaction send their next registrations
/// together as soon as it is answered, microseconds apart: a writer that took the first of them
/// at once would write it alone and leave the rest to later transactions. So a writer gathers
/// its share of the registrations recently in flight at once (with two writers and sixteen
/// callers, eight), waiting at most [`GATHER`] for them. A lone caller never waits; when fewer
/// arrive than expected, the expectation drops to what is in flight.
async fn writer(registry: Weak<Inner>, receiver: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>, writers: usize) {
    use futures::FutureExt;
    loop {
        let mut jobs = Vec::new();
        let inner = {
            let mut receiver = receiver.lock().await;
            match receiver.recv().await {
                Some(job) => jobs.push(job),
                None => return,
            }
            let Some(inner) = registry.upgrade() else { return };
            let queue = &inner.versions;
            let expected = queue.peak.load(Ordering::Acquire).div_ceil(writers).clamp(1, MAX_BATCH);
            let deadline = tokio::time::Instant::now() + GATHER;
            while jobs.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) if jobs.len() >= expected => break,
                    Err(_) => match tokio::time::timeout_at(deadline, receiver.recv()).await {
                        Ok(Some(job)) => jobs.push(job),
                        Ok(None) => break,
                        Err(_) => {
                            let now = queue.in_flight.load(Ordering::Acquire);
                            queue.peak.store(now.max(jobs.len()), Ordering::Release);
                            break;
                        }
                    },
                }
            }
            inner
        };
        let q = Quiver { inner };
        // A panic fails this batch's callers (their replies are dropped), not the writer.
        if std::panic::AssertUnwindSafe(q.register_together(jobs)).catch_unwind().await.is_err() {
            tracing::error!("a version writer panicked; its registrations failed");
        }
    }
}

/// The shared statement: registers `$registrations` in order, each as `create_version` always
/// has (one statement finds the model and takes its next number; the journal is inlined), and
/// returns for each its row and model, or NONE when the model is missing.
fn registration_sql(webhooks: journal::Webhooks) -> &'static str {
    static SQL: OnceLock<[String; 3]> = OnceLock::new();
    let all = SQL.get_or_init(|| {
        [journal::Webhooks::Look, journal::Webhooks::Active, journal::Webhooks::Inactive].map(build_registration_sql)
    });
    match webhooks {
        journal::Webhooks::Look => &all[0],
        journal::Webhooks::Active => &all[1],
        journal::Webhooks::Inactive => &all[2],
    }
}

fn build_registration_sql(webhooks: journal::Webhooks) -> String {
    // The event carries what the version was registered with (MLflow's webhooks send it).
    let journal = journal::statements(&journal::Change {
        data: "{ source: $r.source, run_id: $r.run_id, description: $r.description, tags: $r.tags }",
        webhooks,
        ..journal::Change::new("$mdl", "$mdl.id", "$v", "'model_version.created'", "$r.who")
    });
    // By the record id when known, checked against the name (a renamed or deleted model is then
    // found by name, or not at all).
    const TAKE_NUMBER: &str = "SET last_version += 1, updated_at = $now, updated_by = $r.actor
        WHERE full_name_lc = $r.name RETURN id, last_version, full_name, full_name_lc, catalog, schema";
    format!(
        "BEGIN TRANSACTION;
         LET $now = time::now();
         RETURN $registrations.map(|$r| {{
             LET $mdl = (IF $r.mid THEN (UPDATE $r.mid {TAKE_NUMBER})[0] END)
                 ?? (UPDATE registered_model {TAKE_NUMBER})[0];
             IF !$mdl {{ RETURN NONE }};
             LET $v = $mdl.last_version;
             LET $row = (CREATE ONLY model_version SET model = $mdl.id, version = $v, source = $r.source,
                 run_id = $r.run_id, run_link = $r.run_link, description = $r.description, status = $r.status,
                 signature_inputs = $r.sig_in, signature_outputs = $r.sig_out, model_id = $r.model_id,
                 tags = $r.tags, full_name = $mdl.full_name, full_name_lc = $mdl.full_name_lc, version_desc = 0 - $v,
                 files_root = $r.files_root, digest = $r.digest,
                 file_count = IF $r.files_root THEN array::len($r.files) END,
                 total_size = IF $r.files_root THEN math::sum($r.files.size) END,
                 created_at = $now, created_by = $r.actor, updated_at = $now, updated_by = $r.actor
                 RETURN {VERSION_FIELDS});
             IF $r.files {{
                 FOR $f IN $r.files {{
                     CREATE version_file SET version = $row.id, path = $f.path, size = $f.size, sha256 = $f.sha256;
                 }};
             }};
             IF $r.signature {{
                 CREATE version_signature SET version = $row.id, bundle = $r.signature, origin = 'artifact',
                     attached_at = $now, attached_by = $r.actor;
             }};
             IF $r.tags {{
                 FOR $t IN $r.tags {{
                     CREATE version_tag SET model = $mdl.id, version = $row.id, key = $t.key, value = $t.value;
                 }};
             }};
             {journal}
             RETURN {{ row: $row, model: $mdl.id }};
         }});
         COMMIT TRANSACTION;"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServiceConfig;
    use crate::services::governance::{Actor, Principal, Source};
    use crate::store::StoreConfig;

    fn admin() -> Actor {
        Actor {
            principal: Principal { user_id: String::new(), username: "admin".into(), admin: true },
            source: Source::Rest,
            request_id: "t".into(),
        }
    }

    fn registration(q: &Quiver, status: &str) -> Registration {
        Registration {
            name: "prod.ml.fraud".into(),
            mid: None,
            source: "s3://b/m".into(),
            run_id: None,
            run_link: None,
            description: String::new(),
            status: status.into(),
            sig_in: None,
            sig_out: None,
            model_id: None,
            tags: vec![],
            files_root: None,
            digest: None,
            files: Vec::new(),
            signature: None,
            actor: "admin".into(),
            who: crate::services::db::who(&admin()),
        }
        .with_known_id(q)
    }

    impl Registration {
        fn with_known_id(mut self, q: &Quiver) -> Self {
            self.mid = q.known_model_id(&self.name);
            self
        }
    }

    /// A registration that fails inside the shared transaction (here a status the schema
    /// refuses, which `create_version` never sends) fails alone: the others are written again,
    /// one transaction each, and nothing of the failed transaction is kept.
    #[tokio::test]
    async fn one_failing_registration_does_not_fail_the_others() {
        let q = Quiver::open(&StoreConfig::memory(), ServiceConfig::default()).await.unwrap();
        let a = admin();
        q.create_catalog(&a, "prod", "").await.unwrap();
        q.create_schema(&a, "prod", "ml", "").await.unwrap();
        q.create_model(&a, "prod", "ml", "fraud", "").await.unwrap();
        let path = ModelPath::new("prod", "ml", "fraud").unwrap();
        // On this single-threaded runtime all three are queued before a writer runs.
        let (first, bad, last) = tokio::join!(
            q.register_version(&path, registration(&q, "READY")),
            q.register_version(&path, registration(&q, "BOGUS")),
            q.register_version(&path, registration(&q, "PENDING_REGISTRATION")),
        );
        assert_eq!(first.unwrap().row.version, 1);
        assert!(bad.is_err());
        assert_eq!(last.unwrap().row.version, 2, "the failed registration took no number");
        assert_eq!(q.registration_counts(), RegistrationCounts { registrations: 2, transactions: 2 });
        let model = q.get_model(&a, &path).await.unwrap();
        assert_eq!(model.latest_version, 2);
    }

    #[test]
    fn the_statement_binds_every_value() {
        for sql in
            [journal::Webhooks::Look, journal::Webhooks::Active, journal::Webhooks::Inactive].map(registration_sql)
        {
            assert!(!sql.contains('"'), "no string literal but Quiver's own: {sql}");
            assert!(sql.contains("$registrations.map(|$r|"));
        }
        assert!(registration_sql(journal::Webhooks::Active).contains("CREATE event"));
        assert!(!registration_sql(journal::Webhooks::Inactive).contains("CREATE event"));
    }
}
