# vm: -t 390
# pressured as the installed pressured.service (the unit meson generates, with all its hardening):
# Type=notify reaches READY with a STATUS, oom_score_adj -1000, memory locked, exactly the unit's
# capabilities, and each capability doing its job: a pressure kill of a hog owned by another user
# (cgroup.kill, xattrs -> Result=oom-kill), a process kill of another user's process (CAP_KILL, its
# /proc read), a kill and the xattrs in a cgroup owned by another user (CAP_DAC_OVERRIDE), PSI
# triggers armed (CAP_SYS_RESOURCE). `systemctl reload` reloads the policy. SIGSTOP on the daemon:
# the watchdog restarts it and the new instance serves. Stopped, a bus call activates it again.
# Checking which capability is needed: boot with -e PRESSURED_CAPS=CAP_KILL,CAP_SYS_RESOURCE (a
# bounding set to try instead of the unit's, comma-separated); it then reports every check that breaks.
. /vmlab-src/lib.sh
problems=0
problem() { echo "PROBLEM: $*"; problems=$((problems + 1)); }
NOBODY=65534

POLICY='{"interval": "1s", "fast_interval": "100ms",
 "rulesets": [{"name": "test-slice-pressure",
   "detectors": [[{"type": "pressure_above", "cgroup": "/test.slice", "kind": "full", "window": "avg10",
                   "threshold": 10, "duration": "2s"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*.service", "ranker": "size_or_growth", "post_action_delay": "5s"}]},
  {"name": "scope-too-big",
   "detectors": [[{"type": "memory_above", "cgroup": "/test.slice/work.scope", "threshold": "150M"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/work.scope", "granularity": "process", "post_action_delay": "2s"}]}]}'

want_caps=$PRESSURED_UNIT_CAPS
PRESSURED_CAPS=${PRESSURED_CAPS:+${PRESSURED_CAPS//,/ }}
if [ -n "${PRESSURED_CAPS:-}" ]; then
        mkdir -p /run/systemd/system/pressured.service.d
        printf '[Service]\nCapabilityBoundingSet=\nCapabilityBoundingSet=%s\n' "$PRESSURED_CAPS" \
                > /run/systemd/system/pressured.service.d/60-try-caps.conf
        want_caps=$(printf '%s\n' $PRESSURED_CAPS | sort | tr '\n' ' ' | sed 's/ $//')
        log "trying the capability bounding set: $want_caps"
fi
t=$(now)
start_pressured_service "$POLICY"
echo "TIMING systemctl start -> READY: $(since "$t") s (guest clock)"

# --- the service as systemd sees it ---
pid=$(pressured_pid)
[ "$(systemctl show -P ActiveState pressured)" = active ] || problem "ActiveState is $(systemctl show -P ActiveState pressured), not active"
[ "$(systemctl show -P Type pressured)" = notify ] || problem "Type is $(systemctl show -P Type pressured), not notify"
[ "$(readlink -f "$(systemctl show -P FragmentPath pressured)")" = /usr/lib/systemd/system/pressured.service ] || problem "not the installed unit: $(systemctl show -P FragmentPath pressured)"
status_text=$(systemctl show -P StatusText pressured)
log "STATUS: $status_text"
[ -n "$status_text" ] || problem "pressured sent READY without a STATUS text"
case $status_text in *"waiting on PSI triggers"*) ;; *) problem "PSI triggers are not armed under the unit: STATUS \"$status_text\"" ;; esac
[ "$(cat /proc/$pid/oom_score_adj)" = -1000 ] || problem "oom_score_adj of pid $pid is $(cat /proc/$pid/oom_score_adj), not -1000"
locked=$(awk '/^VmLck/ { print $2 }' /proc/$pid/status)
[ "${locked:-0}" -gt 0 ] || problem "pressured's memory is not locked (VmLck ${locked:-?} kB): mlockall failed under the unit"
journalctl -u pressured -o cat --no-pager | grep -q "Failed to lock pressured's memory" && problem "pressured says mlockall failed"
got_caps=$(caps_of "$pid")
[ "$got_caps" = "$want_caps" ] || problem "capabilities of pid $pid: \"$got_caps\", the unit grants \"$want_caps\""
log "pid $pid: oom_score_adj -1000, VmLck ${locked} kB, capabilities: $got_caps"

# --- a pressure kill of a hog that belongs to another user (cgroup.kill, xattrs -> oom-kill) ---
oom0=$(kernel_oom_kills)
t_start=$(now)
hog hog 400 0 -p MemoryHigh=150M -p MemorySwapMax=0 -p User=nobody
if wait_dead hog.service 120; then
        t_kill=$(last_kill_time)
        journal_field_has PRESSURED_CGROUP /test.slice/hog.service || problem "the hog died without pressured's kill entry: $(journal_kills)"
        log "hog.service Result=$(systemctl show -P Result hog.service) ($(journal_kills | grep "/test.slice/hog.service" | tail -n 1 | cut -c1-60)...)"
        [ -n "$t_kill" ] && echo "TIMING hog start -> kill: $(diff_s "$t_start" "$t_kill") s (guest clock)"
else
        problem "pressured did not kill the hog (uid $NOBODY) within 120 s"
        systemctl kill -s KILL hog.service
fi
[ "$(kernel_oom_kills)" = "$oom0" ] || problem "the kernel OOM killer fired"

# --- a process kill of another user's process (CAP_KILL through a pidfd; its /proc files read) ---
systemd-run --quiet --scope --unit=work --slice=test.slice bash -c \
        "echo 0 > /proc/self/oom_score_adj
         setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups $HOG 20 0 & echo \$! > /tmp/small
         setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups $HOG 200 0 & echo \$! > /tmp/big; wait" &
for _ in $(seq 100); do [ -s /tmp/big ] && break; sleep 0.1; done
small=$(cat /tmp/small 2>/dev/null) big=$(cat /tmp/big 2>/dev/null)
[ -n "$small" ] && [ -n "$big" ] || fail "the scope's processes did not start"
for _ in $(seq 600); do kill -0 "$big" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$big" 2>/dev/null; then
        problem "the big process $big of uid $NOBODY was not killed: $(journalctl -u pressured -o cat --no-pager | grep -i -e "work.scope" | tail -n 3)"
else
        journal_field_has PRESSURED_PIDS "$big" PRESSURED_CGROUP=/test.slice/work.scope PRESSURED_SCOPE=process PRESSURED_DRY_RUN=0 || problem "kill entry for $big: $(journal_kills | tail -n 1)"
fi
kill -0 "$small" 2>/dev/null || problem "the small process $small died too"
systemctl stop work.scope

# --- a kill in a cgroup another user owns (cgroup.kill and the xattrs need CAP_DAC_OVERRIDE) ---
owned=/sys/fs/cgroup/test.slice/owned
mkdir "$owned" || fail "could not create $owned"
bash -c "echo 0 > /proc/self/oom_score_adj; echo \$\$ > $owned/cgroup.procs; exec setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups sleep 1000" &
victim=$!
sleep 0.5
chown -R $NOBODY:$NOBODY "$owned"
"$OOMCTL" kill /test.slice/owned --reason "scenario 16: a cgroup owned by uid $NOBODY" > /tmp/kill-owned.txt 2>&1 || problem "oomctl kill /test.slice/owned failed: $(cat /tmp/kill-owned.txt)"
for _ in $(seq 50); do kill -0 "$victim" 2>/dev/null || break; sleep 0.1; done
kill -0 "$victim" 2>/dev/null && { problem "the process in $owned lives"; kill -9 "$victim"; }
method=$(last_kill_field PRESSURED_METHOD PRESSURED_CGROUP=/test.slice/owned)
case $method in
*cgroup.kill* | *+kill) ;; # a stop that escalated used KillUnit + cgroup.kill
*) problem "the kill in $owned did not use cgroup.kill: method \"$method\", $(journal_kills | grep "/test.slice/owned" | tail -n 1)" ;;
esac
ooms=$(python3 -c "import os, sys; print(os.getxattr(sys.argv[1], 'user.oomd_ooms').decode())" "$owned" 2>&1)
[ "$ooms" = 1 ] || problem "user.oomd_ooms on $owned is \"$ooms\", not 1"
wait "$victim" 2>/dev/null
rmdir "$owned"

# --- memory, for MemoryMin= ---
cg=/sys/fs/cgroup/system.slice/pressured.service
echo "MEASURE pressured.service memory.current $(( $(cat $cg/memory.current) / 1024 )) KiB," \
     "memory.peak $(( $(cat $cg/memory.peak 2>/dev/null || echo 0) / 1024 )) KiB (0: no memory.peak)," \
     "VmRSS $(awk '/^VmRSS/ { print $2 }' /proc/$pid/status) kB, VmHWM $(awk '/^VmHWM/ { print $2 }' /proc/$pid/status) kB," \
     "memory.min $(cat $cg/memory.min)"

# --- systemctl reload -> SIGHUP -> the new policy runs ---
before=$(journalctl -u pressured -o cat --no-pager | grep -c "Reloaded policy")
printf '%s\n' "${POLICY/scope-too-big/scope-too-big-reloaded}" > /etc/pressured/policy.json
systemctl reload pressured || problem "systemctl reload pressured failed"
for _ in $(seq 100); do
        [ "$(journalctl -u pressured -o cat --no-pager | grep -c "Reloaded policy")" -gt "$before" ] && break
        sleep 0.1
done
[ "$(journalctl -u pressured -o cat --no-pager | grep -c "Reloaded policy")" -gt "$before" ] || problem "no \"Reloaded policy\" in the journal after systemctl reload"
"$OOMCTL" policy show 2>&1 | grep -q scope-too-big-reloaded || problem "the reloaded policy is not the running one"
[ "$(pressured_pid)" = "$pid" ] || problem "reload replaced the process"
[ "$(systemctl show -P ActiveState pressured)" = active ] || problem "after reload ActiveState is $(systemctl show -P ActiveState pressured)"

if [ -n "${PRESSURED_CAPS:-}" ]; then
        [ "$problems" = 0 ] || fail "$problems check(s) broke with CapabilityBoundingSet=$PRESSURED_CAPS"
        pass "everything works with CapabilityBoundingSet=$PRESSURED_CAPS"
fi
[ "$problems" = 0 ] || fail "$problems check(s) failed under the installed unit"

# --- the watchdog: a stopped daemon is replaced ---
wd=$(systemctl show -P WatchdogUSec pressured)
abort=$(systemctl show -P TimeoutAbortUSec pressured)
log "WatchdogUSec=$wd TimeoutAbortUSec=$abort; stopping pid $pid with SIGSTOP"
t_stop=$(now)
kill -STOP "$pid"
new=""
while :; do
        new=$(pressured_pid)
        [ "$new" != "$pid" ] && [ "$new" != 0 ] && unit_active pressured && break
        over "$t_stop" 75 && fail "pressured (pid $pid, SIGSTOPped) was not restarted within 75 s (WatchdogSec 30 s + TimeoutAbortSec 10 s + RestartSec 1 s + margin): $(systemctl show -p ActiveState -p SubState -p Result -p NRestarts pressured | tr '\n' ' ')"
        sleep 0.5
done
t_new=$(now)
echo "TIMING SIGSTOP -> new pressured ready: $(diff_s "$t_stop" "$t_new") s (guest clock)"
[ "$(systemctl show -P NRestarts pressured)" = 1 ] || fail "NRestarts=$(systemctl show -P NRestarts pressured), not 1"
journalctl -u pressured -o cat --no-pager | grep -q "Watchdog timeout" || fail "no watchdog timeout in the journal"
journalctl -u pressured -o cat --no-pager | grep -q "Failed with result 'watchdog'" || fail "no Result=watchdog in the journal: $(journalctl -u pressured -o cat --no-pager | grep -i -e watchdog -e result | tail -n 5)"
kill -0 "$pid" 2>/dev/null && fail "the old pid $pid still exists"
"$OOMCTL" status > /tmp/status.txt 2>&1 || fail "oomctl status against the restarted pressured failed: $(cat /tmp/status.txt)"
log "restarted as pid $new; oomctl status: $(head -n 1 /tmp/status.txt)"
[ "$(cat /proc/$new/oom_score_adj)" = -1000 ] || fail "the restarted pressured has oom_score_adj $(cat /proc/$new/oom_score_adj)"

# --- D-Bus activation: stopped, the first bus call starts it again ---
systemctl stop pressured
unit_active pressured && fail "pressured did not stop"
t=$(now)
busctl call --timeout=60 "$BUS_NAME" "$BUS_PATH" "$BUS_IFACE" GetStatus > /tmp/activated.txt 2>&1 \
        || fail "a bus call did not activate pressured: $(cat /tmp/activated.txt)"
unit_active pressured || fail "the bus call was answered, but pressured.service is $(systemctl show -P ActiveState pressured)"
echo "TIMING bus call -> activated and answered: $(since "$t") s (guest clock)"
pass "pressured.service: notify/READY with STATUS, oom_score_adj -1000, locked, capabilities \"$got_caps\", kills under the hardening, reload, watchdog restart, bus activation"
