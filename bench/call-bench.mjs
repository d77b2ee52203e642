#!/usr/bin/env node
// The console against Chromium in the same call (issue 10, items 1, 3 and 4).
//
// A network namespace made here (ICE ignores loopback) holds housecalld (which runs
// Janus), a headless Chromium on the call page (data/web/call.html, the call code the
// patient app uses; fake camera at 1280x720@24, three simulcast encodings, rendering the
// remote video) and the console side: bench/hc-bench-console, the console's call engine
// in a GTK 4 window under Xvfb (test pattern 1280x720@24, VP8 simulcast, rendering the
// remote video). Modes:
//
//   --mode cpu      60 s of steady state, --runs 3: CPU seconds and peak memory of
//                   each side's process tree, and the ratios console/Chromium;
//                   --console real (the real housecall, signed in, Admit clicked) or
//                   engine (hc-bench-console); --encoder-threads N, an experiment on
//                   the engine console: its VP8 encoders kept at N threads
//   --mode latency  glass-to-glass: each sender stamps its capture time into the
//                   picture, the other side reads it back from the decoded frame;
//                   p50/p95/max over --seconds 60, both directions
//   --mode join     the moment of admission → first decoded remote frame on each side,
//                   --runs 20, p50/p95, split into phases; --early-warm-up: the engine
//                   console calls hc_call_engine_warm_up() at start (as a console that
//                   warms up at sign-in would, or any visit after its first)
//
//   sudo HOUSECALLD=<build>/src/server/housecalld HC_BENCH_CONSOLE=<build>/bench/hc-bench-console \
//     node bench/call-bench.mjs --mode cpu
// Needs root (network namespaces), xvfb-run, dbus-run-session, /usr/bin/chromium and
// `npm ci` in tests/browser. Prints figures; asserts nothing.

import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { launchChromium, writeToneWav } from '../tests/browser/lib/browser.mjs';
import { cmdline, createNetns } from '../tests/browser/lib/netns.mjs';
import { Participant } from '../tests/browser/lib/participant.mjs';
import { binaryPath, makeTempDir, startServer } from '../tests/browser/lib/server.mjs';
import { fmtMB, fmtMs, loadavg, median, procStat, sleep, summary } from './lib/measure.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : 'ip';

const { values: opts } = parseArgs({
  options: {
    mode: { type: 'string', default: 'cpu' },
    runs: { type: 'string' },
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '15' },
    renderer: { type: 'string', default: 'cairo' },
    console: { type: 'string', default: 'real' },
    'encoder-threads': { type: 'string' },
    'early-warm-up': { type: 'boolean', default: false },
    tiny: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});
const mode = opts.mode;
let runs = Number(opts.runs ?? (mode === 'join' ? 20 : mode === 'cpu' ? 3 : 1));
let seconds = Number(opts.seconds);
let warmup = Number(opts.warmup);
if (opts.tiny) {
  runs = 1;
  seconds = 3;
  warmup = 2;
}

function consolePath() {
  if (process.env.HC_BENCH_CONSOLE)
    return resolve(process.env.HC_BENCH_CONSOLE);
  return join(dirname(binaryPath()), '..', '..', 'bench', 'hc-bench-console');
}

function buildDir() {
  return join(dirname(binaryPath()), '..', '..');
}

function housecallPath() {
  return process.env.HC_HOUSECALL ? resolve(process.env.HC_HOUSECALL) : join(buildDir(), 'src', 'console', 'housecall');
}

function log(...args) {
  if (opts.verbose)
    console.error('#', ...args);
}

/** A second veth pair that libnice (under webrtcbin) does not skip. */
function addEngineInterfaces(ns) {
  const subnet = `10.216.${randomInt(1, 255)}`;
  const ip = (args) => execFileSync(IP, ['-n', ns.name, ...args], { stdio: 'ignore', timeout: 10000 });
  ip(['link', 'add', 'hce-a', 'type', 'veth', 'peer', 'name', 'hce-b']);
  ip(['addr', 'add', `${subnet}.1/24`, 'dev', 'hce-a']);
  ip(['addr', 'add', `${subnet}.2/24`, 'dev', 'hce-b']);
  ip(['link', 'set', 'hce-a', 'up']);
  ip(['link', 'set', 'hce-b', 'up']);
}

