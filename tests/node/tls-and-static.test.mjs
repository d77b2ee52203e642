// Transport and the static files: HTTPS with a certificate made here
// (openssl), HSTS on every HTTPS answer, a strict Content-Security-Policy on
// the patient app, static files that cannot escape data/web/ (dot segments
// in every encoding, backslashes, NULs, symbolic links), and access tokens
// that are honoured only where the protocol puts them — never from a URL —
// and never written to the log, at the default level or with debugging on.
//
// (A non-loopback listen address without a certificate is refused in
// server.test.mjs.)

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { apiKeyAuth, bearer, rawRequest, request } from './lib/http.mjs';
import { REPO_ROOT, makeTempDir, startServer } from './lib/server.mjs';
import { PASSWORD, createRoom, mintGuest, provider } from './lib/setup.mjs';
import { SignalClient, connectAuthenticated, openSignal } from './lib/signal.mjs';
import { makeToken } from './lib/tokens.mjs';

const SOURCE_ROOT = process.env.HOUSECALL_SOURCE_ROOT ?? REPO_ROOT;
const OPENSSL = ['/usr/bin/openssl', '/bin/openssl'].find((p) => existsSync(p));
const HOUR = 3600 * 1000;
const fromNow = (ms) => new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** A self-signed certificate for 127.0.0.1 in @dir: { cert, key, pem }. */
function makeCertificate(dir) {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(OPENSSL, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key, pem: readFileSync(cert) };
}

function httpsRequest(server, ca, method, path, { headers = {}, body } = {}) {
  return new Promise((resolvePromise, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: server.port, method, path, ca, agent: false, timeout: 10000,
      headers: body ? { ...headers, 'Content-Length': Buffer.byteLength(body) } : headers,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolvePromise({ status: res.statusCode, headers: res.headers, text, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    if (body)
      req.write(body);
    req.end();
  });
}

/** The CSP header as a map of directive → source list. */
function parseCsp(header) {
  const map = new Map();
  for (const part of (header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name)
      map.set(name, sources);
  }
  return map;
}

/** Asserts the patient app's CSP is strict: only our own origin, no inline
 * or eval'd script, no plugins, no framing, no <base>, and no scheme-wide
 * source such as `ws:` or `https:`. */
function assertStrictCsp(header, wsOrigin, what) {
  const csp = parseCsp(header);
  assert.deepEqual(csp.get('default-src'), ["'self'"], `${what}: default-src`);
  for (const directive of ['script-src', 'style-src'])
    assert.deepEqual(csp.get(directive) ?? csp.get('default-src'), ["'self'"], `${what}: ${directive}`);
  assert.deepEqual(csp.get('object-src'), ["'none'"], `${what}: object-src`);
  assert.deepEqual(csp.get('base-uri'), ["'none'"], `${what}: base-uri`);
  assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], `${what}: frame-ancestors`);
  assert.deepEqual(csp.get('connect-src'), ["'self'", wsOrigin], `${what}: connect-src`);
  for (const [directive, sources] of csp) {
    for (const source of sources) {
      assert.ok(!/unsafe-|^\*$|^(https?|wss?|data|blob):$/.test(source) ||
                (source === 'data:' && directive === 'img-src') ||
                (source === 'blob:' && ['img-src', 'media-src'].includes(directive)),
                `${what}: ${directive} ${source} is not strict`);
    }
  }
}

describe('HTTPS with a certificate', { skip: OPENSSL ? false : 'no openssl' }, () => {
  let server;
  let tls;

  before(async () => {
    const dir = makeTempDir('hc-tls-');
    tls = makeCertificate(dir);
    const config = join(dir, 'housecalld.conf');
    writeFileSync(config, `[server]\ntls-certificate = ${tls.cert}\ntls-key = ${tls.key}\n`);
    server = await startServer({ config });
  });
  after(async () => {
    await server?.stop();
  });

  test('the API answers over HTTPS, with HSTS, and successes and errors alike carry it', async () => {
    const health = await httpsRequest(server, tls.pem, 'GET', '/v1/health');
    assert.equal(health.status, 200, health.text);
    assert.equal(health.body.status, 'ok');
    assert.match(health.headers['strict-transport-security'] ?? '', /^max-age=31536000; includeSubDomains$/);
    const refused = await httpsRequest(server, tls.pem, 'GET', '/v1/Rooms');
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'auth-required');
    assert.match(refused.headers['strict-transport-security'] ?? '', /max-age=31536000/);
    const missing = await httpsRequest(server, tls.pem, 'GET', '/nothing-here.js');
    assert.equal(missing.status, 404);
    assert.match(missing.headers['strict-transport-security'] ?? '', /max-age=31536000/);
  });

  test('the patient app over HTTPS: HSTS, a strict CSP naming wss:// of this origin only', async () => {
    for (const path of ['/v/0123456789abcdef0123456789abcdef', '/patient.html', '/call.html']) {
      const page = await httpsRequest(server, tls.pem, 'GET', path);
      assert.equal(page.status, 200, `${path}: ${page.status}`);
      assert.match(page.headers['strict-transport-security'] ?? '', /max-age=31536000/, path);
      assertStrictCsp(page.headers['content-security-policy'], `wss://127.0.0.1:${server.port}`, path);
      assert.equal(page.headers['referrer-policy'], 'no-referrer', `${path}: the visit link never leaks as a Referer`);
      assert.equal(page.headers['x-content-type-options'], 'nosniff');
    }
  });

  test('signaling over wss:// with the certificate; plain HTTP on the TLS port gets nothing', async () => {
    const res = await httpsRequest(server, tls.pem, 'POST', '/v1/Rooms', {
      headers: { Authorization: apiKeyAuth(server), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'UniqueName=tls-visit',
    });
    assert.equal(res.status, 201, res.text);
    const token = makeToken(server.creds, { identity: 'tls-peer', room: 'tls-visit' });
    const client = await SignalClient.open(`wss://127.0.0.1:${server.port}/v1/signal`, { ca: tls.pem });
    try {
      assert.equal((await client.request({ type: 'authenticate', token })).type, 'authenticated');
      assert.equal((await client.request({ type: 'join', room: 'tls-visit' })).type, 'joined');
    } finally {
      await client.close();
    }
    const plain = await request(server, 'GET', '/v1/health').catch((error) => ({ status: 0, error }));
    assert.notEqual(plain.status, 200, 'no answer in clear text');
  });

  test('a client that does not trust the certificate does not get through', async () => {
    await assert.rejects(httpsRequest(server, undefined, 'GET', '/v1/health'), /self[- ]signed|certificate/i);
  });
});

