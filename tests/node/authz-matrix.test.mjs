// The authorization matrix of docs/security.md, cell by cell: every REST
// request and signaling message as every role, and every token defect on
// every kind of token. The expectations are read from the tables in
// docs/security.md (and the codes from docs/errors.md), so the document and
// the server cannot drift apart: a table row this file has no request for,
// or a request without a row, fails.
//
// Each cell is its own test case. Cells whose allowed answer changes the
// world (completing a room, revoking, admitting, ending the visit …) get a
// fresh visit of their own when they are allowed; when they are refused, they
// run against the shared visit and are checked to have changed nothing.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { apiKeyAuth, bearer, request } from './lib/http.mjs';
import { REPO_ROOT, makeTempDir, readAudit, setUserDisabled, startServer } from './lib/server.mjs';
import { provider, createRoom, mintGuest } from './lib/setup.mjs';
import { openSignal } from './lib/signal.mjs';
import { phoneServerEnv } from './lib/sip.mjs';
import { decodeJwt, makeToken, now, signJwt } from './lib/tokens.mjs';
import { waitFor } from './lib/util.mjs';

const DOCS = join(process.env.HOUSECALL_SOURCE_ROOT ?? REPO_ROOT, 'docs');

// ---------------------------------------------------------------------------
// The documents

/** The table after `<!-- authz-matrix:NAME -->` in security.md: its header
 * cells and its rows (arrays of cells, backticks dropped). */
