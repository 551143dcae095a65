#!/usr/bin/env bash
# The whole benchmark, one command: pressured against the kernel alone, earlyoom, systemd-oomd and
# Facebook's oomd, each in a fresh guest with the same inputs (tests/bench/vm/scenario.sh), then the
# daemons' own cost (tests/bench/cost.sh), then the tables and the plot (tests/bench/report.py).
#
# Usage: tests/bench/run.sh [--short] [--reps N] [BUILD_DIR]        (as root; BUILD_DIR defaults to build)
#   --short   one repetition of one scenario (spike) per contender, cost at 100 cgroups only (CI)
#   --reps N  repetitions of each scenario cell (default 3; 1 with --short)
# Environment, to run part of it by hand: BENCH_CONTENDERS="pressured oomd", BENCH_NEIGHBOURS="burst",
# BENCH_COST=0 (the scenarios only), BENCH_SCENARIOS=0 (the cost part only).
#
# Writes BUILD_DIR/bench/: results.jsonl (every BENCH_RESULT object), scenarios.md, scenarios.png,
# cost.md, cost.png, results.md (all of it, with the machine, the date and this command), and a log
# per guest in logs/. Guests run one at a time (flock /tmp/vm.lock), each in BUILD_DIR/vm-runs/bench-*.
# Exit: 0 when every cell gave a result and the report was written (whether or not pressured met its
# targets: results.md says that); 1 when a cell, the cost part or the report failed; 2 on bad
# arguments; 77 without root (meson counts it as skipped).
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
COMMAND="tests/bench/run.sh $*"

short=0 reps="" build=build
while [ $# -gt 0 ]; do
        case $1 in
                --short) short=1 ;;
                --reps) reps=${2:-}; shift ;;
                --reps=*) reps=${1#--reps=} ;;
                -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
                -*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
                *) build=$1 ;;
        esac
        shift
done
case $reps in
        "") reps=$([ $short = 1 ] && echo 1 || echo 3) ;;
        *[!0-9]*|0) echo "run.sh: --reps wants a positive whole number, not '$reps'" >&2; exit 2 ;;
esac
[ -d "$build" ] || { echo "run.sh: no build folder $build: run 'meson setup $build && ninja -C $build' first" >&2; exit 2; }
BUILD=$(cd "$build" && pwd)
[ "$(id -u)" = 0 ] || { echo "run.sh: the benchmark boots guests and installs the peers with apt, so it needs root: skipped" >&2; exit 77; }
SCENARIO=$SRC/tests/bench/vm/scenario.sh
[ -f "$SCENARIO" ] || { echo "run.sh: no $SCENARIO in this source tree" >&2; exit 1; }
for bin in daemon/pressured tests/bench/bench-workload tests/bench/bench-neighbour; do
        [ -x "$BUILD/$bin" ] || { echo "run.sh: $BUILD/$bin is missing: run 'ninja -C $BUILD' first" >&2; exit 1; }
done

read -ra CONTENDERS <<< "${BENCH_CONTENDERS:-kernel earlyoom systemd-oomd oomd pressured}"
if [ -n "${BENCH_NEIGHBOURS:-}" ]; then
        read -ra NEIGHBOURS <<< "$BENCH_NEIGHBOURS"
elif [ $short = 1 ]; then
        NEIGHBOURS=(spike)
else
        NEIGHBOURS=(runaway burst spike)
fi
SHORT_FLAG=()
[ $short = 0 ] || SHORT_FLAG=(--short)
MEM=1024 SWAP=1024 IOPS=2000 GUEST_TIMEOUT=600
GUEST="QEMU (TCG), 2 vCPUs, $MEM MiB RAM, a $SWAP MiB swap disk throttled to $IOPS IOPS ($((IOPS * 4)) KiB/s)"

