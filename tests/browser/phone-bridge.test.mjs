// The phone bridge with a real WebRTC participant: headless Chromium (its
// fake microphone playing a tone) and a phone call in one room, with real
// Janus and a real sipp far end, inside a network namespace made for this
// file. The sipp line echoes every RTP packet back (-rtp_echo), so the
// tone crosses the whole bridge twice: Chromium → Janus → RTP forwarder →
// housecalld's mix → G.711 → the phone → back → Opus → Janus remote
// publisher → Chromium, which subscribes to the phone participant and hears
// its own tone. Needs root (network namespaces).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchChromium, writeToneWav } from './lib/browser.mjs';
import { canCreateNetns, createNetns } from './lib/netns.mjs';
import { Participant } from './lib/participant.mjs';
import { REPO_ROOT, makeTempDir, startServer } from './lib/server.mjs';

const SIPP = '/usr/bin/sipp';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const support = canCreateNetns();
if (!support.ok)
  test('phone bridge with a browser (network namespaces, Chromium, Janus, sipp)', { skip: support.why }, () => {});

/** Whether process @pid (in its namespace) has a UDP socket on @port. */
function udpBound(pid, port) {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  try {
    return readFileSync(`/proc/${pid}/net/udp`, 'utf8').split('\n')
      .some((line) => (line.trim().split(/\s+/)[1] ?? '').endsWith(hex));
  } catch {
    return false;
  }
}

/** A REST request from the page (the server listens on the namespace's loopback). */
function rest(participant, server, method, path, form) {
  return participant.evaluate(async ({ method, path, form, user, password }) => {
    const res = await fetch(path, {
      method,
      headers: {
        Authorization: `Basic ${btoa(`${user}:${password}`)}`,
        ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    return { status: res.status, body: await res.json() };
  }, { method, path, form, user: server.creds.apiKeySid, password: server.creds.apiKeySecret });
}

describe('phone bridge with a browser in the room', { skip: support.ok ? false : support.why }, () => {
  let ns = null;
  let server = null;
  let browser = null;
  let sipp = null;
  let sippLog = '';
  const sipPort = 25060;
  const mediaPort = 26000;
  const participants = [];

  before(async () => {
    ns = createNetns();
    const env = {};
    if (process.env.ASAN_OPTIONS !== undefined)
      env.ASAN_OPTIONS = `${process.env.ASAN_OPTIONS}:fast_unwind_on_malloc=0`;
    server = await startServer(ns, {
      env,
      configText: `[janus]\nice-enforce-list = veth-a\n\n[sip]\ntrunk = sip:127.0.0.1:${sipPort}\n` +
        'rtp-port-range = 27000-27998\n',
    });
    sipp = ns.spawn(SIPP, [
      '-sf', join(REPO_ROOT, 'tests', 'node', 'sip', 'answer-echo.xml'), '-i', '127.0.0.1',
      '-mi', '127.0.0.1', '-p', String(sipPort), '-mp', String(mediaPort), '-rtp_echo',
      '-key', 'rtp_port', String(mediaPort), '-nostdin', '-m', '1', '-timeout', '90s', '-timeout_error',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    sipp.stdout.on('data', (c) => { sippLog = (sippLog + c).slice(-4000); });
    sipp.stderr.on('data', (c) => { sippLog = (sippLog + c).slice(-4000); });
    sipp.exited = new Promise((r) => sipp.on('exit', (code) => r(code)));
    const deadline = Date.now() + 10000;
    while (!udpBound(sipp.pid, sipPort)) {
      if (Date.now() > deadline)
        throw new Error(`sipp did not start: ${sippLog}`);
      await sleep(50);
    }
    const tone = writeToneWav(join(makeTempDir('hc-tone-'), 'tone.wav'), { seconds: 30 });
    browser = await launchChromium(ns, { name: 'provider', toneFile: tone });
  });

  after(async () => {
    await Promise.all(participants.map((p) => p.close().catch(() => {})));
    await browser?.close().catch(() => {});
    if (sipp && sipp.exitCode === null)
      sipp.kill('SIGKILL');
    if (server) {
      const result = await server.stop(10000);
      assert.equal(result.code, 0, `housecalld exits 0:\n${server.logTail(60)}`);
    }
    await ns?.destroy();
  });

  test('the browser hears the phone, the phone hears the browser', { timeout: 120000 }, async () => {
    const dr = new Participant('drsmith', browser, server);
    participants.push(dr);
    await dr.open();
    const started = await dr.start({ identity: 'drsmith', room: 'visit-with-phone' });
    assert.ok(started.ok, JSON.stringify(started));
    const roomSid = started.joined.room.sid;
    await dr.waitFor('own media up', (s) => s.stats?.outboundAudio?.packetsSent > 0);

    const dial = await rest(dr, server, 'POST', `/v1/Rooms/${roomSid}/PhoneCalls`,
      { To: '+14155550123', Label: 'Interpreter (es)' });
    assert.equal(dial.status, 201, JSON.stringify(dial.body));
    const phoneSid = dial.body.participant_sid;

    // The page subscribes to the phone like to anyone, and hears its own
    // tone come back through the phone line.
    const heard = await dr.waitFor('the tone back from the phone', (s) => {
      const phone = s.remotes.find((r) => r.sid === phoneSid);
      return phone?.subscribed && (s.stats.inbound[phoneSid]?.audioLevel ?? 0) > 0.02;
    }, { timeoutMs: 40000, intervalMs: 500 });
    const phone = heard.remotes.find((r) => r.sid === phoneSid);
    assert.equal(phone.identity, 'Interpreter (es)');
    console.log(`# audio level heard from the phone: ${heard.stats.inbound[phoneSid].audioLevel}`);

    const hangup = await rest(dr, server, 'POST', `/v1/Rooms/${roomSid}/PhoneCalls/${dial.body.sid}`,
      { Status: 'completed' });
    assert.equal(hangup.status, 200, JSON.stringify(hangup.body));
    await dr.waitFor('the phone gone', (s) => !s.remotes.some((r) => r.sid === phoneSid));
    const code = await Promise.race([sipp.exited, sleep(15000).then(() => 'timeout')]);
    assert.equal(code, 0, `sipp got the BYE: ${sippLog}`);
  });
});
