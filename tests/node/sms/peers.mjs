// Test peers for the SMS integration tests: a real Kannel (bearerbox, smsbox
// and its fake SMSC, with /usr/lib/kannel/test/fakesmsc as the carrier), a
// Twilio Messages API stand-in, and small helpers. Everything listens on
// 127.0.0.1, every wait is bounded, and every process started here is
// killed when the test process exits.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';

import twilio from 'twilio';

import { apiKeyAuth, request } from '../lib/http.mjs';
import { makeTempDir } from '../lib/server.mjs';
import { sleep, waitFor, within } from '../lib/util.mjs';

export const BEARERBOX = '/usr/sbin/bearerbox';
export const SMSBOX = '/usr/sbin/smsbox';
export const FAKESMSC = '/usr/lib/kannel/test/fakesmsc';

const children = new Set();
process.on('exit', () => {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A port nobody listens on right now. */
export function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

function portOpen(port) {
  return new Promise((resolvePromise) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

export async function waitForPort(port, what, timeoutMs = 10000) {
  await waitFor(() => portOpen(port), `${what} to listen on ${port}`, timeoutMs);
}

class Child {
  constructor(file, args, opts = {}) {
    this.output = '';
    this.child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    children.add(this.child);
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => {
      children.delete(this.child);
      r({ code, signal });
    }));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        this.output += chunk;
      });
    }
  }

  get alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal = 'SIGTERM', timeoutMs = 5000) {
    if (!this.alive)
      return this.exited;
    this.child.kill(signal);
    const late = await within(this.exited.then(() => false), timeoutMs, true);
    if (late)
      this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** Decodes fakesmsc's %-encoding (form style: "+" is a space) to bytes. */
function unescapeBytes(text) {
  const bytes = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '%' && i + 2 < text.length + 1) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (text[i] === '+') {
      bytes.push(0x20);
    } else {
      bytes.push(text.charCodeAt(i));
    }
  }
  return Buffer.from(bytes);
}

/** GSM texts arrive as UTF-8, UCS-2 ones as UTF-16BE. */
function decodeData(buffer, ucs2) {
  if (!ucs2)
    return buffer.toString('utf8');
  const swapped = Buffer.from(buffer);
  swapped.swap16();
  return swapped.toString('utf16le');
}

/**
 * What the carrier received, from fakesmsc's log lines
 * "Got message N: <FROM TO TYPE [UDH] DATA>", with concatenated parts joined.
 * Returns [{ from, to, text, parts }].
 */
export function parseCarrierLog(log) {
  const messages = [];
  const pending = new Map();
  for (const match of log.matchAll(/Got message \d+: <(.*)>$/gm)) {
    const [from, to, type, ...rest] = match[1].split(' ');
    if (type === 'text') {
      messages.push({ from, to, text: rest.join(' '), parts: 1 });
    } else if (type === 'ucs2' || type === 'data') {
      messages.push({ from, to, text: decodeData(unescapeBytes(rest.join(' ')), type === 'ucs2'), parts: 1 });
    } else if (type === 'udh') {
      const udh = unescapeBytes(rest[0]);
      const data = unescapeBytes(rest.slice(2).join(' '));
      // 05 00 03 ref total seq: the concatenation element.
      const [ref, total, seq] = [udh[3], udh[4], udh[5]];
      const key = `${from}|${to}|${ref}`;
      const entry = pending.get(key) ?? { from, to, total, chunks: [] };
      entry.chunks[seq - 1] = data;
      pending.set(key, entry);
      if (entry.chunks.filter(Boolean).length === total) {
        pending.delete(key);
        const joined = Buffer.concat(entry.chunks);
        // UCS-2 ASCII has a zero in every other byte.
        const ucs2 = joined.length % 2 === 0 && joined.length > 0 &&
          [...joined.filter((_, i) => i % 2 === 0)].filter((b) => b === 0).length > joined.length / 4;
        messages.push({ from, to, text: decodeData(joined, ucs2), parts: total });
      }
    }
  }
  return messages;
}

/** A Kannel of our own: its config, ports and logs in a temporary directory. */
export class Kannel {
  static available() {
    return existsSync(BEARERBOX) && existsSync(SMSBOX) && existsSync(FAKESMSC);
  }

