//! Approval requests: ask for an alias change, approve (with as many distinct approvers as the
//! alias's policy wants), reject, cancel, comment. Approving applies the change in the same
//! transaction; requests that can no longer apply are closed as stale by the change that made
//! them so (see `fn::alias_event`, version and model deletion).

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use crate::error::{Error, Result};
use crate::names::{Alias, ModelPath};
use crate::services::db::{bind_cursor, returned, throwable, who};
use crate::services::governance::access::{Target, bind_visibility, visibility};
use crate::services::governance::privileges::{Operation, SecurableType};
use crate::services::governance::{
    Actor, Approval, ApprovalRequest, NewApprovalRequest, RequestAction, RequestDetail, RequestFilter, RequestNote,
    RequestState,
};
use crate::services::paging::{Page, PageRequest};
use crate::services::registry::aliases::{REMOVE_ALIAS, SET_ALIAS};
use crate::services::registry::lookup::{RESOLVE, model_not_found, version_not_found};
use crate::services::storage::SignatureCheck;
use crate::services::{Quiver, paging};
use crate::store::key_of;

/// Longest justification or comment, in characters.
const MAX_TEXT: usize = 20_000;

pub(crate) const REQUEST_FIELDS: &str = "id, model.full_name ?? full_name AS full_name, alias, action, version, \
     from_version, justification, requester, state, approvals, required_approvals, created_at, at_desc, closed_at, \
     closed_by, reason";

#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct RequestRow {
    id: RecordId,
    full_name: String,
    alias: String,
    action: String,
    version: i64,
    from_version: Option<i64>,
    justification: String,
    requester: String,
    state: String,
    approvals: Vec<ApprovalRow>,
    required_approvals: i64,
    created_at: DateTime<Utc>,
    pub(crate) at_desc: i64,
    closed_at: Option<DateTime<Utc>>,
    closed_by: Option<String>,
    reason: Option<String>,
}

#[derive(Debug, Clone, SurrealValue)]
struct ApprovalRow {
    by: String,
    at: DateTime<Utc>,
    comment: String,
}

#[derive(Debug, Clone, SurrealValue)]
struct NoteRow {
    id: RecordId,
    kind: String,
    by: String,
    at: DateTime<Utc>,
    body: String,
}

impl From<RequestRow> for ApprovalRequest {
    fn from(r: RequestRow) -> Self {
        ApprovalRequest {
            id: key_of(&r.id),
            model: r.full_name,
            alias: r.alias,
            action: RequestAction::parse(&r.action).unwrap_or(RequestAction::Set),
            version: r.version,
            from_version: r.from_version,
            justification: r.justification,
            requester: r.requester,
            state: RequestState::parse(&r.state).unwrap_or(RequestState::Pending),
            approvals: r.approvals.into_iter().map(|a| Approval { by: a.by, at: a.at, comment: a.comment }).collect(),
            required_approvals: r.required_approvals,
            created_at: r.created_at,
            closed_at: r.closed_at,
            closed_by: r.closed_by,
            reason: r.reason,
        }
    }
}

fn check_text(field: &str, text: &str, required: bool) -> Result<String> {
    let text = text.trim();
    if required && text.is_empty() {
        return Err(Error::invalid(field, "Write something first: it is empty."));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(Error::invalid(field, format!("At most {MAX_TEXT} characters.")));
    }
    Ok(text.to_string())
}

fn request_not_found(id: &str) -> Error {
    Error::not_found(format!("There is no approval request '{id}'."))
}

/// Request ids are record keys: letters and digits only.
pub(crate) fn request_id(id: &str) -> Result<RecordId> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(request_not_found(id));
    }
    Ok(RecordId::new("approval_request", id.to_string()))
}

/// What a decision does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Approve,
    Reject,
    Cancel,
}

