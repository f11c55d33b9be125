//! The editor's stateless helpers over real sockets: an edit applied to posted files
//! (one file changed, a cycle refused with its path), the cue tester (what a sentence
//! credits and which cues matched) and the preview (learner lines through the offline
//! engine, on a draft's files and on the published curriculum side by side).

use serde_json::{Value, json};

use super::{author_token, reference_files, spawn_with_auth};

async fn post(app: &super::TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(app.http(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

const NEW_CONFIRMATION: &str = "Right: one heavy task stalls the whole loop.";

/// The reference files with `cpu-task-blocks-loop`'s confirmation edited through the
/// edit route.
async fn edited_files(app: &super::TestApp, token: &str) -> Vec<Value> {
    let mut files = reference_files();
    let edit = json!({
        "op": "set_text",
        "target": {"kind": "checkpoint", "id": "cpu-task-blocks-loop"},
        "field": "confirmation",
        "value": NEW_CONFIRMATION,
    });
    let (status, body) = post(
        app,
        token,
        "/api/author/edit",
        &json!({"files": files, "edit": edit}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let changed = body["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{body}");
    assert_eq!(changed[0]["path"], "concepts/03-event-loop.toml");
    assert_eq!(body["removed"], json!([]));
    assert_eq!(body["check"]["ok"], true, "{}", body["check"]);
    for f in &mut files {
        if f["path"] == changed[0]["path"] {
            f["text"] = changed[0]["text"].clone();
        }
    }
    files
}

#[tokio::test]
async fn an_edit_changes_one_file_and_a_cycle_is_refused_with_its_path() {
    let app = spawn_with_auth().await;
    let token = author_token(&app, "ada").await;
    let files = edited_files(&app, &token).await;
    let text = files
        .iter()
        .find(|f| f["path"] == "concepts/03-event-loop.toml")
        .unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains(&format!("confirmation = \"{NEW_CONFIRMATION}\"")));
    let cycle =
        json!({"op": "add_prerequisite", "concept": "sync-vs-async", "prerequisite": "event-loop"});
    let (status, body) = post(
        &app,
        &token,
        "/api/author/edit",
        &json!({"files": files, "edit": cycle}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"],
        "prerequisite cycle: event-loop → sync-vs-async → io-vs-cpu → event-loop"
    );
    let invalid = json!({
        "op": "remove_item",
        "target": {"kind": "checkpoint", "id": "cpu-task-blocks-loop"},
        "field": "hints", "index": 0,
    });
    let (status, body) = post(
        &app,
        &token,
        "/api/author/edit",
        &json!({"files": files, "edit": invalid}),
    )
    .await;
    assert_eq!(status, 200, "a draft may be invalid: {body}");
    assert_eq!(body["check"]["ok"], false);
    let problem = &body["check"]["problems"][0];
    assert_eq!(problem["file"], "concepts/03-event-loop.toml", "{problem}");
    assert!(
        problem["key"].as_str().unwrap().ends_with("hints"),
        "{problem}"
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn the_cue_tester_says_what_a_sentence_credits_and_which_cues_matched() {
    let app = spawn_with_auth().await;
    let token = author_token(&app, "ada").await;
    let sentence = "a heavy calculation freezes everything else, the loop is stuck";
    let body = json!({"curriculum": "async-python", "concept": "event-loop", "text": sentence});
    let (status, answer) = post(&app, &token, "/api/author/try", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["assessment"]["scores"]["cpu-task-blocks-loop"]["score"],
        1.0
    );
    let hits = answer["hits"].as_array().unwrap();
    assert!(
        hits.iter()
            .any(|h| h["owner"] == "cpu-task-blocks-loop" && h["role"] == "credits"),
        "{answer}"
    );
    let (status, _) = post(
        &app,
        &token,
        "/api/author/try",
        &json!({"curriculum": "async-python", "concept": "nope", "text": "x"}),
    )
    .await;
    assert_eq!(status, 404);
    let learner = app.token_for("lee").await;
    let (status, _) = post(&app, &learner, "/api/author/try", &body).await;
    assert_eq!(status, 403);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_preview_runs_lines_on_the_draft_and_on_the_published_version() {
    let app = spawn_with_auth().await;
    let token = author_token(&app, "ada").await;
    let files = edited_files(&app, &token).await;
    let script = "a heavy calculation freezes everything else, the loop is stuck";
    let draft = json!({"files": files, "concept": "event-loop", "script": script});
    let (status, body) = post(&app, &token, "/api/author/preview", &draft).await;
    assert_eq!(status, 200, "{body}");
    let turn = &body["turns"][0];
    assert_eq!(turn["covered"], json!(["cpu-task-blocks-loop"]));
    assert!(
        turn["tutor"]
            .as_str()
            .unwrap()
            .starts_with(NEW_CONFIRMATION),
        "{turn}"
    );
    let published =
        json!({"curriculum": "async-python", "concept": "event-loop", "script": script});
    let (status, body) = post(&app, &token, "/api/author/preview", &published).await;
    assert_eq!(status, 200, "{body}");
    let tutor = body["turns"][0]["tutor"].as_str().unwrap();
    assert!(
        tutor.starts_with("That's exactly why CPU-bound work"),
        "{tutor}"
    );
    let broken = json!({"files": [{"path": "curriculum.toml", "text": "id = "}], "script": "x"});
    let (status, body) = post(&app, &token, "/api/author/preview", &broken).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["problems"][0]["file"], "curriculum.toml");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_draft_is_viewed_like_a_taught_curriculum_or_refused_with_its_problems() {
    let app = spawn_with_auth().await;
    let token = author_token(&app, "ada").await;
    let (status, body) = post(
        &app,
        &token,
        "/api/author/view",
        &json!({"files": reference_files()}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["concepts"][0]["id"], "sync-vs-async");
    assert!(
        body["edges"]
            .as_array()
            .unwrap()
            .contains(&json!(["io-vs-cpu", "event-loop"]))
    );
    let broken = json!({"files": [{"path": "curriculum.toml", "text": "id = "}]});
    let (status, body) = post(&app, &token, "/api/author/view", &broken).await;
    assert_eq!(status, 422, "{body}");
    app.stop().await.unwrap();
}
