#!/usr/bin/env bash
# Boots one throw-away guest (QEMU, TCG) that runs one scenario and powers off, and reports.
# The guest is Debian's kernel with full cgroup v2, PSI and systemd as PID 1 over the host's own
# /usr and /etc (read-only 9p + overlayfs), with the build tree at /vmlab-build and tests/vm at
# /vmlab-src. A scenario's first lines may carry harness options: "# vm: -m 768 -t 240 -a ARGS".
#
# Usage: boot.sh [-m MiB] [-c CPUS] [-t SECONDS] [-a "kernel args"] [-S swap MiB] [-I IOPS]
#                [-o NAME] [-e VAR=VAL] BUILD_DIR SCENARIO
#   -S MiB   a swap disk of that size (the guest swaps on it)
#   -I IOPS  throttles the swap disk to IOPS operations and IOPS*4 KiB per second, so that swapping
#            builds pressure as a real disk would (an unthrottled one is too fast for TCG's CPU)
#   -o NAME  the run folder BUILD/vm-runs/NAME (default: the scenario's name), so repeated runs of
#            one scenario with different -e settings keep their own folders
# Exit: the scenario's status; 124 when the guest timed out; 125 when it died or left no result
# (a panic, a boot failure). Either way the console tail is printed and the run folder kept.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

MEM=1024 CPUS=2 TIMEOUT=300 APPEND="" SWAP_MB=0 IOPS=0 RUN_NAME="" ENVS=()
USAGE="usage: boot.sh [-m MiB] [-c CPUS] [-t SEC] [-a ARGS] [-S MiB] [-I IOPS] [-o NAME] [-e VAR=VAL] BUILD_DIR SCENARIO"
parse_opts() {
        local OPTIND opt
        while getopts "m:c:t:a:S:I:o:e:" opt; do
                case $opt in
                        m) MEM=$OPTARG ;; c) CPUS=$OPTARG ;; t) TIMEOUT=$OPTARG ;; a) APPEND=$OPTARG ;;
                        S) SWAP_MB=$OPTARG ;; I) IOPS=$OPTARG ;; o) RUN_NAME=$OPTARG ;; e) ENVS+=("$OPTARG") ;;
                        *) echo "$USAGE" >&2; exit 2 ;;
                esac
        done
        return $((OPTIND - 1))
}
[ $# -ge 2 ] || { echo "$USAGE" >&2; exit 2; }
# Options written in the scenario itself come first, so the command line overrides them.
last=${*: -1}
[ -f "$last" ] || { echo "boot: no scenario $last" >&2; exit 2; }
eval "set -- $(sed -n 's/^# vm: //p' "$last" | head -1) \"\$@\""
parse_opts "$@"; shift $?
[ $# -eq 2 ] || { echo "$USAGE" >&2; exit 2; }
case $IOPS in *[!0-9]*|"") echo "boot: -I wants a whole number of operations per second, not '$IOPS'" >&2; exit 2 ;; esac
case $RUN_NAME in */*|.|..) echo "boot: -o wants a folder name under vm-runs/, not a path: '$RUN_NAME'" >&2; exit 2 ;; esac
[ "$IOPS" = 0 ] || [ "$SWAP_MB" -gt 0 ] || { echo "boot: -I throttles the swap disk: give its size with -S" >&2; exit 2; }
BUILD=$(cd "$1" && pwd)
SCENARIO=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
[ "$(id -u)" = 0 ] || { echo "boot: needs root (qemu's 9p server reads all of /etc)" >&2; exit 77; }

CACHE=$BUILD/vm-cache
KVER=$("$HERE/prepare.sh" "$CACHE" | tail -1) || { echo "boot: preparing the kernel failed" >&2; exit 125; }
NAME=${RUN_NAME:-$(basename "$SCENARIO" .sh)}
RUN=$BUILD/vm-runs/$NAME
rm -rf "$RUN"
mkdir -p "$RUN"
cp "$SCENARIO" "$RUN/scenario.sh"
printf '%s\n' "SCENARIO=$(basename "$SCENARIO" .sh)" "${ENVS[@]}" > "$RUN/env"

DRIVE=()
if [ "$SWAP_MB" -gt 0 ]; then
        truncate -s "${SWAP_MB}M" "$RUN/swap.img"
        THROTTLE=""
        [ "$IOPS" = 0 ] || THROTTLE=",throttling.iops-total=$IOPS,throttling.bps-total=$((IOPS * 4096))"
        DRIVE=(-drive "file=$RUN/swap.img,if=virtio,format=raw,cache=unsafe$THROTTLE")
fi

share() { echo "local,path=$1,mount_tag=$2,security_model=none${3:+,$3}"; }
CMDLINE="console=ttyS0 rdinit=/init panic=-1 psi=1 systemd.unified_cgroup_hierarchy=1 systemd.unit=pressured-vm.target"
CMDLINE+=" systemd.firstboot=0 mitigations=off quiet loglevel=4 systemd.show_status=error $APPEND"

start=$(date +%s.%N)
timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 \
        -accel tcg,tb-size=256 -smp "$CPUS" -m "$MEM" -nodefaults -display none -no-reboot \
        -serial "file:$RUN/console.log" -monitor none \
        -kernel "$CACHE/vmlinux" -initrd "$CACHE/initramfs.cpio.gz" -append "$CMDLINE" \
        -virtfs "$(share /usr hostusr readonly=on)" \
        -virtfs "$(share /etc hostetc readonly=on)" \
        -virtfs "$(share "$(readlink -f "$CACHE/modules")" kmods readonly=on)" \
        -virtfs "$(share "$RUN" run)" \
        -virtfs "$(share "$BUILD" build readonly=on)" \
        -virtfs "$(share "$HERE" src readonly=on)" \
        "${DRIVE[@]}" > "$RUN/qemu.log" 2>&1
qrc=$?
wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
rm -f "$RUN/swap.img"

if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
        rc=124 why="timed out after ${TIMEOUT}s"
elif [ -s "$RUN/exit-code" ]; then
        rc=$(cat "$RUN/exit-code") why="scenario exit status $rc"
else
        rc=125 why="the guest died or left no result (qemu exit $qrc)"
fi
if grep -q "Kernel panic" "$RUN/console.log" 2>/dev/null; then
        rc=125 why="kernel panic"
fi

[ -f "$RUN/output.log" ] && cat "$RUN/output.log"
if [ "$rc" = 0 ]; then
        echo "vm: $NAME passed in ${wall}s (kernel $KVER)"
else
        echo "vm: $NAME FAILED in ${wall}s: $why (kernel $KVER)"
        echo "vm: console tail ($RUN/console.log):"
        tail -n 40 "$RUN/console.log" 2>/dev/null | sed 's/^/    /'
        [ -s "$RUN/qemu.log" ] && { echo "vm: qemu said:"; sed 's/^/    /' "$RUN/qemu.log"; }
        echo "vm: the guest journal, kernel log and output are in $RUN/ (journal.txt, dmesg.txt, output.log)"
fi
exit "$rc"
