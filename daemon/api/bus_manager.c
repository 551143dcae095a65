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
#include "util/log.h"
#include "core/manager-internal.h"
#include "api/operations.h"
#include "core/level_tracker.h"
#include "core/psi_trigger.h"

/* Where sd_bus_open_system() connects when DBUS_SYSTEM_BUS_ADDRESS is unset. */
#define BUS_DEFAULT_SYSTEM_ADDRESS PROTOCOL_SYSTEM_BUS_DEFAULT_ADDRESS

DEFINE_POINTER_CLEANUP(cJSON, cJSON_Delete);

struct BusManager {
        Manager *manager;
        sd_event *event;
        sd_bus *bus;                    /* NULL while there is no bus */
        sd_event_source *reconnect;     /* drops a dead connection and tries again */
        BusCGroups cgroups;

        bool have_name;                 /* we own org.pressured.oom1 */
        bool have_lmm;                  /* we own org.freedesktop.LowMemoryMonitor */
        bool lost;                      /* the bus went away (or was never there): say so once, and when it is back */
        bool queued_logged;             /* "someone else owns the name" said once */
        bool lmm_logged;                /* "LowMemoryMonitor is someone else's" said once */
        bool refused_logged;            /* "the bus policy refuses us the name" said once */
        struct {
                BusConnectHook fn;
                void *userdata;
        } hooks[BUS_MAX_CONNECT_HOOKS];
        size_t n_hooks;
};

static const char *strna(const char *s) {
        return s ? s : "n/a";
}

static const char *bus_address(void) {
        const char *a = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        return a && a[0] ? a : BUS_DEFAULT_SYSTEM_ADDRESS;
}

static const char *json_string(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        return cJSON_IsString(v) ? v->valuestring : "";
}

static double json_number(const cJSON *o, const char *key, double fallback) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

static uint64_t json_u64(const cJSON *o, const char *key) {
        double d = json_number(o, key, 0);
        return d <= 0 ? 0 : d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t) d;
}

