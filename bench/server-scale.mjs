#!/usr/bin/env node
// Server scale (issue 10, item 5): N patients check in, open the signaling
// WebSocket, `wait`, and sit in the waiting room; providers watch their queues
// and admit patients one by one. Prints housecalld's RSS per waiting session,
// its CPU in each phase, and the latency from the provider's Admit request to
// the patient's `admitted` event and to the `queue-update` of everyone behind.
//
// Run through bench/server-scale.sh (it raises the open-files limit):
//   bench/server-scale.sh --patients 500,2000,5000
// Prints figures; asserts nothing. Every phase is bounded in count and time.

import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { join } from 'node:path';

import { apiKeyAuth, bearer, request } from '../tests/node/lib/http.mjs';
import { REPO_ROOT, startServer } from '../tests/node/lib/server.mjs';
import { provider as signInProvider } from '../tests/node/lib/setup.mjs';
import { fmtMB, fmtMs, loadavg, procStat, sleep, summary } from './lib/measure.mjs';

const require = createRequire(join(REPO_ROOT, 'tests', 'node', 'package.json'));
const WebSocket = require('ws');

const { values: opts } = parseArgs({
  options: {
    patients: { type: 'string', default: '500,2000,5000' },
    'per-provider': { type: 'string', default: '50' },
    admits: { type: 'string', default: '40' },
    'connect-concurrency': { type: 'string', default: '20' },
    'phase-timeout': { type: 'string', default: '600' },
    idle: { type: 'string', default: '10' },
    tiny: { type: 'boolean', default: false },
  },
});

if (opts.tiny) {
  opts.patients = '20';
  opts['per-provider'] = '10';
  opts.admits = '2';
  opts.idle = '1';
}

const HOUR = 3600 * 1000;
const CHECKIN = {
  name: 'Bench Patient', consent: true, copay_acknowledged: true, intake: {},
  preflight: { verdict: 5, reasons: [], rtt_ms: 10, jitter_ms: 1, loss_percent: 0,
               bitrate_kbps: 2500, candidate_type: 'host', camera: true, microphone: true,
               browser: 'bench', mobile: false },
};

function fromNow(ms) {
  return new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Runs @fn over @items with at most @limit in flight; stops at @deadline. */
async function pool(items, limit, deadline, fn) {
  let next = 0;
  let done = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      if (performance.now() > deadline)
        throw new Error(`phase timed out after ${done} of ${items.length}`);
      const i = next++;
      await fn(items[i], i);
      done++;
    }
  });
  await Promise.all(workers);
}

/** A socket that timestamps every message on arrival. */
class Client {
  constructor(url) {
    this.ws = new WebSocket(url, 'housecall.v1', { perMessageDeflate: false });
    this.handlers = new Set();
    this.ws.on('message', (data) => {
      const at = performance.now();
      let msg;
      try {
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        return;
      }
      for (const h of [...this.handlers])
        h(msg, at);
    });
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
  }

  send(obj) {
    this.ws.send(JSON.stringify(obj));
  }

  /** Resolves the first message matching @pred (and its arrival time). */
  until(pred, timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.handlers.delete(h);
        reject(new Error('no matching message in time'));
      }, timeoutMs);
      const h = (msg, at) => {
        if (msg.type === 'error') {
          clearTimeout(timer);
          this.handlers.delete(h);
          reject(new Error(`error: ${JSON.stringify(msg)}`));
        } else if (pred(msg)) {
          clearTimeout(timer);
          this.handlers.delete(h);
          resolve({ msg, at });
        }
      };
      this.handlers.add(h);
    });
  }

  async request(obj, type, timeoutMs) {
    const p = this.until((m) => m.type === type, timeoutMs);
    this.send(obj);
    return p;
  }
}

