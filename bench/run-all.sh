#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs every benchmark of issue 10 the way bench/README.md's table was made, one after
# the other (they would disturb each other's CPU figures), and keeps each one's output
# in OUT-DIR. Needs root for the media benchmarks (network namespaces).
#
#   sudo bench/run-all.sh BUILD-DIR OUT-DIR [--quick]
#
# --quick: shorter runs for a first look (3 CPU runs of 20 s, 5 join runs, 20 s latency).
set -u
build="${1:?usage: $0 BUILD-DIR OUT-DIR [--quick]}"
out="${2:?usage: $0 BUILD-DIR OUT-DIR [--quick]}"
quick="${3:-}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$out/shots"
export HOUSECALLD="$build/src/server/housecalld"
export HC_BENCH_CONSOLE="$build/bench/hc-bench-console"
export HC_BENCH_SHOTS="$out/shots"

seconds=60; joins=20; floor_runs=3
if [ "$quick" = "--quick" ]; then seconds=20; joins=5; floor_runs=1; fi

run() {
  local name="$1"
  shift
  echo "== $name: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/$name.txt"
  "$@" 2>&1 | tee -a "$out/$name.txt"
}

run machine sh -c 'uname -srm; lscpu | grep -E "^(Model name|CPU\(s\)|Thread|Core)"; free -m | head -2; gst-launch-1.0 --version | head -1; /usr/bin/chromium --version 2>/dev/null; node --version'
[ -z "${SKIP_SCALE:-}" ] && run server-scale "$here/server-scale.sh" --patients 500,2000,5000 --phase-timeout 300
run token "$build/bench/hc-bench-token"
run console-start-gl "$here/console-start.sh" "$build" --runs 10
run console-start-cairo env GSK_RENDERER=cairo "$here/console-start.sh" "$build" --runs 10
run floor "$here/floor.sh" --runs "$floor_runs" --seconds "$seconds"
for v in source encode cpu16 threads2; do
  run "floor-$v" "$here/floor.sh" --runs 1 --seconds 20 --variant "$v"
done
run call-cpu-real node "$here/call-bench.mjs" --mode cpu --console real --runs 3 --seconds "$seconds"
run call-cpu-engine node "$here/call-bench.mjs" --mode cpu --console engine --runs 3 --seconds "$((seconds / 2))"
run latency node "$here/call-bench.mjs" --mode latency --seconds "$seconds"
run join node "$here/call-bench.mjs" --mode join --runs "$joins"
echo "== done: $(date -u +%FT%TZ)"
