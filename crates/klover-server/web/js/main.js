// Entry point of the learner view: loads the curricula and past sessions, opens the
// websocket, and routes protocol events to the views (graph, transcript, progress).

import { h, byId, clear } from './dom.js';
import { Connection, socketUrl } from './connection.js';
import { Session } from './session.js';
import { TranscriptView } from './transcript.js';
import { renderGraph, renderConceptCard, conceptStatuses } from './graph.js';
import { renderProgress, renderAhas } from './progress.js';
import { Announcer } from './announce.js';
import { fetchCurricula, fetchSessions, downloadExport, isLocalHost, Unauthorized } from './api.js';
import { setupTabs, connectionPill, toast, setupComposer, askToken } from './chrome.js';
import { tabStore } from './storage.js';

const app = {
  curricula: [],
  curriculumId: null,
  selected: null,
  mastered: new Set(tabStore.mastered()),
  pastSessions: [],
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
  onState: connectionPill(() => conn.retryNow()),
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
    refreshChrome();
  },
  turn(turn) {
    transcript.update(turn);
    refreshChrome();
  },
  streamed(text, done, status) {
    if (session.replaying) return;
    announcer.stream(text, done);
    if (done && status === 'partial') announcer.say('Reply stopped.');
    if (done && status === 'failed') announcer.say('The reply failed. You can send your message again.');
  },
  progress(s) {
    if (s.progress && Number(s.progress.remaining) === 0 && (s.progress.checkpoints ?? []).length) {
      masterConcept(s.progress.concept ?? s.concept);
    }
    renderProgress(byId('progress'), {
      progress: s.progress,
      conceptTitle: conceptTitle(s.progress?.concept ?? s.concept),
      earlier: s.progressLog.slice(0, -1).reverse().map((p) => ({ ...p, title: conceptTitle(p.concept) })),
    });
  },
  aha(aha, s) {
    renderAhas(byId('ahas'), s.ahas, jumpToAha);
    if (!s.replaying) announcer.say(`Aha moment: ${aha.quote}`);
    const badge = byId('tab-aha');
    badge.hidden = false;
    badge.textContent = `✦${s.ahas.length}`;
  },
  advanced(e, s) {
    masterConcept(e.from);
    if (s.replaying) return;
    announcer.say(`Concept mastered. Next: ${e.title ?? conceptTitle(e.to)}.`);
    toast(`Mastered ${conceptTitle(e.from)}. Next: ${e.title ?? conceptTitle(e.to)}`, 'success');
    loadCurricula();
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
  session() {
    setTimeout(loadSessions, 300);
    if (app.focusOnSession) {
      app.focusOnSession = false;
      refreshChrome();
      byId('input').focus();
    }
  },
  resumed() {
    refreshChrome();
  },
  complete() {
    masterConcept(session.concept);
    announcer.say('Curriculum complete: every concept is mastered.');
    toast('Curriculum complete: every concept is mastered. Well explained!', 'success');
  },
};

const session = new Session({ send: (frame) => conn.send(frame), view });

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
  composer.set({
    enabled: Boolean(session.id),
    busy: session.busy,
    placeholder: session.id ? 'Explain it in your own words…' : 'Pick a concept to start',
  });
  byId('export-md').disabled = !session.id;
  byId('export-html').disabled = !session.id;
  const title = session.concept ? conceptTitle(session.concept) : '';
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
  const box = clear(byId('welcome-actions'));
  const next = cur?.concepts.find((c) => statuses.get(c.id) === 'available');
  if (next) {
    box.append(h('button', { type: 'button', class: 'primary', id: 'welcome-start', onclick: () => startConcept(next) }, `Start with “${next.title}”`));
    box.append(h('button', { type: 'button', class: 'link', onclick: () => showView('concepts'), text: 'or choose on the graph' }));
  }
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
  view.progress(session); // concept titles are known now
  refreshChrome();
}

async function loadSessions() {
  try {
    app.pastSessions = await fetchSessions();
  } catch (err) {
    return handleHttpError(err, 'Could not load past sessions.');
  }
  const list = clear(byId('sessions'));
  if (!app.pastSessions.length) list.append(h('li', { class: 'muted', text: 'No sessions yet.' }));
  const shown = app.showAllSessions ? app.pastSessions : app.pastSessions.slice(0, 6);
  for (const s of shown) {
    const current = s.id === session.id;
    const when = s.when ? new Date(s.when) : null;
    const label = s.title || conceptTitle(s.concept) || s.curriculum || 'Session';
    list.append(h('li', {}, h('button', {
      type: 'button', class: `session-item${current ? ' current' : ''}`, 'aria-current': current ? 'true' : undefined,
      dataset: { session: s.id },
      onclick: () => { session.open(s.id); showView('chat'); refreshChrome(); },
    }, h('span', { class: 'session-title', text: label }),
    h('span', { class: 'muted small', text: sessionMeta(when, s.turns) }))));
  }
  if (shown.length < app.pastSessions.length) {
    list.append(h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => {
      app.showAllSessions = true;
      loadSessions();
    } }, `Show all ${app.pastSessions.length} sessions`)));
  }
}

/** `Nov 25, 2026, 1:34 PM · 5 turns`. */
function sessionMeta(when, turns) {
  const parts = [];
  if (when && !Number.isNaN(when.valueOf())) parts.push(when.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }));
  if (Number.isFinite(turns)) parts.push(`${turns} ${turns === 1 ? 'turn' : 'turns'}`);
  return parts.join(' · ');
}

async function handleHttpError(err, message) {
  if (err instanceof Unauthorized) return requestToken(tabStore.token() ? 'That token was not accepted.' : '');
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

byId('export-md').addEventListener('click', () => exportAs('md'));
byId('export-html').addEventListener('click', () => exportAs('html'));

async function boot() {
  transcript.reset(session.turns);
  renderAhas(byId('ahas'), session.ahas, jumpToAha);
  view.progress(session);
  refreshChrome();
  if (!isLocalHost() && !tabStore.token()) await requestToken('');
  else conn.connect();
  await Promise.all([loadCurricula(), loadSessions()]);
}

boot();
