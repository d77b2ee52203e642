// Unit tests of the patient web app's pure modules, without a browser:
// preflight scoring (data/web/js/preflight.js), the capture/bitrate
// profiles (media-profile.js), the message table (i18n.js) and the visit
// code in the path (visit-api.js).
//
// Run: cd tests/browser && node --test preflight-unit.test.mjs

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const WEB_ROOT = fileURLToPath(new URL('../../data/web/', import.meta.url));
const web = (path) => new URL(path, new URL('../../data/web/', import.meta.url)).href;
const preflight = await import(web('js/preflight.js'));
const profile = await import(web('js/media-profile.js'));
const i18n = await import(web('js/i18n.js'));
const visitApi = await import(web('js/visit-api.js'));
const { SIMULCAST_ENCODINGS } = await import(web('js/call.js'));

const {
  scoreNetwork, scorePreflight, extractSample, summarizeNetworkTest, selectedCandidateType,
  describeBrowser, permissionHintKey, missingFeatures, preflightReport,
} = preflight;

const good = { rtt_ms: 40, jitter_ms: 3, loss_percent: 0, bitrate_kbps: 2400, candidate_type: 'host' };
const keys = (result) => result.reasons.map((r) => r.key);

describe('scoreNetwork', () => {
  test('a good line is 5 with no reasons', () => {
    assert.deepEqual(scoreNetwork(good), { verdict: 5, reasons: [] });
    assert.equal(scoreNetwork({ ...good, candidate_type: 'srflx' }).verdict, 5);
  });

  test('a test that could not run is 1: the media server could not be reached', () => {
    assert.deepEqual(scoreNetwork({ failed: true }), { verdict: 1, reasons: [{ key: 'reason.unreachable', params: {} }] });
    assert.equal(scoreNetwork(null).verdict, 1);
  });

  test('round trip: 150 ms is fine, more costs 1, 2 or 3', () => {
    assert.equal(scoreNetwork({ ...good, rtt_ms: 150 }).verdict, 5);
    const fair = scoreNetwork({ ...good, rtt_ms: 151 });
    assert.equal(fair.verdict, 4);
    assert.deepEqual(fair.reasons, [{ key: 'reason.rtt-fair', params: { ms: 151 } }]);
    assert.equal(scoreNetwork({ ...good, rtt_ms: 350 }).verdict, 3);
    assert.deepEqual(keys(scoreNetwork({ ...good, rtt_ms: 800 })), ['reason.rtt-very-high']);
    assert.equal(scoreNetwork({ ...good, rtt_ms: 800 }).verdict, 2);
  });

  test('jitter and loss', () => {
    assert.equal(scoreNetwork({ ...good, jitter_ms: 30 }).verdict, 5);
    assert.deepEqual(keys(scoreNetwork({ ...good, jitter_ms: 31 })), ['reason.jitter-fair']);
    assert.equal(scoreNetwork({ ...good, jitter_ms: 80 }).verdict, 3);
    assert.equal(scoreNetwork({ ...good, loss_percent: 1 }).verdict, 5);
    assert.deepEqual(scoreNetwork({ ...good, loss_percent: 2.5 }).reasons, [{ key: 'reason.loss-some', params: { percent: 2.5 } }]);
    assert.equal(scoreNetwork({ ...good, loss_percent: 5 }).verdict, 3);
    assert.equal(scoreNetwork({ ...good, loss_percent: 20 }).verdict, 2);
  });

  test('upload: a desktop wants 1000 kbps, a phone 600', () => {
    assert.equal(scoreNetwork({ ...good, bitrate_kbps: 1000 }).verdict, 5);
    const limited = scoreNetwork({ ...good, bitrate_kbps: 700 });
    assert.deepEqual(limited, { verdict: 4, reasons: [{ key: 'reason.bitrate-limited', params: { kbps: 700 } }] });
    assert.equal(scoreNetwork({ ...good, bitrate_kbps: 700 }, { mobile: true }).verdict, 5);
    assert.equal(scoreNetwork({ ...good, bitrate_kbps: 550 }, { mobile: true }).verdict, 4);
    assert.deepEqual(keys(scoreNetwork({ ...good, bitrate_kbps: 300 })), ['reason.bitrate-slow']);
    assert.equal(scoreNetwork({ ...good, bitrate_kbps: 300 }).verdict, 3);
    assert.equal(scoreNetwork({ ...good, bitrate_kbps: 120 }).verdict, 2);
    assert.deepEqual(scoreNetwork({ ...good, bitrate_kbps: 40 }), { verdict: 1, reasons: [{ key: 'reason.bitrate-too-slow', params: { kbps: 40 } }] });
    assert.equal(scoreNetwork({ ...good, bitrate_kbps: 0 }).verdict, 1);
  });

  test('a relay costs 1; penalties add up but the verdict stays within 1–5', () => {
    assert.deepEqual(scoreNetwork({ ...good, candidate_type: 'relay' }), { verdict: 4, reasons: [{ key: 'reason.relay', params: {} }] });
    const awful = scoreNetwork({ rtt_ms: 900, jitter_ms: 120, loss_percent: 30, bitrate_kbps: 50, candidate_type: 'relay' });
    assert.equal(awful.verdict, 1);
    assert.deepEqual(keys(awful), ['reason.rtt-very-high', 'reason.jitter-high', 'reason.loss-very-high', 'reason.bitrate-too-slow', 'reason.relay']);
    const mixed = scoreNetwork({ ...good, rtt_ms: 200, loss_percent: 2 });
    assert.equal(mixed.verdict, 3);
  });

  test('figures that were not measured are not held against the line', () => {
    assert.deepEqual(scoreNetwork({ rtt_ms: null, jitter_ms: null, loss_percent: null, bitrate_kbps: 1500, candidate_type: null }), { verdict: 5, reasons: [] });
  });
});