OUT=$BUILD/bench
mkdir -p "$OUT/logs"
rm -f "$OUT"/results.jsonl "$OUT"/failed-cells.txt "$OUT"/*.md "$OUT"/*.png "$OUT"/logs/*
: > "$OUT/results.jsonl"
status=0

echo "=== bench: installing the peers (nothing is started on this machine) ==="
# Under the VM lock: a guest shares this machine's /usr, which must not change while one runs.
flock /tmp/vm.lock "$SRC/tests/bench/install-peers.sh" || { echo "run.sh: the peers could not be installed" >&2; exit 1; }

[ "${BENCH_SCENARIOS:-1}" = 0 ] && NEIGHBOURS=()
total=$(( ${#CONTENDERS[@]} * ${#NEIGHBOURS[@]} * reps )) n=0
if [ "$total" -gt 0 ]; then
        echo "=== bench: $total scenario runs (${NEIGHBOURS[*]} x ${CONTENDERS[*]} x $reps), one guest each: $GUEST ==="
else
        echo "=== bench: no scenario runs (BENCH_SCENARIOS=0) ==="
fi
for rep in $(seq 1 "$reps"); do
        for nb in "${NEIGHBOURS[@]}"; do
                for c in "${CONTENDERS[@]}"; do
                        n=$((n + 1))
                        name=bench-$c-$nb-$rep
                        log=$OUT/logs/$name.log
                        start=$SECONDS
                        flock /tmp/vm.lock "$SRC/tests/vm/boot.sh" -m "$MEM" -S "$SWAP" -I "$IOPS" -t "$GUEST_TIMEOUT" -o "$name" \
                                -e "CONTENDER=$c" -e "NEIGHBOUR=$nb" -e "REP=$rep" -e "SHORT=$short" "$BUILD" "$SCENARIO" > "$log" 2>&1
                        rc=$?
                        results=$(grep '^BENCH_RESULT ' "$log" | sed 's/^BENCH_RESULT //')
                        count=$(printf '%s' "$results" | grep -c . || true)
                        if [ "$count" = 1 ]; then
                                printf '%s\n' "$results" >> "$OUT/results.jsonl"
                                summary=$(printf '%s' "$results" | python3 -c 'import json,sys; r=json.load(sys.stdin)
def f(v, fmt): return "-" if v is None else fmt % v
print("workload %s, %s, neighbour %s%s, collateral %s" % (
    "survived" if r.get("workload_survived") else "LOST", "wall/ideal " + f(r.get("workload_ratio"), "%.2f"),
    "killed after " if r.get("neighbour_killed") else "not killed", f(r.get("neighbour_kill_s"), "%.1f s") if r.get("neighbour_killed") else "",
    ",".join(r.get("collateral") or []) or "none"))' 2>/dev/null || echo "result not readable")
                                echo "[$n/$total] $name: $summary ($((SECONDS - start)) s)"
                                [ $rc = 0 ] || echo "    note: the guest exited $rc; its result is kept (log: $log)"
                        else
                                echo "[$n/$total] $name: FAILED, $count BENCH_RESULT lines, guest exit $rc ($((SECONDS - start)) s); log: $log"
                                grep -e '^vm: ' "$log" | head -3 | sed 's/^/    /'
                                echo "$name guest-exit=$rc results=$count" >> "$OUT/failed-cells.txt"
                                status=1
                        fi
                done
        done
done

COST=$SRC/tests/bench/cost.sh
if [ "${BENCH_COST:-1}" = 0 ]; then
        echo "=== bench: BENCH_COST=0: the cost part is left out ==="
elif [ -x "$COST" ]; then
        echo "=== bench: the daemons' own cost ==="
        # cost.sh takes /tmp/vm.lock for each guest itself and appends its objects to results.jsonl.
        "$COST" "${SHORT_FLAG[@]}" "$BUILD" || { echo "run.sh: the cost part failed (exit $?)" >&2; status=1; }
else
        echo "=== bench: no $COST: the cost part is left out ==="
fi

echo "=== bench: report ==="
python3 "$SRC/tests/bench/report.py" --command "$COMMAND" --guest "$GUEST" "$OUT" || status=1
[ -f "$OUT/results.md" ] && cat "$OUT/results.md"
echo "bench: everything is in $OUT/ (results.md, results.jsonl, logs/)"
exit $status
