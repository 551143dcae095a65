/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "config.h"
#include "policy/json_text.h"
#include "policy/macro.h"
#include "policy/utf8.h"
#include "api/bus_cgroup.h"
#include "api/bus_manager.h"
#include "api/bus_methods.h"
#include "api/event_json.h"
#include "util/log.h"
#include "api/operations.h"
#include "core/level_tracker.h"
#include "core/query.h"

struct BusManager {
        Manager *manager;
        BusConnection *connection;      /* the manager's; its setup registers our objects and names */
        BusCGroups cgroups;

        bool have_name;                 /* we own org.pressured.oom1 */
        bool have_lmm;                  /* we own org.freedesktop.LowMemoryMonitor */
        bool lost;                      /* the bus went away (or was never there): say so once, and when it is back */
        bool queued_logged;             /* "someone else owns the name" said once */
        bool lmm_logged;                /* "LowMemoryMonitor is someone else's" said once */
        bool refused_logged;            /* "the bus policy refuses us the name" said once */
};

/* ---- events to signals ---- */

static void emit_manager_changed(BusManager *b, const char *property, const char *property2) {
        sd_bus *bus = bus_connection_get(b->connection);
        int r = sd_bus_emit_properties_changed(bus, PROTOCOL_BUS_MANAGER_PATH, PROTOCOL_BUS_MANAGER_INTERFACE, property, property2, NULL);
        if (r < 0)
                log_debug_errno(r, "Failed to send PropertiesChanged(%s) on %s: %m", property, PROTOCOL_BUS_MANAGER_PATH);
}

/* D-Bus strings must be valid UTF-8 and a cgroup's or a process's name may not be: the signals
 * carry U+FFFD for such bytes, as the socket's events do; the lookups use the real name. */
#define V(s, buf) utf8_valid_or_copy((s), (buf))

