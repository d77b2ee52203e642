// Twilio-style access tokens (HS256 JWT, cty "twilio-fpa;v=1") made with
// node:crypto from the secrets housecalld generated into its data directory.

import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function b64url(data) {
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(typeof data === 'string' ? data : JSON.stringify(data));
  return buffer.toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

function readTrimmed(path) {
  return readFileSync(path, 'utf8').replace(/[\r\n]+$/, '');
}

/** { accountSid, apiKeySid, apiKeySecret } from housecalld's data directory. */
export function readCredentials(dataDir) {
  return {
    accountSid: readTrimmed(join(dataDir, 'account-sid')),
    apiKeySid: readTrimmed(join(dataDir, 'api-key-sid')),
    apiKeySecret: readTrimmed(join(dataDir, 'api-key-secret')),
  };
}

/**
 * A signed access token for @creds.
 *   identity – grants.identity (default 'alice')
 *   room     – grants.video.room; omit for a token valid in any room
 *   ttl      – seconds until exp (default 3600)
 *   role     – adds housecalld's own `hc: {role}` claim; omit for a plain
 *              Twilio-style participant token (which may create rooms ad hoc)
 */
export function makeToken(creds, { identity = 'alice', room, ttl = 3600, role } = {}) {
  const iat = Math.floor(Date.now() / 1000);
  const header = { alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' };
  const payload = {
    jti: `${creds.apiKeySid}-${randomBytes(8).toString('hex')}`,
    iss: creds.apiKeySid,
    sub: creds.accountSid,
    iat,
    exp: iat + ttl,
    grants: {
      identity,
      video: room !== undefined ? { room } : {},
    },
  };
  if (role !== undefined)
    payload.hc = { role };
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = b64url(createHmac('sha256', creds.apiKeySecret).update(input).digest());
  return `${input}.${signature}`;
}
