//! The fake server's wire format and failure modes, checked with a plain HTTP client.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Duration;

use futures_util::StreamExt;
use klover_fake_llm::{Failure, FakeLlm, Outcome, Reply};
use serde_json::{Value, json};

fn body(stream: bool) -> Value {
    json!({"model": "m", "stream": stream, "messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hello"}
    ]})
}

async fn post(fake: &FakeLlm, stream: bool) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/chat/completions", fake.base_url()))
        .bearer_auth("sk-test")
        .json(&body(stream))
        .send()
        .await
        .expect("send")
}

fn data_lines(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter(|s| !s.is_empty())
        .map(|s| s.strip_prefix("data: ").expect("data prefix").to_string())
        .collect()
}

#[tokio::test]
async fn a_stream_sends_role_content_final_chunk_with_usage_then_done() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::chunks(["Solid ", "foundation."]).usage(7, 2));
    let resp = post(&fake, true).await;
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let lines = data_lines(&resp.text().await.expect("text"));
    assert_eq!(lines.len(), 5, "{lines:?}");
    let chunks: Vec<Value> = lines[..4]
        .iter()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(chunks[1]["choices"][0]["delta"]["content"], "Solid ");
    assert_eq!(chunks[2]["choices"][0]["delta"]["content"], "foundation.");
    assert_eq!(chunks[3]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[3]["usage"]["total_tokens"], 9);
    assert_eq!(chunks[1]["object"], "chat.completion.chunk");
    assert_eq!(lines[4], "[DONE]");
    let reqs = fake.wait_until(|r| r[0].outcome == Outcome::Finished).await;
    assert_eq!(reqs[0].authorization.as_deref(), Some("Bearer sk-test"));
    assert_eq!(reqs[0].messages()[1], ("user".into(), "hello".into()));
    assert!(reqs[0].is_stream());
}

#[tokio::test]
async fn a_non_stream_request_gets_one_completion_object() {
    let fake = FakeLlm::start().await;
    fake.set_responder(|req| Reply::text(&format!("{} messages", req.messages().len())));
    let v: Value = post(&fake, false).await.json().await.expect("json");
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["content"], "2 messages");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn rate_limit_sends_429_with_retry_after_and_an_error_object() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::rate_limited(3));
    let resp = post(&fake, true).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "3");
    let v: Value = resp.json().await.expect("json");
    assert_eq!(v["error"]["type"], "rate_limit_error");
}

#[tokio::test]
async fn nothing_scripted_answers_500() {
    let fake = FakeLlm::start().await;
    assert_eq!(post(&fake, false).await.status(), 500);
}

#[tokio::test]
async fn mid_stream_error_object_follows_the_chunks_sent() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text("one two").fail(Failure::ErrorAfter(1, "overloaded".into())));
    let lines = data_lines(&post(&fake, true).await.text().await.expect("text"));
    assert_eq!(lines.len(), 3);
    assert!(lines[2].contains("\"error\"") && lines[2].contains("overloaded"));
}

#[tokio::test]
async fn malformed_chunk_is_not_json() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text("one two").fail(Failure::MalformedAfter(2)));
    let lines = data_lines(&post(&fake, true).await.text().await.expect("text"));
    assert_eq!(lines.len(), 4);
    assert!(serde_json::from_str::<Value>(&lines[3]).is_err());
}

#[tokio::test]
async fn close_without_done_breaks_the_body() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text("one two").fail(Failure::CloseAfter(1)));
    let resp = post(&fake, true).await;
    let mut stream = resp.bytes_stream();
    let mut got = String::new();
    let mut failed = false;
    while let Some(item) = stream.next().await {
        match item {
            Ok(b) => got.push_str(&String::from_utf8_lossy(&b)),
            Err(_) => failed = true,
        }
    }
    assert!(failed, "the body must end in an error, got {got:?}");
    assert!(got.contains("one ") && !got.contains("[DONE]"));
}

#[tokio::test]
async fn dropping_a_hanging_stream_is_observed_as_a_client_close() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text("one two three").fail(Failure::HangAfter(1)));
    let resp = post(&fake, true).await;
    let mut stream = resp.bytes_stream();
    let first = stream.next().await.expect("a chunk").expect("ok");
    assert!(String::from_utf8_lossy(&first).contains("assistant"));
    drop(stream);
    tokio::time::timeout(Duration::from_secs(10), fake.wait_disconnect(0))
        .await
        .expect("the server observes the close");
}

#[tokio::test]
async fn dropping_a_request_hanging_before_headers_is_observed() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text("x").fail(Failure::HangBeforeHeaders));
    let client = reqwest::Client::new();
    let url = format!("{}/chat/completions", fake.base_url());
    let req = tokio::spawn(async move { client.post(url).json(&body(true)).send().await });
    fake.wait_requests(1).await;
    req.abort();
    tokio::time::timeout(Duration::from_secs(10), fake.wait_disconnect(0))
        .await
        .expect("the server observes the close");
}

#[tokio::test]
async fn models_lists_one_model() {
    let fake = FakeLlm::start().await;
    let v: Value = reqwest::get(format!("{}/models", fake.base_url()))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(v["data"][0]["id"], "fake-model");
}

#[tokio::test]
async fn chunks_are_logged_only_when_asked_with_request_position_and_text() {
    let fake = FakeLlm::start().await;
    fake.set_responder(|_| Reply::chunks(["Solid ", "foundation."]));
    let _ = post(&fake, true).await.text().await.expect("text");
    assert!(fake.sent_chunks().is_empty(), "off by default");

    fake.log_chunks();
    let resp = post(&fake, true).await;
    let mut stream = resp.bytes_stream();
    let mut got = String::new();
    let mut first_content_seen = None;
    while let Some(b) = stream.next().await {
        got.push_str(&String::from_utf8_lossy(&b.expect("ok")));
        if first_content_seen.is_none() && got.contains("Solid ") {
            first_content_seen = Some(std::time::Instant::now());
        }
    }
    let _ = post(&fake, false).await.text().await.expect("text");
    let sent = fake.sent_chunks();
    let seen: Vec<(usize, usize, &str)> = sent
        .iter()
        .map(|c| (c.request, c.index, c.text.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![(1, 0, "Solid "), (1, 1, "foundation.")],
        "the streamed request's content chunks only, not the role chunk nor a whole reply"
    );
    assert!(sent[0].at <= sent[1].at);
    assert!(
        sent[0].at <= first_content_seen.expect("the client read the chunk"),
        "logged before the client could read it"
    );
}
