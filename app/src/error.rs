//! The error type of every server function: the registry core's error, carried to the browser
//! as JSON so forms can show it next to the field it is about.

use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use quiver::error::{Error, ErrorKind};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppError(pub Error);

impl AppError {
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The message when the error is about `field`.
    pub fn for_field(&self, field: &str) -> Option<String> {
        (self.0.field.as_deref() == Some(field)).then(|| self.0.message.clone())
    }

    /// The message when it is not about one field (shown above the form).
    pub fn general(&self) -> Option<String> {
        self.0.field.is_none().then(|| self.0.message.clone())
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for AppError {}

impl From<Error> for AppError {
    /// On the server this also sets the HTTP status of the response to the error's, so a
    /// server function call or a page that fails answers 404, 409, 401… rather than 500.
    fn from(e: Error) -> Self {
        #[cfg(feature = "ssr")]
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = axum::http::StatusCode::from_u16(e.kind.http_status()) {
                response.set_status(status);
            }
        }
        AppError(e)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let message = match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                "Could not reach Quiver. Check your connection and try again.".to_string()
            }
            other => format!("The request failed: {other}"),
        };
        AppError(Error::new(ErrorKind::Internal, message))
    }
}

pub type AppResult<T> = Result<T, AppError>;
