// The phone bridge's signaling against real sipp far ends on loopback: the
// status timeline on the provider's WebSocket and in Twilio-shaped status
// callbacks, RFC 4733 digits with their pauses as they arrive at the far
// end's media port, busy, no-answer after the ring timeout, an unreachable
// trunk, answers the bridge cannot use, the maximum duration, hang-ups from
// either side, who may dial, and calls cut off by a restart.

import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { apiKeyAuth, assertError, bearer, request } from './lib/http.mjs';
import { makeTempDir, startServer } from './lib/server.mjs';
import { createRoom, mintGuest, provider } from './lib/setup.mjs';
import { connectAuthenticated, connectJoined } from './lib/signal.mjs';
import { makeToken } from './lib/tokens.mjs';
import { CallbackRecorder, RtpListener, freeUdpPort, phoneServerEnv, startSipp, writeSipConfig } from './lib/sip.mjs';
import { sleep, waitFor } from './lib/util.mjs';

const NUMBER = '+14155550123';
const RING_TIMEOUT = 2;

/** Waits for the next phone-call-status event of @sid on @client. */
async function nextStatus(client, sid, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0)
      assert.fail(`no phone-call-status for ${sid} within ${timeoutMs} ms`);
    const message = await client.next(left);
    if (message.type === 'phone-call-status' && message.call.sid === sid)
      return message.call;
  }
}

/** Collects statuses of @sid until a final one. */
async function timeline(client, sid, first = []) {
  const seen = [...first];
  const final = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
  let call;
  while (!final.has(seen.at(-1))) {
    call = await nextStatus(client, sid, 20000);
    seen.push(call.status);
  }
  return { seen, call };
}

function dial(server, token, room, form) {
  return request(server, 'POST', `/v1/Rooms/${room}/PhoneCalls`, {
    auth: token ? bearer(token) : apiKeyAuth(server),
    form: { To: NUMBER, ...form },
  });
}

function getCall(server, token, room, sid) {
  return request(server, 'GET', `/v1/Rooms/${room}/PhoneCalls/${sid}`, { auth: bearer(token) });
}

function twilioSignature(secret, url, form) {
  const data = url + Object.keys(form).sort().map((k) => k + form[k]).join('');
  return createHmac('sha1', secret).update(data).digest('base64');
}

