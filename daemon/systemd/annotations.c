/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "policy/annotations.h"
#include "policy/macro.h"
#include "util/log.h"
#include "systemd/annotations.h"
#include "systemd/bus_connection.h"
#include "util/unit_name.h"

#define SYSTEMD_UNIT_PREFIX "/org/freedesktop/systemd1/unit"
#define OOMD_BUS_NAME "org.freedesktop.oom1"

typedef AnnotatedUnit Entry;

/* What a reply finds when it arrives: the reader, or NULL once it is gone. Replies may outlive it. */
typedef struct Anchor {
        SystemdAnnotations *a;
        unsigned refs;
} Anchor;

/* One call in flight: which connection it belongs to (a reply from an old one is ignored). */
typedef struct Call {
        Anchor *anchor;
        unsigned generation;
        char *unit;
} Call;

struct SystemdAnnotations {
        sd_event *event;
        annotations_changed_t cb;
        void *userdata;
        Anchor *anchor;

        sd_bus *bus;                 /* a reference; NULL while detached (a dropped connection stays closed) */
        unsigned generation;         /* bumped on every attach: replies of older connections are stale */
        sd_bus_slot *matches[5];
        bool oomd_active;            /* systemd-oomd owns org.freedesktop.oom1: the annotations are its job */
        bool oomd_logged;
        sd_event_source *settle;     /* regenerates once the burst of changes is over */
        sd_event_source *rescan;     /* reads the annotated units (and now and then every unit) again */
        unsigned rescans;            /* ticks of that timer, to tell the full re-reads */

        Entry *entries;              /* annotated units, any order */
        size_t n_entries;
        bool have_swap;
        bool answered;               /* PID 1 listed its units at least once */
        bool failed_logged;
        char *json;                  /* the last document handed out; NULL: none */
        char **queue;                /* units whose properties are still to be read, oldest first */
        size_t n_queue;
        unsigned in_flight;          /* GetAll calls awaiting their reply */
        unsigned n_units;
};

static void anchor_unref(Anchor *x) {
        if (x && --x->refs == 0)
                free(x);
}

static void call_free(void *p) {
        Call *c = p;
        if (!c)
                return;
        anchor_unref(c->anchor);
        free(c->unit);
        free(c);
}

/* The reader a reply belongs to, or NULL when it is gone or the reply is from an old connection. */
static SystemdAnnotations *call_owner(const Call *c) {
        SystemdAnnotations *a = c->anchor->a;
        return a && a->bus && c->generation == a->generation ? a : NULL;
}

static void entry_clear(Entry *e) {
        free(e->unit);
        free(e->cgroup);
}

static Entry *units_find(AnnotatedUnit *units, size_t n, const char *unit) {
        for (size_t i = 0; i < n; i++)
                if (streq(units[i].unit, unit))
                        return &units[i];
        return NULL;
}

void annotated_units_remove(AnnotatedUnit *units, size_t *n, const char *unit) {
        Entry *e = units_find(units, *n, unit);
        if (!e)
                return;
        entry_clear(e);
        *e = units[--*n];
}

int annotated_units_merge(AnnotatedUnit **units, size_t *n, const char *unit, const char *cgroup,
                          bool memory_pressure_kill, uint32_t bus_limit, bool swap_kill) {
        annotated_units_remove(*units, n, unit);
        /* A unit without a control group is not running: systemd-oomd watches active units only. */
        if (!(memory_pressure_kill || swap_kill) || !cgroup || cgroup[0] != '/')
                return 0;
        Entry *grown = realloc(*units, (*n + 1) * sizeof *grown);
        if (!grown)
                return -ENOMEM;
        *units = grown;
        Entry e = {
                .unit = strdup(unit),
                .cgroup = strdup(cgroup),
                .memory_pressure_kill = memory_pressure_kill,
                .memory_pressure_limit = annotation_limit_from_bus(bus_limit),
                .swap_kill = swap_kill,
        };
        if (!e.unit || !e.cgroup) {
                entry_clear(&e);
                return -ENOMEM;
        }
        (*units)[(*n)++] = e;
        return 1;
}

