# vm: -m 2048 -t 600
# Hostile clients do not delay a kill. The same hog (400 MiB thrashing test.slice under MemoryHigh) runs
# twice in one guest: first with the control socket idle, then while 1,000 unprivileged connections
# (uid 65534, tests/vm/hostile-clients.py) hammer it: pipelined history and status requests (read, or
# never read), subscriptions that never read, garbage and over-long lines. The history holds some 2,000
# entries (pre-filled before the daemon starts), so each history reply is costly (about 1 MB).
#
# Asserts: each hog is killed exactly once, and nothing else is; the kill delay with the clients (hog
# start -> pressured's decision to stop it, guest clock) is at most 1 s longer than without; pressured's peak RSS
# (VmHWM) grows by at most 8 MiB, the socket's documented ceiling and one reply; pressured is the
# same process, `oomctl status` answers within 120 s of the clients going and the history is intact. Refused and
# dropped connections are counted and printed, not failures. A guard stops the clients should the
# daemon's RSS pass 512 MiB, to keep the guest alive long enough to report it.
. /vmlab-src/lib.sh
# The socket's buffers are bounded at 6 MiB plus 0.6 KiB per connection (README, "Control socket");
# with one history reply being built on top, pressured may grow by 8 MiB under any number of clients.
N_CLIENTS=1000 N_PREFILL=1990 GROWTH_CEILING_KIB=$((8 * 1024)) GUARD_KIB=$((512 * 1024))

# The history pressured finds at start: N_PREFILL dry-run entries of a past week, in its own format.
mkdir -p /var/lib/pressured
python3 - "$N_PREFILL" > /var/lib/pressured/history.jsonl <<'PY'
import json, sys, time
n = int(sys.argv[1]); t0 = int((time.time() - 7 * 86400) * 1e6)
for i in range(n):
    t = t0 + i * 300 * 10**6
    print(json.dumps({"time": t, "time_iso": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t // 10**6)) + ".000000Z",
                      "cgroup": "/user.slice/user-1000.slice/app-%d.scope" % i, "unit": "app-%d.scope" % i,
                      "ruleset": "prefill", "reason": "full avg10 42.00 > 10.00 for 2s on /user.slice (prefilled entry %d)" % i,
                      "method": "cgroup.kill", "comm": "app", "pids": [1000 + i, 2000 + i], "killed": 2,
                      "memory_bytes": 734003200, "freed_bytes": 0, "pressure": 42.0, "dry_run": True,
                      "incident_kill": 1, "scope": "cgroup", "escalated": False}, separators=(",", ":")))
PY
start_pressured "$(test_slice_policy)"
pid=$(pressured_pid)
calm_start

# run_hog NAME: starts the hog and waits until it is gone. DELAY is then the time from its start to
# pressured's decision (its "Stopping unit" line), ENTRY_DELAY to its kill entry (written once the hog is gone).
run_hog() {
        local t_start t_dec t_kill
        t_start=$(now)
        hog "$1" 400 0 -p MemoryHigh=150M -p MemorySwapMax=0
        wait_ended "$1.service" 240 || fail "$1 is still $(unit_facts "$1.service") 240 s after it started"
        t_kill=$(wait_kill_time "/test.slice/$1.service")
        [ -n "$t_kill" ] || fail "$1 ended without a kill entry from pressured: $(unit_facts "$1.service")"
        t_dec=$(journal_time "Stopping unit $1.service")
        DELAY=$(diff_s "$t_start" "${t_dec:-$t_kill}") ENTRY_DELAY=$(diff_s "$t_start" "$t_kill")
}

# wait_calm: the post-action delay over and test.slice's full avg10 back under 1%, so that the second
# hog starts from where the first did.
wait_calm() {
        local t; t=$(now)
        sleep 15
        until [ "$(awk '/^full/ { sub("avg10=", "", $2); print ($2 < 1.0) }' /sys/fs/cgroup/test.slice/memory.pressure)" = 1 ]; do
                over "$t" 90 && fail "test.slice's pressure did not settle 90 s after the first kill: $(cat /sys/fs/cgroup/test.slice/memory.pressure)"
                sleep 1
        done
}

run_hog hog1; delay0=$DELAY entry0=$ENTRY_DELAY
rss0=$(mem_kib "$pid" VmRSS) hwm0=$(mem_kib "$pid" VmHWM) fd0=$(fd_count "$pid")
log "without clients: hog1 stopped $delay0 s after its start; pressured VmRSS $rss0 KiB, VmHWM $hwm0 KiB, $fd0 fds"
wait_calm

systemd-run --quiet --unit=hostile -p User=nobody -p Group=nogroup -p LimitNOFILE=4096 \
        python3 /vmlab-src/hostile-clients.py "$CONTROL_SOCK" "$N_CLIENTS" 400 /tmp/hostile.json \
        || fail "the hostile clients did not start"
