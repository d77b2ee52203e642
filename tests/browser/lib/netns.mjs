// A throw-away network namespace for the media tests.
//
// ICE ignores loopback addresses, so a media test needs a real interface.
// Each test file makes its own namespace `hc-<random>` holding one veth pair
// (veth-a 10.213.X.1/24, veth-b 10.213.X.2/24, X random) plus `lo`, and runs
// housecalld (which starts Janus) and every Chromium inside it with
// `ip netns exec`. Nothing in it can reach any other network: the namespace
// has no route out, so all test traffic stays on this machine.
//
// Creating a namespace needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN).
// destroy() kills whatever still runs in the namespace and deletes it; it is
// also called from a process 'exit' hook, so a failing or interrupted test
// never leaves a namespace behind.

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : (existsSync('/sbin/ip') ? '/sbin/ip' : 'ip');

const live = new Set();

process.on('exit', () => {
  for (const ns of live)
    ns.destroySync();
});
// The test runner ends a file's process with SIGTERM on timeout or Ctrl-C;
// turn that into a normal exit so the hook above runs.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    for (const ns of live)
      ns.destroySync();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

function ip(args, { timeoutMs = 10000 } = {}) {
  return execFileSync(IP, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Whether this process may create network namespaces (root, and `ip` works). */
export function canCreateNetns() {
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return { ok: false, why: 'network namespaces need root' };
  try {
    ip(['netns', 'list']);
  } catch (error) {
    return { ok: false, why: `ip netns does not work here: ${error.message}` };
  }
  return { ok: true };
}

export class Netns {
  constructor(name, subnet) {
    this.name = name;
    this.subnet = subnet;
    /** The address Janus gathers ICE candidates on. */
    this.addrA = `${subnet}.1`;
    /** The other end, a second host address for the browsers. */
    this.addrB = `${subnet}.2`;
    this.destroyed = false;
  }

  /** The argv prefix that runs a command inside the namespace. */
  prefix() {
    return [IP, 'netns', 'exec', this.name];
  }

  /** Spawns @command with @args inside the namespace (child_process.spawn options). */
  spawn(command, args = [], options = {}) {
    const [exe, ...pre] = this.prefix();
    return spawn(exe, [...pre, command, ...args], options);
  }

  /** Runs @command inside the namespace to completion; resolves
   * { code, signal, stdout, stderr }, killing it after @timeoutMs. */
  run(command, args = [], { timeoutMs = 10000 } = {}) {
    return new Promise((resolvePromise, reject) => {
      const child = this.spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => { stdout += c; });
      child.stderr.on('data', (c) => { stderr += c; });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolvePromise({ code, signal, stdout, stderr });
      });
    });
  }

  /** The PIDs of every process whose network namespace is this one. */
  pids() {
    if (this.destroyed)
      return [];
    try {
      return ip(['netns', 'pids', this.name]).split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** Kills everything still running in the namespace, then deletes it. */
  destroySync() {
    if (this.destroyed)
      return;
    // Two rounds: a killed parent may have spawned a child in between.
    for (let round = 0; round < 2; round++) {
      for (const pid of this.pids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    try {
      ip(['netns', 'del', this.name]);
    } catch (error) {
      // A process that had not died yet keeps the namespace busy; try once more.
      try {
        execFileSync('sleep', ['0.2']);
        ip(['netns', 'del', this.name]);
      } catch {
        process.stderr.write(`warning: could not delete network namespace ${this.name}: ${error.message}\n`);
      }
    }
    this.destroyed = true;
    live.delete(this);
  }

  async destroy() {
    this.destroySync();
  }
}

/**
 * Creates `hc-<random>` with veth-a/veth-b on 10.213.X.0/24 and lo up.
 * Returns a Netns. IPv6 is switched off inside, so ICE sees exactly the two
 * IPv4 host addresses.
 */
export function createNetns() {
  const name = `hc-${randomBytes(4).toString('hex')}`;
  const subnet = `10.213.${randomInt(1, 255)}`;
  const ns = new Netns(name, subnet);
  ip(['netns', 'add', name]);
  live.add(ns);
  try {
    ip(['-n', name, 'link', 'add', 'veth-a', 'type', 'veth', 'peer', 'name', 'veth-b']);
    ip(['-n', name, 'addr', 'add', `${ns.addrA}/24`, 'dev', 'veth-a']);
    ip(['-n', name, 'addr', 'add', `${ns.addrB}/24`, 'dev', 'veth-b']);
    for (const link of ['lo', 'veth-a', 'veth-b'])
      ip(['-n', name, 'link', 'set', link, 'up']);
    for (const key of ['net.ipv6.conf.all.disable_ipv6', 'net.ipv6.conf.default.disable_ipv6']) {
      try {
        execFileSync(IP, ['netns', 'exec', name, 'sysctl', '-q', '-w', `${key}=1`], { stdio: 'ignore', timeout: 5000 });
      } catch {
        // No sysctl or no IPv6: nothing to switch off.
      }
    }
  } catch (error) {
    ns.destroySync();
    throw error;
  }
  return ns;
}

/**
 * Creates an empty namespace `<prefix>-<random>` with only lo up (IPv6 off),
 * torn down like the others. For tests that wire several namespaces together
 * themselves (lib/sites.mjs).
 */
export function createBareNetns(prefix = 'hc') {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const ns = new Netns(name, null);
  ip(['netns', 'add', name]);
  live.add(ns);
  try {
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
    for (const key of ['net.ipv6.conf.all.disable_ipv6', 'net.ipv6.conf.default.disable_ipv6']) {
      try {
        execFileSync(IP, ['netns', 'exec', name, 'sysctl', '-q', '-w', `${key}=1`], { stdio: 'ignore', timeout: 5000 });
      } catch {
        // No sysctl or no IPv6: nothing to switch off.
      }
    }
  } catch (error) {
    ns.destroySync();
    throw error;
  }
  return ns;
}

/** The command line of @pid as an array, or null if it is gone. */
export function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return null;
  }
}

/** The parent PID of @pid, or null if it is gone. */
export function parentPid(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself hold spaces or ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[1]);
  } catch {
    return null;
  }
}
