// Takes the screenshots shown in the README and docs/web-client.md (not a test):
//   cargo run -- serve --database-url sqlite:///tmp/klover-shots.db &
//   node tests/browser/tools/docs-screenshots.mjs http://127.0.0.1:3000/
// A learner explains the first concept with the seed conversation's lines; the learner
// view is then captured at desktop width and at 390 px (a phone).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBrowser, say, startConcept } from '../lib/harness.mjs';

const url = process.argv[2] ?? 'http://127.0.0.1:3000/';
const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/screenshots');
const lines = [
  'Async is after initiating a process, a worker can then attend to another process while waiting for the initial process to complete. Sync is when the worker has to wait for the process to complete fully before it can move on to something else.',
  'Sounds like there is something delegating the tasks and the worker is something like a processing engine?',
  "They might take a long time for something to return? Or maybe the job itself doesn't require the worker.",
];

const { page, close } = await openBrowser({ width: 1360, height: 860 });
try {
  await page.goto(url);
  await startConcept(page, 'sync-vs-async');
  for (const line of lines) await say(page, line);
  await page.locator('#toast').waitFor({ state: 'hidden', timeout: 15_000 });
  await page.locator('#review-next').waitFor(); // finishing the first concept scheduled its review
  await page.locator('details.earlier').first().evaluate((d) => { d.open = true; });
  await page.locator('#panel-concepts').evaluate((el) => { el.scrollTop = 0; });
  await page.screenshot({ path: path.join(out, 'learner-desktop.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('#scroller').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(out, 'learner-phone.png') });
  await page.locator('.tab[data-view="progress"]').click();
  await page.screenshot({ path: path.join(out, 'learner-phone-progress.png') });
  await page.locator('.tab[data-view="concepts"]').click();
  await page.locator('#panel-concepts').evaluate((el) => { el.scrollTop = 0; });
  await page.screenshot({ path: path.join(out, 'learner-phone-concepts.png') });
} finally {
  await close();
}
