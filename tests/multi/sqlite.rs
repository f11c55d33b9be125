//! SQLite stays one process: a second `klover serve` on the same file is refused at
//! start-up, saying to use PostgreSQL.

use std::process::Command;

use crate::child::Server;
use crate::db::{Backend, FreshDb};

#[tokio::test]
async fn a_second_instance_on_one_sqlite_file_is_refused_and_told_to_use_postgres() {
    let db = FreshDb::new(Backend::Sqlite).await;
    let first = Server::start(&db.url, &[]).await;
    let second = Command::new(env!("CARGO_BIN_EXE_klover"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("KLOVER_DATABASE_URL", &db.url)
        .env("KLOVER_CURRICULUM_DIR", crate::support::curriculum_dir())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!second.status.success());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        said.contains("another klover process is already serving the SQLite database")
            && said.contains("postgres://"),
        "{said}"
    );
    // The first one serves on, undisturbed.
    let ready = reqwest::get(format!("http://{}/readyz", first.addr))
        .await
        .unwrap();
    assert!(ready.status().is_success());
    drop(first);
    db.finish().await;
}
