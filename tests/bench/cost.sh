#!/usr/bin/env bash
# The cost benchmark: what each daemon costs while it watches 10 to 10,000 cgroups, idle and with
# pressure, each cell in a fresh guest (tests/bench/vm/cost.sh), plus earlyoom watching no cgroup
# (the "cheaper than earlyoom" target) and the memory floor of a program built on libsystemd's
# sd-event and sd-bus (tests/bench/rss-floor.c, for the RSS target); then pressured's instructions per sample on fixture trees
# under callgrind (tests/bench/sample-cost.sh, on this machine); then the table and the plot.
#
# Usage: tests/bench/cost.sh [--short] [--fresh] BUILD_DIR        (as root)
#   --short   pressured, systemd-oomd and oomd at 100 cgroups, idle only, plus earlyoom; callgrind at 10 and 100
#   --fresh   start BUILD_DIR/bench/results.jsonl empty (otherwise the results are appended to it,
#             as tests/bench/run.sh, which empties it at its start, expects)
# Environment, to run part of it by hand: COST_DAEMONS="pressured oomd", COST_SIZES="100 10000",
# COST_PRESSURE="0 1", COST_EARLYOOM=0 (leave earlyoom and the floor out), COST_CALLGRIND_SIZES="10 100" ("" skips it).
# Writes BUILD_DIR/bench/: results.jsonl (appended), cost.md, cost.gp, cost.png, logs/cost-*.log.
# Exit: 0 when every cell gave a result and cost.md was written (whether or not the targets hold:
# cost.md says that); 1 when a cell or a part failed; 2 on bad arguments; 77 without root.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
short=0 fresh=0 build=""
while [ $# -gt 0 ]; do
        case $1 in
                --short) short=1 ;;
                --fresh) fresh=1 ;;
                -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
                -*) echo "cost.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
                *) build=$1 ;;
        esac
        shift
done
[ -n "$build" ] && [ -d "$build" ] || { echo "usage: cost.sh [--short] [--fresh] BUILD_DIR (a meson build folder)" >&2; exit 2; }
BUILD=$(cd "$build" && pwd)
[ "$(id -u)" = 0 ] || { echo "cost.sh: the guests need root: skipped" >&2; exit 77; }
[ -x "$BUILD/daemon/pressured" ] || { echo "cost.sh: no $BUILD/daemon/pressured: run 'ninja -C $BUILD' first" >&2; exit 1; }

# The lists come from the environment as words on purpose.
# shellcheck disable=SC2206
if [ $short = 1 ]; then
        DAEMONS=(${COST_DAEMONS:-pressured systemd-oomd oomd}) SIZES=(${COST_SIZES:-100}) PRESSURES=(${COST_PRESSURE:-0})
        CALLGRIND_SIZES=${COST_CALLGRIND_SIZES-10 100}
else
        DAEMONS=(${COST_DAEMONS:-pressured systemd-oomd oomd}) SIZES=(${COST_SIZES:-10 100 1000 10000}) PRESSURES=(${COST_PRESSURE:-0 1})
        CALLGRIND_SIZES=${COST_CALLGRIND_SIZES-10 100 1000 10000}
fi
OUT=$BUILD/bench
mkdir -p "$OUT/logs"
RESULTS=$OUT/results.jsonl
[ $fresh = 1 ] && : > "$RESULTS"
touch "$RESULTS"
status=0

# cell DAEMON N PRESSURE: one guest; its BENCH_RESULT goes to results.jsonl.
cell() {
        local d=$1 n=$2 p=$3 name="cost-$1-$2-$3" log rc res start=$SECONDS
        log=$OUT/logs/$name.log
        flock /tmp/vm.lock "$SRC/tests/vm/boot.sh" -m 1024 -t 900 -o "$name" \
                -e "DAEMON=$d" -e "CGROUPS=$n" -e "PRESSURE=$p" "$BUILD" "$SRC/tests/bench/vm/cost.sh" > "$log" 2>&1
        rc=$?
        res=$(sed -n 's/^BENCH_RESULT //p' "$log")
        if [ "$(printf '%s' "$res" | grep -c .)" = 1 ]; then
                printf '%s\n' "$res" >> "$RESULTS"
                echo "cost: $name: $(printf '%s' "$res" | python3 -c 'import json, sys; r = json.load(sys.stdin)
print("CPU %.2f s in %.0f s, peak RSS %.1f MiB" % (r["cpu_s"], r["seconds"], r["peak_rss_kib"] / 1024))') ($((SECONDS - start)) s)"
        else
                echo "cost: $name: FAILED, guest exit $rc, no BENCH_RESULT ($((SECONDS - start)) s); log: $log"
                grep -e '^vm: ' -e '^FAIL' "$log" | head -n 3 | sed 's/^/    /'
                status=1
        fi
}

