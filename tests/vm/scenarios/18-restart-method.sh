# vm: -t 240
# method restart: a service that leaks past its ruleset's limit is restarted through systemd
# (RestartUnit), not stopped: a new main process runs, the old one is gone, the unit stays active,
# and the kill entry says restart.
. /vmlab-src/lib.sh
start_pressured_service '{"interval": "500ms", "fast_interval": "100ms",
 "rulesets": [{"name": "leak", "method": "restart", "stop_timeout": "3s",
   "detectors": [[{"type": "memory_above", "cgroup": "/test.slice/leaker.service", "threshold": "120M"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "kill_list": false, "post_action_delay": "60s"}]}]}'
unit_file leaker.service "[Service]
Slice=test.slice
ExecStart=$HOG 0 20
Restart=no"
systemctl start leaker.service || fail "leaker.service did not start"
pid0=$(systemctl show -P MainPID leaker.service)
log "leaker started, MainPID $pid0, leaking 20 MiB/s"
t0=$(now)
until [ -n "$(kill_field leaker.service PRESSURED_METHOD)" ]; do
        over "$t0" 60 && fail "no restart within 60 s; kill entries: $(journal_kills)"
        sleep 0.2
done
method=$(kill_field leaker.service PRESSURED_METHOD)
log "kill entry: $(journal_kills | grep leaker | tail -n 1)"
[ "$method" = restart ] || fail "the kill entry says method '$method', expected restart"
[ "$(journalctl -u pressured -o cat --no-pager | grep -c 'Restarting unit leaker.service')" = 1 ] || fail "not exactly one RestartUnit"
for _ in $(seq 50); do unit_active leaker.service && break; sleep 0.1; done
unit_active leaker.service || fail "leaker.service is $(systemctl show -P ActiveState leaker.service) after the restart"
pid1=$(systemctl show -P MainPID leaker.service)
[ "$pid1" != 0 ] && [ "$pid1" != "$pid0" ] || fail "MainPID is $pid1, was $pid0: not restarted"
kill -0 "$pid0" 2>/dev/null && fail "the old main process $pid0 still runs"
job=$(kill_field leaker.service PRESSURED_JOB_RESULT)
[ "$job" = done ] || fail "systemd's restart job result is '$job', expected done"
journalctl -u leaker.service -o cat --no-pager | tail -n 6
echo "TIMING RestartUnit -> old process gone: $(( $(kill_field leaker.service PRESSURED_STOP_USEC) / 1000 )) ms (pressured's measure)"
pass "leaker.service restarted by RestartUnit (MainPID $pid0 -> $pid1, job $job), not stopped"