void bus_manager_emit_event(BusManager *b, const Event *e) {
        sd_bus *bus = b ? bus_connection_get(b->connection) : NULL;
        if (!bus || !e)
                return;
        _cleanup_free_ char *b1 = NULL, *b2 = NULL, *b3 = NULL, *b4 = NULL, *b5 = NULL;
        const LevelTracker *levels = query_levels(b->manager);
        const char *name = event_kind_to_string(e->kind);
        int r = 0;

        switch (e->kind) {
        case EVENT_KILL_PENDING:
                r = sd_bus_emit_signal(bus, PROTOCOL_BUS_MANAGER_PATH, PROTOCOL_BUS_MANAGER_INTERFACE, name, "sssstdbt",
                                       V(e->kill_pending.cgroup, &b1), V(e->kill_pending.unit, &b2),
                                       V(e->kill_pending.ruleset, &b3), V(e->kill_pending.reason, &b4),
                                       e->kill_pending.memory_bytes, e->kill_pending.pressure, e->kill_pending.dry_run,
                                       e->kill_pending.prekill_timeout_usec);
                break;
        case EVENT_KILL_CANCELLED:
                r = sd_bus_emit_signal(bus, PROTOCOL_BUS_MANAGER_PATH, PROTOCOL_BUS_MANAGER_INTERFACE, name, "sssss",
                                       V(e->kill_cancelled.cgroup, &b1), V(e->kill_cancelled.unit, &b2),
                                       V(e->kill_cancelled.ruleset, &b3), V(e->kill_cancelled.reason, &b4),
                                       prekill_verdict_to_string(e->kill_cancelled.verdict));
                break;
        case EVENT_KILLED:
                r = sd_bus_emit_signal(bus, PROTOCOL_BUS_MANAGER_PATH, PROTOCOL_BUS_MANAGER_INTERFACE, name, "sssssuttdb",
                                       V(e->killed.cgroup, &b1), V(e->killed.unit, &b2), V(e->killed.ruleset, &b3),
                                       V(e->killed.reason, &b4), V(e->killed.method, &b5), (uint32_t) e->killed.killed,
                                       e->killed.memory_bytes, e->killed.freed_bytes, e->killed.pressure,
                                       e->killed.dry_run);
                if (!e->killed.dry_run) { /* the manager counted it before publishing */
                        emit_manager_changed(b, "KillCount", NULL);
                        if (levels && level_tracker_find(levels, e->killed.cgroup))
                                bus_cgroup_emit_changed(bus, e->killed.cgroup, "KillCount");
                }
                break;
        case EVENT_POLICY_CHANGED:
                r = sd_bus_emit_signal(bus, PROTOCOL_BUS_MANAGER_PATH, PROTOCOL_BUS_MANAGER_INTERFACE, name, "suub",
                                       V(e->policy_changed.source, &b1), (uint32_t) e->policy_changed.rulesets,
                                       (uint32_t) e->policy_changed.kill_list_entries, e->policy_changed.dry_run);
                emit_manager_changed(b, "PolicySource", "DryRun");
                break;
        case EVENT_PRESSURE_CHANGED:
                r = sd_bus_emit_signal(bus, PROTOCOL_BUS_MANAGER_PATH, PROTOCOL_BUS_MANAGER_INTERFACE, name, "sssd",
                                       V(e->pressure_changed.cgroup, &b1),
                                       pressure_level_to_string(e->pressure_changed.level),
                                       pressure_level_to_string(e->pressure_changed.previous),
                                       e->pressure_changed.pressure);
                if (streq(e->pressure_changed.cgroup, "/"))
                        emit_manager_changed(b, "PressureLevel", NULL);
                else
                        bus_cgroup_emit_changed(bus, e->pressure_changed.cgroup, "Level");
                break;
        case EVENT_PRESSURE_RECOVERED:
                r = sd_bus_emit_signal(bus, PROTOCOL_BUS_MANAGER_PATH, PROTOCOL_BUS_MANAGER_INTERFACE, name, "sst",
                                       V(e->pressure_recovered.cgroup, &b1),
                                       pressure_level_to_string(e->pressure_recovered.worst),
                                       e->pressure_recovered.duration_usec);
                break;
        case EVENT_LOW_MEMORY_WARNING:
                if (b->have_lmm)
                        r = sd_bus_emit_signal(bus, PROTOCOL_BUS_LMM_PATH, PROTOCOL_BUS_LMM_NAME, "LowMemoryWarning", "y",
                                               pressure_level_to_lmm(e->low_memory.level));
                break;
        case EVENT_CGROUP_ADDED:
                bus_cgroup_emit_added(bus, &b->cgroups, e->cgroup.cgroup);
                break;
        case EVENT_CGROUP_REMOVED:
                bus_cgroup_emit_removed(bus, &b->cgroups, e->cgroup.cgroup);
                break;
        default:
                break;
        }
        if (r < 0)
                log_debug_errno(r, "Failed to send the %s signal: %m", name);
}
#undef V

/* ---- the connection ---- */

/* The connection drops the bus `delay` from now and connects again, registering us anew. */
static void bus_schedule_reconnect(BusManager *b, usec_t delay) {
        bus_connection_reconnect(b->connection, delay);
}

/* Says once that the bus is gone and what still works; the reconnect timer does the rest. */
static void bus_lost(BusManager *b, const char *why) {
        if (!b->lost)
                log_warning("Lost the system bus at %s (%s): the D-Bus API is off, the control socket still serves; "
                            "reconnecting every %" PRIu64 " s", bus_connection_address(), why, (uint64_t) (BUS_RECONNECT_USEC / USEC_PER_SEC));
        b->lost = true;
        b->have_name = b->have_lmm = false;
        bus_schedule_reconnect(b, 0); /* drops the connection outside its own callback */
}

static int on_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        bus_lost(userdata, "disconnected");
        return 0;
}

