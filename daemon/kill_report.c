/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-journal.h>

#include "../policy/format.h"
#include "../policy/macro.h"
#include "kill_report.h"
#include "log.h"
#include "unit_name.h"

/* journalctl MESSAGE_ID=... finds every kill, as with systemd's catalog messages. */
#define MESSAGE_ID_KILL "f3a1c4be5d2b4c6f9e0a7d18b2c3e4f5"

static usec_t realtime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

int kill_report(const Decision *d, const KillResult *res, int kill_error, History *history, cJSON **ret_summary) {
        char mem[32], pids[KILL_MAX_PIDS_RECORDED * 12 + 1] = "", victim[256], msg[1024];
        size_t pl = 0;
        bool killed = kill_error >= 0 && res->n_killed > 0;

        format_bytes(mem, sizeof mem, (double) d->memory);
        for (unsigned i = 0; i < res->n_killed && i < KILL_MAX_PIDS_RECORDED && pl < sizeof pids - 12; i++)
                pl += snprintf(pids + pl, sizeof pids - pl, "%s%d", i ? " " : "", (int) res->pids[i]);

        if (d->kind == TARGET_PROCESS || (d->granularity_process && res->method == KILL_METHOD_PROCESS))
                snprintf(victim, sizeof victim, "process %d (%s) in %s", (int) (res->n_killed ? res->pids[0] : d->pid),
                         d->comm[0] ? d->comm : "?", d->cgroup);
        else
                snprintf(victim, sizeof victim, "cgroup %s", d->cgroup);

        if (d->dry_run)
                snprintf(msg, sizeof msg, "Dry run: would kill %s holding %s, ruleset %s: %s",
                         victim, mem, d->ruleset, d->reason);
        else if (killed)
                snprintf(msg, sizeof msg, "Killed %s holding %s (%u process%s, %s), ruleset %s: %s",
                         victim, mem, res->n_killed, res->n_killed == 1 ? "" : "es",
                         kill_method_to_string(res->method), d->ruleset, d->reason);
        else
                snprintf(msg, sizeof msg, "Failed to kill %s (ruleset %s): %s. It will be re-evaluated on the next sample.",
                         victim, d->ruleset, kill_error < 0 ? strerror(-kill_error) : "no process could be signalled");

        const char *method = d->dry_run ? "dry-run" : kill_method_to_string(res->method);
        uint64_t freed = killed ? d->memory : 0;
        if (log_to_journal())
                sd_journal_send("MESSAGE=%s", msg,
                                "MESSAGE_ID=" MESSAGE_ID_KILL,
                                "PRIORITY=%d", killed || d->dry_run ? LOG_NOTICE : LOG_WARNING,
                                "PRESSURED_CGROUP=%s", d->cgroup,
                                "PRESSURED_RULESET=%s", d->ruleset,
                                "PRESSURED_REASON=%s", d->reason,
                                "PRESSURED_PRESSURE=%.2f", d->pressure,
                                "PRESSURED_MEMORY=%" PRIu64, d->memory,
                                "PRESSURED_METHOD=%s", method,
                                "PRESSURED_PIDS=%s", pids,
                                "PRESSURED_KILLED=%u", res->n_killed,
                                "PRESSURED_FREED=%" PRIu64, freed,
                                "PRESSURED_DRY_RUN=%d", d->dry_run,
                                NULL);
        else
                log_full_errno(killed || d->dry_run ? LOG_NOTICE : LOG_WARNING, 0,
                               "%s | MESSAGE_ID=%s CGROUP=%s RULESET=%s PRESSURE=%.2f MEMORY=%" PRIu64
                               " METHOD=%s PIDS=\"%s\" KILLED=%u FREED=%" PRIu64 " DRY_RUN=%d",
                               msg, MESSAGE_ID_KILL, d->cgroup, d->ruleset, d->pressure, d->memory,
                               method, pids, res->n_killed, freed, d->dry_run);

        if (!killed && !d->dry_run)
                return 0;

        KillRecord rec = {
                .realtime_usec = realtime_usec(),
                .cgroup = d->cgroup,
                .unit = unit_name_of_cgroup(d->cgroup)[0] ? unit_name_of_cgroup(d->cgroup) : NULL,
                .ruleset = d->ruleset,
                .reason = d->reason,
                .method = method,
                .comm = d->kind == TARGET_PROCESS || d->granularity_process ? d->comm : NULL,
                .n_killed = res->n_killed,
                .memory_bytes = d->memory,
                .freed_bytes = freed,
                .pressure = d->pressure,
                .dry_run = d->dry_run,
        };
        rec.n_pids = res->n_killed < ELEMENTSOF(rec.pids) ? res->n_killed : ELEMENTSOF(rec.pids);
        memcpy(rec.pids, res->pids, rec.n_pids * sizeof(pid_t));
        (void) history_append(history, &rec); /* logs its own failure; the journal entry above still stands */

        cJSON *summary = cJSON_CreateObject();
        if (summary) {
                cJSON_AddNumberToObject(summary, "time", (double) rec.realtime_usec);
                cJSON_AddStringToObject(summary, "victim", victim);
                cJSON_AddStringToObject(summary, "ruleset", d->ruleset);
                cJSON_AddStringToObject(summary, "reason", d->reason);
                cJSON_AddStringToObject(summary, "method", method);
                cJSON_AddBoolToObject(summary, "dry_run", d->dry_run);
                /* The rest makes the summary a whole Killed event for the control socket and D-Bus. */
                cJSON_AddStringToObject(summary, "cgroup", d->cgroup);
                cJSON_AddStringToObject(summary, "unit", unit_name_of_cgroup(d->cgroup));
                cJSON *a = cJSON_AddArrayToObject(summary, "pids");
                for (unsigned i = 0; a && i < rec.n_pids; i++)
                        cJSON_AddItemToArray(a, cJSON_CreateNumber(rec.pids[i]));
                cJSON_AddNumberToObject(summary, "killed", res->n_killed);
                cJSON_AddNumberToObject(summary, "memory_bytes", (double) d->memory);
                cJSON_AddNumberToObject(summary, "freed_bytes", (double) freed);
                cJSON_AddNumberToObject(summary, "pressure", d->pressure);
        }
        *ret_summary = summary;
        return 1;
}
