# vm: -t 420
# PID 1 re-executes itself while pressured stops the offender. As in 25, a hog service whose stop hangs
# (ExecStop=/bin/sleep 600) thrashes test.slice and the ruleset says method stop, stop_timeout 12s; as
# soon as pressured logs its StopUnit, `systemctl daemon-reexec`: PID 1 serializes its jobs and units,
# execs itself and reconnects to the bus (the JobRemoved for the stop may be lost, a KillUnit may go
# unanswered). The stop must still end, once.
#
# Asserts (fault_during_stop, fault_stop_finish in lib.sh): the hog's cgroup is empty and the unit
# inactive/failed within 60 s of the StopUnit; one kill entry and one StopUnit, no restart by
# Restart=on-failure; the calm unit is the same instance; pressured is the same process, still owns
# org.pressured.oom1 and answers `oomctl --bus status` and `oomctl status` on the socket; the history is
# intact; no kernel OOM kill.
. /vmlab-src/lib.sh
fault_during_stop "systemctl daemon-reexec" systemctl daemon-reexec
wait_bus_name "$BUS_NAME" 30
[ "$(bus_owner_pid "$BUS_NAME")" = "$PRESSURED_PID0" ] || fail "$BUS_NAME is owned by '$(bus_owner_pid "$BUS_NAME")', not pressured $PRESSURED_PID0"
fault_stop_finish "after PID 1's reexec"
pass "PID 1 re-executed during the stop: stophog.service ended once (method $METHOD), pressured serves on the bus and the socket"
