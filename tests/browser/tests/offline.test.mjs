// The learner view against the real server with the offline tutor (run by tests/browser.rs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  env, inBrowser, openBrowser, screenshot, say, startConcept, transcript, waitForReplyEnd, assertClean,
} from '../lib/harness.mjs';

const URL = env('KLOVER_URL');
const DATA = JSON.parse(fs.readFileSync(env('KLOVER_TEST_DATA'), 'utf8'));
const FIRST = DATA.first_concept;
const SECOND = DATA.second_concept;

async function reachedIds(page) {
  return page.locator('#checkpoints-reached [data-checkpoint]').evaluateAll((els) => els.map((e) => e.dataset.checkpoint));
}

async function isMastered(page, conceptId) {
  return (await page.locator(`.node[data-concept="${conceptId}"]`).getAttribute('data-state')) === 'mastered';
}

/** No checkpoint the learner has not reached may appear anywhere on the page. */
async function assertNoUnreachedStatement(page) {
  const reached = new Set(await reachedIds(page));
  const text = await page.locator('body').innerText();
  for (const cp of FIRST.checkpoints.filter((c) => !reached.has(c.id))) {
    assert.ok(!text.includes(cp.statement), `unreached checkpoint ${cp.id} is shown`);
  }
}

test('a learner completes the first concept of the reference curriculum offline', inBrowser({}, async ({ page, problems }) => {
  await page.goto(URL);
  await page.locator('#conn[data-state="open"]').waitFor();
  const first = page.locator(`.node[data-concept="${FIRST.id}"]`);
  assert.equal(await first.getAttribute('data-state'), 'available');
  assert.equal(await page.locator(`.node[data-concept="${SECOND.id}"]`).getAttribute('data-state'), 'locked');
  await startConcept(page, FIRST.id);
  assert.match(await page.locator('#crumb').innerText(), new RegExp(FIRST.title));

  const typed = [];
  // The learner answers as in the seed conversation first.
  for (const line of DATA.seed_lines.slice(0, 3)) {
    if (await isMastered(page, FIRST.id)) break;
    await say(page, line);
    typed.push(line);
    if (typed.length === 1) await assertNoUnreachedStatement(page);
  }
  // Then, if the tutor still waits for something, states what is missing plainly.
  for (let round = 0; round < 2 && !(await isMastered(page, FIRST.id)); round += 1) {
    for (const cp of FIRST.checkpoints) {
      if (await isMastered(page, FIRST.id)) break;
      if ((await reachedIds(page)).includes(cp.id)) continue;
      await say(page, cp.statement);
      typed.push(cp.statement);
    }
  }
  await page.locator(`.node[data-concept="${FIRST.id}"][data-state="mastered"]`).waitFor();
  assert.equal(await page.locator(`.node[data-concept="${SECOND.id}"]`).getAttribute('data-state'), 'available');
  await page.locator('.divider').first().waitFor();

  // Reached checkpoints quote the learner's own words.
  const evidence = await page.locator('#progress blockquote.evidence').allTextContents();
  assert.ok(evidence.length >= 1, 'reached checkpoints are listed with evidence');
  const all = typed.join('\n').toLowerCase();
  for (const quote of evidence) {
    const words = quote.replace(/[“”]/g, '').toLowerCase().trim();
    assert.ok(all.includes(words), `evidence "${words}" is not the learner's words`);
  }
  // The concept just left is folded under the new one, its checkpoints named by their
  // titles (the last one was reached in the turn that moved on), and nothing prints a
  // stray "null" or "undefined".
  const labels = await page.locator(`#progress details.earlier[data-concept="${FIRST.id}"] .checkpoint-label`).allTextContents();
  const titles = FIRST.checkpoints.map((c) => c.title);
  assert.ok(labels.length >= 1, 'the concept left is listed with its checkpoints');
  for (const label of labels) assert.ok(titles.includes(label), `"${label}" is not a checkpoint title (${titles.join(' | ')})`);
  assert.doesNotMatch(await page.locator('#progress').innerText(), /\bnull\b|\bundefined\b/);
  const turns = await transcript(page);
  assert.ok(turns.filter((t) => t.role === 'learner').length >= 2);
  assert.ok(turns.every((t) => t.text.trim() !== '' || t.role === 'learner'), 'no empty tutor turn');
  // Marks are drawn (SVG), not font glyphs that show as empty boxes without a symbol font.
  assert.doesNotMatch(await page.locator('body').innerText(), /[✦💡✤✓○•]/u, 'no symbol-font glyph in the page');
  for (const turn of await page.locator('.turn-aha').all()) {
    assert.equal(await turn.locator('.aha-mark svg.icon-bulb').count(), 1, 'an aha turn carries the bulb icon');
  }
  await screenshot(page, 'offline-first-concept');

  // The session downloads as a blog post with the learner's own lines in it.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-md').click()]);
  assert.match(download.suggestedFilename(), /\.md$/);
  const post = fs.readFileSync(await download.path(), 'utf8');
  assert.ok(post.includes(typed[0]), 'the export holds what the learner wrote');
  const [html] = await Promise.all([page.waitForEvent('download'), page.locator('#export-html').click()]);
  assert.match(html.suggestedFilename(), /\.html$/);
  const page2 = fs.readFileSync(await html.path(), 'utf8');
  assert.match(page2, /<html/i);
  assert.ok(page2.includes('Async is after initiating a process'), 'the HTML export holds the learner\'s words');
  assertClean(assert, problems);

  // A fresh page (new browser profile, nothing in its storage; the same local learner)
  // shows the concept as mastered: the server's learner model says so, not this tab.
  const fresh = await openBrowser({});
  try {
    await fresh.page.goto(URL);
    await fresh.page.locator(`.node[data-concept="${FIRST.id}"][data-state="mastered"]`).waitFor();
    assert.equal(await fresh.page.evaluate(() => sessionStorage.length), 0, 'nothing came from this tab');
    assert.equal(await fresh.page.locator(`.node[data-concept="${SECOND.id}"]`).getAttribute('data-state'), 'available');
    assert.match(await fresh.page.locator(`.node[data-concept="${FIRST.id}"]`).getAttribute('aria-label'), /: mastered/);
    assert.equal((await fresh.page.locator('#welcome-start').innerText()).includes(SECOND.title), true,
      'the welcome offers the next concept');
    // Cards made by finishing the concept are not due yet: no review button; the entry
    // dates the next review when there is a card at all.
    const due = await fresh.page.evaluate(async () => (await fetch('/api/review/due')).json());
    assert.equal(due.count, 0);
    if (due.next_due_at) await fresh.page.locator('#review-next').waitFor();
    else await fresh.page.locator('#review-card').waitFor({ state: 'hidden' });
    assert.equal(await fresh.page.locator('#review-start').count(), 0);
    await screenshot(fresh.page, 'offline-new-tab-mastered');
    assertClean(assert, fresh.problems);
  } finally {
    await fresh.close();
  }
}));

