# Sourced by every scenario inside the guest (bash). The guest sees the build tree at /vmlab-build,
# this folder at /vmlab-src and its run folder (shared with the host) at /vmlab.
set -uo pipefail

PRESSURED=/vmlab-build/daemon/pressured
HOG=/vmlab-build/tests/vm/pressured-hog
KILL_MESSAGE_ID=f3a1c4be5d2b4c6f9e0a7d18b2c3e4f5
T0=$(cut -d' ' -f1 /proc/uptime)

# Seconds since the guest booted, as the guest's own clock sees it.
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
log() { echo "[$(now)] $*"; }
fail() {
        echo "FAIL: $*"
        echo "--- pressured's journal ---"
        journalctl -u pressured -o short-monotonic --no-pager | tail -n 60
        exit 1
}
pass() { echo "PASS: $*"; exit 0; }

# The kernel's own OOM kills since boot (/proc/vmstat oom_kill).
kernel_oom_kills() { awk '$1 == "oom_kill" { print $2 }' /proc/vmstat; }

# write_policy POLICY_JSON: /etc/pressured/policy.json; "" removes it (the embedded default applies).
write_policy() {
        mkdir -p /etc/pressured
        if [ -n "$1" ]; then
                printf '%s\n' "$1" > /etc/pressured/policy.json
        else
                rm -f /etc/pressured/policy.json
        fi
}

# start_pressured POLICY_JSON [ARGS...]: writes the policy and starts the daemon as a transient
# pressured.service (Type=notify: returns once it is ready). POLICY_JSON "" means the embedded default.
start_pressured() {
        write_policy "$1"; shift
        systemctl reset-failed pressured.service 2>/dev/null
        systemd-run --quiet --unit=pressured --service-type=notify -p OOMScoreAdjust=-1000 -p KillMode=mixed \
                "$PRESSURED" --log-level=debug "$@" \
                || fail "pressured did not start: $(journalctl -u pressured -o cat --no-pager | tail -n 5)"
        log "pressured started: $(journalctl -u pressured -o cat --no-pager | grep -m1 'started in')"
}

# hog UNIT MIB [MIB_PER_SEC] [systemd-run properties...]: a hog in its own unit in test.slice.
hog() {
        local unit=$1 mib=$2 rate=${3:-0}; shift 3 2>/dev/null || shift $#
        systemd-run --quiet --unit="$unit" --slice=test.slice "$@" "$HOG" "$mib" "$rate" \
                || fail "could not start hog $unit"
}

# Waits until the unit's main process holds at least MIB MiB resident (or TIMEOUT seconds pass).
wait_memory() {
        local unit=$1 mib=$2 timeout=${3:-60} t=$(now) pid kib
        while :; do
                pid=$(systemctl show -P MainPID "$unit" 2>/dev/null)
                kib=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
                [ "${kib:-0}" -ge $((mib * 1024)) ] && return 0
                [ "$(awk -v a="$(since "$t")" -v b="$timeout" 'BEGIN { print (a > b) }')" = 1 ] && \
                        fail "$unit reached only $((${kib:-0} / 1024)) MiB of $mib MiB in ${timeout}s"
                sleep 0.2
        done
}

unit_active() { [ "$(systemctl show -P ActiveState "$1" 2>/dev/null)" = active ]; }

# Waits until UNIT is no longer active; returns 1 on timeout.
wait_dead() {
        local unit=$1 timeout=${2:-60} t=$(now)
        while unit_active "$unit"; do
                [ "$(awk -v a="$(since "$t")" -v b="$timeout" 'BEGIN { print (a > b) }')" = 1 ] && return 1
                sleep 0.1
        done
        return 0
}

# The kill entries pressured wrote to the journal, one line each (their text: for failure messages).
journal_kills() { journalctl MESSAGE_ID=$KILL_MESSAGE_ID -o cat --no-pager; }

# Assertions on pressured's kill entries read their structured fields (PRESSURED_CGROUP,
# PRESSURED_RULESET, PRESSURED_METHOD... as record/kill_report.c sends them), never the message text.
# kill_entries [JOURNALCTL_ARGS...]: the kill entries, oldest first, one JSON object a line; the arguments
# (matches such as PRESSURED_CGROUP=/x, or -u UNIT) select some.
kill_entries() { journalctl MESSAGE_ID=$KILL_MESSAGE_ID "$@" -o json --no-pager -q; }

