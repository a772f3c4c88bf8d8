//! The compiled conditions against a real (in-memory) SurrealDB with Quiver's schema.

use Entity::{Models, Versions};

use super::tests::ok;
use super::*;

async fn db() -> crate::store::Db {
    let db = crate::store::open(&crate::store::StoreConfig::memory()).await.unwrap();
    let setup = r#"
        DEFINE FIELD IF NOT EXISTS full_name ON registered_model TYPE string;
        DEFINE FIELD IF NOT EXISTS full_name_lc ON registered_model TYPE string;
        FOR $m IN [
            { id: 'm1', full: 'prod.ml.Fraud' },
            { id: 'm2', full: 'prod.ml.churn' },
            { id: 'm3', full: 'dev.x.prompt_1' },
            { id: 'm4', full: 'dev.x.Mixed_Case' },
        ] {
            CREATE type::record('registered_model', $m.id) SET catalog = catalog:c, schema = catalog_schema:s,
                name = $m.full, name_lc = string::lowercase($m.full), full_name = $m.full,
                full_name_lc = string::lowercase($m.full), owner = 'u', created_at = time::now(),
                created_by = 'u', updated_at = time::now(), updated_by = 'u';
        };
        CREATE model_tag SET model = registered_model:m1, key = 'team', value = 'risk';
        CREATE model_tag SET model = registered_model:m2, key = 'team', value = 'growth';
        CREATE model_tag SET model = registered_model:m2, key = 'mlflow.prompt.is_prompt', value = 'false';
        CREATE model_tag SET model = registered_model:m3, key = 'mlflow.prompt.is_prompt', value = 'true';
        CREATE model_tag SET model = registered_model:m4, key = 'path', value = 'a/b\\c.d';
        FOR $v IN [
            { id: 'v1', model: registered_model:m1, version: 1, source: 's3://b/fraud/1', run: 'r1', label: 'fraud#1' },
            { id: 'v2', model: registered_model:m1, version: 2, source: 'models:/m-abc', run: NONE, label: 'fraud#2' },
            { id: 'v3', model: registered_model:m2, version: 1, source: 's3://b/churn/1', run: 'r3', label: 'churn#1' },
        ] {
            CREATE type::record('model_version', $v.id) SET model = $v.model, version = $v.version,
                source = $v.source, run_id = $v.run, description = $v.label, status = 'READY',
                created_at = time::now(), created_by = 'u', updated_at = time::now(), updated_by = 'u';
        };
        CREATE version_tag SET model = registered_model:m1, version = model_version:v1, key = 'stage', value = 'prod';
        CREATE version_tag SET model = registered_model:m2, version = model_version:v3, key = 'stage', value = 'dev';
        -- What the services do in each write: copy tags and the model's name onto the records.
        FOR $m IN (SELECT VALUE id FROM registered_model) { fn::sync_model_tags($m); };
        FOR $v IN (SELECT VALUE id FROM model_version) {
            fn::sync_version_tags($v);
            UPDATE $v SET full_name = model.full_name, full_name_lc = model.full_name_lc, version_desc = 0 - version;
        };
    "#;
    crate::store::first_error(db.query(setup).await.unwrap()).unwrap();
    db
}

async fn search(db: &crate::store::Db, filter: &str, entity: Entity) -> Vec<String> {
    let mut params = Vec::new();
    let cond = to_surql(&ok(filter, entity), entity, &mut params);
    let sql = match entity {
        Models => format!("SELECT VALUE full_name FROM registered_model WHERE {cond} ORDER BY full_name"),
        Versions => format!("SELECT VALUE description FROM model_version WHERE {cond} ORDER BY description"),
        Entity::Runs => format!("SELECT VALUE name FROM run WHERE {cond} ORDER BY name"),
        Entity::Experiments => format!("SELECT VALUE name FROM experiment WHERE {cond} ORDER BY name"),
        Entity::LoggedModels => format!("SELECT VALUE name FROM logged_model WHERE {cond} ORDER BY name"),
    };
    let mut query = db.query(&sql);
    for param in params {
        query = query.bind(param);
    }
    let mut res = query.await.unwrap();
    res.take::<Vec<String>>(0).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test]
