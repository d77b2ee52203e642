// No patient health information in the logs: a whole visit runs against a
// housecalld at its default log level — booking with a recognisable name,
// number and note, the SMS invite through a Twilio wire-format stand-in and
// its status callbacks, a text from the patient, a gateway refusal that
// quotes the number, check-in with an intake answer, the waiting room, the
// provider's message, the network test through Janus, admission, the call,
// the end of the visit — and then housecalld's stdout and stderr, every
// *.log file under its data directory (Janus's output among them) and the
// audit log must not contain the name, the number in any of its spellings,
// the note, the reason for the visit, the message or the visit code.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { bearer, request } from './lib/http.mjs';
import { makeTempDir, readAudit, startServer } from './lib/server.mjs';
import { provider } from './lib/setup.mjs';
import { openSignal } from './lib/signal.mjs';
import { waitFor } from './lib/util.mjs';
import {
  TwilioStandIn, createAppointment, fromNow, message, waitForAppointment, writeConfig,
} from './sms/peers.mjs';

const HOUR = 3600 * 1000;

const PATIENT = 'Philomena Quackenbush';
const MOBILE_TYPED = '+1 (415) 555-0187';
const SECOND_MOBILE = '+14155550186';
const NOTE = 'Recurring migraine with aura';
const REASON = 'Chest tightness since Tuesday';
const PROVIDER_TEXT = 'Philomena, the doctor is ready in two minutes';
const INBOUND_TEXT = 'Running late, Philomena here';

// Every spelling of the numbers a log line could carry.
const NUMBER_FORMS = ['+14155550187', '14155550187', '4155550187', '415) 555-0187', '415 555 0187',
                      '555-0187', '5550187', '+14155550186', '4155550186', '5550186'];

function logFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory())
      found.push(...logFiles(path));
    else if (/\.log$/.test(name))
      found.push(path);
  }
  return found;
}

/** Sends @message with an id; resolves the reply with that id. */
async function ask(client, message, timeoutMs = 15000) {
  const id = randomBytes(4).toString('hex');
  client.send({ ...message, id });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await client.next(Math.max(1, deadline - Date.now()));
    if (reply.id === id)
      return reply;
  }
}

async function nextOfType(client, type, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await client.next(Math.max(1, deadline - Date.now()));
    if (m.type === type)
      return m;
  }
}

