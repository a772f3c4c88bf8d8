//! Keyset pagination: a page token carries the sort key of the last item shown, so each page is
//! one index range scan however deep the caller goes.

use base64::Engine;
use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::services::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageRequest};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The validated page size.
pub fn limit(req: &PageRequest) -> Result<i64> {
    match req.max_results {
        None => Ok(DEFAULT_PAGE_SIZE as i64),
        Some(0) => Err(Error::invalid("max_results", "max_results must be at least 1.")),
        Some(n) if n > MAX_PAGE_SIZE => {
            Err(Error::invalid("max_results", format!("max_results must be at most {MAX_PAGE_SIZE}.")))
        }
        Some(n) => Ok(n as i64),
    }
}

fn bad_token() -> Error {
    Error::invalid("page_token", "The page token is not valid; start again from the first page.")
}

/// Decodes a token made by [`name_token`]: the folded name to continue after ("" for the start).
pub fn after_name(req: &PageRequest) -> Result<String> {
    match req.page_token.as_deref().filter(|t| !t.is_empty()) {
        None => Ok(String::new()),
        Some(t) => {
            let bytes = B64.decode(t).map_err(|_| bad_token())?;
            let s = String::from_utf8(bytes).map_err(|_| bad_token())?;
            s.strip_prefix("n:").map(str::to_string).ok_or_else(bad_token)
        }
    }
}

pub fn name_token(last_name_lc: &str) -> String {
    B64.encode(format!("n:{last_name_lc}"))
}

/// Decodes a token made by [`number_token`]: the number to continue below (`i64::MAX` at the start).
pub fn below_number(req: &PageRequest) -> Result<i64> {
    match req.page_token.as_deref().filter(|t| !t.is_empty()) {
        None => Ok(i64::MAX),
        Some(t) => {
            let bytes = B64.decode(t).map_err(|_| bad_token())?;
            let s = String::from_utf8(bytes).map_err(|_| bad_token())?;
            s.strip_prefix("v:").and_then(|n| n.parse().ok()).ok_or_else(bad_token)
        }
    }
}

pub fn number_token(last: i64) -> String {
    B64.encode(format!("v:{last}"))
}

/// Decodes a token made by [`name_key_token`]: the folded name and record key to continue after.
pub fn after_name_key(req: &PageRequest) -> Result<(String, String)> {
    match req.page_token.as_deref().filter(|t| !t.is_empty()) {
        None => Ok((String::new(), String::new())),
        Some(t) => {
            let bytes = B64.decode(t).map_err(|_| bad_token())?;
            let s = String::from_utf8(bytes).map_err(|_| bad_token())?;
            let rest = s.strip_prefix("k:").ok_or_else(bad_token)?;
            let (key, name) = rest.split_once('|').ok_or_else(bad_token)?;
            Ok((name.to_string(), key.to_string()))
        }
    }
}

/// For lists sorted by name where names repeat (search across schemas): name, then record key.
pub fn name_key_token(name_lc: &str, key: &str) -> String {
    B64.encode(format!("k:{key}|{name_lc}"))
}

/// A position in a list sorted by time, then record key (both in the same direction).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeCursor {
    pub at: DateTime<Utc>,
    pub key: String,
}

/// Decodes a token made by [`time_token`]; `None` at the start.
pub fn time_cursor(req: &PageRequest) -> Result<Option<TimeCursor>> {
    match req.page_token.as_deref().filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => {
            let bytes = B64.decode(t).map_err(|_| bad_token())?;
            let s = String::from_utf8(bytes).map_err(|_| bad_token())?;
            let rest = s.strip_prefix("t:").ok_or_else(bad_token)?;
            let (at, key) = rest.split_once('|').ok_or_else(bad_token)?;
            let at = DateTime::parse_from_rfc3339(at).map_err(|_| bad_token())?.with_timezone(&Utc);
            Ok(Some(TimeCursor { at, key: key.to_string() }))
        }
    }
}

pub fn time_token(at: &DateTime<Utc>, key: &str) -> String {
    B64.encode(format!("t:{}|{key}", at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)))
}

/// A position in a list sorted newest first: `0 - nanoseconds` of the time (so the index is
/// walked forwards), then record key.
#[derive(Debug, Clone, PartialEq)]
pub struct NewestCursor {
    pub at_desc: i64,
    pub key: String,
}

/// Decodes a token made by [`newest_token`]; `None` at the start.
pub fn newest_cursor(req: &PageRequest) -> Result<Option<NewestCursor>> {
    match req.page_token.as_deref().filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => {
            let bytes = B64.decode(t).map_err(|_| bad_token())?;
            let s = String::from_utf8(bytes).map_err(|_| bad_token())?;
            let rest = s.strip_prefix("d:").ok_or_else(bad_token)?;
            let (at_desc, key) = rest.split_once('|').ok_or_else(bad_token)?;
            let at_desc = at_desc.parse().map_err(|_| bad_token())?;
            Ok(Some(NewestCursor { at_desc, key: key.to_string() }))
        }
    }
}

pub fn newest_token(at_desc: i64, key: &str) -> String {
    B64.encode(format!("d:{at_desc}|{key}"))
}

