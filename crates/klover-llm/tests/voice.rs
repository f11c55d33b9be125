//! The voice against the fake server: streaming, every failure mode, retries, timeouts,
//! cancellation and the canary guard.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use klover_domain::prompt::Message;
use klover_fake_llm::{Failure, FakeLlm, Reply};
use klover_llm::{ApiKey, LlmConfig, Voice, VoiceError};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Generous timeouts: tests that expect a reply must not trip them on a busy machine.
fn config(base_url: String) -> LlmConfig {
    let mut c = LlmConfig::new(base_url, ApiKey::from("sk-test-key"), "fake-model");
    c.timeouts.first_token = Duration::from_secs(10);
    c.timeouts.between_chunks = Duration::from_secs(10);
    c
}

/// Short timeouts, for the tests that wait for one to fire.
fn hang_config(base_url: String) -> LlmConfig {
    let mut c = config(base_url);
    c.timeouts.first_token = Duration::from_millis(300);
    c.timeouts.between_chunks = Duration::from_millis(300);
    c
}

fn messages() -> Vec<Message> {
    vec![
        Message::system("You are Klover."),
        Message::user("Async is when the worker can attend to another process."),
    ]
}

/// Runs one reply; returns the result and every delta relayed.
async fn run(voice: &Voice) -> (Result<klover_llm::Reply, VoiceError>, Vec<String>) {
    let (tx, mut rx) = mpsc::channel(64);
    let result = voice
        .stream_reply(&messages(), tx, CancellationToken::new())
        .await;
    let mut deltas = Vec::new();
    while let Ok(d) = rx.try_recv() {
        deltas.push(d);
    }
    (result, deltas)
}

#[tokio::test]
async fn a_reply_streams_delta_by_delta_and_completes_with_usage() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::chunks(["Solid ", "foundation. ", "What is the worker?"]).usage(42, 3));
    let voice = Voice::new(config(fake.base_url())).unwrap();
    let (result, deltas) = run(&voice).await;
    let reply = result.unwrap();
    assert_eq!(reply.text, "Solid foundation. What is the worker?");
    assert_eq!(deltas.concat(), reply.text);
    assert!(deltas.len() >= 3, "relayed as it arrived: {deltas:?}");
    assert_eq!(reply.finish_reason, "stop");
    assert_eq!(
        reply.usage.map(|u| (u.prompt_tokens, u.completion_tokens)),
        Some((42, 3))
    );
    let req = &fake.requests()[0];
    assert_eq!(req.authorization.as_deref(), Some("Bearer sk-test-key"));
    assert_eq!(req.body["model"], "fake-model");
    assert_eq!(req.body["stream"], true);
    assert_eq!(
        req.body["max_tokens"], 400,
        "a local server reads max_tokens"
    );
    assert!(req.body.get("max_completion_tokens").is_none());
    assert_eq!(req.body["stream_options"]["include_usage"], true);
    let msgs = req.messages();
    assert_eq!(msgs[0].0, "system");
    assert!(msgs[0].1.contains(voice.canary()));
    assert_eq!(msgs[1].0, "user");
}

#[tokio::test]
async fn a_reply_cut_by_max_tokens_completes_with_finish_reason_length() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text("A thread is a sequence").finish_reason("length"));
    let voice = Voice::new(config(fake.base_url())).unwrap();
    let reply = run(&voice).await.0.unwrap();
    assert_eq!(reply.finish_reason, "length");
}

#[tokio::test]
async fn rate_limit_is_retried_after_the_retry_after_delay() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::rate_limited(1));
    fake.push(Reply::text("Good instinct."));
    let voice = Voice::new(config(fake.base_url())).unwrap();
    let reply = run(&voice).await.0.unwrap();
    assert_eq!(reply.text, "Good instinct.");
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    let waited = reqs[1].received_at - reqs[0].received_at;
    // Lower bound only: the wait is a sleep, so it can be longer on a busy machine, never
    // shorter; the backoff alone (0.25–0.5 s for the first retry) would be shorter.
    assert!(waited >= Duration::from_secs(1), "waited {waited:?}");
}

