//! What every store test file shares: `conformance!` turns each story into one test on a fresh
//! SQLite file and one on a fresh PostgreSQL database.

/// Generates, for every story, one test on a fresh SQLite file and one on a fresh PostgreSQL database.
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