impl Quiver {
    /// Asks for an alias change. The version must exist (`set`), the alias must be set
    /// (`remove`), and the change must not be a no-op or already asked for.
    pub async fn create_approval_request(&self, actor: &Actor, new: &NewApprovalRequest) -> Result<ApprovalRequest> {
        let path = ModelPath::parse_full(&new.model)?;
        self.authorize(actor, Operation::RequestAliasChange, Target::Model(&path)).await?;
        let alias = Alias::parse(&new.alias)?;
        let justification = check_text("justification", &new.justification, false)?;
        let version = match (new.action, new.version) {
            (RequestAction::Set, None) => {
                return Err(Error::invalid("version", "Say which version the alias should name."));
            }
            (_, v) => v,
        };
        let sql = format!(
            "BEGIN TRANSACTION;
             {RESOLVE}
             IF !$mdl {{ THROW $no_model }};
             LET $cur = (SELECT VALUE version FROM model_alias WHERE model = $mdl AND alias_lc = $alias_lc LIMIT 1)[0];
             IF $action = 'set' {{
                 IF !(SELECT VALUE id FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0] {{
                     THROW $no_version
                 }};
                 IF $cur = $version {{ THROW $noop }};
             }} ELSE IF $cur = NONE OR ($version != NONE AND $version != $cur) {{
                 THROW $no_alias
             }};
             LET $ver = IF $action = 'set' THEN $version ELSE $cur END;
             IF (SELECT VALUE id FROM approval_request WHERE model = $mdl AND alias_lc = $alias_lc AND state = 'pending'
                 AND action = $action AND version = $ver LIMIT 1)[0] {{ THROW $duplicate }};
             LET $policy = fn::alias_policy($mdl, $alias_lc);
             LET $now = time::now();
             LET $id = (CREATE ONLY approval_request SET model = $mdl, full_name = $mdl.full_name, alias = $alias,
                 alias_lc = $alias_lc, action = $action, version = $ver, from_version = $cur,
                 justification = $justification, requester = $who.by, requester_lc = string::lowercase($who.by),
                 state = 'pending', approvals = [], required_approvals = $policy.required_approvals ?? 1,
                 created_at = $now, at_desc = 0 - time::nano($now) RETURN VALUE id);
             CREATE request_note SET request = $id, kind = 'created', by = $who.by, at = $now, body = $justification;
             fn::activity_data($mdl, $ver, 'approval_request.created', <string> record::id($id), NONE, 'pending',
                 {{ request_id: <string> record::id($id), alias: $alias, action: $action, version: $ver,
                    from_version: $cur, state: 'pending', requester: $who.by, justification: $justification }}, $who);
             RETURN (SELECT {REQUEST_FIELDS} FROM ONLY $id);
             COMMIT TRANSACTION;"
        );
        let v = version.unwrap_or_default();
        let no_model = throwable(&model_not_found(&path));
        let no_version = throwable(&version_not_found(&path, v));
        let noop = throwable(&Error::precondition(&format!("@{} already names version {v}.", alias.as_str())));
        let no_alias = throwable(&Error::precondition(&match version {
            Some(v) => format!("@{} does not name version {v}, so there is nothing to remove.", alias.as_str()),
            None => format!("{path} has no alias @{}, so there is nothing to remove.", alias.as_str()),
        }));
        let duplicate = throwable(&Error::precondition("The same change is already waiting for approval."));
        let mut res = self
            .write_content(
                || {
                    self.path_query(&sql, &path)
                        .bind(("alias", alias.as_str().to_string()))
                        .bind(("alias_lc", alias.folded()))
                        .bind(("action", new.action.as_str()))
                        .bind(("version", version))
                        .bind(("justification", justification.clone()))
                        .bind(("who", who(actor)))
                        .bind(("no_model", no_model.clone()))
                        .bind(("no_version", no_version.clone()))
                        .bind(("noop", noop.clone()))
                        .bind(("no_alias", no_alias.clone()))
                        .bind(("duplicate", duplicate.clone()))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<RequestRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("CREATE returned nothing"))?.into())
    }

    /// Reads a request (no privilege check: the callers check, or act for Quiver itself).
    pub(crate) async fn load_request(&self, id: &str) -> Result<ApprovalRequest> {
        let rid = request_id(id)?;
        let row: Option<RequestRow> =
            self.answer(self.q(&format!("SELECT {REQUEST_FIELDS} FROM ONLY $rid;")).bind(("rid", rid))).await?;
        Ok(row.ok_or_else(|| request_not_found(id))?.into())
    }

