//! A streamed reply stored in slices (migration 0008): seqs reserved ahead of storing are
//! released when the live reply ends, filled when a crash cut it, and never handed out to
//! another event.

use klover_store::{ReplyEnd, ReplySlice, Reserved, StoreError, TurnStatus};

use crate::common::{TestDb, learner, session};

fn deltas(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|t| format!(r#"{{"d":"{t}"}}"#)).collect()
}

pub async fn a_sliced_reply_stores_its_slices_and_releases_its_reservation(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let asked = store
        .append_learner_turn(&s.id, "c-1", "Why?")
        .await
        .unwrap();
    let h = store.append_event(&s.id, "{}").await.unwrap();
    let (turn, head, reserved) = store
        .begin_sliced_reply(&s.id, &asked.turn.id, 4)
        .await
        .unwrap();
    assert_eq!((head, reserved), (h, h + 4));
    assert_eq!(
        store.head_seq(&s.id).await.unwrap(),
        h + 4,
        "a client may have seen it"
    );
    let first = deltas(&["a", "b"]);
    let slice = ReplySlice {
        first_seq: h + 1,
        payloads: &first,
        text: "ab",
        reserve_through: h + 6,
    };
    store
        .store_reply_slice(&s.id, &turn.id, slice)
        .await
        .unwrap();
    let again = store.store_reply_slice(&s.id, &turn.id, slice).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let last = deltas(&["c"]);
    let end = ReplyEnd {
        status: TurnStatus::Complete,
        move_json: None,
        usage: None,
        last_slice: Some(ReplySlice {
            first_seq: h + 3,
            payloads: &last,
            text: "c",
            reserve_through: h + 3,
        }),
        reserved: Reserved::Release,
    };
    let (row, seqs) = store
        .finish_reply_turn(&s.id, &turn.id, end, |_| "{\"done\":1}".into())
        .await
        .unwrap();
    assert_eq!(row.text, "abc");
    assert_eq!(seqs, vec![h + 4], "the unused reservation is released");
    assert_eq!(store.head_seq(&s.id).await.unwrap(), h + 4);
    let log = store.events_since(&s.id, h).await.unwrap();
    let got: Vec<(i64, &str)> = log.iter().map(|e| (e.seq, e.payload.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (h + 1, r#"{"d":"a"}"#),
            (h + 2, r#"{"d":"b"}"#),
            (h + 3, r#"{"d":"c"}"#),
            (h + 4, r#"{"done":1}"#)
        ]
    );
}

pub async fn a_reply_cut_by_a_crash_fills_the_seqs_it_reserved(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let asked = store
        .append_learner_turn(&s.id, "c-1", "Why?")
        .await
        .unwrap();
    let (turn, h, _) = store
        .begin_sliced_reply(&s.id, &asked.turn.id, 4)
        .await
        .unwrap();
    let first = deltas(&["a"]);
    let slice = ReplySlice {
        first_seq: h + 1,
        payloads: &first,
        text: "a",
        reserve_through: h + 5,
    };
    store
        .store_reply_slice(&s.id, &turn.id, slice)
        .await
        .unwrap();
    // The process dies here; whoever finishes the turn does not know what was sent.
    let end = ReplyEnd {
        status: TurnStatus::Partial,
        move_json: None,
        usage: None,
        last_slice: None,
        reserved: Reserved::Fill("{}"),
    };
    let (row, seqs) = store
        .finish_reply_turn(&s.id, &turn.id, end, |_| "{\"done\":1}".into())
        .await
        .unwrap();
    assert_eq!(row.text, "a", "what the slice stored stands");
    assert_eq!(seqs, (h + 2..=h + 6).collect::<Vec<_>>());
    let log = store.events_since(&s.id, h).await.unwrap();
    let got: Vec<i64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(got, (h + 1..=h + 6).collect::<Vec<_>>(), "no gap");
    assert_eq!(store.append_event(&s.id, "{}").await.unwrap(), h + 7);
}

pub async fn an_event_appended_during_a_reservation_never_reuses_a_reserved_seq(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let asked = store
        .append_learner_turn(&s.id, "c-1", "Why?")
        .await
        .unwrap();
    let (_, h, reserved) = store
        .begin_sliced_reply(&s.id, &asked.turn.id, 3)
        .await
        .unwrap();
    assert_eq!(reserved, h + 3);
    assert_eq!(store.append_event(&s.id, "{}").await.unwrap(), h + 4);
}