describe('scorePreflight', () => {
  test('before the network test: 5 from the devices, and says the test has not run', () => {
    const r = scorePreflight({ supported: true, camera: true, microphone: true });
    assert.equal(r.verdict, 5);
    assert.deepEqual(keys(r), ['reason.not-tested']);
  });

  test('an unsupported browser is 1 whatever else', () => {
    assert.deepEqual(scorePreflight({ supported: false, network: good }), { verdict: 1, reasons: [{ key: 'reason.unsupported', params: {} }] });
  });

  test('no microphone caps at 2, no camera at 3, reasons first', () => {
    const noMic = scorePreflight({ camera: true, microphone: false, network: good });
    assert.equal(noMic.verdict, 2);
    assert.deepEqual(keys(noMic), ['reason.no-microphone']);
    const noCam = scorePreflight({ camera: false, microphone: true, network: good });
    assert.equal(noCam.verdict, 3);
    const neither = scorePreflight({ camera: false, microphone: false, network: { ...good, rtt_ms: 200 } });
    assert.equal(neither.verdict, 2);
    assert.deepEqual(keys(neither), ['reason.no-camera', 'reason.no-microphone', 'reason.rtt-fair']);
    // A cap never raises a worse network verdict.
    assert.equal(scorePreflight({ camera: false, network: { failed: true } }).verdict, 1);
  });
});

// A getStats() snapshot as Chromium gives it (the members the test reads).
function chromeStats({ bytesSent, packetsSent, received, lost, jitter = 0.004, rtt = 0.03, remoteLost = 0, type = 'host', available = 2500000, pairRtt = 0.002 }) {
  return [
    { id: 'T01', type: 'transport', selectedCandidatePairId: 'CP1' },
    { id: 'CP0', type: 'candidate-pair', localCandidateId: 'Lrelay', state: 'succeeded', nominated: false, currentRoundTripTime: 0.2 },
    { id: 'CP1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', state: 'succeeded', nominated: true, currentRoundTripTime: pairRtt, availableOutgoingBitrate: available },
    { id: 'L1', type: 'local-candidate', candidateType: type },
    { id: 'Lrelay', type: 'local-candidate', candidateType: 'relay' },
    { id: 'OV', type: 'outbound-rtp', kind: 'video', bytesSent: bytesSent * 0.9, packetsSent: packetsSent * 0.8 },
    { id: 'OA', type: 'outbound-rtp', kind: 'audio', bytesSent: bytesSent * 0.1, packetsSent: packetsSent * 0.2 },
    { id: 'IV', type: 'inbound-rtp', kind: 'video', packetsReceived: received * 0.8, packetsLost: lost, jitter: 0.02 },
    { id: 'IA', type: 'inbound-rtp', kind: 'audio', packetsReceived: received * 0.2, packetsLost: 0, jitter },
    { id: 'RIV', type: 'remote-inbound-rtp', kind: 'video', roundTripTime: rtt, packetsLost: remoteLost },
    { id: 'RIA', type: 'remote-inbound-rtp', kind: 'audio', roundTripTime: rtt, jitter: 0.002, packetsLost: 0 },
  ];
}

