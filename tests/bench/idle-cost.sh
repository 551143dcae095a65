#!/usr/bin/env bash
# Measures the daemon's own cost while idle on this host: peak RSS and CPU time over DURATION
# seconds (default 60) with the embedded default policy, read from /proc/PID/status and /proc/PID/stat.
# Usage: tests/bench/idle-cost.sh [BUILD_DIR] [DURATION]
set -eu
build=${1:-build-run}
duration=${2:-60}
bin="$build/daemon/pressured"
[ -x "$bin" ] || { echo "no daemon at $bin: build first (see README)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

"$bin" --print-default-policy > "$tmp/default.json" # --config must name a file that exists
"$bin" --config "$tmp/default.json" --policy-dir "$tmp/none.d" --state-dir "$tmp/state" \
       --runtime-dir "$tmp/run" --log-target stderr 2>"$tmp/log" &
pid=$!
sleep 2 # start-up is not idle
ticks=$(getconf CLK_TCK)
cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
sleep "$duration"
cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
mode=$(grep -o '"mode":[^,]*' "$tmp/run/status.json" | head -1)
awk -v c0="$cpu0" -v c1="$cpu1" -v t="$ticks" -v d="$duration" -v rss="$rss" -v hwm="$hwm" -v mode="$mode" 'BEGIN {
        cpu = (c1 - c0) / t
        printf "pressured idle for %d s (%s): CPU %.2f s (%.3f%% of one core), RSS %d KiB (peak %d KiB)\n",
               d, mode, cpu, 100 * cpu / d, rss, hwm
}'
