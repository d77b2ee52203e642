// The Appointments resource with the default outbox sender: booking, input
// checks with typed errors, who sees what, moving and cancelling (and what
// that does to the reminders), `housecalld sms outbox`, template errors,
// configuration errors, and no patient data in the log.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { apiKeyAuth, assertError, bearer, request } from './lib/http.mjs';
import { makeTempDir, runHousecalld, startServer } from './lib/server.mjs';
import { provider } from './lib/setup.mjs';
import { waitFor } from './lib/util.mjs';
import {
  assertLogClean, createAppointment, fromNow, getAppointment, message, stopCleanly,
  waitForAppointment, writeConfig,
} from './sms/peers.mjs';

const HOUR = 3600 * 1000;
const MINUTE = 60 * 1000;

async function outbox(server) {
  const res = await runHousecalld(['--config', server.configPath, '--data-dir', server.dataDir, 'sms', 'outbox']);
  assert.equal(res.code, 0, res.stderr);
  return res.stdout.split('\n').filter(Boolean).map((line) => {
    const [time, to, sid, body] = line.split('\t');
    return { time, to, sid, body };
  });
}

describe('Appointments', () => {
  let server;

  before(async () => {
    const dir = makeTempDir('hc-appointments-');
    const config = writeConfig(dir, {}, { phone: '+44 20 7946 0000' });
    server = await startServer({ config: config.path });
    server.configPath = config.path;
  });

  after(async () => {
    if (server)
      await stopCleanly(server);
  });

  test('booking issues a visit link, queues the invite and plans the reminders', async () => {
    const start = fromNow(2 * 24 * HOUR);
    const res = await createAppointment(server, {
      patient_name: '  Rosalind Franklin ', mobile: '+44 (0)20 7946 0958', start_time: start,
      note: 'x-ray results; sensitive',
    });
    assert.equal(res.status, 201, res.text);
    const a = res.body;
    assert.match(a.sid, /^AP[0-9a-f]{32}$/);
    assert.equal(a.status, 'scheduled');
    assert.equal(a.patient_name, 'Rosalind Franklin');
    assert.equal(a.mobile, '+442079460958');
    assert.equal(a.start_time, start);
    assert.equal(a.note, 'x-ray results; sensitive');
    assert.match(a.visit_url, /\/v\/[0-9a-f]{32}$/);
    assert.equal(Date.parse(a.visit_code_expires) - Date.parse(start), 4 * HOUR);
    assert.equal(a.opted_out, false);
    assert.equal(a.url, `${server.baseUrl}/v1/Appointments/${a.sid}`);
    assert.deepEqual(a.messages.map((m) => m.kind), ['invite', 'reminder', 'reminder']);
    const reminders = a.messages.filter((m) => m.kind === 'reminder');
    assert.deepEqual(reminders.map((m) => m.reminder_offset).sort((x, y) => x - y), [900, 86400]);
    assert.deepEqual(reminders.map((m) => Date.parse(start) - Date.parse(m.send_at)).sort((x, y) => x - y),
      [900 * 1000, 86400 * 1000]);
    for (const m of a.messages)
      assert.match(m.sid, /^MS[0-9a-f]{32}$/);

    const sent = await waitForAppointment(server, a.sid, (x) => message(x, 'invite').status === 'queued',
      'the outbox to take the invite');
    assert.equal(message(sent, 'invite').gateway, 'outbox');
    const lines = await outbox(server);
    const line = lines.find((l) => l.sid === message(a, 'invite').sid);
    assert.ok(line, 'the invite is in the outbox');
    assert.equal(line.to, '+442079460958');
    assert.ok(line.body.startsWith('Northside Clinic: your video visit is on '), line.body);
    assert.ok(line.body.includes(a.visit_url));
    assert.ok(!line.body.includes('x-ray') && !line.body.includes('Rosalind'));
    assertLogClean(server, ['Rosalind', '2079460958', 'x-ray', a.visit_url.split('/v/')[1]]);
  });

  test('invalid input gives typed errors', async () => {
    const good = { patient_name: 'Pat', mobile: '+14155550100', start_time: fromNow(HOUR) };
    const cases = [
      [{ ...good, mobile: '415 555 0100' }, 400, 54001, 'invalid-phone-number', /international form/],
      [{ ...good, mobile: '+1 015 555 0100' }, 400, 54001, 'invalid-phone-number', /area code/],
      [{ ...good, mobile: '+800 1234 5678' }, 400, 54001, 'invalid-phone-number', /country code/],
      [{ ...good, mobile: '+44 abc' }, 400, 54001, 'invalid-phone-number', /digits/],
      [{ patient_name: 'Pat', mobile: '+14155550100' }, 400, 21002, 'missing-parameter', /start_time/],
      [{ ...good, start_time: 'tomorrow' }, 400, 21003, 'invalid-parameter', /ISO 8601/],
      [{ ...good, start_time: '2030-01-01T10:00:00' }, 400, 21003, 'invalid-parameter', /offset/],
      [{ ...good, start_time: fromNow(-MINUTE) }, 400, 21003, 'invalid-parameter', /past/],
      [{ ...good, start_time: fromNow(400 * 24 * HOUR) }, 400, 21003, 'invalid-parameter', /year/],
      [{ ...good, patient_name: '' }, 400, 21003, 'invalid-parameter', /patient_name/],
      [{ ...good, patient_name: 'a\u0007b' }, 400, 21003, 'invalid-parameter', /patient_name/],
      [{ ...good, provider: 'nobody' }, 400, 21003, 'invalid-parameter', /provider/],
      [{ ...good, note: 'n'.repeat(2001) }, 400, 21003, 'invalid-parameter', /note/],
      [{ ...good, Body: 'x' }, 400, 21004, 'unknown-parameter', /Body/],
    ];
    for (const [form, status, code, slug, pattern] of cases) {
      const res = await createAppointment(server, form);
      assertError(res, status, code, slug, JSON.stringify(form));
      assert.match(res.body.message, pattern, JSON.stringify(form));
    }
    const json = await request(server, 'POST', '/v1/Appointments', { auth: apiKeyAuth(server), json: { ...good, mobile: 12 } });
    assertError(json, 400, 54001, 'invalid-phone-number');
    assertError(await request(server, 'POST', '/v1/Appointments', { form: good }), 401, 20003, 'auth-required');
    assertError(await request(server, 'PUT', '/v1/Appointments', { auth: apiKeyAuth(server) }), 405, 20405);
    assertError(await request(server, 'GET', `/v1/Appointments/AP${'0'.repeat(32)}`, { auth: apiKeyAuth(server) }), 404, 20404);
    assertError(await request(server, 'GET', '/v1/Appointments/APxyz/Messages', { auth: apiKeyAuth(server) }), 404);
    assertError(await request(server, 'GET', '/v1/Appointments?status=done', { auth: apiKeyAuth(server) }), 400, 21003);
  });

  test('moving moves the reminders and tells the patient; cancelling cancels them', async () => {
    const start = fromNow(2 * 24 * HOUR);
    const created = await createAppointment(server, {
      patient_name: 'Pat Move', mobile: '+14155550101', start_time: start,
    });
    await waitForAppointment(server, created.body.sid, (a) => message(a, 'invite').status === 'queued', 'invite');

    const later = fromNow(3 * 24 * HOUR);
    const moved = await request(server, 'POST', `/v1/Appointments/${created.body.sid}`, {
      auth: apiKeyAuth(server), form: { start_time: later },
    });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.start_time, later);
    const old = moved.body.messages.filter((m) => m.kind === 'reminder' && m.status === 'cancelled');
    const fresh = moved.body.messages.filter((m) => m.kind === 'reminder' && m.status === 'scheduled');
    assert.equal(old.length, 2);
    assert.deepEqual(fresh.map((m) => Date.parse(later) - Date.parse(m.send_at)).sort((x, y) => x - y),
      [900 * 1000, 86400 * 1000]);
    assert.equal(Date.parse(moved.body.visit_code_expires) - Date.parse(later), 4 * HOUR);
    await waitForAppointment(server, created.body.sid, (a) => message(a, 'update')?.status === 'queued', 'update');
    const update = (await outbox(server)).find((l) => l.sid === message(moved.body, 'update').sid);
    assert.match(update.body, /has moved to/);

    const cancelled = await request(server, 'DELETE', `/v1/Appointments/${created.body.sid}`, { auth: apiKeyAuth(server) });
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.ok(cancelled.body.messages.filter((m) => m.kind === 'reminder').every((m) => m.status === 'cancelled'));
    await waitForAppointment(server, created.body.sid, (a) => message(a, 'cancel')?.status === 'queued', 'cancel note');
    const note = (await outbox(server)).find((l) => l.sid === message(cancelled.body, 'cancel').sid);
    assert.match(note.body, /is cancelled/);

    // Cancelling again changes nothing; editing a cancelled one is refused.
    const again = await request(server, 'DELETE', `/v1/Appointments/${created.body.sid}`, { auth: apiKeyAuth(server) });
    assert.equal(again.status, 200);
    assert.equal(again.body.messages.filter((m) => m.kind === 'cancel').length, 1);
    const edit = await request(server, 'POST', `/v1/Appointments/${created.body.sid}`, {
      auth: apiKeyAuth(server), form: { start_time: fromNow(5 * HOUR) },
    });
    assertError(edit, 400, 54010, 'appointment-cancelled');
    const bad = await request(server, 'POST', `/v1/Appointments/${created.body.sid}`, {
      auth: apiKeyAuth(server), form: { status: 'done' },
    });
    assertError(bad, 400, 54010);
  });

  test('a new number gets the invite afresh', async () => {
    const created = await createAppointment(server, {
      patient_name: 'Pat Number', mobile: '+14155550102', start_time: fromNow(HOUR),
    });
    const changed = await request(server, 'POST', `/v1/Appointments/${created.body.sid}`, {
      auth: apiKeyAuth(server), form: { mobile: '+1 415 555 0103' },
    });
    assert.equal(changed.status, 200, changed.text);
    const invites = changed.body.messages.filter((m) => m.kind === 'invite');
    assert.equal(invites.length, 2);
    assert.equal(invites[1].to, '+14155550103');
    const invalid = await request(server, 'POST', `/v1/Appointments/${created.body.sid}`, {
      auth: apiKeyAuth(server), form: { mobile: '555' },
    });
    assertError(invalid, 400, 54001, 'invalid-phone-number');
  });

  test('providers book and see only their own appointments', async () => {
    const drA = await provider(server, 'dr-a');
    const drB = await provider(server, 'dr-b');
    const mine = await createAppointment(server, {
      patient_name: 'Pat A', mobile: '+14155550104', start_time: fromNow(HOUR),
    }, bearer(drA.token));
    assert.equal(mine.status, 201, mine.text);
    assert.equal(mine.body.provider, 'dr-a');
    assert.equal(mine.body.created_by, 'dr-a');
    const forOther = await createAppointment(server, {
      patient_name: 'Pat A', mobile: '+14155550104', start_time: fromNow(HOUR), provider: 'dr-b',
    }, bearer(drA.token));
    assertError(forOther, 403, 20403, 'forbidden');
    const byKey = await createAppointment(server, {
      patient_name: 'Pat B', mobile: '+14155550105', start_time: fromNow(HOUR), provider: 'dr-b',
    });
    assert.equal(byKey.status, 201, byKey.text);

    const hidden = await request(server, 'GET', `/v1/Appointments/${byKey.body.sid}`, { auth: bearer(drA.token) });
    assertError(hidden, 404, 20404);
    const listA = await request(server, 'GET', '/v1/Appointments', { auth: bearer(drA.token) });
    assert.deepEqual(listA.body.appointments.map((x) => x.sid), [mine.body.sid]);
    const listB = await request(server, 'GET', '/v1/Appointments?status=scheduled', { auth: bearer(drB.token) });
    assert.deepEqual(listB.body.appointments.map((x) => x.sid), [byKey.body.sid]);
    const all = await request(server, 'GET', '/v1/Appointments?provider=dr-b&PageSize=10', { auth: apiKeyAuth(server) });
    assert.deepEqual(all.body.appointments.map((x) => x.sid), [byKey.body.sid]);
  });

  test('callback endpoints refuse the wrong secret and unused gateways', async () => {
    const wrong = await request(server, 'GET', `/v1/sms/kannel/status/${'a'.repeat(48)}?msg=x&status=1`);
    assertError(wrong, 403, 54030, 'sms-callback-forbidden');
    const short = await request(server, 'GET', '/v1/sms/kannel/status/a?msg=x&status=1');
    assertError(short, 403, 54030);
    const nothing = await request(server, 'GET', '/v1/sms/kannel/status');
    assertError(nothing, 404);
  });
});

