# vm: -t 300
# Step 2 of the kill ladder. A hog service whose ExecStop= hangs (sleep 600) and whose
# TimeoutStopSec= is 300 s drives test.slice's memory pressure up. Its ruleset says method stop,
# stop_timeout 2s: pressured calls StopUnit, and when the unit is still there 2 s later, KillUnit +
# cgroup.kill. The unit must be gone within stop_timeout + 1 s of the StopUnit call, say why in its
# Result, carry its name in pressured's journal entry, and not be restarted (Restart=on-failure).
# post_action_delay 0 makes the ruleset fire on every sample while the stop is in flight: exactly
# one StopUnit may go out.
. /vmlab-src/lib.sh
STOP_TIMEOUT_S=2
start_pressured_service '{"interval": "1s", "fast_interval": "100ms",
 "rulesets": [{"name": "test-slice-pressure", "method": "stop", "stop_timeout": "'$STOP_TIMEOUT_S's",
   "detectors": [[{"type": "pressure_above", "cgroup": "/test.slice", "kind": "full", "window": "avg10",
                   "threshold": 10, "duration": "2s"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "ranker": "size_or_growth", "post_action_delay": "0s"}]}]}'
oom0=$(kernel_oom_kills)
slow_stop_unit stophog.service
systemctl start stophog.service || fail "stophog.service did not start"
log "stophog started"
wait_dead stophog.service 120 || fail "stophog is still active 120 s after it started: $(systemctl show -p ActiveState -p SubState stophog.service | tr '\n' ' ')"
for _ in $(seq 100); do [ -n "$(kill_field stophog.service PRESSURED_METHOD)" ] && break; sleep 0.1; done
[ -z "$(cat /sys/fs/cgroup/test.slice/stophog.service/cgroup.procs 2>/dev/null)" ] \
        || fail "stophog.service's cgroup still has processes: $(cat /sys/fs/cgroup/test.slice/stophog.service/cgroup.procs)"
n_stops=$(journalctl -u pressured -o cat --no-pager | grep -c "Stopping unit stophog.service")
[ "$n_stops" = 1 ] || fail "pressured issued $n_stops StopUnit calls for one victim; the ruleset firing again must wait for the stop in flight"
method=$(kill_field stophog.service PRESSURED_METHOD)
daemon_usec=$(kill_field stophog.service PRESSURED_STOP_USEC)
log "kill entry: $(journal_kills | grep stophog | tail -n 1)"
# Two measures of StopUnit -> gone: pressured's own (CLOCK_MONOTONIC, from just before the StopUnit
# call to the unit's cgroup.events saying empty), and PID 1's, from its journal lines "Stopping" (the
# job started) to "Stopped" (the unit dead), which share one clock and one journald delay.
t_pid1_stopping=$(journalctl -u stophog.service -o short-monotonic --no-pager | grep -m1 "Stopping stophog.service" | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
t_pid1_stopped=$(journalctl -u stophog.service -o short-monotonic --no-pager | grep -m1 "Stopped stophog.service" | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
[ -n "$t_pid1_stopping" ] && [ -n "$t_pid1_stopped" ] || fail "PID 1 did not log Stopping/Stopped for stophog.service"
pid1_s=$(diff_s "$t_pid1_stopping" "$t_pid1_stopped")
echo "TIMING StopUnit -> gone: pressured measured $((daemon_usec / 1000)) ms; PID 1's Stopping -> Stopped: $pid1_s s; stop_timeout ${STOP_TIMEOUT_S} s"
[ "$method" = stop+kill ] || fail "the kill entry says method '$method'; with ExecStop=/bin/sleep 600 it must be stop+kill"
[ "${daemon_usec:-0}" -gt 0 ] && [ "$daemon_usec" -le $(((STOP_TIMEOUT_S + 1) * 1000000)) ] \
        || fail "pressured measured $daemon_usec us from StopUnit to gone; the bound is stop_timeout + 1 s"
[ "$(awk -v a="$pid1_s" -v b="$STOP_TIMEOUT_S" 'BEGIN { print (a <= b + 1) }')" = 1 ] \
        || fail "PID 1 took $pid1_s s from Stopping to Stopped; the bound is stop_timeout + 1 s"
pgrep -f 'sleep 600' >/dev/null && fail "the hanging ExecStop (sleep 600) survived"
journal_field_has OBJECT_SYSTEMD_UNIT stophog.service -u stophog.service \
        || fail "'journalctl -u stophog.service' does not show pressured's entry (OBJECT_SYSTEMD_UNIT)"
history_lines | grep '"unit":"stophog.service"' | grep -q '"method":"stop+kill"' || fail "no history entry with unit and method: $(history_lines | tail -n 1)"
result=$(systemctl show -P Result stophog.service)
log "stophog: Result=$result ActiveState=$(systemctl show -P ActiveState stophog.service) NRestarts=$(systemctl show -P NRestarts stophog.service)"
journalctl -u stophog.service -o cat --no-pager | tail -n 8
journalctl -u stophog.service -o cat --no-pager | grep -q "systemd-oomd killed" || fail "PID 1 did not read the xattrs user.oomd_ooms/user.oomd_kill"
# oom-kill when PID 1 reads the xattrs before the SIGCHLD of ExecStop's killed process; signal when
# the SIGCHLD comes first (systemd 252 keeps the first failure). Either says it was killed.
case $result in oom-kill|signal) ;; *) fail "stophog.service has Result=$result: it does not say it was killed" ;; esac
sleep 3 # RestartSec=1 twice over
state=$(systemctl show -P ActiveState stophog.service)
[ "$state" = inactive ] || [ "$state" = failed ] || fail "stophog.service is $state 3 s later: Restart=on-failure restarted it after our stop"
[ "$(systemctl show -P NRestarts stophog.service)" = 0 ] || fail "stophog.service was restarted $(systemctl show -P NRestarts stophog.service) time(s)"
[ "$(kernel_oom_kills)" = "$oom0" ] || fail "the kernel OOM killer fired"
pass "StopUnit, then KillUnit + cgroup.kill at stop_timeout: stophog.service gone $((daemon_usec / 1000)) ms after StopUnit (PID 1: $pid1_s s; bound $((STOP_TIMEOUT_S + 1)) s), Result=$result, not restarted, one StopUnit"
