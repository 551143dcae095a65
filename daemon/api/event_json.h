/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The JSON form of the manager's events (README "Events"), as the control socket sends them to its
 * subscribers: one object per event, its name in "event".
 */

#include <cjson/cJSON.h>

#include "core/events.h"

/* A new object (caller frees), or NULL when out of memory or for the events that have no JSON
 * form (EVENT_CGROUP_ADDED, EVENT_CGROUP_REMOVED: the D-Bus objects' alone). */
cJSON *event_to_json(const Event *e);

/* "KillPending", "Killed", ...: the event's name, as on the wire and as its D-Bus signal. */
const char *event_kind_to_string(EventKind k);
