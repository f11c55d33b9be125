// The concept picker: concepts laid out in layers by prerequisite depth, drawn as
// focusable buttons with SVG arrows from each prerequisite. A concept is mastered (by the
// learner), covered (done, but the tutor had to state part of it), available (every
// prerequisite mastered or covered) or locked (and says which ones are missing).

import { h, svg, clear } from './dom.js';
import { checkIcon, ringIcon } from './icons.js';

const STATE_LABEL = { mastered: 'mastered', covered: 'covered with help', available: 'available', locked: 'locked' };
const STATE_MARK = { mastered: checkIcon, covered: halfIcon, available: ringIcon };

/** A half-filled ring: done, partly in the tutor's words. */
function halfIcon(size = '12') {
  return svg('svg', { class: 'icon icon-half', viewBox: '0 0 12 12', width: size, height: size, 'aria-hidden': 'true', focusable: 'false' },
    svg('circle', { cx: '6', cy: '6', r: '4.6', fill: 'none', stroke: 'currentColor', 'stroke-width': '1.5' }),
    svg('path', { d: 'M6 1.4A4.6 4.6 0 0 0 6 10.6Z', fill: 'currentColor' }));
}

/** A small padlock (no emoji font is needed to show it). */
function lockIcon() {
  return svg('svg', { viewBox: '0 0 12 14', width: '11', height: '13', class: 'lock', 'aria-hidden': 'true' },
    svg('path', { d: 'M3 6V4a3 3 0 0 1 6 0v2', fill: 'none', stroke: 'currentColor', 'stroke-width': '1.6' }),
    svg('rect', { x: '1', y: '6', width: '10', height: '7.5', rx: '1.5', fill: 'currentColor' }));
}

/** Whether a concept in this state opens the concepts that need it. */
export const isDone = (state) => state === 'mastered' || state === 'covered';

/**
 * Map concept id → 'mastered' | 'covered' | 'available' | 'locked'. `mastered` holds the
 * ids the tab saw completed (a `concept_advanced`); the server's own view of a concept
 * (`mastered`, `covered` from `GET /api/curricula`) wins: a concept the tab saw completed
 * that the server says was covered with the tutor's help is covered, not mastered.
 */
export function conceptStatuses(curriculum, mastered) {
  const concepts = curriculum?.concepts ?? [];
  const own = (c) => {
    if (c.mastered === true) return 'mastered';
    if (c.covered === true) return 'covered';
    return mastered.has(c.id) ? 'mastered' : null;
  };
  const done = new Map(concepts.map((c) => [c.id, own(c)]));
  const statuses = new Map();
  for (const c of concepts) {
    const state = done.get(c.id);
    if (state) statuses.set(c.id, state);
    else if (c.prerequisites.every((p) => done.get(p) || mastered.has(p))) statuses.set(c.id, 'available');
    else statuses.set(c.id, 'locked');
  }
  return statuses;
}

/** The prerequisites of `concept` that are neither mastered nor covered. */
export function missingPrerequisites(concept, statuses) {
  return concept.prerequisites.filter((p) => !isDone(statuses.get(p)));
}

/** A graph node's accessible name: state, how much is explained, what it needs. */
export function nodeLabel(concept, state, { titles, statuses, current }) {
  const part = !isDone(state) && concept.mastery > 0 ? `, ${Math.round(concept.mastery * 100)}% explained` : '';
  const missing = missingPrerequisites(concept, statuses);
  return `${concept.title}: ${STATE_LABEL[state]}${part}` +
    (state === 'locked' ? `, needs ${missing.map((p) => titles.get(p) ?? p).join(', ')}` : '') +
    (concept.id === current ? ', current concept' : '');
}

/** What the card under the graph says for a concept that is not locked, and its button. */
export function cardCopy(state, isCurrent) {
  if (state === 'mastered') return { note: 'Mastered. You can explain it again.', verb: 'Explain it again' };
  if (state === 'covered') {
    return {
      note: 'Covered with help: the tutor had to state part of it for you. Explain it again to make it your own.',
      verb: 'Explain it again',
    };
  }
  return {
    note: 'Ready: every prerequisite is mastered or covered.',
    verb: isCurrent ? 'Start a new session' : 'Start learning',
  };
}

