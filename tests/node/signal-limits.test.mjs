// Per-socket limits of the signaling protocol (docs/protocol.md, Limits):
// a flood is answered with rate-limited errors while the socket, and the
// server, stay up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { assertHealthy } from './lib/http.mjs';
import { startServer } from './lib/server.mjs';
import { openSignal } from './lib/signal.mjs';
import { makeToken } from './lib/tokens.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

test('a flood of messages is rate limited; the socket survives', async () => {
  const ws = await openSignal(server);
  const token = makeToken(server.creds, { identity: 'flooder', room: 'flood-room' });
  ws.send({ type: 'authenticate', token, id: 'auth' });
  const authenticated = await ws.next();
  assert.equal(authenticated.type, 'authenticated');

  // Well over the burst of 100, sent at once: bounded in count.
  const total = 400;
  for (let i = 0; i < total; i++)
    ws.send({ type: 'ping', id: `p${i}` });
  let pongs = 0;
  let limited = 0;
  for (let i = 0; i < total; i++) {
    const reply = await ws.next(5000);
    if (reply.type === 'pong')
      pongs++;
    else if (reply.type === 'error' && reply.error === 'rate-limited' && reply.code === 20429)
      limited++;
    else
      assert.fail(`unexpected reply ${JSON.stringify(reply)}`);
  }
  assert.ok(pongs >= 100, `at least the burst is served (${pongs})`);
  assert.ok(limited > 0, `some messages are refused (${limited} of ${total})`);
  assert.equal(pongs + limited, total);

  // After a pause the bucket refills and the socket works as before.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  ws.send({ type: 'ping', id: 'after' });
  const reply = await ws.next();
  assert.equal(reply.type, 'pong');
  assert.equal(reply.id, 'after');
  assert.ok(ws.isOpen);
  ws.close();
  await assertHealthy(server);
});
