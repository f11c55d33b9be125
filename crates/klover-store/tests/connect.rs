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

#[tokio::test]
async fn postgres_honours_sslmode_require_over_tls() {
    let db = common::TestDb::postgres().await;
    let url = format!("{}?sslmode=require", db.url);
    // The local server has TLS on (Debian's snakeoil certificate): `require` encrypts
    // without verifying the certificate, as libpq does.
    let store = Store::connect(&url).await.unwrap();
    store.ping().await.unwrap();
    let mut conn = common::raw_connection(&url).await;
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(ssl, "the connection is encrypted");
    store.close().await;
    db.finish().await;
}

#[tokio::test]
async fn serve_waits_for_a_postgres_that_comes_up_late() {
    let db = common::TestDb::postgres().await;
    // A port where PostgreSQL "starts" only after a while: a forwarder to the real one.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let forwarder = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut server = tokio::net::TcpStream::connect("127.0.0.1:5432")
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    let (_, name) = db.url.rsplit_once('/').unwrap();
    let late = format!("postgres://postgres@127.0.0.1:{port}/{name}");
    assert!(matches!(
        Store::connect(&late).await,
        Err(StoreError::Unreachable { .. })
    ));
    let store = Store::connect_waiting(&late, 2, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    store.ping().await.unwrap();
    store.close().await;
    forwarder.abort();
    db.finish().await;
}