describe('phone bridge over SIP', () => {
  let dir;
  let server;
  let sipPort;
  let drsmith;
  let room;
  let ws;

  before(async () => {
    dir = makeTempDir();
    sipPort = await freeUdpPort();
    const config = writeSipConfig(dir, {
      trunk: `sip:127.0.0.1:${sipPort}`,
      'caller-id': '+14155550100',
      'caller-name': 'Northside Clinic',
      'ring-timeout-seconds': RING_TIMEOUT,
      'rtp-port-range': '42000-42998',
    });
    server = await startServer({ config, dataDir: makeTempDir(), env: phoneServerEnv() });
    drsmith = await provider(server, 'drsmith');
    room = await createRoom(server, drsmith.token, { UniqueName: 'phone-visit' });
    ws = await connectJoined(server, drsmith.token, room.sid);
  });

  after(async () => {
    ws?.terminate();
    if (server) {
      const result = await server.stop('SIGTERM', 10000);
      assert.equal(result.code, 0, `housecalld exits 0:\n${server.stderr.slice(-3000)}`);
      assert.ok(!server.stderr.includes(NUMBER), 'the number is not logged');
    }
  });

  test('answer after ringing: initiated → ringing → answered, digits with pauses, hang up', async () => {
    const rtp = await RtpListener.open();
    const callbacks = await CallbackRecorder.start();
    const sipp = await startSipp('answer.xml', { port: sipPort, keys: { rtp_port: rtp.port } });
    try {
      const res = await dial(server, drsmith.token, room.sid, {
        SendDigits: '12w3#', Label: 'Interpreter (es)', StatusCallback: callbacks.url,
        StatusCallbackEvent: 'initiated ringing answered completed',
      });
      assert.equal(res.status, 201, res.text);
      const sid = res.body.sid;
      assert.match(sid, /^CA[0-9a-f]{32}$/);
      assert.equal(res.body.status, 'initiated');
      assert.equal(res.body.to, NUMBER);
      assert.equal(res.body.from, '+14155550100');
      assert.equal(res.body.label, 'Interpreter (es)');

      const seen = [];
      while (seen.at(-1) !== 'answered')
        seen.push((await nextStatus(ws, sid)).status);
      assert.deepEqual(seen, ['initiated', 'ringing', 'answered']);

      await waitFor(() => rtp.digits().length >= 4, 'four digits at the far end', 10000);
      // More by hand from the keypad, queued behind nothing.
      const more = await request(server, 'POST', `/v1/Rooms/${room.sid}/PhoneCalls/${sid}/Digits`, {
        auth: bearer(drsmith.token), form: { Digits: '9*' },
      });
      assert.equal(more.status, 202, more.text);
      await waitFor(() => rtp.digits().length >= 6, 'six digits at the far end', 10000);

      const digits = rtp.digits();
      assert.deepEqual(digits.map((d) => d.digit), ['1', '2', '3', '#', '9', '*']);
      // One stream: digits and audio share the SSRC, tones last 100 ms.
      const audio = rtp.audio(8);
      assert.ok(audio.length > 20, `PCMA frames reached the far end (${audio.length})`);
      assert.ok(digits.every((d) => d.ssrc === audio[0].ssrc && d.duration === 800));
      // RTP timestamps (8 kHz) show the spacing: 100 ms tone + 100 ms gap
      // between 1 and 2, plus the 500 ms `w` between 2 and 3.
      const gap12 = digits[1].timestamp - digits[0].timestamp;
      const gap23 = digits[2].timestamp - digits[1].timestamp;
      const gap3p = digits[3].timestamp - digits[2].timestamp;
      assert.ok(gap12 >= 1600 && gap12 < 4000, `1→2 is about 200 ms (${gap12 / 8} ms)`);
      assert.ok(gap23 >= 1600 + 4000, `2→3 waits the pause (${gap23 / 8} ms)`);
      assert.ok(gap3p >= 1600 && gap3p < 4000, `3→# has no pause (${gap3p / 8} ms)`);
      assert.ok(gap23 - gap12 >= 4000, 'the w adds half a second');

      const hangup = await request(server, 'POST', `/v1/Rooms/${room.sid}/PhoneCalls/${sid}`, {
        auth: bearer(drsmith.token), form: { Status: 'completed' },
      });
      assert.equal(hangup.status, 200, hangup.text);
      assert.equal(hangup.body.status, 'completed');
      assert.equal(hangup.body.hangup_by, 'provider');
      const done = await nextStatus(ws, sid);
      assert.equal(done.status, 'completed');
      assert.equal(typeof done.duration, 'number');

      const result = await sipp.finished();
      assert.equal(result.code, 0, `sipp saw the BYE: ${result.log.slice(-2000)}`);

      // Status callbacks, Twilio's shape and signature, one per event.
      await waitFor(() => callbacks.requests.length >= 4, 'four status callbacks');
      const statuses = callbacks.requests.map((r) => r.form.CallStatus);
      assert.deepEqual(statuses, ['initiated', 'ringing', 'in-progress', 'completed']);
      callbacks.requests.forEach((r, i) => {
        assert.equal(r.method, 'POST');
        assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
        assert.equal(r.form.CallSid, sid);
        assert.equal(r.form.RoomSid, room.sid);
        assert.equal(r.form.To, NUMBER);
        assert.equal(r.form.Direction, 'outbound-api');
        assert.equal(r.form.SequenceNumber, String(i));
        assert.equal(r.headers['x-twilio-signature'],
          twilioSignature(server.creds.apiKeySecret, callbacks.url, r.form));
      });
      assert.equal(callbacks.requests[3].form.StatusCallbackEvent, 'completed');
      assert.ok('CallDuration' in callbacks.requests[3].form);

      // Digits after the end: a typed error.
      const late = await request(server, 'POST', `/v1/Rooms/${room.sid}/PhoneCalls/${sid}/Digits`, {
        auth: bearer(drsmith.token), form: { Digits: '1' },
      });
      assertError(late, 409, 55002, 'call-not-active');
    } finally {
      await sipp.stop();
      await rtp.close();
      await callbacks.close();
    }
  });

  test('the phone hangs up: completed by the phone', async () => {
    const rtp = await RtpListener.open();
    const sipp = await startSipp('answer-hangup.xml', { port: sipPort, keys: { rtp_port: rtp.port } });
    try {
      const res = await dial(server, drsmith.token, room.sid, {});
      assert.equal(res.status, 201, res.text);
      const { seen, call } = await timeline(ws, res.body.sid);
      assert.deepEqual(seen, ['initiated', 'ringing', 'answered', 'completed']);
      assert.equal(call.hangup_by, 'phone');
      assert.equal((await sipp.finished()).code, 0);
    } finally {
      await sipp.stop();
      await rtp.close();
    }
  });

  test('486 Busy Here: busy', async () => {
    const sipp = await startSipp('busy.xml', { port: sipPort });
    try {
      const res = await dial(server, drsmith.token, room.sid, {});
      assert.equal(res.status, 201, res.text);
      const { seen, call } = await timeline(ws, res.body.sid);
      assert.deepEqual(seen, ['initiated', 'ringing', 'busy']);
      assert.equal(call.sip_response_code, 486);
      assert.equal(call.sip_reason, 'Busy Here');
      assert.equal((await sipp.finished()).code, 0);
    } finally {
      await sipp.stop();
    }
  });

  test('never answered: no-answer after the ring timeout, and the far end gets a CANCEL', async () => {
    const sipp = await startSipp('no-answer.xml', { port: sipPort });
    try {
      const res = await dial(server, drsmith.token, room.sid, {});
      assert.equal(res.status, 201, res.text);
      const { seen, call } = await timeline(ws, res.body.sid);
      assert.deepEqual(seen, ['initiated', 'ringing', 'no-answer']);
      assert.equal(call.sip_response_code, 487);
      const result = await sipp.finished();
      assert.equal(result.code, 0, `sipp took the CANCEL: ${result.log.slice(-2000)}`);
    } finally {
      await sipp.stop();
    }
  });

  test('the provider hangs up while it rings: canceled', async () => {
    const sipp = await startSipp('no-answer.xml', { port: sipPort });
    try {
      const res = await dial(server, drsmith.token, room.sid, { Timeout: 30 });
      const sid = res.body.sid;
      assert.equal((await nextStatus(ws, sid)).status, 'initiated');
      assert.equal((await nextStatus(ws, sid)).status, 'ringing');
      const cancel = await request(server, 'POST', `/v1/Rooms/${room.sid}/PhoneCalls/${sid}`, {
        auth: bearer(drsmith.token), form: { Status: 'canceled' },
      });
      assert.equal(cancel.status, 200, cancel.text);
      const { seen, call } = await timeline(ws, sid, ['ringing']);
      assert.deepEqual(seen, ['ringing', 'canceled']);
      assert.equal(call.hangup_by, 'provider');
      assert.equal((await sipp.finished()).code, 0);
    } finally {
      await sipp.stop();
    }
  });

  test('the answer has no G.711: failed with a typed error, and the bridge hangs up', async () => {
    const rtp = await RtpListener.open();
    const sipp = await startSipp('bad-sdp.xml', { port: sipPort, keys: { rtp_port: rtp.port } });
    try {
      const res = await dial(server, drsmith.token, room.sid, {});
      assert.equal(res.status, 201, res.text);
      const { seen, call } = await timeline(ws, res.body.sid);
      assert.deepEqual(seen, ['initiated', 'failed']);
      assert.equal(call.error_code, 55021);
      assert.equal(call.error, 'phone-media-unusable');
      assert.match(call.error_message, /neither PCMA nor PCMU/);
      assert.equal((await sipp.finished()).code, 0, 'sipp got the BYE');
      assert.ok(server.alive);
    } finally {
      await sipp.stop();
      await rtp.close();
    }
  });

  test('a redirect the bridge does not follow: failed, phone-unexpected-response', async () => {
    const sipp = await startSipp('redirect.xml', { port: sipPort });
    try {
      const res = await dial(server, drsmith.token, room.sid, {});
      assert.equal(res.status, 201, res.text);
      const { seen, call } = await timeline(ws, res.body.sid);
      assert.deepEqual(seen, ['initiated', 'failed']);
      assert.equal(call.sip_response_code, 302);
      assert.equal(call.error, 'phone-unexpected-response');
      assert.equal((await sipp.finished()).code, 0);
    } finally {
      await sipp.stop();
    }
  });

  test('the maximum duration hangs up', async () => {
    const rtp = await RtpListener.open();
    const sipp = await startSipp('answer.xml', { port: sipPort, keys: { rtp_port: rtp.port } });
    try {
      const res = await dial(server, drsmith.token, room.sid, { TimeLimit: 2 });
      assert.equal(res.status, 201, res.text);
      const { seen, call } = await timeline(ws, res.body.sid);
      assert.deepEqual(seen, ['initiated', 'ringing', 'answered', 'completed']);
      assert.equal(call.hangup_by, 'max-duration');
      assert.equal((await sipp.finished()).code, 0, 'sipp got the BYE');
    } finally {
      await sipp.stop();
      await rtp.close();
    }
  });

  test('bad input gets typed errors, never a crash', async () => {
    const cases = [
      [{ To: '12345' }, 400, 54001, 'invalid-phone-number'],
      [{ To: '+1 415 555 01' }, 400, 54001, 'invalid-phone-number'],
      [{ To: undefined }, 400, 21002, 'missing-parameter'],
      [{ SendDigits: '12x3' }, 400, 55001, 'invalid-digits'],
      [{ SendDigits: '1 2' }, 400, 55001, 'invalid-digits'],
      [{ SendDigits: '1,2' }, 400, 55001, 'invalid-digits'],
      [{ SendDigits: '1'.repeat(65) }, 400, 55001, 'invalid-digits'],
      [{ StatusCallback: 'ftp://example.org/' }, 400, 21003, 'invalid-parameter'],
      [{ StatusCallbackEvent: 'answered hungup' }, 400, 21003, 'invalid-parameter'],
      [{ Timeout: '0' }, 400, 21003, 'invalid-parameter'],
      [{ Label: 'a\u0007b' }, 400, 21003, 'invalid-parameter'],
      [{ Bogus: '1' }, 400, 21004, 'unknown-parameter'],
    ];
    for (const [form, status, code, slug] of cases) {
      const body = { To: NUMBER, ...form };
      if (form.To === undefined && 'To' in form)
        delete body.To;
      const res = await request(server, 'POST', `/v1/Rooms/${room.sid}/PhoneCalls`, {
        auth: bearer(drsmith.token), form: body,
      });
      assertError(res, status, code, slug, JSON.stringify(form));
      assert.doesNotMatch(res.text, /\u0007/);
    }
    const digits = await request(server, 'POST',
      `/v1/Rooms/${room.sid}/PhoneCalls/CA${'0'.repeat(32)}/Digits`, {
        auth: bearer(drsmith.token), form: { Digits: '1' },
      });
    assertError(digits, 404, 20404, 'not-found');
    assert.ok(server.alive);
  });

  test('only the room\'s providers and the API key may dial', async () => {
    const guest = await mintGuest(server, drsmith.token, room.sid, { Identity: 'interpreter-es' });
    const refused = await dial(server, guest.token, room.sid, {});
    assertError(refused, 403, 20403, 'forbidden');
    // A patient's token and a plain Twilio-style participant token neither.
    const patient = makeToken(server.creds, { identity: 'patient-7', room: room.sid, role: 'patient' });
    assertError(await dial(server, patient, room.sid, {}), 403, 20403, 'forbidden', 'patient');
    const participant = makeToken(server.creds, { identity: 'bob', room: room.sid });
    assertError(await dial(server, participant, room.sid, {}), 403, 20403, 'forbidden', 'participant');
    const other = await provider(server, 'drjones');
    const notHers = await dial(server, other.token, room.sid, {});
    assertError(notHers, 404, 20404, 'not-found');
    const list = await request(server, 'GET', `/v1/Rooms/${room.sid}/PhoneCalls`, {
      auth: bearer(other.token),
    });
    assertError(list, 404, 20404, 'not-found');

    // Status events reach the room's providers only.
    const guestWs = await connectJoined(server, guest.token, room.sid);
    const otherWs = await connectAuthenticated(server, other.token);
    const sipp = await startSipp('busy.xml', { port: sipPort });
    try {
      const res = await dial(server, null, room.sid, {});
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.created_by, null);
      const { seen } = await timeline(ws, res.body.sid);
      assert.deepEqual(seen, ['initiated', 'ringing', 'busy']);
      await sleep(200);
      for (const client of [guestWs, otherWs]) {
        while (client.queue.length > 0)
          assert.notEqual(client.queue.shift().type, 'phone-call-status');
      }
    } finally {
      await sipp.stop();
      guestWs.terminate();
      otherWs.terminate();
    }
  });

  test('unreachable trunk: failed with the SIP reason', async () => {
    // Nothing listens on the trunk's port between sipp runs.
    const res = await dial(server, drsmith.token, room.sid, {});
    assert.equal(res.status, 201, res.text);
    const { seen, call } = await timeline(ws, res.body.sid);
    assert.deepEqual(seen, ['initiated', 'failed']);
    assert.ok(call.sip_response_code >= 400, `a SIP failure code (${call.sip_response_code})`);
    assert.equal(typeof call.sip_reason, 'string');
    assert.equal(call.error, 'phone-call-failed');
    assert.match(call.error_message, new RegExp(String(call.sip_response_code)));
  });

  test('the list keeps every call, and the room ending hangs up', async () => {
    const rtp = await RtpListener.open();
    const sipp = await startSipp('answer.xml', { port: sipPort, keys: { rtp_port: rtp.port } });
    try {
      const res = await dial(server, drsmith.token, room.sid, {});
      const sid = res.body.sid;
      while ((await nextStatus(ws, sid)).status !== 'answered');
      const list = await request(server, 'GET', `/v1/Rooms/${room.sid}/PhoneCalls`, {
        auth: bearer(drsmith.token),
      });
      assert.equal(list.status, 200);
      assert.equal(list.body.phone_bridge, true);
      assert.ok(list.body.phone_calls.length >= 9);
      assert.equal(list.body.phone_calls.at(-1).status, 'answered');
      const end = await request(server, 'POST', `/v1/Rooms/${room.sid}`, {
        auth: bearer(drsmith.token), form: { Status: 'completed' },
      });
      assert.equal(end.status, 200, end.text);
      const call = (await getCall(server, drsmith.token, room.sid, sid)).body;
      assert.equal(call.status, 'completed');
      assert.equal(call.hangup_by, 'room-ended');
      assert.equal((await sipp.finished()).code, 0, 'sipp got the BYE');
      const again = await dial(server, drsmith.token, room.sid, {});
      assertError(again, 400, 53118, 'room-completed');
    } finally {
      await sipp.stop();
      await rtp.close();
    }
  });
});

