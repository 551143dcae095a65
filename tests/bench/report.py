#!/usr/bin/env python3
"""Turns the benchmark's results into tables and a plot.

Reads BENCH_DIR/results.jsonl (one BENCH_RESULT object per line, as the guests printed them) and
writes into BENCH_DIR:
  scenarios.md   one row per scenario and contender: medians and spread over the repetitions, and
                 which of the issue's targets for pressured hold
  scenarios.gp   the gnuplot script for scenarios.png (kept, so the plot can be redrawn by hand)
  scenarios.png  workload wall time / ideal and the neighbour's time to its kill, grouped by scenario
  freeze.md      the freeze benchmark: per load, swap configuration and contender, the probe's
                 stalls, the time to relief, the kills and the collateral
  freeze.gp/.png the probe's stalled time and the time to relief, per offender cell
  results.md     a header (date, host CPU, guest, the command), then scenarios.md, freeze.md and
                 cost.md if the cost part wrote one, then the cost targets read from results.jsonl,
                 then pressured's decisions (check.py)

Usage: report.py [--command CMD] [--guest TEXT] BENCH_DIR
       report.py --self-test     checks the freeze targets' verdicts against crafted cells
Exit: 0; 1 when there is nothing to report or gnuplot failed (the markdown is written first).
Python 3 standard library only.
"""
import argparse
import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check  # noqa: E402  (beside this file: pressured's decisions, the part that can fail)

NEIGHBOURS = ["runaway", "burst", "spike"]
CONTENDERS = ["kernel", "earlyoom", "systemd-oomd", "oomd", "pressured"]
# Peers that choose by cgroup: the target is to kill the neighbour sooner than each of them.
CGROUP_AWARE_PEERS = ["systemd-oomd", "oomd"]
# Each contender keeps its colour whichever others ran.
COLOURS = {"kernel": "#9e9e9e", "earlyoom": "#e69f00", "systemd-oomd": "#56b4e9", "oomd": "#009e73",
           "pressured": "#d55e00"}
RATIO_TARGET = 1.10
RSS_TARGET_KIB = 2048
CUTOFF_RATIO = 4.0  # a scenario run ends at 4x ideal: an unfinished workload plots there


def ordered(found, preferred):
    return [x for x in preferred if x in found] + sorted(x for x in found if x not in preferred)


