// Starting, stopping and driving a real housecalld for the integration tests.
//
// Every server runs in a fresh temporary data directory, listens on
// 127.0.0.1 with port 0 and reports the port it got on stderr ("Listening on
// port N"). Each process is tracked, and any still alive when the test file's
// process exits is killed, so a failing test never leaves a server behind.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { within } from './util.mjs';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const EXAMPLE_CONFIG = join(REPO_ROOT, 'data', 'housecalld.conf');

export function binaryPath() {
  const fromEnv = process.env.HOUSECALLD;
  if (fromEnv)
    return resolve(fromEnv);
  return join(REPO_ROOT, 'build', 'src', 'server', 'housecalld');
}

const live = new Set();
const servers = new Set();

/** Whether @pid is a running (not zombie) process. */
export function isRunning(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
const tempDirs = new Set();

process.on('exit', () => {
  killAll();
  if (!process.env.HC_KEEP_DATA) {
    for (const dir of tempDirs)
      rmSync(dir, { recursive: true, force: true });
  }
});

/** A fresh temporary directory, removed when the test process exits. */
export function makeTempDir(prefix = 'housecalld-test-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

// housecalld must not outlive the test process, even when that is killed
// with SIGKILL (a runner's timeout): start it through setpriv --pdeathsig,
// which execs it with PR_SET_PDEATHSIG set. Its Janus dies with it.
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

function spawnHousecalld(args, options) {
  if (SETPRIV && process.platform === 'linux')
    return spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', binaryPath(), ...args], options);
  return spawn(binaryPath(), args, options);
}

function killAll() {
  for (const pid of [...servers].flatMap((server) => server.janusPids)) {
    try {
      if (isRunning(pid))
        process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAll();
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 })[signal]);
  });
}

/** The part of @text around a sanitizer's report, or null. (LeakSanitizer's
 * own occasional "fatal error" of its tracer is not a finding.) */
export function sanitizerReport(text) {
  const m = /ERROR: (LeakSanitizer: detected memory leaks|AddressSanitizer)|runtime error:/.exec(text);
  return m ? text.slice(Math.max(0, m.index - 200), m.index + 6000) : null;
}

/** The environment for a child: the caller's, without secrets that would
 * change which key the server signs with. */
function childEnv(extra = {}) {
  const env = { ...process.env };
  delete env.HOUSECALLD_API_KEY_SECRET;
  delete env.HOUSECALLD_JANUS_ADMIN_SECRET;
  delete env.G_MESSAGES_DEBUG;
  // A GLib critical is a programming error in the server: make it a crash
  // that the tests notice rather than a line in a log nobody reads.
  env.G_DEBUG = 'fatal-criticals';
  // GLib's slice allocator hides leaked GObjects from LeakSanitizer (it
  // keeps their pages): allocate them with malloc so that they are seen.
  env.G_SLICE = 'always-malloc';
  env.LC_ALL = 'C.UTF-8';
  return { ...env, ...extra };
}

function readTrimmed(path) {
  return readFileSync(path, 'utf8').replace(/[\r\n]+$/, '');
}