describe('network test figures from getStats', () => {
  test('the selected pair: transport.selectedCandidatePairId, else Firefox\'s `selected`, else nominated', () => {
    assert.equal(selectedCandidateType(chromeStats({ bytesSent: 0, packetsSent: 0, received: 0, lost: 0, type: 'srflx' })), 'srflx');
    const firefox = [
      { id: 'p1', type: 'candidate-pair', localCandidateId: 'a', selected: false },
      { id: 'p2', type: 'candidate-pair', localCandidateId: 'b', selected: true },
      { id: 'a', type: 'local-candidate', candidateType: 'host' },
      { id: 'b', type: 'local-candidate', candidateType: 'relay' },
    ];
    assert.equal(selectedCandidateType(firefox), 'relay');
    assert.equal(selectedCandidateType([]), null);
  });

  test('extractSample sums the RTP streams and reads the pair', () => {
    const s = extractSample(chromeStats({ bytesSent: 1000, packetsSent: 100, received: 50, lost: 2 }), 1234);
    assert.equal(s.t, 1234);
    assert.equal(s.bytesSent, 1000);
    assert.equal(s.packetsSent, 100);
    assert.equal(s.received, 50);
    assert.equal(s.lost, 2);
    assert.equal(s.jitterMs, 4, 'audio jitter is preferred to video\'s');
    assert.equal(s.remoteRttMs, 30);
    assert.equal(s.remoteJitterMs, 2);
    assert.equal(s.pairRttMs, 2);
    assert.equal(s.availableKbps, 2500);
    assert.equal(s.candidateType, 'host');
  });

  test('summarizeNetworkTest: median RTT, worst jitter, loss over the test, best rate vs estimate', () => {
    const samples = [];
    const rtts = [0.05, 0.04, 0.5, 0.045, 0.042, 0.041];
    for (let i = 0; i < 6; i++) {
      samples.push(extractSample(chromeStats({
        bytesSent: 150000 * i * (i + 1) / 2,     // 1.2, 2.4, … Mbps: ramping up
        packetsSent: 200 * i,
        received: 190 * i,
        lost: i * 2,
        rtt: rtts[i],
        available: 900000 + 100000 * i,
        jitter: i === 3 ? 0.012 : 0.004,
      }), 1000 * i));
    }
    const summary = summarizeNetworkTest(samples);
    assert.equal(summary.rtt_ms, 44, 'the median, not thrown by one spike');
    assert.equal(summary.jitter_ms, 12);
    // 10 lost of 950 + 10
    assert.equal(summary.loss_percent, 1);
    // best one-second rate: the last second, 5 × 150000 bytes = 6000 kbps
    assert.equal(summary.bitrate_kbps, 6000);
    assert.equal(summary.candidate_type, 'host');
  });

  test('the browser\'s estimate counts when the sender has not ramped up yet', () => {
    const samples = [0, 1, 2].map((i) => extractSample(chromeStats({
      bytesSent: 30000 * i, packetsSent: 10 * i, received: 10 * i, lost: 0, available: 1800000,
    }), 1000 * i));
    assert.equal(summarizeNetworkTest(samples).bitrate_kbps, 1800);
  });

  test('RTT falls back to the ICE round trip without RTCP', () => {
    const samples = [0, 1, 2].map((i) => extractSample(chromeStats({
      bytesSent: 1000 * i, packetsSent: 10 * i, received: 10 * i, lost: 0, rtt: null, pairRtt: 0.08,
    }), 1000 * i));
    assert.equal(summarizeNetworkTest(samples).rtt_ms, 80);
  });

  test('upstream loss reported by the media server counts when worse than the loop\'s', () => {
    const a = extractSample(chromeStats({ bytesSent: 0, packetsSent: 0, received: 0, lost: 0, remoteLost: 0 }), 0);
    const b = extractSample(chromeStats({ bytesSent: 1e5, packetsSent: 1000, received: 1000, lost: 0, remoteLost: 50 }), 1000);
    assert.equal(summarizeNetworkTest([a, b]).loss_percent, 5);
  });

  test('fewer than two samples: the test failed', () => {
    assert.deepEqual(summarizeNetworkTest([]), { failed: true });
    assert.deepEqual(summarizeNetworkTest([extractSample([], 0)]), { failed: true });
    assert.deepEqual(summarizeNetworkTest(undefined), { failed: true });
  });

  test('no media at all: nothing measured, zero bitrate, verdict 1', () => {
    const empty = summarizeNetworkTest([extractSample([], 0), extractSample([], 1000)]);
    assert.deepEqual(empty, { rtt_ms: null, jitter_ms: null, loss_percent: null, bitrate_kbps: 0, candidate_type: null });
    assert.equal(scoreNetwork(empty).verdict, 1);
  });
});