echo "=== cost: ${DAEMONS[*]} x ${SIZES[*]} cgroups x pressure ${PRESSURES[*]}, plus earlyoom watching none (and the libsystemd floor); one guest each ==="
for d in "${DAEMONS[@]}"; do
        for n in "${SIZES[@]}"; do
                for p in "${PRESSURES[@]}"; do
                        cell "$d" "$n" "$p"
                done
        done
done
if [ "${COST_EARLYOOM:-1}" != 0 ]; then
        cell earlyoom 0 0
        [ $short = 1 ] || cell libsystemd-floor 0 0
fi

if [ -n "$CALLGRIND_SIZES" ]; then
        echo "=== cost: pressured's instructions per sample under callgrind ($CALLGRIND_SIZES cgroups) ==="
        if "$SRC/tests/bench/sample-cost.sh" "$BUILD" $CALLGRIND_SIZES > "$OUT/logs/sample-cost.log" 2>&1; then
                sed -n 's/^BENCH_RESULT //p' "$OUT/logs/sample-cost.log" >> "$RESULTS"
                grep '^BENCH_RESULT' "$OUT/logs/sample-cost.log"
        else
                echo "cost: sample-cost.sh failed (exit $?):"
                tail -n 5 "$OUT/logs/sample-cost.log" | sed 's/^/    /'
                status=1
        fi
fi

echo "=== cost: table and plot ==="
# From every cost object in results.jsonl: this run's (run.sh empties it at its start), or what
# several partial runs of this script appended (empty it with --fresh).
python3 - "$RESULTS" "$OUT" <<'PY' || status=1
import json, os, statistics, subprocess, sys

results, out = sys.argv[1], sys.argv[2]
objs = [json.loads(l) for l in open(results) if l.strip()]
cost = [o for o in objs if o.get("kind") == "cost"]
samples = sorted((o for o in objs if o.get("kind") == "sample-cost"), key=lambda o: o["cgroups"])
DAEMONS = ["pressured", "systemd-oomd", "oomd", "earlyoom", "libsystemd-floor"]

def median_kib(v, key):
    """The median of an integer field in MiB, or None when no object has it (an older run)."""
    xs = [o[key] for o in v if isinstance(o.get(key), int) and o[key] > 0]
    return statistics.median(xs) / 1024 if xs else None

def cell(d, n, p):
    v = [o for o in cost if o["daemon"] == d and o["cgroups"] == n and bool(o["pressure"]) == p]
    if not v:
        return None
    return {"cpu": statistics.median(o["cpu_s_per_60s"] for o in v), "hwm": median_kib(v, "peak_rss_kib"),
            "rss": median_kib(v, "smaps_rss_kib"), "pss": median_kib(v, "pss_kib"), "private": median_kib(v, "private_kib")}

