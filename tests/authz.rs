//! The authorization matrix: every service operation (enumerated from `Operation`, so a new one
//! without a row does not compile) × every kind of caller, on a fresh store each, with grants
//! inherited from the catalog and the schema. Plus: revocation takes effect at once, lists and
//! searches show only what the caller may see (and page correctly), effective permissions say
//! where each privilege comes from, and refusals are audited.

mod common;

use common::{actor, registry};
use quiver::Quiver;
use quiver::error::{Error, ErrorKind};
use quiver::filter::{Entity, parse};
use quiver::names::ModelPath;
use quiver::services::delivery::{NewWebhook, WebhookScope};
use quiver::services::governance::privileges::{Operation, PermissionsChange, SecurableType};
use quiver::services::governance::{
    Actor, AliasPolicy, NewApprovalRequest, NewSigningKey, Principal, RequestAction, RequestFilter, Securable, Source,
};
use quiver::services::paging::PageRequest;
use quiver::services::registry::{ModelFilter, NewVersion, TagTarget};

fn all() -> PageRequest {
    PageRequest { max_results: Some(1000), page_token: None }
}

fn path(s: &str) -> ModelPath {
    ModelPath::parse_full(s).unwrap()
}

/// A signed-in user who is not an administrator, without grants.
async fn user(q: &Quiver, name: &str) -> Actor {
    common::user_with(q, name, "prod", &[]).await
}

fn anonymous() -> Actor {
    Actor {
        principal: Principal { user_id: String::new(), username: String::new(), admin: false },
        source: Source::Rest,
        request_id: "anon".into(),
    }
}

fn securable(kind: SecurableType, name: &str) -> Securable {
    Securable::parse(kind, name).unwrap()
}

async fn grant(q: &Quiver, kind: SecurableType, name: &str, principal: &str, privileges: &[&str]) {
    let change = PermissionsChange {
        principal: principal.into(),
        add: privileges.iter().map(|p| p.to_string()).collect(),
        remove: vec![],
    };
    q.update_permissions(&actor("admin"), &securable(kind, name), &[change]).await.unwrap();
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Anonymous,
    NoGrants,
    UseOnly,
    Execute,
    ApplyTag,
    CreateModelVersion,
    Owner,
    Manage,
    Admin,
    GroupMember,
    ReportChecks,
}

const ROLES: [Role; 11] = [
    Role::Anonymous,
    Role::NoGrants,
    Role::UseOnly,
    Role::Execute,
    Role::ApplyTag,
    Role::CreateModelVersion,
    Role::Owner,
    Role::Manage,
    Role::Admin,
    Role::GroupMember,
    Role::ReportChecks,
];