function docTable(name) {
  const text = readFileSync(join(DOCS, 'security.md'), 'utf8');
  const marker = `<!-- authz-matrix:${name} -->`;
  const start = text.indexOf(marker);
  assert.ok(start >= 0, `docs/security.md has the ${name} table`);
  const lines = text.slice(start + marker.length).split('\n').map((l) => l.trim());
  const rows = [];
  let i = lines.findIndex((l) => l.startsWith('|'));
  for (; i < lines.length && lines[i].startsWith('|'); i++) {
    const cells = lines[i].slice(1, -1).split('|').map((c) => c.trim().replace(/`/g, '').replace(/\s+/g, ' '));
    rows.push(cells);
  }
  const [header, , ...body] = rows;
  return { header, rows: body };
}

/** slug → { code, status } from the tables of errors.md. */
function errorCatalogue() {
  const text = readFileSync(join(DOCS, 'errors.md'), 'utf8');
  const map = new Map();
  for (const m of text.matchAll(/^\| (\d+) \| `([a-z0-9-]+)` \| (\d{3}) \|/gm))
    map.set(m[2], { code: Number(m[1]), status: Number(m[3]) });
  return map;
}

const ERRORS = errorCatalogue();

/** Parses a cell: ✓ 200 / ✓ 200, hides {R} / ✓ joined / ✗ slug / ✗ slug (4401) / —. */
function parseCell(cell, where) {
  if (cell === '—')
    return null;
  let m = /^✓ (\S+?)(?:, hides \{(\w+)\})?$/.exec(cell);
  if (m)
    return { allowed: true, answer: /^\d{3}$/.test(m[1]) ? Number(m[1]) : m[1], hides: m[2] };
  m = /^✗ ([a-z0-9-]+)(?: \((\d{4})\))?$/.exec(cell);
  assert.ok(m, `${where}: cannot read the cell “${cell}”`);
  const known = ERRORS.get(m[1]);
  assert.ok(known, `${where}: ${m[1]} is not in docs/errors.md`);
  return { allowed: false, slug: m[1], ...known, close: m[2] ? Number(m[2]) : undefined };
}

const REST_TABLE = docTable('rest');
const SIGNAL_TABLE = docTable('signal');
const TOKEN_TABLE = docTable('tokens');

// ---------------------------------------------------------------------------
// The world each cell runs in

const HOUR = 3600 * 1000;
const fromNow = (ms) => new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, 'Z');
const unique = (prefix) => `${prefix}-${randomBytes(4).toString('hex')}`;

const CHECK_IN = {
  name: 'Matrix Patient', consent: true, copay_acknowledged: true, intake: {},
  preflight: { verdict: 5, reasons: [], rtt_ms: 10, jitter_ms: 1, loss_percent: 0, bitrate_kbps: 2000,
               candidate_type: 'host', camera: true, microphone: true, browser: 'Node', mobile: false },
};

// A plausible audio-only offer: enough for Janus's echo test to answer.
const FINGERPRINT = Array.from(randomBytes(32), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
const OFFER = [
  'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0',
  'a=msid-semantic: WMS', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0', 'a=ice-ufrag:mAtR', 'a=ice-pwd:matrixmatrixmatrixmatrix1',
  'a=ice-options:trickle', `a=fingerprint:sha-256 ${FINGERPRINT}`, 'a=setup:actpass', 'a=mid:0',
  'a=sendrecv', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2', '',
].join('\r\n');

let server;
let tokens;       // provider tokens: host, other, off
let otherRoom;    // {R2}
let shared;       // a world for the cells that change nothing
const stranger = {};  // {X}: someone publishing in {R2}

async function api(method, path, opts = {}) {
  return request(server, method, path, { auth: apiKeyAuth(server), ...opts });
}

/** A visit of dr-host: one patient waiting, one admitted to room {R}, a
 * guest token for {R} and a second guest ({B}) to be acted on. */
async function makeWorld() {
  const book = async () => {
    const res = await api('POST', '/v1/Appointments', {
      form: { patient_name: 'Matrix Patient', mobile: '+14155550199', start_time: fromNow(HOUR), provider: 'dr-host' },
    });
    assert.equal(res.status, 201, res.text);
    const code = res.body.visit_url.split('/v/')[1];
    const checkIn = await request(server, 'POST', `/v1/Visits/${code}/CheckIn`, { json: CHECK_IN });
    assert.equal(checkIn.status, 200, checkIn.text);
    return { sid: res.body.sid, code, token: checkIn.body.token, identity: checkIn.body.identity };
  };
  const waiting = await book();
  const admitted = await book();
  const queue = await api('GET', '/v1/WaitingRoom');
  const entry = (identity) => queue.body.entries.find((e) => e.identity === identity).id;
  const admit = await request(server, 'POST', `/v1/WaitingRoom/${entry(admitted.identity)}/Admit`,
                              { auth: bearer(tokens.host) });
  assert.equal(admit.status, 200, admit.text);
  const room = admit.body.room;
  const guest = await mintGuest(server, tokens.host, room, { Identity: 'interpreter-es' });
  const bystander = await mintGuest(server, tokens.host, room, { Identity: 'family-member' });
  return {
    room, waiting, admitted, guest, bystander,
    id: entry(waiting.identity),
    role: {
      anonymous: null,
      'patient, waiting': waiting.token,
      'patient, admitted': admitted.token,
      guest: guest.token,
      'provider, other room': tokens.other,
      'provider, this room': tokens.host,
      'disabled provider': tokens.off,
      'API key': 'api-key',
    },
  };
}

/** What each placeholder of the tables stands for, for `hides`. */
function placeholder(world, name) {
  return { R: world.room, id: world.waiting.identity, AP: world.waiting.sid }[name];
}

/** The interpreter service: always has an interpreter who joins by link
 * (and the black-hole SIP trunk, below). */
const interpreter = { requests: [] };

before(async () => {
  interpreter.server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      interpreter.requests.push(body);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ action: 'join', interpreter_name: 'Maria', eta_seconds: 45 }));
    });
  });
  await new Promise((r) => interpreter.server.listen(0, '127.0.0.1', r));
  // A trunk that takes every packet and never answers: a call placed stays
  // initiated (until SIP's own timeout), so that it can be hung up.
  interpreter.trunk = dgram.createSocket('udp4');
  await new Promise((r) => interpreter.trunk.bind(0, '127.0.0.1', r));
  const dir = makeTempDir('hc-authz-');
  const config = join(dir, 'housecalld.conf');
  writeFileSync(config, [
    '[sip]', `trunk = sip:127.0.0.1:${interpreter.trunk.address().port}`, '',
    '[interpreter]', `service-url = http://127.0.0.1:${interpreter.server.address().port}/v1/interpreter-requests`,
    'name = Matrix Interpreters', '',
  ].join('\n'));
  server = await startServer({ config, env: phoneServerEnv() });
  tokens = {
    host: (await provider(server, 'dr-host')).token,
    other: (await provider(server, 'dr-other')).token,
    off: (await provider(server, 'dr-off')).token,
  };
  await setUserDisabled(server.dataDir, 'dr-off', true);
  otherRoom = await createRoom(server, tokens.other, { UniqueName: 'other-visit' });
  shared = await makeWorld();
  // {X}: a guest of {R2}, in it and publishing (an audio offer Janus answers).
  const strangerGuest = await mintGuest(server, tokens.other, otherRoom.sid, { Identity: 'stranger' });
  stranger.socket = await openSignal(server);
  assert.equal((await ask(stranger.socket, { type: 'authenticate', token: strangerGuest.token })).type, 'authenticated');
  const joined = await ask(stranger.socket, { type: 'join', room: otherRoom.sid });
  assert.equal(joined.type, 'joined', JSON.stringify(joined));
  stranger.sid = joined.participant.sid;
  await waitFor(async () => (await request(server, 'GET', '/v1/health')).body.media?.ready >= 1,
                'Janus to be ready', 20000);
  const published = await ask(stranger.socket, { type: 'publish', sdp: OFFER, audio: true, video: false }, 20000);
  assert.equal(published.type, 'published', JSON.stringify(published));
});

