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
    /// A server function called by the app (`fetch`, JSON) also answers with the error's HTTP
    /// status: 404, 409, 401… rather than 500. Not so for pages rendered on the server, whose
    /// status the page decides, nor for plain HTML form posts, which server functions answer
    /// with a redirect back to the form.
    fn from(e: Error) -> Self {
        #[cfg(feature = "ssr")]
        set_status_for_api_calls(&e);
        AppError(e)
    }
}

#[cfg(feature = "ssr")]
fn set_status_for_api_calls(e: &Error) {
    use leptos::prelude::use_context;
    let Some(parts) = use_context::<axum::http::request::Parts>() else { return };
    let accepts_html = parts
        .headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let is_server_fn = parts.uri.path().starts_with("/api/");
    if accepts_html || !is_server_fn {
        return;
    }
    if let (Some(response), Ok(status)) =
        (use_context::<leptos_axum::ResponseOptions>(), axum::http::StatusCode::from_u16(e.kind.http_status()))
    {
        response.set_status(status);
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