/// prod.ml.fraud with version 1, alias Existing → 1, tag existing=yes; and the caller for `role`
/// with its grants (USE on the catalog for everyone with grants; the rest on catalog, schema or
/// model, so inheritance is part of every row).
async fn fixture(role: Role) -> (Quiver, Actor) {
    let q = registry().await;
    let admin = actor("admin");
    q.create_catalog(&admin, "prod", "").await.unwrap();
    q.create_schema(&admin, "prod", "ml", "").await.unwrap();
    q.create_model(&admin, "prod", "ml", "fraud", "").await.unwrap();
    let p = path("prod.ml.fraud");
    q.create_version(&admin, &p, NewVersion { source: "s3://b/1".into(), ..Default::default() }).await.unwrap();
    q.set_alias(&admin, &p, "Existing", 1).await.unwrap();
    q.set_tag(&admin, &p, TagTarget::Model, "existing", "yes").await.unwrap();
    let ask = NewApprovalRequest {
        model: "prod.ml.fraud".into(),
        version: Some(1),
        alias: "Candidate".into(),
        action: RequestAction::Set,
        justification: "passes the offline checks".into(),
    };
    q.create_approval_request(&admin, &ask).await.unwrap();
    let use_both = |q: &Quiver, who: String| {
        let q = q.clone();
        async move {
            grant(&q, SecurableType::Catalog, "prod", &who, &["USE_CATALOG"]).await;
            grant(&q, SecurableType::Schema, "prod.ml", &who, &["USE_SCHEMA"]).await;
        }
    };
    let caller = match role {
        Role::Anonymous => anonymous(),
        Role::Admin => actor("admin"),
        Role::NoGrants => user(&q, "nobody").await,
        Role::UseOnly => {
            let a = user(&q, "walker").await;
            use_both(&q, "walker".into()).await;
            a
        }
        Role::Execute => {
            let a = user(&q, "reader").await;
            grant(&q, SecurableType::Catalog, "prod", "reader", &["USE_CATALOG", "USE_SCHEMA", "EXECUTE"]).await;
            a
        }
        Role::ApplyTag => {
            let a = user(&q, "tagger").await;
            use_both(&q, "tagger".into()).await;
            grant(&q, SecurableType::Schema, "prod.ml", "tagger", &["APPLY_TAG"]).await;
            a
        }
        Role::CreateModelVersion => {
            let a = user(&q, "publisher").await;
            use_both(&q, "publisher".into()).await;
            grant(&q, SecurableType::Model, "prod.ml.fraud", "publisher", &["CREATE_MODEL_VERSION"]).await;
            a
        }
        Role::Owner => {
            let a = user(&q, "keeper").await;
            use_both(&q, "keeper".into()).await;
            q.transfer_ownership(&admin, &securable(SecurableType::Model, "prod.ml.fraud"), "keeper").await.unwrap();
            a
        }
        Role::Manage => {
            let a = user(&q, "manager").await;
            use_both(&q, "manager".into()).await;
            grant(&q, SecurableType::Model, "prod.ml.fraud", "manager", &["MANAGE"]).await;
            a
        }
        Role::ReportChecks => {
            let a = user(&q, "ci").await;
            use_both(&q, "ci".into()).await;
            grant(&q, SecurableType::Model, "prod.ml.fraud", "ci", &["REPORT_CHECKS"]).await;
            a
        }
        Role::GroupMember => {
            let a = user(&q, "member").await;
            q.create_group(&admin, "ml-team").await.unwrap();
            q.add_group_member(&admin, "ml-team", "member").await.unwrap();
            grant(&q, SecurableType::Catalog, "prod", "ml-team", &["USE_CATALOG"]).await;
            grant(&q, SecurableType::Schema, "prod.ml", "ml-team", &["USE_SCHEMA", "EXECUTE"]).await;
            a
        }
    };
    // Someone to grant to and transfer to.
    if role != Role::NoGrants {
        user(&q, "nobody").await;
    }
    (q, caller)
}

