// Shared set-up of the browser tests: Debian's Chromium through playwright-core, one
// fresh profile per test, a record of every page error and dialog, and screenshots
// saved under tests/browser/artifacts/.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.resolve(here, '..', 'artifacts');

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** The value of a required environment variable (the Rust harness sets them). */
export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through \`cargo test --test browser\``);
  return value;
}

/**
 * Opens Chromium with a fresh user-data dir; returns `{page, problems, close}`.
 * `problems` collects uncaught page errors, console errors and any dialog (alert).
 */
export async function openBrowser({ width = 1280, height = 800, colorScheme = 'light', extraArgs = [] } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'klover-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...ARGS, ...extraArgs],
    viewport: { width, height },
    colorScheme,
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  const problems = { errors: [], dialogs: [], console: [] };
  page.on('pageerror', (err) => problems.errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.console.push(msg.text()); });
  page.on('dialog', async (dialog) => {
    problems.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    await dialog.dismiss();
  });
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { page, context, problems, close };
}

/**
 * A test body run in a fresh browser: `test(name, inBrowser(options, async ({page, problems}) => …))`.
 * On failure it saves `artifacts/FAILED-<test name>.png` and adds the page's console
 * errors to the message, then closes the browser either way.
 */
export function inBrowser(options, body) {
  return async (t) => {
    const browser = await openBrowser(options);
    try {
      await body(browser);
    } catch (err) {
      const name = `FAILED-${t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`;
      await screenshot(browser.page, name).catch(() => {});
      err.message += `\n  page: ${browser.page.url()}; screenshot: artifacts/${name}.png; console errors: ${JSON.stringify(browser.problems.console)}`;
      throw err;
    } finally {
      await browser.close();
    }
  };
}

/** Saves a full-window screenshot as artifacts/<name>.png and returns its path. */
export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Resolves when no reply is on its way: nothing streaming, no stop button, not thinking. */
export async function waitForReplyEnd(page, timeout = 30_000) {
  await page.waitForFunction(() => {
    const stop = document.getElementById('stop');
    const thinking = document.getElementById('thinking');
    const streaming = document.querySelector('.turn[data-status="streaming"], .turn[data-status="pending"], .turn[data-status="queued"]');
    return stop.hidden && thinking.hidden && !streaming;
  }, null, { timeout });
}

/** Types `text` in the message box and presses Enter, then waits for the whole reply. */
export async function say(page, text) {
  const before = await page.locator('.turn-learner').count();
  await page.locator('#input').fill(text);
  await page.locator('#input').press('Enter');
  await page.locator('.turn-learner').nth(before).waitFor();
  await waitForReplyEnd(page);
}

/** Starts a session on the concept with this id by clicking it on the graph. */
export async function startConcept(page, conceptId) {
  await page.locator(`.node[data-concept="${conceptId}"]`).click();
  await page.locator('#start-concept').click();
  await page.locator('.turn-tutor').first().waitFor();
  await waitForReplyEnd(page);
}

/** The transcript as `[{role, text}]`, read from the page. */
export async function transcript(page) {
  return page.locator('.turn').evaluateAll((items) => items.map((li) => ({
    role: li.classList.contains('turn-learner') ? 'learner' : 'tutor',
    text: li.querySelector('.body').textContent,
    status: li.dataset.status,
  })));
}

/** Fails if the page threw, logged an error or opened a dialog. */
export function assertClean(assert, problems) {
  assert.deepEqual(problems.errors, [], 'uncaught page errors');
  assert.deepEqual(problems.dialogs, [], 'dialogs opened');
  assert.deepEqual(problems.console, [], 'console errors');
}
