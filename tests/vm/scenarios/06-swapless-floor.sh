# vm: -t 240
# Swapless floor: with no swap, a fast hog that fills RAM is killed by the embedded default policy's
# MemAvailable floor before the kernel OOM killer fires.
. /vmlab-src/lib.sh
[ "$(awk '/^SwapTotal/ { print $2 }' /proc/meminfo)" = 0 ] || fail "this scenario needs a guest without swap"
start_pressured ''
oom0=$(kernel_oom_kills)
t_start=$(now)
hog fill 0 0
wait_dead fill.service 120 || fail "the hog is still alive after 120 s"
t_kill=$(last_kill_time)
[ "$(kernel_oom_kills)" = "$oom0" ] || fail "the kernel OOM killer fired first: $(dmesg | grep -m3 -i 'out of memory')"
[ -n "$t_kill" ] || fail "the hog died, but not by pressured: $(systemctl show -P Result fill.service)"
[ "$(last_kill_field PRESSURED_RULESET)" = memory-available-floor ] || fail "killed by another rule: $(journal_kills | tail -1)"
case $(last_kill_field PRESSURED_REASON) in
*"no swap configured"*) ;;
*) fail "the reason does not name the missing swap: $(journal_kills | tail -1)" ;;
esac
echo "TIMING hog start -> kill: $(diff_s "$t_start" "$t_kill") s (guest clock), kill entry: $(journal_kills | tail -1 | cut -c1-160)"
pass "the MemAvailable floor killed the hog with no kernel OOM kill"
