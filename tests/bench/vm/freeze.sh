# vm: -m 1024 -t 600
# The freeze benchmark, guest side: the whole machine, no cgroup memory limit anywhere. An
# interactive probe (probe.service, system.slice: bench-probe, 64 MiB touched an eighth every 100 ms)
# measures how long the machine stalls while one load runs in root's user manager
# (user@0.service/app.slice/LOAD.service, where a desktop user's programs run and where Debian's
# systemd-oomd defaults apply: ManagedOOMMemoryPressure=kill at 50 % on user@.service,
# ManagedOOMSwap=kill on -.slice). One contender watches with its packaged defaults.
#
# Loads: offenders, which an OOM killer should end
#   leaker    bench-neighbour runaway 30: 30 MiB/s without end
#   thrasher  bench-thrasher: 1.3x MemTotal, all of it touched in a loop
#   respawn   bench-thrasher --respawn: the same, re-forked at once whenever the worker dies
# and busy-but-healthy loads, which no OOM killer should touch
#   build     bench-busy build: 4 processes holding 80 % of MemAvailable together, CPU work, 60 s
#   spike     bench-busy spike: 90 % of MemAvailable for 2 s, then freed
#   copy      dd writes 2x RAM to a scratch disk, then reads it all back (page cache churn); the
#             host passes the disk as the swap disk (boot.sh -S) and this script turns its swap off,
#             so the copy cell always runs without swap
#
# An offender cell ends OFFENDER_SETTLE_S after relief, or OFFENDER_MAX_S after the offender started.
# Relief: the first moment the offender's cgroup is empty (all its processes gone: the earlier of
# the harness's 0.5 s poll and the unit's ExecStopPost= stamp). A respawning thrasher whose worker
# alone is killed is not relieved. A busy cell ends when its load ends (BUSY_MAX_S at most).
# Prints exactly one line "BENCH_RESULT {json}" (kind "freeze"). Exit 0 whenever the measurement
# worked (a killed probe is a result); 1 with a FAIL line when the harness broke.
#
# Environment (boot.sh -e): CONTENDER kernel|earlyoom|systemd-oomd|oomd|pressured,
# LOAD leaker|thrasher|respawn|build|spike|copy, SWAP 1|0 (what the host gave: checked), REP, SHORT,
# TIMELINE 1 to print, after the result, what the machine went through (bench-timeline every 250 ms:
# "TIMELINE" lines of PSI, swap and refault totals; "PROBE_STALL" lines; "CONTENDER" journal lines).
# Run: flock /tmp/vm.lock tests/vm/boot.sh -S 1024 -I 2000 -e CONTENDER=pressured -e LOAD=respawn -e SWAP=1 BUILD tests/bench/vm/freeze.sh
. /vmlab-src/lib.sh

BENCH=/vmlab-build/tests/bench
PROBE_MIB=64 LEAK_MIB_PER_S=30 OFFENDER_MAX_S=180 OFFENDER_SETTLE_S=10 BUSY_MAX_S=300 BUSY_SETTLE_S=5
BUILD_PROCS=4 BUILD_S=60 SPIKE_HOLD_S=2
CONTENDER=${CONTENDER:-kernel} LOAD=${LOAD:-respawn} SWAP=${SWAP:-1} REP=${REP:-1} SHORT=${SHORT:-0} TIMELINE=${TIMELINE:-0}

harness_fail() {
        echo "FAIL: $* (harness error: this run measured nothing)"
        journalctl -u earlyoom -u systemd-oomd -u oomd -u pressured -u probe -o short-monotonic --no-pager | tail -n 30
        exit 1
}
case $CONTENDER in kernel|earlyoom|systemd-oomd|oomd|pressured) ;; *) harness_fail "unknown CONTENDER '$CONTENDER'" ;; esac
case $LOAD in leaker|thrasher|respawn) kind=offender ;; build|spike|copy) kind=busy ;; *) harness_fail "unknown LOAD '$LOAD'" ;; esac
for b in bench-probe bench-neighbour bench-thrasher bench-busy bench-timeline; do
        [ -x "$BENCH/$b" ] || harness_fail "no $BENCH/$b: build the tree first"
done
# The harness is not part of the machine under test: no OOM killer may end the measurement
# (processes started with systemd-run do not inherit this).
echo -1000 > /proc/self/oom_score_adj

