// The conversation view: one list item per turn (learner, tutor, or a concept divider),
// re-rendered when its turn changes. It keeps the view pinned to the newest message
// unless the learner has scrolled up to read.

import { h, clear } from './dom.js';
import { renderRich } from './markup.js';
import { reviewIcon, bulbIcon } from './icons.js';
import { whenLabel } from './review.js';

const STATUS_NOTE = {
  pending: 'Sending…',
  queued: 'Waiting for the connection…',
  partial: 'Stopped: partial reply',
  failed: 'The reply failed',
  rejected: 'Not sent',
};

export class TranscriptView {
  /** `list` is the <ol>, `scroller` the element that scrolls. */
  constructor(list, scroller) {
    this.list = list;
    this.scroller = scroller;
    this.items = new Map();
    this.pending = new Set();
    this.frame = 0;
    // Follow new text while the reader is at the end; stop when they scroll up to read.
    // Growing content fires no scroll event, so this only changes when the reader scrolls.
    this.stuck = true;
    scroller.addEventListener('scroll', () => { this.stuck = this.nearEnd(); }, { passive: true });
  }

  /** Replaces everything with `turns`. */
  reset(turns) {
    clear(this.list);
    this.items.clear();
    for (const turn of turns) this.update(turn, true);
    this.scrollToEnd(true);
  }

  /**
   * Draws or redraws one turn. Streaming text is batched per animation frame; any other
   * state (sent, acknowledged, finished, stopped, failed) is drawn at once, so the list
   * never shows a reply as missing or still streaming once the composer says it is over.
   * Following the newest message waits for the frame either way.
   */
  update(turn, now = false) {
    if (now) {
      this.draw(turn);
      return;
    }
    if (turn.status === 'streaming') this.pending.add(turn);
    else {
      this.pending.delete(turn);
      this.draw(turn);
    }
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        for (const t of this.pending) this.draw(t);
        this.pending.clear();
        this.follow();
      });
    }
  }

  /** Removes a turn (a message the server refused). */
  remove(key) {
    this.items.get(key)?.remove();
    this.items.delete(key);
  }

  draw(turn) {
    const next = turn.role === 'divider' ? divider(turn)
      : turn.role === 'graded' ? verdict(turn)
        : message(turn);
    const old = this.items.get(turn.key);
    if (old) old.replaceWith(next);
    else this.list.append(next);
    this.items.set(turn.key, next);
  }

  nearEnd() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  /** Keeps the newest message in view unless the reader has scrolled up. */
  follow() {
    if (this.stuck) this.scrollToEnd(true);
  }

  /** Jumps to the newest message (`force` also resumes following). */
  scrollToEnd(force = false) {
    if (force) this.stuck = true;
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }
}

const GRADES = ['again', 'hard', 'good', 'easy'];
const GRADE_NAME = { again: 'Again', hard: 'Hard', good: 'Good', easy: 'Easy' };

/**
 * A review answer's grade with the four buttons that overrule it (each an `overrule`
 * event bubbling from the list, sent by main.js); once overruled, what the learner chose.
 */
function verdict(turn) {
  const name = (g) => GRADE_NAME[g] ?? g;
  const next = turn.nextDueAt ? ` · next review ${whenLabel(turn.nextDueAt)}` : '';
  const text = turn.overruled
    ? h('p', { class: 'verdict-text' }, 'Regraded ', h('strong', { text: name(turn.grade) }),
      ` (the grader said ${name(turn.graderGrade)}): ${turn.title}${next}.`)
    : h('p', { class: 'verdict-text' }, 'Graded ', h('strong', { text: name(turn.grade) }), `: ${turn.title}${next}.`);
  const buttons = turn.overruled ? null : h('div', { class: 'grade-buttons', role: 'group', 'aria-label': `Regrade ${turn.title}` },
    h('span', { class: 'muted small', text: 'Disagree? Regrade it:' }),
    ...GRADES.map((g) => h('button', {
      type: 'button', class: 'grade-button', dataset: { grade: g }, 'aria-pressed': g === turn.grade ? 'true' : 'false',
      onclick: (ev) => {
        for (const b of ev.currentTarget.parentElement.querySelectorAll('button')) b.disabled = true;
        ev.currentTarget.dispatchEvent(new CustomEvent('overrule', { bubbles: true, detail: { reviewId: turn.reviewId, grade: g } }));
      },
    }, name(g))));
  return h('li', { class: `verdict${turn.overruled ? ' verdict-overruled' : ''}`, dataset: { key: turn.key, reviewId: turn.reviewId } },
    h('div', { class: 'bubble' }, reviewIcon('14'), text, buttons));
}

function divider(turn) {
  const review = turn.variant === 'review';
  return h('li', { class: `divider${review ? ' divider-review' : ''}`, dataset: { key: turn.key } },
    h('h2', {}, review ? reviewIcon('14') : null, turn.text));
}

function message(turn) {
  const who = turn.role === 'learner' ? 'Me' : 'Klover';
  const body = h('div', { class: 'body' }, renderRich(turn.text));
  if (turn.status === 'streaming' && turn.text) {
    const last = body.lastElementChild;
    const host = last && last.tagName === 'P' ? last : body;
    host.append(h('span', { class: 'caret', 'aria-hidden': 'true' }));
  }
  if (turn.role === 'tutor' && turn.status === 'streaming' && !turn.text) {
    body.append(h('span', { class: 'typing', 'aria-label': 'Klover is writing' },
      h('span'), h('span'), h('span')));
  }
  const note = STATUS_NOTE[turn.status];
  const aha = turn.aha
    ? h('p', { class: 'aha-mark' }, h('span', { class: 'aha-star' }, bulbIcon('12')), ' Aha moment')
    : null;
  return h('li', {
    class: `turn turn-${turn.role}${turn.aha ? ' turn-aha' : ''}`,
    dataset: { key: turn.key, status: turn.status ?? 'complete', turnId: turn.turnId ?? '' },
  },
  h('p', { class: 'who', text: who }),
  h('div', { class: 'bubble' }, body, aha, note ? h('p', { class: `note note-${turn.status}`, text: note }) : null));
}
