#!/usr/bin/env node
// The phone bridge's cost: N calls to a real sipp line that echoes its RTP
// (so audio flows both ways all the time) bridged into one room with the
// real Janus. Prints the time from the dial request to `answered` on the
// provider's socket, and the CPU housecalld and Janus use while the calls
// are up (transcoding G.711 ⇄ Opus, mixing, RTP), against the same window
// with no call. Prints figures; asserts nothing. Bounded in count and time.
//
//   HOUSECALLD=/tmp/build/src/server/housecalld node bench/phone-bridge.mjs [--calls 4] [--seconds 20]

import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { bearer, request } from '../tests/node/lib/http.mjs';
import { makeTempDir, startServer } from '../tests/node/lib/server.mjs';
import { createRoom, provider } from '../tests/node/lib/setup.mjs';
import { connectJoined } from '../tests/node/lib/signal.mjs';
import { freeUdpPort, startSipp, writeSipConfig, phoneServerEnv } from '../tests/node/lib/sip.mjs';
import { fmtMs, loadavg, procStat, sleep, summary } from './lib/measure.mjs';

const { values: opts } = parseArgs({
  options: {
    calls: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '20' },
    tiny: { type: 'boolean', default: false },
  },
});
if (opts.tiny) {
  opts.calls = '1';
  opts.seconds = '2';
}
const calls = Math.max(1, Math.min(8, Number(opts.calls)));
const seconds = Math.max(1, Math.min(300, Number(opts.seconds)));

function cpuOver(pids, ms) {
  const before = pids.map((pid) => procStat(pid)?.cpu ?? 0);
  return sleep(ms).then(() => pids.map((pid, i) => ((procStat(pid)?.cpu ?? 0) - before[i]) / (ms / 1000) * 100));
}

async function waitStatus(ws, sid, status, deadline) {
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0)
      throw new Error(`call ${sid} not ${status} in time`);
    const m = await ws.next(left);
    if (m.type === 'phone-call-status' && m.call.sid === sid) {
      if (m.call.status === status)
        return;
      if (['failed', 'busy', 'no-answer', 'canceled', 'completed'].includes(m.call.status))
        throw new Error(`call ${sid} ended ${m.call.status}: ${m.call.error_message}`);
    }
  }
}

const dir = makeTempDir();
const sipPort = await freeUdpPort();
const mediaPort = await freeUdpPort();
const config = writeSipConfig(dir, {
  trunk: `sip:127.0.0.1:${sipPort}`, 'rtp-port-range': '46000-46998', 'max-calls-per-room': 8,
});
// Full stacks under ASan, so the leak suppressions for GStreamer's GLib quark block match.
const server = await startServer({ config, env: phoneServerEnv() });
let sipp = null;
try {
  const dr = await provider(server, 'drsmith');
  const room = await createRoom(server, dr.token, { UniqueName: 'bench-phone', MaxParticipants: 10 });
  const ws = await connectJoined(server, dr.token, room.sid);
  await sleep(1000);
  const janus = server.janusPids[0];
  const [idleServer, idleJanus] = await cpuOver([server.pid, janus], seconds * 1000);

  sipp = await startSipp('answer-echo.xml', {
    port: sipPort, mediaPort, keys: { rtp_port: mediaPort }, calls, timeoutSeconds: seconds + 60,
  });
  const answerMs = [];
  const sids = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    const res = await request(server, 'POST', `/v1/Rooms/${room.sid}/PhoneCalls`, {
      auth: bearer(dr.token), form: { To: '+14155550123', Label: `Line ${i + 1}` },
    });
    if (res.status !== 201)
      throw new Error(`dial: ${res.text}`);
    await waitStatus(ws, res.body.sid, 'answered', t0 + 15000);
    answerMs.push(performance.now() - t0 - 800);   // the line rings 0.8 s
    sids.push(res.body.sid);
  }
  await sleep(1000);
  const [busyServer, busyJanus] = await cpuOver([server.pid, janus], seconds * 1000);
  for (const sid of sids)
    await request(server, 'POST', `/v1/Rooms/${room.sid}/PhoneCalls/${sid}`, {
      auth: bearer(dr.token), form: { Status: 'completed' },
    });
  ws.terminate();

  const a = summary(answerMs);
  console.log(`# load average ${loadavg().text}`);
  console.log(`dial → answered, less the line's 0.8 s of ringing: p50 ${fmtMs(a.p50)}, max ${fmtMs(a.max)} (${a.n} calls)`);
  console.log(`no call:      housecalld ${idleServer.toFixed(1)} % CPU, Janus ${idleJanus.toFixed(1)} %`);
  console.log(`${calls} call(s):   housecalld ${busyServer.toFixed(1)} % CPU, Janus ${busyJanus.toFixed(1)} %`);
  console.log(`phone bridge CPU per call: housecalld ${((busyServer - idleServer) / calls).toFixed(1)} %, ` +
    `Janus ${((busyJanus - idleJanus) / calls).toFixed(1)} % of one core (${seconds} s windows)`);
} finally {
  await sipp?.stop();
  await server.stop('SIGTERM', 10000);
}
