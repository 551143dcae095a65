#!/usr/bin/env bash
# Instructions per sample of pressured as the number of watched cgroups grows: for each N, a fixture
# cgroup hierarchy (the files the daemon reads, in a temp dir) with N leaf cgroups under
# /cost.slice/tree.scope/ plus an unwatched /other.slice holding N more (strace counts the files
# pressured opens there: unwatched_files_opened, expected 0), a policy that watches every
# leaf (pressure_above /cost.slice/tree.scope/*, never met) sampled every 100 ms, pressured under
# valgrind --tool=callgrind until it has taken enough samples, then SIGTERM. The cost of one sample
# is the inclusive instruction count of manager_sample divided by its calls (callgrind_annotate).
# Instruction counts do not depend on how busy the machine is, so this is the stable cost figure.
# Prints one line per N: BENCH_RESULT {"kind":"sample-cost", "cgroups":N, "instructions_per_sample":X, ...}
# Usage: tests/bench/sample-cost.sh BUILD_DIR [N...]   (default N: 10 100 1000 10000)
# SAMPLE_COST_KEEP=DIR keeps callgrind_annotate's output per N there (annotate-N.txt).
# SAMPLE_COST_PRESSURE=1: one cgroup under pressure among the N. cg-1's memory.pressure says full avg10
# 50% and its stall and pgscan counters move (a writer rewrites its files, and its parent's memory.stat,
# every 200 ms), under the cost
# benchmark's rule (pressure_above 20% for 5 s with memory_reclaim, interval 1 s, fast_interval 250 ms);
# cg-1 is omitted and the others hold no process, so the ruleset fires and finds no victim, as in
# tests/bench/vm/cost.sh. The counters are zeroed once the rule has fired (SAMPLE_COST_WARM_S, default
# 20 s) and read SAMPLE_COST_WINDOW_S (default 40 s) later: the steady state, not the first walk.
# The result adds partial_samples (samples of only the cgroups under pressure) and candidate_reads.
# /proc is then a copy of this machine's system files, taken at the start (--proc-root): the back-off
# of a ruleset without a victim starts over when MemAvailable falls by a sixteenth of MemTotal, and
# this machine's, moving with whatever else runs on it, would decide how often the candidates are
# read. The copy is read anew at each sample (three open/read/close more than /proc, kept open).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: sample-cost.sh BUILD_DIR [N...]" >&2; exit 2; }
build=$1
shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 100 1000 10000)
bin=$build/daemon/pressured
[ -x "$bin" ] || { echo "sample-cost: no daemon at $bin: build first (see README)" >&2; exit 1; }
for tool in valgrind callgrind_annotate; do
        command -v "$tool" > /dev/null || { echo "sample-cost: $tool is missing: apt-get install valgrind (tests/bench/install-peers.sh does)" >&2; exit 77; }
done
MIN_SAMPLES=5 # samples to average over; the first one also builds the tree's state
# The daemon keeps a directory fd per watched cgroup and raises its soft limit to the hard one; give it
# systemd's default hard limit for services (524288), as pressured.service gets: a login shell's
# limit (often 20,000 or less) runs out at 10,000 cgroups, and a sample that fails to open files is
# no measure of a sample.
ulimit -Hn 524288 2>/dev/null && ulimit -Sn 524288 2>/dev/null || echo "sample-cost: cannot raise the open-file limit to 524288 (now $(ulimit -Hn)): 10,000 cgroups may run out of fds" >&2
tmp=$(mktemp -d)
pid=
stall_pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$stall_pid" ] && kill "$stall_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

# files DIR BYTES: the files pressured reads for a watched cgroup, in an existing directory.
files() {
        : > "$1/cgroup.procs"
        printf 'populated 0\nfrozen 0\n' > "$1/cgroup.events"
        printf '%s\n' "$2" > "$1/memory.current"
        printf 'some avg10=1.00 avg60=0.50 avg300=0.10 total=1000\nfull avg10=0.50 avg60=0.20 avg300=0.05 total=500\n' > "$1/memory.pressure"
        printf 'anon 0\nfile %s\n' "$2" > "$1/memory.stat"
}

