#!/usr/bin/env python3
"""Checks pressured's decisions in the benchmark's results: the part of the benchmark that can fail.

Peers' results are results, never failures. A pressured cell fails when:
  scenario cells  the workload was killed or did not finish, anything but the neighbour was killed
                  (collateral), or the workload's wall time was above 1.10x its ideal
  freeze, offender cells
                  anything but the offender was killed (collateral, the probe included, by anyone),
                  the offender was not relieved (its cgroup never emptied) within the cell,
                  pressured killed more than MAX_KILLS_PER_INCIDENT times for the one offender, or
                  the kernel's OOM killer had to act
  freeze, busy cells
                  pressured killed anything at all (a busy-but-healthy load must see no kill)

Usage: check.py RESULTS.jsonl      prints one "DECISION FAILED CELL: why" line per failed cell
       check.py --self-test        checks the checker against crafted result lines
Exit: 0 when every pressured cell decided right (or there was none); 3 when one did not; 1 when
the file cannot be read. Python 3 standard library only.
"""
import json
import sys

RATIO_TARGET = 1.10
MAX_KILLS_PER_INCIDENT = 3  # the daemon's own bound (max_kills_per_incident's default)
FAILED_EXIT = 3


def cell_name(r):
    """The cell's name, as run.sh names its guest and log (logs/NAME.log)."""
    if r.get("kind") == "freeze":
        return "bench-freeze-%s-%s-%s-%s" % (r.get("contender"), r.get("load"),
                                             "swap" if r.get("swap") else "noswap", r.get("rep"))
    return "bench-%s-%s-%s" % (r.get("contender"), r.get("neighbour"), r.get("rep"))


def failures(r):
    """Why this result shows pressured deciding wrongly: a list of texts, empty when it did not."""
    if r.get("contender") != "pressured":
        return []
    why = []
    kind = r.get("kind")
    collateral = r.get("collateral") or []
    if kind == "scenario":
        if not r.get("workload_survived"):
            why.append("the workload was killed or did not finish (%s)" % r.get("workload_exit", "?"))
        if collateral:
            why.append("collateral kills: " + ", ".join(collateral))
        ratio = r.get("workload_ratio")
        if isinstance(ratio, (int, float)) and ratio > RATIO_TARGET:
            why.append("the workload took %.2fx its ideal time (at most %.2fx)" % (ratio, RATIO_TARGET))
    elif kind == "freeze" and r.get("load_kind") == "offender":
        if collateral:
            why.append("collateral kills: " + ", ".join(collateral))
        if not r.get("relieved"):
            why.append("the %s was not relieved (its cgroup never emptied) in %s s" % (r.get("load"), r.get("cell_s")))
        kills = r.get("contender_kills") or 0
        if kills > MAX_KILLS_PER_INCIDENT:
            why.append("%d kills for one offender (at most %d per incident)" % (kills, MAX_KILLS_PER_INCIDENT))
        if r.get("kernel_oom_kills"):
            why.append("the kernel's OOM killer acted %d time(s) before pressured did" % r["kernel_oom_kills"])
    elif kind == "freeze" and r.get("load_kind") == "busy":
        if r.get("contender_kills"):
            why.append("pressured killed %d time(s) under a healthy %s load: %s"
                       % (r["contender_kills"], r.get("load"), ", ".join(r.get("contender_victims") or ["?"])))
    return why


def load(path):
    """The objects in results.jsonl (or BENCH_RESULT lines); a line that is not JSON is reported and skipped."""
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if line.startswith("BENCH_RESULT "):
                line = line[len("BENCH_RESULT "):]
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                print(f"check: {path}:{n}: not JSON ({e}), skipped", file=sys.stderr)
                continue
            if isinstance(obj, dict):
                out.append(obj)
    return out


def check(results):
    """(lines to print, exit status)."""
    lines = []
    for r in results:
        for why in failures(r):
            lines.append(f"DECISION FAILED {cell_name(r)}: {why}")
    return lines, FAILED_EXIT if lines else 0


def self_test():
    good_offender = {"kind": "freeze", "contender": "pressured", "load": "respawn", "load_kind": "offender",
                     "swap": True, "rep": 1, "relieved": True, "collateral": [], "contender_kills": 1}
    cases = [
        (good_offender, 0),
        (dict(good_offender, collateral=["probe"]), 1),
        (dict(good_offender, relieved=False, cell_s=180.0), 1),
        (dict(good_offender, contender="oomd", collateral=["probe"], relieved=False), 0),  # a peer: a result
        (dict(good_offender, contender_kills=4), 1),
        (dict(good_offender, kernel_oom_kills=1), 1),
        ({"kind": "freeze", "contender": "pressured", "load": "spike", "load_kind": "busy", "swap": True, "rep": 1,
          "contender_kills": 0, "collateral": []}, 0),
        ({"kind": "freeze", "contender": "pressured", "load": "spike", "load_kind": "busy", "swap": True, "rep": 1,
          "contender_kills": 1, "contender_victims": ["/user.slice/x"], "collateral": []}, 1),
        ({"kind": "scenario", "contender": "pressured", "neighbour": "spike", "rep": 1, "workload_survived": True,
          "workload_ratio": 1.0, "collateral": []}, 0),
        ({"kind": "scenario", "contender": "pressured", "neighbour": "spike", "rep": 1, "workload_survived": False,
          "workload_ratio": None, "collateral": ["workload"]}, 2),
        ({"kind": "scenario", "contender": "pressured", "neighbour": "burst", "rep": 2, "workload_survived": True,
          "workload_ratio": 1.25, "collateral": []}, 1),
        ({"kind": "cost", "daemon": "pressured"}, 0),
    ]
    bad = 0
    for r, want in cases:
        got = len(failures(r))
        if got != want:
            print(f"check self-test: {cell_name(r)} {r}: {got} failures, expected {want}", file=sys.stderr)
            bad += 1
    lines, status = check([c[0] for c in cases])
    if status != FAILED_EXIT or not any("bench-freeze-pressured-respawn-swap-1: collateral kills: probe" in l for l in lines) \
            or not any(l.startswith("DECISION FAILED bench-pressured-burst-2: the workload took 1.25x") for l in lines):
        print("check self-test: the report lines do not name the cells:\n" + "\n".join(lines), file=sys.stderr)
        bad += 1
    if check([c[0] for c in cases if len(failures(c[0])) == 0])[1] != 0:
        print("check self-test: passing cells gave a non-zero status", file=sys.stderr)
        bad += 1
    print(f"check self-test: {len(cases) - bad}/{len(cases)} cases right" if not bad else "check self-test: FAILED")
    return 1 if bad else 0


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) == 2 else 1
    if argv[1] == "--self-test":
        return self_test()
    try:
        results = load(argv[1])
    except OSError as e:
        print(f"check: cannot read {argv[1]}: {e.strerror}", file=sys.stderr)
        return 1
    lines, status = check(results)
    for line in lines:
        print(line)
    n = sum(1 for r in results if r.get("contender") == "pressured" and r.get("kind") in ("scenario", "freeze"))
    print(f"check: {n} pressured cells, {len({l.split(':')[0] for l in lines})} with a wrong decision")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
