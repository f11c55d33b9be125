// Per-tab memory (sessionStorage): the token, the session being followed and the last
// event seen, the turns so far (so a reload shows the transcript at once) and the
// learner messages not yet acknowledged by the server (re-sent after a reconnect).

const KEY = 'klover.v1.';

function read(name, fallback) {
  try {
    const raw = sessionStorage.getItem(KEY + name);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

function write(name, value) {
  try {
    if (value === null || value === undefined) sessionStorage.removeItem(KEY + name);
    else sessionStorage.setItem(KEY + name, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the tab still works, it just cannot resume after a reload.
  }
}

export const tabStore = {
  token: () => read('token', null),
  setToken: (token) => write('token', token),
  /** `{sessionId, lastSeq, curriculum, concept}` or null. */
  session: () => read('session', null),
  setSession: (value) => write('session', value),
  turns: () => read('turns', []),
  setTurns: (turns) => write('turns', turns),
  outbox: () => read('outbox', []),
  setOutbox: (items) => write('outbox', items),
  mastered: () => read('mastered', []),
  setMastered: (ids) => write('mastered', ids),
  ahas: () => read('ahas', []),
  progress: () => read('progress', []),
  setProgress: (items) => write('progress', items),
  setAhas: (items) => write('ahas', items),
  /** Forgets the followed session (a new one is about to start). */
  clearSession() {
    for (const name of ['session', 'turns', 'outbox', 'ahas', 'progress']) write(name, null);
  },
};
