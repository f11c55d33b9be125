// Entry point of the learner view: loads the curricula and past sessions, opens the
// websocket, and routes protocol events to the views (graph, transcript, progress).

import { h, byId, clear } from './dom.js';
import { Connection, socketUrl } from './connection.js';
import { Session } from './session.js';
import { TranscriptView } from './transcript.js';
import { renderGraph, renderConceptCard, conceptStatuses } from './graph.js';
import { renderProgress, renderAhas } from './progress.js';
import { Announcer } from './announce.js';
import { fetchCurricula, fetchSessions, fetchReviewDue, fetchReviewStats, downloadExport, isLocalHost, Unauthorized } from './api.js';
import { setupExport } from './export.js';
import { renderSessions } from './sessions.js';
import { renderReview, whenLabel } from './review.js';
import { openCards } from './cards.js';
import { renderWelcomeActions } from './welcome.js';
import { bulbIcon } from './icons.js';
import { setupTabs, connectionPill, toast, setupComposer, askToken } from './chrome.js';
import { tabStore } from './storage.js';

const app = {
  curricula: [],
  curriculumId: null,
  selected: null,
  mastered: new Set(tabStore.mastered()),
  pastSessions: [],
  due: null,
  connected: false,
};

const transcript = new TranscriptView(byId('transcript'), byId('scroller'));
const announcer = new Announcer(byId('live'));
const showView = setupTabs();
const composer = setupComposer({
  onSend: (text) => {
    transcript.scrollToEnd(true);
    session.say(text);
  },
  onStop: () => session.stop(),
});
const conn = new Connection({
  url: socketUrl,
  onEvent: (event) => {
    session.handle(event);
    refreshChrome();
  },
  onState: (() => {
    const pill = connectionPill(() => conn.retryNow());
    return (state, detail) => {
      pill(state, detail);
      app.connected = state === 'open';
      refreshChrome();
    };
  })(),
  onOpen: () => session.onOpen(tabStore.token()),
});

const curriculum = () => app.curricula.find((c) => c.id === (session.curriculum ?? app.curriculumId)) ?? app.curricula[0];
const conceptTitle = (id) => curriculum()?.concepts.find((c) => c.id === id)?.title
  ?? (id === session.concept ? session.conceptTitle : null) ?? id ?? '';

