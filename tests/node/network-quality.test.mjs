// The patient web app's network-quality rules (data/web/js/network-quality.js)
// against tests/fixtures/network-quality/scoring.json — the very file the C
// unit test (tests/test-network-quality.c) runs through src/common, so the two
// implementations cannot drift apart. Also: the recorded Chromium getStats()
// samples in the same folder give the inputs those cases name. No server.
//
// Run: node --test tests/node/network-quality.test.mjs

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const fixtures = new URL('../fixtures/network-quality/', import.meta.url);
const nq = await import(new URL('../../data/web/js/network-quality.js', import.meta.url).href);
const scoring = JSON.parse(readFileSync(new URL('scoring.json', fixtures), 'utf8'));

describe('network-quality thresholds (shared with the C unit test)', () => {
  const fns = { bandwidth: nq.bandwidthLevel, loss: nq.lossLevel, rtt: nq.rttLevel, jitter: nq.jitterLevel };
  for (const { metric, value, level } of scoring.thresholds) {
    test(`${metric} ${value} → ${level}`, () => assert.equal(fns[metric](value), level));
  }
});

describe('network-quality cases (shared with the C unit test)', () => {
  for (const { name, input, expect } of scoring.cases) {
    test(name, () => assert.deepEqual(nq.score(input), expect));
  }
});

describe('network-quality from recorded Chromium getStats()', () => {
  const recorded = scoring.cases.filter((c) => c.chromium);
  test('the fixture has recorded Chromium samples (clean and impaired)', () => assert.ok(recorded.length >= 2));
  for (const c of recorded) {
    test(`${c.name}: ${c.chromium.file}`, () => {
      const path = fileURLToPath(new URL(c.chromium.file, fixtures));
      assert.ok(existsSync(path), path);
      const sample = JSON.parse(readFileSync(path, 'utf8'));
      const input = nq.inputFromStats({
        connected: sample.connected,
        send: sample.send,
        recv: sample.recv,
        expected: sample.expected,
        active: sample.active,
      });
      assert.deepEqual(input, c.input);
      assert.deepEqual(nq.score(input), c.expect);
    });
  }
});

describe('reasons', () => {
  test('every reason but none has a sentence key for self and remote', () => {
    for (const reason of nq.REASONS) {
      if (reason === 'none') {
        assert.equal(nq.reasonKey(reason), null);
        continue;
      }
      assert.equal(nq.reasonKey(reason), `nq.self.${reason}`);
      assert.equal(nq.reasonKey(reason, 'remote'), `nq.remote.${reason}`);
    }
    assert.equal(nq.reasonKey('bogus'), null);
  });
});
