# vm: -t 420
# The system bus goes away while pressured stops the offender. A hog service whose stop hangs
# (ExecStop=/bin/sleep 600) thrashes test.slice; the ruleset says method stop, stop_timeout 12s. As soon
# as pressured logs its StopUnit, dbus.service is restarted: PID 1 and pressured both lose their bus
# connection, and the JobRemoved signal for the stop can never come. The stop must still end: pressured's
# deadline does not depend on the bus, so at stop_timeout it SIGKILLs the unit's cgroup itself.
#
# Asserts (fault_during_stop, fault_stop_finish in lib.sh): the hog's cgroup is empty and the unit
# inactive/failed within 60 s of the StopUnit; one kill entry and one StopUnit for it, no restart by
# Restart=on-failure; the calm unit is the same instance; pressured is the same process (it did not
# crash), said it lost the bus, owns org.pressured.oom1 on the new bus within 30 s and answers `oomctl
# --bus status` there and `oomctl status` on the socket; the history is intact; no kernel OOM kill.
. /vmlab-src/lib.sh
bus0=$(systemctl show -P MainPID dbus.service)
fault_during_stop "systemctl restart dbus" systemctl restart dbus.service
bus1=$(systemctl show -P MainPID dbus.service)
[ "$bus1" != "$bus0" ] || fail "dbus-daemon is still pid $bus0 after the restart"
t=$(now)
until [ "$(bus_owner_pid "$BUS_NAME")" = "$PRESSURED_PID0" ]; do
        over "$t" 30 && fail "pressured ($PRESSURED_PID0) is not back on the restarted bus 30 s after stophog was gone (owner of $BUS_NAME:" \
                "'$(bus_owner_pid "$BUS_NAME")'): $(journalctl -u pressured -o cat --no-pager | grep -i 'bus' | tail -n 4)"
        sleep 0.5
done
t_lost=$(journal_time "Lost the system bus") t_back=$(journal_time "Back on the system bus")
[ -n "$t_lost" ] && [ -n "$t_back" ] || fail "pressured did not log losing the bus and being back on it: $(journalctl -u pressured -o cat --no-pager | grep -i 'bus' | tail -n 4)"
echo "TIMING pressured lost the bus -> back on it as $BUS_NAME: $(diff_s "$t_lost" "$t_back") s (reconnect every 5 s; pressured's journal, guest clock)"
fault_stop_finish "after the bus restart"
pass "the bus restarted during the stop (dbus-daemon $bus0 -> $bus1): stophog.service ended once (method $METHOD), pressured is back on the bus and serving"
