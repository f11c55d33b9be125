// The learner's side of the websocket protocol (docs/protocol.md): starts or resumes a
// session, sends messages (idempotent `client_id`, kept in an outbox until acknowledged),
// applies server events in `seq` order exactly once, and keeps the tab's copy of the
// transcript in sessionStorage so a reload shows it at once and resumes where it was.

import { tabStore } from './storage.js';

const ROLE = { user: 'learner', learner: 'learner', me: 'learner', assistant: 'tutor', tutor: 'tutor', klover: 'tutor' };
const FINISHED = new Set(['complete', 'partial', 'failed']);

export class Session {
  /** `send(frame)` → bool; `view` gets callbacks (see main.js). */
  constructor({ send, view }) {
    this.send = send;
    this.view = view;
    const saved = tabStore.session();
    this.id = saved?.sessionId ?? null;
    this.curriculum = saved?.curriculum ?? null;
    this.concept = saved?.concept ?? null;
    this.mode = saved?.mode ?? 'learn';
    // The session is over (`session_ended`, or `resumed.ended`): no message is answered.
    this.ended = Boolean(this.id && saved?.ended);
    // How the session ended (`review_complete` or `curriculum_complete`), for the note.
    this.ending = this.id ? (saved?.ending ?? null) : null;
    this.turns = this.id ? tabStore.turns() : [];
    this.lastSeq = this.id && this.turns.length ? Number(saved?.lastSeq ?? 0) : 0;
    this.outbox = this.id ? tabStore.outbox() : [];
    this.ahas = this.id ? tabStore.ahas() : [];
    // The latest `progress` of each concept met in this session, in order (the last one
    // is the current concept); kept so a reload shows it before any new event.
    this.progressLog = this.id ? tabStore.progress() : [];
    this.waiting = this.outbox.length > 0;
    this.pendingStart = null;
  }

  /** True while the tutor is replying (or about to): the stop button shows. */
  get busy() {
    return this.waiting || this.turns.some((t) => t.status === 'streaming');
  }

  /** Sent after every (re)connect: hello, then resume or the start asked for while away. */
  onOpen(token) {
    this.send({ type: 'hello', version: 1, ...(token ? { token } : {}) });
    if (this.pendingStart) this.send(this.pendingStart);
    else if (this.id) this.resume(this.lastSeq);
    for (const item of this.outbox) this.send({ type: 'message', ...item });
  }

  /** Starts a new session on a concept, or (`mode` `review`) on the learner's due cards. */
  start(curriculum, concept, mode = 'learn') {
    tabStore.clearSession();
    Object.assign(this, { id: null, turns: [], outbox: [], ahas: [], progressLog: [], lastSeq: 0, waiting: true });
    Object.assign(this, { curriculum, concept, mode, ended: false, ending: null });
    this.pendingStart = { type: 'start', curriculum, ...(concept ? { concept } : {}), mode };
    this.awaitingSession = true;
    this.view.reset(this);
    this.send(this.pendingStart);
  }

  /** Follows an existing session (from the list of past sessions). */
  open(sessionId) {
    tabStore.clearSession();
    Object.assign(this, { id: sessionId, turns: [], outbox: [], ahas: [], progressLog: [], lastSeq: 0, waiting: false, mode: 'learn' });
    Object.assign(this, { ended: false, ending: null });
    this.pendingStart = null;
    this.awaitingSession = true;
    this.save();
    this.view.reset(this);
    this.resume(0);
  }

  /** Asks for every event after `lastSeq`; until `resumed`, events are history, not news. */
  resume(lastSeq) {
    this.replaying = this.send({ type: 'resume', session_id: this.id, last_seq: lastSeq });
  }

