//! A long session (250 exchanges, 500 turns): the voice's prompt is built from a bounded
//! window of the latest turns, the system prompt counting and summarising the rest; a
//! resume from the start pages through the whole log in order, and the export holds every
//! turn.

use klover_fake_llm::{FakeLlm, Reply};
use serde_json::json;

use crate::support::{assert_contiguous, session_id};

const EXCHANGES: usize = 250;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_session_prompts_from_its_latest_turns_and_resumes_and_exports_whole() {
    let fake = FakeLlm::start().await;
    super::script(&fake, Reply::chunks(["Tell ", "me ", "more?"]));
    let app = super::llm_app(&fake).await;
    let mut c = app.client().await;
    let opened = c.start("async-python", None).await;
    let id = session_id(&opened);
    for i in 0..EXCHANGES {
        c.turn(&format!(
            "line {i}: the loop runs another task while one waits"
        ))
        .await;
    }
    let sid = klover_store::SessionId::parse(&id).unwrap();
    let turns = app.store.turns(&sid).await.unwrap();
    let with_text = turns.iter().filter(|t| !t.text.is_empty()).count();
    assert!(with_text >= 2 * EXCHANGES, "{with_text} turns");

    // The last reply's prompt: the system message, the aha quotes of the turns left out
    // (if any), then at most 40 turns; the system message counts every turn it leaves out
    // (all but the reply being written).
    let last = fake
        .requests()
        .into_iter()
        .rfind(|r| r.is_stream())
        .unwrap();
    let msgs = last.messages();
    let quoted = msgs
        .iter()
        .filter(|(role, text)| role == "user" && text.starts_with("[Quoted from earlier"))
        .count();
    let shown = msgs.len() - 1 - quoted;
    assert!(shown <= 40, "{shown} turns in the prompt");
    let system = &msgs[0].1;
    let dropped: usize = earlier_block(system)
        .and_then(|b| b.lines().nth(1))
        .and_then(|l| l.strip_suffix(" earlier turn(s) of this conversation are not shown."))
        .unwrap_or_else(|| panic!("no dropped count in {system}"))
        .parse()
        .unwrap();
    assert_eq!(
        dropped + shown,
        with_text - 1,
        "shown and dropped: every turn before the reply"
    );
    assert_eq!(
        msgs.last().unwrap().1,
        format!(
            "line {}: the loop runs another task while one waits",
            EXCHANGES - 1
        )
    );

    // A resume from seq 0 pages through the whole log, in order.
    let head = app.store.head_seq(&sid).await.unwrap();
    assert!(
        head > 3 * 256,
        "the log spans several resume pages: {head} events"
    );
    let mut r = app.client().await;
    r.send(json!({"type": "resume", "session_id": id, "last_seq": 0}))
        .await;
    let replayed = r.until("resumed").await;
    let seqs: Vec<u64> = replayed.iter().filter_map(|e| e["seq"].as_u64()).collect();
    assert_contiguous(&seqs);
    assert_eq!(seqs.len() as i64, head);
    let acks = replayed
        .iter()
        .filter(|e| e["type"] == "learner_ack")
        .count();
    assert_eq!(acks, EXCHANGES);

    // The export holds every learner line, in order.
    let md = reqwest::get(app.http(&format!("/api/sessions/{id}/export")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut from = 0;
    for i in 0..EXCHANGES {
        let line = format!("line {i}: the loop runs");
        let at = md[from..]
            .find(&line)
            .unwrap_or_else(|| panic!("`{line}` missing or out of order in the export"));
        from += at + line.len();
    }
    app.stop().await.unwrap();
}

/// The system message's "Earlier in this conversation" block, if any.
fn earlier_block(system: &str) -> Option<&str> {
    system
        .find("# Earlier in this conversation")
        .map(|at| &system[at..])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_session_s_prompt_summarises_what_its_dropped_turns_settled() {
    let fake = FakeLlm::start().await;
    super::script(&fake, Reply::chunks(["Tell ", "me ", "more?"]));
    let app = super::llm_app(&fake).await;
    let mut c = app.client().await;
    c.start("async-python", None).await;
    // A wrong belief shown and dropped, then the first concept finished.
    let mut lines: Vec<String> = vec![
        "async runs all the tasks at the same time on different cores".into(),
        "async isn't parallel - it's one worker switching between tasks when they're waiting"
            .into(),
    ];
    lines.extend(crate::support::seed_lines().into_iter().take(3));
    // Then enough turns that those fall out of the 40-turn window.
    lines.extend((0..25).map(|i| format!("filler {i}: let me think about that a moment")));
    for line in &lines {
        c.turn(line).await;
    }

    let streams: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.is_stream())
        .collect();
    assert_eq!(
        streams.len(),
        lines.len(),
        "one voice request per learner turn: every speculation was released"
    );
    let msgs = streams.last().unwrap().messages();
    let system = &msgs[0].1;
    let block = earlier_block(system).unwrap_or_else(|| panic!("no summary in {system}"));
    assert!(block.contains("Concepts finished"), "{block}");
    assert!(block.contains("The basics"), "{block}");
    assert!(
        block
            .contains("Async runs several tasks at the same instant, on several cores or threads."),
        "the cleared wrong belief: {block}"
    );
    // The learner's words at the aha moments of those turns: a user message of their own,
    // right after the system message, never in it.
    let aha_words = "something delegating the tasks";
    assert_eq!(msgs[1].0, "user");
    assert!(
        msgs[1].1.starts_with("[Quoted from earlier") && msgs[1].1.contains(aha_words),
        "{:?}",
        msgs[1]
    );
    assert!(!system.contains(aha_words));
    app.stop().await.unwrap();
}