/** Concepts grouped by depth (longest prerequisite chain below them). */
export function layers(concepts) {
  const byId = new Map(concepts.map((c) => [c.id, c]));
  const depth = new Map();
  const visit = (id, seen = new Set()) => {
    if (depth.has(id)) return depth.get(id);
    if (seen.has(id)) return 0; // a cycle never passes validation; do not loop on one
    seen.add(id);
    const prereqs = (byId.get(id)?.prerequisites ?? []).filter((p) => byId.has(p));
    const d = prereqs.length ? 1 + Math.max(...prereqs.map((p) => visit(p, seen))) : 0;
    depth.set(id, d);
    return d;
  };
  const rows = [];
  for (const c of concepts) {
    const d = visit(c.id);
    (rows[d] ??= []).push(c);
  }
  return rows.filter(Boolean);
}

/** Draws the graph into `container`; `onSelect(concept)` when a node is chosen. */
export function renderGraph(container, { curriculum, statuses, current, selected, onSelect }) {
  clear(container);
  if (!curriculum) return;
  const titles = new Map(curriculum.concepts.map((c) => [c.id, c.title]));
  const nodes = new Map();
  const rows = layers(curriculum.concepts).map((row) =>
    h('div', { class: 'graph-row', role: 'presentation' }, row.map((concept) => {
      const state = statuses.get(concept.id) ?? 'locked';
      const label = nodeLabel(concept, state, { titles, statuses, current });
      const node = h('button', {
        type: 'button',
        class: `node node-${state}${concept.id === current ? ' node-current' : ''}`,
        'aria-pressed': concept.id === selected ? 'true' : 'false',
        'aria-label': label,
        title: label,
        dataset: { concept: concept.id, state },
        onclick: () => onSelect(concept),
      }, state === 'locked' ? lockIcon() : h('span', { class: 'node-mark' }, STATE_MARK[state]()),
      h('span', { class: 'node-title', text: concept.title }));
      nodes.set(concept.id, node);
      return node;
    })),
  );
  const edges = svg('svg', { class: 'graph-edges', 'aria-hidden': 'true' });
  const canvas = h('div', { class: 'graph-canvas' }, edges, h('div', { class: 'graph-rows' }, rows));
  container.append(canvas);
  const draw = () => drawEdges(edges, canvas, curriculum, nodes, statuses);
  requestAnimationFrame(draw);
  container._observer?.disconnect();
  container._observer = new ResizeObserver(draw);
  container._observer.observe(canvas);
}

function drawEdges(edges, canvas, curriculum, nodes, statuses) {
  clear(edges);
  const box = canvas.getBoundingClientRect();
  edges.setAttribute('viewBox', `0 0 ${box.width} ${box.height}`);
  edges.setAttribute('width', box.width);
  edges.setAttribute('height', box.height);
  edges.append(svg('defs', {}, svg('marker', {
    id: 'arrow', viewBox: '0 0 8 8', refX: '7', refY: '4', markerWidth: '7', markerHeight: '7', orient: 'auto',
  }, svg('path', { d: 'M0,0 L8,4 L0,8 z', class: 'edge-head' }))));
  for (const concept of curriculum.concepts) {
    const to = nodes.get(concept.id)?.getBoundingClientRect();
    for (const prereq of concept.prerequisites) {
      const from = nodes.get(prereq)?.getBoundingClientRect();
      if (!from || !to) continue;
      const x1 = from.left + from.width / 2 - box.left;
      const y1 = from.bottom - box.top;
      const x2 = to.left + to.width / 2 - box.left;
      const y2 = to.top - box.top - 1;
      const mid = (y1 + y2) / 2;
      const done = isDone(statuses.get(prereq));
      edges.append(svg('path', {
        d: `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2}`,
        class: done ? 'edge edge-done' : 'edge',
        'marker-end': 'url(#arrow)',
      }));
    }
  }
}

/** The card under the graph: what the chosen concept is, why it is locked, and Start. */
export function renderConceptCard(container, { curriculum, concept, statuses, current, onStart }) {
  clear(container);
  if (!concept) {
    container.append(h('p', { class: 'muted', text: 'Choose a concept on the graph to start.' }));
    return;
  }
  const state = statuses.get(concept.id) ?? 'locked';
  const titles = new Map(curriculum.concepts.map((c) => [c.id, c.title]));
  const missing = missingPrerequisites(concept, statuses);
  container.append(h('h3', { text: concept.title }));
  if (state === 'locked') {
    container.append(h('p', { class: 'muted' },
      'Locked until you have explained: ', missing.map((p) => titles.get(p) ?? p).join(', '), '.'));
  } else {
    const { note, verb } = cardCopy(state, concept.id === current);
    container.append(h('p', { class: 'muted', text: note }));
    container.append(h('button', { type: 'button', class: 'primary', id: 'start-concept', text: verb, onclick: () => onStart(concept) }));
  }
}
