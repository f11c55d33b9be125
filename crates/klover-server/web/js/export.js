// The session menu in the top bar (the session id, which `klover export` and `klover chat
// --session` need, and the way to the export) and the Export dialog: format, front matter
// (Markdown only), title, author, and turns to leave out (GET /api/sessions/:id/export).

import { h, byId, clear } from './dom.js';

/** A turn as the dialog lists it: `Me: Async is after initiating…`. */
function excerpt(text, max = 70) {
  const line = String(text ?? '').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The turns the server stored (they have its turn id), in order, without dividers. */
export function exportableTurns(turns) {
  return turns.filter((t) => (t.role === 'learner' || t.role === 'tutor')
    && typeof t.turnId === 'string' && t.turnId !== '' && String(t.text ?? '').trim() !== '');
}

/**
 * Wires the menu and the dialog. `session()` is the current Session; `download(id,
 * options)` fetches the post and resolves with its file name; `done(message)` and
 * `failed(err)` report back.
 */
export function setupExport({ session, download, done, failed }) {
  const menu = byId('session-menu');
  const button = byId('session-menu-button');
  const panel = byId('session-menu-panel');
  const dialog = byId('export-dialog');
  const form = byId('export-form');
  const error = byId('export-error');
  const frontMatter = byId('export-front-matter');

  const setOpen = (open) => {
    panel.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
  };
  button.addEventListener('click', () => setOpen(panel.hidden));
  document.addEventListener('click', (e) => {
    if (!panel.hidden && !menu.contains(e.target)) setOpen(false);
  });
  menu.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !panel.hidden) {
      setOpen(false);
      button.focus();
    }
  });
  byId('copy-session-id').addEventListener('click', async () => {
    const id = session().id;
    try {
      await navigator.clipboard.writeText(id);
      done('Session id copied');
    } catch {
      const range = document.createRange();
      range.selectNodeContents(byId('session-id'));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
  });

  const html = () => form.elements.format.value === 'html';
  const syncFormat = () => {
    frontMatter.disabled = html();
    if (html()) frontMatter.value = 'none';
  };
  for (const radio of form.querySelectorAll('input[name="format"]')) radio.addEventListener('change', syncFormat);

  const open = () => {
    setOpen(false);
    const s = session();
    if (!s.id) return;
    error.hidden = true;
    const list = clear(byId('export-turns'));
    const turns = exportableTurns(s.turns);
    if (!turns.length) list.append(h('li', { class: 'muted small', text: 'No turns yet.' }));
    turns.forEach((t, i) => {
      const id = `export-omit-${i}`;
      list.append(h('li', {}, h('label', { for: id },
        h('input', { type: 'checkbox', id, value: t.turnId, name: 'omit' }),
        h('span', { class: 'who', text: t.role === 'learner' ? 'Me:' : 'Klover:' }),
        h('span', { text: excerpt(t.text) }))));
    });
    syncFormat();
    dialog.showModal();
    form.querySelector('input[name="format"]:checked')?.focus();
  };
  byId('menu-export').addEventListener('click', open);
  byId('export-open').addEventListener('click', open);
  byId('export-cancel').addEventListener('click', () => dialog.close());

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const s = session();
    const options = {
      format: html() ? 'html' : 'md',
      front_matter: html() ? 'none' : frontMatter.value,
      title: byId('export-post-title').value.trim(),
      author: byId('export-author').value.trim(),
      omit: [...form.querySelectorAll('input[name="omit"]:checked')].map((c) => c.value),
    };
    try {
      const name = await download(s.id, options);
      dialog.close();
      done(`Downloaded ${name}`);
    } catch (err) {
      error.textContent = err?.message || 'The export failed. Try again in a moment.';
      error.hidden = false;
      failed(err);
    }
  });

  /** Shows the menu when there is a session, with its id and the terminal command. */
  return function refresh() {
    const id = session().id;
    menu.hidden = !id;
    if (!id) setOpen(false);
    byId('session-id').textContent = id ?? '';
    byId('session-export-cmd').textContent = id ? `klover export ${id}` : '';
    byId('export-open').disabled = !id;
  };
}
