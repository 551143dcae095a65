# vm: -t 420
# One stop per incident, and no stale second victim. test.slice holds a calm service (30 MiB, steady,
# an ordinary candidate: nothing protects it) and, five times in a row, a hog service that thrashes
# under MemoryHigh (no swap for it) and whose ExecStop= takes 4 s, while its main process goes on
# thrashing (under the throttle the ExecStop= itself stalls, so the stop often runs into stop_timeout
# and ends stop+kill after 6 s: a slow stop either way). The ruleset is the old-style one many people have: method stop, stop_timeout 6s, full
# avg10 over 15% on /test.slice for 2 s, kill the largest of /test.slice/*, post_action_delay 3s.
#
# The numbers are chosen so that a killer that trusts the kernel's avg10, or starts its post-action
# delay at the StopUnit call, stops the calm service right after each hog: the delay (3 s) runs out
# before the stop is over (4 s of ExecStop=), and once the hog is gone full avg10 still carries its
# stall (from 40-80% it needs some 10-15 s to fall under 15%), with the calm service the only
# candidate left. A right one stops each hog once and counts only the stall that accrues after the
# hog is gone, which is none: the calm service neither allocates nor stalls.
#
# Each round: the hog is ended exactly once (one history entry, at most one stop job in PID 1's
# journal; method stop or stop+kill, or cgroup.kill when PID 1 is too slow to answer StopUnit, which a
# thrashing TCG guest can be), its cgroup is empty; then 25 s of quiet (longer than avg10 needs to
# decay) with no kill at all. Throughout, the calm service is the same instance (ActiveState,
# InvocationID, NRestarts, MainPID; its Restart=always would show a kill as a new InvocationID), and
# the kernel OOM killer never fires. Five rounds of some 40 s: about 4 minutes of guest time.
. /vmlab-src/lib.sh
ROUNDS=5 QUIET_S=25
start_pressured '{"interval": "1s", "fast_interval": "100ms",
 "rulesets": [{"name": "test-slice-pressure", "method": "stop", "stop_timeout": "6s",
   "detectors": [[{"type": "pressure_above", "cgroup": "/test.slice", "kind": "full", "window": "avg10",
                   "threshold": 15, "duration": "2s"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "ranker": "size_or_growth", "post_action_delay": "3s"}]}]}'
oom0=$(kernel_oom_kills)
# Transient units (systemd-run): no daemon-reload, which costs seconds under TCG.
hog calm 30 0 -p Restart=always -p RestartSec=1
wait_memory calm.service 30
calm0=$(systemctl show -p ActiveState -p InvocationID -p NRestarts -p MainPID calm.service | sort | tr '\n' ' ')
log "calm.service: $calm0"

# calm_check WHEN: fails unless calm.service is still the instance it was at the start (one systemctl call).
calm_check() {
        local now_facts
        now_facts=$(systemctl show -p ActiveState -p InvocationID -p NRestarts -p MainPID calm.service | sort | tr '\n' ' ')
        [ "$now_facts" = "$calm0" ] && return 0
        fail "$1: calm.service is no longer the instance it was ($calm0): now $(unit_facts calm.service);" \
             "pressured's kills for it: $(history_count /test.slice/calm.service), newest kill entry: $(journal_kills | tail -n 1)." \
             "Expected: only the hog is stopped; the stall it leaves behind in avg10 is not a reason to stop the calm service"
}

for r in $(seq "$ROUNDS"); do
        u=slowhog$r.service cg=/test.slice/slowhog$r.service
        t_start=$(now)
        hog "slowhog$r" 400 0 -p "ExecStop=/bin/sleep 4" -p TimeoutStopSec=60 -p MemoryHigh=150M -p MemorySwapMax=0
        log "round $r: $u started"
        while state=$(unit_prop "$u" ActiveState); [ "$state" != inactive ] && [ "$state" != failed ]; do
                over "$t_start" 90 && fail "round $r: $u is still $state 90 s after it started;" \
                        "pressured's kills for it: $(history_count "$cg"). Expected: stopped within about 20 s"
                calm_check "round $r, while $u runs or is being stopped"
                sleep 0.5
        done
        t_gone=$(now)
        cgroup_empty "$cg" || fail "round $r: $u is $state but its cgroup still holds $(tr '\n' ' ' < "/sys/fs/cgroup$cg/cgroup.procs")"
        t_kill=$(first_kill_time "$cg") # pressured writes a stop's entry when the unit's processes are gone
        [ -n "$t_kill" ] || fail "round $r: $u ended ($(unit_facts "$u")) without a kill entry from pressured"
        t_stopping=$(journalctl -u "$u" -o short-monotonic --no-pager | grep -m1 " Stopping $u" | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
        echo "TIMING round $r: $u start -> its processes gone (kill entry) $(diff_s "$t_start" "$t_kill") s;" \
             "PID 1's stop job began at $([ -n "$t_stopping" ] && diff_s "$t_start" "$t_stopping" || echo "- (none)") s (guest clock)"
        # The quiet time: no kill of anything, the calm service the same instance throughout.
        n_before=$(history_lines | wc -l)
        while ! over "$t_gone" "$QUIET_S"; do
                calm_check "round $r, $(since "$t_gone") s after $u was gone"
                [ "$(history_lines | wc -l)" = "$n_before" ] || fail "round $r: pressured acted again $(since "$t_gone") s after" \
                        "$u was gone: $(history_lines | tail -n 1). Expected: no action on the stall the stopped hog left behind"
                sleep 0.5
        done
        n_hist=$(history_count "$cg")
        [ "$n_hist" = 1 ] || fail "round $r: pressured's history holds $n_hist entries for $cg; expected exactly one stop"
        # PID 1 logs "Stopping UNIT..." once per stop job; none when pressured killed the cgroup itself because
        # PID 1 did not answer StopUnit in time (a thrashing TCG guest can be that slow).
        n_jobs=$(journalctl -u "$u" -o cat --no-pager | grep -c "^Stopping $u")
        [ "$n_jobs" -le 1 ] || fail "round $r: PID 1 ran $n_jobs stop jobs for $u; expected at most one"
        method=$(history_lines | grep "\"cgroup\":\"$cg\"" | sed -n 's/.*"method":"\([^"]*\)".*/\1/p')
        case $method in stop|stop+kill|cgroup.kill) ;; *) fail "round $r: $u ended with method '$method'; expected stop or stop+kill (or cgroup.kill when PID 1 did not answer)" ;; esac
        log "round $r: $u ended once (method $method, PID 1's Result=$(unit_prop "$u" Result)); quiet for ${QUIET_S} s; calm.service untouched"
done

history_kills > /tmp/kills.txt
others=$(grep -v -P '^/test.slice/slowhog\d+\.service\t' /tmp/kills.txt)
[ -z "$others" ] || fail "pressured also acted on: $others"
[ "$(wc -l < /tmp/kills.txt)" = "$ROUNDS" ] || fail "oomctl history lists $(wc -l < /tmp/kills.txt) kills for $ROUNDS hogs: $(cat /tmp/kills.txt)"
calm_check "at the end"
[ "$(kernel_oom_kills)" = "$oom0" ] || fail "the kernel OOM killer fired ($(($(kernel_oom_kills) - oom0)) kills)"
pass "$ROUNDS slow-stopping hogs, each ended exactly once; the calm service lived through every stale avg10 ($calm0); no kernel OOM kill"