test('reloading mid-session resumes the same session with the same transcript', inBrowser({ colorScheme: 'dark' }, async ({ page, problems }) => {
  await page.goto(URL);
  await startConcept(page, FIRST.id);
  await say(page, DATA.seed_lines[0]);
  const before = await transcript(page);
  const sessionBefore = await page.evaluate(() => sessionStorage.getItem('klover.v1.session'));
  assert.ok(sessionBefore, 'the session is kept in sessionStorage');

  await page.reload();
  await page.locator('#conn[data-state="open"]').waitFor();
  await waitForReplyEnd(page);
  await page.waitForFunction((n) => document.querySelectorAll('.turn').length === n, before.length);
  const after = await transcript(page);
  assert.deepEqual(after.map((t) => [t.role, t.text]), before.map((t) => [t.role, t.text]));
  const sessionAfter = JSON.parse(await page.evaluate(() => sessionStorage.getItem('klover.v1.session')));
  assert.equal(sessionAfter.sessionId, JSON.parse(sessionBefore).sessionId);

  // The resumed session goes on: the next message is answered in the same session.
  await say(page, DATA.seed_lines[1]);
  assert.equal((await transcript(page)).length, before.length + 2);
  await page.locator('.session-item.current').waitFor();
  await screenshot(page, 'offline-reload-resumed-dark');
  assertClean(assert, problems);
}));

