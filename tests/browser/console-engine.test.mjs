// The console's call engine and a headless Chromium participant in one room, against
// a real housecalld (which runs Janus), inside a network namespace made for this file.
//
//   The engine publishes a 720p test pattern as VP8 simulcast. Chromium decodes it 1280
//   wide when it asks for the high layer (substream 2) and 320 wide for the low one
//   (substream 0), and the engine decodes Chromium's video.
//
// The engine runs as tests/engine/engine-peer (built with the console), inside the
// namespace, and reports what it decodes as JSON lines. Its path: $HC_ENGINE_PEER, else
// next to $HOUSECALLD's build tree (<build>/tests/engine/engine-peer), else
// build/tests/engine/engine-peer.
//
// libnice (under the engine's webrtcbin) skips interfaces named veth*, and the
// namespace of lib/netns.mjs has only veth-a/veth-b; so this file adds a second veth
// pair, hce-a/hce-b, on its own subnet: Janus gathers on every interface, the engine
// finds its candidates there, Chromium on the veth-* pair.
//
// Needs root (network namespaces). Run: cd tests/browser && npm ci &&
// HOUSECALLD=/path/to/build/src/server/housecalld node --test console-engine.test.mjs

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchChromium, writeToneWav } from './lib/browser.mjs';
import { EnginePeer, enginePeerPath } from './lib/engine-peer.mjs';
import { canCreateNetns, createNetns } from './lib/netns.mjs';
import { Participant } from './lib/participant.mjs';
import { makeTempDir, startServer } from './lib/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : (existsSync('/sbin/ip') ? '/sbin/ip' : 'ip');

/** A second veth pair that libnice does not skip. */
function addEngineInterfaces(ns) {
  const subnet = `10.215.${randomInt(1, 255)}`;
  const ip = (args) => execFileSync(IP, ['-n', ns.name, ...args], { stdio: 'ignore', timeout: 10000 });
  ip(['link', 'add', 'hce-a', 'type', 'veth', 'peer', 'name', 'hce-b']);
  ip(['addr', 'add', `${subnet}.1/24`, 'dev', 'hce-a']);
  ip(['addr', 'add', `${subnet}.2/24`, 'dev', 'hce-b']);
  ip(['link', 'set', 'hce-a', 'up']);
  ip(['link', 'set', 'hce-b', 'up']);
}

const support = canCreateNetns();
const peerMissing = existsSync(enginePeerPath()) ? false : `no engine-peer at ${enginePeerPath()}: build the console, or set HC_ENGINE_PEER`;

describe('the console engine and a browser in a room', { skip: support.ok ? peerMissing : support.why }, () => {
  let ns = null;
  let server = null;
  let browser = null;
  let engine = null;
  let patient = null;

  before(async () => {
    ns = createNetns();
    addEngineInterfaces(ns);
    server = await startServer(ns);
    const tone = writeToneWav(join(makeTempDir('hc-tone-'), 'tone.wav'));
    browser = await launchChromium(ns, { name: 'patient', toneFile: tone });
  });

  after(async () => {
    await engine?.stop().catch(() => {});
    await patient?.close();
    await browser?.close().catch(() => {});
    await server?.stop();
    await ns?.destroy();
  });

  test('Chromium decodes the engine at 1280 on the high layer and 320 on the low; the engine decodes Chromium', { timeout: 120000 }, async () => {
    const room = `engine-${randomBytes(3).toString('hex')}`;
    engine = new EnginePeer(ns, { origin: server.origin, room, token: server.token({ identity: 'drsmith', room }) });
    const inCall = await engine.waitFor('in the call', (m) => m.event === 'in-call' || m.event === 'failed', 30000);
    assert.equal(inCall.event, 'in-call', JSON.stringify(inCall));
    assert.equal(inCall.simulcast, true, 'housecalld says the engine publishes simulcast');
    const engineSid = inCall.sid;

    // The patient only watches the console closely: a small camera spares the CPU.
    patient = new Participant('patient', browser, server);
    await patient.open();
    const started = await patient.start({ room, width: 320, height: 180 });
    assert.ok(started.ok, `patient: ${JSON.stringify(started)}\n${patient.diagnostics()}`);
    await patient.waitDecoding(engineSid, { timeoutMs: 30000, what: 'decoding the console engine' });

    const widthAt = async (substream, expected) => {
      const reply = await patient.evaluate(({ sid, substream }) =>
        window.housecall.call.configureSubscription(sid, { substream }).then((r) => r, (e) => ({ type: 'error', code: e.code, error: e.error })),
      { sid: engineSid, substream });
      assert.equal(reply.type, 'configured', `configure substream ${substream}: ${JSON.stringify(reply)}`);
      const got = await patient.waitFor(`receiving ${expected} px wide on substream ${substream}`,
        (s) => (s.stats?.inbound?.[engineSid]?.frameWidth ?? 0) === expected, { timeoutMs: 20000, intervalMs: 250 });
      return got.stats.inbound[engineSid].frameWidth;
    };
    const high = await widthAt(2, 1280);
    const low = await widthAt(0, 320);
    console.log(`# Chromium receives the console engine ${high} px wide on substream 2, ${low} px on substream 0`);

    // And the other way round: the engine decodes the patient's video.
    const patientSid = patient.sid;
    const first = await engine.waitFor('decoding the patient', (m) => m.event === 'stats' &&
      m.remotes.some((r) => r.sid === patientSid && r.frames > 0), 30000);
    const before = first.remotes.find((r) => r.sid === patientSid).frames;
    const later = await engine.waitFor('still decoding the patient', (m) => m.event === 'stats' &&
      m.remotes.some((r) => r.sid === patientSid && r.frames >= before + 24), 20000);
    const remote = later.remotes.find((r) => r.sid === patientSid);
    console.log(`# the console engine decodes the patient at ${remote.width}x${remote.height}`);
    assert.ok(remote.width > 0 && remote.height > 0);

    // Leaving: the engine exits cleanly and the patient sees it go.
    const { code } = await engine.stop();
    assert.equal(code, 0, `engine-peer exit status\n${engine.stderr.slice(-2000)}`);
    await patient.waitFor('the console engine gone', (s) => !s.remotes?.some((r) => r.sid === engineSid), { timeoutMs: 10000 });
    engine = null;
    await sleep(0);
  });
});
