// Tokens minted by Twilio's own helper library, the way Twilio's telehealth
// guide mints them, work unchanged against housecalld.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';

import { apiKeyAuth, bearer, request } from './lib/http.mjs';
import { assertSignalError, connectAuthenticated, expectAuthRefused, openSignal } from './lib/signal.mjs';
import { startServer } from './lib/server.mjs';
import { createRoom } from './lib/setup.mjs';
import { decodeJwt } from './lib/tokens.mjs';

const { AccessToken } = twilio.jwt;
const { VideoGrant } = AccessToken;

/** A token as the telehealth guide's token server makes it. */
function twilioToken(creds, identity, room, options = {}) {
  const token = new AccessToken(creds.accountSid, creds.apiKeySid, creds.apiKeySecret, {
    identity,
    ttl: options.ttl ?? 3600,
    ...options,
  });
  token.addGrant(room === undefined ? new VideoGrant() : new VideoGrant({ room }));
  return token.toJwt(options.algorithm);
}

describe('Twilio AccessToken + VideoGrant', () => {
  let server;

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  test('the token is shaped as housecalld expects', () => {
    const { header, payload } = decodeJwt(twilioToken(server.creds, 'patient-ann', 'visit-shape'));
    assert.equal(header.alg, 'HS256');
    assert.equal(header.cty, 'twilio-fpa;v=1');
    assert.equal(payload.iss, server.creds.apiKeySid);
    assert.equal(payload.sub, server.creds.accountSid);
    assert.deepEqual(payload.grants, { identity: 'patient-ann', video: { room: 'visit-shape' } });
  });

  test('joins the room it grants, by unique name (created ad hoc) and then by SID', async () => {
    const token = twilioToken(server.creds, 'patient-ann', 'visit-101');
    const client = await openSignal(server);
    try {
      const auth = await client.request({ type: 'authenticate', token, id: 'a1' });
      assert.deepEqual(auth, { type: 'authenticated', id: 'a1', identity: 'patient-ann', role: 'participant' });
      const joined = await client.request({ type: 'join', room: 'visit-101' });
      assert.equal(joined.type, 'joined', JSON.stringify(joined));
      assert.match(joined.room.sid, /^RM[0-9a-f]{32}$/);
      assert.equal(joined.room.unique_name, 'visit-101');
      // Ad-hoc rooms get the defaults.
      assert.equal(joined.room.video_codec, 'VP8');
      assert.equal(joined.room.max_participants, 4);
      assert.match(joined.participant.sid, /^PA[0-9a-f]{32}$/);
      assert.equal(joined.participant.identity, 'patient-ann');

      // The ad-hoc room is a real room that the API key can see.
      const fetched = await request(server, 'GET', `/v1/Rooms/visit-101`, { auth: apiKeyAuth(server) });
      assert.equal(fetched.status, 200, fetched.text);
      assert.equal(fetched.body.sid, joined.room.sid);
      assert.equal(fetched.body.status, 'in-progress');

      const left = await client.request({ type: 'leave' });
      assert.equal(left.type, 'left');
      // Joining the same room again by its SID is allowed: the grant names
      // the room, and the SID is the same room.
      const again = await client.request({ type: 'join', room: joined.room.sid });
      assert.equal(again.type, 'joined', JSON.stringify(again));
      assert.equal(again.room.sid, joined.room.sid);
      const pong = await client.request({ type: 'ping', id: 'p' });
      assert.deepEqual(pong, { type: 'pong', id: 'p' });
    } finally {
      client.terminate();
    }
  });

  test('joins a room made through REST whose unique name the grant names', async () => {
    const room = await createRoom(server, null, { UniqueName: 'visit-rest', VideoCodecs: 'H264', MaxParticipants: 2 });
    const client = await connectAuthenticated(server, twilioToken(server.creds, 'patient-bo', 'visit-rest'));
    try {
      const joined = await client.request({ type: 'join', room: 'visit-rest' });
      assert.equal(joined.type, 'joined', JSON.stringify(joined));
      assert.equal(joined.room.sid, room.sid);
      assert.equal(joined.room.video_codec, 'H264');
      assert.equal(joined.room.max_participants, 2);
    } finally {
      client.terminate();
    }
  });

  test('is refused for any other room with token-room-mismatch (20111)', async () => {
    const other = await createRoom(server, null, { UniqueName: 'someone-elses-visit' });
    const client = await connectAuthenticated(server, twilioToken(server.creds, 'patient-cy', 'visit-202'));
    try {
      for (const room of ['visit-203', 'someone-elses-visit', other.sid, 'VISIT-202', 'visit-202 ']) {
        const reply = await client.request({ type: 'join', room });
        assertSignalError(reply, 20111, 'token-room-mismatch', `join ${room}`);
      }
      // No room was created for the refused names.
      const res = await request(server, 'GET', '/v1/Rooms/visit-203', { auth: apiKeyAuth(server) });
      assert.equal(res.status, 404);
      // The refusal does not end the session: the granted room still works.
      assert.ok(client.isOpen);
      const joined = await client.request({ type: 'join', room: 'visit-202' });
      assert.equal(joined.type, 'joined', JSON.stringify(joined));
    } finally {
      client.terminate();
    }
  });

  test('a token without a room grants any room', async () => {
    const client = await connectAuthenticated(server, twilioToken(server.creds, 'front-desk', undefined));
    try {
      const joined = await client.request({ type: 'join', room: 'any-room-at-all' });
      assert.equal(joined.type, 'joined', JSON.stringify(joined));
    } finally {
      client.terminate();
    }
  });

  test('HS512 tokens from the same library are refused (HS256 only)', async () => {
    const token = twilioToken(server.creds, 'patient-dee', 'visit-303', { algorithm: 'HS512' });
    await expectAuthRefused(server, token, 20108, 'token-alg-not-allowed');
  });

  test('a token signed with another key pair is refused', async () => {
    const creds = { ...server.creds, apiKeySecret: 'another-secret-that-is-long-enough-0123456789' };
    await expectAuthRefused(server, twilioToken(creds, 'mallory', 'visit-101'), 20107, 'token-bad-signature');
  });

  test('a token with a nbf in the future is refused; ttl over 24 h is refused', async () => {
    const future = Math.floor(Date.now() / 1000) + 3600;
    await expectAuthRefused(server, twilioToken(server.creds, 'early', 'visit-1', { nbf: future }),
      20105, 'token-not-yet-valid');
    await expectAuthRefused(server, twilioToken(server.creds, 'longlived', 'visit-1', { ttl: 86400 + 3600 }),
      20113, 'token-lifetime-too-long');
  });

  test('a plain participant token may not use the Rooms API', async () => {
    const token = twilioToken(server.creds, 'patient-ed', 'visit-404');
    const res = await request(server, 'GET', '/v1/Rooms', { auth: bearer(token) });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.body.error, 'forbidden');
    const create = await request(server, 'POST', '/v1/Rooms', { auth: bearer(token), form: { UniqueName: 'x' } });
    assert.equal(create.status, 403, create.text);
  });
});