const view = {
  conceptTitle,
  reset(s) {
    transcript.reset(s.turns);
    view.progress(s);
    renderAhas(byId('ahas'), s.ahas, jumpToAha);
    drawAhaBadge(s);
    refreshChrome();
  },
  turn(turn) {
    transcript.update(turn);
    refreshChrome();
  },
  graded(turn, s) {
    if (s.replaying) return;
    const what = turn.overruled ? `Regraded ${turn.grade}` : `Graded ${turn.grade}`;
    announcer.say(`${what}: ${turn.title}.${turn.overruled ? '' : ' Disagree? The buttons below the answer regrade it.'}`);
    if (turn.overruled) loadReviewDue();
  },
  streamed(text, done, status) {
    if (session.replaying) return;
    announcer.stream(text, done);
    if (done && status === 'partial') announcer.say('Reply stopped.');
    if (done && status === 'failed') announcer.say('The reply failed. You can send your message again.');
  },
  progress(s) {
    if (s.mode === 'review' && !s.replaying) refreshDueSoon();
    if (s.mode !== 'review' && s.progress && Number(s.progress.remaining) === 0 && (s.progress.checkpoints ?? []).length) {
      masterConcept(s.progress.concept ?? s.concept);
    }
    renderProgress(byId('progress'), {
      progress: s.progress,
      conceptTitle: conceptTitle(s.progress?.concept ?? s.concept),
      earlier: s.progressLog.slice(0, -1).reverse().map((p) => ({ ...p, title: conceptTitle(p.concept) })),
      review: s.mode === 'review',
    });
  },
  aha(aha, s) {
    renderAhas(byId('ahas'), s.ahas, jumpToAha);
    if (!s.replaying) announcer.say(`Aha moment: ${aha.quote}`);
    drawAhaBadge(s);
  },
  advanced(e, s) {
    if (s.mode === 'review') {
      if (!s.replaying) announcer.say(`Next review: ${e.title ?? conceptTitle(e.to)}.`);
      return;
    }
    // A concept the tutor had to help with is covered, not mastered: the graph learns
    // which from the server (loadCurricula below).
    if (!e.with_help) masterConcept(e.from);
    if (s.replaying) return;
    const next = e.title ?? conceptTitle(e.to);
    if (e.with_help) {
      announcer.say(`Concept covered with some help. Next: ${next}.`);
      toast(`Covered ${conceptTitle(e.from)} with some help: explain it again later to master it. Next: ${next}`, 'success');
    } else {
      announcer.say(`Concept mastered. Next: ${next}.`);
      toast(`Mastered ${conceptTitle(e.from)}. Next: ${next}`, 'success');
    }
    loadCurricula();
    refreshDueSoon();
  },
  error(code, message) {
    if (code === 'unauthorized') {
      requestToken('That token was not accepted. Please check it.');
      return;
    }
    toast(message || `Something went wrong (${code}).`, 'error');
    announcer.say(message);
  },
  restoreDraft: (text) => composer.restore(text),
  session(e, s) {
    setTimeout(loadSessions, 300);
    if (s.mode === 'review' && app.focusOnSession) {
      announcer.say(`Review session: ${e.concept_title ?? conceptTitle(s.concept)}. Explain it again in your own words.`);
    }
    if (app.focusOnSession) {
      app.focusOnSession = false;
      refreshChrome();
      byId('input').focus();
    }
  },
  resumed() {
    refreshChrome();
  },
  ended(s) {
    refreshChrome();
    if (!s.replaying) announcer.say(ENDED_NOTE);
  },
  complete(e) {
    refreshDueSoon();
    if (e.type === 'review_complete') {
      if (session.replaying) return;
      const said = reviewEnding(session.ending);
      announcer.say(said);
      toast(said, 'success');
      return;
    }
    if (session.mode === 'review') return; // a review logged before `review_complete` existed
    masterConcept(session.concept);
    announcer.say('Curriculum complete: every concept is mastered.');
    toast('Curriculum complete: every concept is mastered. Well explained!', 'success');
  },
};

const session = new Session({ send: (frame) => conn.send(frame), view });
// A verdict's Again/Hard/Good/Easy buttons (transcript.js) overrule the grader.
byId('transcript').addEventListener('overrule', (ev) => session.overrule(ev.detail.reviewId, ev.detail.grade));

const ENDED_NOTE = 'This session is finished — start another from Concepts.';

/** "Review complete: 2 cards rescheduled. Next review tomorrow at 9:30 AM." */
function reviewEnding(ending) {
  const n = Number(ending?.reviewed ?? 0);
  const next = ending?.nextDueAt ? ` Next review ${whenLabel(ending.nextDueAt)}.` : '';
  return `Review complete: ${n} ${n === 1 ? 'card' : 'cards'} rescheduled.${next}`;
}

/** The phone's count of aha moments on the Progress tab (also after a reload). */
function drawAhaBadge(s) {
  const badge = byId('tab-aha');
  badge.hidden = s.ahas.length === 0;
  const label = ` aha ${s.ahas.length === 1 ? 'moment' : 'moments'}`;
  clear(badge).append(bulbIcon('13'), String(s.ahas.length), h('span', { class: 'visually-hidden', text: label }));
  badge.title = s.ahas.length ? `${s.ahas.length}${label}` : '';
}

function masterConcept(id) {
  if (!id || app.mastered.has(id)) return;
  app.mastered.add(id);
  tabStore.setMastered([...app.mastered]);
  drawGraph();
}

function jumpToAha(aha) {
  const turn = session.turns.find((t) => t.aha && t.aha.quote === aha.quote);
  const el = turn && document.querySelector(`[data-key="${CSS.escape(turn.key)}"]`);
  showView('chat');
  if (el) {
    el.scrollIntoView({ block: 'center', behavior: 'smooth' });
    el.setAttribute('tabindex', '-1');
    el.focus({ preventScroll: true });
  }
}

