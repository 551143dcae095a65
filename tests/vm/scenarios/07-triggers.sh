# vm: -t 240
# PSI triggers: armed on the system and on the watched cgroup (no polling fallback); the trigger
# wakes the daemon; the kill comes within one trigger window plus the rule's duration (plus margin)
# of the pressure crossing the limit.
. /vmlab-src/lib.sh
start_pressured '{"interval": "2s", "fast_interval": "100ms",
 "rulesets": [{"name": "test-slice-pressure",
   "detectors": [[{"type": "pressure_above", "cgroup": "/test.slice", "kind": "full", "window": "avg10",
                   "threshold": 10, "duration": "2s"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "post_action_delay": "5s"}]}]}'
journalctl -u pressured -o cat --no-pager | grep -q "falling back to polling" && fail "PSI triggers fell back to polling"
journalctl -u pressured -o cat --no-pager | grep -q 'Armed PSI trigger .* on /proc/pressure/memory' || fail "no system trigger armed"
watch_pressure test.slice 10 /tmp/crossed
hog hog 400 0 -p MemoryHigh=150M -p MemorySwapMax=0
for _ in $(seq 100); do
        journalctl -u pressured -o cat --no-pager | grep -q 'Armed PSI trigger .* on /sys/fs/cgroup/test.slice/memory.pressure' && break
        sleep 0.1
done
journalctl -u pressured -o cat --no-pager | grep -q 'Armed PSI trigger .* on /sys/fs/cgroup/test.slice/memory.pressure' \
        || fail "no trigger armed on test.slice's memory.pressure"
wait_dead hog.service 120 || fail "the hog is still alive"
t_kill=$(last_kill_time)
t_fired=$(journal_time "PSI trigger fired on /sys/fs/cgroup/test.slice/memory.pressure")
[ -n "$t_fired" ] || fail "the cgroup trigger never fired"
crossed=$(cat /tmp/crossed 2>/dev/null)
[ -n "$crossed" ] || fail "the watcher never saw full avg10 > 10%"
lat=$(diff_s "$crossed" "$t_kill")
echo "TIMING trigger fired at ${t_fired}s, full avg10 > 10% at ${crossed}s, kill at ${t_kill}s: crossing -> kill ${lat} s (limit 1 s window + 2 s duration + 3 s margin)"
[ "$(awk -v l="$lat" 'BEGIN { print (l <= 6.0) }')" = 1 ] || fail "the kill came ${lat} s after the crossing"
pass "triggers armed and fired; kill ${lat} s after the crossing"
