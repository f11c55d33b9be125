// A server reached by name (not loopback) with auth on: the page asks for the token
// once, keeps it for the tab (sessionStorage) and sends it with every request.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { env, inBrowser, screenshot, say, startConcept, waitForReplyEnd, assertClean } from '../lib/harness.mjs';

const LOCAL = new URL(env('KLOVER_URL'));
const TOKEN = env('KLOVER_TOKEN');
const DATA = JSON.parse(fs.readFileSync(env('KLOVER_TEST_DATA'), 'utf8'));
// The browser resolves this name to 127.0.0.1, so the page is not on a local host name.
const REMOTE = `http://klover.test:${LOCAL.port}/`;
const RESOLVE = `--host-resolver-rules=MAP klover.test 127.0.0.1`;

async function giveToken(page, token) {
  await page.locator('#token-dialog[open]').waitFor();
  await page.locator('#token-input').fill(token);
  await page.locator('#token-input').press('Enter');
}

test('a non-local server asks for the token once and the tab keeps it', inBrowser({ extraArgs: [RESOLVE] }, async ({ page, context, problems }) => {
  await page.goto(REMOTE);
  await screenshot(page, 'token-asked');
  await giveToken(page, 'not-a-real-token');
  await page.locator('#token-error:not([hidden])').waitFor();
  assert.match(await page.locator('#token-error').innerText(), /not accepted/);
  await giveToken(page, TOKEN);
  await page.locator('#conn[data-state="open"]').waitFor();
  await startConcept(page, DATA.first_concept.id);
  await say(page, DATA.seed_lines[0]);
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing outlives the tab');
  assert.equal(await page.evaluate(() => JSON.parse(sessionStorage.getItem('klover.v1.token'))), TOKEN);

  // A reload in the same tab neither asks again nor loses the session.
  const turns = await page.locator('.turn').count();
  await page.reload();
  await page.locator('#conn[data-state="open"]').waitFor();
  await waitForReplyEnd(page);
  assert.equal(await page.locator('#token-dialog[open]').count(), 0, 'no second prompt');
  await page.waitForFunction((n) => document.querySelectorAll('.turn').length === n, turns);
  assert.ok((await page.locator('.session-item').count()) >= 1, 'past sessions load with the token');

  // Another tab is another sessionStorage: it asks for its own token.
  const other = await context.newPage();
  await other.goto(REMOTE);
  await other.locator('#token-dialog[open]').waitFor();
  await other.close();
  // Wrong-token console noise (the 401 of the first try) is expected; nothing else.
  problems.console = problems.console.filter((line) => !/401|Unauthorized/i.test(line));
  assertClean(assert, problems);
}));