after(async () => {
  stranger.socket?.terminate();
  try {
    await server?.stop();
  } finally {
    // Closed even when the server's stop fails: left open, they keep this file running.
    interpreter.trunk?.close();
    interpreter.server?.closeAllConnections?.();
    await new Promise((r) => (interpreter.server ? interpreter.server.close(r) : r()));
  }
});

// ---------------------------------------------------------------------------
// REST

/** Places a phone call from @w's room once (the trunk never answers). */
async function placeCall(w) {
  if (w.call)
    return;
  const placed = await api('POST', `/v1/Rooms/${w.room}/PhoneCalls`, { form: { To: '+14155550176' } });
  assert.equal(placed.status, 201, placed.text);
  w.call = placed.body.sid;
}

/** How to make each request of the REST table, and for those that change
 * the world, how to see that a refusal changed nothing. */
const REST_REQUESTS = {
  'GET /v1/health': { request: () => ['GET', '/v1/health'] },
  'GET /v1/Visits/{code}': { request: (w) => ['GET', `/v1/Visits/${w.waiting.code}`] },
  'POST /v1/Rooms': { request: () => ['POST', '/v1/Rooms', { form: { UniqueName: unique('matrix') } }] },
  'GET /v1/Rooms': { request: () => ['GET', '/v1/Rooms?PageSize=1000'] },
  'GET /v1/Rooms/{R}': { request: (w) => ['GET', `/v1/Rooms/${w.room}`] },
  'POST /v1/Rooms/{R} Status=completed': {
    fresh: true,
    request: (w) => ['POST', `/v1/Rooms/${w.room}`, { form: { Status: 'completed' } }],
    intact: async (w) => assert.equal((await api('GET', `/v1/Rooms/${w.room}`)).body.status, 'in-progress'),
  },
  'POST /v1/Rooms/{R}/GuestTokens': {
    request: (w) => ['POST', `/v1/Rooms/${w.room}/GuestTokens`, { form: { Identity: unique('guest') } }],
  },
  'GET /v1/Rooms/{R}/GuestTokens': { request: (w) => ['GET', `/v1/Rooms/${w.room}/GuestTokens`] },
  'DELETE /v1/Rooms/{R}/GuestTokens/{jti}': {
    fresh: true,
    request: (w) => ['DELETE', `/v1/Rooms/${w.room}/GuestTokens/${encodeURIComponent(w.guest.jti)}`],
    intact: async (w) => {
      const list = await api('GET', `/v1/Rooms/${w.room}/GuestTokens`);
      assert.ok(list.text.includes(w.guest.jti), 'the guest token is still active');
    },
  },
  'POST /v1/Rooms/{R}/PhoneCalls': {
    fresh: true,
    request: (w) => ['POST', `/v1/Rooms/${w.room}/PhoneCalls`, { form: { To: '+14155550177', Label: 'Family' } }],
    intact: async (w) => assert.deepEqual((await api('GET', `/v1/Rooms/${w.room}/PhoneCalls`)).body.phone_calls, []),
  },
  'GET /v1/Rooms/{R}/PhoneCalls': { request: (w) => ['GET', `/v1/Rooms/${w.room}/PhoneCalls`] },
  'POST /v1/Rooms/{R}/PhoneCalls/{CA} Status=completed': {
    fresh: true,
    setup: async (w) => placeCall(w),
    request: (w) => ['POST', `/v1/Rooms/${w.room}/PhoneCalls/${w.call}`, { form: { Status: 'completed' } }],
    intact: async (w) => {
      const call = await api('GET', `/v1/Rooms/${w.room}/PhoneCalls/${w.call}`);
      assert.ok(!['completed', 'canceled'].includes(call.body.status), `the call goes on: ${call.text}`);
    },
  },
  'GET /v1/Rooms/{R}/PhoneCalls/{CA}': {
    setup: async (w) => placeCall(w),
    request: (w) => ['GET', `/v1/Rooms/${w.room}/PhoneCalls/${w.call}`],
  },
  'GET /v1/Rooms/{R}/InterpreterRequests': { request: (w) => ['GET', `/v1/Rooms/${w.room}/InterpreterRequests`] },
  'POST /v1/Rooms/{R}/InterpreterRequests': {
    fresh: true,
    setup: async (w) => {
      w.asked = interpreter.requests.length;
    },
    request: (w) => ['POST', `/v1/Rooms/${w.room}/InterpreterRequests`, { form: { Language: 'es' } }],
    intact: async (w) => assert.equal(interpreter.requests.length, w.asked, 'the service was not asked'),
  },
  'GET /v1/WaitingRoom': { request: () => ['GET', '/v1/WaitingRoom'] },
  'POST /v1/WaitingRoom/{id}/Admit': {
    fresh: true,
    request: (w) => ['POST', `/v1/WaitingRoom/${w.id}/Admit`],
    intact: async (w) => {
      const entry = (await api('GET', '/v1/WaitingRoom')).body.entries.find((e) => e.id === w.id);
      assert.equal(entry.status, 'waiting');
    },
  },
  'POST /v1/WaitingRoom/{id}/Message': {
    request: (w) => ['POST', `/v1/WaitingRoom/${w.id}/Message`, { form: { text: 'A few more minutes' } }],
  },
  'POST /v1/WaitingRoom/{id}/Remove': {
    fresh: true,
    request: (w) => ['POST', `/v1/WaitingRoom/${w.id}/Remove`],
    intact: async (w) => {
      const entry = (await api('GET', '/v1/WaitingRoom')).body.entries.find((e) => e.id === w.id);
      assert.equal(entry?.status, 'waiting');
    },
  },
  'POST /v1/Appointments': {
    request: () => ['POST', '/v1/Appointments', {
      form: { patient_name: 'Booked In Matrix', mobile: '+14155550198', start_time: fromNow(2 * HOUR) },
    }],
  },
  'GET /v1/Appointments': { request: () => ['GET', '/v1/Appointments?PageSize=1000'] },
  'GET /v1/Appointments/{AP}': { request: (w) => ['GET', `/v1/Appointments/${w.waiting.sid}`] },
  'POST /v1/Appointments/{AP}': {
    request: (w) => ['POST', `/v1/Appointments/${w.waiting.sid}`, { form: { note: 'Seen in the matrix' } }],
  },
  'DELETE /v1/Appointments/{AP}': {
    fresh: true,
    request: (w) => ['DELETE', `/v1/Appointments/${w.waiting.sid}`],
    intact: async (w) => assert.equal((await api('GET', `/v1/Appointments/${w.waiting.sid}`)).body.status, 'scheduled'),
  },
};

