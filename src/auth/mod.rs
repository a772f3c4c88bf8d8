//! Credentials: argon2id password hashes and high-entropy bearer secrets (sessions, tokens).

mod password;
mod secret;
mod throttle;

pub use password::{hash_password, verify_password, validate_new_password, MIN_PASSWORD_LEN};
pub use secret::{generate_secret, hash_secret, SecretKind};
pub use throttle::LoginThrottle;
