# vm: -t 300
# Desktop compatibility on the real system bus: pressured owns org.freedesktop.LowMemoryMonitor, and
# an unmodified GLib GMemoryMonitor client (running as nobody) receives LowMemoryWarning when a hog
# creates memory pressure on the system.
. /vmlab-src/lib.sh
# A policy that never kills: the pressure must last.
start_pressured '{"interval": "500ms",
 "rulesets": [{"name": "never",
   "detectors": [[{"type": "memory_above", "cgroup": "/test.slice", "threshold": "100G"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*"}]}]}'
wait_bus_name $BUS_NAME
wait_bus_name $LMM_NAME
owner=$(bus_owner_pid $LMM_NAME)
busctl status $LMM_NAME | grep -e '^PID=' -e '^Comm=' -e '^WellKnownNames='
[ "$owner" = "$(pressured_pid)" ] || fail "$LMM_NAME is owned by pid $owner, not by pressured (pid $(pressured_pid))"
busctl introspect $LMM_NAME /org/freedesktop/LowMemoryMonitor | grep -q '^\.LowMemoryWarning *signal *y ' \
        || fail "/org/freedesktop/LowMemoryMonitor has no LowMemoryWarning(y) signal"
bus_monitor /vmlab/bus.json

as_nobody python3 /vmlab-src/lowmem-client.py > /tmp/client.txt 2>&1 &
client=$!
t=$(now)
until grep -q '^ready' /tmp/client.txt; do
        kill -0 $client 2>/dev/null || fail "the GMemoryMonitor client died: $(cat /tmp/client.txt)"
        over "$t" 60 && fail "the GMemoryMonitor client did not start: $(cat /tmp/client.txt)"
        sleep 0.2
done
log "client: $(grep '^ready' /tmp/client.txt)"
grep -q '^low-memory-warning' /tmp/client.txt && fail "a warning arrived before any pressure: $(cat /tmp/client.txt)"

t_start=$(now)
hog hog 400 0 -p MemoryHigh=150M -p MemorySwapMax=0
log "hog started"
until grep -Eq '^low-memory-warning (50|100|255)$' /tmp/client.txt; do
        over "$t_start" 90 && fail "no LowMemoryWarning reached the client in 90 s; system pressure: $(cat /proc/pressure/memory | tr '\n' ' '); client: $(cat /tmp/client.txt); bus: $(bus_signals /vmlab/bus.json | grep -v PressureChanged | tail -n 5)"
        unit_active hog.service || fail "the hog died: $(systemctl show -P Result hog.service)"
        sleep 0.5
done
t_warn=$(now)
log "system pressure: $(cat /proc/pressure/memory | tr '\n' ' ')"
echo "--- the GMemoryMonitor client ---"; cat /tmp/client.txt
echo "--- LowMemoryWarning on the bus ---"; bus_signals /vmlab/bus.json LowMemoryWarning
level=$(grep -E -m1 '^low-memory-warning (50|100|255)$' /tmp/client.txt | cut -d' ' -f2)
bus_signals /vmlab/bus.json LowMemoryWarning | cut -f2 | grep -qx "$level" || fail "the client got $level, but the bus carried no LowMemoryWarning $level"
echo "TIMING hog start -> LowMemoryWarning at the client: $(diff_s "$t_start" "$t_warn") s (guest clock)"
systemctl stop hog.service
kill $client
pass "pressured owns $LMM_NAME; a GMemoryMonitor client got LowMemoryWarning $level under pressure"
