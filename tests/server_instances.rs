//! Several instances on one database: a starting instance keeps as partial only the
//! replies a crash left behind, never a reply another instance is streaming right now.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use klover_domain::{ConceptId, CurriculumId};
use klover_server::{AppState, Catalog, TutorVoice};
use klover_store::{Mode, NewSession, SessionKind, Store, TurnStatus};
use support::spawn_app;

#[tokio::test]
async fn a_second_instance_starting_does_not_cut_a_reply_the_first_is_streaming() {
    let first = spawn_app().await;
    let learner = first.store.create_learner("ada").await.unwrap();
    let session = first
        .store
        .create_session(&NewSession {
            learner: learner.id.clone(),
            curriculum: CurriculumId::parse("async-python").unwrap(),
            curriculum_version: "1".into(),
            concept: ConceptId::parse("sync-vs-async").unwrap(),
            mode: Mode::Offline,
            kind: SessionKind::Learn,
        })
        .await
        .unwrap();
    // The first instance is in the middle of a reply.
    let turn = first.store.begin_tutor_turn(&session.id).await.unwrap();
    first
        .store
        .append_tutor_text(&turn.id, "Good instinct — ")
        .await
        .unwrap();

    // A second instance starts on the same database (as behind a load balancer).
    let settings = first.state.settings.clone();
    let store = Store::connect(&settings.database_url).await.unwrap();
    let catalog = Catalog::load(&settings.curriculum_dir).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let second = AppState::new(settings, store.clone(), catalog, TutorVoice::Offline);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(klover_server::run(listener, second, async move {
        let _ = stopped.await;
    }));
    let ready = reqwest::get(format!("http://{addr}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200, "the second instance is up");

    let turns = store.turns(&session.id).await.unwrap();
    assert_eq!(
        turns[0].status,
        TurnStatus::Streaming,
        "not cut by the start"
    );
    // The first instance carries on and finishes its reply.
    first
        .store
        .append_tutor_text(&turn.id, "there IS something.")
        .await
        .unwrap();
    let done = first
        .store
        .finish_tutor_turn(&turn.id, TurnStatus::Complete, None, None)
        .await
        .unwrap();
    assert_eq!(done.text, "Good instinct — there IS something.");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    first.stop().await.unwrap();
}