static int on_name_lost(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *b = userdata;
        const char *name;
        if (sd_bus_message_read(msg, "s", &name) < 0)
                return 0;
        if (streq(name, PROTOCOL_BUS_SERVICE))
                bus_lost(b, "the bus took the name " PROTOCOL_BUS_SERVICE " away");
        else if (streq(name, PROTOCOL_BUS_LMM_NAME)) {
                log_info("Lost the name " PROTOCOL_BUS_LMM_NAME ": LowMemoryWarning is no longer sent by pressured");
                b->have_lmm = false;
        }
        return 0;
}

static int on_name_acquired(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *b = userdata;
        const char *name;
        if (sd_bus_message_read(msg, "s", &name) < 0 || !streq(name, PROTOCOL_BUS_SERVICE) || b->have_name)
                return 0;
        b->have_name = true;
        /* Also arrives just before the RequestName reply; news only when we were queued behind another owner. */
        if (b->queued_logged)
                log_notice("Now the owner of " PROTOCOL_BUS_SERVICE " on the system bus (the previous owner left): "
                           "the D-Bus API is served by this pressured");
        b->queued_logged = false;
        return 0;
}

static int on_request_name(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        BusManager *b = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        uint32_t result = 0;

        if (e && !sd_bus_error_has_names(e, SD_BUS_ERROR_ACCESS_DENIED, SD_BUS_ERROR_NOT_SUPPORTED,
                                         SD_BUS_ERROR_INVALID_ARGS)) {
                /* No answer at all (the connection died on the way): the disconnect handling says so. */
                log_debug("No answer to the request for " PROTOCOL_BUS_SERVICE " (%s: %s); retrying", e->name, strna(e->message));
                bus_schedule_reconnect(b, BUS_RECONNECT_USEC);
                return 0;
        }
        if (e) {
                if (!b->refused_logged)
                        log_warning("The system bus refused the name " PROTOCOL_BUS_SERVICE " (%s: %s): the D-Bus API is off, the "
                                    "control socket still serves. Is org.pressured.oom1.conf installed in "
                                    "/usr/share/dbus-1/system.d? Reload dbus after installing it; retrying every %" PRIu64 " s",
                                    e->name, e->message, (uint64_t) (BUS_RECONNECT_USEC / USEC_PER_SEC));
                b->refused_logged = true;
                b->lost = true;
                bus_schedule_reconnect(b, BUS_RECONNECT_USEC);
                return 0;
        }
        (void) sd_bus_message_read(reply, "u", &result);
        if (result == 1 || result == 4) { /* primary owner, or already were */
                b->have_name = true;
                b->queued_logged = b->refused_logged = false;
                if (b->lost)
                        log_notice("Back on the system bus at %s as " PROTOCOL_BUS_SERVICE ": the D-Bus API is on again", bus_connection_address());
                else
                        log_info("On the system bus at %s as " PROTOCOL_BUS_SERVICE, bus_connection_address());
                b->lost = false;
        } else if (!b->queued_logged) {
                b->queued_logged = true;
                log_warning("Another process owns " PROTOCOL_BUS_SERVICE " on the system bus (another pressured?): D-Bus "
                            "calls go to it. This pressured waits in the queue and takes the name when it leaves; "
                            "'busctl status " PROTOCOL_BUS_SERVICE "' shows the owner");
        }
        return 0;
}

static int on_request_lmm(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        BusManager *b = userdata;
        uint32_t result = 0;

        if (sd_bus_message_is_method_error(reply, NULL) &&
            !sd_bus_message_is_method_error(reply, SD_BUS_ERROR_ACCESS_DENIED))
                return 0; /* no answer (the connection died): asked again on the next connection */
        if (!sd_bus_message_is_method_error(reply, NULL))
                (void) sd_bus_message_read(reply, "u", &result);
        if (result == 1 || result == 4) {
                b->have_lmm = true;
                log_info("Owning " PROTOCOL_BUS_LMM_NAME ": desktop applications get LowMemoryWarning from pressured");
                return 0;
        }
        b->have_lmm = false;
        if (!b->lmm_logged)
                log_info(PROTOCOL_BUS_LMM_NAME " is %s: LowMemoryWarning is left to %s",
                         sd_bus_message_is_method_error(reply, NULL) ? "not ours to take (bus policy)" : "owned by another process",
                         sd_bus_message_is_method_error(reply, NULL) ? "whoever may own it" : "that owner (low-memory-monitor?)");
        b->lmm_logged = true;
        return 0;
}