    /// Reads a request, its model's path and the caller's rights on it; refuses callers who
    /// may not read the model.
    async fn request_for(&self, actor: &Actor, id: &str, op: Operation) -> Result<(ApprovalRequest, ModelPath)> {
        let request = self.load_request(id).await?;
        let path = ModelPath::parse_full(&request.model)?;
        if op == Operation::GetModel && !actor.principal.admin && !actor.principal.user_id.is_empty() {
            // Readers of the model, and those who decide its requests (MANAGE), see them.
            let holdings = self.holdings(actor, Target::Model(&path)).await?;
            if holdings.denial(Operation::DecideAliasChange, SecurableType::Model).is_some() {
                self.check(actor, &holdings, op, Target::Model(&path)).await?;
            }
        } else {
            self.authorize(actor, op, Target::Model(&path)).await?;
        }
        Ok((request, path))
    }

    /// A request with its timeline, and what the caller may do to it.
    pub async fn get_approval_request(&self, actor: &Actor, id: &str) -> Result<RequestDetail> {
        let (request, path) = self.request_for(actor, id, Operation::GetModel).await?;
        let notes: Vec<NoteRow> = self
            .answer(
                self.q("SELECT id, kind, by, at, body FROM request_note WHERE request = $rid ORDER BY at, id;")
                    .bind(("rid", request_id(id)?)),
            )
            .await?;
        let notes = notes
            .into_iter()
            .map(|n| RequestNote {
                id: key_of(&n.id),
                body_html: if n.body.is_empty() { String::new() } else { crate::markdown::render(&n.body) },
                kind: n.kind,
                by: n.by,
                at: n.at,
                body: n.body,
            })
            .collect();
        let holdings = self.holdings(actor, Target::Model(&path)).await?;
        let pending = request.state == RequestState::Pending;
        let mine = request.requester.eq_ignore_ascii_case(&actor.principal.username);
        let decide = holdings.denial(Operation::DecideAliasChange, SecurableType::Model);
        let already = request.approvals.iter().any(|a| a.by.eq_ignore_ascii_case(&actor.principal.username));
        let self_ok = if mine { self.self_approval_allowed(&path, &request.alias).await? } else { true };
        let unsigned = if pending && decide.is_none() { self.signature_refusal(&path, &request).await? } else { None };
        let approve_denied = if !pending {
            None
        } else if let Some(reason) = decide.clone() {
            Some(reason)
        } else if let Some(reason) = unsigned {
            Some(reason)
        } else if already {
            Some("You have approved it; it waits for other approvers.".to_string())
        } else if !self_ok {
            Some("You asked for this change: someone else must approve it.".to_string())
        } else {
            None
        };
        let rules = if pending { self.evaluate_gates(&path, &request).await? } else { Vec::new() };
        Ok(RequestDetail {
            rules,
            can_approve: pending && approve_denied.is_none(),
            can_reject: pending && decide.is_none(),
            can_cancel: pending && mine,
            approve_denied,
            request,
            notes,
        })
    }

    /// Why a request to point an alias at a version may not be approved, when the alias's policy
    /// asks for a signature by a key trusted for the model over exactly the version's registered
    /// files and the version has none (or another).
    async fn signature_refusal(&self, path: &ModelPath, request: &ApprovalRequest) -> Result<Option<String>> {
        if request.action != RequestAction::Set {
            return Ok(None);
        }
        let sql = format!(
            "{RESOLVE}
             RETURN {{
                 required: fn::alias_policy($mdl, $alias_lc).require_signature ?? false,
                 version: (SELECT VALUE id FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0],
             }};"
        );
        #[derive(SurrealValue)]
        struct Needs {
            required: bool,
            version: Option<RecordId>,
        }
        let query = self
            .path_query(&sql, path)
            .bind(("alias_lc", request.alias.to_lowercase()))
            .bind(("version", request.version));
        let Some(Needs { required: true, version: Some(version) }) = self.answer::<Option<Needs>>(query).await? else {
            return Ok(None);
        };
        let check = self.version_integrity(&version).await?.signature;
        if check.is_verified() {
            return Ok(None);
        }
        let detail = match &check {
            SignatureCheck::Mismatch { detail, .. }
            | SignatureCheck::Untrusted { detail }
            | SignatureCheck::Invalid { detail } => format!(" {detail}"),
            _ => String::new(),
        };
        Ok(Some(format!(
            "@{} needs a signature by a key trusted for {path} over exactly the files version {} registered; \
             its signature: {}.{detail}",
            request.alias,
            request.version,
            check.summary()
        )))
    }

