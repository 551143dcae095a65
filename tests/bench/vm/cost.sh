# vm: -m 1024 -t 900
# The cost benchmark's guest: one daemon watching N empty cgroups for 60 s, idle or with pressure.
# Environment (boot.sh -e): DAEMON=pressured|systemd-oomd|oomd|earlyoom|libsystemd-floor, CGROUPS=N, PRESSURE=0|1;
# for a closer look, LOG_LEVEL=debug (pressured), WINDOW_S and SETTLE_S (default 60 and 15), STRACE_S=10
# (after the window, which files the daemon opens in that many seconds: DIAG lines), PERF_S=20 (after
# the window, a perf profile of the daemon for that many seconds: DIAG perf lines; it sets STRACE_C too),
# STRACE_C=10 (after the window, the daemon's system calls in that many seconds, counted: DIAG strace lines),
# JOURNAL=1 (pressured's journal of the run: DIAG journal lines; with LOG_LEVEL=debug, every sample's why).
# The tree is N cgroups /sys/fs/cgroup/cost.slice/tree.scope/cg-K in a delegated scope (cg-1 holds
# the scope's own process, so tree.scope can enable the memory controller for its children). Each
# daemon is configured to watch all of them, with the scenario benchmark's thresholds (full avg10
# above 20% for 5 s, with reclaim): pressured by a drop-in ruleset on /cost.slice/tree.scope/*,
# systemd-oomd by ManagedOOMMemoryPressure=kill on cost.slice, oomd by pressure_above on
# cost.slice/tree.scope/*; earlyoom (N=0) watches no cgroup at all; libsystemd-floor (N=0) is no daemon
# but the reference for memory: tests/bench/rss-floor.c, which only sets up sd-event and sd-bus. With PRESSURE=1 one hog under
# memory.high in cg-1 keeps the tree under pressure the whole window; cg-1 is exempt from kills
# (user.oomd_omit, honoured by pressured and systemd-oomd; oomd's kill action is "dry", pressured's
# policy dry_run), so the pressure lasts and what is measured is the watching, not a kill.
# Measured: the daemon's utime+stime (/proc/PID/stat) over exactly a 60 s window that starts after
# the tree is built and the daemon has settled, its VmHWM (peak RSS) at the end, and at the end its
# RSS, PSS and private memory from the page tables (smaps_rollup).
# Prints: BENCH_RESULT {"kind":"cost", daemon, cgroups, pressure, seconds, cpu_s, peak_rss_kib, guest_kernel, ...}
. /vmlab-src/lib.sh
DAEMON=${DAEMON:-pressured} CGROUPS=${CGROUPS:-100} PRESSURE=${PRESSURE:-0}
WINDOW_S=${WINDOW_S:-60} SETTLE_S=${SETTLE_S:-15}
HOG_HIGH_MIB=64 HOG_MIB=160 # anon memory above memory.high, no swap: the hog stalls for as long as it lives
CG=/sys/fs/cgroup
TREE=$CG/cost.slice/tree.scope

case $DAEMON in pressured|systemd-oomd|oomd|earlyoom|libsystemd-floor) ;; *) fail "unknown DAEMON=$DAEMON" ;; esac
case $DAEMON in earlyoom|libsystemd-floor) [ "$CGROUPS" = 0 ] || fail "$DAEMON watches no cgroup: run it with CGROUPS=0" ;; esac

# --- the cgroup tree ---
if [ "$DAEMON" = systemd-oomd ]; then
        # The harness masks systemd-oomd (tests/vm/guest/etc) so that nothing starts it by accident;
        # this guest's /etc is a throw-away overlay, so the masks go here.
        rm -f /etc/systemd/system/systemd-oomd.service /etc/systemd/system/systemd-oomd.socket
        mkdir -p /etc/systemd/oomd.conf.d /run/systemd/system
        printf '[OOM]\nDefaultMemoryPressureDurationSec=5s\n' > /etc/systemd/oomd.conf.d/bench.conf
        printf '[Slice]\nManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimit=20%%\n' > /run/systemd/system/cost.slice
        systemctl daemon-reload
