// One participant of a test call: a page of the call client in its own
// browser context, driven through window.housecall with page.evaluate (the
// token never goes in a URL).

import { openCallPage, tail } from './browser.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Participant {
  constructor(name, browser, server) {
    this.name = name;
    this.browser = browser;
    this.server = server;
    this.page = null;
    this.context = null;
    this.logs = [];
  }

  /** Opens the call page; resolves this. */
  async open(options = {}) {
    const { context, page, logs, response, servedBy } = await openCallPage(this.browser, this.server, { name: this.name, ...options });
    this.context = context;
    this.page = page;
    this.logs = logs;
    this.response = response;
    this.servedBy = servedBy;
    return this;
  }

  /**
   * Starts a call: mints a token for @identity (grant: @grantRoom, default
   * @room) and calls window.housecall.start(). Resolves
   * { ok: true, joined, published } or { ok: false, code, error, message, state }.
   */
  async start({ identity = this.name, room, grantRoom = room, ttl, ...callOptions }) {
    const token = this.server.token({ identity, room: grantRoom, ttl });
    const result = await this.page.evaluate(async (opts) => {
      try {
        const r = await window.housecall.start(opts);
        return {
          ok: true,
          joined: r.joined,
          published: { simulcast: r.published.simulcast, video_codec: r.published.video_codec, type: r.published.type },
        };
      } catch (e) {
        const c = window.housecall.call;
        return {
          ok: false,
          code: e.code,
          error: e.error ?? e.name,
          message: e.message,
          state: c?.state,
          self: c?.self ?? null,
        };
      }
    }, { token, room, audioProcessing: false, ...callOptions });
    this.sid = result.ok ? result.joined.participant.sid : result.self?.sid;
    return result;
  }

  /** A snapshot of the call: state, SIDs, dominant speaker, counters, stats. */
  snapshot() {
    return this.page.evaluate(async () => {
      const c = window.housecall.call;
      if (!c)
        return { state: 'none' };
      const stats = await c.stats();
      return {
        state: c.state,
        self: c.self?.sid ?? null,
        dominant: c.dominantSpeaker,
        mediaRestarts: c.mediaRestarts,
        reconnects: c.reconnects,
        published: c.published ? { simulcast: c.published.simulcast, video_codec: c.published.video_codec } : null,
        lastError: c.lastError ? { code: c.lastError.code, error: c.lastError.error, message: c.lastError.message } : null,
        remotes: [...c.remotes.values()].map((r) => ({
          sid: r.sid,
          identity: r.identity,
          publishing: r.publishing,
          subscribed: Boolean(r.sub?.subscribed),
        })),
        stats,
      };
    });
  }

  /** framesDecoded of the video from @sid (0 if none). */
  static decoded(snapshot, sid) {
    return snapshot.stats?.inbound?.[sid]?.framesDecoded ?? 0;
  }

  /**
   * Polls snapshot() until @predicate(snapshot) is truthy; resolves that
   * snapshot. Throws after @timeoutMs with the last snapshot, this page's
   * log and the server's log.
   */
  async waitFor(what, predicate, { timeoutMs = 15000, intervalMs = 250 } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      last = await this.snapshot();
      if (predicate(last))
        return last;
      if (Date.now() > deadline)
        throw new Error(`${this.name}: ${what} not within ${timeoutMs} ms.\nlast: ${JSON.stringify(last, null, 1)}\n${this.diagnostics()}`);
      await sleep(intervalMs);
    }
  }

  /**
   * Waits until the video from @sid is being decoded: framesDecoded grows
   * by at least @frames between two snapshots @windowMs apart. Resolves the
   * last snapshot.
   */
  async waitDecoding(sid, { frames = 10, windowMs = 1000, timeoutMs = 15000, what } = {}) {
    const deadline = Date.now() + timeoutMs;
    let before = await this.snapshot();
    for (;;) {
      await sleep(windowMs);
      const now = await this.snapshot();
      const sidNow = typeof sid === 'function' ? sid(now) : sid;
      const sidBefore = typeof sid === 'function' ? sid(before) : sid;
      if (sidNow && sidNow === sidBefore && Participant.decoded(now, sidNow) - Participant.decoded(before, sidNow) >= frames)
        return now;
      if (Date.now() > deadline) {
        throw new Error(`${this.name}: ${what ?? `decoding ${sidNow}`} — framesDecoded did not grow by ${frames} within ${timeoutMs} ms.\n` +
          `last: ${JSON.stringify(now, null, 1)}\n${this.diagnostics()}`);
      }
      before = now;
    }
  }

  evaluate(fn, arg) {
    return this.page.evaluate(fn, arg);
  }

  diagnostics() {
    return `--- ${this.name} page log ---\n${tail(this.logs, 40)}\n--- housecalld log ---\n${this.server.logTail(30)}`;
  }

  async close() {
    if (this.context) {
      await this.context.close().catch(() => {});
      this.context = null;
    }
  }
}
