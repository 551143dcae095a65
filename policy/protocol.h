/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The names the daemon and oomctl share on the wire (README "Control socket and oomctl", "D-Bus
 * API"): the control socket's operation and event names, the D-Bus service, object paths,
 * interfaces and error prefix, and the sizes a client must know. Header only, no daemon includes:
 * both sides spell a name the same way because there is one spelling.
 */

#include "policy_limits.h" /* CONTROL_LINE_MAX, POLICY_MAX_BYTES */

/* The control socket's file in the daemon's runtime directory. */
#define PROTOCOL_SOCKET_NAME "control.sock"

/* Operations ("op" of a request line). The read-only ones come first. */
#define PROTOCOL_OP_STATUS           "status"
#define PROTOCOL_OP_KILL_LIST        "kill-list"
#define PROTOCOL_OP_POLICY_GET       "policy-get"
#define PROTOCOL_OP_HISTORY          "history"
#define PROTOCOL_OP_DUMP             "dump"
#define PROTOCOL_OP_SUBSCRIBE        "subscribe"
#define PROTOCOL_OP_KILL             "kill"
#define PROTOCOL_OP_KILL_LIST_ADD    "kill-list-add"
#define PROTOCOL_OP_KILL_LIST_REMOVE "kill-list-remove"
#define PROTOCOL_OP_KILL_LIST_MOVE   "kill-list-move"
#define PROTOCOL_OP_POLICY_SET       "policy-set"
#define PROTOCOL_OP_POLICY_RELOAD    "policy-reload"
#define PROTOCOL_OP_SET_DRY_RUN      "set-dry-run"
#define PROTOCOL_OP_POLICY_REVERT    "policy-revert"

/* Events a subscriber reads ("event" of an event line); the D-Bus signals carry the same names. */
#define PROTOCOL_EVENT_KILL_PENDING       "KillPending"
#define PROTOCOL_EVENT_KILL_CANCELLED     "KillCancelled"
#define PROTOCOL_EVENT_KILLED             "Killed"
#define PROTOCOL_EVENT_POLICY_CHANGED     "PolicyChanged"
#define PROTOCOL_EVENT_PRESSURE_CHANGED   "PressureChanged"
#define PROTOCOL_EVENT_PRESSURE_RECOVERED "PressureRecovered"
#define PROTOCOL_EVENT_LOW_MEMORY_WARNING "LowMemoryWarning"

/* D-Bus: the service, its objects and interfaces, the errors it replies. */
#define PROTOCOL_BUS_SERVICE           "org.pressured.oom1"
#define PROTOCOL_BUS_MANAGER_PATH      "/org/pressured/oom1"
#define PROTOCOL_BUS_MANAGER_INTERFACE "org.pressured.oom1.Manager"
#define PROTOCOL_BUS_CGROUP_PREFIX     "/org/pressured/oom1/cgroup"
#define PROTOCOL_BUS_CGROUP_INTERFACE  "org.pressured.oom1.CGroup"
#define PROTOCOL_BUS_ERROR_PREFIX      "org.pressured.oom1.Error."
#define PROTOCOL_BUS_LMM_NAME          "org.freedesktop.LowMemoryMonitor"
#define PROTOCOL_BUS_LMM_PATH          "/org/freedesktop/LowMemoryMonitor"

/* Where the system bus is when DBUS_SYSTEM_BUS_ADDRESS is unset (sd_bus_open_system()'s default). */
#define PROTOCOL_SYSTEM_BUS_DEFAULT_ADDRESS "unix:path=/run/dbus/system_bus_socket"
