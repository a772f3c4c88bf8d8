//! Signatures made with the OpenSSF `model-signing` tool (`model_signing sign key …`), checked on
//! the server: a Sigstore bundle (v0.3) holding a DSSE envelope over an in-toto statement that
//! lists every file's digest and their root digest. Quiver verifies the envelope against the
//! keys trusted for the model (ECDSA P-256/SHA-256, P-384/SHA-384, Ed25519; RustCrypto), then
//! that the signed files are exactly the registered ones. Keyless signatures (a certificate and a
//! transparency log) need a Sigstore trust root, which Quiver does not hold: they are reported as
//! not checkable, never as valid.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use surrealdb::types::SurrealValue;

use crate::services::storage::manifest::{root_digest, signing_order, unsigned_by_default};
use crate::services::storage::{SignatureCheck, VersionFile};

const BUNDLE_MEDIA_TYPES: [&str; 2] =
    ["application/vnd.dev.sigstore.bundle.v0.3+json", "application/vnd.dev.sigstore.bundle+json;version=0.3"];
const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
const PREDICATE_TYPE: &str = "https://model_signing/signature/v1.0";

/// A public key a model's signatures are checked against.
#[derive(Debug, Clone)]
pub(crate) struct TrustedKey {
    pub name: String,
    /// Where it is configured (`prod`, `prod.ml`, `prod.ml.fraud`).
    pub scope: String,
    pub key: PublicKey,
    /// Hex SHA-256 of the key's PEM, as model-signing names it in its bundles (`publicKey.hint`).
    pub fingerprint: String,
}

/// A parsed public key.
#[derive(Debug, Clone)]
pub(crate) enum PublicKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl PublicKey {
    /// Reads a PEM public key (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo): its key, its
    /// algorithm's name and its fingerprint (SHA-256 of its canonical PEM, model-signing's hint).
    pub(crate) fn from_pem(pem: &str) -> Result<(PublicKey, &'static str, String), String> {
        use p256::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
        let pem = pem.trim();
        let (key, algorithm, canonical) = if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            let canonical = k.to_public_key_pem(LineEnding::LF).map_err(|e| e.to_string())?;
            (PublicKey::P256(k), "ecdsa-p256-sha256", canonical)
        } else if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            let canonical = k.to_public_key_pem(LineEnding::LF).map_err(|e| e.to_string())?;
            (PublicKey::P384(k), "ecdsa-p384-sha384", canonical)
        } else if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
            let canonical = k.to_public_key_pem(LineEnding::LF).map_err(|e| e.to_string())?;
            (PublicKey::Ed25519(k), "ed25519", canonical)
        } else {
            return Err("Not a PEM public key (-----BEGIN PUBLIC KEY-----) for ECDSA P-256, P-384 or Ed25519.".into());
        };
        use sha2::Digest;
        Ok((key, algorithm, hex::encode(sha2::Sha256::digest(canonical.as_bytes()))))
    }

    /// Whether `signature` signs `message` with this key (ECDSA signatures DER-encoded, as
    /// model-signing writes them, high-S included; Ed25519 ones 64 bytes).
    fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        use p256::ecdsa::signature::Verifier;
        match self {
            PublicKey::P256(k) => {
                p256::ecdsa::Signature::from_der(signature).is_ok_and(|s| k.verify(message, &s).is_ok())
            }
            PublicKey::P384(k) => {
                p384::ecdsa::Signature::from_der(signature).is_ok_and(|s| k.verify(message, &s).is_ok())
            }
            PublicKey::Ed25519(k) => {
                ed25519_dalek::Signature::from_slice(signature).is_ok_and(|s| k.verify_strict(message, &s).is_ok())
            }
        }
    }
}

