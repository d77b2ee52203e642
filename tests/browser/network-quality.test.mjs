// Network quality under real impairment (issue 8), across three network
// namespaces made by this file (lib/sites.mjs): the server (housecalld +
// Janus), the patient (headless Chromium on the call page, phone profile) and
// the provider (the console's call engine, tests/engine/engine-peer).
//
//   1. Clean network: both sides at level ≥ 4, on the patient's page (the
//      bars on its own tile) and in the engine (its own level, and its view
//      of the patient).
//   2. The patient's upload impaired (nftables 5 % random loss and a tc tbf
//      of 500 kbit/s): within 10 s the patient's level is ≤ 2 on its page and
//      in the engine's view, for a reason about its upload; the engine's
//      subscription to the patient drops to the low layer; audio keeps
//      flowing both ways throughout.
//   3. Impairment removed: level and layer recover within 20 s. The console's
//      own download at 10 % loss: its subscriptions step down (the large tile
//      last) and come back once it is clean. Then 120 kbit/s:
//      the patient goes audio-only (its page says so, the engine sees
//      audio_only), audio goes on, and video comes back after the link does.
//   4. Both links cut for 5 s: the page shows "Reconnecting…" and the engine
//      HcCallEngine:reconnecting (its state reconnecting, or level 0); both come
//      back without anyone doing anything, the media flowing again.
//
// With HC_RECORD_FIXTURES=1 it also writes what it measured, to record new test
// fixtures from (tests/fixtures/network-quality/): Chromium getStats() pairs as
// data/web/js/network-quality.js takes them, and the engine's webrtcbin
// statistics from its debug log, into a temporary directory it names.
//
// Needs root, nft and tc. Run: cd tests/browser && npm ci &&
// HOUSECALLD=/path/to/build/src/server/housecalld node --test network-quality.test.mjs

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchChromium, writeToneWav } from './lib/browser.mjs';
import { EnginePeer, enginePeerPath } from './lib/engine-peer.mjs';
import { canCreateNetns } from './lib/netns.mjs';
import { Participant } from './lib/participant.mjs';
import { makeTempDir, startServer } from './lib/server.mjs';
import { Sites, haveImpairmentTools } from './lib/sites.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const RECORD = process.env.HC_RECORD_FIXTURES === '1';
const RECORD_DIR = RECORD ? makeTempDir('hc-nq-record-') : null;

/** The phone profile of data/web/js/media-profile.js: 640x480, two layers, 1000 kbps. */
const PHONE = {
  width: 640,
  height: 480,
  fps: 24,
  simulcastEncodings: [
    { rid: 'l', scaleResolutionDownBy: 2, maxBitrate: 250000 },
    { rid: 'h', scaleResolutionDownBy: 1, maxBitrate: 750000 },
  ],
};

const support = canCreateNetns();
const tools = haveImpairmentTools();
const skip = !support.ok ? support.why : !tools.ok ? tools.why
  : existsSync(enginePeerPath()) ? false : `no engine-peer at ${enginePeerPath()}: build the console, or set HC_ENGINE_PEER`;

/** What the patient's page shows and measures now. */
function pageState(participant) {
  return participant.evaluate(async () => {
    const call = window.housecall.call;
    const meter = document.querySelector('[data-key="local"] .nq');
    const reason = document.querySelector('[data-key="local"] .nq-reason');
    const banner = document.getElementById('banner');
    let audioIn = 0;
    let audioOut = 0;
    for (const remote of call?.remotes.values() ?? []) {
      const report = remote.sub ? await remote.sub.pc.getStats() : null;
      report?.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio')
          audioIn += s.packetsReceived ?? 0;
      });
    }
    const stats = await call?.stats();
    audioOut = stats?.outboundAudio?.packetsSent ?? 0;
    const videoOut = Object.values(stats?.outbound ?? {}).reduce((sum, o) => sum + (o.bytesSent ?? 0), 0);
    const layers = Object.entries(stats?.outbound ?? {}).map(([rid, o]) => `${rid}:${o.active ? 'on' : 'off'}:${o.frameWidth}`).join(',');
    return {
      state: call?.state,
      self: call?.self?.sid ?? null,
      level: meter && !meter.hidden && meter.dataset.level !== '' ? Number(meter.dataset.level) : null,
      reason: reason?.dataset.reason ?? null,
      reasonText: reason?.textContent ?? '',
      banner: banner && !banner.hidden ? banner.dataset.kind : null,
      audioOnly: call?.audioOnly ?? false,
      reconnects: call?.reconnects ?? 0,
      audioIn,
      audioOut,
      videoOut,
      layers,
    };
  });
}

