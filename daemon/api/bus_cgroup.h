/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The per-cgroup objects of the D-Bus service (dbus/org.pressured.oom1.CGroup.xml): one object per
 * cgroup the LevelTracker publishes, at PROTOCOL_BUS_CGROUP_PREFIX/<sd_bus_path_encode(path)>, served by one
 * fallback vtable and listed by a node enumerator, so nothing is registered per cgroup.
 */

#include <systemd/sd-bus.h>

#include "core/manager.h"

typedef struct BusCGroups {
        Manager *manager;
        /* The cgroup being announced as removed: the tracker has already forgotten it, but
         * InterfacesRemoved must still find its object to name its interfaces. */
        const char *removing;
} BusCGroups;

/* Registers the vtable and the enumerator on bus (floating slots: they go with the connection). */
int bus_cgroup_register(sd_bus *bus, BusCGroups *c);

/* The object path of cgroup `path` (malloc'd in *ret). 0 or -ENOMEM. */
int bus_cgroup_object_path(const char *path, char **ret);

/* Object added / removed / PropertiesChanged(names...) for one cgroup; errors logged at debug. */
void bus_cgroup_emit_added(sd_bus *bus, BusCGroups *c, const char *path);
void bus_cgroup_emit_removed(sd_bus *bus, BusCGroups *c, const char *path);
void bus_cgroup_emit_changed(sd_bus *bus, const char *path, const char *property);
