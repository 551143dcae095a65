/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The running daemon: one Manager passed to every handler (no global state). It owns the event
 * loop, the policy and engine, the cgroup tree, the PSI triggers, the history, and turns each
 * sample into at most one kill. Its life (new, start, run, free), the subscription to its events,
 * and the commands a front end may give (the policy host's, core/policy_host.h, and manager_kill,
 * core/ladder.h); what a front end may read is in core/query.h.
 */

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include <systemd/sd-event.h>

#include "systemd/bus_connection.h"
#include "core/events.h"
#include "core/ladder.h"
#include "core/manager_config.h"
#include "core/policy_host.h"

/* Sets everything up: policy, mode detection, event sources, the system bus connection (unless
 * no_bus; not connected before the D-Bus service starts it). Logs its own errors. */
int manager_new(const ManagerConfig *c, Manager **ret);
Manager *manager_free(Manager *m);

/* After the front ends are set up: the process's protections (memory lock, oom_score_adj, fd
 * limit), the event loop's watchdog, and the "started" notice. */
void manager_start(Manager *m);

/* Runs the event loop until SIGTERM/SIGINT. Returns 0 on a clean exit. */
int manager_run(Manager *m);

/* The event loop the front ends serve on. */
sd_event *manager_get_event(Manager *m);

/* The system bus connection the D-Bus service registers on, NULL with no_bus. */
BusConnection *manager_get_bus_connection(Manager *m);

/* Calls fn(event, userdata) for every event from now on. -ENOSPC past MANAGER_MAX_SUBSCRIBERS. */
int manager_subscribe(Manager *m, EventHandler fn, void *userdata);

/* While quiet, takes a sample now so that a client (status, dump, kill list) sees current figures,
 * unless the last one is younger than a second. */
void manager_refresh(Manager *m);

static inline void manager_freep(Manager **m) {
        manager_free(*m);
}
