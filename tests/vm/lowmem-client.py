#!/usr/bin/python3
# A GMemoryMonitor client, as a desktop application uses it (GLib's D-Bus backend listens to
# org.freedesktop.LowMemoryMonitor on the system bus). Prints "ready" once it has listened for a
# while, then one line "low-memory-warning LEVEL" per warning.
from gi.repository import Gio, GLib

monitor = Gio.MemoryMonitor.dup_default()


def on_warning(_monitor, level):
    print("low-memory-warning", int(level), flush=True)


def ready():
    print("ready", type(monitor).__gtype__.name, flush=True)
    return False


monitor.connect("low-memory-warning", on_warning)
# The backend watches the name and builds its proxy asynchronously: give it a moment.
GLib.timeout_add(2000, ready)
GLib.MainLoop().run()