describe('the browser', () => {
  const UA = {
    chromeLinux: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
    headless: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36',
    chromeAndroid: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36',
    edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.2849.68',
    firefox: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    safariMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
    safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    chromeIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1',
    samsung: 'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36',
  };

  test('describeBrowser names it as the clinic would say it', () => {
    assert.equal(describeBrowser(UA.chromeLinux).label, 'Chrome 156');
    assert.equal(describeBrowser(UA.headless).label, 'Chrome 156');
    assert.deepEqual(describeBrowser(UA.edge), { family: 'edge', version: 130, label: 'Edge 130', ios: false, android: false });
    assert.equal(describeBrowser(UA.firefox).label, 'Firefox 128');
    assert.equal(describeBrowser(UA.safariMac).label, 'Safari 17');
    assert.equal(describeBrowser(UA.safariIphone).ios, true);
    assert.equal(describeBrowser(UA.chromeIphone).label, 'Chrome 124');
    assert.equal(describeBrowser(UA.samsung).family, 'samsung');
    assert.equal(describeBrowser('curl/8').family, 'other');
  });

  test('a short permission hint per browser', () => {
    const hint = (ua) => permissionHintKey(describeBrowser(ua));
    assert.equal(hint(UA.chromeLinux), 'hint.chrome');
    assert.equal(hint(UA.chromeAndroid), 'hint.chrome-android');
    assert.equal(hint(UA.edge), 'hint.edge');
    assert.equal(hint(UA.firefox), 'hint.firefox');
    assert.equal(hint(UA.safariMac), 'hint.safari');
    assert.equal(hint(UA.safariIphone), 'hint.safari-ios');
    assert.equal(hint(UA.chromeIphone), 'hint.safari-ios', 'every iOS browser is Safari underneath');
    assert.equal(hint(UA.samsung), 'hint.samsung');
    assert.equal(hint('curl/8'), 'hint.other');
    for (const ua of Object.values(UA))
      assert.ok(i18n.hasMessage(hint(ua)));
  });

  test('missingFeatures', () => {
    const all = { secureContext: true, RTCPeerConnection: true, getUserMedia: true, modules: true };
    assert.deepEqual(missingFeatures(all), []);
    assert.deepEqual(missingFeatures({ ...all, secureContext: false, getUserMedia: false }), ['secure-context', 'getUserMedia']);
  });

  test('preflightReport holds exactly the contract\'s members (unknown members are refused)', () => {
    const allowed = ['verdict', 'reasons', 'rtt_ms', 'jitter_ms', 'loss_percent', 'bitrate_kbps', 'candidate_type', 'camera', 'microphone', 'browser', 'mobile'];
    const full = preflightReport({ verdict: 4, reasons: ['x'], network: { ...good, extra: 1 }, camera: 1, microphone: true, browser: 'Chrome 156', mobile: 0 });
    assert.deepEqual(Object.keys(full).sort(), [...allowed].sort());
    assert.equal(full.camera, true);
    assert.equal(full.mobile, false);
    const local = preflightReport({ verdict: 5, reasons: [], network: null, camera: true, microphone: true, browser: 'Chrome 156', mobile: false });
    assert.deepEqual(Object.keys(local).sort(), ['browser', 'camera', 'microphone', 'mobile', 'reasons', 'verdict']);
    const partial = preflightReport({ verdict: 3, reasons: [], network: { ...good, rtt_ms: null }, camera: true, microphone: true, browser: 'b', mobile: false });
    assert.equal('rtt_ms' in partial, false, 'nulls are left out');
    assert.equal(preflightReport({ verdict: 1, reasons: [], network: { failed: true } }).rtt_ms, undefined);
  });
});

