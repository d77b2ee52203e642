#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Keeps the benchmarks from rotting: runs each bench script in its tiny mode and checks
# that it ran to the end and printed its summary line. Nothing about the figures is
# checked: timings do not belong in tests. Speaks TAP.
#
# usage: smoke.sh SOURCE-ROOT BUILD-ROOT
set -u
src="$1"
build="$2"
n=0
fail=0
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

# check DESCRIPTION PATTERN COMMAND…: ok when COMMAND exits 0 and prints PATTERN.
check() {
  local what="$1" pattern="$2"
  shift 2
  n=$((n + 1))
  if timeout 300 "$@" >"$out" 2>&1 && grep -q -- "$pattern" "$out"; then
    echo "ok $n - $what"
  else
    echo "not ok $n - $what"
    sed 's/^/# /' "$out" | tail -40
    fail=$((fail + 1))
  fi
}

skip() {
  n=$((n + 1))
  echo "ok $n - $1 # SKIP $2"
}

echo "1..6"
check "hc-bench-token --tiny prints verifications per core" "hc_token_verify (patient).*per core" \
  "$build/bench/hc-bench-token" --tiny
check "floor.sh --tiny prints the pipeline's CPU" "^median CPU" "$src/bench/floor.sh" --tiny
if [ -d "$src/tests/node/node_modules/ws" ]; then
  check "server-scale.sh --tiny prints admit → event latencies" "admit → patient 'admitted'" \
    env HOUSECALLD="$build/src/server/housecalld" "$src/bench/server-scale.sh" --tiny
else
  skip "server-scale.sh --tiny" "no npm ci in tests/node"
fi
if [ -x "$build/src/console/housecall" ] && command -v Xvfb >/dev/null && [ -x /usr/bin/python3 ]; then
  check "console-start.sh --tiny prints launch → ready" "launch → ready" \
    env GSK_RENDERER=cairo "$src/bench/console-start.sh" "$build" --tiny
else
  skip "console-start.sh --tiny" "no console or no Xvfb"
fi
if [ "$(id -u)" -eq 0 ] && [ -x "$build/bench/hc-bench-console" ] && [ -x /usr/bin/chromium ] &&
   [ -d "$src/tests/browser/node_modules/playwright-core" ] && command -v xvfb-run >/dev/null; then
  check "call-bench.mjs --tiny (engine console, CPU mode) prints the ratios" "ratio CPU" \
    env HOUSECALLD="$build/src/server/housecalld" HC_BENCH_CONSOLE="$build/bench/hc-bench-console" \
    node "$src/bench/call-bench.mjs" --mode cpu --console engine --tiny
else
  skip "call-bench.mjs --tiny" "needs root, the console, Chromium, xvfb-run and npm ci in tests/browser"
fi
if [ -d "$src/tests/node/node_modules/ws" ] && [ -x /usr/bin/sipp ]; then
  check "phone-bridge.mjs --tiny prints CPU per call" "phone bridge CPU per call" \
    env HOUSECALLD="$build/src/server/housecalld" node "$src/bench/phone-bridge.mjs" --tiny
else
  skip "phone-bridge.mjs --tiny" "no npm ci in tests/node or no sipp"
fi
exit $((fail > 0))
