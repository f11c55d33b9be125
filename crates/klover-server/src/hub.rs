//! The sessions in memory, by id: a session stays while a socket is attached to it or a
//! reply is running for it, and leaves when neither holds it.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use klover_store::SessionId;

use crate::live::{LiveSession, ReplySlot};

/// The sessions in memory, by id.
#[derive(Debug, Default)]
pub struct Hub {
    sessions: Mutex<HashMap<SessionId, Arc<LiveSession>>>,
}

impl Hub {
    /// The session if it is in memory.
    pub fn get(&self, id: &SessionId) -> Option<Arc<LiveSession>> {
        self.lock().get(id).cloned()
    }

    /// Attaches a socket to `live`, keeping the copy already in memory if a concurrent
    /// caller loaded the same session first.
    pub fn attach(&self, live: Arc<LiveSession>) -> Arc<LiveSession> {
        let mut map = self.lock();
        let live = map.entry(live.id.clone()).or_insert(live).clone();
        live.attached.fetch_add(1, Ordering::SeqCst);
        live
    }

    /// Puts `live` in memory with no socket attached (a reply to finish), keeping the copy
    /// already there if any.
    pub fn insert_detached(&self, live: Arc<LiveSession>) -> Arc<LiveSession> {
        self.lock().entry(live.id.clone()).or_insert(live).clone()
    }

    /// Lets `live` leave memory if no socket and no reply holds it.
    pub fn forget_if_idle(&self, live: &Arc<LiveSession>) {
        let mut map = self.lock();
        if live.attached.load(Ordering::SeqCst) == 0 && !live.replying() {
            map.remove(&live.id);
        }
    }

    /// Detaches a socket; the session leaves memory when nothing holds it.
    pub fn detach(&self, live: &Arc<LiveSession>) {
        let mut map = self.lock();
        let left = live
            .attached
            .fetch_sub(1, Ordering::SeqCst)
            .saturating_sub(1);
        if left == 0 && !live.replying() {
            map.remove(&live.id);
        }
    }

    /// Called when a reply ends: the session leaves memory if no socket is attached.
    pub fn reply_ended(&self, live: &Arc<LiveSession>, reply: &ReplySlot) {
        let mut map = self.lock();
        live.end_reply(reply);
        if live.attached.load(Ordering::SeqCst) == 0 && !live.replying() {
            map.remove(&live.id);
        }
    }

    /// Cancels every running reply (shutdown).
    pub fn stop_all(&self) {
        for live in self.lock().values() {
            live.stop_reply();
        }
    }

    /// Every session in memory now.
    pub fn all(&self) -> Vec<Arc<LiveSession>> {
        self.lock().values().cloned().collect()
    }

    /// How many sessions are in memory.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no session is in memory.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, Arc<LiveSession>>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}
