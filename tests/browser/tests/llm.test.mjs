// The learner view against the real server in LLM mode, the upstream being the fake
// OpenAI-compatible server streaming word by word (run by tests/browser.rs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { env, inBrowser, screenshot, startConcept, waitForReplyEnd, assertClean } from '../lib/harness.mjs';

const URL = env('KLOVER_URL');
const DATA = JSON.parse(fs.readFileSync(env('KLOVER_TEST_DATA'), 'utf8'));
const MARKER = env('KLOVER_SLOW_MARKER');
const FULL = env('KLOVER_SLOW_REPLY');
const squash = (s) => s.replace(/\s+/g, ' ').trim();

test('a reply streams in and the stop button ends it with the partial text kept', inBrowser({}, async ({ page, problems }) => {
  await page.goto(URL);
  await startConcept(page, DATA.first_concept.id);
  const tutorTurns = await page.locator('.turn-tutor').count();

  await page.locator('#input').fill(`I am not sure what the worker is. Can you ${MARKER}?`);
  await page.locator('#input').press('Enter');
  const reply = page.locator('.turn-tutor').nth(tutorTurns);
  await page.locator('.turn-tutor[data-status="streaming"]').waitFor();
  // Text arrives piece by piece: it grows while the stop button is offered.
  await page.waitForFunction((n) => {
    const turn = document.querySelectorAll('.turn-tutor')[n];
    return turn && turn.querySelector('.body').textContent.length > 40;
  }, tutorTurns);
  const early = squash(await reply.locator('.body').innerText());
  await page.waitForFunction(([n, len]) => {
    const turn = document.querySelectorAll('.turn-tutor')[n];
    return turn.querySelector('.body').textContent.length > len + 10;
  }, [tutorTurns, early.length]);
  assert.ok(await page.locator('#stop').isVisible(), 'stop is offered while the reply streams');
  assert.ok(!(await page.locator('#send').isVisible()), 'send is hidden while the reply streams');
  assert.match(await page.locator('#live').innerText(), /Good instinct\./, 'finished sentences are announced');
  await screenshot(page, 'llm-streaming');

  await page.locator('#stop').click();
  await page.locator('.turn-tutor[data-status="partial"]').waitFor();
  await waitForReplyEnd(page);
  const partial = squash(await reply.locator('.body').innerText());
  assert.ok(partial.length >= early.length, 'the partial text is kept');
  assert.ok(partial.length < squash(FULL).length, 'the reply was cut short');
  assert.ok(squash(FULL).startsWith(partial), `the partial text is the reply's beginning: ${partial}`);
  assert.match(await reply.innerText(), /Stopped/);
  await page.waitForTimeout(1000);
  assert.equal(squash(await reply.locator('.body').innerText()), partial, 'nothing more arrives after stop');
  assert.ok(await page.locator('#send').isVisible(), 'the learner can write again');
  await screenshot(page, 'llm-stopped');

  // The partial reply is what the server stored: a reload shows the same.
  await page.reload();
  await page.locator('#conn[data-state="open"]').waitFor();
  await waitForReplyEnd(page);
  const again = page.locator('.turn-tutor').nth(tutorTurns);
  assert.equal(squash(await again.locator('.body').innerText()), partial);
  assert.equal(await again.getAttribute('data-status'), 'partial');
  assertClean(assert, problems);
}));

test('a reload while a reply streams shows the same transcript and the reply finishes', inBrowser({}, async ({ page, problems }) => {
  const marker = env('KLOVER_RELOAD_MARKER');
  const whole = squash(env('KLOVER_RELOAD_REPLY'));
  await page.goto(URL);
  await startConcept(page, DATA.first_concept.id);
  const tutorTurns = await page.locator('.turn-tutor').count();
  await page.locator('#input').fill(`I think something decides what runs next. Could you ${marker}?`);
  await page.locator('#input').press('Enter');
  await page.waitForFunction((n) => {
    const turn = document.querySelectorAll('.turn-tutor')[n];
    return turn && turn.dataset.status === 'streaming' && turn.querySelector('.body').textContent.length > 20;
  }, tutorTurns);

  await page.reload();
  await page.locator('#conn[data-state="open"]').waitFor();
  await waitForReplyEnd(page);
  const turns = page.locator('.turn-tutor');
  assert.equal(await turns.count(), tutorTurns + 1, 'one reply, not a duplicate');
  assert.equal(squash(await turns.nth(tutorTurns).locator('.body').innerText()), whole);
  assert.equal(await turns.nth(tutorTurns).getAttribute('data-status'), 'complete');
  assert.equal(await page.locator('.turn-learner').count(), 1);
  await screenshot(page, 'llm-reload-mid-reply');
  assertClean(assert, problems);
}));
