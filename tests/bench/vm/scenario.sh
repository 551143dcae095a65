# vm: -m 1024 -S 1024 -I 2000 -t 600
# The scenario benchmark, guest side (the seed paper's test, scaled to the VM): bench.slice
# (MemoryMax=600M, swap allowed) holds workload.service (MemoryLow=200M; 200 MiB evenly over 60 s,
# its whole set its working set) and, 10 s after it starts, neighbour.service (runaway, burst or
# spike). One contender watches (or nothing but the kernel). The run ends when the workload ends or
# at 4x its ideal time. Prints exactly one line "BENCH_RESULT {json}" (the keys are assembled at the
# end). Exit 0 whenever the measurement worked (a killed workload is a result); 1 with a FAIL
# line when the harness broke (a contender or unit that would not start).
#
# Environment (boot.sh -e): CONTENDER kernel|earlyoom|systemd-oomd|oomd|pressured,
# NEIGHBOUR runaway|burst|spike, REP (a number, echoed), SHORT (1 = a CI run; same sizes).
# Run: flock /tmp/vm.lock tests/vm/boot.sh -e CONTENDER=pressured -e NEIGHBOUR=spike BUILD tests/bench/vm/scenario.sh
. /vmlab-src/lib.sh

BENCH=/vmlab-build/tests/bench
WORKLOAD_MIB=200 IDEAL_S=60 NEIGHBOUR_DELAY_S=10 SLICE_MAX=600M WORKLOAD_LOW=200M
CONTENDER=${CONTENDER:-kernel} NEIGHBOUR=${NEIGHBOUR:-spike} REP=${REP:-1} SHORT=${SHORT:-0}

harness_fail() {
        echo "FAIL: $* (harness error: this run measured nothing)"
        journalctl -u contender -u systemd-oomd -u pressured -u workload -u neighbour -o short-monotonic --no-pager | tail -n 30
        exit 1
}
case $CONTENDER in kernel|earlyoom|systemd-oomd|oomd|pressured) ;; *) harness_fail "unknown CONTENDER '$CONTENDER'" ;; esac
case $NEIGHBOUR in runaway|burst|spike) ;; *) harness_fail "unknown NEIGHBOUR '$NEIGHBOUR'" ;; esac
for b in bench-workload bench-neighbour; do
        [ -x "$BENCH/$b" ] || harness_fail "no $BENCH/$b: build the tree first"
done
[ "$(awk '/^SwapTotal/ { print $2 }' /proc/meminfo)" -gt 0 ] || harness_fail "the guest has no swap: boot with -S 1024 -I 2000"

# --- bench.slice, and the contender on it ---
# The VM suite's guest masks systemd-oomd (tests/vm/guest/etc): here it is a contender.
[ "$CONTENDER" = systemd-oomd ] && { systemctl unmask --quiet systemd-oomd.service systemd-oomd.socket || harness_fail "could not unmask systemd-oomd"; }
slice="[Slice]
MemoryMax=$SLICE_MAX"
if [ "$CONTENDER" = systemd-oomd ]; then
        slice+="
ManagedOOMMemoryPressure=kill
ManagedOOMMemoryPressureLimit=20%"
fi
unit_file bench.slice "$slice"
systemctl start bench.slice || harness_fail "bench.slice did not start"

contender_cg=""
case $CONTENDER in
earlyoom)
        systemd-run --quiet --unit=contender -p OOMScoreAdjust=-900 /usr/bin/earlyoom -r 0 \
                || harness_fail "earlyoom did not start"
        contender_cg=/sys/fs/cgroup/system.slice/contender.service
        ;;
systemd-oomd)
        mkdir -p /etc/systemd/oomd.conf.d
        printf '[OOM]\nDefaultMemoryPressureDurationSec=5s\n' > /etc/systemd/oomd.conf.d/bench.conf
        systemctl start systemd-oomd || harness_fail "systemd-oomd did not start"
        contender_cg=/sys/fs/cgroup/system.slice/systemd-oomd.service
        # PID 1 hands the ManagedOOM*= units over once oomd connects: wait until bench.slice is in its dump.
        for _ in $(seq 50); do
                /usr/bin/oomctl dump > /vmlab/oomctl-dump.txt 2>&1
                grep -q "Path: /bench.slice" /vmlab/oomctl-dump.txt && break
                sleep 0.2
        done
        grep -q "Path: /bench.slice" /vmlab/oomctl-dump.txt \
                || harness_fail "systemd-oomd does not monitor /bench.slice: $(cat /vmlab/oomctl-dump.txt)"
        log "systemd-oomd monitors: $(grep -A3 "Path: /bench.slice" /vmlab/oomctl-dump.txt | tr -s ' \n' ' ')"
        ;;