def num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def spread(values, fmt="{:.2f}"):
    """'median [min–max]' of the numbers; '–' when there are none."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return "–"
    med = statistics.median(vals)
    text = fmt_value(med, fmt)
    if vals[0] != vals[-1]:
        text += f" [{fmt_value(vals[0], fmt)}–{fmt_value(vals[-1], fmt)}]"
    return text


def fmt_value(v, fmt):
    return "unfinished" if math.isinf(v) else fmt.format(v)


def median_or_none(values):
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


class Cell:
    """The runs of one contender in one scenario."""

    def __init__(self, runs):
        self.runs = runs
        self.n = len(runs)
        # An unfinished workload (killed, or cut off at 4x) has no ratio: it ranks above every finished one.
        self.ratios = [num(r.get("workload_ratio")) if num(r.get("workload_ratio")) is not None
                       and r.get("workload_wall_s") is not None else math.inf for r in runs]
        self.survived = sum(1 for r in runs if r.get("workload_survived") is True)
        self.nb_killed = sum(1 for r in runs if r.get("neighbour_killed") is True)
        self.kill_s = [num(r.get("neighbour_kill_s")) for r in runs if r.get("neighbour_killed") is True]
        self.collateral = [c for r in runs for c in (r.get("collateral") or [])]
        self.kernel_ooms = sum(num(r.get("kernel_oom_kills")) or 0 for r in runs)
        self.cpu = [num(r.get("daemon_cpu_s")) for r in runs]
        self.rss_mib = [num(r.get("daemon_peak_rss_kib")) / 1024 if num(r.get("daemon_peak_rss_kib")) is not None
                        else None for r in runs]

    def ratio_stats(self):
        vals = sorted(self.ratios)
        return statistics.median(vals), vals[0], vals[-1]

    def kill_stats(self):
        vals = sorted(v for v in self.kill_s if v is not None)
        return (statistics.median(vals), vals[0], vals[-1]) if vals else None

    def row(self, scenario, contender):
        killed_note = f"{self.nb_killed}/{self.n}"
        return [scenario, contender, str(self.n), spread(self.ratios),
                f"{self.survived}/{self.n}", killed_note, spread(self.kill_s, "{:.1f}"),
                str(len(self.collateral)), str(self.kernel_ooms),
                spread(self.cpu) if any(v is not None for v in self.cpu) else "–",
                spread(self.rss_mib, "{:.1f}") if any(v is not None for v in self.rss_mib) else "–"]


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def scenario_targets(cells, neighbours, contenders):
    """The issue's scenario targets for pressured, each as (holds: bool|None, text)."""
    out = []
    measured = [nb for nb in neighbours if (nb, "pressured") in cells]
    if not measured:
        return [(None, "pressured has no scenario runs: no scenario target measured")]
    missing = [nb for nb in NEIGHBOURS if nb not in measured]
    partial = f" (measured in {', '.join(measured)} only)" if missing else ""

    bad = []
    for nb in measured:
        c = cells[(nb, "pressured")]
        worst = max(c.ratios)
        if worst > RATIO_TARGET:
            bad.append(f"{nb}: worst {fmt_value(worst, '{:.3f}')}x")
        if c.survived < c.n:
            bad.append(f"{nb}: workload lost in {c.n - c.survived}/{c.n} runs")
        if c.collateral:
            bad.append(f"{nb}: collateral {', '.join(sorted(set(c.collateral)))}")
    out.append((not bad, f"workload within {RATIO_TARGET:.2f}x of ideal, never killed, no collateral kill, in every run"
                + partial + ("" if not bad else ". " + "; ".join(bad))))

    bad, unmeasured, compared = [], [], 0
    for nb in measured:
        c = cells[(nb, "pressured")]
        ours = c.kill_stats()
        if c.nb_killed < c.n or ours is None:
            bad.append(f"{nb}: pressured killed the neighbour in {c.nb_killed}/{c.n} runs")
            continue
        for peer in CGROUP_AWARE_PEERS:
            if peer not in contenders or (nb, peer) not in cells:
                unmeasured.append(f"{nb}/{peer}")
                continue
            theirs = cells[(nb, peer)].kill_stats()
            compared += 1
            if theirs is not None and theirs[0] <= ours[0]:
                bad.append(f"{nb}: {peer} {theirs[0]:.1f} s vs pressured {ours[0]:.1f} s (medians)")
    text = "neighbour killed sooner (median) than by " + " and ".join(CGROUP_AWARE_PEERS) + partial
    if unmeasured:
        text += f"; not measured against {', '.join(unmeasured)}"
    holds = False if bad else (True if compared else None)
    out.append((holds, text + ("" if not bad else ". " + "; ".join(bad))))
    return out


def cost_targets(objs):
    """The issue's cost targets, from the cost part's objects (if the run had one)."""
    cost = [o for o in objs if o.get("kind") == "cost"]
    samples = [o for o in objs if o.get("kind") == "sample-cost"]
    if not cost and not samples:
        return []
    out = []

    def cpu_of(daemon, cgroups, pressure=False):
        vals = [num(o.get("cpu_s")) for o in cost if o.get("daemon") == daemon
                and o.get("cgroups") == cgroups and bool(o.get("pressure")) == pressure]
        return median_or_none(vals)

    ours, eo = cpu_of("pressured", 1000), cpu_of("earlyoom", 0)
    if ours is None or eo is None:
        out.append((None, "idle with 1,000 cgroups, pressured's CPU below earlyoom's watching none: not measured in this run"))
    else:
        out.append((ours < eo, f"idle with 1,000 cgroups pressured used {ours:.2f} s CPU per run, earlyoom with none {eo:.2f} s"))

    rss = [num(o.get("peak_rss_kib")) for o in cost if o.get("daemon") == "pressured"]
    rss = [v for v in rss if v is not None]
    if rss:
        out.append((max(rss) < RSS_TARGET_KIB, f"pressured's peak RSS {max(rss) / 1024:.1f} MiB (target under 2 MiB) "
                    f"over {len(rss)} cost runs"))

    pts = sorted((o.get("cgroups"), num(o.get("instructions_per_sample"))) for o in samples
                 if num(o.get("cgroups")) and num(o.get("instructions_per_sample")))
    if len(pts) >= 2:
        # At most linear: the instructions per cgroup must not grow from the smallest tree to the largest
        # (10% slack for the fixed per-sample work being amortised differently).
        per = [(n, ins / n) for n, ins in pts]
        grows = per[-1][1] > per[0][1] * 1.10
        out.append((not grows, "cost per sample at most linear in the number of cgroups: "
                    + ", ".join(f"{n}: {ins / 1e3:.0f}k instr ({ins / n:.0f}/cgroup)" for n, ins in pts)))
    else:
        out.append((None, "cost per sample against the number of cgroups: fewer than two tree sizes measured"))
    return out


