//! The learner-scoped JSON API the web client builds on: `GET /api/curricula` with the
//! caller's mastery per concept, `GET /api/review/due`, and the HTTP export's footer naming
//! the next review from the learner's cards.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use klover_domain::{CheckpointId, CurriculumId};
use klover_store::{CardSource, LearnerId, ReviewCard};
use serde_json::{Value, json};
use support::{TestApp, session_id, spawn_app, spawn_app_with, test_settings};

const CURRICULUM: &str = "async-python";
const FIRST: &str = "sync-vs-async";

async fn get_json(app: &TestApp, path: &str, token: Option<&str>) -> Value {
    let mut req = reqwest::Client::new().get(app.http(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

fn concept<'a>(list: &'a Value, id: &str) -> &'a Value {
    list[0]["concepts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

async fn local(app: &TestApp) -> LearnerId {
    match app.store.find_learner_by_name("local").await.unwrap() {
        Some(l) => l.id,
        None => app.store.create_learner("local").await.unwrap().id,
    }
}

async fn card(app: &TestApp, learner: &LearnerId, checkpoint: &str, due_at: DateTime<Utc>) {
    app.store
        .upsert_review_card(&ReviewCard {
            learner: learner.clone(),
            curriculum: CurriculumId::parse(CURRICULUM).unwrap(),
            checkpoint: CheckpointId::parse(checkpoint).unwrap(),
            memory: None,
            due_at,
            last_review_at: None,
            reps: 0,
            lapses: 0,
            source: CardSource::Aha,
            suspended: false,
        })
        .await
        .unwrap();
}

/// Learns the first concept with the seed's opening lines; returns the session id.
async fn learn_first_concept(app: &TestApp) -> String {
    let mut ws = app.client().await;
    let opening = ws.start(CURRICULUM, None).await;
    for line in support::seed_lines().into_iter().take(3) {
        ws.turn(&line).await;
    }
    session_id(&opening)
}

#[tokio::test]
async fn a_new_learner_has_no_mastery_and_nothing_due() {
    let app = spawn_app().await;
    let list = get_json(&app, "/api/curricula", None).await;
    for c in list[0]["concepts"].as_array().unwrap() {
        assert_eq!(c["mastery"], 0.0, "{c}");
        assert_eq!(c["mastered"], false, "{c}");
    }
    let due = get_json(&app, "/api/review/due", None).await;
    assert_eq!(due, json!({"count": 0, "due": [], "next_due_at": null}));
    app.stop().await.unwrap();
}

#[tokio::test]
async fn mastery_and_due_cards_follow_what_the_learner_did() {
    let app = spawn_app().await;
    learn_first_concept(&app).await;
    let learner = local(&app).await;

    let list = get_json(&app, "/api/curricula", None).await;
    let first = concept(&list, FIRST);
    let mastery = first["mastery"].as_f64().unwrap();
    assert!(mastery > 0.5 && mastery <= 1.0, "{first}");
    let model = app
        .store
        .learner_model(&learner, &CurriculumId::parse(CURRICULUM).unwrap())
        .await
        .unwrap();
    let all_mastered = first["checkpoints"].as_u64().unwrap() as usize
        == model.mastery.iter().filter(|m| m.mastery >= 0.95).count();
    assert_eq!(first["mastered"], all_mastered, "{first} {model:?}");
    assert_eq!(first["mastered"], true, "{first} {model:?}");
    assert_eq!(concept(&list, "event-loop")["mastery"], 0.0, "untouched");
    assert!(
        !list.to_string().contains("statement"),
        "no checkpoint texts"
    );

    // Finishing the concept made cards, none due yet: the next one is announced.
    let due = get_json(&app, "/api/review/due", None).await;
    assert_eq!(due["count"], 0, "{due}");
    let cards = app.store.review_cards(&learner).await.unwrap();
    assert!(!cards.is_empty(), "finishing a concept makes review cards");
    let next = DateTime::parse_from_rfc3339(due["next_due_at"].as_str().unwrap()).unwrap();
    assert_eq!(next.timestamp_millis(), cards[0].due_at.timestamp_millis());

    // A card due an hour ago is listed with its concept, never its statement.
    let at = Utc::now() - Duration::hours(1);
    card(&app, &learner, "cpu-task-blocks-loop", at).await;
    let due = get_json(&app, "/api/review/due", None).await;
    assert_eq!(due["count"], 1, "{due}");
    let entry = &due["due"][0];
    assert_eq!(
        entry,
        &json!({
            "curriculum": CURRICULUM,
            "concept": "event-loop",
            "concept_title": entry["concept_title"],
            "checkpoint": "cpu-task-blocks-loop",
            "due_at": entry["due_at"],
        })
    );
    assert!(!entry["concept_title"].as_str().unwrap().is_empty());
    let listed = DateTime::parse_from_rfc3339(entry["due_at"].as_str().unwrap()).unwrap();
    assert_eq!(listed.timestamp_millis(), at.timestamp_millis());
    assert_eq!(due["next_due_at"], json!(next.to_rfc3339()));
    let curr = app.state.catalog.get(CURRICULUM).unwrap();
    let (_, cp) = curr
        .checkpoint(&CheckpointId::parse("cpu-task-blocks-loop").unwrap())
        .unwrap();
    assert!(
        !due.to_string().contains(&cp.statement),
        "no statement text"
    );

    let other = get_json(&app, "/api/review/due?curriculum=nope", None).await;
    assert_eq!(other, json!({"count": 0, "due": [], "next_due_at": null}));
    let same = get_json(
        &app,
        &format!("/api/review/due?curriculum={CURRICULUM}"),
        None,
    )
    .await;
    assert_eq!(same["count"], 1);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn mastery_and_due_cards_are_the_callers_own() {
    let mut settings = test_settings();
    settings.auth = true;
    let app = spawn_app_with(settings, klover_server::TutorVoice::Offline).await;
    let ada = app.token_for("ada").await;
    let bob = app.token_for("bob").await;
    let ada_id = app
        .store
        .find_learner_by_name("ada")
        .await
        .unwrap()
        .unwrap()
        .id;
    card(
        &app,
        &ada_id,
        "cpu-task-blocks-loop",
        Utc::now() - Duration::hours(1),
    )
    .await;
    let mut ws = support::WsClient::connect(&format!("{}?token={ada}", app.ws_url()))
        .await
        .unwrap();
    ws.start(CURRICULUM, None).await;
    ws.turn(&support::seed_lines()[0]).await;

    let theirs = get_json(&app, "/api/curricula", Some(&ada)).await;
    assert!(concept(&theirs, FIRST)["mastery"].as_f64().unwrap() > 0.0);
    assert_eq!(
        get_json(&app, "/api/review/due", Some(&ada)).await["count"],
        1
    );

    let mine = get_json(&app, "/api/curricula", Some(&bob)).await;
    assert_eq!(concept(&mine, FIRST)["mastery"], 0.0);
    let due = get_json(&app, "/api/review/due", Some(&bob)).await;
    assert_eq!(due, json!({"count": 0, "due": [], "next_due_at": null}));
    let anonymous = reqwest::get(app.http("/api/review/due")).await.unwrap();
    assert_eq!(anonymous.status(), 401);
    app.stop().await.unwrap();
}

/// The seed's footer wording for a review `days` after the session.
fn footer_for(session: NaiveDate, next: NaiveDate) -> String {
    match (next - session).num_days() {
        ..=0 => "Review due now.".to_owned(),
        1 => "Review scheduled for tomorrow.".to_owned(),
        d @ 2..=6 => format!("Review scheduled in {d} days."),
        _ => format!("Review scheduled for {}.", next.format("%b %-d, %Y")),
    }
}

#[tokio::test]
async fn an_http_export_after_learning_names_the_next_review() {
    let app = spawn_app().await;
    let id = learn_first_concept(&app).await;
    let learner = local(&app).await;
    let cards = app.store.review_cards(&learner).await.unwrap();
    let next = cards
        .iter()
        .map(|c| c.due_at)
        .min()
        .expect("cards")
        .date_naive();
    let md = reqwest::get(app.http(&format!("/api/sessions/{id}/export")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!md.contains("No review scheduled yet"), "{md}");
    let expected = footer_for(Utc::now().date_naive(), next);
    assert!(expected.starts_with("Review scheduled"), "{expected}");
    assert!(md.contains(&expected), "expected `{expected}` in:\n{md}");
    app.stop().await.unwrap();
}

async fn export(app: &TestApp, id: &str, query: &str) -> (u16, String) {
    let resp = reqwest::get(app.http(&format!("/api/sessions/{id}/export?{query}")))
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn an_http_export_takes_front_matter_title_author_and_turns_to_omit() {
    let app = spawn_app().await;
    let id = learn_first_concept(&app).await;
    let learner = local(&app).await;
    let sid = klover_store::SessionId::parse(&id).unwrap();
    let stored = app.store.load_transcript_for(&learner, &sid).await.unwrap();
    let first_learner = stored
        .turns
        .iter()
        .find(|t| t.turn.role == klover_store::TurnRole::Learner)
        .unwrap();
    let omitted_text = first_learner.turn.text.clone();
    let query = format!(
        "front_matter=hugo&title=My%20event%20loop&author=Ada&omit={}",
        first_learner.turn.id
    );
    let (status, md) = export(&app, &id, &query).await;
    assert_eq!(status, 200, "{md}");
    assert!(md.starts_with("+++\ntitle = \"My event loop\"\n"), "{md}");
    assert!(md.contains("author = \"Ada\""), "{md}");
    assert!(
        !md.contains(&omitted_text),
        "the omitted turn is left out:\n{md}"
    );
    assert!(md.contains("**Me:** "), "the other turns stay:\n{md}");

    let (status, body) = export(&app, &id, "format=html&front_matter=devto").await;
    assert_eq!(status, 400);
    assert!(body.contains("front matter is for Markdown"), "{body}");
    let (status, body) = export(&app, &id, "omit=not-a-turn").await;
    assert_eq!(status, 400);
    assert!(body.contains("no turn `not-a-turn`"), "{body}");
    let (status, body) = export(&app, &id, "front_matter=medium").await;
    assert_eq!(status, 400);
    assert!(body.contains("devto, hugo, jekyll or none"), "{body}");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn the_export_opens_a_new_concepts_section_with_its_opening_question() {
    let app = spawn_app().await;
    let id = learn_first_concept(&app).await;
    let (_, md) = export(&app, &id, "").await;
    let curriculum = klover_server::builtin::reference_curriculum().unwrap();
    let sections: Vec<&str> = md.split("\n## ").skip(1).collect();
    assert!(sections.len() >= 2, "the first concept was finished:\n{md}");
    let title = sections[1].lines().next().unwrap();
    let next = curriculum
        .concepts
        .iter()
        .find(|c| c.title == title)
        .unwrap();
    let first = sections[1].lines().skip(1).find(|l| !l.trim().is_empty());
    let question = next.opening_question.lines().next().unwrap();
    assert_eq!(
        first,
        Some(format!("**Klover:** {question}").as_str()),
        "the new section opens with the new concept's question:\n{md}"
    );
    assert!(
        !sections[0].contains(question),
        "the question is not left under the old heading:\n{md}"
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn the_export_footer_says_hours_for_a_review_due_later_today_on_a_visited_concept() {
    let app = spawn_app().await;
    let id = learn_first_concept(&app).await;
    let learner = local(&app).await;
    let curriculum = klover_server::builtin::reference_curriculum().unwrap();
    let visited = curriculum
        .concept(&klover_domain::ConceptId::parse(FIRST).unwrap())
        .unwrap();
    let now = Utc::now();
    card(
        &app,
        &learner,
        visited.checkpoints[0].id.as_str(),
        now + Duration::hours(5),
    )
    .await;
    // A card on a concept this session never reached does not speak for it.
    card(
        &app,
        &learner,
        "cpu-task-blocks-loop",
        now + Duration::minutes(30),
    )
    .await;
    let (_, md) = export(&app, &id, "").await;
    let later = now + Duration::hours(5);
    let expected = if later.date_naive() == now.date_naive() {
        "Review scheduled in 5 hours."
    } else {
        "Review scheduled for tomorrow."
    };
    assert!(md.contains(expected), "expected `{expected}` in:\n{md}");
    assert!(!md.contains("Review due now."), "{md}");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn review_stats_give_retention_and_a_thirty_day_forecast() {
    let app = spawn_app().await;
    let learner = local(&app).await;
    let now = Utc::now();
    card(
        &app,
        &learner,
        "cpu-task-blocks-loop",
        now - Duration::hours(1),
    )
    .await;
    card(
        &app,
        &learner,
        "loop-runs-one-task",
        now + Duration::days(3),
    )
    .await;
    card(&app, &learner, "gil-one-thread", now + Duration::days(45)).await;
    let stats = get_json(&app, "/api/review/stats", None).await;
    assert_eq!(stats["cards"], 3);
    assert_eq!(stats["reviews"], 0);
    assert_eq!(stats["passed"], Value::Null, "no review yet");
    let forecast: Vec<u64> = stats["forecast"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert_eq!(forecast.len(), 30);
    assert_eq!(forecast[0], 1, "the overdue card is today's");
    assert_eq!(forecast[3], 1);
    assert_eq!(
        forecast.iter().sum::<u64>(),
        2,
        "45 days out is beyond the forecast"
    );
    app.stop().await.unwrap();
}

async fn card_action(
    app: &TestApp,
    checkpoint: &str,
    action: &str,
    origin: Option<&str>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(app.http(&format!(
        "/api/review/cards/{CURRICULUM}/{checkpoint}/{action}"
    )));
    if let Some(o) = origin {
        req = req.header("Origin", o);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_card_list_names_each_card_and_suspend_unsuspend_and_reset_change_it() {
    let app = spawn_app().await;
    let learner = local(&app).await;
    let now = Utc::now();
    card(
        &app,
        &learner,
        "cpu-task-blocks-loop",
        now - Duration::hours(1),
    )
    .await;
    card(
        &app,
        &learner,
        "loop-single-threaded",
        now + Duration::days(3),
    )
    .await;
    let list = get_json(&app, "/api/review/cards", None).await;
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0]["checkpoint"], "cpu-task-blocks-loop",
        "soonest first"
    );
    assert_eq!(rows[0]["title"], "A CPU-bound task blocks the whole loop");
    assert_eq!(rows[0]["concept_title"], "The event loop");
    assert_eq!(
        (&rows[0]["state"], &rows[0]["due"]),
        (&json!("new"), &json!(true))
    );
    assert_eq!(rows[1]["due"], false);

    let (status, suspended) = card_action(&app, "cpu-task-blocks-loop", "suspend", None).await;
    assert_eq!(status, 200, "{suspended}");
    assert_eq!(
        (&suspended["state"], &suspended["due"]),
        (&json!("suspended"), &json!(false))
    );
    let due = get_json(&app, "/api/review/due", None).await;
    assert_eq!(due["count"], 0, "a suspended card is never due: {due}");
    let stats = get_json(&app, "/api/review/stats", None).await;
    assert_eq!(stats["suspended"], 1);
    assert_eq!(stats["forecast"][0], 0, "nor in the forecast: {stats}");
    let list = get_json(&app, "/api/review/cards", None).await;
    assert_eq!(
        list[1]["checkpoint"], "cpu-task-blocks-loop",
        "suspended ones last"
    );

    let (status, back) = card_action(&app, "cpu-task-blocks-loop", "unsuspend", None).await;
    assert_eq!((status, &back["due"]), (200, &json!(true)));
    assert_eq!(get_json(&app, "/api/review/due", None).await["count"], 1);

    // A reviewed card, reset: new again and due now.
    let mut reviewed = app.store.review_cards(&learner).await.unwrap()[1].clone();
    assert_eq!(reviewed.checkpoint.as_str(), "loop-single-threaded");
    reviewed.reps = 3;
    reviewed.last_review_at = Some(now - Duration::days(1));
    reviewed.memory = Some(klover_store::CardMemory {
        stability: 4.0,
        difficulty: 5.0,
    });
    app.store.upsert_review_card(&reviewed).await.unwrap();
    let (status, reset) = card_action(&app, "loop-single-threaded", "reset", None).await;
    assert_eq!(status, 200, "{reset}");
    assert_eq!(
        (&reset["state"], &reset["reps"], &reset["due"]),
        (&json!("new"), &json!(0), &json!(true))
    );

    let (status, _) = card_action(&app, "no-such-card", "suspend", None).await;
    assert_eq!(status, 404);
    let (status, _) = card_action(&app, "loop-single-threaded", "explode", None).await;
    assert_eq!(status, 404);
    let (status, _) = card_action(
        &app,
        "loop-single-threaded",
        "suspend",
        Some("http://evil.example"),
    )
    .await;
    assert_eq!(status, 403, "a foreign page may not change the cards");
    app.stop().await.unwrap();
}
