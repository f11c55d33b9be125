//! Author analytics and the inbox over real sockets (issue 15, item 7), on SQLite and
//! PostgreSQL: three learners take scripted sessions over the websocket; ann needs a hint
//! before she states `sync-waits-for-completion`, bo tries three times and is told it.
//! cy only says "I don't know" and is told it as well. The figures, the one inbox item
//! (bo's last try; cy's turns were no attempts), and dismissing it are asserted.

use serde_json::{Value, json};

use super::db;
use super::support::{TestApp, WsClient, seed_lines, test_settings};

const CURRICULUM: &str = "async-python";
const FIRST: &str = "sync-vs-async";
const TOLD: &str = "sync-waits-for-completion";
/// A wrong answer: the rubric credits nothing, the tutor hints.
const WRONG: &str = "Sync code is older and async code is newer.";
/// Bo's three attempts: two hints, then the tutor states [`TOLD`] (checked with `klover replay`).
const BO: [&str; 3] = [
    "Sync code is older and async code is newer.",
    "Async is just a newer style of writing code.",
    "It is only about the syntax, async and await keywords.",
];
/// Cy does not try: "I don't know" three times, and is told [`TOLD`] too (as in
/// tests/server_covered.rs). Not an unrecognised answer: no inbox item.
const STUCK: [&str; 3] = ["I have no idea.", "I don't know, sorry.", "Still no idea."];
/// Shows the misconception `async-runs-in-parallel`.
const PARALLEL: &str = "async runs all the tasks at the same time on different cores";

async fn spawn(url: &str) -> TestApp {
    let mut s = test_settings();
    s.auth = true;
    s.database_url = url.to_owned();
    super::support::spawn_app_on_with(s).await
}

async fn learner(app: &TestApp, name: &str) -> WsClient {
    let token = app.token_for(name).await;
    let mut c = WsClient::connect(&format!("{}?token={token}", app.ws_url()))
        .await
        .unwrap();
    c.start(CURRICULUM, Some(FIRST)).await;
    c
}

