// SPDX-License-Identifier: GPL-3.0-or-later
//
// The patient's side of the waiting room (docs/waiting-room.md): one
// signaling socket, `authenticate` with the patient token, `wait`, then the
// server's `queue-update`, `provider-message`, `admitted` and `removed`.
// A dropped socket is reopened by itself (with backoff, for as long as the
// page is open): authenticate and `wait` again — the server keeps the place.

import { Emitter, SignalingClient, defaultSignalingUrl } from './signaling.js';

const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000];
const RECONNECT_MAX_DELAY_MS = 10000;
const PING_INTERVAL_MS = 20000;

/** Close codes after which the token is no good any more (docs/protocol.md). */
const TOKEN_DEAD_CLOSE_CODES = new Set([4401, 4403]);
const REMOVED_CLOSE_CODE = 4409;
/** Token errors (docs/errors.md 201xx) and the visit no longer open. */
const isTokenError = (error) => (error?.code >= 20100 && error?.code < 20200) || error?.code === 20404;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Events: 'state' ('connecting' | 'waiting' | 'reconnecting' | 'done'),
 * 'position' ({position, estimated_wait_seconds}), 'provider-message'
 * ({text, at: Date}), 'admitted' ({room}), 'removed' ({message}),
 * 'left' (), 'token-invalid' ({code, error}).
 * After admitted/removed/left/token-invalid the socket is closed and nothing more happens.
 */
export class WaitingRoom extends Emitter {
  #signaling = null;
  #done = false;
  #pingTimer = null;
  #wake = null;

  constructor({ token, url = defaultSignalingUrl() }) {
    super();
    this.token = token;
    this.url = url;
    this.state = 'idle';
    this.position = null;
    this.estimatedWaitSeconds = null;
    this.messages = [];
    this.reconnects = 0;
    this.room = null;
    this.onlineListener = () => this.#wake?.();
  }

  get signaling() {
    return this.#signaling;
  }

  #setState(state) {
    if (this.state === state)
      return;
    this.state = state;
    this.emit('state', state);
  }

  /** Connects and waits; reconnects by itself until stop(), leave() or an ending. */
  start() {
    globalThis.addEventListener?.('online', this.onlineListener);
    this.#run();
    return this;
  }

  async #run() {
    for (let attempt = 0; !this.#done; attempt++) {
      this.#setState(attempt === 0 ? 'connecting' : 'reconnecting');
      const closed = await this.#session();
      if (this.#done)
        return;
      // A session that got as far as waiting resets the backoff.
      if (closed.waited)
        attempt = 0;
      const base = RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)];
      const delay = Math.min(RECONNECT_MAX_DELAY_MS, Math.round(base * (0.8 + Math.random() * 0.4)));
      this.#setState('reconnecting');
      await new Promise((resolve) => {
        this.#wake = resolve;      // coming back online tries at once
        setTimeout(resolve, delay);
      });
      this.#wake = null;
      if (!this.#done)
        this.reconnects++;
    }
  }

  /** One socket's life. Resolves { waited } when it closes (unless ended). */
  async #session() {
    const signaling = new SignalingClient(this.url);
    this.#signaling = signaling;
    let waited = false;
    const closed = new Promise((resolve) => signaling.once('close', resolve));
    signaling.on('queue-update', (m) => this.#onPosition(m));
    signaling.on('waiting', (m) => this.#onPosition(m));
    signaling.on('provider-message', (m) => this.#onProviderMessage(m));
    signaling.on('admitted', (m) => this.#onAdmitted(m));
    signaling.on('removed', (m) => this.#finish('removed', { message: m.message ?? null }));
    try {
      await signaling.connect();
      await signaling.authenticate(this.token);
      const reply = await signaling.request('wait');
      waited = true;
      if (reply.type === 'admitted')
        this.#onAdmitted(reply);
      else
        this.#onPosition(reply);
      if (!this.#done)
        this.#setState('waiting');
      this.#startPing(signaling);
    } catch (error) {
      if (isTokenError(error)) {
        this.#finish('token-invalid', { code: error.code, error: error.error });
        return { waited };
      }
      signaling.close(4000, 'retry');
    }
    const info = await closed;
    clearInterval(this.#pingTimer);
    if (this.#done)
      return { waited };
    if (info.code === REMOVED_CLOSE_CODE)
      this.#finish('removed', { message: null });
    else if (TOKEN_DEAD_CLOSE_CODES.has(info.code))
      this.#finish('token-invalid', { code: info.code, error: 'closed' });
    return { waited };
  }

  #startPing(signaling) {
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => {
      if (!signaling.isOpen)
        return;
      signaling.request('ping', {}, { timeoutMs: 15000 }).catch((error) => {
        // No pong: a dead connection; closing it starts a reconnect.
        if (error.error === 'timeout')
          signaling.close(4000, 'ping timeout');
      });
    }, PING_INTERVAL_MS);
  }

  #onPosition(message) {
    if (this.#done)
      return;
    this.position = message.position ?? null;
    this.estimatedWaitSeconds = message.estimated_wait_seconds ?? null;
    this.emit('position', { position: this.position, estimated_wait_seconds: this.estimatedWaitSeconds });
  }

  #onProviderMessage(message) {
    if (this.#done || typeof message.text !== 'string')
      return;
    const entry = { text: message.text, at: new Date() };
    this.messages.push(entry);
    this.emit('provider-message', entry);
  }

  #onAdmitted(message) {
    if (this.#done)
      return;
    this.room = message.room;
    this.#finish('admitted', { room: message.room });
  }

  #finish(event, payload) {
    if (this.#done)
      return;
    this.#done = true;
    clearInterval(this.#pingTimer);
    globalThis.removeEventListener?.('online', this.onlineListener);
    this.#wake?.();
    this.#setState('done');
    this.#signaling?.close(1000, event);
    this.emit(event, payload);
  }

  /** Gives up the place in the queue (`leave-queue`). Resolves when done. */
  async leave() {
    if (this.#done)
      return;
    const signaling = this.#signaling;
    if (signaling?.isOpen) {
      try {
        await signaling.request('leave-queue', {}, { timeoutMs: 5000 });
      } catch {
        // Closing is all that is left to do.
      }
    }
    this.#finish('left', {});
  }

  /** Closes the socket without leaving the queue (e.g. the page goes on to the call). */
  stop() {
    if (this.#done)
      return;
    this.#done = true;
    clearInterval(this.#pingTimer);
    globalThis.removeEventListener?.('online', this.onlineListener);
    this.#wake?.();
    this.#signaling?.close(1000, 'stopped');
  }
}
