# vm: -t 240
# "granularity": "process": a scope with a big and a small process loses only the big one.
. /vmlab-src/lib.sh
start_pressured '{"interval": "500ms", "fast_interval": "100ms",
 "rulesets": [{"name": "scope-too-big",
   "detectors": [[{"type": "memory_above", "cgroup": "/test.slice/*.scope", "threshold": "150M"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "granularity": "process", "post_action_delay": "2s"}]}]}'
# The harness runs at oom_score_adj -1000, which children inherit: give the scope an ordinary one.
systemd-run --quiet --scope --unit=work --slice=test.slice bash -c \
        "echo 0 > /proc/self/oom_score_adj; $HOG 20 0 & echo \$! > /tmp/small; $HOG 200 0 & echo \$! > /tmp/big; wait" &
for _ in $(seq 100); do [ -s /tmp/big ] && break; sleep 0.1; done
small=$(cat /tmp/small 2>/dev/null) big=$(cat /tmp/big 2>/dev/null)
[ -n "$small" ] && [ -n "$big" ] || fail "the scope's processes did not start"
for _ in $(seq 600); do kill -0 "$big" 2>/dev/null || break; sleep 0.1; done
kill -0 "$big" 2>/dev/null && fail "the big process $big was not killed"
sleep 3
kill -0 "$small" 2>/dev/null || fail "the small process $small died too"
unit_active work.scope || fail "the scope is gone"
journal_field_has PRESSURED_PIDS "$big" PRESSURED_CGROUP=/test.slice/work.scope PRESSURED_SCOPE=process PRESSURED_DRY_RUN=0 || fail "kill entry: $(journal_kills)"
pass "only the big process ($big) died; the small one ($small) and the scope live"
