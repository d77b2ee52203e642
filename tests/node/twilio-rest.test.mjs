// Twilio's own REST client, pointed at housecalld, manages rooms as it would
// on Twilio: code written for Twilio's Video API only needs a new base URL.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';

import { startServer } from './lib/server.mjs';

/**
 * twilio-node's RequestClient with every https://video.twilio.com URL
 * rewritten to the housecalld under test. Everything else (Basic auth with
 * the API key, form encoding, the Accept header, parsing) is twilio-node's.
 */
class LoopbackRequestClient extends twilio.RequestClient {
  constructor(baseUrl) {
    super({ keepAlive: false, timeout: 10000 });
    // twilio-node only configures an https agent; for plain http axios would
    // fall back to Node's global agent, which pools sockets even though
    // this client asks for "Connection: close". Use a non-pooling agent.
    this.axios.defaults.httpAgent = new http.Agent({ keepAlive: false });
    this.baseUrl = baseUrl;
    this.requests = [];
  }

  async request(opts) {
    const url = new URL(opts.uri);
    if (url.origin !== 'https://video.twilio.com')
      throw new Error(`unexpected Twilio URL ${opts.uri}`);
    const uri = `${this.baseUrl}${url.pathname}${url.search}`;
    this.requests.push({ method: opts.method, uri, params: opts.params, data: opts.data });
    return super.request({ ...opts, uri });
  }
}

