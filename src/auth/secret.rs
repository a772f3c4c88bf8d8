//! Bearer secrets (session cookies, personal access tokens). They carry 256 random bits, so a
//! single SHA-256 is the right storage hash: the database holds only the digest.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Session,
    AccessToken,
}

impl SecretKind {
    fn prefix(self) -> &'static str {
        match self {
            SecretKind::Session => "qvs_",
            SecretKind::AccessToken => "qvp_",
        }
    }
}

/// A new random secret with a recognisable prefix (so leaked tokens are easy to scan for).
pub fn generate_secret(kind: SecretKind) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{}{}", kind.prefix(), base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The digest stored in place of the secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The anti-forgery token of a browser session: derived from its secret (so it needs no
/// storage and dies with the session), and telling nothing about the secret.
pub fn csrf_token(session_secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"quiver csrf token\0");
    h.update(session_secret.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize())
}

/// A random token for a browser that has not signed in yet (guards the sign-in form).
pub fn anonymous_csrf_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_unique_and_hashed() {
        let a = generate_secret(SecretKind::AccessToken);
        let b = generate_secret(SecretKind::AccessToken);
        assert!(a.starts_with("qvp_") && a.len() > 40);
        assert_ne!(a, b);
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_ne!(hash_secret(&a), hash_secret(&b));
        assert_eq!(hash_secret(&a).len(), 64);
        assert!(generate_secret(SecretKind::Session).starts_with("qvs_"));
        assert_eq!(csrf_token(&a), csrf_token(&a));
        assert_ne!(csrf_token(&a), csrf_token(&b));
        assert!(!csrf_token(&a).contains(&a[4..12]));
        assert_ne!(anonymous_csrf_token(), anonymous_csrf_token());
    }
}
