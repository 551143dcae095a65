# vm: -t 360
# A host annotated for systemd-oomd and nothing else: test.slice carries ManagedOOMMemoryPressure=kill
# with ManagedOOMMemoryPressureLimit=20%, and pressured runs as the installed pressured.service with its embedded default policy (no
# policy file). pressured reads the annotation from PID 1 over D-Bus, turns it into a ruleset with
# systemd-oomd's meaning (full avg10 above the limit for 30 s, with reclaim; the slice's descendants
# are the candidates), picks up `systemctl set-property --runtime` without a restart, and honours
# ManagedOOMPreference=avoid and =omit: of three hogs, the avoided and the omitted one outlive the
# third although they grow faster. `oomctl status` names systemd's settings as the ruleset's source.
. /vmlab-src/lib.sh

# The ruleset systemd's annotation became, as `oomctl policy show --json` lists it: its threshold, or "".
annotation_threshold() {
        "$OOMCTL" policy show --json 2>/dev/null | python3 -c '
import json, sys
doc = json.load(sys.stdin)["policy"]
for rs in doc.get("rulesets", []):
    if rs["name"] == "systemd-test.slice-memory-pressure":
        print(rs["detectors"][0][0]["threshold"])'
}
wait_threshold() { # VALUE TIMEOUT
        local t=$(now) v
        while :; do
                v=$(annotation_threshold)
                [ "$v" = "$1" ] && return 0
                over "$t" "$2" && fail "the annotation ruleset's threshold is \"$v\", not $1, after $2 s: $(journalctl -u pressured -o cat --no-pager | grep -i -e policy -e systemd | tail -n 5)"
                sleep 0.5
        done
}

mkdir -p /run/systemd/system/test.slice.d
# MemoryHigh on the slice makes its units reclaim from one pool, so the slice itself stalls.
printf '[Slice]\nManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimit=20%%\nMemoryHigh=200M\n' \
        > /run/systemd/system/test.slice.d/50-oomd.conf
systemctl daemon-reload
start_pressured_service ""
log "D-Bus property: $(busctl get-property org.freedesktop.systemd1 /org/freedesktop/systemd1/unit/test_2eslice org.freedesktop.systemd1.Slice ManagedOOMMemoryPressureLimit 2>&1)"

# The slice becomes active with its first unit; pressured learns of it from PID 1's signals.
hog calm 20 0
wait_memory calm.service 20
t=$(now)
wait_threshold 20 30
log "the annotation became a ruleset in $(since "$t") s: $(journalctl -u pressured -o cat --no-pager | grep 'Reloaded policy' | tail -n 1)"
"$OOMCTL" status > /tmp/status.txt 2>&1 || fail "oomctl status failed: $(cat /tmp/status.txt)"
from=$(grep "^systemd-test.slice-memory-pressure " /tmp/status.txt)
case $from in *"ManagedOOM"*) log "oomctl status: $from" ;; *) fail "oomctl status does not say the ruleset comes from systemd's ManagedOOM*= settings: \"$from\"; $(cat /tmp/status.txt)" ;; esac

# A runtime change of the limit reaches the running daemon.
systemctl set-property --runtime test.slice ManagedOOMMemoryPressureLimit=15%
t=$(now)
wait_threshold 15 50
log "set-property picked up in $(since "$t") s, no restart (pid $(pressured_pid))"

# Three hogs in the annotated slice; "keep" (ManagedOOMPreference=avoid) and "spare" (=omit) grow
# faster than "hog".
hog keep 400 30 -p MemorySwapMax=0 -p ManagedOOMPreference=avoid
hog spare 400 30 -p MemorySwapMax=0 -p ManagedOOMPreference=omit
hog hog 400 20 -p MemorySwapMax=0
wait_memory keep.service 30
for x in keep:avoid spare:omit; do
        v=$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.oomd_" + sys.argv[2]).decode())' \
                /sys/fs/cgroup/test.slice/${x%%:*}.service ${x#*:} 2>/dev/null)
        [ "$v" = 1 ] || fail "systemd did not write user.oomd_${x#*:} for ManagedOOMPreference=${x#*:} on ${x%%:*}.service (got \"$v\")"
done
t_start=$(now)
wait_dead hog.service 180 || fail "the hog still lives 180 s after it started; kills: $(journal_kills | tail -n 3)"
journal_field_has PRESSURED_RULESET systemd-test.slice-memory-pressure || fail "the kill did not come from the annotation's ruleset: $(journal_kills | tail -n 2)"
[ "$(last_kill_field PRESSURED_CGROUP)" = /test.slice/hog.service ] || fail "the last kill is not the hog: $(journal_kills | tail -n 1)"
unit_active keep.service || fail "the avoided unit died with (or before) the hog: $(killed_units | tr '\n' ' ')"
unit_active spare.service || fail "the omitted unit died: $(killed_units | tr '\n' ' ')"
echo "TIMING hog start -> gone: $(since "$t_start") s (guest clock; the annotation's duration is 30 s)"
systemctl stop keep.service spare.service calm.service 2>/dev/null

# Four transient units have ended and PID 1 has unloaded them. Reading an unloaded unit's settings
# loads it again (and PID 1 announces it with UnitNew), so a reader that answers every UnitNew that
# way reads the ended units over and over: the daemon and PID 1 then spend most of a CPU on it.
sleep 3
cpu_cg=/sys/fs/cgroup/system.slice/pressured.service/cpu.stat
c0=$(awk '$1 == "usage_usec" { print $2 }' $cpu_cg)
sleep 10
c1=$(awk '$1 == "usage_usec" { print $2 }' $cpu_cg)
log "pressured's CPU in the 10 s after the units ended: $(( (c1 - c0) / 1000 )) ms"
[ $((c1 - c0)) -lt 1000000 ] || fail "pressured used $(( (c1 - c0) / 1000 )) ms of CPU in the 10 s after four units ended (it should idle): is it reading the ended units from PID 1 over and over? $(journalctl -u pressured -o cat --no-pager | tail -n 5)"
pass "test.slice's ManagedOOM annotation became a ruleset (oomctl status names its source), a runtime set-property reached it, the hog died by it and the avoided and omitted units lived; pressured idles after the units end"