/* The connection's setup: registers every object and asks for the names on a new connection. The
 * answers arrive later. */
static int bus_setup(sd_bus *bus, void *userdata) {
        BusManager *b = userdata;
        const char *step = "register " PROTOCOL_BUS_MANAGER_PATH;
        int r = 0;

        b->have_name = b->have_lmm = false;
#define STEP(what, call)                \
        if (r >= 0) {                   \
                step = (what);          \
                r = (call);             \
        }
        STEP("register " PROTOCOL_BUS_MANAGER_PATH,
             sd_bus_add_object_vtable(bus, NULL, PROTOCOL_BUS_MANAGER_PATH, PROTOCOL_BUS_MANAGER_INTERFACE, manager_vtable, b->manager));
        STEP("register the object manager", sd_bus_add_object_manager(bus, NULL, PROTOCOL_BUS_MANAGER_PATH));
        STEP("register the cgroup objects", bus_cgroup_register(bus, &b->cgroups));
        STEP("register " PROTOCOL_BUS_LMM_PATH, sd_bus_add_object_vtable(bus, NULL, PROTOCOL_BUS_LMM_PATH, PROTOCOL_BUS_LMM_NAME, lmm_vtable, b));
        STEP("watch for Disconnected",
             sd_bus_match_signal_async(bus, NULL, NULL, "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
                                       "Disconnected", on_disconnected, NULL, b));
        STEP("watch for NameLost",
             sd_bus_match_signal_async(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameLost", on_name_lost, NULL, b));
        STEP("watch for NameAcquired",
             sd_bus_match_signal_async(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameAcquired", on_name_acquired, NULL, b));
        STEP("request " PROTOCOL_BUS_SERVICE,
             sd_bus_request_name_async(bus, NULL, PROTOCOL_BUS_SERVICE, SD_BUS_NAME_QUEUE, on_request_name, b));
        STEP("request " PROTOCOL_BUS_LMM_NAME, sd_bus_request_name_async(bus, NULL, PROTOCOL_BUS_LMM_NAME, 0, on_request_lmm, b));
#undef STEP
        if (r < 0)
                return log_debug_errno(r, "Failed to %s on the system bus: %m", step);
        return 0;
}

void bus_manager_on_event(const Event *e, void *userdata) {
        bus_manager_emit_event(userdata, e);
}

int bus_manager_new(Manager *m, BusConnection *connection, BusManager **ret) {
        BusManager *b = calloc(1, sizeof *b);
        if (!b)
                return log_oom();
        b->manager = m;
        b->connection = connection;
        b->cgroups.manager = m;

        bus_connection_set_setup(connection, bus_setup, b);
        int r = bus_connection_start(connection);
        if (r < 0) {
                log_notice_errno(r, "No system bus at %s (%m): D-Bus API off, control socket at %s/control.sock still "
                                 "serves; retrying every %" PRIu64 " s", bus_connection_address(), query_config(m)->runtime_dir,
                                 (uint64_t) (BUS_RECONNECT_USEC / USEC_PER_SEC));
                b->lost = true;
        }
        *ret = b;
        return 0;
}

BusManager *bus_manager_free(BusManager *b) {
        if (!b)
                return NULL;
        /* The connection outlives us (the manager's); no setup may call into a freed service. */
        bus_connection_set_setup(b->connection, NULL, NULL);
        free(b);
        return NULL;
}
