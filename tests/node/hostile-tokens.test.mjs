// Hostile access tokens: each is refused at the signaling authenticate step
// with its own documented code (and the socket closed with 4401), and refused
// the same way as a Bearer token on REST.
//
// The tokens are put together by hand with node:crypto so that headers and
// claims can be anything a JWT library would never produce.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { apiKeyAuth, bearer, request } from './lib/http.mjs';
import { expectAuthRefused, openSignal } from './lib/signal.mjs';
import { startServer } from './lib/server.mjs';
import { createRoom, mintGuest } from './lib/setup.mjs';
import { TWILIO_HEADER, b64url, claims, hmac, makeToken, now, randomSid, signJwt } from './lib/tokens.mjs';

// What each kind of defect must be answered with (hc-error.c).
const EXPECTED = {
  'alg-not-allowed': 20108,
  'bad-signature': 20107,
  expired: 20104,
  'not-yet-valid': 20105,
  'issued-in-future': 20116,
  'lifetime-too-long': 20113,
  'wrong-issuer': 20103,
  'wrong-subject': 20109,
  'bad-header': 20102,
  'missing-claim': 20112,
  'bad-grants': 20106,
  'bad-identity': 20117,
  'bad-claim-type': 20118,
  malformed: 20101,
  'too-large': 20114,
  revoked: 20110,
  missing: 20115,
};