oomd)
        mkdir -p /run/bench
        cat > /run/bench/oomd.json <<'JSON'
{"rulesets": [{
  "name": "bench",
  "detectors": [["bench.slice full memory pressure above 20% for 5 s, with reclaim",
    {"name": "pressure_above", "args": {"cgroup": "bench.slice", "resource": "memory", "threshold": "20", "duration": "5"}},
    {"name": "memory_reclaim", "args": {"cgroup": "bench.slice", "duration": "10"}}]],
  "actions": [{"name": "kill_by_memory_size_or_growth", "args": {"cgroup": "bench.slice/*"}}]
}]}
JSON
        /usr/bin/oomd --check-config /run/bench/oomd.json > /vmlab/oomd-check.txt 2>&1 \
                || harness_fail "oomd rejects its config: $(cat /vmlab/oomd-check.txt)"
        # Debian's oomd.service runs "--interval 1"; its --cgroup-fs default there is the v1 hybrid path.
        systemd-run --quiet --unit=contender -p OOMScoreAdjust=-900 \
                /usr/bin/oomd --interval 1 --config /run/bench/oomd.json --cgroup-fs /sys/fs/cgroup \
                || harness_fail "oomd did not start"
        contender_cg=/sys/fs/cgroup/system.slice/contender.service
        ;;
pressured)
        mkdir -p /etc/pressured/policy.d
        cat > /etc/pressured/policy.d/bench.json <<'JSON'
{"rulesets": [{"name": "bench",
  "detectors": [[{"type": "pressure_above", "cgroup": "/bench.slice", "kind": "full", "window": "avg10",
                  "threshold": 20, "duration": "5s"},
                 {"type": "memory_reclaim", "cgroup": "/bench.slice", "duration": "10s"}]],
  "actions": [{"type": "kill", "cgroup": "/bench.slice/*", "ranker": "size_or_growth"}]}]}
JSON
        # The embedded default policy with the drop-in merged over it; info, the packaged log level
        # (lib.sh adds --log-level=debug, which costs CPU the others do not pay; the last one wins).
        start_pressured_service "" --log-level=info
        "$OOMCTL" policy show 2>&1 | grep -q '"bench"' || harness_fail "pressured runs without the bench ruleset: $("$OOMCTL" policy show 2>&1 | head -n 20)"
        contender_cg=/sys/fs/cgroup/system.slice/pressured.service
        ;;
esac
if [ -n "$contender_cg" ]; then
        sleep 1
        [ -f "$contender_cg/cpu.stat" ] || harness_fail "$CONTENDER is not running (no $contender_cg)"
fi

