// Appointments' SMS through a real Kannel: bearerbox and smsbox with a fake
// SMSC, and fakesmsc as the carrier. The invite reaches the carrier with the
// right number and link, delivery reports come back and are recorded, a
// failure report marks the message failed, STOP and START from the phone
// work, and with the gateway down messages are retried and, after the
// bound, marked failed — none lost.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertError, request } from './lib/http.mjs';
import { makeTempDir, startServer } from './lib/server.mjs';
import { waitFor } from './lib/util.mjs';
import {
  Kannel, assertLogClean, createAppointment, freePort, fromNow, getAppointment, message,
  newSecret, stopCleanly, waitForAppointment, writeConfig,
} from './sms/peers.mjs';

const HOUR = 3600 * 1000;

describe('SMS through Kannel', () => {
  let kannel;
  let server;
  let secret;

  before(async () => {
    const port = await freePort();
    const dir = makeTempDir('hc-sms-kannel-');
    // Kannel's keyword services need housecalld's address and secret first.
    secret = newSecret();
    kannel = await Kannel.start({
      inboundUrl: `http://127.0.0.1:${port}/v1/sms/kannel/inbound/${secret}?from=%p&text=%a`,
    });
    const config = writeConfig(dir, {
      gateway: 'kannel',
      from: 'Northside',
      'kannel-url': kannel.sendsmsUrl,
      'kannel-username': kannel.username,
      'kannel-password-file': kannel.passwordFile,
    }, {}, secret);
    await kannel.startCarrier();
    server = await startServer({ config: config.path, listen: `127.0.0.1:${port}` });
  });

  after(async () => {
    try {
      if (server)
        await stopCleanly(server);
    } finally {
      await kannel?.stop();
    }
  });

  test('the invite reaches the carrier with the number and the link, and its DLR is recorded', () => kannel.explainFailure(async () => {
    const res = await createAppointment(server, {
      patient_name: 'Ada Lovelace', mobile: '+44 7911 123456', start_time: fromNow(2 * HOUR),
      note: 'follow-up on knee pain',
    });
    assert.equal(res.status, 201, res.text);
    const appointment = res.body;
    assert.equal(appointment.mobile, '+447911123456');
    assert.match(appointment.visit_url, new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/v/[0-9a-f]{32}$`));

    await waitFor(() => kannel.received().some((m) => m.to === '+447911123456'),
      'the carrier to receive the invite', 15000);
    const got = kannel.received().filter((m) => m.to === '+447911123456');
    assert.equal(got.length, 1, 'exactly one message');
    assert.equal(got[0].from, 'Northside');
    assert.ok(got[0].text.includes(appointment.visit_url), `the link is in “${got[0].text}”`);
    assert.match(got[0].text, /^Northside Clinic: your video visit is on /);
    assert.ok(!got[0].text.includes('knee') && !got[0].text.includes('Ada'), 'no health information, no name');
    assert.equal(got[0].parts, 2, 'the invite is two concatenated segments');

    // The fake SMSC reports 8 (sent) and 1 (delivered) at once: the DLR can
    // overtake smsbox's answer to the send (CI saw it), and the answer then
    // adds the gateway id and the time sent without undoing 'delivered'.
    const delivered = await waitForAppointment(server, appointment.sid,
      (a) => message(a, 'invite').status === 'delivered' && message(a, 'invite').gateway_id !== null,
      'the DLR to mark the invite delivered, and the send\'s answer to be recorded');
    const invite = message(delivered, 'invite');
    assert.equal(invite.gateway, 'kannel');
    assert.equal(invite.gateway_id, invite.sid);
    assert.equal(invite.attempts, 1);
    assert.equal(invite.segments, 2);
    assert.equal(invite.error_code, null);
    assert.ok(invite.date_sent);
    assertLogClean(server, ['Ada Lovelace', '7911123456', 'knee pain', appointment.visit_url.split('/v/')[1]]);
  }));

  test('a Kannel failure report marks the message failed and the API shows it', () => kannel.explainFailure(async () => {
    // With the carrier away, Kannel queues the message and reports nothing.
    await kannel.stopCarrier();
    const res = await createAppointment(server, {
      patient_name: 'Grace Hopper', mobile: '+447700900123', start_time: fromNow(3 * HOUR),
    });
    assert.equal(res.status, 201, res.text);
    const queued = await waitForAppointment(server, res.body.sid,
      (a) => message(a, 'invite').status === 'queued', 'Kannel to accept the invite');
    const sid = message(queued, 'invite').sid;

    // Strangers cannot forge reports.
    const forged = await request(server, 'GET',
      `/v1/sms/kannel/status/${'0'.repeat(48)}?msg=${sid}&status=16`);
    assertError(forged, 403, 54030, 'sms-callback-forbidden');
    const unknown = await request(server, 'GET',
      `/v1/sms/kannel/status/${secret}?msg=MS${'0'.repeat(32)}&status=16`);
    assertError(unknown, 404, 20404, 'not-found');
    const badType = await request(server, 'GET', `/v1/sms/kannel/status/${secret}?msg=${sid}&status=3`);
    assertError(badType, 400, 21003, 'invalid-parameter');
    assert.equal(message(await getAppointment(server, res.body.sid), 'invite').status, 'queued');

    // What Kannel fetches from the dlr-url for an SMSC reject (type 16).
    const report = await request(server, 'GET', `/v1/sms/kannel/status/${secret}?msg=${sid}` +
      '&status=16&reply=NACK%2F0x0000000b%2FInvalid+Destination+Address&ts=1795843433');
    assert.equal(report.status, 200, report.text);
    const failed = message(await getAppointment(server, res.body.sid), 'invite');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error_code, 54023);
    assert.equal(failed.error, 'sms-undelivered');
    assert.match(failed.error_message, /Invalid Destination Address/);

    await kannel.startCarrier();
  }));

  test('STOP from the phone opts the number out until START', () => kannel.explainFailure(async () => {
    const number = '+447911555001';
    const first = await createAppointment(server, {
      patient_name: 'Alan Turing', mobile: number, start_time: fromNow(4 * HOUR),
    });
    assert.equal(first.status, 201, first.text);
    await waitFor(() => kannel.received().some((m) => m.to === number), 'the first invite', 15000);

    // The carrier delivers "STOP" from the patient's phone; Kannel's keyword
    // service passes it to housecalld.
    await kannel.startCarrier([`${number} 1234 text STOP`]);
    await waitForAppointment(server, first.body.sid, (a) => a.opted_out, 'the number to be opted out');

    const second = await createAppointment(server, {
      patient_name: 'Alan Turing', mobile: number, start_time: fromNow(5 * HOUR),
    });
    assert.equal(second.status, 201, second.text);
    assert.equal(second.body.opted_out, true);
    const suppressed = message(second.body, 'invite');
    assert.equal(suppressed.status, 'suppressed');
    assert.equal(suppressed.error, 'sms-opted-out');

    await kannel.startCarrier([`${number} 1234 text start`]);
    await waitForAppointment(server, first.body.sid, (a) => !a.opted_out, 'the number to opt back in');
    const third = await createAppointment(server, {
      patient_name: 'Alan Turing', mobile: number, start_time: fromNow(6 * HOUR),
    });
    assert.equal(third.status, 201, third.text);
    await waitForAppointment(server, third.body.sid, (a) => message(a, 'invite').status === 'delivered',
      'the invite after START');
    // The carrier got the first and the third invite, never the second.
    const toNumber = kannel.received().filter((m) => m.to === number);
    assert.equal(toNumber.length, 2);
    assert.ok(toNumber[1].text.includes(third.body.visit_url));
    assert.ok(!toNumber.some((m) => m.text.includes(second.body.visit_url)));
  }));

  test('gateway down: retried with backoff, failed after the bound, nothing lost', () => kannel.explainFailure(async () => {
    const dir = makeTempDir('hc-sms-down-');
    const config = writeConfig(dir, {
      gateway: 'kannel',
      from: 'Northside',
      'kannel-url': kannel.sendsmsUrl,
      'kannel-username': kannel.username,
      'kannel-password-file': kannel.passwordFile,
      'max-attempts': 4,
      'retry-initial-seconds': 1,
      'retry-max-seconds': 4,
    });
    const down = await startServer({ config: config.path });
    try {
      await kannel.stopSmsbox();
      const lost = await createAppointment(down, {
        patient_name: 'Pat Down', mobile: '+447911555002', start_time: fromNow(2 * HOUR),
      });
      assert.equal(lost.status, 201, lost.text);
      const waiting = await waitForAppointment(down, lost.body.sid,
        (a) => message(a, 'invite').status === 'scheduled', 'the first attempt to fail');
      const first = message(waiting, 'invite');
      assert.equal(first.attempts, 1);
      assert.equal(first.error, 'sms-gateway-unavailable');
      assert.match(first.error_message, /Attempt 1 of 4 failed \(Kannel could not be reached/);

      // Attempts at 0, 1, 3 and 7 s; then it is failed, visibly.
      const failed = await waitForAppointment(down, lost.body.sid,
        (a) => message(a, 'invite').status === 'failed', 'the invite to fail after 4 attempts', 20000);
      const invite = message(failed, 'invite');
      assert.equal(invite.attempts, 4);
      assert.equal(invite.error_code, 54021);
      assert.match(invite.error_message, /^Gave up after 4 attempts/);

      // A message caught by an outage that ends within the bound goes out.
      const saved = await createAppointment(down, {
        patient_name: 'Pat Saved', mobile: '+447911555003', start_time: fromNow(2 * HOUR),
      });
      await waitForAppointment(down, saved.body.sid,
        (a) => message(a, 'invite').error === 'sms-gateway-unavailable', 'a failed attempt');
      await kannel.startSmsbox();
      const sent = await waitForAppointment(down, saved.body.sid,
        (a) => message(a, 'invite').status === 'delivered', 'the retried invite to be delivered', 20000);
      assert.ok(message(sent, 'invite').attempts >= 2);
      await waitFor(() => kannel.received().some((m) => m.to === '+447911555003'), 'the carrier to get it', 10000);
      assert.equal(kannel.received().filter((m) => m.to === '+447911555003').length, 1);
      assert.equal(kannel.received().filter((m) => m.to === '+447911555002').length, 0);
    } finally {
      if (!kannel.smsbox)
        await kannel.startSmsbox();
    }
    await stopCleanly(down);
  }));
});
