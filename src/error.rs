//! The one error type of the registry core. Every surface maps it: the UI shows `message`
//! (next to `field` when set), REST answers with the status of its [`ErrorKind`].

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    /// Bad input; `field` names the offending input when there is one.
    InvalidArgument,
    NotFound,
    AlreadyExists,
    /// The operation conflicts with the current state (e.g. deleting a non-empty catalog).
    FailedPrecondition,
    Unauthenticated,
    PermissionDenied,
    /// Too many attempts; try again later.
    RateLimited,
    /// A quota is used up (e.g. artifact storage); retrying will not help until space is freed.
    ResourceExhausted,
    /// The database did not answer in time (it is down or overloaded); clients may retry.
    Unavailable,
    /// Something broke inside Quiver. The details are logged, never shown.
    Internal,
}

impl ErrorKind {
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::InvalidArgument => 400,
            ErrorKind::NotFound => 404,
            ErrorKind::AlreadyExists => 409,
            ErrorKind::FailedPrecondition => 409,
            ErrorKind::Unauthenticated => 401,
            ErrorKind::PermissionDenied => 403,
            ErrorKind::RateLimited => 429,
            // Not 429: clients retry those, and a full quota stays full.
            ErrorKind::ResourceExhausted => 507,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }

    /// Stable, machine-readable code (also MLflow's spelling where one exists).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "INVALID_PARAMETER_VALUE",
            ErrorKind::NotFound => "RESOURCE_DOES_NOT_EXIST",
            ErrorKind::AlreadyExists => "RESOURCE_ALREADY_EXISTS",
            ErrorKind::FailedPrecondition => "INVALID_STATE",
            ErrorKind::Unauthenticated => "UNAUTHENTICATED",
            ErrorKind::PermissionDenied => "PERMISSION_DENIED",
            ErrorKind::RateLimited => "REQUEST_LIMIT_EXCEEDED",
            ErrorKind::ResourceExhausted => "RESOURCE_EXHAUSTED",
            ErrorKind::Unavailable => "TEMPORARILY_UNAVAILABLE",
            ErrorKind::Internal => "INTERNAL_ERROR",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// The input field the error is about, for field-level display in forms.
    pub field: Option<String>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), field: None }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::InvalidArgument, message: message.into(), field: Some(field.to_string()) }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn already_exists(field: &str, message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::AlreadyExists, message: message.into(), field: Some(field.to_string()) }
    }

    pub fn precondition(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::FailedPrecondition, message)
    }

    pub fn unauthenticated() -> Self {
        Self::new(ErrorKind::Unauthenticated, "Sign in to continue.")
    }

    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::PermissionDenied, message)
    }

    /// An internal failure: `detail` is logged on the server, the caller sees a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        #[cfg(feature = "server")]
        tracing::error!(error = %detail, "internal error");
        #[cfg(not(feature = "server"))]
        let _ = detail.to_string();
        Self::new(ErrorKind::Internal, "Something went wrong inside Quiver; the details were logged.")
    }

    pub fn is(&self, kind: ErrorKind) -> bool {
        self.kind == kind
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
