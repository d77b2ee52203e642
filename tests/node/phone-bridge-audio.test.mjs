// The phone bridge's audio against real sipp far ends and the real Janus:
// each call joins the room as an audio-only participant named after the
// line (a Janus remote publisher fed with the phone's G.711 transcoded to
// Opus, with audio levels); each hears the room's other publishers mixed
// (Janus RTP forwarders → Opus decode → audiomixer → G.711). Two calls in one
// room: the speech sipp plays after answering makes a phone participant the
// dominant speaker while the provider is silent, and each phone receives the
// other's speech — non-silent G.711 frames counted at the far end's media
// port.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { bearer, request } from './lib/http.mjs';
import { makeTempDir, startServer } from './lib/server.mjs';
import { createRoom, mintGuest, provider } from './lib/setup.mjs';
import { connectJoined } from './lib/signal.mjs';
import { RtpListener, freeUdpPort, phoneServerEnv, startSipp, writeAlawToneWav, writeSipConfig } from './lib/sip.mjs';
import { join } from 'node:path';
import { waitFor } from './lib/util.mjs';

/** Waits on @client for a message matching @predicate, keeping the others. */
async function waitMessage(client, predicate, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  const seen = client.seen ?? (client.seen = []);
  for (;;) {
    const found = seen.find(predicate);
    if (found)
      return found;
    const left = deadline - Date.now();
    if (left <= 0)
      assert.fail(`no ${what} within ${timeoutMs} ms; got ${seen.map((m) => m.type).join(', ')}`);
    try {
      seen.push(await client.next(Math.min(left, 1000)));
    } catch {
      // poll again
    }
  }
}

/** A-law silence is 0xD5 (and 0x55 around it); speech has other values. */
function speechFrames(packets) {
  return packets.filter((p) => p.payload.length === 160 &&
    p.payload.filter((b) => b !== 0xd5 && b !== 0x55 && b !== 0xd4 && b !== 0x54).length > 40);
}

describe('phone bridge audio in the room', () => {
  let server;
  let sipPort;
  let dr;
  let room;
  let ws;
  let rtp;
  let sipp;

  before(async () => {
    const dir = makeTempDir();
    sipPort = await freeUdpPort();
    const config = writeSipConfig(dir, {
      trunk: `sip:127.0.0.1:${sipPort}`, 'rtp-port-range': '43000-43998',
    });
    server = await startServer({ config, env: phoneServerEnv() });
    dr = await provider(server, 'drsmith');
    room = await createRoom(server, dr.token, { UniqueName: 'interpreted-visit' });
    ws = await connectJoined(server, dr.token, room.sid);
    rtp = await RtpListener.open();
  });

  after(async () => {
    ws?.terminate();
    await sipp?.stop();
    await rtp?.close();
    if (server) {
      const result = await server.stop('SIGTERM', 10000);
      assert.equal(result.code, 0, `housecalld exits 0:\n${server.stderr.slice(-3000)}`);
    }
  });

  test('two phones join as participants, one becomes dominant speaker, each hears the other', async () => {
    // One sipp answers both calls; both play speech after answering.
    sipp = await startSipp('answer.xml', { port: sipPort, keys: { rtp_port: rtp.port }, calls: 2 });
    const calls = [];
    for (const label of ['Interpreter (es)', 'Family']) {
      const res = await request(server, 'POST', `/v1/Rooms/${room.sid}/PhoneCalls`, {
        auth: bearer(dr.token), form: { To: '+14155550123', Label: label },
      });
      assert.equal(res.status, 201, res.text);
      assert.match(res.body.participant_sid, /^PA[0-9a-f]{32}$/);
      calls.push(res.body);
      await waitMessage(ws, (m) => m.type === 'phone-call-status' && m.call.sid === res.body.sid &&
        m.call.status === 'answered', `${label} answered`);
    }

    // Each phone is a participant of the room, audio only, named after the line.
    for (const call of calls) {
      const connected = await waitMessage(ws, (m) => m.type === 'participant-connected' &&
        m.participant.sid === call.participant_sid, `participant-connected for ${call.label}`);
      assert.equal(connected.participant.identity, call.label);
      assert.equal(connected.participant.name, call.label);
      assert.equal(connected.participant.phone, true);
      const published = await waitMessage(ws, (m) => m.type === 'track-published' &&
        m.participant.sid === call.participant_sid, `track-published for ${call.label}`);
      assert.equal(published.audio, true);
      assert.equal(published.video, false);
    }

    // The speech sipp sends makes a phone the dominant speaker (Janus's
    // audio-level events for the remote publisher); the provider is silent.
    const phoneSids = calls.map((c) => c.participant_sid);
    const dominant = await waitMessage(ws, (m) => m.type === 'dominant-speaker-changed' &&
      phoneSids.includes(m.participant), 'a phone as dominant speaker', 20000);
    assert.ok(phoneSids.includes(dominant.participant));

    // Each phone hears the other: speech (not silence) in the G.711 the
    // bridge sends to each call's SSRC.
    await waitFor(() => {
      const ssrcs = new Set(rtp.audio(8).map((p) => p.ssrc));
      return ssrcs.size === 2 && [...ssrcs].every((ssrc) =>
        speechFrames(rtp.audio(8).filter((p) => p.ssrc === ssrc)).length >= 25);
    }, 'half a second of speech towards each phone', 20000).catch((e) => {
      const stats = [...new Set(rtp.audio(8).map((p) => p.ssrc))].map((ssrc) =>
        `${ssrc}: ${rtp.audio(8).filter((p) => p.ssrc === ssrc).length} frames, ` +
        `${speechFrames(rtp.audio(8).filter((p) => p.ssrc === ssrc)).length} speech`);
      console.log(`# ${stats.join('; ')}`);
        if (process.env.HC_DEBUG)
        console.log(server.stderr.slice(-6000));
      throw e;
    });

    // A late joiner (a family member with a guest link) sees the phones in the room.
    const guest = await mintGuest(server, dr.token, room.sid, { Identity: 'family-1' });
    const late = await connectJoined(server, guest.token, room.sid);
    const listed = late.joined.participants.filter((p) => p.phone);
    assert.deepEqual(listed.map((p) => p.sid).sort(), [...phoneSids].sort());
    late.terminate();

    // Hanging up takes the participant out.
    for (const call of calls) {
      const res = await request(server, 'POST', `/v1/Rooms/${room.sid}/PhoneCalls/${call.sid}`, {
        auth: bearer(dr.token), form: { Status: 'completed' },
      });
      assert.equal(res.status, 200, res.text);
      await waitMessage(ws, (m) => m.type === 'participant-disconnected' &&
        m.participant.sid === call.participant_sid, `participant-disconnected for ${call.label}`);
    }
    const result = await sipp.finished();
    assert.equal(result.code, 0, `sipp got both BYEs: ${result.log.slice(-1500)}`);
    const speech = [...new Set(rtp.audio(8).map((p) => p.ssrc))].map((ssrc) =>
      speechFrames(rtp.audio(8).filter((p) => p.ssrc === ssrc)).length);
    console.log(`# speech frames towards each phone: ${speech.join(', ')}`);
  });
});

