/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The D-Bus service (README "D-Bus API"; the contract is dbus/org.pressured.oom1.Manager.xml and
 * dbus/org.pressured.oom1.CGroup.xml): org.pressured.oom1 on the system bus, a thin transport over
 * the operations layer (operations.h), plus org.freedesktop.LowMemoryMonitor when that name is free.
 * The bus is optional: without one the control socket serves alone, and the connection is retried
 * until a bus appears. Names are requested asynchronously; the one
 * synchronous call, the credentials of a caller of a privileged method, is bounded by BUS_CALL_TIMEOUT_USEC.
 */

#include <stdbool.h>
#include <cjson/cJSON.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "policy/protocol.h"
#include "policy/sample.h"
#include "systemd/bus_connection.h"
#include "core/events.h"
#include "core/manager.h"

/* BUS_RECONNECT_USEC and BUS_CALL_TIMEOUT_USEC are the connection's: systemd/bus_connection.h. */

/* The names on the bus, spelled once for daemon and oomctl in policy/protocol.h. */

typedef struct BusManager BusManager;

/* Serves on the manager's system bus connection (core/manager.h: manager_get_bus_connection()):
 * registers the objects and requests the names on every (re)connection, and starts the connection.
 * A missing bus is not an error: it is logged once and retried every BUS_RECONNECT_USEC. Fails only
 * when out of memory. */
int bus_manager_new(Manager *m, BusConnection *connection, BusManager **ret);
/* Stops serving (the connection is the manager's). Accepts NULL, returns NULL. */
BusManager *bus_manager_free(BusManager *b);

/* Turns one event into its signal(s): KillPending, KillCancelled, Killed, PolicyChanged,
 * PressureChanged, PressureRecovered, LowMemoryWarning, with the PropertiesChanged that go with
 * them, and a published cgroup's object appearing (InterfacesAdded: after the LevelTracker knows
 * the cgroup) or vanishing (InterfacesRemoved: after it forgot it). */
void bus_manager_emit_event(BusManager *b, const Event *e);

/* The same as an EventHandler (manager_subscribe), userdata the BusManager. */
void bus_manager_on_event(const Event *e, void *userdata);

static inline void bus_manager_freep(BusManager **b) {
        bus_manager_free(*b);
}
