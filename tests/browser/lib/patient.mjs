// The patient web app under test, and the clinic around it:
//   addProvider()  – a provider account in the server's data directory (CLI)
//   Clinic         – the REST API (appointments with the API key; the
//                    provider's waiting room with a Bearer token), called with
//                    fetch() from a page of the server's origin, since the
//                    server listens on loopback inside the test's namespace
//   PatientPage    – /v/<code> in its own browser context (desktop, or a phone
//                    viewport with isMobile/hasTouch), recording what it asks
//                    for; a Participant, so snapshot()/waitDecoding() work on
//                    its call (window.housecall.call)
//   providerJoin() – the provider in call.html with a real provider token

import { execFile } from 'node:child_process';

import { CSP, serveWebFromDisk, tail, webFromDisk } from './browser.mjs';
import { Participant } from './participant.mjs';
import { binaryPath, readWebFile } from './server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Adds provider @username (password @password, shown as @displayName) to @server's data directory. */
export function addProvider(server, username, password, displayName = username) {
  return new Promise((resolve, reject) => {
    const child = execFile(binaryPath(), ['--data-dir', server.dataDir, '--display-name', displayName, 'user', 'add', username],
      { timeout: 15000, env: { ...process.env, LC_ALL: 'C.UTF-8' } }, (error, stdout, stderr) => {
        if (error)
          reject(new Error(`user add ${username}: ${error.message}\n${stderr}`));
        else
          resolve(stdout);
      });
    child.stdin.end(`${password}\n`);
  });
}

/** An ISO 8601 time @ms from now, without milliseconds. */
export function fromNow(ms) {
  return new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export class Clinic {
  constructor(browser, server) {
    this.browser = browser;
    this.server = server;
    this.page = null;
  }

  async open() {
    this.context = await this.browser.newContext();
    if (webFromDisk())
      await serveWebFromDisk(this.context, this.server.origin);
    this.page = await this.context.newPage();
    await this.page.goto(`${this.server.origin}/index.html`, { timeout: 15000 });
    return this;
  }

  /**
   * One REST call: @auth is 'api' (the API key), a Bearer token, or null;
   * @form is sent form-encoded, @json as JSON. Resolves { status, body }.
   */
  fetch(method, path, { auth = null, form, json } = {}) {
    const creds = this.server.creds;
    return this.page.evaluate(async ({ method, path, auth, form, json, user, password }) => {
      const headers = {};
      if (auth === 'api')
        headers.Authorization = `Basic ${btoa(`${user}:${password}`)}`;
      else if (auth)
        headers.Authorization = `Bearer ${auth}`;
      let body;
      if (form) {
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(form);
      } else if (json) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(json);
      }
      const res = await fetch(path, { method, headers, body });
      const text = await res.text();
      let parsed = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
      return { status: res.status, body: parsed };
    }, { method, path, auth, form, json, user: creds.apiKeySid, password: creds.apiKeySecret });
  }

  async login(username, password) {
    const res = await this.fetch('POST', '/v1/login', { form: { username, password } });
    if (res.status !== 200)
      throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token;
  }

  /** Books an appointment with the API key; resolves { sid, code, visitUrl, body }. */
  async appointment(fields = {}) {
    const res = await this.fetch('POST', '/v1/Appointments', {
      auth: 'api',
      form: { patient_name: 'Jane Doe', mobile: '+14155550123', start_time: fromNow(3600 * 1000), ...fields },
    });
    if (res.status !== 201)
      throw new Error(`POST /v1/Appointments: ${res.status} ${JSON.stringify(res.body)}`);
    const visitUrl = res.body.visit_url;
    return { sid: res.body.sid, code: visitUrl.split('/v/')[1], visitUrl, body: res.body };
  }

  /** The provider's queue: the entries list. */
  async queue(token) {
    const res = await this.fetch('GET', '/v1/WaitingRoom', { auth: token });
    if (res.status !== 200)
      throw new Error(`GET /v1/WaitingRoom: ${res.status} ${JSON.stringify(res.body)}`);
    return Array.isArray(res.body) ? res.body : res.body.entries;
  }

  async close() {
    await this.context?.close().catch(() => {});
  }
}