# journal_field_has FIELD VALUE [JOURNALCTL_ARGS...]: true when one of pressured's kill entries (of those
# the arguments select) has FIELD exactly VALUE.
journal_field_has() {
        local field=$1 value=$2; shift 2
        kill_entries "$@" > /tmp/kill-entries.json
        python3 - /tmp/kill-entries.json "$KILL_MESSAGE_ID" "$field" "$value" <<'PY'
import json, sys
path, message_id, field, value = sys.argv[1:5]
for line in open(path):
    e = json.loads(line)
    if e.get("MESSAGE_ID") == message_id and e.get(field) == value:
        sys.exit(0)
sys.exit(1)
PY
}

# last_kill_field FIELD [JOURNALCTL_ARGS...]: FIELD of pressured's newest kill entry (of those the arguments
# select), or "".
last_kill_field() {
        local field=$1; shift
        kill_entries "$@" | tail -n 1 |
                python3 -c 'import json, sys; l = sys.stdin.read().strip(); print(json.loads(l).get(sys.argv[1], "") if l else "")' "$field"
}
history_lines() { cat /var/lib/pressured/history.jsonl 2>/dev/null; }

# Guest-clock time of the first journal line of pressured matching a pattern (monotonic seconds).
journal_time() {
        journalctl -u pressured -o short-monotonic --no-pager | grep -m1 -e "$1" | sed 's/^\[ *\([0-9.]*\)\].*/\1/'
}

systemctl start test.slice 2>/dev/null || true

# watch_pressure CGROUP THRESHOLD FILE: in the background, writes to FILE the guest time at which
# CGROUP's memory "full avg10" first exceeds THRESHOLD percent (polled every 0.1 s).
watch_pressure() {
        local f=/sys/fs/cgroup/$1/memory.pressure threshold=$2 out=$3
        (
                while :; do
                        v=$(awk '/^full/ { sub("avg10=", "", $2); print $2 }' "$f" 2>/dev/null)
                        if [ -n "$v" ] && [ "$(awk -v v="$v" -v t="$threshold" 'BEGIN { print (v > t) }')" = 1 ]; then
                                now > "$out"
                                exit 0
                        fi
                        sleep 0.1
                done
        ) &
}

# The guest time of the newest kill entry in the journal (monotonic seconds), or "".
last_kill_time() {
        journalctl MESSAGE_ID=$KILL_MESSAGE_ID -o short-monotonic --no-pager | tail -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'
}
diff_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# reload_pressured POLICY_JSON: rewrites the policy and sends SIGHUP; waits for the daemon's verdict.
reload_pressured() {
        local before
        before=$(journalctl -u pressured -o cat --no-pager | grep -c -e "Reloaded policy" -e "Policy reload failed")
        printf '%s\n' "$1" > /etc/pressured/policy.json
        systemctl kill -s HUP pressured.service
        for _ in $(seq 100); do
                [ "$(journalctl -u pressured -o cat --no-pager | grep -c -e "Reloaded policy" -e "Policy reload failed")" -gt "$before" ] && return 0
                sleep 0.1
        done
        fail "pressured did not answer SIGHUP"
}

# The order in which pressured killed (or stopped, or restarted) units in test.slice: their names, one
# per line. From the kill entries that took effect (not a dry run; processes killed, or a stop or
# restart done through systemd) on a whole cgroup (not one process in it).
killed_units() {
        kill_entries PRESSURED_DRY_RUN=0 | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    cgroup, method = e.get("PRESSURED_CGROUP", ""), e.get("PRESSURED_METHOD", "")
    acted = e.get("PRESSURED_KILLED", "0") != "0" or method.startswith(("stop", "restart"))
    if acted and e.get("PRESSURED_SCOPE") != "process" and cgroup.startswith("/test.slice/"):
        print(cgroup[len("/test.slice/"):])'
}

# --- The D-Bus service on the guest's real system bus ---
OOMCTL=/vmlab-build/oomctl/oomctl
BUS_NAME=org.pressured.oom1
BUS_PATH=/org/pressured/oom1
BUS_IFACE=org.pressured.oom1.Manager
LMM_NAME=org.freedesktop.LowMemoryMonitor

