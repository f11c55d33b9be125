// The draft editor: a draft of the chosen curriculum (the drafts API), its prerequisite
// graph (add or remove an edge with a button; a cycle is refused with its path), a form
// for a concept's texts with the checker's messages next to each field, a new concept,
// the cue tester, a preview next to the published version, and publishing.
//
// Every change is one fine-grained edit applied to the draft's files by
// `POST /api/author/edit` (comments and layout of the rest are kept), then written back
// to the draft with `If-Match` so two authors cannot overwrite each other. Everything
// shown is put on the page with textContent, never as HTML.

const TOKEN_KEY = 'klover.author.token';
const $ = (id) => document.getElementById(id);

/** The open draft as the drafts API answers it ({id, revision, files, check}), or null. */
let draft = null;
/** The curriculum shown: the draft's view, else the published one. */
let view = null;
/** Renames made in this draft (new id → old id), sent with the publish. */
let renamed = {};

function headers(extra = {}) {
  const h = { Accept: 'application/json', ...extra };
  let t = null;
  try { t = sessionStorage.getItem(TOKEN_KEY); } catch { /* none */ }
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

async function call(method, path, body, extra = {}) {
  const init = { method, headers: headers(extra), cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({}));
  return { status: response.status, ok: response.ok, data };
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function say(text) { $('editor-error').textContent = text; }
const curriculumId = () => $('curriculum').value;
const base = () => `/api/author/curricula/${encodeURIComponent(curriculumId())}`;

/** The draft's files, or none (the published version is used by id). */
const source = () => (draft ? { files: draft.files } : { curriculum: curriculumId() });

/** The concept file defining `id` (its first `id = "…"` line). */
function fileOf(conceptId) {
  return draft?.files.find((f) => (f.text.match(/^id\s*=\s*"([^"]*)"/m) || [])[1] === conceptId);
}

// ---- loading ----

/** Counts view requests: an answer to an older one than the newest is dropped. */
let viewAsked = 0;

async function loadView() {
  const asked = ++viewAsked;
  if (draft) {
    const r = await call('POST', '/api/author/view', { files: draft.files });
    // A slow answer about files since edited must not hide the edit.
    if (asked !== viewAsked) return;
    if (r.ok) view = r.data; // an invalid draft keeps showing the last good view
  } else {
    const r = await call('GET', base());
    if (asked !== viewAsked) return;
    if (!r.ok) throw new Error(r.data.error || `HTTP ${r.status}`);
    view = r.data;
  }
  render();
}

function setDraft(data, status) {
  draft = data;
  const problems = problemsOf(draft.check);
  $('draft-state').textContent = `Draft ${draft.id} of ${draft.curriculum}, from version ${draft.base}, revision ${draft.revision}`
    + (status ? ` — ${status}` : '')
    + (problems.length ? ` — ${problems.length} problem${problems.length === 1 ? '' : 's'} to fix` : ' — no problems');
}

async function startDraft() {
  say('');
  const r = await call('POST', `${base()}/drafts`, {});
  if (!r.ok) return say(r.data.error || `Could not start a draft (HTTP ${r.status}).`);
  renamed = {};
  setDraft(r.data, 'started');
  await loadView();
}

// ---- applying an edit ----

/** The save under way: edits run one after another, each on the draft the last one left. */
let saving = Promise.resolve();

/**
 * Applies edits in order to the draft's files, then writes the changed files back. A save
 * started while another is under way waits for it (else both would send the same
 * revision and the second get 412), and the status says "saving…" until it is done.
 */
function edit(...edits) {
  if (draft) setDraft(draft, 'saving…');
  const run = saving.then(() => applyEdits(edits));
  saving = run.catch(() => {});
  return run;
}

async function applyEdits(edits) {
  if (!draft) { say('Start a draft first.'); return false; }
  say('');
  setDraft(draft, 'saving…');
  const ok = await writeEdits(edits).catch((e) => { setDraft(draft, 'not saved'); throw e; });
  if (!ok) setDraft(draft, 'not saved');
  return ok;
}

async function writeEdits(edits) {
  let files = draft.files.map((f) => ({ path: f.path, text: f.text }));
  const changed = new Map();
  const removed = new Set();
  for (const e of edits) {
    const r = await call('POST', '/api/author/edit', { files, edit: e, check: false });
    if (!r.ok) { say(r.data.error || `The edit was refused (HTTP ${r.status}).`); return false; }
    for (const f of r.data.changed) { changed.set(f.path, f.text); removed.delete(f.path); }
    for (const p of r.data.removed) { removed.add(p); changed.delete(p); }
    files = files.filter((f) => !r.data.removed.includes(f.path));
    for (const f of r.data.changed) {
      const old = files.find((x) => x.path === f.path);
      if (old) old.text = f.text; else files.push({ path: f.path, text: f.text });
    }
    Object.assign(renamed, r.data.renamed_from);
  }
  for (const path of removed) {
    if (!(await write('DELETE', path))) return false;
  }
  for (const [path, text] of changed) {
    if (!(await write('PUT', path, text))) return false;
  }
  // "saved" once the form shows the saved draft: the view's render rebuilds the form, so
  // saying it before let a field typed into meanwhile be replaced by its saved value.
  await loadView();
  setDraft(draft, 'saved');
  return true;
}

/** One file written to the draft with If-Match; the draft's new state kept. */
async function write(method, path, text) {
  const response = await fetch(`${base()}/drafts/${encodeURIComponent(draft.id)}/files/${path}`, {
    method,
    headers: headers({ 'If-Match': `"${draft.revision}"`, 'Content-Type': 'text/plain; charset=utf-8' }),
    body: text,
    cache: 'no-store',
  });
  const data = await response.json().catch(() => ({}));
  if (response.status === 412) {
    say(`Another change came first: ${data.error || 'reload the draft'}`);
    return false;
  }
  if (!response.ok) { say(data.error || `Could not save ${path} (HTTP ${response.status}).`); return false; }
  draft = data;
  return true;
}

// ---- rendering ----

function problemsOf(check) {
  if (!check) return [];
  return check.problems || check.warnings || [];
}

function render() {
  if (!view) return;
  renderEdges();
  const pick = $('concept-pick');
  const keep = pick.value;
  pick.replaceChildren(...view.concepts.map((k) => {
    const o = el('option', `${k.title} (${k.id})`);
    o.value = k.id;
    return o;
  }));
  if (keep && view.concepts.some((k) => k.id === keep)) pick.value = keep;
  const prereq = $('add-prereq');
  // A refresh keeps what the author picked in the add form (else a late answer resets it).
  const picked = prereq.value;
  prereq.replaceChildren(el('option', '(none)'), ...view.concepts.map((k) => {
    const o = el('option', k.title);
    o.value = k.id;
    return o;
  }));
  prereq.options[0].value = '';
  if (picked && view.concepts.some((k) => k.id === picked)) prereq.value = picked;
  renderForm();
}

function renderEdges() {
  const titles = new Map(view.concepts.map((k) => [k.id, k.title]));
  $('edges').replaceChildren(...view.concepts.map((k) => {
    const li = el('li', null, 'edge-row');
    li.append(el('strong', k.title));
    const needs = el('span', null, 'needs');
    for (const p of k.prerequisites) {
      const b = el('button', `× ${titles.get(p) || p}`, 'chip');
      b.type = 'button';
      b.setAttribute('aria-label', `Remove prerequisite ${titles.get(p) || p} of ${k.title}`);
      b.addEventListener('click', () => edit({ op: 'remove_prerequisite', concept: k.id, prerequisite: p }).catch(failed));
      needs.append(b);
    }
    if (!k.prerequisites.length) needs.append(el('span', 'a starting point', 'sub'));
    const select = el('select');
    select.setAttribute('aria-label', `New prerequisite of ${k.title}`);
    for (const other of view.concepts) {
      if (other.id === k.id || k.prerequisites.includes(other.id)) continue;
      const o = el('option', other.title);
      o.value = other.id;
      select.append(o);
    }
    const add = el('button', 'Needs this first');
    add.type = 'button';
    add.setAttribute('aria-label', `Add the chosen prerequisite to ${k.title}`);
    add.addEventListener('click', () => edit({ op: 'add_prerequisite', concept: k.id, prerequisite: select.value }).catch(failed));
    li.append(needs, select, add);
    return li;
  }));
}

/** A labelled field whose change becomes `editOf(value)`, with its problems below. */
function field(form, { label, value, key, multiline, editOf }) {
  const id = `f-${key.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '')}`;
  const wrap = el('div', null, 'field');
  const l = el('label', label);
  l.htmlFor = id;
  const input = el(multiline ? 'textarea' : 'input');
  input.id = id;
  if (multiline) input.rows = 2;
  input.value = value ?? '';
  input.dataset.key = key;
  input.dataset.original = value ?? '';
  const msg = el('p', null, 'field-error');
  msg.id = `${id}-msg`;
  input.setAttribute('aria-describedby', msg.id);
  wrap.append(l, input, msg);
  form.append(wrap);
  fieldEdits.set(input, editOf);
}

const fieldEdits = new Map();

function renderForm() {
  const form = $('concept-form');
  fieldEdits.clear();
  form.replaceChildren();
  const k = view.concepts.find((c) => c.id === $('concept-pick').value) || view.concepts[0];
  if (!k) return;
  const concept = { kind: 'concept', id: k.id };
  const text = (target, f) => (v) => ({ op: 'set_text', target, field: f, value: v });
  field(form, { label: 'Title', value: k.title, key: 'title', editOf: text(concept, 'title') });
  field(form, { label: 'Opening question', value: k.opening_question, key: 'opening_question', multiline: true, editOf: text(concept, 'opening_question') });
  field(form, { label: 'Summary', value: k.summary, key: 'summary', multiline: true, editOf: text(concept, 'summary') });
  k.checkpoints.forEach((cp, i) => {
    const box = el('fieldset', null, 'checkpoint');
    box.append(el('legend', `Checkpoint ${cp.id}`));
    const target = { kind: 'checkpoint', id: cp.id };
    field(box, { label: 'Statement', value: cp.statement, key: `checkpoints[${i}].statement`, multiline: true, editOf: text(target, 'statement') });
    cp.hints.forEach((h, j) => field(box, {
      label: `Hint ${j + 1}`, value: h, key: `checkpoints[${i}].hints[${j}]`,
      editOf: (v) => ({ op: 'set_item', target, field: 'hints', index: j, value: v }),
    }));
    const group = el('p', null, 'field-error');
    group.dataset.key = `checkpoints[${i}].hints`;
    box.append(group);
    form.append(box);
  });
  const save = el('button', 'Save the changes');
  save.type = 'submit';
  form.append(save);
  showProblems(k);
}

/** The checker's problems next to the fields they name; the rest in a list. */
function showProblems(k) {
  const file = fileOf(k.id)?.path;
  const problems = problemsOf(draft?.check);
  const others = [];
  for (const node of document.querySelectorAll('#concept-form .field-error')) node.textContent = '';
  for (const p of problems) {
    const where = p.file === file && p.key
      ? document.querySelector(`#concept-form [data-key="${CSS.escape(p.key)}"]`) : null;
    const target = where && (where.classList.contains('field-error') ? where : $(`${where.id}-msg`));
    if (target) {
      target.textContent = `${target.textContent ? `${target.textContent} ` : ''}${p.message}. Fix: ${p.fix}`;
      if (where.tagName !== 'P') where.setAttribute('aria-invalid', 'true');
    } else {
      others.push(p);
    }
  }
  $('other-problems').replaceChildren(...others.map((p) => el('li', `${p.file}${p.line ? `:${p.line}` : ''}${p.key ? ` ${p.key}` : ''}: ${p.message}`)));
}

async function saveForm(event) {
  event.preventDefault();
  const edits = [];
  for (const [input, editOf] of fieldEdits) {
    if (input.value !== input.dataset.original) edits.push(editOf(input.value));
  }
  if (!edits.length) return say('Nothing changed.');
  await edit(...edits);
}

async function addConcept(event) {
  event.preventDefault();
  const v = (id) => $(id).value.trim();
  const prerequisite = v('add-prereq');
  const ok = await edit(
    {
      op: 'add_concept', id: v('add-id'), title: v('add-title-in'),
      opening_question: v('add-opening'), summary: v('add-summary'),
      prerequisites: prerequisite ? [prerequisite] : [],
    },
    {
      op: 'add_checkpoint', concept: v('add-id'), id: v('add-cp-id'), statement: v('add-cp-statement'),
      cues: [v('add-cp-cue')], hints: [v('add-cp-hint1'), v('add-cp-hint2')],
    },
  );
  if (ok) {
    $('concept-pick').value = v('add-id');
    renderForm();
    $('add-form').reset();
  }
}

// ---- cue tester and preview ----

async function trySentence(event) {
  event.preventDefault();
  const text = $('try-text').value.trim();
  if (!text) return;
  const r = await call('POST', '/api/author/try', { ...source(), concept: $('concept-pick').value, text });
  const box = $('try-result');
  if (!r.ok) return box.replaceChildren(el('p', r.data.error || `HTTP ${r.status}`, 'bad'));
  const a = r.data.assessment;
  const credited = Object.entries(a.scores).filter(([, s]) => s.score >= 0.6);
  const out = [el('p', credited.length ? `Credits ${credited.map(([id, s]) => `${id} (${s.score})`).join(', ')}` : 'Credits nothing.', credited.length ? 'ok' : 'bad')];
  for (const m of a.misconceptions) out.push(el('p', `Shows the misconception ${m.id}.`, 'bad'));
  for (const c of a.contradictions) out.push(el('p', `Contradicts ${c.checkpoint}.`, 'bad'));
  const ul = el('ul', null, 'hits');
  for (const h of r.data.hits) {
    const words = text.slice(h.evidence.start, h.evidence.end);
    const role = { credits: 'credits', contradicts: 'contradicts', shows: 'shows' }[h.role];
    ul.append(el('li', `${h.owner} ${role} — cue “${h.cue}” matched “${words}”`));
  }
  if (r.data.hits.length) out.push(el('p', 'Why: the cues that matched', 'label'), ul);
  box.replaceChildren(...out);
}

function column(title, turns) {
  const col = el('div', null, 'preview-col');
  col.append(el('h4', title));
  const ol = el('ol');
  for (const t of turns) {
    const li = el('li');
    li.append(el('div', `Learner: ${t.learner}`, 'sub'));
    li.append(el('div', `Tutor: ${t.tutor}`));
    const covered = t.covered.length ? `credited ${t.covered.join(', ')}` : 'no credit';
    const aha = t.aha ? ' · aha' : '';
    li.append(el('div', `${covered}${t.misconceptions.length ? ` · shows ${t.misconceptions.join(', ')}` : ''}${aha}`, 'cues'));
    ol.append(li);
  }
  col.append(ol);
  return col;
}

async function preview(event) {
  event.preventDefault();
  const script = $('preview-lines').value;
  const concept = $('concept-pick').value;
  const box = $('preview-result');
  const runs = [['Published', { curriculum: curriculumId() }]];
  if (draft) runs.unshift(['Draft', { files: draft.files }]);
  const cols = [];
  for (const [title, src] of runs) {
    const r = await call('POST', '/api/author/preview', { ...src, concept, script });
    if (r.ok) cols.push(column(title, r.data.turns));
    else cols.push(el('p', `${title}: ${r.data.error || `HTTP ${r.status}`}`, 'bad'));
  }
  box.replaceChildren(...cols);
}

async function publish(event) {
  event.preventDefault();
  if (!draft) return say('Start a draft first.');
  const r = await call('POST', `${base()}/drafts/${encodeURIComponent(draft.id)}/publish`,
    { message: $('publish-message').value.trim(), renamed_from: renamed },
    { 'If-Match': `"${draft.revision}"` });
  if (!r.ok) {
    const detail = r.data.vanished ? ` (${JSON.stringify(r.data.vanished)})` : '';
    return say(`${r.data.error || `Not published (HTTP ${r.status})`}${detail}`);
  }
  const number = r.data.version?.number ?? r.data.version;
  $('publish-result').textContent = `Published as version ${number}: new sessions get it.`;
  draft = null;
  renamed = {};
  $('draft-state').textContent = 'No draft open: the cue tester and the preview use the published version.';
  await loadView();
}

function failed(err) { say(`Something went wrong: ${err.message}`); }

$('draft-start').addEventListener('click', () => startDraft().catch(failed));
$('concept-pick').addEventListener('change', () => renderForm());
$('concept-form').addEventListener('submit', (e) => saveForm(e).catch(failed));
$('add-form').addEventListener('submit', (e) => addConcept(e).catch(failed));
$('try-form').addEventListener('submit', (e) => trySentence(e).catch(failed));
$('preview-form').addEventListener('submit', (e) => preview(e).catch(failed));
$('publish-form').addEventListener('submit', (e) => publish(e).catch(failed));
$('pick-form').addEventListener('submit', () => { draft = null; loadView().catch(failed); });

// The curriculum list is filled by author.js; wait for it, then show the published view.
const waitForList = new MutationObserver(() => {
  if ($('curriculum').options.length) {
    waitForList.disconnect();
    loadView().catch(failed);
  }
});
if ($('curriculum').options.length) loadView().catch(failed);
else waitForList.observe($('curriculum'), { childList: true });
