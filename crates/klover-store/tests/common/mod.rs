//! Test databases: a SQLite file in a temp dir, or a fresh PostgreSQL database per test.
#![allow(dead_code)]

use klover_domain::{ConceptId, CurriculumId};
use klover_store::{Learner, Mode, NewSession, SessionKind, SessionRow, Store};
use sqlx::{AnyConnection, Connection, Executor};

/// The server every PostgreSQL test uses (trust auth); `KLOVER_TEST_POSTGRES_URL` overrides.
pub fn postgres_admin_url() -> String {
    std::env::var("KLOVER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A store on a database that exists only for one test.
pub struct TestDb {
    /// The database URL (to reconnect, or hand to a child process).
    pub url: String,
    /// A store connected to it.
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    pg_database: Option<String>,
}

impl TestDb {
    /// A SQLite file in a fresh temp dir.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = Store::default_sqlite_url(dir.path());
        let store = Store::connect(&url).await.unwrap();
        TestDb {
            url,
            store,
            _dir: Some(dir),
            pg_database: None,
        }
    }

    /// A fresh PostgreSQL database. Fails loudly, never skips, when PostgreSQL is down.
    pub async fn postgres() -> TestDb {
        let admin = postgres_admin_url();
        sqlx::any::install_default_drivers();
        let mut conn = AnyConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {admin} ({e}).\n\
                 These tests need it. Start it with:\n  \
                 pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n\
                 or set KLOVER_TEST_POSTGRES_URL to a server where user postgres may create databases."
            )
        });
        let name = format!("klover_store_test_{}", uuid::Uuid::new_v4().simple());
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap();
        conn.close().await.unwrap();
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap();
        let url = format!("{base}/{name}");
        let store = Store::connect(&url).await.unwrap();
        TestDb {
            url,
            store,
            _dir: None,
            pg_database: Some(name),
        }
    }

    /// Closes the store and drops the PostgreSQL database (left behind if a test panics,
    /// for inspection).
    pub async fn finish(self) {
        self.store.close().await;
        if let Some(name) = self.pg_database {
            let mut conn = AnyConnection::connect(&postgres_admin_url()).await.unwrap();
            conn.execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .await
            .unwrap();
        }
    }
}

/// A learner with a unique name.
pub async fn learner(store: &Store, name: &str) -> Learner {
    store.create_learner(name).await.unwrap()
}

/// A learning session on the reference curriculum.
pub async fn session(store: &Store, learner: &Learner) -> SessionRow {
    store
        .create_session(&NewSession {
            learner: learner.id.clone(),
            curriculum: CurriculumId::parse("async-python").unwrap(),
            curriculum_version: "1".into(),
            concept: ConceptId::parse("sync-vs-async").unwrap(),
            mode: Mode::Offline,
            kind: SessionKind::Learn,
        })
        .await
        .unwrap()
}

/// A connection behind the store's back, to look at or tamper with raw rows.
pub async fn raw_connection(url: &str) -> AnyConnection {
    sqlx::any::install_default_drivers();
    AnyConnection::connect(url).await.unwrap()
}
