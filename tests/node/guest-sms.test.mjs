// Guest links by SMS: POST /v1/Rooms/{Room}/GuestTokens with To queues one
// text through the SMS dispatcher (here the Twilio sender, against the
// stand-in that speaks the Messages API wire format). The text's link works
// for its room only, a bad number is refused before anything is minted, an
// opted-out number gets nothing, revoking the token cancels a text not yet
// sent, the text (it holds a bearer token) leaves the database once the
// gateway has it, and a kill -9 in the middle of the send sends it once.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertError, bearer, request } from './lib/http.mjs';
import { makeTempDir, startServer } from './lib/server.mjs';
import { createRoom, provider } from './lib/setup.mjs';
import { assertSignalError, connectAuthenticated, connectJoined, expectAuthRefused } from './lib/signal.mjs';
import { sleep, waitFor } from './lib/util.mjs';
import { TwilioStandIn, assertLogClean, freePort, stopCleanly, writeConfig } from './sms/peers.mjs';

const guestsPath = (room) => `/v1/Rooms/${encodeURIComponent(room)}/GuestTokens`;
const LINK = /join the video visit: (\S+)$/;

function twilioConfig(dir, twilio, extra = {}) {
  writeFileSync(join(dir, 'auth-token'), `${twilio.authToken}\n`, { mode: 0o600 });
  return writeConfig(dir, {
    gateway: 'twilio',
    from: '+15005550006',
    'twilio-url': twilio.baseUrl,
    'twilio-account-sid': twilio.accountSid,
    'twilio-auth-token-file': 'auth-token',
    ...extra,
  });
}

/** The stored row of SMS @sid, read with the sqlite3 shell. */
function smsRow(server, sid) {
  const out = execFileSync('sqlite3', ['-json', join(server.dataDir, 'housecalld.db'),
    `SELECT kind, appointment_sid, token_jti, body IS NULL AS body_cleared, status, attempts
     FROM sms_messages WHERE sid = '${sid.replace(/[^A-Za-z0-9]/g, '')}'`], { encoding: 'utf8' });
  return JSON.parse(out || '[]')[0];
}

async function guestEntry(server, auth, room, jti) {
  const res = await request(server, 'GET', guestsPath(room), { auth: bearer(auth) });
  assert.equal(res.status, 200, res.text);
  return res.body.guest_tokens.find((t) => t.jti === jti);
}

async function waitForSms(server, auth, room, jti, predicate, what, timeoutMs = 15000) {
  let last;
  try {
    await waitFor(async () => {
      last = await guestEntry(server, auth, room, jti);
      return last?.sms && predicate(last.sms);
    }, what, timeoutMs);
  } catch (error) {
    error.message += `\nlast seen: ${JSON.stringify(last)}`;
    throw error;
  }
  return last.sms;
}

