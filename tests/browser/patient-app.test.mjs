// The patient web app (data/web/patient.html, js/patient.js) end to end:
// real headless Chromium patients with fake camera and microphone, against a
// real housecalld with its Janus, inside a network namespace made for this
// file (lib/netns.mjs). The clinic side goes through the REST API
// (appointments with the API key, the provider's waiting room with a
// provider token) and the provider joins in call.html.
//
//   - a made-up, expired or used visit link gets the friendly page and
//     nothing else: no form, no camera request, no WebSocket
//   - desktop (keyboard only): link → check-in → preflight (devices, level
//     meter, test sound) → network test (echo through Janus) → waiting room;
//     the provider's queue shows the verdict; a provider message arrives;
//     a reload and a dropped socket resume the wait; admit → the call: each
//     side decodes the other; the provider ends the visit → the link is used
//   - phone viewport (390x844, isMobile, hasTouch, by touch): the same to
//     the call, publishing at most 640x480 and at most 1000 kbps of video
//   - removed from the waiting room with a message: the page shows it
//
// Needs root. Run: cd tests/browser && HOUSECALLD=… node --test patient-app.test.mjs

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchChromium, writeToneWav } from './lib/browser.mjs';
import { canCreateNetns, createNetns } from './lib/netns.mjs';
import { Participant } from './lib/participant.mjs';
import { Clinic, PatientPage, addProvider, providerJoin, until } from './lib/patient.mjs';
import { makeTempDir, startServer } from './lib/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const PROVIDER = 'drdemo';
const PROVIDER_NAME = 'Dr. Demo';
const PASSWORD = 'correct horse battery staple';
const CLINIC = 'Riverside Clinic';
const CONFIG = `[clinic]
name = ${CLINIC}
intake-questions = What would you like to talk about today?;Are you taking any new medicines?
copay-notice = Your usual copay of $20 applies to this video visit.

[janus]
ice-enforce-list = veth-a
`;
const INVALID_TEXT = 'This visit link is not valid any more. Ask the clinic for a new one.';

const support = canCreateNetns();
if (!support.ok)
  test('patient web app (network namespaces, Chromium, Janus)', { skip: support.why }, () => {});

