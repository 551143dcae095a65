# vm: -t 240 -a "systemd.unified_cgroup_hierarchy=0"
# Degraded mode: with the unified hierarchy off (memory on cgroup v1), pressured says so, and still
# kills a process hog.
. /vmlab-src/lib.sh
grep -q ' /sys/fs/cgroup/memory cgroup ' /proc/mounts || fail "the guest did not boot with the v1 memory controller"
start_pressured '{"interval": "500ms", "fast_interval": "100ms",
 "rulesets": [{"name": "slice-too-big",
   "detectors": [[{"type": "memory_above", "cgroup": "/test.slice", "threshold": "150M"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice", "post_action_delay": "1s"}]}]}'
grep -q '"mode":.*"degraded"' /run/pressured/status.json || fail "not in degraded mode: $(cat /run/pressured/status.json)"
hog calm 20 0; wait_memory calm.service 20
hog hog 200 0
wait_dead hog.service 60 || fail "the hog was not killed in degraded mode"
journal_field_has PRESSURED_KILLED 1 PRESSURED_CGROUP=/test.slice/hog.service PRESSURED_SCOPE=process PRESSURED_DRY_RUN=0 || fail "kill entry: $(journal_kills)"
sleep 2
unit_active calm.service || fail "the calm unit died too"
pass "degraded mode ($(journalctl -u pressured -o cat --no-pager | grep -m1 -o 'has no memory controller[^:]*')) killed the hog process"