describe('phone bridge with a trunk that wants credentials', () => {
  const PASSWORD = 's3cret pass';

  async function withTrunk(scenario, sip, body) {
    const dir = makeTempDir();
    const sipPort = await freeUdpPort();
    writeFileSync(join(dir, 'sip-password'), `${PASSWORD}\n`, { mode: 0o600 });
    const config = writeSipConfig(dir, { trunk: `sip:127.0.0.1:${sipPort}`, ...sip });
    const server = await startServer({ config, env: phoneServerEnv() });
    const rtp = await RtpListener.open();
    const logFile = join(dir, 'sipp.log');
    const sipp = await startSipp(scenario, { port: sipPort, keys: { rtp_port: rtp.port }, logFile });
    try {
      const dr = await provider(server, 'drsmith');
      const room = await createRoom(server, dr.token, { UniqueName: 'auth-visit' });
      const ws = await connectJoined(server, dr.token, room.sid);
      const res = await dial(server, dr.token, room.sid, {});
      assert.equal(res.status, 201, res.text);
      const seen = [];
      let call;
      while (!['answered', 'failed'].includes(seen.at(-1))) {
        call = await nextStatus(ws, res.body.sid);
        seen.push(call.status);
      }
      await body({ server, dr, room, call, seen, sipp, logFile });
      ws.terminate();
      assert.ok(!server.stderr.includes(PASSWORD), 'the password is not logged');
    } finally {
      await sipp.stop();
      await rtp.close();
      const result = await server.stop('SIGTERM', 10000);
      assert.equal(result.code, 0, `housecalld exits 0:\n${server.stderr.slice(-3000)}`);
    }
  }

  test('a 407 challenge is answered with the configured digest credentials', async () => {
    await withTrunk('auth.xml', { username: 'clinic', 'password-file': 'sip-password' },
      async ({ server, dr, room, call, seen, sipp, logFile }) => {
        assert.deepEqual(seen, ['initiated', 'ringing', 'answered']);
        await request(server, 'POST', `/v1/Rooms/${room.sid}/PhoneCalls/${call.sid}`, {
          auth: bearer(dr.token), form: { Status: 'completed' },
        });
        assert.equal((await sipp.finished()).code, 0);
        // RFC 2617 digest, checked here (sipp 3.6.1's verifyauth is wrong
        // for Request-URIs with parameters such as ;user=phone).
        const header = /PROXY-AUTHORIZATION (Digest .*)/.exec(readFileSync(logFile, 'utf8'))?.[1];
        assert.ok(header, 'sipp logged the Proxy-Authorization header');
        const param = (name) => new RegExp(`${name}="?([^",]*)"?`).exec(header)?.[1];
        assert.equal(param('username'), 'clinic');
        assert.equal(param('realm'), 'pbx.test');
        const md5 = (s) => createHash('md5').update(s).digest('hex');
        const expected = md5(`${md5(`clinic:pbx.test:${PASSWORD}`)}:${param('nonce')}:${md5(`INVITE:${param('uri')}`)}`);
        assert.equal(param('response'), expected);
        assert.match(param('uri'), /^sip:\+14155550123@127\.0\.0\.1:\d+;user=phone$/);
      });
  });

  test('refused credentials: failed with 403', async () => {
    await withTrunk('auth-refused.xml', { username: 'clinic', 'password-file': 'sip-password' },
      async ({ call, seen }) => {
        assert.deepEqual(seen, ['initiated', 'failed']);
        assert.equal(call.sip_response_code, 403);
        assert.equal(call.error, 'phone-call-failed');
      });
  });

  test('a challenge without configured credentials: failed with 407', async () => {
    await withTrunk('auth-refused.xml', {}, async ({ call, seen }) => {
      assert.deepEqual(seen, ['initiated', 'failed']);
      assert.equal(call.sip_response_code, 407);
      assert.equal(call.error, 'phone-call-failed');
    });
  });
});