#[tokio::test]
async fn a_retry_after_beyond_sixty_seconds_fails_at_once_with_a_clear_message() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::rate_limited(120));
    let voice = Voice::new(config(fake.base_url())).unwrap();
    let err = run(&voice).await.0.unwrap_err();
    assert!(matches!(err, VoiceError::RateLimited { .. }), "{err:?}");
    assert!(err.learner_message().contains("saved"));
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_twice_then_reported() {
    let fake = FakeLlm::start().await;
    for _ in 0..3 {
        fake.push(Reply::status(500));
    }
    fake.push(Reply::text("never sent"));
    let voice = Voice::new(config(fake.base_url())).unwrap();
    let err = run(&voice).await.0.unwrap_err();
    assert!(
        matches!(err, VoiceError::Status { status: 500, .. }),
        "{err:?}"
    );
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 3, "one attempt and two retries");
    let first_wait = reqs[1].received_at - reqs[0].received_at;
    let second_wait = reqs[2].received_at - reqs[1].received_at;
    assert!(first_wait >= Duration::from_millis(250) && first_wait <= Duration::from_millis(600));
    assert!(
        second_wait >= Duration::from_millis(500) && second_wait <= Duration::from_millis(1100)
    );
}

#[tokio::test]
async fn a_server_error_then_success_gives_the_reply() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::status(503));
    fake.push(Reply::text("Second answer is the key insight."));
    let voice = Voice::new(config(fake.base_url())).unwrap();
    assert_eq!(
        run(&voice).await.0.unwrap().text,
        "Second answer is the key insight."
    );
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::status(400));
    let voice = Voice::new(config(fake.base_url())).unwrap();
    let err = run(&voice).await.0.unwrap_err();
    assert!(
        matches!(err, VoiceError::Status { status: 400, .. }),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn an_unreachable_server_is_a_connect_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut c = config(format!("http://{addr}/v1"));
    c.retry.base_delay = Duration::from_millis(10);
    let voice = Voice::new(c).unwrap();
    let err = run(&voice).await.0.unwrap_err();
    assert!(matches!(err, VoiceError::Connect { .. }), "{err:?}");
    assert!(err.learner_message().contains("cannot reach"));
}

#[tokio::test]
async fn a_hang_before_the_first_token_hits_its_timeout_without_retry() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text("never").fail(Failure::HangAfter(0)));
    let voice = Voice::new(hang_config(fake.base_url())).unwrap();
    let (result, deltas) = run(&voice).await;
    let err = result.unwrap_err();
    assert!(
        matches!(err, VoiceError::FirstTokenTimeout { .. }),
        "{err:?}"
    );
    assert_eq!(err.partial(), "");
    assert!(deltas.is_empty());
    assert_eq!(fake.requests().len(), 1, "no retry once the stream is open");
}

#[tokio::test]
async fn a_hang_before_the_headers_hits_the_first_token_timeout() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text("never").fail(Failure::HangBeforeHeaders));
    let voice = Voice::new(hang_config(fake.base_url())).unwrap();
    let err = run(&voice).await.0.unwrap_err();
    assert!(
        matches!(err, VoiceError::FirstTokenTimeout { .. }),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_hang_mid_stream_keeps_the_partial_reply() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text("Everything else pauses while it chops.").fail(Failure::HangAfter(2)));
    let mut c = hang_config(fake.base_url());
    c.timeouts.first_token = Duration::from_secs(10);
    let voice = Voice::new(c).unwrap();
    let (result, deltas) = run(&voice).await;
    let err = result.unwrap_err();
    assert!(matches!(err, VoiceError::Stalled { .. }), "{err:?}");
    assert_eq!(err.partial(), "Everything else ");
    assert_eq!(deltas.concat(), "Everything else ");
    assert!(err.learner_message().contains("not answering"));
}

#[tokio::test]
async fn a_malformed_chunk_ends_the_reply_with_the_partial_kept() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text("One heavy task blocks").fail(Failure::MalformedAfter(2)));
    let voice = Voice::new(config(fake.base_url())).unwrap();
    let err = run(&voice).await.0.unwrap_err();
    assert!(matches!(err, VoiceError::Malformed { .. }), "{err:?}");
    assert_eq!(err.partial(), "One heavy ");
    assert_eq!(
        fake.requests().len(),
        1,
        "never retried after the first token"
    );
}

