#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (run as root): installs what the build and
# the tests need, builds twice (warnings as errors; then with AddressSanitizer and UBSan), runs the
# unit, host and bus suites in both builds (the bus suite starts its own dbus-daemon; its GLib client
# needs python3-gi) and the VM suite (a real kernel under QEMU, one guest per scenario; tests/vm/)
# in the first, then the short benchmark against the peers there (tests/bench/run.sh --short: one
# guest per contender; the full benchmark stays out of CI). A third build, with clang, runs the
# libFuzzer harnesses briefly (suite fuzz, tests/fuzz/). It ends with one line: "N passed,
# N failed" (criterion test cases, VM scenarios, the benchmark, fuzz harnesses, plus any test
# executable that died before reporting).
set -u
cd "$(dirname "$0")/.."

PACKAGES=(gcc pkg-config meson ninja-build libsystemd-dev libcjson-dev libcriterion-dev python3
          qemu-system-x86 busybox-static cpio xz-utils binutils systemd dbus dbus-daemon
          python3-gi gir1.2-glib-2.0 dbus-bin util-linux strace groff-base
          clang libclang-rt-14-dev) # clang's libFuzzer (libclang_rt.fuzzer) for the fuzz build

if [ "$(id -u)" = 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null || { echo "apt-get update failed: check the network and /etc/apt/sources.list" >&2; exit 1; }
        apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null \
                || { echo "apt-get install ${PACKAGES[*]} failed" >&2; exit 1; }
        # The benchmark's peers (earlyoom, systemd-oomd, oomd) and tools; their services are not started here.
        tests/bench/install-peers.sh || exit 1
else
        echo "note: not root, so nothing is installed and the host suite (real cgroups, the daemon) skips" >&2
fi

status=0
summaries=()
for variant in werror asan fuzz; do
        dir="build-test-$variant"
        setup_env=()
        case $variant in
                # The benchmark runs on its own below (bench-short), never in the normal runs (bench: hours).
                werror) opts=(-Dwerror=true); suites=(--no-suite bench --no-suite bench-short) ;;
                # The VM suite boots the plain build's daemon; under TCG a sanitized one adds nothing but time.
                asan)   opts=(-Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false)
                        suites=(--no-suite vm --no-suite bench --no-suite bench-short) ;;
                # Each harness for a bounded time (fuzz_seconds) on its seeds; the other suites are not built.
                fuzz)   opts=(-Dwerror=true -Dfuzz=true -Dtests=false); suites=(--suite fuzz); setup_env=(CC=clang) ;;
        esac
        echo "=== build: $variant ==="
        if [ -d "$dir" ]; then
                meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null || status=1
        else
                env "${setup_env[@]}" meson setup "$dir" "${opts[@]}" >/dev/null || status=1
        fi
        if ! ninja -C "$dir"; then
                echo "build $variant failed" >&2
                summaries+=("0 1 0") # the build itself failed: count it as one failure
                status=1
                continue
        fi
        echo "=== tests: $variant ==="
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                meson test -C "$dir" --print-errorlogs --num-processes 2 "${suites[@]}" || status=1
        if [ "$variant" = werror ]; then
                echo "=== VM scenarios (guest-clock timings; logs under $dir/vm-runs/) ==="
                grep -h -e '^vm: ' -e '^TIMING' "$dir/meson-logs/testlog.txt" || true
        fi
        summaries+=("$(python3 tests/count-results.py "$dir/meson-logs/testlog.json")")
        if [ "$variant" = werror ]; then
                # Its own log base, so testlog.json above keeps the other suites' results.
                echo "=== benchmark, short (one guest per contender; results in $dir/bench/) ==="
                meson test -C "$dir" --print-errorlogs --suite bench-short --logbase bench-short || status=1
                [ -f "$dir/bench/results.md" ] && cat "$dir/bench/results.md"
                summaries+=("$(python3 tests/count-results.py "$dir/meson-logs/bench-short.json")")
        fi
done

read -r passed failed skipped < <(printf '%s\n' "${summaries[@]}" | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
