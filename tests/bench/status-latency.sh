#!/usr/bin/env bash
# Measures how long `oomctl status` takes against a daemon that monitors N cgroups (default 500):
# a fixture hierarchy with the memory controller (N leaf cgroups under 10 slices, each with
# memory.current, memory.pressure, cgroup.events), the daemon in cgroup mode on it, and R calls
# (default 20) over each transport: the control socket, and the D-Bus API on a private
# dbus-daemon started here (as a system bus would carry it). Prints the median and the worst in ms.
# Usage: tests/bench/status-latency.sh [BUILD_DIR] [N] [R]
set -eu
build=${1:-build}
n=${2:-500}
runs=${3:-20}
for b in "$build/daemon/pressured" "$build/oomctl/oomctl"; do
        [ -x "$b" ] || { echo "no $b: build first (see README)" >&2; exit 1; }
done
tmp=$(mktemp -d)
pid= bus_pid=
trap 'kill $pid $bus_pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT

# A private bus, configured as permissively as a test bus may be.
cat > "$tmp/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$tmp/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/>
<allow receive_sender="*"/></policy></busconfig>
CONF
dbus-daemon --config-file="$tmp/bus.conf" --nofork --nopidfile 2>"$tmp/bus.log" &
bus_pid=$!
for _ in $(seq 100); do [ -S "$tmp/bus" ] && break; sleep 0.05; done
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/bus

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
measure() { # LABEL OOMCTL-TRANSPORT-OPTIONS...
        local label=$1 listed times=()
        shift
        listed=$("$build/oomctl/oomctl" "$@" status --json | grep -o '"path"' | wc -l)
        for _ in $(seq "$runs"); do
                s=$(date +%s%N)
                "$build/oomctl/oomctl" "$@" status > /dev/null
                times+=($(( ($(date +%s%N) - s) / 1000 )))
        done
        printf '%s\n' "${times[@]}" | sort -n | awk -v n="$n" -v listed="$listed" -v r="$runs" -v label="$label" '
                { t[NR] = $1 } END { printf "oomctl status over %s with %d monitored cgroups (%d listed): median %.1f ms, worst %.1f ms over %d runs\n",
                                          label, n, listed, t[int((NR + 1) / 2)] / 1000, t[NR] / 1000, r }'
}
for _ in $(seq 100); do "$build/oomctl/oomctl" --bus status >/dev/null 2>&1 && break; sleep 0.05; done
measure "the control socket" --socket "$tmp/run/control.sock"
measure "D-Bus" --bus