describe('plain HTTP on loopback', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  test('no HSTS over plain HTTP; the patient app still gets its strict CSP (ws:// of this origin)', async () => {
    const page = await request(server, 'GET', '/v/0123456789abcdef0123456789abcdef');
    assert.equal(page.status, 200);
    assert.equal(page.headers['strict-transport-security'], undefined);
    assertStrictCsp(page.headers['content-security-policy'], `ws://127.0.0.1:${server.port}`, '/v/…');
  });

  test('a Host header that is not a plain host:port is left out of the CSP', async () => {
    const res = await rawRequest(server, 'GET /patient.html HTTP/1.1\r\nHost: evil.example; script-src *\r\nConnection: close');
    assert.equal(res.status, 200);
    assert.deepEqual(parseCsp(res.headers['content-security-policy']).get('connect-src'), ["'self'"]);
  });

  // Each path is sent byte for byte as written (no client normalization).
  const TRAVERSALS = [
    '/../../../../etc/passwd',
    '/js/../../../../../etc/passwd',
    '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/%2E%2E/%2E%2E/%2E%2E/etc/passwd',
    '/..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/js%2f..%2f..%2fhousecalld.conf',
    '/%2e%2e%2fhousecalld.conf',
    '/..%5c..%5c..%5cetc%5cpasswd',
    '/js\\..\\..\\housecalld.conf',
    '/%252e%252e/%252e%252e/etc/passwd',
    '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
    '/v/../../housecalld.conf',
    '/v/..%2f..%2fhousecalld.conf',
    '//etc/passwd',
    '/call.html%00.js',
    '/.%2e/housecalld.conf',
    '/../housecalld.conf',
    '/../../src/server/main.c',
    '/.git/config',
    '/js/.hidden.js',
  ];

  for (const path of TRAVERSALS) {
    test(`static path ${path} does not leave data/web/`, async () => {
      const res = await rawRequest(server, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close`);
      assert.ok([400, 404].includes(res.status), `${path}: ${res.status} ${res.text?.slice(0, 200)}`);
      assert.ok(!/root:x?:0:0|\[server\]|G_LOG_DOMAIN/.test(res.text ?? ''), `${path} served a file from outside`);
      const health = await request(server, 'GET', '/v1/health');
      assert.equal(health.status, 200, 'the server is still up');
    });
  }

  test('a valid access token in the URL is not honoured: only the Authorization header counts', async () => {
    const doctor = await provider(server, 'dr-url');
    for (const query of [`access_token=${doctor.token}`, `token=${doctor.token}`, `AccessToken=${doctor.token}`]) {
      const res = await request(server, 'GET', `/v1/Rooms?${query}`);
      assert.equal(res.status, 401, `${query.split('=')[0]}: ${res.text}`);
      assert.equal(res.body.error, 'auth-required');
    }
    // A token in the signaling URL authenticates nothing either.
    const url = `${server.wsUrl}?token=${encodeURIComponent(doctor.token)}`;
    const client = await SignalClient.open(url);
    try {
      const reply = await client.request({ type: 'watch-queue', id: 'q' });
      assert.equal(reply.error, 'message-out-of-order');
    } finally {
      client.terminate();
    }
  });

  test('the web client never puts a token in a URL', () => {
    const web = join(SOURCE_ROOT, 'data', 'web');
    const files = execFileSync('find', [web, '-type', 'f', '(', '-name', '*.js', '-o', '-name', '*.html', ')'], { encoding: 'utf8' })
      .split('\n').filter(Boolean);
    assert.ok(files.length > 3, 'found the web client');
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      assert.ok(!/[?&](access_?)?token=/i.test(text), `${file} builds a URL with a token`);
      assert.ok(!/searchParams\.(set|append)\(\s*['"][a-z_]*token/i.test(text), `${file} puts a token in a query`);
    }
    // The guest link carries its token in the fragment, which browsers never
    // send; the page takes it out of the address bar at once.
    const callPage = readFileSync(join(web, 'js', 'call-page.js'), 'utf8');
    assert.match(callPage, /location\.hash/);
    assert.match(callPage, /history\.replaceState/);
  });
});

describe('tokens never reach the log', () => {
  for (const level of ['default', 'debug']) {
    test(`at the ${level} log level`, async () => {
      const server = await startServer({ env: level === 'debug' ? { G_MESSAGES_DEBUG: 'all' } : {} });
      try {
        const doctor = await provider(server, 'dr-log');
        const room = await createRoom(server, doctor.token, { UniqueName: 'log-visit' });
        const guest = await mintGuest(server, doctor.token, room.sid, { Identity: 'interpreter-de' });
        const booked = await request(server, 'POST', '/v1/Appointments', {
          auth: bearer(doctor.token),
          form: { patient_name: 'Ada Lovelace', mobile: '+442079460123', start_time: fromNow(HOUR) },
        });
        assert.equal(booked.status, 201, booked.text);
        const code = booked.body.visit_url.split('/v/')[1];
        const checkIn = await request(server, 'POST', `/v1/Visits/${code}/CheckIn`, {
          json: {
            name: 'Ada Lovelace', consent: true, copay_acknowledged: true, intake: {},
            preflight: { verdict: 5, reasons: [], camera: true, microphone: true, browser: 'Node', mobile: false },
          },
        });
        assert.equal(checkIn.status, 200, checkIn.text);
        const patient = checkIn.body.token;

        for (const token of [doctor.token, guest.token, patient]) {
          const ws = await connectAuthenticated(server, token);
          await ws.close();
        }
        // Refusals log too: a revoked token, a forged one, a token in a URL.
        await request(server, 'DELETE', `/v1/Rooms/${room.sid}/GuestTokens/${guest.jti}`, { auth: bearer(doctor.token) });
        const revoked = await openSignal(server);
        await revoked.request({ type: 'authenticate', token: guest.token });
        revoked.terminate();
        const forged = `${doctor.token.slice(0, -4)}AAAA`;
        await request(server, 'GET', '/v1/Rooms', { auth: bearer(forged) });
        await request(server, 'GET', `/v1/Rooms?token=${patient}`);
        await request(server, 'GET', '/v1/Rooms', { auth: apiKeyAuth(server) });

        await server.stop();
        const log = server.stdout + server.stderr;
        assert.ok(log.length > 0, 'the server logged something');
        const secrets = {
          'provider token': doctor.token, 'guest token': guest.token, 'patient token': patient,
          'forged token': forged, 'API key secret': server.creds.apiKeySecret, password: PASSWORD,
        };
        for (const [what, secret] of Object.entries(secrets)) {
          assert.ok(!log.includes(secret), `the ${what} is in the log`);
          // Nor the signature alone, which is what makes a token usable.
          if (what.endsWith('token'))
            assert.ok(!log.includes(secret.split('.')[2]), `the ${what}'s signature is in the log`);
        }
        assert.ok(!log.includes(code), 'the visit code (a credential) is not in the log');
      } finally {
        await server.stop();
      }
    });
  }
});

