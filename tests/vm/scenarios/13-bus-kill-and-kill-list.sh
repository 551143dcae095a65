# vm: -t 300
# Privileged calls over the real system bus: nobody may read the status but not kill (the bus policy
# and the daemon refuse); root kills a unit by name (its processes die, systemd sees it dead) and
# history lists it; a kill-list entry added over the bus changes which of two hogs dies next.
. /vmlab-src/lib.sh
start_pressured '{"interval": "500ms", "fast_interval": "100ms",
 "rulesets": [{"name": "slice-too-big",
   "detectors": [[{"type": "memory_above", "cgroup": "/test.slice", "threshold": "300M"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "post_action_delay": "2s"}]}]}'
wait_bus_name $BUS_NAME
bus_monitor /vmlab/bus.json

# Authorization, as an unprivileged user.
hog hog 100 0; wait_memory hog.service 100
sleep 1.5 # a full sample with the hog in it
pids=$(cat /sys/fs/cgroup/test.slice/hog.service/cgroup.procs)
as_nobody $OOMCTL status > /tmp/nobody-status.txt 2>&1 || fail "oomctl status as nobody failed ($?): $(cat /tmp/nobody-status.txt)"
grep -q '^/test.slice/hog.service ' /tmp/nobody-status.txt || fail "oomctl status as nobody does not list the hog: $(cat /tmp/nobody-status.txt)"
as_nobody $OOMCTL --bus status > /dev/null 2>&1 || fail "oomctl --bus status as nobody failed"
as_nobody $OOMCTL kill hog.service > /tmp/nobody-kill.txt 2>&1; rc=$?
echo "--- oomctl kill hog.service as nobody (exit $rc) ---"; cat /tmp/nobody-kill.txt
[ $rc = 1 ] || fail "oomctl kill as nobody exited $rc, expected 1"
grep -qi -e 'permission' -e 'denied' -e 'not allowed' /tmp/nobody-kill.txt || fail "oomctl kill as nobody gave no permission message"
as_nobody $OOMCTL --bus kill hog.service > /dev/null 2>&1; rc=$?
[ $rc = 1 ] || fail "oomctl --bus kill as nobody exited $rc, expected 1"
as_nobody busctl call $BUS_NAME $BUS_PATH $BUS_IFACE Kill ssb hog.service "" false > /tmp/busctl-kill.txt 2>&1 \
        && fail "busctl call Kill as nobody succeeded"
grep -q -e 'AccessDenied' -e 'ccess denied' /tmp/busctl-kill.txt || fail "busctl call Kill as nobody: $(cat /tmp/busctl-kill.txt)"
unit_active hog.service || fail "the hog died although only nobody asked"
log "nobody: status works, kill refused ($(head -c 160 /tmp/busctl-kill.txt))"

# Kill by unit name, as root, over the bus (the default transport).
kills0=$(bus_calls /vmlab/bus.json Kill)
$OOMCTL kill hog.service --reason "scenario 13" > /tmp/kill.txt 2>&1 || fail "oomctl kill hog.service failed ($?): $(cat /tmp/kill.txt)"
echo "--- oomctl kill hog.service ---"; cat /tmp/kill.txt
wait_dead hog.service 30 || fail "oomctl kill did not kill hog.service"
for p in $pids; do kill -0 "$p" 2>/dev/null && fail "pid $p of hog.service is still alive"; done
state=$(systemctl show -P ActiveState hog.service)
case $state in inactive|failed) ;; *) fail "systemd says hog.service is $state after the kill" ;; esac
log "hog.service is $state (Result=$(systemctl show -P Result hog.service)); pids $(echo $pids) are gone"
wait_signal /vmlab/bus.json Killed /test.slice/hog.service 10 || fail "no Killed signal for the manual kill"
# Killed(cgroup, unit, ruleset, reason, ...): the reason given on the command line is in the signal.
bus_signals /vmlab/bus.json Killed | awk -F'\t' '$2 == "/test.slice/hog.service" && index($5, "scenario 13") { ok = 1 } END { exit !ok }' \
        || fail "the Killed signal does not carry the reason: $(bus_signals /vmlab/bus.json Killed)"
[ "$(bus_calls /vmlab/bus.json Kill)" = $((kills0 + 1)) ] || fail "oomctl kill did not go over the bus (no Kill call seen)"
$OOMCTL history > /tmp/history.txt 2>&1 || fail "oomctl history failed: $(cat /tmp/history.txt)"
grep -q '/test.slice/hog.service' /tmp/history.txt || fail "oomctl history does not list the kill: $(cat /tmp/history.txt)"

# The kill list decides which of two offenders dies. Without an entry, the ranking takes a (the larger).
hog a 200 0; wait_memory a.service 200
hog b 150 0
wait_dead a.service 60 || fail "without a kill list, a.service (the larger) was not killed"
wait_signal /vmlab/bus.json Killed /test.slice/a.service 10 || fail "no Killed signal for a.service"
unit_active b.service || fail "b.service died too, without a kill list"
log "no kill list: a.service died, b.service lives"
systemctl stop b.service; systemctl reset-failed a.service b.service 2>/dev/null
sleep 2.5 # the post-action delay
# With b on the kill list (added over the bus), b dies although a is larger.
hog a 200 0; wait_memory a.service 200
$OOMCTL kill-list add /test.slice/b.service > /tmp/kl.txt 2>&1 || fail "oomctl kill-list add failed: $(cat /tmp/kl.txt)"
cat /tmp/kl.txt
$OOMCTL kill-list | grep -q '/test.slice/b.service' || fail "oomctl kill-list does not show the new entry"
bus_signals /vmlab/bus.json PolicyChanged | grep -q . || fail "no PolicyChanged signal after kill-list add"
[ "$(bus_calls /vmlab/bus.json AddKillListEntry)" = 1 ] || fail "oomctl kill-list add did not go over the bus (no AddKillListEntry call seen)"
hog b 150 0
wait_dead b.service 60 || fail "b.service, on the kill list, was not killed"
wait_signal /vmlab/bus.json Killed /test.slice/b.service 10 || fail "no Killed signal for b.service"
unit_active a.service || fail "a.service died although the kill list named b"
log "kill list [b]: b.service died, a.service lives"
echo "--- Killed signals, in order ---"
bus_signals /vmlab/bus.json Killed | cut -f2-6 | tee /tmp/killed.txt
[ "$(cut -f1 /tmp/killed.txt | tr '\n' ' ')" = "/test.slice/hog.service /test.slice/a.service /test.slice/b.service " ] \
        || fail "Killed signals in an unexpected order"
$OOMCTL history > /tmp/history.txt 2>&1 || fail "oomctl history failed: $(cat /tmp/history.txt)"
echo "--- oomctl history ---"; cat /tmp/history.txt
[ "$(grep -c '/test.slice/' /tmp/history.txt)" = 3 ] || fail "oomctl history should list 3 kills"
pass "nobody may read but not kill; kill by unit name, history, and the kill list all work over the bus"