PRESSURE=${SAMPLE_COST_PRESSURE:-0}
WARM_S=${SAMPLE_COST_WARM_S:-20} WINDOW_S=${SAMPLE_COST_WINDOW_S:-40}
if [ "$PRESSURE" = 1 ]; then
        command -v callgrind_control > /dev/null || { echo "sample-cost: callgrind_control is missing (valgrind)" >&2; exit 77; }
        cat > "$tmp/policy.json" <<'JSON'
{"dry_run": true, "interval": "1s", "fast_interval": "250ms", "omit": ["/cost.slice/tree.scope/cg-1"],
 "rulesets": [{"name": "cost-tree",
   "detectors": [[{"type": "pressure_above", "cgroup": "/cost.slice/tree.scope/*", "kind": "full",
                   "window": "avg10", "threshold": 20, "duration": "5s"},
                  {"type": "memory_reclaim", "cgroup": "/cost.slice/tree.scope/*", "duration": "10s"}]],
   "actions": [{"type": "kill", "cgroup": "/cost.slice/tree.scope/*", "ranker": "size_or_growth"}]}]}
JSON
else
# A threshold no fixture reaches: every sample reads every leaf and none ever fires.
cat > "$tmp/policy.json" <<'JSON'
{"dry_run": true, "interval": "100ms", "fast_interval": "100ms",
 "rulesets": [{"name": "watch-tree",
   "detectors": [[{"type": "pressure_above", "cgroup": "/cost.slice/tree.scope/*", "kind": "full",
                   "window": "avg10", "threshold": 99, "duration": "1h"}]],
   "actions": [{"type": "kill", "cgroup": "/cost.slice/tree.scope/*", "ranker": "size_or_growth"}]}]}
JSON
fi

# stall DIR: rewrites DIR's memory.pressure and memory.stat every 200 ms with the stall and the
# pages scanned growing, as under a hog. In place, as the daemon keeps the files open and reads them
# again at offset 0 (one short write each: a read between truncation and write finds the file empty
# and that sample reads every source).
stall() {
        local k=0
        while :; do
                k=$((k + 1))
                printf 'some avg10=60.00 avg60=45.00 avg300=12.00 total=%d\nfull avg10=50.00 avg60=40.00 avg300=10.00 total=%d\n' \
                        $((k * 120000)) $((k * 100000)) > "$1/memory.pressure"
                printf 'anon 67108864\nfile 0\npgscan %d\n' $((k * 512)) > "$1/memory.stat"
                # memory.stat counts the cgroups below: the parent's pgscan moves too (memory_reclaim reads it there)
                printf 'anon 67108864\nfile 0\npgscan %d\n' $((k * 512)) > "$1/../memory.stat"
                sleep 0.2
        done
}