describe('capture and bitrate profiles', () => {
  test('a phone: coarse pointer and a small screen, or the browser says so; a tablet is a desktop', () => {
    assert.equal(profile.isPhone({ coarsePointer: true, screenWidth: 390, screenHeight: 844 }), true);
    assert.equal(profile.isPhone({ coarsePointer: true, screenWidth: 844, screenHeight: 390 }), true, 'landscape');
    assert.equal(profile.isPhone({ coarsePointer: true, screenWidth: 820, screenHeight: 1180 }), false, 'a tablet');
    assert.equal(profile.isPhone({ coarsePointer: false, screenWidth: 390, screenHeight: 844 }), false, 'a narrow desktop window');
    assert.equal(profile.isPhone({ coarsePointer: false, screenWidth: 1920, screenHeight: 1080, uaMobile: true }), true);
    assert.equal(profile.isPhone({}), false);
  });

  test('scaleEncodings keeps the proportions and the total under the cap', () => {
    const scaled = profile.scaleEncodings(SIMULCAST_ENCODINGS, 1000000);
    const total = scaled.reduce((a, e) => a + e.maxBitrate, 0);
    assert.ok(total <= 1000000 && total > 999990, `total ${total}`);
    assert.deepEqual(scaled.map((e) => e.rid), ['l', 'm', 'h']);
    assert.deepEqual(scaled.map((e) => e.scaleResolutionDownBy), [4, 2, undefined]);
    assert.ok(scaled[0].maxBitrate < scaled[1].maxBitrate && scaled[1].maxBitrate < scaled[2].maxBitrate);
    assert.equal(Math.round(scaled[2].maxBitrate / scaled[0].maxBitrate), 10);
    // Already under the cap: unchanged (but copies).
    const same = profile.scaleEncodings(SIMULCAST_ENCODINGS, 5000000);
    assert.deepEqual(same, SIMULCAST_ENCODINGS.map((e) => ({ ...e })));
    assert.notEqual(same[0], SIMULCAST_ENCODINGS[0]);
  });

  test('callOptionsFor: desktop 1280x720@24 as the call defaults; phone 640x480@24, two layers, 1000 kbps in all', () => {
    assert.deepEqual(profile.callOptionsFor(profile.DESKTOP), { width: 1280, height: 720, fps: 24 });
    const phone = profile.callOptionsFor(profile.PHONE);
    assert.equal(phone.width, 640);
    assert.equal(phone.height, 480);
    assert.equal(phone.fps, 24);
    assert.equal(phone.singleEncodingMaxBitrate, 1000000);
    // Chromium sends at most two layers of a 640x480 source and drops the
    // highest encodings beyond that: two layers, 320x240 and 640x480, lowest first.
    assert.deepEqual(phone.simulcastEncodings.map((e) => [e.rid, e.scaleResolutionDownBy]), [['l', 2], ['h', 1]]);
    assert.ok(phone.simulcastEncodings.reduce((a, e) => a + e.maxBitrate, 0) <= 1000000);
    assert.equal(Object.isFrozen(profile.PHONE_SIMULCAST_ENCODINGS), true);
  });
});

