// The author's editor at /author (run by tests/browser.rs on a server of its own, auth
// off on loopback, so the local user is an author): the cue tester says what a sentence
// credits and which cues matched, and the preview runs learner lines on the published
// version; an author drafts (a new concept with a prerequisite, a cycle refused, a hint
// edited, a validation error next to its field), previews, publishes, and a new learner
// session gets the change while a running one does not. Controls are found by label.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS, env, inBrowser, openBrowser, say, startConcept, assertClean, transcript,
} from '../lib/harness.mjs';

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

const OLD_HINT = 'Think about a single worker calling a slow API synchronously. What is it doing until the reply arrives?';
const NEW_HINT = 'Picture one clerk phoning a slow office and holding the line. What is the clerk doing until someone answers?';

/** The tutor's last reply in a learner tab. */
async function lastTutor(page) {
  return page.locator('.turn-tutor .body').last().innerText();
}

test('an author drafts, edits, previews and publishes; new sessions get it, running ones keep theirs', inBrowser({ width: 1360, height: 900 }, async ({ page, problems }) => {
  // A learner's session that runs across the publish (another tab, its own profile).
  // Every draft answer runs the whole checker (examples included): slow in a debug build.
  page.setDefaultTimeout(90_000);
  const learner = await openBrowser({});
  try {
    await learner.page.goto(URL);
    await startConcept(learner.page, 'sync-vs-async');

    await openEditor(page);
    await page.getByRole('button', { name: 'Start a draft' }).click();
    await page.locator('#draft-state').getByText(/Draft .* revision/).waitFor();

    // A new concept with a prerequisite.
    const add = page.locator('#add-form');
    await add.getByLabel('Id', { exact: true }).fill('async-queues');
    await add.getByLabel('Title', { exact: true }).fill('Queues between tasks');
    await add.getByLabel('Needs first', { exact: true }).selectOption('event-loop');
    await add.getByLabel('Opening question', { exact: true }).fill('Two tasks must pass work to each other. How would you set that up?');
    await add.getByLabel('Summary', { exact: true }).fill('A queue hands work from one task to another without either waiting on the other.');
    await add.getByLabel('First checkpoint id', { exact: true }).fill('queue-hands-over-work');
    await add.getByLabel('Its statement', { exact: true }).fill('A queue lets one task hand work to another without blocking it.');
    await add.getByLabel('A cue', { exact: true }).fill('queue hand*|pass*');
    await add.getByLabel('First hint', { exact: true }).fill('What could sit between the two tasks?');
    await add.getByLabel('Second hint', { exact: true }).fill('Where does the first task leave its work for the second?');
    await add.getByRole('button', { name: 'Add the concept' }).click();
    const row = page.locator('.edge-row', { hasText: 'Queues between tasks' });
    await row.getByRole('button', { name: /Remove prerequisite The event loop of Queues between tasks/ }).waitFor().catch(async (err) => {
      throw new Error(`${err.message}\n  editor says: ${await page.locator('#editor-error').innerText()} / ${await page.locator('#draft-state').innerText()}`);
    });

    // A prerequisite that closes a cycle is refused with the path.
    const basics = page.locator('.edge-row').first();
    await basics.getByLabel('New prerequisite of The basics').selectOption('event-loop');
    await basics.getByRole('button', { name: 'Add the chosen prerequisite to The basics' }).click();
    await page.getByRole('alert').getByText('prerequisite cycle: event-loop → sync-vs-async → io-vs-cpu → event-loop').waitFor();

    // Edit a hint.
    await page.getByLabel('Concept to edit, try and preview').selectOption('sync-vs-async');
    const hint = page.locator('#f-checkpoints-0-hints-0');
    assert.equal(await hint.inputValue(), OLD_HINT);
    await hint.fill(NEW_HINT);
    await page.getByRole('button', { name: 'Save the changes' }).click();
    await page.locator('#draft-state').getByText(/saved — no problems/).waitFor();

    // A validation error next to its field (a hint that is the statement), then fixed.
    const statement = await page.locator('#f-checkpoints-0-statement').inputValue();
    const second = page.locator('#f-checkpoints-0-hints-1');
    const kept = await second.inputValue();
    await second.fill(statement);
    await page.getByRole('button', { name: 'Save the changes' }).click();
    const message = page.locator('#f-checkpoints-0-hints-1-msg');
    await message.getByText(/the hint is the checkpoint's statement/).waitFor();
    assert.equal(await page.locator('#f-checkpoints-0-hints-1').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#f-checkpoints-0-hints-1').getAttribute('aria-describedby'), /f-checkpoints-0-hints-1-msg/);
    await fs.promises.mkdir(ARTIFACTS, { recursive: true });
    await page.locator('#editor').screenshot({ path: path.join(ARTIFACTS, 'author-editor-draft.png') });
    await page.locator('#f-checkpoints-0-hints-1').fill(kept);
    await page.getByRole('button', { name: 'Save the changes' }).click();
    await page.locator('#draft-state').getByText(/saved — no problems/).waitFor();

    // The preview: the draft's new hint next to the published one.
    await page.getByLabel('Learner lines (one a line)').fill("I don't know");
    await page.getByRole('button', { name: 'Run the preview' }).click();
    const [draftCol, publishedCol] = [page.locator('.preview-col').nth(0), page.locator('.preview-col').nth(1)];
    await draftCol.getByRole('heading', { name: 'Draft' }).waitFor();
    assert.match(await draftCol.innerText(), new RegExp(NEW_HINT.slice(0, 40)));
    assert.match(await publishedCol.innerText(), new RegExp(OLD_HINT.slice(0, 40)));

    // Publish.
    await page.getByLabel('What changed').fill('A concept on queues; a clearer first hint');
    await page.getByRole('button', { name: 'Publish the draft' }).click();
    await page.locator('#publish-result').getByText(/Published as version \d+/).waitFor();

    // The running session keeps its version; a new one gets the change.
    await say(learner.page, "I don't know");
    const old = await lastTutor(learner.page);
    assert.ok(old.includes(OLD_HINT), JSON.stringify(await transcript(learner.page), null, 1));
    const fresh = await openBrowser({});
    try {
      await fresh.page.goto(URL);
      await startConcept(fresh.page, 'sync-vs-async');
      await say(fresh.page, "I don't know");
      const now = await lastTutor(fresh.page);
      assert.ok(now.includes(NEW_HINT), JSON.stringify(await transcript(fresh.page), null, 1));
    } finally {
      await fresh.close();
    }
    // The one refused edit (the cycle) is a 400 the browser logs; nothing else may be.
    assert.equal(problems.console.filter((line) => /status of 400/.test(line)).length, 1, problems.console.join('\n'));
    problems.console = problems.console.filter((line) => !/status of 400/.test(line));
    assertClean(assert, problems);
  } finally {
    await learner.close();
  }
}));