describe('hostile tokens', () => {
  let server;
  let creds;
  let room;
  let revokedGuest;
  const seen = new Map(); // defect → set of codes actually answered

  before(async () => {
    server = await startServer();
    creds = server.creds;
    room = await createRoom(server, null, { UniqueName: 'hostile-visit' });
    revokedGuest = await mintGuest(server, null, room.sid, { Identity: 'revoked-guest' });
    const res = await request(server, 'DELETE', `/v1/Rooms/${room.sid}/GuestTokens/${revokedGuest.jti}`,
      { auth: apiKeyAuth(server) });
    assert.equal(res.status, 204, res.text);
  });
  after(async () => {
    await server?.stop();
  });

  const t = () => now();
  const otherSecret = 'an-entirely-different-secret-of-enough-length-42';

  // [name, defect, () => token, { rest: false } to skip the REST check]
  const cases = [
    // The algorithm
    ['alg none, empty signature', 'alg-not-allowed',
      () => signJwt({ ...TWILIO_HEADER, alg: 'none' }, claims(creds), null, { sign: 'none' })],
    ['alg none, with a signature anyway', 'alg-not-allowed',
      () => signJwt({ ...TWILIO_HEADER, alg: 'none' }, claims(creds), creds.apiKeySecret)],
    ['alg HS512 with the right secret', 'alg-not-allowed',
      () => signJwt({ ...TWILIO_HEADER, alg: 'HS512' }, claims(creds), creds.apiKeySecret, { sign: 'sha512' })],
    ['alg RS256 header, HMAC signature (key confusion)', 'alg-not-allowed',
      () => signJwt({ ...TWILIO_HEADER, alg: 'RS256' }, claims(creds), creds.apiKeySecret)],
    ['alg hs256 in lower case', 'alg-not-allowed',
      () => signJwt({ ...TWILIO_HEADER, alg: 'hs256' }, claims(creds), creds.apiKeySecret)],
    // The signature
    ['signed with the wrong key', 'bad-signature',
      () => makeToken(creds, { secret: otherSecret })],
    ['signature truncated', 'bad-signature',
      () => makeToken(creds).slice(0, -6)],
    ['signature cut to 16 bytes', 'bad-signature',
      () => makeToken(creds, { sign: (input) => hmac('sha256', creds.apiKeySecret, input).subarray(0, 16) })],
    ['signature with one bit flipped', 'bad-signature',
      () => makeToken(creds, {
        sign: (input) => {
          const mac = hmac('sha256', creds.apiKeySecret, input);
          mac[0] ^= 1;
          return mac;
        },
      })],
    ['alg HS256 with an empty signature', 'bad-signature',
      () => makeToken(creds, { sign: 'none' })],
    ['claims changed after signing', 'bad-signature',
      () => {
        const good = makeToken(creds, { identity: 'patient' });
        const [h, , s] = good.split('.');
        return `${h}.${b64url(claims(creds, { identity: 'dr-house' }))}.${s}`;
      }],
    // Times
    ['expired', 'expired',
      () => makeToken(creds, { iat: t() - 7200, exp: t() - 120 })],
    ['not yet valid (nbf in the future)', 'not-yet-valid',
      () => makeToken(creds, {}, (h, p) => {
        p.nbf = t() + 600;
      })],
    ['issued in the future (iat)', 'issued-in-future',
      () => makeToken(creds, { iat: t() + 600, exp: t() + 1200 })],
    ['lifetime over 24 hours', 'lifetime-too-long',
      () => makeToken(creds, { iat: t(), exp: t() + 86400 + 60 })],
    ['lifetime over 24 hours without iat', 'lifetime-too-long',
      () => makeToken(creds, { exp: t() + 2 * 86400 }, (h, p) => {
        delete p.iat;
      })],
    // Who signed it, for whom
    ['wrong issuer (another API key SID)', 'wrong-issuer',
      () => makeToken(creds, {}, (h, p) => {
        p.iss = randomSid('SK');
      })],
    ['wrong subject (another account SID)', 'wrong-subject',
      () => makeToken(creds, {}, (h, p) => {
        p.sub = randomSid('AC');
      })],
    // The header
    ['missing cty', 'bad-header',
      () => makeToken(creds, {}, (h) => {
        delete h.cty;
      })],
    ['wrong cty', 'bad-header',
      () => makeToken(creds, {}, (h) => {
        h.cty = 'twilio-fpa;v=2';
      })],
    ['typ other than JWT', 'bad-header',
      () => makeToken(creds, {}, (h) => {
        h.typ = 'JOSE+JSON';
      })],
    ['header names a key URL (jku)', 'bad-header',
      () => makeToken(creds, {}, (h) => {
        h.jku = 'https://attacker.example/keys.json';
      })],
    ['header without alg', 'bad-header',
      () => makeToken(creds, {}, (h) => {
        delete h.alg;
      })],
    // Claims
    ['missing jti', 'missing-claim',
      () => makeToken(creds, {}, (h, p) => {
        delete p.jti;
      })],
    ['missing iss', 'missing-claim',
      () => makeToken(creds, {}, (h, p) => {
        delete p.iss;
      })],
    ['missing exp', 'missing-claim',
      () => makeToken(creds, {}, (h, p) => {
        delete p.exp;
      })],
    ['missing grants', 'bad-grants',
      () => makeToken(creds, {}, (h, p) => {
        delete p.grants;
      })],
    ['grants is a string', 'bad-grants',
      () => makeToken(creds, {}, (h, p) => {
        p.grants = 'everything';
      })],
    ['grants.video missing', 'bad-grants',
      () => makeToken(creds, {}, (h, p) => {
        delete p.grants.video;
      })],
    ['grants.video.room is a number', 'bad-grants',
      () => makeToken(creds, {}, (h, p) => {
        p.grants.video.room = 42;
      })],
    ['guest role without a room', 'bad-grants',
      () => makeToken(creds, { role: 'guest' })],
    ['guest role with a room name instead of a SID', 'bad-grants',
      () => makeToken(creds, { role: 'guest', room: 'hostile-visit' })],
    ['missing grants.identity', 'bad-identity',
      () => makeToken(creds, {}, (h, p) => {
        delete p.grants.identity;
      })],
    ['identity with control characters', 'bad-identity',
      () => makeToken(creds, { identity: 'dr\u0007house\r\n' })],
    ['identity with a line separator', 'bad-identity',
      () => makeToken(creds, { identity: 'dr\u2028house' })],
    ['empty identity', 'bad-identity',
      () => makeToken(creds, { identity: '' })],
    ['identity of 129 bytes', 'bad-identity',
      () => makeToken(creds, { identity: 'x'.repeat(129) })],
    ['provider role for an account that does not exist', 'bad-identity',
      () => makeToken(creds, { role: 'provider', identity: 'dr-nobody' })],
    ['exp as a string', 'bad-claim-type',
      () => makeToken(creds, {}, (h, p) => {
        p.exp = String(p.exp);
      })],
    ['exp with a fraction', 'bad-claim-type',
      () => makeToken(creds, {}, (h, p) => {
        p.exp += 0.5;
      })],
    ['negative iat', 'bad-claim-type',
      () => makeToken(creds, {}, (h, p) => {
        p.iat = -1;
      })],
    ['unknown role', 'bad-claim-type',
      () => makeToken(creds, { role: 'admin' })],
    ['create_rooms not a boolean', 'bad-claim-type',
      () => makeToken(creds, { role: 'participant', createRooms: 'yes' })],
    ['hc claim not an object', 'bad-claim-type',
      () => makeToken(creds, {}, (h, p) => {
        p.hc = 'provider';
      })],
    ['jti longer than 128 bytes', 'bad-claim-type',
      () => makeToken(creds, { jti: 'j'.repeat(129) })],
    // Structure
    ['two segments', 'malformed',
      () => makeToken(creds).split('.').slice(0, 2).join('.')],
    ['four segments', 'malformed',
      () => `${makeToken(creds)}.AAAA`],
    ['bad base64 in the payload', 'malformed',
      () => {
        const [h, , s] = makeToken(creds).split('.');
        return `${h}.eyJ*bad*base64.${s}`;
      }],
    ['standard base64 with padding', 'malformed',
      () => {
        const [, p, s] = makeToken(creds).split('.');
        return `${Buffer.from(JSON.stringify(TWILIO_HEADER)).toString('base64')}==.${p}.${s}`;
      }],
    ['header that is not JSON', 'malformed',
      () => signJwt('not json at all', claims(creds), creds.apiKeySecret)],
    ['payload that is a JSON array', 'malformed',
      () => signJwt(TWILIO_HEADER, '[1,2,3]', creds.apiKeySecret)],
    ['payload with a raw NUL byte', 'malformed',
      () => signJwt(TWILIO_HEADER, Buffer.from('{"jti":"a\u0000"}'), creds.apiKeySecret)],
    ['empty segments', 'malformed', () => '..'],
    ['just dots and letters', 'malformed', () => 'not.a.jwt'],
    // Size
    ['longer than 8 KiB (validly signed)', 'too-large',
      () => makeToken(creds, {}, (h, p) => {
        p.padding = 'p'.repeat(8192);
      })],
    ['8 KiB of junk', 'too-large', () => 'a'.repeat(8193)],
    // Revocation
    ['a revoked guest token', 'revoked', () => revokedGuest.token],
    // Nothing
    ['empty token', 'missing', () => '', { rest: false }],
  ];

  for (const [name, defect, build, options = {}] of cases) {
    const code = EXPECTED[defect];
    const slug = `token-${defect}`;
    test(`${name} → ${code} ${slug}`, async () => {
      const token = build();
      assert.equal(typeof token, 'string');
      const reply = await expectAuthRefused(server, token, code, slug, { what: name });
      if (!seen.has(defect))
        seen.set(defect, new Set());
      seen.get(defect).add(reply.code);

      if (options.rest !== false) {
        const res = await request(server, 'GET', '/v1/Rooms', { auth: bearer(token) });
        assert.equal(res.status, 401, `REST ${name}: ${res.text}`);
        assert.equal(res.body.code, code, `REST ${name}`);
        assert.equal(res.body.error, slug);
        assert.equal(res.headers['www-authenticate'], undefined, 'no Basic challenge for a bad token');
      }
    });
  }

  test('a token with a NUL escaped inside a claim is refused', async () => {
    // json-glib would read "dr-house\u0000guest" as the C string "dr-house";
    // whatever the reason given, such a token must never authenticate.
    for (const token of [makeToken(creds, { identity: 'dr-house\u0000guest' }),
      makeToken(creds, { room: 'hostile-visit\u0000x' }),
      makeToken(creds, { jti: `${creds.apiKeySid}\u0000x` })]) {
      const client = await openSignal(server);
      try {
        const reply = await client.request({ type: 'authenticate', token });
        assert.equal(reply.type, 'error', JSON.stringify(reply));
        assert.ok(reply.code >= 20101 && reply.code <= 20118, `a token error code: ${reply.code}`);
        assert.equal((await client.waitClosed(3000)).code, 4401);
      } finally {
        client.terminate();
      }
    }
  });

  test('authenticate without a token string → 20115 token-missing', async () => {
    for (const message of [{ type: 'authenticate' }, { type: 'authenticate', token: 42 },
      { type: 'authenticate', token: null }, { type: 'authenticate', token: ['a.b.c'] }]) {
      const client = await openSignal(server);
      try {
        const reply = await client.request(message);
        assert.equal(reply.type, 'error');
        assert.equal(reply.code, 20115, JSON.stringify(message));
        assert.equal((await client.waitClosed(3000)).code, 4401);
      } finally {
        client.terminate();
      }
    }
  });

  test('each kind of defect has its own code', () => {
    const defects = new Set(cases.map(([, defect]) => defect));
    assert.ok(cases.length >= 15, 'at least 15 hostile cases');
    for (const defect of defects) {
      assert.ok(seen.has(defect), `the ${defect} cases ran and were refused as expected`);
      assert.deepEqual([...seen.get(defect)], [EXPECTED[defect]], `${defect}: one code for all its cases`);
    }
    const codes = [...defects].map((d) => EXPECTED[d]);
    assert.equal(new Set(codes).size, codes.length, 'different defects, different codes');
  });

  test('a valid token still works after all that, and the server is alive', async () => {
    assert.ok(server.alive, server.stderr);
    const client = await openSignal(server);
    try {
      const reply = await client.request({ type: 'authenticate', token: makeToken(creds, { room: 'hostile-visit' }) });
      assert.equal(reply.type, 'authenticated', JSON.stringify(reply));
      const joined = await client.request({ type: 'join', room: 'hostile-visit' });
      assert.equal(joined.type, 'joined', JSON.stringify(joined));
      assert.equal(joined.room.sid, room.sid);
    } finally {
      client.terminate();
    }
  });
});
