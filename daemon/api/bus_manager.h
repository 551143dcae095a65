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
#include "core/manager.h"

/* How often a lost or absent system bus is tried again. dbus-daemon restarts within a second or
 * two; 5 s keeps a host without any bus (containers) from paying more than a connect() now and then. */
#define BUS_RECONNECT_USEC (5 * USEC_PER_SEC)

/* The longest the daemon waits on dbus-daemon for a caller's credentials (the only synchronous
 * calls it makes). sd-bus's default is 25 s; a killer must not stall that long behind a bus that is
 * itself starved of memory. */
#define BUS_CALL_TIMEOUT_USEC (2 * USEC_PER_SEC)

/* The names on the bus, spelled once for daemon and oomctl in policy/protocol.h. */
#define BUS_SERVICE_NAME PROTOCOL_BUS_SERVICE
#define BUS_MANAGER_PATH PROTOCOL_BUS_MANAGER_PATH
#define BUS_MANAGER_INTERFACE PROTOCOL_BUS_MANAGER_INTERFACE
#define BUS_CGROUP_PREFIX PROTOCOL_BUS_CGROUP_PREFIX
#define BUS_CGROUP_INTERFACE PROTOCOL_BUS_CGROUP_INTERFACE
#define BUS_LMM_NAME PROTOCOL_BUS_LMM_NAME
#define BUS_LMM_PATH PROTOCOL_BUS_LMM_PATH

typedef struct BusManager BusManager;

/* Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS honoured) on event loop e, registers the
 * objects and requests the names. A missing bus is not an error: it is logged once and retried
 * every BUS_RECONNECT_USEC. Fails only when out of memory. */
int bus_manager_new(Manager *m, sd_event *e, BusManager **ret);
/* Leaves the bus. Accepts NULL, returns NULL. */
BusManager *bus_manager_free(BusManager *b);

/* Turns one event (the control socket's JSON model, see manager_publish) into its signal(s):
 * KillPending, Killed, PolicyChanged, PressureChanged, PressureRecovered, LowMemoryWarning, with
 * the PropertiesChanged that go with them. Unknown events are ignored. */
void bus_manager_emit_event(BusManager *b, const cJSON *event);

/* A monitored cgroup appeared (InterfacesAdded) or vanished (InterfacesRemoved). Call _added after
 * the LevelTracker knows the cgroup, _removed after it forgot it. */
void bus_manager_cgroup_added(BusManager *b, const char *cgroup);
void bus_manager_cgroup_removed(BusManager *b, const char *cgroup);

/* The system bus connection, for calls to other services (PID 1), or NULL while there is none.
 * Borrowed: it is replaced after a reconnect, so take a reference to keep it across callbacks. */
sd_bus *bus_manager_get_bus(BusManager *b);

/* Calls fn(bus, userdata) on every new connection (and at once if connected now), so that
 * subscriptions to other services (PID 1's signals) are made again after a reconnect. At most
 * BUS_MAX_CONNECT_HOOKS; -ENOSPC past that. */
#define BUS_MAX_CONNECT_HOOKS 4
typedef void (*BusConnectHook)(sd_bus *bus, void *userdata);
int bus_manager_add_connect_hook(BusManager *b, BusConnectHook fn, void *userdata);

static inline void bus_manager_freep(BusManager **b) {
        bus_manager_free(*b);
}