# over START SECONDS: true once more than SECONDS (guest clock) have passed since START.
over() { [ "$(awk -v a="$(since "$1")" -v b="$2" 'BEGIN { print (a > b) }')" = 1 ]; }

# pressured_pid: the main pid of pressured.service as systemd knows it.
pressured_pid() { systemctl show -P MainPID pressured.service; }

# bus_owner_pid NAME: the pid of NAME's owner on the system bus, "" when it has none.
bus_owner_pid() { busctl status "$1" 2>/dev/null | sed -n 's/^PID=//p'; }

# wait_bus_name NAME [TIMEOUT]: waits until NAME has an owner on the system bus (pressured requests
# its names after it is ready, so there is a short window without them).
wait_bus_name() {
        local name=$1 timeout=${2:-30} t; t=$(now)
        until [ -n "$(bus_owner_pid "$name")" ]; do
                over "$t" "$timeout" && fail "nobody owns $name on the system bus ${timeout}s after pressured started: $(journalctl -u pressured -o cat --no-pager | grep -i bus | tail -n 5)"
                sleep 0.2
        done
}

# bus_monitor FILE: records every message from and to org.pressured.oom1 (the same connection owns
# org.freedesktop.LowMemoryMonitor) as one JSON object per line in FILE, in the background.
bus_monitor() {
        busctl monitor --json=short "$BUS_NAME" > "$1" 2> "$1.err" &
        sleep 1 # becoming a monitor takes a round trip or two; signals before that would be lost
        kill -0 $! 2>/dev/null || fail "busctl monitor did not start: $(cat "$1.err")"
}

# bus_signals FILE [MEMBER]: the signals bus_monitor recorded (of one kind), one per line, in order:
# "MEMBER<TAB>arg0<TAB>arg1...".
bus_signals() {
        python3 - "$@" <<'PY'
import json, sys
want = sys.argv[2] if len(sys.argv) > 2 else None
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("type") != "signal" or m.get("interface") == "org.freedesktop.DBus":
        continue
    if want and m.get("member") != want:
        continue
    args = m.get("payload", {}).get("data", [])
    print("\t".join([m.get("member", "?")] + [str(a).lower() if isinstance(a, bool) else str(a) for a in args]))
PY
}

# bus_calls FILE MEMBER: how many calls of MEMBER to org.pressured.oom1 bus_monitor recorded (proof
# that a client used the bus and not the control socket).
bus_calls() { grep -c "\"type\":\"method_call\".*\"interface\":\"$BUS_IFACE\",\"member\":\"$2\"" "$1"; }

# wait_signal FILE MEMBER CGROUP [TIMEOUT]: waits until bus_monitor recorded MEMBER with CGROUP as its first argument.
wait_signal() {
        local file=$1 member=$2 cgroup=$3 timeout=${4:-20} t; t=$(now)
        until bus_signals "$file" "$member" | cut -f2 | grep -qx -- "$cgroup"; do
                over "$t" "$timeout" && return 1
                sleep 0.5
        done
}

# status_level STATUS_FILE CGROUP: the LEVEL column of CGROUP's row in `oomctl status` output ("" when not listed).
status_level() { awk -v p="$2" '$1 == p { print $6; exit }' "$1"; }
# level_rank LEVEL: ok 0, low 1, medium 2, critical 3, anything else -1.
level_rank() { case $1 in ok) echo 0 ;; low) echo 1 ;; medium) echo 2 ;; critical) echo 3 ;; *) echo -1 ;; esac; }

# as_nobody CMD...: runs CMD as an unprivileged user (nobody, no groups).
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# as_group_member GID CMD...: runs CMD as nobody with GID as its one supplementary group.
as_group_member() { local gid=$1; shift; setpriv --reuid=65534 --regid=65534 --groups="$gid" "$@"; }

# --- pressured as the installed pressured.service ---
PRESSURED_UNIT_CAPS="CAP_DAC_OVERRIDE CAP_KILL CAP_SYS_RESOURCE" # what units/pressured.service.in grants

