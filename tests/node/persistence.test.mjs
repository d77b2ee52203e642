// What housecalld acknowledged survives kill -9; sign-in failures are rate
// limited.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { apiKeyAuth, assertError, bearer, login, request } from './lib/http.mjs';
import { connectAuthenticated, connectJoined, expectAuthRefused } from './lib/signal.mjs';
import { addUser, makeTempDir, readAudit, startServer } from './lib/server.mjs';
import { PASSWORD, createRoom, mintGuest, provider } from './lib/setup.mjs';

/** A room resource without the fields that name the server's address. */
function portable(room) {
  const { url, links, ...rest } = room;
  return { ...rest, urlPath: new URL(url).pathname, linkPaths: Object.values(links).map((l) => new URL(l).pathname) };
}

describe('persistence across kill -9', () => {
  test('rooms, providers, guest tokens, revocations and the audit log survive', async () => {
    const first = await startServer();
    const dataDir = first.dataDir;
    const creds = first.creds;
    let second;
    try {
      const doctor = await provider(first, 'dr-persist');
      const h264 = await createRoom(first, doctor.token, {
        UniqueName: 'visit-persist', VideoCodecs: 'H264', MaxParticipants: 3,
        StatusCallback: 'https://clinic.example/hook',
      });
      const vp8 = await createRoom(first, null, { UniqueName: 'visit-by-key' });
      const ended = await createRoom(first, doctor.token, { UniqueName: 'visit-ended' });
      const done = await request(first, 'POST', `/v1/Rooms/${ended.sid}`, {
        auth: bearer(doctor.token), form: { Status: 'completed' },
      });
      assert.equal(done.status, 200, done.text);
      const adHoc = await connectJoined(first, doctor.token, 'visit-ad-hoc');
      adHoc.terminate();

      const kept = await mintGuest(first, doctor.token, h264.sid, { Identity: 'interpreter-kept', Ttl: 3600 });
      const revoked = await mintGuest(first, doctor.token, h264.sid, { Identity: 'interpreter-revoked' });
      const del = await request(first, 'DELETE', `/v1/Rooms/${h264.sid}/GuestTokens/${revoked.jti}`,
        { auth: bearer(doctor.token) });
      assert.equal(del.status, 204, del.text);

      const before = {};
      for (const sid of [h264.sid, vp8.sid, ended.sid, 'visit-ad-hoc']) {
        const res = await request(first, 'GET', `/v1/Rooms/${sid}`, { auth: apiKeyAuth(first) });
        assert.equal(res.status, 200, res.text);
        before[sid] = portable(res.body);
      }

      assert.ok(first.janusPids.length > 0 || !/janus/i.test(first.stderr), 'the embedded Janus reported its pid');
      const crashed = await first.crash();
      assert.equal(crashed.signal, 'SIGKILL');
      assert.deepEqual(crashed.janusLeft, [], 'the embedded Janus dies with housecalld, even on kill -9');

      second = await startServer({ dataDir });
      assert.deepEqual(second.creds, creds, 'the same account, key SID and secret after the restart');

      for (const [sid, room] of Object.entries(before)) {
        const res = await request(second, 'GET', `/v1/Rooms/${sid}`, { auth: apiKeyAuth(second) });
        assert.equal(res.status, 200, `${sid} after the restart: ${res.text}`);
        assert.deepEqual(portable(res.body), room, `${sid} has the same fields`);
      }
      assert.equal(before[ended.sid].status, 'completed');
      const listed = await request(second, 'GET', '/v1/Rooms?Status=in-progress', { auth: apiKeyAuth(second) });
      const sids = listed.body.rooms.map((r) => r.sid);
      assert.ok(sids.includes(h264.sid) && sids.includes(vp8.sid) && !sids.includes(ended.sid));

      // The provider can sign in, and the old token (same key) still works.
      const again = await login(second, 'dr-persist', PASSWORD);
      assert.equal(again.status, 200, again.text);
      const old = await request(second, 'GET', `/v1/Rooms/${h264.sid}`, { auth: bearer(doctor.token) });
      assert.equal(old.status, 200, old.text);

      // The revoked token stays revoked; the other guest token still works.
      await expectAuthRefused(second, revoked.token, 20110, 'token-revoked');
      const guest = await connectAuthenticated(second, kept.token);
      guest.terminate();
      const guests = await request(second, 'GET', `/v1/Rooms/${h264.sid}/GuestTokens`, { auth: bearer(again.body.token) });
      assert.equal(guests.status, 200, guests.text);
      assert.deepEqual(guests.body.guest_tokens.map((g) => g.jti), [kept.jti]);

      // The audit log has every event, read with the command while the
      // server runs.
      const audit = await readAudit(dataDir);
      const has = (event, pred = () => true) => audit.some((e) => e.event === event && pred(e));
      assert.ok(has('user.added', (e) => e.subject === 'dr-persist'), 'user.added');
      assert.ok(has('login.succeeded', (e) => e.actor === 'dr-persist'), 'login.succeeded');
      assert.ok(has('room.created', (e) => e.subject === h264.sid && e.actor === 'dr-persist'), 'room.created by the provider');
      assert.ok(has('room.created', (e) => e.subject === vp8.sid), 'room.created by the API key');
      assert.ok(has('room.completed', (e) => e.subject === ended.sid), 'room.completed');
      assert.ok(has('token.minted', (e) => e.subject === kept.jti && e.actor === 'dr-persist'), 'token.minted');
      assert.ok(has('token.revoked', (e) => e.subject === revoked.jti), 'token.revoked');
      for (const entry of audit)
        assert.match(entry.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, `audit time ${entry.time}`);
      // Oldest first.
      const times = audit.map((e) => Date.parse(e.time));
      assert.deepEqual([...times].sort((a, b) => a - b), times, 'the audit log is in time order');
      // No secret or token ever lands in the audit log.
      const text = JSON.stringify(audit);
      assert.ok(!text.includes(creds.apiKeySecret) && !text.includes(kept.token) && !text.includes(PASSWORD));
    } finally {
      await first.stop('SIGKILL');
      await second?.stop();
    }
  });

  test('the audit command works on the data dir of a crashed server', async () => {
    const server = await startServer();
    await provider(server, 'dr-audit');
    await createRoom(server, null, { UniqueName: 'audit-room' });
    await server.crash();
    const audit = await readAudit(server.dataDir);
    assert.ok(audit.some((e) => e.event === 'login.succeeded' && e.actor === 'dr-audit'));
    assert.ok(audit.some((e) => e.event === 'room.created'));
  });

  test('participants connected at the crash are not left behind as ghosts', async () => {
    const first = await startServer();
    let second;
    try {
      const doctor = await provider(first, 'dr-ghost');
      const room = await createRoom(first, doctor.token, { UniqueName: 'visit-ghost', MaxParticipants: 2 });
      const guest = await mintGuest(first, doctor.token, room.sid, { Identity: 'guest-ghost' });
      const a = await connectJoined(first, doctor.token, room.sid);
      const b = await connectJoined(first, guest.token, room.sid);
      await first.crash();
      await Promise.all([a.waitClosed(3000), b.waitClosed(3000)]);

      second = await startServer({ dataDir: first.dataDir });
      const list = await request(second, 'GET', `/v1/Rooms/${room.sid}/GuestTokens`, { auth: apiKeyAuth(second) });
      assert.equal(list.status, 200, list.text);
      assert.equal(list.body.guest_tokens[0].joined, false,
        'after a restart no socket exists, so the guest cannot still be in the room');
      // Both come back into their two-person room.
      const c = await connectAuthenticated(second, doctor.token);
      const rejoined = await c.request({ type: 'join', room: room.sid });
      assert.equal(rejoined.type, 'joined', `the provider rejoins after the restart: ${JSON.stringify(rejoined)}`);
      const d = await connectJoined(second, guest.token, room.sid);
      c.terminate();
      d.terminate();
    } finally {
      await first.stop('SIGKILL');
      await second?.stop();
    }
  });
});

