// One websocket to `/ws` that comes back by itself: exponential backoff with jitter,
// a heartbeat that notices a dead link, and an immediate retry when the browser says
// it is online again. What to send after (re)connecting is the caller's `onOpen`.

const PING_EVERY_MS = 20_000;
const SILENT_LIMIT_MS = 50_000;
const MAX_BACKOFF_MS = 10_000;

/**
 * The websocket address of this page's server. The token goes in the first `hello`
 * frame, not in the URL, so it never lands in access logs and a wrong one gets a typed
 * `unauthorized` error instead of a failed handshake.
 */
export function socketUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

export class Connection {
  /** `url()` gives the address; `onEvent(event)`, `onState(state, detail)`, `onOpen()`. */
  constructor({ url, onEvent, onState, onOpen }) {
    Object.assign(this, { url, onEvent, onState, onOpen });
    this.ws = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastHeard = 0;
    this.stopped = false;
    addEventListener('online', () => this.retryNow());
  }

  /** Opens the socket (again). */
  connect() {
    this.stopped = false;
    clearTimeout(this.retryTimer);
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    this.onState(this.attempt === 0 ? 'connecting' : 'reconnecting', {});
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (err) {
      this.scheduleRetry(String(err));
      return;
    }
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.attempt = 0;
      this.lastHeard = Date.now();
      this.onState('open', {});
      this.startHeartbeat();
      this.onOpen();
    });
    ws.addEventListener('message', (msg) => {
      // A socket already let go of (a token change, a retry) no longer speaks for the page.
      if (this.ws !== ws) return;
      this.lastHeard = Date.now();
      if (typeof msg.data !== 'string') return;
      let event;
      try {
        event = JSON.parse(msg.data);
      } catch {
        return;
      }
      if (event && typeof event.type === 'string') this.onEvent(event);
    });
    ws.addEventListener('close', (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopHeartbeat();
      if (!this.stopped) this.scheduleRetry(ev.reason || `closed (${ev.code})`);
    });
  }

  /** Sends one frame; false when the socket is not open (the caller keeps it for later). */
  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** True while the socket is open. */
  get isOpen() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN);
  }

  /** Closes the socket and reconnects at once (used after a new token is given). */
  retryNow() {
    if (this.stopped) return;
    this.attempt = 0;
    if (this.ws) {
      const old = this.ws;
      this.ws = null;
      old.close();
      this.stopHeartbeat();
    }
    this.connect();
  }

  /** Closes for good (no reconnect) and shows `state` (`closed`, or `token` while one is asked for). */
  stop(state = 'closed') {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopHeartbeat();
    this.ws?.close();
    this.ws = null;
    this.onState(state, {});
  }

  scheduleRetry(reason) {
    this.attempt += 1;
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (this.attempt - 1));
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    const offline = navigator.onLine === false;
    this.onState(offline ? 'offline' : 'reconnecting', { reason, retryAt: Date.now() + delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastHeard > SILENT_LIMIT_MS) {
        this.ws?.close();
        return;
      }
      this.send({ type: 'ping', nonce: String(Date.now()) });
    }, PING_EVERY_MS);
  }

  stopHeartbeat() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
  }
}
