/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-journal.h>

#include "policy/format.h"
#include "policy/macro.h"
#include "util/clock.h"
#include "record/kill_report.h"
#include "util/log.h"
#include "util/unit_name.h"

/* journalctl MESSAGE_ID=... finds every kill, as with systemd's catalog messages. */
#define MESSAGE_ID_KILL "f3a1c4be5d2b4c6f9e0a7d18b2c3e4f5"

static void append(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *fmt, ...) {
        size_t l = strnlen(buf, size);
        va_list ap;
        if (l + 1 >= size)
                return;
        va_start(ap, fmt);
        vsnprintf(buf + l, size - l, fmt, ap);
        va_end(ap);
}

/* The sentence for a victim that systemd stopped or restarted (step 2), into msg. */
static void describe_unit_stop(char *msg, size_t size, const Decision *d, const KillResult *res, const char *mem) {
        bool restart = strncmp(res->ladder, "restart", 7) == 0;
        const char *call = restart ? "RestartUnit" : "StopUnit";
        char timeout[32];

        format_duration(timeout, sizeof timeout, d->stop_timeout_usec ? d->stop_timeout_usec : STOP_TIMEOUT_DEFAULT_USEC);
        msg[0] = 0;
        append(msg, size, "%s unit %s (cgroup %s) holding %s, ruleset %s: %s. ", restart ? "Restarted" : "Stopped",
               res->unit, d->cgroup, mem, d->ruleset, d->reason);
        if (strstr(res->ladder, "+kill"))
                append(msg, size, "It was still running %s after %s, so pressured SIGKILLed %s. ", timeout, call,
                       restart ? "the old instance" : "it (KillUnit + cgroup.kill)");
        if (res->still_running)
                append(msg, size, "Some of its processes are still there (stuck in the kernel?)");
        else
                append(msg, size, "Its %sprocesses were gone %.3f s after %s", restart ? "old " : "",
                       (double) res->stop_to_gone_usec / USEC_PER_SEC, call);
        if (res->job_result[0])
                append(msg, size, " (systemd's %s job: %s)", restart ? "restart" : "stop", res->job_result);
}

void kill_report_build(const Decision *d, const KillResult *res, int kill_error, KillReportEntry *ret) {
        char mem[32];
        size_t pl = 0;
        char *pids = ret->pids, *victim = ret->victim, *msg = ret->message;
        bool stopped = kill_error >= 0 && res->ladder;
        bool killed = kill_error >= 0 && (res->n_killed > 0 || stopped);
        const char *unit = res->unit[0] ? res->unit : unit_name_of_cgroup(d->cgroup);

        pids[0] = 0;

        /* A dry run names the processes it would have killed, as a kill names those it killed. */
        unsigned n_pids = d->dry_run ? res->n_would_kill : res->n_killed;

        format_bytes(mem, sizeof mem, (double) d->memory);
        for (unsigned i = 0; i < n_pids && i < KILL_MAX_PIDS_RECORDED && pl < sizeof ret->pids - 12; i++)
                pl += snprintf(pids + pl, sizeof ret->pids - pl, "%s%d", i ? " " : "", (int) res->pids[i]);

        if (d->kind == TARGET_PROCESS ||
            (d->granularity_process && (res->method == KILL_METHOD_PROCESS || (d->dry_run && d->pid > 0))))
                snprintf(victim, sizeof ret->victim, "process %d (%s) in %s", (int) (res->n_killed ? res->pids[0] : d->pid),
                         d->comm[0] ? d->comm : "?", d->cgroup);
        else if (stopped)
                snprintf(victim, sizeof ret->victim, "unit %s (cgroup %s)", res->unit, d->cgroup);
        else
                snprintf(victim, sizeof ret->victim, "cgroup %s", d->cgroup);

        if (d->dry_run && d->kind == TARGET_CGROUP && !d->granularity_process)
                snprintf(msg, sizeof ret->message, "Dry run: would kill %s holding %s (%u process%s), ruleset %s: %s%s%s",
                         victim, mem, n_pids, n_pids == 1 ? "" : "es", d->ruleset, d->reason,
                         d->method != UNIT_METHOD_KILL && unit[0] ? "; method " : "",
                         d->method != UNIT_METHOD_KILL && unit[0] ? unit_method_to_string(d->method) : "");
        else if (d->dry_run)
                snprintf(msg, sizeof ret->message, "Dry run: would kill %s holding %s, ruleset %s: %s%s%s",
                         victim, mem, d->ruleset, d->reason, d->method != UNIT_METHOD_KILL && unit[0] ? "; method " : "",
                         d->method != UNIT_METHOD_KILL && unit[0] ? unit_method_to_string(d->method) : "");
        else if (stopped)
                describe_unit_stop(msg, sizeof ret->message, d, res, mem);
        else if (killed)
                snprintf(msg, sizeof ret->message, "Killed %s holding %s (%u process%s, %s), ruleset %s: %s",
                         victim, mem, res->n_killed, res->n_killed == 1 ? "" : "es",
                         kill_method_to_string(res->method), d->ruleset, d->reason);
        else
                snprintf(msg, sizeof ret->message, "Failed to kill %s (ruleset %s): %s. It will be re-evaluated on the next sample.",
                         victim, d->ruleset, kill_error < 0 ? strerror(-kill_error) : "no process could be signalled");

        ret->n_pids = n_pids;
        ret->unit = unit;
        ret->method = d->dry_run ? "dry-run" : res->ladder ? res->ladder : kill_method_to_string(res->method);
        ret->freed = killed ? d->memory : 0;
        ret->priority = res->still_running || (!killed && !d->dry_run) ? LOG_WARNING : LOG_NOTICE;
        ret->killed = killed;
        ret->stopped = stopped;
        ret->time = 0;
}