describe('login rate limiting', () => {
  test('5 wrong passwords for one account → 429 rate-limited with Retry-After', async () => {
    const server = await startServer();
    try {
      await addUser(server.dataDir, 'dr-locked', PASSWORD);
      await addUser(server.dataDir, 'dr-other', PASSWORD);
      for (let i = 1; i <= 5; i++) {
        const res = await login(server, 'dr-locked', `wrong password ${i}`);
        assertError(res, 401, 20004, 'bad-credentials', `attempt ${i}`);
      }
      // Locked now, even with the right password.
      for (const password of ['wrong password 6', PASSWORD]) {
        const res = await login(server, 'dr-locked', password);
        assertError(res, 429, 20429, 'rate-limited', `after 5 failures (${password === PASSWORD ? 'right' : 'wrong'} password)`);
        const retry = res.headers['retry-after'];
        assert.match(retry ?? '', /^\d+$/, 'Retry-After in seconds');
        assert.ok(Number(retry) > 0 && Number(retry) <= 900, `Retry-After ${retry} within the 900 s lockout`);
      }
      // Form logins are limited the same way.
      assertError(await login(server, 'dr-locked', PASSWORD, { asForm: true }), 429, 20429, 'rate-limited');
      // Another account from the same address is not locked out.
      const other = await login(server, 'dr-other', PASSWORD);
      assert.equal(other.status, 200, other.text);

      const audit = await readAudit(server.dataDir);
      assert.equal(audit.filter((e) => e.event === 'login.failed' && e.actor === 'dr-locked').length, 5);
      assert.ok(audit.some((e) => e.event === 'login.rate-limited'));
    } finally {
      await server.stop();
    }
  });

  test('failures for unknown accounts count too, per address', async () => {
    const dir = makeTempDir();
    const config = join(dir, 'housecalld.conf');
    writeFileSync(config, '[login]\nmax-failures-per-account = 5\nmax-failures-per-address = 8\nlockout-seconds = 900\n');
    const server = await startServer({ config, dataDir: join(dir, 'data') });
    try {
      await addUser(server.dataDir, 'dr-real', PASSWORD);
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => login(server, `nobody-${i}`, 'guess guess guess')));
      for (const res of results)
        assertError(res, 401, 20004, 'bad-credentials', 'unknown account');
      // The address is now locked out, whichever account it tries.
      const res = await login(server, 'dr-real', PASSWORD);
      assertError(res, 429, 20429, 'rate-limited', 'address lockout');
      assert.match(res.headers['retry-after'] ?? '', /^\d+$/);
    } finally {
      await server.stop();
    }
  });

  test('the lockout ends after lockout-seconds; a success resets the account count', async () => {
    const dir = makeTempDir();
    const config = join(dir, 'housecalld.conf');
    writeFileSync(config, '[login]\nmax-failures-per-account = 2\nlockout-seconds = 2\n');
    const server = await startServer({ config, dataDir: join(dir, 'data') });
    try {
      await addUser(server.dataDir, 'dr-wait', PASSWORD);
      assertError(await login(server, 'dr-wait', 'wrong password 1'), 401, 20004, 'bad-credentials');
      assertError(await login(server, 'dr-wait', 'wrong password 2'), 401, 20004, 'bad-credentials');
      const locked = await login(server, 'dr-wait', PASSWORD);
      assertError(locked, 429, 20429, 'rate-limited');
      assert.ok(Number(locked.headers['retry-after']) <= 2);
      await new Promise((r) => setTimeout(r, 2200));
      const ok = await login(server, 'dr-wait', PASSWORD);
      assert.equal(ok.status, 200, ok.text);
      // The success cleared the count: one more failure does not lock.
      assertError(await login(server, 'dr-wait', 'wrong password 3'), 401, 20004, 'bad-credentials');
      assert.equal((await login(server, 'dr-wait', PASSWORD)).status, 200);
    } finally {
      await server.stop();
    }
  });
});
