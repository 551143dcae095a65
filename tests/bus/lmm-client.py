#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A desktop application as GLib sees low memory: Gio.MemoryMonitor on the system bus
(DBUS_SYSTEM_BUS_ADDRESS), no knowledge of pressured. Prints "ready" once org.freedesktop.LowMemoryMonitor
has an owner, then the level of the first low-memory-warning, and exits 0; exits 2 after the timeout
(first argument, seconds) without one."""
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

timeout = int(sys.argv[1]) if len(sys.argv) > 1 else 40
loop = GLib.MainLoop()
result = {"level": None}


def on_warning(_monitor, level):
    result["level"] = int(level)
    loop.quit()


def on_appeared(_conn, _name, _owner):
    print("ready", flush=True)


monitor = Gio.MemoryMonitor.dup_default()
monitor.connect("low-memory-warning", on_warning)
Gio.bus_watch_name(Gio.BusType.SYSTEM, "org.freedesktop.LowMemoryMonitor", Gio.BusNameWatcherFlags.NONE,
                   on_appeared, None)
GLib.timeout_add_seconds(timeout, loop.quit)
loop.run()
if result["level"] is None:
    print("no low-memory-warning within %d s" % timeout, file=sys.stderr)
    sys.exit(2)
print(result["level"], flush=True)
