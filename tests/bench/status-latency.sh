#!/usr/bin/env bash
# Measures how long `oomctl status` takes against a daemon that monitors N cgroups (default 500):
# a fixture hierarchy with the memory controller (N leaf cgroups under 10 slices, each with
# memory.current, memory.pressure, cgroup.events), the daemon in cgroup mode on it, and R calls
# (default 20). Prints the median and the worst in milliseconds.
# Usage: tests/bench/status-latency.sh [BUILD_DIR] [N] [R]
set -eu
build=${1:-build}
n=${2:-500}
runs=${3:-20}
for b in "$build/daemon/pressured" "$build/oomctl/oomctl"; do
        [ -x "$b" ] || { echo "no $b: build first (see README)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

root=$tmp/cgroup
mkdir -p "$root"
echo "cpu io memory pids" > "$root/cgroup.controllers"
: > "$root/cgroup.procs"
fixture() { # DIR BYTES
        mkdir -p "$1"
        : > "$1/cgroup.procs"
        echo "populated 1" > "$1/cgroup.events"
        echo "$2" > "$1/memory.current"
        printf 'some avg10=1.00 avg60=0.50 avg300=0.10 total=1000\nfull avg10=0.50 avg60=0.20 avg300=0.05 total=500\n' > "$1/memory.pressure"
}
for s in $(seq 0 9); do fixture "$root/s$s.slice" $((s * 1048576)); done
for i in $(seq 1 "$n"); do fixture "$root/s$((i % 10)).slice/u$i.service" $((i * 4096)); done

cat > "$tmp/policy.json" <<'JSON'
{"dry_run": true, "rulesets": [{"name": "watch-all",
  "detectors": [[{"type": "pressure_above", "cgroup": "/*.slice/*", "threshold": 99, "duration": "1h"}]],
  "actions": [{"type": "kill", "cgroup": "/*"}]}]}
JSON
"$build/daemon/pressured" --config "$tmp/policy.json" --policy-dir "$tmp/none.d" --cgroup-root "$root" \
        --state-dir "$tmp/state" --runtime-dir "$tmp/run" --log-target stderr --no-mlock 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do [ -S "$tmp/run/control.sock" ] && break; sleep 0.05; done
sleep 1.5 # one full sample of the tree
listed=$("$build/oomctl/oomctl" --socket "$tmp/run/control.sock" status --json | grep -o '"path"' | wc -l)
times=()
for _ in $(seq "$runs"); do
        s=$(date +%s%N)
        "$build/oomctl/oomctl" --socket "$tmp/run/control.sock" status > /dev/null
        times+=($(( ($(date +%s%N) - s) / 1000 )))
done
printf '%s\n' "${times[@]}" | sort -n | awk -v n="$n" -v listed="$listed" -v r="$runs" '
        { t[NR] = $1 } END { printf "oomctl status with %d monitored cgroups (%d listed): median %.1f ms, worst %.1f ms over %d runs\n",
                                  n, listed, t[int((NR + 1) / 2)] / 1000, t[NR] / 1000, r }'