/**
 * A patient's page. The context records, from before the page's first
 * script: every getUserMedia call, every WebSocket opened, and every request.
 */
export class PatientPage extends Participant {
  constructor(name, browser, server) {
    super(name, browser, server);
    this.requests = [];
  }

  /**
   * Opens /v/@code. @initScript (a function, with @initArg) runs in every
   * document before the page's own scripts, after the recording one.
   * @locale is the browser's language (navigator.languages, Accept-Language);
   * null leaves Chromium's own (its --lang).
   */
  async open({ code, viewport = { width: 1280, height: 800 }, isMobile = false, hasTouch = false, initScript, initArg, locale = 'en-US' } = {}) {
    this.context = await this.browser.newContext({ viewport, isMobile, hasTouch, ...(locale ? { locale } : {}) });
    if (webFromDisk()) {
      await serveWebFromDisk(this.context, this.server.origin);
      // As housecalld does: the patient app for every /v/<code>.
      await this.context.route((url) => url.origin === this.server.origin && /^\/v\/[^/]+$/.test(url.pathname),
        (route) => route.fulfill({ status: 200, body: readWebFile('/patient.html'),
          headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP } }));
    }
    await this.context.addInitScript(() => {
      window.__seen = { getUserMedia: 0, sockets: [] };
      const gum = navigator.mediaDevices?.getUserMedia?.bind(navigator.mediaDevices);
      if (gum) {
        navigator.mediaDevices.getUserMedia = (constraints) => {
          window.__seen.getUserMedia++;
          return gum(constraints);
        };
      }
      const Native = window.WebSocket;
      window.WebSocket = class extends Native {
        constructor(...args) {
          super(...args);
          window.__seen.sockets.push(String(args[0]));
        }
      };
    });
    if (initScript)
      await this.context.addInitScript(initScript, initArg);
    this.page = await this.context.newPage();
    this.page.on('console', (msg) => this.logs.push(`[${this.name} ${msg.type()}] ${msg.text()}`));
    this.page.on('pageerror', (error) => this.logs.push(`[${this.name} pageerror] ${error.stack ?? error.message}`));
    this.page.on('request', (request) => this.requests.push(`${request.method()} ${new URL(request.url()).pathname}`));
    this.response = await this.page.goto(`${this.server.origin}/v/${code}`, { timeout: 15000 });
    await this.page.waitForFunction(() => window.housecall?.view, null, { timeout: 10000 });
    return this;
  }

  view() {
    return this.page.evaluate(() => window.housecall.view);
  }

  async waitForView(view, timeoutMs = 15000) {
    try {
      await this.page.waitForFunction((v) => window.housecall?.view === v, view, { timeout: timeoutMs });
    } catch (error) {
      throw new Error(`${this.name}: view "${view}" not shown within ${timeoutMs} ms (now "${await this.view().catch(() => '?')}")\n${this.diagnostics()}`);
    }
  }

  seen() {
    return this.page.evaluate(() => window.__seen);
  }

  diagnostics() {
    return `--- ${this.name} page log ---\n${tail(this.logs, 40)}\n--- housecalld log ---\n${this.server.logTail(30)}`;
  }
}

/**
 * The provider joins @room (a SID or unique name) in call.html on @participant
 * (an opened Participant) with the provider's own @token. Resolves the
 * joined message or throws.
 */
export async function providerJoin(participant, token, room, options = {}) {
  const result = await participant.page.evaluate(async (opts) => {
    try {
      const r = await window.housecall.start(opts);
      return { ok: true, joined: r.joined };
    } catch (e) {
      return { ok: false, code: e.code, error: e.error ?? e.name, message: e.message };
    }
  }, { token, room, audioProcessing: false, ...options });
  if (!result.ok)
    throw new Error(`provider join ${room}: ${JSON.stringify(result)}\n${participant.diagnostics()}`);
  participant.sid = result.joined.participant.sid;
  return result.joined;
}

/** Polls @fn until it resolves truthy; resolves that value. */
export async function until(what, fn, { timeoutMs = 10000, intervalMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last)
      return last;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await sleep(intervalMs);
  }
}
