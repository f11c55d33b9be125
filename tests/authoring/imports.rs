//! Renames that keep learners' credit, imports that store nothing when invalid (the last
//! good version keeps being taught), and `klover curriculum import`/`export` as a
//! byte-for-byte fixpoint, on SQLite and PostgreSQL.

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::db;
use super::support::{TestApp, curriculum_dir, find, session_id, spawn_app, spawn_app_on};
use super::versions::{
    CURRICULUM, FIRST_FILE, OLD_HINT, api, first_file, new_draft, publish, put_first,
};

/// An authored example of `sync-waits-for-completion`.
const WAITS: &str = "sync code does one thing, waits till its totally done, then starts the next";
const OLD_ID: &str = "sync-waits-for-completion";
const NEW_ID: &str = "sync-waits";

fn renamed() -> String {
    first_file(|t| {
        t.replacen(
            &format!("id = \"{OLD_ID}\""),
            &format!("id = \"{NEW_ID}\""),
            1,
        )
    })
}

/// The scenario: `sync-waits-for-completion` → `sync-waits`. Without a word the
/// publish is refused (409, one learner affected); with `renamed_from` the learner's
/// mastery follows the new id and their next session does not ask for it again.
async fn a_renamed_checkpoint_keeps_the_learners_credit(app: TestApp) {
    let mut c = app.client().await;
    let opened = c.start(CURRICULUM, None).await;
    let sid = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    c.turn(WAITS).await;
    drop(c);
    let row = app.store.find_session(&sid).await.unwrap().unwrap();
    let cid = row.curriculum.clone();
    let model = app.store.learner_model(&row.learner, &cid).await.unwrap();
    let before = model
        .mastery
        .iter()
        .find(|m| m.checkpoint.as_str() == OLD_ID)
        .unwrap()
        .mastery;
    assert!(before > 0.5, "credited: {before}");

    let (d, tag) = new_draft(&app, 1).await;
    let r = put_first(&app, &d, Some(&tag), renamed()).await;
    let tag = r.headers()["etag"].to_str().unwrap().to_owned();
    let (status, refused) = publish(&app, &d, &tag, json!({"message": "shorter id"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(
        refused["vanished"],
        json!([{"id": OLD_ID, "kind": "checkpoint", "learners": 1}])
    );
    let mapping = json!({"message": "shorter id", "renamed_from": {NEW_ID: OLD_ID}});
    let (status, published) = publish(&app, &d, &tag, mapping).await;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    assert_eq!(
        published["version"]["renamed_from"],
        json!({NEW_ID: OLD_ID})
    );

    let model = app.store.learner_model(&row.learner, &cid).await.unwrap();
    let ids: Vec<&str> = model
        .mastery
        .iter()
        .map(|m| m.checkpoint.as_str())
        .collect();
    assert!(!ids.contains(&OLD_ID), "{ids:?}");
    let after = model
        .mastery
        .iter()
        .find(|m| m.checkpoint.as_str() == NEW_ID)
        .unwrap()
        .mastery;
    assert!((after - before).abs() < 1e-12);

    // The next session continues with the credit: the tutor asks about something else.
    let mut next = app.client().await;
    let opened = next.start(CURRICULUM, None).await;
    let nid = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    let state = app
        .store
        .find_session(&nid)
        .await
        .unwrap()
        .unwrap()
        .engine_state
        .unwrap();
    let state: Value = serde_json::from_str(&state).unwrap();
    let carried = state["learner"]["checkpoints"][NEW_ID]["p_known"]
        .as_f64()
        .unwrap();
    assert!(
        (carried - before).abs() < 1e-9,
        "{carried} carried, {before} before"
    );
    let events = next.turn("i have no idea").await;
    let done = find(&events, "tutor_done").unwrap();
    assert_eq!(done["move"], "hint", "{done}");
    assert!(
        !done["text"].as_str().unwrap().contains(OLD_HINT),
        "asked again: {done}"
    );
    app.stop().await.unwrap();
}

/// An invalid import over the API stores nothing (422 with the problems); at start-up an
/// invalid folder keeps the stored version taught, and stops start-up only when nothing
/// was ever stored.
async fn a_bad_import_keeps_the_last_good_version(app: TestApp) {
    let broken = first_file(|t| t.replacen("title = ", "title = = ", 1));
    let mut files: Vec<Value> = klover_server::builtin::FILES
        .iter()
        .map(|(p, t)| json!({"path": p, "text": t}))
        .collect();
    for f in &mut files {
        if f["path"] == FIRST_FILE {
            f["text"] = json!(broken);
        }
    }
    let r = reqwest::Client::new()
        .post(api(&app, "/import"))
        .json(&json!({"files": files, "message": "oops"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["check"]["problems"][0]["file"], FIRST_FILE, "{body}");
    let cid = klover_domain::CurriculumId::parse(CURRICULUM).unwrap();
    assert_eq!(app.store.versions(&cid).await.unwrap().len(), 1);

    let folder = |files: Vec<(String, String)>| klover_server::curricula::Folder {
        label: "edited".into(),
        files: files
            .into_iter()
            .map(|(path, text)| klover_domain::curriculum::SourceFile { path, text })
            .collect(),
    };
    let bad: Vec<(String, String)> = klover_server::builtin::FILES
        .iter()
        .map(|(p, t)| {
            let text = if *p == FIRST_FILE {
                broken.clone()
            } else {
                (*t).to_owned()
            };
            ((*p).to_owned(), text)
        })
        .collect();
    let catalog = klover_server::curricula::import_at_start(&app.store, vec![folder(bad.clone())])
        .await
        .unwrap();
    let taught = catalog.latest(CURRICULUM).unwrap();
    assert_eq!(taught.number, Some(1), "the last good version is taught");
    assert_eq!(app.store.versions(&cid).await.unwrap().len(), 1);
    app.stop().await.unwrap();

    let empty = db::FreshDb::new(db::Backend::Sqlite).await;
    let store = klover_store::Store::connect(&empty.url).await.unwrap();
    let refused = klover_server::curricula::import_at_start(&store, vec![folder(bad)])
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains(FIRST_FILE), "{refused}");
}

/// A rename made by a fine-grained edit (`POST …/drafts/{d}/edits`) is remembered by the
/// draft and re-keys learner data when it is published with no mapping in the body; the
/// edit needs the draft's ETag like a file write.
async fn an_edit_rename_is_carried_into_the_publish(app: TestApp) {
    let mut c = app.client().await;
    let opened = c.start(CURRICULUM, None).await;
    let sid = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    c.turn(WAITS).await;
    drop(c);
    let row = app.store.find_session(&sid).await.unwrap().unwrap();
    let http = reqwest::Client::new();
    let (d, tag) = new_draft(&app, 1).await;
    let rename = json!({"op": "rename", "kind": "checkpoint", "from": OLD_ID, "to": NEW_ID});
    let edit = |tag: &str| {
        http.post(api(&app, &format!("/drafts/{d}/edits")))
            .header("if-match", tag)
            .json(&rename)
    };
    let r = edit(&tag).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let tag2 = r.headers()["etag"].to_str().unwrap().to_owned();
    let draft: Value = r.json().await.unwrap();
    assert_eq!(draft["renamed_from"], json!({NEW_ID: OLD_ID}));
    assert_eq!(draft["check"]["ok"], true, "{}", draft["check"]);
    let again = edit(&tag).send().await.unwrap();
    assert_eq!(
        again.status(),
        StatusCode::PRECONDITION_FAILED,
        "a stale ETag"
    );
    let unknown = edit(&tag2).send().await.unwrap();
    assert_eq!(
        unknown.status(),
        StatusCode::BAD_REQUEST,
        "{OLD_ID} is gone now"
    );
    let (status, published) = publish(&app, &d, &tag2, json!({"message": "renamed"})).await;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    assert_eq!(
        published["version"]["renamed_from"],
        json!({NEW_ID: OLD_ID})
    );
    let model = app
        .store
        .learner_model(&row.learner, &row.curriculum)
        .await
        .unwrap();
    let ids: Vec<&str> = model
        .mastery
        .iter()
        .map(|m| m.checkpoint.as_str())
        .collect();
    assert!(ids.contains(&NEW_ID) && !ids.contains(&OLD_ID), "{ids:?}");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn sqlite_an_edit_rename_is_carried_into_the_publish() {
    an_edit_rename_is_carried_into_the_publish(spawn_app().await).await;
}

#[tokio::test]
async fn postgres_an_edit_rename_is_carried_into_the_publish() {
    let fresh = db::FreshDb::new(db::Backend::Postgres).await;
    an_edit_rename_is_carried_into_the_publish(spawn_app_on(&fresh.url).await).await;
    fresh.finish().await;
}

#[tokio::test]
async fn sqlite_a_renamed_checkpoint_keeps_the_learners_credit() {
    a_renamed_checkpoint_keeps_the_learners_credit(spawn_app().await).await;
}

#[tokio::test]
async fn postgres_a_renamed_checkpoint_keeps_the_learners_credit() {
    let fresh = db::FreshDb::new(db::Backend::Postgres).await;
    a_renamed_checkpoint_keeps_the_learners_credit(spawn_app_on(&fresh.url).await).await;
    fresh.finish().await;
}

#[tokio::test]
async fn sqlite_a_bad_import_keeps_the_last_good_version() {
    a_bad_import_keeps_the_last_good_version(spawn_app().await).await;
}

#[tokio::test]
async fn postgres_a_bad_import_keeps_the_last_good_version() {
    let fresh = db::FreshDb::new(db::Backend::Postgres).await;
    a_bad_import_keeps_the_last_good_version(spawn_app_on(&fresh.url).await).await;
    fresh.finish().await;
}

fn klover(args: &[&str], url: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_klover"))
        .args(args)
        .args(["--database-url", url])
        .env_remove("KLOVER_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["", "concepts"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// import → export → import stores nothing new, and the export is the folder byte for
/// byte (comments included); an edited comment is a new version, and `--version 1`
/// still exports the original.
fn import_export_is_a_fixpoint(url: &str) {
    let source = curriculum_dir().join(CURRICULUM);
    let src = source.to_str().unwrap();
    let (ok, said) = klover(&["curriculum", "import", src, "--message", "first"], url);
    assert!(ok && said.contains("version 1 stored"), "{said}");
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("copy");
    let copy = dir.to_str().unwrap();
    let (ok, said) = klover(&["curriculum", "export", CURRICULUM, copy], url);
    assert!(ok, "{said}");
    assert_eq!(tree(&dir), tree(&source));
    let manifest = std::fs::read_to_string(dir.join("curriculum.toml")).unwrap();
    assert!(manifest.starts_with("# The reference"), "comments kept");
    let (ok, said) = klover(&["curriculum", "import", copy], url);
    assert!(ok && said.contains("unchanged since version 1"), "{said}");

    let manifest = dir.join("curriculum.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replacen("# The reference", "# Our reference", 1),
    )
    .unwrap();
    let (ok, said) = klover(&["curriculum", "import", copy], url);
    assert!(ok && said.contains("version 2 stored"), "{said}");
    let first = out.path().join("first");
    let first_dir = first.to_str().unwrap();
    let (ok, said) = klover(
        &[
            "curriculum",
            "export",
            CURRICULUM,
            "--version",
            "1",
            first_dir,
        ],
        url,
    );
    assert!(ok, "{said}");
    assert_eq!(tree(&first), tree(&source));
    let (ok, said) = klover(
        &[
            "curriculum",
            "export",
            CURRICULUM,
            "--version",
            "9",
            first_dir,
        ],
        url,
    );
    assert!(!ok && said.contains("no stored version 9"), "{said}");
}

#[tokio::test]
async fn sqlite_import_export_is_a_byte_for_byte_fixpoint() {
    let fresh = db::FreshDb::new(db::Backend::Sqlite).await;
    let url = fresh.url.clone();
    tokio::task::spawn_blocking(move || import_export_is_a_fixpoint(&url))
        .await
        .unwrap();
    fresh.finish().await;
}

#[tokio::test]
async fn postgres_import_export_is_a_byte_for_byte_fixpoint() {
    let fresh = db::FreshDb::new(db::Backend::Postgres).await;
    let url = fresh.url.clone();
    tokio::task::spawn_blocking(move || import_export_is_a_fixpoint(&url))
        .await
        .unwrap();
    fresh.finish().await;
}