    /// Notes on a request's timeline why an approval was refused (best effort: the refusal
    /// itself is the answer).
    async fn note_refusal(&self, actor: &Actor, rid: &RecordId, reason: &str) {
        let query = self
            .q("CREATE request_note SET request = $rid, kind = 'refused', by = $who.by, at = time::now(), body = $body;")
            .bind(("rid", rid.clone()))
            .bind(("body", reason.to_string()))
            .bind(("who", who(actor)));
        if let Err(e) = self.read(query).await {
            tracing::error!(error = %e.message, "could not note a refused approval");
        }
    }

    /// Whether the alias's policy lets a requester approve their own request (unprotected
    /// aliases: yes, they could change it directly).
    async fn self_approval_allowed(&self, path: &ModelPath, alias: &str) -> Result<bool> {
        let sql = format!("{RESOLVE} RETURN fn::alias_policy($mdl, $alias_lc).allow_self_approval ?? true;");
        let allowed: Option<bool> =
            self.answer(self.path_query(&sql, path).bind(("alias_lc", alias.to_lowercase()))).await?;
        Ok(allowed.unwrap_or(true))
    }

    /// Approves: once the request has as many distinct approvals as the alias's policy asks
    /// for, the alias changes in the same transaction and the request is closed as approved.
    pub async fn approve_request(&self, actor: &Actor, id: &str, comment: &str) -> Result<ApprovalRequest> {
        self.decide(actor, id, comment, Decision::Approve).await
    }

    /// Rejects a pending request, with the reason.
    pub async fn reject_request(&self, actor: &Actor, id: &str, comment: &str) -> Result<ApprovalRequest> {
        self.decide(actor, id, comment, Decision::Reject).await
    }

    /// Withdraws a pending request; only its requester may.
    pub async fn cancel_request(&self, actor: &Actor, id: &str, comment: &str) -> Result<ApprovalRequest> {
        self.decide(actor, id, comment, Decision::Cancel).await
    }

