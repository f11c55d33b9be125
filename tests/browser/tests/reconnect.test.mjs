// The server dies mid-session and comes back on the same address and database: the page
// shows the lost connection, keeps a message typed meanwhile, reconnects by itself,
// resumes the session and gets the reply. The server is the real `klover` binary.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { env, inBrowser, screenshot, say, startConcept, transcript, waitForReplyEnd, assertClean } from '../lib/harness.mjs';

const BIN = env('KLOVER_BIN');
const CURRICULUM = env('KLOVER_CURRICULUM_DIR');
const DATA = JSON.parse(fs.readFileSync(env('KLOVER_TEST_DATA'), 'utf8'));

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `klover serve`; resolves once it says it is serving. */
function serve(port, db) {
  const child = spawn(BIN, ['serve', '--bind', `127.0.0.1:${port}`, '--database-url', `sqlite://${db}`,
    '--curriculum-dir', CURRICULUM], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
  return new Promise((resolve, reject) => {
    let said = '';
    child.stderr.on('data', (chunk) => {
      said += chunk;
      if (said.includes('serving on')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`klover serve exited (${code}): ${said}`)));
  });
}

async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

test('the page reconnects and resumes by itself when the server comes back', inBrowser({}, async ({ page, problems }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'klover-reconnect-'));
  const db = path.join(dir, 'klover.db');
  const port = await freePort();
  let server = await serve(port, db);
  try {
    await page.goto(`http://127.0.0.1:${port}/`);
    await startConcept(page, DATA.first_concept.id);
    await say(page, DATA.seed_lines[0]);
    const before = await transcript(page);

    await stopServer(server);
    await page.locator('#conn[data-state="reconnecting"], #conn[data-state="offline"]').first().waitFor();
    await page.locator('#input').fill(DATA.seed_lines[1]);
    await page.locator('#input').press('Enter');
    await page.locator('.turn-learner[data-status="queued"]').waitFor();
    // Waiting for the reply, but nothing could reach the server: no Stop button, Send stays.
    assert.equal(await page.locator('#stop').isHidden(), true, 'no Stop while disconnected');
    assert.equal(await page.locator('#send').isVisible(), true);
    await screenshot(page, 'reconnect-waiting');

    server = await serve(port, db);
    // "Retry now" skips the rest of the backoff when it is offered. It hides while a try is
    // under way, so it may be gone by the time it is clicked: then that try is the one that
    // reconnects, and the wait below says whether it did.
    await page.locator('#conn-retry').click({ timeout: 2_000 }).catch(() => {});
    await page.locator('#conn[data-state="open"]').waitFor({ timeout: 30_000 });
    await waitForReplyEnd(page);
    const after = await transcript(page);
    assert.deepEqual(after.slice(0, before.length).map((t) => t.text), before.map((t) => t.text));
    assert.equal(after.length, before.length + 2, 'the queued message was sent once and answered');
    assert.equal(after[before.length].text, DATA.seed_lines[1]);
    assert.equal(after[before.length].status, 'complete');
    await screenshot(page, 'reconnect-resumed');
    // The browser logs the refused connections while the server is down; nothing else.
    problems.console = problems.console.filter((line) => !/WebSocket connection|ERR_CONNECTION_REFUSED|Failed to load resource/.test(line));
    assertClean(assert, problems);
  } finally {
    await stopServer(server).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}));
