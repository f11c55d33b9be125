// The author page's Analytics section (issue 15, item 7) in Chromium. The Rust harness
// scripted one learner who tried three times and was told `sync-waits-for-completion`
// (so: 1 learner, reached by none, stated once; one inbox item) and showed the
// misconception `async-runs-in-parallel`. The author opens the section with the keyboard,
// reads the tables by their titles, asks for the example line, and dismisses the item.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, env, inBrowser, assertClean } from '../lib/harness.mjs';

const URL_ = new URL('author', env('KLOVER_URL')).toString();
const TOLD_ANSWER = env('KLOVER_TOLD_ANSWER');
const DATA = JSON.parse(fs.readFileSync(env('KLOVER_TEST_DATA'), 'utf8'));
const TOLD = DATA.first_concept.checkpoints.find((c) => c.id === 'sync-waits-for-completion');

test('an author reads the analytics and handles the inbox with the keyboard', inBrowser({ width: 1360, height: 1000 }, async ({ page, problems }) => {
  await page.goto(URL_);
  await page.locator('#curriculum option').first().waitFor({ state: 'attached' });
  // Keyboard only: focus the idle field, then Tab to the button and press Enter.
  await page.locator('#idle-minutes').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'analytics-show');
  await page.keyboard.press('Enter');
  await page.locator('#analytics-results:not([hidden])').waitFor();

  // Checkpoints: a row titled by the checkpoint's label, not its id.
  const row = page.locator('table.figures tr', { has: page.locator(`th[scope="row"]`, { hasText: TOLD.title }) });
  const cells = await row.locator('td').allInnerTexts();
  assert.deepEqual(cells, [DATA.first_concept.title, '1', '0 of 1', '–', '1'], `learners, reached, median tries, stated: ${cells}`);
  assert.equal(await page.locator('th', { hasText: 'sync-waits-for-completion' }).count(), 0, 'titles, not ids');
  // Misconceptions: by their belief; the learner showed this one once.
  const belief = page.locator('table.figures tr', { has: page.locator('th[scope="row"]', { hasText: /same instant/ }) });
  assert.deepEqual((await belief.first().locator('td').allInnerTexts()).slice(1), ['1', '1', '0 of 1']);
  // Where sessions stop: the session is still going under the 30-minute default.
  const stops = page.locator('table.figures', { has: page.locator('caption', { hasText: 'Unfinished sessions' }) });
  assert.deepEqual(await stops.locator('tbody tr').first().locator('td').allInnerTexts(), [DATA.first_concept.title, '0', '1']);

  // The inbox: the learner's last try before the tutor stated the checkpoint.
  const items = page.locator('#inbox .inbox-item');
  assert.equal(await items.count(), 1);
  assert.equal(await items.first().locator('blockquote').innerText(), TOLD_ANSWER);
  assert.match(await items.first().locator('.note').innerText(), new RegExp(TOLD.title));
  // The section alone (copied to docs/screenshots/author-analytics.png for the docs).
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.locator('#analytics').screenshot({ path: path.join(ARTIFACTS, 'author-analytics.png') });

  // "Add as example" with the keyboard: the TOML line to add appears.
  await items.first().getByRole('button', { name: 'Add as example' }).focus();
  await page.keyboard.press('Enter');
  const snippet = items.first().locator('.snippet pre');
  await snippet.waitFor();
  assert.equal(await snippet.innerText(), JSON.stringify(TOLD_ANSWER));
  assert.match(await page.locator('#analytics-status').innerText(), /example line/);

  // Dismiss: the item leaves, the status says so, the focus stays on the section.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Dismiss');
  await page.keyboard.press('Enter');
  await page.locator('#inbox-empty:not([hidden])').waitFor();
  assert.equal(await items.count(), 0);
  assert.equal(await page.locator('#analytics-status').innerText(), 'Dismissed.');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'analytics-show');

  // Reloaded, the dismissed answer stays gone.
  await page.reload();
  await page.locator('#curriculum option').first().waitFor({ state: 'attached' });
  await page.locator('#analytics-show').click();
  await page.locator('#analytics-results:not([hidden])').waitFor();
  assert.equal(await items.count(), 0);
  assertClean(assert, problems);
}));