describe('i18n', () => {
  test('t fills placeholders, leaves unknown ones, falls back to English, and shows a missing key as itself', () => {
    assert.equal(i18n.t('waiting.position', { position: 3 }), 'You are number 3 in line.');
    assert.equal(i18n.t('waiting.position'), 'You are number {position} in line.');
    assert.equal(i18n.t('waiting.next', {}, 'xx'), 'You are next.');
    const warn = console.warn;
    console.warn = () => {};
    try {
      assert.equal(i18n.t('no.such.key'), 'no.such.key');
    } finally {
      console.warn = warn;
    }
  });

  test('plurals through Intl.PluralRules', () => {
    assert.equal(i18n.t('wait.minutes', { count: 1 }), 'about 1 minute');
    assert.equal(i18n.t('wait.minutes', { count: 10 }), 'about 10 minutes');
  });

  test('waitPhrase says a wait the way people do', () => {
    assert.equal(i18n.waitPhrase(0), 'less than a minute');
    assert.equal(i18n.waitPhrase(29), 'less than a minute');
    assert.equal(i18n.waitPhrase(60), 'about 1 minute');
    assert.equal(i18n.waitPhrase(600), 'about 10 minutes');
    assert.equal(i18n.waitPhrase(89 * 60), 'about 89 minutes');
    assert.equal(i18n.waitPhrase(2 * 3600), 'about 2 hours');
    assert.equal(i18n.waitPhrase(null), 'not known yet');
    assert.equal(i18n.waitPhrase(-5), 'not known yet');
  });

  test('chooseLanguage: exact, then primary language, then English', () => {
    assert.equal(i18n.chooseLanguage(['en-GB']), 'en');
    assert.equal(i18n.chooseLanguage(['xx-YY', 'en']), 'en');
    assert.equal(i18n.chooseLanguage([]), 'en');
    assert.equal(i18n.chooseLanguage(['es-MX', 'en']), 'es');
    assert.equal(i18n.chooseLanguage(['fr-CA']), 'fr');
    assert.equal(i18n.chooseLanguage(['de', 'fr-FR', 'es']), 'fr');
    // A partial table falls back to English key by key: simulate one.
    i18n.MESSAGES.eo = { 'waiting.next': 'Vi estas la sekva.' };
    try {
      assert.equal(i18n.chooseLanguage(['eo-XX', 'en']), 'eo');
      assert.equal(i18n.t('waiting.next', {}, 'eo'), 'Vi estas la sekva.');
      assert.equal(i18n.t('waiting.leave', {}, 'eo'), 'Leave the waiting room', 'a missing translation falls back to English');
    } finally {
      delete i18n.MESSAGES.eo;
    }
  });

  test('every key the app uses is in the English table, and every reason of the scoring too', () => {
    const used = new Set();
    const html = readFileSync(join(WEB_ROOT, 'patient.html'), 'utf8');
    for (const m of html.matchAll(/data-i18n="([^"]+)"/g))
      used.add(m[1]);
    for (const m of html.matchAll(/data-i18n-attr="([^"]+)"/g)) {
      for (const pair of m[1].split(';'))
        used.add(pair.split(':')[1].trim());
    }
    for (const file of readdirSync(join(WEB_ROOT, 'js'))) {
      const source = readFileSync(join(WEB_ROOT, 'js', file), 'utf8');
      for (const m of source.matchAll(/\bt\(\s*'([a-z0-9.-]+)'/g))
        used.add(m[1]);
      for (const m of source.matchAll(/'((?:reason|hint|route|verdict|ended)\.[a-z0-9-]+)'/g))
        used.add(m[1]);
    }
    for (const v of [1, 2, 3, 4, 5])
      used.add(`verdict.${v}`);
    for (const r of ['host', 'srflx', 'prflx', 'relay', 'unknown'])
      used.add(`route.${r}`);
    const missing = [...used].filter((k) => !i18n.hasMessage(k));
    assert.deepEqual(missing, []);
    assert.ok(used.size > 60, `found ${used.size} keys in use`);
  });

  test('no dead strings: every English message is used somewhere', () => {
    const html = readFileSync(join(WEB_ROOT, 'patient.html'), 'utf8');
    const sources = readdirSync(join(WEB_ROOT, 'js')).map((file) => readFileSync(join(WEB_ROOT, 'js', file), 'utf8'))
      .join('\n').replace(/export const MESSAGES[\s\S]*?\n};/, '');
    const all = `${sources}\n${html}`;
    // verdict.N and route.<type> are looked up by a computed key.
    const unused = Object.keys(i18n.MESSAGES.en).filter((key) => !/^(verdict|route)\./.test(key) &&
      !all.includes(`'${key}'`) && !all.includes(`"${key}"`) && !all.includes(`:${key}`));
    assert.deepEqual(unused, []);
  });

  test('the English reasons are short sentences for the clinic', () => {
    for (const [key, message] of Object.entries(i18n.MESSAGES.en)) {
      if (!key.startsWith('reason.'))
        continue;
      const text = i18n.t(key, { ms: 999, percent: 99.9, kbps: 99999 }, 'en');
      assert.ok(text.length <= 100, `${key}: ${text}`);
      assert.doesNotMatch(text, /\{\w+\}/, `${key} has every placeholder filled: ${message}`);
    }
  });
});

describe('the visit code in the path', () => {
  test('codeFromPath takes /v/<code> only', () => {
    assert.equal(visitApi.codeFromPath('/v/3f0c5e8a9b7d4c2e1f0a9b8c7d6e5f40'), '3f0c5e8a9b7d4c2e1f0a9b8c7d6e5f40');
    assert.equal(visitApi.codeFromPath('/v/abc/'), 'abc');
    assert.equal(visitApi.codeFromPath('/v/'), null);
    assert.equal(visitApi.codeFromPath('/v/a/b'), null);
    assert.equal(visitApi.codeFromPath('/v/%2e%2e'), null);
    assert.equal(visitApi.codeFromPath('/patient.html'), null);
    assert.equal(visitApi.codeFromPath(`/v/${'a'.repeat(65)}`), null);
  });
});
