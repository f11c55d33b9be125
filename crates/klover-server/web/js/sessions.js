// The list of past sessions in the Concepts panel: each titled by its concept (the server
// sends the title, so a reload never shows a raw id), `Review ·` for a review, with when
// and how many turns; choosing one reattaches to it.

import { h, clear } from './dom.js';

/** `Nov 25, 2026, 1:34 PM · 5 turns`. */
function sessionMeta(when, turns) {
  const parts = [];
  if (when && !Number.isNaN(when.valueOf())) parts.push(when.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }));
  if (Number.isFinite(turns)) parts.push(`${turns} ${turns === 1 ? 'turn' : 'turns'}`);
  return parts.join(' · ');
}

/**
 * Draws the list. `titleOf(conceptId)` is the fallback for a server that sends no title;
 * `onOpen(id)` reattaches; `onShowAll()` lifts the first-six limit.
 */
export function renderSessions(list, { sessions, currentId, showAll, titleOf, onOpen, onShowAll }) {
  clear(list);
  if (!sessions.length) list.append(h('li', { class: 'muted', text: 'No sessions yet.' }));
  const shown = showAll ? sessions : sessions.slice(0, 6);
  for (const s of shown) {
    const current = s.id === currentId;
    const when = s.when ? new Date(s.when) : null;
    const label = `${s.mode === 'review' ? 'Review · ' : ''}${s.title || titleOf(s.concept) || s.curriculum || 'Session'}`;
    list.append(h('li', {}, h('button', {
      type: 'button', class: `session-item${current ? ' current' : ''}`, 'aria-current': current ? 'true' : undefined,
      dataset: { session: s.id },
      onclick: () => onOpen(s.id),
    }, h('span', { class: 'session-title', text: label }),
    h('span', { class: 'muted small', text: sessionMeta(when, s.turns) }))));
  }
  if (shown.length < sessions.length) {
    list.append(h('li', {}, h('button', { type: 'button', class: 'link', onclick: onShowAll }, `Show all ${sessions.length} sessions`)));
  }
}