  /** Sends a learner message; it stays in the outbox until the server acknowledges it. */
  say(text) {
    const clientId = `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const item = { client_id: clientId, text };
    this.outbox.push(item);
    const sent = this.send({ type: 'message', ...item });
    this.waiting = true;
    this.put({ key: `c:${clientId}`, role: 'learner', text, clientId, status: sent ? 'pending' : 'queued' });
  }

  /** Asks the server to stop the reply being written (it is kept as partial). */
  stop() {
    this.send({ type: 'stop' });
  }

  /** Applies one server event. */
  handle(event) {
    const seq = typeof event.seq === 'number' ? event.seq : null;
    // After start or open, frames of the session left behind may still be in flight: a
    // session's events begin with its `session` event, so anything sequenced before it is
    // not ours.
    if (this.awaitingSession && seq !== null && event.type !== 'session') return;
    if (seq !== null) {
      if (seq <= this.lastSeq) return; // already applied (replayed after a resume)
      this.lastSeq = seq;
    }
    const handler = this[`on_${event.type}`];
    if (handler) handler.call(this, event);
    this.save();
  }

  on_welcome() {}

  on_pong() {}

  /** After a resume's replay: the server says whether a reply is still being written. */
  on_resumed(e) {
    this.replaying = false;
    if (e.ended) this.ended = true;
    if (e.reply_in_progress) this.waiting = true;
    else {
      this.waiting = this.outbox.length > 0;
      for (const turn of this.turns.filter((t) => t.status === 'streaming')) {
        turn.status = 'partial';
        this.view.turn(turn, this);
      }
    }
    this.view.resumed(this);
  }

  on_curriculum_complete(e) {
    this.ending = { type: e.type };
    this.view.complete(e, this);
  }

  /** The end of a review: how many cards were rescheduled and when the next is due. */
  on_review_complete(e) {
    this.ending = { type: e.type, reviewed: Number(e.reviewed ?? 0), nextDueAt: e.next_due_at ?? null };
    this.view.complete(e, this);
  }

  /**
   * A review answer's grade, or the learner's regrade of it (`overruled`): one verdict
   * item under the answer, with the buttons that overrule it (docs/protocol.md).
   */
  on_review_graded(e) {
    const key = `g:${e.review_id}`;
    const graded = {
      key, role: 'graded', reviewId: e.review_id, title: e.checkpoint_title ?? e.checkpoint,
      graderGrade: e.grader_grade, grade: e.grade, overruled: Boolean(e.overruled), nextDueAt: e.next_due_at ?? null,
    };
    // An overrule after the review ended moves the ending's "next review" with it (the
    // server says when the curriculum's next card is due now; older events do not).
    if (e.overruled && this.ending?.type === 'review_complete' && 'curriculum_next_due_at' in e) {
      this.ending = { ...this.ending, nextDueAt: e.curriculum_next_due_at ?? null };
    }
    let turn = this.turns.find((t) => t.key === key);
    if (turn) Object.assign(turn, graded);
    else {
      turn = graded;
      this.turns.push(turn);
    }
    this.view.turn(turn, this);
    this.view.graded?.(turn, this);
  }

  /** Overrules a review's grade with the learner's (`again`, `hard`, `good`, `easy`). */
  overrule(reviewId, grade) {
    return this.send({ type: 'overrule', review_id: reviewId, grade });
  }

  /** The session is over: the message box closes (a new session starts from Concepts). */
  on_session_ended() {
    this.ended = true;
    this.waiting = false;
    this.view.ended(this);
  }

  on_session(e) {
    this.awaitingSession = false;
    const fresh = e.session_id !== this.id;
    Object.assign(this, { id: e.session_id, curriculum: e.curriculum ?? this.curriculum, concept: e.concept ?? this.concept });
    if (e.concept_title) this.conceptTitle = e.concept_title;
    this.mode = e.mode === 'review' ? 'review' : 'learn';
    this.pendingStart = null;
    // A review session says so at the top of its transcript.
    if (this.mode === 'review' && !this.turns.some((t) => t.key === 'review')) {
      this.turns.unshift({ key: 'review', role: 'divider', variant: 'review', text: 'Review: explain it again' });
      this.view.reset(this);
    }
    this.view.session(e, this);
    // Protocol v1 sends the transcript as events; a snapshot (`transcript`) is also accepted.
    if (!fresh && !Array.isArray(e.transcript)) return;
    if (fresh) Object.assign(this, { ahas: [], progressLog: [] });
    const unacked = new Set(this.outbox.map((o) => o.client_id));
    const local = this.turns.filter((t) => t.clientId && unacked.has(t.clientId));
    const turns = this.turns.filter((t) => t.key === 'review');
    let section = null;
    for (const raw of e.transcript ?? []) {
      if (raw.concept && raw.concept !== section && section !== null) {
        turns.push({ key: `d:${raw.concept}:${raw.seq}`, role: 'divider', text: this.view.conceptTitle(raw.concept) });
      }
      section = raw.concept ?? section;
      turns.push(fromServer(raw));
      if (typeof raw.seq === 'number' && e.seq === undefined) this.lastSeq = Math.max(this.lastSeq, raw.seq);
    }
    const known = new Set(turns.map((t) => t.clientId).filter(Boolean));
    this.turns = [...turns, ...local.filter((t) => !known.has(t.clientId))];
    for (const aha of this.ahas) this.markAha(aha);
    this.waiting = this.outbox.length > 0 || (this.waiting && fresh && !turns.some((t) => t.role === 'tutor'));
    if (e.progress) this.on_progress(e.progress);
    this.view.reset(this);
  }

  on_tutor_delta(e) {
    const turn = this.tutorTurn(e.turn_id);
    if (FINISHED.has(turn.status)) return;
    turn.status = 'streaming';
    turn.text += e.text ?? '';
    this.waiting = false;
    this.view.turn(turn, this);
    this.view.streamed(e.text ?? '', false);
  }

  on_tutor_done(e) {
    const turn = this.tutorTurn(e.turn_id);
    const said = turn.text;
    Object.assign(turn, { text: e.text ?? turn.text, status: e.status ?? 'complete', move: e.move });
    this.waiting = false;
    this.view.turn(turn, this);
    this.view.streamed(turn.text.startsWith(said) ? turn.text.slice(said.length) : '', true, turn.status);
  }

  on_learner_ack(e) {
    this.outbox = this.outbox.filter((o) => o.client_id !== e.client_id);
    let turn = this.turns.find((t) => t.clientId === e.client_id);
    if (!turn) {
      // Replayed after a reload or from another tab: the ack carries the stored text.
      if (this.turns.some((t) => t.role === 'learner' && t.turnId === e.turn_id)) return;
      turn = this.put({ key: `l:${e.turn_id}`, role: 'learner', text: String(e.text ?? ''), clientId: e.client_id }, false);
      this.waiting = true;
    }
    Object.assign(turn, { turnId: e.turn_id, status: 'complete' });
    for (const aha of this.ahas) this.markAha(aha);
    this.view.turn(turn, this);
  }

  /** The current concept's progress (the latest one received). */
  get progress() {
    return this.progressLog[this.progressLog.length - 1] ?? null;
  }

  on_progress(e) {
    const { type: _type, seq: _seq, ...progress } = e;
    this.progressLog = [...this.progressLog.filter((p) => p.concept !== progress.concept), progress];
    if (e.concept) this.concept = e.concept;
    this.view.progress(this);
  }

  on_aha(e) {
    if (this.ahas.some((a) => a.turn_id === e.turn_id && a.checkpoint === e.checkpoint)) return;
    const aha = { turn_id: e.turn_id, checkpoint: e.checkpoint ?? e.misconception ?? '', title: e.checkpoint_title, quote: e.quote ?? '', move: e.move };
    this.ahas.push(aha);
    this.creditCheckpoint(aha);
    const turn = this.markAha(aha);
    if (turn) this.view.turn(turn, this);
    this.view.aha(aha, this);
  }

  on_concept_advanced(e) {
    const left = this.progressLog.find((p) => p.concept === e.from);
    // Covered with the tutor's help is not mastered (the graph shows the difference).
    if (left) left.mastered = !e.with_help;
    this.concept = e.to ?? this.concept;
    this.put({ key: `d:${e.to}:${this.lastSeq}`, role: 'divider', text: e.title ?? this.view.conceptTitle(e.to) });
    this.view.advanced(e, this);
  }

  on_error(e) {
    const code = e.code ?? 'internal';
    this.replaying = false;
    if (['reply_in_progress', 'rate_limited', 'too_large', 'bad_request'].includes(code)) {
      const last = [...this.turns].reverse().find((t) => t.clientId && ['pending', 'queued'].includes(t.status));
      if (last) {
        last.status = 'rejected';
        this.outbox = this.outbox.filter((o) => o.client_id !== last.clientId);
        this.view.turn(last, this);
        this.view.restoreDraft(last.text);
      }
      this.waiting = this.turns.some((t) => t.status === 'streaming');
    }
    // The followed session is gone (or another learner's, after a token change): start afresh.
    if (code === 'no_session' || code === 'not_found' || code === 'forbidden') {
      tabStore.clearSession();
      Object.assign(this, { id: null, turns: [], outbox: [], ahas: [], progressLog: [], lastSeq: 0, waiting: false });
      Object.assign(this, { awaitingSession: false, pendingStart: null, mode: 'learn', ended: false, ending: null });
      this.view.reset(this);
    }
    if (code === 'upstream_failed') this.waiting = false;
    this.view.error(code, e.message ?? '', this);
  }

  /** An aha names a checkpoint now reached, possibly in a concept the server moved past. */
  creditCheckpoint(aha) {
    for (const p of this.progressLog) {
      const cp = (p.checkpoints ?? []).find((c) => c.id === aha.checkpoint);
      if (cp && !cp.reached) {
        Object.assign(cp, { reached: true, evidence: cp.evidence ?? aha.quote, title: cp.title ?? aha.title });
        p.remaining = (p.checkpoints ?? []).filter((c) => !c.reached).length;
        this.view.progress(this);
      }
    }
  }

  tutorTurn(turnId) {
    let turn = this.turns.find((t) => t.role === 'tutor' && t.turnId === turnId);
    if (!turn) turn = this.put({ key: `t:${turnId}`, role: 'tutor', text: '', turnId, status: 'streaming' }, false);
    return turn;
  }

  markAha(aha) {
    const turn = this.turns.find((t) => t.role === 'learner' && t.turnId !== undefined && t.turnId === aha.turn_id)
      ?? [...this.turns].reverse().find((t) => t.role === 'learner' && aha.quote && t.text.includes(aha.quote));
    if (turn) turn.aha = { checkpoint: aha.checkpoint, quote: aha.quote };
    return turn;
  }

  put(turn, draw = true) {
    this.turns.push(turn);
    if (draw) this.view.turn(turn, this);
    return turn;
  }

  save() {
    if (!this.id) return;
    tabStore.setSession({ sessionId: this.id, lastSeq: this.lastSeq, curriculum: this.curriculum, concept: this.concept, mode: this.mode, ended: this.ended, ending: this.ending });
    tabStore.setTurns(this.turns);
    tabStore.setOutbox(this.outbox);
    tabStore.setAhas(this.ahas);
    tabStore.setProgress(this.progressLog);
  }
}

function fromServer(raw) {
  const role = ROLE[String(raw.role ?? '').toLowerCase()] ?? 'tutor';
  const turnId = raw.turn_id ?? raw.id ?? raw.seq;
  const status = raw.status === 'streaming' || raw.status === 'in_progress' ? 'streaming' : (raw.status ?? 'complete');
  return {
    key: `${role === 'learner' ? 'l' : 't'}:${turnId}`, role, text: String(raw.text ?? ''),
    turnId, status, move: raw.move, clientId: raw.client_id ?? undefined,
  };
}
