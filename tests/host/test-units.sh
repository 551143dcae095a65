#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The generated pressured.service passes `systemd-analyze verify` and keeps its hardening score.
# The example ManagedOOM*= drop-ins parse without a warning.
# Usage: test-units.sh UNIT_FILE PRESSURED_BINARY MAX_EXPOSURE EXAMPLES_DIR
#   UNIT_FILE        the unit meson generated (build/units/pressured.service)
#   PRESSURED_BINARY the built daemon: verify insists that ExecStart= exists, and the installed path
#                    (/usr/sbin/pressured) does not exist before `meson install`
#   MAX_EXPOSURE     systemd-analyze's --threshold, its exposure level times ten (18 means 1.8):
#                    a unit that loses hardening scores higher and fails here
#   EXAMPLES_DIR     units/examples: user@.service.d/ and -.slice.d/
# Exit: 0 pass, 1 fail, 77 skip (no systemd-analyze).
set -uo pipefail
[ $# -eq 4 ] || { echo "usage: test-units.sh UNIT_FILE PRESSURED_BINARY MAX_EXPOSURE EXAMPLES_DIR" >&2; exit 2; }
unit=$1 binary=$(realpath -e "$2" 2>/dev/null || echo "$2") max=$3 examples=$4

command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze is not installed (apt-get install systemd)"; exit 77; }
[ -f "$unit" ] || { echo "FAIL: no generated unit at $unit"; exit 1; }
[ -x "$binary" ] || { echo "FAIL: no built daemon at $binary"; exit 1; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0

# The copy differs from the generated unit in ExecStart= only, and the test proves it.
grep -q '^ExecStart=/.*/pressured$' "$unit" || { echo "FAIL: $unit has no absolute ExecStart= for pressured"; exit 1; }
sed "s|^ExecStart=.*|ExecStart=$binary|" "$unit" > "$tmp/pressured.service"
[ "$(diff "$unit" "$tmp/pressured.service" | grep -c '^[<>]')" = 2 ] || { echo "FAIL: rewriting ExecStart= changed more than one line"; exit 1; }

# --man=no: Documentation= names pressured(8), pressured.policy(5) and oomctl(1), which exist only once installed.
if out=$(systemd-analyze verify --man=no "$tmp/pressured.service" 2>&1) && [ -z "$out" ]; then
        echo "ok: systemd-analyze verify finds nothing to say"
else
        echo "FAIL: systemd-analyze verify on $unit:"
        printf '%s\n' "$out" | sed 's/^/    /'
        failed=1
fi

# Each setting the daemon depends on, as systemd reads it (a typo would only be a warning above).
for want in Type=notify NotifyAccess=main Restart=always OOMScoreAdjust=-1000 LimitMEMLOCK=infinity \
            ProtectControlGroups=no; do
        grep -qx "$want" "$tmp/pressured.service" || { echo "FAIL: $unit lacks $want"; failed=1; }
done

report=$(systemd-analyze security --offline=true "$tmp/pressured.service" 2>&1)
level=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for pressured.service: \([0-9.]*\).*/\1/p')
if systemd-analyze security --offline=true --threshold="$max" "$tmp/pressured.service" >/dev/null 2>&1; then
        echo "ok: systemd-analyze security: exposure ${level:-?} (at most $(awk -v m="$max" 'BEGIN { printf "%.1f", m / 10 }') allowed)"
else
        echo "FAIL: systemd-analyze security scores pressured.service ${level:-?}, worse than the $(awk -v m="$max" 'BEGIN { printf "%.1f", m / 10 }') this test allows."
        echo "      A hardening line was dropped or weakened; the settings that cost points:"
        printf '%s\n' "$report" | grep '^✗' | sed 's/^/    /'
        failed=1
fi
# The examples, each as a drop-in of a probe unit of its kind found through SYSTEMD_UNIT_PATH
# (verify reports unknown keys and bad values on standard error, with exit status 0).
for ex in "user@.service.d:service:[Service]" "-.slice.d:slice:[Slice]"; do
        dir=${ex%%:*} rest=${ex#*:}; kind=${rest%%:*} section=${rest#*:}
        [ -f "$examples/$dir/50-pressured.conf" ] || { echo "FAIL: no example $examples/$dir/50-pressured.conf"; failed=1; continue; }
        mkdir -p "$tmp/ex/probe.$kind.d"
        { echo "$section"; [ "$kind" = service ] && echo "ExecStart=/bin/true"; } > "$tmp/ex/probe.$kind"
        cp "$examples/$dir/50-pressured.conf" "$tmp/ex/probe.$kind.d/"
        grep -q '^ManagedOOM' "$examples/$dir/50-pressured.conf" || { echo "FAIL: $dir/50-pressured.conf sets no ManagedOOM*="; failed=1; }
        if out=$(SYSTEMD_UNIT_PATH="$tmp/ex:" systemd-analyze verify --man=no "$tmp/ex/probe.$kind" 2>&1) && [ -z "$out" ]; then
                echo "ok: example $dir/50-pressured.conf parses"
        else
                echo "FAIL: example $dir/50-pressured.conf:"
                printf '%s\n' "$out" | sed 's/^/    /'
                failed=1
        fi
done
exit $failed