# The services running now: one that dies during the run (or restarts) was killed, as collateral.
svc_state() { # NAMES... -> "name invocation nrestarts active code status result" per line
        [ $# -gt 0 ] || return 0
        systemctl show -p Id -p InvocationID -p NRestarts -p ActiveState -p ExecMainCode -p ExecMainStatus -p Result "$@" |
                awk -F= '/^$/ { if (id) print id, inv, nr, act, code, st, res; id = "" ; next }
                         $1 == "Id" { id = $2 } $1 == "InvocationID" { inv = $2 == "" ? "-" : $2 } $1 == "NRestarts" { nr = $2 }
                         $1 == "ActiveState" { act = $2 } $1 == "ExecMainCode" { code = $2 } $1 == "ExecMainStatus" { st = $2 }
                         $1 == "Result" { res = $2 } END { if (id) print id, inv, nr, act, code, st, res }'
}
mapfile -t running < <(systemctl list-units --type=service --state=running --plain --no-legend | awk '{ print $1 }' | grep -v '^pressured-vm-test.service$')
svc_state "${running[@]}" > /tmp/services-before

oom0=$(kernel_oom_kills)
cg_cpu_usec() { [ -n "$contender_cg" ] && awk '$1 == "usage_usec" { print $2 }' "$contender_cg/cpu.stat" 2>/dev/null; }
cpu0=$(cg_cpu_usec)

# --- the run ---
# A transient unit that ends is unloaded at once, its exit status and timestamps with it: each bench
# unit writes down how and when its main process ended (systemd passes these to ExecStopPost=).
mkdir -p /run/bench
cat > /run/bench/record-exit <<'SH'
#!/bin/sh
echo "${SERVICE_RESULT:-?} ${EXIT_CODE:-?} ${EXIT_STATUS:-?} $(cut -d' ' -f1 /proc/uptime)" > "/run/bench/$1.exit"
SH
chmod 755 /run/bench/record-exit
bench_unit() { # NAME ARGS...: starts NAME.service in bench.slice
        local name=$1; shift
        systemd-run --quiet --unit="$name" --slice=bench.slice -p "ExecStopPost=/run/bench/record-exit $name" "$@"
}
bench_unit workload -p MemoryLow=$WORKLOAD_LOW "$BENCH/bench-workload" $WORKLOAD_MIB $IDEAL_S \
        || harness_fail "workload.service did not start"
t_w0=$(now)
log "workload started ($WORKLOAD_MIB MiB over ${IDEAL_S} s), contender $CONTENDER, neighbour $NEIGHBOUR in ${NEIGHBOUR_DELAY_S} s"
until over "$t_w0" $NEIGHBOUR_DELAY_S; do sleep 0.2; done
bench_unit neighbour "$BENCH/bench-neighbour" "$NEIGHBOUR" ${NEIGHBOUR_ARGS:-} || harness_fail "neighbour.service did not start"
n_start=$(systemctl show -P ExecMainStartTimestampMonotonic neighbour.service)
log "neighbour started ($NEIGHBOUR)"

workload_cg=/sys/fs/cgroup/bench.slice/workload.service
alive() { grep -q '^populated 1' "$1/cgroup.events" 2>/dev/null; }
while alive "$workload_cg" && ! over "$t_w0" $((4 * IDEAL_S)); do
        [ -f /run/bench/neighbour.exit ] && [ -z "${neighbour_logged:-}" ] && neighbour_logged=1 && log "neighbour ended: $(cat /run/bench/neighbour.exit)"
        sleep 0.5
done
t_end=$(now)
log "run over after $(since "$t_w0") s (workload $(alive "$workload_cg" && echo still running || echo ended))"

# --- the figures, before anything is stopped ---
cpu1=$(cg_cpu_usec)
if [ "$CONTENDER" = pressured ]; then # where its CPU went (logged, not part of the result)
        echo "DIAG $(tr '\n' ' ' < "$contender_cg/cpu.stat")"
        "$OOMCTL" status -v 2>&1 | grep -e '^Wake-ups' -e '^Samples' | sed 's/^/DIAG /'
fi
peak=$([ -n "$contender_cg" ] && cat "$contender_cg/memory.peak" 2>/dev/null)
oom1=$(kernel_oom_kills)
stall_usec=$(awk '/^full/ { sub("total=", "", $5); print $5 }' /sys/fs/cgroup/bench.slice/memory.pressure)
# Let systemd settle the units' final state (a stop in progress, a restart, ExecStopPost=).
sleep 1
for u in workload neighbour; do
        echo "$u $(cat /run/bench/$u.exit 2>/dev/null || echo "running")"
done > /tmp/bench-units
mapfile -t before_names < <(awk '{ print $1 }' /tmp/services-before)
svc_state "${before_names[@]}" > /tmp/services-after
export BENCH_JSON_IN=$(
        echo "contender=$CONTENDER"; echo "neighbour=$NEIGHBOUR"; echo "rep=$REP"; echo "short=$SHORT"
        echo "ideal_s=$IDEAL_S"; echo "oom_kills=$((oom1 - oom0))"
        echo "cpu0=${cpu0:-}"; echo "cpu1=${cpu1:-}"; echo "peak=${peak:-}"
        echo "wall=$(journalctl -u workload -o cat --no-pager | sed -n 's/^WORKLOAD_DONE wall_s=//p' | tail -n 1)"
        echo "n_start=$n_start"; echo "stall=${stall_usec:-}"
        echo "kernel=$(uname -r)"
)
python3 - /tmp/bench-units /tmp/services-before /tmp/services-after <<'PY' || harness_fail "could not assemble the result"
import json, os, sys

env = dict(l.split("=", 1) for l in os.environ["BENCH_JSON_IN"].splitlines() if "=" in l)
def rows(path):
    out = {}
    for line in open(path):
        f = line.split()
        if len(f) == 7:
            out[f[0]] = dict(zip(("id", "inv", "nrestarts", "active", "code", "status", "result"), f))
    return out

def died_by_kill(u):
    # CLD_KILLED 2, CLD_DUMPED 3: ended by a signal (a SIGTERM from earlyoom or a stop, a SIGKILL);
    # Result oom-kill: the kernel or systemd-oomd (or pressured's xattrs) say so.
    return u["active"] != "active" and (u["code"] in ("2", "3") or u["result"] in ("oom-kill", "signal", "core-dump"))

# The bench units, from their ExecStopPost= record: "NAME RESULT EXIT_CODE EXIT_STATUS UPTIME" or "NAME running".
bench = {}
for line in open(sys.argv[1]):
    f = line.split()
    bench[f[0]] = dict(zip(("result", "code", "status", "t"), f[1:])) if len(f) == 5 else None
w, n = bench.get("workload"), bench.get("neighbour")
def bench_killed(u):
    return u is not None and (u["code"] in ("killed", "dumped") or u["result"] in ("oom-kill", "signal", "core-dump"))
killed = [name for name in ("workload", "neighbour") if bench_killed(bench.get(name))]

# Every other service that ran before: restarted, ended by a signal, or gone (a transient unit that
# ends is unloaded: ExecMainCode 0 while it is not active).
before, after = rows(sys.argv[2]), rows(sys.argv[3])
for name, b in sorted(before.items()):
    a = after.get(name)
    if a is None:
        continue
    restarted = int(a["nrestarts"] or 0) > int(b["nrestarts"] or 0) or (a["active"] == "active" and a["inv"] != b["inv"])
    gone = a["active"] != "active" and a["code"] == "0"
    if restarted or gone or died_by_kill(a):
        killed.append(name)

def exit_text(u):
    return "running" if u is None else "%s %s result %s" % (u["code"], u["status"], u["result"])

wall = float(env["wall"]) if env["wall"] else None
ideal = float(env["ideal_s"])
survived = wall is not None and w is not None and w["code"] == "exited" and w["status"] == "0"
n_start = int(env["n_start"] or 0) / 1e6
kill_s = round(float(n["t"]) - n_start, 2) if "neighbour" in killed and n_start else None
cpu = (int(env["cpu1"]) - int(env["cpu0"])) / 1e6 if env["cpu0"] and env["cpu1"] else None
peak = int(env["peak"]) // 1024 if env["peak"] else None
result = {
    "kind": "scenario", "contender": env["contender"], "neighbour": env["neighbour"], "rep": int(env["rep"]),
    "ideal_s": ideal, "workload_wall_s": wall, "workload_ratio": round(wall / ideal, 3) if survived else None,
    "workload_survived": survived, "neighbour_killed": "neighbour" in killed, "neighbour_kill_s": kill_s,
    "killed": killed, "collateral": [k for k in killed if k != "neighbour"],
    "kernel_oom_kills": int(env["oom_kills"]), "daemon_cpu_s": round(cpu, 3) if cpu is not None else None,
    "daemon_peak_rss_kib": peak, "guest_kernel": env["kernel"],
    "workload_exit": exit_text(w), "neighbour_exit": exit_text(n), "short": env["short"] == "1",
    "slice_full_stall_s": round(int(env["stall"]) / 1e6, 2) if env["stall"] else None,
}
print("BENCH_RESULT " + json.dumps(result, separators=(",", ":")))
PY
journalctl -u contender -u systemd-oomd -u pressured -o short-monotonic --no-pager | grep -i -e kill -e "pressure" | tail -n 5 | sed 's/^/contender log: /'
exit 0
