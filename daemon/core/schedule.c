/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/psi_trigger.h"
#include "core/schedule.h"

double schedule_guard_percent(bool guard_armed, usec_t guard_stall_usec) {
        return guard_armed ? 100.0 * (double) guard_stall_usec / PSI_TRIGGER_WINDOW_USEC : 0;
}

usec_t schedule_quiet_runway(const EngineGuard *g, const MemInfo *mi) {
        usec_t runway = USEC_INFINITY;

        if (g->mem_available_floor > 0) {
                if (!mi->valid || mi->mem_available <= QUIET_FLOOR_MARGIN * g->mem_available_floor)
                        return 0;
                runway = (usec_t) ((double) (mi->mem_available - QUIET_FLOOR_MARGIN * g->mem_available_floor) /
                                   MAX_ALLOC_BYTES_PER_SEC * USEC_PER_SEC);
        }
        if (g->swap_free_floor > 0) {
                if (!mi->valid || mi->swap_free <= QUIET_FLOOR_MARGIN * g->swap_free_floor)
                        return 0;
                usec_t swap = (usec_t) ((double) (mi->swap_free - QUIET_FLOOR_MARGIN * g->swap_free_floor) /
                                        MAX_SWAP_FILL_BYTES_PER_SEC * USEC_PER_SEC);
                if (swap < runway)
                        runway = swap;
        }
        return runway;
}

usec_t schedule_quiet_wake(const ScheduleInputs *in) {
        usec_t since = in->now - in->last_sample_usec;
        return since >= QUIET_REFRESH_USEC ? 1 : QUIET_REFRESH_USEC - since;
}

usec_t schedule_quiet_look_delay(const ScheduleInputs *in) {
        usec_t runway = schedule_quiet_runway(&in->guard, &in->meminfo);

        if (runway < QUIET_MIN_WAKE_USEC)
                return QUIET_MIN_WAKE_USEC;
        return runway > QUIET_REFRESH_USEC ? QUIET_REFRESH_USEC : runway;
}

const char *schedule_not_quiet_reason(const ScheduleInputs *in) {
        if (in->n_pending > 0)
                return "a kill is waiting for its target to exit";
        if (in->last_trigger_usec != 0 && in->now - in->last_trigger_usec <= TRIGGER_HOLD_USEC)
                return "a PSI trigger fired less than 10 s ago";
        if (!in->levels_calm)
                return "a cgroup's published pressure level is not ok";
        if (!in->guarded)
                return in->guard_armed ? "a detector is arming or holding, or no trigger or floor can stand in for it" :
                                         "the system PSI trigger is not armed";
        if (schedule_quiet_runway(&in->guard, &in->meminfo) == 0)
                return "MemAvailable or SwapFree is down to twice a floor a rule relies on";
        return NULL;
}

usec_t schedule_next_interval(const ScheduleInputs *in) {
        const MemInfo *mi = &in->meminfo;
        usec_t next = in->interval_usec;

        if (in->quiet)
                return schedule_quiet_wake(in);

        if (in->n_pending > 0) { /* re-check the targets every fast interval, and be there at the deadline */
                for (size_t i = 0; i < in->n_pending; i++)
                        if (in->pending[i].deadline > in->now && in->pending[i].deadline - in->now < next)
                                next = in->pending[i].deadline - in->now;
                if (next > in->fast_interval_usec)
                        next = in->fast_interval_usec;
                return next > 0 ? next : 1;
        }
        if (in->arming)
                return in->fast_interval_usec;
        bool guarded = in->triggers_armed && in->now - in->last_trigger_usec > TRIGGER_HOLD_USEC;
        bool plentiful = mi->valid && mi->mem_available > mi->mem_total / 10000 * QUIET_MEM_AVAILABLE_PERMYRIAD;
        if (guarded && plentiful) {
                next = in->interval_usec * QUIET_INTERVAL_FACTOR;
                if (next > QUIET_INTERVAL_MAX_USEC)
                        next = in->interval_usec > QUIET_INTERVAL_MAX_USEC ? in->interval_usec : QUIET_INTERVAL_MAX_USEC;
        }
        if (mi->valid) {
                usec_t runway = (usec_t) ((double) mi->mem_available / MAX_ALLOC_BYTES_PER_SEC * USEC_PER_SEC);
                if (runway < next)
                        next = runway;
        }
        return next < in->fast_interval_usec ? in->fast_interval_usec : next;
}
