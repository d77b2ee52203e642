// The interpreter-service adapter against a small Node HTTP server speaking
// the documented contract (docs/interpreter-service.md): housecalld mints a
// guest link for the room and POSTs the request; the service answers that an
// interpreter joins with it (the link works, in that room only), or with a
// number to dial (the link is revoked and a real sipp far end is called,
// menu digits and all), or that nobody is available. Failures of the
// service — HTTP errors, a timeout, answers off the contract — are typed
// errors and leave no usable link behind.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { apiKeyAuth, assertError, bearer, request } from './lib/http.mjs';
import { makeTempDir, startServer } from './lib/server.mjs';
import { createRoom, provider } from './lib/setup.mjs';
import { connectAuthenticated, connectJoined, expectAuthRefused } from './lib/signal.mjs';
import { RtpListener, freeUdpPort, phoneServerEnv, startSipp, writeSipConfig } from './lib/sip.mjs';
import { waitFor } from './lib/util.mjs';

const SERVICE_TOKEN = 'interp-service-token-7f3a';

/** The stand-in service: answers each request with the next scripted reply. */
class InterpreterService {
  static async start() {
    const service = new InterpreterService();
    service.requests = [];
    service.replies = [];
    service.server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        service.requests.push({ method: req.method, url: req.url, headers: req.headers, body: JSON.parse(body) });
        const reply = service.replies.shift() ?? { status: 500, body: 'no reply scripted' };
        const send = () => {
          res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json' });
          res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
        };
        if (reply.delayMs)
          setTimeout(send, reply.delayMs);
        else
          send();
      });
    });
    await new Promise((r) => service.server.listen(0, '127.0.0.1', r));
    service.url = `http://127.0.0.1:${service.server.address().port}/v1/interpreter-requests`;
    return service;
  }

  close() {
    this.server.closeAllConnections?.();
    return new Promise((r) => this.server.close(r));
  }
}

function ask(server, token, room, form) {
  return request(server, 'POST', `/v1/Rooms/${room}/InterpreterRequests`, {
    auth: token ? bearer(token) : apiKeyAuth(server),
    form,
  });
}

async function guestTokens(server, token, room) {
  const res = await request(server, 'GET', `/v1/Rooms/${room}/GuestTokens`, { auth: bearer(token) });
  assert.equal(res.status, 200, res.text);
  return res.body.guest_tokens;
}

