# vm: -t 420
# A fork storm inside the offender. storm.service runs four shell loops that fork children as fast as they
# can, without end; each child allocates 1 MiB and holds it. TasksMax=200 caps the storm (so the guest
# survives: forks past it fail and bash retries) and MemoryHigh=150M without swap makes the unit thrash, test.slice's
# pressure with it. The ruleset stops the largest of test.slice/* (method stop): the whole unit must go at once,
# however many processes it has and however fast they come, and nothing beside it.
#
# Asserts: storm.service is inactive/failed and its cgroup empty within 120 s of its start; exactly one
# kill entry and one StopUnit for it and none for anything else; no process of it is left anywhere
# (none of its children escaped the cgroup); the calm unit is the same instance; pressured is the same
# process; `oomctl status` answers and the history is intact; no kernel OOM kill.
. /vmlab-src/lib.sh
CG=/test.slice/storm.service
start_pressured "$(test_slice_policy '"method": "stop", "stop_timeout": "10s",')"
pid=$(pressured_pid)
calm_start
t_start=$(now)
systemd-run --quiet --unit=storm --slice=test.slice -p TasksMax=200 -p MemoryHigh=150M -p MemorySwapMax=0 \
        /bin/bash -c "for i in 1 2 3 4; do (while :; do $HOG 1 0 & done) & done; wait" || fail "storm.service did not start"
log "storm.service started: four loops forking children without pause, each holding 1 MiB, TasksMax=200"
peak=0 refused=0
while state=$(unit_prop storm.service ActiveState); { [ "$state" != inactive ] && [ "$state" != failed ]; } || ! cgroup_empty "$CG"; do
        n=$(unit_prop storm.service TasksCurrent)
        [ "${n:-0}" -gt "$peak" ] 2>/dev/null && peak=$n
        r=$(awk '$1 == "max" { print $2 }' "/sys/fs/cgroup$CG/pids.events" 2>/dev/null)
        [ "${r:-0}" -gt "$refused" ] && refused=$r
        over "$t_start" 120 && fail "storm.service is still $(unit_facts storm.service) with $n tasks 120 s after it started"
        sleep 0.5
done
t_gone=$(now)
t_kill=$(wait_kill_time "$CG")
[ -n "$t_kill" ] || fail "storm.service ended without a kill entry from pressured: $(unit_facts storm.service)"
for _ in $(seq 50); do [ -n "$(kill_field storm.service PRESSURED_METHOD)" ] && break; sleep 0.2; done
echo "TIMING storm start -> kill entry: $(diff_s "$t_start" "$t_kill") s, -> cgroup empty: $(diff_s "$t_start" "$t_gone") s;" \
     "up to $peak tasks seen, $refused forks refused at TasksMax; method $(kill_field storm.service PRESSURED_METHOD), $(kill_field storm.service PRESSURED_KILLED) process(es) in the entry (guest clock)"
left=$(pgrep -f "$HOG 1 0" | tr '\n' ' ')
[ -z "$left" ] || fail "processes of the storm survived: $left ($(for p in $left; do cat /proc/$p/cgroup; done | sort | uniq -c | tr '\n' ' '))"
n_stops=$(journalctl -u pressured -o cat --no-pager | grep -c "Stopping unit storm.service")
[ "$n_stops" -le 1 ] || fail "pressured issued $n_stops StopUnit calls for storm.service"
[ "$(pressured_pid)" = "$pid" ] || fail "pressured is now pid $(pressured_pid), was $pid"
sleep 3
assert_serving "after the fork storm"
assert_only_killed "$CG" 1
assert_bystanders
pass "the fork storm's unit was ended once (method $(kill_field storm.service PRESSURED_METHOD)), no process of it left, nothing else touched"