static int compare_entries(const void *x, const void *y) {
        return strcmp(((const Entry *) x)->unit, ((const Entry *) y)->unit);
}

int annotated_units_document(AnnotatedUnit *units, size_t n, bool have_swap, char **ret) {
        *ret = NULL;
        if (n == 0)
                return 0;
        qsort(units, n, sizeof *units, compare_entries); /* the same units give the same text */
        _cleanup_free_ UnitAnnotation *list = calloc(n, sizeof *list);
        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                list[i] = (UnitAnnotation) {
                        .unit = units[i].unit,
                        .cgroup = units[i].cgroup,
                        .memory_pressure_kill = units[i].memory_pressure_kill,
                        .memory_pressure_limit = units[i].memory_pressure_limit,
                        .swap_kill = units[i].swap_kill,
                };
        *ret = annotations_to_policy_json(list, n, have_swap);
        return *ret ? 1 : -ENOMEM;
}

static Entry *entry_find(SystemdAnnotations *a, const char *unit) {
        return units_find(a->entries, a->n_entries, unit);
}

static void entry_remove(SystemdAnnotations *a, const char *unit) {
        annotated_units_remove(a->entries, &a->n_entries, unit);
}

static void schedule_settle(SystemdAnnotations *a) {
        uint64_t now = 0;
        (void) sd_event_now(a->event, CLOCK_MONOTONIC, &now);
        (void) sd_event_source_set_time(a->settle, now + ANNOTATIONS_SETTLE_USEC);
        (void) sd_event_source_set_enabled(a->settle, SD_EVENT_ONESHOT);
}

/* Rebuilds the document; calls back when it differs from the last one. */
static void regenerate(SystemdAnnotations *a) {
        if (!a->answered)
                return;
        /* Two killers acting on the same annotations would both kill, one victim each: leave them to
         * systemd-oomd while it runs; pressured's own policy files still apply. */
        if (a->oomd_active) {
                if (!a->oomd_logged && a->n_entries > 0)
                        log_warning("systemd-oomd is running (it owns " OOMD_BUS_NAME " on the system bus) and acts on the "
                                    "ManagedOOM*= settings of %zu unit(s): pressured leaves those to it and applies only its own "
                                    "policy. To let pressured act on them instead: systemctl disable --now systemd-oomd",
                                    a->n_entries);
                a->oomd_logged = a->n_entries > 0;
                if (a->json) {
                        free(a->json);
                        a->json = NULL;
                        a->n_units = 0;
                        if (a->cb)
                                a->cb(a->userdata);
                }
                return;
        }
        if (a->oomd_logged)
                log_notice("systemd-oomd is gone: pressured now acts on the ManagedOOM*= settings of %zu unit(s)", a->n_entries);
        a->oomd_logged = false;
        char *json = NULL;
        if (annotated_units_document(a->entries, a->n_entries, a->have_swap, &json) < 0) {
                log_oom();
                return;
        }
        bool same = (!json && !a->json) || (json && a->json && streq(json, a->json));
        if (same) {
                free(json);
                return;
        }
        free(a->json);
        a->json = json;
        a->n_units = (unsigned) a->n_entries;
        if (a->cb)
                a->cb(a->userdata);
}

static int on_settle(sd_event_source *s, uint64_t usec, void *userdata) {
        regenerate(userdata);
        return 0;
}

/* "kill" is the only mode that asks for action; "auto" (the default) leaves the cgroup alone. */
static int read_mode(sd_bus_message *m, bool *ret) {
        const char *s;
        int r = sd_bus_message_read(m, "v", "s", &s);
        if (r >= 0)
                *ret = streq(s, "kill");
        return r;
}

/* Takes in one unit's properties from a GetAll reply. */
static int unit_properties(SystemdAnnotations *a, Call *c, sd_bus_message *reply);
static void pump(SystemdAnnotations *a);
static int on_unit_path(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error);
static const char *unit_interface(const char *unit);

/* One read is over (answered, or given up): the next queued one may go. */
static void read_done(SystemdAnnotations *a) {
        if (a->in_flight > 0)
                a->in_flight--;
        pump(a);
}

