//! What a change to a model or version leaves behind, written in the transaction of the change:
//! an audit entry naming the model, which is also the entry on the model's activity feed, and,
//! for the changes webhooks hear of while one is active, an outbox event.
//!
//! One generator writes these statements for both uses: `fn::activity` and `fn::activity_data`,
//! which other SurrealQL calls, and the hot write paths (registering a version), which inline
//! them. A user-defined function call costs about as much as the statements it runs, a nested
//! call as much again (`benches/writes.rs`: 2.35 ms per version with the nested functions, 2.09
//! with one flat function, 1.86 inline), so the functions are flat and the hottest path has none;
//! and each record costs more than its fields, so the activity and audit entries are one record
//! (schema version 8: 0.2–0.8 ms less per version in the raw transaction, six A/B pairs).

use crate::services::delivery::EVENT_TYPES;

/// One change, each part a SurrealQL expression (variables and literals written by Quiver, never
/// values from a request: those are bound parameters).
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// The model: its record id, or a row with `full_name`, `catalog` and `schema`.
    pub model: &'a str,
    /// The model's record id (`model` itself when that is the id).
    pub model_id: &'a str,
    /// `option<int>`: NONE for a change to the model itself.
    pub version: &'a str,
    /// `string`: the action, MLflow's `entity.action` name where there is one.
    pub action: &'a str,
    pub subject: &'a str,
    pub before: &'a str,
    pub after: &'a str,
    /// `option<object>`: the event's data; NONE for `{subject, before, after}`.
    pub data: &'a str,
    /// `{by, source, request_id}`.
    pub who: &'a str,
    /// Whether a webhook is active, when the caller knows.
    pub webhooks: Webhooks,
}

/// Whether any webhook is active, and so whether a change is also an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Webhooks {
    /// Unknown: the statements look (a read of the webhook table in every write, ~0.3 ms).
    Look,
    /// Known from the service's cache (embedded stores, where every write passes through it).
    Active,
    Inactive,
}

impl Webhooks {
    /// From the cached answer, when there is one.
    pub fn known(active: Option<bool>) -> Self {
        match active {
            None => Webhooks::Look,
            Some(true) => Webhooks::Active,
            Some(false) => Webhooks::Inactive,
        }
    }
}

impl<'a> Change<'a> {
    /// A change with no subject, before, after or data.
    pub fn new(model: &'a str, model_id: &'a str, version: &'a str, action: &'a str, who: &'a str) -> Self {
        Change {
            model,
            model_id,
            version,
            action,
            subject: "NONE",
            before: "NONE",
            after: "NONE",
            data: "NONE",
            who,
            webhooks: Webhooks::Look,
        }
    }
}

/// The statements recording `c`. They use the variable `$journal_now`.
pub fn statements(c: &Change) -> String {
    let Change { model, model_id, version, action, subject, before, after, data, who, webhooks } = *c;
    let securable_type = format!("IF {version} = NONE THEN 'registered_model' ELSE 'model_version' END");
    let mut sql = format!(
        "LET $journal_now = time::now();
        CREATE audit SET at = $journal_now, at_desc = 0 - time::nano($journal_now), principal = {who}.by,
            action = {action}, securable_type = {securable_type},
            securable = {model}.full_name + (IF {version} = NONE THEN '' ELSE ' v' + <string> {version} END),
            outcome = 'allowed', detail = {subject}, source = {who}.source, request_id = {who}.request_id,
            model = {model_id}, version = {version}, before = {before}, after = {after} RETURN NONE;\n"
    );
    // Events exist for webhooks only: while no webhook is active nothing could receive one, so
    // none is written (a webhook hears of what happens after it is registered or enabled).
    let heard = match literal(action) {
        Some(name) if EVENT_TYPES.contains(&name) => None,
        Some(_) => return sql,
        None => Some(format!("{action} IN {}", event_types())),
    };
    let listening = match webhooks {
        Webhooks::Inactive => return sql,
        Webhooks::Active => None,
        Webhooks::Look => {
            Some("array::len((SELECT VALUE id FROM webhook WHERE active = true LIMIT 1)) > 0".to_string())
        }
    };
    let condition: Vec<String> = heard.into_iter().chain(listening).collect();
    let condition = if condition.is_empty() { "true".to_string() } else { condition.join(" AND ") };
    sql.push_str(&format!(
        "IF {condition} {{
            CREATE event SET type = {action}, at = $journal_now, actor = {who}.by, source = {who}.source,
                request_id = {who}.request_id, securable_type = {securable_type}, full_name = {model}.full_name,
                version = {version}, catalog = {model}.catalog, schema = {model}.schema, model = {model_id},
                data = {data} ?? {{ subject: {subject}, before: {before}, after: {after} }}, fanned = false RETURN NONE;
        }};\n"
    ));
    sql
}