# --- swap, and the copy's scratch disk ---
swap_kib() { awk '/^SwapTotal/ { print $2 }' /proc/meminfo; }
if [ "$LOAD" = copy ]; then
        [ -b /dev/vda ] || harness_fail "the copy needs a scratch disk: boot with -S 2560 (no -I)"
        swapoff /dev/vda 2>/dev/null
        SWAP=0
fi
if [ "$SWAP" = 1 ]; then
        [ "$(swap_kib)" -gt 0 ] || harness_fail "SWAP=1 but the guest has no swap: boot with -S 1024 -I 2000"
else
        [ "$(swap_kib)" = 0 ] || harness_fail "SWAP=0 but the guest swaps on $(tail -n +2 /proc/swaps | cut -d' ' -f1)"
fi
mem_total_mib=$(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo)

# --- root's user manager, where the load runs ---
systemctl start user@0.service || harness_fail "user@0.service did not start"
export XDG_RUNTIME_DIR=/run/user/0
USER_CG=/sys/fs/cgroup/user.slice/user-0.slice/user@0.service

# --- the contender, as its Debian package runs it ---
contender_cg="" contender_unit=""
case $CONTENDER in
earlyoom)
        # The packaged unit (EnvironmentFile=/etc/default/earlyoom: "-r 3600"), masked in the VM suite's guest.
        systemctl unmask --quiet earlyoom.service && systemctl start earlyoom.service || harness_fail "earlyoom.service did not start"
        contender_unit=earlyoom
        ;;
systemd-oomd)
        # Its packaged defaults only: -.slice ManagedOOMSwap=kill, user@.service
        # ManagedOOMMemoryPressure=kill at 50 %, DefaultMemoryPressureDurationSec=20s (all in /usr/lib).
        systemctl unmask --quiet systemd-oomd.service systemd-oomd.socket && systemctl start systemd-oomd \
                || harness_fail "systemd-oomd did not start"
        contender_unit=systemd-oomd
        # PID 1 hands the ManagedOOM*= units over once oomd connects: wait until both are in its dump.
        for _ in $(seq 50); do
                /usr/bin/oomctl dump > /vmlab/oomctl-dump.txt 2>&1
                grep -q "Path: /user.slice/user-0.slice/user@0.service" /vmlab/oomctl-dump.txt \
                        && grep -q "Path: /$" /vmlab/oomctl-dump.txt && break
                sleep 0.2
        done
        grep -q "Path: /user.slice/user-0.slice/user@0.service" /vmlab/oomctl-dump.txt \
                || harness_fail "systemd-oomd does not monitor user@0.service: $(cat /vmlab/oomctl-dump.txt)"
        ;;
oomd)
        # The packaged unit and /etc/oomd/oomd.json; only --cgroup-fs differs: Debian's
        # /etc/default/oomd points it at the v1 hybrid path, this guest is pure cgroup v2.
        mkdir -p /run/systemd/system/oomd.service.d
        printf '[Service]\nExecStart=\nExecStart=/usr/bin/oomd --interval 1 --config /etc/oomd/oomd.json --cgroup-fs /sys/fs/cgroup\n' \
                > /run/systemd/system/oomd.service.d/50-bench.conf
        systemctl daemon-reload
        systemctl start oomd.service || harness_fail "oomd.service did not start"
        contender_unit=oomd
        ;;
pressured)
        # No policy file at all: the embedded default policy (plus the ManagedOOM*= annotations it
        # reads from systemd, here those of the systemd-oomd package installed on the host).
        rm -rf /etc/pressured/policy.d
        # With TIMELINE=1 at debug level: its PSI trigger wake-ups and quiet changes go into the timeline.
        start_pressured_service "" --log-level=$([ "$TIMELINE" = 1 ] && echo debug || echo info)
        contender_unit=pressured
        ;;
esac
if [ -n "$contender_unit" ]; then
        contender_cg=/sys/fs/cgroup/system.slice/$contender_unit.service
        sleep 1
        unit_active "$contender_unit.service" && [ -f "$contender_cg/cpu.stat" ] \
                || harness_fail "$CONTENDER is not running: $(journalctl -u "$contender_unit" -o cat --no-pager | tail -n 5)"
fi

