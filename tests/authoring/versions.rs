//! Curricula as versions in the store (issue 15), over real sockets on SQLite and
//! PostgreSQL: drafts edited with ETag/If-Match (412 on a stale write, 428 without one),
//! publish, history, diff and revert; a running session keeps its version while a new one
//! gets the new; a renamed checkpoint keeps the learner's credit; an invalid import stores
//! nothing and the last good version keeps being taught.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::db;
use super::support::{TestApp, WsClient, find, session_id, spawn_app, spawn_app_on};

pub const CURRICULUM: &str = "async-python";
pub const FIRST_FILE: &str = "concepts/01-sync-vs-async.toml";
/// The first hint of `sync-waits-for-completion` in the reference curriculum.
pub const OLD_HINT: &str = "Think about a single worker calling a slow API synchronously.";
/// What version 2 says instead.
pub const NEW_HINT: &str = "Picture one worker and one slow call to a web service.";

pub fn api(app: &TestApp, rest: &str) -> String {
    app.http(&format!("/api/author/curricula/{CURRICULUM}{rest}"))
}

/// The text of the reference curriculum's first concept file, with `edit` applied.
pub fn first_file(edit: impl Fn(&str) -> String) -> String {
    edit(
        klover_server::builtin::FILES
            .iter()
            .find(|(p, _)| *p == FIRST_FILE)
            .unwrap()
            .1,
    )
}

fn etag(r: &reqwest::Response) -> String {
    r.headers()["etag"].to_str().unwrap().to_owned()
}