async function runOnce(n, perProvider, admits) {
  const phaseMs = Number(opts['phase-timeout']) * 1000;
  const result = { n, perProvider, load: {} };
  const server = await startServer();
  const pid = server.pid;
  if (process.env.HC_BENCH_PID_FILE)
    (await import('node:fs')).writeFileSync(process.env.HC_BENCH_PID_FILE, `${pid}\n`);
  const cpuAt = () => procStat(pid).cpu;
  let phase = 'providers';
  try {
    const nProviders = Math.max(1, Math.ceil(n / perProvider));
    const providers = [];
    for (let p = 0; p < nProviders; p++) {
      const name = `drbench${p}`;
      const { token } = await signInProvider(server, name);
      providers.push({ name, token, patients: [] });
    }
    const base = procStat(pid);
    result.rssBase = base.rss;

    // Appointments and check-ins over REST.
    phase = 'check-in';
    let t0 = performance.now();
    let c0 = cpuAt();
    const patients = Array.from({ length: n }, (_, i) => ({ i, provider: providers[i % nProviders] }));
    await pool(patients, 8, t0 + phaseMs, async (pt) => {
      const res = await request(server, 'POST', '/v1/Appointments', {
        auth: apiKeyAuth(server),
        form: { patient_name: 'Bench Patient', mobile: '+14155550123',
                start_time: fromNow(HOUR), provider: pt.provider.name },
      });
      if (res.status !== 201)
        throw new Error(`appointment: ${res.status} ${res.text}`);
      const code = res.body.visit_url.split('/v/')[1];
      const ci = await request(server, 'POST', `/v1/Visits/${code}/CheckIn`, { json: CHECKIN });
      if (ci.status !== 200)
        throw new Error(`check-in: ${ci.status} ${ci.text}`);
      pt.token = ci.body.token;
      pt.identity = ci.body.identity;
    });
    result.checkinSeconds = (performance.now() - t0) / 1000;
    result.checkinCpu = cpuAt() - c0;
    result.rssCheckedIn = procStat(pid).rss;

    // Ids of the queue entries, from each provider's REST view, in queue order.
    for (const pv of providers) {
      const res = await request(server, 'GET', '/v1/WaitingRoom', { auth: bearer(pv.token) });
      if (res.status !== 200)
        throw new Error(`waiting room: ${res.status} ${res.text}`);
      const byIdentity = new Map(patients.map((pt) => [pt.identity, pt]));
      for (const entry of res.body.entries) {
        const pt = byIdentity.get(entry.identity);
        if (pt) {
          pt.entryId = entry.id;
          pv.patients.push(pt);
        }
      }
    }

    // Providers watch their queues, as the console does.
    phase = 'watch-queue';
    for (const pv of providers) {
      pv.ws = new Client(server.wsUrl);
      await pv.ws.opened;
      await pv.ws.request({ type: 'authenticate', token: pv.token }, 'authenticated');
      await pv.ws.request({ type: 'watch-queue' }, 'queue');
    }

    // Patients connect and wait.
    phase = 'connect';
    t0 = performance.now();
    c0 = cpuAt();
    result.load.connect = loadavg().text;
    await pool(patients, Number(opts['connect-concurrency']), t0 + phaseMs, async (pt) => {
      // A socket the server drops (it closes sockets that did not authenticate
      // within 10 s, which a busy server can cause itself) is counted and retried.
      for (let attempt = 0; ; attempt++) {
        try {
          pt.ws = new Client(server.wsUrl);
          await pt.ws.opened;
          await pt.ws.request({ type: 'authenticate', token: pt.token }, 'authenticated', 60000);
          const { msg } = await pt.ws.request({ type: 'wait' }, 'waiting', 60000);
          pt.position = msg.position;
          break;
        } catch (error) {
          result.dropped = (result.dropped ?? 0) + 1;
          pt.ws.ws.terminate();
          if (attempt >= 3)
            throw error;
        }
      }
    });
    result.connectSeconds = (performance.now() - t0) / 1000;
    result.connectCpu = cpuAt() - c0;

    // Idle: everybody waiting, nothing happening.
    await sleep(1000);
    c0 = cpuAt();
    result.load.idle = loadavg().text;
    await sleep(Number(opts.idle) * 1000);
    result.idleCpuPerSecond = (cpuAt() - c0) / Number(opts.idle);
    result.rssWaiting = procStat(pid).rss;
    result.rssPerSession = (result.rssWaiting - result.rssCheckedIn) / n;
    result.rssPerPatientTotal = (result.rssWaiting - result.rssBase) / n;

    // Admits: the first in a provider's queue, providers in turn.
    phase = 'admit';
    const admitted = [];
    const updates = [];
    const providerViews = [];
    const httpTimes = [];
    c0 = cpuAt();
    result.load.admit = loadavg().text;
    const admitDeadline = performance.now() + phaseMs;
    for (let a = 0; a < admits && performance.now() < admitDeadline; a++) {
      const pv = providers[a % nProviders];
      const target = pv.patients.shift();
      if (!target)
        break;
      const behind = pv.patients.slice();
      const gotAdmitted = target.ws.until((m) => m.type === 'admitted', 30000);
      const gotUpdates = behind.map((pt) => pt.ws.until((m) => m.type === 'queue-update', 30000));
      const gotView = pv.ws.until((m) => m.type === 'queue' &&
        !m.entries.some((e) => e.id === target.entryId && e.status === 'waiting'), 30000);
      const start = performance.now();
      const res = await request(server, 'POST', `/v1/WaitingRoom/${target.entryId}/Admit`,
                                { auth: bearer(pv.token) });
      httpTimes.push(performance.now() - start);
      if (res.status !== 200)
        throw new Error(`admit: ${res.status} ${res.text}`);
      admitted.push((await gotAdmitted).at - start);
      for (const u of await Promise.allSettled(gotUpdates)) {
        if (u.status === 'fulfilled')
          updates.push(u.value.at - start);
        else
          updates.push(Infinity);
      }
      providerViews.push((await gotView).at - start);
      await sleep(200);
    }
    result.admitCpu = cpuAt() - c0;
    result.admits = admitted.length;
    result.admitted = summary(admitted);
    result.updates = summary(updates);
    result.providerView = summary(providerViews);
    result.http = summary(httpTimes);
    result.rssPeak = procStat(pid).hwm;

    for (const pt of patients)
      pt.ws?.ws.terminate();
    for (const pv of providers)
      pv.ws?.ws.terminate();
  } catch (error) {
    error.message = `${phase}: ${error.message}; housecalld ${server.alive ? 'alive' : 'gone'}\n${server.stderr.slice(-2000)}`;
    throw error;
  } finally {
    await server.stop('SIGTERM', 10000);
  }
  return result;
}

