// Two headless Chromium participants in one Housecall room, against a real
// housecalld (which runs Janus), all inside a network namespace made for this
// file (see lib/netns.mjs and lib/browser.mjs for why and how).
//
//   (page) the web client is served by housecalld with its CSP and works
//          on a phone-sized screen
//   (e)    signaling refusals: a token for another room, a socket that never
//          authenticates, malformed / oversized / out-of-order messages
//   (a)    each participant decodes the other's video
//   (b)    simulcast: `configure` to substream 0 and 2 changes the width received
//   (c)    dominant speaker follows whoever has a live microphone
//   (d)    Janus killed mid-call: both are back by themselves within 10 s
//   (f)    housecalld killed -9 mid-call and restarted: both rejoin by themselves
//   also:  the publish offer (3 rids lowest first; one encoding in an H.264
//          room), room-completed ends the page's call, a dropped WebSocket
//          reconnects by itself, and housecalld stops cleanly at the end
//
// Needs root (network namespaces). Run: cd tests/browser && npm ci &&
// HOUSECALLD=/path/to/housecalld node --test
// HC_WEB_FROM_DISK=1 serves data/web from the test instead of housecalld;
// HC_KEEP_DATA=1 keeps the temporary directories (housecalld.log) for reading.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { CSP, launchChromium, tail, writeToneWav } from './lib/browser.mjs';
import { canCreateNetns, cmdline, createNetns } from './lib/netns.mjs';
import { Participant } from './lib/participant.mjs';
import { makeTempDir, startServer } from './lib/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const uniq = (prefix) => `${prefix}-${randomBytes(3).toString('hex')}`;

const support = canCreateNetns();
if (!support.ok)
  test('browser tests (network namespaces, Chromium, Janus)', { skip: support.why }, () => {});