function authFor(world, role) {
  const token = world.role[role];
  if (token === null)
    return undefined;
  if (token === 'api-key')
    return apiKeyAuth(server);
  return bearer(token);
}

describe('authorization matrix: REST', () => {
  test('every row of the table has a request and every request a row', () => {
    const rows = REST_TABLE.rows.map((r) => r[0]);
    assert.deepEqual([...rows].sort(), Object.keys(REST_REQUESTS).sort());
  });

  for (const row of REST_TABLE.rows) {
    const [what, ...cells] = row;
    cells.forEach((cell, i) => {
      const role = REST_TABLE.header[i + 1];
      const expect = parseCell(cell, `${what} as ${role}`);
      if (expect === null)
        return;
      test(`${what} as ${role} → ${cell}`, async () => {
        const spec = REST_REQUESTS[what];
        assert.ok(spec, `a request for ${what}`);
        const world = spec.fresh && expect.allowed ? await makeWorld() : shared;
        await spec.setup?.(world);
        const [method, path, opts = {}] = spec.request(world);
        const res = await request(server, method, path, { ...opts, auth: authFor(world, role) });
        if (expect.allowed) {
          assert.equal(res.status, expect.answer, res.text);
          if (expect.hides) {
            const hidden = placeholder(world, expect.hides);
            assert.ok(!res.text.includes(hidden), `the answer does not show {${expect.hides}}`);
          }
        } else {
          assert.equal(res.status, expect.status, res.text);
          assert.equal(res.body?.code, expect.code, res.text);
          assert.equal(res.body?.error, expect.slug);
          assert.equal(typeof res.body?.message, 'string');
          if (spec.intact)
            await spec.intact(world);
        }
      });
    });
  }
});

