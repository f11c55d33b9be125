// The progress panel: the current concept, how much of it is mastered, the checkpoints
// reached with the learner's own words as evidence, and how many are still to find.
// An unreached checkpoint is only ever counted, never named or quoted.

import { h, clear, humanize } from './dom.js';
import { checkIcon, dotIcon, bulbIcon } from './icons.js';

/** Titles of reached checkpoints seen in progress events (the server names a checkpoint
 * only once it is reached), so the aha list can use them too. */
const titles = new Map();

/** A checkpoint's label: its title once the server sent one, else the id made readable. */
export function checkpointLabel(id, title) {
  if (title) titles.set(id, title);
  return title || titles.get(id) || humanize(id);
}

/**
 * Draws the current concept's `progress` (`{concept, mastery, checkpoints, remaining,
 * review?}`) into `container`, then the concepts met earlier in the session, folded. In a
 * review session (`review: {checkpoints, reviewed}`) the count is "N of M reviewed".
 */
export function renderProgress(container, { progress, conceptTitle, earlier = [], review = false }) {
  // Redrawn on every event: keep the folds the learner opened.
  const open = new Set([...container.querySelectorAll('details[open]')].map((d) => d.dataset.concept));
  clear(container);
  if (!progress) {
    container.append(h('p', { class: 'muted', text: 'Start a concept to see your progress here.' }));
    return;
  }
  const remaining = remainingOf(progress);
  const pct = Math.round(Math.max(0, Math.min(1, Number(progress.mastery) || 0)) * 100);
  // Set through the CSSOM: the page's CSP forbids inline style attributes.
  const fill = h('span', { class: 'meter-fill' });
  fill.style.width = `${pct}%`;
  // DOM append() would print a null child as the text "null".
  container.append(...[
    review ? h('p', { class: 'muted small review-note', id: 'progress-review', text: 'Review: the tutor asks again about what was due.' }) : null,
    h('p', { class: 'concept-name', id: 'progress-concept', text: conceptTitle }),
    h('div', {
      class: 'meter', role: 'progressbar', 'aria-label': 'Mastery of this concept',
      'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(pct),
    }, fill),
    h('p', { class: 'meter-text muted', text: `${pct}% mastered` }),
  ].filter(Boolean));
  const reached = checkpointList(progress, 'checkpoints-reached');
  if (reached) container.append(reached);
  const dots = h('span', { class: 'dots', 'aria-hidden': 'true' },
    Array.from({ length: Math.min(remaining, 12) }, () => h('span', { class: 'dot' })));
  if (progress.review) {
    // A review goes over some checkpoints only: count those, not the whole concept.
    const total = (progress.review.checkpoints ?? []).length;
    const done = Math.min(Number(progress.review.reviewed) || 0, total);
    container.append(h('p', { class: 'remaining', id: 'remaining' }, `${done} of ${total} reviewed`));
  } else {
    container.append(h('p', { class: 'remaining', id: 'remaining' }, remaining ? dots : null,
      remaining === 0 ? 'Every checkpoint found.' : `${remaining} still to find`));
  }
  for (const past of earlier) {
    const count = (past.checkpoints ?? []).filter((c) => c.reached).length;
    const list = checkpointList(past);
    container.append(h('details', { class: 'earlier', open: open.has(past.concept), dataset: { concept: past.concept } },
      h('summary', {},
        h('span', { class: 'check' }, past.mastered || remainingOf(past) === 0 ? checkIcon() : dotIcon()),
        ` ${past.title}`, h('span', { class: 'muted small', text: ` · ${count} of ${(past.checkpoints ?? []).length} found` })),
      list ?? h('p', { class: 'muted small', text: 'No checkpoint reached yet.' })));
  }
}

function remainingOf(progress) {
  return Number.isFinite(Number(progress.remaining))
    ? Number(progress.remaining)
    : (progress.checkpoints ?? []).filter((c) => !c.reached).length;
}

/** The reached checkpoints of one concept, each with the learner's words; null if none. */
function checkpointList(progress, id) {
  const reached = (progress.checkpoints ?? []).filter((c) => c.reached);
  if (!reached.length) return null;
  return h('ul', { class: 'checkpoints', id, 'aria-label': 'Checkpoints reached' }, reached.map((cp) =>
    h('li', { class: 'checkpoint', dataset: { checkpoint: cp.id } },
      h('span', { class: 'check' }, checkIcon()),
      h('div', {},
        h('p', { class: 'checkpoint-label', text: checkpointLabel(cp.id, cp.title) }),
        cp.stated_by_tutor
          ? h('p', { class: 'evidence muted', text: 'Klover stated it after your tries: it comes back in review.' })
          : cp.evidence ? h('blockquote', { class: 'evidence', text: `“${cp.evidence}”` }) : null))));
}

/** Draws the list of aha moments; `onJump(aha)` when one is chosen. */
export function renderAhas(container, ahas, onJump) {
  clear(container);
  if (!ahas.length) {
    container.append(h('p', { class: 'muted', text: 'Moments where an idea clicks are collected here.' }));
    return;
  }
  container.append(h('ul', { class: 'ahas', id: 'aha-list' }, ahas.map((aha) =>
    h('li', {}, h('button', { type: 'button', class: 'aha-item', onclick: () => onJump(aha) },
      h('span', { class: 'aha-star' }, bulbIcon()),
      h('span', { class: 'aha-quote', text: `“${aha.quote}”` }),
      h('span', { class: 'aha-cp muted', text: checkpointLabel(aha.checkpoint, aha.title) }))))));
}
