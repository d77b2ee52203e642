// Small async helpers.

import assert from 'node:assert/strict';

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls @predicate until it is true; fails the test after @timeoutMs. */
export async function waitFor(predicate, what, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate())
      return;
    if (Date.now() > deadline)
      assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
