#!/usr/bin/env node
// A TCP relay for the network-quality tests: listens on HOST:PORT and pipes
// each connection to TARGET_HOST:TARGET_PORT. Run inside a network namespace
// (`ip netns exec NS node tcp-relay.mjs …`) it puts housecalld's signaling
// and page on a path through the test's veth pair, where the test's loss,
// rate limit and link cut reach them too. Prints "listening <port>" once
// listening; exits when stdin closes (the test went away).
//
//   node tcp-relay.mjs <host> <port|0> <target-host> <target-port>

import { createConnection, createServer } from 'node:net';

const [host, port, targetHost, targetPort] = process.argv.slice(2);
if (!host || port === undefined || !targetHost || !targetPort) {
  process.stderr.write('usage: tcp-relay.mjs <host> <port> <target-host> <target-port>\n');
  process.exit(2);
}

const sockets = new Set();
const server = createServer((client) => {
  const upstream = createConnection({ host: targetHost, port: Number(targetPort) });
  sockets.add(client);
  sockets.add(upstream);
  const drop = () => {
    client.destroy();
    upstream.destroy();
    sockets.delete(client);
    sockets.delete(upstream);
  };
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.on('error', drop);
  upstream.on('error', drop);
  client.on('close', drop);
  upstream.on('close', drop);
  client.pipe(upstream);
  upstream.pipe(client);
});
server.listen(Number(port), host, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
server.on('error', (error) => {
  process.stderr.write(`tcp-relay: ${error.message}\n`);
  process.exit(1);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
