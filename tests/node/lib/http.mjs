// HTTP helpers: one request per connection (no keep-alive pool to leak), and
// a raw-socket variant for requests that an HTTP client would refuse to send.

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';

export function basicAuth(user, password) {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export function bearer(token) {
  return `Bearer ${token}`;
}

/** The API key's Basic credentials for @server. */
export function apiKeyAuth(server) {
  return basicAuth(server.creds.apiKeySid, server.creds.apiKeySecret);
}

function parseBody(text, contentType) {
  if (text === '' || !/json/.test(contentType ?? ''))
    return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * request(server, 'POST', '/v1/Rooms', { auth, form: {...} | json: {...} | body, contentType, headers })
 * Resolves { status, headers, text, body } (body: the parsed JSON, if any).
 */
export function request(server, method, path, opts = {}) {
  const headers = { ...(opts.headers ?? {}) };
  let payload = null;
  if (opts.auth)
    headers.Authorization = opts.auth;
  if (opts.form !== undefined) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.form)) {
      if (Array.isArray(v))
        v.forEach((item) => params.append(k, String(item)));
      else
        params.append(k, String(v));
    }
    payload = Buffer.from(params.toString());
    headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
  } else if (opts.json !== undefined) {
    payload = Buffer.from(typeof opts.json === 'string' ? opts.json : JSON.stringify(opts.json));
    headers['Content-Type'] ??= 'application/json';
  } else if (opts.body !== undefined) {
    payload = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
  }
  if (opts.contentType !== undefined) {
    if (opts.contentType === null)
      delete headers['Content-Type'];
    else
      headers['Content-Type'] = opts.contentType;
  }
  if (payload !== null)
    headers['Content-Length'] = String(payload.length);

  return new Promise((resolvePromise, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: server.port,
      method,
      path,
      headers,
      agent: false,
      timeout: opts.timeoutMs ?? 10000,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolvePromise({
          status: res.statusCode,
          headers: res.headers,
          text,
          body: parseBody(text, res.headers['content-type']),
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (payload !== null)
      req.write(payload);
    req.end();
  });
}

/** Asserts a 4xx/5xx response with the server's JSON error body. */
export function assertError(res, status, code, slug, what = '') {
  const label = what ? `${what}: ` : '';
  assert.equal(res.status, status, `${label}HTTP status (body: ${res.text})`);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, `${label}content type`);
  assert.ok(res.body && typeof res.body === 'object', `${label}a JSON object body, got ${res.text}`);
  assert.equal(typeof res.body.code, 'number', `${label}numeric code`);
  assert.equal(typeof res.body.error, 'string', `${label}slug`);
  if (code !== undefined)
    assert.equal(res.body.code, code, `${label}error code (body: ${res.text})`);
  if (slug !== undefined)
    assert.equal(res.body.error, slug, `${label}error slug`);
  assert.equal(res.body.status, res.status, `${label}status in the body`);
  assert.equal(typeof res.body.message, 'string', `${label}message`);
  assert.equal(typeof res.body.more_info, 'string', `${label}more_info`);
}

/** Asserts any 4xx with a well-formed JSON error body. */
export function assertClientError(res, what = '') {
  const label = what ? `${what}: ` : '';
  assert.ok(res.status >= 400 && res.status < 500, `${label}a 4xx status, got ${res.status} ${res.text}`);
  assertError(res, res.status, undefined, undefined, what);
}

/** Parses one HTTP/1.1 response out of @buffer, skipping 1xx responses.
 * Returns null while incomplete. */
export function parseRawResponse(buffer) {
  let offset = 0;
  for (;;) {
    const end = buffer.indexOf('\r\n\r\n', offset);
    if (end < 0)
      return null;
    const head = buffer.subarray(offset, end).toString('latin1');
    const [statusLine, ...lines] = head.split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!match)
      throw new Error(`not an HTTP response: ${statusLine}`);
    const status = Number(match[1]);
    const headers = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    if (status >= 100 && status < 200) {
      offset = end + 4;
      continue;
    }
    const length = Number(headers['content-length'] ?? 0);
    const bodyStart = end + 4;
    if (buffer.length < bodyStart + length)
      return null;
    const text = buffer.subarray(bodyStart, bodyStart + length).toString('utf8');
    return { status, headers, text, body: parseBody(text, headers['content-type']) };
  }
}

/**
 * Sends @head (the request line and headers, without the blank line) and then
 * @body in pieces over a raw socket, stopping as soon as a response arrives:
 * a server may answer before it has read the body. Resolves the response, or
 * { status: 0, timedOut: true } if none arrived within @timeoutMs.
 */
export function rawRequest(server, head, body = Buffer.alloc(0), { timeoutMs = 5000, chunkSize = 65536, sendBody = true } = {}) {
  return new Promise((resolvePromise) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (result) => {
      if (done)
        return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(result);
    };
    const timer = setTimeout(() => finish({ status: 0, timedOut: true, partial: received.toString('latin1') }), timeoutMs);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      try {
        const response = parseRawResponse(received);
        if (response)
          finish(response);
      } catch (error) {
        finish({ status: 0, error });
      }
    });
    socket.on('error', () => {
      // The server may close while we are still writing; what it answered
      // before that is in `received`.
    });
    socket.on('close', () => {
      let response = null;
      try {
        response = parseRawResponse(received);
      } catch {
        // fall through
      }
      finish(response ?? { status: 0, closed: true, partial: received.toString('latin1') });
    });
    socket.on('connect', async () => {
      socket.write(`${head}\r\n\r\n`);
      if (!sendBody)
        return;
      for (let i = 0; i < body.length && !done && !socket.destroyed; i += chunkSize) {
        const ok = socket.write(body.subarray(i, i + chunkSize));
        if (!ok)
          await new Promise((r) => socket.once('drain', r).once('close', r));
      }
    });
  });
}

/** GET /v1/health, asserting a healthy answer. */
export async function assertHealthy(server) {
  assert.ok(server.alive, `housecalld is still running (stderr:\n${server.stderr})`);
  const res = await request(server, 'GET', '/v1/health');
  assert.equal(res.status, 200, `health: ${res.text}`);
  assert.equal(res.body.status, 'ok');
  return res;
}

/** POST /v1/login; resolves the parsed response. */
export async function login(server, username, password, { asForm = false } = {}) {
  const res = await request(server, 'POST', '/v1/login', asForm
    ? { form: { username, password } }
    : { json: { username, password } });
  return res;
}
