// A small client for the signaling WebSocket (/v1/signal): messages queue up
// and are taken in order with next(), with a timeout instead of a hang.

import assert from 'node:assert/strict';
import WebSocket from 'ws';

export class SignalClient {
  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.waiters = [];
    this.closeInfo = null;
    this.closed = new Promise((resolvePromise) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolvePromise(this.closeInfo);
        for (const waiter of this.waiters.splice(0))
          waiter.reject(new Error(`socket closed (${code} ${reason}) while waiting for a message`));
      });
    });
    ws.on('message', (data, isBinary) => {
      let message;
      try {
        message = JSON.parse(data.toString('utf8'));
      } catch {
        message = { type: '<not json>', raw: data.toString('utf8'), isBinary };
      }
      const waiter = this.waiters.shift();
      if (waiter)
        waiter.resolve(message);
      else
        this.queue.push(message);
    });
    ws.on('error', () => {
      // 'close' follows; the tests look at the close code.
    });
  }

  static open(url, { protocol = 'housecall.v1', timeoutMs = 5000, ...options } = {}) {
    return new Promise((resolvePromise, reject) => {
      const ws = protocol ? new WebSocket(url, protocol, options) : new WebSocket(url, options);
      const client = new SignalClient(ws);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`WebSocket ${url} did not open within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolvePromise(client);
      });
      ws.once('unexpected-response', (req, res) => {
        clearTimeout(timer);
        reject(new Error(`WebSocket upgrade refused: HTTP ${res.statusCode}`));
      });
      ws.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(message) {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  sendRaw(data, options = {}) {
    this.ws.send(data, options);
  }

  next(timeoutMs = 5000) {
    if (this.queue.length > 0)
      return Promise.resolve(this.queue.shift());
    if (this.closeInfo)
      return Promise.reject(new Error(`socket closed (${this.closeInfo.code} ${this.closeInfo.reason}); no message pending`));
    return new Promise((resolvePromise, reject) => {
      const waiter = {
        resolve: (m) => {
          clearTimeout(timer);
          resolvePromise(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0)
          this.waiters.splice(i, 1);
        reject(new Error(`no signaling message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends @message and resolves the next message. */
  async request(message, timeoutMs) {
    this.send(message);
    return this.next(timeoutMs);
  }

  /** Resolves { code, reason } once closed, or rejects after @timeoutMs. */
  waitClosed(timeoutMs = 5000) {
    let timer;
    return Promise.race([
      this.closed.finally(() => clearTimeout(timer)),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  }

  close() {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(1000);
    return this.closed;
  }

  terminate() {
    this.ws.terminate();
  }
}

export function openSignal(server, options) {
  return SignalClient.open(server.wsUrl, options);
}

/** Opens a socket and authenticates; asserts success. */
export async function connectAuthenticated(server, token) {
  const client = await openSignal(server);
  const reply = await client.request({ type: 'authenticate', token });
  assert.equal(reply.type, 'authenticated', `authenticate: ${JSON.stringify(reply)}`);
  return client;
}

/** Opens a socket, authenticates and joins @room; asserts success. */
export async function connectJoined(server, token, room) {
  const client = await connectAuthenticated(server, token);
  const joined = await client.request({ type: 'join', room });
  assert.equal(joined.type, 'joined', `join ${room}: ${JSON.stringify(joined)}`);
  client.joined = joined;
  return client;
}

/** Asserts that @message is an error with @code and @slug. */
export function assertSignalError(message, code, slug, what = '') {
  const label = what ? `${what}: ` : '';
  assert.equal(message.type, 'error', `${label}expected an error, got ${JSON.stringify(message)}`);
  assert.equal(typeof message.code, 'number', `${label}numeric code`);
  assert.equal(typeof message.message, 'string', `${label}message text`);
  if (code !== undefined)
    assert.equal(message.code, code, `${label}code (${JSON.stringify(message)})`);
  if (slug !== undefined)
    assert.equal(message.error, slug, `${label}slug`);
}

/**
 * Authenticates a fresh socket with @token and expects the refusal: an error
 * message with @code/@slug, then a close with @closeCode. Resolves the error.
 */
export async function expectAuthRefused(server, token, code, slug, { closeCode = 4401, what = '' } = {}) {
  const client = await openSignal(server);
  try {
    const reply = await client.request({ type: 'authenticate', token });
    assertSignalError(reply, code, slug, what);
    const closed = await client.waitClosed(3000);
    assert.equal(closed.code, closeCode, `${what}: close code`);
    return reply;
  } finally {
    client.terminate();
  }
}
