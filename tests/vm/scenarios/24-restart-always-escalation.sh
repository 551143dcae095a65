# vm: -t 300
# Escalation ends a unit that systemd restarts for ever. always.service (Restart=always,
# RestartSec=100ms, StartLimitIntervalSec=0 so that systemd's own start limit never ends it) thrashes
# test.slice under MemoryHigh without swap. The ruleset kills a single process (granularity process,
# the default method): each kill makes PID 1 start a new instance in the same cgroup, which thrashes
# again at once. A killer that only repeats its kill loops for ever; a right one sees the same cgroup
# at the top again and escalates process -> cgroup -> unit, and the last step, StopUnit, is a stop job
# that Restart=always does not undo.
#
# Numbers: full avg10 over 15% for 2 s on /test.slice (a restarted instance stalls again within a few
# seconds), post_action_delay 5s (the old code's loop kills about every 7-10 s, so a 4th kill, which
# fails the scenario at once, comes within a minute). Asserts: always.service is inactive (or failed)
# within 150 s and stays so for 10 s with NRestarts frozen and no restart scheduled by PID 1; pressured's history holds at most 3 entries
# for its cgroup and the last one is a unit stop (method stop or stop+kill); nothing else was killed
# (the calm unit beside it is the same instance); the kernel OOM killer never fired.
. /vmlab-src/lib.sh
BOUND_S=150 MAX_KILLS=3 CG=/test.slice/always.service
start_pressured '{"interval": "1s", "fast_interval": "100ms",
 "rulesets": [{"name": "test-slice-pressure",
   "detectors": [[{"type": "pressure_above", "cgroup": "/test.slice", "kind": "full", "window": "avg10",
                   "threshold": 15, "duration": "2s"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "ranker": "size_or_growth", "granularity": "process",
                "post_action_delay": "5s"}]}]}'
oom0=$(kernel_oom_kills)
hog calm 30 0
wait_memory calm.service 30
calm_id=$(unit_prop calm.service InvocationID) calm_pid=$(unit_prop calm.service MainPID)
unit_file always.service "[Unit]
StartLimitIntervalSec=0
[Service]
Slice=test.slice
ExecStart=$HOG 400 0
Restart=always
RestartSec=100ms
MemoryHigh=150M
MemorySwapMax=0"
t_start=$(now)
systemctl start always.service || fail "always.service did not start"
log "always.service started (Restart=always)"
while :; do
        state=$(unit_prop always.service ActiveState)
        { [ "$state" = inactive ] || [ "$state" = failed ]; } && cgroup_empty "$CG" && break
        n=$(history_count "$CG")
        if [ "$n" -gt "$MAX_KILLS" ]; then
                history_kills cgroup "$CG" > /tmp/kills.txt
                fail "pressured made $(wc -l < /tmp/kills.txt) kills for $CG in $(since "$t_start") s and systemd keeps restarting it" \
                     "($(unit_facts always.service)); its kills (cgroup, unit, method, processes): $(cut -f1-4 /tmp/kills.txt | tr '\t\n' ' ;')" \
                     "Expected: escalation process -> cgroup -> unit (StopUnit, which Restart=always does not undo), at most $MAX_KILLS kills"
        fi
        over "$t_start" "$BOUND_S" && fail "always.service is still $(unit_facts always.service) ${BOUND_S} s after it started;" \
                "pressured made $n kills for it. Expected: stopped for good after at most $MAX_KILLS kills"
        sleep 0.5
done
t_gone=$(now)
restarts=$(unit_prop always.service NRestarts) # systemd 252 resets it at a stop; the journal keeps the count
scheduled=$(journalctl -u always.service -o cat --no-pager | grep -c "Scheduled restart job")
log "always.service ended: $(unit_facts always.service); PID 1 scheduled $scheduled automatic restart(s) before"
sleep 10 # a hundred RestartSec= over: a restart would have happened by now
[ "$(journalctl -u always.service -o cat --no-pager | grep -c "Scheduled restart job")" = "$scheduled" ] \
        || fail "PID 1 scheduled another restart of always.service after it ended ($(unit_facts always.service))"
state=$(unit_prop always.service ActiveState)
[ "$state" = inactive ] || [ "$state" = failed ] || fail "always.service is $state 10 s after it ended: systemd restarted it ($(unit_facts always.service))"
[ "$(unit_prop always.service NRestarts)" = "$restarts" ] || fail "always.service's NRestarts went from $restarts to $(unit_prop always.service NRestarts) after it ended"
t_first=$(first_kill_time "$CG")
[ -n "$t_first" ] || fail "always.service ended ($(unit_facts always.service)) without a kill entry from pressured"
history_kills > /tmp/kills.txt
echo "--- oomctl history ---"; cat /tmp/kills.txt
n=$(grep -c -P "^\Q$CG\E\t" /tmp/kills.txt)
echo "TIMING always start -> first kill: $(diff_s "$t_start" "$t_first") s, -> stopped for good: $(diff_s "$t_start" "$t_gone") s, $n kill(s), $scheduled automatic restart(s) by PID 1 (guest clock)"
[ "$n" -ge 1 ] && [ "$n" -le "$MAX_KILLS" ] || fail "oomctl history lists $n kills for $CG; expected 1 to $MAX_KILLS"
last=$(grep -P "^\Q$CG\E\t" /tmp/kills.txt | tail -n 1 | cut -f3)
case $last in stop|stop+kill) ;; *) fail "the last step against always.service has method '$last'; expected a unit stop (stop or stop+kill), which Restart=always does not undo" ;; esac
others=$(grep -v -P "^\Q$CG\E\t" /tmp/kills.txt)
[ -z "$others" ] || fail "pressured also killed: $others"
[ "$(unit_prop calm.service ActiveState)" = active ] && [ "$(unit_prop calm.service InvocationID)" = "$calm_id" ] &&
        [ "$(unit_prop calm.service MainPID)" = "$calm_pid" ] \
        || fail "calm.service is no longer the instance it was (InvocationID $calm_id, MainPID $calm_pid): $(unit_facts calm.service)"
[ "$(kernel_oom_kills)" = "$oom0" ] || fail "the kernel OOM killer fired ($(($(kernel_oom_kills) - oom0)) kills)"
pass "escalation ended a Restart=always hog with $n kill(s) (methods: $(grep -P "^\Q$CG\E\t" /tmp/kills.txt | cut -f3 | paste -sd' ')), NRestarts stayed $restarts; nothing else killed; no kernel OOM kill"
