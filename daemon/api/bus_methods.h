/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The org.pressured.oom1.Manager interface's methods and properties (dbus/org.pressured.oom1.Manager.xml)
 * and the org.freedesktop.LowMemoryMonitor object's: each method reads its sd-bus arguments into an
 * OpArgs, and its operation runs through op_dispatch() (op_table.h), which authorizes the caller
 * once, as it does for the control socket; the result is turned into the method's typed reply.
 * Registered by bus_manager.c on every connection; userdata is the Manager.
 */

#include <systemd/sd-bus.h>

extern const sd_bus_vtable manager_vtable[];
extern const sd_bus_vtable lmm_vtable[];