/** hc-bench-console under its own Xvfb and session bus, inside @ns. */
class ConsoleSide {
  constructor(ns, server, room, { stamp = false, readStamps = false, joinNow = false } = {}) {
    this.lines = [];
    this.stderr = '';
    this.waiters = new Set();
    if (ns === null)
      return;
    const args = ['-a', '-s', '-screen 0 1280x800x24 -nolisten tcp', 'dbus-run-session', '--',
                  consolePath(), '--server', server.origin, '--room', room];
    if (stamp)
      args.push('--stamp');
    if (readStamps)
      args.push('--read-stamps');
    if (joinNow)
      args.push('--join-now');
    if (opts['encoder-threads'])
      args.push('--encoder-threads', opts['encoder-threads']);
    if (opts['early-warm-up'])
      args.push('--warm-up');
    this.child = ns.spawn('xvfb-run', args, {
      env: { ...process.env, HC_TOKEN: server.token({ identity: 'drbench', room }),
             GSETTINGS_BACKEND: 'memory', GDK_BACKEND: 'x11', GSK_RENDERER: opts.renderer,
             LC_ALL: 'C.UTF-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.attach();
  }

  attach() {
    this.exit = new Promise((r) => this.child.on('exit', (code, signal) => r({ code, signal })));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (c) => {
      this.stderr += c;
      if (this.stderr.length > 200000)
        this.stderr = this.stderr.slice(-100000);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let m;
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      this.lines.push(m);
      if (m.event !== 'stats' && m.event !== 'g2g')
        log('console', JSON.stringify(m).slice(0, 300));
      for (const w of [...this.waiters])
        w(m);
    });
  }

  /** hc-bench-console and Xvfb. */
  measuredPids() {
    return descendants(this.child.pid).filter((p) => /^(hc-bench-consol|Xvfb)$/.test(commOf(p)));
  }

  get pid() {
    return this.child.pid;
  }

  waitFor(what, pred, timeoutMs = 30000) {
    const seen = this.lines.find(pred);
    if (seen)
      return Promise.resolve(seen);
    return new Promise((res, rej) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        rej(new Error(`console: ${what} not within ${timeoutMs} ms\n${this.stderr.slice(-1500)}`));
      }, timeoutMs);
      const w = (m) => {
        if (!pred(m))
          return;
        clearTimeout(timer);
        this.waiters.delete(w);
        res(m);
      };
      this.waiters.add(w);
    });
  }

  send(command) {
    this.child.stdin.write(`${command}\n`);
  }

  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin.end();
      const timer = setTimeout(() => {
        try {
          process.kill(-this.child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, 10000);
      await this.exit;
      clearTimeout(timer);
    }
  }
}

/** The real `housecall` under its own Xvfb and session bus, inside @ns, driven by
 * bench/console-call.py: it signs in, a patient checks in, it clicks Admit. */