test('a past session opens again from the list with its transcript', inBrowser({}, async ({ page, problems }) => {
  await page.goto(URL);
  await startConcept(page, FIRST.id);
  await say(page, DATA.seed_lines[0]);
  const first = await transcript(page);
  const firstId = JSON.parse(await page.evaluate(() => sessionStorage.getItem('klover.v1.session'))).sessionId;

  await page.locator(`.node[data-concept="${FIRST.id}"]`).click();
  await page.locator('#start-concept').click();
  await page.waitForFunction((id) => {
    const saved = JSON.parse(sessionStorage.getItem('klover.v1.session') ?? 'null');
    return saved && saved.sessionId !== id;
  }, firstId);
  await waitForReplyEnd(page);
  assert.equal(await page.locator('.turn-learner').count(), 0, 'a new session starts empty');

  // The list shows the newest sessions first; the one just left is among them.
  await page.locator(`.session-item[data-session="${firstId}"]`).click();
  await page.waitForFunction((n) => document.querySelectorAll('.turn').length === n, first.length);
  await waitForReplyEnd(page);
  assert.deepEqual((await transcript(page)).map((t) => t.text), first.map((t) => t.text));
  const saved = JSON.parse(await page.evaluate(() => sessionStorage.getItem('klover.v1.session')));
  assert.equal(saved.sessionId, firstId);
  assert.equal(await page.locator('#toast:not([hidden])').count(), 0, 'history replays without toasts');
  await screenshot(page, 'offline-past-session-reopened');
  assertClean(assert, problems);
}));

test('html typed as a message is shown as text and runs nothing', inBrowser({}, async ({ page, problems }) => {
  const payload = '<img src=x onerror=alert(1)>';
  await page.goto(URL);
  await startConcept(page, FIRST.id);
  await say(page, payload);
  const mine = page.locator('.turn-learner .body').last();
  assert.equal(await mine.innerText(), payload);
  assert.equal(await page.locator('#transcript img, #progress img, #ahas img').count(), 0);
  // Still text after a reload (rendered again from storage and the server's replay).
  await page.reload();
  await page.locator('#conn[data-state="open"]').waitFor();
  await waitForReplyEnd(page);
  assert.equal(await page.locator('.turn-learner .body').last().innerText(), payload);
  assert.equal(await page.locator('#progress-concept').innerText(), FIRST.title, 'titles, not ids, after a reload');
  assert.equal(await page.locator('img').count(), 0);
  await page.waitForTimeout(300);
  await screenshot(page, 'offline-html-as-text');
  assertClean(assert, problems);
}));

test('when the Stop button hides, the reply is already in the transcript, finished', inBrowser({}, async ({ page, problems }) => {
  await page.goto(URL);
  await startConcept(page, FIRST.id);
  // What the list shows at the moment the composer says the reply is over (a mutation
  // observer runs right after the task that hid the button, before the next frame).
  await page.evaluate(() => {
    window.seenAtStop = [];
    const stop = document.getElementById('stop');
    new MutationObserver((records) => {
      // Only when it goes from shown to hidden (setting `hidden` again also records).
      if (!stop.hidden || !records.some((r) => r.oldValue === null)) return;
      const last = [...document.querySelectorAll('#transcript .turn')].pop();
      window.seenAtStop.push({ role: last?.classList.contains('turn-tutor') ? 'tutor' : 'learner', status: last?.dataset.status });
    }).observe(stop, { attributes: true, attributeFilter: ['hidden'], attributeOldValue: true });
  });
  await say(page, "I don't know");
  await say(page, DATA.seed_lines[0]);
  const seen = await page.evaluate(() => window.seenAtStop);
  assert.equal(seen.length, 2, JSON.stringify(seen));
  assert.deepEqual(seen, [{ role: 'tutor', status: 'complete' }, { role: 'tutor', status: 'complete' }]);
  assertClean(assert, problems);
}));

