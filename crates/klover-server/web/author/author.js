// The author page: shows a curriculum as the server teaches it and checks an edited
// concept file through `POST /api/author/check`. Read-only. Every piece of data is put
// on the page with textContent, never as HTML.

const TOKEN_KEY = 'klover.author.token';
const $ = (id) => document.getElementById(id);

let current = null; // the curriculum shown, as `GET /api/author/curricula/{id}` returned it

function token() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
}

class NeedsToken extends Error {}

async function request(path, options = {}) {
  const headers = { Accept: 'application/json', ...(options.headers || {}) };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  const response = await fetch(path, { ...options, headers, cache: 'no-store' });
  if (response.status === 401 || response.status === 403) {
    const body = await response.json().catch(() => ({}));
    throw new NeedsToken(body.error || `HTTP ${response.status}`);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${path}: HTTP ${response.status}`);
  return body;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function status(text) {
  $('status').textContent = text;
}

function failed(err) {
  if (err instanceof NeedsToken) {
    $('token-box').hidden = false;
    status(`An author token is needed: ${err.message}`);
  } else {
    status(`Something went wrong: ${err.message}`);
  }
}

// ---- TOML written back from the JSON view (so the other files can be checked too) ----

const str = (s) => JSON.stringify(s); // JSON escapes are valid TOML basic-string escapes
const arr = (list) => `[${list.map(str).join(', ')}]`;
const num = (n) => (Number.isInteger(n) ? n.toFixed(1) : String(n));

function line(out, key, value, render = str) {
  if (value !== null && value !== undefined) out.push(`${key} = ${render(value)}`);
}

function manifestToml(c) {
  const out = [];
  line(out, 'id', c.id);
  line(out, 'title', c.title);
  line(out, 'version', c.version);
  if (c.description) line(out, 'description', c.description);
  line(out, 'code_language', c.code_language);
  line(out, 'tags', c.tags, arr);
  out.push('', '[synonyms]');
  for (const [word, list] of Object.entries(c.synonyms || {})) out.push(`${str(word)} = ${arr(list)}`);
  return `${out.join('\n')}\n`;
}

function conceptToml(k) {
  const out = [];
  line(out, 'id', k.id);
  line(out, 'title', k.title);
  line(out, 'prerequisites', k.prerequisites, arr);
  line(out, 'opening_question', k.opening_question);
  line(out, 'summary', k.summary);
  for (const cp of k.checkpoints) {
    out.push('', '[[checkpoints]]');
    line(out, 'id', cp.id);
    line(out, 'title', cp.title);
    line(out, 'statement', cp.statement);
    line(out, 'review_question', cp.review_question);
    line(out, 'cues', cp.cues, arr);
    line(out, 'hints', cp.hints, arr);
    line(out, 'prompt', cp.prompt);
    line(out, 'confirmation', cp.confirmation);
    line(out, 'weight', cp.weight, num);
  }
  for (const m of k.misconceptions) {
    out.push('', '[[misconceptions]]');
    line(out, 'id', m.id);
    line(out, 'belief', m.belief);
    line(out, 'cues', m.cues, arr);
    line(out, 'question', m.question);
    line(out, 'correction', m.correction);
  }
  for (const a of k.analogies) {
    out.push('', '[[analogies]]');
    line(out, 'id', a.id);
    line(out, 'text', a.text);
  }
  for (const q of k.questions) {
    out.push('', '[[questions]]');
    line(out, 'cues', q.cues, arr);
    line(out, 'answer', q.answer);
  }
  return `${out.join('\n')}\n`;
}

function conceptPath(k, index) {
  return `concepts/${String(index + 1).padStart(2, '0')}-${k.id}.toml`;
}

// ---- the curriculum view ----

function list(title, items, render) {
  if (!items.length) return null;
  const box = el('div', null, 'group');
  box.append(el('h4', title));
  const ul = el('ul');
  for (const item of items) ul.append(render(item));
  box.append(ul);
  return box;
}

function checkpointItem(cp) {
  const li = el('li');
  li.append(el('strong', cp.id), el('span', ` — ${cp.statement}`));
  const hints = el('ol', null, 'hints');
  for (const h of cp.hints) hints.append(el('li', h));
  li.append(el('div', `Hints (${cp.hints.length}):`, 'label'), hints);
  li.append(el('div', `Cues: ${cp.cues.join(' · ')}`, 'cues'));
  return li;
}

function misconceptionItem(m) {
  const li = el('li');
  li.append(el('strong', m.id), el('span', ` — ${m.belief}`));
  li.append(el('div', `Question: ${m.question}`, 'sub'));
  if (m.correction) li.append(el('div', `Correction: ${m.correction}`, 'sub'));
  return li;
}

function conceptItem(k, index) {
  const li = el('li', null, 'concept');
  const head = el('div', null, 'concept-head');
  head.append(el('h3', `${k.title} [${k.id}]`));
  const edit = el('button', 'Edit this file');
  edit.type = 'button';
  edit.addEventListener('click', () => {
    $('path').value = conceptPath(k, index);
    $('text').value = conceptToml(k);
    $('text').focus();
  });
  head.append(edit);
  li.append(head);
  if (k.prerequisites.length) li.append(el('div', `After: ${k.prerequisites.join(', ')}`, 'sub'));
  li.append(el('div', `Opening question: ${k.opening_question}`, 'sub'));
  const groups = [
    list('Checkpoints', k.checkpoints, checkpointItem),
    list('Misconceptions', k.misconceptions, misconceptionItem),
    list('Analogies', k.analogies, (a) => el('li', `${a.id}: ${a.text}`)),
    list('Learner questions', k.questions, (q) => el('li', q.answer)),
  ];
  for (const g of groups) if (g) li.append(g);
  li.append(el('div', `Summary: ${k.summary}`, 'sub'));
  return li;
}

async function show(id) {
  current = await request(`/api/author/curricula/${encodeURIComponent(id)}`);
  $('meta').textContent = `${current.title} — version ${current.version}, ${current.concepts.length} concepts`;
  $('concepts').replaceChildren(...current.concepts.map(conceptItem));
  status(`Showing ${current.id}.`);
}

// ---- checking ----

function filesFor(path, text) {
  const editedId = (text.match(/^\s*id\s*=\s*"([^"]*)"/m) || [])[1];
  const files = [{ path: 'curriculum.toml', text: manifestToml(current) }];
  current.concepts.forEach((k, i) => {
    const p = conceptPath(k, i);
    if (p !== path && k.id !== editedId) files.push({ path: p, text: conceptToml(k) });
  });
  files.push({ path, text });
  return files;
}

function jumpTo(lineNo) {
  const area = $('text');
  const lines = area.value.split('\n');
  const start = lines.slice(0, lineNo - 1).reduce((n, l) => n + l.length + 1, 0);
  // Measure how far down the line is (wrapped lines included) with a hidden copy of
  // the text area holding the text before it; CSSOM width is allowed by the CSP.
  const mirror = el('textarea', null, 'measure');
  mirror.style.width = `${area.offsetWidth}px`;
  mirror.value = area.value.slice(0, start);
  document.body.append(mirror);
  const above = mirror.scrollHeight;
  mirror.remove();
  area.focus();
  area.setSelectionRange(start, start + (lines[lineNo - 1] || '').length);
  area.scrollTop = Math.max(0, above - area.clientHeight / 3);
}

function showResult(result, path) {
  const box = $('result');
  if (result.ok) {
    const s = result.summary;
    box.replaceChildren(el('p', `No problems: ${s.concepts} concepts, ${s.checkpoints} checkpoints, ${s.misconceptions} misconceptions.`, 'ok'));
    return;
  }
  // A valid curriculum can still fail the check: giveaways, the voice's limits, examples.
  const problems = result.problems || result.warnings || [];
  const n = problems.length;
  const ul = el('ul', null, 'problems');
  for (const p of problems) {
    const li = el('li');
    const where = `${p.file}${p.line ? `:${p.line}` : ''}${p.key ? ` ${p.key}` : ''}`;
    if (p.line && p.file === path) {
      const jump = el('button', where, 'link');
      jump.type = 'button';
      jump.addEventListener('click', () => jumpTo(p.line));
      li.append(jump);
    } else {
      li.append(el('code', where));
    }
    li.append(el('div', p.message), el('div', `Fix: ${p.fix}`, 'sub'));
    ul.append(li);
  }
  box.replaceChildren(el('p', `${n} problem${n === 1 ? '' : 's'}:`, 'bad'), ul);
}

async function check(event) {
  event.preventDefault();
  if (!current) return status('Pick a curriculum first.');
  const path = $('path').value.trim() || 'concepts/new.toml';
  const text = $('text').value;
  const result = await request('/api/author/check', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ files: filesFor(path, text) }),
  });
  showResult(result, path);
  status('Checked.');
}

async function start() {
  const curricula = await request('/api/author/curricula');
  const select = $('curriculum');
  select.replaceChildren(...curricula.map((c) => {
    const o = el('option', `${c.title} (${c.id})`);
    o.value = c.id;
    return o;
  }));
  if (curricula.length) await show(curricula[0].id);
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  try { sessionStorage.setItem(TOKEN_KEY, $('token').value.trim()); } catch { /* memory only */ }
  $('token-box').hidden = true;
  start().catch(failed);
});
$('pick-form').addEventListener('submit', (event) => {
  event.preventDefault();
  show($('curriculum').value).catch(failed);
});
$('check-form').addEventListener('submit', (event) => check(event).catch(failed));

start().catch(failed);
