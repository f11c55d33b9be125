// Unit tests of the concept graph's states (no browser needed: the functions are pure).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conceptStatuses, nodeLabel, cardCopy } from '../../../crates/klover-server/web/js/graph.js';

/** basics → io → loop → gil, as `fetchCurricula` returns them. */
function curriculum(server = {}) {
  const concept = (id, title, prerequisites) => ({
    id, title, prerequisites, mastery: 0, mastered: false, covered: false, ...server[id],
  });
  return {
    concepts: [
      concept('basics', 'The basics', []),
      concept('io', 'I/O-bound vs CPU-bound', ['basics']),
      concept('loop', 'The event loop', ['io']),
      concept('gil', 'The GIL', ['loop']),
    ],
  };
}

const titles = (c) => new Map(c.concepts.map((k) => [k.id, k.title]));

test('a concept covered with help opens the next one', () => {
  const c = curriculum({
    basics: { mastered: true, covered: true, mastery: 1 },
    io: { covered: true, mastery: 0.6 },
  });
  const statuses = conceptStatuses(c, new Set());
  assert.deepEqual(Object.fromEntries(statuses), {
    basics: 'mastered', io: 'covered', loop: 'available', gil: 'locked',
  });
});

test('what the tab saw completed counts until the server says it was covered', () => {
  const before = conceptStatuses(curriculum(), new Set(['basics']));
  assert.equal(before.get('basics'), 'mastered');
  assert.equal(before.get('io'), 'available');
  const after = conceptStatuses(curriculum({ basics: { covered: true } }), new Set(['basics']));
  assert.equal(after.get('basics'), 'covered');
  assert.equal(after.get('io'), 'available');
});

test('a learner who never reached a concept finds it locked behind one not covered', () => {
  const statuses = conceptStatuses(curriculum(), new Set());
  assert.deepEqual([...statuses.values()], ['available', 'locked', 'locked', 'locked']);
});

test('labels name the covered state and only the prerequisites not done', () => {
  const c = curriculum({ basics: { covered: true, mastery: 0.5 }, io: { mastery: 0.25 } });
  const statuses = conceptStatuses(c, new Set());
  const [basics, io, loop] = c.concepts;
  const ctx = { titles: titles(c), statuses, current: 'io' };
  assert.equal(nodeLabel(basics, 'covered', ctx), 'The basics: covered with help');
  assert.equal(nodeLabel(io, 'available', ctx), 'I/O-bound vs CPU-bound: available, 25% explained, current concept');
  assert.equal(nodeLabel(loop, 'locked', ctx), 'The event loop: locked, needs I/O-bound vs CPU-bound');
});

test('the card of a covered concept says the tutor helped and offers to explain it again', () => {
  const covered = cardCopy('covered', false);
  assert.match(covered.note, /tutor had to state part of it/);
  assert.equal(covered.verb, 'Explain it again');
  assert.equal(cardCopy('mastered', false).verb, 'Explain it again');
  assert.equal(cardCopy('available', false).verb, 'Start learning');
  assert.equal(cardCopy('available', true).verb, 'Start a new session');
});