fi
t_setup=$(now)
if [ "$CGROUPS" -gt 0 ]; then
        systemd-run --quiet --scope --unit=tree --slice=cost -p Delegate=yes sleep infinity &
        for _ in $(seq 100); do [ -s "$TREE/cgroup.procs" ] && break; sleep 0.1; done
        keeper=$(head -n 1 "$TREE/cgroup.procs" 2>/dev/null)
        [ -n "$keeper" ] || fail "the delegated scope tree.scope did not start"
        mkdir "$TREE/cg-1" && echo "$keeper" > "$TREE/cg-1/cgroup.procs" || fail "could not move the scope's process into cg-1"
        echo "+memory" > "$TREE/cgroup.subtree_control" || fail "could not enable the memory controller in $TREE: $(cat "$TREE/cgroup.controllers")"
        [ "$CGROUPS" -gt 1 ] && { seq -f "$TREE/cg-%.0f" 2 "$CGROUPS" | xargs mkdir || fail "could not create $CGROUPS cgroups"; }
        made=$(find "$TREE" -mindepth 1 -maxdepth 1 -type d -name 'cg-*' | wc -l)
        [ "$made" = "$CGROUPS" ] || fail "made $made cgroups, wanted $CGROUPS"
        python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.oomd_omit", b"1")' "$TREE/cg-1" \
                || fail "could not set user.oomd_omit on cg-1"
fi
log "tree of $CGROUPS cgroups ready in $(since "$t_setup") s"

# --- the daemon ---
case $DAEMON in
pressured)
        mkdir -p /etc/pressured/policy.d
        cat > /etc/pressured/policy.d/cost.json <<'JSON'
{"dry_run": true,
 "rulesets": [{"name": "cost-tree",
   "detectors": [[{"type": "pressure_above", "cgroup": "/cost.slice/tree.scope/*", "kind": "full", "window": "avg10",
                   "threshold": 20, "duration": "5s"},
                  {"type": "memory_reclaim", "cgroup": "/cost.slice/tree.scope/*", "duration": "10s"}]],
   "actions": [{"type": "kill", "cgroup": "/cost.slice/tree.scope/*", "ranker": "size_or_growth"}]}]}
JSON
        # The embedded default policy plus the drop-in. lib.sh asks for debug logging; the installed
        # unit logs at info, so the later option puts that back (a debug line per sample is not what a host runs).
        start_pressured_service "" --log-level="${LOG_LEVEL:-info}"
        unit=pressured.service
        ;;
systemd-oomd)
        systemctl start systemd-oomd || fail "systemd-oomd did not start: $(journalctl -u systemd-oomd -o cat --no-pager | tail -n 5)"
        unit=systemd-oomd.service
        ;;
oomd)
        cat > /run/oomd-cost.json <<'JSON'
{"rulesets": [{"name": "cost-tree",
  "detectors": [["tree under pressure",
    {"name": "pressure_above", "args": {"cgroup": "cost.slice/tree.scope/*", "resource": "memory", "threshold": "20", "duration": "5"}},
    {"name": "memory_reclaim", "args": {"cgroup": "cost.slice/tree.scope/*", "duration": "10"}}]],
  "actions": [{"name": "kill_by_memory_size_or_growth", "args": {"cgroup": "cost.slice/tree.scope/*", "dry": "true"}}]}]}
JSON
        # --interval 1: Debian's /etc/default/oomd and the other daemons' 1 s sampling (oomd's own default is 5 s)
        /usr/bin/oomd --check-config /run/oomd-cost.json > /tmp/oomd-check.txt 2>&1 || fail "oomd refused the config: $(tail -n 5 /tmp/oomd-check.txt)"
        systemd-run --quiet --unit=contender -p OOMScoreAdjust=-900 /usr/bin/oomd --interval 1 \
                --config /run/oomd-cost.json --cgroup-fs /sys/fs/cgroup || fail "oomd did not start"
        unit=contender.service
        ;;