describe('the patient web app', { skip: support.ok ? false : support.why }, () => {
  let ns = null;
  let server = null;
  let patientBrowser = null;
  let providerBrowser = null;
  let clinic = null;
  let providerToken = null;
  const open = new Set();

  async function patient(name, options) {
    const p = new PatientPage(name, patientBrowser, server);
    open.add(p);
    await p.open(options);
    return p;
  }

  async function providerPage(name) {
    const p = new Participant(name, providerBrowser, server);
    open.add(p);
    await p.open({ viewport: { width: 1024, height: 700 } });
    return p;
  }

  /** With HC_SCREENSHOTS=<dir>, saves a full-page screenshot of @p as <dir>/<name>.png. */
  async function shot(p, name) {
    const dir = process.env.HC_SCREENSHOTS;
    if (dir)
      await p.page.screenshot({ path: join(dir, `${name}.png`), fullPage: true }).catch(() => {});
  }

  /** No script errors and no CSP violations in @p's log. */
  function assertCleanLog(p) {
    const bad = p.logs.filter((l) => /pageerror|Content Security Policy|Refused to/i.test(l));
    assert.deepEqual(bad, [], `${p.name}: errors in the page's log`);
  }

  async function closeAll() {
    await Promise.all([...open].map((p) => p.close()));
    open.clear();
  }

  before(async () => {
    ns = createNetns();
    server = await startServer(ns, { configText: CONFIG });
    await addProvider(server, PROVIDER, PASSWORD, PROVIDER_NAME);
    const tone = writeToneWav(join(makeTempDir('hc-tone-'), 'tone.wav'));
    [patientBrowser, providerBrowser] = await Promise.all([
      launchChromium(ns, { name: 'patient', toneFile: tone }),
      launchChromium(ns, { name: 'provider', toneFile: tone }),
    ]);
    clinic = await new Clinic(providerBrowser, server).open();
    providerToken = await clinic.login(PROVIDER, PASSWORD);
  });

  after(async () => {
    await closeAll();
    await clinic?.close();
    await Promise.all([patientBrowser?.close().catch(() => {}), providerBrowser?.close().catch(() => {})]);
    await server?.stop();
    await ns?.destroy();
  });

  /** The friendly page, and that nothing else was shown or asked. */
  async function assertFriendlyPage(p, what) {
    await p.waitForView('invalid');
    const { page } = p;
    const text = (await page.locator('main').innerText()).trim();
    assert.match(text, /This visit link is not valid any more\. Ask the clinic for a new one\./, `${what}: ${text}`);
    const visible = await page.evaluate(() => {
      const shown = (el) => el.checkVisibility?.() ?? el.offsetParent !== null;
      return {
        controls: [...document.querySelectorAll('input, select, textarea, button, video, form')].filter(shown).length,
        brand: document.getElementById('brand').textContent,
        title: document.title,
      };
    });
    assert.equal(visible.controls, 0, `${what}: no form, button or video on the page`);
    assert.equal(visible.brand, 'Housecall', `${what}: no clinic name`);
    assert.equal(visible.title, 'Housecall');
    const seen = await p.seen();
    assert.equal(seen.getUserMedia, 0, `${what}: the camera was not asked for`);
    assert.deepEqual(seen.sockets, [], `${what}: no WebSocket`);
    const api = p.requests.filter((r) => r.includes('/v1/'));
    assert.ok(api.every((r) => /^GET \/v1\/Visits\/[^/]+$/.test(r)), `${what}: only the visit was looked up: ${api}`);
    const focused = await page.evaluate(() => document.activeElement?.id);
    assert.equal(focused, 'invalid-title', 'the heading has the focus, for screen readers');
    await shot(p, `${p.name}-invalid`);
    assertCleanLog(p);
  }

  describe('links that do not open a visit', () => {
    after(closeAll);

    test('a made-up code (well-formed or not) gets the friendly page and nothing else', { timeout: 30000 }, async () => {
      const madeUp = await patient('made-up', { code: '0123456789abcdef0123456789abcdef' });
      assert.equal(madeUp.response.status(), 200, 'housecalld serves the app for every /v/ link');
      await assertFriendlyPage(madeUp, 'made-up code');
      const garbage = await patient('garbage', { code: 'not-a-code' });
      await assertFriendlyPage(garbage, 'malformed code');
      // The same words as the server's own answer.
      const res = await clinic.fetch('GET', '/v1/Visits/0123456789abcdef0123456789abcdef');
      assert.equal(res.status, 404);
      assert.equal(res.body.message, INVALID_TEXT);
    });

    test('an expired code gets the same page', { timeout: 30000, skip: existsSync('/usr/bin/sqlite3') ? false : 'no sqlite3 to move the expiry' }, async () => {
      const { code } = await clinic.appointment({ provider: PROVIDER });
      // Codes live for hours: move this one's expiry into the past in the store.
      execFileSync('/usr/bin/sqlite3', [join(server.dataDir, 'housecalld.db'),
        `PRAGMA busy_timeout = 5000; UPDATE appointments SET visit_code_expires = strftime('%s', 'now') - 60 WHERE visit_code = '${code}';`]);
      const expired = await patient('expired', { code });
      await assertFriendlyPage(expired, 'expired code');
    });
  });

  describe('a crash of housecalld', () => {
    after(closeAll);

    test('kill -9 with patients waiting: after the restart they are in the same order and their pages reconnect by themselves', { timeout: 90000 }, async () => {
      const N = 6;
      const pages = [];
      for (let i = 0; i < N; i++) {
        const name = `Crash Patient ${i + 1}`;
        const { code } = await clinic.appointment({ provider: PROVIDER, patient_name: name });
        const res = await clinic.fetch('POST', `/v1/Visits/${code}/CheckIn`, {
          json: { name, consent: true, copay_acknowledged: true,
                  preflight: { verdict: 4, reasons: ['Your upload is limited (700 kbps)'], camera: true, microphone: true, browser: 'Chrome 156', mobile: false } },
        });
        assert.equal(res.status, 200, JSON.stringify(res));
        // The tab that checked in: its token in sessionStorage, as after a reload.
        const p = await patient(`crash-${i + 1}`, {
          code,
          viewport: { width: 400, height: 600 },
          initScript: ({ code, token }) => {
            if (!sessionStorage.getItem(`housecall.visit.${code}`))
              sessionStorage.setItem(`housecall.visit.${code}`, JSON.stringify({ token, room: null, verdict: 4 }));
          },
          initArg: { code, token: res.body.token },
        });
        pages.push(p);
      }
      const positions = () => Promise.all(pages.map((p) => p.page.evaluate(() => ({
        state: window.housecall.waitingRoom?.state,
        position: window.housecall.waitingRoom?.position,
        reconnects: window.housecall.waitingRoom?.reconnects,
        text: document.getElementById('waiting-position').textContent,
      }))));
      const inOrder = (list) => list.every((s, i) => s.state === 'waiting' && s.position === i + 1);
      await until('every page waits, numbered in order', async () => inOrder(await positions()));
      assert.equal((await positions())[2].text, 'You are number 3 in line.');
      const before = (await clinic.queue(providerToken)).filter((e) => e.name.startsWith('Crash')).map((e) => e.name);
      assert.deepEqual(before, pages.map((_, i) => `Crash Patient ${i + 1}`));

      // kill -9, and the same server again on the same data and port.
      const old = server;
      process.kill(old.pid, 'SIGKILL');
      await old.exit;
      const killedAt = Date.now();
      const restarted = await startServer(ns, { configText: CONFIG, args: ['--data-dir', old.dataDir, '--listen', `127.0.0.1:${old.port}`] });
      assert.equal(restarted.port, old.port);
      restarted.dataDir = old.dataDir;
      restarted._creds = old.creds;
      server = restarted;
      clinic.server = restarted;
      for (const p of pages)
        p.server = restarted;
      await server.waitForJanus(15000);

      const back = await until('every page reconnected by itself and waits in the same place', async () => {
        const now = await positions();
        return now.every((s) => s.reconnects >= 1) && inOrder(now) ? now : null;
      }, { timeoutMs: 30000, intervalMs: 500 });
      console.log(`# ${N} waiting pages back ${Date.now() - killedAt} ms after kill -9 (reconnects ${back.map((s) => s.reconnects)})`);
      const token = await clinic.login(PROVIDER, PASSWORD);
      const entries = (await clinic.queue(token)).filter((e) => e.name.startsWith('Crash'));
      assert.deepEqual(entries.map((e) => e.name), before, 'the same order');
      assert.ok(entries.every((e) => e.connected), 'all connected again');
      providerToken = token;
      // Out of the way of the next tests.
      for (const e of entries)
        await clinic.fetch('POST', `/v1/WaitingRoom/${e.id}/Remove`, { auth: providerToken, form: {} });
      for (const p of pages)
        assertCleanLog(p);
      await closeAll();
    });
  });

  /** Checks in through the form with the keyboard alone, checking the focus order. */
  async function checkInByKeyboard(p, name) {
    const { page } = p;
    const focused = () => page.evaluate(() => document.activeElement?.id ?? null);
    assert.equal(await focused(), 'checkin-title', 'the step\'s heading has the focus');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'name');
    // Submitting the empty form: told why, focus stays on the first problem.
    await page.keyboard.press('Enter');
    const alert = page.locator('#checkin-error');
    await alert.waitFor({ state: 'visible', timeout: 5000 });
    assert.match(await alert.innerText(), /Enter your name\..*tick the box to agree/s);
    assert.equal(await page.locator('#name').getAttribute('aria-invalid'), 'true');
    assert.equal(await focused(), 'name');
    await page.keyboard.type(name);
    const order = [];
    for (const [key, input] of [['Tab', 'A cough since Monday'], ['Tab', null], ['Tab', ' '], ['Tab', ' '], ['Tab', null]]) {
      await page.keyboard.press(key);
      order.push(await focused());
      if (input === ' ')
        await page.keyboard.press('Space');
      else if (input)
        await page.keyboard.type(input);
    }
    assert.deepEqual(order, ['intake-0', 'intake-1', 'consent', 'copay', 'checkin-next'], 'focus order of the check-in form');
    assert.equal(await page.locator('#consent').isChecked(), true);
    assert.equal(await page.locator('#copay').isChecked(), true);
    await page.keyboard.press('Enter');
  }

  /** The local preflight: devices working, preview, level meter, test sound; then on. */
  async function localPreflight(p, { touch = false } = {}) {
    const { page } = p;
    await p.waitForView('devices');
    await page.locator('#devices-state').filter({ hasText: 'Your camera and microphone are working.' })
      .waitFor({ timeout: 15000 });
    const preview = await until('the camera preview plays', () => page.evaluate(() => {
      const v = document.getElementById('preview');
      return v.videoWidth > 0 ? { width: v.videoWidth, height: v.videoHeight } : null;
    }));
    const level = await until('the microphone level meter moves', () => page.evaluate(() => {
      const v = document.getElementById('mic-level').value;
      return v > 0.2 ? v : null;
    }), { timeoutMs: 8000 });
    const lists = await page.evaluate(() => ({
      cameras: document.getElementById('camera-select').options.length,
      mics: document.getElementById('mic-select').options.length,
      cameraLabel: document.querySelector('label[for="camera-select"]').textContent,
    }));
    assert.ok(lists.cameras >= 1 && lists.mics >= 1, `device lists: ${JSON.stringify(lists)}`);
    // The test sound: WebAudio really played something.
    const sound = page.getByRole('button', { name: 'Play test sound' });
    if (touch)
      await sound.tap();
    else
      await sound.press('Enter');
    await page.locator('#status').filter({ hasText: 'Test sound played.' }).waitFor({ timeout: 8000 });
    const tone = await page.evaluate(() => window.housecall.media.lastToneLevel);
    assert.ok(tone > 0.3, `the test tone was audible (level ${tone})`);
    await shot(p, `${p.name}-2-devices`);
    const next = page.getByRole('button', { name: 'Next: test my connection' });
    if (touch)
      await next.tap();
    else
      await next.press('Enter');
    return { preview, level };
  }

  /** The network test: waits for its result; resolves what the page measured. */
  async function networkTest(p, { touch = false } = {}) {
    const { page } = p;
    await p.waitForView('network');
    const next = page.getByRole('button', { name: 'Go to the waiting room' });
    await next.waitFor({ state: 'visible', timeout: 25000 }).catch(async (error) => {
      throw new Error(`${p.name}: no network test result: ${error.message}\n${p.diagnostics()}`);
    });
    const result = await page.evaluate(() => ({
      run: window.housecall.network,
      verdict: window.housecall.verdict,
      text: document.getElementById('network-verdict').textContent,
      details: document.getElementById('network-details').textContent,
      focused: document.activeElement?.id,
    }));
    assert.equal(result.run.error, null, `the network test ran: ${JSON.stringify(result)}\n${p.diagnostics()}`);
    assert.match(result.text, /^Result: [1-5] out of 5 \((very poor|poor|fair|good|excellent)\)\.$/);
    assert.equal(result.focused, 'network-next', 'focus moves to the next step');
    await shot(p, `${p.name}-3-network`);
    if (touch)
      await next.tap();
    else
      await next.press('Enter');
    return result;
  }

  /** Checks the measured figures of a network test over the namespace's veth. */
  function assertNetworkFigures(result, who) {
    const s = result.run.summary;
    console.log(`# ${who} network test: verdict ${result.verdict.verdict}, rtt ${s.rtt_ms} ms, jitter ${s.jitter_ms} ms, ` +
      `loss ${s.loss_percent}%, ${s.bitrate_kbps} kbps, ${s.candidate_type}; reasons ${JSON.stringify(result.verdict.reasons.map((r) => r.key))}`);
    assert.equal(s.failed, undefined);
    assert.equal(s.candidate_type, 'host', 'a direct path on the veth pair');
    assert.ok(Number.isFinite(s.rtt_ms) && s.rtt_ms >= 0 && s.rtt_ms < 150, `rtt ${s.rtt_ms}`);
    assert.ok(Number.isFinite(s.jitter_ms), `jitter ${s.jitter_ms}`);
    assert.ok(Number.isFinite(s.loss_percent) && s.loss_percent <= 5, `loss ${s.loss_percent}`);
    assert.ok(s.bitrate_kbps > 300, `bitrate ${s.bitrate_kbps}`);
    assert.ok(result.verdict.verdict >= 4, `a good line on the veth pair: ${JSON.stringify(result.verdict)}`);
  }

  /** The queue entry of @name as the provider sees it. */
  async function queueEntry(name, predicate = () => true) {
    return until(`${name} in the provider's queue`, async () => {
      const entries = await clinic.queue(providerToken);
      return entries.find((e) => e.name === name && predicate(e)) ?? null;
    });
  }

  /** Sums the video bytes sent over every rid. */
  const videoBytes = (snapshot) => Object.values(snapshot.stats.outbound).reduce((a, o) => a + o.bytesSent, 0);

  describe('from the link to the call', () => {
    after(closeAll);

    test('desktop, keyboard only: check-in, preflight, network test, waiting room, admitted, both decode; ended → link used', { timeout: 120000 }, async () => {
      const { code } = await clinic.appointment({ provider: PROVIDER, patient_name: 'Jane Doe' });
      const p = await patient('desktop', { code });
      await p.waitForView('checkin');
      const { page } = p;
      assert.match(await page.locator('#visit-with').innerText(), /With Dr\. Demo, /);
      assert.equal(await page.locator('#brand').innerText(), CLINIC, 'the clinic\'s name');
      assert.equal(await page.locator('#copay-text').innerText(), 'Your usual copay of $20 applies to this video visit.');
      assert.equal(await page.getByLabel('Are you taking any new medicines? (optional)').count(), 1);
      await shot(p, 'desktop-1-checkin');
      assert.equal((await p.seen()).getUserMedia, 0, 'no camera before the check-in form');
      await checkInByKeyboard(p, 'Jane Doe');

      const local = await localPreflight(p);
      assert.ok(local.preview.width >= 1280 && local.preview.height >= 720, `desktop preview ${local.preview.width}x${local.preview.height}`);
      const net = await networkTest(p);
      assertNetworkFigures(net, 'desktop');

      // The waiting room.
      await p.waitForView('waiting');
      await page.locator('#waiting-position').filter({ hasText: 'You are next.' }).waitFor({ timeout: 10000 });
      assert.match(await page.locator('#waiting-estimate').innerText(), /^Estimated wait: (less than a minute|about \d+ minutes?)\.$/);
      assert.match(await page.locator('#waiting-intro').innerText(), /Dr\. Demo will let you in/);
      const checkins = p.requests.filter((r) => r.endsWith('/CheckIn'));
      assert.equal(checkins.length, 2, `checked in with the local results, then with the network test: ${checkins}`);
      const token = await page.evaluate((c) => JSON.parse(sessionStorage.getItem(`housecall.visit.${c}`)).token, code);
      assert.match(token, /^eyJ/, 'the token is in sessionStorage');
      assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
      assert.ok(!page.url().includes(token) && !page.url().includes('token'), 'the token is not in the URL');

      // The provider's queue shows the patient with the page's verdict.
      const entry = await queueEntry('Jane Doe', (e) => e.connected);
      assert.equal(entry.status, 'waiting');
      assert.equal(entry.preflight.verdict, net.verdict.verdict, JSON.stringify(entry));
      assert.equal(entry.preflight.candidate_type, 'host');
      assert.equal(entry.preflight.camera, true);
      assert.equal(entry.preflight.microphone, true);
      assert.equal(entry.preflight.mobile, false);
      assert.match(entry.preflight.browser, /^Chrome \d+$/);
      assert.equal(entry.devices_ok, true);
      assert.equal(entry.intake_done, true);

      // A message from the provider.
      const sent = await clinic.fetch('POST', `/v1/WaitingRoom/${entry.id}/Message`, { auth: providerToken, form: { text: 'Running 5 minutes late, sorry!' } });
      assert.ok(sent.status === 204 || sent.status === 200, JSON.stringify(sent));
      await page.locator('#messages li').filter({ hasText: 'Running 5 minutes late, sorry!' }).waitFor({ timeout: 5000 });
      await shot(p, 'desktop-4-waiting');

      // A reload goes straight back to the waiting room, without a new check-in.
      p.requests.length = 0;
      await page.reload();
      await p.waitForView('waiting');
      await page.locator('#waiting-position').filter({ hasText: 'You are next.' }).waitFor({ timeout: 10000 });
      assert.equal((await p.seen()).getUserMedia, 0, 'no preflight again after a reload');
      assert.deepEqual(p.requests.filter((r) => r.endsWith('/CheckIn')), []);

      // A dropped socket comes back by itself.
      await page.evaluate(() => window.housecall.waitingRoom.signaling.close(4000, 'test drop'));
      await until('the waiting room reconnected', () => page.evaluate(() =>
        window.housecall.waitingRoom.reconnects >= 1 && window.housecall.waitingRoom.state === 'waiting'), { timeoutMs: 10000 });

      // Not admitted yet: the patient's token cannot enter the visit's room,
      // by its unique name or otherwise.
      const refused = await page.evaluate(async ({ token, names }) => {
        const { SignalingClient } = await import('/js/signaling.js');
        const s = new SignalingClient();
        await s.connect();
        await s.authenticate(token);
        const out = [];
        for (const room of names) {
          try {
            out.push((await s.join(room)).type);
          } catch (e) {
            out.push(e.code);
          }
        }
        s.close();
        return out;
      }, { token, names: [`visit-${entry.appointment_sid}`, 'somewhere-else'] });
      assert.equal(refused[0], 53120, `join before admission: ${refused}`);
      assert.notEqual(refused[1], 'joined', `join elsewhere: ${refused}`);

      // Admitted: the page joins by itself.
      const admitted = await clinic.fetch('POST', `/v1/WaitingRoom/${entry.id}/Admit`, { auth: providerToken });
      assert.equal(admitted.status, 200, JSON.stringify(admitted));
      const room = admitted.body.room;
      assert.match(room, /^RM[0-9a-f]{32}$/);
      await p.waitForView('call');
      const joined = await p.waitFor('the patient joined and published', (s) => s.state === 'joined' && s.published !== null, { timeoutMs: 20000 });
      assert.equal(joined.published.simulcast, true);

      const doctor = await providerPage('provider-desktop');
      await providerJoin(doctor, providerToken, room, { width: 640, height: 360 });
      const patientSid = joined.self;
      await Promise.all([
        doctor.waitDecoding(patientSid, { timeoutMs: 20000, what: 'the provider decodes the patient' }),
        p.waitDecoding(doctor.sid, { timeoutMs: 20000, what: 'the patient decodes the provider' }),
      ]);
      await shot(p, 'desktop-5-call');
      const sending = await p.snapshot();
      const h = sending.stats.outbound.h ?? {};
      console.log(`# desktop patient sends ${Object.entries(sending.stats.outbound).map(([rid, o]) => `${rid} ${o.frameWidth}x${o.frameHeight}`).join(', ')}`);
      assert.ok((h.frameWidth ?? 0) <= 1280 && (h.frameHeight ?? 0) <= 720);
      // The call's controls.
      await page.getByRole('button', { name: 'Microphone on' }).press('Enter');
      assert.equal(await page.getByRole('button', { name: 'Microphone off' }).getAttribute('aria-pressed'), 'false');

      // A reload in the call goes straight back into the call.
      await page.reload();
      await p.waitForView('call');
      const back = await p.waitFor('back in the call', (s) => s.state === 'joined' && s.published !== null, { timeoutMs: 20000 });
      assert.notEqual(back.self, patientSid, 'a new participant');
      assert.equal((await p.seen()).getUserMedia, 1, 'only the call asked for the camera, no preflight');
      await doctor.waitDecoding(back.self, { timeoutMs: 20000, what: 'the provider decodes the patient after the reload' });

      // The provider ends the visit: the page says so, and the link is used up.
      const done = await clinic.fetch('POST', `/v1/Rooms/${room}`, { auth: 'api', form: { Status: 'completed' } });
      assert.equal(done.status, 200, JSON.stringify(done));
      await p.waitForView('ended');
      assert.match(await page.locator('#ended-text').innerText(), /The visit has ended/);
      await shot(p, 'desktop-6-ended');
      assertCleanLog(p);
      p.requests.length = 0;
      await page.reload();
      await assertFriendlyPage(p, 'a used code');
      await closeAll();
    });

    test('phone viewport, by touch: to the call, publishing at most 640x480 and 1000 kbps of video', { timeout: 120000 }, async () => {
      const { code } = await clinic.appointment({ provider: PROVIDER, patient_name: 'Sam Phone' });
      const p = await patient('phone', { code, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      await p.waitForView('checkin');
      const { page } = p;
      const profile = await page.evaluate(() => window.housecall.profile);
      assert.equal(profile.mobile, true, `the phone profile: ${JSON.stringify(profile)}`);
      const overflow = async (where) => {
        const wider = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(wider <= 0, `${where}: the page is ${wider}px wider than the phone`);
      };
      await overflow('check-in');
      await shot(p, 'phone-1-checkin');
      await page.getByLabel('Your full name').tap();
      await page.getByLabel('Your full name').fill('Sam Phone');
      await page.getByLabel('I agree to have this visit by video.').tap();
      await page.getByLabel('I have read the copay information above.').tap();
      await page.getByRole('button', { name: 'Next: camera and microphone' }).tap();
      const local = await localPreflight(p, { touch: true });
      await overflow('preflight');
      assert.ok(local.preview.width <= 640 && local.preview.height <= 480, `phone preview ${local.preview.width}x${local.preview.height}`);
      const net = await networkTest(p, { touch: true });
      assertNetworkFigures(net, 'phone');
      await p.waitForView('waiting');
      await overflow('waiting room');
      await page.locator('#waiting-position').filter({ hasText: 'You are' }).waitFor({ timeout: 10000 });
      await shot(p, 'phone-4-waiting');

      const entry = await queueEntry('Sam Phone', (e) => e.connected);
      assert.equal(entry.preflight.mobile, true);
      assert.equal(entry.intake_done, true, 'the optional questions were seen, unanswered');
      assert.equal(entry.preflight.verdict, net.verdict.verdict);
      const admitted = await clinic.fetch('POST', `/v1/WaitingRoom/${entry.id}/Admit`, { auth: providerToken });
      assert.equal(admitted.status, 200, JSON.stringify(admitted));
      await p.waitForView('call');
      const joined = await p.waitFor('the phone joined and published', (s) => s.state === 'joined' && s.published !== null, { timeoutMs: 20000 });
      await overflow('call');

      const doctor = await providerPage('provider-phone');
      await providerJoin(doctor, providerToken, admitted.body.room, { width: 640, height: 360 });
      await Promise.all([
        doctor.waitDecoding(joined.self, { timeoutMs: 20000, what: 'the provider decodes the phone' }),
        p.waitDecoding(doctor.sid, { timeoutMs: 20000, what: 'the phone decodes the provider' }),
      ]);
      await shot(p, 'phone-5-call');

      // What the phone sends: let the bandwidth estimate ramp up, then
      // measure over six seconds.
      await sleep(4000);
      const first = await p.snapshot();
      const t0 = Date.now();
      await sleep(6000);
      const last = await p.snapshot();
      const seconds = (Date.now() - t0) / 1000;
      const kbps = ((videoBytes(last) - videoBytes(first)) * 8) / seconds / 1000;
      const layers = Object.entries(last.stats.outbound);
      console.log(`# phone sends ${layers.map(([rid, o]) => `${rid} ${o.frameWidth}x${o.frameHeight} ${o.framesPerSecond ?? '?'} fps`).join(', ')}; ` +
        `${kbps.toFixed(0)} kbps of video over ${seconds.toFixed(1)} s`);
      assert.ok(layers.length >= 1);
      for (const [rid, o] of layers) {
        assert.ok(o.frameWidth <= 640 && o.frameHeight <= 480, `${rid}: ${o.frameWidth}x${o.frameHeight} is at most 640x480`);
      }
      assert.ok(layers.some(([, o]) => o.frameWidth === 640 && o.frameHeight === 480), 'the top layer is 640x480');
      // And that is what the provider gets (the high substream).
      const seen = await doctor.snapshot();
      const inbound = seen.stats.inbound[joined.self];
      console.log(`# the provider receives the phone at ${inbound.frameWidth}x${inbound.frameHeight}`);
      assert.equal(inbound.frameWidth, 640);
      assert.equal(inbound.frameHeight, 480);
      assert.ok(kbps > 50, `video is being sent (${kbps} kbps)`);
      assert.ok(kbps <= 1000, `at most 1000 kbps of video (${kbps.toFixed(0)} kbps)`);
      // The caps the page put on the encodings.
      const caps = await page.evaluate(() => window.housecall.call.options.simulcastEncodings.map((e) => e.maxBitrate));
      assert.ok(caps.reduce((a, b) => a + b, 0) <= 1000000, `caps ${caps}`);

      // Removed by the provider during the call: the page leaves and says why.
      const removed = await clinic.fetch('POST', `/v1/WaitingRoom/${entry.id}/Remove`, {
        auth: providerToken, form: { message: 'We will call you back on the phone.' },
      });
      assert.ok(removed.status === 204 || removed.status === 200, JSON.stringify(removed));
      await p.waitForView('ended');
      assert.equal(await page.locator('#ended-text').innerText(), 'The clinic ended your wait: “We will call you back on the phone.”');
      const after = await page.evaluate(() => ({
        state: window.housecall.call.state,
        live: window.housecall.call.localStream.getTracks().filter((t) => t.readyState === 'live').length,
      }));
      assert.deepEqual(after, { state: 'ended', live: 0 }, 'the call ended and the camera and microphone are off');
      await doctor.waitFor('the patient left the provider\'s call', (s) => !s.remotes.some((r) => r.sid === joined.self), { timeoutMs: 10000 });
      assertCleanLog(p);
      await closeAll();
    });
  });

  describe('admitted early', () => {
    after(closeAll);

    test('admitted while the network test runs: straight into the call, no second check-in', { timeout: 60000 }, async () => {
      const { code } = await clinic.appointment({ provider: PROVIDER, patient_name: 'Eve Early' });
      const p = await patient('early', { code, viewport: { width: 800, height: 700 } });
      const { page } = p;
      await p.waitForView('checkin');
      await page.getByLabel('Your full name').fill('Eve Early');
      await page.getByLabel('I agree to have this visit by video.').check();
      await page.getByLabel('I have read the copay information above.').check();
      await page.getByRole('button', { name: 'Next: camera and microphone' }).click();
      await page.locator('#devices-state').filter({ hasText: 'working' }).waitFor({ timeout: 15000 });
      await page.getByRole('button', { name: 'Next: test my connection' }).click();
      // Checked in with the local results: the provider admits at once.
      const entry = await queueEntry('Eve Early');
      assert.equal(entry.preflight.reasons[0], 'The connection test has not run yet');
      await p.waitForView('network');
      assert.equal(await page.getByRole('button', { name: 'Go to the waiting room' }).isVisible(), false, 'the test is still running');
      const admitted = await clinic.fetch('POST', `/v1/WaitingRoom/${entry.id}/Admit`, { auth: providerToken });
      assert.equal(admitted.status, 200, JSON.stringify(admitted));
      await p.waitForView('call', 20000);
      await p.waitFor('in the call', (s) => s.state === 'joined' && s.published !== null, { timeoutMs: 20000 });
      assert.equal(p.requests.filter((r) => r.endsWith('/CheckIn')).length, 1, 'no second check-in after admission');
      const done = await clinic.fetch('POST', `/v1/Rooms/${admitted.body.room}`, { auth: 'api', form: { Status: 'completed' } });
      assert.equal(done.status, 200);
      await p.waitForView('ended');
      assertCleanLog(p);
      await closeAll();
    });
  });

  describe('without camera and microphone', () => {
    after(closeAll);

    test('blocked devices: guidance for this browser, and the network test still runs on a synthetic picture and tone', { timeout: 60000 }, async () => {
      const { code } = await clinic.appointment({ provider: PROVIDER, patient_name: 'Bo Blocked' });
      // The user said "Block": every getUserMedia is refused.
      const p = await patient('blocked', {
        code,
        initScript: () => {
          navigator.mediaDevices.getUserMedia = async () => {
            window.__seen.getUserMedia++;
            throw new DOMException('Permission denied', 'NotAllowedError');
          };
        },
      });
      const { page } = p;
      await p.waitForView('checkin');
      await page.getByLabel('Your full name').fill('Bo Blocked');
      await page.getByLabel('I agree to have this visit by video.').check();
      await page.getByLabel('I have read the copay information above.').check();
      await page.getByRole('button', { name: 'Next: camera and microphone' }).click();
      await p.waitForView('devices');
      await page.locator('#devices-state').filter({ hasText: 'Your browser is blocking the camera and microphone.' }).waitFor({ timeout: 10000 });
      const hint = await page.locator('#devices-hint').innerText();
      assert.match(hint, /^In Chrome: click the camera icon .*“Try again”\.$/, `the hint for Chrome: ${hint}`);
      const before = (await p.seen()).getUserMedia;
      await page.getByRole('button', { name: 'Try again' }).click();
      await until('asked again', async () => (await p.seen()).getUserMedia > before);
      await page.locator('#devices-state').filter({ hasText: 'blocking' }).waitFor({ timeout: 10000 });
      await shot(p, 'blocked-2-devices');

      // Going on anyway: the clinic will know, and the line is still tested.
      await page.getByRole('button', { name: 'Next: test my connection' }).click();
      await page.getByRole('button', { name: 'Go to the waiting room' }).waitFor({ timeout: 25000 });
      const result = await page.evaluate(() => ({ run: window.housecall.network, verdict: window.housecall.verdict }));
      assert.equal(result.run.error, null, JSON.stringify(result));
      assert.equal(result.run.summary.candidate_type, 'host');
      assert.ok(result.run.summary.bitrate_kbps > 100, `the synthetic picture was sent: ${JSON.stringify(result.run.summary)}`);
      assert.equal(result.verdict.verdict, 2, JSON.stringify(result.verdict));
      assert.deepEqual(result.verdict.reasons.slice(0, 2).map((r) => r.key), ['reason.no-camera', 'reason.no-microphone']);
      const reasons = await page.locator('#network-reasons li').allInnerTexts();
      assert.deepEqual(reasons.slice(0, 2), ['No camera available', 'No microphone available']);
      await shot(p, 'blocked-3-network');
      await page.getByRole('button', { name: 'Go to the waiting room' }).click();
      await p.waitForView('waiting');
      const entry = await queueEntry('Bo Blocked', (e) => e.connected);
      assert.equal(entry.devices_ok, false);
      assert.equal(entry.preflight.verdict, 2);
      assert.equal(entry.preflight.camera, false);
      assert.equal(entry.preflight.microphone, false);
      assert.deepEqual(entry.preflight.reasons.slice(0, 2), ['No camera available', 'No microphone available']);
      await page.getByRole('button', { name: 'Leave the waiting room' }).click();
      await p.waitForView('ended');
      assertCleanLog(p);
      await closeAll();
    });
  });

  describe('leaving and being removed', () => {
    after(closeAll);

    test('a 360 px screen: leave the queue, check in again, then removed by the provider with a message', { timeout: 90000 }, async () => {
      const { code } = await clinic.appointment({ provider: PROVIDER, patient_name: 'Ray Small' });
      const p = await patient('small', { code, viewport: { width: 360, height: 740 } });
      const { page } = p;
      const overflow = async (where) => {
        const wider = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(wider <= 0, `${where}: the page is ${wider}px wider than a 360 px screen`);
      };
      const throughPreflight = async () => {
        await p.waitForView('checkin');
        await overflow('check-in');
        await page.getByLabel('Your full name').fill('Ray Small');
        await page.getByLabel('What would you like to talk about today? (optional)').fill('Follow-up');
        await page.getByLabel('I agree to have this visit by video.').check();
        await page.getByLabel('I have read the copay information above.').check();
        await page.getByRole('button', { name: 'Next: camera and microphone' }).click();
        await p.waitForView('devices');
        await page.locator('#devices-state').filter({ hasText: 'working' }).waitFor({ timeout: 15000 });
        await overflow('preflight');
        await page.getByRole('button', { name: 'Next: test my connection' }).click();
        await page.getByRole('button', { name: 'Go to the waiting room' }).waitFor({ timeout: 25000 });
        await overflow('network test');
        await page.getByRole('button', { name: 'Go to the waiting room' }).click();
        await p.waitForView('waiting');
        await page.locator('#waiting-connection').filter({ hasText: 'Connected' }).waitFor({ timeout: 10000 });
        await overflow('waiting room');
      };

      await throughPreflight();
      const first = await queueEntry('Ray Small', (e) => e.status === 'waiting');
      // Leaving: the page says so and offers to check in again.
      await page.getByRole('button', { name: 'Leave the waiting room' }).click();
      await p.waitForView('ended');
      assert.equal(await page.locator('#ended-text').innerText(), 'You left the waiting room.');
      await until('the queue no longer lists a waiting Ray Small', async () =>
        !(await clinic.queue(providerToken)).some((e) => e.name === 'Ray Small' && e.status === 'waiting'));
      assert.equal(await page.evaluate((c) => sessionStorage.getItem(`housecall.visit.${c}`), code), null, 'the token is forgotten');
      await page.getByRole('button', { name: 'Check in again' }).click();
      await throughPreflight();
      const again = await queueEntry('Ray Small', (e) => e.status === 'waiting' && e.connected);
      assert.equal(again.id, first.id, 'the same entry, checked in again');

      // Removed with a message from the provider.
      const removed = await clinic.fetch('POST', `/v1/WaitingRoom/${again.id}/Remove`, {
        auth: providerToken, form: { message: 'Please call the front desk at 555-0100.' },
      });
      assert.ok(removed.status === 204 || removed.status === 200, JSON.stringify(removed));
      await p.waitForView('ended');
      assert.equal(await page.locator('#ended-text').innerText(), 'The clinic ended your wait: “Please call the front desk at 555-0100.”');
      // The focused heading, described by the message, is what a screen reader reads.
      const read = await page.evaluate(() => {
        const h = document.activeElement;
        return { heading: h.textContent, description: document.getElementById(h.getAttribute('aria-describedby'))?.textContent };
      });
      assert.deepEqual(read, { heading: 'Your wait has ended', description: 'The clinic ended your wait: “Please call the front desk at 555-0100.”' });
      await shot(p, 'small-6-removed');
      assertCleanLog(p);
      // The link is closed now.
      p.requests.length = 0;
      await page.reload();
      await assertFriendlyPage(p, 'the link of a removed patient');
      await closeAll();
    });
  });
});
