// SPDX-License-Identifier: GPL-3.0-or-later
//
// Network quality levels 0–5 the way Twilio's Network Quality API defines
// them (5 excellent … 1 bad, 0 broken/reconnecting), relative to what the
// participant is trying to send and receive. The same rules as
// src/common/hc-network-quality.c; both are pinned by
// tests/fixtures/network-quality/scoring.json (tests/node/network-quality.test.mjs
// runs it here, tests/test-network-quality.c there).
//
// Pure: score() works on plain numbers; inputFromStats() turns two getStats()
// snapshots into those numbers. The Call (js/call.js) samples every 2 s.

/** The lowest ratio (bandwidth) or the highest value (the rest) that still
 * earns 5, 4, 3, 2; anything worse earns 1. See hc-network-quality.c for why. */
export const THRESHOLDS = Object.freeze({
  bandwidth: Object.freeze([0.85, 0.70, 0.55, 0.20]),
  loss: Object.freeze([0.010, 0.025, 0.040, 0.100]),
  rtt: Object.freeze([200, 350, 500, 800]),
  jitter: Object.freeze([30, 50, 80, 150]),
});

/** Wire names, in order of precedence on a tie (docs/protocol.md). */
export const REASONS = Object.freeze([
  'none', 'reconnecting', 'send-loss', 'send-bandwidth', 'recv-loss', 'recv-bandwidth', 'latency', 'jitter',
]);

const KINDS = ['audio', 'video'];
const DIRECTIONS = ['send', 'recv'];

const known = (value) => typeof value === 'number' && Number.isFinite(value) && value >= 0;

function levelAtMost(value, max) {
  for (let i = 0; i < 4; i++)
    if (value <= max[i])
      return 5 - i;
  return 1;
}

export function bandwidthLevel(ratio) {
  for (let i = 0; i < 4; i++)
    if (ratio >= THRESHOLDS.bandwidth[i])
      return 5 - i;
  return 1;
}
export const lossLevel = (fraction) => levelAtMost(fraction, THRESHOLDS.loss);
export const rttLevel = (ms) => levelAtMost(ms, THRESHOLDS.rtt);
export const jitterLevel = (ms) => levelAtMost(ms, THRESHOLDS.jitter);

const rank = (reason) => REASONS.indexOf(reason);

function scoreOne(stats, direction) {
  let level = 5;
  let reason = 'none';
  const consider = (candidate, why) => {
    if (candidate < level) {
      level = candidate;
      reason = why;
    }
  };
  if (!stats || stats.active === false)
    return { level, reason };
  if (known(stats.fraction_lost))
    consider(lossLevel(stats.fraction_lost), `${direction}-loss`);
  if (known(stats.expected_bps) && stats.expected_bps > 0 && (known(stats.achieved_bps) || known(stats.available_bps))) {
    // What the path can carry: what went through, or the stack's estimate when
    // that is higher (an encoder held back by the CPU is not the network's fault).
    const carried = Math.max(known(stats.achieved_bps) ? stats.achieved_bps : -1,
      known(stats.available_bps) ? stats.available_bps : -1);
    consider(bandwidthLevel(carried / stats.expected_bps), `${direction}-bandwidth`);
  }
  if (known(stats.rtt_ms))
    consider(rttLevel(stats.rtt_ms), 'latency');
  if (known(stats.jitter_ms))
    consider(jitterLevel(stats.jitter_ms), 'jitter');
  return { level, reason };
}

/**
 * input: {connected (default true), audio: {send: {…}, recv: {…}}, video: …}
 * where each direction has expected_bps, achieved_bps, available_bps,
 * fraction_lost (0–1), rtt_ms, jitter_ms (any may be missing) and active
 * (default true when the direction is there at all).
 * → {level, reason, audio: {send, recv}, video: {send, recv}}
 */
