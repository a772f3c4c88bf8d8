//! Keys trusted to sign models: set on a catalog, schema or model by its owners and MANAGE
//! holders (and inherited downwards), checked against the signatures versions carry. A key is
//! revoked rather than deleted, so the record of what it once verified stays readable.

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use crate::error::{Error, Result};
use crate::names::{Name, NameKind};
use crate::services::Quiver;
use crate::services::db::{returned, throwable, who};
use crate::services::governance::grants::{OBJECT, Securable};
use crate::services::governance::privileges::{Operation, SecurableType};
use crate::services::governance::{Actor, NewSigningKey, SigningKey, SigningKeysView};
use crate::services::registry::lookup::RESOLVE;
use crate::services::storage::signatures::{PublicKey, TrustedKey};

/// Longest PEM accepted (an EC or Ed25519 public key is a few hundred bytes).
const MAX_PEM_LEN: usize = 4096;
/// Most keys on one securable, revoked ones included.
const MAX_KEYS: usize = 100;

#[derive(Debug, Clone, SurrealValue)]
struct KeyRow {
    depth: i64,
    set_on: String,
    name: String,
    algorithm: String,
    fingerprint: String,
    public_key: String,
    created_at: DateTime<Utc>,
    created_by: String,
    revoked_at: Option<DateTime<Utc>>,
    revoked_by: Option<String>,
}

#[derive(Debug, Clone, SurrealValue)]
struct KeysRow {
    found: bool,
    depth: i64,
    rows: Vec<KeyRow>,
}

/// The keys on `$path` (from `OBJECT`), each with the level and label of where it is set.
const KEYS_ON_PATH: &str = "(SELECT name, algorithm, fingerprint, public_key, created_at, created_by, revoked_at, revoked_by,
        IF record::tb(securable) = 'catalog' THEN 1 ELSE IF record::tb(securable) = 'catalog_schema' THEN 2 ELSE 3 END AS depth,
        IF record::tb(securable) = 'catalog' THEN 'catalog ' + securable.name
        ELSE IF record::tb(securable) = 'catalog_schema' THEN 'schema ' + securable.catalog.name + '.' + securable.name
        ELSE 'model ' + securable.full_name END AS set_on
    FROM signing_key WHERE securable IN $path[WHERE $this != NONE] ORDER BY depth, name_lc)";

impl Quiver {
    /// The keys set on a catalog, schema or model, and those its parents trust.
    pub async fn list_signing_keys(&self, actor: &Actor, securable: &Securable) -> Result<SigningKeysView> {
        check_kind(securable)?;
        self.authorize(actor, securable.read_op(), securable.target()).await?;
        let sql = format!("{RESOLVE} {OBJECT} RETURN {{ found: $obj != NONE, depth: $depth, rows: {KEYS_ON_PATH} }};");
        match self.answer::<Option<KeysRow>>(self.securable_query(&sql, securable)).await? {
            Some(row) if row.found => Ok(view(securable, row)),
            _ => Err(not_found(securable)),
        }
    }

