# vm: -t 240
# A hog under MemoryHigh in test.slice drives the slice's memory pressure up; pressured kills it,
# the kernel OOM killer never fires, and a well-behaved unit in the same slice survives.
# post_action_delay is the default 15 s: full avg10 needs about that long to fall below the threshold
# after the hog is gone, and a shorter delay would let the stale average pick the calm unit next.
. /vmlab-src/lib.sh
start_pressured "$(test_slice_policy)" # full avg10 of /test.slice > 10% for 2 s, post_action_delay 15s
oom0=$(kernel_oom_kills)
hog calm 20 0
wait_memory calm.service 20
watch_pressure test.slice 10 /tmp/crossed
t_start=$(now)
hog hog 400 0 -p MemoryHigh=150M -p MemorySwapMax=0
log "hog started"
wait_dead hog.service 120 || fail "the hog is still alive 120 s after it started"
t_dead=$(now)
t_kill=$(last_kill_time)
[ -n "$t_kill" ] || fail "the hog died, but pressured logged no kill: $(systemctl show -P Result hog.service)"
journal_field_has PRESSURED_CGROUP /test.slice/hog.service || fail "the kill entry names another victim: $(journal_kills)"
unit_active calm.service || fail "the well-behaved unit died too"
[ "$(kernel_oom_kills)" = "$oom0" ] || fail "the kernel OOM killer fired ($(kernel_oom_kills) kills)"
log "hog Result=$(systemctl show -P Result hog.service)"
history_lines | grep -q '"cgroup":"/test.slice/hog.service"' || fail "no history entry"
crossed=$(cat /tmp/crossed 2>/dev/null)
echo "TIMING hog start -> kill: $(diff_s "$t_start" "$t_kill") s (guest clock)"
[ -n "$crossed" ] && echo "TIMING full avg10 > 10% -> kill: $(diff_s "$crossed" "$t_kill") s (guest clock; the rule's duration is 2 s)"
pass "pressured killed the hog, the calm unit lives, no kernel OOM kill"