for n in "${sizes[@]}"; do
        work=$tmp/n$n
        root=$work/cgroup
        mkdir -p "$root"
        echo "cpuset cpu io memory pids" > "$root/cgroup.controllers"
        : > "$root/cgroup.procs"
        mkdir -p "$root/cost.slice/tree.scope" "$root/other.slice"
        { seq -f "$root/cost.slice/tree.scope/cg-%.0f" 1 "$n"; seq -f "$root/other.slice/u-%.0f.service" 1 "$n"; } | xargs mkdir
        files "$root/cost.slice" 0
        files "$root/cost.slice/tree.scope" 0
        files "$root/other.slice" 0
        for ((k = 1; k <= n; k++)); do
                files "$root/cost.slice/tree.scope/cg-$k" $((k * 4096))
                files "$root/other.slice/u-$k.service" $((k * 4096))
        done
        # Which files of the unwatched cgroups does pressured open? Natively, under strace, 2 s.
        unwatched_opens=null
        if command -v strace > /dev/null; then
                strace -f -y -qq -e trace=open,openat,openat2 -o "$work/strace.txt" \
                        "$bin" -c "$tmp/policy.json" --policy-dir "$work/none.d" --cgroup-root "$root" \
                        --state-dir "$work/state0" --runtime-dir "$work/run0" --log-target stderr --no-mlock --no-bus \
                        2> "$work/log0" &
                pid=$!
                sleep 2
                kill -TERM $(pgrep -P "$pid") # the daemon, strace's child; strace then exits with it
                wait "$pid" 2>/dev/null || true
                pid=
                unwatched_opens=$(grep -c 'other\.slice/u-' "$work/strace.txt" || true)
        fi
        if [ "$PRESSURE" = 1 ]; then
                stall "$root/cost.slice/tree.scope/cg-1" &
                stall_pid=$!
        fi
        proc_args=()
        if [ "$PRESSURE" = 1 ]; then
                mkdir -p "$work/proc/pressure"
                cat /proc/meminfo > "$work/proc/meminfo"
                cat /proc/vmstat > "$work/proc/vmstat"
                cat /proc/pressure/memory > "$work/proc/pressure/memory"
                cat /proc/pressure/io > "$work/proc/pressure/io"
                proc_args=(--proc-root "$work/proc")
        fi
        out=$work/callgrind.out
        valgrind --tool=callgrind --callgrind-out-file="$out" \
                "$bin" -c "$tmp/policy.json" --policy-dir "$work/none.d" --cgroup-root "$root" "${proc_args[@]}" \
                --state-dir "$work/state" --runtime-dir "$work/run" --log-target stderr --no-mlock --no-bus \
                2> "$work/log" &
        pid=$!
        # Enough samples: pressured rewrites status.json at most every STATUS_REFRESH, so count time
        # instead, long enough for MIN_SAMPLES at the speed measured on the first one.
        t0=$(date +%s.%N)
        until [ -s "$work/run/status.json" ]; do
                kill -0 "$pid" 2>/dev/null || { echo "sample-cost: pressured exited at start (N=$n):" >&2; tail -n 20 "$work/log" >&2; exit 1; }
                sleep 0.2
        done
        first=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
        wait_s=$(awk -v f="$first" -v k="$MIN_SAMPLES" 'BEGIN { w = f * k; if (w < 3) w = 3; printf "%.1f", w }')
        if [ "$PRESSURE" = 1 ]; then
                # the steady state: after the first walks, with the rule fired (dry run: "would kill"
                # or "no victim"), for a window of its own
                sleep "$WARM_S"
                status() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], 0))' "$work/run/status.json" "$1"; }
                before_partial=$(status partial_samples) before_cand=$(status candidate_samples)
                callgrind_control -z "$pid" > /dev/null
                sleep "$WINDOW_S"
                # status.json is rewritten at most every 10 s: wait for one written after the window
                sleep 11
                partial=$(( $(status partial_samples) - before_partial )) cand=$(( $(status candidate_samples) - before_cand ))
                kill "$stall_pid" 2>/dev/null; wait "$stall_pid" 2>/dev/null || true
                stall_pid=
        else
                sleep "$wait_s"
                partial=null cand=null
        fi
        kill -TERM "$pid"
        wait "$pid" || { echo "sample-cost: pressured under valgrind did not exit cleanly (N=$n):" >&2; tail -n 20 "$work/log" >&2; exit 1; }
        pid=
        # callgrind_annotate --tree=caller prints, for each function, its callers with the calls they
        # made ("  IR (P%)  <  file:caller (Kx) [obj]") and then the function itself with its
        # inclusive count ("IR (P%)  *  file:manager_sample [obj]").
        callgrind_annotate --inclusive=yes --tree=caller --threshold=100 "$out" > "$work/annotate.txt"
        read -r ir calls < <(awk '
                function num(s) { gsub(/,/, "", s); return s + 0 }
                /^$/ { calls = 0; next }
                / < / { if (match($0, /\([0-9,]+x\)/)) calls += num(substr($0, RSTART + 1, RLENGTH - 3)); next }
                / \* / && /manager\.c:manager_sample / { print num($1), calls; found = 1; exit }
                END { if (!found) print "none", 0 }' "$work/annotate.txt")
        if [ "$ir" = none ] || [ "$calls" -lt 1 ]; then
                echo "sample-cost: no manager_sample in callgrind's output for N=$n (inlined? see $work/annotate.txt)" >&2
                trap - EXIT # keep it for a look
                exit 1
        fi
        [ "$calls" -ge "$MIN_SAMPLES" ] || echo "sample-cost: only $calls samples for N=$n (wanted $MIN_SAMPLES)" >&2
        awk -v n="$n" -v ir="$ir" -v c="$calls" -v u="$unwatched_opens" -v pr="$PRESSURE" -v ps="$partial" -v cs="$cand" 'BEGIN {
                printf "BENCH_RESULT {\"kind\":\"sample-cost\",\"cgroups\":%d,\"unwatched_cgroups\":%d,\"pressure\":%s,\"samples\":%d,\"partial_samples\":%s,\"candidate_reads\":%s,\"instructions\":%.0f,\"instructions_per_sample\":%.0f,\"instructions_per_sample_per_cgroup\":%.1f,\"unwatched_files_opened\":%s}\n",
                       n, n, pr == 1 ? "true" : "false", c, ps, cs, ir, ir / c, ir / c / n, u
        }'
        [ -z "${SAMPLE_COST_KEEP:-}" ] || cp "$work/annotate.txt" "$SAMPLE_COST_KEEP/annotate-$n.txt"
        [ -z "${SAMPLE_COST_KEEP:-}" ] || cp "$work/strace.txt" "$SAMPLE_COST_KEEP/strace-$n.txt" 2>/dev/null
        rm -rf "$work"
done
