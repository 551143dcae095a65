/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "core/victimless.h"

void victimless_reset(Victimless *v) {
        memset(v, 0, sizeof *v);
}

bool victimless_mem_fell(const Victimless *v, const MemInfo *mi) {
        return mi->valid && v->mem_available > mi->mem_available &&
               v->mem_available - mi->mem_available > mi->mem_total / VICTIMLESS_MEM_DROP_DIVISOR;
}

usec_t victimless_refresh(const Victimless *v, usec_t interval, const MemInfo *mi) {
        if (v->found == 0 || v->streak == 0 || victimless_mem_fell(v, mi))
                return interval;
        usec_t every = interval << v->streak;
        if (every > VICTIMLESS_REFRESH_MAX_USEC)
                every = interval > VICTIMLESS_REFRESH_MAX_USEC ? interval : VICTIMLESS_REFRESH_MAX_USEC;
        return every;
}

usec_t victimless_within_duty(usec_t every, usec_t last_read_cost) {
        usec_t duty = last_read_cost > VICTIMLESS_REFRESH_MAX_USEC / CANDIDATES_DUTY_FACTOR ? VICTIMLESS_REFRESH_MAX_USEC
                                                                                            : CANDIDATES_DUTY_FACTOR * last_read_cost;
        return every > duty ? every : duty;
}

uint64_t victimless_current(const Victimless *v, usec_t now, usec_t every) {
        uint64_t current = 0;

        for (unsigned i = 0; i < VICTIMLESS_SLOTS; i++) {
                uint64_t bit = UINT64_C(1) << i;
                if ((v->found & bit) && now - v->seen[i] < every)
                        current |= bit;
        }
        return current;
}

void victimless_note_victim(Victimless *v, uint64_t ruleset_bit) {
        v->found &= ~ruleset_bit;
        if (v->found == 0)
                victimless_reset(v);
}

void victimless_note_whole(Victimless *v, usec_t now, usec_t every, uint64_t fired, const MemInfo *mi) {
        if (fired == 0) {
                /* nothing fires now; what was found stays found for its back-off, and then is forgotten */
                if (victimless_current(v, now, every) == 0)
                        victimless_reset(v);
                return;
        }
        if ((fired & ~v->found) != 0 || victimless_mem_fell(v, mi)) { /* every interval again */
                v->streak = 0;
                v->mem_available = mi->valid ? mi->mem_available : 0;
        } else if (v->streak < VICTIMLESS_BACKOFF_STEPS)
                v->streak++;
        v->found |= fired;
        for (unsigned i = 0; i < VICTIMLESS_SLOTS; i++)
                if (fired & (UINT64_C(1) << i))
                        v->seen[i] = now;
}
