// kill -9 of housecalld with invites outstanding: an SMS invite the gateway
// has not taken yet (it answers 503) and a guest link a provider handed out.
// After the restart nothing is lost and nothing is duplicated: the invite
// reaches the gateway exactly once, the visit link still opens the visit,
// and the guest link still enters its room (and only that room).
//
// The other kill -9 cases live next to what they crash: 20 patients waiting
// (waiting-room.test.mjs, and with their pages in tests/browser/
// patient-app.test.mjs), a reminder half-sent to the gateway
// (sms-twilio.test.mjs), scheduled reminders (sms-appointments.test.mjs),
// Janus killed mid-call and housecalld killed mid-call (tests/browser/
// two-browsers.test.mjs (d) and (f): the pages resume the call by themselves).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { apiKeyAuth, bearer, request } from './lib/http.mjs';
import { makeTempDir, startServer } from './lib/server.mjs';
import { PASSWORD, provider, createRoom, mintGuest } from './lib/setup.mjs';
import { connectAuthenticated } from './lib/signal.mjs';
import { waitFor } from './lib/util.mjs';
import {
  TwilioStandIn, createAppointment, freePort, fromNow, getAppointment, message, stopCleanly,
  waitForAppointment, writeConfig,
} from './sms/peers.mjs';

const HOUR = 3600 * 1000;

test('kill -9 with an SMS invite and a guest link outstanding: both survive, the invite is sent once', async () => {
  const twilio = await new TwilioStandIn().start();
  const dir = makeTempDir('hc-crash-invite-');
  writeFileSync(join(dir, 'auth-token'), `${twilio.authToken}\n`, { mode: 0o600 });
  const config = writeConfig(dir, {
    gateway: 'twilio', from: '+15005550006', 'twilio-url': twilio.baseUrl,
    'twilio-account-sid': twilio.accountSid, 'twilio-auth-token-file': 'auth-token',
    'retry-initial-seconds': 1, 'retry-max-seconds': 2, 'reminder-offsets': '15m',
  });
  // The same port across the restart: the invite's callback URL names it.
  const port = await freePort();
  let server = await startServer({ config: config.path, listen: `127.0.0.1:${port}` });
  try {
    // The gateway is down: the invite waits for its next attempt.
    twilio.unavailable = 1000;
    const booked = await createAppointment(server, {
      patient_name: 'Grace Hopper', mobile: '+14155550161', start_time: fromNow(2 * HOUR),
    });
    assert.equal(booked.status, 201, booked.text);
    const sid = booked.body.sid;
    const code = booked.body.visit_url.split('/v/')[1];
    await waitForAppointment(server, sid, (a) => message(a, 'invite').attempts >= 2 &&
                             message(a, 'invite').status === 'scheduled', 'two refused attempts', 15000);
    assert.equal(twilio.creates.length, 0);

    // A provider hands a guest link out for a visit room.
    const doctor = await provider(server, 'dr-crash');
    const room = await createRoom(server, doctor.token, { UniqueName: 'visit-crash' });
    const guest = await mintGuest(server, doctor.token, room.sid, { Identity: 'interpreter-fr' });

    const crashed = await server.crash();
    assert.equal(crashed.signal, 'SIGKILL');
    const refusedBefore = twilio.refused.length;
    twilio.unavailable = 0;
    server = await startServer({ config: config.path, dataDir: server.dataDir, listen: `127.0.0.1:${port}` });

    // The invite goes once the gateway is back, exactly once.
    const settled = await waitForAppointment(server, sid, (a) => message(a, 'invite').status === 'delivered',
                                             'the invite delivered after the restart', 20000);
    const invites = settled.messages.filter((m) => m.kind === 'invite');
    assert.equal(invites.length, 1, 'one invite row');
    assert.equal(twilio.creates.length, 1, twilio.creates.map((m) => m.body).join('\n'));
    assert.equal(twilio.creates[0].to, '+14155550161');
    assert.ok(twilio.creates[0].body.includes(`/v/${code}`), 'the invite carries the same visit link');
    assert.equal(invites[0].gateway_id, twilio.creates[0].sid);
    assert.ok(invites[0].attempts >= 3, `attempts counted across the crash: ${invites[0].attempts}`);
    assert.ok(refusedBefore >= 2);
    // The reminder is still planned, once.
    assert.deepEqual(settled.messages.filter((m) => m.kind === 'reminder').map((m) => m.status), ['scheduled']);

    // The visit link still opens the visit.
    const visit = await request(server, 'GET', `/v1/Visits/${code}`);
    assert.equal(visit.status, 200, visit.text);

    // The guest link is still active (listed once), enters its room and no other.
    const fresh = (await request(server, 'POST', '/v1/login', { form: { username: 'dr-crash', password: PASSWORD } })).body.token;
    const listed = await request(server, 'GET', `/v1/Rooms/${room.sid}/GuestTokens`, { auth: bearer(fresh) });
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.text.split(guest.jti).length - 1, 1, 'the guest token is listed once');
    const ws = await connectAuthenticated(server, guest.token);
    try {
      const joined = await ws.request({ type: 'join', room: room.sid });
      assert.equal(joined.type, 'joined', JSON.stringify(joined));
    } finally {
      await ws.close();
    }
    const ws2 = await connectAuthenticated(server, guest.token);
    try {
      const other = await ws2.request({ type: 'join', room: 'somewhere-else' });
      assert.equal(other.error, 'token-room-mismatch');
    } finally {
      await ws2.close();
    }

    // Nothing more reaches the gateway afterwards.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(twilio.creates.length, 1);
    const last = await getAppointment(server, sid);
    assert.equal(last.messages.length, settled.messages.length);
    await waitFor(async () => (await request(server, 'GET', '/v1/health')).status === 200, 'health');
    assert.equal((await request(server, 'GET', `/v1/Appointments/${sid}`, { auth: apiKeyAuth(server) })).status, 200);
  } finally {
    try {
      await stopCleanly(server);
    } finally {
      await twilio.stop();
    }
  }
});