earlyoom)
        systemd-run --quiet --unit=contender -p OOMScoreAdjust=-900 /usr/bin/earlyoom -r 0 || fail "earlyoom did not start"
        unit=contender.service
        ;;
libsystemd-floor)
        systemd-run --quiet --unit=contender -p OOMScoreAdjust=-900 /vmlab-build/tests/bench/bench-rss-floor \
                || fail "bench-rss-floor did not start"
        unit=contender.service
        ;;
esac
sleep 2
pid=$(systemctl show -P MainPID "$unit")
[ -n "$pid" ] && [ "$pid" != 0 ] && [ -d "/proc/$pid" ] || fail "$unit has no main process: $(journalctl -u "$unit" -o cat --no-pager | tail -n 5)"
log "$DAEMON is pid $pid ($unit): $(tr '\0' ' ' < "/proc/$pid/cmdline")"

if [ "$PRESSURE" = 1 ]; then
        echo $((HOG_HIGH_MIB * 1024 * 1024)) > "$TREE/cg-1/memory.high" || fail "could not set memory.high on cg-1"
        bash -c "echo \$\$ > $TREE/cg-1/cgroup.procs && exec $HOG $HOG_MIB 0" > /tmp/hog.log 2>&1 &
        hog_pid=$!
fi
sleep "$SETTLE_S" # start-up, the first walks of the tree and the first pressure samples are not the steady state
if [ "$PRESSURE" = 1 ]; then
        kill -0 "$hog_pid" 2>/dev/null || fail "the hog died before the window: $(cat /tmp/hog.log)"
        log "cg-1 before the window: $(tr '\n' ' ' < "$TREE/cg-1/memory.pressure"); cost.slice: $(head -n 2 $CG/cost.slice/memory.pressure | tr '\n' ' ')"
fi
[ "$DAEMON" = systemd-oomd ] && /usr/bin/oomctl dump 2>&1 | head -n 30

# --- the window ---
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
t0=$(now) c0=$(cpu_ticks)
sleep "$WINDOW_S"
t1=$(now) c1=$(cpu_ticks)
[ -d "/proc/$pid" ] || fail "$DAEMON (pid $pid) exited during the window: $(journalctl -u "$unit" -o cat --no-pager | tail -n 5)"
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
anon=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status")
# The same from the page tables (smaps_rollup): this 6.1 kernel keeps VmRSS and VmHWM in per-thread
# counters folded in only every 64 page faults, so a daemon that rarely faults shows less than it maps.
read -r pt_rss pss private < <(awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } /^Private_(Clean|Dirty):/ { v += $2 }
        END { print r + 0, p + 0, v + 0 }' "/proc/$pid/smaps_rollup")
echo "DIAG memory: $(grep -e '^VmLck' -e '^RssAnon' -e '^RssFile' -e '^RssShmem' "/proc/$pid/status" | tr -s ' \t\n' ' ')"
# RSS by mapping (KiB, now, not the peak): what the daemon's resident memory is made of
awk '/^[0-9a-f]+-[0-9a-f]+ / { name = NF >= 6 ? $6 : "[anon]" } /^Rss:/ { rss[name] += $2 }
     END { for (n in rss) if (rss[n] > 0) printf "%d %s\n", rss[n], n }' "/proc/$pid/smaps" | sort -rn | head -n 15 | sed 's/^/DIAG rss KiB /'
echo "DIAG guest: $(grep -e '^MemTotal' -e '^MemAvailable' -e '^SwapTotal' /proc/meminfo | tr -s ' \t\n' ' ')"
hog_alive=null pressure_avg=null
if [ "$PRESSURE" = 1 ]; then
        kill -0 "$hog_pid" 2>/dev/null && hog_alive=true || hog_alive=false
        pressure_avg=$(awk '/^full/ { sub("avg60=", "", $3); print $3 }' "$TREE/cg-1/memory.pressure")
        log "cg-1 after the window: $(tr '\n' ' ' < "$TREE/cg-1/memory.pressure")"
