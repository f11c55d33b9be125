// Spaced review from the learner view (run by tests/browser.rs, which gives the local
// learner one review card due an hour ago through the real store before the server starts
// serving): the page shows "Review due: 1", a review session re-probes the card, and once
// it is answered well nothing is due and the next review date shows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  env, inBrowser, screenshot, say, transcript, waitForReplyEnd, assertClean,
} from '../lib/harness.mjs';

const URL = env('KLOVER_URL');
const ANSWER = env('KLOVER_REVIEW_ANSWER');

async function noSideScroll(page, width) {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width, `page is ${scroll}px wide`);
}

test('a due card shows "Review due: 1" and a review session re-probes it', inBrowser({}, async ({ page, problems }) => {
  await page.goto(URL);
  await page.locator('#conn[data-state="open"]').waitFor();
  const entry = page.locator('#review-start');
  await entry.waitFor();
  assert.equal((await entry.innerText()).trim(), 'Review due: 1');
  assert.match(await page.locator('#review-status').innerText(), /^1 checkpoint to explain again/);
  assert.equal(await page.locator('#review-stats').innerText(), '1 review in the next 30 days', 'no retention before a review');
  assert.equal(await page.locator('#tab-review').textContent(), '1 due for review', 'the Concepts tab carries the count');
  assert.equal((await page.locator('#welcome-review').innerText()).trim(), 'Review due: 1');
  const heard = await page.locator('#live').innerText();
  assert.match(heard, /Review due: 1 checkpoint to explain again/, 'the count is announced');
  await screenshot(page, 'review-due-desktop');

  // On a phone the chat view shows first: the entry is there and reachable with Tab.
  await page.setViewportSize({ width: 390, height: 844 });
  await noSideScroll(page, 390);
  assert.ok(await page.locator('#tab-review').isVisible(), 'the tab badge shows on a phone');
  let focused = '';
  for (let i = 0; i < 40 && focused !== 'welcome-review'; i += 1) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => document.activeElement?.id ?? '');
  }
  assert.equal(focused, 'welcome-review', 'the review entry is reachable with Tab');
  const box = await page.locator('#welcome-review').boundingBox();
  assert.ok(box && box.height >= 40 && box.x >= 0 && box.x + box.width <= 390, `touch target ${JSON.stringify(box)}`);
  await screenshot(page, 'review-due-phone');
  await page.keyboard.press('Enter');

  // The review session: marked as one in the transcript, the crumb and storage.
  await page.locator('.divider-review').waitFor();
  await page.locator('.turn-tutor').first().waitFor();
  await waitForReplyEnd(page);
  assert.match(await page.locator('.divider-review').innerText(), /review/i);
  assert.match(await page.locator('#crumb').innerText(), /Review/);
  const saved = JSON.parse(await page.evaluate(() => sessionStorage.getItem('klover.v1.session')));
  assert.equal(saved.mode, 'review');
  assert.match(await page.locator('#progress-review').textContent(), /^Review/, 'the progress panel says it is a review');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'input', 'focus moves to the message box');
  // The card under review is still due until it is rated: the page does not offer it again.
  assert.equal(await page.locator('#review-start, #welcome-review').count(), 0, 'no "Review due" during the review');
  assert.equal(await page.locator('#tab-review').isVisible(), false, 'no due count on the tab during the review');
  assert.match(await page.locator('#review-status').textContent(), /^Review in progress/);
  const probe = (await transcript(page)).filter((t) => t.role === 'tutor');
  assert.equal(probe.length, 1, 'the tutor opens with one probe');
  assert.ok(probe[0].text.trim().length > 0);
  // The probe asks; it never gives the checkpoint away.
  assert.ok(!probe[0].text.includes(ANSWER), 'the probe does not state the answer');
  assert.equal((await page.locator('#remaining').innerText()).trim(), '0 of 1 reviewed', 'the review is counted, not the concept');
  assert.equal(await page.locator('#input').isDisabled(), false);

  await say(page, ANSWER);
  // Answered well: the card moves out, nothing is due, and the next review date shows.
  await page.locator('#review-status', { hasText: 'Nothing due for review.' }).waitFor({ state: 'attached' });
  assert.match(await page.locator('#review-next').textContent(), /^Next review (today|tomorrow|\w{3}, \w{3} \d+) at /);
  assert.equal(await page.locator('#tab-review').isVisible(), false, 'no count once nothing is due');
  await page.locator('#review-stats', { hasText: 'Retention 100 % of 1 review' }).waitFor({ state: 'attached' });
  assert.match(await page.locator('#review-stats').textContent(), /^Retention 100 % of 1 review · 1 review in the next 30 days$/);
  assert.equal(await page.locator('#welcome-review').count(), 0);
  // The review is over: its own ending, the count, and a closed message box that says why.
  await page.locator('#ended-note').waitFor();
  const note = await page.locator('#ended-note').innerText();
  assert.match(note, /^Review complete: 1 card rescheduled\. Next review /);
  assert.match(note, /This session is finished — start another from Concepts\.$/);
  assert.equal(await page.locator('#input').isDisabled(), true, 'the message box is disabled');
  assert.equal((await page.locator('#remaining').innerText()).trim(), '1 of 1 reviewed');
  const ending = (await transcript(page)).filter((t) => t.role === 'tutor').at(-1).text;
  assert.ok(!/whole path/.test(ending), `a review ends as a review: ${ending}`);
  assert.ok(!/curriculum complete/i.test(await page.locator('body').innerText()), 'not a curriculum ending');
  // The verdict shows under the answer with the four grades; the learner overrules it
  // from the keyboard (a grade other than the grader's), once.
  const verdict = page.locator('.verdict');
  await verdict.waitFor();
  assert.match(await verdict.locator('.verdict-text').innerText(), /^Graded (Again|Hard|Good|Easy): A CPU-bound task blocks the whole loop · next review /);
  assert.deepEqual(await verdict.locator('.grade-button').allInnerTexts(), ['Again', 'Hard', 'Good', 'Easy']);
  const graderSaid = await verdict.locator('.grade-button[aria-pressed="true"]').getAttribute('data-grade');
  const mine = graderSaid === 'easy' ? 'good' : 'easy';
  await verdict.locator(`.grade-button[data-grade="${mine}"]`).focus();
  await page.keyboard.press('Enter');
  await page.locator('.verdict-overruled').waitFor();
  const regraded = await page.locator('.verdict-overruled .verdict-text').innerText();
  const Name = (g) => g[0].toUpperCase() + g.slice(1);
  assert.ok(regraded.startsWith(`Regraded ${Name(mine)} (the grader said ${Name(graderSaid)}): A CPU-bound task blocks the whole loop`), regraded);
  assert.equal(await page.locator('.verdict-overruled .grade-button').count(), 0, 'a review is regraded once');
  // The review's ending moves with the regrade: its "Next review" is now the regraded
  // card's (the only card), no longer the one the grader's grade scheduled.
  const before = note.match(/Next review (.+?)\. This session/)?.[1];
  const after = regraded.split(' · next review ')[1]?.replace(/\.$/, '');
  assert.ok(before && after, `${note} / ${regraded}`);
  assert.notEqual(after, before, 'the regrade moved the card');
  await page.locator('#ended-note', { hasText: `Next review ${after}. ` }).waitFor();
  await screenshot(page, 'review-answered-phone');
  await page.locator('.tab[data-view="concepts"]').click();
  await page.locator('#review-next').waitFor();
  await noSideScroll(page, 390);
  await screenshot(page, 'review-nothing-due-phone');

  // The card list: title, state and due; Suspend, then Unsuspend, from the keyboard.
  await page.locator('#review-cards').click();
  const row = page.locator('#cards-dialog .card-row[data-checkpoint]');
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  assert.equal(await row.locator('.card-title').innerText(), 'A CPU-bound task blocks the whole loop — The event loop');
  assert.match(await row.locator('.card-state').innerText(), /^Review · due (today|tomorrow|\w{3}, \w{3} \d+) at .* · 1 review$/);
  await row.locator('.card-suspend').focus();
  await page.keyboard.press('Enter');
  await page.locator('#cards-dialog .card-row[data-state="suspended"]').waitFor();
  assert.match(await row.locator('.card-state').innerText(), /^Suspended · never due while suspended/);
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Unsuspend', 'focus stays on the card');
  await screenshot(page, 'review-cards-phone');
  await page.keyboard.press('Enter');
  await page.locator('#cards-dialog .card-row[data-state="review"]').waitFor();
  await page.locator('#cards-close').click();
  await page.locator('#review-next').waitFor();
  assertClean(assert, problems);
}));

test('a new tab after the review lists it as a review session and shows nothing due', inBrowser({}, async ({ page, problems }) => {
  await page.goto(URL);
  await page.locator('#conn[data-state="open"]').waitFor();
  await page.locator('#review-next').waitFor();
  assert.equal(await page.locator('#review-start').count(), 0, 'no review button when nothing is due');
  const item = page.locator('.session-item .session-title', { hasText: /^Review · / });
  await item.first().waitFor();
  await item.first().click();
  await page.locator('.divider-review').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.turn-learner').length === 1);
  await waitForReplyEnd(page);
  assert.equal(await page.locator('.turn-learner .body').first().innerText(), ANSWER);
  await page.locator('#ended-note').waitFor();
  assert.match(await page.locator('#ended-note').innerText(), /This session is finished — start another from Concepts/);
  assert.equal(await page.locator('#input').isDisabled(), true, 'a finished session reopens closed');
  await screenshot(page, 'review-reopened-desktop');
  assertClean(assert, problems);
}));