async function pollPage(participant, what, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const started = Date.now();
  let last;
  for (;;) {
    last = await pageState(participant);
    if (predicate(last))
      return { state: last, ms: Date.now() - started };
    if (Date.now() > deadline)
      throw new Error(`patient page: ${what} not within ${timeoutMs} ms; last: ${JSON.stringify(last)}\n${participant.diagnostics()}`);
    await sleep(250);
  }
}

/** Two getStats() snapshots of the patient's peer connections, 4 s apart, as
 * data/web/js/network-quality.js takes them — for the fixtures. */
function recordChromiumSample(participant) {
  return participant.evaluate(async () => {
    const call = window.housecall.call;
    const snap = async () => {
      const out = { send: null, recv: [] };
      const pub = call.publisherPc;
      if (pub)
        out.send = [...(await pub.getStats()).values()];
      for (const remote of call.remotes.values()) {
        if (remote.sub)
          out.recv.push([...(await remote.sub.pc.getStats()).values()]);
      }
      return out;
    };
    const before = await snap();
    await new Promise((r) => setTimeout(r, 4000));
    const afterSnap = await snap();
    const nq = call.networkQuality;
    return {
      connected: true,
      expected: nq?.expected ?? {},
      active: nq?.active ?? {},
      send: before.send && afterSnap.send ? { before: before.send, after: afterSnap.send } : null,
      recv: before.recv.map((b, i) => ({ before: b, after: afterSnap.recv[i] })).filter((p) => p.after),
    };
  });
}

