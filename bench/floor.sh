#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The floor (issue 10, item 2): the bare GStreamer pipeline doing the console's media
# work with no network, no RTP and no window: the console's test pattern (videotestsrc
# pattern=ball, I420 1280x720 @ 24), three VP8 encodings with the console's settings
# (1280x720 / 640x360 / 320x180, 70/22/8 % of 1500 kbit/s, cpu-used 8, realtime CBR,
# one thread per encoder), and a 720p decode to BGRA (the console decodes the
# other side's 720p and converts it for GTK; here it decodes its own top layer).
#
#   bench/floor.sh [--seconds 60] [--runs 3] [--variant full] [--tiny]
#
# Variants, to see where the floor's time goes: full (the floor), source (the test
# pattern alone), encode (the three encodings, no decode), cpu16 (the floor with
# cpu-used 16, libvpx's fastest realtime setting, instead of the console's 8), threads2
# (the floor with two encoder threads on the top layer, as the console had until
# 2026-11-28: libvpx's threads wait for each other by spinning, which costs CPU when the
# cores are busy with anything else). threads1 is kept as a name for full.
#
# The queues do not drop: every one of the frames is encoded (and the top layer decoded),
# so the CPU seconds are the price of a fixed amount of work even on a busy machine
# (the console, live, drops frames when starved; call-bench.mjs prints its frame rates).
# Prints CPU seconds (user+system), CPU % of one core and peak RSS per run, the median,
# and the load average at the start of each run. Asserts nothing.
set -uo pipefail

seconds=60
runs=3
variant=full
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --variant) variant="$2"; shift 2 ;;
    --tiny) seconds=1; runs=1; shift ;;
    *) echo "usage: $0 [--seconds S] [--runs N] [--variant full|source|encode|cpu16|threads2] [--tiny]" >&2; exit 2 ;;
  esac
done

frames=$((seconds * 24))
cpu_used=8
[ "$variant" = cpu16 ] && cpu_used=16
top_threads=1
[ "$variant" = threads2 ] && top_threads=2
enc="deadline=1 cpu-used=$cpu_used keyframe-max-dist=240 lag-in-frames=0 buffer-size=1000 \
buffer-initial-size=500 buffer-optimal-size=600 undershoot=95 max-quantizer=56 \
end-usage=cbr error-resilient=default"
decode="h. ! queue ! vp8dec ! videoconvert ! video/x-raw,format=BGRA ! fakesink sync=false"
[ "$variant" = encode ] && decode=""
pipeline="videotestsrc is-live=true pattern=ball num-buffers=$frames !
  video/x-raw,format=I420,width=1280,height=720,framerate=24/1,pixel-aspect-ratio=1/1 !
  queue ! tee name=t
  t. ! queue ! videoscale ! videoconvert !
       video/x-raw,width=1280,height=720 ! vp8enc $enc target-bitrate=1050000 threads=$top_threads !
       tee name=h ! queue ! fakesink sync=false
       $decode
  t. ! queue ! videoscale ! videoconvert !
       video/x-raw,width=640,height=360 ! vp8enc $enc target-bitrate=330000 threads=1 !
       fakesink sync=false
  t. ! queue ! videoscale ! videoconvert !
       video/x-raw,width=320,height=180 ! vp8enc $enc target-bitrate=120000 threads=1 !
       fakesink sync=false"

if [ "$variant" = source ]; then
  pipeline="videotestsrc is-live=true pattern=ball num-buffers=$frames !
  video/x-raw,format=I420,width=1280,height=720,framerate=24/1,pixel-aspect-ratio=1/1 ! fakesink sync=false"
fi

echo "floor ($variant): bare pipeline, ${seconds} s of live 720p24, ${runs} run(s); $(date -u +%FT%TZ)"
cpus=()
for run in $(seq "$runs"); do
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  out="$( { /usr/bin/time -f 'TIME %U %S %M %e' gst-launch-1.0 -q $pipeline >/dev/null; } 2>&1 )"
  read -r user sys rss_kb wall < <(echo "$out" | awk '/^TIME/ {print $2, $3, $4, $5}')
  cpu="$(echo "$user + $sys" | bc -l)"
  cpus+=("$cpu")
  printf 'run %d: CPU %.2f s (%.1f %% of a core over %.1f s wall), peak RSS %.1f MB, load %s\n' \
    "$run" "$cpu" "$(echo "100 * $cpu / $wall" | bc -l)" "$wall" "$(echo "$rss_kb / 1024" | bc -l)" "$load"
done
median="$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
printf 'median CPU %.2f s for %d s (%.1f %% of a core)\n' "$median" "$seconds" "$(echo "100 * $median / $seconds" | bc -l)"