fi
[ "$DAEMON" = pressured ] && journalctl -u pressured -o cat --no-pager | grep -i -e "would kill" -e "dry run" | tail -n 3
[ "$DAEMON" = pressured ] && "$OOMCTL" status -v 2>&1 | grep -e '^Wake-ups' -e '^Samples' | sed 's/^/DIAG /'
# JOURNAL=1 (with LOG_LEVEL=debug): pressured's journal of the run, to see why it sampled as it did
[ "$DAEMON" = pressured ] && [ "${JOURNAL:-0}" = 1 ] && journalctl -u pressured -o short-monotonic --no-pager | sed 's/^/DIAG journal /'
if [ -n "${PERF_S:-}" ]; then # a closer look after the window: where the daemon's CPU goes in PERF_S seconds
        timeout -s INT "$PERF_S" perf record -q -e cpu-clock -F 999 -g -p "$pid" -o /tmp/perf.data > /dev/null 2>&1
        echo "DIAG perf: $(perf report -i /tmp/perf.data --stdio 2> /dev/null | grep -m 1 '^# Samples')"
        perf report -i /tmp/perf.data --stdio --no-children -g none --sort dso 2> /dev/null | grep -v -e '^$' -e '^#' | head -n 12 | sed 's/^/DIAG perf /'
        perf report -i /tmp/perf.data --stdio --no-children -g none --sort dso,sym 2> /dev/null | grep -v -e '^$' -e '^#' | head -n 40 | sed 's/^/DIAG perf /'
        STRACE_C=${STRACE_C:-$PERF_S}
fi
if [ -n "${STRACE_C:-}" ]; then # the daemon's system calls in that many seconds, counted
        timeout "$STRACE_C" strace -c -f -qq -p "$pid" -o /tmp/strace-c.txt
        sed 's/^/DIAG strace /' /tmp/strace-c.txt | head -n 25
fi
if [ -n "${STRACE_S:-}" ]; then # a closer look after the window: what the daemon does in STRACE_S seconds
        timeout "$STRACE_S" strace -f -qq -p "$pid" -e trace=openat,open -o /tmp/opens.txt
        echo "DIAG opens in ${STRACE_S} s: $(wc -l < /tmp/opens.txt), of /proc/meminfo (about one per sample): $(grep -c '/proc/meminfo' /tmp/opens.txt)"
        sed -e 's/^[0-9]* *//' -e 's/openat([^,]*, "\([^"]*\)".*/\1/' -e 's/[0-9]\+/N/g' /tmp/opens.txt | sort | uniq -c | sort -rn | head -n 25 | sed 's/^/DIAG /'
fi
echo "BENCH_RESULT $(awk -v d="$DAEMON" -v n="$CGROUPS" -v p="$PRESSURE" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" \
        -v hz="$ticks" -v hwm="$hwm" -v rss="$rss" -v anon="$anon" -v ptr="$pt_rss" -v pss="$pss" -v priv="$private" -v k="$(uname -r)" -v alive="$hog_alive" -v pa="$pressure_avg" 'BEGIN {
        secs = t1 - t0
        printf "{\"kind\":\"cost\",\"daemon\":\"%s\",\"cgroups\":%d,\"pressure\":%s,\"seconds\":%.2f,\"cpu_s\":%.2f,\"cpu_s_per_60s\":%.3f,\"peak_rss_kib\":%d,\"rss_kib\":%d,\"anon_rss_kib\":%d,\"smaps_rss_kib\":%d,\"pss_kib\":%d,\"private_kib\":%d,\"hog_survived\":%s,\"pressure_full_avg60\":%s,\"guest_kernel\":\"%s\"}",
               d, n, p == 1 ? "true" : "false", secs, (c1 - c0) / hz, (c1 - c0) / hz * 60 / secs, hwm, rss, anon, ptr, pss, priv, alive, pa, k
}')"
pass "$DAEMON with $CGROUPS cgroups, pressure $PRESSURE"