  /** @inboundUrl: where keyword services send texts (with %p and %a). */
  static async start({ inboundUrl, username = 'housecall', password = randomBytes(8).toString('hex') } = {}) {
    assert.ok(Kannel.available(), 'Kannel is installed (apt-get install kannel kannel-extras)');
    const kannel = new Kannel();
    kannel.dir = makeTempDir('hc-kannel-');
    kannel.username = username;
    kannel.password = password;
    kannel.adminPassword = randomBytes(8).toString('hex');
    kannel.ports = {
      admin: await freePort(), box: await freePort(), smsc: await freePort(), sendsms: await freePort(),
    };
    kannel.carrierLog = '';
    kannel.config = join(kannel.dir, 'kannel.conf');
    const service = (keyword) => [
      'group = sms-service',
      `keyword = ${keyword}`,
      `get-url = "${inboundUrl}"`,
      // No reply text goes back to the patient.
      'max-messages = 0',
      'omit-empty = true',
      '',
    ].join('\n');
    writeFileSync(kannel.config, [
      'group = core',
      `admin-port = ${kannel.ports.admin}`,
      `admin-password = ${kannel.adminPassword}`,
      'admin-interface = 127.0.0.1',
      'admin-allow-ip = 127.0.0.1',
      `smsbox-port = ${kannel.ports.box}`,
      'box-allow-ip = 127.0.0.1',
      `log-file = "${join(kannel.dir, 'bearerbox.log')}"`,
      'log-level = 1',
      'dlr-storage = internal',
      '',
      'group = smsc',
      'smsc = fake',
      'smsc-id = fake',
      `port = ${kannel.ports.smsc}`,
      'connect-allow-ip = 127.0.0.1',
      '',
      'group = smsbox',
      'bearerbox-host = 127.0.0.1',
      `bearerbox-port = ${kannel.ports.box}`,
      `sendsms-port = ${kannel.ports.sendsms}`,
      'sendsms-interface = 127.0.0.1',
      `log-file = "${join(kannel.dir, 'smsbox.log')}"`,
      'log-level = 1',
      // Delivery reports are retried while housecalld is down.
      'http-request-retry = 5',
      'http-queue-delay = 1',
      '',
      'group = sendsms-user',
      `username = ${username}`,
      `password = ${password}`,
      'concatenation = true',
      'max-messages = 2',
      '',
      service('stop'),
      service('start'),
      service('default'),
    ].join('\n'));
    writeFileSync(join(kannel.dir, 'password'), `${password}\n`, { mode: 0o600 });
    await kannel.startBearerbox();
    await kannel.startSmsbox();
    return kannel;
  }

  get sendsmsUrl() {
    return `http://127.0.0.1:${this.ports.sendsms}/cgi-bin/sendsms`;
  }

  get passwordFile() {
    return join(this.dir, 'password');
  }

  async startBearerbox() {
    this.bearerbox = new Child(BEARERBOX, [this.config]);
    await waitForPort(this.ports.box, 'bearerbox');
  }

  async startSmsbox() {
    // smsbox panics if bearerbox is not listening yet: that was awaited.
    this.smsbox = new Child(SMSBOX, [this.config]);
    await waitForPort(this.ports.sendsms, 'smsbox');
  }

  async stopSmsbox() {
    await this.smsbox?.stop('SIGTERM');
    this.smsbox = null;
  }

  async smscOnline() {
    try {
      const res = await fetch(`http://127.0.0.1:${this.ports.admin}/status.txt?password=${this.adminPassword}`,
        { signal: AbortSignal.timeout(5000) });
      const text = await res.text();
      return /fake\[fake\].*online/.test(text);
    } catch {
      return false;
    }
  }

  /** Connects fakesmsc as the carrier; it sends @messages ("FROM TO text
   * WORDS") once each, then only receives. */
  async startCarrier(messages = []) {
    await this.stopCarrier();
    const args = ['-H', '127.0.0.1', '-r', String(this.ports.smsc), '-i', '0.2',
      '-m', String(messages.length), ...(messages.length ? messages : ['0 0 text unused'])];
    this.carrier = new Child(FAKESMSC, args);
    this.carrier.child.stderr.on('data', (chunk) => {
      this.carrierLog += chunk;
    });
    await waitFor(() => this.smscOnline(), 'the fake SMSC to be online', 10000);
  }

  async stopCarrier() {
    if (!this.carrier)
      return;
    await this.carrier.stop('SIGINT');
    this.carrier = null;
    await waitFor(async () => !(await this.smscOnline()), 'the fake SMSC to go offline', 10000);
  }

  /** The tails of Kannel's own logs and the carrier's, for a failure
   * message: what the gateway saw is otherwise lost with its directory. */
  explain(lines = 25) {
    const tail = (text) => text.split('\n').slice(-lines).join('\n');
    const file = (name) => {
      try {
        return readFileSync(join(this.dir, name), 'utf8');
      } catch (error) {
        return `(${error.message})`;
      }
    };
    return ['bearerbox.log', 'smsbox.log'].map((name) => `\n--- ${name}:\n${tail(file(name))}`).join('') +
      `\n--- fakesmsc:\n${tail(this.carrierLog)}`;
  }

