//! Every request gets an id: generated here (never taken from the caller), answered in the
//! `x-request-id` header, carried by the actor into audit entries, and printed with every log
//! line written while the request is served (the `request` span), internal errors included.
//! Error answers built anywhere below read it with [`current_id`].

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served ("" outside one).
pub fn current_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// The id of a request, in its extensions for the layers and handlers below.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The outermost layer: names the request, serves it inside its span, and answers its id.
pub async fn identify(mut req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    // One read-cache generation check per request (see `quiver::services::in_request`).
    let serve = quiver::services::in_request(next.run(req));
    let mut response = REQUEST_ID.scope(id.clone(), serve).instrument(span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_id_is_known_inside_the_request_only() {
        assert_eq!(current_id(), "");
        let inside = REQUEST_ID.scope("r-1".to_string(), async { current_id() }).await;
        assert_eq!(inside, "r-1");
    }
}
