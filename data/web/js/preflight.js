// SPDX-License-Identifier: GPL-3.0-or-later
//
// Preflight scoring: pure functions, no DOM, no WebRTC objects. The browser
// side (devices.js, network-test.js) turns what it sees into plain values and
// getStats() snapshots into arrays of plain stats dictionaries; these
// functions turn those into the figures and the 1–5 verdict sent with the
// check-in (docs/waiting-room.md). Unit tests: tests/browser/preflight-unit.test.mjs.
//
// Reasons are returned as { key, params } for i18n.js, so the patient reads
// them in their language and the clinic gets them in English.

/**
 * Thresholds: each list is [limit, penalty, reason key] in increasing
 * order; a value above a limit takes that penalty (the last one it passes).
 * The call needs about 150–300 ms of round trip at most to feel natural,
 * jitter up to 30 ms is absorbed by the jitter buffer, and a few per cent of
 * loss is repaired by NACK/FEC.
 */
export const RTT_STEPS = Object.freeze([
  [150, 1, 'reason.rtt-fair'],
  [300, 2, 'reason.rtt-high'],
  [500, 3, 'reason.rtt-very-high'],
]);
export const JITTER_STEPS = Object.freeze([
  [30, 1, 'reason.jitter-fair'],
  [50, 2, 'reason.jitter-high'],
]);
export const LOSS_STEPS = Object.freeze([
  [1, 1, 'reason.loss-some'],
  [3, 2, 'reason.loss-high'],
  [8, 3, 'reason.loss-very-high'],
]);

/**
 * Upload needed, in kbps: a desktop sends up to 2.15 Mbps of simulcast but
 * looks fine from 1 Mbps (the top layer shrinks); a phone is capped at
 * 1 Mbps and looks fine from 600 kbps. Below that: [floor, penalty, key],
 * checked from the top.
 */
export const BITRATE_GOOD_KBPS = Object.freeze({ desktop: 1000, mobile: 600 });
export const BITRATE_STEPS = Object.freeze([
  [500, 1, 'reason.bitrate-limited'],
  [250, 2, 'reason.bitrate-slow'],
  [100, 3, 'reason.bitrate-very-slow'],
  [0, 4, 'reason.bitrate-too-slow'],
]);

const clampVerdict = (v) => Math.max(1, Math.min(5, Math.round(v)));

function stepPenalty(value, steps, paramName) {
  let found = null;
  for (const [limit, penalty, key] of steps) {
    if (value > limit)
      found = { penalty, reason: { key, params: { [paramName]: value } } };
  }
  return found;
}

const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);

/**
 * The network part of the verdict. @summary is summarizeNetworkTest()'s
 * result (or { failed: true } when the test could not run at all).
 * Resolves { verdict: 1–5, reasons: [{key, params}] }.
 */
export function scoreNetwork(summary, { mobile = false } = {}) {
  if (!summary || summary.failed)
    return { verdict: 1, reasons: [{ key: 'reason.unreachable', params: {} }] };
  const reasons = [];
  let penalty = 0;
  const add = (found) => {
    if (found) {
      penalty += found.penalty;
      reasons.push(found.reason);
    }
  };
  if (isNumber(summary.rtt_ms))
    add(stepPenalty(summary.rtt_ms, RTT_STEPS, 'ms'));
  if (isNumber(summary.jitter_ms))
    add(stepPenalty(summary.jitter_ms, JITTER_STEPS, 'ms'));
  if (isNumber(summary.loss_percent))
    add(stepPenalty(summary.loss_percent, LOSS_STEPS, 'percent'));
  if (isNumber(summary.bitrate_kbps)) {
    const good = mobile ? BITRATE_GOOD_KBPS.mobile : BITRATE_GOOD_KBPS.desktop;
    if (summary.bitrate_kbps < good) {
      const kbps = summary.bitrate_kbps;
      const [, p, key] = BITRATE_STEPS.find(([floor]) => kbps >= floor) ?? BITRATE_STEPS[BITRATE_STEPS.length - 1];
      add({ penalty: p, reason: { key, params: { kbps } } });
    }
  }
  if (summary.candidate_type === 'relay')
    add({ penalty: 1, reason: { key: 'reason.relay', params: {} } });
  return { verdict: clampVerdict(5 - penalty), reasons };
}

/**
 * The whole verdict: browser support, devices and (once it ran) the network.
 *   supported  – the browser has what a call needs
 *   camera, microphone – each works
 *   network    – summarizeNetworkTest()'s result, { failed: true }, or
 *                undefined before the test ran
 * No microphone caps the verdict at 2 (the provider cannot hear the
 * patient), no camera at 3 (a phone-like visit is still possible).
 */