/** Everything that depends on the session's overall state. */
function refreshChrome() {
  const active = Boolean(session.id || session.pendingStart);
  byId('welcome').hidden = active || session.turns.length > 0;
  const queued = session.turns.some((t) => t.status === 'queued');
  byId('thinking').hidden = !(session.waiting && !queued && !session.turns.some((t) => t.status === 'streaming'));
  transcript.follow();
  const ended = Boolean(session.id && session.ended);
  composer.set({
    enabled: Boolean(session.id) && !ended,
    busy: session.busy && !ended,
    // Stop needs the server: while disconnected there is nothing to stop it with.
    canStop: app.connected,
    placeholder: !session.id ? 'Pick a concept to start'
      : ended ? 'This session is finished'
        : session.mode === 'review' ? 'Explain it again in your own words…' : 'Explain it in your own words…',
    ended: !ended ? null
      : session.ending?.type === 'review_complete' ? `${reviewEnding(session.ending)} ${ENDED_NOTE}` : ENDED_NOTE,
  });
  drawReview();
  byId('export-md').disabled = !session.id;
  byId('export-html').disabled = !session.id;
  refreshSessionMenu();
  const title = session.concept ? `${session.mode === 'review' ? 'Review · ' : ''}${conceptTitle(session.concept)}` : '';
  clear(byId('crumb')).append(
    h('span', { class: title ? 'crumb-curriculum' : '', text: `${curriculum()?.title ?? ''}${title ? ' › ' : ''}` }),
    h('span', { class: 'crumb-concept', text: title }));
  document.title = title ? `${title} · Klover` : 'Klover: learn by explaining';
  if (app.drawnConcept !== session.concept) {
    app.drawnConcept = session.concept;
    drawGraph();
  }
}

function drawGraph() {
  const cur = curriculum();
  const statuses = conceptStatuses(cur, app.mastered);
  const selected = cur?.concepts.find((c) => c.id === app.selected) ?? null;
  renderGraph(byId('graph'), { curriculum: cur, statuses, current: session.concept, selected: app.selected, onSelect: (concept) => {
    app.selected = concept.id;
    drawGraph();
    byId('start-concept')?.focus();
  } });
  renderConceptCard(byId('concept-card'), { curriculum: cur, concept: selected, statuses, current: session.concept, onStart: startConcept });
  drawWelcomeActions(cur, statuses);
}

function drawWelcomeActions(cur, statuses) {
  renderWelcomeActions(byId('welcome-actions'), {
    curriculum: cur, statuses, onContinue: () => continueCurriculum(cur), onStart: startConcept, onGraph: () => showView('concepts'),
  });
}

/** Starts a session where the learner left off (a `start` without a concept). */
function continueCurriculum(cur) {
  app.curriculumId = cur.id;
  app.selected = cur.current_concept;
  session.start(cur.id, null);
  showView('chat');
  refreshChrome();
  app.focusOnSession = true;
}

/** Starts a review session on the due cards of a curriculum (the first one if not given). */
function startReview(curriculumId) {
  const cur = app.curricula.find((c) => c.id === curriculumId) ?? curriculum();
  if (!cur) return;
  app.curriculumId = cur.id;
  session.start(cur.id, null, 'review');
  showView('chat');
  refreshChrome();
  app.focusOnSession = true;
}

/** Draws the "Review due" entry from the last answer of `/api/review/due`. */
function drawReview() {
  renderReview({ card: byId('review-card'), welcome: byId('welcome-review-box'), tabBadge: byId('tab-review') }, {
    due: app.due,
    titleOf: (id) => app.curricula.find((c) => c.id === id)?.title ?? id,
    onStart: startReview,
    onCards: () => openCards(loadReviewDue),
    busy: Boolean(session.pendingStart),
    stats: app.stats,
    // During a review its own cards are still due: no "Review due" for what is under way.
    reviewing: session.mode === 'review' && Boolean(session.id || session.pendingStart) && !session.ended,
  });
}

async function loadReviewDue() {
  let due;
  try {
    due = await fetchReviewDue();
  } catch (err) {
    if (err instanceof Unauthorized) return handleHttpError(err, '');
    return undefined; // an older server without review: the entry stays hidden
  }
  const before = app.due?.count;
  app.due = due;
  app.stats = await fetchReviewStats().catch(() => null); // an older server has none
  drawReview();
  if (due.count > 0 && due.count !== before) {
    announcer.say(`Review due: ${due.count} ${due.count === 1 ? 'checkpoint' : 'checkpoints'} to explain again.`);
  }
  return due;
}