describe('two browsers in a room', { skip: support.ok ? false : support.why }, () => {
  let ns = null;
  let server = null;
  let browserA = null;
  let browserB = null;
  const open = new Set();

  /** A participant page in browser A or B, closed after its test. */
  async function participant(name, browser, options) {
    const p = new Participant(name, browser, server);
    open.add(p);
    await p.open(options);
    return p;
  }

  async function closeAll() {
    await Promise.all([...open].map((p) => p.close()));
    open.clear();
  }

  before(async () => {
    ns = createNetns();
    // Janus gathers ICE candidates on the veth interface only.
    server = await startServer(ns, { configText: '[janus]\nice-enforce-list = veth-a\n' });
    const tone = writeToneWav(join(makeTempDir('hc-tone-'), 'tone.wav'));
    [browserA, browserB] = await Promise.all([
      launchChromium(ns, { name: 'a', toneFile: tone }),
      launchChromium(ns, { name: 'b', toneFile: tone }),
    ]);
  });

  after(async () => {
    await closeAll();
    await Promise.all([browserA?.close().catch(() => {}), browserB?.close().catch(() => {})]);
    await server?.stop();
    await ns?.destroy();
  });

  describe('the web client', () => {
    after(closeAll);

    test('housecalld serves it with its CSP; it loads without violations, labelled, phone-sized', { timeout: 30000 }, async () => {
      const phone = await participant('phone', browserA, { viewport: { width: 360, height: 740 } });
      if (phone.servedBy === 'housecalld') {
        const csp = (await phone.response.allHeaders())['content-security-policy'] ?? '';
        assert.match(csp, /default-src 'self'/, `CSP header: ${csp}`);
      } else {
        assert.equal(CSP.includes("default-src 'self'"), true);
      }
      const { page } = phone;
      // Labelled form controls and named buttons.
      await page.getByLabel('Access token').fill('x');
      await page.getByLabel('Room').fill('y');
      assert.equal(await page.getByRole('button', { name: 'Join visit' }).count(), 1);
      // Nothing wider than the phone's screen.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page is ${overflow}px wider than a 360px screen`);
      const violations = phone.logs.filter((l) => /Content Security Policy|Refused to/i.test(l));
      assert.deepEqual(violations, [], 'no CSP violations');
      assert.equal(phone.logs.filter((l) => /pageerror/.test(l)).length, 0, tail(phone.logs));
    });

    test('the publish offer: VP8 → simulcast l, m, h (lowest first) + Opus with audio levels; H264 room → one encoding', { timeout: 40000 }, async () => {
      // Records what the page sends, to look at the offer whatever the server answers.
      const recordSent = (p) => p.evaluate(() => {
        window.sent = [];
        const send = WebSocket.prototype.send;
        WebSocket.prototype.send = function (data) {
          try {
            window.sent.push(JSON.parse(data));
          } catch {
            // not JSON
          }
          return send.call(this, data);
        };
      });
      const publishOf = async (p) => {
        const deadline = Date.now() + 10000;
        for (;;) {
          const msg = await p.evaluate(() => window.sent.find((m) => m.type === 'publish') ?? null);
          if (msg || Date.now() > deadline)
            return msg;
          await sleep(100);
        }
      };

      const vp8 = await participant('offer-vp8', browserA);
      await recordSent(vp8);
      await vp8.start({ room: uniq('offer-vp8'), width: 640, height: 360 });
      const offer = await publishOf(vp8);
      assert.ok(offer, `a publish was sent\n${vp8.diagnostics()}`);
      assert.equal(offer.audio, true);
      assert.equal(offer.video, true);
      const sections = offer.sdp.split(/\r\nm=/);
      const video = sections.find((s) => s.startsWith('video'));
      const audio = sections.find((s) => s.startsWith('audio'));
      assert.ok(video && audio, 'one video and one audio section');
      assert.match(video, /a=sendonly/);
      assert.match(video, /a=simulcast:send l;m;h(\r\n|$)/);
      assert.deepEqual([...video.matchAll(/a=rid:(\w+) send/g)].map((m) => m[1]), ['l', 'm', 'h']);
      assert.match(video, /a=rtpmap:\d+ VP8\/90000/);
      assert.match(video, /urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id/);
      assert.match(video, /urn:ietf:params:rtp-hdrext:sdes:mid/);
      assert.match(audio, /a=sendonly/);
      assert.match(audio, /a=rtpmap:\d+ opus\/48000/);
      assert.match(audio, /urn:ietf:params:rtp-hdrext:ssrc-audio-level/);
      assert.match(offer.sdp, /a=group:BUNDLE/);
      await vp8.close();

      // An H.264 room (made through the REST API with the API key) gets one encoding.
      const h264 = await participant('offer-h264', browserB);
      const roomName = uniq('offer-h264');
      const created = await h264.evaluate(async ({ user, password, name }) => {
        const res = await fetch('/v1/Rooms', {
          method: 'POST',
          headers: { Authorization: `Basic ${btoa(`${user}:${password}`)}`, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ UniqueName: name, VideoCodecs: 'H264' }),
        });
        return { status: res.status, body: await res.json() };
      }, { user: server.creds.apiKeySid, password: server.creds.apiKeySecret, name: roomName });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      await recordSent(h264);
      const r = await h264.start({ room: roomName, width: 640, height: 360 });
      assert.equal(r.ok ? r.joined.room.video_codec : (await h264.evaluate(() => window.housecall.call.room.video_codec)), 'H264');
      const single = await publishOf(h264);
      assert.ok(single, `a publish was sent\n${h264.diagnostics()}`);
      const h264Video = single.sdp.split(/\r\nm=/).find((s) => s.startsWith('video'));
      assert.match(h264Video, /a=rtpmap:\d+ H264\/90000/, 'this Chromium offers H.264');
      assert.doesNotMatch(h264Video, /a=simulcast/);
      assert.doesNotMatch(h264Video, /a=rid:/);
      await h264.close();
    });
  });

  // (e) — runs its tests side by side: the auth timeout takes 10 s.
  describe('(e) signaling refusals', { concurrency: true }, () => {
    after(closeAll);

    test('a token for room A cannot join room B: 20111 token-room-mismatch', { timeout: 30000 }, async () => {
      const roomA = uniq('room-a');
      const roomB = uniq('room-b');
      // Room B exists: somebody else is in it.
      const bob = await participant('bob-e', browserB);
      const tokenB = server.token({ identity: 'bob', room: roomB });
      const tokenA = server.token({ identity: 'alice', room: roomA });
      const bobJoined = await bob.evaluate(async ({ token, room }) => {
        const { SignalingClient } = await import('/js/signaling.js');
        const s = new SignalingClient();
        await s.connect();
        await s.authenticate(token);
        const joined = await s.join(room);
        window.keep = s;
        return joined.type;
      }, { token: tokenB, room: roomB });
      assert.equal(bobJoined, 'joined');

      const alice = await participant('alice-e', browserA);
      // Through the signaling client: the error is typed, and the socket stays usable.
      const outcome = await alice.evaluate(async ({ token, roomA, roomB }) => {
        const { SignalingClient } = await import('/js/signaling.js');
        const s = new SignalingClient();
        await s.connect();
        await s.authenticate(token);
        const out = {};
        for (const [key, room] of [['existing', roomB], ['unknown', `${roomB}-x`]]) {
          try {
            out[key] = await s.join(room);
          } catch (e) {
            out[key] = { isError: e instanceof Error, name: e.name, code: e.code, error: e.error, id: e.id };
          }
        }
        out.pong = (await s.request('ping')).type;
        out.joinA = (await s.join(roomA)).type;
        s.close();
        return out;
      }, { token: tokenA, roomA, roomB });
      for (const key of ['existing', 'unknown']) {
        assert.equal(outcome[key].isError, true, `${key}: ${JSON.stringify(outcome[key])}`);
        assert.equal(outcome[key].name, 'SignalingError');
        assert.equal(outcome[key].code, 20111, `${key} room: ${JSON.stringify(outcome[key])}`);
        assert.equal(outcome[key].error, 'token-room-mismatch');
      }
      assert.equal(outcome.pong, 'pong', 'the socket survives the refusal');
      assert.equal(outcome.joinA, 'joined', 'and can still join the room of the token');

      // Through the page: start() rejects and the page says why.
      const page = await participant('alice-e-page', browserA);
      const result = await page.start({ identity: 'alice', room: roomB, grantRoom: roomA, width: 320, height: 180 });
      assert.equal(result.ok, false);
      assert.equal(result.code, 20111, JSON.stringify(result));
      assert.equal(result.error, 'token-room-mismatch');
      await page.page.getByRole('alert').filter({ hasText: 'different room' }).waitFor({ timeout: 5000 });
    });

    test('a room completed through the REST API ends the call in the page (room-completed, 4410)', { timeout: 30000 }, async () => {
      const room = uniq('complete');
      const p = await participant('completed-e', browserB);
      await p.start({ room, width: 320, height: 180 });
      const { sid } = await p.evaluate(() => window.housecall.call.room);
      assert.match(sid, /^RM[0-9a-f]{32}$/);
      const status = await p.evaluate(async ({ user, password, sid }) => {
        const res = await fetch(`/v1/Rooms/${sid}`, {
          method: 'POST',
          headers: { Authorization: `Basic ${btoa(`${user}:${password}`)}`, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ Status: 'completed' }),
        });
        return res.status;
      }, { user: server.creds.apiKeySid, password: server.creds.apiKeySecret, sid });
      assert.equal(status, 200);
      const ended = await p.waitFor('the call ended', (s) => s.state === 'ended', { timeoutMs: 5000 });
      assert.equal(ended.state, 'ended');
      await p.page.getByRole('alert').filter({ hasText: 'ended the visit' }).waitFor({ timeout: 5000 });
      // No reconnecting after a 4410.
      await sleep(1500);
      assert.equal((await p.snapshot()).reconnects, 0);
    });

    test('a socket that never authenticates gets 53005 and is closed with 4401 after ~10 s', { timeout: 30000 }, async () => {
      const p = await participant('idle-e', browserB);
      const outcome = await p.evaluate(async () => {
        const { SignalingClient } = await import('/js/signaling.js');
        const s = new SignalingClient();
        const errors = [];
        s.on('server-error', (e) => errors.push({ code: e.code, error: e.error }));
        const closed = new Promise((resolve) => s.on('close', resolve));
        await s.connect();
        const t0 = performance.now();
        const timeout = new Promise((resolve) => setTimeout(() => resolve({ code: 'still open' }), 16000));
        const info = await Promise.race([closed, timeout]);
        return { code: info.code, ms: performance.now() - t0, errors };
      });
      assert.equal(outcome.code, 4401, JSON.stringify(outcome));
      assert.ok(outcome.ms >= 9000 && outcome.ms <= 13000, `closed after ${outcome.ms} ms`);
      assert.deepEqual(outcome.errors, [{ code: 53005, error: 'auth-timeout' }]);
    });

    test('malformed, oversized and out-of-order messages get typed errors; connection and server survive', { timeout: 30000 }, async () => {
      const p = await participant('rude-e', browserA);
      const room = uniq('rude');
      const token = server.token({ identity: 'rude', room });
      const replies = await p.evaluate(async ({ token, room }) => {
        const ws = new WebSocket(`ws://${location.host}/v1/signal`, 'housecall.v1');
        const queue = [];
        const waiters = [];
        let closeCode = null;
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data);
          const w = waiters.shift();
          if (w)
            w(m);
          else
            queue.push(m);
        };
        ws.onclose = (e) => {
          closeCode = e.code;
          for (const w of waiters.splice(0))
            w({ type: 'closed', code: e.code });
        };
        await new Promise((resolve, reject) => {
          ws.onopen = resolve;
          ws.onerror = reject;
        });
        const next = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(() => resolve({ type: 'no reply within 5 s' }), 5000);
        }));
        const out = [];
        const send = async (label, data) => {
          if (closeCode !== null) {
            out.push({ label, reply: { type: 'closed', code: closeCode } });
            return;
          }
          ws.send(data);
          const reply = await next();
          out.push({ label, reply: { type: reply.type, code: reply.code, error: reply.error, id: reply.id } });
        };
        const json = (o) => JSON.stringify(o);
        await send('not JSON', 'this is not json');
        await send('a JSON array', '[1,2,3]');
        await send('type not a string', json({ type: 5, id: 'm3' }));
        await send('id not a string', json({ type: 'ping', id: 7 }));
        await send('binary frame', new Uint8Array([123, 125]));
        await send('unknown type', json({ type: 'teleport', id: 'm6' }));
        await send('oversized (70 KiB)', json({ type: 'ping', id: 'big', pad: 'x'.repeat(70 * 1024) }));
        await send('ping after oversized', json({ type: 'ping', id: 'p1' }));
        await send('join before authenticate', json({ type: 'join', room, id: 'o1' }));
        await send('publish before authenticate', json({ type: 'publish', sdp: 'v=0', audio: true, video: true, id: 'o2' }));
        await send('authenticate', json({ type: 'authenticate', token, id: 'a1' }));
        await send('authenticate again', json({ type: 'authenticate', token, id: 'o3' }));
        await send('publish before join', json({ type: 'publish', sdp: 'v=0', audio: true, video: true, id: 'o4' }));
        await send('subscribe before join', json({ type: 'subscribe', participant: 'PA00000000000000000000000000000000', id: 'o5' }));
        await send('trickle before join', json({ type: 'trickle', target: 'publisher', candidate: null, id: 'o6' }));
        await send('join with a number for a room', json({ type: 'join', room: 7, id: 'm7' }));
        await send('join', json({ type: 'join', room, id: 'j1' }));
        await send('join again', json({ type: 'join', room, id: 'o7' }));
        await send('ping at the end', json({ type: 'ping', id: 'p2' }));
        ws.close();
        return out;
      }, { token, room });

      const byLabel = Object.fromEntries(replies.map((r) => [r.label, r.reply]));
      const dump = JSON.stringify(replies, null, 1);
      const expectError = (label, code, slug, id) => {
        const reply = byLabel[label];
        assert.equal(reply.type, 'error', `${label}: ${JSON.stringify(reply)}\n${dump}`);
        assert.equal(reply.code, code, `${label}: ${JSON.stringify(reply)}`);
        assert.equal(reply.error, slug, `${label}`);
        if (id !== undefined)
          assert.equal(reply.id, id, `${label}: the error carries the request id`);
      };
      expectError('not JSON', 53001, 'message-malformed');
      expectError('a JSON array', 53001, 'message-malformed');
      expectError('type not a string', 53001, 'message-malformed');
      expectError('id not a string', 53001, 'message-malformed');
      expectError('binary frame', 53001, 'message-malformed');
      expectError('unknown type', 53002, 'message-unknown-type', 'm6');
      expectError('oversized (70 KiB)', 53004, 'message-too-large');
      assert.equal(byLabel['ping after oversized'].type, 'pong', 'the connection survives an oversized message');
      expectError('join before authenticate', 53003, 'message-out-of-order', 'o1');
      expectError('publish before authenticate', 53003, 'message-out-of-order', 'o2');
      assert.equal(byLabel.authenticate.type, 'authenticated', dump);
      expectError('authenticate again', 53003, 'message-out-of-order', 'o3');
      expectError('publish before join', 53003, 'message-out-of-order', 'o4');
      expectError('subscribe before join', 53003, 'message-out-of-order', 'o5');
      expectError('trickle before join', 53003, 'message-out-of-order', 'o6');
      expectError('join with a number for a room', 53001, 'message-malformed', 'm7');
      assert.equal(byLabel.join.type, 'joined', dump);
      expectError('join again', 53003, 'message-out-of-order', 'o7');
      assert.equal(byLabel['ping at the end'].type, 'pong', dump);

      // The server is still up for everybody else.
      assert.ok(server.alive, `housecalld died:\n${server.logTail()}`);
      const fresh = await p.evaluate(async ({ token, room }) => {
        const { SignalingClient } = await import('/js/signaling.js');
        const s = new SignalingClient();
        await s.connect();
        await s.authenticate(token);
        const joined = await s.join(room);
        s.close();
        return joined.type;
      }, { token: server.token({ identity: 'after', room }), room });
      assert.equal(fresh, 'joined');
    });
  });

  describe('media', () => {
    after(closeAll);

    test('(a) each of two participants decodes the other\'s video', { timeout: 60000 }, async () => {
      const room = uniq('visit-a');
      const alice = await participant('alice-a', browserA);
      const bob = await participant('bob-a', browserB);
      const a = await alice.start({ room, width: 640, height: 360 });
      assert.ok(a.ok, `alice: ${JSON.stringify(a)}\n${alice.diagnostics()}`);
      const b = await bob.start({ room, width: 640, height: 360 });
      assert.ok(b.ok, `bob: ${JSON.stringify(b)}\n${bob.diagnostics()}`);
      assert.equal(b.joined.participants.find((p) => p.sid === alice.sid)?.publishing, true,
        `bob's joined lists alice as publishing: ${JSON.stringify(b.joined.participants)}`);
      await Promise.all([
        alice.waitDecoding(bob.sid, { timeoutMs: 20000, what: 'decoding bob' }),
        bob.waitDecoding(alice.sid, { timeoutMs: 20000, what: 'decoding alice' }),
      ]);
      await closeAll();
    });

    test('(b) simulcast: configure substream 0 vs 2 changes the width received', { timeout: 150000 }, async () => {
      const room = uniq('visit-b');
      const alice = await participant('alice-b', browserA);
      const bob = await participant('bob-b', browserB);
      // On two busy cores Chromium would drop resolution to save CPU; this test
      // is about the layers, so it keeps them.
      const a = await alice.start({ room, width: 1280, height: 720, fps: 24,
                                    degradationPreference: 'maintain-resolution' });
      assert.ok(a.ok, `alice: ${JSON.stringify(a)}\n${alice.diagnostics()}`);
      assert.equal(a.published.simulcast, true, 'published says simulcast: true');
      // Bob only watches: a small camera of his own spares the CPU.
      const b = await bob.start({ room, width: 320, height: 180 });
      assert.ok(b.ok, `bob: ${JSON.stringify(b)}\n${bob.diagnostics()}`);

      // What does Alice actually send? Give bandwidth estimation time to ramp
      // up until the three layers go out with three different widths.
      const rampStart = Date.now();
      const sending = await alice.waitFor('three simulcast layers being sent', (s) => {
        const o = s.stats?.outbound ?? {};
        return ['l', 'm', 'h'].every((rid) => o[rid]?.framesSent > 0 && o[rid]?.frameWidth > 0) &&
          o.l.frameWidth < o.m.frameWidth && o.m.frameWidth < o.h.frameWidth;
      }, { timeoutMs: 60000, intervalMs: 500 });
      const sent = sending.stats.outbound;
      console.log(`# alice sends l ${sent.l.frameWidth}x${sent.l.frameHeight}, m ${sent.m.frameWidth}x${sent.m.frameHeight}, ` +
        `h ${sent.h.frameWidth}x${sent.h.frameHeight} (limited by ${sent.h.qualityLimitationReason}; waited ${Date.now() - rampStart} ms for it)`);

      await bob.waitDecoding(alice.sid, { timeoutMs: 20000, what: 'decoding alice' });

      // Waits until what Bob receives from Alice has settled on a layer:
      // @ok(width, alice's outbound per rid) holds for three samples in a
      // row (a switch takes a keyframe, and a sample taken just before it
      // must not count). Keeps a timeline of both sides for the failure message.
      const layers = (o) => ['l', 'm', 'h'].map((rid) => `${rid} ${o[rid]?.frameWidth ?? 0}px/${o[rid]?.framesSent ?? 0}`).join(' ');
      const settle = async (what, ok, timeoutMs = 15000) => {
        const timeline = [];
        const deadline = Date.now() + timeoutMs;
        let streak = 0;
        for (;;) {
          const [sb, sa] = await Promise.all([bob.snapshot(), alice.snapshot()]);
          const width = sb.stats?.inbound?.[alice.sid]?.frameWidth ?? 0;
          const out = sa.stats.outbound;
          timeline.push(`${new Date().toISOString().slice(17, 23)} bob gets ${width}px (decoded ${Participant.decoded(sb, alice.sid)}); alice sends ${layers(out)}`);
          streak = ok(width, out) ? streak + 1 : 0;
          if (streak >= 3)
            return width;
          if (Date.now() > deadline)
            assert.fail(`${what}: not within ${timeoutMs} ms:\n${timeline.join('\n')}\n${bob.diagnostics()}\n${tail(alice.logs)}`);
          await sleep(400);
        }
      };
      const isLow = (width, out) => width > 0 && width <= out.l.frameWidth;
      const isHigh = (width, out) => width >= out.h.frameWidth && width > out.m.frameWidth;
      const configure = async (substream) => {
        const reply = await bob.evaluate(({ sid, substream }) =>
          window.housecall.call.configureSubscription(sid, { substream }).then((r) => r, (e) => ({ type: 'error', code: e.code, error: e.error })),
        { sid: alice.sid, substream });
        assert.equal(reply.type, 'configured', `configure substream ${substream}: ${JSON.stringify(reply)}`);
        assert.equal(reply.substream, substream);
      };

      // docs/protocol.md: a subscription starts on the high substream.
      const initial = await settle('a new subscription receives the high layer (h)', isHigh);
      await configure(0);
      const low = await settle('after configure substream 0, bob receives the low layer (l)', isLow);
      await configure(2);
      const high = await settle('after configure substream 2, bob receives the high layer (h) again', isHigh);
      console.log(`# bob receives ${initial} px wide at first, ${low} px on substream 0, ${high} px on substream 2`);
      assert.ok(low < high, `substream 0 (${low} px) is narrower than substream 2 (${high} px)`);
      await closeAll();
    });

    test('(c) the dominant speaker is whoever has a live microphone, and follows a swap', { timeout: 60000 }, async () => {
      const room = uniq('visit-c');
      const alice = await participant('alice-c', browserA);
      const bob = await participant('bob-c', browserB);
      const a = await alice.start({ room, width: 320, height: 180, micEnabled: true });
      assert.ok(a.ok, `alice: ${JSON.stringify(a)}\n${alice.diagnostics()}`);
      const b = await bob.start({ room, width: 320, height: 180, micEnabled: false });
      assert.ok(b.ok, `bob: ${JSON.stringify(b)}\n${bob.diagnostics()}`);

      const bothSee = (sid, who) => Promise.all([alice, bob].map((p) =>
        p.waitFor(`${who} as dominant speaker`, (s) => s.dominant === sid, { timeoutMs: 15000, intervalMs: 250 })));
      await bothSee(alice.sid, 'alice');
      // The page marks the dominant tile.
      const marked = await bob.evaluate((sid) => document.querySelector(`.tile[data-key="${sid}"]`)?.classList.contains('dominant'), alice.sid);
      assert.equal(marked, true, 'bob\'s page shows alice\'s tile as dominant');

      // Swap: alice goes quiet, bob speaks.
      await alice.evaluate(() => window.housecall.call.setMicEnabled(false));
      await bob.evaluate(() => window.housecall.call.setMicEnabled(true));
      await bothSee(bob.sid, 'bob');
      const local = await bob.evaluate(() => document.querySelector('.tile.local')?.classList.contains('dominant'));
      assert.equal(local, true, 'bob\'s page shows his own tile as dominant');
      await closeAll();
    });

    test('a dropped signaling socket: the page reconnects, joins and publishes again by itself', { timeout: 60000 }, async () => {
      const room = uniq('visit-ws');
      const alice = await participant('alice-ws', browserA);
      const bob = await participant('bob-ws', browserB);
      assert.ok((await alice.start({ room, width: 320, height: 180 })).ok, alice.diagnostics());
      assert.ok((await bob.start({ room, width: 320, height: 180 })).ok, bob.diagnostics());
      await bob.waitDecoding(alice.sid, { timeoutMs: 20000 });
      const oldSid = alice.sid;
      // As if the network dropped: the socket closes with a code that is not final.
      await alice.evaluate(() => window.housecall.call.signaling.close(4000, 'test drop'));
      const back = await alice.waitFor('reconnected and published', (s) =>
        s.reconnects >= 1 && s.state === 'joined' && s.published !== null, { timeoutMs: 15000 });
      assert.notEqual(back.self, oldSid, 'a new participant SID after rejoining');
      const other = (s) => s.remotes?.find((r) => r.identity === 'alice-ws')?.sid;
      await Promise.all([
        bob.waitDecoding(other, { timeoutMs: 15000, what: 'bob decodes alice again' }),
        alice.waitDecoding((s) => s.remotes?.find((r) => r.identity === 'bob-ws')?.sid, { timeoutMs: 15000, what: 'alice decodes bob again' }),
      ]);
      await closeAll();
    });

    test('(d) Janus killed mid-call: both browsers are back in the call within 10 s', { timeout: 90000 }, async () => {
      const room = uniq('visit-d');
      const alice = await participant('alice-d', browserA);
      const bob = await participant('bob-d', browserB);
      const a = await alice.start({ room, width: 640, height: 360 });
      assert.ok(a.ok, `alice: ${JSON.stringify(a)}\n${alice.diagnostics()}`);
      const b = await bob.start({ room, width: 640, height: 360 });
      assert.ok(b.ok, `bob: ${JSON.stringify(b)}\n${bob.diagnostics()}`);
      await Promise.all([
        alice.waitDecoding(bob.sid, { timeoutMs: 20000 }),
        bob.waitDecoding(alice.sid, { timeoutMs: 20000 }),
      ]);

      // The Janus this housecalld started, and only that one.
      const janus = server.janusPids();
      assert.equal(janus.length, 1, `one Janus child of housecalld ${server.pid}: ${janus}`);
      process.kill(janus[0], 'SIGKILL');
      const killedAt = Date.now();

      // Back in the call: a media restart (or a reconnect) happened, and the
      // other's video is being decoded again on the new peer connections.
      const other = (self) => (s) => s.remotes?.find((r) => r.sid !== self)?.sid;
      const recovered = (p) => p.waitFor('media restarted', (s) => s.mediaRestarts + s.reconnects >= 1, { timeoutMs: 10000 })
        .then(() => p.waitDecoding(other(p.sid), {
          frames: 5, windowMs: 500, timeoutMs: Math.max(1000, 10000 - (Date.now() - killedAt)), what: 'decoding again after the Janus kill',
        }));
      const [sa, sb] = await Promise.all([recovered(alice), recovered(bob)]);
      const took = Date.now() - killedAt;
      console.log(`# both decoding again ${took} ms after the kill (media restarts ${sa.mediaRestarts}/${sb.mediaRestarts}, ` +
        `reconnects ${sa.reconnects}/${sb.reconnects})`);
      assert.ok(took <= 10000, `back within 10 s (took ${took} ms)`);
      const newJanus = await server.waitForJanus(5000, { not: janus });
      assert.notEqual(newJanus, janus[0], 'housecalld started a new Janus');
      assert.ok(server.alive, 'housecalld survived');
      await closeAll();
    });
  });

  describe('a crash of housecalld', () => {
    after(closeAll);

    test('(f) housecalld killed -9 mid-call and started again: both browsers rejoin the room and decode each other by themselves', { timeout: 120000 }, async () => {
      const room = uniq('visit-f');
      const alice = await participant('alice-f', browserA);
      const bob = await participant('bob-f', browserB);
      assert.ok((await alice.start({ room, width: 320, height: 180 })).ok, alice.diagnostics());
      assert.ok((await bob.start({ room, width: 320, height: 180 })).ok, bob.diagnostics());
      await Promise.all([
        alice.waitDecoding(bob.sid, { timeoutMs: 20000 }),
        bob.waitDecoding(alice.sid, { timeoutMs: 20000 }),
      ]);

      // kill -9 (its Janus dies with it), then the same server again on the
      // same data and port, as a supervisor would restart it.
      const old = server;
      process.kill(old.pid, 'SIGKILL');
      await old.exit;
      const killedAt = Date.now();
      const restarted = await startServer(ns, {
        configText: '[janus]\nice-enforce-list = veth-a\n',
        args: ['--data-dir', old.dataDir, '--listen', `127.0.0.1:${old.port}`],
      });
      assert.equal(restarted.port, old.port);
      restarted.dataDir = old.dataDir;
      restarted._creds = old.creds;
      server = restarted;
      for (const p of [alice, bob])
        p.server = restarted;
      await server.waitForJanus(15000);

      // Nothing is done to the pages: they reconnect with backoff, join the
      // same room (kept in the store) and publish and subscribe again.
      const rejoined = (p) => p.waitFor('reconnected and joined', (s) => s.reconnects >= 1 && s.state === 'joined' &&
                                        s.published !== null, { timeoutMs: 45000, intervalMs: 500 });
      const [sa, sb] = await Promise.all([rejoined(alice), rejoined(bob)]);
      const other = (name) => (s) => s.remotes?.find((r) => r.identity === name)?.sid;
      await Promise.all([
        alice.waitDecoding(other('bob-f'), { timeoutMs: 30000, what: 'alice decodes bob after the restart' }),
        bob.waitDecoding(other('alice-f'), { timeoutMs: 30000, what: 'bob decodes alice after the restart' }),
      ]);
      console.log(`# both decoding again ${Date.now() - killedAt} ms after housecalld was killed ` +
                  `(reconnects ${sa.reconnects}/${sb.reconnects})`);
      // The same room, with exactly the two of them: nobody doubled, no ghost
      // of the old sockets.
      const remotes = (await alice.snapshot()).remotes ?? [];
      assert.deepEqual(remotes.map((r) => r.identity), ['bob-f'], JSON.stringify(remotes));
      await closeAll();
    });
  });

  test('after all that, housecalld stops cleanly on SIGTERM and takes its Janus along', { timeout: 20000 }, async () => {
    await closeAll();
    const janus = server.janusPids();
    const { code, signal } = await server.stop(8000);
    assert.equal(signal, null, `housecalld died of ${signal}:\n${server.logTail()}`);
    assert.equal(code, 0, `exit status:\n${server.logTail()}`);
    assert.doesNotMatch(server.stderr, /ERROR: (Address|Leak)Sanitizer|runtime error:|CRITICAL/, server.logTail(60));
    // Orphans would be re-parented, so look for the PIDs themselves.
    const alive = () => janus.filter((pid) => cmdline(pid) !== null);
    const deadline = Date.now() + 5000;
    while (alive().length > 0 && Date.now() < deadline)
      await sleep(100);
    assert.deepEqual(alive(), [], `Janus ${janus} is gone with housecalld`);
  });
});
