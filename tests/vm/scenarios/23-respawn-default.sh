# vm: -t 300
# The embedded default policy (no policy file: granularity process) against an offender whose
# supervisor re-forks its worker at once. respawn.service (Restart=no: only the supervisor inside the
# cgroup respawns) runs a shell loop around a worker that allocates without end at 100 MiB/s, more than
# the guest's RAM within some 10 s; the guest has no swap, so the default's MemAvailable floor is what
# fires. Killing the worker alone frees the memory for a moment, and the supervisor's next worker
# fills it again: a killer that stops there kills the worker over and over and the offender never goes.
# A right one sees the same cgroup at the top again after its kill and escalates (process -> cgroup ->
# unit), so the offender is gone after at most 3 kills.
#
# Asserts: respawn.service is inactive and its cgroup empty within 180 s of its start (the first kill
# comes some 10 s after the start; three fills take about 30 s); pressured's history holds at most 3
# entries for its cgroup (the scenario fails at the 4th at once), and none for anything else; the calm
# service beside it is the same instance (InvocationID, MainPID); the kernel OOM killer never fired.
# 100 MiB/s rather than as fast as TCG allocates (about 250 MiB/s) leaves the floor room to act
# before the kernel does on each refill.
. /vmlab-src/lib.sh
[ "$(awk '/^SwapTotal/ { print $2 }' /proc/meminfo)" = 0 ] || fail "this scenario needs a guest without swap"
BOUND_S=180 MAX_KILLS=3 CG=/test.slice/respawn.service
start_pressured ''
oom0=$(kernel_oom_kills)
hog calm 30 0
wait_memory calm.service 30
calm_id=$(unit_prop calm.service InvocationID) calm_pid=$(unit_prop calm.service MainPID)
unit_file respawn.service "[Service]
Slice=test.slice
ExecStart=/bin/bash -c 'while :; do $HOG 0 100; done'
Restart=no"
t_start=$(now)
systemctl start respawn.service || fail "respawn.service did not start"
log "respawn.service started: a supervisor loop re-forking a worker that allocates 100 MiB/s without end"
until [ "$(unit_prop respawn.service ActiveState)" != active ] && cgroup_empty "$CG"; do
        n=$(history_count "$CG")
        if [ "$n" -gt "$MAX_KILLS" ]; then
                history_kills cgroup "$CG" > /tmp/kills.txt
                fail "pressured made $(wc -l < /tmp/kills.txt) kills for $CG in $(since "$t_start") s and the offender still runs" \
                     "($(unit_facts respawn.service)); its kills (cgroup, unit, method, processes): $(cut -f1-4 /tmp/kills.txt | tr '\t\n' ' ;')" \
                     "Expected: after a kill whose cgroup is the top candidate again, escalation to the cgroup, then the unit, at most $MAX_KILLS kills"
        fi
        over "$t_start" "$BOUND_S" && fail "respawn.service is still $(unit_facts respawn.service) ${BOUND_S} s after it started," \
                "its cgroup holds $(wc -l < "/sys/fs/cgroup$CG/cgroup.procs") processes; pressured made $n kills for it." \
                "Expected: gone after at most $MAX_KILLS kills"
        sleep 0.5
done
t_gone=$(now)
t_first=$(first_kill_time "$CG")
[ -n "$t_first" ] || fail "respawn.service ended ($(unit_facts respawn.service)) without a kill entry from pressured"
history_kills > /tmp/kills.txt
echo "--- oomctl history ---"; cat /tmp/kills.txt
n=$(grep -c -P "^\Q$CG\E\t" /tmp/kills.txt)
echo "TIMING respawn start -> first kill: $(diff_s "$t_start" "$t_first") s, -> offender gone: $(diff_s "$t_start" "$t_gone") s, $n kill(s) (guest clock)"
[ "$n" -ge 1 ] && [ "$n" -le "$MAX_KILLS" ] || fail "oomctl history lists $n kills for $CG; expected 1 to $MAX_KILLS"
others=$(grep -v -P "^\Q$CG\E\t" /tmp/kills.txt)
[ -z "$others" ] || fail "pressured also killed: $others"
[ "$(unit_prop calm.service ActiveState)" = active ] && [ "$(unit_prop calm.service InvocationID)" = "$calm_id" ] &&
        [ "$(unit_prop calm.service MainPID)" = "$calm_pid" ] \
        || fail "calm.service is no longer the instance it was (InvocationID $calm_id, MainPID $calm_pid): $(unit_facts calm.service)"
[ "$(kernel_oom_kills)" = "$oom0" ] || fail "the kernel OOM killer fired ($(($(kernel_oom_kills) - oom0)) kills): $(dmesg | grep -m3 -i 'killed process')"
pass "the default policy ended a self-respawning offender with $n kill(s) (methods: $(cut -f3 /tmp/kills.txt | paste -sd' ')), nothing else was killed, no kernel OOM kill"
