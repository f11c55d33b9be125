// The welcome screen's way in: "Continue" where the learner left off (the server's
// `current_concept` for the curriculum: their unfinished concept, else the next unlocked
// one; a `start` without a concept opens it with what they have shown before), else or
// also the next concept the graph offers, or the graph itself.

import { h, clear } from './dom.js';

/**
 * Draws the actions into `box`. `statuses` maps concept id → graph state; `onContinue()`
 * continues, `onStart(concept)` starts a chosen concept, `onGraph()` shows the graph.
 */
export function renderWelcomeActions(box, { curriculum, statuses, onContinue, onStart, onGraph }) {
  clear(box);
  const current = curriculum?.concepts.find((c) => c.id === curriculum.current_concept);
  const next = curriculum?.concepts.find((c) => statuses.get(c.id) === 'available' && c.id !== current?.id);
  // The primary button is `#welcome-start` either way: continue, else the next concept.
  if (current) {
    box.append(h('button', { type: 'button', class: 'primary', id: 'welcome-start', 'data-action': 'continue', onclick: onContinue }, `Continue “${current.title}”`));
  }
  if (next) {
    const attrs = current ? { id: 'welcome-next' } : { class: 'primary', id: 'welcome-start' };
    const label = `${current ? 'Or start' : 'Start with'} “${next.title}”`;
    box.append(h('button', { type: 'button', ...attrs, 'data-action': 'start', onclick: () => onStart(next) }, label));
  }
  if (current || next) {
    box.append(h('button', { type: 'button', class: 'link', onclick: onGraph, text: 'or choose on the graph' }));
  }
}
