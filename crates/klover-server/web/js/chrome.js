// The page's furniture: phone tabs, the connection pill, toasts, the composer's keys
// and auto-growing text box, and the token dialog.

import { byId } from './dom.js';

/** Phone layout: one panel at a time, chosen by the tab bar. */
export function setupTabs() {
  const tabs = [...document.querySelectorAll('.tab')];
  const show = (view) => {
    document.body.dataset.view = view;
    for (const tab of tabs) {
      if (tab.dataset.view === view) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
  };
  for (const tab of tabs) tab.addEventListener('click', () => show(tab.dataset.view));
  return show;
}

const CONN_TEXT = {
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline, waiting for the network',
  closed: 'Disconnected',
  token: 'Waiting for a token',
};

/** Shows the connection state; `retry` is offered while waiting to reconnect. */
export function connectionPill(retry) {
  const pill = byId('conn');
  const text = byId('conn-text');
  const button = byId('conn-retry');
  button.addEventListener('click', retry);
  let timer = null;
  return (state, detail = {}) => {
    clearInterval(timer);
    pill.dataset.state = state;
    button.hidden = !(state === 'reconnecting' && detail.retryAt);
    const paint = () => {
      const wait = detail.retryAt ? Math.ceil((detail.retryAt - Date.now()) / 1000) : 0;
      text.textContent = state === 'reconnecting' && wait > 0 ? `Reconnecting in ${wait}s…` : CONN_TEXT[state] ?? state;
    };
    paint();
    if (detail.retryAt) timer = setInterval(paint, 500);
  };
}

/** A short message at the bottom of the screen. */
export function toast(message, kind = 'info') {
  const el = byId('toast');
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(el._timer);
  el._timer = setTimeout(() => { el.hidden = true; }, kind === 'error' ? 8000 : 4000);
}

/** Enter sends, Shift+Enter is a new line, Esc stops; the box grows with its text. */
export function setupComposer({ onSend, onStop }) {
  const input = byId('input');
  const form = byId('composer');
  const grow = () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 220)}px`;
  };
  input.addEventListener('input', () => {
    grow();
    byId('send').disabled = input.disabled || input.value.trim() === '' || form.dataset.busy === 'true';
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      form.requestSubmit();
    } else if (e.key === 'Escape' && form.dataset.busy === 'true') {
      e.preventDefault();
      onStop();
    }
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value;
    if (text.trim() === '' || input.disabled || form.dataset.busy === 'true') return;
    input.value = '';
    grow();
    onSend(text);
  });
  byId('stop').addEventListener('click', onStop);
  // Shown above the box when the session is over (it says why the box is disabled).
  const note = document.createElement('p');
  Object.assign(note, { id: 'ended-note', className: 'ended-note muted', hidden: true });
  note.setAttribute('role', 'status');
  note.style.gridColumn = '1 / -1'; // CSSOM: the CSP forbids inline style attributes
  note.style.margin = '0';
  form.prepend(note);
  return {
    /**
     * `enabled`: a session exists and is not over; `busy`: a reply is on its way;
     * `ended`: the note saying the session is finished (null when it is not); `canStop`:
     * false while disconnected (Stop hides: the server could not hear it).
     */
    set({ enabled, busy, placeholder, ended = null, canStop = true }) {
      form.dataset.busy = String(busy);
      input.disabled = !enabled;
      input.placeholder = placeholder;
      note.hidden = !ended;
      note.textContent = ended ?? '';
      input.setAttribute('aria-describedby', ended ? 'ended-note composer-hint' : 'composer-hint');
      const stoppable = busy && canStop;
      byId('send').hidden = stoppable;
      byId('send').disabled = !enabled || busy || input.value.trim() === '';
      const stop = byId('stop');
      const refocus = stop.hidden === false && !stoppable && document.activeElement === stop;
      stop.hidden = !stoppable;
      if (refocus) input.focus();
    },
    restore(text) {
      if (input.value.trim() === '') {
        input.value = text;
        grow();
      }
    },
  };
}

/** Asks for the token in a modal dialog; resolves with it. */
export function askToken(message = '') {
  const dialog = byId('token-dialog');
  const input = byId('token-input');
  const error = byId('token-error');
  error.textContent = message;
  error.hidden = !message;
  input.value = '';
  return new Promise((resolve) => {
    const done = (e) => {
      e.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      byId('token-form').removeEventListener('submit', done);
      dialog.close();
      resolve(token);
    };
    byId('token-form').addEventListener('submit', done);
    dialog.addEventListener('cancel', (e) => e.preventDefault(), { once: true });
    dialog.showModal();
    input.focus();
  });
}
