# vm: -t 300
# The D-Bus service on the real system bus: pressured owns org.pressured.oom1 and introspects; while
# a hog under MemoryHigh pushes its own pressure up, `oomctl status` (over the bus) shows the hog's
# level rising from ok; a bus client sees PressureChanged, then KillPending before Killed for the hog.
. /vmlab-src/lib.sh
start_pressured '{"interval": "500ms", "fast_interval": "100ms",
 "rulesets": [{"name": "test-slice-pressure",
   "detectors": [[{"type": "pressure_above", "cgroup": "/test.slice", "kind": "full", "window": "avg10",
                   "threshold": 20, "duration": "2s"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "ranker": "size_or_growth", "post_action_delay": "5s"}]}]}'
wait_bus_name $BUS_NAME
owner=$(bus_owner_pid $BUS_NAME)
[ "$owner" = "$(pressured_pid)" ] || fail "$BUS_NAME is owned by pid $owner, not by pressured (pid $(pressured_pid))"
busctl status $BUS_NAME | grep -e '^PID=' -e '^Comm=' -e '^UniqueName=' -e '^WellKnownNames='
busctl introspect $BUS_NAME $BUS_PATH > /tmp/introspect.txt || fail "busctl introspect failed: $(cat /tmp/introspect.txt)"
for m in org.pressured.oom1.Manager org.freedesktop.DBus.ObjectManager .GetStatus .Kill .ListKills .AddKillListEntry \
         .KillPending .Killed .PressureChanged .PressureRecovered .PolicyChanged .Version .Mode .DryRun .KillCount; do
        grep -q -- "^$m " /tmp/introspect.txt || fail "introspection of $BUS_PATH lacks $m: $(cat /tmp/introspect.txt)"
done
mode=$(busctl get-property $BUS_NAME $BUS_PATH $BUS_IFACE Mode) || fail "reading the Mode property failed"
[ "$mode" = 's "cgroup"' ] || fail "Mode is $mode, expected cgroup"
log "owner pid $owner, introspection lists the contract's members, Mode $mode"

bus_monitor /vmlab/bus.json
# 40 MiB/s: the hog stays under MemoryHigh for a few seconds (level ok), then the kernel throttles it.
hog hog 400 40 -p MemoryHigh=150M -p MemorySwapMax=0
log "hog started"
$OOMCTL --bus status > /tmp/status.txt 2>&1 || fail "oomctl --bus status failed: $(cat /tmp/status.txt)"
# Poll `oomctl status` (default transport: the bus) until the hog dies; keep the first output that
# lists the hog and the one with its highest level.
first="" best=-1 best_level="" polls=0 t=$(now)
while unit_active hog.service; do
        over "$t" 120 && fail "the hog is still alive 120 s after it started"
        $OOMCTL status > /tmp/status.txt 2>&1 || { unit_active hog.service || break; fail "oomctl status failed: $(cat /tmp/status.txt)"; }
        polls=$((polls + 1))
        level=$(status_level /tmp/status.txt /test.slice/hog.service)
        [ -n "$level" ] || { sleep 0.2; continue; }
        [ -n "$first" ] || { first=$level; cp /tmp/status.txt /tmp/status-first.txt; }
        if [ "$(level_rank "$level")" -gt "$best" ]; then
                best=$(level_rank "$level") best_level=$level
                cp /tmp/status.txt /tmp/status-best.txt
                log "oomctl status: /test.slice/hog.service is at level $level"
        fi
        sleep 0.2
done
[ -n "$first" ] || fail "oomctl status never listed /test.slice/hog.service"
echo "--- oomctl status, first listing the hog ---"; cat /tmp/status-first.txt
echo "--- oomctl status, the hog at its highest level ---"; cat /tmp/status-best.txt
[ "$first" = ok ] || fail "the hog's first level was $first, expected ok (it starts below MemoryHigh)"
[ "$best" -ge 1 ] || fail "the hog's level never rose above ok in oomctl status"
calls=$(bus_calls /vmlab/bus.json GetStatus)
[ "$calls" -gt "$polls" ] || fail "oomctl status ran $polls times (and once with --bus), but the bus carried $calls GetStatus calls: the default transport is not the bus"
log "oomctl status ran $polls times; the bus carried $calls GetStatus calls"

wait_signal /vmlab/bus.json Killed /test.slice/hog.service 20 || fail "no Killed signal for the hog on the bus: $(bus_signals /vmlab/bus.json)"
echo "--- signals seen on the bus ---"
bus_signals /vmlab/bus.json | cut -c1-200
bus_signals /vmlab/bus.json | awk -F'\t' '$2 == "/test.slice/hog.service" { print NR, $1 }' > /tmp/order.txt
pending=$(awk '$2 == "KillPending" { print $1; exit }' /tmp/order.txt)
killed=$(awk '$2 == "Killed" { print $1; exit }' /tmp/order.txt)
rose=$(bus_signals /vmlab/bus.json PressureChanged | awk -F'\t' '$2 == "/test.slice/hog.service" && $3 ~ /^(low|medium|critical)$/ { n++ } END { print n + 0 }')
[ -n "$pending" ] && [ "$pending" -lt "$killed" ] || fail "KillPending did not come before Killed: $(cat /tmp/order.txt)"
# Killed(cgroup, unit, ruleset, reason, method, processes_killed, memory_bytes, freed_bytes, pressure, dry_run)
bus_signals /vmlab/bus.json Killed | awk -F'\t' -v OFS='\t' '$2 == "/test.slice/hog.service"' | head -1 > /tmp/killed.txt
IFS=$'\t' read -r _ cgroup unit ruleset reason method nproc mem freed pressure dry < /tmp/killed.txt
[ "$unit" = hog.service ] || fail "Killed names unit '$unit', expected hog.service"
[ "$ruleset" = test-slice-pressure ] || fail "Killed names ruleset '$ruleset'"
[ "$method" = stop ] && [ "$nproc" -ge 1 ] && [ "$dry" = false ] || fail "Killed says method $method, $nproc processes, dry run $dry"
[ "$mem" -gt $((100 << 20)) ] && [ "$freed" -gt 0 ] || fail "Killed says the hog held $mem bytes and $freed were freed; it held more than 100 MiB"
[ "$rose" -ge 1 ] || fail "no PressureChanged signal raised the hog's level above ok"
log "Killed: $cgroup ($unit) by $ruleset, $method, $nproc processes, $mem bytes, reason: $reason"
pass "pressured is on the system bus; oomctl status showed the hog's level rise ($first -> $best_level); PressureChanged, KillPending, Killed arrived in order"