# --- the probe ---
mkdir -p /run/bench
cat > /run/bench/record-exit <<'SH'
#!/bin/sh
echo "${SERVICE_RESULT:-?} ${EXIT_CODE:-?} ${EXIT_STATUS:-?} $(cut -d' ' -f1 /proc/uptime)" > "/run/bench/$1.exit"
SH
chmod 755 /run/bench/record-exit
systemd-run --quiet --unit=probe -p "ExecStopPost=/run/bench/record-exit probe" "$BENCH/bench-probe" $PROBE_MIB /run/bench/probe.stat \
        || harness_fail "probe.service did not start"
for _ in $(seq 50); do [ -s /run/bench/probe.stat ] && break; sleep 0.2; done
[ -s /run/bench/probe.stat ] || harness_fail "the probe wrote no figures in 10 s: $(journalctl -u probe -o cat --no-pager | tail -n 3)"

# The services running now (system and user): one that dies during the run (or restarts) was killed.
svc_state() { # [--user] NAMES... -> "name invocation nrestarts active code status result" per line
        local scope=()
        [ "${1:-}" = --user ] && { scope=(--user); shift; }
        [ $# -gt 0 ] || return 0
        systemctl "${scope[@]}" show -p Id -p InvocationID -p NRestarts -p ActiveState -p ExecMainCode -p ExecMainStatus -p Result "$@" |
                awk -v pre="${scope:+user:}" -F= '/^$/ { if (id) print pre id, inv, nr, act, code, st, res; id = "" ; next }
                         $1 == "Id" { id = $2 } $1 == "InvocationID" { inv = $2 == "" ? "-" : $2 } $1 == "NRestarts" { nr = $2 }
                         $1 == "ActiveState" { act = $2 } $1 == "ExecMainCode" { code = $2 } $1 == "ExecMainStatus" { st = $2 }
                         $1 == "Result" { res = $2 } END { if (id) print pre id, inv, nr, act, code, st, res }'
}
running_units() { systemctl "$@" list-units --type=service --state=running --plain --no-legend | awk '{ print $1 }' | grep -v '^pressured-vm-test.service$'; }
mapfile -t sys_before < <(running_units)
mapfile -t user_before < <(running_units --user)
{ svc_state "${sys_before[@]}"; svc_state --user "${user_before[@]}"; } > /tmp/services-before

# --- the timeline, when asked: started after the services' list, so its own end is no collateral ---
if [ "$TIMELINE" = 1 ]; then
        systemd-run --quiet --unit=timeline -p OOMScoreAdjust=-1000 "$BENCH/bench-timeline" 250 /run/bench/timeline \
                || harness_fail "timeline.service did not start"
fi

oom0=$(kernel_oom_kills)
cg_cpu_usec() { [ -n "$contender_cg" ] && awk '$1 == "usage_usec" { print $2 }' "$contender_cg/cpu.stat" 2>/dev/null; }
cpu0=$(cg_cpu_usec)
avail_mib=$(awk '/^MemAvailable/ { print int($2 / 1024) }' /proc/meminfo)
dmesg_lines0=$(dmesg | wc -l)
journal_cursor=$(journalctl -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p')

# --- the load ---
case $LOAD in
leaker) load_mib=0 cmd=("$BENCH/bench-neighbour" runaway $LEAK_MIB_PER_S) comms="bench-neighbour" ;;
thrasher) load_mib=$((mem_total_mib * 13 / 10)) cmd=("$BENCH/bench-thrasher" $load_mib) comms="bench-thrasher" ;;
respawn) load_mib=$((mem_total_mib * 13 / 10)) cmd=("$BENCH/bench-thrasher" --respawn $load_mib) comms="bench-thrasher" ;;
build) load_mib=$((avail_mib * 80 / 100)) cmd=("$BENCH/bench-busy" build $BUILD_PROCS $((load_mib / BUILD_PROCS)) $BUILD_S) comms="bench-busy" ;;
spike) load_mib=$((avail_mib * 90 / 100)) cmd=("$BENCH/bench-busy" spike $load_mib $SPIKE_HOLD_S) comms="bench-busy" ;;
copy)
        load_mib=$((2 * mem_total_mib))
        disk_mib=$(($(blockdev --getsize64 /dev/vda) / 1048576))
        [ "$disk_mib" -ge "$load_mib" ] || harness_fail "the scratch disk has $disk_mib MiB, the copy needs $load_mib: boot with -S $((load_mib + 256))"
        # Buffered I/O on the raw disk goes through the page cache as a file's would (the guest
        # kernel's ext4 is a module the guest does not load); then every block is read back.
        cmd=(/bin/sh -c "dd if=/dev/zero of=/dev/vda bs=1M count=$load_mib status=none && dd if=/dev/vda of=/dev/null bs=1M count=$load_mib status=none && echo BUSY_DONE")
        comms="dd sh"
        ;;
