//! A fresh database per test: a SQLite file in a temp dir, or a new PostgreSQL database
//! (127.0.0.1:5432, trust auth; `KLOVER_TEST_POSTGRES_URL` overrides). PostgreSQL down is
//! a loud failure, never a skip (`scripts/ensure-services.sh` starts it).

use sqlx::{AnyConnection, Connection, Executor};

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test.
pub struct FreshDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

fn admin_url() -> String {
    std::env::var("KLOVER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl FreshDb {
    pub async fn new(backend: Backend) -> FreshDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("klover.db").display()
                );
                FreshDb {
                    url,
                    _dir: Some(dir),
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                let admin = admin_url();
                sqlx::any::install_default_drivers();
                let mut conn = AnyConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is not reachable at {admin} ({e}): the fault suite needs it. \
                         Start it with scripts/ensure-services.sh"
                    )
                });
                static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos();
                let name = format!("klover_fault_{}_{n}_{nanos}", std::process::id());
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .unwrap();
                conn.close().await.unwrap();
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap();
                FreshDb {
                    url: format!("{base}/{name}"),
                    _dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }

    /// Drops the PostgreSQL database (left behind when a test fails, for inspection).
    pub async fn finish(self) {
        if let Some(name) = self.pg_name {
            let mut conn = AnyConnection::connect(&admin_url()).await.unwrap();
            conn.execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .await
            .unwrap();
        }
    }
}
