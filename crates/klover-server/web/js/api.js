// The HTTP side of the protocol: the concept graph, past sessions and export downloads.
// Every request carries the tab's token when there is one.

import { tabStore } from './storage.js';

/** Raised when the server refused `token` (the one the request carried): it wants a new one. */
export class Unauthorized extends Error {
  constructor(path, token) {
    super(path);
    this.token = token;
  }
}

/** A refused request; `message` is the server's own words (`{"error": "..."}`). */
export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** True when the page was served from this machine (no token is needed there). */
export function isLocalHost(hostname = location.hostname) {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\./.test(host);
}

async function request(path, method = 'GET') {
  const headers = { Accept: 'application/json' };
  const token = tabStore.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { method, headers, cache: 'no-store' });
  if (response.status === 401 || response.status === 403) throw new Unauthorized(path, token);
  if (!response.ok) {
    const said = await response.json().then((b) => b?.error, () => null);
    throw new HttpError(response.status, said ? String(said) : `${path}: HTTP ${response.status}`);
  }
  return response;
}

async function json(path) {
  return (await request(path)).json();
}

function listOf(body, ...keys) {
  if (Array.isArray(body)) return body;
  for (const key of keys) if (Array.isArray(body?.[key])) return body[key];
  return [];
}

/**
 * Curricula with their concepts: `[{id, title, description, concepts: [{id, title,
 * prerequisites, mastered, covered, mastery}]}]` (the calling learner's: `mastered` on
 * their own, `covered` also when the tutor had to state part of it).
 */
export async function fetchCurricula() {
  const body = await json('/api/curricula');
  return listOf(body, 'curricula', 'items').map((c) => ({
    id: String(c.id),
    title: String(c.title ?? c.id),
    description: String(c.description ?? ''),
    concepts: listOf(c.concepts ?? c.graph?.concepts ?? c.nodes, 'concepts').map((k) => {
      const mastered = typeof k.mastered === 'boolean'
        ? k.mastered
        : k.state === 'mastered' || k.status === 'mastered' || Number(k.mastery) >= 1;
      return {
        id: String(k.id),
        title: String(k.title ?? k.id),
        prerequisites: (k.prerequisites ?? k.requires ?? []).map(String),
        mastered,
        covered: k.covered === true || mastered,
        mastery: Number.isFinite(Number(k.mastery)) ? Math.max(0, Math.min(1, Number(k.mastery))) : null,
      };
    }),
    edges: listOf(c.edges ?? c.graph?.edges, 'edges'),
    // Where the learner left off (a `start` without a concept continues there), if anywhere.
    current_concept: c.current_concept ? String(c.current_concept) : null,
  }));
}

/** Past sessions, newest first: `[{id, curriculum, concept, title, when, turns}]`. */
export async function fetchSessions() {
  const body = await json('/api/sessions');
  const items = listOf(body, 'sessions', 'items').map((s) => ({
    id: String(s.session_id ?? s.id),
    curriculum: String(s.curriculum ?? s.curriculum_id ?? ''),
    concept: String(s.concept ?? s.concept_id ?? s.current_concept ?? ''),
    title: s.title ? String(s.title) : '',
    when: String(s.updated_at ?? s.last_active ?? s.started_at ?? s.created_at ?? ''),
    turns: Number(s.turns ?? s.turn_count ?? NaN),
    mode: String(s.mode ?? 'learn'),
  }));
  return items.sort((a, b) => (a.when < b.when ? 1 : a.when > b.when ? -1 : 0));
}

/**
 * The caller's review cards due now: `{count, due: [{curriculum, concept, conceptTitle,
 * checkpoint, dueAt}], nextDueAt}` (`nextDueAt` is null when no card is scheduled).
 */
export async function fetchReviewDue() {
  const body = await json('/api/review/due');
  const due = listOf(body, 'due', 'cards', 'items').map((d) => ({
    curriculum: String(d.curriculum ?? ''),
    concept: String(d.concept ?? ''),
    conceptTitle: String(d.concept_title ?? d.concept ?? ''),
    checkpoint: String(d.checkpoint ?? ''),
    dueAt: d.due_at ? String(d.due_at) : null,
  }));
  const count = Number.isFinite(Number(body?.count)) ? Number(body.count) : due.length;
  return { count, due, nextDueAt: body?.next_due_at ? String(body.next_due_at) : null };
}

/**
 * Downloads a session's blog post through the browser. `options`: `{format: 'md'|'html',
 * front_matter, title, author, omit: [turn ids]}` (empty ones are left out).
 */
export async function downloadExport(sessionId, options) {
  const { format = 'md', omit = [], ...rest } = typeof options === 'string' ? { format: options } : options;
  const query = new URLSearchParams({ format });
  for (const [key, value] of Object.entries(rest)) if (value && value !== 'none') query.set(key, value);
  if (omit.length) query.set('omit', omit.join(','));
  const response = await request(`/api/sessions/${encodeURIComponent(sessionId)}/export?${query}`);
  const blob = await response.blob();
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const named = disposition.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i);
  const filename = named ? decodeURIComponent(named[1]) : `klover-${sessionId}.${format}`;
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return filename;
}

/**
 * The caller's review statistics: `{cards, reviewed, reviews, lapses, passed, recall_now,
 * forecast: [reviews due today, tomorrow, … 30 days]}` (`passed`, `recall_now` in [0, 1]
 * or null).
 */
export async function fetchReviewStats() {
  return json('/api/review/stats');
}

/**
 * The caller's review cards: `[{curriculum, concept, concept_title, checkpoint, title,
 * state, reason, due_at, due, reps, lapses, suspended}]`, soonest due first.
 */
export async function fetchReviewCards() {
  return json('/api/review/cards');
}

/** `suspend`, `unsuspend` or `reset` one card; answers the card as it became. */
export async function reviewCardAction(curriculum, checkpoint, action) {
  const path = `/api/review/cards/${encodeURIComponent(curriculum)}/${encodeURIComponent(checkpoint)}/${action}`;
  return (await request(path, 'POST')).json();
}