export class Server {
  constructor(child, dataDir) {
    this.child = child;
    this.dataDir = dataDir;
    this.port = 0;
    this.stderr = '';
    this.stdout = '';
    servers.add(this);
    this.exit = new Promise((resolvePromise) => {
      child.on('exit', (code, signal) => {
        live.delete(child);
        resolvePromise({ code, signal });
      });
    });
    child.stderr.setEncoding('utf8');
    child.stdout.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      this.stderr += chunk;
    });
    child.stdout.on('data', (chunk) => {
      this.stdout += chunk;
    });
  }

  get pid() {
    return this.child.pid;
  }

  get baseUrl() {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}/v1/signal`;
  }

  /** Whether the process is still running. */
  get alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The account SID, API key SID and secret the server generated (or was
   * given through the environment). */
  get creds() {
    if (!this._creds) {
      this._creds = {
        accountSid: readTrimmed(join(this.dataDir, 'account-sid')),
        apiKeySid: readTrimmed(join(this.dataDir, 'api-key-sid')),
        // undefined when the secret came from a file of the caller's
        apiKeySecret: this.envSecret ?? (existsSync(join(this.dataDir, 'api-key-secret'))
          ? readTrimmed(join(this.dataDir, 'api-key-secret')) : undefined),
      };
    }
    return this._creds;
  }

  async waitForPort(timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = /Listening on port (\d+)/.exec(this.stderr);
      if (match) {
        this.port = Number(match[1]);
        return this.port;
      }
      if (!this.alive)
        throw new Error(`housecalld exited before listening (${this.child.exitCode ?? this.child.signalCode}):\n${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(`housecalld did not report its port within ${timeoutMs} ms:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The pids of the Janus processes this housecalld reported starting. */
  get janusPids() {
    return [...this.stderr.matchAll(/Janus is ready \(pid (\d+)\)/g)].map((m) => Number(m[1]));
  }

  /** Waits until the Janus processes this server started are gone; resolves
   * the pids still running after @timeoutMs (and kills those). */
  async janusLeftBehind(timeoutMs = 3000) {
    const deadline = Date.now() + timeoutMs;
    let running = this.janusPids.filter(isRunning);
    while (running.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      running = running.filter(isRunning);
    }
    for (const pid of running) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // raced with its exit
      }
    }
    return running;
  }

  /** Sends @signal and waits for the process to end. Returns the exit code,
   * the signal and how long it took; kills it hard after @timeoutMs. */
  async stop(signal = 'SIGTERM', timeoutMs = 5000) {
    if (!this.alive)
      return { ...(await this.exit), ms: 0, timedOut: false, janusLeft: await this.janusLeftBehind() };
    const started = Date.now();
    this.child.kill(signal);
    const timedOut = await within(this.exit.then(() => false), timeoutMs, true);
    if (timedOut) {
      this.child.kill('SIGKILL');
      await this.exit;
    }
    const ms = Date.now() - started;
    const result = { ...(await this.exit), ms, timedOut, janusLeft: await this.janusLeftBehind() };
    this.assertNoSanitizerReport();
    return result;
  }

  /** Fails (once) if a sanitizer reported anything: a leak at exit (under
   * AddressSanitizer LeakSanitizer runs when the server stops), a memory
   * error or undefined behaviour. This makes the whole suite a leak check. */
  assertNoSanitizerReport() {
    if (this.sanitizerChecked)
      return;
    this.sanitizerChecked = true;
    const report = sanitizerReport(this.stderr + this.stdout);
    if (report !== null)
      throw new Error(`housecalld (${this.dataDir}) has a sanitizer report:\n${report}`);
  }

  /** kill -9, as a crash or power cut would. */
  async crash() {
    return this.stop('SIGKILL', 5000);
  }
}

/**
 * Starts housecalld and waits until it listens.
 *   dataDir  – reuse a data directory (default: a fresh one)
 *   config   – pass --config FILE
 *   listen   – ADDRESS:PORT (default 127.0.0.1:0); null to leave it out
 *   args     – more arguments
 *   env      – more environment
 */
export async function startServer(opts = {}) {
  const dataDir = opts.dataDir === null ? null : (opts.dataDir ?? makeTempDir());
  const args = [];
  if (opts.config)
    args.push('--config', opts.config);
  if (dataDir !== null)
    args.push('--data-dir', dataDir);
  if (opts.listen !== null)
    args.push('--listen', opts.listen ?? '127.0.0.1:0');
  args.push(...(opts.args ?? []));
  const child = spawnHousecalld(args, {
    env: childEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const server = new Server(child, dataDir);
  if (opts.env?.HOUSECALLD_API_KEY_SECRET)
    server.envSecret = opts.env.HOUSECALLD_API_KEY_SECRET;
  await new Promise((resolvePromise, reject) => {
    child.once('spawn', resolvePromise);
    child.once('error', reject);
  });
  try {
    await server.waitForPort(opts.timeoutMs ?? 10000);
  } catch (error) {
    await server.stop('SIGKILL');
    throw error;
  }
  return server;
}

/** Runs housecalld to completion (a CLI command, or a start that must fail).
 * Returns { code, signal, stdout, stderr }. */
export function runHousecalld(args, { input, env, timeoutMs = 10000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawnHousecalld(args, {
      env: childEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** `housecalld --data-dir DIR user add NAME` with the password on stdin. */
export async function addUser(dataDir, username, password) {
  const result = await runHousecalld(['--data-dir', dataDir, 'user', 'add', username], {
    input: `${password}\n`,
  });
  if (result.code !== 0)
    throw new Error(`user add ${username} failed (${result.code}): ${result.stderr}`);
  return result;
}

export async function setUserDisabled(dataDir, username, disabled) {
  const result = await runHousecalld(['--data-dir', dataDir, 'user', disabled ? 'disable' : 'enable', username]);
  if (result.code !== 0)
    throw new Error(`user ${disabled ? 'disable' : 'enable'} ${username} failed: ${result.stderr}`);
  return result;
}

/** The audit log as an array of { time, event, actor, subject, address }. */
export async function readAudit(dataDir) {
  const result = await runHousecalld(['--data-dir', dataDir, 'audit']);
  if (result.code !== 0)
    throw new Error(`audit failed (${result.code}): ${result.stderr}`);
  return result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [time, event, actor, subject, address] = line.split('\t');
      return { time, event, actor, subject, address };
    });
}