    async fn decide(&self, actor: &Actor, id: &str, comment: &str, decision: Decision) -> Result<ApprovalRequest> {
        let op = match decision {
            Decision::Approve | Decision::Reject => Operation::DecideAliasChange,
            Decision::Cancel => Operation::GetModel,
        };
        let (request, path) = self.request_for(actor, id, op).await?;
        let comment = check_text("comment", comment, false)?;
        let rid = request_id(id)?;
        // The policy's rules, as they stand now: the approval counts either way, but the alias
        // moves only when they all pass (until then the request waits, and is settled again when
        // the version's checks or tags change).
        let mut rules = Vec::new();
        if decision == Decision::Approve && request.state == RequestState::Pending {
            if let Some(refusal) = self.signature_refusal(&path, &request).await? {
                self.note_refusal(actor, &rid, &refusal).await;
                return Err(Error::precondition(refusal));
            }
            rules = self.evaluate_gates(&path, &request).await?;
        }
        let gates_ok = crate::services::governance::all_pass(&rules);
        let gates_wait = format!(
            "Approved; @{} moves to version {} once every rule passes. Waiting for: {}.",
            request.alias,
            request.version,
            crate::services::governance::pending_summary(&rules)
        );
        let step = match decision {
            Decision::Cancel => "IF $r.requester_lc != $me { THROW $not_requester };
                 fn::close_request($r, 'cancelled', $comment OR NONE, $who);"
                .to_string(),
            Decision::Reject => "fn::close_request($r, 'rejected', $comment OR NONE, $who);".to_string(),
            Decision::Approve => format!(
                "LET $policy = fn::alias_policy($r.model, $r.alias_lc);
                 LET $required = $policy.required_approvals ?? 1;
                 IF $r.requester_lc = $me AND !($policy.allow_self_approval ?? true) {{ THROW $self_approval }};
                 IF $r.approvals[WHERE string::lowercase(by) = $me] {{ THROW $again }};
                 LET $now = time::now();
                 UPDATE $rid SET approvals += {{ by: $who.by, at: $now, comment: $comment }},
                     required_approvals = $required;
                 CREATE request_note SET request = $rid, kind = 'approval', by = $who.by, at = $now, body = $comment;
                 LET $r = (SELECT * FROM ONLY $rid);
                 IF array::len($r.approvals) >= $required AND !$gates_ok {{
                     CREATE request_note SET request = $rid, kind = 'waiting', by = $who.by, at = $now, body = $gates_wait;
                 }} ELSE IF array::len($r.approvals) >= $required {{
                     LET $mdl = $r.model;
                     LET $alias = (SELECT VALUE alias FROM model_alias WHERE model = $mdl AND alias_lc = $r.alias_lc
                         LIMIT 1)[0] ?? $r.alias;
                     LET $alias_lc = $r.alias_lc;
                     LET $version = $r.version;
                     fn::close_request($r, 'approved', NONE, $who);
                     LET $via = {{ by: $who.by, source: $who.source, request_id: $who.request_id, approval: $rid }};
                     IF $r.action = 'set' {{
                         IF !(SELECT VALUE id FROM model_version WHERE model = $mdl AND version = $version LIMIT 1)[0] {{
                             THROW $no_version
                         }};
                         {SET_ALIAS}
                     }} ELSE {{
                         {REMOVE_ALIAS}
                     }};
                 }};"
            ),
        };
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $r = (SELECT * FROM ONLY $rid);
             IF !$r {{ THROW $not_found }};
             IF $r.state != 'pending' {{ THROW $closed + $r.state + '.' }};
             IF !(SELECT VALUE id FROM ONLY $r.model) {{ THROW $no_model }};
             {step}
             RETURN (SELECT {REQUEST_FIELDS} FROM ONLY $rid);
             COMMIT TRANSACTION;"
        );
        let no_model = throwable(&model_not_found(&path));
        let no_version = throwable(&Error::precondition(&format!("Version {} no longer exists.", request.version)));
        let mut res = self
            .write_content(
                || {
                    self.q(&sql)
                        .bind(("rid", rid.clone()))
                        .bind(("me", actor.principal.username.to_lowercase()))
                        .bind(("comment", comment.clone()))
                        .bind(("who", who(actor)))
                        .bind(("not_found", throwable(&request_not_found(id))))
                        .bind(("closed", throwable(&Error::precondition("This request is closed: it is "))))
                        .bind(("no_model", no_model.clone()))
                        .bind(("no_version", no_version.clone()))
                        .bind(("no_alias", throwable(&Error::precondition("The alias is no longer set."))))
                        .bind((
                            "not_requester",
                            throwable(&Error::permission_denied("Only the requester may cancel a request.")),
                        ))
                        .bind((
                            "self_approval",
                            throwable(&Error::permission_denied(
                                "You asked for this change: someone else must approve it.",
                            )),
                        ))
                        .bind(("again", throwable(&Error::precondition("You have already approved this request."))))
                        .bind(("gates_ok", gates_ok))
                        .bind(("gates_wait", gates_wait.clone()))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let row: Option<RequestRow> = returned(&mut res)?;
        Ok(row.ok_or_else(|| Error::internal("the request vanished"))?.into())
    }

    /// Adds a comment to a request's thread.
    pub async fn comment_on_request(&self, actor: &Actor, id: &str, body: &str) -> Result<RequestNote> {
        let (_, _) = self.request_for(actor, id, Operation::Comment).await?;
        let body = check_text("comment", body, true)?;
        let sql = "BEGIN TRANSACTION;
             IF !(SELECT VALUE id FROM ONLY $rid) { THROW $not_found };
             LET $n = (CREATE ONLY request_note SET request = $rid, kind = 'comment', by = $who.by, at = time::now(),
                 body = $body);
             RETURN $n;
             COMMIT TRANSACTION;";
        let mut res = self
            .write_content(
                || {
                    self.q(sql)
                        .bind(("rid", request_id(id).unwrap_or_else(|_| RecordId::new("approval_request", "x"))))
                        .bind(("body", body.clone()))
                        .bind(("who", who(actor)))
                        .bind(("not_found", throwable(&request_not_found(id))))
                },
                crate::services::db::no_unique,
            )
            .await?;
        let n: Option<NoteRow> = returned(&mut res)?;
        let n = n.ok_or_else(|| Error::internal("CREATE returned nothing"))?;
        Ok(RequestNote {
            id: key_of(&n.id),
            body_html: crate::markdown::render(&n.body),
            kind: n.kind,
            by: n.by,
            at: n.at,
            body: n.body,
        })
    }

    /// Requests, newest first: of one model (and version), by a requester, in a state, or those
    /// the caller may decide (`actionable`: pending, asked by someone else, on models where the
    /// caller holds MANAGE or is an owner). Only requests on models the caller may read.
    pub async fn list_approval_requests(
        &self,
        actor: &Actor,
        filter: &RequestFilter,
        page: &PageRequest,
    ) -> Result<Page<ApprovalRequest>> {
        if actor.principal.user_id.is_empty() && !actor.principal.admin {
            return Err(Error::permission_denied("Sign in first."));
        }
        let limit = paging::limit(page)?;
        let cursor = paging::newest_cursor(page)?;
        let mut conds = vec!["(at_desc > $at_desc OR (at_desc = $at_desc AND id > $key))".to_string()];
        let mut lets = String::new();
        let model = match filter.model.as_deref() {
            Some(name) => {
                let path = ModelPath::parse_full(name)?;
                self.authorize(actor, Operation::GetModel, Target::Model(&path)).await?;
                conds.push("model = $mdl".into());
                Some(self.resolve_model(&path).await?)
            }
            None => None,
        };
        if filter.version.is_some() {
            conds.push("version = $version".into());
        }
        if filter.state.is_some() || filter.actionable {
            conds.push("state = $state".into());
        }
        if filter.requester.is_some() {
            conds.push("requester_lc = $requester".into());
        }
        let vis = visibility();
        if !actor.principal.admin {
            lets.push_str(&vis.lets);
            conds.push(vis.versions.to_string());
        }
        if filter.actionable {
            conds.push("requester_lc != $me".into());
            if !actor.principal.admin {
                lets.push_str(" LET $mg = $mine[WHERE privilege = 'MANAGE'].securable;");
                conds.push(
                    "(metastore:root IN $mg OR model.catalog IN $mg OR model.schema IN $mg OR model IN $mg \
                     OR model.catalog IN $owned_cats OR model.schema IN $owned_schs \
                     OR string::lowercase(model.owner) IN $names)"
                        .into(),
                );
            }
        }
        let sql = format!(
            "{lets} SELECT {REQUEST_FIELDS} FROM approval_request WHERE {} ORDER BY at_desc, id LIMIT $limit;",
            conds.join(" AND ")
        );
        let state = if filter.actionable { Some(RequestState::Pending) } else { filter.state };
        let query = bind_visibility(self.q(&sql), actor)
            .bind(("mdl", model))
            .bind(("limit", limit + 1))
            .bind(("version", filter.version))
            .bind(("state", state.map(|s| s.as_str())))
            .bind(("requester", filter.requester.as_deref().map(str::to_lowercase)));
        // The SELECT is the last statement, however many the visibility rules put before it.
        let rows: Vec<RequestRow> = self.answer(bind_cursor(query, "approval_request", cursor)).await?;
        Ok(paging::page(rows, limit, |r| paging::newest_token(r.at_desc, &key_of(&r.id)), Into::into))
    }
}