// ---------------------------------------------------------------------------
// Signaling

/** Sends @message with an id and resolves the reply carrying that id (events
 * in between are skipped), or { closed } if the socket closes first. */
async function ask(client, message, timeoutMs = 5000) {
  const id = randomBytes(4).toString('hex');
  client.send({ ...message, id });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let reply;
    try {
      reply = await client.next(Math.max(1, deadline - Date.now()));
    } catch (error) {
      if (client.closeInfo)
        return { closed: client.closeInfo };
      throw error;
    }
    if (reply.id === id)
      return reply;
  }
}

const SIGNAL_MESSAGES = {
  ping: { message: () => ({ type: 'ping' }) },
  authenticate: { message: null },
  'join {R}': { fresh: true, message: (w) => ({ type: 'join', room: w.room }) },
  'join {R2}': { message: () => ({ type: 'join', room: otherRoom.sid }) },
  'join a new name': { message: () => ({ type: 'join', room: unique('adhoc') }) },
  'publish before join': {
    message: () => ({ type: 'publish', sdp: OFFER, audio: true, video: false }),
  },
  wait: { message: () => ({ type: 'wait' }) },
  'leave-queue': { fresh: true, message: () => ({ type: 'leave-queue' }) },
  'watch-queue': { message: () => ({ type: 'watch-queue' }) },
  'echo-test': { message: () => ({ type: 'echo-test', sdp: OFFER }), timeoutMs: 20000 },
  'network-quality': {
    inRoom: true,
    message: () => ({ type: 'network-quality', level: 4, reason: 'send-bandwidth' }),
  },
  mute: { inRoom: true, message: () => ({ type: 'mute', audio: true, video: false }) },
  'subscribe to {X}': { inRoom: true, message: () => ({ type: 'subscribe', participant: stranger.sid }) },
  'configure {X}': {
    inRoom: true, message: () => ({ type: 'configure', participant: stranger.sid, substream: 0 }),
  },
  leave: { inRoom: true, message: () => ({ type: 'leave' }) },
  'echo-stop': { message: () => ({ type: 'echo-stop' }) },
  'mute-participant {B}': {
    fresh: true, inRoom: true,
    message: (w) => ({ type: 'mute-participant', participant: w.bystanderSid, mute: true }),
  },
  'remove-participant {B}': {
    fresh: true, inRoom: true,
    message: (w) => ({ type: 'remove-participant', participant: w.bystanderSid }),
    intact: async (w) => {
      const pong = await ask(w.bystanderSocket, { type: 'ping' });
      assert.equal(pong.type, 'pong', 'the participant is still connected');
    },
  },
  'end-visit': {
    fresh: true, inRoom: true,
    message: () => ({ type: 'end-visit' }),
    intact: async (w) => assert.equal((await api('GET', `/v1/Rooms/${w.room}`)).body.status, 'in-progress'),
  },
};