export function score(input = {}) {
  const result = { level: 5, reason: 'none', audio: { send: 5, recv: 5 }, video: { send: 5, recv: 5 } };
  if (input.connected === false) {
    return { level: 0, reason: 'reconnecting', audio: { send: 0, recv: 0 }, video: { send: 0, recv: 0 } };
  }
  for (const kind of KINDS) {
    for (const direction of DIRECTIONS) {
      const { level, reason } = scoreOne(input[kind]?.[direction], direction);
      result[kind][direction] = level;
      if (level < result.level || (level === result.level && level < 5 && rank(reason) < rank(result.reason))) {
        result.level = level;
        result.reason = reason;
      }
    }
  }
  return result;
}

/** The i18n keys of the reasons' sentences (js/i18n.js), spelled out so that
 * the check for unused strings sees them. */
const REASON_KEYS = Object.freeze({
  self: Object.freeze({
    reconnecting: 'nq.self.reconnecting',
    'send-loss': 'nq.self.send-loss',
    'send-bandwidth': 'nq.self.send-bandwidth',
    'recv-loss': 'nq.self.recv-loss',
    'recv-bandwidth': 'nq.self.recv-bandwidth',
    latency: 'nq.self.latency',
    jitter: 'nq.self.jitter',
  }),
  remote: Object.freeze({
    reconnecting: 'nq.remote.reconnecting',
    'send-loss': 'nq.remote.send-loss',
    'send-bandwidth': 'nq.remote.send-bandwidth',
    'recv-loss': 'nq.remote.recv-loss',
    'recv-bandwidth': 'nq.remote.recv-bandwidth',
    latency: 'nq.remote.latency',
    jitter: 'nq.remote.jitter',
  }),
});

/** The i18n key of a reason's sentence, for the local participant ('self') or
 * about someone else ('remote', with {name}); null for 'none'. */
export function reasonKey(reason, whose = 'self') {
  return REASON_KEYS[whose]?.[reason] ?? null;
}

// ------------------------------------------------------------ from getStats

/** A report (RTCStatsReport, a Map, or an array of stats objects) as a Map by id. */
export function statsMap(report) {
  if (report instanceof Map)
    return report;
  const map = new Map();
  if (Array.isArray(report)) {
    for (const stat of report)
      map.set(stat.id, stat);
  } else if (report && typeof report.forEach === 'function') {
    report.forEach((stat) => map.set(stat.id, stat));
  }
  return map;
}

function byType(map, type) {
  return [...map.values()].filter((s) => s.type === type);
}

function selectedPair(map) {
  for (const transport of byType(map, 'transport')) {
    if (transport.selectedCandidatePairId && map.has(transport.selectedCandidatePairId))
      return map.get(transport.selectedCandidatePairId);
  }
  return byType(map, 'candidate-pair').find((p) => p.nominated && p.state === 'succeeded') ?? null;
}

const kindOf = (stat) => stat.kind ?? stat.mediaType;
const seconds = (before, after) => (after.timestamp - before.timestamp) / 1000;

/**
 * One direction's numbers for the sending peer connection, from two
 * snapshots (before, after) of its getStats(). expected: {audio, video} in
 * bits per second (0 or missing: not scored); active: {audio, video}.
 */
