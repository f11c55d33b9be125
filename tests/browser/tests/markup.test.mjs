// Unit tests of the message text → blocks parser (no browser needed: parseBlocks is pure).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBlocks, dedent } from '../../../crates/klover-server/web/js/markup.js';

test('fenced code keeps its indentation and language', () => {
  const blocks = parseBlocks('Look:\n```python\nasync def f():\n    await g()\n```\nWhat is wrong?');
  assert.deepEqual(blocks, [
    { kind: 'p', text: 'Look:' },
    { kind: 'code', text: 'async def f():\n    await g()', lang: 'python' },
    { kind: 'p', text: 'What is wrong?' },
  ]);
});

test('a fence still streaming (not closed yet) is already code', () => {
  assert.deepEqual(parseBlocks('```\nx = 1\n    y'), [{ kind: 'code', text: 'x = 1\n    y', lang: '' }]);
});

test('an indented block is code and pulls in its def head line', () => {
  const blocks = parseBlocks('What about this?\nasync def get_data():\n    response = requests.get(url)\n\n    return response.json()\nThanks');
  assert.deepEqual(blocks, [
    { kind: 'p', text: 'What about this?' },
    { kind: 'code', text: 'async def get_data():\n    response = requests.get(url)\n\n    return response.json()', lang: '' },
    { kind: 'p', text: 'Thanks' },
  ]);
});

test('tabs count as four spaces and the shared indentation is removed', () => {
  assert.deepEqual(dedent(['\tif x:', '\t\ty()']), ['if x:', '    y()']);
});

test('bullet and numbered lists become lists; blank lines split paragraphs', () => {
  assert.deepEqual(parseBlocks('Two kinds:\n- I/O-bound\n- CPU-bound\n\n1. one\n2. two\n\nEnd\nsame paragraph'), [
    { kind: 'p', text: 'Two kinds:' },
    { kind: 'ul', items: ['I/O-bound', 'CPU-bound'] },
    { kind: 'ol', items: ['one', 'two'] },
    { kind: 'p', text: 'End\nsame paragraph' },
  ]);
});

test('html stays plain text in the parsed blocks', () => {
  assert.deepEqual(parseBlocks('<img src=x onerror=alert(1)>'), [{ kind: 'p', text: '<img src=x onerror=alert(1)>' }]);
});
