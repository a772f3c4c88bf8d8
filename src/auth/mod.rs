//! Credentials: argon2id password hashes and high-entropy bearer secrets (sessions, tokens).

mod basic_cache;
mod forwarded;
mod password;
mod secret;
mod throttle;

pub use basic_cache::{BASIC_CACHE_TTL, BasicCache, Landing};
pub use forwarded::ProxyTrust;
pub use password::{MIN_PASSWORD_LEN, hash_password, validate_new_password, verify_password};
pub use secret::{SecretKind, anonymous_csrf_token, csrf_token, generate_secret, hash_secret};
pub use throttle::{Attempt, LoginThrottle, Outcome, Refused, attempt_keys};
