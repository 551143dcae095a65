#!/usr/bin/env python3
"""Counts test cases in a meson testlog.json: criterion's "Synthesis" line per executable, or the
executable's own verdict when it printed none (a crash before reporting counts as one failure).
Prints "PASSED FAILED SKIPPED"."""
import json
import re
import sys

SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")
passed = failed = skipped = 0
with open(sys.argv[1]) as f:
    for line in f:
        t = json.loads(line)
        out = (t.get("stdout") or "") + (t.get("stderr") or "")
        m = SYNTH.findall(out)
        if m:
            tested, ok, bad, crash = map(int, m[-1])
            passed += ok
            failed += bad + crash
            skipped += max(0, tested - ok - bad - crash)
            if t["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") and bad + crash == 0:
                failed += 1  # the executable failed after reporting (e.g. a sanitizer at exit)
        elif t["result"] == "OK":
            passed += 1
        elif t["result"] == "SKIP":
            skipped += 1
        else:
            failed += 1
print(passed, failed, skipped)
