/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Filling a decision once a ruleset fired: its actions in order, each ranking its candidates (or
 * taking the kill list's first match), and the reason text that tells what fired and why this
 * victim. Internal to policy/: engine_evaluate() calls it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "candidate.h"
#include "decide.h"
#include "detector.h"
#include "format.h"
#include "kill_list.h"
#include "macro.h"
#include "ranker.h"

static int victim_cgroup(Decision *d, const Snapshot *s, const CGroupSample *cg, const Action *a) {
        d->kind = TARGET_CGROUP;
        d->cgroup = strdup(cg->path);
        if (!d->cgroup)
                return -ENOMEM;
        d->inode = cg->inode;
        d->memory = cgroup_memory(s, cg, false);
        d->pressure = cgroup_memory_full_avg10(s, cg);
        d->granularity_process = a->granularity == GRANULARITY_PROCESS;
        return 0;
}

static int victim_process(Decision *d, const Snapshot *s, const ProcSample *proc) {
        d->kind = TARGET_PROCESS;
        d->cgroup = strdup(proc->cgroup ?: "/");
        if (!d->cgroup)
                return -ENOMEM;
        d->pid = proc->pid;
        d->start_time = proc->start_time;
        memcpy(d->comm, proc->comm, sizeof(d->comm));
        d->comm[sizeof(d->comm) - 1] = '\0';
        d->memory = proc->rss;
        d->pressure = cgroup_memory_full_avg10(s, NULL);
        return 0;
}

/* "largest of 7 candidates by size_or_growth, phase 1, 2 levels down" */
static void describe_ranking(char *buf, size_t size, const Action *a, const RankOutcome *o, bool processes) {
        const char *lead = "largest", *key = ranker_to_string(a->ranker);
        char phase[16] = "", depth[40] = "";

        if (processes) {
                key = a->ranker == RANKER_SWAP ? "swap" : "RSS";
                if (o->n_candidates == 1)
                        snprintf(buf, size, "the only candidate process");
                else
                        snprintf(buf, size, "largest of %zu processes by %s", o->n_candidates, key);
                return;
        }
        switch (a->ranker) {
        case RANKER_SIZE_OR_GROWTH:
                lead = o->phase == 2 ? "fastest growing" : "largest";
                snprintf(phase, sizeof(phase), ", phase %d", o->phase);
                break;
        case RANKER_SWAP:
                lead = "most swapped";
                break;
        case RANKER_PRESSURE:
                lead = "most pressured";
                break;
        case RANKER_PGSCAN:
                lead = "fastest reclaiming";
                break;
        case _RANKER_TYPE_MAX:
                break;
        }
        if (o->depth > 0)
                snprintf(depth, sizeof(depth), ", %u level%s down", o->depth, o->depth == 1 ? "" : "s");
        if (o->n_candidates == 1)
                snprintf(buf, size, "the only candidate%s", depth);
        else
                snprintf(buf, size, "%s of %zu candidates by %s%s%s", lead, o->n_candidates, key, phase, depth);
}

/* Joins the firing group's detector descriptions with "; ". */
void describe_group(const DetectorGroup *g, const DetectorState *states, char *buf, size_t size) {
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < g->n && len + 1 < size; i++) {
                int w;

                if (i > 0)
                        len += (size_t) snprintf(buf + len, size - len, "; ");
                if (len + 1 >= size)
                        break;
                w = detector_describe(&g->detectors[i], &states[i], buf + len, size - len);
                if (w < 0)
                        break;
                len += (size_t) w;
        }
}

/* Tries one action: the kill list first (if the action uses it), then the ranker. Returns 1 with
 * *ret filled when it yields a victim, 0 when it does not, -ENOMEM. */
int action_decide(const Policy *p, const Snapshot *s, size_t ri, size_t ai, const char *why, Decision *ret) {
        const Ruleset *rs = &p->rulesets[ri];
        const Action *a = &rs->actions[ai];
        /* In cgroup mode a process-granularity victim is a cgroup here: the daemon reads that one
         * cgroup's processes at kill time rather than every process on every sample. */
        bool want_process = s->degraded;
        Decision d = {
                .ruleset = rs->name,
                .ruleset_index = ri,
                .action_index = ai,
                .dry_run = p->dry_run || rs->dry_run || a->dry_run,
                .kill_list_index = -1,
                .prekill_timeout_usec = a->prekill_timeout_usec,
                .prekill_hook = a->prekill_hook,
                .method = rs->method,
                .stop_timeout_usec = rs->stop_timeout_usec,
        };
        char how[128];
        KillListPick kp;
        RankOutcome o;
        int r, room;

        if (a->use_kill_list && kill_list_pick(p, s, want_process, &kp)) {
                d.kill_list_index = kp.entry;
                snprintf(how, sizeof(how), "kill list entry %d (%s)", kp.entry, p->kill_list[kp.entry].pattern.glob);
                r = kp.proc ? victim_process(&d, s, kp.proc) : victim_cgroup(&d, s, kp.cgroup, a);
        } else if (s->degraded) {
                r = ranker_pick_process(p, a, s, &o);
                if (r < 0 || o.index < 0)
                        return r;
                describe_ranking(how, sizeof(how), a, &o, true);
                r = victim_process(&d, s, &s->procs[o.index]);
        } else {
                r = ranker_pick_cgroup(p, a, s, &o);
                if (r < 0 || o.index < 0)
                        return r;
                describe_ranking(how, sizeof(how), a, &o, false);
                r = victim_cgroup(&d, s, &s->cgroups[o.index], a);
        }
        if (r < 0)
                return r;

        /* Keep the victim part whole; a long detector part is what gets cut. The rest of the reason
         * is kept for the escalation (decision_escalate). */
        room = REASON_DECISION_MAX - (int) strlen(how) - (int) strlen(" -> ") - 1;
        snprintf(d.reason, REASON_DECISION_MAX, "%.*s -> %s", room > 0 ? room : 0, why, how);
        *ret = d;
        return 1;
}