/** Roles whose `join {R}` is allowed by the table: they join {R} before the
 * host controls are tried. */
function mayJoinRoom(role) {
  const row = SIGNAL_TABLE.rows.find((r) => r[0] === 'join {R}');
  const cell = row[SIGNAL_TABLE.header.indexOf(role)];
  return parseCell(cell, `join {R} as ${role}`)?.allowed === true;
}

describe('authorization matrix: signaling', () => {
  test('every row of the table has a message and every message a row', () => {
    const rows = SIGNAL_TABLE.rows.map((r) => r[0]);
    assert.deepEqual([...rows].sort(), Object.keys(SIGNAL_MESSAGES).sort());
  });

  for (const row of SIGNAL_TABLE.rows) {
    const [what, ...cells] = row;
    cells.forEach((cell, i) => {
      const role = SIGNAL_TABLE.header[i + 1];
      const expect = parseCell(cell, `${what} as ${role}`);
      if (expect === null)
        return;
      test(`${what} as ${role} → ${cell}`, async () => {
        const spec = SIGNAL_MESSAGES[what];
        assert.ok(spec, `a message for ${what}`);
        const world = spec.fresh && expect.allowed ? await makeWorld() : shared;
        const sockets = [];
        try {
          if (spec.inRoom) {
            // {B}: a second participant in the room to act on.
            const b = await openSignal(server);
            sockets.push(b);
            assert.equal((await ask(b, { type: 'authenticate', token: world.bystander.token })).type, 'authenticated');
            const joined = await ask(b, { type: 'join', room: world.room });
            assert.equal(joined.type, 'joined', JSON.stringify(joined));
            world.bystanderSid = joined.participant.sid;
            world.bystanderSocket = b;
          }
          const client = await openSignal(server);
          sockets.push(client);
          const steps = [];
          const token = world.role[role];
          if (token !== null)
            steps.push({ type: 'authenticate', token });
          if (spec.inRoom && mayJoinRoom(role))
            steps.push({ type: 'join', room: world.room });
          if (spec.message)
            steps.push(spec.message(world));

          let reply;
          for (const step of steps) {
            reply = await ask(client, step, spec.timeoutMs);
            if (reply.type === 'error' || reply.closed)
              break;
          }
          if (expect.allowed) {
            assert.equal(reply.type, expect.answer, JSON.stringify(reply));
            if (expect.hides) {
              const hidden = placeholder(world, expect.hides);
              assert.ok(!JSON.stringify(reply).includes(hidden), `the answer does not show {${expect.hides}}`);
            }
            if (reply.type === 'echo-answer')
              await ask(client, { type: 'echo-stop' });
          } else {
            assert.equal(reply.type, 'error', JSON.stringify(reply));
            assert.equal(reply.code, expect.code, JSON.stringify(reply));
            assert.equal(reply.error, expect.slug);
            if (expect.close !== undefined)
              assert.equal((await client.waitClosed(3000)).code, expect.close, 'close code');
            else
              assert.equal((await ask(client, { type: 'ping' })).type, 'pong', 'the socket stays usable');
            if (spec.intact)
              await spec.intact(world);
          }
        } finally {
          await Promise.all(sockets.map((s) => s.close()));
        }
      });
    });
  }
});