describe('network quality under impairment (patient ↔ server)', { skip }, () => {
  let sites = null;
  let server = null;
  let browser = null;
  let engine = null;
  let patient = null;

  before(async () => {
    sites = new Sites();
    server = await startServer(sites.server, { configText: `[janus]\nice-enforce-list = ${sites.janusInterfaces}\n` });
    await sites.exposeServer(server.port);
    const tone = writeToneWav(join(makeTempDir('hc-tone-'), 'tone.wav'), { seconds: 30 });
    browser = await launchChromium(sites.patient, { name: 'patient', toneFile: tone });
  });

  after(async () => {
    await engine?.stop().catch(() => {});
    await patient?.close();
    await browser?.close().catch(() => {});
    await server?.stop();
    sites?.destroy();
  });

  test('levels, reasons, layers, audio and reconnection', { timeout: 420000 }, async () => {
    const room = `nq-${randomBytes(3).toString('hex')}`;
    engine = new EnginePeer(sites.console, {
      origin: sites.consoleOrigin,
      room,
      token: server.token({ identity: 'drsmith', room }),
      profile: 'test-pattern-360p',
      env: RECORD ? { G_MESSAGES_DEBUG: 'HcCallEngine' } : {},
    });
    const inCall = await engine.waitFor('in the call', (m) => m.event === 'in-call' || m.event === 'failed', 40000);
    assert.equal(inCall.event, 'in-call', JSON.stringify(inCall));

    // The page and its signaling come through the patient's link.
    const viaLink = { ...server, origin: sites.patientOrigin, token: (o) => server.token(o), logTail: (n) => server.logTail(n) };
    patient = new Participant('patient', browser, viaLink);
    await patient.open();
    const started = await patient.start({ identity: 'patient-7', room, ...PHONE });
    assert.ok(started.ok, `patient: ${JSON.stringify(started)}\n${patient.diagnostics()}`);
    const patientSid = () => engine.last?.remotes.find((r) => r.identity === 'patient-7')?.sid;
    const remoteOf = (m) => m.remotes?.find((r) => r.identity === 'patient-7');

    // 1. Clean network.
    const clean = await pollPage(patient, 'level ≥ 4 on a clean network', (s) => s.level !== null && s.level >= 4, 40000);
    const engineClean = await engine.waitFor('the engine at ≥ 4 and seeing the patient at ≥ 4',
      (m) => m.event === 'stats' && m.nq_level >= 4 && (remoteOf(m)?.nq_level ?? -1) >= 4 && (remoteOf(m)?.frames ?? 0) > 0, 40000, { fresh: true });
    const cleanLayer = remoteOf(engineClean).substream;
    console.log(`# clean: patient ${clean.state.level}, engine ${engineClean.nq_level}, engine sees the patient at ${remoteOf(engineClean).nq_level} on substream ${cleanLayer}`);
    assert.ok(cleanLayer >= 1, `the engine asks for a high layer of the patient on a clean network (${cleanLayer})`);
    if (RECORD)
      writeFileSync(join(RECORD_DIR, 'chromium-clean.json'), JSON.stringify(await recordChromiumSample(patient)));

    // 2. The patient's upload impaired.
    const audioBefore = await pageState(patient);
    sites.impairPatientUpload({ lossPercent: 5, rateKbit: 500 });
    const impairedAt = Date.now();
    const low = await pollPage(patient, 'level ≤ 2 under 5 % loss and 500 kbit/s', (s) => s.level !== null && s.level <= 2, 10000);
    assert.match(low.state.reason, /^send-(loss|bandwidth)$/, `the reason is about the upload: ${JSON.stringify(low.state)}`);
    assert.ok(low.state.reasonText.length > 0, 'the page says why');
    const engineLow = await engine.waitFor('the engine seeing the patient at ≤ 2',
      (m) => m.event === 'stats' && (remoteOf(m)?.nq_level ?? 5) <= 2 && remoteOf(m).nq_level >= 0, Math.max(1000, 10000 - (Date.now() - impairedAt)), { fresh: true });
    assert.match(remoteOf(engineLow).nq_reason, /^send-(loss|bandwidth)$/);
    console.log(`# impaired: patient ${low.state.level} (${low.state.reason}) after ${low.ms} ms; engine sees ${remoteOf(engineLow).nq_level} (${remoteOf(engineLow).nq_reason}) after ${Date.now() - impairedAt} ms; the engine's own level ${engineLow.nq_level} (${engineLow.nq_reason})`);
    const lowered = await engine.waitFor('the subscription to the patient on a lower layer',
      (m) => m.event === 'stats' && (remoteOf(m)?.substream ?? 9) < cleanLayer && remoteOf(m).substream >= 0, 10000, { fresh: true });
    console.log(`# the engine's subscription to the patient: substream ${cleanLayer} → ${remoteOf(lowered).substream}`);
    console.log(`# substreams: ${engine.lines.filter((m) => m.event === 'stats' && remoteOf(m)).map((m) => `${remoteOf(m).substream}/${remoteOf(m).sid.slice(2, 6)}`).filter((v, i, a) => i === 0 || v !== a[i - 1]).join(' ')}`);
    if (RECORD)
      writeFileSync(join(RECORD_DIR, 'chromium-impaired.json'), JSON.stringify(await recordChromiumSample(patient)));
    // Audio throughout: the engine keeps receiving the patient's, the patient the engine's.
    await sleep(2000);
    const audioDuring = await pageState(patient);
    assert.ok(audioDuring.audioOut > audioBefore.audioOut + 50, `the patient keeps sending audio (${audioBefore.audioOut} → ${audioDuring.audioOut})`);
    assert.ok(audioDuring.audioIn > audioBefore.audioIn + 50, `the patient keeps receiving audio (${audioBefore.audioIn} → ${audioDuring.audioIn})`);
    const engineAudio = engine.last;
    assert.ok((remoteOf(engineAudio)?.audio_bps ?? 0) > 8000, `the engine receives the patient's audio: ${JSON.stringify(remoteOf(engineAudio))}`);

    // 3. Impairment removed: back within 20 s.
    console.log(`# packets dropped by the loss rule: ${sites.impairmentCounts()}`);
    sites.clearPatientImpairment();
    const clearedAt = Date.now();
    const back = await pollPage(patient, 'level ≥ 4 again, with video', (s) => !s.audioOnly && s.level !== null && s.level >= 4, 20000);
    await engine.waitFor('the engine seeing the patient at ≥ 4 on its high layer again',
      (m) => m.event === 'stats' && (remoteOf(m)?.nq_level ?? 0) >= 4 && remoteOf(m).substream >= cleanLayer,
      Math.max(1000, 20000 - (Date.now() - clearedAt)), { fresh: true });
    console.log(`# recovered: patient ${back.state.level} after ${back.ms} ms; engine layer back after ${Date.now() - clearedAt} ms`);

    // 3c. The console's own download degrading (10 % loss from the server to it):
    // its subscriptions step down, the large tile last, and come back afterwards.
    sites.impairConsoleDownload({ lossPercent: 10 });
    const stepped = await engine.waitFor('the engine stepping its subscriptions down',
      (m) => m.event === 'stats' && m.adaptation_step >= 2 && remoteOf(m)?.substream >= 0 && remoteOf(m).substream < cleanLayer, 30000, { fresh: true });
    console.log(`# console download at 10 % loss: adaptation step ${stepped.adaptation_step}, its own level ${stepped.nq_level} (${stepped.nq_reason}), the patient on substream ${remoteOf(stepped).substream}`);
    assert.match(stepped.nq_reason, /^recv-/, 'the engine blames its download');
    sites.clearConsoleImpairment();
    await engine.waitFor('the engine back on the high layer', (m) => m.event === 'stats' && m.adaptation_step === 0 &&
      remoteOf(m)?.substream >= cleanLayer, 40000, { fresh: true });

    // 3b. Far worse (120 kbit/s): the patient goes audio-only, says so, and the
    // provider sees it; audio goes on; video comes back once the link does.
    sites.impairPatientUpload({ lossPercent: 5, rateKbit: 120 });
    const audioOnly = await pollPage(patient, 'audio-only at 120 kbit/s', (s) => s.audioOnly && s.banner === 'audio-only', 30000);
    await engine.waitFor('the engine seeing the patient audio-only', (m) => m.event === 'stats' && remoteOf(m)?.audio_only === true, 10000, { fresh: true });
    const audioOnlyAt = await pageState(patient);
    await sleep(3000);
    const audioOnlyLater = await pageState(patient);
    assert.ok(audioOnlyLater.audioOut > audioOnlyAt.audioOut + 50, 'audio goes on while audio-only');
    assert.ok((remoteOf(engine.last)?.audio_bps ?? 0) > 8000, `the engine still receives the patient's audio: ${JSON.stringify(remoteOf(engine.last))}`);
    console.log(`# 120 kbit/s: audio-only after ${audioOnly.ms} ms`);
    sites.clearPatientImpairment();
    const videoBack = await pollPage(patient, 'video back after the link recovered', (s) => !s.audioOnly && s.banner === null, 60000);
    const sentBefore = (await pageState(patient)).videoOut;
    await sleep(2000);
    const sending = await pageState(patient);
    console.log(`# video resumed: the page sent ${sending.videoOut - sentBefore} video bytes in 2 s (${sending.layers})`);
    const engineVideo = await engine.waitFor('the engine seeing the patient with video again', (m) => m.event === 'stats' &&
      remoteOf(m)?.audio_only === false && (remoteOf(m)?.video_bps ?? 0) > 20000, 20000, { fresh: true });
    // The browser's bandwidth estimate climbs back from the audio-only rate.
    const full = await pollPage(patient, 'level ≥ 4 with video', (s) => !s.audioOnly && s.level !== null && s.level >= 4, 60000);
    console.log(`# the engine receives the patient's video again (${Math.round(remoteOf(engineVideo).video_bps / 1000)} kbit/s); level ${full.state.level} ${full.ms} ms later`);
    console.log(`# video back ${videoBack.ms} ms after the link recovered`);

    // 4. Both links cut for 5 s.
    const sidBefore = (await pageState(patient)).self;
    sites.cutLinks();
    const cutAt = Date.now();
    const seenByEngine = engine.waitFor('the engine showing the break',
      (m) => m.event === 'stats' && m.reconnecting === true && (m.state === 'reconnecting' || m.nq_level === 0), 15000, { fresh: true });
    const downOnPage = await pollPage(patient, 'the Reconnecting banner', (s) => s.banner === 'reconnecting', 15000);
    const remaining = 5000 - (Date.now() - cutAt);
    if (remaining > 0)
      await sleep(remaining);
    const engineDown = await seenByEngine;
    sites.restoreLinks();
    const restoredAt = Date.now();
    console.log(`# cut: the page showed reconnecting after ${downOnPage.ms} ms, the engine ${engineDown.state}/${engineDown.nq_level}`);
    const upAgain = await pollPage(patient, 'in the call again', (s) => s.state === 'joined' && s.banner === null && s.level !== null && s.level >= 3, 45000);
    const engineUp = await engine.waitFor('the engine in the call with the patient again',
      (m) => m.event === 'stats' && m.state === 'in-call' && m.reconnecting === false && m.nq_level >= 3 && (remoteOf(m)?.frames ?? 0) > 0 &&
        (remoteOf(m)?.audio_bps ?? 0) > 8000, 45000, { fresh: true });
    console.log(`# reconnected: page after ${Date.now() - restoredAt} ms (reconnects ${upAgain.state.reconnects}, sid ${sidBefore === upAgain.state.self ? 'kept' : 'new'}); engine at ${engineUp.nq_level}`);
    const frames = remoteOf(engineUp).frames;
    await engine.waitFor('decoding the patient after the reconnect', (m) => m.event === 'stats' && (remoteOf(m)?.frames ?? 0) >= frames + 24, 20000, { fresh: true });
    assert.equal(patientSid() !== undefined, true);

    // What the page and the engine said along the way, for the log.
    for (const line of patient.logs.filter((l) => /\[call\] (state|publisher|subscription|publishing|subscribing|reconnect|network quality|the server|connection|trying)/.test(l)).slice(-40))
      console.log(`# page: ${line}`);
    for (const line of engine.stderr.split('\n').filter((l) => /-Message|WARNING/.test(l)).slice(-20))
      console.log(`# engine: ${line.replace(/^.*?: \d\d:\d\d:\d\d\.\d+: /, '')}`);
    const { code } = await engine.stop();
    assert.equal(code, 0, `engine-peer exit status\n${engine.stderr.slice(-2000)}`);
    if (RECORD) {
      writeFileSync(join(RECORD_DIR, 'webrtcbin-stats.log'),
        engine.logLines.filter((l) => l.includes('webrtcbin stats')).join('\n'));
      console.log(`# recorded into ${RECORD_DIR} (kept with HC_KEEP_DATA=1)`);
    }
    engine = null;
  });
});