describe('interpreter service', () => {
  let dir;
  let service;
  let server;
  let sipPort;
  let dr;
  let room;
  let ws;

  before(async () => {
    dir = makeTempDir();
    service = await InterpreterService.start();
    sipPort = await freeUdpPort();
    writeFileSync(join(dir, 'interpreter-token'), `${SERVICE_TOKEN}\n`, { mode: 0o600 });
    const config = writeSipConfig(dir, { trunk: `sip:127.0.0.1:${sipPort}`, 'rtp-port-range': '45000-45998' }, {
      interpreter: {
        'service-url': service.url, 'auth-token-file': 'interpreter-token', 'timeout-seconds': 2,
        name: 'LanguageLine Test',
      },
    });
    server = await startServer({ config, env: phoneServerEnv() });
    dr = await provider(server, 'drsmith');
    room = await createRoom(server, dr.token, { UniqueName: 'needs-interpreter' });
    ws = await connectJoined(server, dr.token, room.sid);
  });

  after(async () => {
    ws?.terminate();
    await service?.close();
    if (server) {
      const result = await server.stop('SIGTERM', 10000);
      assert.equal(result.code, 0, `housecalld exits 0:\n${server.stderr.slice(-3000)}`);
      assert.ok(!server.stderr.includes(SERVICE_TOKEN), 'the service token is not logged');
    }
  });

  test('join: the service gets a guest link for this room, and the interpreter joins with it', async () => {
    const info = await request(server, 'GET', `/v1/Rooms/${room.sid}/InterpreterRequests`, { auth: bearer(dr.token) });
    assert.deepEqual(info.body, { available: true, service: 'LanguageLine Test' });
    service.replies.push({ body: { action: 'join', interpreter_name: 'Maria', eta_seconds: 45 } });
    const res = await ask(server, dr.token, room.sid, { Language: 'es' });
    assert.equal(res.status, 201, res.text);
    assert.match(res.body.sid, /^IR[0-9a-f]{32}$/);
    assert.equal(res.body.action, 'join');
    assert.equal(res.body.language, 'es');
    assert.equal(res.body.service, 'LanguageLine Test');
    assert.equal(res.body.interpreter_name, 'Maria');
    assert.equal(res.body.eta_seconds, 45);
    assert.equal(res.body.guest.identity, 'interpreter-es');
    assert.equal(res.body.call, null);

    const sent = service.requests.at(-1);
    assert.equal(sent.method, 'POST');
    assert.equal(sent.headers.authorization, `Bearer ${SERVICE_TOKEN}`);
    assert.match(sent.headers['content-type'], /^application\/json/);
    assert.equal(sent.body.request_id, res.body.sid);
    assert.equal(sent.body.language, 'es');
    assert.equal(sent.body.clinic, 'Northside Clinic');
    assert.deepEqual(sent.body.room, { sid: room.sid, unique_name: 'needs-interpreter' });
    assert.equal(sent.body.guest.identity, 'interpreter-es');
    assert.ok(sent.body.guest.join_url.endsWith(`/call.html#room=${room.sid}&token=${sent.body.guest.token}`));

    // The interpreter joins this room with the link, and no other.
    const interpreter = await connectJoined(server, sent.body.guest.token, room.sid);
    assert.equal(interpreter.joined.participant.identity, 'interpreter-es');
    const other = await createRoom(server, dr.token, { UniqueName: 'someone-else' });
    const elsewhere = await connectAuthenticated(server, sent.body.guest.token);
    const refused = await elsewhere.request({ type: 'join', room: other.sid });
    assert.equal(refused.type, 'error');
    assert.equal(refused.error, 'token-room-mismatch');
    elsewhere.terminate();
    interpreter.terminate();
    const listed = await guestTokens(server, dr.token, room.sid);
    assert.ok(listed.some((t) => t.jti === res.body.guest.jti && t.identity === 'interpreter-es'));
  });

  test('dial: the link is revoked and the line is called with its menu digits', async () => {
    const rtp = await RtpListener.open();
    const sipp = await startSipp('answer.xml', { port: sipPort, keys: { rtp_port: rtp.port } });
    try {
      service.replies.push({ body: { action: 'dial', to: '+1 415 555 0199', send_digits: 'w42#' } });
      const res = await ask(server, dr.token, room.sid, { Language: 'pt-BR' });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.action, 'dial');
      assert.equal(res.body.guest, null);
      assert.equal(res.body.call.to, '+14155550199');
      assert.equal(res.body.call.label, 'Interpreter (pt-BR)');
      const token = service.requests.at(-1).body.guest.token;
      await expectAuthRefused(server, token, 20110, 'token-revoked', { closeCode: 4401, what: 'revoked link' });

      await waitFor(() => rtp.digits().length >= 3, 'the menu digits at the far end', 15000);
      assert.deepEqual(rtp.digits().map((d) => d.digit), ['4', '2', '#']);
      const hangup = await request(server, 'POST', `/v1/Rooms/${room.sid}/PhoneCalls/${res.body.call.sid}`, {
        auth: bearer(dr.token), form: { Status: 'completed' },
      });
      assert.equal(hangup.status, 200, hangup.text);
      assert.equal((await sipp.finished()).code, 0);
    } finally {
      await sipp.stop();
      await rtp.close();
    }
  });

  test('unavailable, HTTP errors, a timeout and answers off the contract: typed errors, no link left', async () => {
    const cases = [
      [{ body: { action: 'unavailable', message: 'All Tagalog interpreters are busy' } }, 409, 55033, 'interpreter-declined'],
      [{ status: 503, body: { error: 'down' } }, 502, 55031, 'interpreter-service-failed'],
      [{ delayMs: 4000, body: { action: 'join' } }, 502, 55031, 'interpreter-service-failed'],
      [{ body: 'not json' }, 502, 55032, 'interpreter-service-bad-response'],
      [{ body: { action: 'dial', to: '12345' } }, 502, 55032, 'interpreter-service-bad-response'],
      [{ body: { action: 'dial', to: '+14155550199', send_digits: '1;2' } }, 502, 55032, 'interpreter-service-bad-response'],
      [{ body: { action: 'beam-me-up' } }, 502, 55032, 'interpreter-service-bad-response'],
    ];
    for (const [reply, status, code, slug] of cases) {
      const before = service.requests.length;
      service.replies.push(reply);
      const res = await ask(server, dr.token, room.sid, { Language: 'tl' });
      assertError(res, status, code, slug, JSON.stringify(reply));
      assert.equal(service.requests.length, before + 1);
      const token = service.requests.at(-1).body.guest.token;
      await expectAuthRefused(server, token, 20110, 'token-revoked', { what: slug });
    }
    assert.ok(server.alive);
  });

  test('bad requests and who may ask', async () => {
    for (const form of [{}, { Language: 'spanish' }, { Language: 'es_ES' }, { Language: 'es', Extra: '1' }]) {
      const res = await ask(server, dr.token, room.sid, form);
      assert.equal(res.status, 400, `${JSON.stringify(form)}: ${res.text}`);
    }
    const guest = await request(server, 'POST', `/v1/Rooms/${room.sid}/GuestTokens`, {
      auth: bearer(dr.token), form: { Identity: 'family-1' },
    });
    assertError(await ask(server, guest.body.token, room.sid, { Language: 'es' }), 403, 20403, 'forbidden');
    const other = await provider(server, 'drjones');
    assertError(await ask(server, other.token, room.sid, { Language: 'es' }), 404, 20404, 'not-found');
  });
});

describe('interpreter service not configured', () => {
  test('asking answers 503 interpreter-service-unavailable', async () => {
    const server = await startServer();
    try {
      const dr = await provider(server, 'drsmith');
      const room = await createRoom(server, dr.token, { UniqueName: 'no-service' });
      assertError(await ask(server, dr.token, room.sid, { Language: 'es' }), 503, 55030,
        'interpreter-service-unavailable');
      const info = await request(server, 'GET', `/v1/Rooms/${room.sid}/InterpreterRequests`, { auth: bearer(dr.token) });
      assert.deepEqual(info.body, { available: false, service: null });
    } finally {
      await server.stop('SIGTERM', 10000);
    }
  });
});