// ---------------------------------------------------------------------------
// Token defects

function resign(token, edit, { secret, sign } = {}) {
  const { header, payload } = decodeJwt(token);
  edit(header, payload);
  return signJwt(header, payload, secret ?? server.creds.apiKeySecret, { sign });
}

const DEFECTS = {
  expired: (t) => resign(t, (h, p) => {
    p.iat = now() - 1200;
    p.exp = now() - 600;
  }),
  'not yet valid': (t) => resign(t, (h, p) => {
    p.nbf = now() + 600;
  }),
  'wrong key': (t) => resign(t, () => {}, { secret: randomBytes(32).toString('hex') }),
  'alg none': (t) => resign(t, (h) => {
    h.alg = 'none';
  }, { sign: 'none' }),
  malformed: (t) => {
    const [h, , s] = t.split('.');
    return `${h}.!!!!${'!'.repeat(20)}.${s}`;
  },
};

describe('authorization matrix: token defects', () => {
  test('every row of the table is tried', () => {
    assert.deepEqual(TOKEN_TABLE.rows.map((r) => r[0]).sort(),
                     [...Object.keys(DEFECTS), 'revoked', 'wrong room'].sort());
  });

  const surfaces = TOKEN_TABLE.header.slice(2);
  for (const row of TOKEN_TABLE.rows) {
    const [defect, , ...cells] = row;
    // Which tokens the defect is tried on.
    const kinds = DEFECTS[defect] ? ['provider', 'guest', 'patient']
      : defect === 'revoked' ? ['guest'] : ['guest', 'participant'];
    cells.forEach((cell, i) => {
      const surface = surfaces[i];
      const expect = parseCell(cell, `${defect} on ${surface}`);
      if (expect === null)
        return;
      assert.equal(expect.allowed, false, `${defect} is refused`);
      for (const kind of kinds) {
        test(`${kind} token, ${defect}, ${surface} → ${cell}`, async () => {
          let token;
          let joinAs = null;
          if (DEFECTS[defect]) {
            const base = { provider: tokens.host, guest: shared.guest.token, patient: shared.waiting.token }[kind];
            token = DEFECTS[defect](base);
          } else if (defect === 'revoked') {
            const guest = await mintGuest(server, tokens.host, shared.room, { Identity: unique('revoked') });
            const del = await request(server, 'DELETE', `/v1/Rooms/${shared.room}/GuestTokens/${guest.jti}`,
                                      { auth: bearer(tokens.host) });
            assert.equal(del.status, 204, del.text);
            token = guest.token;
          } else {
            token = kind === 'guest'
              ? (await mintGuest(server, tokens.other, otherRoom.sid, { Identity: unique('elsewhere') })).token
              : makeToken(server.creds, { identity: unique('participant'), room: 'another-room' });
            joinAs = shared.room;
          }

          if (surface.startsWith('REST')) {
            const res = await request(server, 'GET', '/v1/WaitingRoom', { auth: bearer(token) });
            assert.equal(res.status, expect.status, res.text);
            assert.equal(res.body?.code, expect.code, res.text);
            assert.equal(res.body?.error, expect.slug);
            return;
          }
          const client = await openSignal(server);
          try {
            let reply = await ask(client, { type: 'authenticate', token });
            if (joinAs !== null) {
              assert.equal(reply.type, 'authenticated', JSON.stringify(reply));
              reply = await ask(client, { type: 'join', room: joinAs });
            }
            assert.equal(reply.type, 'error', JSON.stringify(reply));
            assert.equal(reply.code, expect.code, JSON.stringify(reply));
            assert.equal(reply.error, expect.slug);
            if (expect.close !== undefined)
              assert.equal((await client.waitClosed(3000)).code, expect.close, 'close code');
          } finally {
            await client.close();
          }
        });
      }
    });
  }
});

