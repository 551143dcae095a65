#!/usr/bin/env python3
"""Reads a freeze guest's log written with BENCH_TIMELINE=1 and prints what the machine went through,
one row per STEP seconds from the load's start: memory some/full stall (% of the step), swap-ins and
swap-outs, refaults (pages/s), pages scanned, MemAvailable and SwapFree (MiB); the probe's stalls
(when each began and how long) and the contender's journal lines in between, at their times.

Usage: timeline.py [--step S] LOG       (LOG: BUILD/bench/logs/bench-freeze-...log; S default 1)
       timeline.py --self-test          reads a crafted log and checks the rates and the marks
Exit: 0; 1 when the log has no TIMELINE rows (the cell ran without BENCH_TIMELINE=1) or the
self-test failed.
Python 3 standard library only.
"""
import argparse
import os
import re
import sys


SELF_TEST_LOG = """TIMELINE # load started at 100.0, relief at 102.6
TIMELINE # t_s some_us full_us pswpin pswpout refault_anon refault_file pgscan memavail_kib swapfree_kib (every 250 ms)
TIMELINE 100.0 0 0 0 0 0 0 0 1048576 1048576
TIMELINE 101.0 500000 250000 2000 4000 100 50 9000 0 1040000
TIMELINE 102.0 1400000 1150000 2000 5000 100 50 9000 0 1030000
TIMELINE 103.0 1400000 1150000 2000 5000 100 50 9000 747520 1030000
PROBE_STALL 100.9 2500.0
PROBE_STALL 101.5 30.0
CONTENDER [  102.40] vm pressured[1]: Killed process 5 (hog)
"""


def self_test():
    import contextlib
    import io
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
        f.write(SELF_TEST_LOG)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        sys.argv = ["timeline.py", f.name]
        rc = main()
    os.unlink(f.name)
    lines = out.getvalue().splitlines()
    want = [
        lambda ls: rc == 0,
        lambda ls: any(l.split()[:3] == ["1.0", "50.0", "25.0"] and l.split()[3:5] == ["2000", "4000"] for l in ls),
        lambda ls: any(l.split()[:3] == ["2.0", "90.0", "90.0"] for l in ls),
        lambda ls: any(l.split()[0] == "3.0" and l.split()[-2:] == ["730", "1006"] for l in ls),
        lambda ls: any("0.9" in l and "probe stalled 2.5 s" in l for l in ls),
        lambda ls: not any("probe stalled 0.0 s" in l for l in ls),
        lambda ls: any("2.4" in l and "Killed process 5" in l for l in ls),
        lambda ls: any("2.6" in l and "relief" in l for l in ls),
    ]
    bad = [i for i, w in enumerate(want) if not w(lines)]
    if bad:
        print("timeline self-test: checks " + ", ".join(map(str, bad)) + " failed on:\n" + out.getvalue(), file=sys.stderr)
        return 1
    print(f"timeline self-test: {len(want)}/{len(want)} checks right")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    ap = argparse.ArgumentParser(description="What a freeze cell's guest went through, from its log.")
    ap.add_argument("log")
    ap.add_argument("--step", type=float, default=1.0, help="seconds per row (default 1)")
    args = ap.parse_args()
    rows, stalls, events, start, relief = [], [], [], None, None
    with open(args.log, errors="replace") as f:
        for line in f:
            if line.startswith("TIMELINE # load started at "):
                m = re.match(r"TIMELINE # load started at ([\d.]+)(?:, relief at ([\d.]+))?", line)
                start, relief = float(m.group(1)), float(m.group(2)) if m.group(2) else None
            elif line.startswith("TIMELINE ") and not line.startswith("TIMELINE #"):
                rows.append([float(v) for v in line.split()[1:]])
            elif line.startswith("PROBE_STALL "):
                t, ms = line.split()[1:3]
                stalls.append((float(t), float(ms)))
            elif line.startswith("CONTENDER ["):
                m = re.match(r"CONTENDER \[\s*([\d.]+)\] \S+ (.*)", line.rstrip())
                if m:
                    events.append((float(m.group(1)), m.group(2)))
    if not rows:
        print(f"timeline: no TIMELINE rows in {args.log}: run the cell with BENCH_TIMELINE=1", file=sys.stderr)
        return 1
    t0 = start if start is not None else rows[0][0]
    marks = sorted([(t, f"probe stalled {ms / 1e3:.1f} s from here") for t, ms in stalls if ms >= 500]
                   + [(t, e[:160]) for t, e in events]
                   + ([(relief, "relief: the offender's cgroup is empty")] if relief else []))
    print(f"{'t(s)':>6} {'some%':>6} {'full%':>6} {'swpin/s':>8} {'swpout/s':>8} {'refault/s':>9} "
          f"{'scan/s':>8} {'avail':>6} {'swfree':>6}")
    last, mi = rows[0], 0
    for r in rows[1:]:
        if r[0] - last[0] < args.step and r is not rows[-1]:
            continue
        while mi < len(marks) and marks[mi][0] <= r[0]:
            print(f"{marks[mi][0] - t0:6.1f}   ** {marks[mi][1]}")
            mi += 1
        dt = r[0] - last[0]
        rate = lambda i: (r[i] - last[i]) / dt  # noqa: E731
        print(f"{r[0] - t0:6.1f} {rate(1) / 1e4:6.1f} {rate(2) / 1e4:6.1f} {rate(3):8.0f} {rate(4):8.0f} "
              f"{rate(5) + rate(6):9.0f} {rate(7):8.0f} {r[8] / 1024:6.0f} {r[9] / 1024:6.0f}")
        last = r
    for t, text in marks[mi:]:
        print(f"{t - t0:6.1f}   ** {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
