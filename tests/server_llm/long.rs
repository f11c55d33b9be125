//! A long session (250 exchanges, 500 turns): the voice's prompt is built from a bounded
//! window of the latest turns, the system prompt counting the rest; a resume from the
//! start pages through the whole log in order, and the export holds every turn.

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

    // The last reply's prompt: the system message, then at most 40 turns; the system
    // message counts every turn it leaves out (all but the reply being written).
    let last = fake
        .requests()
        .into_iter()
        .rfind(|r| r.is_stream())
        .unwrap();
    let msgs = last.messages();
    let shown = msgs.len() - 1;
    assert!(shown <= 40, "{shown} turns in the prompt");
    let system = &msgs[0].1;
    let dropped: usize = system
        .split('(')
        .find_map(|p| p.strip_suffix(" earlier turn(s) of the conversation are not shown.)"))
        .or_else(|| {
            system.lines().find_map(|l| {
                l.trim()
                    .strip_prefix('(')?
                    .strip_suffix(" earlier turn(s) of the conversation are not shown.)")
            })
        })
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
