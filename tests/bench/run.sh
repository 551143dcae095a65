#!/usr/bin/env bash
# The whole benchmark, one command: pressured against the kernel alone, earlyoom, systemd-oomd and
# Facebook's oomd, each in a fresh guest with the same inputs. Three parts: the scenarios (a
# workload beside a misbehaving neighbour in bench.slice, tests/bench/vm/scenario.sh), the freeze
# benchmark (the whole machine, no memory limit, an interactive probe, tests/bench/vm/freeze.sh),
# then the daemons' own cost (tests/bench/cost.sh); then the tables and plots (report.py) and the
# check of pressured's decisions (check.py).
#
# Usage: tests/bench/run.sh [--short] [--reps N] [BUILD_DIR]        (as root; BUILD_DIR defaults to build)
#   --short   CI: one repetition of one scenario (spike) per contender; freeze: pressured only, on
#             the respawning thrasher with swap and the 2 s spike with swap; cost at 100 cgroups only
#   --reps N  repetitions of each scenario cell (default 5; 1 with --short) and of each freeze cell
#             (default 1)
# Environment, to run part of it by hand:
#   BENCH_CONTENDERS="pressured oomd"   scenario contenders;  BENCH_NEIGHBOURS="burst"
#   BENCH_FREEZE_CONTENDERS="..."        freeze contenders (default all five; --short: pressured)
#   BENCH_OFFENDERS="leaker thrasher respawn"  freeze offenders (--short: respawn)
#   BENCH_BUSY="build spike copy"        freeze busy-but-healthy loads (--short: spike)
#   BENCH_SWAP="swap noswap"             freeze swap configurations (--short: swap; copy always noswap)
#   BENCH_SCENARIOS=0, BENCH_FREEZE=0, BENCH_COST=0   leave that part out
#   BENCH_TIMELINE=1                     each freeze guest's log (logs/NAME.log) also gets what the
#                                        machine went through: PSI, swap and refault totals every 250 ms
#                                        ("TIMELINE"), the probe's stalls, the contender's journal
#                                        (pressured's at debug level); tests/bench/timeline.py LOG reads it
# Freeze cells: an offender cell ends 10 s after relief (the offender's cgroup is empty) or 180 s
# after the offender started (guest clock); a busy cell when its load ends. The guest: 1 GiB RAM,
# 2 vCPUs, a 1 GiB swap disk throttled to 2,000 IOPS ("swap") or none ("noswap").
#
# Writes BUILD_DIR/bench/: results.jsonl (every BENCH_RESULT object), scenarios.md/.png, freeze.md/.png,
# cost.md/.png, results.md (all of it, with the machine, the date and this command), and a log per
# guest in logs/. Guests run one at a time (flock /tmp/vm.lock), each in BUILD_DIR/vm-runs/bench-*.
# Exit: 0 when every cell gave a result, the report was written and pressured decided right in
# every cell; 3 when pressured decided wrongly in a cell (check.py names it: it killed the workload,
# the probe or anything but the offender, left an offender running, killed more than 3 times for one
# offender, let the kernel's OOM killer act, let the workload run over 1.10x
# its ideal, or killed during a healthy load), in --short and full runs alike (peers' failures are
# results, never a failure); 1 when a cell, the cost part or the report failed; 2 on bad arguments;
# 77 without root (meson counts it as skipped).
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
COMMAND="tests/bench/run.sh $*"

short=0 reps="" build=build
while [ $# -gt 0 ]; do
        case $1 in
                --short) short=1 ;;
                --reps) reps=${2:-}; shift ;;
                --reps=*) reps=${1#--reps=} ;;
                -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
                -*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
                *) build=$1 ;;
        esac
        shift
done
case $reps in
        "") reps=$([ $short = 1 ] && echo 1 || echo 5) freeze_reps=1 ;;
        *[!0-9]*|0) echo "run.sh: --reps wants a positive whole number, not '$reps'" >&2; exit 2 ;;
        *) freeze_reps=$reps ;;
