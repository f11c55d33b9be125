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
  // The wrong token's HTTP requests are held until the right token is in use: their late
  // refusals must not ask again or stop the connection the right token opened.
  const WRONG = 'not-a-real-token';
  const held = [];
  await page.route('**/api/**', (route) => {
    if (route.request().headers().authorization === `Bearer ${WRONG}`) held.push(route);
    else route.continue();
  });
  await page.goto(REMOTE);
  await screenshot(page, 'token-asked');
  await giveToken(page, WRONG);
  await page.locator('#token-error:not([hidden])').waitFor();
  assert.match(await page.locator('#token-error').innerText(), /not accepted/);
  await giveToken(page, TOKEN);
  await page.locator('#conn[data-state="open"]').waitFor();
  assert.ok(held.length >= 1, 'the wrong token was tried over HTTP too');
  assert.ok(held.length <= 3, `a new token is tried once per resource, not ${held.length} times`);
  const refused = held.map((route) => page.waitForResponse((res) => res.request() === route.request()));
  for (const route of held) await route.continue();
  for (const response of await Promise.all(refused)) assert.equal(response.status(), 401);
  await page.evaluate(() => new Promise((done) => setTimeout(done, 200)));
  assert.equal(await page.locator('#token-dialog[open]').count(), 0, 'late refusals of the old token ask nothing');
  assert.equal(await page.locator('#conn').getAttribute('data-state'), 'open');
  await page.unroute('**/api/**');
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