# install_pressured: does in the guest what `meson install` does on a host, for every file the build
# generates (the daemon, oomctl, pressured.service, the tmpfiles and the D-Bus activation file), at
# the paths meson would use (meson-info/intro-installed.json); the guest's /usr is a writable overlay.
# Files taken straight from the source tree are not reachable here; the bus policy is already in
# /etc/dbus-1/system.d (prepare.sh). Then reloads systemd and the bus, and creates the tmpfiles.
install_pressured() {
        python3 - <<'PY' || fail "installing the build into the guest failed"
import json, os, shutil
info = json.load(open("/vmlab-build/meson-info/meson-info.json"))
host_build = info["directories"]["build"].rstrip("/") + "/"
for src, dst in json.load(open("/vmlab-build/meson-info/intro-installed.json")).items():
    if not src.startswith(host_build):
        continue
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy2("/vmlab-build/" + src[len(host_build):], dst)
    print("installed " + dst)
PY
        [ -f /usr/lib/systemd/system/pressured.service ] || fail "the build installs no pressured.service"
        systemctl daemon-reload
        systemd-tmpfiles --create pressured.conf || fail "systemd-tmpfiles refused pressured.conf"
        busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig \
                || fail "dbus-daemon did not reload its configuration"
}

# start_pressured_service POLICY_JSON [ARGS...]: writes the policy (as start_pressured) and starts the
# installed pressured.service (installing it first if needed), with ARGS and --log-level=debug added
# to its ExecStart= by a runtime drop-in (the unit's hardening is untouched; other drop-ins in
# /run/systemd/system/pressured.service.d/ written before apply too). Type=notify: returns once the
# daemon is ready.
start_pressured_service() {
        write_policy "$1"; shift
        mkdir -p /run/systemd/system/pressured.service.d
        printf '[Service]\nExecStart=\nExecStart=/usr/sbin/pressured --log-level=debug %s\n' "$*" \
                > /run/systemd/system/pressured.service.d/50-vm-args.conf
        # Each daemon-reload costs seconds under TCG: installing reloads once for both.
        if [ -f /usr/lib/systemd/system/pressured.service ]; then systemctl daemon-reload; else install_pressured; fi
        systemctl reset-failed pressured.service 2>/dev/null
        systemctl start pressured.service \
                || fail "pressured.service did not start: $(journalctl -u pressured -o cat --no-pager | tail -n 5)"
        log "pressured.service started: $(journalctl -u pressured -o cat --no-pager | grep -m1 'started in')"
}

