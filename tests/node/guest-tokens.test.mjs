// Guest tokens (interpreters, family members): scoped to one room, unable to
// create rooms, listed, revocable, short-lived; only a provider who hosts the
// room or is in it may mint them.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { apiKeyAuth, assertError, bearer, login, request } from './lib/http.mjs';
import { assertSignalError, connectAuthenticated, connectJoined, expectAuthRefused } from './lib/signal.mjs';
import { setUserDisabled, startServer } from './lib/server.mjs';
import { PASSWORD, createRoom, mintGuest, provider } from './lib/setup.mjs';
import { decodeJwt, makeToken, now } from './lib/tokens.mjs';
import { waitFor } from './lib/util.mjs';

const guestsPath = (room) => `/v1/Rooms/${encodeURIComponent(room)}/GuestTokens`;

describe('guest tokens', () => {
  let server;
  let drA; // hosts the visit
  let drB; // another provider
  let room;
  let otherRoom;

  before(async () => {
    server = await startServer();
    drA = await provider(server, 'dr-a');
    drB = await provider(server, 'dr-b');
    room = await createRoom(server, drA.token, { UniqueName: 'visit-guest', MaxParticipants: 3 });
    otherRoom = await createRoom(server, drB.token, { UniqueName: 'visit-other' });
  });
  after(async () => {
    await server?.stop();
  });

  test('the provider signed in and created the room with a Bearer token', () => {
    assert.equal(drA.role, 'provider');
    assert.equal(drA.identity, 'dr-a');
    assert.equal(drA.expires_in, 3600);
    assert.match(drA.date_expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(decodeJwt(drA.token).payload.hc.role, 'provider');
    assert.equal(room.unique_name, 'visit-guest');
    assert.equal(room.max_participants, 3);
  });

  test('a provider mints a guest token scoped to the room SID', async () => {
    const guest = await mintGuest(server, drA.token, room.sid, { Identity: 'interpreter-es', Ttl: 600 });
    assert.equal(guest.identity, 'interpreter-es');
    assert.equal(guest.role, 'guest');
    assert.equal(guest.room_sid, room.sid);
    assert.equal(guest.expires_in, 600);
    assert.equal(typeof guest.jti, 'string');
    const { payload } = decodeJwt(guest.token);
    assert.equal(payload.jti, guest.jti);
    assert.equal(payload.grants.identity, 'interpreter-es');
    assert.equal(payload.grants.video.room, room.sid);
    assert.equal(payload.hc.role, 'guest');
    assert.equal(payload.hc.create_rooms, false);
    assert.equal(payload.exp - payload.iat, 600);

    // The room may be named by its unique name in the path as well.
    const byName = await mintGuest(server, drA.token, 'visit-guest', { Identity: 'family-member' });
    assert.equal(byName.room_sid, room.sid);
    assert.equal(byName.expires_in, 3600, 'the default guest TTL');

    // JSON bodies work like form bodies.
    const json = await request(server, 'POST', guestsPath(room.sid), {
      auth: bearer(drA.token), json: { Identity: 'json-guest', Ttl: 60 },
    });
    assert.equal(json.status, 201, json.text);
    assert.equal(json.body.expires_in, 60);
  });

  test('Ttl outside 60..14400 and bad identities are refused', async () => {
    for (const form of [{ Identity: 'g', Ttl: 59 }, { Identity: 'g', Ttl: 14401 }, { Identity: 'g', Ttl: 'soon' },
      { Identity: 'g', Ttl: -60 }, { Identity: 'g', Ttl: '600.5' }, { Identity: 'bad\u0001name' },
      { Identity: 'x'.repeat(129) }, { Identity: '' }]) {
      const res = await request(server, 'POST', guestsPath(room.sid), { auth: bearer(drA.token), form });
      assertError(res, 400, 21003, 'invalid-parameter', JSON.stringify(form));
    }
    const missing = await request(server, 'POST', guestsPath(room.sid), { auth: bearer(drA.token), form: { Ttl: 600 } });
    assertError(missing, 400, 21002, 'missing-parameter');
  });

  test('a guest token cannot create rooms, over REST or by joining an unknown name', async () => {
    const guest = await mintGuest(server, drA.token, room.sid, { Identity: 'guest-no-create' });
    const res = await request(server, 'POST', '/v1/Rooms', {
      auth: bearer(guest.token), form: { UniqueName: 'guest-made-room' },
    });
    assertError(res, 403, 53106, 'room-create-forbidden');

    const client = await connectAuthenticated(server, guest.token);
    try {
      const reply = await client.request({ type: 'join', room: 'guest-made-room-2' });
      assertSignalError(reply, undefined, undefined, 'join of an unknown name');
      assert.ok([20111, 53106].includes(reply.code), `room-mismatch or room-create-forbidden, got ${reply.code}`);
      assert.ok(client.isOpen, 'a refused join does not end the session');
    } finally {
      client.terminate();
    }
    for (const name of ['guest-made-room', 'guest-made-room-2']) {
      const fetched = await request(server, 'GET', `/v1/Rooms/${name}`, { auth: apiKeyAuth(server) });
      assert.equal(fetched.status, 404, `no room ${name} was created`);
    }
  });

  test('a guest token may not use the rest of the Rooms API', async () => {
    const guest = await mintGuest(server, drA.token, room.sid, { Identity: 'guest-no-api' });
    assertError(await request(server, 'GET', '/v1/Rooms', { auth: bearer(guest.token) }), 403, 20403, 'forbidden');
    assertError(await request(server, 'GET', `/v1/Rooms/${room.sid}`, { auth: bearer(guest.token) }),
      403, 20403, 'forbidden');
    assertError(await request(server, 'POST', `/v1/Rooms/${room.sid}`, {
      auth: bearer(guest.token), form: { Status: 'completed' },
    }), 403, 20403, 'forbidden');
    // Nor invite more guests, nor see or revoke the others.
    assertError(await request(server, 'POST', guestsPath(room.sid), {
      auth: bearer(guest.token), form: { Identity: 'friend-of-guest' },
    }), 403, 20403, 'forbidden');
    assertError(await request(server, 'GET', guestsPath(room.sid), { auth: bearer(guest.token) }),
      403, 20403, 'forbidden');
    assertError(await request(server, 'DELETE', `${guestsPath(room.sid)}/${guest.jti}`, { auth: bearer(guest.token) }),
      403, 20403, 'forbidden');
  });

  test('a guest token joins its own room and no other', async () => {
    const guest = await mintGuest(server, drA.token, room.sid, { Identity: 'guest-scoped' });
    const client = await connectAuthenticated(server, guest.token);
    try {
      for (const other of [otherRoom.sid, 'visit-other']) {
        const reply = await client.request({ type: 'join', room: other });
        assertSignalError(reply, 20111, 'token-room-mismatch', `join ${other}`);
      }
      const joined = await client.request({ type: 'join', room: room.sid });
      assert.equal(joined.type, 'joined', JSON.stringify(joined));
      assert.equal(joined.room.sid, room.sid);
      assert.equal(joined.participant.identity, 'guest-scoped');
      // Joining again without leaving is out of order.
      assertSignalError(await client.request({ type: 'join', room: room.sid }), 53003, 'message-out-of-order');
      assert.equal((await client.request({ type: 'leave' })).type, 'left');
      // Its own room by unique name is the same room.
      const byName = await client.request({ type: 'join', room: 'visit-guest' });
      assert.equal(byName.type, 'joined', JSON.stringify(byName));
      assert.equal(byName.room.sid, room.sid);
    } finally {
      client.terminate();
    }
  });

  test('listing shows the guest, joined once it is in the room; revoking disconnects it', async () => {
    const guest = await mintGuest(server, drA.token, room.sid, { Identity: 'interpreter-fr', Ttl: 900 });
    const list = async () => {
      const res = await request(server, 'GET', guestsPath(room.sid), { auth: bearer(drA.token) });
      assert.equal(res.status, 200, res.text);
      return res.body.guest_tokens;
    };
    let entry = (await list()).find((g) => g.jti === guest.jti);
    assert.ok(entry, 'the new token is listed');
    assert.equal(entry.identity, 'interpreter-fr');
    assert.equal(entry.room_sid, room.sid);
    assert.equal(entry.issued_by, 'dr-a');
    assert.equal(entry.joined, false);
    assert.match(entry.date_created, /Z$/);
    assert.match(entry.date_expires, /Z$/);
    assert.equal((Date.parse(entry.date_expires) - Date.parse(entry.date_created)) / 1000, 900);

    const client = await connectJoined(server, guest.token, room.sid);
    entry = (await list()).find((g) => g.jti === guest.jti);
    assert.equal(entry.joined, true, 'joined after the join');

    const del = await request(server, 'DELETE', `${guestsPath(room.sid)}/${guest.jti}`, { auth: bearer(drA.token) });
    assert.equal(del.status, 204, del.text);
    assert.equal(del.text, '');

    // The open socket is told and closed with 4403.
    const notice = await client.next(3000);
    assertSignalError(notice, 20110, 'token-revoked', 'revocation notice');
    const closed = await client.waitClosed(3000);
    assert.equal(closed.code, 4403);

    // The revoked token is no longer listed (or at least no longer joined).
    entry = (await list()).find((g) => g.jti === guest.jti);
    assert.ok(entry === undefined || entry.joined === false);

    // And it cannot come back.
    await expectAuthRefused(server, guest.token, 20110, 'token-revoked');
    const rest = await request(server, 'POST', '/v1/Rooms', { auth: bearer(guest.token), form: {} });
    assertError(rest, 401, 20110, 'token-revoked');

    // Revoking twice is harmless; an unknown jti is 404.
    const again = await request(server, 'DELETE', `${guestsPath(room.sid)}/${guest.jti}`, { auth: bearer(drA.token) });
    assert.equal(again.status, 204);
    const unknown = await request(server, 'DELETE', `${guestsPath(room.sid)}/no-such-jti`, { auth: bearer(drA.token) });
    assertError(unknown, 404, 20404, 'not-found');
  });

  test('revoking through another room does not touch the token', async () => {
    const guest = await mintGuest(server, drA.token, room.sid, { Identity: 'guest-wrong-room' });
    const res = await request(server, 'DELETE', `${guestsPath(otherRoom.sid)}/${guest.jti}`, { auth: bearer(drB.token) });
    assertError(res, 404, 20404, 'not-found');
    const client = await connectJoined(server, guest.token, room.sid);
    client.terminate();
  });

  test('an expired guest-shaped token is refused with token-expired', async () => {
    // As a Ttl=60 token would be a minute later, signed with the server's key.
    const expired = makeToken(server.creds, {
      role: 'guest', room: room.sid, identity: 'interpreter-late', iat: now() - 120, exp: now() - 60,
    });
    await expectAuthRefused(server, expired, 20104, 'token-expired');
    const rest = await request(server, 'GET', '/v1/Rooms', { auth: bearer(expired) });
    assertError(rest, 401, 20104, 'token-expired');
    // The same token unexpired is accepted: the shape is right.
    const fresh = makeToken(server.creds, { role: 'guest', room: room.sid, identity: 'interpreter-late', ttl: 60 });
    const client = await connectJoined(server, fresh, room.sid);
    client.terminate();
  });

  test('a provider not in the room gets 403 not-in-room; once in it, may invite', async () => {
    const res = await request(server, 'POST', guestsPath(room.sid), {
      auth: bearer(drB.token), form: { Identity: 'b-guest' },
    });
    assertError(res, 403, 53107, 'not-in-room');
    assertError(await request(server, 'GET', guestsPath(room.sid), { auth: bearer(drB.token) }), 403, 53107, 'not-in-room');
    // Another provider's room is "not found" rather than revealed.
    assertError(await request(server, 'GET', `/v1/Rooms/${room.sid}`, { auth: bearer(drB.token) }), 404, 20404, 'not-found');

    const client = await connectJoined(server, drB.token, room.sid);
    try {
      const guest = await mintGuest(server, drB.token, room.sid, { Identity: 'b-guest' });
      assert.equal(guest.room_sid, room.sid);
    } finally {
      await client.close();
    }
    // Gone from the room, the rights go too.
    await waitFor(async () => (await request(server, 'POST', guestsPath(room.sid), {
      auth: bearer(drB.token), form: { Identity: 'b-guest-2' },
    })).status === 403, 'dr-b to lose the right to invite after leaving');
  });

  test('a guest named like a provider gives that provider no rights over the room', async () => {
    // dr-a invites a guest whose identity happens to be another provider's
    // user name. While that guest is connected, dr-b must still be "not in
    // the room": being in a room as a provider is about the provider, not
    // about whoever carries the same name.
    const visit = await createRoom(server, drA.token, { UniqueName: 'visit-namesake' });
    const namesake = await mintGuest(server, drA.token, visit.sid, { Identity: 'dr-b' });
    const client = await connectJoined(server, namesake.token, visit.sid);
    try {
      const mint = await request(server, 'POST', guestsPath(visit.sid), {
        auth: bearer(drB.token), form: { Identity: 'smuggled-guest' },
      });
      assertError(mint, 403, 53107, 'not-in-room', 'dr-b minting for dr-a\'s room');
      const fetched = await request(server, 'GET', `/v1/Rooms/${visit.sid}`, { auth: bearer(drB.token) });
      assertError(fetched, 404, 20404, 'not-found', 'dr-b fetching dr-a\'s room');
      const complete = await request(server, 'POST', `/v1/Rooms/${visit.sid}`, {
        auth: bearer(drB.token), form: { Status: 'completed' },
      });
      assertError(complete, 404, 20404, 'not-found', 'dr-b completing dr-a\'s room');
    } finally {
      client.terminate();
    }
  });

  test('the room is capped at MaxParticipants', async () => {
    const capped = await createRoom(server, drA.token, { UniqueName: 'visit-capped', MaxParticipants: 2 });
    const g1 = await mintGuest(server, drA.token, capped.sid, { Identity: 'cap-1' });
    const g2 = await mintGuest(server, drA.token, capped.sid, { Identity: 'cap-2' });
    const a = await connectJoined(server, drA.token, capped.sid);
    const b = await connectJoined(server, g1.token, capped.sid);
    const c = await connectAuthenticated(server, g2.token);
    try {
      assertSignalError(await c.request({ type: 'join', room: capped.sid }), 53105, 'room-full');
      await b.close();
      await waitFor(async () => {
        const reply = await c.request({ type: 'join', room: capped.sid });
        return reply.type === 'joined';
      }, 'a place to free up');
    } finally {
      a.terminate();
      c.terminate();
    }
  });

  test('completing the room ends guests\' sessions (4410) and stops minting', async () => {
    const visit = await createRoom(server, drA.token, { UniqueName: 'visit-ending' });
    const guest = await mintGuest(server, drA.token, visit.sid, { Identity: 'guest-ending' });
    const client = await connectJoined(server, guest.token, visit.sid);
    const done = await request(server, 'POST', `/v1/Rooms/${visit.sid}`, {
      auth: bearer(drA.token), form: { Status: 'completed' },
    });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.status, 'completed');
    assert.equal((await client.next(3000)).type, 'room-completed');
    assert.equal((await client.waitClosed(3000)).code, 4410);

    assertError(await request(server, 'POST', guestsPath(visit.sid), {
      auth: bearer(drA.token), form: { Identity: 'too-late' },
    }), 400, 53118, 'room-completed');
    const late = await connectAuthenticated(server, guest.token);
    try {
      assertSignalError(await late.request({ type: 'join', room: visit.sid }), 53118, 'room-completed');
    } finally {
      late.terminate();
    }
  });

  test('a disabled provider cannot sign in, and the old token stops working', async () => {
    const drC = await provider(server, 'dr-c');
    const visit = await createRoom(server, drC.token, { UniqueName: 'visit-disabled' });
    await setUserDisabled(server.dataDir, 'dr-c', true);

    const res = await login(server, 'dr-c', PASSWORD);
    assertError(res, 403, 20005, 'account-disabled');
    // A wrong password stays a plain bad-credentials: no hint that the
    // account exists but is disabled.
    assertError(await login(server, 'dr-c', 'wrong password here'), 401, 20004, 'bad-credentials');

    assertError(await request(server, 'GET', '/v1/Rooms', { auth: bearer(drC.token) }), 403, 20005, 'account-disabled');
    assertError(await request(server, 'POST', guestsPath(visit.sid), {
      auth: bearer(drC.token), form: { Identity: 'x' },
    }), 403, 20005, 'account-disabled');
    await expectAuthRefused(server, drC.token, 20005, 'account-disabled');

    await setUserDisabled(server.dataDir, 'dr-c', false);
    const back = await login(server, 'dr-c', PASSWORD);
    assert.equal(back.status, 200, back.text);
  });

  test('the server is still healthy', async () => {
    assert.ok(server.alive, server.stderr);
    const res = await request(server, 'GET', '/v1/health');
    assert.equal(res.status, 200);
  });
});
