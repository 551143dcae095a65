# vm: -t 240
# Dry run: the same pressure as scenario 01 with --dry-run kills nothing; the would-be kill is logged
# and recorded as dry.
. /vmlab-src/lib.sh
start_pressured '{"interval": "1s", "fast_interval": "100ms",
 "rulesets": [{"name": "test-slice-pressure",
   "detectors": [[{"type": "pressure_above", "cgroup": "/test.slice", "kind": "full", "window": "avg10",
                   "threshold": 10, "duration": "2s"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "post_action_delay": "5s"}]}]}' --dry-run
hog hog 400 0 -p MemoryHigh=150M -p MemorySwapMax=0
# a would-be kill of the hog's whole cgroup (a unit's stop or a cgroup kill, not one process in it)
dry_hog() { journal_field_has PRESSURED_DRY_RUN 1 PRESSURED_CGROUP=/test.slice/hog.service PRESSURED_SCOPE=unit PRESSURED_SCOPE=cgroup; }
for _ in $(seq 600); do dry_hog && break; sleep 0.1; done
dry_hog || fail "no dry-run decision in 60 s: $(journal_kills)"
sleep 3
unit_active hog.service || fail "a dry run killed the hog ($(systemctl show -P Result hog.service))"
history_lines | grep -q '"dry_run":true' || fail "the history does not record the dry run: $(history_lines)"
history_lines | grep -q '"dry_run":false' && fail "the history records a real kill"
journal_field_has PRESSURED_DRY_RUN 0 && fail "a real kill was logged: $(journal_kills)"
systemctl stop hog.service
pass "dry run: logged and recorded, the hog lives"