# The guard: the clients go should the daemon's memory run away (the guest must live to report it).
( while sleep 0.5; do
        r=$(mem_kib "$pid" VmRSS) || exit 0
        if [ "${r:-0}" -gt "$GUARD_KIB" ]; then echo "$r" > /tmp/guard; systemctl kill -s KILL hostile.service; exit 0; fi
  done ) 2>/dev/null &
guard=$!
t=$(now)
until [ -s /tmp/hostile.json ] && [ "$(python3 -c 'import json; print(json.load(open("/tmp/hostile.json"))["connects"])')" -ge "$N_CLIENTS" ]; do
        over "$t" 60 && break # some may be refused for good (a per-uid cap): go on, the numbers show it
        sleep 1
done
sleep 10 # the hammering settles in: queues full, hoarders dropped and back
log "clients: $(cat /tmp/hostile.json)"
t_q=$(now)
timeout 60 "$OOMCTL" --socket "$CONTROL_SOCK" status > /tmp/status-hammered.txt 2>&1; rc=$?
status_s=$(diff_s "$t_q" "$(now)")
run_hog hog2; delay1=$DELAY entry1=$ENTRY_DELAY
rss1=$(mem_kib "$pid" VmRSS) hwm1=$(mem_kib "$pid" VmHWM) fd1=$(fd_count "$pid")
systemctl stop hostile.service
kill "$guard" 2>/dev/null
stats=$(cat /tmp/hostile.json)
echo "TIMING hog start -> kill decision: without clients $delay0 s, with $N_CLIENTS hostile clients $delay1 s (guest clock; bound: without + 1 s)"
echo "TIMING hog start -> kill entry (hog gone): without clients $entry0 s, with clients $entry1 s (guest clock)"
echo "TIMING pressured memory: without clients VmRSS $rss0 KiB, VmHWM $hwm0 KiB; with clients VmRSS $rss1 KiB, VmHWM $hwm1 KiB (growth ceiling $GROWTH_CEILING_KIB KiB); fds $fd0 -> $fd1"
echo "TIMING oomctl status over the socket under the clients: $status_s s (exit $rc)"
echo "TIMING clients: $stats"
echo "pressured's journal on the clients: $(journalctl -u pressured -o cat --no-pager | grep -c -i 'control socket\|client\|connection') lines, e.g.:"
journalctl -u pressured -o cat --no-pager | grep -i 'control socket\|client\|connection' | sort | uniq -c | sort -rn | head -n 5
[ -s /tmp/guard ] && fail "pressured's RSS reached $(cat /tmp/guard) KiB under the clients (the guard stopped them at $GUARD_KIB KiB)"
[ "$(pressured_pid)" = "$pid" ] || fail "pressured is now pid $(pressured_pid), was $pid: it died under the clients"
# The acceptance checks are gathered, so that one failing does not hide the others.
problems=()
[ "$(awk -v a="$delay1" -v b="$delay0" 'BEGIN { print (a <= b + 1) }')" = 1 ] \
        || problems+=("with $N_CLIENTS hostile clients pressured decided to stop the hog $delay1 s after its start, without them $delay0 s: more than 1 s later")
[ $((hwm1 - hwm0)) -le "$GROWTH_CEILING_KIB" ] || problems+=("pressured's peak RSS grew from $hwm0 to $hwm1 KiB under the clients, more than the $GROWTH_CEILING_KIB KiB the socket's ceilings allow")
# Once the clients are gone pressured must answer again soon; how long it takes is printed (work it
# queued for them may still be under way).
t=$(now)
until timeout 60 "$OOMCTL" --socket "$CONTROL_SOCK" status > /tmp/status-after.txt 2>&1; do
        if over "$t" 120; then
                problems+=("pressured still does not answer oomctl status 120 s after the clients were stopped: $(head -c 200 /tmp/status-after.txt)" \
                           "it is busy with them: $(journalctl -u pressured -o cat --no-pager | tail -n 1)")
                fail "$(printf '%s. ' "${problems[@]}")"
        fi
        sleep 1
done
echo "TIMING clients stopped -> oomctl status answers again: $(since "$t") s"
assert_serving "after the hostile clients"
history_kills | awk -F'\t' '$6 != "prefill"' | cut -f1 > /tmp/new-kills.txt
[ "$(tr '\n' ' ' < /tmp/new-kills.txt)" = "/test.slice/hog1.service /test.slice/hog2.service " ] \
        || fail "the kills after the pre-filled history: $(tr '\n' ' ' < /tmp/new-kills.txt); expected hog1 and hog2 once each"
assert_bystanders
[ ${#problems[@]} = 0 ] || fail "$(printf '%s. ' "${problems[@]}")"
pass "with $N_CLIENTS hostile clients the hog was killed in $delay1 s (without: $delay0 s); pressured's VmHWM $hwm1 KiB"