export function scorePreflight({ supported = true, camera = true, microphone = true, network, mobile = false } = {}) {
  if (!supported)
    return { verdict: 1, reasons: [{ key: 'reason.unsupported', params: {} }] };
  let verdict = 5;
  const reasons = [];
  if (network === undefined || network === null) {
    reasons.push({ key: 'reason.not-tested', params: {} });
  } else {
    const net = scoreNetwork(network, { mobile });
    verdict = net.verdict;
    reasons.push(...net.reasons);
  }
  if (!microphone) {
    verdict = Math.min(verdict, 2);
    reasons.unshift({ key: 'reason.no-microphone', params: {} });
  }
  if (!camera) {
    verdict = Math.min(verdict, 3);
    reasons.unshift({ key: 'reason.no-camera', params: {} });
  }
  return { verdict: clampVerdict(verdict), reasons };
}

// ------------------------------------------------------------ stats → figures

const median = (values) => {
  if (values.length === 0)
    return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The selected candidate pair of a stats array (RTCStatsReport values). */
export function selectedCandidatePair(stats) {
  const byId = new Map(stats.map((s) => [s.id, s]));
  for (const s of stats) {
    if (s.type === 'transport' && s.selectedCandidatePairId && byId.has(s.selectedCandidatePairId))
      return byId.get(s.selectedCandidatePairId);
  }
  // Firefox marks it `selected`; otherwise a nominated, succeeded pair.
  return stats.find((s) => s.type === 'candidate-pair' && s.selected) ??
    stats.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') ?? null;
}

/** host / srflx / prflx / relay of our end of the selected pair, or null. */
export function selectedCandidateType(stats) {
  const pair = selectedCandidatePair(stats);
  if (!pair)
    return null;
  const local = stats.find((s) => s.id === pair.localCandidateId);
  return local?.candidateType ?? null;
}

/**
 * The numbers of one getStats() snapshot that the network test needs:
 *   bytesSent, packetsSent      – all outbound-rtp
 *   received, lost              – all inbound-rtp (the echo coming back)
 *   jitterMs                    – audio inbound-rtp jitter, else video's, else null
 *   remoteRttMs, remoteJitterMs – remote-inbound-rtp (RTCP from the media server)
 *   remoteLost                  – remote-inbound-rtp packetsLost, summed
 *   pairRttMs, availableKbps    – the selected candidate pair
 *   candidateType
 */
export function extractSample(stats, t = 0) {
  const sample = {
    t, bytesSent: 0, packetsSent: 0, received: 0, lost: 0, jitterMs: null,
    remoteRttMs: null, remoteJitterMs: null, remoteLost: 0,
    pairRttMs: null, availableKbps: null, candidateType: null,
  };
  let audioJitter = null;
  let videoJitter = null;
  for (const s of stats) {
    if (s.type === 'outbound-rtp') {
      sample.bytesSent += s.bytesSent ?? 0;
      sample.packetsSent += s.packetsSent ?? 0;
    } else if (s.type === 'inbound-rtp') {
      sample.received += s.packetsReceived ?? 0;
      sample.lost += Math.max(0, s.packetsLost ?? 0);
      if (isNumber(s.jitter)) {
        if (s.kind === 'audio')
          audioJitter = Math.max(audioJitter ?? 0, s.jitter * 1000);
        else
          videoJitter = Math.max(videoJitter ?? 0, s.jitter * 1000);
      }
    } else if (s.type === 'remote-inbound-rtp') {
      if (isNumber(s.roundTripTime) && s.roundTripTime > 0)
        sample.remoteRttMs = Math.max(sample.remoteRttMs ?? 0, s.roundTripTime * 1000);
      if (isNumber(s.jitter) && s.kind === 'audio')
        sample.remoteJitterMs = Math.max(sample.remoteJitterMs ?? 0, s.jitter * 1000);
      sample.remoteLost += Math.max(0, s.packetsLost ?? 0);
    }
  }
  sample.jitterMs = audioJitter ?? videoJitter;
  const pair = selectedCandidatePair(stats);
  if (pair) {
    if (isNumber(pair.currentRoundTripTime))
      sample.pairRttMs = pair.currentRoundTripTime * 1000;
    if (isNumber(pair.availableOutgoingBitrate))
      sample.availableKbps = pair.availableOutgoingBitrate / 1000;
    const local = stats.find((s) => s.id === pair.localCandidateId);
    sample.candidateType = local?.candidateType ?? null;
  }
  return sample;
}

/**
 * The network test's figures from its samples (extractSample() results,
 * oldest first, taken about a second apart while media flowed):
 *   rtt_ms        – median of the RTCP round trip (remote-inbound-rtp), or
 *                   of the ICE one (candidate-pair) where there is none
 *   jitter_ms     – the largest jitter seen, either way
 *   loss_percent  – packets lost on the loop (out and back) over the test,
 *                   or upstream as the media server reported it, whichever is worse
 *   bitrate_kbps  – what the connection carried: the best one-second send
 *                   rate, or the browser's own estimate of the available
 *                   upload (availableOutgoingBitrate), whichever is higher
 *                   (the sender starts low and ramps up, so five seconds of
 *                   sending alone underrate a good line)
 *   candidate_type
 * Returns { failed: true } without at least two samples.
 */
export function summarizeNetworkTest(samples) {
  if (!Array.isArray(samples) || samples.length < 2)
    return { failed: true };
  const first = samples[0];
  const last = samples[samples.length - 1];

  const remoteRtts = samples.map((s) => s.remoteRttMs).filter(isNumber);
  const pairRtts = samples.map((s) => s.pairRttMs).filter(isNumber);
  const rtt = median(remoteRtts.length ? remoteRtts : pairRtts);

  const jitters = samples.flatMap((s) => [s.jitterMs, s.remoteJitterMs]).filter(isNumber);
  const jitter = jitters.length ? Math.max(...jitters) : null;

  const received = last.received - first.received;
  const lost = last.lost - first.lost;
  const loopLoss = received + lost > 0 ? (100 * lost) / (received + lost) : null;
  const sent = last.packetsSent - first.packetsSent;
  const upLost = last.remoteLost - first.remoteLost;
  const upLoss = sent > 0 ? (100 * Math.max(0, upLost)) / sent : null;
  const losses = [loopLoss, upLoss].filter(isNumber);
  const loss = losses.length ? Math.max(...losses) : null;

  let bestRate = 0;
  for (let i = 1; i < samples.length; i++) {
    const dt = (samples[i].t - samples[i - 1].t) / 1000;
    if (dt >= 0.5)
      bestRate = Math.max(bestRate, ((samples[i].bytesSent - samples[i - 1].bytesSent) * 8) / dt / 1000);
  }
  const available = samples.map((s) => s.availableKbps).filter(isNumber);
  const bitrate = Math.max(bestRate, available.length ? Math.max(...available) : 0);

  const round1 = (v) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    rtt_ms: rtt === null ? null : Math.round(rtt),
    jitter_ms: jitter === null ? null : Math.round(jitter),
    loss_percent: round1(loss),
    bitrate_kbps: Math.round(bitrate),
    candidate_type: [...samples].reverse().find((s) => s.candidateType)?.candidateType ?? null,
  };
}

