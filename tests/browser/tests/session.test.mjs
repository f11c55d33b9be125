// The session as a thing the learner handles (run by tests/browser.rs with the offline
// tutor): the session menu shows its id (what `klover export` needs), the Export dialog
// shapes the post (front matter, title, author, turns left out), and a reload keeps the
// past sessions' titles and the phone's aha count.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { env, inBrowser, screenshot, say, startConcept, transcript, waitForReplyEnd, assertClean } from '../lib/harness.mjs';

const URL = env('KLOVER_URL');
const DATA = JSON.parse(fs.readFileSync(env('KLOVER_TEST_DATA'), 'utf8'));
const FIRST = DATA.first_concept;

const sessionId = (page) => page.evaluate(() => JSON.parse(sessionStorage.getItem('klover.v1.session')).sessionId);

async function download(page, click) {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: file.suggestedFilename(), text: fs.readFileSync(await file.path(), 'utf8') };
}

test('the session menu shows the id and the Export dialog shapes the post', inBrowser({}, async ({ page, problems }) => {
  await page.goto(URL);
  await page.locator('#conn[data-state="open"]').waitFor();
  assert.equal(await page.locator('#session-menu').isHidden(), true, 'no menu before a session');
  await startConcept(page, FIRST.id);
  await say(page, DATA.seed_lines[0]);
  await say(page, DATA.seed_lines[1]);
  const id = await sessionId(page);

  await page.locator('#session-menu-button').click();
  assert.equal(await page.locator('#session-menu-button').getAttribute('aria-expanded'), 'true');
  assert.equal(await page.locator('#session-id').innerText(), id);
  assert.equal(await page.locator('#session-export-cmd').innerText(), `klover export ${id}`);
  await screenshot(page, 'session-menu');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('#session-menu-panel').isHidden(), true, 'Esc closes the menu');

  // Markdown for dev.to, with a title and an author, the first answer left out.
  await page.locator('#session-menu-button').click();
  await page.locator('#menu-export').click();
  await page.locator('#export-dialog[open]').waitFor();
  const turns = await transcript(page);
  const rows = page.locator('#export-turns li');
  assert.equal(await rows.count(), turns.length, 'every turn can be left out');
  const mine = page.locator('#export-turns li', { hasText: DATA.seed_lines[0].slice(0, 30) });
  await mine.locator('input[type="checkbox"]').check();
  await page.locator('#export-front-matter').selectOption('devto');
  await page.locator('#export-post-title').fill('My async post');
  await page.locator('#export-author').fill('Ada');
  await screenshot(page, 'export-dialog');
  const md = await download(page, () => page.locator('#export-download').click());
  assert.match(md.name, /-my-async-post\.md$/);
  assert.ok(md.text.startsWith('---\ntitle: "My async post"\npublished: false\n'), md.text.slice(0, 200));
  assert.ok(!md.text.includes(DATA.seed_lines[0]), 'the omitted answer is left out');
  assert.ok(md.text.includes(DATA.seed_lines[1].split('\n')[0].slice(0, 40)), 'the other answer stays');
  await page.locator('#export-dialog').waitFor({ state: 'hidden' });

  // HTML has no front matter: the choice is disabled; the byline is there, no emoji.
  await page.locator('#export-open').click();
  await page.locator('#export-dialog[open]').waitFor();
  await page.locator('input[name="format"][value="html"]').check();
  assert.equal(await page.locator('#export-front-matter').isDisabled(), true);
  const html = await download(page, () => page.locator('#export-download').click());
  assert.match(html.name, /\.html$/);
  assert.ok(html.text.includes('<p class="byline">By Ada</p>'));
  assert.doesNotMatch(html.text, /[💡⚠]/u, 'no mark that needs an emoji font');

  // A refused export says why in the dialog (the server's words), and keeps it open.
  await page.locator('#export-open').click();
  await page.route('**/export?*', (route) => route.fulfill({
    status: 400, contentType: 'application/json', body: JSON.stringify({ error: 'the session has no turn `x` to omit' }),
  }));
  await page.locator('#export-download').click();
  await page.locator('#export-error', { hasText: 'no turn `x` to omit' }).waitFor();
  assert.equal(await page.locator('#export-dialog').isVisible(), true);
  await page.locator('#export-cancel').click();
  problems.console = problems.console.filter((line) => !/status of 400/.test(line));
  assertClean(assert, problems);
}));

test('after a reload the phone keeps its aha count and past sessions keep their titles', inBrowser({ width: 390, height: 844 }, async ({ page, problems }) => {
  await page.goto(URL);
  await page.locator('.tab[data-view="concepts"]').click();
  await startConcept(page, FIRST.id);
  const badge = page.locator('#tab-aha');
  for (const line of DATA.seed_lines) {
    if (await badge.isVisible()) break;
    await say(page, line);
  }
  assert.ok(await badge.isVisible(), 'the seed lines show an aha moment');
  const count = await badge.textContent();

  // The curricula come late after the reload: the list of past sessions must not fall
  // back to raw concept ids meanwhile.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route('**/api/curricula', async (route) => { await held; await route.continue(); });
  await page.reload();
  await page.locator('#conn[data-state="open"]').waitFor();
  await waitForReplyEnd(page);
  assert.ok(await badge.isVisible(), 'the aha count is still on the Progress tab');
  assert.equal(await badge.textContent(), count);
  await page.locator('.tab[data-view="concepts"]').click();
  await page.locator('.session-item').first().waitFor();
  assert.equal(await page.locator('.node').count(), 0, 'the curricula have not come yet');
  const titles = await page.locator('.session-item .session-title').allTextContents();
  const known = [FIRST.title, DATA.second_concept.title];
  assert.ok(titles.length >= 1 && titles.includes(FIRST.title), titles.join(' | '));
  for (const title of titles) assert.ok(known.includes(title), `"${title}" is a concept title, not an id`);
  release();
  await page.locator('.node').first().waitFor();
  await screenshot(page, 'session-reloaded-phone');
  assertClean(assert, problems);
}));