describe('twilio-node REST client against housecalld', () => {
  let server;
  let client;
  let httpClient;

  before(async () => {
    server = await startServer();
    httpClient = new LoopbackRequestClient(server.baseUrl);
    const { accountSid, apiKeySid, apiKeySecret } = server.creds;
    client = twilio(apiKeySid, apiKeySecret, { accountSid, httpClient });
  });
  after(async () => {
    await server?.stop();
  });

  test('creates, fetches, lists and completes an H.264 room', async () => {
    const created = await client.video.v1.rooms.create({
      uniqueName: 'telehealth-h264',
      type: 'group',
      videoCodecs: ['H264'],
      maxParticipants: 3,
      statusCallback: 'https://clinic.example/room-events',
    });
    const lastRequest = httpClient.requests.at(-1);
    assert.equal(lastRequest.method, 'post');
    assert.equal(lastRequest.uri, `${server.baseUrl}/v1/Rooms`);

    assert.match(created.sid, /^RM[0-9a-f]{32}$/);
    assert.equal(created.uniqueName, 'telehealth-h264');
    assert.equal(created.status, 'in-progress');
    assert.equal(created.type, 'group');
    assert.deepEqual(created.videoCodecs, ['H264']);
    assert.equal(created.maxParticipants, 3);
    assert.equal(created.accountSid, server.creds.accountSid);
    assert.equal(created.statusCallback, 'https://clinic.example/room-events');
    assert.equal(created.recordParticipantsOnConnect, false);
    assert.ok(created.dateCreated instanceof Date && !Number.isNaN(created.dateCreated.getTime()),
      'date_created parses as a date');
    assert.equal(created.endTime ?? null, null);
    assert.equal(created.url, `${server.baseUrl}/v1/Rooms/${created.sid}`);

    const bySid = await client.video.v1.rooms(created.sid).fetch();
    assert.equal(bySid.sid, created.sid);
    assert.equal(bySid.uniqueName, 'telehealth-h264');
    assert.deepEqual(bySid.videoCodecs, ['H264']);

    const byName = await client.video.v1.rooms('telehealth-h264').fetch();
    assert.equal(byName.sid, created.sid);
    assert.deepEqual(byName.videoCodecs, ['H264']);

    // A second, VP8 room; then list the rooms in progress.
    const vp8 = await client.video.v1.rooms.create({ uniqueName: 'telehealth-vp8', type: 'group', videoCodecs: ['VP8'] });
    assert.deepEqual(vp8.videoCodecs, ['VP8']);
    assert.equal(vp8.maxParticipants, 4, 'the default cap');

    let inProgress = await client.video.v1.rooms.list({ status: 'in-progress' });
    let sids = inProgress.map((r) => r.sid);
    assert.ok(sids.includes(created.sid), 'the H.264 room is listed');
    assert.ok(sids.includes(vp8.sid), 'the VP8 room is listed');
    assert.ok(inProgress.every((r) => r.status === 'in-progress'));
    const listRequest = httpClient.requests.at(-1);
    assert.equal(listRequest.method, 'get');
    assert.equal(listRequest.params.Status, 'in-progress');

    const named = await client.video.v1.rooms.list({ uniqueName: 'telehealth-vp8' });
    assert.deepEqual(named.map((r) => r.sid), [vp8.sid]);

    const completed = await client.video.v1.rooms(created.sid).update({ status: 'completed' });
    assert.equal(completed.sid, created.sid);
    assert.equal(completed.status, 'completed');
    assert.ok(completed.endTime instanceof Date, 'end_time is set');
    assert.equal(typeof completed.duration, 'number');
    assert.ok(completed.duration >= 0);

    // Completing again is a no-op, as on Twilio.
    const again = await client.video.v1.rooms(created.sid).update({ status: 'completed' });
    assert.equal(again.status, 'completed');
    assert.equal(again.endTime.getTime(), completed.endTime.getTime());

    inProgress = await client.video.v1.rooms.list({ status: 'in-progress' });
    sids = inProgress.map((r) => r.sid);
    assert.ok(!sids.includes(created.sid), 'the completed room is no longer in progress');
    assert.ok(sids.includes(vp8.sid));

    const done = await client.video.v1.rooms.list({ status: 'completed' });
    assert.deepEqual(done.map((r) => r.sid), [created.sid]);

    // The name is free again once the room is completed, as on Twilio.
    const reused = await client.video.v1.rooms.create({ uniqueName: 'telehealth-h264', videoCodecs: ['H264'] });
    assert.notEqual(reused.sid, created.sid);
    const byNameNow = await client.video.v1.rooms('telehealth-h264').fetch();
    assert.equal(byNameNow.sid, reused.sid, 'a unique name names the room in progress');
  });

  test('errors come back as twilio RestExceptions with housecalld\'s codes', async () => {
    await client.video.v1.rooms.create({ uniqueName: 'telehealth-dup' });
    await assert.rejects(client.video.v1.rooms.create({ uniqueName: 'telehealth-dup' }), (error) => {
      assert.ok(error instanceof twilio.RestException, `a RestException, got ${error}`);
      assert.equal(error.status, 400);
      assert.equal(error.code, 53113);
      assert.match(error.moreInfo, /room-exists/);
      return true;
    });
    await assert.rejects(client.video.v1.rooms('RM' + '0'.repeat(32)).fetch(), (error) => {
      assert.equal(error.status, 404);
      assert.equal(error.code, 20404);
      return true;
    });
    await assert.rejects(client.video.v1.rooms.create({ videoCodecs: ['VP9'] }), (error) => {
      assert.equal(error.status, 400);
      assert.equal(error.code, 21003);
      return true;
    });
    await assert.rejects(client.video.v1.rooms.create({ maxParticipants: 50 }), (error) => {
      assert.equal(error.code, 21003);
      return true;
    });
    await assert.rejects(client.video.v1.rooms.create({ recordParticipantsOnConnect: true }), (error) => {
      assert.equal(error.code, 21003);
      return true;
    });
    await assert.rejects(client.video.v1.rooms.list({ status: 'failed-to-parse' }), (error) => {
      assert.equal(error.code, 21003);
      return true;
    });
  });

  test('a client with the wrong secret gets 401 bad-credentials', async () => {
    const { accountSid, apiKeySid } = server.creds;
    const wrong = twilio(apiKeySid, 'not-the-secret-at-all-but-just-as-long-00000', {
      accountSid,
      httpClient: new LoopbackRequestClient(server.baseUrl),
    });
    await assert.rejects(wrong.video.v1.rooms.list(), (error) => {
      assert.equal(error.status, 401);
      assert.equal(error.code, 20004);
      return true;
    });
  });

  test('the account SID with the key secret authenticates too (Twilio\'s auth-token style)', async () => {
    const { accountSid, apiKeySecret } = server.creds;
    const byAccount = twilio(accountSid, apiKeySecret, { httpClient: new LoopbackRequestClient(server.baseUrl) });
    const rooms = await byAccount.video.v1.rooms.list({ limit: 5 });
    assert.ok(Array.isArray(rooms));
  });
});
