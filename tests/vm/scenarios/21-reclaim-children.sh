# vm: -t 240 -S 512
# memory_reclaim over every child of a slice ("/test.slice/*") reads the slice's memory.stat alone:
# cgroup v2 counts reclaim up the tree, so the slice's pgscan moves when a child's does. A hog under
# MemoryHigh in one child reclaims; the ruleset (pressure in a child AND reclaim among the children)
# kills it, and the reason names the slice as where reclaim was seen. The calm unit lives.
. /vmlab-src/lib.sh
start_pressured '{"interval": "1s", "fast_interval": "250ms",
 "rulesets": [{"name": "children-reclaim",
   "detectors": [[{"type": "pressure_above", "cgroup": "/test.slice/*", "kind": "full", "window": "avg10",
                   "threshold": 10, "duration": "2s"},
                  {"type": "memory_reclaim", "cgroup": "/test.slice/*", "duration": "10s"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "ranker": "size_or_growth", "post_action_delay": "15s"}]}]}'
oom0=$(kernel_oom_kills)
hog calm 20 0
wait_memory calm.service 20
scan0=$(awk '$1 == "pgscan" { print $2 }' /sys/fs/cgroup/test.slice/memory.stat)
hog hog 400 0 -p MemoryHigh=150M # it swaps (a swap disk, no MemorySwapMax): anon reclaim is scanned
log "hog started; test.slice pgscan $scan0"
wait_dead hog.service 120 || fail "the hog is still alive 120 s after it started"
scan1=$(awk '$1 == "pgscan" { print $2 }' /sys/fs/cgroup/test.slice/memory.stat)
log "test.slice pgscan $scan0 -> $scan1 (the hog's reclaim, counted at the slice)"
[ "$scan1" -gt "$scan0" ] || fail "test.slice's pgscan did not move while its child reclaimed ($scan0 -> $scan1)"
journal_field_has PRESSURED_CGROUP /test.slice/hog.service || fail "no kill of the hog by pressured: $(journal_kills)"
history_lines | grep '"cgroup":"/test.slice/hog.service"' | grep -q 'reclaim active on /test.slice within 10s' \
        || fail "the kill's reason does not name the slice as where reclaim was seen: $(history_lines)"
unit_active calm.service || fail "the well-behaved unit died too"
[ "$(kernel_oom_kills)" = "$oom0" ] || fail "the kernel OOM killer fired ($(kernel_oom_kills) kills)"
pass "reclaim among the children, read at the slice, let pressured kill the hog; the calm unit lives"
