#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Console start → usable window, and idle memory: bench/console-start.py under its own
# Xvfb and session bus (tests/console/run-under-xvfb.sh).
#   bench/console-start.sh BUILD-DIR [--runs 10] [--tiny]
# GSK_RENDERER is left as the caller has it (unset: GTK's default, GL on llvmpipe here).
set -u
build="${1:?usage: $0 BUILD-DIR [--runs N] [--tiny]}"
shift
here="$(cd "$(dirname "$0")" && pwd)"
if [ "${1:-}" = "--tiny" ]; then
  set -- --runs 1 --idle 0.5
fi
GSETTINGS_SCHEMA_DIR="$build/data" LC_ALL=C.UTF-8 \
  exec "$here/../tests/console/run-under-xvfb.sh" /usr/bin/python3 "$here/console-start.py" \
  "$build/src/console/housecall" "$@"