def mark(holds):
    return {True: "holds", False: "**missed**", None: "not measured"}[holds]


def gnuplot_terminal():
    probe = subprocess.run(["gnuplot", "-e", "set terminal pngcairo"], capture_output=True, text=True)
    return "pngcairo size 1100,800 font ',10'" if probe.returncode == 0 and not probe.stderr.strip() \
        else "png size 1100,800"


def histogram_series(dat, contenders, first):
    """gnuplot's series for one panel: per contender, the median, min and max found from column `first`
    of its 6 columns in `dat`, the groups' names from column 1."""
    return ", \\\n     ".join(
        f"'{dat}' using {first + 6 * i}:{first + 1 + 6 * i}:{first + 2 + 6 * i}"
        + (":xtic(1)" if i == 0 else "") + f" title '{ct}' lc rgb '{COLOURS.get(ct, '#cc79a7')}'"
        for i, ct in enumerate(contenders))


def empty_panel(text):
    """A panel with no valid point (gnuplot refuses to plot one) says why instead: its set-up, its plot."""
    return (f"set label 1 '{text}' at graph 0.5, graph 0.5 center\nset yrange [0:1]\nunset xtics\n",
            "2 notitle\nunset label 1")


def write_histograms(bench, name, n_groups, title, panels):
    """NAME.gp, two panels of histograms with error bars, then gnuplot makes NAME.png. panels: the
    gnuplot lines of each panel, after the common set-up. Returns an error text or None."""
    gp = os.path.join(bench, f"{name}.gp")
    with open(gp, "w") as f:
        f.write(f"""# gnuplot script written by tests/bench/report.py; redraw with: cd {bench} && gnuplot {name}.gp
set terminal {gnuplot_terminal()}
set output '{name}.png'
set datafile missing 'NaN'
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set xrange [-0.5:{n_groups - 0.5}]
set key outside right top vertical
set multiplot layout 2,1 title "{title}"
""" + "".join(panels) + "unset multiplot\n")
    if shutil.which("gnuplot") is None:
        return f"gnuplot is not installed (tests/bench/install-peers.sh installs gnuplot-nox): no {name}.png"
    run = subprocess.run(["gnuplot", f"{name}.gp"], cwd=bench, capture_output=True, text=True)
    if run.returncode != 0 or not os.path.exists(os.path.join(bench, f"{name}.png")):
        return f"gnuplot failed on {gp}: {run.stderr.strip()}"
    if run.stderr.strip():
        print(f"report: gnuplot warned: {run.stderr.strip()}", file=sys.stderr)
    return None


