// Three sites joined by two links, for the network-quality tests: the
// practice server (housecalld and Janus), the patient (Chromium) and the
// provider (the console's call engine), each in a network namespace of its
// own, so that the patient's link can be impaired or cut without touching the
// others:
//
//   patient ns              server ns                     console ns
//   hqp 10.216.X.2 ─── veth ─── hqs-p 10.216.X.1
//                               hqs-c 10.217.X.1 ─── veth ─── hqc 10.217.X.2
//
// housecalld listens on 127.0.0.1 in the server namespace (it refuses other
// addresses without TLS); a TCP relay (lib/tcp-relay.mjs) on each link brings
// it to 127.0.0.1 of the patient's and the console's namespace through the
// veth, so their page and signaling cross the link too. Media goes over the
// veth addresses (Janus gathers on both server interfaces). Interface names
// avoid veth*, which libnice skips.
//
// Impairments are what these kernels have: random loss with nftables
// (`numgen random mod 100 < N drop`), a rate limit with `tc qdisc … tbf`, and
// a cut as an nftables drop of everything on the link. No netem.

import { execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { createBareNetns } from './netns.mjs';

const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : (existsSync('/sbin/ip') ? '/sbin/ip' : 'ip');
const RELAY = join(dirname(fileURLToPath(import.meta.url)), 'tcp-relay.mjs');

function run(args) {
  return execFileSync(args[0], args.slice(1), { encoding: 'utf8', timeout: 10000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Whether nft and tc are there (the impairment tests need both). */
export function haveImpairmentTools() {
  for (const tool of ['nft', 'tc']) {
    const found = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].some((dir) => existsSync(join(dir, tool)));
    if (!found)
      return { ok: false, why: `${tool} is not installed (Debian: nftables, iproute2)` };
  }
  return { ok: true };
}

export class Sites {
  constructor() {
    this.server = createBareNetns('hcq-s');
    this.patient = createBareNetns('hcq-p');
    this.console = createBareNetns('hcq-c');
    this.patientNet = `10.216.${randomInt(1, 255)}`;
    this.consoleNet = `10.217.${randomInt(1, 255)}`;
    this.relays = [];
    this.#link(this.patient, 'hqp', 'hqs-p', this.patientNet);
    this.#link(this.console, 'hqc', 'hqs-c', this.consoleNet);
  }

  /** The Janus interfaces, for [janus] ice-enforce-list. */
  get janusInterfaces() {
    return 'hqs-p,hqs-c';
  }

  #link(side, sideIf, serverIf, net) {
    run([IP, '-n', this.server.name, 'link', 'add', serverIf, 'type', 'veth', 'peer', 'name', sideIf, 'netns', side.name]);
    run([IP, '-n', this.server.name, 'addr', 'add', `${net}.1/24`, 'dev', serverIf]);
    run([IP, '-n', side.name, 'addr', 'add', `${net}.2/24`, 'dev', sideIf]);
    run([IP, '-n', this.server.name, 'link', 'set', serverIf, 'up']);
    run([IP, '-n', side.name, 'link', 'set', sideIf, 'up']);
  }

  /** Starts a relay in @ns listening on @host:0 to @target; resolves its port. */
  async #relay(ns, host, targetHost, targetPort) {
    const child = ns.spawn(process.execPath, [RELAY, host, '0', targetHost, String(targetPort)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.relays.push(child);
    const lines = createInterface({ input: child.stdout });
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error('the TCP relay did not start')), 10000);
      lines.once('line', (line) => {
        clearTimeout(timer);
        const match = /^listening (\d+)$/.exec(line);
        if (match)
          resolvePromise(Number(match[1]));
        else
          reject(new Error(`tcp-relay: ${line}`));
      });
      child.once('exit', (code) => reject(new Error(`the TCP relay exited (${code})`)));
    });
  }

  /**
   * Makes housecalld (listening on 127.0.0.1:@port in the server namespace)
   * reachable at http://127.0.0.1:<port> in the patient's and the console's
   * namespaces, through their links. Resolves { patientOrigin, consoleOrigin }.
   */
  async exposeServer(port) {
    const viaPatient = await this.#relay(this.server, `${this.patientNet}.1`, '127.0.0.1', port);
    const viaConsole = await this.#relay(this.server, `${this.consoleNet}.1`, '127.0.0.1', port);
    const patientPort = await this.#relay(this.patient, '127.0.0.1', `${this.patientNet}.1`, viaPatient);
    const consolePort = await this.#relay(this.console, '127.0.0.1', `${this.consoleNet}.1`, viaConsole);
    this.patientOrigin = `http://127.0.0.1:${patientPort}`;
    this.consoleOrigin = `http://127.0.0.1:${consolePort}`;
    return { patientOrigin: this.patientOrigin, consoleOrigin: this.consoleOrigin };
  }

  #nft(ns, script) {
    execFileSync(IP, ['netns', 'exec', ns.name, 'nft', '-f', '-'], { input: script, timeout: 10000, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** The patient's upload: @lossPercent random loss and a @rateKbit token bucket. */
  impairPatientUpload({ lossPercent = 5, rateKbit = 500 } = {}) {
    this.#nft(this.patient, `table inet hcq_impair {
  chain out {
    type filter hook output priority 0; policy accept;
    oifname "hqp" counter
    oifname "hqp" numgen random mod 100 < ${lossPercent} counter drop
  }
}
`);
    run([IP, 'netns', 'exec', this.patient.name, 'tc', 'qdisc', 'add', 'dev', 'hqp', 'root', 'tbf',
      'rate', `${rateKbit}kbit`, 'burst', '16kb', 'latency', '100ms']);
  }

  /** "<dropped>/<sent>" packets by the loss rule so far (for the log). */
  impairmentCounts() {
    const text = execFileSync(IP, ['netns', 'exec', this.patient.name, 'nft', 'list', 'table', 'inet', 'hcq_impair'], { encoding: 'utf8', timeout: 10000 });
    const counts = [...text.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
    return counts.length === 2 ? `${counts[1]}/${counts[0]}` : text;
  }

  clearPatientImpairment() {
    this.#nft(this.patient, 'delete table inet hcq_impair\n');
    run([IP, 'netns', 'exec', this.patient.name, 'tc', 'qdisc', 'del', 'dev', 'hqp', 'root']);
  }

  /** The console's download: @lossPercent random loss on what the server sends it. */
  impairConsoleDownload({ lossPercent = 10 } = {}) {
    this.#nft(this.server, `table inet hcq_console {
  chain out {
    type filter hook output priority 0; policy accept;
    oifname "hqs-c" numgen random mod 100 < ${lossPercent} drop
  }
}
`);
  }

  clearConsoleImpairment() {
    this.#nft(this.server, 'delete table inet hcq_console\n');
  }

  /** Cuts both links (everything in and out dropped at the patient and the console). */
  cutLinks() {
    for (const [ns, dev] of [[this.patient, 'hqp'], [this.console, 'hqc']]) {
      this.#nft(ns, `table inet hcq_cut {
  chain in { type filter hook input priority 0; policy accept; iifname "${dev}" drop; }
  chain out { type filter hook output priority 0; policy accept; oifname "${dev}" drop; }
}
`);
    }
  }

  restoreLinks() {
    for (const ns of [this.patient, this.console])
      this.#nft(ns, 'delete table inet hcq_cut\n');
  }

  destroy() {
    for (const child of this.relays)
      child.kill('SIGKILL');
    for (const ns of [this.patient, this.console, this.server])
      ns.destroySync();
  }
}
