# vm: -t 420
# The wall clock jumps back an hour while the daemon runs. A first hog is killed under test.slice
# pressure (post_action_delay 15s); right after, `date -s '-1 hour'`, and a second hog starts at once.
# Every timer of pressured (sampling, the rules' durations, the post-action delay) runs on the monotonic
# clock: a delay measured on the wall clock would now last an hour and 15 s, and the second hog would
# thrash unchecked. Only the history's time stamps are wall-clock times.
#
# Asserts: the second hog is killed exactly once, within 120 s of its start (guest monotonic clock) and
# not before the post-action delay of the first kill is over; nothing else is killed (the calm unit is
# the same instance); history.jsonl holds the two entries in the order they happened (the second one's
# wall time an hour earlier, as the clock said), every line parses and `oomctl history` lists both;
# `oomctl status` answers; no kernel OOM kill.
. /vmlab-src/lib.sh
DELAY_S=15 # test_slice_policy's post_action_delay
start_pressured "$(test_slice_policy)"
calm_start
t1=$(now)
hog hog1 400 0 -p MemoryHigh=150M -p MemorySwapMax=0
wait_ended hog1.service 120 || fail "hog1 is still $(unit_facts hog1.service) 120 s after it started"
t1_kill=$(wait_kill_time /test.slice/hog1.service)
[ -n "$t1_kill" ] || fail "hog1 ended without a kill entry from pressured"
wall0=$(date +%s)
date -s '-1 hour' > /dev/null || fail "date -s '-1 hour' failed"
wall1=$(date +%s)
[ $((wall0 - wall1)) -ge 3500 ] || fail "the wall clock did not go back an hour ($wall0 -> $wall1)"
log "hog1 killed at $t1_kill; wall clock set back from $(date -u -d @"$wall0" +%T) to $(date -u -d @"$wall1" +%T) UTC"
t2=$(now)
hog hog2 400 0 -p MemoryHigh=150M -p MemorySwapMax=0
wait_ended hog2.service 120 || fail "hog2 is still $(unit_facts hog2.service) 120 s after it started, the wall clock an hour back:" \
        "a timer on the wall clock? pressured's last lines: $(journalctl -u pressured -o cat --no-pager | tail -n 3)"
t2_kill=$(wait_kill_time /test.slice/hog2.service)
[ -n "$t2_kill" ] || fail "hog2 ended without a kill entry from pressured"
echo "TIMING hog1 start -> kill: $(diff_s "$t1" "$t1_kill") s; hog2 start (wall clock an hour back) -> kill: $(diff_s "$t2" "$t2_kill") s;" \
     "hog1's kill -> hog2's kill: $(diff_s "$t1_kill" "$t2_kill") s (post_action_delay $DELAY_S s; guest monotonic clock)"
[ "$(awk -v a="$(diff_s "$t1_kill" "$t2_kill")" -v d="$DELAY_S" 'BEGIN { print (a >= d - 1) }')" = 1 ] \
        || fail "hog2 was killed $(diff_s "$t1_kill" "$t2_kill") s after hog1: before the post-action delay ($DELAY_S s) was over"
sleep 5
assert_serving "after the clock went back"
history_kills > /tmp/kills.txt
[ "$(cut -f1 /tmp/kills.txt | sort | tr '\n' ' ')" = "/test.slice/hog1.service /test.slice/hog2.service " ] \
        || fail "oomctl history lists: $(cut -f1 /tmp/kills.txt | tr '\n' ' '); expected hog1 and hog2 once each"
python3 - /var/lib/pressured/history.jsonl "$wall0" <<'PY' || fail "the history file does not hold the two kills as they happened"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
cg = [r["cgroup"] for r in recs]
if cg != ["/test.slice/hog1.service", "/test.slice/hog2.service"]:
    sys.exit("entries in the file: %s" % cg)
t1, t2 = recs[0]["time"] / 1e6, recs[1]["time"] / 1e6
print("history: hog1 at %s, hog2 at %s (wall clock)" % (recs[0]["time_iso"], recs[1]["time_iso"]))
if not (t1 <= int(sys.argv[2]) + 1 and t2 < t1 - 3000):
    sys.exit("the time stamps do not follow the wall clock: hog1 %.0f, hog2 %.0f, clock set back at %s" % (t1, t2, sys.argv[2]))
PY
"$OOMCTL" history > /tmp/history.txt 2>&1 || fail "oomctl history failed: $(cat /tmp/history.txt)"
cat /tmp/history.txt
grep -q hog1 /tmp/history.txt && grep -q hog2 /tmp/history.txt || fail "oomctl history does not show both kills"
assert_bystanders
pass "with the wall clock an hour back, hog2 was killed once, $(diff_s "$t2" "$t2_kill") s after its start; the history holds both kills in order"
