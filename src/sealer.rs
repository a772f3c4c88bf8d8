//! Secrets Quiver must read back (webhook signing secrets) are stored encrypted with a key that
//! lives outside the store (`--secret-key-file`): a copy of the database alone reveals nothing.
//! XChaCha20-Poly1305 with a random nonce per secret.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Stored secrets start with this and the key's fingerprint, so a wrong key is named as such.
const PREFIX: &str = "xc1:";

#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    fingerprint: String,
    /// A key for keyed digests, derived from the sealing key (never the key itself).
    mac_key: [u8; 32],
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer({})", self.fingerprint)
    }
}

impl Sealer {
    pub fn new(key: [u8; 32]) -> Self {
        let fingerprint = hex::encode(&Sha256::digest(key)[..4]);
        let mac_key: [u8; 32] =
            Sha256::new().chain_update(b"quiver keyed digest v1").chain_update(key).finalize().into();
        Sealer { cipher: XChaCha20Poly1305::new(&key.into()), fingerprint, mac_key }
    }

    /// HMAC-SHA256 of `data` (hex) under a key derived from the sealing key: the same in every
    /// process holding the key, and not reversible by guessing `data` without it.
    pub fn keyed_digest(&self, data: &[u8]) -> String {
        use hmac::Mac;
        let mut mac = <hmac::Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).expect("any key length");
        mac.update(data);
        hex::encode(mac.finalize().into_bytes())
    }

    /// A short, public fingerprint of the key (the first bytes of its SHA-256).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// A sealer with a fresh random key (tests, and stores that keep no secrets across restarts).
    pub fn random() -> Self {
        Self::new(new_key())
    }

    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self.cipher.encrypt(XNonce::from_slice(&nonce), plain.as_bytes()).expect("encryption cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!("{PREFIX}{}:{}", self.fingerprint, STANDARD.encode(bytes))
    }

    pub fn open(&self, stored: &str) -> Result<String> {
        let rest = stored.strip_prefix(PREFIX).ok_or_else(|| Error::internal("a stored secret is not sealed"))?;
        let (fingerprint, data) =
            rest.split_once(':').ok_or_else(|| Error::internal("a stored secret is malformed"))?;
        if fingerprint != self.fingerprint {
            return Err(Error::internal(format!(
                "a stored secret was sealed with another key ({fingerprint}, this process has {}): \
                 every Quiver on one store needs the same --secret-key-file",
                self.fingerprint
            )));
        }
        let bytes = STANDARD.decode(data).map_err(|_| Error::internal("a stored secret is malformed"))?;
        if bytes.len() < 24 {
            return Err(Error::internal("a stored secret is malformed"));
        }
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(&bytes[..24]), &bytes[24..])
            .map_err(|_| Error::internal("a stored secret does not decrypt"))?;
        String::from_utf8(plain).map_err(|_| Error::internal("a stored secret is not text"))
    }
}

pub fn new_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    key
}

/// Reads the key file (64 hex digits), or creates it (mode 0600) when it does not exist.
pub fn load_or_create_key(path: &std::path::Path) -> Result<[u8; 32]> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim())
                .map_err(|_| Error::internal(format!("{} does not hold a hex key", path.display())))?;
            bytes
                .try_into()
                .map_err(|_| Error::internal(format!("{} must hold 32 bytes (64 hex digits)", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = new_key();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(Error::internal)?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(Error::internal)?;
            std::io::Write::write_all(&mut file, format!("{}\n", hex::encode(key)).as_bytes())
                .map_err(Error::internal)?;
            Ok(key)
        }
        Err(e) => Err(Error::internal(format!("cannot read {}: {e}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_refuses_another_key() {
        let s = Sealer::random();
        let sealed = s.seal("whsec_abc");
        assert!(!sealed.contains("whsec_abc"));
        assert_ne!(sealed, s.seal("whsec_abc"), "a fresh nonce every time");
        assert_eq!(s.open(&sealed).unwrap(), "whsec_abc");
        assert!(Sealer::random().open(&sealed).is_err(), "another key opens nothing");
        assert!(s.open(&sealed.replace("xc1:", "xc2:")).is_err());
    }

    #[test]
    fn the_key_file_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/secret.key");
        let a = load_or_create_key(&path).unwrap();
        assert_eq!(load_or_create_key(&path).unwrap(), a);
    }
}