describe('a provider joining another provider\'s room', () => {
  test('is allowed, and the audit log names who went into which room', async () => {
    const world = await makeWorld();
    const client = await openSignal(server);
    try {
      assert.equal((await ask(client, { type: 'authenticate', token: tokens.other })).type, 'authenticated');
      assert.equal((await ask(client, { type: 'join', room: world.room })).type, 'joined');
    } finally {
      await client.close();
    }
    const audit = await readAudit(server.dataDir);
    assert.ok(audit.some((e) => e.event === 'room.joined' && e.actor === 'dr-other' && e.subject === world.room),
              JSON.stringify(audit.filter((e) => e.event === 'room.joined')));
  });
});

// ---------------------------------------------------------------------------
// Regression: an account disabled while its socket is open

describe('a provider disabled while connected', () => {
  test('no longer sees the queue: the next change closes the socket with account-disabled (4403)', async () => {
    const late = (await provider(server, 'dr-late')).token;
    const client = await openSignal(server);
    try {
      assert.equal((await ask(client, { type: 'authenticate', token: late })).type, 'authenticated');
      assert.equal((await ask(client, { type: 'watch-queue' })).type, 'queue');
      await setUserDisabled(server.dataDir, 'dr-late', true);

      // A patient of dr-late checks in: the queue changes, and would name them.
      const booked = await api('POST', '/v1/Appointments', {
        form: { patient_name: 'Zebulon Quartermaine', mobile: '+14155550197', start_time: fromNow(HOUR), provider: 'dr-late' },
      });
      assert.equal(booked.status, 201, booked.text);
      const code = booked.body.visit_url.split('/v/')[1];
      const checkIn = await request(server, 'POST', `/v1/Visits/${code}/CheckIn`,
                                    { json: { ...CHECK_IN, name: 'Zebulon Quartermaine' } });
      assert.equal(checkIn.status, 200, checkIn.text);

      const seen = [];
      for (;;) {
        let message;
        try {
          message = await client.next(5000);
        } catch {
          break;
        }
        seen.push(message);
      }
      const text = JSON.stringify(seen);
      assert.ok(!text.includes('Zebulon'), `the disabled provider was not shown the patient: ${text}`);
      const error = seen.find((m) => m.type === 'error');
      assert.equal(error?.error, 'account-disabled', text);
      assert.equal(error.code, ERRORS.get('account-disabled').code);
      assert.equal((await client.waitClosed(3000)).code, 4403);
    } finally {
      client.terminate();
    }
  });

  test('in a room: the next message is refused and the socket closed (4403), the room goes on', async () => {
    const world = await makeWorld();
    const quick = (await provider(server, 'dr-quick')).token;
    const client = await openSignal(server);
    const guest = await openSignal(server);
    try {
      assert.equal((await ask(client, { type: 'authenticate', token: quick })).type, 'authenticated');
      assert.equal((await ask(client, { type: 'join', room: world.room })).type, 'joined');
      assert.equal((await ask(guest, { type: 'authenticate', token: world.guest.token })).type, 'authenticated');
      const joined = await ask(guest, { type: 'join', room: world.room });
      assert.equal(joined.type, 'joined');
      await setUserDisabled(server.dataDir, 'dr-quick', true);

      const refused = await ask(client, { type: 'remove-participant', participant: joined.participant.sid });
      assert.equal(refused.type, 'error', JSON.stringify(refused));
      assert.equal(refused.error, 'account-disabled');
      assert.equal((await client.waitClosed(3000)).code, 4403);
      assert.equal((await ask(guest, { type: 'ping' })).type, 'pong', 'the guest is still in the visit');
      await waitFor(async () => {
        const rooms = await api('GET', `/v1/Rooms/${world.room}`);
        return rooms.body.status === 'in-progress';
      }, 'the room to stay in progress');
    } finally {
      client.terminate();
      await guest.close();
    }
  });
});