static int on_unit_properties(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;
        SystemdAnnotations *a = call_owner(c);
        if (!a)
                return 0;
        int r = unit_properties(a, c, reply);
        read_done(a);
        return r;
}

static int unit_properties(SystemdAnnotations *a, Call *c, sd_bus_message *reply) {
        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                log_debug("Cannot read the properties of %s from systemd: %s", c->unit, e->message);
                /* Gone between the listing and this call: nothing to keep. Anything else (a timeout on a
                 * busy PID 1) keeps what was known, so that a slow answer never drops a ruleset. */
                if (sd_bus_error_has_names(e, SD_BUS_ERROR_UNKNOWN_OBJECT, SD_BUS_ERROR_UNKNOWN_INTERFACE,
                                           "org.freedesktop.systemd1.NoSuchUnit")) {
                        entry_remove(a, c->unit);
                        schedule_settle(a);
                }
                return 0;
        }

        Entry e = { 0 };
        const char *cgroup = NULL;
        uint32_t limit = 0;
        int r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key;
                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        break;
                if (streq(key, "ControlGroup"))
                        r = sd_bus_message_read(reply, "v", "s", &cgroup);
                else if (streq(key, "ManagedOOMMemoryPressure"))
                        r = read_mode(reply, &e.memory_pressure_kill);
                else if (streq(key, "ManagedOOMSwap"))
                        r = read_mode(reply, &e.swap_kill);
                else if (streq(key, "ManagedOOMMemoryPressureLimit"))
                        r = sd_bus_message_read(reply, "v", "u", &limit);
                else
                        r = sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                log_debug_errno(r, "Cannot parse the properties of %s from systemd: %m; ignoring the unit", c->unit);
                return 0;
        }

        if (annotated_units_merge(&a->entries, &a->n_entries, c->unit, cgroup, e.memory_pressure_kill, limit,
                                  e.swap_kill) < 0)
                return log_oom();
        schedule_settle(a);
        return 0;
}

static const char *unit_interface(const char *unit) {
        const char *dot = strrchr(unit, '.');
        return !dot ? NULL : streq(dot, ".slice") ? "org.freedesktop.systemd1.Slice" :
               streq(dot, ".service") ? "org.freedesktop.systemd1.Service" :
               streq(dot, ".scope") ? "org.freedesktop.systemd1.Scope" : NULL;
}

/* Starts an asynchronous call whose reply reaches handler with a Call for `unit`. */
static int call_async(SystemdAnnotations *a, const char *unit, sd_bus_message_handler_t handler, const char *destination,
                      const char *path, const char *interface, const char *member, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_slot *slot = NULL;
        Call *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->anchor = a->anchor;
        a->anchor->refs++;
        c->generation = a->generation;
        c->unit = unit ? strdup(unit) : NULL;
        if (unit && !c->unit) {
                call_free(c);
                return -ENOMEM;
        }
        int r = sd_bus_message_new_method_call(a->bus, &m, destination, path, interface, member);
        if (r >= 0 && types) {
                va_list ap;
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_call_async(a->bus, &slot, m, handler, c, ANNOTATIONS_CALL_TIMEOUT_USEC);
        if (r < 0) {
                call_free(c);
                return r;
        }
        /* The bus owns the call from here; c is freed with the slot, whether a reply came or not. */
        (void) sd_bus_slot_set_destroy_callback(slot, call_free);
        (void) sd_bus_slot_set_floating(slot, true);
        sd_bus_slot_unref(slot);
        return 0;
}

/* Sends the next queued reads, at most ANNOTATIONS_MAX_IN_FLIGHT at a time: GetAll on a service is
 * a few hundred properties for PID 1 to marshal, and a burst of them would stall every other client
 * of PID 1 (systemctl included) for seconds on a slow machine.
 * Each read asks GetUnit first, which never loads a unit: a call on the object of a unit that PID 1
 * has unloaded loads it again and announces it with UnitNew, so reading every UnitNew that way
 * would load, unload and read an ended transient unit over and over, at full speed, for good. */
static void pump(SystemdAnnotations *a) {
        while (a->bus && a->in_flight < ANNOTATIONS_MAX_IN_FLIGHT && a->n_queue > 0) {
                char *unit = a->queue[0];
                memmove(a->queue, a->queue + 1, (a->n_queue - 1) * sizeof *a->queue);
                a->n_queue--;
                int r = call_async(a, unit, on_unit_path, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "GetUnit", "s", unit);
                if (r >= 0)
                        a->in_flight++;
                else
                        log_debug_errno(r, "Cannot ask systemd about %s: %m", unit);
                free(unit);
        }
}

/* GetUnit's answer: the loaded unit's object, whose settings are read next; or no such unit loaded,
 * which means it does not run, so it has nothing for us. */
static int on_unit_path(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;
        SystemdAnnotations *a = call_owner(c);
        const char *path = NULL;
        int r = 0;
        if (!a)
                return 0;
        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit")) {
                        if (entry_find(a, c->unit)) {
                                entry_remove(a, c->unit);
                                schedule_settle(a);
                        }
                } else
                        log_debug("Cannot find %s in systemd: %s", c->unit, e->message);
        } else {
                r = sd_bus_message_read(reply, "o", &path);
                if (r >= 0)
                        r = call_async(a, c->unit, on_unit_properties, SYSTEMD_SERVICE, path, "org.freedesktop.DBus.Properties",
                                       "GetAll", "s", unit_interface(c->unit));
                if (r >= 0)
                        return 0; /* still in flight, as the read of its settings */
                log_debug_errno(r, "Cannot ask systemd about %s: %m", c->unit);
        }
        read_done(a);
        return 0;
}

