// The patient's way in, server side (docs/waiting-room.md): visit links,
// check-in, the persisted queue, admission as the only way into the room, and
// the queue surviving kill -9 with 20 patients in it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { apiKeyAuth, assertError, bearer, request } from './lib/http.mjs';
import { startServer } from './lib/server.mjs';
import { provider } from './lib/setup.mjs';
import { connectAuthenticated } from './lib/signal.mjs';

const HOUR = 3600 * 1000;

function fromNow(ms) {
  return new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

async function appointment(server, fields = {}) {
  const res = await request(server, 'POST', '/v1/Appointments', {
    auth: apiKeyAuth(server),
    form: { patient_name: 'Jane Doe', mobile: '+14155550123', start_time: fromNow(HOUR),
            provider: 'drwho', ...fields },
  });
  assert.equal(res.status, 201, res.text);
  const code = res.body.visit_url.split('/v/')[1];
  assert.match(code, /^[0-9a-f]{32}$/);
  return { sid: res.body.sid, code };
}

const GOOD = {
  name: 'Jane Doe', consent: true, copay_acknowledged: true,
  intake: { q1: 'A cough' },
  preflight: { verdict: 4, reasons: ['Your upload is limited'], rtt_ms: 40, jitter_ms: 2,
               loss_percent: 0, bitrate_kbps: 1500, candidate_type: 'host', camera: true,
               microphone: true, browser: 'Chromium', mobile: false },
};

function checkIn(server, code, body = GOOD) {
  return request(server, 'POST', `/v1/Visits/${code}/CheckIn`, { json: body });
}

describe('waiting room', () => {
  let server;
  let providerToken;

  before(async () => {
    server = await startServer();
    providerToken = (await provider(server, 'drwho')).token;
  });

  after(async () => {
    await server?.stop();
  });

  test('a visit link shows the visit; bad links all get the same friendly answer', async () => {
    const { code } = await appointment(server);
    const res = await request(server, 'GET', `/v1/Visits/${code}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'open');
    assert.equal(res.body.clinic_name, 'Housecall');
    assert.ok(Array.isArray(res.body.intake_questions));
    assert.equal(res.body.patient_name, undefined, 'the visit resource never names the patient');

    const cancelled = await appointment(server);
    const cancel = await request(server, 'POST', `/v1/Appointments/${cancelled.sid}`,
                                 { auth: apiKeyAuth(server), form: { status: 'cancelled' } });
    assert.equal(cancel.status, 200, cancel.text);
    const bodies = new Set();
    for (const bad of ['0'.repeat(32), 'not-a-code', cancelled.code]) {
      const r = await request(server, 'GET', `/v1/Visits/${bad}`);
      assertError(r, 404, 53119, 'visit-link-invalid');
      bodies.add(r.text);
    }
    assert.equal(bodies.size, 1, 'made-up and cancelled links are told apart by nothing');

    // The page for any /v/ link is the same patient app.
    const page = await request(server, 'GET', '/v/0123');
    const real = await request(server, 'GET', `/v/${code}`);
    assert.equal(page.status, 200);
    assert.equal(page.text, real.text);
  });

  test('check-in is validated strictly', async () => {
    const { code } = await appointment(server);
    assertError(await checkIn(server, code, { ...GOOD, consent: false }), 400, 21002);
    assertError(await checkIn(server, code, { ...GOOD, name: '' }), 400, 21002);
    assertError(await checkIn(server, code, { ...GOOD, extra: 1 }), 400, 21004);
    assertError(await checkIn(server, code, { ...GOOD, preflight: { ...GOOD.preflight, verdict: 9 } }), 400, 21003);
    assertError(await checkIn(server, code, { ...GOOD, preflight: { ...GOOD.preflight, rtt_ms: 'fast' } }), 400, 21003);
    assertError(await checkIn(server, code, { ...GOOD, intake: { q1: 5 } }), 400, 21003);
    assertError(await request(server, 'POST', `/v1/Visits/${code}/CheckIn`, { form: { name: 'x' } }), 415);
  });

  test('a patient waits, cannot enter before admission, and is admitted by the provider', async () => {
    const { code } = await appointment(server);
    const res = await checkIn(server, code);
    assert.equal(res.status, 200, res.text);
    const { token, identity } = res.body;
    assert.match(identity, /^patient-[0-9a-f]{16}$/);
    assert.ok(res.body.position >= 1);

    const ws = await connectAuthenticated(server, token);
    ws.send({ type: 'wait', id: 'w' });
    const waiting = await ws.next();
    assert.equal(waiting.type, 'waiting');
    assert.ok(waiting.position >= 1);
    assert.ok(waiting.estimated_wait_seconds >= 0);

    // Whatever the patient sends, the media room stays shut.
    const room = `visit-${res.body.identity}`;
    for (const name of [room, 'anything', `visit-AP${'0'.repeat(32)}`]) {
      ws.send({ type: 'join', room: name, id: 'j' });
      const refused = await ws.next();
      assert.equal(refused.type, 'error');
      assert.equal(refused.error, 'not-admitted');
    }
    ws.send({ type: 'watch-queue', id: 'q' });
    assert.equal((await ws.next()).error, 'forbidden');

    const queue = await request(server, 'GET', '/v1/WaitingRoom', { auth: bearer(providerToken) });
    assert.equal(queue.status, 200, queue.text);
    const entry = queue.body.entries.find((e) => e.identity === identity);
    assert.ok(entry, 'the provider sees the patient');
    assert.equal(entry.name, 'Jane Doe');
    assert.equal(entry.verdict, 4);
    assert.equal(entry.devices_ok, true);
    assert.equal(entry.intake_done, true);
    assert.equal(entry.connected, true);

    const message = await request(server, 'POST', `/v1/WaitingRoom/${entry.id}/Message`,
                                  { auth: bearer(providerToken), form: { text: 'Five more minutes' } });
    assert.equal(message.status, 204, message.text);
    const note = await ws.next();
    assert.equal(note.type, 'provider-message');
    assert.equal(note.text, 'Five more minutes');

    const admit = await request(server, 'POST', `/v1/WaitingRoom/${entry.id}/Admit`,
                                { auth: bearer(providerToken) });
    assert.equal(admit.status, 200, admit.text);
    let admitted = await ws.next();
    while (admitted.type === 'queue-update')
      admitted = await ws.next();
    assert.equal(admitted.type, 'admitted');
    assert.equal(admitted.room, admit.body.room);

    ws.send({ type: 'join', room: admitted.room, id: 'in' });
    const joined = await ws.next();
    assert.equal(joined.type, 'joined', JSON.stringify(joined));
    assert.equal(joined.room.sid, admit.body.room);
    ws.close();
  });

  test('a removed patient is told, and cannot come back with the same link', async () => {
    const { code } = await appointment(server);
    const { token, identity } = (await checkIn(server, code)).body;
    const ws = await connectAuthenticated(server, token);
    ws.send({ type: 'wait' });
    await ws.next();
    const queue = await request(server, 'GET', '/v1/WaitingRoom', { auth: bearer(providerToken) });
    const entry = queue.body.entries.find((e) => e.identity === identity);
    const removed = await request(server, 'POST', `/v1/WaitingRoom/${entry.id}/Remove`,
                                  { auth: bearer(providerToken), form: { message: 'Please call us' } });
    assert.equal(removed.status, 204, removed.text);
    let event = await ws.next();
    while (event.type === 'queue-update')
      event = await ws.next();
    assert.equal(event.type, 'removed');
    assert.equal(event.message, 'Please call us');
    assertError(await request(server, 'GET', `/v1/Visits/${code}`), 404, 53119);
    ws.close();
  });

  test('another provider cannot see or admit my patients; patients cannot use the queue API', async () => {
    const other = (await provider(server, 'drno')).token;
    const { code } = await appointment(server);
    const { token, identity } = (await checkIn(server, code)).body;
    const mine = await request(server, 'GET', '/v1/WaitingRoom', { auth: bearer(providerToken) });
    const entry = mine.body.entries.find((e) => e.identity === identity);
    const theirs = await request(server, 'GET', '/v1/WaitingRoom', { auth: bearer(other) });
    assert.equal(theirs.body.entries.find((e) => e.identity === identity), undefined);
    assertError(await request(server, 'POST', `/v1/WaitingRoom/${entry.id}/Admit`, { auth: bearer(other) }), 404);
    assertError(await request(server, 'GET', '/v1/WaitingRoom', { auth: bearer(token) }), 403, 20403);
  });
});

describe('queue updates with two providers', () => {
  // Every queue change is worked out once for all sessions (a snapshot), and a patient
  // who connects only changes their provider's view: the positions, waits and
  // "connected" flags each side sees must still be exactly the store's.
  test('positions, waits and connected flags stay right per provider through an admission', async () => {
    const server = await startServer();
    try {
      const tokens = {};
      for (const name of ['dra', 'drb'])
        tokens[name] = (await provider(server, name)).token;
      const watch = {};
      for (const name of ['dra', 'drb']) {
        watch[name] = await connectAuthenticated(server, tokens[name]);
        watch[name].send({ type: 'watch-queue', id: 'q' });
        assert.equal((await watch[name].next()).type, 'queue');
      }
      /** The next 'queue' on @ws whose entries satisfy @pred (earlier ones skipped). */
      const queueWhere = async (ws, pred) => {
        for (;;) {
          const m = await ws.next();
          if (m.type === 'queue' && pred(m.entries))
            return m.entries;
        }
      };
      const patients = [];
      for (const [name, count] of [['dra', 3], ['drb', 2]]) {
        for (let i = 0; i < count; i++) {
          const { code } = await appointment(server, { provider: name, patient_name: `P ${name} ${i}` });
          const res = await checkIn(server, code, { ...GOOD, name: `P ${name} ${i}` });
          assert.equal(res.status, 200, res.text);
          assert.equal(res.body.position, i + 1, 'check-in position counts this provider only');
          patients.push({ provider: name, i, ...res.body });
        }
      }
      for (const p of patients) {
        p.ws = await connectAuthenticated(server, p.token);
        p.ws.send({ type: 'wait', id: 'w' });
        const waiting = await p.ws.next();
        assert.equal(waiting.type, 'waiting');
        assert.equal(waiting.position, p.i + 1);
        assert.equal(waiting.estimated_wait_seconds, p.i * 600);
        // The patient's own provider sees them connected; the other one never lists them.
        const seen = await queueWhere(watch[p.provider], (entries) =>
          entries.some((e) => e.identity === p.identity && e.connected));
        assert.equal(seen.length, patients.filter((q) => q.provider === p.provider).length);
      }
      const bView = await request(server, 'GET', '/v1/WaitingRoom', { auth: bearer(tokens.drb) });
      assert.deepEqual(bView.body.entries.map((e) => e.connected), [true, true]);
      assert.ok(!bView.body.entries.some((e) => e.identity === patients[0].identity));

      // Admitting dra's first patient moves dra's others up; drb's patients keep their places.
      const first = (await request(server, 'GET', '/v1/WaitingRoom', { auth: bearer(tokens.dra) }))
        .body.entries.find((e) => e.identity === patients[0].identity);
      const admit = await request(server, 'POST', `/v1/WaitingRoom/${first.id}/Admit`,
                                  { auth: bearer(tokens.dra) });
      assert.equal(admit.status, 200, admit.text);
      let event = await patients[0].ws.next();
      while (event.type === 'queue-update')
        event = await patients[0].ws.next();
      assert.equal(event.type, 'admitted');
      for (const p of patients.filter((q) => q.provider === 'dra' && q.i > 0)) {
        const update = await p.ws.next();
        assert.equal(update.type, 'queue-update');
        assert.equal(update.position, p.i);
        assert.equal(update.estimated_wait_seconds, (p.i - 1) * 600);
      }
      const aView = await queueWhere(watch.dra, (entries) =>
        entries.some((e) => e.identity === patients[0].identity && e.status === 'admitted'));
      assert.deepEqual(aView.map((e) => e.connected), [true, true, true]);
      // drb's patients: a fresh "wait" tells each their unchanged place.
      for (const p of patients.filter((q) => q.provider === 'drb')) {
        p.ws.send({ type: 'wait', id: 'again' });
        let again = await p.ws.next();
        while (again.type === 'queue-update')
          again = await p.ws.next();
        assert.equal(again.type, 'waiting');
        assert.equal(again.position, p.i + 1);
      }
      // A patient who goes shows as not connected to their provider.
      patients[1].ws.close();
      await patients[1].ws.waitClosed();
      // The server learns of the close on its own turn of the loop: asked again (bounded)
      // rather than raced.
      let connected = true;
      for (let attempt = 0; attempt < 50 && connected; attempt++) {
        const afterClose = await request(server, 'GET', '/v1/WaitingRoom', { auth: bearer(tokens.dra) });
        connected = afterClose.body.entries.find((e) => e.identity === patients[1].identity).connected;
        if (connected)
          await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(connected, false);
      for (const p of patients)
        p.ws.close();
      for (const ws of Object.values(watch))
        ws.close();
    } finally {
      await server.stop();
    }
  });
});

describe('the queue survives kill -9', () => {
  test('20 patients waiting are in the same order after a crash and a restart', async () => {
    const first = await startServer();
    let server = first;
    try {
      const token = (await provider(server, 'drq')).token;
      const identities = [];
      for (let i = 0; i < 20; i++) {
        const { code } = await appointment(server, { provider: 'drq', patient_name: `Patient ${i}` });
        const res = await checkIn(server, code, { ...GOOD, name: `Patient ${i}` });
        assert.equal(res.status, 200, res.text);
        identities.push(res.body.identity);
      }
      const before = await request(server, 'GET', '/v1/WaitingRoom', { auth: bearer(token) });
      assert.deepEqual(before.body.entries.map((e) => e.identity), identities);

      const crashed = await first.crash();
      assert.equal(crashed.signal, 'SIGKILL');
      server = await startServer({ dataDir: first.dataDir });
      const fresh = (await request(server, 'POST', '/v1/login',
                                   { form: { username: 'drq', password: 'correct horse battery staple' } })).body.token;
      const afterCrash = await request(server, 'GET', '/v1/WaitingRoom', { auth: bearer(fresh) });
      assert.equal(afterCrash.status, 200, afterCrash.text);
      assert.deepEqual(afterCrash.body.entries.map((e) => e.identity), identities);
      assert.deepEqual(afterCrash.body.entries.map((e) => e.name),
                       identities.map((_, i) => `Patient ${i}`));
    } finally {
      await server.stop();
    }
  });
});