int kill_report(const Decision *d, const KillResult *res, int kill_error, History *history,
                KillReportEntry *ret_entry, cJSON **ret_summary) {
        KillReportEntry e;

        kill_report_build(d, res, kill_error, &e);
        e.time = now_usec(CLOCK_REALTIME);
        if (ret_entry)
                *ret_entry = e;

        const char *msg = e.message, *victim = e.victim, *pids = e.pids, *unit = e.unit, *method = e.method;
        unsigned n_pids = e.n_pids;
        uint64_t freed = e.freed;
        int priority = e.priority;
        bool killed = e.killed, stopped = e.stopped;
        int sent = -ENOTCONN;
        if (log_to_journal())
                /* OBJECT_SYSTEMD_UNIT: 'journalctl -u UNIT' shows this entry beside the unit's own. */
                sent = sd_journal_send("MESSAGE=%s", msg,
                                "MESSAGE_ID=" MESSAGE_ID_KILL,
                                "PRIORITY=%d", priority,
                                "PRESSURED_CGROUP=%s", d->cgroup,
                                "PRESSURED_UNIT=%s", unit,
                                "OBJECT_SYSTEMD_UNIT=%s", unit,
                                "PRESSURED_RULESET=%s", d->ruleset,
                                "PRESSURED_REASON=%s", d->reason,
                                "PRESSURED_PRESSURE=%.2f", d->pressure,
                                "PRESSURED_MEMORY=%" PRIu64, d->memory,
                                "PRESSURED_METHOD=%s", method,
                                "PRESSURED_JOB_RESULT=%s", res->job_result,
                                "PRESSURED_STOP_USEC=%" PRIu64, (uint64_t) res->stop_to_gone_usec,
                                "PRESSURED_PIDS=%s", pids,
                                "PRESSURED_KILLED=%u", res->n_killed,
                                "PRESSURED_FREED=%" PRIu64, freed,
                                "PRESSURED_DRY_RUN=%d", d->dry_run,
                                "PRESSURED_INCIDENT_KILL=%u", d->incident_kill,
                                "PRESSURED_SCOPE=%s", kill_scope_to_string(decision_scope(d)),
                                "PRESSURED_ESCALATED=%d", d->escalated,
                                NULL);
        if (sent < 0) /* no journal, or it refused the entry (a journald restarting): the same fields as text */
                log_full_errno(priority, 0,
                               "%s | MESSAGE_ID=%s CGROUP=%s UNIT=%s RULESET=%s PRESSURE=%.2f MEMORY=%" PRIu64
                               " METHOD=%s JOB_RESULT=%s STOP_USEC=%" PRIu64 " PIDS=\"%s\" KILLED=%u FREED=%" PRIu64 " DRY_RUN=%d",
                               msg, MESSAGE_ID_KILL, d->cgroup, unit, d->ruleset, d->pressure, d->memory,
                               method, res->job_result, (uint64_t) res->stop_to_gone_usec, pids, res->n_killed, freed, d->dry_run);

        if (!killed && !d->dry_run)
                return 0;

        KillRecord rec = {
                .realtime_usec = e.time,
                .cgroup = d->cgroup,
                .unit = unit[0] ? unit : NULL,
                .ruleset = d->ruleset,
                .reason = d->reason,
                .method = method,
                .comm = d->kind == TARGET_PROCESS || d->granularity_process ? d->comm : NULL,
                .n_killed = res->n_killed,
                .memory_bytes = d->memory,
                .freed_bytes = freed,
                .pressure = d->pressure,
                .dry_run = d->dry_run,
                .incident_kill = d->incident_kill,
                .scope = kill_scope_to_string(decision_scope(d)),
                .escalated = d->escalated,
        };
        rec.n_pids = n_pids < ELEMENTSOF(rec.pids) ? n_pids : ELEMENTSOF(rec.pids);
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
                cJSON_AddStringToObject(summary, "unit", unit);
                cJSON *a = cJSON_AddArrayToObject(summary, "pids");
                for (unsigned i = 0; a && i < rec.n_pids; i++)
                        cJSON_AddItemToArray(a, cJSON_CreateNumber(rec.pids[i]));
                cJSON_AddNumberToObject(summary, "killed", res->n_killed);
                cJSON_AddNumberToObject(summary, "memory_bytes", (double) d->memory);
                cJSON_AddNumberToObject(summary, "freed_bytes", (double) freed);
                cJSON_AddNumberToObject(summary, "pressure", d->pressure);
                cJSON_AddNumberToObject(summary, "incident_kill", d->incident_kill);
                cJSON_AddStringToObject(summary, "scope", rec.scope);
                cJSON_AddBoolToObject(summary, "escalated", d->escalated);
                if (stopped)
                        cJSON_AddNumberToObject(summary, "stop_to_gone_usec", (double) res->stop_to_gone_usec);
        }
        *ret_summary = summary;
        return 1;
}