describe('phone bridge across a restart', () => {
  test('a call ringing when housecalld is killed is failed after the restart', async () => {
    const dir = makeTempDir();
    const dataDir = makeTempDir();
    const sipPort = await freeUdpPort();
    const config = writeSipConfig(dir, { trunk: `sip:127.0.0.1:${sipPort}`, 'ring-timeout-seconds': 30 });
    let server = await startServer({ config, dataDir, env: phoneServerEnv() });
    const dr = await provider(server, 'drsmith');
    const room = await createRoom(server, dr.token, { UniqueName: 'restart-visit' });
    const sipp = await startSipp('no-answer.xml', { port: sipPort });
    try {
      const res = await dial(server, dr.token, room.sid, {});
      assert.equal(res.status, 201, res.text);
      await waitFor(async () => (await getCall(server, dr.token, room.sid, res.body.sid)).body.status === 'ringing',
        'ringing', 10000);
      await server.crash();
      server = await startServer({ config, dataDir, env: phoneServerEnv() });
      const token = (await request(server, 'POST', '/v1/login', {
        form: { username: 'drsmith', password: 'correct horse battery staple' },
      })).body.token;
      const call = (await getCall(server, token, room.sid, res.body.sid)).body;
      assert.equal(call.status, 'failed');
      assert.equal(call.hangup_by, 'server-restart');
      assert.equal(call.to, NUMBER);
    } finally {
      await sipp.stop();
      await server.stop('SIGTERM', 10000);
    }
  });

  test('without [sip] trunk the phone bridge is unavailable, with a typed error', async () => {
    const server = await startServer();
    try {
      const dr = await provider(server, 'drsmith');
      const room = await createRoom(server, dr.token, { UniqueName: 'no-phone' });
      const res = await dial(server, dr.token, room.sid, {});
      assertError(res, 503, 55003, 'phone-bridge-unavailable');
      const list = await request(server, 'GET', `/v1/Rooms/${room.sid}/PhoneCalls`, { auth: bearer(dr.token) });
      assert.equal(list.body.phone_bridge, false);
    } finally {
      await server.stop('SIGTERM', 10000);
    }
  });
});