    /// Trusts a public key on a catalog, schema or model (owners and MANAGE holders). Audited.
    pub async fn add_signing_key(
        &self,
        actor: &Actor,
        securable: &Securable,
        new: &NewSigningKey,
    ) -> Result<SigningKey> {
        check_kind(securable)?;
        let name = Name::parse(NameKind::Model, new.name.trim())
            .map_err(|e| Error::invalid("name", format!("A key's name: {}", e.message)))?;
        if new.public_key.len() > MAX_PEM_LEN {
            return Err(Error::invalid("public_key", "The public key is too long for a PEM public key."));
        }
        let (_, algorithm, fingerprint) =
            PublicKey::from_pem(&new.public_key).map_err(|e| Error::invalid("public_key", e))?;
        self.authorize(actor, Operation::ManageSigningKeys, securable.target()).await?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE} {OBJECT}
             IF !$obj {{ THROW $not_found }};
             IF count((SELECT VALUE id FROM signing_key WHERE securable = $obj)) >= $max {{ THROW $too_many }};
             CREATE signing_key SET securable = $obj, name = $name, name_lc = $name_lc, algorithm = $algorithm,
                 public_key = $pem, fingerprint = $fingerprint, created_at = time::now(), created_by = $who.by;
             fn::audit('signing_key.added', $type, $full_name, 'allowed', $name + ' (' + $algorithm + ', ' + $fingerprint + ')', $who);
             RETURN {{ found: true, depth: $depth, rows: {KEYS_ON_PATH} }};
             COMMIT TRANSACTION;"
        );
        let mut res = self
            .write(
                || {
                    self.securable_query(&sql, securable)
                        .bind(("name", name.as_str().to_string()))
                        .bind(("name_lc", name.folded()))
                        .bind(("algorithm", algorithm))
                        .bind(("pem", new.public_key.trim().to_string() + "\n"))
                        .bind(("fingerprint", fingerprint.clone()))
                        .bind(("max", MAX_KEYS as i64))
                        .bind(("who", who(actor)))
                        .bind(("type", securable.kind.api_name()))
                        .bind(("full_name", securable.target().full_name()))
                        .bind(("not_found", throwable(&not_found(securable))))
                        .bind((
                            "too_many",
                            throwable(&Error::precondition(format!("At most {MAX_KEYS} keys on one object."))),
                        ))
                },
                |_| Error::already_exists("name", format!("A key named '{name}' is already set here.")),
            )
            .await?;
        let row: Option<KeysRow> = returned(&mut res)?;
        let view = view(securable, row.ok_or_else(|| Error::internal("the key write answered nothing"))?);
        view.keys
            .into_iter()
            .find(|k| k.name.eq_ignore_ascii_case(name.as_str()))
            .ok_or_else(|| Error::internal("the new key is missing"))
    }

    /// Revokes a key: it verifies nothing from now on. Audited.
    pub async fn revoke_signing_key(&self, actor: &Actor, securable: &Securable, name: &str) -> Result<SigningKey> {
        check_kind(securable)?;
        self.authorize(actor, Operation::ManageSigningKeys, securable.target()).await?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE} {OBJECT}
             IF !$obj {{ THROW $not_found }};
             LET $key = (SELECT id, revoked_at FROM signing_key WHERE securable = $obj AND name_lc = $name_lc LIMIT 1)[0];
             IF !$key {{ THROW $no_key }};
             IF $key.revoked_at = NONE {{
                 UPDATE $key.id SET revoked_at = time::now(), revoked_by = $who.by;
                 fn::audit('signing_key.revoked', $type, $full_name, 'allowed', $name, $who);
             }};
             RETURN {{ found: true, depth: $depth, rows: {KEYS_ON_PATH} }};
             COMMIT TRANSACTION;"
        );
        let folded = name.trim().to_lowercase();
        let mut res = self
            .write(
                || {
                    self.securable_query(&sql, securable)
                        .bind(("name", name.trim().to_string()))
                        .bind(("name_lc", folded.clone()))
                        .bind(("who", who(actor)))
                        .bind(("type", securable.kind.api_name()))
                        .bind(("full_name", securable.target().full_name()))
                        .bind(("not_found", throwable(&not_found(securable))))
                        .bind((
                            "no_key",
                            throwable(&Error::not_found(format!("There is no key named '{}' here.", name.trim()))),
                        ))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<KeysRow> = returned(&mut res)?;
        let view = view(securable, row.ok_or_else(|| Error::internal("the key write answered nothing"))?);
        view.keys
            .into_iter()
            .find(|k| k.name.to_lowercase() == folded)
            .ok_or_else(|| Error::internal("the key is missing"))
    }

    /// The keys a model's signatures are checked against: those set on it, its schema and its
    /// catalog, not revoked.
    pub(crate) async fn trusted_keys(&self, model: &RecordId) -> Result<Vec<TrustedKey>> {
        let sql = format!(
            "LET $path = [$mdl.catalog, $mdl.schema, $mdl];
             RETURN {KEYS_ON_PATH}[WHERE revoked_at = NONE];"
        );
        let rows: Vec<KeyRow> = self.answer(self.q(&sql).bind(("mdl", model.clone()))).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let key = PublicKey::from_pem(&r.public_key).ok()?.0;
                Some(TrustedKey { name: r.name, scope: r.set_on, key, fingerprint: r.fingerprint })
            })
            .collect())
    }
}

fn check_kind(securable: &Securable) -> Result<()> {
    if securable.kind == SecurableType::Metastore {
        return Err(Error::invalid("securable_type", "Signing keys are trusted on a catalog, schema or model."));
    }
    Ok(())
}

fn not_found(securable: &Securable) -> Error {
    Error::not_found(format!("There is no {} '{}'.", securable.kind.label(), securable.target().full_name()))
}

fn key_of(r: &KeyRow) -> SigningKey {
    SigningKey {
        name: r.name.clone(),
        algorithm: r.algorithm.clone(),
        fingerprint: r.fingerprint.clone(),
        public_key: r.public_key.clone(),
        set_on: r.set_on.clone(),
        created_at: r.created_at,
        created_by: r.created_by.clone(),
        revoked_at: r.revoked_at,
        revoked_by: r.revoked_by.clone(),
    }
}

fn view(securable: &Securable, row: KeysRow) -> SigningKeysView {
    SigningKeysView {
        securable_type: securable.kind.api_name().to_string(),
        full_name: securable.target().full_name(),
        keys: row.rows.iter().filter(|r| r.depth == row.depth).map(key_of).collect(),
        inherited: row.rows.iter().filter(|r| r.depth < row.depth).map(key_of).collect(),
    }
}