export function sendStats(beforeReport, afterReport, { expected = {}, active = {} } = {}) {
  const before = statsMap(beforeReport);
  const after = statsMap(afterReport);
  const pair = selectedPair(after);
  const out = {};
  for (const kind of KINDS) {
    const outbound = byType(after, 'outbound-rtp').filter((s) => kindOf(s) === kind);
    if (outbound.length === 0 || active[kind] === false)
      continue;
    let bytes = 0;
    let dt = 0;
    let packets = 0;
    let lossWeighted = 0;
    let lossPackets = 0;
    let rtt = -1;
    let jitter = -1;
    for (const now of outbound) {
      const then = before.get(now.id);
      if (!then)
        continue;
      dt = Math.max(dt, seconds(then, now));
      bytes += (now.bytesSent ?? 0) - (then.bytesSent ?? 0);
      const sent = (now.packetsSent ?? 0) - (then.packetsSent ?? 0);
      packets += sent;
      const remote = [...after.values()].find((s) => s.type === 'remote-inbound-rtp' && s.localId === now.id);
      if (remote) {
        if (known(remote.fractionLost)) {
          // Weighted by what each simulcast layer sent: a thin layer's one lost
          // packet must not outweigh a thick one's thousand.
          lossWeighted += remote.fractionLost * Math.max(sent, 1);
          lossPackets += Math.max(sent, 1);
        }
        if (known(remote.roundTripTime))
          rtt = Math.max(rtt, remote.roundTripTime * 1000);
        if (known(remote.jitter))
          jitter = Math.max(jitter, remote.jitter * 1000);
      }
    }
    if (dt <= 0)
      continue;
    const stats = { expected_bps: expected[kind] ?? 0, achieved_bps: Math.round((bytes * 8) / dt) };
    if (kind === 'video' && pair && known(pair.availableOutgoingBitrate))
      stats.available_bps = pair.availableOutgoingBitrate;
    if (lossPackets > 0)
      stats.fraction_lost = round4(lossWeighted / lossPackets);
    if (rtt < 0 && pair && known(pair.currentRoundTripTime))
      rtt = pair.currentRoundTripTime * 1000;
    if (rtt >= 0)
      stats.rtt_ms = Math.round(rtt);
    if (jitter >= 0)
      stats.jitter_ms = Math.round(jitter);
    out[kind] = stats;
  }
  return out;
}

/** The same for receiving peer connections: one {before, after} per remote. */
export function recvStats(pairs) {
  const acc = {};
  for (const { before: beforeReport, after: afterReport } of pairs) {
    const before = statsMap(beforeReport);
    const after = statsMap(afterReport);
    const pair = selectedPair(after);
    for (const now of byType(after, 'inbound-rtp')) {
      const then = before.get(now.id);
      const kind = kindOf(now);
      if (!then || !KINDS.includes(kind))
        continue;
      const a = (acc[kind] ??= { bytes: 0, dt: 0, received: 0, lost: 0, jitter: -1, rtt: -1 });
      a.dt = Math.max(a.dt, seconds(then, now));
      a.bytes += (now.bytesReceived ?? 0) - (then.bytesReceived ?? 0);
      a.received += (now.packetsReceived ?? 0) - (then.packetsReceived ?? 0);
      a.lost += Math.max(0, (now.packetsLost ?? 0) - (then.packetsLost ?? 0));
      if (known(now.jitter))
        a.jitter = Math.max(a.jitter, now.jitter * 1000);
      if (pair && known(pair.currentRoundTripTime))
        a.rtt = Math.max(a.rtt, pair.currentRoundTripTime * 1000);
    }
  }
  const out = {};
  for (const [kind, a] of Object.entries(acc)) {
    if (a.dt <= 0)
      continue;
    const stats = { expected_bps: 0, achieved_bps: Math.round((a.bytes * 8) / a.dt) };
    if (a.received + a.lost > 0)
      stats.fraction_lost = round4(a.lost / (a.received + a.lost));
    if (a.rtt >= 0)
      stats.rtt_ms = Math.round(a.rtt);
    if (a.jitter >= 0)
      stats.jitter_ms = Math.round(a.jitter);
    out[kind] = stats;
  }
  return out;
}

function round4(x) {
  return Math.round(x * 10000) / 10000;
}

/** The score() input from the publisher's and the subscribers' snapshots. */
export function inputFromStats({ connected = true, send = null, recv = [], expected = {}, active = {} } = {}) {
  const input = { connected, audio: {}, video: {} };
  if (send) {
    const s = sendStats(send.before, send.after, { expected, active });
    for (const kind of KINDS)
      if (s[kind])
        input[kind].send = s[kind];
  }
  const r = recvStats(recv);
  for (const kind of KINDS)
    if (r[kind])
      input[kind].recv = r[kind];
  return input;
}
