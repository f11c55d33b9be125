//! Connecting: the defaults SQLite gets, and the errors an operator sees when it fails.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use klover_store::{Backend, Store, StoreError};

#[tokio::test]
async fn the_default_database_is_a_sqlite_file_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::default_sqlite_url(dir.path());
    assert!(
        url.starts_with("sqlite://") && url.ends_with("/klover.db?mode=rwc"),
        "{url}"
    );
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    store.ping().await.unwrap();
    assert!(dir.path().join("klover.db").exists());
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut common::raw_connection(&url).await)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    // Migrating an up-to-date database again is a no-op.
    assert!(Store::migrate(&url).await.unwrap() > 0);
    store.close().await;
}

#[tokio::test]
async fn an_unreachable_postgres_says_what_to_do_and_hides_the_password() {
    // Port 1 on localhost: nothing listens there, the connection is refused at once.
    let err = Store::connect("postgres://klover:s3cret@127.0.0.1:1/klover")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with(
            "cannot reach the database at postgres://klover:***@127.0.0.1:1/klover: \
             start PostgreSQL or fix DATABASE_URL"
        ),
        "{message}"
    );
    assert!(!message.contains("s3cret"), "{message}");
}

#[tokio::test]
async fn a_sqlite_file_in_a_missing_folder_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::default_sqlite_url(&dir.path().join("no").join("such"));
    let err = Store::connect(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::CannotOpen { .. }), "{err:?}");
    assert!(
        err.to_string().contains("check that its folder exists"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unknown_url_scheme_is_refused() {
    let err = Store::connect("mysql://root@localhost/klover")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UnsupportedUrl(_)), "{err:?}");
}
