// Real SIP peers for the phone bridge: sipp (Debian sip-tester) playing the
// far end from the scenarios in tests/node/sip/, and an RTP listener that
// stands at the media address those scenarios answer with, decoding G.711
// frames and RFC 4733 telephone-events itself. Everything is on 127.0.0.1.

import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

import { REPO_ROOT } from './server.mjs';
import { sleep, within } from './util.mjs';

export const SIPP = '/usr/bin/sipp';
export const SCENARIOS = join(REPO_ROOT, 'tests', 'node', 'sip');

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // gone
    }
  }
});

/** A UDP port nobody uses right now (bound and released). */
export function freeUdpPort() {
  return new Promise((resolvePromise, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolvePromise(port));
    });
  });
}

/** Whether a UDP socket is bound to 127.0.0.1:@port (or any address). */
function udpBound(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const table = readFileSync('/proc/net/udp', 'utf8');
  return table.split('\n').some((line) => {
    const local = line.trim().split(/\s+/)[1] ?? '';
    return local.endsWith(`:${hex}`) && (local.startsWith('0100007F') || local.startsWith('00000000'));
  });
}

/**
 * Starts sipp as a UAS on 127.0.0.1:@port with @scenario (a file name in
 * tests/node/sip), handling @calls calls. @keys become [key] substitutions.
 * Resolves once its SIP socket is bound.
 */
export async function startSipp(scenario, { port, mediaPort, keys = {}, timeoutSeconds = 30, logFile, calls = 1, echo = scenario === 'answer-echo.xml', cwd } = {}) {
  const args = ['-sf', join(SCENARIOS, scenario), '-i', '127.0.0.1', '-mi', '127.0.0.1',
    '-p', String(port), '-mp', String(mediaPort ?? await freeUdpPort()), '-nostdin', '-m', String(calls),
    '-timeout', `${timeoutSeconds}s`, '-timeout_error'];
  // answer-echo.xml answers at sipp's media port, which echoes all RTP.
  if (echo)
    args.push('-rtp_echo');
  // The scenario's <log> actions go to @logFile.
  if (logFile)
    args.push('-trace_logs', '-log_file', logFile);
  for (const [k, v] of Object.entries(keys))
    args.push('-key', k, String(v));
  // Files a scenario names (rtp_stream) are relative to @cwd.
  const child = spawn(SIPP, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  live.add(child);
  const peer = { child, stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (c) => {
    peer.stdout = (peer.stdout + c).slice(-20000);
  });
  child.stderr.on('data', (c) => {
    peer.stderr = (peer.stderr + c).slice(-20000);
  });
  peer.exit = new Promise((resolvePromise) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolvePromise({ code, signal });
    });
  });
  peer.stop = async () => {
    if (child.exitCode === null && child.signalCode === null)
      child.kill('SIGKILL');
    return peer.exit;
  };
  /** Resolves sipp's exit; kills it after @ms. */
  peer.finished = async (ms = 15000) => {
    const result = await within(peer.exit, ms, null);
    if (result === null) {
      await peer.stop();
      return { code: null, signal: 'timeout', log: peer.stderr + peer.stdout };
    }
    return { ...result, log: peer.stderr + peer.stdout };
  };
  const deadline = Date.now() + 10000;
  while (!udpBound(port)) {
    if (child.exitCode !== null)
      throw new Error(`sipp exited before listening: ${peer.stderr}${peer.stdout}`);
    if (Date.now() > deadline) {
      await peer.stop();
      throw new Error(`sipp did not bind ${port}: ${peer.stderr}`);
    }
    await sleep(20);
  }
  return peer;
}

/**
 * The far end's media socket: records every RTP packet and decodes
 * telephone-events (RFC 4733) and G.711 frames.
 */
export class RtpListener {
  static async open(port = 0) {
    const listener = new RtpListener();
    listener.socket = dgram.createSocket('udp4');
    listener.packets = [];
    listener.socket.on('message', (data, rinfo) => {
      if (data.length < 12 || (data[0] >> 6) !== 2)
        return;
      const cc = data[0] & 0x0f;
      let offset = 12 + 4 * cc;
      if (data[0] & 0x10)
        offset += 4 + 4 * data.readUInt16BE(offset + 2);
      listener.packets.push({
        pt: data[1] & 0x7f,
        marker: (data[1] & 0x80) !== 0,
        seq: data.readUInt16BE(2),
        timestamp: data.readUInt32BE(4),
        ssrc: data.readUInt32BE(8),
        payload: data.subarray(offset),
        from: rinfo,
        at: Date.now(),
      });
    });
    await new Promise((resolvePromise, reject) => {
      listener.socket.once('error', reject);
      listener.socket.bind(port, '127.0.0.1', resolvePromise);
    });
    listener.port = listener.socket.address().port;
    return listener;
  }