esac
[ -d "$build" ] || { echo "run.sh: no build folder $build: run 'meson setup $build && ninja -C $build' first" >&2; exit 2; }
BUILD=$(cd "$build" && pwd)
[ "$(id -u)" = 0 ] || { echo "run.sh: the benchmark boots guests and installs the peers with apt, so it needs root: skipped" >&2; exit 77; }
SCENARIO=$SRC/tests/bench/vm/scenario.sh
[ -f "$SCENARIO" ] || { echo "run.sh: no $SCENARIO in this source tree" >&2; exit 1; }
FREEZE=$SRC/tests/bench/vm/freeze.sh
for bin in daemon/pressured tests/bench/bench-workload tests/bench/bench-neighbour tests/bench/bench-probe \
           tests/bench/bench-thrasher tests/bench/bench-busy tests/bench/bench-timeline; do
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
if [ $short = 1 ]; then
        read -ra FREEZE_CONTENDERS <<< "${BENCH_FREEZE_CONTENDERS:-pressured}"
        read -ra OFFENDERS <<< "${BENCH_OFFENDERS-respawn}"
        read -ra BUSY <<< "${BENCH_BUSY-spike}"
        read -ra SWAPS <<< "${BENCH_SWAP:-swap}"
else
        read -ra FREEZE_CONTENDERS <<< "${BENCH_FREEZE_CONTENDERS:-kernel earlyoom systemd-oomd oomd pressured}"
        read -ra OFFENDERS <<< "${BENCH_OFFENDERS-leaker thrasher respawn}"
        read -ra BUSY <<< "${BENCH_BUSY-build spike copy}"
        read -ra SWAPS <<< "${BENCH_SWAP:-swap noswap}"
fi
for sw in "${SWAPS[@]}"; do
        case $sw in swap|noswap) ;; *) echo "run.sh: BENCH_SWAP takes swap and noswap, not '$sw'" >&2; exit 2 ;; esac
done
SHORT_FLAG=()
[ $short = 0 ] || SHORT_FLAG=(--short)
MEM=1024 SWAP=1024 IOPS=2000 GUEST_TIMEOUT=600
GUEST="QEMU (TCG), 2 vCPUs, $MEM MiB RAM, a $SWAP MiB swap disk throttled to $IOPS IOPS ($((IOPS * 4)) KiB/s)"

