// Small async helpers.

import assert from 'node:assert/strict';

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** What @promise resolves to, or @fallback if it has not settled within @ms. */
export async function within(promise, ms, fallback) {
  let timer;
  try {
    return await Promise.race([promise, new Promise((resolve) => {
      timer = setTimeout(() => resolve(fallback), ms);
    })]);
  } finally {
    clearTimeout(timer);
  }
}

const NO_ANSWER = Symbol('no answer');

/** Polls @predicate until it is true; fails the test after @timeoutMs.
 * A try that does not settle (a request that hangs) cannot hold the wait
 * open: each try gets what is left of the time, plus a second. */
export async function waitFor(predicate, what, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcome = await within(Promise.resolve().then(predicate),
                                 Math.max(deadline - Date.now(), 0) + 1000, NO_ANSWER);
    if (outcome === NO_ANSWER)
      assert.fail(`timed out waiting for ${what} (the last check did not answer)`);
    if (outcome)
      return;
    if (Date.now() > deadline)
      assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
