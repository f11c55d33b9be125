// Continue where you left off (run by tests/browser.rs on a server of its own): the
// welcome offers "Continue <concept>" where the learner left off, which opens that
// concept with what they showed before; the next unlocked concept is offered beside it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  env, inBrowser, openBrowser, screenshot, say, startConcept, waitForReplyEnd, assertClean,
} from '../lib/harness.mjs';

const URL = env('KLOVER_URL');
const DATA = JSON.parse(fs.readFileSync(env('KLOVER_TEST_DATA'), 'utf8'));
const FIRST = DATA.first_concept;

async function reachedIds(page) {
  return page.locator('#checkpoints-reached [data-checkpoint]').evaluateAll((els) => els.map((e) => e.dataset.checkpoint));
}

test('the welcome continues the concept the learner left unfinished, with what they showed', inBrowser({}, async ({ page, problems }) => {
  await page.goto(URL);
  await page.locator('#welcome-start').waitFor();
  assert.equal(await page.locator('#welcome-start').getAttribute('data-action'), 'start', 'a new learner has nothing to continue');
  await startConcept(page, FIRST.id);
  await say(page, DATA.seed_lines[0]);
  const shown = await reachedIds(page);
  assert.ok(shown.length > 0, 'the first answer reaches a checkpoint');
  assertClean(assert, problems);

  // Another day, a new tab (nothing in its storage): the same learner.
  const later = await openBrowser({});
  try {
    await later.page.goto(URL);
    const button = later.page.locator('#welcome-start[data-action="continue"]');
    await button.waitFor();
    assert.match(await button.innerText(), new RegExp(`Continue “${FIRST.title}”`));
    await screenshot(later.page, 'welcome-continue');
    await button.click();
    await later.page.locator('.turn-tutor').first().waitFor();
    await waitForReplyEnd(later.page);
    assert.match(await later.page.locator('#crumb').innerText(), new RegExp(FIRST.title));
    assert.equal(await later.page.locator('.turn-learner').count(), 0, 'a new session');
    // What the learner showed before is reached already, before they say anything.
    await later.page.locator('#checkpoints-reached [data-checkpoint]').first().waitFor();
    assert.deepEqual((await reachedIds(later.page)).sort(), [...shown].sort());
    assertClean(assert, later.problems);
  } finally {
    await later.close();
  }
}));