/** Asks for the due count again shortly (after a turn that may have rescheduled cards). */
function refreshDueSoon() {
  clearTimeout(app.dueTimer);
  app.dueTimer = setTimeout(loadReviewDue, 400);
}

function startConcept(concept) {
  const cur = curriculum();
  if (!cur) return;
  app.curriculumId = cur.id;
  app.selected = concept.id;
  session.start(cur.id, concept.id);
  showView('chat');
  refreshChrome();
  // The box is enabled when the server confirms the session; focus it then.
  app.focusOnSession = true;
}

function drawCurriculumPicker() {
  const box = clear(byId('curriculum-picker'));
  if (app.curricula.length < 2) {
    const cur = curriculum();
    if (cur) box.append(h('p', { class: 'curriculum-title', text: cur.title }), h('p', { class: 'muted small curriculum-description', title: cur.description, text: cur.description }));
    return;
  }
  const select = h('select', { id: 'curriculum-select', 'aria-label': 'Curriculum', onchange: () => {
    app.curriculumId = select.value;
    app.selected = null;
    drawGraph();
  } }, app.curricula.map((c) => h('option', { value: c.id, text: c.title })));
  select.value = curriculum()?.id ?? '';
  box.append(select);
}

async function loadCurricula() {
  try {
    app.curricula = await fetchCurricula();
  } catch (err) {
    return handleHttpError(err, 'Could not load the curricula.');
  }
  app.curriculumId ??= session.curriculum ?? app.curricula[0]?.id ?? null;
  for (const c of app.curricula) for (const k of c.concepts) if (k.mastered) app.mastered.add(k.id);
  drawCurriculumPicker();
  drawGraph();
  drawSessions();
  view.progress(session); // concept titles are known now
  refreshChrome();
}

async function loadSessions() {
  try {
    app.pastSessions = await fetchSessions();
  } catch (err) {
    return handleHttpError(err, 'Could not load past sessions.');
  }
  drawSessions();
  return app.pastSessions;
}

/** The past sessions, titled by the server (or the curriculum once it is loaded). */
function drawSessions() {
  renderSessions(byId('sessions'), {
    sessions: app.pastSessions,
    currentId: session.id,
    showAll: app.showAllSessions,
    titleOf: conceptTitle,
    onOpen: (id) => { session.open(id); showView('chat'); refreshChrome(); },
    onShowAll: () => { app.showAllSessions = true; drawSessions(); },
  });
}

async function handleHttpError(err, message) {
  if (err instanceof Unauthorized) {
    // A refusal of a token already replaced says nothing about the new one, whose own
    // requests are under way: asking again would stop a connection that works.
    if (err.token !== tabStore.token()) return undefined;
    return requestToken(tabStore.token() ? 'That token was not accepted.' : '');
  }
  toast(message, 'error');
  return undefined;
}

let asking = null;
async function requestToken(message) {
  if (asking) return asking;
  conn.stop('token');
  asking = askToken(message).then((token) => {
    tabStore.setToken(token);
    asking = null;
    conn.connect();
    loadCurricula();
    loadSessions();
    loadReviewDue();
  });
  return asking;
}

async function exportAs(format) {
  if (!session.id) return;
  try {
    const name = await downloadExport(session.id, format);
    toast(`Downloaded ${name}`, 'success');
  } catch (err) {
    handleHttpError(err, 'The export failed. Try again in a moment.');
  }
}

const refreshSessionMenu = setupExport({
  session: () => session,
  download: downloadExport,
  done: (message) => toast(message, 'success'),
  failed: (err) => { if (err instanceof Unauthorized) handleHttpError(err, ''); },
});

byId('export-md').addEventListener('click', () => exportAs('md'));
byId('export-html').addEventListener('click', () => exportAs('html'));

async function boot() {
  transcript.reset(session.turns);
  renderAhas(byId('ahas'), session.ahas, jumpToAha);
  drawAhaBadge(session);
  view.progress(session);
  refreshChrome();
  // A token given in the dialog connects and loads everything itself (requestToken):
  // loading here too would try each new token twice, and every refusal counts against
  // this address's failed-token budget.
  if (!isLocalHost() && !tabStore.token()) return requestToken('');
  conn.connect();
  await Promise.all([loadCurricula(), loadSessions()]);
  await loadReviewDue();
}

boot();