OUT=$BUILD/bench
mkdir -p "$OUT/logs"
rm -f "$OUT"/results.jsonl "$OUT"/failed-cells.txt "$OUT"/*.md "$OUT"/*.png "$OUT"/logs/*
: > "$OUT/results.jsonl"
status=0

# What a guest's one result says, in a line: Python with the result object as r and f(value, fmt).
read -r -d '' SCENARIO_SUMMARY <<'PY'
print("workload %s, %s, neighbour %s%s, collateral %s" % (
    "survived" if r.get("workload_survived") else "LOST", "wall/ideal " + f(r.get("workload_ratio"), "%.2f"),
    "killed after " if r.get("neighbour_killed") else "not killed", f(r.get("neighbour_kill_s"), "%.1f s") if r.get("neighbour_killed") else "",
    ",".join(r.get("collateral") or []) or "none"))
PY
read -r -d '' FREEZE_SUMMARY <<'PY'
print("probe worst stall %s, stalled %s, %s, %d kill(s) by the contender, %d by the kernel, collateral %s" % (
    f(r.get("probe_worst_ms") and r["probe_worst_ms"] / 1e3, "%.1f s"), f(r.get("probe_stalled_ms") and r["probe_stalled_ms"] / 1e3, "%.1f s"),
    ("relief after " + f(r.get("relief_s"), "%.1f s")) if r.get("relieved") else ("NOT relieved in %s s" % r.get("cell_s")) if r.get("load_kind") == "offender"
    else ("load ran to its end" if r.get("load_completed") else "load did NOT finish"),
    r.get("contender_kills") or 0, r.get("kernel_oom_kills") or 0, ",".join(r.get("collateral") or []) or "none"))
PY

# keep_result PROGRESS NAME LOG RC START SUMMARY: keeps the guest's one BENCH_RESULT line in
# results.jsonl and prints "[PROGRESS] NAME: what it says (seconds)". A log without exactly one is
# a failed cell: named, its first problems shown, listed in failed-cells.txt, and the run fails.
keep_result() {
        local progress=$1 name=$2 log=$3 rc=$4 start=$5 summarize=$6 results count summary
        results=$(grep '^BENCH_RESULT ' "$log" | sed 's/^BENCH_RESULT //')
        count=$(printf '%s' "$results" | grep -c . || true)
        if [ "$count" = 1 ]; then
                printf '%s\n' "$results" >> "$OUT/results.jsonl"
                summary=$(printf '%s' "$results" | python3 -c "import json, sys
r = json.load(sys.stdin)
def f(v, fmt): return '-' if v is None else fmt % v
$summarize" 2>/dev/null || echo "result not readable")
                echo "[$progress] $name: $summary ($((SECONDS - start)) s)"
                [ "$rc" = 0 ] || echo "    note: the guest exited $rc; its result is kept (log: $log)"
        else
                echo "[$progress] $name: FAILED, $count BENCH_RESULT lines, guest exit $rc ($((SECONDS - start)) s); log: $log"
                grep -e '^vm: ' -e '^FAIL' "$log" | head -3 | sed 's/^/    /'
                echo "$name guest-exit=$rc results=$count" >> "$OUT/failed-cells.txt"
                status=1
        fi
}

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
                        keep_result "$n/$total" "$name" "$log" $? "$start" "$SCENARIO_SUMMARY"
                done
        done
done

# --- the freeze benchmark: one guest per contender x load x swap configuration x repetition ---
# A cell's guest arguments: the throttled swap disk as the scenarios have it, none, or for the copy
# an unthrottled scratch disk (freeze.sh turns its swap off and writes 2x RAM to it).
freeze_cells=()
if [ "${BENCH_FREEZE:-1}" != 0 ]; then
        for rep in $(seq 1 "$freeze_reps"); do
                for load in "${OFFENDERS[@]}" "${BUSY[@]}"; do
                        for sw in "${SWAPS[@]}"; do
                                [ "$load" = copy ] && [ "$sw" = swap ] && continue
                                for c in "${FREEZE_CONTENDERS[@]}"; do freeze_cells+=("$c $load $sw $rep"); done
                        done
                        # the copy runs without swap only: still one cell when BENCH_SWAP=swap
                        if [ "$load" = copy ] && [[ " ${SWAPS[*]} " != *" noswap "* ]]; then
                                for c in "${FREEZE_CONTENDERS[@]}"; do freeze_cells+=("$c $load noswap $rep"); done
                        fi
                done
        done
fi
if [ ${#freeze_cells[@]} -gt 0 ]; then
        echo "=== bench: ${#freeze_cells[@]} freeze runs (${OFFENDERS[*]} ${BUSY[*]} x ${FREEZE_CONTENDERS[*]} x ${SWAPS[*]} x $freeze_reps), one guest each ==="
else
        echo "=== bench: no freeze runs (BENCH_FREEZE=0 or nothing selected) ==="
fi
n=0
for cell in "${freeze_cells[@]}"; do
        read -r c load sw rep <<< "$cell"
        n=$((n + 1))
        name=bench-freeze-$c-$load-$sw-$rep
        log=$OUT/logs/$name.log
        case $load:$sw in
                copy:*) disk=(-S 2560) swapvar=0 ;;
                *:swap) disk=(-S "$SWAP" -I "$IOPS") swapvar=1 ;;
                *) disk=() swapvar=0 ;;
        esac
        start=$SECONDS
        flock /tmp/vm.lock "$SRC/tests/vm/boot.sh" -m "$MEM" "${disk[@]}" -t "$GUEST_TIMEOUT" -o "$name" \
                -e "CONTENDER=$c" -e "LOAD=$load" -e "SWAP=$swapvar" -e "REP=$rep" -e "SHORT=$short" \
                -e "TIMELINE=${BENCH_TIMELINE:-0}" "$BUILD" "$FREEZE" > "$log" 2>&1
        keep_result "$n/${#freeze_cells[@]}" "$name" "$log" $? "$start" "$FREEZE_SUMMARY"
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
echo "=== bench: pressured's decisions ==="
python3 "$SRC/tests/bench/check.py" "$OUT/results.jsonl"
case $? in
        0) ;;
        3) echo "run.sh: pressured decided wrongly in the cells above (DECISION FAILED); each guest's log is $OUT/logs/NAME.log" >&2
           status=3 ;;
        *) echo "run.sh: the decision check could not read $OUT/results.jsonl" >&2; [ $status = 3 ] || status=1 ;;
esac
echo "bench: everything is in $OUT/ (results.md, results.jsonl, logs/)"
exit $status