static bool json_bool(const cJSON *o, const char *key) {
        return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* ---- events to signals ---- */

static void emit_manager_changed(BusManager *b, const char *property, const char *property2) {
        int r = sd_bus_emit_properties_changed(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, property, property2, NULL);
        if (r < 0)
                log_debug_errno(r, "Failed to send PropertiesChanged(%s) on %s: %m", property, BUS_MANAGER_PATH);
}

void bus_manager_emit_event(BusManager *b, const cJSON *event) {
        if (!b || !b->bus || !event)
                return;
        /* D-Bus strings must be valid UTF-8 and a cgroup's or a process's name may not be: the signals
         * carry U+FFFD for such bytes, as the socket's events do; the lookups below use the real name. */
        _cleanup_free_ char *text = json_print_utf8(event, false);
        _cleanup_(cJSON_Deletep) cJSON *valid = text ? cJSON_Parse(text) : NULL;
        const cJSON *e = valid ? valid : event;
        const char *name = json_string(e, "event"), *cgroup = json_string(e, "cgroup");
        const char *real_cgroup = json_string(event, "cgroup");
        int r = 0;

        if (streq(name, "KillPending"))
                r = sd_bus_emit_signal(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, name, "sssstdbt",
                                       cgroup, json_string(e, "unit"), json_string(e, "ruleset"), json_string(e, "reason"),
                                       json_u64(e, "memory_bytes"), json_number(e, "pressure", -1), json_bool(e, "dry_run"),
                                       json_u64(e, "prekill_timeout_usec"));
        else if (streq(name, "KillCancelled"))
                r = sd_bus_emit_signal(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, name, "sssss",
                                       cgroup, json_string(e, "unit"), json_string(e, "ruleset"), json_string(e, "reason"),
                                       json_string(e, "verdict"));
        else if (streq(name, "Killed")) {
                r = sd_bus_emit_signal(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, name, "sssssuttdb",
                                       cgroup, json_string(e, "unit"), json_string(e, "ruleset"), json_string(e, "reason"),
                                       json_string(e, "method"), (uint32_t) json_u64(e, "killed"),
                                       json_u64(e, "memory_bytes"), json_u64(e, "freed_bytes"),
                                       json_number(e, "pressure", -1), json_bool(e, "dry_run"));
                if (!json_bool(e, "dry_run")) { /* the manager counted it before publishing */
                        emit_manager_changed(b, "KillCount", NULL);
                        if (b->manager->levels && level_tracker_find(b->manager->levels, real_cgroup))
                                bus_cgroup_emit_changed(b->bus, real_cgroup, "KillCount");
                }
        } else if (streq(name, "PolicyChanged")) {
                r = sd_bus_emit_signal(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, name, "suub",
                                       json_string(e, "source"), (uint32_t) json_u64(e, "rulesets"),
                                       (uint32_t) json_u64(e, "kill_list_entries"), json_bool(e, "dry_run"));
                emit_manager_changed(b, "PolicySource", "DryRun");
        } else if (streq(name, "PressureChanged")) {
                r = sd_bus_emit_signal(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, name, "sssd",
                                       cgroup, json_string(e, "level"), json_string(e, "previous_level"),
                                       json_number(e, "pressure", -1));
                if (streq(real_cgroup, "/"))
                        emit_manager_changed(b, "PressureLevel", NULL);
                else
                        bus_cgroup_emit_changed(b->bus, real_cgroup, "Level");
        } else if (streq(name, "PressureRecovered"))
                r = sd_bus_emit_signal(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, name, "sst",
                                       cgroup, json_string(e, "worst_level"), json_u64(e, "duration_usec"));
        else if (streq(name, "LowMemoryWarning") && b->have_lmm)
                r = sd_bus_emit_signal(b->bus, BUS_LMM_PATH, BUS_LMM_NAME, "LowMemoryWarning", "y",
                                       (uint8_t) json_u64(e, "level"));
        if (r < 0)
                log_debug_errno(r, "Failed to send the %s signal: %m", name);
}

void bus_manager_cgroup_added(BusManager *b, const char *cgroup) {
        if (b && b->bus)
                bus_cgroup_emit_added(b->bus, &b->cgroups, cgroup);
}

void bus_manager_cgroup_removed(BusManager *b, const char *cgroup) {
        if (b && b->bus)
                bus_cgroup_emit_removed(b->bus, &b->cgroups, cgroup);
}

/* ---- the connection ---- */

static void bus_schedule_reconnect(BusManager *b, usec_t delay) {
        uint64_t now = 0;
        (void) sd_event_now(b->event, CLOCK_MONOTONIC, &now);
        (void) sd_event_source_set_time(b->reconnect, now + delay);
        (void) sd_event_source_set_enabled(b->reconnect, SD_EVENT_ONESHOT);
}

/* Says once that the bus is gone and what still works; the reconnect timer does the rest. */
static void bus_lost(BusManager *b, const char *why) {
        if (!b->lost)
                log_warning("Lost the system bus at %s (%s): the D-Bus API is off, the control socket still serves; "
                            "reconnecting every %" PRIu64 " s", bus_address(), why, (uint64_t) (BUS_RECONNECT_USEC / USEC_PER_SEC));
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
        if (streq(name, BUS_SERVICE_NAME))
                bus_lost(b, "the bus took the name " BUS_SERVICE_NAME " away");
        else if (streq(name, BUS_LMM_NAME)) {
                log_info("Lost the name " BUS_LMM_NAME ": LowMemoryWarning is no longer sent by pressured");
                b->have_lmm = false;
        }
        return 0;
}

static int on_name_acquired(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *b = userdata;
        const char *name;
        if (sd_bus_message_read(msg, "s", &name) < 0 || !streq(name, BUS_SERVICE_NAME) || b->have_name)
                return 0;
        b->have_name = true;
        /* Also arrives just before the RequestName reply; news only when we were queued behind another owner. */
        if (b->queued_logged)
                log_notice("Now the owner of " BUS_SERVICE_NAME " on the system bus (the previous owner left): "
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
                log_debug("No answer to the request for " BUS_SERVICE_NAME " (%s: %s); retrying", e->name, strna(e->message));
                bus_schedule_reconnect(b, BUS_RECONNECT_USEC);
                return 0;
        }
        if (e) {
                if (!b->refused_logged)
                        log_warning("The system bus refused the name " BUS_SERVICE_NAME " (%s: %s): the D-Bus API is off, the "
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
                        log_notice("Back on the system bus at %s as " BUS_SERVICE_NAME ": the D-Bus API is on again", bus_address());
                else
                        log_info("On the system bus at %s as " BUS_SERVICE_NAME, bus_address());
                b->lost = false;
        } else if (!b->queued_logged) {
                b->queued_logged = true;
                log_warning("Another process owns " BUS_SERVICE_NAME " on the system bus (another pressured?): D-Bus "
                            "calls go to it. This pressured waits in the queue and takes the name when it leaves; "
                            "'busctl status " BUS_SERVICE_NAME "' shows the owner");
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
                log_info("Owning " BUS_LMM_NAME ": desktop applications get LowMemoryWarning from pressured");
                return 0;
        }
        b->have_lmm = false;
        if (!b->lmm_logged)
                log_info(BUS_LMM_NAME " is %s: LowMemoryWarning is left to %s",
                         sd_bus_message_is_method_error(reply, NULL) ? "not ours to take (bus policy)" : "owned by another process",
                         sd_bus_message_is_method_error(reply, NULL) ? "whoever may own it" : "that owner (low-memory-monitor?)");
        b->lmm_logged = true;
        return 0;
}

static void bus_drop(BusManager *b) {
        if (!b->bus)
                return;
        (void) sd_bus_detach_event(b->bus);
        b->bus = sd_bus_flush_close_unref(b->bus);
        b->have_name = b->have_lmm = false;
}

/* Opens the connection, registers every object and asks for the names. The answers arrive later. */
static int bus_connect(BusManager *b) {
        sd_bus *bus = NULL;
        const char *step = "open the connection";
        int r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        (void) sd_bus_set_description(bus, "system-bus");
        (void) sd_bus_set_method_call_timeout(bus, BUS_CALL_TIMEOUT_USEC);

#define STEP(what, call)                \
        if (r >= 0) {                   \
                step = (what);          \
                r = (call);             \
        }
        STEP("register " BUS_MANAGER_PATH,
             sd_bus_add_object_vtable(bus, NULL, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, manager_vtable, b->manager));
        STEP("register the object manager", sd_bus_add_object_manager(bus, NULL, BUS_MANAGER_PATH));
        STEP("register the cgroup objects", bus_cgroup_register(bus, &b->cgroups));
        STEP("register " BUS_LMM_PATH, sd_bus_add_object_vtable(bus, NULL, BUS_LMM_PATH, BUS_LMM_NAME, lmm_vtable, b));
        STEP("watch for Disconnected",
             sd_bus_match_signal_async(bus, NULL, NULL, "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
                                       "Disconnected", on_disconnected, NULL, b));
        STEP("watch for NameLost",
             sd_bus_match_signal_async(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameLost", on_name_lost, NULL, b));
        STEP("watch for NameAcquired",
             sd_bus_match_signal_async(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameAcquired", on_name_acquired, NULL, b));
        STEP("request " BUS_SERVICE_NAME,
             sd_bus_request_name_async(bus, NULL, BUS_SERVICE_NAME, SD_BUS_NAME_QUEUE, on_request_name, b));
        STEP("request " BUS_LMM_NAME, sd_bus_request_name_async(bus, NULL, BUS_LMM_NAME, 0, on_request_lmm, b));
        STEP("attach to the event loop", sd_bus_attach_event(bus, b->event, SD_EVENT_PRIORITY_NORMAL));
#undef STEP
        if (r < 0) {
                log_debug_errno(r, "Failed to %s on the system bus: %m", step);
                sd_bus_flush_close_unref(bus);
                return r;
        }
        b->bus = bus;
        for (size_t i = 0; i < b->n_hooks; i++)
                b->hooks[i].fn(bus, b->hooks[i].userdata);
        return 0;
}

sd_bus *bus_manager_get_bus(BusManager *b) {
        return b ? b->bus : NULL;
}

int bus_manager_add_connect_hook(BusManager *b, BusConnectHook fn, void *userdata) {
        if (!b || !fn)
                return -EINVAL;
        if (b->n_hooks >= ELEMENTSOF(b->hooks))
                return -ENOSPC;
        b->hooks[b->n_hooks].fn = fn;
        b->hooks[b->n_hooks++].userdata = userdata;
        if (b->bus)
                fn(b->bus, userdata);
        return 0;
}

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata) {
        BusManager *b = userdata;
        bus_drop(b);
        int r = bus_connect(b);
        if (r < 0) {
                log_debug_errno(r, "The system bus at %s is still not there: %m; next try in %" PRIu64 " s",
                                bus_address(), (uint64_t) (BUS_RECONNECT_USEC / USEC_PER_SEC));
                bus_schedule_reconnect(b, BUS_RECONNECT_USEC);
        }
        return 0;
}

int bus_manager_new(Manager *m, sd_event *e, BusManager **ret) {
        BusManager *b = calloc(1, sizeof *b);
        if (!b)
                return log_oom();
        b->manager = m;
        b->event = sd_event_ref(e);
        b->cgroups.manager = m;

        int r = sd_event_add_time(e, &b->reconnect, CLOCK_MONOTONIC, UINT64_MAX, 0, on_reconnect, b);
        if (r < 0) {
                bus_manager_free(b);
                return log_error_errno(r, "Failed to set up the D-Bus reconnect timer: %m");
        }
        (void) sd_event_source_set_description(b->reconnect, "bus-reconnect");
        (void) sd_event_source_set_enabled(b->reconnect, SD_EVENT_OFF);

        r = bus_connect(b);
        if (r < 0) {
                log_notice_errno(r, "No system bus at %s (%m): D-Bus API off, control socket at %s/control.sock still "
                                 "serves; retrying every %" PRIu64 " s", bus_address(), m->config.runtime_dir,
                                 (uint64_t) (BUS_RECONNECT_USEC / USEC_PER_SEC));
                b->lost = true;
                bus_schedule_reconnect(b, BUS_RECONNECT_USEC);
        }
        *ret = b;
        return 0;
}

BusManager *bus_manager_free(BusManager *b) {
        if (!b)
                return NULL;
        bus_drop(b);
        sd_event_source_disable_unref(b->reconnect);
        sd_event_unref(b->event);
        free(b);
        return NULL;
}
