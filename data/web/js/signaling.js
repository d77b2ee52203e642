// SPDX-License-Identifier: GPL-3.0-or-later
//
// The signaling client: one WebSocket to /v1/signal with the subprotocol
// housecall.v1 (docs/protocol.md). Requests carry an `id` and resolve with
// the reply bearing the same id; an `error` reply rejects with a
// SignalingError. Messages the server sends on its own (events) are emitted
// by their `type`.

export const SUBPROTOCOL = 'housecall.v1';

/** The default signaling URL for a page served by housecalld. */
export function defaultSignalingUrl(location = window.location) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/v1/signal`;
}

/** A tiny event emitter: on/off/once/emit, listeners called in order. */
export class Emitter {
  #listeners = new Map();

  on(type, listener) {
    if (!this.#listeners.has(type))
      this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(listener);
    return () => this.off(type, listener);
  }

  off(type, listener) {
    this.#listeners.get(type)?.delete(listener);
  }

  once(type, listener) {
    const off = this.on(type, (...args) => {
      off();
      listener(...args);
    });
    return off;
  }

  emit(type, ...args) {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        // One broken listener must not stop the others or the socket.
        console.error(`listener for ${type} failed`, error);
      }
    }
  }
}

/**
 * An error the server sent ({"type":"error","code":…,"error":…}), or a local
 * failure: code 0 with error 'closed' (the socket closed before the reply)
 * or 'timeout' (no reply in time).
 */
export class SignalingError extends Error {
  constructor(message) {
    super(message.message ?? message.error ?? 'signaling error');
    this.name = 'SignalingError';
    this.code = message.code ?? 0;
    this.error = message.error ?? 'unknown';
    this.id = message.id;
    this.reply = message;
  }
}

/**
 * Events: 'open'; 'close' ({code, reason, wasClean}); 'message' (every
 * parsed message); '<type>' for each message without a pending request (e.g.
 * 'participant-connected'); 'server-error' for an error that answers no
 * pending request (e.g. auth-timeout, or a rejected trickle).
 */
export class SignalingClient extends Emitter {
  #ws = null;
  #pending = new Map();
  #nextId = 1;

  constructor(url = defaultSignalingUrl(), { requestTimeoutMs = 15000 } = {}) {
    super();
    this.url = url;
    this.requestTimeoutMs = requestTimeoutMs;
    this.closeInfo = null;
  }

  get isOpen() {
    return this.#ws !== null && this.#ws.readyState === WebSocket.OPEN;
  }

  /** Opens the socket; resolves once open, rejects if it fails or takes too long. */
  connect({ timeoutMs = 10000 } = {}) {
    if (this.#ws !== null)
      return Promise.reject(new Error('already connected'));
    this.closeInfo = null;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, SUBPROTOCOL);
      this.#ws = ws;
      let opened = false;
      const timer = setTimeout(() => {
        if (!opened) {
          ws.close();
          reject(new SignalingError({ error: 'timeout', message: `could not connect within ${timeoutMs} ms` }));
        }
      }, timeoutMs);
      ws.addEventListener('open', () => {
        opened = true;
        clearTimeout(timer);
        if (ws.protocol !== SUBPROTOCOL) {
          ws.close(1002, 'subprotocol');
          reject(new SignalingError({ error: 'protocol', message: `the server chose subprotocol "${ws.protocol}"` }));
          return;
        }
        this.emit('open');
        resolve();
      });
      ws.addEventListener('message', (event) => this.#onMessage(event));
      ws.addEventListener('close', (event) => {
        clearTimeout(timer);
        if (this.#ws === ws)
          this.#ws = null;
        this.closeInfo = { code: event.code, reason: event.reason, wasClean: event.wasClean };
        for (const [, pending] of this.#pending) {
          clearTimeout(pending.timer);
          pending.reject(new SignalingError({ error: 'closed', message: `the socket closed (${event.code})` }));
        }
        this.#pending.clear();
        if (!opened)
          reject(new SignalingError({ error: 'closed', message: `could not connect (${event.code})` }));
        this.emit('close', this.closeInfo);
      });
    });
  }

  #onMessage(event) {
    let message;
    if (typeof event.data !== 'string') {
      this.emit('server-error', new SignalingError({ error: 'binary', message: 'the server sent a binary frame' }));
      return;
    }
    try {
      message = JSON.parse(event.data);
    } catch {
      this.emit('server-error', new SignalingError({ error: 'not-json', message: 'the server sent something that is not JSON' }));
      return;
    }
    if (message === null || typeof message !== 'object')
      return;
    this.emit('message', message);
    const pending = message.id !== undefined ? this.#pending.get(message.id) : undefined;
    if (pending) {
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.type === 'error')
        pending.reject(new SignalingError(message));
      else
        pending.resolve(message);
      return;
    }
    if (message.type === 'error')
      this.emit('server-error', new SignalingError(message));
    else
      this.emit(message.type, message);
  }

  /** Sends one message as it is (no id added). */
  send(message) {
    if (!this.isOpen)
      throw new SignalingError({ error: 'closed', message: 'the socket is not open' });
    this.#ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /**
   * Sends {type, ...fields, id} and resolves the reply with that id, or
   * rejects with a SignalingError (the server's error, 'closed' or 'timeout').
   */
  request(type, fields = {}, { timeoutMs = this.requestTimeoutMs } = {}) {
    const id = String(this.#nextId++);
    return new Promise((resolve, reject) => {
      try {
        this.send({ ...fields, type, id });
      } catch (error) {
        reject(error);
        return;
      }
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignalingError({ error: 'timeout', message: `no reply to ${type} within ${timeoutMs} ms` }));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
    });
  }

  /** Sends a message that has no reply (trickle). A rejection comes back as a
   * 'server-error' event carrying this id. Returns false if the socket is closed. */
  notify(type, fields = {}) {
    if (!this.isOpen)
      return false;
    this.send({ ...fields, type, id: `n${this.#nextId++}` });
    return true;
  }

  /** authenticate → {identity, role}. */
  authenticate(token) {
    return this.request('authenticate', { token });
  }

  /** join → the joined message. */
  join(room) {
    return this.request('join', { room });
  }

  close(code = 1000, reason = '') {
    if (this.#ws !== null && (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING))
      this.#ws.close(code, reason);
  }
}
