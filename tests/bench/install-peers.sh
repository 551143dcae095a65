#!/usr/bin/env bash
# Installs what the benchmark compares pressured with and what it measures and plots with:
# earlyoom, systemd-oomd, Facebook's oomd, gnuplot and valgrind, from Debian with apt.
# Nothing is started on this machine: while apt runs, /usr/sbin/policy-rc.d answers 101 ("action
# forbidden"), so the packages' maintainer scripts leave their services stopped. The benchmark
# starts each peer only inside its own guest. A policy-rc.d that was already there is put back
# afterwards, even when apt fails. Installing what is already installed changes nothing.
#
# Usage: tests/bench/install-peers.sh        (as root)
# Exit: 0 when every package is installed; 1 when apt failed (its output is shown); 77 without root.
set -uo pipefail

PACKAGES=(earlyoom systemd-oomd oomd gnuplot-nox valgrind)
POLICY=/usr/sbin/policy-rc.d

missing=()
for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
        echo "install-peers: already installed: ${PACKAGES[*]}"
        exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install-peers: missing ${missing[*]}; installing them needs root (run as root or install them with apt)" >&2; exit 77; }

backup=""
restore() {
        if [ -n "$backup" ]; then
                mv -f "$backup" "$POLICY" || echo "install-peers: could not put back $POLICY from $backup: restore it by hand" >&2
        else
                rm -f "$POLICY"
        fi
}
if [ -e "$POLICY" ]; then
        backup=$(mktemp "$POLICY.bench.XXXXXX") && cp -p "$POLICY" "$backup" \
                || { echo "install-peers: cannot save the existing $POLICY; nothing installed" >&2; exit 1; }
fi
trap restore EXIT
trap 'exit 130' INT TERM
printf '#!/bin/sh\n# written by pressured tests/bench/install-peers.sh while apt runs: start nothing\nexit 101\n' > "$POLICY" \
        && chmod 755 "$POLICY" || { echo "install-peers: cannot write $POLICY; nothing installed" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
echo "install-peers: installing ${missing[*]} (services stay stopped)"
log=$(mktemp)
if ! apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
        # A fresh machine may not have fetched the package lists yet.
        if ! { apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
                echo "install-peers: apt-get install ${missing[*]} failed; apt said:" >&2
                tail -n 20 "$log" | sed 's/^/    /' >&2
                echo "install-peers: check the network and /etc/apt/sources.list (oomd and systemd-oomd are in Debian 12 main)" >&2
                rm -f "$log"
                exit 1
        fi
fi
rm -f "$log"
echo "install-peers: installed ${missing[*]}"