test('the page policy refuses inline script even if markup got into the page', inBrowser({}, async ({ page, problems }) => {
  await page.goto(URL);
  await page.locator('#conn[data-state="open"]').waitFor();
  // Defence in depth: simulate a rendering bug that inserts markup with an inline handler.
  const violated = await page.evaluate(() => new Promise((resolve) => {
    document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true });
    const div = document.createElement('div');
    div.innerHTML = '<img src="/assets/favicon.svg#x" onload="window.__ran = 1" onerror="window.__ran = 1">';
    document.body.append(div);
    setTimeout(() => resolve('none'), 3000);
  }));
  assert.match(violated, /^script-src/);
  assert.equal(await page.evaluate(() => window.__ran), undefined, 'the inline handler did not run');
  problems.console = problems.console.filter((line) => !/Content Security Policy/.test(line));
  assertClean(assert, problems);
}));

test('the keyboard alone starts a session; Enter sends and Shift+Enter is a new line', inBrowser({}, async ({ page, problems }) => {
  await page.goto(URL);
  await page.locator('#welcome-start').waitFor();
  let focused = '';
  for (let i = 0; i < 40 && focused !== 'welcome-start'; i += 1) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => document.activeElement?.id ?? '');
  }
  assert.equal(focused, 'welcome-start', 'the start button is reachable with Tab');
  await page.keyboard.press('Enter');
  await page.locator('.turn-tutor').first().waitFor();
  await waitForReplyEnd(page);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'input');
  await page.keyboard.type('Sync waits for each call.');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('    while async_task():');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('        do_other_work()');
  assert.equal(await page.locator('.turn-learner').count(), 0, 'Shift+Enter does not send');
  await page.keyboard.press('Enter');
  await page.locator('.turn-learner').first().waitFor();
  await waitForReplyEnd(page);
  const mine = page.locator('.turn-learner').first();
  assert.equal(await mine.locator('.body p').first().innerText(), 'Sync waits for each call.');
  assert.equal(await mine.locator('.body pre code').innerText(), 'while async_task():\n    do_other_work()',
    'an indented block is shown as code with its indentation');
  assert.equal(await page.locator('#input').inputValue(), '');
  await screenshot(page, 'offline-keyboard');
  assertClean(assert, problems);
}));

test('the page works at 390 px wide', inBrowser({ width: 390, height: 844 }, async ({ page, problems }) => {
  await page.goto(URL);
  const noSideScroll = async () => {
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `page is ${width}px wide`);
  };
  await page.locator('#welcome-start').click();
  await page.locator('.turn-tutor').first().waitFor();
  await waitForReplyEnd(page);
  await say(page, `${DATA.seed_lines[0]}\n\`\`\`python\nasync def get_data():\n    response = await client.get(url)  # a long line that must scroll, not widen the page\n\`\`\``);
  await noSideScroll();
  for (const box of await page.locator('.bubble').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()))) {
    assert.ok(box.left >= 0 && box.right <= 390, `a message overflows: ${JSON.stringify(box)}`);
  }
  const composer = await page.locator('#composer').boundingBox();
  assert.ok(composer && composer.y + composer.height <= 844, 'the message box is on screen');
  await screenshot(page, 'phone-chat');

  await page.locator('.tab[data-view="concepts"]').click();
  await page.locator(`.node[data-concept="${FIRST.id}"]`).waitFor();
  await noSideScroll();
  await screenshot(page, 'phone-concepts');
  await page.locator('.tab[data-view="progress"]').click();
  await page.locator('#progress-concept').waitFor();
  await noSideScroll();
  await screenshot(page, 'phone-progress');
  assert.equal(await page.locator('#panel-chat').isVisible(), false, 'one panel at a time');
  assertClean(assert, problems);
}));
