//! Pages of lists. A page token carries the sort key of the last item shown (see `tokens`), so
//! each page is one index range scan however deep the caller goes. The shapes are shared with
//! the browser build; the tokens are the server's.

use serde::{Deserialize, Serialize};

#[cfg(feature = "server")]
mod tokens;
#[cfg(feature = "server")]
pub use tokens::*;

/// One page of a list, with an opaque token for the next page when there is one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: Option<String>,
}

/// What a caller asks of a list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub max_results: Option<u32>,
    pub page_token: Option<String>,
}

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 1000;
