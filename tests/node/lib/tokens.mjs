// Hand-made access tokens. Deliberately not a JWT library: the hostile cases
// need headers and claims that no library would produce.

import { createHmac, randomBytes } from 'node:crypto';

export function b64url(data) {
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(typeof data === 'string' ? data : JSON.stringify(data));
  return buffer.toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

export function hmac(alg, secret, input) {
  return createHmac(alg, secret).update(input).digest();
}

/**
 * Joins and signs a JWT. @header and @payload may be objects (JSON-encoded)
 * or strings/Buffers (used as they are). @sign: 'sha256' (default),
 * 'sha512', 'none' (empty signature) or a function(signingInput) → Buffer.
 */
export function signJwt(header, payload, secret, { sign = 'sha256' } = {}) {
  const input = `${b64url(header)}.${b64url(payload)}`;
  let signature;
  if (sign === 'none')
    signature = '';
  else if (typeof sign === 'function')
    signature = b64url(sign(input));
  else
    signature = b64url(hmac(sign, secret, input));
  return `${input}.${signature}`;
}

export const TWILIO_HEADER = Object.freeze({ alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' });

export function now() {
  return Math.floor(Date.now() / 1000);
}

export function randomSid(prefix) {
  return prefix + randomBytes(16).toString('hex');
}

/**
 * The claims of a valid token for @creds, shaped like Twilio's. Options:
 * identity, room (grants.video.room; undefined for none), ttl, iat, role
 * (adds the `hc` claim), createRooms, jti.
 */
export function claims(creds, opts = {}) {
  const iat = opts.iat ?? now();
  const payload = {
    jti: opts.jti ?? `${creds.apiKeySid}-${randomBytes(8).toString('hex')}`,
    iss: creds.apiKeySid,
    sub: creds.accountSid,
    iat,
    exp: opts.exp ?? iat + (opts.ttl ?? 3600),
    grants: {
      identity: opts.identity ?? 'alice',
      video: opts.room !== undefined ? { room: opts.room } : {},
    },
  };
  if (opts.role !== undefined) {
    payload.hc = { role: opts.role };
    if (opts.createRooms !== undefined)
      payload.hc.create_rooms = opts.createRooms;
  }
  return payload;
}

/**
 * A signed token for @creds. @edit(header, payload) may change (or replace,
 * by returning { header, payload }) either before signing.
 */
export function makeToken(creds, opts = {}, edit = null) {
  let header = { ...TWILIO_HEADER };
  let payload = claims(creds, opts);
  if (edit) {
    const replaced = edit(header, payload);
    if (replaced) {
      header = replaced.header ?? header;
      payload = replaced.payload ?? payload;
    }
  }
  return signJwt(header, payload, opts.secret ?? creds.apiKeySecret, { sign: opts.sign });
}

/** Decodes a JWT's header and payload without checking anything. */
export function decodeJwt(token) {
  const [h, p] = token.split('.');
  const decode = (s) => JSON.parse(Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  return { header: decode(h), payload: decode(p) };
}