  /** Runs @fn; a failure carries explain(). */
  async explainFailure(fn) {
    try {
      await fn();
    } catch (error) {
      error.message += this.explain();
      throw error;
    }
  }

  /** Messages the carrier got, parts joined. */
  received() {
    return parseCarrierLog(this.carrierLog);
  }

  async stop() {
    await this.stopCarrier().catch(() => {});
    await this.smsbox?.stop('SIGTERM');
    await this.bearerbox?.stop('SIGTERM');
  }
}

const RFC2822_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const RFC2822_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Twilio writes dates as RFC 2822: "Sat, 28 Nov 2026 05:23:48 +0000". */
function rfc2822(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${RFC2822_DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${RFC2822_MONTHS[date.getUTCMonth()]} ` +
    `${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function twilioSid(prefix) {
  return prefix + randomBytes(16).toString('hex');
}

/**
 * A local server speaking Twilio's Messages API as Twilio does: Basic auth
 * with the account SID and auth token, form bodies, 201 with the message's
 * JSON, Twilio's JSON errors, the message list, and signed StatusCallback
 * POSTs (queued → sent → delivered, or → undelivered with an ErrorCode).
 */
export class TwilioStandIn {
  constructor() {
    this.accountSid = `AC${randomBytes(16).toString('hex')}`;
    this.authToken = randomBytes(16).toString('hex');
    this.messages = [];           // newest last
    this.creates = [];            // every POST that created a message
    this.refused = [];            // POSTs answered with an error
    this.holdMs = 0;              // delay before answering a create
    this.holdWhen = () => true;   // which creates to delay
    this.reject = new Map();      // To → { status, code, message }
    this.unavailable = 0;         // answer this many creates with 503
    this.finalStatus = new Map(); // To → 'undelivered' etc.
    this.callbacks = [];          // { url, status, code }
    this.listed = 0;
    this.sockets = new Set();
  }

  get baseUrl() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = this.server.address().port;
    return this;
  }

  async stop() {
    for (const socket of this.sockets)
      socket.destroy();
    await new Promise((r) => this.server.close(r));
  }

  error(res, status, code, message) {
    this.refused.push({ status, code });
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }));
  }

  resource(message) {
    return {
      account_sid: this.accountSid,
      api_version: '2010-04-01',
      body: message.body,
      date_created: rfc2822(message.created),
      date_sent: null,
      date_updated: rfc2822(new Date()),
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: message.from,
      messaging_service_sid: null,
      num_media: '0',
      num_segments: '1',
      price: null,
      price_unit: 'USD',
      sid: message.sid,
      status: message.status,
      subresource_uris: { media: `/2010-04-01/Accounts/${this.accountSid}/Messages/${message.sid}/Media.json` },
      to: message.to,
      uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${message.sid}.json`,
    };
  }

  async handle(req, res) {
    const chunks = [];
    for await (const chunk of req)
      chunks.push(chunk);
    const url = new URL(req.url, this.baseUrl);
    const path = `/2010-04-01/Accounts/${this.accountSid}/Messages.json`;
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected)
      return this.error(res, 401, 20003, 'Authenticate');
    if (url.pathname !== path)
      return this.error(res, 404, 20404, 'The requested resource was not found');

    if (req.method === 'GET') {
      this.listed++;
      const to = url.searchParams.get('To');
      const pageSize = Number(url.searchParams.get('PageSize') ?? 50);
      const list = this.messages.filter((m) => !to || m.to === to).reverse().slice(0, pageSize);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({
        messages: list.map((m) => this.resource(m)), end: list.length - 1, first_page_uri: req.url,
        next_page_uri: null, page: 0, page_size: pageSize, previous_page_uri: null, start: 0, uri: req.url,
      }));
    }
    if (req.method !== 'POST')
      return this.error(res, 405, 20004, 'Method not allowed');
    if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? ''))
      return this.error(res, 400, 20001, 'Unsupported content type');
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const to = form.get('To');
    const from = form.get('From') ?? form.get('MessagingServiceSid');
    const body = form.get('Body');
    if (!to)
      return this.error(res, 400, 21604, "A 'To' phone number is required.");
    if (!from)
      return this.error(res, 400, 21603, "A 'From' phone number is required.");
    if (!body)
      return this.error(res, 400, 21602, 'Message body is required.');
    if (!/^\+[1-9]\d{6,14}$/.test(to))
      return this.error(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (this.unavailable > 0) {
      this.unavailable--;
      return this.error(res, 503, 20503, 'Service unavailable');
    }
    const rejection = this.reject.get(to);
    if (rejection)
      return this.error(res, rejection.status, rejection.code, rejection.message);

    const message = {
      sid: twilioSid('SM'), to, from, body, status: 'queued', created: new Date(),
      statusCallback: form.get('StatusCallback'),
    };
    this.messages.push(message);
    this.creates.push(message);
    this.onCreate?.(message);
    if (this.holdMs > 0 && this.holdWhen(message))
      await sleep(this.holdMs);
    res.writeHead(201, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(this.resource(message)));
    // Twilio reports each change of status to the StatusCallback.
    setTimeout(() => this.progress(message), 50);
  }

  async progress(message) {
    const final = this.finalStatus.get(message.to) ?? 'delivered';
    for (const status of ['sent', final]) {
      message.status = status;
      if (message.statusCallback)
        await this.callback(message.statusCallback, message, status, final === 'undelivered' ? '30003' : undefined);
    }
  }

  /** POSTs a signed status callback, retrying briefly if nobody answers. */
  async callback(url, message, status, errorCode) {
    const params = {
      AccountSid: this.accountSid, ApiVersion: '2010-04-01', From: message.from,
      MessageSid: message.sid, MessageStatus: status, SmsSid: message.sid, SmsStatus: status,
      To: message.to,
    };
    if (errorCode)
      params.ErrorCode = errorCode;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const res = await this.signedPost(url, params);
        this.callbacks.push({ url, status, code: res.status });
        return res;
      } catch {
        await sleep(250);
      }
    }
    return null;
  }

  /** A POST as Twilio's webhooks make it, X-Twilio-Signature and all. */
  async signedPost(url, params, { signature } = {}) {
    const sig = signature ?? twilio.getExpectedTwilioSignature(this.authToken, url, params);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': sig },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(10000),
    });
    return { status: res.status, text: await res.text() };
  }
}

/** A callback secret as housecalld wants it: 32+ URL-safe characters. */
export function newSecret() {
  return randomBytes(24).toString('hex');
}

/** A housecalld config file in @dir with these [sms] keys (and [clinic]). */
export function writeConfig(dir, sms, clinic = {}, secret = newSecret()) {
  writeFileSync(join(dir, 'callback-secret'), `${secret}\n`, { mode: 0o600 });
  const lines = ['[clinic]', 'name = Northside Clinic', 'timezone = UTC'];
  for (const [k, v] of Object.entries(clinic))
    lines.push(`${k} = ${v}`);
  lines.push('', '[sms]', 'callback-secret-file = callback-secret');
  for (const [k, v] of Object.entries(sms))
    lines.push(`${k} = ${v}`);
  const path = join(dir, 'housecalld.conf');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { path, secret };
}

/** ISO 8601 for @ms from now, whole seconds. */
export function fromNow(ms) {
  return new Date(Math.floor((Date.now() + ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export async function createAppointment(server, form, auth) {
  return request(server, 'POST', '/v1/Appointments', { auth: auth ?? apiKeyAuth(server), form });
}

export async function getAppointment(server, sid, auth) {
  const res = await request(server, 'GET', `/v1/Appointments/${sid}`, { auth: auth ?? apiKeyAuth(server) });
  assert.equal(res.status, 200, res.text);
  return res.body;
}

/** Polls the appointment until @predicate(appointment) holds; returns it. */
export async function waitForAppointment(server, sid, predicate, what, timeoutMs = 15000) {
  let last;
  try {
    await waitFor(async () => {
      last = await getAppointment(server, sid);
      return predicate(last);
    }, what, timeoutMs);
  } catch (error) {
    error.message += `\nlast seen: ${JSON.stringify(last?.messages, null, 1)}`;
    throw error;
  }
  return last;
}

export function message(appointment, kind, index = 0) {
  return appointment.messages.filter((m) => m.kind === kind)[index];
}

/** Asserts that housecalld's log holds none of @secrets. */
export function assertLogClean(server, secrets) {
  for (const secret of secrets)
    assert.ok(!server.stderr.includes(secret) && !server.stdout.includes(secret),
      `the log must not contain “${secret}”:\n${server.stderr}`);
}

/** Stops @server with SIGTERM and asserts a clean exit: status 0, and no
 * sanitizer report (a leak makes LeakSanitizer exit non-zero). */
export async function stopCleanly(server) {
  const result = await server.stop('SIGTERM', 10000);
  assert.equal(result.timedOut, false, 'housecalld stops within 10 s');
  assert.equal(result.code, 0, `housecalld exits 0 (${result.signal ?? ''}):\n${server.stderr.slice(-4000)}`);
  assert.ok(!/Sanitizer|runtime error/.test(server.stderr), server.stderr.slice(-4000));
}