test('a whole visit leaves no name, number, note, reason or visit code in any log', { timeout: 120000 }, async () => {
  const twilio = await new TwilioStandIn().start();
  const dir = makeTempDir('hc-phi-');
  writeFileSync(join(dir, 'auth-token'), `${twilio.authToken}\n`, { mode: 0o600 });
  const config = writeConfig(dir, {
    gateway: 'twilio', from: '+15005550006', 'twilio-url': twilio.baseUrl,
    'twilio-account-sid': twilio.accountSid, 'twilio-auth-token-file': 'auth-token',
  });
  const server = await startServer({ config: config.path });
  let stopped = false;
  try {
    const doctor = await provider(server, 'dr-phi');

    // Booking, the invite and its callbacks; a second booking the gateway refuses
    // with an answer that quotes the number.
    const booked = await createAppointment(server, {
      patient_name: PATIENT, mobile: MOBILE_TYPED, start_time: fromNow(HOUR), provider: 'dr-phi', note: NOTE,
    });
    assert.equal(booked.status, 201, booked.text);
    const code = booked.body.visit_url.split('/v/')[1];
    await waitForAppointment(server, booked.body.sid, (a) => message(a, 'invite').status === 'delivered',
                             'the invite delivered', 15000);
    twilio.reject.set(SECOND_MOBILE, { status: 400, code: 21610,
                                       message: `Attempt to send to unsubscribed recipient ${SECOND_MOBILE}` });
    const refused = await createAppointment(server, {
      patient_name: `${PATIENT} Jr`, mobile: SECOND_MOBILE, start_time: fromNow(HOUR), provider: 'dr-phi',
    });
    const failed = await waitForAppointment(server, refused.body.sid, (a) => message(a, 'invite').status === 'failed',
                                            'the refused invite', 15000);
    assert.match(message(failed, 'invite').error_message, /unsubscribed/);

    // The patient texts the clinic; a forged callback is refused (and logged).
    const inbound = `${server.baseUrl}/v1/sms/twilio/inbound/${config.secret}`;
    const text = await twilio.signedPost(inbound, {
      AccountSid: twilio.accountSid, MessageSid: `SM${'2'.repeat(32)}`, From: '+14155550187',
      To: '+15005550006', Body: INBOUND_TEXT,
    });
    assert.equal(text.status, 200, text.text);
    const forged = await twilio.signedPost(inbound, { From: '+14155550187', Body: 'STOP' }, { signature: 'forged' });
    assert.equal(forged.status, 403);

    // The patient opens the link and checks in.
    assert.equal((await request(server, 'GET', `/v/${code}`)).status, 200);
    assert.equal((await request(server, 'GET', `/v1/Visits/${code}`)).status, 200);
    const checkIn = await request(server, 'POST', `/v1/Visits/${code}/CheckIn`, {
      json: {
        name: PATIENT, consent: true, copay_acknowledged: true, intake: { reason: REASON },
        preflight: { verdict: 4, reasons: ['Your upload is limited'], rtt_ms: 40, camera: true,
                     microphone: true, browser: 'Chromium', mobile: false },
      },
    });
    assert.equal(checkIn.status, 200, checkIn.text);

    // The waiting room, with the provider watching the queue.
    const patient = await openSignal(server);
    const console = await openSignal(server);
    assert.equal((await ask(patient, { type: 'authenticate', token: checkIn.body.token })).type, 'authenticated');
    assert.equal((await ask(patient, { type: 'wait' })).type, 'waiting');
    assert.equal((await ask(console, { type: 'authenticate', token: doctor.token })).type, 'authenticated');
    const queue = await ask(console, { type: 'watch-queue' });
    assert.ok(JSON.stringify(queue).includes(PATIENT), 'the provider sees the name (over the socket)');

    // The network test runs through Janus (an offer it answers).
    await waitFor(async () => (await request(server, 'GET', '/v1/health')).body.media?.ready >= 1,
                  'Janus to be ready', 20000);
    const fingerprint = Array.from(randomBytes(32), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
    const offer = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'c=IN IP4 0.0.0.0', 'a=ice-ufrag:pHiX', 'a=ice-pwd:phiphiphiphiphiphiphiphi1', `a=fingerprint:sha-256 ${fingerprint}`,
      'a=setup:actpass', 'a=mid:0', 'a=sendrecv', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2', ''].join('\r\n');
    assert.equal((await ask(patient, { type: 'echo-test', sdp: offer })).type, 'echo-answer');
    await ask(patient, { type: 'echo-stop' });

    // The provider writes, then admits; both enter the room.
    const entries = (await request(server, 'GET', '/v1/WaitingRoom', { auth: bearer(doctor.token) })).body.entries;
    const entry = entries.find((e) => e.identity === checkIn.body.identity);
    const note = await request(server, 'POST', `/v1/WaitingRoom/${entry.id}/Message`,
                               { auth: bearer(doctor.token), form: { text: PROVIDER_TEXT } });
    assert.equal(note.status, 204, note.text);
    await nextOfType(patient, 'provider-message');
    const admit = await request(server, 'POST', `/v1/WaitingRoom/${entry.id}/Admit`, { auth: bearer(doctor.token) });
    assert.equal(admit.status, 200, admit.text);
    const admitted = await nextOfType(patient, 'admitted');
    assert.equal((await ask(patient, { type: 'join', room: admitted.room })).type, 'joined');
    assert.equal((await ask(console, { type: 'join', room: admitted.room })).type, 'joined');
    const published = await ask(patient, { type: 'publish', sdp: offer, audio: true, video: false });
    assert.equal(published.type, 'published', JSON.stringify(published));

    // The provider ends the visit.
    assert.equal((await ask(console, { type: 'end-visit' })).type, 'visit-ended');
    await patient.waitClosed(5000);
    await console.close();

    const result = await server.stop('SIGTERM', 10000);
    stopped = true;
    assert.equal(result.code, 0, server.stderr.slice(-2000));

    const files = logFiles(server.dataDir);
    assert.ok(files.some((f) => /janus/.test(f)), `Janus's log is among the files: ${files}`);
    const sources = {
      'housecalld stdout': server.stdout,
      'housecalld stderr': server.stderr,
      ...Object.fromEntries(files.map((f) => [f, readFileSync(f, 'utf8')])),
      'the audit log': JSON.stringify(await readAudit(server.dataDir)),
    };
    assert.match(server.stderr, /Listening on port/, 'the log is being captured');
    const needles = [PATIENT, ...PATIENT.split(' '), ...NUMBER_FORMS, NOTE, REASON, PROVIDER_TEXT,
                     INBOUND_TEXT, code];
    for (const [where, content] of Object.entries(sources)) {
      for (const needle of needles)
        assert.ok(!content.includes(needle), `${where} contains “${needle}”:\n${content.split('\n').filter((l) => l.includes(needle)).slice(0, 5).join('\n')}`);
    }
  } finally {
    if (!stopped)
      await server.stop();
    await twilio.stop();
  }
});
