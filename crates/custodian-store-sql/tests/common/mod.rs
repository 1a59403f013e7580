//! What every store test file shares: `conformance!` turns each story into one test on a fresh
//! SQLite file and one on a fresh PostgreSQL database.

/// Generates, for every story, one test on a fresh SQLite file and one on a fresh PostgreSQL database.
#[allow(unused_macros)]
macro_rules! conformance {
    ($($story:ident => $on_sqlite:ident, $on_postgres:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $on_sqlite() {
            let (_dir, path) = ::custodian_testkit::fresh_sqlite_path();
            let path = path.to_str().expect("temp path is UTF-8");
            let store = ::custodian_store_sql::SqliteStore::open(path, ::custodian_store_sql::SqliteSettings::default())
                .await
                .expect("open SQLite store");
            $story(::std::sync::Arc::new(store)).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $on_postgres() {
            if !::custodian_testkit::pg_available() {
                eprintln!("skipping: PostgreSQL server binaries not found");
                return;
            }
            let url = ::custodian_testkit::fresh_pg_database().await;
            let store = ::custodian_store_sql::PgStore::connect(&url, ::custodian_store_sql::PgSettings::default())
                .await
                .expect("connect PgStore");
            $story(::std::sync::Arc::new(store)).await;
        }
    )*};
}

/// The schema as it was before `version` (its migrations copied to a directory of their own).
#[allow(dead_code)]
pub async fn migrations_before(backend: &str, version: i64) -> (tempfile::TempDir, sqlx::migrate::Migrator) {
    let dir = tempfile::tempdir().unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    for file in std::fs::read_dir(&source).unwrap() {
        let file = file.unwrap();
        let name = file.file_name().into_string().unwrap();
        let number: i64 = name.split('_').next().unwrap().parse().unwrap();
        if number < version {
            std::fs::copy(file.path(), dir.path().join(&name)).unwrap();
        }
    }
    let migrator = sqlx::migrate::Migrator::new(dir.path()).await.unwrap();
    (dir, migrator)
}