esac
load_cg=$USER_CG/app.slice/$LOAD.service
systemctl --user reset-failed "$LOAD.service" 2>/dev/null
systemd-run --user --quiet --unit="$LOAD" -p "ExecStopPost=/run/bench/record-exit $LOAD" "${cmd[@]}" \
        || harness_fail "$LOAD.service did not start in root's user manager"
t_start=$(now)
log "$kind $LOAD started ($([ "$LOAD" = leaker ] && echo "$LEAK_MIB_PER_S MiB/s" || echo "$load_mib MiB"); MemTotal $mem_total_mib MiB, MemAvailable $avail_mib MiB, swap $SWAP), contender $CONTENDER"

alive() { grep -q '^populated 1' "$1/cgroup.events" 2>/dev/null; }
t_relief="" harness_killed=0
if [ $kind = offender ]; then
        while ! over "$t_start" $OFFENDER_MAX_S; do
                if [ -z "$t_relief" ] && ! alive "$load_cg"; then
                        t_relief=$(now)
                        log "relief: $LOAD's cgroup is empty after $(since "$t_start") s"
                fi
                [ -n "$t_relief" ] && over "$t_relief" $OFFENDER_SETTLE_S && break
                sleep 0.5
        done
else
        while alive "$load_cg" && ! over "$t_start" $BUSY_MAX_S; do sleep 0.5; done
        log "$LOAD over after $(since "$t_start") s ($(alive "$load_cg" && echo "cut off" || echo ended))"
        t_stop=$(now)
        while ! over "$t_stop" $BUSY_SETTLE_S; do sleep 0.5; done
fi
t_end=$(now)

# --- the end: the probe reports (SIGTERM: it writes its figures once it runs), the load goes ---
systemctl kill -s TERM probe.service
if alive "$load_cg"; then
        harness_killed=1
        log "the harness kills $LOAD at the cell's end"
        systemctl --user kill -s KILL "$LOAD.service"
fi
for _ in $(seq 120); do alive "$load_cg" || break; sleep 0.5; done
for _ in $(seq 60); do [ -f /run/bench/probe.exit ] && break; sleep 0.5; done
cpu1=$(cg_cpu_usec)
oom1=$(kernel_oom_kills)
sleep 1 # let systemd settle the units' final state (a stop in progress, a restart, ExecStopPost=)
mapfile -t before_sys < <(awk '$1 !~ /^user:/ { print $1 }' /tmp/services-before)
mapfile -t before_user < <(awk '$1 ~ /^user:/ { sub("^user:", "", $1); print $1 }' /tmp/services-before)
{ svc_state "${before_sys[@]}"; svc_state --user "${before_user[@]}"; } > /tmp/services-after
dmesg | tail -n +$((dmesg_lines0 + 1)) > /tmp/dmesg-cell
if [ "$TIMELINE" = 1 ]; then
        # Guest uptime seconds throughout, as the journal's short-monotonic stamps: the load started at $t_start.
        systemctl stop timeline.service
        echo "TIMELINE # load started at $t_start$([ -n "$t_relief" ] && echo ", relief at $t_relief")"
        sed 's/^/TIMELINE /' /run/bench/timeline 2>/dev/null || echo "TIMELINE # none written: $(journalctl -u timeline -o cat --no-pager | tail -n 2)"
        sed 's/^/PROBE_STALL /' /run/bench/probe.stat.stalls 2>/dev/null
        journalctl -u "${contender_unit:-pressured}" -o short-monotonic --no-pager --after-cursor="$journal_cursor" | sed 's/^/CONTENDER /'
fi
journalctl --after-cursor="$journal_cursor" -o json --no-pager > /tmp/journal-cell.json 2>/dev/null

