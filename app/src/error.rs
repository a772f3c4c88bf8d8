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
        let error = match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                Error::new(ErrorKind::Internal, "Could not reach Quiver. Check your connection and try again.")
            }
            // Arguments the server could not read are the caller's mistake: 400, naming the field.
            ServerFnErrorErr::Args(detail) => argument_error(&detail),
            ServerFnErrorErr::MissingArg(name) => Error::invalid(&name, format!("'{name}' is required.")),
            other => Error::new(ErrorKind::Internal, format!("The request failed: {other}")),
        };
        AppError::from(error)
    }
}

/// An argument error as the form shows it: on its field when serde names one ("missing field
/// `name`", "unknown variant `x`, expected …"), else on the request as a whole.
fn argument_error(detail: &str) -> Error {
    let field = ["missing field `", "unknown field `", "invalid value for `", "field `"]
        .iter()
        .find_map(|marker| detail.split_once(marker).and_then(|(_, rest)| rest.split_once('`')).map(|(f, _)| f));
    let message = format!("The request's arguments are not valid: {detail}");
    match field {
        Some(field) => Error::invalid(field, message),
        None => Error::invalid("arguments", message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_errors_name_their_field_and_are_invalid_input() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Args("missing field `catalog`".into()));
        assert_eq!((e.kind(), e.0.field.as_deref()), (ErrorKind::InvalidArgument, Some("catalog")));
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Args("invalid digit found in string".into()));
        assert_eq!((e.kind(), e.0.field.as_deref()), (ErrorKind::InvalidArgument, Some("arguments")));
        let e = AppError::from_server_fn_error(ServerFnErrorErr::MissingArg("name".into()));
        assert_eq!(e.for_field("name").as_deref(), Some("'name' is required."));
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Request("offline".into()));
        assert_eq!(e.kind(), ErrorKind::Internal);
    }
}

pub type AppResult<T> = Result<T, AppError>;