/// Runs one operation the way a caller would. The match has no catch-all: a new `Operation`
/// does not compile until it has a row here and in [`allowed`].
async fn run(q: &Quiver, a: &Actor, op: Operation) -> Result<(), Error> {
    use Operation::*;
    let p = path("prod.ml.fraud");
    let model = securable(SecurableType::Model, "prod.ml.fraud");
    match op {
        ListCatalogs => q.list_catalogs(a, &all()).await.map(drop),
        CreateCatalog => q.create_catalog(a, "newcat", "").await.map(drop),
        GetCatalog => q.get_catalog(a, "prod").await.map(drop),
        UpdateCatalog => q.update_catalog(a, "prod", "words").await.map(drop),
        DeleteCatalog => q.delete_catalog(a, "prod", true).await,
        ListSchemas => q.list_schemas(a, "prod", &all()).await.map(drop),
        CreateSchema => q.create_schema(a, "prod", "fresh", "").await.map(drop),
        GetSchema => q.get_schema(a, "prod", "ml").await.map(drop),
        UpdateSchema => q.update_schema(a, "prod", "ml", "words").await.map(drop),
        DeleteSchema => q.delete_schema(a, "prod", "ml", true).await,
        ListModels => q.list_models(a, "prod", "ml", &ModelFilter::default(), &all()).await.map(drop),
        CreateModel => q.create_model(a, "prod", "ml", "fresh", "").await.map(drop),
        GetModel => q.get_model(a, &p).await.map(drop),
        UpdateModel => q.update_model(a, &p, "words").await.map(drop),
        RenameModel => q.rename_model(a, &p, "fraud2").await.map(drop),
        DeleteModel => q.delete_model(a, &p).await,
        CreateVersion => {
            q.create_version(a, &p, NewVersion { source: "s3://b/2".into(), ..Default::default() }).await.map(drop)
        }
        GetVersion => q.get_version(a, &p, 1).await.map(drop),
        UpdateVersion => q.update_version(a, &p, 1, "words").await.map(drop),
        DeleteVersion => q.delete_version(a, &p, 1).await,
        TransitionStage => q.transition_stage(a, &p, 1, "Staging", false).await.map(drop),
        SetAlias => q.set_alias(a, &p, "Champion", 1).await.map(drop),
        DeleteAlias => q.delete_alias(a, &p, "Existing").await,
        SetTag => q.set_tag(a, &p, TagTarget::Model, "k", "v").await.map(drop),
        DeleteTag => q.delete_tag(a, &p, TagTarget::Model, "existing").await.map(drop),
        Comment => q.add_comment(a, &p, None, "looks good").await.map(drop),
        ManageGrants => {
            let change = PermissionsChange { principal: "nobody".into(), add: vec!["EXECUTE".into()], remove: vec![] };
            q.update_permissions(a, &model, &[change]).await.map(drop)
        }
        TransferOwnership => q.transfer_ownership(a, &model, "nobody").await,
        RequestAliasChange => {
            let ask = NewApprovalRequest {
                model: "prod.ml.fraud".into(),
                version: Some(1),
                alias: "Champion".into(),
                action: RequestAction::Set,
                justification: String::new(),
            };
            q.create_approval_request(a, &ask).await.map(drop)
        }
        DecideAliasChange => {
            let filter = RequestFilter { model: Some("prod.ml.fraud".into()), ..Default::default() };
            let pending = q.list_approval_requests(&actor("admin"), &filter, &all()).await.unwrap().items;
            q.reject_request(a, &pending[0].id, "not yet").await.map(drop)
        }
        ProtectAliases => {
            let policy = AliasPolicy { aliases: vec!["Champion".into()], ..Default::default() };
            q.set_alias_policy(a, &model, &policy).await.map(drop)
        }
        ManageWebhooks => {
            let hook = NewWebhook {
                url: "https://ci.example.com/hooks/quiver".into(),
                events: vec!["*".into()],
                scope: Some(WebhookScope { kind: "registered_model".into(), full_name: "prod.ml.fraud".into() }),
                ..Default::default()
            };
            q.create_webhook(a, &hook).await.map(drop)
        }
        ManageSigningKeys => {
            let pem = include_str!("fixtures/model_signing/pub.pem");
            let key = NewSigningKey { name: "release".into(), public_key: pem.into() };
            q.add_signing_key(a, &model, &key).await.map(drop)
        }
        AttachSignature => {
            let bundle = include_str!("fixtures/model_signing/model.sig");
            q.attach_signature(a, &p, 1, bundle).await.map(drop)
        }
        ReportCheck => {
            let report = quiver::services::governance::CheckReport {
                status: quiver::services::governance::CheckStatus::InProgress,
                conclusion: None,
                details_url: Some("https://ci.example.com/runs/1".into()),
                summary: None,
                started_at: None,
                completed_at: None,
            };
            q.report_check(a, &p, 1, "eval", &report).await.map(drop)
        }
    }
}

/// The expected answer: allowed (true) or refused with PERMISSION_DENIED (false).
fn allowed(role: Role, op: Operation) -> bool {
    use Operation::*;
    let reach = [ListCatalogs, GetCatalog, ListSchemas, GetSchema, ListModels];
    let read = [GetModel, GetVersion, Comment, RequestAliasChange];
    let manage = [
        UpdateModel,
        RenameModel,
        DeleteModel,
        UpdateVersion,
        DeleteVersion,
        TransitionStage,
        SetAlias,
        DeleteAlias,
        ManageGrants,
        TransferOwnership,
        DecideAliasChange,
        ProtectAliases,
        ManageWebhooks,
        ManageSigningKeys,
        AttachSignature,
        ReportCheck,
    ];
    match role {
        Role::Anonymous => false,
        Role::NoGrants => op == ListCatalogs,
        Role::UseOnly => reach.contains(&op),
        Role::Execute | Role::GroupMember => reach.contains(&op) || read.contains(&op),
        Role::ApplyTag => reach.contains(&op) || [SetTag, DeleteTag].contains(&op),
        Role::CreateModelVersion => reach.contains(&op) || [CreateVersion, AttachSignature].contains(&op),
        Role::Owner => {
            reach.contains(&op)
                || read.contains(&op)
                || manage.contains(&op)
                || [SetTag, DeleteTag, CreateVersion].contains(&op)
        }
        Role::Manage => reach.contains(&op) || manage.contains(&op),
        Role::ReportChecks => reach.contains(&op) || op == ReportCheck,
        Role::Admin => true,
    }
}