/// `fn::activity_data` and `fn::activity`, defined with the schema.
pub fn functions() -> String {
    const PARAMS: &str = "$model: record<registered_model>, $version: option<int>, $action: string,
        $subject: option<string>, $before: option<string>, $after: option<string>";
    let change = |data| Change {
        subject: "$subject",
        before: "$before",
        after: "$after",
        data,
        ..Change::new("$model", "$model", "$version", "$action", "$who")
    };
    let body = statements(&change("$data"));
    let plain = statements(&change("NONE"));
    format!(
        "-- An activity entry with its own event data; `fn::activity` uses {{subject, before, after}}.
DEFINE FUNCTION OVERWRITE fn::activity_data({PARAMS}, $data: option<object>, $who: object) {{
{body}}};

DEFINE FUNCTION OVERWRITE fn::activity({PARAMS}, $who: object) {{
{plain}}};
"
    )
}

/// The name in a quoted SurrealQL string literal without escapes.
fn literal(expr: &str) -> Option<&str> {
    let inner = expr.strip_prefix('\'')?.strip_suffix('\'')?;
    (!inner.contains(['\'', '\\'])).then_some(inner)
}

fn event_types() -> String {
    let names: Vec<String> = EVENT_TYPES.iter().map(|t| format!("'{t}'")).collect();
    format!("[{}]", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_action_decides_the_event_in_rust() {
        let heard = statements(&Change::new("$m", "$m.id", "$v", "'model_version.created'", "$who"));
        assert!(heard.contains("CREATE event"));
        assert!(!heard.contains("IN ['"), "the event list is not checked in SurrealQL: {heard}");
        let unheard = statements(&Change::new("$m", "$m.id", "$v", "'registered_model.owner_changed'", "$who"));
        assert!(!unheard.contains("CREATE event"));
        assert!(unheard.contains("CREATE audit"));
        let dynamic = statements(&Change::new("$m", "$m", "$v", "$action", "$who"));
        assert!(dynamic.contains("$action IN ['registered_model.created'"));
    }

    #[test]
    fn a_known_answer_about_webhooks_spares_the_look() {
        let change =
            |webhooks| Change { webhooks, ..Change::new("$m", "$m.id", "$v", "'model_version.created'", "$who") };
        let look = statements(&change(Webhooks::Look));
        assert!(look.contains("FROM webhook WHERE active = true") && look.contains("CREATE event"));
        let active = statements(&change(Webhooks::Active));
        assert!(!active.contains("FROM webhook") && active.contains("CREATE event"), "{active}");
        let inactive = statements(&change(Webhooks::Inactive));
        assert!(!inactive.contains("FROM webhook") && !inactive.contains("CREATE event"), "{inactive}");
        assert_eq!(inactive.matches("CREATE ").count(), 1, "one journal record: {inactive}");
    }

    #[test]
    fn the_functions_call_no_other_function() {
        let f = functions();
        assert_eq!(f.matches("DEFINE FUNCTION").count(), 2);
        let code: String = f.lines().filter(|l| !l.trim_start().starts_with("--")).collect();
        assert_eq!(code.matches("fn::").count(), 2, "only the two definitions name a function: {f}");
    }
}