describe('SMS templates and configuration', () => {
  test('an empty template variable is a clear error when booking', async () => {
    const dir = makeTempDir('hc-templates-');
    const config = writeConfig(dir, { 'reminder-template': '{clinic}: your visit with {provider} is at {time}. {link}' });
    const server = await startServer({ config: config.path });
    try {
      const res = await createAppointment(server, {
        patient_name: 'Pat', mobile: '+14155550106', start_time: fromNow(2 * HOUR),
      });
      assertError(res, 400, 54002, 'sms-template-variable-empty');
      assert.match(res.body.message, /reminder message .*\{provider\}/);
      await provider(server, 'dr-c');
      const ok = await createAppointment(server, {
        patient_name: 'Pat', mobile: '+14155550106', start_time: fromNow(2 * HOUR), provider: 'dr-c',
      });
      assert.equal(ok.status, 201, ok.text);
      // Moving it away from its provider would leave {provider} empty.
      const edit = await request(server, 'POST', `/v1/Appointments/${ok.body.sid}`, {
        auth: apiKeyAuth(server), form: { provider: '' },
      });
      assertError(edit, 400, 54002);
    } finally {
      await server.stop();
    }
  });

  test('a too long template is refused when booking', async () => {
    const dir = makeTempDir('hc-templates-');
    const config = writeConfig(dir, { 'max-segments': 1 });
    const server = await startServer({ config: config.path });
    try {
      const res = await createAppointment(server, {
        patient_name: 'Pat', mobile: '+14155550107', start_time: fromNow(2 * HOUR),
      });
      assertError(res, 400, 54003, 'sms-too-long');
      assert.match(res.body.message, /2 SMS segments/);
    } finally {
      await server.stop();
    }
  });

  test('configuration mistakes stop housecalld with group.key: problem', async () => {
    const cases = [
      [{ 'invite-template': 'Hi {name}' }, /^housecalld: sms\.invite-template: .*\{name\}/m],
      [{ gateway: 'carrier-pigeon' }, /sms\.gateway: must be outbox, kannel or twilio/],
      [{ gateway: 'kannel', from: 'X' }, /sms\.kannel-url: /],
      [{ gateway: 'twilio', from: '+15005550006' }, /sms\.twilio-account-sid: /],
      [{ 'reminder-offsets': '24h;soon' }, /sms\.reminder-offsets: “soon”/],
      [{ 'max-segments': 3 }, /sms\.max-segments: /],
      [{ 'kannel-url': 'ftp://x' }, /sms\.kannel-url: /],
      [{ colour: 'blue' }, /sms\.colour: unknown key/],
    ];
    for (const [sms, pattern] of cases) {
      const dir = makeTempDir('hc-config-');
      const config = writeConfig(dir, sms);
      const res = await runHousecalld(['--config', config.path, '--data-dir', dir, 'sms', 'outbox']);
      assert.equal(res.code, 2, `${JSON.stringify(sms)}: ${res.stderr}`);
      assert.match(res.stderr, pattern, JSON.stringify(sms));
    }
    const dir = makeTempDir('hc-config-');
    const config = writeConfig(dir, {}, { timezone: 'Mars/Olympus' });
    const res = await runHousecalld(['--config', config.path, '--data-dir', dir, 'sms', 'outbox']);
    assert.match(res.stderr, /clinic\.timezone: “Mars\/Olympus”/);
  });
});

describe('restart', () => {
  test('scheduled reminders survive kill -9 and are not duplicated', async () => {
    const dir = makeTempDir('hc-restart-');
    const config = writeConfig(dir, {});
    let server = await startServer({ config: config.path });
    server.configPath = config.path;
    try {
      const res = await createAppointment(server, {
        patient_name: 'Pat', mobile: '+14155550108', start_time: fromNow(2 * 24 * HOUR),
      });
      await waitForAppointment(server, res.body.sid, (a) => message(a, 'invite').status === 'queued', 'invite');
      await server.crash();
      server = await startServer({ config: config.path, dataDir: server.dataDir });
      server.configPath = config.path;
      const again = await getAppointment(server, res.body.sid);
      assert.deepEqual(again.messages.map((m) => [m.kind, m.status]),
        [['invite', 'queued'], ['reminder', 'scheduled'], ['reminder', 'scheduled']]);
      await waitFor(async () => (await outbox(server)).length === 1, 'the outbox', 3000);
    } finally {
      await server.stop();
    }
  });
});