function print(r) {
  console.log(`\n== N = ${r.n} waiting patients, ${r.perProvider} per provider ==`);
  console.log(`check-in over REST: ${r.checkinSeconds.toFixed(1)} s, housecalld CPU ${r.checkinCpu.toFixed(2)} s`);
  console.log(`connect + wait:     ${r.connectSeconds.toFixed(1)} s, housecalld CPU ${r.connectCpu.toFixed(2)} s (load ${r.load.connect})`);
  if (r.dropped)
    console.log(`  sockets dropped by the server while connecting (retried): ${r.dropped}`);
  console.log(`idle:               housecalld CPU ${(r.idleCpuPerSecond * 100).toFixed(1)} % of a core (load ${r.load.idle})`);
  console.log(`RSS: base ${fmtMB(r.rssBase)}, after check-ins ${fmtMB(r.rssCheckedIn)}, all waiting ${fmtMB(r.rssWaiting)}, peak ${fmtMB(r.rssPeak)}`);
  console.log(`RSS per waiting session ${(r.rssPerSession / 1024).toFixed(1)} KB (sockets only), ${(r.rssPerPatientTotal / 1024).toFixed(1)} KB incl. check-in state`);
  console.log(`admits: ${r.admits}, housecalld CPU ${r.admitCpu.toFixed(2)} s (load ${r.load.admit})`);
  console.log(`  admit → patient 'admitted':      p50 ${fmtMs(r.admitted.p50)}  p99 ${fmtMs(r.admitted.p99)}  max ${fmtMs(r.admitted.max)}`);
  console.log(`  admit → 'queue-update' behind:   p50 ${fmtMs(r.updates.p50)}  p99 ${fmtMs(r.updates.p99)}  max ${fmtMs(r.updates.max)}  (${r.updates.n} events)`);
  console.log(`  admit → provider's 'queue':      p50 ${fmtMs(r.providerView.p50)}  p99 ${fmtMs(r.providerView.p99)}`);
  console.log(`  Admit HTTP response:             p50 ${fmtMs(r.http.p50)}  p99 ${fmtMs(r.http.p99)}`);
}

const sizes = opts.patients.split(',').map(Number);
console.log(`server scale: housecalld ${process.env.HOUSECALLD ?? '(default build)'}; ${new Date().toISOString()}`);
for (const n of sizes) {
  try {
    print(await runOnce(n, Number(opts['per-provider']), Number(opts.admits)));
  } catch (error) {
    console.log(`\n== N = ${n}: did not complete: ${error.message}`);
  }
}
process.exit(0);
