// The console's call engine as a test peer: tests/engine/engine-peer (built with
// the console) run inside a network namespace, reporting what it does as JSON
// lines (see the comment at the top of engine-peer.c). Its path: $HC_ENGINE_PEER,
// else next to $HOUSECALLD's build tree (<build>/tests/engine/engine-peer), else
// build/tests/engine/engine-peer.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

import { REPO_ROOT, binaryPath } from './server.mjs';

export function enginePeerPath() {
  if (process.env.HC_ENGINE_PEER)
    return resolve(process.env.HC_ENGINE_PEER);
  // <build>/src/server/housecalld → <build>/tests/engine/engine-peer
  const besideServer = join(dirname(binaryPath()), '..', '..', 'tests', 'engine', 'engine-peer');
  if (existsSync(besideServer))
    return besideServer;
  return join(REPO_ROOT, 'build', 'tests', 'engine', 'engine-peer');
}

/** engine-peer inside @ns: its JSON lines, and a way to wait for one. */
export class EnginePeer {
  constructor(ns, { origin, room, token, profile = 'test-pattern-720p', args = [], env = {} }) {
    this.lines = [];
    this.stderr = '';
    this.logLines = [];   // stdout lines that are not JSON: GLib's debug and info messages
    this.waiters = new Set();
    this.child = ns.spawn(enginePeerPath(), ['--server', origin, '--room', room, '--profile', profile, ...args], {
      env: {
        ...process.env, HC_TOKEN: token, G_DEBUG: 'fatal-criticals', GSETTINGS_BACKEND: 'memory',
        // As the engine's meson tests run it: LeakSanitizer suppressions for
        // third-party frames, which need full stacks to match.
        LSAN_OPTIONS: `suppressions=${join(REPO_ROOT, 'tests', 'engine', 'lsan.supp')}:print_suppressions=0`,
        ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ?? ''}:detect_leaks=1:fast_unwind_on_malloc=0`,
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exit = new Promise((resolvePromise) => this.child.on('exit', (code, signal) => resolvePromise({ code, signal })));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk) => { this.stderr += chunk; });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let message;
      try {
        message = JSON.parse(line);
      } catch {
        this.logLines.push(line);
        return;
      }
      this.lines.push(message);
      for (const waiter of [...this.waiters])
        waiter(message);
    });
  }

  get last() {
    return [...this.lines].reverse().find((m) => m.event === 'stats') ?? null;
  }

  /** Resolves the first line (already seen or to come) for which @predicate holds;
   * with { fresh: true }, only a line that comes after this call. */
  waitFor(what, predicate, timeoutMs = 20000, { fresh = false } = {}) {
    const seen = fresh ? undefined : this.lines.find(predicate);
    if (seen)
      return Promise.resolve(seen);
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`engine-peer: ${what} not within ${timeoutMs} ms; last: ${JSON.stringify(this.last)}\n${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      const waiter = (message) => {
        if (!predicate(message))
          return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolvePromise(message);
      };
      this.waiters.add(waiter);
    });
  }

  /** Closes its stdin (it leaves the room and exits); SIGKILL after @timeoutMs. */
  async stop(timeoutMs = 10000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null)
      return this.exit;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const result = await this.exit;
    clearTimeout(timer);
    return result;
  }
}