export BENCH_JSON_IN=$(
        echo "contender=$CONTENDER"; echo "load=$LOAD"; echo "kind=$kind"; echo "swap=$SWAP"; echo "rep=$REP"; echo "short=$SHORT"
        echo "t_start=$t_start"; echo "t_relief=$t_relief"; echo "t_end=$t_end"; echo "harness_killed=$harness_killed"
        echo "oom_kills=$((oom1 - oom0))"; echo "cpu0=${cpu0:-}"; echo "cpu1=${cpu1:-}"
        echo "mem_total_mib=$mem_total_mib"; echo "avail_mib=$avail_mib"; echo "load_mib=$load_mib"
        echo "comms=$comms"; echo "contender_unit=$contender_unit"; echo "load_cg=${load_cg#/sys/fs/cgroup}"
        echo "load_exit=$(cat /run/bench/$LOAD.exit 2>/dev/null || echo running)"
        echo "probe_exit=$(cat /run/bench/probe.exit 2>/dev/null || echo running)"
        echo "probe_stat=$(cat /run/bench/probe.stat 2>/dev/null)"
        echo "load_done=$(journalctl _SYSTEMD_USER_UNIT="$LOAD.service" -o cat --no-pager 2>/dev/null | grep -c '^BUSY_DONE')"
        echo "kernel=$(uname -r)"
)
python3 - /tmp/services-before /tmp/services-after /tmp/dmesg-cell /tmp/journal-cell.json /run/bench/probe.stat.stalls <<'PY' || harness_fail "could not assemble the result"
import json, os, re, sys

env = dict(l.split("=", 1) for l in os.environ["BENCH_JSON_IN"].splitlines() if "=" in l)
before_path, after_path, dmesg_path, journal_path, stalls_path = sys.argv[1:6]
f_or_none = lambda s: float(s) if s else None
t_start, t_relief, t_end = float(env["t_start"]), f_or_none(env["t_relief"]), float(env["t_end"])
load, comms = env["load"], env["comms"].split()

def rows(path):
    out = {}
    for line in open(path):
        f = line.split()
        if len(f) == 7:
            out[f[0]] = dict(zip(("id", "inv", "nrestarts", "active", "code", "status", "result"), f))
    return out

def exit_rec(text):  # "RESULT EXIT_CODE EXIT_STATUS UPTIME" from ExecStopPost=, or "running"
    f = text.split()
    return dict(zip(("result", "code", "status", "t"), f)) if len(f) == 4 else None

def killed_by_signal(u):
    return u is not None and (u["code"] in ("killed", "dumped") or u["result"] in ("oom-kill", "signal", "core-dump"))

# Units killed: the probe and the load from their ExecStopPost= record, every other service that
# ran before from its state (restarted, ended by a signal, or gone: a transient unit that ends is
# unloaded, ExecMainCode 0 while it is not active).
load_exit, probe_exit = exit_rec(env["load_exit"]), exit_rec(env["probe_exit"])
harness_killed = env["harness_killed"] == "1"
killed = []
if killed_by_signal(load_exit) and not harness_killed:
    killed.append(load)
if killed_by_signal(probe_exit):
    killed.append("probe")
before, after = rows(before_path), rows(after_path)
for name, b in sorted(before.items()):
    a = after.get(name)
    if a is None or name in ("probe.service",):
        continue
    restarted = int(a["nrestarts"] or 0) > int(b["nrestarts"] or 0) or (a["active"] == "active" and a["inv"] != b["inv"])
    gone = a["active"] != "active" and a["code"] == "0"
    died = a["active"] != "active" and (a["code"] in ("2", "3") or a["result"] in ("oom-kill", "signal", "core-dump"))
    if restarted or gone or died:
        killed.append(name)

# A victim is the load when it names the load's unit or process, or the slice holding it: oomd's
# packaged rule kills the children of user@*.service, so app.slice, which holds only the load here.
def is_load(text):
    return load + ".service" in text or text.rstrip("/").endswith("/user@0.service/app.slice") \
        or any(c == text or f"({c})" in text for c in comms)

# The kernel's victims this cell: "Out of memory: Killed process PID (COMM)" / "oom-kill:...task=COMM".
kernel_victims = re.findall(r"Killed process \d+ \(([^)]*)\)", open(dmesg_path, errors="replace").read())

