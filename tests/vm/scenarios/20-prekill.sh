# vm: -t 300
# Step 1 of the kill ladder, with pressured as the installed pressured.service: KillPending, the
# ruleset's pre-kill hook (run with the PRESSURED_* environment, inside the service's sandbox), and
# prekill_timeout. Three services each grow past the ruleset's 150M limit, one at a time:
#   shedder  - the hook sends it SIGUSR1 and it gives memory back down to 20M: spared (KillCancelled,
#              verdict quiet), and it still runs after the deadline;
#   stubborn - the hook hangs (sleep 600): killed when prekill_timeout runs out, the hook with it;
#   quick    - the hook exits at once and the target still meets the criteria: killed then, well
#              before the deadline.
. /vmlab-src/lib.sh
PREKILL_S=6
HOOK=/usr/local/bin/pressured-test-hook
mkdir -p /usr/local/bin
cat > "$HOOK" <<'HOOK'
#!/bin/sh
# A pre-kill hook: it runs under pressured.service's sandbox (/run/pressured and the cgroup tree are writable).
env | grep '^PRESSURED_' | sort > "/run/pressured/hook-$PRESSURED_UNIT.env"
case "$PRESSURED_UNIT" in
shedder.service)
        # Ask it to give memory back, and return once it has (or after 4 s): pressured decides when the hook exits.
        for pid in $(cat "$PRESSURED_CGROUP_PATH/cgroup.procs"); do kill -USR1 "$pid"; done
        for _ in $(seq 40); do
                [ "$(cat "$PRESSURED_CGROUP_PATH/memory.current")" -lt $((100 * 1024 * 1024)) ] && break
                sleep 0.1
        done ;;
stubborn.service) exec sleep 600 ;;
esac
exit 0
HOOK
chmod 755 "$HOOK"

start_pressured_service '{"interval": "500ms", "fast_interval": "100ms",
 "rulesets": [{"name": "too-big", "method": "kill",
   "detectors": [[{"type": "memory_above", "cgroup": "/test.slice/*.service", "threshold": "150M"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "kill_list": false, "post_action_delay": "1s",
                "prekill_timeout": "'$PREKILL_S's", "prekill_hook": ["'$HOOK'"]}]}]}'
"$OOMCTL" monitor --json > /tmp/events.jsonl 2>/tmp/monitor.err &
monitor=$!
sleep 1
oom0=$(kernel_oom_kills)

# event_field EVENT UNIT FIELD: FIELD of the first EVENT about UNIT's cgroup in the monitor's output, or "".
event_field() {
        python3 - "$@" <<'PY'
import json, sys
event, unit, field = sys.argv[1:4]
for line in open("/tmp/events.jsonl"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == event and e.get("cgroup") == "/test.slice/" + unit:
        print(e.get(field, ""))
        break
PY
}
wait_event() { # EVENT UNIT TIMEOUT
        local t=$(now)
        until [ -n "$(event_field "$1" "$2" time)" ]; do
                over "$t" "$3" && return 1
                sleep 0.2
        done
}
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) / 1000 }'; }
# killed_after_pending NAME: starts NAME.service (200M at 50M/s), waits for its KillPending and its
# Killed, and prints the milliseconds between them.
killed_after_pending() {
        systemd-run --quiet --unit="$1" --slice=test.slice -p MemorySwapMax=0 "$HOG" 200 50 || fail "$1 did not start"
        wait_event KillPending "$1.service" 60 || fail "no KillPending for $1.service"
        wait_event Killed "$1.service" $((PREKILL_S + 5)) \
                || fail "$1.service was not killed within prekill_timeout + 5 s: $(journalctl -u pressured -o cat --no-pager | tail -n 6)"
        ms_between "$(event_field KillPending "$1.service" time)" "$(event_field Killed "$1.service" time)"
}

# --- shedder: spared ---
systemd-run --quiet --unit=shedder --slice=test.slice -p MemorySwapMax=0 "$HOG" 200 50 20 || fail "shedder did not start"
wait_event KillPending shedder.service 60 || fail "no KillPending for shedder.service: $(tail -n 3 /tmp/events.jsonl) $(cat /tmp/monitor.err)"
[ "$(event_field KillPending shedder.service prekill_timeout_usec)" = $((PREKILL_S * 1000000)) ] \
        || fail "KillPending does not carry prekill_timeout_usec $((PREKILL_S * 1000000)): $(grep KillPending /tmp/events.jsonl | head -n 1)"
