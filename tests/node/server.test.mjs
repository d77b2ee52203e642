// Starting and stopping housecalld, and refusing bad configuration.

import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { apiKeyAuth, assertHealthy, login, request } from './lib/http.mjs';
import { connectJoined } from './lib/signal.mjs';
import {
  EXAMPLE_CONFIG, binaryPath, makeTempDir, runHousecalld, startServer,
} from './lib/server.mjs';
import { PASSWORD, createRoom, mintGuest, provider } from './lib/setup.mjs';

const exampleText = readFileSync(EXAMPLE_CONFIG, 'utf8');

/** The example config with @edits applied: { 'group.key': value } replaces
 * (or, if absent, adds) a key; value null comments it out. */
function editedConfig(edits) {
  let text = exampleText;
  for (const [name, value] of Object.entries(edits)) {
    const [group, key] = name.split('.');
    const line = new RegExp(`^${key.replace(/[-]/g, '\\-')}\\s*=.*$`, 'm');
    const groupStart = text.search(new RegExp(`^\\[${group}\\]$`, 'm'));
    assert.ok(groupStart >= 0, `the example config has a [${group}] group`);
    const nextGroup = text.indexOf('\n[', groupStart + 1);
    const end = nextGroup < 0 ? text.length : nextGroup;
    let section = text.slice(groupStart, end);
    if (line.test(section))
      section = section.replace(line, value === null ? `# ${key} =` : `${key} = ${value}`);
    else if (value !== null)
      section = section.replace(/\n*$/, `\n${key} = ${value}\n`);
    text = text.slice(0, groupStart) + section + text.slice(end);
  }
  const dir = makeTempDir('housecalld-conf-');
  const path = join(dir, 'housecalld.conf');
  writeFileSync(path, text);
  return { dir, path };
}

/** Runs housecalld with @args, expecting the start to fail with status 2 and
 * one stderr line that names @key. */
