#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# usage: run-under-xvfb.sh COMMAND [ARGUMENT…]
#
# Runs a test in its own X server and its own D-Bus session bus, so that tests run in
# parallel and two consoles never merge into one application over a shared bus.
# The test must speak TAP: without Xvfb this prints a TAP plan that skips everything.
#
# Not xvfb-run -a: it picks a display number before starting the server, and two tests
# started together pick the same one. Xvfb -displayfd claims a free number itself.

set -u

if ! command -v Xvfb >/dev/null 2>&1; then
  echo "1..0 # SKIP Xvfb is not installed"
  exit 0
fi

for tool in xauth dbus-run-session; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "Bail out! $tool is not installed"
    exit 1
  fi
done

workdir=$(mktemp -d "${TMPDIR:-/tmp}/hc-xvfb.XXXXXX") || exit 1
xvfb_pid=

cleanup () {
  if [ -n "$xvfb_pid" ]; then
    kill "$xvfb_pid" 2>/dev/null
    wait "$xvfb_pid" 2>/dev/null
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server reads every cookie in its -auth file whatever display it is filed under;
# clients look theirs up by display number, added once the server has told us it.
cookie=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export XAUTHORITY="$workdir/Xauthority"
xauth -q add :0 . "$cookie"

# -noreset: otherwise the server resets when its first client (the accessibility bus
# launcher, say) disconnects, and a client connecting just then is turned away.
Xvfb -displayfd 4 -auth "$XAUTHORITY" -screen 0 1280x800x24 -nolisten tcp -noreset \
  4>"$workdir/display" 2>"$workdir/xvfb.log" &
xvfb_pid=$!

tries=0
until grep -q '^[0-9][0-9]*$' "$workdir/display" 2>/dev/null; do
  tries=$((tries + 1))
  if ! kill -0 "$xvfb_pid" 2>/dev/null || [ "$tries" -gt 200 ]; then
    echo "Bail out! Xvfb did not start"
    cat "$workdir/xvfb.log" >&2
    exit 1
  fi
  sleep 0.05
done

DISPLAY=":$(cat "$workdir/display")"
export DISPLAY
xauth -q add "$DISPLAY" . "$cookie"

# A developer's Wayland session must not leak into the test.
unset WAYLAND_DISPLAY
export GDK_BACKEND=x11

# Without a runtime directory (root in CI has none), the accessibility bus
# puts its socket in ~/.cache/at-spi/bus_<display>, shared by every test on
# the machine: a test that ends on display :0 deletes the socket of the next
# test given :0, whose application then cannot reach the bus. A private one.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  XDG_RUNTIME_DIR="$workdir/runtime"
  mkdir -m 700 "$XDG_RUNTIME_DIR"
  export XDG_RUNTIME_DIR
fi

# A desktop has a notification server; the console sends notifications (a
# patient checked in). Started on demand by D-Bus, like the accessibility bus.
if [ -x /usr/lib/notification-daemon/notification-daemon ]; then
  mkdir -p "$workdir/share/dbus-1/services"
  printf '[D-BUS Service]\nName=org.freedesktop.Notifications\nExec=/usr/lib/notification-daemon/notification-daemon\n' \
    > "$workdir/share/dbus-1/services/org.freedesktop.Notifications.service"
  XDG_DATA_DIRS="$workdir/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
  export XDG_DATA_DIRS
fi

# Only the test's own output may reach stdout, where the TAP is read: the bus daemons
# that D-Bus activates (the accessibility registry, …) chat on theirs, so everything
# else goes to stderr.
dbus-run-session -- sh -c 'exec "$@" 1>&3 3>&-' sh "$@" 3>&1 1>&2