def write_plot(bench, cells, neighbours, contenders):
    """scenarios.dat + scenarios.gp, then gnuplot makes scenarios.png. Returns an error text or None."""
    dat = os.path.join(bench, "scenarios.dat")
    with open(dat, "w") as f:
        f.write("# scenario, then per contender (" + " ".join(contenders) + "): ratio med min max, kill_s med min max\n")
        for nb in neighbours:
            cols = [nb]
            for ct in contenders:
                c = cells.get((nb, ct))
                if c is None:
                    cols += ["NaN"] * 6
                    continue
                cols += [f"{min(v, CUTOFF_RATIO):.3f}" for v in c.ratio_stats()]
                k = c.kill_stats()
                cols += [f"{v:.2f}" for v in k] if k else ["NaN"] * 3
            f.write(" ".join(cols) + "\n")

    any_kill = any(c.kill_stats() for c in cells.values())
    kill_label, kill_plot = ("", histogram_series("scenarios.dat", contenders, 5)) if any_kill \
        else empty_panel("no neighbour was killed in any run")
    return write_histograms(bench, "scenarios", len(neighbours),
                            "pressured and its peers: median of the runs, bars from min to max", [
        f"""set title "workload wall time / ideal (lower is better; {RATIO_TARGET:.2f} is the target; a workload that did not finish counts as {CUTOFF_RATIO:g})"
set ylabel "wall / ideal"
set yrange [0:{CUTOFF_RATIO + 0.3:g}]
plot {histogram_series("scenarios.dat", contenders, 2)}, \\
     {RATIO_TARGET} with lines dashtype 2 lc rgb 'black' title '{RATIO_TARGET:.2f}x'
""",
        f"""set title "neighbour start to its kill, guest seconds (lower is better; no bar = never killed)"
set ylabel "seconds"
set yrange [0:*]
{kill_label}plot {kill_plot}
"""])


OFFENDERS = ["leaker", "thrasher", "respawn"]
BUSY = ["build", "spike", "copy"]


def secs(ms_values):
    return [v / 1e3 if v is not None else None for v in ms_values]


class FreezeCell:
    """The runs of one contender on one load in one swap configuration."""

    def __init__(self, runs):
        self.runs = runs
        self.n = len(runs)
        self.worst_s = secs([num(r.get("probe_worst_ms")) for r in runs])
        self.stalled_s = secs([num(r.get("probe_stalled_ms")) for r in runs])
        self.after_s = secs([num(r.get("probe_stalled_after_relief_ms")) for r in runs])
        self.relieved = sum(1 for r in runs if r.get("relieved"))
        self.relief_s = [num(r.get("relief_s")) for r in runs if r.get("relieved")]
        self.completed = sum(1 for r in runs if r.get("load_completed"))
        self.kills = sum(num(r.get("contender_kills")) or 0 for r in runs)
        self.kernel = sum(num(r.get("kernel_oom_kills")) or 0 for r in runs)
        self.collateral = [c for r in runs for c in (r.get("collateral") or [])]
        self.cpu = [num(r.get("daemon_cpu_s")) for r in runs]
        self.cell_s = [num(r.get("cell_s")) for r in runs]

    def stats(self, values):
        vals = sorted(v for v in values if v is not None)
        return (statistics.median(vals), vals[0], vals[-1]) if vals else None


