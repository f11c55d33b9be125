// The author page's "Analytics" section (issue 15, item 7): per checkpoint, per
// misconception and where sessions stop, as tables with readable titles; and the inbox of
// learner answers the rubric did not recognise, each with "Add as example" and "Dismiss".
// Reads GET /api/author/curricula/{id}/analytics and …/inbox; every piece of data goes on
// the page with textContent, never as HTML. Uses the page's author token (sessionStorage).

const TOKEN_KEY = 'klover.author.token';
const $ = (id) => document.getElementById(id);

function token() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
}

async function request(path, options = {}) {
  const headers = { Accept: 'application/json', ...(options.headers || {}) };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  const response = await fetch(path, { ...options, headers, cache: 'no-store' });
  if (response.status === 204) return null;
  const body = await response.json().catch(() => ({}));
  if (response.status === 401 || response.status === 403) {
    $('token-box').hidden = false;
    throw new Error(`an author token is needed: ${body.error || response.status}`);
  }
  if (!response.ok) throw new Error(body.error || `${path}: HTTP ${response.status}`);
  return body;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function say(text) {
  $('analytics-status').textContent = text;
}

/** A table with a caption, column headers and one row per item (`cells(item)` → values). */
function table(caption, headers, items, cells, empty) {
  if (items.length === 0) return el('p', empty, 'note');
  const t = el('table', null, 'figures');
  t.append(el('caption', caption));
  const head = el('tr');
  headers.forEach((h, i) => {
    const th = el('th', h);
    th.scope = 'col';
    if (i > 1) th.className = 'num';
    head.append(th);
  });
  const thead = el('thead');
  thead.append(head);
  t.append(thead);
  const body = el('tbody');
  for (const item of items) {
    const tr = el('tr');
    cells(item).forEach((value, i) => {
      const cell = el(i === 1 ? 'th' : 'td', value);
      if (i === 1) cell.scope = 'row';
      if (i > 1) cell.className = 'num';
      tr.append(cell);
    });
    body.append(tr);
  }
  t.append(body);
  return t;
}

const share = (n, of) => (of ? `${n} of ${of}` : '0');
const tries = (m) => (m === null || m === undefined ? '–' : String(m));

function render(a) {
  const out = $('analytics-body');
  out.replaceChildren();
  out.append(el('h3', 'Checkpoints'));
  out.append(table(
    `Checkpoints of ${a.title}: learners who reached each one on their own, tries to the first credit, and how often the tutor had to state it`,
    ['Concept', 'Checkpoint', 'Learners', 'Reached on their own', 'Median tries', 'Stated by the tutor'],
    a.checkpoints,
    (c) => [c.concept_title, c.title, c.learners, share(c.reached, c.learners), tries(c.median_tries), c.stated],
    'No checkpoints.',
  ));
  out.append(el('h3', 'Misconceptions'));
  out.append(table(
    'Misconceptions: learners who showed each one, turns that showed it, and learners who no longer hold it',
    ['Concept', 'Belief', 'Learners', 'Times seen', 'Resolved'],
    a.misconceptions,
    (m) => [a.checkpoints.find((c) => c.concept === m.concept)?.concept_title ?? m.concept, m.belief,
      m.learners, m.times_seen, share(m.resolved, m.learners)],
    'No misconceptions.',
  ));
  out.append(el('h3', 'Where sessions stop'));
  out.append(table(
    `Unfinished sessions per concept: stopped (no turn for ${a.idle_minutes} minutes) or still going, and the checkpoint left open`,
    ['Concept', 'Open checkpoint', 'Stopped', 'Still going'],
    a.stops,
    (s) => [s.concept_title,
      s.open_checkpoints.map((o) => `${o.title} (${o.sessions})`).join('; ') || '–',
      s.stopped, s.active],
    'No unfinished sessions.',
  ));
}

function why(item) {
  return item.reason === 'judge'
    ? 'The LLM judge credited this; the rubric did not.'
    : 'No credit; the tutor had to state the checkpoint after this answer.';
}

function inboxItem(id, item) {
  const li = el('li', null, 'inbox-item');
  li.dataset.item = item.id;
  li.append(el('blockquote', item.text));
  li.append(el('p', `${item.checkpoint_title} — ${item.concept_title}. ${why(item)}`, 'note'));
  const example = el('button', 'Add as example');
  example.type = 'button';
  const dismiss = el('button', 'Dismiss');
  dismiss.type = 'button';
  const snippet = el('div', null, 'snippet');
  snippet.hidden = true;
  example.addEventListener('click', () => addExample(id, item, snippet).catch((e) => say(`Could not add it: ${e.message}`)));
  dismiss.addEventListener('click', () => dismissItem(id, item, li).catch((e) => say(`Could not dismiss it: ${e.message}`)));
  li.append(example, dismiss, snippet);
  return li;
}

function renderInbox(id, items) {
  const list = $('inbox');
  list.replaceChildren(...items.map((item) => inboxItem(id, item)));
  $('inbox-empty').hidden = items.length > 0;
}

async function addExample(id, item, snippet) {
  const url = `/api/author/curricula/${encodeURIComponent(id)}/inbox/${encodeURIComponent(item.id)}/example`;
  const draft = $('inbox-draft').value.trim();
  const body = JSON.stringify(draft ? { draft } : {});
  const answer = await request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  if (answer.applied) {
    leave(snippet.closest('li'));
    say(`Added as an example to draft ${answer.draft} (revision ${answer.revision}).`);
    return;
  }
  snippet.replaceChildren(
    el('p', `Add this line to ${answer.example.key} under ${answer.example.under} (or name a draft above), then dismiss the item:`),
    el('pre', answer.example.toml),
  );
  snippet.hidden = false;
  say('The example line is shown below the answer.');
}

/** Removes a handled item; keyboard users stay in the list (the next item's first action). */
function leave(li) {
  const next = li.nextElementSibling ?? li.previousElementSibling;
  li.remove();
  $('inbox-empty').hidden = $('inbox').children.length > 0;
  (next?.querySelector('button') ?? $('analytics-show')).focus();
}

async function dismissItem(id, item, li) {
  const url = `/api/author/curricula/${encodeURIComponent(id)}/inbox/${encodeURIComponent(item.id)}/dismiss`;
  await request(url, { method: 'POST' });
  leave(li);
  say('Dismissed.');
}

async function chosen() {
  const select = $('curriculum');
  if (select && select.value) return select.value;
  const list = await request('/api/author/curricula');
  return list[0]?.id;
}

async function load(event) {
  event?.preventDefault();
  const id = await chosen();
  if (!id) return say('No curriculum.');
  const idle = $('idle-minutes').value || '30';
  const base = `/api/author/curricula/${encodeURIComponent(id)}`;
  say('Loading analytics…');
  const [a, inbox] = await Promise.all([
    request(`${base}/analytics?idle_minutes=${encodeURIComponent(idle)}`),
    request(`${base}/inbox`),
  ]);
  render(a);
  renderInbox(id, inbox.items);
  $('analytics-results').hidden = false;
  say(`Analytics of ${a.title}: ${inbox.items.length} answer(s) in the inbox.`);
}

$('analytics-form').addEventListener('submit', (event) => load(event).catch((e) => say(`Something went wrong: ${e.message}`)));
