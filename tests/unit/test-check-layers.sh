#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-layers.py finds each kind of problem in a fixture tree made to have them, and none in ours.
# Usage: test-check-layers.sh CHECK_LAYERS_PY SOURCE_ROOT
set -u
check=$1
root=$2
bad="$root/tests/fixtures/layers-bad"
fail=0
out=$(python3 "$check" "$bad")
rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL: exit $rc on the bad fixture tree, expected 1"; fail=1; }
for want in \
        'daemon/core/manager.c: includes "api/server.h": layer core/ may not depend on api/' \
        'daemon/api/server.c: includes "core/manager-internal.h", the manager'"'"'s internals' \
        'daemon/read/long.c: 902 lines, over 900' \
        'policy/engine.c: includes "../daemon/read/long.c": the policy library stands alone' \
        'include cycle between daemon/api/server, daemon/core/manager' \
        'SOCKET_LINE_MAX is defined in 2 files (daemon/api/server.h, policy/engine.c)'; do
        case "$out" in
        *"$want"*) echo "ok: found: $want" ;;
        *) echo "FAIL: not reported: $want"; fail=1 ;;
        esac
done
if ! python3 "$check" "$root"; then
        echo "FAIL: the source tree has the problems listed above"
        fail=1
fi
exit $fail
