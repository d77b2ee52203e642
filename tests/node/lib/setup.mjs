// Common fixtures built from the other helpers.

import assert from 'node:assert/strict';
import { apiKeyAuth, bearer, login, request } from './http.mjs';
import { addUser } from './server.mjs';

export const PASSWORD = 'correct horse battery staple';

/** Adds provider @username to @server's data dir and signs in; resolves the
 * login response body ({ token, identity, role, jti, ... }). */
export async function provider(server, username, password = PASSWORD) {
  await addUser(server.dataDir, username, password);
  const res = await login(server, username, password);
  assert.equal(res.status, 200, `login ${username}: ${res.text}`);
  return res.body;
}

/** Creates a room through REST; @auth is a Bearer token string or null for
 * the API key. Resolves the room resource. */
export async function createRoom(server, auth, form) {
  const res = await request(server, 'POST', '/v1/Rooms', {
    auth: auth ? bearer(auth) : apiKeyAuth(server),
    form,
  });
  assert.equal(res.status, 201, `create room: ${res.text}`);
  return res.body;
}

/** Mints a guest token for @room; resolves the 201 body. */
export async function mintGuest(server, providerToken, room, form) {
  const res = await request(server, 'POST', `/v1/Rooms/${encodeURIComponent(room)}/GuestTokens`, {
    auth: providerToken ? bearer(providerToken) : apiKeyAuth(server),
    form,
  });
  assert.equal(res.status, 201, `mint guest token: ${res.text}`);
  return res.body;
}
