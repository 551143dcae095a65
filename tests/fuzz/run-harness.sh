#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs one libFuzzer harness for a bounded time, as a test of suite "fuzz":
#   run-harness.sh HARNESS NAME SOURCE_DIR WORK_DIR SECONDS
# on a copy of its seed corpus (SOURCE_DIR/corpus/NAME) in WORK_DIR/corpus/NAME, which keeps what it
# finds for the next run (the source tree is never written), with SOURCE_DIR/dict/NAME.dict when
# there is one. Any crash, leak, timeout or sanitizer report fails the test and leaves the input
# in WORK_DIR/artifacts/NAME-*.
set -eu
harness=$1 name=$2 src=$3 work=$4 seconds=$5
corpus=$work/corpus/$name

mkdir -p "$corpus" "$work/artifacts"
cp -n "$src/corpus/$name"/* "$corpus"/
set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
       -artifact_prefix="$work/artifacts/$name-"
[ -f "$src/dict/$name.dict" ] && set -- "$@" -dict="$src/dict/$name.dict"
exec "$harness" "$@" "$corpus"