async fn compiled_filters_select_the_right_rows() {
    let db = db().await;
    let models: &[(&str, &[&str])] = &[
        ("tags.`mlflow.prompt.is_prompt` != 'true'", &["dev.x.Mixed_Case", "prod.ml.Fraud", "prod.ml.churn"]),
        ("tags.mlflow.prompt.is_prompt = 'true'", &["dev.x.prompt_1"]),
        ("name = 'PROD.ML.FRAUD'", &["prod.ml.Fraud"]),
        ("name != 'prod.ml.fraud'", &["dev.x.Mixed_Case", "dev.x.prompt_1", "prod.ml.churn"]),
        ("name LIKE 'prod.%'", &["prod.ml.Fraud", "prod.ml.churn"]),
        ("name LIKE 'PROD.%'", &[]),
        ("name ILIKE 'PROD.%'", &["prod.ml.Fraud", "prod.ml.churn"]),
        ("name LIKE '%_Case'", &["dev.x.Mixed_Case"]),
        ("name IN ('prod.ml.fraud', 'DEV.X.MIXED_CASE')", &["dev.x.Mixed_Case", "prod.ml.Fraud"]),
        ("name NOT IN ('prod.ml.fraud', 'dev.x.mixed_case')", &["dev.x.prompt_1", "prod.ml.churn"]),
        ("tags.team = 'risk' OR tags.team = 'growth'", &["prod.ml.Fraud", "prod.ml.churn"]),
        ("tags.team IN ('risk')", &["prod.ml.Fraud"]),
        ("tags.team NOT IN ('risk')", &["dev.x.Mixed_Case", "dev.x.prompt_1", "prod.ml.churn"]),
        ("tags.team ILIKE 'R%'", &["prod.ml.Fraud"]),
        ("tags.team LIKE 'R%'", &[]),
        (r"tags.path LIKE 'a/b\\c._'", &["dev.x.Mixed_Case"]),
        (r"tags.path = 'a/b\\c.d'", &["dev.x.Mixed_Case"]),
        (
            "(tags.team LIKE 'r%' OR name ILIKE '%mixed%' OR name LIKE '%prompt%') AND tags.`mlflow.prompt.is_prompt` != 'true'",
            &["dev.x.Mixed_Case", "prod.ml.Fraud"],
        ),
    ];
    for (filter, want) in models {
        assert_eq!(search(&db, filter, Models).await, *want, "{filter}");
    }
    let versions: &[(&str, &[&str])] = &[
        ("version_number >= 2", &["fraud#2"]),
        ("version_number = '1'", &["churn#1", "fraud#1"]),
        ("run_id = 'r1'", &["fraud#1"]),
        ("run_id != 'r1'", &["churn#1"]),
        ("run_id LIKE 'r%'", &["churn#1", "fraud#1"]),
        ("run_id IN ('r1', 'r3')", &["churn#1", "fraud#1"]),
        ("run_id NOT IN ('r1')", &["churn#1"]),
        ("name = 'prod.ml.fraud' AND version_number = 1", &["fraud#1"]),
        ("name ILIKE '%FRAUD'", &["fraud#1", "fraud#2"]),
        ("source_path LIKE 'models:/%'", &["fraud#2"]),
        ("source_path IN ('s3://b/churn/1')", &["churn#1"]),
        ("tags.stage = 'prod' OR version_number > 1", &["fraud#1", "fraud#2"]),
        ("tags.stage != 'prod'", &["churn#1", "fraud#2"]),
        ("tags.stage LIKE 'd%' AND name = 'prod.ml.churn'", &["churn#1"]),
    ];
    for (filter, want) in versions {
        assert_eq!(search(&db, filter, Versions).await, *want, "{filter}");
    }
}