md = ["## Cost: the daemon while watching N cgroups", "",
      "Each cell is a fresh guest; CPU is the daemon's utime+stime over a 60 s window after the tree was built and the daemon settled, "
      "scaled to exactly 60 s. Peak RSS is its VmHWM. RSS, PSS and private are read from the page tables (smaps_rollup) at the "
      "end of the window: this guest kernel (6.1) folds a thread's RSS counters, the source of VmRSS and VmHWM, into the "
      "process's only every 64 page faults, so a daemon that seldom faults shows less VmHWM than it maps. PSS shares each "
      "page among the processes that map it; private is what no other process maps. Pressure: one hog under memory.high "
      "in one watched cgroup (exempt from kills). libsystemd-floor is no daemon: tests/bench/rss-floor.c sets up sd-event "
      "and sd-bus and waits, the least memory a program built on them takes.", "",
      "| daemon | cgroups | CPU s / 60 s idle | CPU s / 60 s pressure | peak RSS MiB idle | peak RSS MiB pressure "
      "| RSS MiB idle | PSS MiB idle | private MiB idle |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
sizes = sorted({o["cgroups"] for o in cost})
for d in DAEMONS:
    for n in sizes:
        idle, pres = cell(d, n, False), cell(d, n, True)
        if idle is None and pres is None:
            continue
        def f(c, key, fmt):
            return "-" if c is None or c[key] is None else fmt % c[key]
        md.append(f"| {d} | {n:,} | {f(idle, 'cpu', '%.2f')} | {f(pres, 'cpu', '%.2f')} | {f(idle, 'hwm', '%.1f')} "
                  f"| {f(pres, 'hwm', '%.1f')} | {f(idle, 'rss', '%.1f')} | {f(idle, 'pss', '%.1f')} | {f(idle, 'private', '%.2f')} |")
md.append("")
if samples:
    md += ["### pressured: instructions per sample (callgrind, fixture trees on the host)", "",
           "| cgroups watched | samples | instructions per sample | per cgroup |", "|---:|---:|---:|---:|"]
    md += [f"| {o['cgroups']:,} | {o['samples']} | {o['instructions_per_sample']:,.0f} | {o['instructions_per_sample_per_cgroup']:,.0f} |" for o in samples]
    md.append("")

targets = []
ours, eo = cell("pressured", 1000, False), cell("earlyoom", 0, False)
if ours and eo:
    targets.append(("holds" if ours["cpu"] < eo["cpu"] else "**missed**",
                    f"idle with 1,000 cgroups pressured used {ours['cpu']:.2f} s CPU per 60 s; earlyoom watching none {eo['cpu']:.2f} s"))
else:
    targets.append(("not measured", "idle with 1,000 cgroups, pressured's CPU below earlyoom's watching none (needs both cells)"))
rss = [max(o["peak_rss_kib"], o.get("smaps_rss_kib") or 0) for o in cost if o["daemon"] == "pressured"]
if rss:
    fl = cell("libsystemd-floor", 0, False)
    ref = [f"{name} {c['rss']:.2f} MiB" for name, c in (("earlyoom", eo), ("a program that only sets up sd-event and sd-bus", fl))
           if c and c["rss"] is not None]
    targets.append(("holds" if max(rss) < 2048 else "**missed**",
                    f"pressured's RSS stays under 2 MiB: at most {max(rss) / 1024:.2f} MiB (the larger of VmHWM and the page "
                    f"tables' RSS) over {len(rss)} cells" + (f"; in the same run, page tables' RSS: {', '.join(ref)}" if ref else "")))
if len(samples) >= 2:
    first, last = samples[0], samples[-1]
    ok = last["instructions_per_sample_per_cgroup"] <= first["instructions_per_sample_per_cgroup"] * 1.10
    targets.append(("holds" if ok else "**missed**",
                    "cost per sample grows at most linearly: instructions per sample per cgroup "
                    + ", ".join(f"{o['cgroups']:,}: {o['instructions_per_sample_per_cgroup']:,.0f}" for o in samples)))
    opened = [o["unwatched_files_opened"] for o in samples if isinstance(o.get("unwatched_files_opened"), int)]
    if opened:
        targets.append(("holds" if not any(opened) else "**missed**",
                        "nothing is read for cgroups no rule needs: beside the N watched cgroups each fixture tree holds N "
                        f"unwatched ones (/other.slice/*); pressured opened {sum(opened)} files in them (strace, {len(opened)} tree sizes)"))
    else:
        targets.append(("not measured", "nothing is read for cgroups no rule needs (strace was not available)"))
else:
    targets.append(("not measured", "cost per sample against the number of cgroups (needs two tree sizes)"))
md += ["### Cost targets for pressured", ""] + [f"- {h}: {t}" for h, t in targets] + [""]
open(os.path.join(out, "cost.md"), "w").write("\n".join(md))
print("\n".join(md))

# The plot: CPU per 60 s against N (log x) per daemon and pressure; beside it instructions per sample.
# One data file per series: gnuplot's "index" miscounts empty blocks.
plots = []
for d in DAEMONS[:3]:
    for p in (False, True):
        pts = [(n, cell(d, n, p)) for n in sizes if n > 0 and cell(d, n, p)]
        if not pts:
            continue
        dat = os.path.join(out, f"cost-{d}-{'pressure' if p else 'idle'}.dat")
        with open(dat, "w") as f:
            f.writelines(f"{n} {c['cpu']:.4f} {c['hwm'] or 0:.3f}\n" for n, c in pts)
        color = {"pressured": "#1b9e77", "systemd-oomd": "#7570b3", "oomd": "#d95f02"}[d]
        plots.append(f"'{dat}' using 1:2 with linespoints lw 2 dt {2 if p else 1} lc rgb '{color}' "
                     f"title '{d}, {'pressure' if p else 'idle'}'")
eoc = cell("earlyoom", 0, False)
if eoc:
    plots.append(f"{eoc['cpu']:.4f} with lines lw 1 dt 3 lc rgb '#666666' title 'earlyoom, no cgroups (idle)'")
sdat = os.path.join(out, "cost-samples.dat")
with open(sdat, "w") as f:
    f.writelines(f"{o['cgroups']} {o['instructions_per_sample']:.0f}\n" for o in samples)
gp = f"""set terminal pngcairo size 1200,500 font ',10'
set output '{os.path.join(out, "cost.png")}'
set multiplot layout 1,2
set logscale x
set xrange [5:20000]
set xlabel 'cgroups watched'
set ylabel 'CPU seconds per 60 s (guest, TCG)'
set title 'Daemon CPU while watching N cgroups'
set key top left
set grid
plot {', '.join(plots) if plots else "NaN notitle"}
set title 'pressured: instructions per sample (callgrind)'
set ylabel 'instructions per sample'
set logscale y
plot {f"'{sdat}' using 1:2 with linespoints lw 2 lc rgb '#1b9e77' title 'pressured'" if samples else "NaN notitle"}
unset multiplot
"""
open(os.path.join(out, "cost.gp"), "w").write(gp)
r = subprocess.run(["gnuplot", os.path.join(out, "cost.gp")], capture_output=True, text=True)
if r.returncode != 0:
    print("cost: gnuplot failed: " + r.stderr.strip(), file=sys.stderr)
    sys.exit(1)
print(f"cost: wrote {out}/cost.md and {out}/cost.png")
PY
exit $status