describe('guest links by SMS', () => {
  let twilio;
  let server;
  let secret;
  let dr;
  let room;
  let otherRoom;

  before(async () => {
    twilio = await new TwilioStandIn().start();
    // A long first retry, so that a text the gateway turned away stays
    // scheduled while the test looks at it.
    const config = twilioConfig(makeTempDir('hc-guest-sms-'), twilio, { 'retry-initial-seconds': 120 });
    secret = config.secret;
    server = await startServer({ config: config.path });
    dr = await provider(server, 'dr-sms');
    room = await createRoom(server, dr.token, { UniqueName: 'visit-texted' });
    otherRoom = await createRoom(server, null, { UniqueName: 'visit-elsewhere' });
  });

  after(async () => {
    try {
      if (server)
        await stopCleanly(server);
    } finally {
      await twilio?.stop();
    }
  });

  test('the text arrives with a link whose token works for that room only', async () => {
    const res = await request(server, 'POST', guestsPath(room.sid), {
      auth: bearer(dr.token), form: { Identity: 'interpreter-es', To: '+1 (415) 555-0150', Ttl: 900 },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.role, 'guest');
    assert.equal(res.body.room_sid, room.sid);
    assert.match(res.body.sms.sid, /^MS[0-9a-f]{32}$/);
    assert.ok(['scheduled', 'sending', 'queued'].includes(res.body.sms.status), res.text);
    assert.ok(!res.text.includes('4155550150'), 'the answer does not repeat the number');

    await waitFor(() => twilio.creates.some((m) => m.to === '+14155550150'), 'Twilio to get the text', 10000);
    const created = twilio.creates.find((m) => m.to === '+14155550150');
    assert.equal(created.from, '+15005550006');
    assert.match(created.body, /^Northside Clinic: join the video visit: /);
    const link = created.body.match(LINK)[1];
    assert.equal(link, `${server.baseUrl}/call.html#room=${room.sid}&token=${res.body.token}`);
    assert.ok(created.statusCallback.endsWith(`?msg=${res.body.sms.sid}`));

    // The page the link opens is served; the token rides in the fragment.
    const url = new URL(link);
    const page = await fetch(`${url.origin}${url.pathname}`, { signal: AbortSignal.timeout(10000) });
    assert.equal(page.status, 200);
    await page.arrayBuffer();
    const fragment = new URLSearchParams(url.hash.slice(1));
    assert.equal(fragment.get('room'), room.sid);
    const token = fragment.get('token');

    const client = await connectJoined(server, token, room.sid);
    client.close();
    const elsewhere = await connectAuthenticated(server, token);
    try {
      assertSignalError(await elsewhere.request({ type: 'join', room: otherRoom.sid }), 20111,
        'token-room-mismatch', 'the texted token in another room');
    } finally {
      elsewhere.close();
    }

    const sms = await waitForSms(server, dr.token, room.sid, res.body.jti, (s) => s.status === 'delivered',
      'the status callbacks to mark it delivered');
    assert.equal(sms.sid, res.body.sms.sid);
    const row = smsRow(server, sms.sid);
    assert.equal(row.kind, 'guest-invite');
    assert.equal(row.appointment_sid, null);
    assert.equal(row.token_jti, res.body.jti);
    assert.equal(row.body_cleared, 1, 'the text with its token is gone from the database');
    assert.equal(row.attempts, 1);
    assertLogClean(server, ['4155550150', '415) 555', token]);
  });

  test('revoking the guest token makes the texted link stop working', async () => {
    const res = await request(server, 'POST', guestsPath(room.sid), {
      auth: bearer(dr.token), form: { Identity: 'family-member', To: '+14155550151' },
    });
    assert.equal(res.status, 201, res.text);
    await waitFor(() => twilio.creates.some((m) => m.to === '+14155550151'), 'the text', 10000);
    const token = new URLSearchParams(new URL(twilio.creates.find((m) => m.to === '+14155550151')
      .body.match(LINK)[1]).hash.slice(1)).get('token');
    const revoked = await request(server, 'DELETE', `${guestsPath(room.sid)}/${res.body.jti}`,
      { auth: bearer(dr.token) });
    assert.equal(revoked.status, 204, revoked.text);
    await expectAuthRefused(server, token, 20110, 'token-revoked');
  });

  test('a bad number is refused with invalid-phone-number and no token is minted', async () => {
    const before = (await request(server, 'GET', guestsPath(room.sid), { auth: bearer(dr.token) })).body.guest_tokens.length;
    const sent = twilio.creates.length;
    for (const to of ['', '12', 'call me', '+1234567890123456', '+0 415 555 0152', '+1 415 555 01a2']) {
      const res = await request(server, 'POST', guestsPath(room.sid), {
        auth: bearer(dr.token), form: { Identity: 'interpreter-fr', To: to },
      });
      assertError(res, 400, 54001, 'invalid-phone-number', JSON.stringify(to));
      assert.equal(res.body.token, undefined);
    }
    const list = await request(server, 'GET', guestsPath(room.sid), { auth: bearer(dr.token) });
    assert.equal(list.body.guest_tokens.length, before, 'no token was minted');
    assert.ok(!list.body.guest_tokens.some((t) => t.identity === 'interpreter-fr'));
    await sleep(300);
    assert.equal(twilio.creates.length, sent, 'nothing was sent');
  });

  test('an opted-out number gets no text', async () => {
    const number = '+14155550153';
    const stop = await twilio.signedPost(`${server.baseUrl}/v1/sms/twilio/inbound/${secret}`, {
      AccountSid: twilio.accountSid, MessageSid: 'SM' + '2'.repeat(32), From: number,
      To: '+15005550006', Body: 'STOP', OptOutType: 'STOP',
    });
    assert.equal(stop.status, 200, stop.text);

    const res = await request(server, 'POST', guestsPath(room.sid), {
      auth: bearer(dr.token), form: { Identity: 'family-member-2', To: '+1 (415) 555-0153' },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.sms.status, 'suppressed');
    assert.equal(res.body.sms.error, 'sms-opted-out');
    assert.equal(res.body.sms.error_code, 54020);
    await sleep(500);
    assert.ok(!twilio.creates.some((m) => m.to === number), 'nothing went to the opted-out number');
    const row = smsRow(server, res.body.sms.sid);
    assert.equal(row.status, 'suppressed');
    assert.equal(row.body_cleared, 1);
  });

  test('a text waiting for a retry is cancelled when its token is revoked', async () => {
    const number = '+14155550154';
    twilio.unavailable = 1;
    const res = await request(server, 'POST', guestsPath(room.sid), {
      auth: bearer(dr.token), form: { Identity: 'interpreter-de', To: number },
    });
    assert.equal(res.status, 201, res.text);
    const waiting = await waitForSms(server, dr.token, room.sid, res.body.jti,
      (s) => s.status === 'scheduled' && s.error === 'sms-gateway-unavailable', 'the first attempt to fail');
    assert.equal(waiting.sid, res.body.sms.sid);
    assert.equal(smsRow(server, waiting.sid).body_cleared, 0, 'kept for the retry');

    const revoked = await request(server, 'DELETE', `${guestsPath(room.sid)}/${res.body.jti}`,
      { auth: bearer(dr.token) });
    assert.equal(revoked.status, 204, revoked.text);
    const row = smsRow(server, waiting.sid);
    assert.equal(row.status, 'cancelled');
    assert.equal(row.body_cleared, 1);
    assert.ok(!twilio.creates.some((m) => m.to === number), 'the gateway never took it');
  });

  test('Ttl, Identity and To are the only parameters', async () => {
    const res = await request(server, 'POST', guestsPath(room.sid), {
      auth: bearer(dr.token), form: { Identity: 'x', To: '+14155550155', Body: 'hello' },
    });
    assertError(res, 400);
  });
});

describe('kill -9 while a guest text is being sent', () => {
  test('after a restart the text has been sent exactly once', async () => {
    const twilio = await new TwilioStandIn().start();
    const config = twilioConfig(makeTempDir('hc-guest-sms-crash-'), twilio);
    const port = await freePort();
    let server = await startServer({ config: config.path, listen: `127.0.0.1:${port}` });
    try {
      const dr = await provider(server, 'dr-crash');
      const room = await createRoom(server, dr.token, { UniqueName: 'visit-crash' });

      // Twilio takes the text and is slow to answer; housecalld dies
      // meanwhile, as in a power cut.
      twilio.holdMs = 3000;
      twilio.holdWhen = (m) => LINK.test(m.body);
      const received = new Promise((r) => {
        twilio.onCreate = (m) => r(m);
      });
      const res = await request(server, 'POST', guestsPath(room.sid), {
        auth: bearer(dr.token), form: { Identity: 'interpreter-pt', To: '+14155550160' },
      });
      assert.equal(res.status, 201, res.text);
      let timer;
      const first = await Promise.race([received, new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the text never reached Twilio')), 15000);
      })]);
      clearTimeout(timer);
      const crashed = await server.crash();
      assert.equal(crashed.signal, 'SIGKILL');
      assert.equal(smsRow(server, res.body.sms.sid).status, 'sending');
      assert.equal(smsRow(server, res.body.sms.sid).body_cleared, 0);

      twilio.holdMs = 0;
      twilio.onCreate = null;
      server = await startServer({ config: config.path, dataDir: server.dataDir, listen: `127.0.0.1:${port}` });
      const sms = await waitForSms(server, dr.token, room.sid, res.body.jti, (s) => s.status === 'delivered',
        'the text delivered after the restart', 20000);
      assert.equal(sms.sid, res.body.sms.sid);
      assert.match(server.stderr, /had reached the gateway before the restart; it is not sent again/);
      assert.equal(twilio.creates.length, 1, twilio.creates.map((m) => m.to).join(', '));
      assert.equal(twilio.creates[0].sid, first.sid);
      const row = smsRow(server, sms.sid);
      assert.equal(row.body_cleared, 1);
      assert.equal(row.attempts, 1);

      // The texted link still works after the restart.
      const token = new URLSearchParams(new URL(first.body.match(LINK)[1]).hash.slice(1)).get('token');
      const client = await connectJoined(server, token, room.sid);
      client.close();
      assertLogClean(server, ['4155550160', token]);
    } finally {
      await server.stop();
      await twilio.stop();
    }
  });
});