/* Queues a read of one unit's settings (once, however often it is asked for meanwhile). */
static int read_unit(SystemdAnnotations *a, const char *unit) {
        if (!unit_interface(unit))
                return 0;
        for (size_t i = 0; i < a->n_queue; i++)
                if (streq(a->queue[i], unit))
                        return 0;
        char **q = realloc(a->queue, (a->n_queue + 1) * sizeof *q);
        if (!q)
                return -ENOMEM;
        a->queue = q;
        a->queue[a->n_queue] = strdup(unit);
        if (!a->queue[a->n_queue])
                return -ENOMEM;
        a->n_queue++;
        pump(a);
        return 0;
}

static void queue_clear(SystemdAnnotations *a) {
        for (size_t i = 0; i < a->n_queue; i++)
                free(a->queue[i]);
        free(a->queue);
        a->queue = NULL;
        a->n_queue = 0;
        a->in_flight = 0;
}

static int on_list_units(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;
        SystemdAnnotations *a = call_owner(c);
        if (!a)
                return 0;
        if (sd_bus_message_is_method_error(reply, NULL)) {
                if (!a->failed_logged)
                        log_notice("Cannot list systemd's units (%s): ManagedOOM*= annotations are not read; the policy "
                                   "files alone apply. Is PID 1 systemd?", sd_bus_message_get_error(reply)->message);
                a->failed_logged = true;
                return 0;
        }
        /* A fresh listing: an annotated unit it does not name as running is gone. Entries are kept, not rebuilt,
         * so that a re-read that finds nothing new changes nothing (a policy reload restarts the
         * detectors' durations). */
        a->answered = true;
        a->failed_logged = false;
        bool *listed = a->n_entries ? calloc(a->n_entries, sizeof *listed) : NULL;
        if (a->n_entries && !listed)
                return log_oom();

        const char *name, *active;
        int r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, &active, NULL, NULL,
                                                  NULL, NULL, NULL, NULL)) > 0) {
                /* An inactive or failed unit has no processes, hence nothing to act on; it is read
                 * again when it starts (PropertiesChanged, or UnitNew). */
                if (streq(active, "inactive") || streq(active, "failed"))
                        continue;
                Entry *e = entry_find(a, name);
                if (e)
                        listed[e - a->entries] = true;
                r = read_unit(a, name);
                if (r < 0)
                        log_debug_errno(r, "Cannot ask systemd about %s: %m", name);
                r = 0;
        }
        if (r < 0) {
                log_debug_errno(r, "Cannot parse systemd's unit list: %m");
                free(listed);
                return 0;
        }
        for (size_t i = a->n_entries; i > 0; i--)
                if (!listed[i - 1]) {
                        entry_clear(&a->entries[i - 1]);
                        a->entries[i - 1] = a->entries[--a->n_entries];
                }
        free(listed);
        schedule_settle(a); /* also when no unit is annotated: the document may have to go */
        return 0;
}

