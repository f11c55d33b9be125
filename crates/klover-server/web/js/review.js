// The "Review due" entry: how many review cards are due now (or when the next one is),
// and the button that starts a review session on them. Drawn in the Concepts panel, in
// the welcome screen, and as a count on the Concepts tab (a phone shows one panel).

import { h, clear } from './dom.js';
import { reviewIcon } from './icons.js';

/** `Review due: 2` (and the curriculum's title when cards of several are due). */
function buttonLabel(group, several) {
  return several ? `Review due: ${group.count} · ${group.title}` : `Review due: ${group.count}`;
}

/** The due cards grouped by curriculum, most overdue first (the server's order). */
export function dueGroups(due, titleOf) {
  const groups = new Map();
  for (const card of due.due) {
    const group = groups.get(card.curriculum) ?? { curriculum: card.curriculum, title: titleOf(card.curriculum), count: 0, concepts: [] };
    group.count += 1;
    if (!group.concepts.includes(card.conceptTitle)) group.concepts.push(card.conceptTitle);
    groups.set(card.curriculum, group);
  }
  if (!groups.size && due.count > 0) return [{ curriculum: null, title: '', count: due.count, concepts: [] }];
  return [...groups.values()];
}

/** `tomorrow at 9:30 AM`, `Mon, Dec 1 at 9:30 AM` or `today at 6:00 PM`. */
export function whenLabel(iso, now = new Date()) {
  const when = new Date(iso);
  if (Number.isNaN(when.valueOf())) return '';
  const time = when.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
  const day = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).valueOf();
  const days = Math.round((day(when) - day(now)) / 86_400_000);
  if (days <= 0) return `today at ${time}`;
  if (days === 1) return `tomorrow at ${time}`;
  return `${when.toLocaleDateString([], { weekday: 'short', month: 'short', day: 'numeric' })} at ${time}`;
}

/** `Retention 75 % of 4 reviews · 2 reviews in the next 30 days` (empty without cards). */
export function statsLine(stats) {
  if (!stats || !Number(stats.cards)) return '';
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const parts = [];
  if (stats.passed !== null && stats.passed !== undefined) {
    parts.push(`Retention ${Math.round(Number(stats.passed) * 100)} % of ${plural(Number(stats.reviews), 'review')}`);
  }
  const ahead = (stats.forecast ?? []).reduce((a, b) => a + Number(b), 0);
  parts.push(`${plural(ahead, 'review')} in the next ${(stats.forecast ?? []).length || 30} days`);
  return parts.join(' · ');
}

/**
 * Draws the entry. `due` is `fetchReviewDue()`'s answer (null before it came);
 * `onStart(curriculumId)` starts a review session; `reviewing` is true while one is under
 * way (then it says so instead of offering the same cards again); `stats` is
 * `fetchReviewStats()`'s answer, shown as one line under the entry.
 */
export function renderReview(places, options) {
  drawEntry(places, options);
  const line = options.reviewing ? '' : statsLine(options.stats);
  const body = places.card.querySelector('.review-body');
  if (line) body.append(h('p', { class: 'muted small', id: 'review-stats', text: line }));
  // The card list (suspend, unsuspend, reset), whenever the learner has cards.
  if (options.onCards && Number(options.stats?.cards) > 0) {
    places.card.hidden = false;
    body.append(h('button', { type: 'button', id: 'review-cards', class: 'review-cards', onclick: options.onCards }, 'Cards'));
  }
}

function drawEntry({ card, welcome, tabBadge }, { due, titleOf, onStart, busy, reviewing = false }) {
  if (reviewing) {
    // The cards being reviewed are still due until each is rated: offering them again as
    // "Review due" would start the same review twice.
    card.hidden = false;
    tabBadge.hidden = true;
    clear(welcome);
    clear(card.querySelector('.review-body')).append(
      h('p', { class: 'review-status', id: 'review-status', text: 'Review in progress: explain each one again in the chat.' }));
    return;
  }
  const groups = due ? dueGroups(due, titleOf) : [];
  const several = groups.length > 1;
  const body = clear(card.querySelector('.review-body'));
  card.hidden = !due || (due.count === 0 && !due.nextDueAt);
  tabBadge.hidden = !due || due.count === 0;
  clear(tabBadge).append(due ? String(due.count) : '', h('span', { class: 'visually-hidden', text: ' due for review' }));
  tabBadge.title = due ? `${due.count} due for review` : '';
  clear(welcome);
  if (!due) return;
  if (due.count === 0) {
    body.append(h('p', { class: 'review-status', id: 'review-status', text: 'Nothing due for review.' }));
    if (due.nextDueAt) body.append(h('p', { class: 'muted small', id: 'review-next', text: `Next review ${whenLabel(due.nextDueAt)}.` }));
    return;
  }
  const what = groups.flatMap((g) => g.concepts).filter(Boolean);
  body.append(h('p', { class: 'review-status', id: 'review-status' },
    `${due.count} ${due.count === 1 ? 'checkpoint' : 'checkpoints'} to explain again`,
    what.length ? `: ${what.join(', ')}.` : '.'));
  groups.forEach((group, i) => {
    body.append(h('button', {
      type: 'button', class: 'primary review-start', id: i === 0 ? 'review-start' : undefined,
      disabled: busy, 'aria-describedby': 'review-status',
      dataset: { curriculum: group.curriculum ?? '' }, onclick: () => onStart(group.curriculum),
    }, reviewIcon(), buttonLabel(group, several)));
  });
  welcome.append(h('button', {
    type: 'button', class: 'review-start', id: 'welcome-review', disabled: busy,
    onclick: () => onStart(groups[0].curriculum),
  }, reviewIcon(), buttonLabel(groups[0], false)));
}
