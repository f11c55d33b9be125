// The card list ("Cards" in the Review entry): every review card of the learner with its
// title, state and when it comes due, and per card Suspend/Unsuspend and Reset, as
// `klover review list`, `suspend`, `unsuspend` and `reset` do (GET/POST /api/review/cards).

import { h, clear } from './dom.js';
import { fetchReviewCards, reviewCardAction } from './api.js';
import { whenLabel } from './review.js';

const STATE = { new: 'New', relearning: 'Relearning', review: 'Review', suspended: 'Suspended' };

/** The dialog, made once. */
function dialog() {
  let d = document.getElementById('cards-dialog');
  if (d) return d;
  d = h('dialog', { id: 'cards-dialog', 'aria-labelledby': 'cards-title' },
    h('h2', { id: 'cards-title', text: 'Review cards' }),
    h('p', { class: 'muted small', text: 'A suspended card is never due; a reset card is new again and due now.' }),
    h('ul', { id: 'cards-list', class: 'cards-list' }),
    h('p', { id: 'cards-error', class: 'note note-failed', hidden: true }),
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', id: 'cards-close', onclick: () => d.close() }, 'Close')));
  document.body.append(d);
  return d;
}

function row(card, act) {
  const due = card.suspended ? 'never due while suspended' : card.due ? 'due now' : `due ${whenLabel(card.due_at)}`;
  const reviews = card.reps === 1 ? '1 review' : `${card.reps} reviews`;
  return h('li', { class: 'card-row', dataset: { checkpoint: card.checkpoint, state: card.state } },
    h('p', { class: 'card-title' }, h('strong', { text: card.title }), ` — ${card.concept_title}`),
    h('p', { class: 'muted small card-state', text: `${STATE[card.state] ?? card.state} · ${due} · ${reviews}` }),
    h('div', { class: 'card-actions' },
      h('button', {
        type: 'button', class: 'card-suspend', 'aria-label': `${card.suspended ? 'Unsuspend' : 'Suspend'} ${card.title}`,
        onclick: () => act(card, card.suspended ? 'unsuspend' : 'suspend'),
      }, card.suspended ? 'Unsuspend' : 'Suspend'),
      h('button', {
        type: 'button', class: 'card-reset', 'aria-label': `Reset ${card.title}`, onclick: () => act(card, 'reset'),
      }, 'Reset')));
}

/** Opens the list; `onChange()` runs after a card changed (to redraw the due count). */
export async function openCards(onChange) {
  const d = dialog();
  const list = clear(d.querySelector('#cards-list'));
  const error = d.querySelector('#cards-error');
  error.hidden = true;
  const draw = (cards) => {
    clear(list);
    if (!cards.length) list.append(h('li', { class: 'muted small', text: 'No review cards yet.' }));
    for (const card of cards) list.append(row(card, act));
  };
  async function act(card, action) {
    try {
      await reviewCardAction(card.curriculum, card.checkpoint, action);
      draw(await fetchReviewCards());
      list.querySelector(`[data-checkpoint="${CSS.escape(card.checkpoint)}"] .card-suspend`)?.focus();
      onChange?.();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  }
  if (!d.open) d.showModal();
  try {
    draw(await fetchReviewCards());
  } catch (err) {
    error.textContent = err.message;
    error.hidden = false;
  }
}
