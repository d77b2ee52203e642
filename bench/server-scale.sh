#!/bin/sh
# Server scale benchmark: raises the open-files limit for the load generator and
# the housecalld it starts, then runs bench/server-scale.mjs with the arguments given.
#   HOUSECALLD=/path/to/build/src/server/housecalld bench/server-scale.sh --patients 500,2000,5000
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec node "$(dirname "$0")/server-scale.mjs" "$@"