static void rescan(SystemdAnnotations *a) {
        int r = call_async(a, NULL, on_list_units, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "ListUnits", NULL);
        if (r < 0)
                log_debug_errno(r, "Cannot ask systemd for its units: %m");
}

/* `systemctl set-property` sends no signal: the annotated units are read again now and then, and
 * every unit less often (a unit that becomes annotated that way is also found at the next
 * daemon-reload or when it (re)starts). */
static int on_rescan_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        SystemdAnnotations *a = userdata;
        if (a->bus && ++a->rescans % (ANNOTATIONS_FULL_RESCAN_USEC / ANNOTATIONS_RESCAN_USEC) == 0)
                rescan(a);
        else
                for (size_t i = 0; a->bus && i < a->n_entries; i++)
                        (void) read_unit(a, a->entries[i].unit);
        (void) sd_event_source_set_time(s, usec + ANNOTATIONS_RESCAN_USEC);
        return 0;
}

static int on_unit_new(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SystemdAnnotations *a = userdata;
        const char *name, *path;
        if (sd_bus_message_read(m, "so", &name, &path) >= 0 && unit_interface(name))
                (void) read_unit(a, name);
        return 0;
}

static int on_unit_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SystemdAnnotations *a = userdata;
        const char *name, *path;
        if (sd_bus_message_read(m, "so", &name, &path) >= 0 && entry_find(a, name)) {
                entry_remove(a, name);
                schedule_settle(a);
        }
        return 0;
}

/* A daemon-reload can change any unit's settings: read them all again once it is done. */
static int on_reloading(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        int active;
        if (sd_bus_message_read(m, "b", &active) >= 0 && !active)
                rescan(userdata);
        return 0;
}

/* `systemctl set-property`, a start or a stop: PID 1 announces it with PropertiesChanged on the unit. */
static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SystemdAnnotations *a = userdata;
        _cleanup_free_ char *unit = NULL;
        const char *path = sd_bus_message_get_path(m);
        if (!path || sd_bus_path_decode(path, SYSTEMD_UNIT_PREFIX, &unit) <= 0 || !unit || !unit_interface(unit))
                return 0;
        (void) read_unit(a, unit);
        return 0;
}

static void set_oomd_active(SystemdAnnotations *a, bool active) {
        if (a->oomd_active == active)
                return;
        a->oomd_active = active;
        schedule_settle(a);
}

static int on_oomd_owner(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;
        SystemdAnnotations *a = call_owner(c);
        if (a)
                set_oomd_active(a, !sd_bus_message_is_method_error(reply, NULL));
        return 0;
}

static int on_oomd_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name, *old, *new;
        if (sd_bus_message_read(m, "sss", &name, &old, &new) >= 0 && streq(name, OOMD_BUS_NAME))
                set_oomd_active(userdata, new[0] != 0);
        return 0;
}

static void detach(SystemdAnnotations *a) {
        for (size_t i = 0; i < ELEMENTSOF(a->matches); i++)
                a->matches[i] = sd_bus_slot_unref(a->matches[i]);
        a->bus = sd_bus_unref(a->bus);
        a->generation++;
        queue_clear(a);
}