describe('symbolic links out of the web root', () => {
  let server;
  before(async () => {
    const dir = makeTempDir('hc-webroot-');
    const web = join(dir, 'web');
    const outside = join(dir, 'outside');
    mkdirSync(join(web, 'js'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(web, 'call.html'), '<!doctype html><title>call</title>\n');
    writeFileSync(join(web, 'js', 'ok.js'), 'export const ok = true;\n');
    writeFileSync(join(outside, 'secret.js'), 'export const secret = "outside the web root";\n');
    symlinkSync(join(outside, 'secret.js'), join(web, 'js', 'leak.js'));
    symlinkSync(outside, join(web, 'linked'));
    symlinkSync('/etc/hostname', join(web, 'host.js'));
    symlinkSync(join(web, 'js', 'ok.js'), join(web, 'alias.js'));
    server = await startServer({ env: { HOUSECALLD_WEB_ROOT: web } });
  });
  after(async () => {
    await server?.stop();
  });

  test('a file inside is served, and a link to a file inside too', async () => {
    const ok = await request(server, 'GET', '/js/ok.js');
    assert.equal(ok.status, 200);
    assert.match(ok.text, /ok = true/);
    assert.equal((await request(server, 'GET', '/alias.js')).status, 200);
  });

  for (const path of ['/js/leak.js', '/linked/secret.js', '/host.js']) {
    test(`a link out of the web root is not followed: ${path}`, async () => {
      const res = await request(server, 'GET', path);
      assert.equal(res.status, 404, res.text);
      assert.ok(!res.text.includes('outside the web root'));
    });
  }
});