/// DSSE's pre-authentication encoding: what the signature covers.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The verdict on `bundle` (a `model.sig`) for a version whose registered files are `files`.
pub(crate) fn check(bundle: &str, files: &[VersionFile], keys: &[TrustedKey]) -> SignatureCheck {
    let invalid = |detail: &str| SignatureCheck::Invalid { detail: detail.to_string() };
    let Ok(bundle) = serde_json::from_str::<Value>(bundle) else {
        return invalid("The signature is not JSON: Quiver reads the Sigstore bundles model-signing writes.");
    };
    let media = bundle["mediaType"].as_str().unwrap_or_default();
    if !BUNDLE_MEDIA_TYPES.contains(&media) {
        return invalid(&format!("'{media}' is not a Sigstore bundle v0.3 (model-signing 1.x writes those)."));
    }
    let material = &bundle["verificationMaterial"];
    let keyless = material.get("certificate").is_some()
        || material.get("x509CertificateChain").is_some()
        || material["tlogEntries"].as_array().is_some_and(|t| !t.is_empty());
    if keyless {
        return invalid(
            "A keyless (certificate) signature: checking it needs a Sigstore trust root and its transparency log, \
             which this Quiver does not hold. Sign with a key (model_signing sign key) and trust its public key here.",
        );
    }
    let envelope = &bundle["dsseEnvelope"];
    let payload_type = envelope["payloadType"].as_str().unwrap_or_default();
    if payload_type != PAYLOAD_TYPE {
        return invalid(&format!("The envelope carries '{payload_type}', not an in-toto statement."));
    }
    let Some(payload) = envelope["payload"].as_str().and_then(|p| STANDARD.decode(p).ok()) else {
        return invalid("The envelope's payload is not base64.");
    };
    let signatures: Vec<Vec<u8>> = envelope["signatures"]
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["sig"].as_str().and_then(|b| STANDARD.decode(b).ok())).collect())
        .unwrap_or_default();
    if signatures.is_empty() {
        return invalid("The envelope holds no signature.");
    }
    let hint = material["publicKey"]["hint"].as_str().filter(|h| !h.is_empty());
    let message = pae(payload_type, &payload);
    let signer = keys
        .iter()
        .filter(|k| hint.is_none_or(|h| h.eq_ignore_ascii_case(&k.fingerprint)))
        .find(|k| signatures.iter().any(|s| k.key.verifies(&message, s)));
    let Some(signer) = signer else {
        return SignatureCheck::Untrusted {
            detail: match hint {
                Some(h) => {
                    format!("No key trusted for this model verifies it (it names key {}…).", &h[..h.len().min(12)])
                }
                None => "No key trusted for this model verifies it.".into(),
            },
        };
    };
    let mismatch =
        |detail: String| SignatureCheck::Mismatch { key: signer.name.clone(), scope: signer.scope.clone(), detail };
    // Only now, signed by a trusted key, is the statement read.
    let Ok(statement) = serde_json::from_slice::<Value>(&payload) else {
        return invalid("The signed statement is not JSON.");
    };
    if statement["_type"] != STATEMENT_TYPE || statement["predicateType"] != PREDICATE_TYPE {
        return invalid("The signed statement is not a model-signing v1 statement.");
    }
    let serialization = &statement["predicate"]["serialization"];
    if serialization["method"] != "files" || serialization["hash_type"] != "sha256" {
        return mismatch(format!(
            "It was signed with {}/{} digests; Quiver records SHA-256 digests of whole files (model_signing's default).",
            serialization["method"].as_str().unwrap_or("?"),
            serialization["hash_type"].as_str().unwrap_or("?")
        ));
    }
    let subject = statement["subject"][0]["digest"]["sha256"].as_str().unwrap_or_default();
    let mut signed: Vec<VersionFile> = statement["predicate"]["resources"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| VersionFile {
                    path: r["name"].as_str().unwrap_or_default().to_string(),
                    size: 0,
                    sha256: r["digest"].as_str().unwrap_or_default().to_ascii_lowercase(),
                })
                .collect()
        })
        .unwrap_or_default();
    if root_digest(&signed).ok().as_deref() != Some(subject) {
        return invalid("The signed statement is inconsistent: its files do not hash to its root digest.");
    }
    // The registered files a signer signs: all but git's metadata, the signature, and what the
    // signer chose to leave out (`ignore_paths`).
    let ignored: Vec<&str> = serialization["ignore_paths"]
        .as_array()
        .map(|p| p.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let leaves_out = |path: &str| {
        unsigned_by_default(path) || ignored.iter().any(|i| path == *i || path.starts_with(&format!("{i}/")))
    };
    let mut registered: Vec<&VersionFile> = files.iter().filter(|f| !leaves_out(&f.path)).collect();
    registered.sort_by(|a, b| signing_order(&a.path, &b.path));
    signed.sort_by(|a, b| signing_order(&a.path, &b.path));
    for f in &registered {
        match signed.iter().find(|s| s.path == f.path) {
            None => return mismatch(format!("{} is not among the signed files.", f.path)),
            Some(s) if s.sha256 != f.sha256 => {
                return mismatch(format!(
                    "{} differs: signed {}…, registered {}….",
                    f.path,
                    &s.sha256[..s.sha256.len().min(12)],
                    &f.sha256[..12.min(f.sha256.len())]
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = signed.iter().find(|s| !registered.iter().any(|f| f.path == s.path)) {
        return mismatch(format!("{} was signed but is not among the registered files.", extra.path));
    }
    SignatureCheck::Verified { key: signer.name.clone(), scope: signer.scope.clone() }
}

/// Largest signature accepted (a model-signing bundle is a few KiB, growing with the file list).
const MAX_BUNDLE_BYTES: usize = 4 << 20;

/// What a version's integrity is read from.
#[derive(Debug, Clone, SurrealValue)]
struct IntegrityRow {
    model: surrealdb::types::RecordId,
    digest: Option<String>,
    files: Vec<FileRow>,
    signature: Option<String>,
}

#[derive(Debug, Clone, SurrealValue)]
struct FileRow {
    path: String,
    size: i64,
    sha256: String,
}

/// A version's registered files, their root digest and what its signature says about them.
#[derive(Debug, Clone)]
pub(crate) struct Integrity {
    pub digest: Option<String>,
    pub files: Vec<VersionFile>,
    pub signature: SignatureCheck,
}

impl crate::services::Quiver {
    /// The registered files of a version (its record), their digest, and its signature's verdict
    /// against the keys trusted for its model now.
    pub(crate) async fn version_integrity(
        &self,
        version: &surrealdb::types::RecordId,
    ) -> crate::error::Result<Integrity> {
        let sql = "RETURN {
                 model: $v.model,
                 digest: $v.digest,
                 files: (SELECT path, size, sha256 FROM version_file WHERE version = $v),
                 signature: (SELECT VALUE bundle FROM version_signature WHERE version = $v LIMIT 1)[0],
             };";
        let row: Option<IntegrityRow> = self.answer(self.q(sql).bind(("v", version.clone()))).await?;
        let row = row.ok_or_else(|| crate::error::Error::internal("the integrity read answered nothing"))?;
        let mut files: Vec<VersionFile> = row
            .files
            .into_iter()
            .map(|f| VersionFile { path: f.path, size: f.size as u64, sha256: f.sha256 })
            .collect();
        files.sort_by(|a, b| signing_order(&a.path, &b.path));
        let signature = match &row.signature {
            None => SignatureCheck::Unsigned,
            Some(_) if row.digest.is_none() => SignatureCheck::Invalid {
                detail:
                    "Quiver holds no record of this version's files (they are stored elsewhere, or it was registered \
                         before Quiver recorded them), so a signature cannot be checked against them."
                        .into(),
            },
            Some(bundle) => check(bundle, &files, &self.trusted_keys(&row.model).await?),
        };
        Ok(Integrity { digest: row.digest, files, signature })
    }

    /// Attaches (or replaces) a version's signature: a model-signing bundle (`model.sig`). Needs
    /// CREATE MODEL VERSION or MANAGE on the model; audited. Returns the verdict on it.
    pub async fn attach_signature(
        &self,
        actor: &crate::services::governance::Actor,
        path: &crate::names::ModelPath,
        version: i64,
        bundle: &str,
    ) -> crate::error::Result<SignatureCheck> {
        use crate::error::Error;
        use crate::services::governance::access::Target;
        use crate::services::governance::privileges::Operation;
        if bundle.len() > MAX_BUNDLE_BYTES {
            return Err(Error::invalid("signature", format!("A signature is at most {MAX_BUNDLE_BYTES} bytes.")));
        }
        if !serde_json::from_str::<Value>(bundle).is_ok_and(|b| b.is_object()) {
            return Err(Error::invalid(
                "signature",
                "Not a signature: give the model.sig file model_signing wrote (JSON).",
            ));
        }
        self.authorize(actor, Operation::AttachSignature, Target::Model(path)).await?;
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             LET $v = (SELECT VALUE id FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0];
             IF !$v {{ THROW $no_version }};
             DELETE version_signature WHERE version = $v;
             CREATE version_signature SET version = $v, bundle = $bundle, origin = 'attached', attached_at = time::now(),
                 attached_by = $who.by;
             fn::activity($mdl, $version, 'model_version.signature_attached', NONE, NONE, NONE, $who);
             RETURN $v;
             COMMIT TRANSACTION;",
            RESOLVE = crate::services::registry::lookup::RESOLVE
        );
        let no_model = crate::services::db::throwable(&crate::services::registry::lookup::model_not_found(path));
        let no_version =
            crate::services::db::throwable(&crate::services::registry::lookup::version_not_found(path, version));
        let mut res = self
            .write_content(
                || {
                    self.path_query(&sql, path)
                        .bind(("version", version))
                        .bind(("bundle", bundle.to_string()))
                        .bind(("who", crate::services::db::who(actor)))
                        .bind(("no_model", no_model.clone()))
                        .bind(("no_version", no_version.clone()))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let id: Option<surrealdb::types::RecordId> = crate::services::db::returned(&mut res)?;
        let id = id.ok_or_else(|| Error::internal("the signature write answered nothing"))?;
        Ok(self.version_integrity(&id).await?.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = include_str!("../../../tests/fixtures/model_signing/model.sig");
    const SIG384: &str = include_str!("../../../tests/fixtures/model_signing/model384.sig");
    const PUB: &str = include_str!("../../../tests/fixtures/model_signing/pub.pem");
    const PUB384: &str = include_str!("../../../tests/fixtures/model_signing/pub384.pem");
    const OTHER: &str = include_str!("../../../tests/fixtures/model_signing/other_pub.pem");

    fn key(name: &str, pem: &str) -> TrustedKey {
        let (key, _, fingerprint) = PublicKey::from_pem(pem).unwrap();
        TrustedKey { name: name.into(), scope: "catalog prod".into(), key, fingerprint }
    }

    fn file(path: &str, sha256: &str) -> VersionFile {
        VersionFile { path: path.into(), size: 1, sha256: sha256.into() }
    }

    /// The sample model as registered.
    fn registered() -> Vec<VersionFile> {
        vec![
            file("config.json", "9b831899b1bc0a535a484c7c989d5150cc4e2f32376dcdc5e62e37d7086232d7"),
            file("tokenizer/vocab.txt", "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"),
            file("weights.bin", "785b0751fc2c53dc14a4ce3d800e69ef9ce1009eb327ccf458afe09c242c26c9"),
        ]
    }

    #[test]
    fn keys_read_from_pem_carry_model_signings_fingerprint() {
        let (_, algorithm, fingerprint) = PublicKey::from_pem(PUB).unwrap();
        assert_eq!(algorithm, "ecdsa-p256-sha256");
        assert_eq!(fingerprint, "fce6704f09820c89eb0d9a2e716d52fc3c23170579d9f1cb4f77edad1ec573b6");
        assert_eq!(PublicKey::from_pem(PUB384).unwrap().1, "ecdsa-p384-sha384");
        let ed = include_str!("../../../tests/fixtures/model_signing/ed25519_pub.pem");
        assert_eq!(PublicKey::from_pem(ed).unwrap().1, "ed25519");
        assert!(PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err());
    }

    #[test]
    fn a_signature_by_a_trusted_key_over_the_registered_files_verifies() {
        let keys = [key("other", OTHER), key("release", PUB)];
        assert_eq!(
            check(SIG, &registered(), &keys),
            SignatureCheck::Verified { key: "release".into(), scope: "catalog prod".into() }
        );
        assert!(check(SIG384, &registered(), &[key("release-384", PUB384)]).is_verified());
        // The signature file itself and git's metadata are not part of what is signed.
        let mut with_sig = registered();
        with_sig.push(file("model.sig", "00"));
        with_sig.push(file(".gitignore", "00"));
        assert!(check(SIG, &with_sig, &keys).is_verified());
    }

    #[test]
    fn other_keys_other_files_and_broken_bundles_are_told_apart() {
        assert!(matches!(check(SIG, &registered(), &[key("other", OTHER)]), SignatureCheck::Untrusted { .. }));
        assert!(matches!(check(SIG, &registered(), &[]), SignatureCheck::Untrusted { .. }));
        let keys = [key("release", PUB)];
        let mut changed = registered();
        changed[2].sha256 = "0".repeat(64);
        match check(SIG, &changed, &keys) {
            SignatureCheck::Mismatch { detail, .. } => assert!(detail.contains("weights.bin"), "{detail}"),
            other => panic!("{other:?}"),
        }
        let mut extra = registered();
        extra.push(file("extra.bin", &"1".repeat(64)));
        assert!(matches!(check(SIG, &extra, &keys), SignatureCheck::Mismatch { .. }));
        let fewer = registered()[..2].to_vec();
        assert!(matches!(check(SIG, &fewer, &keys), SignatureCheck::Mismatch { .. }));
        // A payload changed after signing no longer verifies.
        let mut bundle: Value = serde_json::from_str(SIG).unwrap();
        let payload = STANDARD.decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap()).unwrap();
        let forged = String::from_utf8(payload).unwrap().replace("785b07", "000000");
        bundle["dsseEnvelope"]["payload"] = Value::String(STANDARD.encode(forged));
        assert!(matches!(check(&bundle.to_string(), &registered(), &keys), SignatureCheck::Untrusted { .. }));
        // Keyless bundles need a trust root Quiver does not hold.
        let mut keyless: Value = serde_json::from_str(SIG).unwrap();
        keyless["verificationMaterial"]["certificate"] = serde_json::json!({ "rawBytes": "AAAA" });
        match check(&keyless.to_string(), &registered(), &keys) {
            SignatureCheck::Invalid { detail } => assert!(detail.contains("trust root"), "{detail}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(check("not json", &registered(), &keys), SignatureCheck::Invalid { .. }));
    }

    #[test]
    fn ed25519_signatures_verify_too() {
        use ed25519_dalek::Signer;
        use ed25519_dalek::pkcs8::EncodePublicKey;
        let signing = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let pem = signing.verifying_key().to_public_key_pem(Default::default()).unwrap();
        let bundle: Value = serde_json::from_str(SIG).unwrap();
        let payload = STANDARD.decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap()).unwrap();
        let signature = signing.sign(&pae(PAYLOAD_TYPE, &payload));
        let mut ed_bundle = bundle.clone();
        ed_bundle["verificationMaterial"]["publicKey"] = serde_json::json!({});
        ed_bundle["dsseEnvelope"]["signatures"] =
            serde_json::json!([{ "sig": STANDARD.encode(signature.to_bytes()), "keyid": "" }]);
        assert!(check(&ed_bundle.to_string(), &registered(), &[key("ed", &pem)]).is_verified());
    }
}
