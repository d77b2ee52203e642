#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs a command inside a network namespace made for it, and deletes the namespace
# afterwards whatever happens (exit, failure, a signal from the test harness).
#
# ICE ignores loopback addresses, so a media test needs a real interface: the
# namespace `hc-eng-<random>` holds a veth pair, hce-a 10.214.X.1/24 and hce-b
# 10.214.X.2/24, plus lo. Nothing in it can reach another network. The command gets
# HC_NETNS_ICE_INTERFACE (the interface Janus gathers on) in its environment.
#
# Not named veth-*: libnice, under webrtcbin, skips interfaces whose names start with
# docker, veth, virbr or vnet, and would gather nothing.
#
# Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN); without it, prints a skipped TAP plan.
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "1..0 # SKIP the engine call tests need root for a network namespace"
  exit 0
fi

IP="$(command -v ip || echo /usr/sbin/ip)"
ns="hc-eng-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
subnet="10.214.$(( (RANDOM % 250) + 1 ))"
child=""
# The test's temporary files (housecalld's data directory…) go here, so that they go
# away even when the test aborts; HC_KEEP_DATA=1 keeps them for reading.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/hc-engine-test-XXXXXX")"

cleanup() {
  trap - EXIT INT TERM HUP
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null
    # Give the test a moment to stop housecalld and Janus itself.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$child" 2>/dev/null || break
      sleep 0.2
    done
  fi
  # Whatever still runs in the namespace goes, twice in case a parent spawned a child.
  for _ in 1 2; do
    for pid in $("$IP" netns pids "$ns" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null
    done
    sleep 0.1
  done
  "$IP" netns del "$ns" 2>/dev/null || { sleep 0.5; "$IP" netns del "$ns" 2>/dev/null; }
  if [ -n "${HC_KEEP_DATA:-}" ]; then
    echo "# kept $scratch" >&2
  else
    rm -rf "$scratch"
  fi
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

"$IP" netns add "$ns" || { echo "Bail out! could not create a network namespace"; exit 1; }
"$IP" -n "$ns" link add hce-a type veth peer name hce-b &&
"$IP" -n "$ns" addr add "$subnet.1/24" dev hce-a &&
"$IP" -n "$ns" addr add "$subnet.2/24" dev hce-b &&
"$IP" -n "$ns" link set lo up &&
"$IP" -n "$ns" link set hce-a up &&
"$IP" -n "$ns" link set hce-b up ||
  { echo "Bail out! could not set up the network namespace"; exit 1; }
# Only the two IPv4 host addresses: no IPv6 candidates to try and time out on.
"$IP" netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1
"$IP" netns exec "$ns" sysctl -q -w net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1

export HC_NETNS_ICE_INTERFACE=hce-a
export TMPDIR="$scratch"
"$IP" netns exec "$ns" "$@" &
child=$!
wait "$child"
status=$?
child=""
exit "$status"
