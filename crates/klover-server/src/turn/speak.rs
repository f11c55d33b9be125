//! Speaking authored text as a tutor turn (whole, in one transaction, or streamed delta by
//! delta), and finishing a tutor turn with its `tutor_done`.

use std::sync::Arc;

use klover_domain::policy::TutorPlan;
use klover_store::{TurnRow, TurnStatus};

use super::move_kind;
use super::tail::Tail;
use crate::error::Error;
use crate::live::{LiveSession, ReplySlot};
use crate::protocol::ServerEvent;
use crate::state::AppState;
use crate::voice::{Rendered, cut_status, offline_chunks};

/// Speaks authored text as a tutor turn, followed by `tail`. With no pause between
/// deltas the reply is known in full at once: the turn, its deltas, `tutor_done` and `tail`
/// are stored in one transaction, then sent in seq order. With a pause it is streamed:
/// stored delta by delta (a stop keeps what was sent), then finished, and `tail` is left to
/// the caller. Returns the stored text, how it ended, and whether `tail` was sent.
pub(crate) async fn speak_offline(
    app: &AppState,
    live: &Arc<LiveSession>,
    plan: &TutorPlan,
    text: &str,
    slot: &ReplySlot,
    tail: &Tail,
) -> Result<(String, Rendered, bool), Error> {
    let store = &app.store;
    let pause = std::time::Duration::from_millis(app.settings.offline_delta_delay_ms);
    if pause.is_zero() {
        let (said, rendered) = speak_whole(app, live, plan, text, slot, tail).await?;
        return Ok((said, rendered, true));
    }
    let turn = store.begin_tutor_turn(&live.id).await?;
    for (i, chunk) in offline_chunks(text).into_iter().enumerate() {
        if i > 0 {
            tokio::select! {
                () = slot.cancel.cancelled() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        if slot.cancel.is_cancelled() {
            break;
        }
        live.emit_delta(store, &turn.id, chunk).await?;
    }
    let rendered = Rendered {
        status: cut_status(&slot.cancel),
        usage: None,
    };
    let said = finish(app, live, &turn, plan, rendered).await?;
    Ok((said, rendered, false))
}

/// An offline reply in one transaction with its events (see [`speak_offline`]). A stop
/// before it is stored leaves an empty `partial` turn, as the streamed path does.
async fn speak_whole(
    app: &AppState,
    live: &Arc<LiveSession>,
    plan: &TutorPlan,
    text: &str,
    slot: &ReplySlot,
    tail: &Tail,
) -> Result<(String, Rendered), Error> {
    let rendered = Rendered {
        status: cut_status(&slot.cancel),
        usage: None,
    };
    let chunks = match rendered.status {
        TurnStatus::Complete => offline_chunks(text),
        _ => Vec::new(),
    };
    let said = chunks.concat();
    let turn_id = klover_store::TurnId::new();
    let mut events: Vec<ServerEvent> = chunks
        .into_iter()
        .map(|chunk| ServerEvent::TutorDelta {
            turn_id: turn_id.to_string(),
            text: chunk,
        })
        .collect();
    events.push(ServerEvent::TutorDone {
        turn_id: turn_id.to_string(),
        text: said.clone(),
        move_: move_kind(plan),
        status: rendered.status.as_str().to_owned(),
    });
    events.extend(tail.events.iter().cloned());
    let move_json = serde_json::to_string(&plan.primary()).ok();
    let closes = tail.closes.as_ref();
    let row = live
        .emit_whole_reply(
            &app.store,
            &turn_id,
            &said,
            rendered.status,
            move_json.as_deref(),
            &events,
            || {
                if let Some(slot) = closes {
                    app.hub.reply_ended(live, slot);
                }
            },
        )
        .await?;
    Ok((row.text, rendered))
}

/// Stores the end of a tutor turn and emits `tutor_done`; returns the stored text.
pub(crate) async fn finish(
    app: &AppState,
    live: &Arc<LiveSession>,
    turn: &TurnRow,
    plan: &TutorPlan,
    rendered: Rendered,
) -> Result<String, Error> {
    let move_json = serde_json::to_string(&plan.primary()).ok();
    let done = app
        .store
        .finish_tutor_turn(
            &turn.id,
            rendered.status,
            move_json.as_deref(),
            rendered.usage,
        )
        .await?;
    let event = ServerEvent::TutorDone {
        turn_id: done.id.to_string(),
        text: done.text.clone(),
        move_: move_kind(plan),
        status: done.status.as_str().to_owned(),
    };
    live.emit(&app.store, event).await?;
    Ok(done.text)
}