async function expectConfigError(args, key, env) {
  const result = await runHousecalld(args, { env, timeoutMs: 5000 });
  assert.equal(result.signal, null, `housecalld was not killed (stderr: ${result.stderr})`);
  assert.equal(result.code, 2, `exit status for a bad ${key} (stderr: ${result.stderr})`);
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${result.stderr}`);
  assert.ok(lines[0].includes(key), `the line names ${key}: ${lines[0]}`);
  assert.equal(result.stdout, '', 'nothing on stdout');
  return lines[0];
}

describe('housecalld process', () => {
  test('the binary exists and reports its version', async () => {
    const result = await runHousecalld(['--version']);
    assert.equal(result.code, 0, `${binaryPath()} --version: ${result.stderr}`);
    assert.match(result.stdout, /^housecalld \d+\.\d+\.\d+/);
  });

  test('starts from the example config, answers /v1/health and stops on SIGTERM', async () => {
    const dataDir = join(makeTempDir(), 'data');
    const server = await startServer({ config: EXAMPLE_CONFIG, dataDir });
    try {
      const res = await assertHealthy(server);
      assert.match(res.headers['content-type'], /^application\/json/);
      assert.equal(typeof res.body.version, 'string');
      assert.ok(Number.isInteger(res.body.schema_version) && res.body.schema_version >= 1);
      // HEAD is a GET without the body.
      const head = await request(server, 'HEAD', '/v1/health');
      assert.equal(head.status, 200);
      assert.equal(head.text, '');
      // With no secrets configured it generated them into the data dir,
      // readable by the owner only.
      assert.match(server.creds.accountSid, /^AC[0-9a-f]{32}$/);
      assert.match(server.creds.apiKeySid, /^SK[0-9a-f]{32}$/);
      assert.ok(server.creds.apiKeySecret.length >= 32);
      assert.match(server.stderr, /generated one into/);
      // The listen and data-dir overrides won over the file's values.
      assert.notEqual(server.port, 8080);
    } finally {
      const stopped = await server.stop('SIGTERM', 5000);
      assert.equal(stopped.timedOut, false, 'stopped within 5 s of SIGTERM');
      assert.equal(stopped.signal, null, 'exited rather than died of the signal');
      assert.equal(stopped.code, 0, `exit status after SIGTERM (stderr:\n${server.stderr})`);
      assert.deepEqual(stopped.janusLeft, [], 'the embedded Janus is gone too');
    }
  });

  test('SIGINT stops it cleanly too', async () => {
    const server = await startServer();
    await assertHealthy(server);
    const stopped = await server.stop('SIGINT', 5000);
    assert.equal(stopped.timedOut, false);
    assert.equal(stopped.code, 0);
  });

  test('SIGTERM with participants connected exits 0 and records that they left', async () => {
    const server = await startServer();
    const doctor = await provider(server, 'dr-term');
    const room = await createRoom(server, doctor.token, { UniqueName: 'sigterm-visit', MaxParticipants: 2 });
    const guest = await mintGuest(server, doctor.token, room.sid, { Identity: 'interpreter-es' });
    const a = await connectJoined(server, doctor.token, room.sid);
    const b = await connectJoined(server, guest.token, room.sid);
    const stopped = await server.stop('SIGTERM', 5000);
    assert.equal(stopped.timedOut, false, 'stopped within 5 s with open sockets');
    assert.equal(stopped.code, 0, `exit status (stderr:\n${server.stderr})`);
    await a.waitClosed(3000);
    await b.waitClosed(3000);

    // After a clean stop nobody is left "connected": the guest shows as not
    // joined and the two-person room has room for both again.
    const again = await startServer({ dataDir: server.dataDir });
    try {
      const list = await request(again, 'GET', `/v1/Rooms/${room.sid}/GuestTokens`, { auth: apiKeyAuth(again) });
      assert.equal(list.status, 200, list.text);
      assert.equal(list.body.guest_tokens.length, 1);
      assert.equal(list.body.guest_tokens[0].joined, false, 'the guest is no longer in the room');
      const relogin = await login(again, 'dr-term', PASSWORD);
      const c = await connectJoined(again, relogin.body.token, room.sid);
      const d = await connectJoined(again, guest.token, room.sid);
      c.terminate();
      d.terminate();
    } finally {
      await again.stop();
    }
  });

  test('the secret can come from HOUSECALLD_API_KEY_SECRET', async () => {
    const secret = 'x'.repeat(40);
    const server = await startServer({ env: { HOUSECALLD_API_KEY_SECRET: secret } });
    try {
      assert.match(server.stderr, /HOUSECALLD_API_KEY_SECRET/);
      const res = await request(server, 'GET', '/v1/Rooms', { auth: apiKeyAuth(server) });
      assert.equal(res.status, 200, res.text);
    } finally {
      await server.stop();
    }
  });
});

describe('bad configuration: exit status 2 and one line naming the key', () => {
  test('unknown key', async () => {
    const { path } = editedConfig({ 'server.lissten': '127.0.0.1:8080' });
    await expectConfigError(['--config', path, '--data-dir', makeTempDir()], 'server.lissten');
  });

  test('unknown key in [tokens]', async () => {
    const { path } = editedConfig({ 'tokens.api-key-secret': 'not-here' });
    await expectConfigError(['--config', path, '--data-dir', makeTempDir()], 'tokens.api-key-secret');
  });

  test('bad port in the file', async () => {
    const { path } = editedConfig({ 'server.listen': '127.0.0.1:99999' });
    await expectConfigError(['--config', path, '--data-dir', makeTempDir(), '--listen', '127.0.0.1:0'],
      'server.listen');
  });

  test('bad port on the command line', async () => {
    await expectConfigError(['--data-dir', makeTempDir(), '--listen', '127.0.0.1:70000'], 'server.listen');
    await expectConfigError(['--data-dir', makeTempDir(), '--listen', '127.0.0.1:http'], 'server.listen');
    await expectConfigError(['--data-dir', makeTempDir(), '--listen', '127.0.0.1'], 'server.listen');
  });

  test('non-loopback listen address without TLS', async () => {
    await expectConfigError(['--data-dir', makeTempDir(), '--listen', '0.0.0.0:0'], 'server.listen');
  });

  test('bad account-sid', async () => {
    for (const value of ['AC123', 'SK' + '0'.repeat(32), 'AC' + 'G'.repeat(32), 'AC' + 'A'.repeat(32)]) {
      const { path } = editedConfig({ 'tokens.account-sid': value });
      await expectConfigError(['--config', path, '--data-dir', makeTempDir()], 'tokens.account-sid');
    }
  });

  test('bad api-key-sid', async () => {
    const { path } = editedConfig({ 'tokens.api-key-sid': 'AC' + '0'.repeat(32) });
    await expectConfigError(['--config', path, '--data-dir', makeTempDir()], 'tokens.api-key-sid');
  });

  test('missing secret file', async () => {
    const { path, dir } = editedConfig({ 'tokens.api-key-secret-file': join(makeTempDir(), 'no-such-secret') });
    await expectConfigError(['--config', path, '--data-dir', join(dir, 'data')], 'tokens.api-key-secret-file');
  });

  test('secret file that is too short', async () => {
    const dir = makeTempDir();
    const secretPath = join(dir, 'secret');
    writeFileSync(secretPath, 'short\n');
    chmodSync(secretPath, 0o600);
    const { path } = editedConfig({ 'tokens.api-key-secret-file': secretPath });
    await expectConfigError(['--config', path, '--data-dir', join(dir, 'data')], 'tokens.api-key-secret-file');
  });

  test('a secret file relative to the config file is found', async () => {
    const { path, dir } = editedConfig({ 'tokens.api-key-secret-file': 'api-secret' });
    const secret = 's'.repeat(48);
    writeFileSync(join(dir, 'api-secret'), `${secret}\n`, { mode: 0o600 });
    const server = await startServer({ config: path, dataDir: join(dir, 'data') });
    try {
      const res = await request(server, 'GET', '/v1/Rooms', {
        auth: `Basic ${Buffer.from(`${server.creds.apiKeySid}:${secret}`).toString('base64')}`,
      });
      assert.equal(res.status, 200, res.text);
    } finally {
      await server.stop();
    }
  });

  test('out-of-range numbers', async () => {
    for (const [key, value] of [['tokens.provider-ttl', '59'], ['tokens.guest-max-ttl', '99999'],
      ['login.max-failures-per-account', '0'], ['login.lockout-seconds', 'soon']]) {
      const { path } = editedConfig({ [key]: value });
      await expectConfigError(['--config', path, '--data-dir', makeTempDir()], key);
    }
  });

  test('guest-ttl longer than guest-max-ttl', async () => {
    const { path } = editedConfig({ 'tokens.guest-ttl': '7200', 'tokens.guest-max-ttl': '3600' });
    await expectConfigError(['--config', path, '--data-dir', makeTempDir()], 'tokens.guest-ttl');
  });

  test('tls-certificate without tls-key', async () => {
    const { path } = editedConfig({ 'server.tls-certificate': '/nonexistent/cert.pem' });
    await expectConfigError(['--config', path, '--data-dir', makeTempDir()], 'server.tls-key');
  });

  test('public-url that is not http(s)', async () => {
    const { path } = editedConfig({ 'server.public-url': 'ftp://clinic.example' });
    await expectConfigError(['--config', path, '--data-dir', makeTempDir()], 'server.public-url');
  });

  test('a secret on the command line is impossible', async () => {
    for (const args of [['--api-key-secret', 'x'.repeat(40)], ['--api-key-secret=' + 'x'.repeat(40)],
      ['--secret', 'x'.repeat(40)]]) {
      const result = await runHousecalld([...args, '--data-dir', makeTempDir(), '--listen', '127.0.0.1:0'],
        { timeoutMs: 5000 });
      assert.equal(result.code, 2, `${args[0]} must be refused (stderr: ${result.stderr})`);
      assert.match(result.stderr, /Unknown option/);
    }
  });

  test('an unknown command fails with status 2', async () => {
    const result = await runHousecalld(['--data-dir', makeTempDir(), 'frobnicate']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /frobnicate/);
  });
});

describe('user command', () => {
  test('add, list, disable, enable; short passwords refused', async () => {
    const dataDir = makeTempDir();
    const add = await runHousecalld(['--data-dir', dataDir, 'user', 'add', 'dr-who'], { input: 'tardis-blue-box\n' });
    assert.equal(add.code, 0, add.stderr);
    const short = await runHousecalld(['--data-dir', dataDir, 'user', 'add', 'dr-short'], { input: 'short\n' });
    assert.equal(short.code, 2, 'a password under 10 characters is refused');
    const dup = await runHousecalld(['--data-dir', dataDir, 'user', 'add', 'dr-who'], { input: 'tardis-blue-box\n' });
    assert.notEqual(dup.code, 0, 'adding an existing user fails');
    const bad = await runHousecalld(['--data-dir', dataDir, 'user', 'add', 'dr:colon'], { input: 'tardis-blue-box\n' });
    assert.equal(bad.code, 2, 'a user name with a colon is refused');
    const none = await runHousecalld(['--data-dir', dataDir, 'user', 'add', 'dr-nopass'], { input: '' });
    assert.equal(none.code, 2, 'no password on stdin is refused');

    let list = await runHousecalld(['--data-dir', dataDir, 'user', 'list']);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /^dr-who\tenabled\t/m);
    assert.doesNotMatch(list.stdout, /dr-short|dr-nopass|dr:colon/);

    assert.equal((await runHousecalld(['--data-dir', dataDir, 'user', 'disable', 'dr-who'])).code, 0);
    list = await runHousecalld(['--data-dir', dataDir, 'user', 'list']);
    assert.match(list.stdout, /^dr-who\tdisabled\t/m);
    assert.equal((await runHousecalld(['--data-dir', dataDir, 'user', 'enable', 'dr-who'])).code, 0);
    list = await runHousecalld(['--data-dir', dataDir, 'user', 'list']);
    assert.match(list.stdout, /^dr-who\tenabled\t/m);

    const missing = await runHousecalld(['--data-dir', dataDir, 'user', 'disable', 'nobody']);
    assert.notEqual(missing.code, 0, 'disabling an unknown user fails');
  });
});
