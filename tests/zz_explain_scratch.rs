// Scratch (not committed): plans of the hot queries on the 100k bench store.
use std::time::Instant;

#[tokio::test]
async fn explain() {
    let t = Instant::now();
    let db = quiver::store::open(&quiver::store::StoreConfig {
        url: "surrealkv:///tmp/scratch/store".into(),
        user: None, pass: None, namespace: "quiver".into(), database: "bench".into(),
    }).await.unwrap();
    eprintln!("open+migrate {:?}", t.elapsed());
    let mut r = db.query("(SELECT VALUE model FROM model_alias LIMIT 1)[0]").await.unwrap();
    let mdl: Option<surrealdb::types::RecordId> = r.take(0).unwrap();
    let mdl = mdl.unwrap();
    let qs = [
        ("rows", "SELECT action, at_desc FROM activity WHERE model = $mdl ORDER BY at_desc, id LIMIT 51"),
        ("versions", "SELECT version FROM model_version WHERE model = $mdl AND version_desc > -9223372036854775807 ORDER BY version_desc LIMIT 51"),
        ("v ge -1", "SELECT id FROM model_version WHERE model = $mdl AND version_desc >= -1"),
        ("v lt -1", "SELECT id FROM model_version WHERE model = $mdl AND version_desc < -1"),
        ("fn eq", "SELECT id FROM model_version WHERE full_name_lc = $mdl.full_name_lc"),
        ("alias_events", "SELECT alias, to_version FROM alias_event WHERE model = $mdl AND at_desc >= -9223372036854775807 ORDER BY at_desc, id"),
        ("count activity", "SELECT count() FROM activity GROUP ALL"),
        ("count activity idx", "SELECT count() FROM activity WHERE model = $mdl GROUP ALL"),
    ];
    for (name, q) in qs {
        for round in 0..2 {
            let t = Instant::now();
            let mut r = db.query(q).bind(("mdl", mdl.clone())).await.unwrap();
            let v: surrealdb::types::Value = r.take(0).unwrap();
            if round == 1 { eprintln!("===== {name} ({:?})\n{}", t.elapsed(), v.into_json_value().to_string().replace("\\n", "\n")); }
        }
    }
}