def freeze_report(bench, objs):
    """freeze.md (and freeze.png): returns (markdown lines, error text or None)."""
    fr = [o for o in objs if o.get("kind") == "freeze"]
    if not fr:
        return [], None
    groups = {}
    for o in fr:
        groups.setdefault((str(o.get("load")), "swap" if o.get("swap") else "noswap", str(o.get("contender"))), []).append(o)
    cells = {k: FreezeCell(v) for k, v in groups.items()}
    loads = ordered({k[0] for k in cells}, OFFENDERS + BUSY)
    contenders = ordered({k[2] for k in cells}, CONTENDERS)
    keys = [(ld, sw, ct) for ld in loads for sw in ("swap", "noswap") for ct in contenders if (ld, sw, ct) in cells]
    cpu = lambda c: spread(c.cpu) if any(v is not None for v in c.cpu) else "–"
    md = ["## Freeze: the whole machine, no memory limit", "",
          "A 1 GiB guest without any cgroup memory limit, with a 1 GiB swap disk throttled to 2,000 IOPS (swap) or "
          "none (noswap). An interactive probe (a service, 64 MiB, wakes every 100 ms and touches an eighth of it) "
          "measures the machine's stalls: its worst wake's lateness and the sum of the lateness of every wake more than "
          "50 ms late, from before the load starts to the cell's end. The load runs in root's user manager "
          "(`user@0.service/app.slice`), where Debian's systemd-oomd defaults apply; each contender runs with its "
          "packaged defaults (pressured: no policy file). **Relief**: the offender's cgroup is empty, counted from the "
          "offender's start; an offender cell ends 10 s after relief or at 180 s (guest clock). Kills: by the "
          "contender (its own log), by the kernel (`oom_kill` in /proc/vmstat). Collateral: anything but the load "
          "killed, the probe included. Median [min–max] over the runs.", ""]
    off = [k for k in keys if k[0] in OFFENDERS or cells[k].runs[0].get("load_kind") == "offender"]
    busy = [k for k in keys if k not in off]
    if off:
        md += ["### Offenders", "", table(
            ["offender", "swap", "contender", "runs", "probe worst stall (s)", "probe stalled (s)",
             "stalled after relief (s)", "relieved", "relief after (s)", "contender kills", "kernel OOM kills",
             "collateral", "daemon CPU (s)"],
            [[ld, sw, ct, str(c.n), spread(c.worst_s, "{:.1f}"), spread(c.stalled_s, "{:.1f}"),
              spread(c.after_s, "{:.1f}"), f"{c.relieved}/{c.n}", spread(c.relief_s, "{:.1f}"), str(c.kills),
              str(c.kernel), ", ".join(sorted(set(c.collateral))) or "0", cpu(c)]
             for (ld, sw, ct) in off for c in [cells[(ld, sw, ct)]]]), ""]
    if busy:
        md += ["### Busy but healthy (no kill is the right answer)", "", table(
            ["load", "swap", "contender", "runs", "load finished", "probe worst stall (s)", "probe stalled (s)",
             "contender kills", "kernel OOM kills", "collateral", "daemon CPU (s)"],
            [[ld, sw, ct, str(c.n), f"{c.completed}/{c.n}", spread(c.worst_s, "{:.1f}"), spread(c.stalled_s, "{:.1f}"),
              str(c.kills), str(c.kernel), ", ".join(sorted(set(c.collateral))) or "0", cpu(c)]
             for (ld, sw, ct) in busy for c in [cells[(ld, sw, ct)]]]), ""]
    md += ["### Targets for pressured (freeze)", ""]
    md += [f"- {mark(h)}: {t}" for h, t in freeze_targets(cells, off, busy)] + [""]
    err = None
    if off:
        err = write_freeze_plot(bench, cells, off, contenders)
        md += ["![the probe's stalled time and the time to relief per offender cell](freeze.png)", ""]
    return md, err


# A worst stall below one wake period of the probe (100 ms) is no stall: the target of a third of the
# best peer's is not asked below it (a third of 0.05 s is noise).
STALL_FLOOR_S = 0.1


