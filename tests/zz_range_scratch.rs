#[tokio::test]
async fn ranges() {
    let db = quiver::store::open(&quiver::store::StoreConfig::memory()).await.unwrap();
    let setup = "DEFINE TABLE t SCHEMAFULL; DEFINE FIELD k ON t TYPE string; DEFINE FIELD n ON t TYPE int;
        FOR $n IN [-3, -2, -1, 1, 2, 7000000000000000000, 7000000000000000001] { CREATE t SET k = 'a', n = $n; };
        DEFINE INDEX tk ON t FIELDS k, n;
        CREATE t SET k = 'a', n = -5; CREATE t SET k = 'a', n = 5;";
    crate_first(db.query(setup).await.unwrap());
    for q in ["n > -10", "n >= -2", "n > 0", "n > 1", "n < 0", "n > 6999999999999999999", "n > 7000000000000000000"] {
        let mut r = db.query(format!("SELECT VALUE n FROM t WHERE k = 'a' AND {q} ORDER BY n")).await.unwrap();
        let v: Vec<i64> = r.take(0).unwrap();
        let mut r = db.query(format!("SELECT VALUE n FROM t WHERE k = 'a' AND {q} ORDER BY n EXPLAIN")).await.unwrap();
        let e: surrealdb::types::Value = r.take(0).unwrap();
        eprintln!("{q}: {v:?}  {}", if e.into_json_value().to_string().contains("IndexScan") {"index"} else {"scan"});
    }
}
fn crate_first(r: surrealdb::IndexedResults) { quiver::store::first_error(r).unwrap(); }