void systemd_annotations_attach(SystemdAnnotations *a, sd_bus *bus) {
        if (!a)
                return;
        detach(a);
        if (!bus)
                return;
        a->bus = sd_bus_ref(bus);

        static const struct {
                const char *interface, *member;
                sd_bus_message_handler_t handler;
        } signals[] = {
                { SYSTEMD_MANAGER, "UnitNew", on_unit_new },
                { SYSTEMD_MANAGER, "UnitRemoved", on_unit_removed },
                { SYSTEMD_MANAGER, "Reloading", on_reloading },
                { "org.freedesktop.DBus.Properties", "PropertiesChanged", on_properties_changed },
        };
        for (size_t i = 0; i < ELEMENTSOF(signals); i++) {
                int r = sd_bus_match_signal_async(bus, &a->matches[i], SYSTEMD_SERVICE, NULL, signals[i].interface,
                                                  signals[i].member, signals[i].handler, NULL, a);
                if (r < 0)
                        log_debug_errno(r, "Cannot watch systemd's %s signal: %m", signals[i].member);
        }
        int r = sd_bus_add_match_async(bus, &a->matches[ELEMENTSOF(signals)],
                                       "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                                       "member='NameOwnerChanged',arg0='" OOMD_BUS_NAME "'", on_oomd_owner_changed, NULL, a);
        if (r < 0)
                log_debug_errno(r, "Cannot watch for systemd-oomd on the bus: %m");
        a->oomd_active = false;
        r = call_async(a, NULL, on_oomd_owner, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner", "s", OOMD_BUS_NAME);
        if (r < 0)
                log_debug_errno(r, "Cannot ask whether systemd-oomd runs: %m");

        /* PID 1 sends unit signals only while somebody is subscribed. Another part of pressured may
         * already be ("already subscribed" is fine). */
        r = sd_bus_call_method_async(bus, NULL, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe",
                                         NULL, NULL, NULL);
        if (r < 0)
                log_debug_errno(r, "Cannot subscribe to systemd's signals: %m");
        rescan(a);
}

int systemd_annotations_new(sd_event *e, annotations_changed_t cb, void *userdata, SystemdAnnotations **ret) {
        SystemdAnnotations *a = calloc(1, sizeof *a);
        if (!a)
                return -ENOMEM;
        a->event = e;
        a->cb = cb;
        a->userdata = userdata;
        a->have_swap = true;
        a->anchor = calloc(1, sizeof *a->anchor);
        if (!a->anchor) {
                free(a);
                return -ENOMEM;
        }
        *a->anchor = (Anchor) { .a = a, .refs = 1 };
        int r = sd_event_add_time(e, &a->settle, CLOCK_MONOTONIC, 0, 0, on_settle, a);
        if (r < 0) {
                systemd_annotations_free(a);
                return r;
        }
        (void) sd_event_source_set_enabled(a->settle, SD_EVENT_OFF);
        (void) sd_event_source_set_description(a->settle, "annotations-settle");
        uint64_t now = 0;
        (void) sd_event_now(e, CLOCK_MONOTONIC, &now);
        r = sd_event_add_time(e, &a->rescan, CLOCK_MONOTONIC, now + ANNOTATIONS_RESCAN_USEC, USEC_PER_SEC,
                              on_rescan_timer, a);
        if (r < 0) {
                systemd_annotations_free(a);
                return r;
        }
        (void) sd_event_source_set_enabled(a->rescan, SD_EVENT_ON);
        (void) sd_event_source_set_description(a->rescan, "annotations-rescan");
        *ret = a;
        return 0;
}

SystemdAnnotations *systemd_annotations_free(SystemdAnnotations *a) {
        if (!a)
                return NULL;
        detach(a);
        sd_event_source_disable_unref(a->settle);
        sd_event_source_disable_unref(a->rescan);
        for (size_t i = 0; i < a->n_entries; i++)
                entry_clear(&a->entries[i]);
        free(a->entries);
        free(a->json);
        a->anchor->a = NULL; /* replies still in flight find nobody */
        anchor_unref(a->anchor);
        free(a);
        return NULL;
}

const char *systemd_annotations_policy_json(const SystemdAnnotations *a, unsigned *ret_units) {
        if (ret_units)
                *ret_units = a && a->json ? a->n_units : 0;
        return a ? a->json : NULL;
}

void systemd_annotations_set_have_swap(SystemdAnnotations *a, bool have_swap) {
        if (!a || a->have_swap == have_swap)
                return;
        a->have_swap = have_swap;
        regenerate(a);
}
