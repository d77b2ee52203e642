// Bad input on every endpoint: every answer is a 4xx with the JSON error body
// (numeric code, slug, status), and the server lives through all of it.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import {
  apiKeyAuth, assertClientError, assertError, assertHealthy, basicAuth, bearer, rawRequest, request,
} from './lib/http.mjs';
import { assertSignalError, connectAuthenticated, openSignal } from './lib/signal.mjs';
import { startServer } from './lib/server.mjs';
import { createRoom, mintGuest, provider } from './lib/setup.mjs';

const MiB = 1024 * 1024;

describe('bad input', () => {
  let server;
  let key; // API key Basic auth
  let doctor;
  let room;
  let guest;

  before(async () => {
    // Under AddressSanitizer, freed memory sits in a quarantine (256 MiB by
    // default) and shows up as peak RSS; keep it small so that the memory
    // test measures housecalld's buffering, not the sanitizer's.
    const asan = process.env.ASAN_OPTIONS;
    server = await startServer(asan ? { env: { ASAN_OPTIONS: `${asan}:quarantine_size_mb=4` } } : {});
    key = apiKeyAuth(server);
    doctor = await provider(server, 'dr-input');
    room = await createRoom(server, doctor.token, { UniqueName: 'visit-input' });
    guest = await mintGuest(server, doctor.token, room.sid, { Identity: 'guest-input' });
  });
  after(async () => {
    await server?.stop();
  });

  // Every endpoint that takes a body, with the auth it needs.
  const bodyEndpoints = () => [
    { name: 'login', method: 'POST', path: '/v1/login', auth: undefined },
    { name: 'Rooms create', method: 'POST', path: '/v1/Rooms', auth: key },
    { name: 'Rooms update', method: 'POST', path: `/v1/Rooms/${room.sid}`, auth: key },
    { name: 'GuestTokens create', method: 'POST', path: `/v1/Rooms/${room.sid}/GuestTokens`, auth: bearer(doctor.token) },
  ];

  const send = (ep, body, contentType) => request(server, ep.method, ep.path, {
    auth: ep.auth, body, contentType, headers: {},
  });

  test('malformed JSON → 400 malformed-body', async () => {
    for (const ep of bodyEndpoints()) {
      for (const body of ['{"UniqueName":', '{bad json}', '{"a":1}}', '{"a":1,}', '\u00ff\u00fe']) {
        assertError(await send(ep, body, 'application/json'), 400, 21001, 'malformed-body', `${ep.name} ${body}`);
      }
    }
  });

  test('JSON that is not an object → 400 malformed-body', async () => {
    for (const ep of bodyEndpoints()) {
      for (const body of ['[]', '[{"Status":"completed"}]', '"completed"', '42', 'null', 'true']) {
        assertError(await send(ep, body, 'application/json'), 400, 21001, 'malformed-body', `${ep.name} ${body}`);
      }
    }
  });

  test('wrong JSON types → 400 invalid-parameter', async () => {
    const cases = [
      ['Rooms create', { MaxParticipants: 'many' }],
      ['Rooms create', { MaxParticipants: 3.5 }],
      ['Rooms create', { MaxParticipants: -1 }],
      ['Rooms create', { MaxParticipants: 11 }],
      ['Rooms create', { MaxParticipants: 1 }],
      ['Rooms create', { UniqueName: { nested: 'object' } }],
      ['Rooms create', { UniqueName: null }],
      ['Rooms create', { UniqueName: [['nested', 'array']] }],
      ['Rooms create', { UniqueName: 'RM-looks-like-a-sid' }],
      ['Rooms create', { UniqueName: 'has/slash' }],
      ['Rooms create', { UniqueName: 'bell\u0007' }],
      ['Rooms create', { VideoCodecs: ['VP8', 'H264'] }],
      ['Rooms create', { VideoCodecs: 'VP9' }],
      ['Rooms create', { Type: 'p2p' }],
      ['Rooms create', { EnableTurn: 'maybe' }],
      ['Rooms create', { StatusCallback: 'javascript:alert(1)' }],
      ['Rooms create', { StatusCallback: 'https://' }],
      ['Rooms create', { StatusCallbackMethod: 'GET' }],
      ['Rooms create', { AudioOnly: true }],
      ['Rooms create', { RecordParticipantsOnConnect: 'true' }],
      ['Rooms update', { Status: 'in-progress' }],
      ['Rooms update', { Status: { is: 'completed' } }],
      ['Rooms update', { Status: 1 }],
      ['GuestTokens create', { Identity: 'g', Ttl: 'long' }],
      ['GuestTokens create', { Identity: { name: 'g' } }],
      ['GuestTokens create', { Identity: 'g', Ttl: 60.5 }],
      ['login', { username: { $ne: null }, password: 'x' }],
      ['login', { username: 'dr-input', password: ['a', { b: 1 }] }],
    ];
    for (const [name, json] of cases) {
      const ep = bodyEndpoints().find((e) => e.name === name);
      const res = await send(ep, JSON.stringify(json), 'application/json');
      assertError(res, 400, 21003, 'invalid-parameter', `${name} ${JSON.stringify(json)}`);
    }
    // The room is still in progress after all those updates.
    const fetched = await request(server, 'GET', `/v1/Rooms/${room.sid}`, { auth: key });
    assert.equal(fetched.body.status, 'in-progress');
  });

  test('missing parameters → 400 missing-parameter', async () => {
    assertError(await request(server, 'POST', '/v1/login', { json: { username: 'dr-input' } }), 400, 21002, 'missing-parameter');
    assertError(await request(server, 'POST', '/v1/login', { json: {} }), 400, 21002, 'missing-parameter');
    assertError(await request(server, 'POST', '/v1/login', {}), 400, 21002, 'missing-parameter', 'empty body');
    assertError(await request(server, 'POST', `/v1/Rooms/${room.sid}`, { auth: key, form: {} }), 400, 21002, 'missing-parameter');
    assertError(await request(server, 'POST', `/v1/Rooms/${room.sid}/GuestTokens`, { auth: key, json: {} }),
      400, 21002, 'missing-parameter');
  });

  test('unknown fields → 400 unknown-parameter (JSON and form)', async () => {
    for (const ep of bodyEndpoints()) {
      for (const extra of [{ Bogus: 'x' }, { uniquename: 'lower-case-is-another-name' }, { __proto__x: 1 }]) {
        assertError(await send(ep, JSON.stringify(extra), 'application/json'), 400, 21004, 'unknown-parameter',
          `${ep.name} JSON ${JSON.stringify(extra)}`);
        assertError(await send(ep, new URLSearchParams(extra).toString(), 'application/x-www-form-urlencoded'),
          400, 21004, 'unknown-parameter', `${ep.name} form`);
      }
    }
  });

  test('wrong content type → 415 unsupported-media-type', async () => {
    for (const ep of bodyEndpoints()) {
      for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/xml', null]) {
        const res = await send(ep, '{"Status":"completed"}', type);
        assertError(res, 415, 21006, 'unsupported-media-type', `${ep.name} ${type}`);
      }
    }
  });

  test('media types are case-insensitive (RFC 9110 §8.3.1)', async () => {
    const res = await request(server, 'POST', '/v1/Rooms', {
      auth: key, body: JSON.stringify({ UniqueName: 'upper-case-type' }), contentType: 'Application/JSON',
    });
    assert.equal(res.status, 201, `Application/JSON is application/json: ${res.text}`);
    const form = await request(server, 'POST', '/v1/Rooms', {
      auth: key, body: 'UniqueName=upper-case-form', contentType: 'APPLICATION/X-WWW-FORM-URLENCODED',
    });
    assert.equal(form.status, 201, form.text);
  });

  test('a body over 1 MiB → 413 body-too-large with a JSON body', async () => {
    for (const ep of bodyEndpoints()) {
      const body = Buffer.from(`{"UniqueName":"${'a'.repeat(MiB + 16)}"}`);
      const head = [
        `${ep.method} ${ep.path} HTTP/1.1`,
        `Host: 127.0.0.1:${server.port}`,
        ...(ep.auth ? [`Authorization: ${ep.auth}`] : []),
        'Content-Type: application/json',
        `Content-Length: ${body.length}`,
        'Connection: close',
      ].join('\r\n');
      const res = await rawRequest(server, head, body, { timeoutMs: 10000 });
      assertError(res, 413, 21005, 'body-too-large', ep.name);
    }
    // Form bodies too.
    const form = Buffer.from(`UniqueName=${'b'.repeat(MiB + 1)}`);
    const res = await rawRequest(server, [
      'POST /v1/Rooms HTTP/1.1', `Host: 127.0.0.1:${server.port}`, `Authorization: ${key}`,
      'Content-Type: application/x-www-form-urlencoded', `Content-Length: ${form.length}`, 'Connection: close',
    ].join('\r\n'), form, { timeoutMs: 10000 });
    assertError(res, 413, 21005, 'body-too-large', 'form');
  });

  test('Expect: 100-continue with a body over 1 MiB → 413 at once, not 100 Continue', async () => {
    // The client waits for the go-ahead before sending the body; the server
    // must refuse from the headers alone instead of asking for 64 MiB.
    for (const ep of bodyEndpoints()) {
      const head = [
        `${ep.method} ${ep.path} HTTP/1.1`,
        `Host: 127.0.0.1:${server.port}`,
        ...(ep.auth ? [`Authorization: ${ep.auth}`] : []),
        'Content-Type: application/json',
        `Content-Length: ${64 * MiB}`,
        'Expect: 100-continue',
      ].join('\r\n');
      const res = await rawRequest(server, head, undefined, { timeoutMs: 2000, sendBody: false });
      assert.ok(!res.timedOut, `${ep.name}: no final answer within 2 s${/^HTTP\/1\.1 100/.test(res.partial ?? '')
        ? ' (the server answered 100 Continue to a body it must refuse)' : ''}`);
      assertError(res, 413, 21005, 'body-too-large', ep.name);
    }
  });

  test('a body over 1 MiB is not buffered in memory', async (t) => {
    const statusFile = `/proc/${server.pid}/status`;
    const peakKiB = () => {
      const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(statusFile, 'utf8'));
      return Number(match[1]);
    };
    if (!existsSync(statusFile)) {
      t.skip('no /proc on this system');
      return;
    }
    const before = peakKiB();
    const size = 48 * MiB;
    const res = await rawRequest(server, [
      'POST /v1/login HTTP/1.1', `Host: 127.0.0.1:${server.port}`, 'Content-Type: application/json',
      `Content-Length: ${size}`, 'Connection: close',
    ].join('\r\n'), Buffer.alloc(size, 0x20), { timeoutMs: 20000, chunkSize: MiB });
    assertError(res, 413, 21005, 'body-too-large');
    const grew = peakKiB() - before;
    assert.ok(grew < 16 * 1024, `peak memory grew by ${Math.round(grew / 1024)} MiB for a refused ${size / MiB} MiB body`);
    await assertHealthy(server);
  });

  test('chunked request bodies on the API are refused (no unbounded buffering)', async () => {
    for (const ep of bodyEndpoints()) {
      const chunk = '{"Status":"completed"}';
      const head = [
        `${ep.method} ${ep.path} HTTP/1.1`,
        `Host: 127.0.0.1:${server.port}`,
        ...(ep.auth ? [`Authorization: ${ep.auth}`] : []),
        'Content-Type: application/json',
        'Transfer-Encoding: chunked',
      ].join('\r\n');
      const body = Buffer.from(`${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`);
      const res = await rawRequest(server, head, body, { timeoutMs: 3000 });
      assertError(res, 400, 21000, 'bad-request', `${ep.name} chunked`);
    }
    const fetched = await request(server, 'GET', `/v1/Rooms/${room.sid}`, { auth: key });
    assert.equal(fetched.body.status, 'in-progress', 'the chunked update was not applied');
  });

  test('bad percent-escapes, NUL bytes and invalid UTF-8 in form bodies → 400 malformed-body', async () => {
    for (const ep of bodyEndpoints()) {
      const bodies = [
        'UniqueName=%zz', 'UniqueName=%4', 'UniqueName=abc%', '%zz=value', 'UniqueName=a%00b', 'Uni%00queName=x',
        Buffer.from('UniqueName=a\0b'), Buffer.from('\0'), 'UniqueName=%ff%fe', Buffer.from([0x55, 0x3d, 0xff, 0xfe]),
        '=value-without-name',
      ];
      for (const body of bodies) {
        const res = await send(ep, body, 'application/x-www-form-urlencoded');
        assertError(res, 400, 21001, 'malformed-body', `${ep.name} ${JSON.stringify(body.toString())}`);
      }
      // NUL bytes in JSON, raw or escaped in a name.
      assertError(await send(ep, Buffer.from('{"UniqueName":"a\0b"}'), 'application/json'), 400, 21001, 'malformed-body');
    }
  });

  test('too many parameters → 400 malformed-body', async () => {
    const many = Array.from({ length: 70 }, (_, i) => `P${i}=x`).join('&');
    assertError(await request(server, 'POST', '/v1/Rooms', {
      auth: key, body: many, contentType: 'application/x-www-form-urlencoded',
    }), 400, 21001, 'malformed-body');
    const repeated = Array.from({ length: 70 }, () => 'VideoCodecs=VP8').join('&');
    assertError(await request(server, 'POST', '/v1/Rooms', {
      auth: key, body: repeated, contentType: 'application/x-www-form-urlencoded',
    }), 400, 21001, 'malformed-body');
  });

  test('wrong methods → 405 method-not-allowed', async () => {
    const cases = [
      ['POST', '/', undefined],
      ['DELETE', '/call.html', undefined],
      ['PUT', '/v1/health', undefined],
      ['POST', '/v1/health', undefined],
      ['DELETE', '/v1/health', undefined],
      ['GET', '/v1/login', undefined],
      ['PUT', '/v1/login', undefined],
      ['DELETE', '/v1/Rooms', key],
      ['PATCH', '/v1/Rooms', key],
      ['PUT', `/v1/Rooms/${room.sid}`, key],
      ['DELETE', `/v1/Rooms/${room.sid}`, key],
      ['PUT', `/v1/Rooms/${room.sid}/GuestTokens`, bearer(doctor.token)],
      ['DELETE', `/v1/Rooms/${room.sid}/GuestTokens`, bearer(doctor.token)],
      ['GET', `/v1/Rooms/${room.sid}/GuestTokens/${guest.jti}`, bearer(doctor.token)],
      ['POST', `/v1/Rooms/${room.sid}/GuestTokens/${guest.jti}`, bearer(doctor.token)],
    ];
    for (const [method, path, auth] of cases) {
      assertError(await request(server, method, path, { auth }), 405, 20405, 'method-not-allowed', `${method} ${path}`);
    }
  });

  test('unknown paths → 404 not-found', async () => {
    const cases = [
      ['GET', '/v1', undefined],
      ['GET', '/no-such-page.html', undefined],
      ['GET', '/.hidden.html', undefined],
      ['GET', '/etc/passwd', undefined],
      ['GET', '/js/', undefined],
      ['GET', '/v2/health', undefined],
      ['GET', '/v1/Health', undefined],
      ['GET', '/v1/health/extra', undefined],
      ['POST', '/v1/login/extra', undefined],
      ['GET', '/v1/Nothing', key],
      ['GET', '/v1/rooms', key],
      ['GET', '/v1/Rooms/no-such-room', key],
      ['GET', `/v1/Rooms/RM${'0'.repeat(32)}`, key],
      ['GET', `/v1/Rooms/${'x'.repeat(300)}`, key],
      ['GET', `/v1/Rooms/${room.sid}/Participants`, key],
      ['GET', `/v1/Rooms/${room.sid}/GuestTokens/a/b`, key],
      ['GET', '/v1/Rooms/no-such-room/GuestTokens', key],
      ['DELETE', `/v1/Rooms/${room.sid}/GuestTokens/no-such-jti`, key],
      ['GET', '/../../etc/passwd', undefined],
      ['GET', '/v1/../v1/Rooms/../../etc/passwd', key],
    ];
    for (const [method, path, auth] of cases) {
      assertError(await request(server, method, path, { auth }), 404, 20404, 'not-found', `${method} ${path}`);
    }
  });

  test('bad query strings on the Rooms list → 400', async () => {
    for (const query of ['Status=bogus', 'PageSize=0', 'PageSize=1001', 'PageSize=ten', 'PageSize=-5']) {
      assertError(await request(server, 'GET', `/v1/Rooms?${query}`, { auth: key }), 400, 21003, 'invalid-parameter', query);
    }
    assertError(await request(server, 'GET', '/v1/Rooms?Bogus=1', { auth: key }), 400, 21004, 'unknown-parameter');
  });

  test('malformed percent-escapes in the URL → 400, server unharmed', async () => {
    // libsoup refuses these request lines before any housecalld code runs.
    for (const path of ['/v1/Rooms/%ZZ', '/v1/Rooms/%00', '/v1/Rooms?Status=%zz', '/v1/health%']) {
      const res = await request(server, 'GET', path, { auth: key });
      assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
      if (res.text !== '')
        assertClientError(res, path);
    }
    await assertHealthy(server);
  });

  test('authentication problems → 401 with the right code', async () => {
    const noAuth = await request(server, 'GET', '/v1/Rooms');
    assertError(noAuth, 401, 20003, 'auth-required');
    assert.match(noAuth.headers['www-authenticate'] ?? '', /^Basic /);
    const cases = [
      [basicAuth(server.creds.apiKeySid, 'wrong-secret'), 20004],
      [basicAuth(server.creds.apiKeySid, ''), 20004],
      [basicAuth('SKnot-a-sid', server.creds.apiKeySecret), 20004],
      [basicAuth(server.creds.apiKeySid.toLowerCase(), server.creds.apiKeySecret), 20004],
      [basicAuth(`${server.creds.apiKeySid}x`, server.creds.apiKeySecret), 20004],
      [basicAuth(server.creds.apiKeySid, `${server.creds.apiKeySecret}x`), 20004],
      [basicAuth(server.creds.apiKeySid, server.creds.apiKeySecret.slice(0, -1)), 20004],
      ['Basic !!!not-base64!!!', 20004],
      ['Basic ', 20003], // the trailing space is not part of the field value
      [`Basic ${'A'.repeat(5000)}`, 20004],
      ['Digest username="x"', 20003],
      ['Token abc', 20003],
    ];
    for (const [auth, code] of cases) {
      const res = await request(server, 'GET', '/v1/Rooms', { auth });
      assertClientError(res, auth.slice(0, 40));
      assert.equal(res.status, 401, auth.slice(0, 40));
      assert.equal(res.body.code, code, `${auth.slice(0, 40)}: ${res.text}`);
    }
  });

  test('login with wrong types or junk credentials is refused cleanly', async () => {
    for (const json of [{ username: 'x'.repeat(65), password: 'correct horse' }, { username: 'nobody', password: 'x'.repeat(2000) },
      { username: 'bad\u0001name', password: 'whatever12' }, { username: '', password: '' }]) {
      const res = await request(server, 'POST', '/v1/login', { json });
      assertClientError(res, JSON.stringify(json).slice(0, 60));
    }
  });

  test('a plain GET on /v1/signal (no WebSocket handshake) gets a JSON error', async () => {
    const res = await request(server, 'GET', '/v1/signal');
    assertClientError(res, 'GET /v1/signal without Upgrade');
  });

  describe('signaling socket', () => {
    test('binary frames, non-JSON, arrays, missing or wrong types → 53001 message-malformed; socket stays usable', async () => {
      const client = await openSignal(server);
      try {
        const bad = [
          [Buffer.from('{"type":"ping"}'), { binary: true }],
          ['hello'],
          ['[1,2,3]'],
          ['[{"type":"ping"}]'],
          ['"ping"'],
          ['null'],
          ['{}'],
          ['{"type":5}'],
          ['{"type":null}'],
          ['{"type":["ping"]}'],
          ['{"type":"ping","id":7}'],
          [`{"type":"ping","id":"${'i'.repeat(65)}"}`],
          ['{"type":"ping"'],
          [''],
        ];
        for (const [data, options] of bad) {
          client.sendRaw(data, options ?? { binary: false });
          const reply = await client.next(3000);
          assertSignalError(reply, 53001, 'message-malformed', `${JSON.stringify(String(data)).slice(0, 40)}`);
          assert.equal(reply.status, undefined, 'signaling errors carry no HTTP status');
        }
        assert.ok(client.isOpen);
        assert.deepEqual(await client.request({ type: 'ping', id: 'still-here' }), { type: 'pong', id: 'still-here' });
      } finally {
        client.terminate();
      }
    });

    test('unknown type → 53002; join/leave before authenticate → 53003', async () => {
      const client = await openSignal(server);
      try {
        assertSignalError(await client.request({ type: 'explode' }), 53002, 'message-unknown-type');
        assertSignalError(await client.request({ type: 'PING' }), 53002, 'message-unknown-type');
        const join = await client.request({ type: 'join', room: room.sid, id: 'j1' });
        assertSignalError(join, 53003, 'message-out-of-order');
        assert.equal(join.id, 'j1', 'the request id is echoed');
        assertSignalError(await client.request({ type: 'leave' }), 53003, 'message-out-of-order');
        assert.ok(client.isOpen);
      } finally {
        client.terminate();
      }
    });

    test('after authenticate: bad joins, a second authenticate, leave outside a room', async () => {
      const client = await connectAuthenticated(server, doctor.token);
      try {
        for (const roomName of [42, null, ['visit-input'], { sid: room.sid }, '', 'bell\u0007', 'x'.repeat(129)]) {
          assertSignalError(await client.request({ type: 'join', room: roomName }), 53001, 'message-malformed',
            `join ${JSON.stringify(roomName)}`);
        }
        assertSignalError(await client.request({ type: 'join' }), 53001, 'message-malformed');
        assertSignalError(await client.request({ type: 'authenticate', token: doctor.token }), 53003, 'message-out-of-order');
        assertSignalError(await client.request({ type: 'leave' }), 53003, 'message-out-of-order');
        const joined = await client.request({ type: 'join', room: room.sid });
        assert.equal(joined.type, 'joined', JSON.stringify(joined));
      } finally {
        client.terminate();
      }
    });

    test('an oversized message (> 64 KiB) → 53004 or a close; the server survives', async () => {
      const client = await openSignal(server);
      try {
        client.send({ type: 'ping', pad: 'p'.repeat(70 * 1024) });
        const outcome = await Promise.race([
          client.next(3000).then((m) => ({ message: m })),
          client.closed.then((c) => ({ closed: c })),
        ]);
        if (outcome.message)
          assertSignalError(outcome.message, 53004, 'message-too-large');
        else
          assert.ok([1009, 1008, 1002, 1006].includes(outcome.closed.code), `close code ${outcome.closed.code}`);
      } finally {
        client.terminate();
      }
      await assertHealthy(server);
      const again = await openSignal(server);
      assert.equal((await again.request({ type: 'ping' })).type, 'pong');
      again.terminate();
    });

    test('invalid UTF-8 in a text frame → error or close; the server survives', async () => {
      const client = await openSignal(server);
      try {
        client.sendRaw(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
        const outcome = await Promise.race([
          client.next(3000).then((m) => ({ message: m })),
          client.closed.then((c) => ({ closed: c })),
        ]);
        if (outcome.message)
          assertSignalError(outcome.message, 53001, 'message-malformed');
      } finally {
        client.terminate();
      }
      await assertHealthy(server);
    });

    test('the WebSocket works without a subprotocol; an unknown subprotocol is refused', async () => {
      const plain = await openSignal(server, { protocol: null });
      assert.equal((await plain.request({ type: 'ping' })).type, 'pong');
      plain.terminate();
      await assert.rejects(openSignal(server, { protocol: 'housecall.v2' }));
      await assertHealthy(server);
    });

    test('many sockets dropped mid-conversation do not hurt', async () => {
      const clients = await Promise.all(Array.from({ length: 40 }, () => openSignal(server)));
      clients.forEach((c, i) => {
        if (i % 2 === 0)
          c.send({ type: 'authenticate', token: guest.token });
        else
          c.sendRaw('{"type":"join","room":');
      });
      clients.forEach((c) => c.terminate());
      await assertHealthy(server);
      const client = await connectAuthenticated(server, guest.token);
      const joined = await client.request({ type: 'join', room: room.sid });
      assert.equal(joined.type, 'joined', JSON.stringify(joined));
      client.terminate();
    });

    test('an unauthenticated socket is closed after 10 s with 53005 and 4401', { timeout: 20000 }, async () => {
      const client = await openSignal(server);
      try {
        const started = Date.now();
        const reply = await client.next(14000);
        assertSignalError(reply, 53005, 'auth-timeout');
        const closed = await client.waitClosed(3000);
        assert.equal(closed.code, 4401);
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 9000 && elapsed <= 13000, `closed after ${elapsed} ms`);
      } finally {
        client.terminate();
      }
    });
  });

  test('after all of it the server answers /v1/health and is still running', async () => {
    await assertHealthy(server);
    const res = await request(server, 'GET', '/v1/Rooms', { auth: key });
    assert.equal(res.status, 200);
    assert.doesNotMatch(server.stderr, /CRITICAL|Segmentation|AddressSanitizer/);
  });
});