/// The `at_desc` of a time: `0 - ` its nanoseconds since the epoch, as the schema stores it.
pub fn desc_nanos(at: &DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().map(|n| -n).unwrap_or(if at.timestamp() < 0 { i64::MAX } else { i64::MIN + 1 })
}

/// Splits one `order_by` entry, `key [ASC|DESC]`, into its key (backticks removed) and direction.
pub fn order_entry(raw: &str) -> Result<(&str, &'static str)> {
    let mut parts = raw.split_whitespace();
    let key = parts.next().unwrap_or("").trim_matches('`');
    let dir = match parts.next().map(str::to_ascii_uppercase).as_deref() {
        None | Some("ASC") => "ASC",
        Some("DESC") => "DESC",
        Some(other) => return Err(Error::invalid("order_by", format!("'{other}' is not ASC or DESC."))),
    };
    if parts.next().is_some() {
        return Err(Error::invalid("order_by", format!("'{raw}' is not of the form 'key [ASC|DESC]'.")));
    }
    Ok((key, dir))
}

/// Decodes a token made by [`offset_page`]: how many rows to skip (searches whose order no index
/// serves, such as MLflow's `order_by`).
pub fn offset(token: Option<&str>) -> Result<i64> {
    match token.filter(|t| !t.is_empty()) {
        None => Ok(0),
        Some(t) => B64
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("o:").and_then(|n| n.parse::<i64>().ok()))
            .filter(|n| *n >= 0)
            .ok_or_else(bad_token),
    }
}

/// A page of `limit + 1` rows fetched from `start`, with the token of the next page if the extra
/// row came back.
pub fn offset_page<R, T: From<R>>(mut rows: Vec<R>, limit: i64, start: i64) -> Page<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_page_token = more.then(|| B64.encode(format!("o:{}", start + limit)));
    Page { items: rows.into_iter().map(T::from).collect(), next_page_token }
}

/// Builds a page from `limit + 1` fetched rows: the extra row only tells that more exist.
pub fn page<R, T>(mut rows: Vec<R>, limit: i64, token: impl Fn(&R) -> String, convert: impl Fn(R) -> T) -> Page<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_page_token = if more { rows.last().map(&token) } else { None };
    Page { items: rows.into_iter().map(convert).collect(), next_page_token }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(token: Option<String>) -> PageRequest {
        PageRequest { max_results: None, page_token: token }
    }

    #[test]
    fn offset_tokens_round_trip() {
        let page: Page<i32> = offset_page(vec![1, 2, 3], 2, 40);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(offset(page.next_page_token.as_deref()).unwrap(), 42);
        assert_eq!(offset(None).unwrap(), 0);
        assert!(offset(Some("zzz")).is_err());
        assert!(offset_page::<i32, i32>(vec![1, 2], 2, 0).next_page_token.is_none());
    }

    #[test]
    fn tokens_round_trip() {
        assert_eq!(after_name(&req(Some(name_token("ml_team")))).unwrap(), "ml_team");
        assert_eq!(below_number(&req(Some(number_token(42)))).unwrap(), 42);
        assert_eq!(after_name(&req(None)).unwrap(), "");
        assert_eq!(below_number(&req(None)).unwrap(), i64::MAX);
        let at = Utc::now();
        let c = time_cursor(&req(Some(time_token(&at, "abc")))).unwrap().unwrap();
        assert_eq!((c.at, c.key.as_str()), (at, "abc"));
        assert_eq!(time_cursor(&req(None)).unwrap(), None);
        assert!(time_cursor(&req(Some(name_token("x")))).is_err());
        let c = newest_cursor(&req(Some(newest_token(desc_nanos(&at), "k")))).unwrap().unwrap();
        assert_eq!((c.at_desc, c.key.as_str()), (-at.timestamp_nanos_opt().unwrap(), "k"));
        assert!(newest_cursor(&req(Some(time_token(&at, "k")))).is_err());
        let (name, key) = after_name_key(&req(Some(name_key_token("a|b", "k1")))).unwrap();
        assert_eq!((name.as_str(), key.as_str()), ("a|b", "k1"));
    }

    #[test]
    fn foreign_or_garbled_tokens_are_refused() {
        assert!(after_name(&req(Some(number_token(3)))).is_err());
        assert!(below_number(&req(Some(name_token("x")))).is_err());
        let e = after_name(&req(Some("%%%".into()))).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("page_token"));
    }

    #[test]
    fn limits_are_bounded() {
        let r = |n| PageRequest { max_results: Some(n), page_token: None };
        assert_eq!(limit(&PageRequest::default()).unwrap(), 50);
        assert!(limit(&r(0)).is_err());
        assert!(limit(&r(1001)).is_err());
        assert_eq!(limit(&r(1000)).unwrap(), 1000);
    }

    #[test]
    fn page_knows_when_more_exist() {
        let p = page(vec![1, 2, 3], 2, |n| n.to_string(), |n| n * 10);
        assert_eq!(p.items, vec![10, 20]);
        assert_eq!(p.next_page_token.as_deref(), Some("2"));
        let p = page(vec![1, 2], 2, |n| n.to_string(), |n| n);
        assert_eq!(p.next_page_token, None);
    }
}