async fn author(app: &TestApp) -> String {
    let who = app.store.create_learner("the-author").await.unwrap();
    app.store
        .create_api_token(klover_store::Role::Author, Some(&who.id), "test")
        .await
        .unwrap()
}

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(app.http(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(app.http(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn row<'a>(list: &'a Value, key: &str, id: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r[key] == id)
        .unwrap_or_else(|| panic!("no {key} {id} in {list}"))
}

async fn two_learners_one_hinted_one_told(url: &str) {
    let app = spawn(url).await;
    let mut ann = learner(&app, "ann").await;
    ann.turn(WRONG).await;
    ann.turn(&seed_lines()[0]).await;
    ann.turn(PARALLEL).await;
    let mut bo = learner(&app, "bo").await;
    let mut moves = Vec::new();
    for line in BO {
        let events = bo.turn(line).await;
        let done = events.iter().find(|e| e["type"] == "tutor_done").unwrap();
        moves.push(done["move"].clone());
    }
    assert_eq!(
        moves,
        ["hint", "hint", "assert"],
        "the script still tells bo"
    );
    let mut cy = learner(&app, "cy").await;
    let mut last = Value::Null;
    for line in STUCK {
        let events = cy.turn(line).await;
        last = events.iter().find(|e| e["type"] == "tutor_done").unwrap()["move"].clone();
    }
    assert_eq!(last, "assert", "the script still tells cy");
    let token = author(&app).await;
    let base = format!("/api/author/curricula/{CURRICULUM}");

    let (status, a) = get(&app, &token, &format!("{base}/analytics")).await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["title"], "Async in Python, from the ground up");
    let told = row(&a["checkpoints"], "checkpoint", TOLD);
    assert_eq!(told["learners"], 3, "{told}");
    assert_eq!(told["reached"], 1, "{told}");
    assert_eq!(told["stated"], 2, "{told}");
    assert_eq!(
        told["median_tries"], 2.0,
        "ann's second turn earned it: {told}"
    );
    assert_eq!(told["concept_title"], "The basics");
    assert_eq!(told["title"], "Sync waits for each operation to finish");
    let parallel = row(
        &a["misconceptions"],
        "misconception",
        "async-runs-in-parallel",
    );
    assert_eq!(
        (&parallel["learners"], &parallel["resolved"]),
        (&json!(1), &json!(0))
    );
    assert!(
        parallel["belief"].as_str().unwrap().len() > 10,
        "{parallel}"
    );
    // All three sessions are still going under the default idle limit ...
    let stop = row(&a["stops"], "concept", FIRST);
    assert_eq!(
        (&stop["active"], &stop["stopped"]),
        (&json!(3), &json!(0)),
        "{stop}"
    );
    // ... and all stopped when any pause counts: ann in front of the third checkpoint,
    // bo and cy in front of the second (they were told the first).
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (_, a) = get(&app, &token, &format!("{base}/analytics?idle_minutes=0")).await;
    let stop = row(&a["stops"], "concept", FIRST);
    assert_eq!(
        (&stop["active"], &stop["stopped"]),
        (&json!(0), &json!(3)),
        "{stop}"
    );
    let open = &stop["open_checkpoints"];
    assert_eq!(
        row(open, "checkpoint", "async-works-while-waiting")["sessions"],
        2
    );
    assert_eq!(
        row(open, "checkpoint", "something-schedules-tasks")["sessions"],
        1
    );

    // The inbox: bo's last try, after which the tutor stated the checkpoint.
    let (status, inbox) = get(&app, &token, &format!("{base}/inbox")).await;
    assert_eq!(status, 200, "{inbox}");
    let items = inbox["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{inbox}");
    let item = &items[0];
    assert_eq!(item["reason"], "stated");
    assert_eq!(item["text"], BO[2]);
    assert_eq!(item["checkpoint"], TOLD);
    assert_eq!(item["concept_title"], "The basics");
    assert_eq!(item["example"]["key"], "examples");
    assert_eq!(item["example"]["toml"], format!("\"{}\"", BO[2]));
    let edit = &item["example"]["edit"];
    assert_eq!(
        (
            &edit["op"],
            &edit["target"]["id"],
            &edit["field"],
            &edit["value"]
        ),
        (
            &json!("add_item"),
            &json!(TOLD),
            &json!("examples"),
            &json!(BO[2])
        ),
        "{edit}"
    );
    // The edit adds exactly that line to the reference files (the editor's helper).
    let files: Vec<Value> = klover_server::builtin::FILES
        .iter()
        .map(|(path, text)| json!({"path": path, "text": text}))
        .collect();
    let (status, applied) = post(
        &app,
        &token,
        "/api/author/edit",
        json!({"files": files, "edit": edit}),
    )
    .await;
    assert_eq!(status, 200, "{applied}");
    let changed = applied["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{applied}");
    let before = klover_server::builtin::FILES
        .iter()
        .find(|(p, _)| *p == changed[0]["path"])
        .unwrap()
        .1;
    let after = changed[0]["text"].as_str().unwrap();
    let added: Vec<&str> = after
        .lines()
        .filter(|l| !before.lines().any(|b| b == *l))
        .collect();
    assert_eq!(added.len(), 1, "{added:?}");
    assert!(added[0].contains(BO[2]), "{added:?}");
    let id = item["id"].as_str().unwrap();

    let (status, added) = post(
        &app,
        &token,
        &format!("{base}/inbox/{id}/example"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{added}");
    assert_eq!(added["applied"], false, "{added}");
    assert_eq!(added["example"]["toml"], item["example"]["toml"]);

    let learner_token = app.token_for("dee").await;
    let (status, _) = post(
        &app,
        &learner_token,
        &format!("{base}/inbox/{id}/dismiss"),
        json!({}),
    )
    .await;
    assert_eq!(status, 403, "learners may not dismiss");
    let (status, _) = get(&app, &learner_token, &format!("{base}/analytics")).await;
    assert_eq!(status, 403, "learners may not read analytics");

    let (status, _) = post(
        &app,
        &token,
        &format!("{base}/inbox/{id}/dismiss"),
        json!({}),
    )
    .await;
    assert_eq!(status, 204);
    let (_, inbox) = get(&app, &token, &format!("{base}/inbox")).await;
    assert_eq!(
        inbox["items"],
        json!([]),
        "a dismissed item leaves the inbox"
    );
    let (status, _) = post(
        &app,
        &token,
        &format!("{base}/inbox/{id}/dismiss"),
        json!({}),
    )
    .await;
    assert_eq!(status, 404, "dismissed already");
    let (status, _) = get(&app, &token, "/api/author/curricula/nope/analytics").await;
    assert_eq!(status, 404);
    drop((ann, bo, cy));
    app.stop().await.unwrap();
}

#[tokio::test]
async fn sqlite_two_learners_one_hinted_one_told_give_the_figures_and_an_inbox_item() {
    let fresh = db::FreshDb::new(db::Backend::Sqlite).await;
    two_learners_one_hinted_one_told(&fresh.url).await;
}

#[tokio::test]
async fn postgres_two_learners_one_hinted_one_told_give_the_figures_and_an_inbox_item() {
    let fresh = db::FreshDb::new(db::Backend::Postgres).await;
    two_learners_one_hinted_one_told(&fresh.url).await;
    fresh.finish().await;
}

/// "Add as example" with a draft: the learner's words land in the checkpoint's
/// `examples` in the draft's files (one line more), the draft's revision grows, and the
/// item leaves the inbox; an unknown draft is 404 and leaves it open.
async fn an_answer_added_as_example_goes_into_the_draft(url: &str) {
    let app = spawn(url).await;
    let mut bo = learner(&app, "bo").await;
    for line in BO {
        bo.turn(line).await;
    }
    let token = author(&app).await;
    let base = format!("/api/author/curricula/{CURRICULUM}");
    let (_, inbox) = get(&app, &token, &format!("{base}/inbox")).await;
    let id = inbox["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, draft) = post(&app, &token, &format!("{base}/drafts"), json!({"from": 1})).await;
    assert_eq!(status, 201, "{draft}");
    let d = draft["id"].as_str().unwrap();
    let before = draft["revision"].as_i64().unwrap();
    let example = format!("{base}/inbox/{id}/example");
    let (status, _) = post(&app, &token, &example, json!({"draft": "no-such-draft"})).await;
    assert_eq!(status, 404);
    let (status, added) = post(&app, &token, &example, json!({"draft": d})).await;
    assert_eq!(status, 200, "{added}");
    assert_eq!(added["applied"], true, "{added}");
    assert_eq!(added["revision"], before + 1);
    let (_, now) = get(&app, &token, &format!("{base}/drafts/{d}")).await;
    let file = |v: &Value| {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().contains("sync-vs-async"))
            .unwrap()["text"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (old, new) = (file(&draft), file(&now));
    let added_lines: Vec<&str> = new
        .lines()
        .filter(|l| !old.lines().any(|o| o == *l))
        .collect();
    assert_eq!(added_lines.len(), 1, "{added_lines:?}");
    assert!(added_lines[0].contains(BO[2]), "{added_lines:?}");
    let (_, inbox) = get(&app, &token, &format!("{base}/inbox")).await;
    assert_eq!(
        inbox["items"],
        json!([]),
        "an item added as an example leaves the inbox"
    );
    drop(bo);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn sqlite_an_answer_added_as_example_goes_into_the_draft() {
    let fresh = db::FreshDb::new(db::Backend::Sqlite).await;
    an_answer_added_as_example_goes_into_the_draft(&fresh.url).await;
}

#[tokio::test]
async fn postgres_an_answer_added_as_example_goes_into_the_draft() {
    let fresh = db::FreshDb::new(db::Backend::Postgres).await;
    an_answer_added_as_example_goes_into_the_draft(&fresh.url).await;
    fresh.finish().await;
}
