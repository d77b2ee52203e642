// Network-quality reports over signaling (docs/protocol.md, network-quality):
// each participant reports its level; housecalld checks the report, answers
// with everyone's levels, relays a change to the others, tells a newcomer in
// `joined`, shows a participant whose reports stopped as level 0
// (reconnecting), and refuses bad or too frequent reports with typed errors.
// And the rejoin of a reconnecting client: its identity takes the old
// connection's place.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { assertHealthy } from './lib/http.mjs';
import { startServer } from './lib/server.mjs';
import { assertSignalError, connectJoined } from './lib/signal.mjs';
import { makeToken } from './lib/tokens.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let server;
let room = 0;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

async function pair() {
  const name = `nq-room-${++room}`;
  const a = await connectJoined(server, makeToken(server.creds, { identity: 'alice', room: name }), name);
  const b = await connectJoined(server, makeToken(server.creds, { identity: 'bob', room: name }), name);
  const connected = await a.next();
  assert.equal(connected.type, 'participant-connected');
  return { a, b, name };
}

const report = (id, level, reason, extra = {}) => ({ type: 'network-quality', id, level, reason, ...extra });

describe('network-quality relay', () => {
  test('a report is answered with everyone\'s levels and relayed to the others once per change', async () => {
    const { a, b } = await pair();
    const kinds = { audio: { send: 5, recv: 5 }, video: { send: 2, recv: 4 } };
    const reply = await a.request(report('r1', 2, 'send-loss', kinds));
    assert.equal(reply.type, 'network-quality-levels');
    assert.equal(reply.id, 'r1');
    assert.deepEqual(reply.participants, [
      { sid: a.joined.participant.sid, identity: 'alice', level: 2, reason: 'send-loss', audio_only: false, ...kinds },
    ]);
    const { participant, ...changed } = await b.next();
    assert.equal(participant.sid, a.joined.participant.sid);
    assert.equal(participant.identity, 'alice');
    assert.deepEqual(changed, {
      type: 'network-quality-changed',
      level: 2, reason: 'send-loss', audio_only: false, ...kinds,
    });

    // The same report again changes nothing: no relay. Bob's report is then
    // the next thing Alice sees.
    await sleep(1100);
    assert.equal((await a.request(report('r2', 2, 'send-loss', kinds))).type, 'network-quality-levels');
    const bobReply = await b.request(report('b1', 5, 'none'));
    assert.equal(bobReply.type, 'network-quality-levels');
    assert.equal(bobReply.participants.length, 2);
    const seen = await a.next();
    assert.equal(seen.type, 'network-quality-changed');
    assert.equal(seen.participant.identity, 'bob');
    assert.equal(seen.level, 5);
    assert.equal(seen.reason, 'none');
    assert.equal(seen.audio, undefined, 'no per-kind levels when none were reported');

    // A newcomer learns the levels in joined.
    const c = await connectJoined(server, makeToken(server.creds, { identity: 'carol', room: `nq-room-${room}` }), `nq-room-${room}`);
    const byIdentity = Object.fromEntries(c.joined.participants.map((p) => [p.identity, p.network_quality]));
    assert.deepEqual(byIdentity.alice, { level: 2, reason: 'send-loss', audio_only: false, ...kinds });
    assert.deepEqual(byIdentity.bob, { level: 5, reason: 'none', audio_only: false });
    for (const ws of [a, b, c])
      ws.close();
  });

  test('audio_only is relayed: the others learn that a participant dropped its video', async () => {
    const { a, b } = await pair();
    assert.equal((await a.request(report('r1', 1, 'send-bandwidth', { audio_only: true }))).type, 'network-quality-levels');
    const seen = await b.next();
    assert.equal(seen.type, 'network-quality-changed');
    assert.equal(seen.audio_only, true);
    assert.equal(seen.level, 1);
    a.close();
    b.close();
  });

  test('a participant whose reports stop shows as level 0, reconnecting, until it reports again', async () => {
    const { a, b } = await pair();
    assert.equal((await a.request(report('r1', 4, 'jitter'))).type, 'network-quality-levels');
    assert.equal((await b.next()).level, 4);
    // Six seconds without a report (docs/protocol.md).
    const stale = await b.next(9000);
    assert.equal(stale.type, 'network-quality-changed');
    assert.equal(stale.level, 0);
    assert.equal(stale.reason, 'reconnecting');
    assert.equal((await a.request(report('r2', 4, 'jitter'))).type, 'network-quality-levels');
    const back = await b.next();
    assert.equal(back.level, 4);
    a.close();
    b.close();
  });

  test('bad reports get network-quality-invalid and change nothing', async () => {
    const { a, b } = await pair();
    const bad = [
      {},
      { level: '3', reason: 'jitter' },
      { level: 6, reason: 'jitter' },
      { level: -1, reason: 'jitter' },
      { level: 2.5, reason: 'jitter' },
      { level: 3, reason: 'cosmic-rays' },
      { level: 3 },
      { level: 3, reason: 'none' },
      { level: 5, reason: 'send-loss' },
      { level: 3, reason: 'jitter', audio: { send: 3, recv: 5 } },
      { level: 3, reason: 'jitter', audio: { send: 3 }, video: { send: 5, recv: 5 } },
      { level: 3, reason: 'jitter', audio: { send: 3, recv: 9 }, video: { send: 5, recv: 5 } },
      { level: 3, reason: 'jitter', audio: [3, 5], video: { send: 5, recv: 5 } },
      { level: 2, reason: 'jitter', audio: { send: 3, recv: 5 }, video: { send: 5, recv: 5 } },
      { level: 1, reason: 'send-bandwidth', audio_only: 'yes' },
    ];
    for (const [i, fields] of bad.entries()) {
      const reply = await a.request({ type: 'network-quality', id: `bad${i}`, ...fields });
      assertSignalError(reply, 53006, 'network-quality-invalid', JSON.stringify(fields));
      assert.equal(reply.id, `bad${i}`);
    }
    // Nothing was relayed: Bob's next message is the answer to his own request.
    assert.equal((await b.request({ type: 'ping', id: 'p' })).type, 'pong');
    assert.ok(a.isOpen);
    a.close();
    b.close();
    await assertHealthy(server);
  });

  test('more than one report a second is refused with network-quality-too-frequent', async () => {
    const { a, b } = await pair();
    const replies = [];
    // Bounded: ten at once, then a pause, then one more.
    for (let i = 0; i < 10; i++)
      a.send(report(`f${i}`, 3, 'latency'));
    for (let i = 0; i < 10; i++)
      replies.push(await a.next());
    const ok = replies.filter((r) => r.type === 'network-quality-levels').length;
    const limited = replies.filter((r) => r.type === 'error' && r.code === 53007 && r.error === 'network-quality-too-frequent').length;
    assert.equal(ok + limited, 10);
    assert.ok(ok >= 3 && ok <= 4, `the burst of 3 is served (${ok})`);
    assert.ok(limited >= 6, `the rest is refused (${limited})`);
    await sleep(1100);
    assert.equal((await a.request(report('later', 3, 'latency'))).type, 'network-quality-levels');
    assert.ok(a.isOpen);
    a.close();
    b.close();
  });

  test('the same identity joining again replaces the old connection (duplicate-identity, 4412)', async () => {
    const { a, b, name } = await pair();
    const again = await connectJoined(server, makeToken(server.creds, { identity: 'alice', room: name }), name);
    assert.ok(!again.joined.participants.some((p) => p.sid === a.joined.participant.sid),
      'the old connection is no longer in the room');
    assertSignalError(await a.next(), 53205, 'duplicate-identity');
    assert.equal((await a.waitClosed(5000)).code, 4412);
    const gone = await b.next();
    assert.equal(gone.type, 'participant-disconnected');
    assert.equal(gone.participant.sid, a.joined.participant.sid);
    const back = await b.next();
    assert.equal(back.type, 'participant-connected');
    assert.equal(back.participant.sid, again.joined.participant.sid);
    again.close();
    b.close();
  });

  test('reporting needs a room', async () => {
    const { a, b } = await pair();
    assert.equal((await a.request({ type: 'leave', id: 'l' })).type, 'left');
    assertSignalError(await a.request(report('r', 5, 'none')), 53003, 'message-out-of-order');
    a.close();
    b.close();
  });
});