describe('phone bridge audio across a media server restart', () => {
  test('Janus killed mid-call: the phones publish again and hear each other again', { timeout: 120000 }, async () => {
    const dir = makeTempDir();
    writeAlawToneWav(join(dir, 'tone.wav'));
    const sipPort = await freeUdpPort();
    const config = writeSipConfig(dir, { trunk: `sip:127.0.0.1:${sipPort}`, 'rtp-port-range': '43000-43998' });
    const server = await startServer({ config, env: phoneServerEnv() });
    const rtp = await RtpListener.open();
    const sipp = await startSipp('answer-talk.xml', {
      port: sipPort, keys: { rtp_port: rtp.port }, calls: 2, cwd: dir, timeoutSeconds: 100,
    });
    try {
      const dr = await provider(server, 'drsmith');
      const room = await createRoom(server, dr.token, { UniqueName: 'restart-visit' });
      const ws = await connectJoined(server, dr.token, room.sid);
      const calls = [];
      for (const label of ['Line A', 'Line B']) {
        const res = await request(server, 'POST', `/v1/Rooms/${room.sid}/PhoneCalls`, {
          auth: bearer(dr.token), form: { To: '+14155550123', Label: label },
        });
        assert.equal(res.status, 201, res.text);
        calls.push(res.body);
        await waitMessage(ws, (m) => m.type === 'track-published' &&
          m.participant.sid === res.body.participant_sid, `${label} published`);
      }
      const speechSince = (t) => [...new Set(rtp.audio(8).map((p) => p.ssrc))].map((ssrc) =>
        speechFrames(rtp.audio(8).filter((p) => p.ssrc === ssrc && p.at > t)).length);
      await waitFor(() => { const s = speechSince(0); return s.length === 2 && s.every((n) => n >= 25); },
        'each phone hears the other', 20000);

      const [janus] = server.janusPids;
      process.kill(janus, 'SIGKILL');
      ws.seen = [];
      await waitMessage(ws, (m) => m.type === 'media-restarted', 'media-restarted', 30000);
      let back = 0;
      for (const call of calls) {
        await waitMessage(ws, (m) => m.type === 'track-published' &&
          m.participant.sid === call.participant_sid, `${call.label} published again`, 30000);
        back = Date.now();
      }
      assert.ok(!ws.seen.some((m) => m.type === 'phone-call-status' &&
        ['completed', 'failed'].includes(m.call.status)), 'the calls stay up');
      await waitFor(() => { const s = speechSince(back); return s.length === 2 && s.every((n) => n >= 25); },
        'each phone hears the other again', 20000);

      for (const call of calls) {
        const res = await request(server, 'POST', `/v1/Rooms/${room.sid}/PhoneCalls/${call.sid}`, {
          auth: bearer(dr.token), form: { Status: 'completed' },
        });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.status, 'completed');
      }
      ws.terminate();
      const result = await sipp.finished();
      assert.equal(result.code, 0, `sipp got both BYEs: ${result.log.slice(-1500)}`);
    } finally {
      await sipp.stop();
      await rtp.close();
      const result = await server.stop('SIGTERM', 10000);
      assert.equal(result.code, 0, `housecalld exits 0:\n${server.stderr.slice(-3000)}`);
    }
  });
});