# caps_of PID: the capability names in PID's effective set, sorted, space-separated (no capsh needed).
caps_of() {
        local hex bit names=() all
        all=(CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID
             CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW
             CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT
             CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD
             CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG
             CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE)
        hex=$(awk '/^CapEff:/ { print $2 }' "/proc/$1/status") || return 1
        for bit in "${!all[@]}"; do
                (( (16#$hex >> bit) & 1 )) && names+=("${all[$bit]}")
        done
        printf '%s\n' "${names[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

# --- Stopping units through systemd (scenarios 17, 18) ---

# unit_file NAME TEXT: installs TEXT as /run/systemd/system/NAME and reloads systemd.
unit_file() {
        printf '%s\n' "$2" > "/run/systemd/system/$1"
        systemctl daemon-reload
}

# kill_field UNIT FIELD: FIELD (e.g. PRESSURED_METHOD) of the newest kill entry for UNIT, or "".
kill_field() { last_kill_field "$2" PRESSURED_UNIT="$1"; }

# --- Decision quality: one right kill per incident (scenarios 22 to 24) ---

# unit_prop UNIT PROPERTY: one property of a unit as systemd reports it now (ActiveState, InvocationID, NRestarts...).
unit_prop() { systemctl show -P "$2" "$1" 2>/dev/null; }

# unit_facts UNIT: "ActiveState/SubState InvocationID NRestarts MainPID" on one line, for messages.
unit_facts() {
        echo "$(unit_prop "$1" ActiveState)/$(unit_prop "$1" SubState) InvocationID=$(unit_prop "$1" InvocationID)" \
             "NRestarts=$(unit_prop "$1" NRestarts) MainPID=$(unit_prop "$1" MainPID) Result=$(unit_prop "$1" Result)"
}

# cgroup_empty CGROUP: true when the cgroup (a path from the cgroup2 root) holds no process, or is gone.
cgroup_empty() {
        local ev=/sys/fs/cgroup$1/cgroup.events
        [ ! -e "$ev" ] || grep -qx 'populated 0' "$ev" 2>/dev/null
}

# history_count CGROUP: how many entries pressured's persisted history holds for CGROUP (reads the file
# itself: cheap enough to poll while a guest thrashes).
history_count() { history_lines | grep -c "\"cgroup\":\"$1\""; }

# history_kills [KEY VALUE]: the kills as `oomctl history --json` reports them, oldest first, one line each:
# "cgroup<TAB>unit<TAB>method<TAB>processes killed<TAB>pids<TAB>ruleset"; with KEY VALUE only the entries
# whose KEY (cgroup, unit, ruleset, method) is VALUE. Fails the scenario when oomctl cannot answer.
history_kills() {
        "$OOMCTL" history --json > /tmp/history.json 2> /tmp/history.err \
                || fail "oomctl history --json failed: $(cat /tmp/history.err)"
        python3 - /tmp/history.json "$@" <<'PY' || fail "oomctl history --json printed no kill list: $(head -c 300 /tmp/history.json)"
import json, sys
kills = json.load(open(sys.argv[1]))["kills"]
key, value = (sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else (None, None)
kills.sort(key=lambda k: k.get("time", 0))
for k in kills:
    if key and k.get(key) != value:
        continue
    print("\t".join(str(x) for x in (k.get("cgroup"), k.get("unit"), k.get("method"), k.get("killed"),
                                     ",".join(str(p) for p in k.get("pids") or []), k.get("ruleset"))))
PY
}

# first_kill_time CGROUP: the guest time (monotonic seconds) of pressured's first kill entry for CGROUP, or "".
first_kill_time() {
        journalctl MESSAGE_ID=$KILL_MESSAGE_ID PRESSURED_CGROUP="$1" -o short-monotonic --no-pager | head -n 1 |
                sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'
}

# --- Faults around the daemon (scenarios 25 to 30) ---
CONTROL_SOCK=/run/pressured/control.sock

# wait_journal PATTERN [TIMEOUT]: waits until pressured's journal has a line matching PATTERN (grep -e);
# returns 1 on timeout.
wait_journal() {
        local pattern=$1 timeout=${2:-60} t; t=$(now)
        until journalctl -u pressured -o cat --no-pager | grep -q -e "$pattern"; do
                over "$t" "$timeout" && return 1
                sleep 0.2
        done
}

# wait_ended UNIT [TIMEOUT]: waits until UNIT is inactive or failed and its cgroup (in test.slice) is
# empty; returns 1 on timeout.
wait_ended() {
        local unit=$1 timeout=${2:-120} t state; t=$(now)
        while state=$(unit_prop "$unit" ActiveState); { [ "$state" != inactive ] && [ "$state" != failed ]; } ||
                ! cgroup_empty "/test.slice/$unit"; do
                over "$t" "$timeout" && return 1
                sleep 0.2
        done
}

# fd_count PID: how many file descriptors PID holds open.
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# mem_kib PID FIELD: a field of /proc/PID/status in KiB (VmRSS, VmHWM).
mem_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# assert_serving WHY: fails unless `oomctl status` answers over the control socket (the bus is not
# needed for it), and every line of the persisted history is one JSON object, the newest 1000 of
# which `oomctl history --json` lists, in order. WHY says where the scenario is.
assert_serving() {
        timeout 60 "$OOMCTL" --socket "$CONTROL_SOCK" status > /tmp/serving.txt 2>&1 \
                || fail "$1: oomctl status over the control socket failed ($?): $(head -c 500 /tmp/serving.txt)"
        "$OOMCTL" --socket "$CONTROL_SOCK" history --json > /tmp/serving-history.json 2>&1 \
                || fail "$1: oomctl history --json failed: $(head -c 500 /tmp/serving-history.json)"
        python3 - /var/lib/pressured/history.jsonl /tmp/serving-history.json <<'PY' || fail "$1: the kill history is not intact"
import json, os, sys
lines = open(sys.argv[1]).read().splitlines() if os.path.exists(sys.argv[1]) else []
for i, l in enumerate(lines, 1):
    if not isinstance(json.loads(l), dict):
        sys.exit("history.jsonl line %d is not an object: %s" % (i, l[:200]))
listed = json.load(open(sys.argv[2]))["kills"]
# pressured serves the newest 1000 from memory; the file may hold up to twice that between rotations.
if len(listed) != min(len(lines), 1000):
    sys.exit("history.jsonl holds %d entries, oomctl history lists %d" % (len(lines), len(listed)))
newest = [json.loads(l)["time"] for l in lines[len(lines) - len(listed):]]
if [k["time"] for k in listed] != newest:
    sys.exit("oomctl history does not list the newest entries of history.jsonl, in order")
PY
}

# slow_stop_unit NAME [MIB]: installs NAME, a hog service in test.slice that thrashes under MemoryHigh
# (MIB, default 400, without swap) and whose stop hangs (ExecStop=/bin/sleep 600, TimeoutStopSec=300):
# only pressured's escalation at stop_timeout ends it. Restart=on-failure, which a stop must not trigger.
slow_stop_unit() {
        unit_file "$1" "[Service]
Slice=test.slice
ExecStart=$HOG ${2:-400} 0
ExecStop=/bin/sleep 600
TimeoutStopSec=300
Restart=on-failure
RestartSec=1
MemoryHigh=150M
MemorySwapMax=0"
}

# assert_only_killed CGROUP COUNT: `oomctl history` lists exactly COUNT kills of CGROUP and none of
# anything else.
assert_only_killed() {
        history_kills > /tmp/kills.txt
        local n others
        n=$(grep -c -P "^\Q$1\E\t" /tmp/kills.txt)
        [ "$n" = "$2" ] || fail "oomctl history lists $n kills of $1; expected $2: $(tr '\t\n' ' ;' < /tmp/kills.txt)"
        others=$(grep -v -P "^\Q$1\E\t" /tmp/kills.txt)
        [ -z "$others" ] || fail "pressured also acted on: $(tr '\t\n' ' ;' <<< "$others")"
}

# test_slice_policy [RULESET_FIELDS] [ACTION_FIELDS] [CANDIDATES]: the policy most fault scenarios run:
# full avg10 of /test.slice over 10% for 2 s kills the largest of CANDIDATES (a JSON pattern or array,
# default "/test.slice/*"), post_action_delay 15s; RULESET_FIELDS and ACTION_FIELDS are extra JSON
# members ('"method": "stop", ' before the rest), e.g. a stop_timeout.
test_slice_policy() {
        printf '%s' '{"interval": "1s", "fast_interval": "100ms",
 "rulesets": [{"name": "test-slice-pressure", '"${1:-}"'
   "detectors": [[{"type": "pressure_above", "cgroup": "/test.slice", "kind": "full", "window": "avg10",
                   "threshold": 10, "duration": "2s"}]],
   "actions": [{"type": "kill", "cgroup": '"${3:-\"/test.slice/*\"}"', "ranker": "size_or_growth", '"${2:-}"'"post_action_delay": "15s"}]}]}'
}

# calm_start: a well-behaved unit (calm.service, 20 MiB, steady) in test.slice beside the offender;
# remembers its instance and the kernel's OOM kill count for assert_bystanders.
calm_start() {
        OOM0=$(kernel_oom_kills)
        hog calm 20 0
        wait_memory calm.service 20
        CALM_ID=$(unit_prop calm.service InvocationID)
}
# assert_bystanders: calm.service is the instance calm_start started, and the kernel OOM killer never fired.
assert_bystanders() {
        [ "$(unit_prop calm.service ActiveState)" = active ] && [ "$(unit_prop calm.service InvocationID)" = "$CALM_ID" ] \
                || fail "calm.service is not the instance it was ($CALM_ID): $(unit_facts calm.service)"
        [ "$(kernel_oom_kills)" = "$OOM0" ] || fail "the kernel OOM killer fired ($(($(kernel_oom_kills) - OOM0)) kills)"
}

# --- A fault while pressured stops a unit (scenarios 25, 26) ---
# fault_during_stop WHAT CMD...: runs the stop scenario around one fault. pressured.service with method
# stop, stop_timeout STOP_TIMEOUT_S (12 s); calm.service; stophog.service (slow_stop_unit) started; as
# soon as pressured logs its StopUnit, CMD runs (WHAT names it in messages). Then: the hog's cgroup
# empty and the unit inactive/failed within 60 s of the StopUnit, one kill entry (stop, stop+kill or
# cgroup.kill) and one StopUnit, pressured the same process (PRESSURED_PID0). Prints TIMING lines; sets
# T_FAULT_DONE (guest time after CMD) and METHOD. fault_stop_finish does the checks after the scenario's own.
STOP_TIMEOUT_S=12
fault_during_stop() {
        local what=$1 t_start t_stop t_gone; shift
        start_pressured_service "$(test_slice_policy '"method": "stop", "stop_timeout": "'$STOP_TIMEOUT_S's",')"
        wait_bus_name "$BUS_NAME"
        PRESSURED_PID0=$(pressured_pid)
        calm_start
        slow_stop_unit stophog.service
        t_start=$(now)
        systemctl start stophog.service || fail "stophog.service did not start"
        log "stophog started (its stop hangs); pressured $PRESSURED_PID0"
        wait_journal "Stopping unit stophog.service" 120 || fail "pressured did not stop stophog.service within 120 s ($(unit_facts stophog.service))"
        t_stop=$(now)
        log "pressured's StopUnit is out: $what"
        "$@" || fail "$what failed"
        T_FAULT_DONE=$(now)
        log "$what done in $(diff_s "$t_stop" "$T_FAULT_DONE") s (stophog: $(unit_facts stophog.service))"
        wait_ended stophog.service 60 || fail "stophog.service is still $(unit_facts stophog.service) 60 s after pressured's StopUnit" \
                "($what under it); its cgroup holds: $(tr '\n' ' ' < /sys/fs/cgroup/test.slice/stophog.service/cgroup.procs 2>/dev/null)"
        t_gone=$(wait_kill_time /test.slice/stophog.service) # pressured's entry: written when the processes are gone
        [ -n "$t_gone" ] || fail "stophog.service ended ($(unit_facts stophog.service)) without a kill entry from pressured"
        t_stop=$(journal_time "Stopping unit stophog.service") # pressured's own line: the scenario may see it late
        METHOD=$(kill_field stophog.service PRESSURED_METHOD)
        echo "TIMING stophog start -> StopUnit: $(diff_s "$t_start" "$t_stop") s; StopUnit -> $what done: $(diff_s "$t_stop" "$T_FAULT_DONE") s;" \
             "StopUnit -> stophog gone: $(diff_s "$t_stop" "$t_gone") s (stop_timeout $STOP_TIMEOUT_S s, method ${METHOD:-none}; pressured's journal, guest clock)"
        [ "$(pressured_pid)" = "$PRESSURED_PID0" ] || fail "pressured is now pid $(pressured_pid), was $PRESSURED_PID0: it died ($what)"
        case $METHOD in stop|stop+kill|cgroup.kill) ;; *) fail "the kill entry for stophog.service has method '$METHOD'" ;; esac
        local n_stops; n_stops=$(journalctl -u pressured -o cat --no-pager | grep -c "Stopping unit stophog.service")
        [ "$n_stops" = 1 ] || fail "pressured issued $n_stops StopUnit calls for one victim"
}
# fault_stop_finish: pressured answers `oomctl --bus status` and over the socket, the history is intact
# and holds the one kill; Restart=on-failure did not bring stophog back; the bystanders are untouched.
fault_stop_finish() {
        timeout 60 "$OOMCTL" --bus status > /tmp/bus-status.txt 2>&1 || fail "oomctl --bus status failed: $(head -c 300 /tmp/bus-status.txt)"
        assert_serving "$1"
        assert_only_killed /test.slice/stophog.service 1
        sleep 3 # RestartSec=1 twice over
        local state; state=$(unit_prop stophog.service ActiveState)
        { [ "$state" = inactive ] || [ "$state" = failed ]; } && [ "$(unit_prop stophog.service NRestarts)" = 0 ] \
                || fail "stophog.service came back after the stop: $(unit_facts stophog.service)"
        assert_bystanders
}

# wait_kill_time CGROUP [TIMEOUT]: first_kill_time, waiting up to TIMEOUT seconds (20) for the entry:
# pressured writes it once the victim is gone, and journald may take a while to have it.
wait_kill_time() {
        local t k; t=$(now)
        until k=$(first_kill_time "$1"); [ -n "$k" ] || over "$t" "${2:-20}"; do sleep 0.2; done
        echo "$k"
}
