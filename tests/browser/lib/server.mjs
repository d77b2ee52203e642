// housecalld inside the test's network namespace.
//
// housecalld refuses non-loopback listen addresses without TLS, so it listens
// on 127.0.0.1:<port> *inside* the namespace: the Chromiums there reach the
// page and the signaling socket on loopback, while ICE runs over the veth
// addresses (Janus, started by housecalld, gathers on the veth interface).
// Port 0 lets it pick; it reports the port on stderr ("Listening on port N").
//
// The binary is $HOUSECALLD, else build/src/server/housecalld.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { cmdline, parentPid } from './netns.mjs';
import { makeToken, readCredentials } from './tokens.mjs';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const WEB_ROOT = join(REPO_ROOT, 'data', 'web');

export function binaryPath() {
  const fromEnv = process.env.HOUSECALLD;
  if (fromEnv)
    return resolve(fromEnv);
  return join(REPO_ROOT, 'build', 'src', 'server', 'housecalld');
}

const tempDirs = new Set();

process.on('exit', () => {
  if (process.env.HC_KEEP_DATA)
    return;
  for (const dir of tempDirs)
    rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test process exits
 * (kept with HC_KEEP_DATA=1, for reading logs). */
export function makeTempDir(prefix = 'hc-browser-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function childEnv(extra = {}) {
  const env = { ...process.env };
  delete env.HOUSECALLD_API_KEY_SECRET;
  delete env.HOUSECALLD_JANUS_ADMIN_SECRET;
  env.G_DEBUG = 'fatal-criticals';
  env.LC_ALL = 'C.UTF-8';
  return { ...env, ...extra };
}

export class Server {
  constructor(ns, child, dataDir) {
    this.ns = ns;
    this.child = child;
    this.dataDir = dataDir;
    this.port = 0;
    this.stderr = '';
    this.exit = new Promise((resolvePromise) => {
      child.on('exit', (code, signal) => resolvePromise({ code, signal }));
    });
    child.stderr.setEncoding('utf8');
    child.stdout.setEncoding('utf8');
    child.stderr.on('data', (chunk) => { this.stderr += chunk; });
    child.stdout.on('data', (chunk) => { this.stderr += chunk; });
  }

  /** housecalld's PID (`ip netns exec` execs it, so it is the child's). */
  get pid() {
    return this.child.pid;
  }

  get alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The origin the browsers load the page from (loopback inside the namespace). */
  get origin() {
    return `http://127.0.0.1:${this.port}`;
  }

  get creds() {
    this._creds ??= readCredentials(this.dataDir);
    return this._creds;
  }

  /** An access token for this server; see tokens.mjs makeToken. */
  token(opts) {
    return makeToken(this.creds, opts);
  }

  /** The tail of the server's log, for assertion messages. */
  logTail(lines = 40) {
    return this.stderr.split('\n').slice(-lines).join('\n');
  }

  async waitForPort(timeoutMs = 15000) {
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
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * The Janus processes this housecalld started: its children (direct, or
   * one level down if it goes through a wrapper) whose command is janus.
   * Only those; never any other janus on the machine.
   */
  janusPids() {
    const mine = [];
    for (const pid of this.ns.pids()) {
      const argv = cmdline(pid);
      if (!argv || !/(^|\/)janus$/.test(argv[0]))
        continue;
      const parent = parentPid(pid);
      if (parent === this.pid || parentPid(parent) === this.pid)
        mine.push(pid);
    }
    return mine;
  }

  /** Waits until housecalld has a Janus running; resolves its PID. */
  async waitForJanus(timeoutMs = 15000, { not = [] } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pids = this.janusPids().filter((p) => !not.includes(p));
      if (pids.length > 0)
        return pids[0];
      if (Date.now() > deadline)
        throw new Error(`housecalld started no Janus within ${timeoutMs} ms:\n${this.logTail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(timeoutMs = 5000) {
    if (!this.alive)
      return this.exit;
    this.child.kill('SIGTERM');
    let timer;
    const timedOut = await Promise.race([
      this.exit.then(() => false),
      new Promise((r) => { timer = setTimeout(() => r(true), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.child.kill('SIGKILL');
      await this.exit;
    }
    if (this.logFile)
      writeFileSync(this.logFile, this.stderr);
    return this.exit;
  }
}

/**
 * Starts housecalld inside @ns and waits until it listens.
 *   configText – contents for a --config file (default: none)
 *   args, env  – more arguments and environment
 */
export async function startServer(ns, opts = {}) {
  const binary = binaryPath();
  if (!existsSync(binary))
    throw new Error(`no housecalld at ${binary}: build it, or set HOUSECALLD`);
  const dir = makeTempDir();
  const dataDir = join(dir, 'data');
  const args = ['--data-dir', dataDir, '--listen', '127.0.0.1:0'];
  if (opts.configText !== undefined) {
    const path = join(dir, 'housecalld.conf');
    writeFileSync(path, opts.configText);
    args.unshift('--config', path);
  }
  args.push(...(opts.args ?? []));
  const child = ns.spawn(binary, args, { env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const server = new Server(ns, child, dataDir);
  server.logFile = join(dir, 'housecalld.log');
  await new Promise((resolvePromise, reject) => {
    child.once('spawn', resolvePromise);
    child.once('error', reject);
  });
  try {
    await server.waitForPort(opts.timeoutMs ?? 15000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return server;
}

/** Reads a file of the web client (for serving it when housecalld does not yet). */
export function readWebFile(relativePath) {
  const path = resolve(WEB_ROOT, `.${relativePath}`);
  if (!path.startsWith(WEB_ROOT + '/') || !existsSync(path))
    return null;
  return readFileSync(path);
}