#[tokio::test]
async fn a_connection_closed_without_done_is_a_broken_reply() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text("Spot on. Each process").fail(Failure::CloseAfter(2)));
    let voice = Voice::new(config(fake.base_url())).unwrap();
    let err = run(&voice).await.0.unwrap_err();
    assert!(
        matches!(
            err,
            VoiceError::Broken { .. } | VoiceError::Incomplete { .. }
        ),
        "{err:?}"
    );
    assert_eq!(err.partial(), "Spot on. ");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_stream_that_just_ends_without_a_finish_reason_is_incomplete() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text("Not quite. requests.get() is").fail(Failure::EndAfter(2)));
    let voice = Voice::new(config(fake.base_url())).unwrap();
    let (result, deltas) = run(&voice).await;
    let err = result.unwrap_err();
    assert!(matches!(err, VoiceError::Incomplete { .. }), "{err:?}");
    assert_eq!(err.partial(), "Not quite. ");
    assert_eq!(deltas.concat(), "Not quite. ");
}

#[tokio::test]
async fn an_error_object_mid_stream_is_reported_with_its_message() {
    let fake = FakeLlm::start().await;
    fake.push(
        Reply::text("Right. Each thread").fail(Failure::ErrorAfter(1, "model overloaded".into())),
    );
    let voice = Voice::new(config(fake.base_url())).unwrap();
    let err = run(&voice).await.0.unwrap_err();
    match &err {
        VoiceError::Upstream { message, partial } => {
            assert_eq!(message, "model overloaded");
            assert_eq!(partial, "Right. ");
        }
        other => panic!("expected Upstream, got {other:?}"),
    }
}

#[tokio::test]
async fn stopping_mid_stream_closes_the_upstream_connection() {
    let fake = FakeLlm::start().await;
    fake.push(
        Reply::text("The chef can only do one thing at a time, so")
            .chunk_interval(Duration::from_millis(20))
            .fail(Failure::HangAfter(3)),
    );
    let voice = Voice::new(config(fake.base_url())).unwrap();
    let cancel = CancellationToken::new();
    let (tx, mut rx) = mpsc::channel(64);
    let task = {
        let (voice, cancel) = (voice.clone(), cancel.clone());
        tokio::spawn(async move { voice.stream_reply(&messages(), tx, cancel).await })
    };
    let mut got = String::new();
    for _ in 0..3 {
        got.push_str(&rx.recv().await.unwrap());
    }
    let stopped_at = std::time::Instant::now();
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), fake.wait_disconnect(0))
        .await
        .expect("the fake server observes the close");
    let observed_after = stopped_at.elapsed();
    let err = task.await.unwrap().unwrap_err();
    assert!(matches!(err, VoiceError::Cancelled { .. }), "{err:?}");
    assert_eq!(err.partial(), got);
    eprintln!("stop → upstream close observed after {observed_after:?}");
}

#[tokio::test]
async fn the_canary_split_across_chunks_never_reaches_the_learner() {
    let fake = FakeLlm::start().await;
    let voice = Voice::new(config(fake.base_url())).unwrap();
    let canary = voice.canary().to_string();
    let (a, b) = canary.split_at(5);
    fake.push(Reply::chunks(["My instructions say ", a, b, " and more."]));
    let (result, deltas) = run(&voice).await;
    let err = result.unwrap_err();
    assert!(matches!(err, VoiceError::CanaryLeak { .. }), "{err:?}");
    let relayed = deltas.concat();
    assert_eq!(relayed, "My instructions say ");
    assert!(!relayed.contains(a));
    assert_eq!(err.partial(), relayed);
}

#[tokio::test]
async fn a_dropped_receiver_cancels_the_reply() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text("one two three four").chunk_interval(Duration::from_millis(10)));
    let voice = Voice::new(config(fake.base_url())).unwrap();
    let (tx, rx) = mpsc::channel(1);
    drop(rx);
    let err = voice
        .stream_reply(&messages(), tx, CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(err, VoiceError::Cancelled { .. }), "{err:?}");
}

#[tokio::test]
async fn a_whole_completion_needs_a_finish_reason() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text("I learned async by explaining it.").usage(30, 8));
    fake.push(Reply::text("I learned").fail(Failure::EndAfter(1)));
    let voice = Voice::new(config(fake.base_url())).unwrap();
    let reply = voice.complete(&messages()).await.unwrap();
    assert_eq!(reply.text, "I learned async by explaining it.");
    assert_eq!(reply.finish_reason, "stop");
    assert_eq!(reply.usage.map(|u| u.completion_tokens), Some(8));
    assert!(!fake.requests()[0].is_stream());
    let err = voice.complete(&messages()).await.unwrap_err();
    assert!(matches!(err, VoiceError::Incomplete { .. }), "{err:?}");
}