#[tokio::test]
async fn every_operation_for_every_kind_of_caller() {
    let mut failures = Vec::new();
    for op in Operation::ALL {
        for role in ROLES {
            let (q, caller) = fixture(role).await;
            let got = run(&q, &caller, op).await;
            let want = allowed(role, op);
            match (&got, want) {
                (Ok(()), true) | (Err(Error { kind: ErrorKind::PermissionDenied, .. }), false) => {}
                (Err(e), true) if e.kind != ErrorKind::PermissionDenied => {
                    failures.push(format!("{op:?} as {role:?}: allowed, but failed: {e:?}"))
                }
                _ => failures.push(format!("{op:?} as {role:?}: expected allowed={want}, got {got:?}")),
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn revoking_takes_effect_at_once_and_refusals_are_audited() {
    let (q, reader) = fixture(Role::Execute).await;
    let p = path("prod.ml.fraud");
    q.get_model(&reader, &p).await.unwrap();
    let revoke = PermissionsChange { principal: "reader".into(), add: vec![], remove: vec!["EXECUTE".into()] };
    q.update_permissions(&actor("admin"), &securable(SecurableType::Catalog, "prod"), &[revoke]).await.unwrap();
    let e = q.get_model(&reader, &p).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    assert!(e.message.contains("EXECUTE"), "{}", e.message);
    let audit = q.list_audit(&actor("admin"), &Default::default(), &all()).await.unwrap().items;
    let denied = audit.iter().find(|e| e.outcome == "denied").expect("a denial is audited");
    assert_eq!((denied.principal.as_str(), denied.securable.as_str()), ("reader", "prod.ml.fraud"));
    assert!(audit.iter().any(|e| e.action == "grants.updated" && e.outcome == "allowed"));
    // Every other change is there too, written with it: namespace, models, versions, accounts.
    for (action, securable) in [
        ("catalog.created", "prod"),
        ("schema.created", "prod.ml"),
        ("registered_model.created", "prod.ml.fraud"),
        ("model_version.created", "prod.ml.fraud v1"),
        ("model_version_alias.created", "prod.ml.fraud v1"),
        ("user.created", "reader"),
    ] {
        assert!(
            audit.iter().any(|e| e.action == action && e.securable == securable && e.principal == "admin"),
            "{action} on {securable} is not audited"
        );
    }
}

#[tokio::test]
async fn lists_and_searches_show_only_what_the_caller_may_see() {
    let q = registry().await;
    let admin = actor("admin");
    for cat in ["prod", "dev"] {
        q.create_catalog(&admin, cat, "").await.unwrap();
        q.create_schema(&admin, cat, "ml", "").await.unwrap();
        for i in 0..7 {
            q.create_model(&admin, cat, "ml", &format!("model_{i}"), "").await.unwrap();
        }
    }
    let u = user(&q, "viewer").await;
    grant(&q, SecurableType::Catalog, "prod", "viewer", &["USE_CATALOG", "USE_SCHEMA"]).await;
    // Nothing readable yet: the catalog and schema show, the models do not.
    let names = |items: Vec<quiver::services::registry::RegisteredModel>| {
        items.into_iter().map(|m| m.full_name()).collect::<Vec<_>>()
    };
    let cats: Vec<String> = q.list_catalogs(&u, &all()).await.unwrap().items.into_iter().map(|c| c.name).collect();
    assert_eq!(cats, ["prod"]);
    assert!(q.list_models(&u, "prod", "ml", &ModelFilter::default(), &all()).await.unwrap().items.is_empty());
    assert!(q.search_models(&u, "model", &all()).await.unwrap().items.is_empty());
    // EXECUTE on two models directly.
    for m in ["model_2", "model_5"] {
        grant(&q, SecurableType::Model, &format!("prod.ml.{m}"), "viewer", &["EXECUTE"]).await;
    }
    let listed = names(q.list_models(&u, "prod", "ml", &ModelFilter::default(), &all()).await.unwrap().items);
    assert_eq!(listed, ["prod.ml.model_2", "prod.ml.model_5"]);
    let found = names(q.search_models(&u, "model", &all()).await.unwrap().items);
    assert_eq!(found, ["prod.ml.model_2", "prod.ml.model_5"]);
    let mlflow = q.search_registered_models(&u, None, &[], 100, None).await.unwrap().items;
    assert_eq!(names(mlflow), ["prod.ml.model_2", "prod.ml.model_5"]);
    // EXECUTE on the schema: all seven of prod, none of dev, in pages of 3 without gaps.
    grant(&q, SecurableType::Schema, "prod.ml", "viewer", &["EXECUTE"]).await;
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = q
            .list_models(
                &u,
                "prod",
                "ml",
                &ModelFilter::default(),
                &PageRequest { max_results: Some(3), page_token: token },
            )
            .await
            .unwrap();
        seen.extend(names(page.items));
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 7);
    let searched = names(q.search_models(&u, "model", &all()).await.unwrap().items);
    assert_eq!(searched, seen);
    let filter = parse("name LIKE '%model_3'", Entity::Models).unwrap();
    assert_eq!(
        names(q.search_registered_models(&u, filter.as_ref(), &[], 100, None).await.unwrap().items),
        ["prod.ml.model_3"]
    );
    assert!(q.get_model(&u, &path("dev.ml.model_3")).await.unwrap_err().kind == ErrorKind::PermissionDenied);
}

#[tokio::test]
async fn effective_permissions_say_where_each_privilege_comes_from() {
    let (q, _) = fixture(Role::GroupMember).await;
    let model = securable(SecurableType::Model, "prod.ml.fraud");
    grant(&q, SecurableType::Model, "prod.ml.fraud", "member", &["APPLY_TAG"]).await;
    let eff = q.effective_permissions(&actor("admin"), &model, "member").await.unwrap();
    let shown: Vec<(String, Option<String>, Option<String>, String)> =
        eff.into_iter().map(|e| (e.privilege, e.inherited_from_type, e.inherited_from_name, e.granted_to)).collect();
    let row = |p: &str, t: Option<&str>, n: Option<&str>, to: &str| {
        (p.to_string(), t.map(str::to_string), n.map(str::to_string), to.to_string())
    };
    assert_eq!(
        shown,
        [
            row("APPLY_TAG", None, None, "member"),
            row("EXECUTE", Some("schema"), Some("prod.ml"), "ml-team"),
            row("USE_CATALOG", Some("catalog"), Some("prod"), "ml-team"),
            row("USE_SCHEMA", Some("schema"), Some("prod.ml"), "ml-team"),
        ]
    );
    let e = q.effective_permissions(&actor("admin"), &model, "ghost").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    // Grants name existing principals and privileges that apply to the securable.
    let bad = PermissionsChange { principal: "ghost".into(), add: vec!["EXECUTE".into()], remove: vec![] };
    assert_eq!(q.update_permissions(&actor("admin"), &model, &[bad]).await.unwrap_err().kind, ErrorKind::NotFound);
    let bad = PermissionsChange { principal: "member".into(), add: vec!["USE_CATALOG".into()], remove: vec![] };
    assert_eq!(
        q.update_permissions(&actor("admin"), &model, &[bad]).await.unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
    let listed = q.get_permissions(&actor("admin"), &model, None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].principal.as_str(), listed[0].privileges.as_slice()),
        ("member", &["APPLY_TAG".to_string()][..])
    );
}

#[tokio::test]
async fn the_webhook_list_shows_what_the_caller_may_manage() {
    let q = registry().await;
    let admin = actor("admin");
    q.create_catalog(&admin, "prod", "").await.unwrap();
    q.create_schema(&admin, "prod", "ml", "").await.unwrap();
    q.create_schema(&admin, "prod", "other", "").await.unwrap();
    for schema in ["ml", "other"] {
        let hook = NewWebhook {
            url: format!("https://ci.example.com/hooks/{schema}"),
            events: vec!["*".into()],
            scope: Some(WebhookScope { kind: "schema".into(), full_name: format!("prod.{schema}") }),
            ..Default::default()
        };
        q.create_webhook(&admin, &hook).await.unwrap();
    }
    let ops = user(&q, "ops").await;
    grant(&q, SecurableType::Schema, "prod.ml", "ops", &["MANAGE", "USE SCHEMA"]).await;
    let one_page = PageRequest { max_results: Some(1), page_token: None };
    assert!(
        q.list_webhooks(&ops, &one_page).await.unwrap().items.is_empty(),
        "MANAGE on the schema without USE CATALOG changes no webhook, so the list shows none"
    );

    grant(&q, SecurableType::Catalog, "prod", "ops", &["USE CATALOG"]).await;
    let page = q.list_webhooks(&ops, &one_page).await.unwrap();
    let urls: Vec<&str> = page.items.iter().map(|w| w.url.as_str()).collect();
    assert_eq!(urls, ["https://ci.example.com/hooks/ml"], "only the webhook on the managed schema");
    assert_eq!(page.next_page_token, None, "the other schema's webhook is not on a next page either");
    assert_eq!(q.list_webhooks(&admin, &all()).await.unwrap().items.len(), 2);
}
