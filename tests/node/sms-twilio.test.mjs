// Appointments' SMS through the Twilio sender, against a local server that
// speaks Twilio's Messages API wire format (Basic auth, form bodies, JSON
// replies and errors, signed StatusCallback POSTs): the invite, its status
// callbacks, Twilio's error responses, the inbound STOP webhook, and kill -9
// of housecalld in the middle of a send, after which every reminder has
// been sent exactly once.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { makeTempDir, startServer } from './lib/server.mjs';
import { sleep, waitFor } from './lib/util.mjs';
import {
  TwilioStandIn, assertLogClean, createAppointment, freePort, fromNow, getAppointment, message,
  stopCleanly, waitForAppointment, writeConfig,
} from './sms/peers.mjs';

const HOUR = 3600 * 1000;

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

describe('SMS through the Twilio Messages API', () => {
  let twilio;
  let server;
  let secret;

  before(async () => {
    twilio = await new TwilioStandIn().start();
    const config = twilioConfig(makeTempDir('hc-sms-twilio-'), twilio);
    secret = config.secret;
    server = await startServer({ config: config.path });
  });

  after(async () => {
    try {
      if (server)
        await stopCleanly(server);
    } finally {
      await twilio?.stop();
    }
  });

  test('the invite goes through Messages.json and the status callbacks are recorded', async () => {
    const res = await createAppointment(server, {
      patient_name: 'Katherine Johnson', mobile: '+1 (415) 555-0134', start_time: fromNow(2 * HOUR),
      note: 'diabetes review',
    });
    assert.equal(res.status, 201, res.text);
    await waitFor(() => twilio.creates.length === 1, 'Twilio to get the invite', 10000);
    const created = twilio.creates[0];
    assert.equal(created.to, '+14155550134');
    assert.equal(created.from, '+15005550006');
    assert.ok(created.body.includes(res.body.visit_url), created.body);
    assert.ok(!created.body.includes('diabetes') && !created.body.includes('Katherine'));
    const invite = message(res.body, 'invite');
    assert.equal(created.statusCallback,
      `${server.baseUrl}/v1/sms/twilio/status/${secret}?msg=${invite.sid}`);

    const done = await waitForAppointment(server, res.body.sid,
      (a) => message(a, 'invite').status === 'delivered', 'the status callback to mark it delivered');
    assert.equal(message(done, 'invite').gateway, 'twilio');
    assert.equal(message(done, 'invite').gateway_id, created.sid);
    assert.deepEqual(twilio.callbacks.map((c) => [c.status, c.code]), [['sent', 204], ['delivered', 204]]);
    assertLogClean(server, ['Katherine', '4155550134', 'diabetes']);
  });

  test('an undelivered status callback marks the message failed', async () => {
    twilio.finalStatus.set('+14155550135', 'undelivered');
    const res = await createAppointment(server, {
      patient_name: 'Dorothy Vaughan', mobile: '+14155550135', start_time: fromNow(2 * HOUR),
    });
    const failed = await waitForAppointment(server, res.body.sid,
      (a) => message(a, 'invite').status === 'failed', 'the undelivered callback');
    assert.equal(message(failed, 'invite').error, 'sms-undelivered');
    assert.match(message(failed, 'invite').error_message, /undelivered, error 30003/);
  });

  test("Twilio's error response is a clear, unretried failure", async () => {
    twilio.reject.set('+14155550136', {
      status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient',
    });
    const res = await createAppointment(server, {
      patient_name: 'Mary Jackson', mobile: '+14155550136', start_time: fromNow(2 * HOUR),
    });
    const failed = await waitForAppointment(server, res.body.sid,
      (a) => message(a, 'invite').status === 'failed', 'the refusal');
    const invite = message(failed, 'invite');
    assert.equal(invite.error_code, 54022);
    assert.equal(invite.error, 'sms-gateway-rejected');
    assert.equal(invite.error_message,
      'Twilio refused the message: error 21610 (HTTP 400): Attempt to send to unsubscribed recipient');
    assert.equal(invite.attempts, 1);
    await sleep(300);
    assert.equal(twilio.refused.filter((r) => r.code === 21610).length, 1, 'not retried');
  });

  test('callbacks must carry the secret and a valid Twilio signature', async () => {
    const res = await createAppointment(server, {
      patient_name: 'Annie Easley', mobile: '+14155550137', start_time: fromNow(2 * HOUR),
    });
    const done = await waitForAppointment(server, res.body.sid,
      (a) => message(a, 'invite').status === 'delivered', 'delivery');
    const invite = message(done, 'invite');
    const fake = { sid: invite.gateway_id, to: '+14155550137', from: '+15005550006' };
    const base = `${server.baseUrl}/v1/sms/twilio/status`;
    const params = {
      AccountSid: twilio.accountSid, MessageSid: fake.sid, MessageStatus: 'failed', To: fake.to,
    };
    const wrongSecret = await twilio.signedPost(`${base}/${'1'.repeat(48)}?msg=${invite.sid}`, params);
    assert.equal(wrongSecret.status, 403);
    assert.equal(JSON.parse(wrongSecret.text).error, 'sms-callback-forbidden');
    const badSignature = await twilio.signedPost(`${base}/${secret}?msg=${invite.sid}`, params,
      { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' });
    assert.equal(badSignature.status, 403);
    const unsigned = await fetch(`${base}/${secret}?msg=${invite.sid}`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(), signal: AbortSignal.timeout(10000),
    });
    assert.equal(unsigned.status, 403);
    assert.equal(message(await getAppointment(server, res.body.sid), 'invite').status, 'delivered');
  });

  test('inbound STOP through the webhook opts out; START opts back in', async () => {
    const number = '+14155550138';
    const inbound = `${server.baseUrl}/v1/sms/twilio/inbound/${secret}`;
    const stop = await twilio.signedPost(inbound, {
      AccountSid: twilio.accountSid, MessageSid: 'SM' + '1'.repeat(32), From: number,
      To: '+15005550006', Body: 'STOP', OptOutType: 'STOP',
    });
    assert.equal(stop.status, 200, stop.text);
    assert.match(stop.text, /<Response><\/Response>/);
    const forged = await twilio.signedPost(inbound, { From: number, Body: 'START' },
      { signature: 'forged' });
    assert.equal(forged.status, 403);

    const before = twilio.creates.length;
    const res = await createAppointment(server, {
      patient_name: 'Evelyn Boyd', mobile: number, start_time: fromNow(2 * HOUR),
    });
    assert.equal(res.body.opted_out, true);
    assert.equal(message(res.body, 'invite').status, 'suppressed');
    const start = await twilio.signedPost(inbound, { From: number, To: '+15005550006', Body: 'Start' });
    assert.equal(start.status, 200, start.text);
    const again = await createAppointment(server, {
      patient_name: 'Evelyn Boyd', mobile: number, start_time: fromNow(3 * HOUR),
    });
    await waitForAppointment(server, again.body.sid, (a) => message(a, 'invite').status === 'delivered',
      'the invite after START');
    assert.equal(twilio.creates.length, before + 1);
  });
});

describe('kill -9 during a send', () => {
  test('after a restart each reminder has been sent exactly once', async () => {
    const twilio = await new TwilioStandIn().start();
    const dir = makeTempDir('hc-sms-crash-');
    // Reminders 4 and 7 seconds from now, so that they fire during the test.
    const config = twilioConfig(dir, twilio, { 'reminder-offsets': '30m;29m57s' });
    const port = await freePort();
    let server = await startServer({ config: config.path, listen: `127.0.0.1:${port}` });
    try {
      const res = await createAppointment(server, {
        patient_name: 'Margaret Hamilton', mobile: '+14155550140',
        start_time: fromNow(30 * 60 * 1000 + 4000),
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.messages.filter((m) => m.kind === 'reminder').length, 2);
      await waitFor(() => twilio.creates.length === 1, 'the invite', 10000);

      // The gateway takes the first reminder and is slow to answer; housecalld
      // dies meanwhile, as in a power cut.
      twilio.holdMs = 3000;
      twilio.holdWhen = (m) => /reminder/.test(m.body);
      const received = new Promise((r) => {
        twilio.onCreate = (m) => {
          if (/reminder/.test(m.body))
            r(m);
        };
      });
      let timer;
      const first = await Promise.race([received, new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the first reminder never reached Twilio')), 15000);
      })]);
      clearTimeout(timer);
      const crashed = await server.crash();
      assert.equal(crashed.signal, 'SIGKILL');
      const mid = twilio.creates.length;
      assert.equal(mid, 2, 'the invite and the first reminder');

      twilio.holdMs = 0;
      twilio.onCreate = null;
      server = await startServer({ config: config.path, dataDir: server.dataDir, listen: `127.0.0.1:${port}` });
      const settled = await waitForAppointment(server, res.body.sid,
        (a) => a.messages.filter((m) => m.kind === 'reminder').every((m) => m.status === 'delivered'),
        'both reminders delivered', 20000);

      // Twilio was asked whether it had the interrupted one, and had it.
      assert.ok(twilio.listed >= 1, 'housecalld looked the message up');
      assert.match(server.stderr, /had reached the gateway before the restart; it is not sent again/);
      const reminders = settled.messages.filter((m) => m.kind === 'reminder');
      assert.equal(reminders.find((m) => m.reminder_offset === 1800).gateway_id, first.sid);
      // Exactly once each: three creates in all, one per message, each
      // message tied to its own Twilio message.
      const bodies = twilio.creates.map((m) => m.body);
      assert.equal(twilio.creates.length, 3, bodies.join('\n'));
      assert.equal(bodies.filter((b) => /reminder/.test(b)).length, 2);
      const ids = settled.messages.map((m) => m.gateway_id);
      assert.deepEqual([...ids].sort(), twilio.creates.map((m) => m.sid).sort());
      for (const m of reminders)
        assert.equal(m.attempts, 1);
    } finally {
      await server.stop();
      await twilio.stop();
    }
  });
});
