/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "policy/candidate.h"
#include "policy/macro.h"
#include "policy/utf8.h"
#include "api/bus_cgroup.h"
#include "policy/protocol.h"
#include "util/log.h"
#include "core/level_tracker.h"
#include "core/query.h"
#include "util/unit_name.h"

int bus_cgroup_object_path(const char *path, char **ret) {
        int r = sd_bus_path_encode(PROTOCOL_BUS_CGROUP_PREFIX, path, ret);
        return r < 0 ? r : 0;
}

/* The cgroup path an object path stands for (malloc'd), or NULL when it is not one of ours. */
static char *cgroup_of_object(const char *object) {
        char *path = NULL;
        if (sd_bus_path_decode(object, PROTOCOL_BUS_CGROUP_PREFIX, &path) <= 0)
                return NULL;
        return path;
}

/* Objects exist for the tracker's entries, and for the one being announced as removed. */
static int cgroup_find(sd_bus *bus, const char *object, const char *interface, void *userdata,
                       void **ret_found, sd_bus_error *error) {
        BusCGroups *c = userdata;
        _cleanup_free_ char *path = cgroup_of_object(object);

        if (!path || !query_levels(c->manager))
                return 0;
        if (!level_tracker_find(query_levels(c->manager), path) && !(c->removing && streq(c->removing, path)))
                return 0;
        *ret_found = c;
        return 1;
}

static int cgroup_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes, sd_bus_error *error) {
        BusCGroups *c = userdata;
        size_t n = 0;
        const LevelEntry *e = query_levels(c->manager) ? level_tracker_entries(query_levels(c->manager), &n) : NULL;
        char **nodes = calloc(n + 1, sizeof(char *));

        if (!nodes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (bus_cgroup_object_path(e[i].path, &nodes[i]) < 0) {
                        for (size_t k = 0; k < i; k++)
                                free(nodes[k]);
                        free(nodes);
                        return -ENOMEM;
                }
        *ret_nodes = nodes;
        return 0;
}

/* The entry behind a property read; the object vanishes between samples only. */
static const LevelEntry *entry_of(BusCGroups *c, const char *object, sd_bus_error *error) {
        _cleanup_free_ char *path = cgroup_of_object(object);
        const LevelEntry *e = path ? level_tracker_find(query_levels(c->manager), path) : NULL;
        if (!e)
                sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "%s is no longer a monitored cgroup", object);
        return e;
}

static int property_get(sd_bus *bus, const char *object, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusCGroups *c = userdata;
        const LevelEntry *e = entry_of(c, object, error);
        if (!e)
                return -ENOENT;
        const CGroupSample *s = e->sample;

#define FIELD(bit, value) ((s->fields & (bit)) ? (value) : UINT64_MAX)
#define PSI(line) ((s->fields & CG_MEMORY_PSI) && s->mem_psi.line.valid ? s->mem_psi.line.avg10 : -1.0)
        _cleanup_free_ char *buf = NULL;
        if (streq(property, "Path"))
                return sd_bus_message_append(reply, "s", utf8_valid_or_copy(e->path, &buf));
        if (streq(property, "Unit"))
                return sd_bus_message_append(reply, "s", utf8_valid_or_copy(unit_name_of_cgroup(e->path), &buf));
        if (streq(property, "MemoryCurrent"))
                return sd_bus_message_append(reply, "t", FIELD(CG_MEMORY_CURRENT, s->memory_current));
        if (streq(property, "MemoryLow"))
                return sd_bus_message_append(reply, "t", FIELD(CG_MEMORY_PROTECT, s->memory_low));
        if (streq(property, "MemoryMin"))
                return sd_bus_message_append(reply, "t", FIELD(CG_MEMORY_PROTECT, s->memory_min));
        if (streq(property, "SwapCurrent"))
                return sd_bus_message_append(reply, "t", FIELD(CG_SWAP_CURRENT, s->swap_current));
        if (streq(property, "MemoryPressureSome"))
                return sd_bus_message_append(reply, "d", PSI(some));
        if (streq(property, "MemoryPressureFull"))
                return sd_bus_message_append(reply, "d", PSI(full));
        if (streq(property, "Level"))
                return sd_bus_message_append(reply, "s", pressure_level_to_string(e->level));
        if (streq(property, "Preference"))
                /* The engine's view: the policy's globs and the cgroup's xattrs merged. */
                return sd_bus_message_append(reply, "s", preference_to_string(cgroup_tier(query_policy(c->manager), s)));
        if (streq(property, "KillCount"))
                return sd_bus_message_append(reply, "t", e->kill_count);
#undef FIELD
#undef PSI
        return -EINVAL;
}

static const sd_bus_vtable cgroup_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Path", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Unit", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MemoryCurrent", "t", property_get, 0, 0),
        SD_BUS_PROPERTY("MemoryLow", "t", property_get, 0, 0),
        SD_BUS_PROPERTY("MemoryMin", "t", property_get, 0, 0),
        SD_BUS_PROPERTY("SwapCurrent", "t", property_get, 0, 0),
        SD_BUS_PROPERTY("MemoryPressureSome", "d", property_get, 0, 0),
        SD_BUS_PROPERTY("MemoryPressureFull", "d", property_get, 0, 0),
        SD_BUS_PROPERTY("Level", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Preference", "s", property_get, 0, 0),
        SD_BUS_PROPERTY("KillCount", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

int bus_cgroup_register(sd_bus *bus, BusCGroups *c) {
        int r = sd_bus_add_fallback_vtable(bus, NULL, PROTOCOL_BUS_CGROUP_PREFIX, PROTOCOL_BUS_CGROUP_INTERFACE, cgroup_vtable,
                                           cgroup_find, c);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(bus, NULL, PROTOCOL_BUS_CGROUP_PREFIX, cgroup_enumerate, c);
        return r;
}

void bus_cgroup_emit_added(sd_bus *bus, BusCGroups *c, const char *path) {
        _cleanup_free_ char *object = NULL;
        int r = bus_cgroup_object_path(path, &object);
        if (r >= 0)
                r = sd_bus_emit_object_added(bus, object);
        if (r < 0)
                log_debug_errno(r, "Failed to announce the D-Bus object of cgroup %s: %m", path);
}

void bus_cgroup_emit_removed(sd_bus *bus, BusCGroups *c, const char *path) {
        _cleanup_free_ char *object = NULL;
        int r = bus_cgroup_object_path(path, &object);
        c->removing = path;
        if (r >= 0)
                r = sd_bus_emit_object_removed(bus, object);
        c->removing = NULL;
        if (r < 0)
                log_debug_errno(r, "Failed to announce the removal of the D-Bus object of cgroup %s: %m", path);
}

void bus_cgroup_emit_changed(sd_bus *bus, const char *path, const char *property) {
        _cleanup_free_ char *object = NULL;
        int r = bus_cgroup_object_path(path, &object);
        if (r >= 0)
                r = sd_bus_emit_properties_changed(bus, object, PROTOCOL_BUS_CGROUP_INTERFACE, property, NULL);
        if (r < 0)
                log_debug_errno(r, "Failed to send PropertiesChanged(%s) for cgroup %s: %m", property, path);
}
