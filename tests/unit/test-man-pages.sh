#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Each man page renders without a warning from groff (-ww: every warning class), and no line of it
# is wider than an 80-column terminal (a .nf example that runs off the screen).
# Usage: [--warnings-only] PAGE...   (--warnings-only: groff's warnings alone, not the width)
# Skips (exit 77) where groff is not installed.
command -v groff >/dev/null 2>&1 || { echo "groff is not installed (Debian: groff-base): skipping"; exit 77; }
width=yes
if [ "${1:-}" = --warnings-only ]; then
        width=no
        shift
fi
status=0
for page in "$@"; do
        warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
        if [ -n "$warnings" ]; then
                echo "FAIL $page: groff warns:"
                echo "$warnings"
                status=1
                continue
        fi
        # as man(1) sets a page for an 80-column terminal; grep counts characters in a UTF-8 locale
        wide=
        [ $width = yes ] && wide=$(groff -man -Tutf8 -rLL=78n -P-cbou "$page" 2>/dev/null | LC_ALL=C.UTF-8 grep -n '.\{81,\}')
        if [ -n "$wide" ]; then
                echo "FAIL $page: wider than 80 columns:"
                echo "$wide"
                status=1
                continue
        fi
        if ! groff -man -Tutf8 -P-cbou "$page" 2>/dev/null | grep -q "^NAME"; then
                echo "FAIL $page: no NAME section in the rendered page"
                status=1
                continue
        fi
        echo "ok $page"
done
exit $status