wait_event KillCancelled shedder.service $((PREKILL_S + 5)) \
        || fail "shedder.service was not spared after shedding: $(journalctl -u pressured -o cat --no-pager | grep -i -e spare -e pre-kill -e shedder | tail -n 6)"
verdict=$(event_field KillCancelled shedder.service verdict)
[ "$verdict" = quiet ] || fail "KillCancelled verdict is \"$verdict\", not quiet: $(event_field KillCancelled shedder.service reason)"
spared_ms=$(ms_between "$(event_field KillPending shedder.service time)" "$(event_field KillCancelled shedder.service time)")
echo "TIMING shedder KillPending -> KillCancelled: $spared_ms ms (prekill_timeout ${PREKILL_S} s)"
log "spared: $(event_field KillCancelled shedder.service reason)"
sleep $((PREKILL_S + 2))
unit_active shedder.service || fail "shedder.service died after it was spared: $(journal_kills | tail -n 1)"
[ -z "$(event_field Killed shedder.service time)" ] || fail "shedder.service was killed although spared"
envfile=/run/pressured/hook-shedder.service.env
for want in PRESSURED_CGROUP=/test.slice/shedder.service PRESSURED_UNIT=shedder.service PRESSURED_RULESET=too-big \
            PRESSURED_PREKILL_TIMEOUT_USEC=$((PREKILL_S * 1000000)) PRESSURED_CGROUP_PATH=/sys/fs/cgroup/test.slice/shedder.service; do
        grep -qx "$want" "$envfile" || fail "the hook's environment lacks $want: $(cat "$envfile" 2>&1)"
done
grep -q '^PRESSURED_MEMORY_BYTES=[0-9]' "$envfile" || fail "the hook's environment lacks PRESSURED_MEMORY_BYTES: $(cat "$envfile")"
systemctl stop shedder.service

# --- stubborn: the hook hangs, the kill goes ahead at prekill_timeout ---
waited_ms=$(killed_after_pending stubborn) || { echo "$waited_ms"; exit 1; }
echo "TIMING stubborn KillPending -> Killed (hook hangs): $waited_ms ms (prekill_timeout ${PREKILL_S} s)"
[ "$waited_ms" -ge $((PREKILL_S * 1000 - 500)) ] || fail "stubborn was killed after $waited_ms ms, before its prekill_timeout of $PREKILL_S s ran out"
[ "$waited_ms" -le $((PREKILL_S * 1000 + 2000)) ] || fail "stubborn was killed $waited_ms ms after KillPending; prekill_timeout is $PREKILL_S s"
wait_dead stubborn.service 10 || fail "stubborn.service is still active after its kill"
sleep 0.5
pgrep -f 'sleep 600' > /dev/null && fail "the hanging hook (sleep 600) outlived its prekill_timeout"
journalctl -u pressured -o cat --no-pager | grep -q "still meets ruleset too-big's criteria after its" \
        || fail "the journal does not say why stubborn was killed: $(journalctl -u pressured -o cat --no-pager | grep stubborn | tail -n 3)"

# --- quick: the hook exits at once, the target still meets the criteria: killed without waiting ---
quick_ms=$(killed_after_pending quick) || { echo "$quick_ms"; exit 1; }
echo "TIMING quick KillPending -> Killed (hook exits at once): $quick_ms ms (prekill_timeout ${PREKILL_S} s)"
[ "$quick_ms" -lt $((PREKILL_S * 1000 - 1000)) ] || fail "quick waited $quick_ms ms; its hook exited at once, so the kill should not wait out prekill_timeout"
journalctl -u pressured -o cat --no-pager | grep -q "The pre-kill hook for /test.slice/quick.service is over" \
        || fail "the journal does not say the kill followed the hook's exit"

kill "$monitor" 2>/dev/null
[ "$(kernel_oom_kills)" = "$oom0" ] || fail "the kernel OOM killer fired"
pass "pre-kill: shedder spared in $spared_ms ms (verdict quiet), stubborn killed at prekill_timeout ($waited_ms ms, hook killed), quick killed after its hook in $quick_ms ms"