/// Creates a draft from `from`; returns its id and ETag.
pub async fn new_draft(app: &TestApp, from: i64) -> (String, String) {
    let http = reqwest::Client::new();
    let r = http
        .post(api(app, "/drafts"))
        .json(&json!({"from": from}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let tag = etag(&r);
    let body: Value = r.json().await.unwrap();
    assert_eq!(tag, format!("\"{}\"", body["revision"]));
    (body["id"].as_str().unwrap().to_owned(), tag)
}

/// Writes the first concept file of draft `d` with `text`.
pub async fn put_first(
    app: &TestApp,
    d: &str,
    tag: Option<&str>,
    text: String,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .put(api(app, &format!("/drafts/{d}/files/{FIRST_FILE}")))
        .body(text);
    if let Some(tag) = tag {
        req = req.header("if-match", tag);
    }
    req.send().await.unwrap()
}

pub async fn publish(app: &TestApp, d: &str, tag: &str, body: Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(api(app, &format!("/drafts/{d}/publish")))
        .header("if-match", tag)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

/// The hint the tutor gives to "I have no idea" in `c`'s session.
async fn hint(c: &mut WsClient) -> String {
    let events = c.turn("i have no idea").await;
    let done = find(&events, "tutor_done").unwrap();
    assert_eq!(done["move"], "hint", "{done}");
    done["text"].as_str().unwrap().to_owned()
}

/// Two authors edit one draft: the second, on a stale ETag, gets 412 and nothing of the
/// first is lost; no If-Match is 428. Every answer carries the checker's findings. The
/// draft is published as version 2 (history, diff), a broken edit cannot be published,
/// and a revert to 1 is version 3 with version 1's files.
async fn drafts_publish_history_diff_revert(app: TestApp) {
    let http = reqwest::Client::new();
    let (d, tag) = new_draft(&app, 1).await;
    let edited = first_file(|t| t.replacen(OLD_HINT, NEW_HINT, 1));
    let first = put_first(&app, &d, Some(&tag), edited.clone()).await;
    assert_eq!(first.status(), StatusCode::OK);
    let tag2 = etag(&first);
    assert_ne!(tag2, tag);
    let view: Value = first.json().await.unwrap();
    assert_eq!(view["check"]["ok"], true, "{}", view["check"]);
    let second = put_first(
        &app,
        &d,
        Some(&tag),
        first_file(|t| t.replace("basics", "BASICS")),
    )
    .await;
    assert_eq!(second.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(etag(&second), tag2, "the 412 names the revision now");
    let missing = put_first(&app, &d, None, edited.clone()).await;
    assert_eq!(missing.status(), StatusCode::PRECONDITION_REQUIRED);
    let now: Value = http
        .get(api(&app, &format!("/drafts/{d}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = now["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == FIRST_FILE)
        .unwrap()["text"]
        .clone();
    assert_eq!(text, json!(edited), "the first author's edit stands");

    // A syntax error: the findings say where; publishing it is refused with them.
    let broken = put_first(
        &app,
        &d,
        Some(&tag2),
        first_file(|t| t.replacen("title = ", "title = = ", 1)),
    )
    .await;
    assert_eq!(broken.status(), StatusCode::OK);
    let tag3 = etag(&broken);
    let view: Value = broken.json().await.unwrap();
    assert_eq!(view["check"]["ok"], false);
    let problem = &view["check"]["problems"][0];
    assert_eq!(problem["file"], FIRST_FILE, "{problem}");
    assert!(problem["line"].as_u64().is_some(), "{problem}");
    let (status, refused) = publish(&app, &d, &tag3, json!({"message": "broken"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["check"]["problems"][0]["file"], FIRST_FILE);
    let fixed = put_first(&app, &d, Some(&tag3), edited.clone()).await;
    let tag4 = etag(&fixed);
    let (status, _) = publish(&app, &d, &tag3, json!({"message": "stale"})).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, published) = publish(&app, &d, &tag4, json!({"message": "a clearer hint"})).await;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    assert_eq!(published["version"]["number"], 2);
    assert_eq!(published["version"]["parent"], 1);
    let (status, _) = publish(&app, &d, &tag4, json!({"message": "twice"})).await;
    assert_eq!(
        status,
        StatusCode::PRECONDITION_FAILED,
        "a draft publishes once"
    );

    let history: Value = http
        .get(api(&app, "/versions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["author"], "import");
    assert_eq!(history[1]["message"], "a clearer hint");
    assert_eq!(history[1]["author"], "local");
    let diff: Value = http
        .get(api(&app, "/diff?from=1&to=2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let files = diff["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{diff}");
    assert_eq!(files[0]["path"], FIRST_FILE);
    let lines: Vec<&str> = files[0]["diff"].as_str().unwrap().lines().collect();
    let changed: Vec<&&str> = lines
        .iter()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("---")
                && !l.starts_with("+++")
        })
        .collect();
    assert_eq!(
        changed.len(),
        2,
        "a one-hint edit is a one-line diff: {lines:#?}"
    );
    assert!(changed[0].contains(OLD_HINT) && changed[1].contains(NEW_HINT));

    let r = http
        .post(api(&app, "/versions/1/revert"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let reverted: Value = r.json().await.unwrap();
    assert_eq!(reverted["version"]["number"], 3);
    assert_eq!(reverted["version"]["parent"], 2);
    let one: Value = http
        .get(api(&app, "/versions/1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let three: Value = http
        .get(api(&app, "/versions/3"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["files"], three["files"]);
    assert_eq!(one["content_hash"], three["content_hash"]);
    app.stop().await.unwrap();
}

/// A session started on version 1 keeps it after version 2 is published (while it runs,
/// and when it is loaded again from the store); a new session gets version 2.
async fn a_running_session_keeps_its_version_a_new_one_gets_the_new(app: TestApp) {
    let mut old = app.client().await;
    let opened = old.start(CURRICULUM, None).await;
    let old_id = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    let (d, tag) = new_draft(&app, 1).await;
    let r = put_first(
        &app,
        &d,
        Some(&tag),
        first_file(|t| {
            t.replacen(OLD_HINT, NEW_HINT, 1).replacen(
                "title = \"The basics\"",
                "title = \"First steps\"",
                1,
            )
        }),
    )
    .await;
    let (status, _) = publish(&app, &d, &etag(&r), json!({"message": "new hint"})).await;
    assert_eq!(status, StatusCode::CREATED);

    let mut new = app.client().await;
    let opened = new.start(CURRICULUM, None).await;
    let new_id = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    assert!(hint(&mut new).await.contains(NEW_HINT));
    assert!(
        hint(&mut old).await.contains(OLD_HINT),
        "the running session keeps version 1"
    );

    let row = |id| {
        let store = app.store.clone();
        async move { store.find_session(&id).await.unwrap().unwrap() }
    };
    let (old_row, new_row) = (row(old_id).await, row(new_id).await);
    assert_eq!(old_row.curriculum_number, Some(1));
    assert_eq!(new_row.curriculum_number, Some(2));
    // Loaded again as a restarted instance would: the pinned version, from the store.
    let fresh = klover_server::curricula::catalog_from_store(&app.store)
        .await
        .unwrap();
    let pinned = klover_server::curricula::for_session(&app.store, &fresh, &old_row)
        .await
        .unwrap();
    let hints = |c: &klover_domain::Curriculum| c.concepts[0].checkpoints[0].hints[0].clone();
    assert!(hints(&pinned).starts_with(OLD_HINT));
    assert!(hints(&fresh.get(CURRICULUM).unwrap()).starts_with(NEW_HINT));
    // Each session's blog post names its concepts as its own version titled them.
    let post = |id: klover_store::SessionId| {
        let url = app.http(&format!("/api/sessions/{id}/export"));
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let (old_post, new_post) = (post(old_row.id.clone()).await, post(new_row.id).await);
    assert!(old_post.contains("the basics"), "{old_post}");
    assert!(!old_post.contains("first steps"), "{old_post}");
    assert!(new_post.contains("first steps"), "{new_post}");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn sqlite_drafts_publish_history_diff_revert() {
    drafts_publish_history_diff_revert(spawn_app().await).await;
}

#[tokio::test]
async fn postgres_drafts_publish_history_diff_revert() {
    let fresh = db::FreshDb::new(db::Backend::Postgres).await;
    drafts_publish_history_diff_revert(spawn_app_on(&fresh.url).await).await;
    fresh.finish().await;
}

#[tokio::test]
async fn sqlite_a_running_session_keeps_its_version_a_new_one_gets_the_new() {
    a_running_session_keeps_its_version_a_new_one_gets_the_new(spawn_app().await).await;
}

#[tokio::test]
async fn postgres_a_running_session_keeps_its_version_a_new_one_gets_the_new() {
    let fresh = db::FreshDb::new(db::Backend::Postgres).await;
    a_running_session_keeps_its_version_a_new_one_gets_the_new(spawn_app_on(&fresh.url).await)
        .await;
    fresh.finish().await;
}