def freeze_targets(cells, off, busy):
    """The issue's freeze targets for pressured, each as (holds: bool|None, text)."""
    out = []
    groups = ordered({(ld, sw) for ld, sw, _ in off}, [(ld, sw) for ld in OFFENDERS for sw in ("swap", "noswap")])
    ours_groups = [g for g in groups if (g[0], g[1], "pressured") in cells]
    if not ours_groups:
        out.append((None, "pressured has no offender cell in this run: no offender target measured"))
    sooner_bad, stall_bad, bound_bad, compared = [], [], [], 0
    for ld, sw in ours_groups:
        ours = cells[(ld, sw, "pressured")]
        peers = {ct: c for (l2, s2, ct), c in cells.items() if (l2, s2) == (ld, sw) and ct != "pressured"}
        mine = ours.stats(ours.relief_s) if ours.relieved == ours.n else None
        for ct, c in sorted(peers.items()):
            theirs = c.stats(c.relief_s) if c.relieved else None
            compared += 1
            if mine is None:
                sooner_bad.append(f"{ld}/{sw}: pressured relieved {ours.relieved}/{ours.n} runs")
                break
            if theirs is not None and theirs[0] <= mine[0]:
                sooner_bad.append(f"{ld}/{sw}: {ct} {theirs[0]:.1f} s vs pressured {mine[0]:.1f} s")
        worst = ours.stats(ours.worst_s)
        peer_worst = [(c.stats(c.worst_s)[0], ct) for ct, c in peers.items() if c.stats(c.worst_s)]
        if worst and peer_worst:
            best, who = min(peer_worst)
            if worst[0] >= STALL_FLOOR_S and worst[0] > best / 3:
                stall_bad.append(f"{ld}/{sw}: pressured {worst[0]:.1f} s, best peer {who} {best:.1f} s "
                                 f"(a third: {best / 3:.1f} s)")
        per_run = [num(r.get("contender_kills")) or 0 for r in ours.runs]
        if max(per_run) > 3 or ours.collateral or ours.kernel:
            bound_bad.append(f"{ld}/{sw}: up to {max(per_run)} kills in a run, collateral "
                             f"{', '.join(sorted(set(ours.collateral))) or '0'}, {ours.kernel} kernel OOM kills")
    if ours_groups:
        holds = False if sooner_bad else (True if compared else None)
        out.append((holds, "offender relieved sooner (median) than by every peer in every offender cell (a peer "
                    "that never relieved it counts as slower)" + ("" if compared else ": no peer ran beside it")
                    + ("" if not sooner_bad else ". " + "; ".join(sooner_bad))))
        holds = False if stall_bad else (True if compared else None)
        out.append((holds, "probe's worst stall (median) at most a third of the best peer's, in every offender cell "
                    f"(a stall under {STALL_FLOOR_S:g} s counts as none)"
                    + ("" if not stall_bad else ". " + "; ".join(stall_bad))))
        out.append((not bound_bad, "at most 3 kills per offender, no collateral, no kernel OOM kill"
                    + ("" if not bound_bad else ". " + "; ".join(bound_bad))))
    ours_busy = [k for k in busy if k[2] == "pressured"]
    if ours_busy:
        bad = [f"{ld}/{sw}: {cells[(ld, sw, ct)].kills} kills" for ld, sw, ct in ours_busy if cells[(ld, sw, ct)].kills]
        out.append((not bad, "no kill by pressured under a busy but healthy load"
                    + ("" if not bad else ". " + "; ".join(bad))))
    else:
        out.append((None, "no busy-but-healthy cell for pressured in this run"))
    return out


def write_freeze_plot(bench, cells, keys, contenders):
    """freeze.dat + freeze.gp, then gnuplot makes freeze.png. Returns an error text or None."""
    groups = ordered({(k[0], k[1]) for k in keys}, [(ld, sw) for ld in OFFENDERS for sw in ("swap", "noswap")])
    with open(os.path.join(bench, "freeze.dat"), "w") as f:
        f.write("# offender/swap, then per contender (" + " ".join(contenders) + "): stalled_s med min max, relief_s med min max\n")
        for ld, sw in groups:
            cols = [f"{ld}/{sw}"]
            for ct in contenders:
                c = cells.get((ld, sw, ct))
                for vals in (c.stalled_s, c.relief_s) if c else ([], []):
                    st = c.stats(vals) if c else None
                    cols += [f"{v:.2f}" for v in st] if st else ["NaN"] * 3
            f.write(" ".join(cols) + "\n")

    any_relief = any(cells[k].relief_s for k in keys)
    relief_label, relief_plot = ("", histogram_series("freeze.dat", contenders, 5)) if any_relief \
        else empty_panel("no offender was relieved in any run")
    return write_histograms(bench, "freeze", len(groups),
                            "freeze: the whole machine, no memory limit; median of the runs, bars from min to max", [
        f"""set title "the probe's stalled time: sum of its wakes' lateness over 50 ms, guest seconds (lower is better)"
set ylabel "seconds"
set yrange [0:*]
plot {histogram_series("freeze.dat", contenders, 2)}
""",
        f"""set title "offender start to relief (its cgroup empty), guest seconds (lower is better; no bar = not relieved in 180 s)"
set ylabel "seconds"
set yrange [0:*]
{relief_label}plot {relief_plot}
"""])


def host_cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip() + f", {os.cpu_count()} CPUs"
    except OSError:
        pass
    return platform.processor() or "unknown"