  close() {
    return new Promise((r) => this.socket.close(r));
  }

  audio(pt) {
    return this.packets.filter((p) => p.pt === pt);
  }

  /** The digits, once each (at the first end-of-event packet of each event
   * timestamp), as [{ digit, timestamp, ssrc }] in arrival order. */
  digits(eventPt = 101) {
    const chars = '0123456789*#ABCD';
    const seen = new Set();
    const out = [];
    for (const p of this.packets) {
      if (p.pt !== eventPt || p.payload.length < 4)
        continue;
      const end = (p.payload[1] & 0x80) !== 0;
      const key = `${p.ssrc}/${p.timestamp}`;
      if (!end || seen.has(key))
        continue;
      seen.add(key);
      out.push({ digit: chars[p.payload[0]] ?? '?', timestamp: p.timestamp, ssrc: p.ssrc,
        duration: p.payload.readUInt16BE(2) });
    }
    return out;
  }
}

/** An HTTP server that records StatusCallback POSTs (form bodies). */
export class CallbackRecorder {
  static async start() {
    const recorder = new CallbackRecorder();
    recorder.requests = [];
    recorder.server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        recorder.requests.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          form: Object.fromEntries(new URLSearchParams(body)),
        });
        res.writeHead(204);
        res.end();
      });
    });
    await new Promise((r) => recorder.server.listen(0, '127.0.0.1', r));
    recorder.url = `http://127.0.0.1:${recorder.server.address().port}/calls/status`;
    return recorder;
  }

  close() {
    this.server.closeAllConnections?.();
    return new Promise((r) => this.server.close(r));
  }
}

/** G.711 A-law of one 16-bit sample (ITU-T G.711). */
function alaw(sample) {
  let s = sample;
  const sign = s >= 0 ? 0xd5 : 0x55;
  if (s < 0)
    s = -s - 1;
  s = Math.min(s, 32767) >> 3;
  let exponent = 0;
  let v = s;
  if (v >= 32) {
    exponent = 1;
    while (v >= 64 && exponent < 7) {
      v >>= 1;
      exponent++;
    }
  }
  const mantissa = exponent === 0 ? (s >> 1) & 0x0f : (v >> 1) & 0x0f;
  return ((exponent << 4) | mantissa) ^ sign;
}

/** Writes an A-law WAV (8 kHz mono) of a tone, for sipp's rtp_stream. */
export function writeAlawToneWav(path, { seconds = 2, hz = 440, amplitude = 0.3 } = {}) {
  const samples = 8000 * seconds;
  const data = Buffer.alloc(samples);
  for (let i = 0; i < samples; i++)
    data[i] = alaw(Math.round(Math.sin((2 * Math.PI * hz * i) / 8000) * amplitude * 32767));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + samples, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(6, 20);          // WAVE_FORMAT_ALAW
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(8000, 28);
  header.writeUInt16LE(1, 32);
  header.writeUInt16LE(8, 34);
  header.write('data', 36);
  header.writeUInt32LE(samples, 40);
  writeFileSync(path, Buffer.concat([header, data]));
  return path;
}

/**
 * The environment for a housecalld that runs the phone bridge: GStreamer's
 * start-up makes GLib leak its first quark block on purpose (tests/lsan.supp
 * suppresses it by its _dl_init frame), and that needs full malloc stacks.
 */
export function phoneServerEnv(extra = {}) {
  const env = { ...extra };
  if (process.env.ASAN_OPTIONS !== undefined)
    env.ASAN_OPTIONS = `${process.env.ASAN_OPTIONS}:fast_unwind_on_malloc=0`;
  if (process.env.HC_DEBUG)
    env.G_MESSAGES_DEBUG = process.env.HC_DEBUG;
  return env;
}

/** Writes a housecalld.conf with a [sip] group (and more groups if given). */
export function writeSipConfig(dir, sip, groups = {}) {
  const lines = ['[clinic]', 'name = Northside Clinic', '', '[sip]'];
  for (const [k, v] of Object.entries(sip))
    lines.push(`${k} = ${v}`);
  for (const [group, keys] of Object.entries(groups)) {
    lines.push('', `[${group}]`);
    for (const [k, v] of Object.entries(keys))
      lines.push(`${k} = ${v}`);
  }
  const path = join(dir, 'housecalld.conf');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
