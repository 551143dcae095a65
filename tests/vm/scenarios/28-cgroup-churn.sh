# vm: -t 420
# Cgroups come and go a thousand times a second while a hog makes pressure. A churner (its own service
# in system.slice) creates and removes empty cgroups under test.slice/test-churn.slice, a slice of their
# own, at up to 1,000 mkdir + 1,000 rmdir per second (some 16 alive at a time), for the whole scenario.
# The ruleset's candidates are test.slice's children and the churn cgroups themselves, so pressured
# lists, opens and ranks cgroups that vanish under it. A hog thrashes test.slice under MemoryHigh.
#
# Asserts: the hog is killed exactly once within 120 s and nothing else is (no churn cgroup, not the
# churn slice, not the calm unit); pressured is the same process and, once a whole sample has run
# after the churn stopped, holds no file of a removed cgroup and no more file descriptors than after
# a whole sample before it began (+8: a leak per cgroup would be thousands); `oomctl status` answers and the history is intact; no kernel OOM kill.
# Prints the churn rate reached (TCG may not reach 1,000 a second).
. /vmlab-src/lib.sh
SLICE=/sys/fs/cgroup/test.slice/test-churn.slice
start_pressured "$(test_slice_policy "" "" '["/test.slice/*", "/test.slice/test-churn.slice/*"]')"
pid=$(pressured_pid)
calm_start
systemctl start test-churn.slice || fail "could not start test-churn.slice"
[ -d "$SLICE" ] || fail "test-churn.slice has no cgroup"
# whole_sample: `oomctl status` makes a quiet pressured take a whole sample at once (twice: the second
# after the listing the first one found stale).
whole_sample() { for _ in 1 2; do "$OOMCTL" --socket "$CONTROL_SOCK" status > /dev/null 2>&1; sleep 1; done; }
# cgroup_fds: the cgroup files and directories pressured holds open, one path a line.
cgroup_fds() { for f in /proc/"$pid"/fd/*; do readlink "$f"; done 2>/dev/null | grep '^/sys/fs/cgroup' | sort; }
sleep 3
whole_sample
fd0=$(fd_count "$pid")
cgroup_fds > /tmp/fds0.txt
cat > /tmp/churn.py <<'PY'
import os, signal, sys, time
base, rate = sys.argv[1], int(sys.argv[2])
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
live, made, removed, errors, i, t0 = [], 0, 0, 0, 0, time.monotonic()
while not stop:
    due = t0 + made / rate
    d = due - time.monotonic()
    if d > 0:
        time.sleep(d)
    p = "%s/churn%d" % (base, i)
    i += 1
    try:
        os.mkdir(p); made += 1; live.append(p)
    except OSError:
        errors += 1; made += 1
    if len(live) > 16:
        try:
            os.rmdir(live.pop(0)); removed += 1
        except OSError:
            errors += 1
for p in live:
    try:
        os.rmdir(p); removed += 1
    except OSError:
        errors += 1
el = time.monotonic() - t0
with open("/tmp/churn.stats", "w") as f:
    f.write("%d created, %d removed, %d errors in %.1f s: %.0f mkdir/s\n" % (made, removed, errors, el, made / el))
PY
systemd-run --quiet --unit=churn --service-type=exec python3 /tmp/churn.py "$SLICE" 1000 || fail "the churner did not start"
sleep 5
log "churn running: $(ls "$SLICE" | grep -c '^churn') churn cgroups right now; pressured holds $fd0 fds"
t_start=$(now)
hog hog 400 0 -p MemoryHigh=150M -p MemorySwapMax=0
wait_ended hog.service 120 || fail "the hog is still $(unit_facts hog.service) 120 s after it started, with the churn running"
t_kill=$(wait_kill_time /test.slice/hog.service)
[ -n "$t_kill" ] || fail "the hog ended without a kill entry from pressured"
echo "TIMING hog start -> kill with cgroup churn: $(diff_s "$t_start" "$t_kill") s (guest clock)"
sleep 10 # more churn after the kill, while pressure decays
unit_active churn.service || fail "the churner died: $(unit_facts churn.service)"
fd_mid=$(fd_count "$pid")
systemctl stop churn.service
cat /tmp/churn.stats 2>/dev/null || fail "the churner left no numbers"
echo "TIMING churn: $(cat /tmp/churn.stats)"
sleep 5
fd_idle=$(fd_count "$pid")
# The files of cgroups that vanished are closed at the next whole sample, which a quiet daemon takes
# once a minute, or at once for `oomctl status`.
whole_sample
fd1=$(fd_count "$pid")
cgroup_fds > /tmp/fds1.txt
echo "TIMING pressured's fds: $fd0 before the churn, $fd_mid during it, $fd_idle 5 s after it, $fd1 after the next whole sample"
[ "$(pressured_pid)" = "$pid" ] || fail "pressured is now pid $(pressured_pid), was $pid: it died during the churn"
grep -q 'churn[0-9]' /tmp/fds1.txt && fail "pressured still holds files of removed churn cgroups after a whole sample: $(grep 'churn[0-9]' /tmp/fds1.txt | head -n 5 | tr '\n' ' ')"
[ "$fd1" -le $((fd0 + 8)) ] || fail "pressured holds $fd1 fds after the churn, $fd0 before (+8 allowed): a leak? cgroup files" \
        "opened since: $(comm -13 /tmp/fds0.txt /tmp/fds1.txt | tr '\n' ' ')"
assert_serving "after the churn"
assert_only_killed /test.slice/hog.service 1
journalctl MESSAGE_ID=$KILL_MESSAGE_ID -o cat --no-pager | grep -q churn && fail "a kill entry names a churn cgroup: $(journal_kills | grep churn)"
assert_bystanders
pass "the hog was killed once among churning cgroups ($(cat /tmp/churn.stats)); fds $fd0 -> $fd1; nothing else touched"