# The contender's own kills, from its journal (this cell only).
unit = env["contender_unit"]
victims = []
for line in open(journal_path, errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    msg = e.get("MESSAGE") or ""
    if isinstance(msg, list):
        msg = bytes(msg).decode(errors="replace")
    if unit == "oomd" and msg.startswith("oomd kill: "):
        # One line per kill on /dev/kmsg: "oomd kill: PRESSURES... CGROUP BYTES ruleset:[...] ...". Its
        # own log repeats "Killed N: PID(COMM)..." for every signal it retries, so that is not counted.
        f = msg.split()
        victims.append("/" + f[5] if len(f) > 5 else msg)
    elif unit == "pressured":
        if e.get("MESSAGE_ID") == "f3a1c4be5d2b4c6f9e0a7d18b2c3e4f5" and e.get("PRESSURED_DRY_RUN") == "0" \
                and int(e.get("PRESSURED_KILLED") or 0) > 0:
            victims.append(e.get("PRESSURED_CGROUP") or msg)
    elif e.get("_SYSTEMD_UNIT") != unit + ".service":
        continue
    elif unit == "earlyoom":  # sending SIGTERM to process 123 uid 0 "name": badness ...
        m = re.search(r'sending SIG\w+ to process \d+ uid \d+ "([^"]*)"', msg)
        if m:
            victims.append(m.group(1))
    elif unit == "systemd-oomd":  # Killed /path due to ...
        m = re.match(r"Killed (\S+) due to", msg)
        if m:
            victims.append(m.group(1))

collateral = [k for k in killed if k != load]
collateral += [f"{unit}:{v}" for v in victims if not is_load(v)]
collateral += [f"kernel:{v}" for v in kernel_victims if not is_load(v) and v != "bench-probe"]
collateral = sorted(set(collateral))

probe = dict(kv.split("=", 1) for kv in env["probe_stat"].split()[1:] if "=" in kv)
stalls = []
if os.path.exists(stalls_path):
    for line in open(stalls_path):
        f = line.split()
        if len(f) == 2:
            stalls.append((float(f[0]), float(f[1])))
relief = t_relief
if relief is not None and load_exit and float(load_exit["t"]) >= t_start:
    relief = min(relief, float(load_exit["t"]))  # the ExecStopPost= stamp, when earlier than the poll
after_relief = sum(ms for t, ms in stalls if t >= relief) if relief is not None else None
cpu = (int(env["cpu1"]) - int(env["cpu0"])) / 1e6 if env["cpu0"] and env["cpu1"] else None
num = lambda k: float(probe[k]) if k in probe else None
result = {
    "kind": "freeze", "contender": env["contender"], "load": load, "load_kind": env["kind"],
    "swap": env["swap"] == "1", "rep": int(env["rep"]), "short": env["short"] == "1",
    "probe_worst_ms": num("worst_ms"), "probe_stalled_ms": num("stalled_ms"), "probe_stalls": num("stalls"),
    "probe_wakes": num("wakes"), "probe_stalled_after_relief_ms": round(after_relief, 1) if after_relief is not None else None,
    "probe_killed": "probe" in killed,
    "relieved": relief is not None, "relief_s": round(relief - t_start, 2) if relief is not None else None,
    "cell_s": round(t_end - t_start, 1), "harness_killed_load": harness_killed,
    "load_completed": env["kind"] == "busy" and env["load_done"] not in ("", "0") and bool(load_exit)
                      and load_exit["code"] == "exited" and load_exit["status"] == "0",
    "contender_kills": len(victims), "contender_victims": victims,
    "kernel_oom_kills": int(env["oom_kills"]), "kernel_victims": kernel_victims,
    "killed": killed, "collateral": collateral,
    "daemon_cpu_s": round(cpu, 3) if cpu is not None else None,
    "mem_total_mib": int(env["mem_total_mib"]), "mem_available_mib": int(env["avail_mib"]),
    "load_mib": int(env["load_mib"]), "load_exit": env["load_exit"], "probe_exit": env["probe_exit"],
    "guest_kernel": env["kernel"],
}
print("BENCH_RESULT " + json.dumps(result, separators=(",", ":")))
PY
[ -n "$contender_unit" ] && journalctl -u "$contender_unit" -o short-monotonic --no-pager | grep -i -e kill -e sending | tail -n 5 | sed 's/^/contender log: /'
exit 0