// ------------------------------------------------------------- the browser

/**
 * The browser from its user agent string: { family, version, label, ios,
 * android }. family is one of edge, samsung, opera, chrome, firefox,
 * safari, other; label is e.g. "Chrome 156" (sent to the clinic).
 */
export function describeBrowser(ua = '') {
  const ios = /\b(iPhone|iPad|iPod)\b/.test(ua) || (/Macintosh/.test(ua) && /Mobile\//.test(ua));
  const android = /\bAndroid\b/.test(ua);
  const rules = [
    ['edge', 'Edge', /\bEdg(?:e|A|iOS)?\/(\d+)/],
    ['samsung', 'Samsung Internet', /\bSamsungBrowser\/(\d+)/],
    ['opera', 'Opera', /\bOPR\/(\d+)/],
    ['chrome', 'Chrome', /\bCriOS\/(\d+)/],
    ['firefox', 'Firefox', /\bFxiOS\/(\d+)/],
    ['firefox', 'Firefox', /\bFirefox\/(\d+)/],
    ['chrome', 'Chrome', /\b(?:Headless)?Chrom(?:e|ium)\/(\d+)/],
    ['safari', 'Safari', /\bVersion\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari\//],
  ];
  for (const [family, name, re] of rules) {
    const m = re.exec(ua);
    if (m)
      return { family, version: Number(m[1]), label: `${name} ${m[1]}`, ios, android };
  }
  return { family: 'other', version: null, label: 'Other browser', ios, android };
}

/** The i18n key of the short "how to allow the camera" hint for @browser. */
export function permissionHintKey(browser) {
  if (browser.ios)
    return 'hint.safari-ios';
  switch (browser.family) {
    case 'chrome':
      return browser.android ? 'hint.chrome-android' : 'hint.chrome';
    case 'edge':
      return 'hint.edge';
    case 'firefox':
      return 'hint.firefox';
    case 'safari':
      return 'hint.safari';
    case 'samsung':
      return 'hint.samsung';
    default:
      return 'hint.other';
  }
}

/**
 * What the browser lacks for a call, as a list of names (empty: fine).
 * @env: { RTCPeerConnection, getUserMedia, modules, secureContext } booleans.
 */
export function missingFeatures(env) {
  const missing = [];
  if (!env.secureContext)
    missing.push('secure-context');
  if (!env.RTCPeerConnection)
    missing.push('RTCPeerConnection');
  if (!env.getUserMedia)
    missing.push('getUserMedia');
  if (!env.modules)
    missing.push('modules');
  return missing;
}

/** The check-in's `preflight` member, exactly the contract's fields. */
export function preflightReport({ verdict, reasons, network, camera, microphone, browser, mobile }) {
  const report = {
    verdict,
    reasons,
    camera: Boolean(camera),
    microphone: Boolean(microphone),
    browser,
    mobile: Boolean(mobile),
  };
  if (network && !network.failed) {
    for (const key of ['rtt_ms', 'jitter_ms', 'loss_percent', 'bitrate_kbps', 'candidate_type']) {
      if (network[key] !== null && network[key] !== undefined)
        report[key] = network[key];
    }
  }
  return report;
}
