// The author's editor at /author (run by tests/browser.rs on a server of its own, auth
// off on loopback, so the local user is an author): the cue tester says what a sentence
// credits and which cues matched, and the preview runs learner lines on the published
// version; everything is reachable by label and keyboard.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, env, inBrowser, assertClean } from '../lib/harness.mjs';

const URL = env('KLOVER_URL');
const SENTENCE = 'a heavy calculation freezes everything else, the loop is stuck';

async function openEditor(page) {
  await page.goto(`${URL}author`);
  await page.locator('#concept-pick option[value="event-loop"]').waitFor({ state: 'attached' });
  await page.getByLabel('Concept to edit, try and preview').selectOption('event-loop');
}

test('the cue tester names what a sentence credits and the cue behind it', inBrowser({ width: 1360, height: 900 }, async ({ page, problems }) => {
  await openEditor(page);
  const box = page.getByLabel("A learner's sentence");
  await box.fill(SENTENCE);
  // Keyboard only: from the text area, Tab reaches the button and Enter presses it.
  await box.press('Tab');
  await page.keyboard.press('Enter');
  const result = page.locator('#try-result');
  await result.getByText('Credits cpu-task-blocks-loop').waitFor();
  assert.match(await result.innerText(), /cpu-task-blocks-loop credits — cue “[^”]+” matched “[^”]+”/);
  await box.fill('hello there, nice weather today');
  await page.getByRole('button', { name: 'Try it' }).click();
  await result.getByText('Credits nothing.').waitFor();
  assertClean(assert, problems);
}));

test('the preview runs learner lines on the published version', inBrowser({ width: 1360, height: 900 }, async ({ page, problems }) => {
  await openEditor(page);
  await page.getByLabel('Learner lines (one a line)').fill(`${SENTENCE}\nwhat else is there?`);
  await page.getByRole('button', { name: 'Run the preview' }).click();
  const col = page.locator('.preview-col').first();
  await col.getByRole('heading', { name: 'Published' }).waitFor();
  const text = await col.innerText();
  assert.match(text, /Tutor: That's exactly why CPU-bound work/);
  assert.match(text, /credited cpu-task-blocks-loop/);
  assert.equal(await col.locator('li').count(), 2);
  await page.getByLabel("A learner's sentence").fill(SENTENCE);
  await page.getByRole('button', { name: 'Try it' }).click();
  await page.locator('#try-result').getByText('Credits cpu-task-blocks-loop').waitFor();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.locator('#editor').screenshot({ path: path.join(ARTIFACTS, 'author-editor.png') });
  assertClean(assert, problems);
}));