def self_test():
    """freeze_targets() against crafted cells: each case names the verdicts it must give."""
    def run(ct, load, swap, worst, relief, kills=1, collateral=(), kernel=0, kind="offender"):
        return {"kind": "freeze", "contender": ct, "load": load, "load_kind": kind, "swap": swap,
                "probe_worst_ms": worst * 1e3, "probe_stalled_ms": worst * 1e3, "relieved": relief is not None,
                "relief_s": relief, "contender_kills": kills, "kernel_oom_kills": kernel,
                "collateral": list(collateral), "load_completed": kind == "busy"}

    def verdicts(runs):
        groups = {}
        for r in runs:
            groups.setdefault((r["load"], "swap" if r["swap"] else "noswap", r["contender"]), []).append(r)
        cells = {k: FreezeCell(v) for k, v in groups.items()}
        off = [k for k in cells if cells[k].runs[0]["load_kind"] == "offender"]
        return [h for h, _ in freeze_targets(cells, off, [k for k in cells if k not in off])]

    peers = [run("oomd", "respawn", True, 28.8, 56.9), run("kernel", "respawn", True, 42.0, None, 0)]
    busy_ok = [run("pressured", "spike", True, 0.0, None, 0, kind="busy")]
    cases = [
        ("pressured first, a third of the stall", peers + [run("pressured", "respawn", True, 9.0, 15.0, 2)] + busy_ok,
         [True, True, True, True]),
        ("relieved later than a peer", peers + [run("pressured", "respawn", True, 9.0, 60.0, 2)] + busy_ok,
         [False, True, True, True]),
        ("stall over a third of the best peer's", peers + [run("pressured", "respawn", True, 10.4, 15.0, 2)] + busy_ok,
         [True, False, True, True]),
        ("not relieved", peers + [run("pressured", "respawn", True, 5.0, None, 3)] + busy_ok, [False, True, True, True]),
        ("four kills", peers + [run("pressured", "respawn", True, 5.0, 15.0, 4)] + busy_ok, [True, True, False, True]),
        ("collateral", peers + [run("pressured", "respawn", True, 5.0, 15.0, 1, ["probe"])] + busy_ok,
         [True, True, False, True]),
        ("a kill under a busy load", peers + [run("pressured", "respawn", True, 5.0, 15.0, 1),
                                              run("pressured", "build", True, 0.0, None, 1, kind="busy")],
         [True, True, True, False]),
        ("stalls under the floor are none", [run("oomd", "leaker", False, 0.02, 30.0),
                                             run("pressured", "leaker", False, 0.05, 20.0)] + busy_ok,
         [True, True, True, True]),
        ("no peer beside it", [run("pressured", "leaker", False, 0.05, 20.0)] + busy_ok, [None, None, True, True]),
    ]
    bad = 0
    for name, runs, want in cases:
        got = verdicts(runs)
        if got != want:
            bad += 1
            print(f"report self-test: {name}: verdicts {got}, expected {want}", file=sys.stderr)
    print(f"report self-test: {len(cases) - bad}/{len(cases)} cases right" if not bad else "report self-test: FAILED")
    return 1 if bad else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    ap = argparse.ArgumentParser(description="Writes the benchmark's tables and plot from results.jsonl.")
    ap.add_argument("bench_dir", help="the folder with results.jsonl (BUILD/bench)")
    ap.add_argument("--command", default="", help="the command that produced the results, for results.md")
    ap.add_argument("--guest", default="", help="the guest's configuration, for results.md")
    args = ap.parse_args()
    bench = os.path.abspath(args.bench_dir)
    src = os.path.join(bench, "results.jsonl")
    if not os.path.exists(src):
        print(f"report: no {src}: run tests/bench/run.sh first", file=sys.stderr)
        return 1
    objs = check.load(src)  # the same reading as the check's
    scen = [o for o in objs if o.get("kind") == "scenario"]
    status = 0

    groups = {}
    for o in scen:
        groups.setdefault((str(o.get("neighbour")), str(o.get("contender"))), []).append(o)
    cells = {k: Cell(v) for k, v in groups.items()}
    neighbours = ordered({k[0] for k in cells}, NEIGHBOURS)
    contenders = ordered({k[1] for k in cells}, CONTENDERS)

    header = ["scenario", "contender", "runs", "wall / ideal", "workload survived", "neighbour killed",
              "neighbour killed after (s)", "collateral kills", "kernel OOM kills", "daemon CPU (s)",
              "daemon peak RSS (MiB)"]
    rows = [cells[(nb, ct)].row(nb, ct) for nb in neighbours for ct in contenders if (nb, ct) in cells]
    md = ["## Scenarios", ""]
    if not rows:
        md.append("No scenario results in results.jsonl.")
        if not any(o.get("kind") in ("freeze", "cost") for o in objs):
            status = 1
    else:
        kernels = sorted({str(o.get("guest_kernel")) for o in scen if o.get("guest_kernel")})
        ideals = sorted({num(o.get("ideal_s")) for o in scen if num(o.get("ideal_s"))})
        md += ["A workload with a known ideal wall time"
               + (f" ({', '.join(f'{i:g}' for i in ideals)} s)" if ideals else "")
               + " and one misbehaving neighbour share `bench.slice` (`MemoryMax=600M`); each run is a fresh guest"
               + (f" (kernel {', '.join(kernels)})" if kernels else "")
               + ". Values are the median [min–max] over the runs; times are on the guest's clock. "
               "The contenders share their thresholds where they have them: `bench.slice` full memory pressure "
               "(avg10) above 20% for 5 s with reclaim activity, candidates its children; earlyoom runs with its "
               "defaults (`-m 10 -s 10`) and does not know cgroups; `kernel` is the kernel alone.", "",
               table(header, rows), ""]
        coll = [f"- {nb} / {ct}: " + ", ".join(f"{u} ×{cells[(nb, ct)].collateral.count(u)}"
                                                for u in sorted(set(cells[(nb, ct)].collateral)))
                for nb in neighbours for ct in contenders
                if (nb, ct) in cells and cells[(nb, ct)].collateral]
        if coll:
            md += ["Collateral kills (units other than the neighbour that were killed):", ""] + coll + [""]
        failed = os.path.join(bench, "failed-cells.txt")
        if os.path.exists(failed):
            with open(failed) as f:
                lost = [line.split()[0] for line in f if line.strip()]
            if lost:
                md += [f"Runs that gave no result (a guest that failed or timed out; see logs/NAME.log): {', '.join(lost)}", ""]
        md += ["### Targets for pressured (scenarios)", ""]
        md += [f"- {mark(h)}: {t}" for h, t in scenario_targets(cells, neighbours, contenders)]
        md += ["", "![scenarios](scenarios.png)", ""]
    with open(os.path.join(bench, "scenarios.md"), "w") as f:
        f.write("\n".join(md))

    if rows:
        err = write_plot(bench, cells, neighbours, contenders)
        if err:
            print(f"report: {err}", file=sys.stderr)
            status = 1

    freeze_md, err = freeze_report(bench, objs)
    if err:
        print(f"report: {err}", file=sys.stderr)
        status = 1
    if freeze_md:
        with open(os.path.join(bench, "freeze.md"), "w") as f:
            f.write("\n".join(freeze_md) + "\n")

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    res = ["# pressured against its peers", "",
           f"- date: {now}",
           f"- host: {host_cpu()}, {platform.system()} {platform.release()}"]
    if args.guest:
        res.append(f"- guest: {args.guest}")
    if args.command:
        res.append(f"- command: `{args.command}`")
    res.append(f"- raw results: results.jsonl ({len(objs)} objects)")
    res += ["", "\n".join(md)]
    if freeze_md:
        res += ["", "\n".join(freeze_md)]
    cost_md = os.path.join(bench, "cost.md")
    if os.path.exists(cost_md):
        with open(cost_md) as f:
            res += ["", f.read().rstrip("\n"), ""]
    ct = cost_targets(objs)
    if ct:
        res += ["### Targets for pressured (cost)", ""] + [f"- {mark(h)}: {t}" for h, t in ct] + [""]
    decisions, _ = check.check(objs)
    res += ["### pressured's decisions (tests/bench/check.py: what makes the benchmark fail)", ""]
    res += [f"- {d}" for d in decisions] if decisions else ["- every pressured cell decided right"]
    res += [""]
    with open(os.path.join(bench, "results.md"), "w") as f:
        f.write("\n".join(res) + "\n")
    print(f"report: wrote {bench}/results.md, scenarios.md" + (", scenarios.png" if rows and status == 0 else "")
          + (", freeze.md, freeze.png" if freeze_md else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
