# vm: -t 240
# oomctl on a real system: status shows the hog's cgroup, monitor sees KillPending then Killed,
# kill-list add changes which hog dies next, kill of a unit by name works, history lists both.
. /vmlab-src/lib.sh
OOMCTL=/vmlab-build/oomctl/oomctl
start_pressured '{"interval": "500ms", "fast_interval": "100ms",
 "rulesets": [{"name": "slice-too-big",
   "detectors": [[{"type": "memory_above", "cgroup": "/test.slice", "threshold": "300M"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "post_action_delay": "2s"}]}]}'
$OOMCTL monitor --json > /tmp/monitor.log 2>&1 &
hog a 200 0; wait_memory a.service 200
sleep 2 # one full sample
$OOMCTL status > /tmp/status.txt || fail "oomctl status failed: $(cat /tmp/status.txt)"
cat /tmp/status.txt
grep -q "/test.slice/a.service" /tmp/status.txt || fail "oomctl status does not list /test.slice/a.service"

# Without a kill list the ranker would take a (the largest); the kill list names b first.
$OOMCTL kill-list add /test.slice/b.service || fail "kill-list add failed"
$OOMCTL kill-list
hog b 150 0
wait_dead b.service 60 || fail "b.service, first on the kill list, was not killed"
unit_active a.service || fail "a.service died although the kill list named b"
for _ in $(seq 50); do grep -q '"event":"Killed"' /tmp/monitor.log && break; sleep 0.1; done
# The line number of the first event of a kind about b.service (fields come in any order).
event_line() { awk -v e="\"event\":\"$1\"" 'index($0, e) && index($0, "\"cgroup\":\"/test.slice/b.service\"") { print NR; exit }' /tmp/monitor.log; }
pending=$(event_line KillPending) killed=$(event_line Killed)
[ -n "$pending" ] && [ -n "$killed" ] && [ "$pending" -lt "$killed" ] || fail "monitor did not see KillPending then Killed: $(cat /tmp/monitor.log)"

$OOMCTL kill a.service --reason "scenario 11" || fail "oomctl kill a.service failed"
wait_dead a.service 30 || fail "oomctl kill did not kill a.service"
$OOMCTL history | tee /tmp/history.txt
[ "$(grep -c '/test.slice/' /tmp/history.txt)" -ge 2 ] || fail "history does not list both kills"
pass "status, monitor (KillPending then Killed), kill-list add, kill by unit name and history all work on a real system"