class RealConsole extends ConsoleSide {
  constructor(ns, server) {
    super(null);
    this.child = ns.spawn(join(HERE, '..', 'tests', 'console', 'run-under-xvfb.sh'),
      ['/usr/bin/python3', join(HERE, 'console-call.py'), housecallPath(), binaryPath(),
       server.origin, server.dataDir], {
        env: { ...process.env, GSETTINGS_SCHEMA_DIR: join(buildDir(), 'data'),
               GSK_RENDERER: opts.renderer, LC_ALL: 'C.UTF-8' },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
    this.attach();
  }

  /** housecall and Xvfb: the console and the display server drawing its window. */
  measuredPids() {
    return descendants(this.child.pid).filter((p) => /^(housecall|Xvfb)$/.test(commOf(p)));
  }

  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.send('quit');
      await Promise.race([this.exit, sleep(40000)]);
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

/** The call page in a fresh context, with bench/lib/page-probe.js injected first. */
async function openPage(browser, server, probe) {
  const participant = new Participant('chromium', browser, server);
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const source = readFileSync(join(HERE, 'lib', 'page-probe.js'), 'utf8');
  await context.addInitScript(`${source}\nbenchProbe(${JSON.stringify(probe)});`);
  const page = await context.newPage();
  const logs = [];
  page.on('console', (msg) => logs.push(`[page ${msg.type()}] ${msg.text()}`));
  page.on('pageerror', (error) => logs.push(`[page error] ${error.message}`));
  await page.goto(`${server.origin}/call.html`, { timeout: 15000 });
  await page.waitForFunction(() => window.housecall !== undefined, null, { timeout: 10000 });
  Object.assign(participant, { context, page, logs });
  return participant;
}

/** Starts the page's call; resolves once start() settles (throws on failure). */
async function startPage(participant, room) {
  const started = await participant.start({ room, width: 1280, height: 720, fps: 24 });
  if (!started.ok)
    throw new Error(`Chromium could not start: ${JSON.stringify(started)}\n${participant.diagnostics()}`);
  return started;
}

/** Pids of @ns's processes whose command line starts with @re. */
function nsPids(ns, re) {
  return ns.pids().filter((pid) => re.test((cmdline(pid) ?? [''])[0]));
}

function descendants(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name))
      continue;
    const st = procStat(Number(name));
    if (!st)
      continue;
    if (!children.has(st.ppid))
      children.set(st.ppid, []);
    children.get(st.ppid).push(Number(name));
  }
  const out = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

function pss(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds, RSS and PSS summed over @pids (dead ones count as nothing). */
function treeSample(pids) {
  let cpu = 0;
  let rss = 0;
  let pssSum = 0;
  for (const pid of pids) {
    const st = procStat(pid);
    if (!st)
      continue;
    cpu += st.cpu;
    rss += st.rss;
    pssSum += pss(pid);
  }
  return { cpu, rss, pss: pssSum };
}

function commOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

async function setup() {
  const ns = createNetns();
  addEngineInterfaces(ns);
  const server = await startServer(ns);
  await server.waitForJanus();
  const tone = writeToneWav(join(makeTempDir('hc-bench-tone-'), 'tone.wav'), { seconds: 10 });
  return { ns, server, tone };
}

async function teardown({ ns, server }) {
  await server?.stop();
  await ns?.destroy();
}

/** Both sides in @room, each decoding the other. Resolves { consoleSide, page, browser }. */
async function call(env, room, { stamp = false } = {}) {
  const browser = await launchChromium(env.ns, { name: 'bench', toneFile: env.tone });
  if (opts.console === 'real' && !stamp) {
    const consoleSide = new RealConsole(env.ns, env.server);
    const admitted = await consoleSide.waitFor('admitted', (m) => m.event === 'admitted' || m.event === 'failed', 120000);
    if (admitted.event !== 'admitted')
      throw new Error(`console: ${JSON.stringify(admitted)}\n${consoleSide.stderr.slice(-1500)}`);
    const page = await openPage(browser, env.server, { stamp: false, readStamps: false });
    await startPage(page, admitted.room);
    const consoleSid = (snap) => snap.remotes?.[0]?.sid ?? null;
    const snap = await page.waitDecoding(consoleSid, { timeoutMs: 60000, what: 'Chromium decoding the console' });
    return { consoleSide, page, browser, consoleSid: consoleSid(snap) };
  }
  const consoleSide = new ConsoleSide(env.ns, env.server, room, { stamp, readStamps: stamp, joinNow: true });
  const inCall = await consoleSide.waitFor('in the call', (m) => m.event === 'in-call' || m.event === 'failed', 60000);
  if (inCall.event !== 'in-call')
    throw new Error(`console: ${JSON.stringify(inCall)}\n${consoleSide.stderr.slice(-1500)}`);
  const page = await openPage(browser, env.server, { stamp, readStamps: stamp });
  await startPage(page, room);
  await page.waitDecoding(inCall.sid, { timeoutMs: 60000, what: 'Chromium decoding the console' });
  await consoleSide.waitFor('decoding Chromium', (m) => m.event === 'stats' && m.frames > 24, 60000);
  return { consoleSide, page, browser, consoleSid: inCall.sid };
}

async function hangUp({ consoleSide, page, browser }) {
  await consoleSide?.stop();
  await page?.close();
  await browser?.close().catch(() => {});
}

/** What each side sends and receives, from Chromium's stats and the console's. */
async function mediaShape(c) {
  const snap = await c.page.snapshot();
  const inbound = snap.stats?.inbound?.[c.consoleSid] ?? {};
  const out = await c.page.evaluate(async () => (await window.housecall.call.stats()).outbound ?? null)
    .catch(() => null);
  const consoleStats = [...c.consoleSide.lines].reverse().find((m) => m.event === 'stats') ?? {};
  return {
    chromiumReceives: `${inbound.frameWidth ?? '?'}x${inbound.frameHeight ?? '?'}`,
    chromiumSends: out ? JSON.stringify(out) : '?',
    consoleReceives: `${consoleStats.width ?? '?'}x${consoleStats.height ?? '?'}`,
  };
}

/** Frame counters of both sides: what Chromium decodes of the console and sends (mean
 * over its layers), and what the console shows (hc-bench-console only). Under CPU
 * contention the encoders and decoders drop frames, so CPU seconds alone would flatter
 * whoever drops most. */
async function frameCounts(c) {
  const snap = await c.page.snapshot();
  const inbound = Object.values(snap.stats?.inbound ?? {})[0] ?? {};
  const out = await c.page.evaluate(async () => (await window.housecall.call.stats()).outbound ?? {})
    .catch(() => ({}));
  const layers = Object.values(out);
  const consoleStats = [...c.consoleSide.lines].reverse().find((m) => m.event === 'stats');
  return {
    chromiumDecodes: inbound.framesDecoded ?? NaN,
    chromiumSends: layers.length ? layers.reduce((a, l) => a + (l.framesSent ?? 0), 0) / layers.length : NaN,
    consoleShows: consoleStats ? consoleStats.frames : NaN,
  };
}

async function cpuMode(env) {
  const results = [];
  for (let run = 1; run <= runs; run++) {
    const room = `bench-${randomBytes(3).toString('hex')}`;
    const c = await call(env, room);
    try {
      await sleep(warmup * 1000);
      const consolePids = c.consoleSide.measuredPids();
      const chromiumPids = nsPids(env.ns, /chromium/);
      const groups = {
        console: consolePids,
        consoleApp: consolePids.filter((p) => commOf(p) !== 'Xvfb'),
        xvfb: consolePids.filter((p) => commOf(p) === 'Xvfb'),
        chromium: chromiumPids,
      };
      const frames0 = await frameCounts(c);
      const load0 = loadavg();
      const start = Object.fromEntries(Object.entries(groups).map(([k, p]) => [k, treeSample(p)]));
      const peak = Object.fromEntries(Object.keys(groups).map((k) => [k, { rss: 0, pss: 0 }]));
      const t0 = Date.now();
      let n = 0;
      while (Date.now() - t0 < seconds * 1000) {
        await sleep(1000);
        // PSS (smaps_rollup) costs a little: every 5 s; RSS every second.
        for (const [k, p] of Object.entries(groups)) {
          const s = n % 5 === 0 ? treeSample(p) : { ...treeSample([]), rss: p.reduce((a, pid) => a + (procStat(pid)?.rss ?? 0), 0), pss: 0 };
          peak[k].rss = Math.max(peak[k].rss, s.rss);
          peak[k].pss = Math.max(peak[k].pss, s.pss);
        }
        n++;
      }
      const elapsed = (Date.now() - t0) / 1000;
      const end = Object.fromEntries(Object.entries(groups).map(([k, p]) => [k, treeSample(p)]));
      const frames1 = await frameCounts(c);
      const fps = Object.fromEntries(Object.keys(frames1).map((k) => [k, (frames1[k] - frames0[k]) / elapsed]));
      const cpu = Object.fromEntries(Object.keys(groups).map((k) => [k, end[k].cpu - start[k].cpu]));
      const shape = await mediaShape(c);
      if (process.env.HC_BENCH_SHOTS)
        await c.page.page.screenshot({ path: join(process.env.HC_BENCH_SHOTS, `${opts.console}-chromium-run${run}.png`) }).catch(() => {});
      if (c.consoleSide instanceof RealConsole) {
        // What the console showed at the end: a screenshot of its display.
        const shot = join(makeTempDir('hc-bench-shot-'), `${opts.console}-console-run${run}.png`);
        c.consoleSide.send(`shot ${shot}`);
        await c.consoleSide.waitFor('a screenshot', (m) => m.event === 'shot' && m.path === shot, 30000)
          .then(() => console.log(`  screenshot of the console: ${process.env.HC_BENCH_SHOTS ? join(process.env.HC_BENCH_SHOTS, `${opts.console}-console-run${run}.png`) : shot}`))
          .catch(() => {});
        if (process.env.HC_BENCH_SHOTS)
          execFileSync('cp', [shot, join(process.env.HC_BENCH_SHOTS, `${opts.console}-console-run${run}.png`)]);
        if (opts.verbose) {
          c.consoleSide.send('log');
          const logged = await c.consoleSide.waitFor('its log', (m) => m.event === 'log', 10000).catch(() => null);
          log('console output:\n', logged?.text);
        }
      }
      const r = { run, elapsed, cpu, peak, fps, load0: load0.text, load1: loadavg().text, shape };
      results.push(r);
      console.log(`run ${run}: ${elapsed.toFixed(0)} s steady state; load ${r.load0} → ${r.load1}`);
      console.log(`  console tree   CPU ${cpu.console.toFixed(1)} s (app ${cpu.consoleApp.toFixed(1)} s, Xvfb ${cpu.xvfb.toFixed(1)} s), peak RSS ${fmtMB(peak.console.rss)}, peak PSS ${fmtMB(peak.console.pss)} (app alone: RSS ${fmtMB(peak.consoleApp.rss)})`);
      console.log(`  Chromium tree  CPU ${cpu.chromium.toFixed(1)} s (${groups.chromium.length} processes), peak RSS ${fmtMB(peak.chromium.rss)}, peak PSS ${fmtMB(peak.chromium.pss)}`);
      console.log(`  ratios console/Chromium: CPU ${(cpu.console / cpu.chromium).toFixed(2)} (app alone ${(cpu.consoleApp / cpu.chromium).toFixed(2)}), RSS ${(peak.console.rss / peak.chromium.rss).toFixed(2)}, PSS ${(peak.console.pss / peak.chromium.pss).toFixed(2)}`);
      console.log(`  media: Chromium receives the console at ${shape.chromiumReceives}; the console receives Chromium at ${shape.consoleReceives}`);
      console.log(`  frames/s in the window: Chromium decodes the console ${fps.chromiumDecodes.toFixed(1)}, Chromium sends ${fps.chromiumSends.toFixed(1)} per layer (mean of 3)` +
        (Number.isFinite(fps.consoleShows) ? `, the console shows Chromium ${fps.consoleShows.toFixed(1)}` : ''));
      log('Chromium outbound', shape.chromiumSends);
    } finally {
      await hangUp(c);
    }
  }
  const m = (f) => median(results.map(f));
  const spread = (f) => {
    const v = results.map(f);
    return `${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}`;
  };
  console.log(`\nmedian of ${results.length} (${seconds} s each, renderer ${opts.renderer}):`);
  console.log(`  console CPU ${m((r) => r.cpu.console).toFixed(1)} s [${spread((r) => r.cpu.console)}] (${(100 * m((r) => r.cpu.console) / seconds).toFixed(0)} % of a core), app alone ${m((r) => r.cpu.consoleApp).toFixed(1)} s`);
  console.log(`  Chromium CPU ${m((r) => r.cpu.chromium).toFixed(1)} s [${spread((r) => r.cpu.chromium)}] (${(100 * m((r) => r.cpu.chromium) / seconds).toFixed(0)} % of a core)`);
  console.log(`  console peak RSS ${fmtMB(m((r) => r.peak.console.rss))}, PSS ${fmtMB(m((r) => r.peak.console.pss))}; Chromium peak RSS ${fmtMB(m((r) => r.peak.chromium.rss))}, PSS ${fmtMB(m((r) => r.peak.chromium.pss))}`);
  console.log(`  ratio CPU ${m((r) => r.cpu.console / r.cpu.chromium).toFixed(2)} [${spread((r) => r.cpu.console / r.cpu.chromium)}] (target ≤ 0.5), app alone ${m((r) => r.cpu.consoleApp / r.cpu.chromium).toFixed(2)}`);
  console.log(`  frames/s: Chromium decodes the console ${m((r) => r.fps.chromiumDecodes).toFixed(1)}, Chromium sends ${m((r) => r.fps.chromiumSends).toFixed(1)} per layer` +
    (Number.isFinite(m((r) => r.fps.consoleShows)) ? `, the console shows Chromium ${m((r) => r.fps.consoleShows).toFixed(1)}` : ''));
  console.log(`  ratio RSS ${m((r) => r.peak.console.rss / r.peak.chromium.rss).toFixed(2)} [${spread((r) => r.peak.console.rss / r.peak.chromium.rss)}], PSS ${m((r) => r.peak.console.pss / r.peak.chromium.pss).toFixed(2)} (target ≤ 0.4)`);
}

async function latencyMode(env) {
  const room = `bench-${randomBytes(3).toString('hex')}`;
  const c = await call(env, room, { stamp: true });
  try {
    await sleep(warmup * 1000);
    const g2gConsole0 = c.consoleSide.lines.length;
    await c.page.evaluate(() => {
      window.__bench.g2g.length = 0;
      window.__bench.bad = 0;
    });
    const load0 = loadavg().text;
    await sleep(seconds * 1000);
    const toConsole = c.consoleSide.lines.slice(g2gConsole0).filter((m) => m.event === 'g2g');
    const fromPage = await c.page.evaluate(() => ({ g2g: window.__bench.g2g.slice(), bad: window.__bench.bad }));
    const lastStats = [...c.consoleSide.lines].reverse().find((m) => m.event === 'stats') ?? {};
    const shape = await mediaShape(c);
    const a = summary(fromPage.g2g);
    const b = summary(toConsole.map((m) => m.shown));
    const bd = summary(toConsole.map((m) => m.decoded));
    console.log(`glass-to-glass over ${seconds} s (load ${load0} → ${loadavg().text}):`);
    console.log(`  console → Chromium (${shape.chromiumReceives}): p50 ${fmtMs(a.p50)}  p95 ${fmtMs(a.p95)}  max ${fmtMs(a.max)}  (${a.n} frames read, ${fromPage.bad} unreadable)`);
    console.log(`  Chromium → console (${shape.consoleReceives}): p50 ${fmtMs(b.p50)}  p95 ${fmtMs(b.p95)}  max ${fmtMs(b.max)}  (${b.n} frames read, ${lastStats.stamps_bad ?? '?'} unreadable in the whole call)`);
    console.log(`    of which to the decoded frame handed to GTK: p50 ${fmtMs(bd.p50)}  p95 ${fmtMs(bd.p95)}`);
  } finally {
    await hangUp(c);
  }
}

/** Phase times of the console from its log lines. */
function consolePhases(lines) {
  const at = (re) => lines.find((m) => m.event === 'phase' && re.test(m.what))?.t;
  return {
    joined: at(/^Call .*→ joined/),
    subStarting: at(/^Subscription to .*→ starting/),
    subConnecting: at(/^Subscription to .*→ connecting/),
    subConnected: at(/^Subscription to .*→ connected/),
    first: lines.find((m) => m.event === 'first-frame')?.t,
  };
}

async function joinMode(env) {
  const rows = [];
  const browser = await launchChromium(env.ns, { name: 'bench', toneFile: env.tone });
  try {
    for (let run = 1; run <= runs; run++) {
      const room = `bench-${randomBytes(3).toString('hex')}`;
      const consoleSide = new ConsoleSide(env.ns, env.server, room);
      let page = null;
      try {
        await consoleSide.waitFor('window ready', (m) => m.event === 'ready', 30000);
        page = await openPage(browser, env.server, { stamp: false, readStamps: false });
        // The page has its camera before admission (the patient app's preflight):
        // open it now so that admission does not wait for it.
        await page.evaluate(() => navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: true })
          .then((s) => s.getTracks().forEach((t) => t.stop())));
        const t0 = Date.now();
        consoleSide.send('join');
        const started = startPage(page, room);
        const consoleFirst = await consoleSide.waitFor('first frame', (m) => m.event === 'first-frame' || m.event === 'failed', 30000);
        await started;
        const pageFirst = await page.page.waitForFunction(() => window.__bench.frames.find((f) => f.first !== null)?.first ?? null,
          null, { timeout: 30000, polling: 50 }).then((h) => h.jsonValue());
        const events = await page.evaluate(() => window.__bench.events);
        if (consoleFirst.event !== 'first-frame')
          throw new Error(`console: ${JSON.stringify(consoleFirst)}`);
        const cp = consolePhases(consoleSide.lines);
        // The page's subscriber: the connection on which a video track arrived.
        const subPc = events.find((e) => e.what === 'track-video')?.pc;
        const ev = (what) => events.find((e) => e.pc === subPc && e.what === what)?.t;
        const pp = {
          created: ev('created'), iceChecking: ev('ice-checking'),
          iceConnected: ev('ice-connected'), connected: ev('connection-connected'), first: pageFirst,
        };
        const row = {
          run, load: loadavg().one,
          console: {
            total: cp.first - t0,
            join: cp.joined - t0,
            remote: cp.subStarting - t0,
            negotiate: cp.subConnecting - cp.subStarting,
            iceDtls: cp.subConnected - cp.subConnecting,
            firstFrame: cp.first - cp.subConnected,
          },
          page: {
            total: pp.first - t0,
            remote: pp.created - t0,
            negotiate: pp.iceChecking - pp.created,
            ice: pp.iceConnected - pp.iceChecking,
            dtls: pp.connected - pp.iceConnected,
            firstFrame: pp.first - pp.connected,
          },
        };
        rows.push(row);
        const c = row.console;
        const p = row.page;
        console.log(`run ${run}: console ${fmtMs(c.total)} (joined ${fmtMs(c.join)}, other side published ${fmtMs(c.remote)}, ` +
          `subscribe ${fmtMs(c.negotiate)}, ICE+DTLS ${fmtMs(c.iceDtls)}, first frame ${fmtMs(c.firstFrame)}); ` +
          `Chromium ${fmtMs(p.total)} (other side published ${fmtMs(p.remote)}, subscribe ${fmtMs(p.negotiate)}, ` +
          `ICE ${fmtMs(p.ice)}, DTLS ${fmtMs(p.dtls)}, first frame ${fmtMs(p.firstFrame)}); load ${row.load}`);
      } catch (error) {
        console.log(`run ${run}: failed: ${error.message.split('\n')[0]}`);
        log(error.message);
      } finally {
        await consoleSide.stop();
        await page?.close();
      }
    }
  } finally {
    await browser.close().catch(() => {});
  }
  const line = (label, f) => {
    const s = summary(rows.map(f).filter(Number.isFinite));
    return `  ${label.padEnd(34)} p50 ${fmtMs(s.p50).padStart(9)}  p95 ${fmtMs(s.p95).padStart(9)}  (n ${s.n})`;
  };
  console.log(`\nadmit → first decoded frame, ${rows.length} runs (phases: each from the end of the one before):`);
  console.log(line('console total', (r) => r.console.total));
  console.log(line('  (console joined the room)', (r) => r.console.join));
  console.log(line('  Chromium published (t0 →)', (r) => r.console.remote));
  console.log(line('  subscribe: offer/answer', (r) => r.console.negotiate));
  console.log(line('  ICE + DTLS', (r) => r.console.iceDtls));
  console.log(line('  connected → first frame', (r) => r.console.firstFrame));
  console.log(line('Chromium total', (r) => r.page.total));
  console.log(line('  console published (t0 →)', (r) => r.page.remote));
  console.log(line('  subscribe: offer/answer', (r) => r.page.negotiate));
  console.log(line('  ICE', (r) => r.page.ice));
  console.log(line('  DTLS', (r) => r.page.dtls));
  console.log(line('  connected → first frame', (r) => r.page.firstFrame));
}

if (!existsSync(consolePath())) {
  console.log(`no hc-bench-console at ${consolePath()}: ninja -C <build> bench/hc-bench-console, or set HC_BENCH_CONSOLE`);
  process.exit(0);
}
const consoleKind = opts.console === 'real' && mode === 'cpu'
  ? 'the real housecall (signed in, Admit clicked)'
  : `hc-bench-console (the call engine in a GTK window${opts['encoder-threads'] ? `, experiment: VP8 encoders at ${opts['encoder-threads']} thread(s)` : ''}${opts['early-warm-up'] ? ', warmed up at start' : ''})`;
console.log(`call bench, mode ${mode}: ${new Date().toISOString()}, load ${loadavg().text}; console side: ${consoleKind}, GSK_RENDERER=${opts.renderer}, under Xvfb`);
const env = await setup();
try {
  if (mode === 'cpu')
    await cpuMode(env);
  else if (mode === 'latency')
    await latencyMode(env);
  else if (mode === 'join')
    await joinMode(env);
  else
    console.log(`unknown mode ${mode}`);
} catch (error) {
  console.log(`did not complete: ${error.stack}`);
} finally {
  await teardown(env);
}
process.exit(0);
