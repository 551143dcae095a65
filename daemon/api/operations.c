/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "policy/candidate.h"
#include "policy/format.h"
#include "policy/json_text.h"
#include "policy/macro.h"
#include "policy/policy_file.h"
#include "util/clock.h"
#include "read/fileio.h"
#include "util/log.h"
#include "api/operations.h"
#include "core/level_tracker.h"
#include "core/query.h"
#include "read/cgroup_tree.h"
#include "util/unit_name.h"

/* A unit name is looked for this deep in the cgroup tree; real hierarchies are far shallower. */
#define UNIT_SEARCH_DEPTH_MAX 32

DEFINE_POINTER_CLEANUP(cJSON, cJSON_Delete);

/* Fills *err and returns NULL, so an operation can `return ops_fail(err, ...)`. */
__attribute__((format(printf, 3, 4)))
static cJSON *ops_fail(OpsError *err, OpsErrorCode code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        ops_error_setv(err, code, fmt, ap);
        va_end(ap);
        return NULL;
}

static cJSON *ops_oom(OpsError *err) {
        return ops_fail(err, OPS_ERROR_FAILED, "pressured ran out of memory answering this request; try again");
}

static bool caller_in_group(const Caller *c, gid_t gid) {
        if (c->gid == gid)
                return true;
        for (size_t i = 0; i < c->n_groups && i < CALLER_GROUPS_MAX; i++)
                if (c->groups[i] == gid)
                        return true;
        return false;
}

bool ops_authorize(Manager *m, const Caller *c, Op op, OpsError *err) {
        gid_t admin_gid;
        if (op_is_read_only(op) || c->uid == 0 || (query_admin_gid(m, &admin_gid) && caller_in_group(c, admin_gid)))
                return true;
        if (query_policy(m)->admin_group)
                ops_fail(err, OPS_ERROR_PERMISSION_DENIED,
                         "%s needs root or membership of group %s, and the caller is uid %u: run oomctl as root "
                         "(sudo oomctl ...) or as a member of %s",
                         op_to_string(op) ? op_to_string(op) : "this operation", query_policy(m)->admin_group,
                         (unsigned) c->uid, query_policy(m)->admin_group);
        else
                ops_fail(err, OPS_ERROR_PERMISSION_DENIED,
                         "%s needs root, and the caller is uid %u: run oomctl as root (sudo oomctl ...), or name "
                         "a group in the policy's \"admin_group\"",
                         op_to_string(op) ? op_to_string(op) : "this operation", (unsigned) c->uid);
        return false;
}

/* The level as dbus/org.pressured.oom1.Manager.xml defines it. The root cgroup stands for the whole
 * system there, measured as low-memory-monitor measures it, so it shows the system's level. */
static const char *cgroup_level(Manager *m, const CGroupSample *cg) {
        if (streq(cg->path, "/"))
                return pressure_level_to_string(level_tracker_system_level(query_levels(m)));
        return pressure_level_to_string(pressure_level_of_cgroup(&cg->mem_psi));
}

/* A figure the sample read, or null: the daemon reads only what the policy needs. */
static void add_field(cJSON *o, const char *name, const CGroupSample *cg, unsigned field, uint64_t v) {
        if (cg->fields & field)
                cJSON_AddNumberToObject(o, name, (double) v);
        else
                cJSON_AddNullToObject(o, name);
}

cJSON *ops_status_summary(Manager *m, OpsError *err) {
        cJSON *o = query_status_summary(m);
        return o ? o : ops_oom(err);
}

cJSON *ops_status(Manager *m, const Caller *c, OpsError *err) {
        manager_refresh(m); /* figures current even while quiet */
        _cleanup_(cJSON_Deletep) cJSON *o = ops_status_summary(m, err);
        if (!o)
                return NULL;

        cJSON *a = cJSON_AddArrayToObject(o, "cgroups");
        const MemInfo *mi = &query_last_system(m)->meminfo;
        size_t n_cgroups;
        const CGroupSample *cgroups = query_last_cgroups(m, &n_cgroups);
        for (size_t i = 0; a && i < n_cgroups; i++) {
                const CGroupSample *cg = &cgroups[i];
                cJSON *x = json_array_add_object(a);
                if (!x)
                        return ops_oom(err);
                cJSON_AddStringToObject(x, "path", cg->path);
                /* The root cgroup has no memory.current, memory.swap.current or (on older kernels)
                 * memory.pressure of its own: its row shows the system's, from /proc. */
                bool root = streq(cg->path, "/");
                if (root && !(cg->fields & CG_MEMORY_CURRENT) && mi->valid)
                        cJSON_AddNumberToObject(x, "memory_current",
                                                (double) (mi->mem_total > mi->mem_available ? mi->mem_total - mi->mem_available : 0));
                else
                        add_field(x, "memory_current", cg, CG_MEMORY_CURRENT, cg->memory_current);
                add_field(x, "memory_low", cg, CG_MEMORY_PROTECT, cg->memory_low);
                add_field(x, "memory_min", cg, CG_MEMORY_PROTECT, cg->memory_min);
                if (root && !(cg->fields & CG_SWAP_CURRENT) && mi->valid)
                        cJSON_AddNumberToObject(x, "swap_current",
                                                (double) (mi->swap_total > mi->swap_free ? mi->swap_total - mi->swap_free : 0));
                else
                        add_field(x, "swap_current", cg, CG_SWAP_CURRENT, cg->swap_current);
                if (root && !(cg->fields & CG_MEMORY_PSI)) {
                        query_json_add_psi(x, "memory_pressure", &query_last_system(m)->mem_psi);
                        cJSON_AddStringToObject(x, "level", cgroup_level(m, cg));
                } else if (cg->fields & CG_MEMORY_PSI) {
                        query_json_add_psi(x, "memory_pressure", &cg->mem_psi);
                        cJSON_AddStringToObject(x, "level", cgroup_level(m, cg));
                } else {
                        cJSON_AddNullToObject(x, "memory_pressure");
                        cJSON_AddNullToObject(x, "level");
                }
                cJSON_AddStringToObject(x, "preference", preference_to_string(cgroup_tier(query_policy(m), cg)));
                if (cg->fields & CG_EVENTS)
                        cJSON_AddBoolToObject(x, "populated", cg->populated);
                else
                        cJSON_AddNullToObject(x, "populated");
        }
        if (!a)
                return ops_oom(err);
        return TAKE_PTR(o);
}

/* The running policy as policy_to_json writes it: every default spelled out. */
static cJSON *policy_document(Manager *m) {
        _cleanup_free_ char *text = policy_to_json(query_policy(m));
        return text ? cJSON_Parse(text) : NULL;
}

cJSON *ops_kill_list(Manager *m, const Caller *c, OpsError *err) {
        manager_refresh(m); /* figures current even while quiet */
        _cleanup_(cJSON_Deletep) cJSON *doc = policy_document(m);
        _cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
        cJSON *entries = o ? cJSON_AddArrayToObject(o, "entries") : NULL;
        if (!doc || !entries)
                return ops_oom(err);

        const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "kill_list");
        int i = 0;
        for (const cJSON *e = list ? list->child : NULL; e; e = e->next, i++) {
                cJSON *x = json_array_add_object(entries);
                if (!x)
                        return ops_oom(err);
                cJSON_AddNumberToObject(x, "index", i);
                const cJSON *pat = cJSON_GetObjectItemCaseSensitive(e, "pattern");
                const cJSON *mem = cJSON_GetObjectItemCaseSensitive(e, "min_memory");
                const cJSON *pr = cJSON_GetObjectItemCaseSensitive(e, "min_pressure");
                cJSON_AddItemToObject(x, "pattern", pat ? cJSON_Duplicate(pat, true) : cJSON_CreateNull());
                cJSON_AddItemToObject(x, "min_memory", mem ? cJSON_Duplicate(mem, true) : cJSON_CreateNull());
                cJSON_AddItemToObject(x, "min_pressure", pr ? cJSON_Duplicate(pr, true) : cJSON_CreateNull());
        }
        return TAKE_PTR(o);
}

/* Where each ruleset and kill-list entry of the running policy came from. */
static cJSON *policy_sources(const Policy *p) {
        _cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
        cJSON *rs = o ? cJSON_AddArrayToObject(o, "rulesets") : NULL;
        if (!rs)
                return NULL;
        for (size_t i = 0; i < p->n_rulesets; i++) {
                cJSON *x = json_array_add_object(rs);
                if (!x || !cJSON_AddStringToObject(x, "name", p->rulesets[i].name) ||
                    !cJSON_AddStringToObject(x, "source", p->rulesets[i].source ? p->rulesets[i].source : ""))
                        return NULL;
        }
        /* The kill list is replaced whole by each document that names it: one source for all its entries
         * (null while it is empty). Its patterns are in the policy itself, and not repeated here. */
        if (!cJSON_AddItemToObject(o, "kill_list", p->n_kill_list > 0 && p->kill_list_source ?
                                   cJSON_CreateString(p->kill_list_source) : cJSON_CreateNull()))
                return NULL;
        return TAKE_PTR(o);
}

cJSON *ops_policy_get(Manager *m, const Caller *c, OpsError *err) {
        cJSON *doc = policy_document(m);
        cJSON *sources = policy_sources(query_policy(m));
        cJSON *o = cJSON_CreateObject();
        if (!doc || !sources || !o) {
                cJSON_Delete(doc);
                cJSON_Delete(sources);
                cJSON_Delete(o);
                return ops_oom(err);
        }
        cJSON_AddItemToObject(o, "policy", doc);
        cJSON_AddStringToObject(o, "source", query_policy_description(m) ? query_policy_description(m) : "");
        cJSON_AddItemToObject(o, "sources", sources);
        return o;
}

cJSON *ops_history(Manager *m, const Caller *c, uint64_t since_usec, OpsError *err) {
        _cleanup_free_ char *text = NULL;
        if (!query_history(m))
                return ops_fail(err, OPS_ERROR_FAILED, "no kill history is kept: the state directory %s could not be "
                                "written when pressured started (the log says why); kills are in the journal. Fix the "
                                "directory and restart pressured", query_config(m)->state_dir);
        int r = history_read_json(query_history(m), since_usec, &text);
        if (r < 0)
                return ops_oom(err); /* served from memory: running out of it is the only failure */
        /* The array as the history keeps it (valid, compact JSON), not parsed again per request. */
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddRawToObject(o, "kills", text)) {
                cJSON_Delete(o);
                return ops_oom(err);
        }
        return o;
}

/* Appends to a growing text; false when out of memory. */
__attribute__((format(printf, 2, 3)))
static bool text_append(char **buf, const char *fmt, ...) {
        va_list ap;
        char *line = NULL, *n = NULL;
        va_start(ap, fmt);
        int k = vasprintf(&line, fmt, ap);
        va_end(ap);
        if (k < 0)
                return false;
        k = asprintf(&n, "%s%s", *buf ? *buf : "", line);
        free(line);
        if (k < 0)
                return false;
        free(*buf);
        *buf = n;
        return true;
}

static void psi_text(char *buf, size_t size, const PsiLine *l) {
        if (l->valid)
                snprintf(buf, size, "%.2f %.2f %.2f", l->avg10, l->avg60, l->avg300);
        else
                snprintf(buf, size, "n/a");
}

cJSON *ops_dump(Manager *m, const Caller *c, OpsError *err) {
        manager_refresh(m); /* figures current even while quiet */
        _cleanup_free_ char *t = NULL;
        char a[32], b[32], x[64], y[64];
        bool ok = true;
        const Policy *p = query_policy(m);
        const SystemSample *sys = query_last_system(m);
        const MemInfo *mi = &sys->meminfo;
        const cJSON *last_kill = query_last_kill(m);
        size_t n_pending, n_cgroups;
        const PendingKill *pending = query_pending(m, &n_pending);
        const CGroupSample *cgroups = query_last_cgroups(m, &n_cgroups);

        /* Labels padded to one width, so the values line up as in "oomctl status". */
#define L "%-12s"
        ok &= text_append(&t, "pressured %s (pid %d)\n", PACKAGE_VERSION, (int) getpid());
        ok &= text_append(&t, L "%s (%s)\n", "Mode:", query_mode_name(m), query_mode_reason(m));
        ok &= text_append(&t, L "%s%s\n", "Policy:", query_policy_description(m) ? query_policy_description(m) : "?",
                          p->dry_run ? " [dry run: nothing will be killed]" : "");
        ok &= text_append(&t, L "%zu, kill-list entries: %zu\n", "Rulesets:", p->n_rulesets, p->n_kill_list);
        for (size_t i = 0; i < p->n_rulesets; i++) {
                const Ruleset *r = &p->rulesets[i];
                ok &= text_append(&t, L "%s (method %s%s), from %s\n", "", r->name,
                                  query_degraded(m) ? "kill" : unit_method_to_string(r->method),
                                  r->dry_run ? ", dry run" : "", r->source ? r->source : "?");
        }
        for (size_t i = 0; i < n_pending; i++) {
                const PendingKill *k = &pending[i];
                usec_t now = now_usec(CLOCK_MONOTONIC);
                format_duration(a, sizeof a, k->deadline > now ? k->deadline - now : 0);
                ok &= text_append(&t, L "%s by ruleset %s in %s unless spared%s: %s\n", "Pending kill:", k->decision.cgroup,
                                  k->decision.ruleset, a, k->hook_id && !k->hook_exited ? " (its pre-kill hook runs)" : "",
                                  k->decision.reason);
        }
        format_duration(a, sizeof a, p->interval_usec);
        ok &= text_append(&t, L "%s, interval %s\n", "Wake-ups:",
                          query_psi_triggers_available(m) ? "PSI triggers" : "polling", a);
        if (mi->valid) {
                format_bytes(a, sizeof a, (double) mi->mem_available);
                format_bytes(b, sizeof b, (double) mi->mem_total);
                ok &= text_append(&t, L "%s available of %s\n", "Memory:", a, b);
                format_bytes(a, sizeof a, (double) mi->swap_free);
                format_bytes(b, sizeof b, (double) mi->swap_total);
                ok &= text_append(&t, L "%s free of %s\n", "Swap:", a, b);
        } else
                ok &= text_append(&t, L "not read yet\n", "Memory:");
        psi_text(x, sizeof x, &sys->mem_psi.some);
        psi_text(y, sizeof y, &sys->mem_psi.full);
        ok &= text_append(&t, L "some %s, full %s (avg10 avg60 avg300); level %s\n", "Pressure:", x, y,
                          pressure_level_to_string(level_tracker_system_level(query_levels(m))));
        ok &= text_append(&t, L "%" PRIu64 "\n", "Kills:", query_kill_count(m));
        if (last_kill) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(last_kill, "victim");
                const cJSON *r = cJSON_GetObjectItemCaseSensitive(last_kill, "reason");
                const cJSON *d = cJSON_GetObjectItemCaseSensitive(last_kill, "dry_run");
                ok &= text_append(&t, L "%s%s: %s\n", "Last kill:", cJSON_IsString(v) ? v->valuestring : "?",
                                  cJSON_IsTrue(d) ? " (dry run)" : "", cJSON_IsString(r) ? r->valuestring : "?");
        }
        ok &= text_append(&t, L "%zu in the last full sample\n", "Cgroups:", n_cgroups);
#undef L
        if (n_cgroups > 0)
                ok &= text_append(&t, "  %-9s %8s %-17s %s\n", "LEVEL", "MEMORY", "FULL 10s/60s/300s", "PATH");
        for (size_t i = 0; i < n_cgroups; i++) {
                const CGroupSample *cg = &cgroups[i];
                bool root = streq(cg->path, "/"); /* no files of its own: the system's figures */
                if (cg->fields & CG_MEMORY_CURRENT)
                        format_bytes(a, sizeof a, (double) cg->memory_current);
                else if (root && mi->valid)
                        format_bytes(a, sizeof a, (double) (mi->mem_total > mi->mem_available ? mi->mem_total - mi->mem_available : 0));
                else
                        snprintf(a, sizeof a, "-");
                const PsiStats *psi = cg->fields & CG_MEMORY_PSI ? &cg->mem_psi : root ? &sys->mem_psi : NULL;
                if (psi)
                        psi_text(x, sizeof x, psi->full.valid ? &psi->full : &psi->some);
                else
                        snprintf(x, sizeof x, "-");
                ok &= text_append(&t, "  %-9s %8s %-17.17s %s\n",
                                  psi ? cgroup_level(m, cg) : "-", a, x, cg->path);
        }
        if (!ok)
                return ops_oom(err);
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddStringToObject(o, "text", t)) {
                cJSON_Delete(o);
                return ops_oom(err);
        }
        return o;
}

/* Maps a policy change's failure onto the error the caller gets. */
static cJSON *policy_change_failed(int r, const PolicyError *pe, const char *errbuf, OpsError *err) {
        if (r == -EINVAL) {
                /* The path travels in its own field; the message says what is wrong there. */
                ops_fail(err, OPS_ERROR_INVALID_POLICY, "%s; the running policy is unchanged",
                         pe->message[0] ? pe->message : errbuf);
                snprintf(err->path, sizeof err->path, "%s", pe->path);
                return NULL;
        }
        return ops_fail(err, OPS_ERROR_FAILED, "%s", errbuf[0] ? errbuf : strerror(-r));
}

static cJSON *policy_source_result(Manager *m, OpsError *err) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddStringToObject(o, "policy_source", query_policy_description(m) ? query_policy_description(m) : "")) {
                cJSON_Delete(o);
                return ops_oom(err);
        }
        return o;
}

/* Who asked, for the log: "uid 0 (pid 4242, oomctl)", as kills name their caller. */
static void caller_describe(Manager *m, const Caller *c, char *buf, size_t size) {
        char path[4096], comm[64] = "";
        snprintf(path, sizeof path, "%s/%d/comm", query_config(m)->proc_root, (int) c->pid);
        _cleanup_close_ int fd = c->pid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -EBADF;
        ssize_t k = fd >= 0 ? read(fd, comm, sizeof comm - 1) : -1;
        if (k > 0) {
                comm[k] = 0;
                comm[strcspn(comm, "\n")] = 0;
                /* a process names itself: keep the log line one clean line */
                for (char *s = comm; *s; s++)
                        if ((unsigned char) *s < 0x20 || *s == 0x7f)
                                *s = '?';
        }
        snprintf(buf, size, "uid %u (pid %d, %s)", (unsigned) c->uid, (int) c->pid, comm[0] ? comm : "comm unknown");
}

/* Installs `doc` as the new main policy document (an override of --config, kept as sent). */
static cJSON *replace_policy(Manager *m, const Caller *c, const cJSON *doc, bool persist, OpsError *err) {
        _cleanup_free_ char *text = cJSON_Print(doc);
        PolicyError pe = {};
        char errbuf[1024] = "", who[128];
        if (!text)
                return ops_oom(err);
        caller_describe(m, c, who, sizeof who);
        int r = manager_replace_policy(m, text, persist, who, &pe, errbuf, sizeof errbuf);
        if (r < 0)
                return policy_change_failed(r, &pe, errbuf, err);
        return policy_source_result(m, err);
}

/* The running kill list as a JSON array (empty when the policy has none). */
static cJSON *kill_list_current(Manager *m, OpsError *err) {
        _cleanup_(cJSON_Deletep) cJSON *doc = policy_document(m);
        cJSON *list = doc ? cJSON_DetachItemFromObjectCaseSensitive(doc, "kill_list") : NULL;
        if (!list && doc)
                list = cJSON_CreateArray();
        if (!cJSON_IsArray(list)) {
                cJSON_Delete(list);
                return ops_oom(err);
        }
        return list;
}

/* Writes the edited kill list to a change layer (only "kill_list": the admin's files stay as they are). */
static cJSON *change_kill_list(Manager *m, const Caller *c, const cJSON *list, bool persist, const char *what,
                               OpsError *err) {
        PolicyError pe = {};
        char errbuf[1024] = "", who[128];
        caller_describe(m, c, who, sizeof who);
        int r = manager_change_policy_layer(m, "kill_list", list, persist, who, what, &pe, errbuf, sizeof errbuf);
        if (r < 0)
                return policy_change_failed(r, &pe, errbuf, err);
        return policy_source_result(m, err);
}

cJSON *ops_kill_list_add(Manager *m, const Caller *c, const char *pattern, const char *min_memory,
                         double min_pressure, int64_t position, bool persist, OpsError *err) {
        _cleanup_(cJSON_Deletep) cJSON *list = kill_list_current(m, err);
        if (!list)
                return NULL;
        int n = cJSON_GetArraySize(list);
        if (position > n)
                return ops_fail(err, OPS_ERROR_NOT_FOUND, "position %" PRId64 " is past the end of the kill list, which has %d "
                                "entr%s; give 0..%d, or leave position out to append", position, n, n == 1 ? "y" : "ies", n);
        cJSON *e = cJSON_CreateObject();
        if (!e)
                return ops_oom(err);
        cJSON_AddStringToObject(e, "pattern", pattern);
        if (min_memory)
                cJSON_AddStringToObject(e, "min_memory", min_memory);
        if (min_pressure >= 0)
                cJSON_AddNumberToObject(e, "min_pressure", min_pressure);
        if (position < 0 || position == n)
                cJSON_AddItemToArray(list, e);
        else
                cJSON_InsertItemInArray(list, (int) position, e);
        char what[512];
        snprintf(what, sizeof what, "kill-list entry %.200s added at index %d", pattern,
                 position < 0 ? n : (int) position);
        return change_kill_list(m, c, list, persist, what, err);
}

static cJSON *bad_index(OpsError *err, const char *what, int64_t index, int n) {
        return ops_fail(err, OPS_ERROR_NOT_FOUND, "the kill list has no entry %" PRId64 " (%s): it has %d entr%s%s; "
                        "see 'oomctl kill-list' for the indexes", index, what, n, n == 1 ? "y" : "ies",
                        n > 0 ? ", numbered from 0" : "");
}

cJSON *ops_kill_list_remove(Manager *m, const Caller *c, int64_t index, bool persist, OpsError *err) {
        _cleanup_(cJSON_Deletep) cJSON *list = kill_list_current(m, err);
        if (!list)
                return NULL;
        int n = cJSON_GetArraySize(list);
        if (index < 0 || index >= n)
                return bad_index(err, "index", index, n);
        char what[512];
        snprintf(what, sizeof what, "kill-list entry %" PRId64 " (%.200s) removed", index,
                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, (int) index), "pattern")) ?: "?");
        cJSON_DeleteItemFromArray(list, (int) index);
        return change_kill_list(m, c, list, persist, what, err);
}

cJSON *ops_kill_list_move(Manager *m, const Caller *c, int64_t from, int64_t to, bool persist, OpsError *err) {
        _cleanup_(cJSON_Deletep) cJSON *list = kill_list_current(m, err);
        if (!list)
                return NULL;
        int n = cJSON_GetArraySize(list);
        if (from < 0 || from >= n)
                return bad_index(err, "from", from, n);
        if (to < 0 || to >= n)
                return bad_index(err, "to", to, n);
        cJSON *e = cJSON_DetachItemFromArray(list, (int) from);
        if (to >= cJSON_GetArraySize(list))
                cJSON_AddItemToArray(list, e);
        else
                cJSON_InsertItemInArray(list, (int) to, e);
        char what[512];
        snprintf(what, sizeof what, "kill-list entry %.200s moved from index %" PRId64 " to %" PRId64,
                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "pattern")) ?: "?", from, to);
        return change_kill_list(m, c, list, persist, what, err);
}

cJSON *ops_policy_set(Manager *m, const Caller *c, const cJSON *policy, bool persist, OpsError *err) {
        if (!cJSON_IsObject(policy))
                return ops_fail(err, OPS_ERROR_INVALID_REQUEST, "\"policy\" must be a JSON object (the whole policy document)");
        return replace_policy(m, c, policy, persist, err);
}

cJSON *ops_policy_set_fd(Manager *m, const Caller *c, int fd, bool persist, OpsError *err) {
        static const char what[] = "the policy passed as a descriptor";
        _cleanup_free_ char *text = NULL;
        char why[768];

        int r = policy_fd_read(fd, what, &text, why, sizeof why);
        if (r < 0)
                return ops_fail(err, r == -EFBIG ? OPS_ERROR_TOO_LARGE : r == -EBADMSG ? OPS_ERROR_INVALID_POLICY :
                                r == -ENOMEM ? OPS_ERROR_FAILED : OPS_ERROR_INVALID_REQUEST,
                                "%s; the running policy is unchanged", why);
        size_t len = strlen(text);
        /* before cJSON, which would cut a string at \u0000 and let the rest of it go unchecked */
        if (json_text_check(text, len, why, sizeof why) < 0)
                return ops_fail(err, OPS_ERROR_INVALID_POLICY, "%s: %s; the running policy is unchanged", what, why);
        const char *end = NULL;
        _cleanup_(cJSON_Deletep) cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, false);
        if (doc)
                while (end < text + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
                        end++;
        if (!doc || end != text + len) {
                const char *at = doc ? end : cJSON_GetErrorPtr();
                return ops_fail(err, OPS_ERROR_INVALID_POLICY, "%s is not valid JSON (near byte %zu); the running policy "
                                "is unchanged. Check the file with 'oomctl policy check FILE'", what,
                                at && at >= text && at <= text + len ? (size_t) (at - text) : (size_t) 0);
        }
        return ops_policy_set(m, c, doc, persist, err);
}

cJSON *ops_policy_reload(Manager *m, const Caller *c, OpsError *err) {
        PolicyError pe = {};
        char errbuf[1024] = "", who[128];
        caller_describe(m, c, who, sizeof who);
        log_info("Policy reload requested by %s", who);
        int r = manager_reload_policy(m, &pe, errbuf, sizeof errbuf);
        if (r < 0)
                return policy_change_failed(r, &pe, errbuf, err);
        return policy_source_result(m, err);
}

cJSON *ops_policy_revert(Manager *m, const Caller *c, bool persist, OpsError *err) {
        PolicyError pe = {};
        char errbuf[1024] = "", who[128], removed[4 * 4096 + 8] = "";
        caller_describe(m, c, who, sizeof who);
        int r = manager_revert_policy(m, persist, who, removed, sizeof removed, &pe, errbuf, sizeof errbuf);
        if (r == -EINVAL) {
                ops_fail(err, OPS_ERROR_INVALID_POLICY, "nothing was reverted: without the changes the policy would be "
                         "invalid: %s; fix the policy files (check them with 'pressured --check-config FILE "
                         "--policy-dir DIR'), then revert again", pe.message[0] ? pe.message : errbuf);
                snprintf(err->path, sizeof err->path, "%s", pe.path);
                return NULL;
        }
        if (r < 0)
                return policy_change_failed(r, &pe, errbuf, err);
        cJSON *o = policy_source_result(m, err);
        cJSON *a = o ? cJSON_AddArrayToObject(o, "removed") : NULL;
        if (o && !a) {
                cJSON_Delete(o);
                return ops_oom(err);
        }
        char *save = NULL;
        for (char *f = strtok_r(removed, ",", &save); a && f; f = strtok_r(NULL, ",", &save))
                cJSON_AddItemToArray(a, cJSON_CreateString(f + strspn(f, " ")));
        return o;
}

cJSON *ops_set_dry_run(Manager *m, const Caller *c, bool dry_run, OpsError *err) {
        manager_set_dry_run(m, dry_run);
        cJSON *o = policy_source_result(m, err);
        if (o)
                cJSON_AddBoolToObject(o, "dry_run", query_policy(m)->dry_run);
        return o;
}

/* Looks for directories called `name` below dir_fd (path `prefix`); counts them in *n, the first in *found. */
static int find_unit(int dir_fd, const char *prefix, const char *name, unsigned depth, char **found, unsigned *n) {
        if (depth > UNIT_SEARCH_DEPTH_MAX || *n > 1)
                return 0;
        int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        struct dirent *de;
        int r = 0;
        while (r >= 0 && *n <= 1 && (de = readdir(d))) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%s", prefix, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (streq(de->d_name, name)) {
                        if ((*n)++ == 0)
                                *found = TAKE_PTR(path);
                        continue;
                }
                _cleanup_close_ int child = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (child >= 0)
                        r = find_unit(child, path, name, depth + 1, found, n);
        }
        closedir(d);
        return r;
}

/* Turns a target into a clean cgroup path ("/a/b", no "." or ".." or empty parts). */
static int normalize_path(const char *target, char **ret) {
        _cleanup_free_ char *copy = strdup(target), *out = malloc(strlen(target) + 2);
        if (!copy || !out)
                return -ENOMEM;
        size_t l = 0;
        char *save = NULL;
        for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
                if (streq(part, ".") || streq(part, ".."))
                        return -EINVAL;
                out[l++] = '/';
                strcpy(out + l, part);
                l += strlen(part);
        }
        if (l == 0)
                out[l++] = '/';
        out[l] = 0;
        *ret = TAKE_PTR(out);
        return 0;
}

/* True when `path` is `self` or one of its ancestors. */
static bool contains_cgroup(const char *path, const char *self) {
        if (streq(path, "/"))
                return true;
        size_t l = strlen(path);
        return self && strncmp(self, path, l) == 0 && (self[l] == 0 || self[l] == '/');
}

cJSON *ops_kill(Manager *m, const Caller *c, const char *target, const char *reason, bool dry_run, OpsError *err) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (!query_cgroup_tree(m))
                return ops_fail(err, OPS_ERROR_FAILED, "cannot kill %s: pressured has no cgroup2 hierarchy to act on "
                                "(%s)", target, query_mode_reason(m));
        if (target[0] == '/') {
                r = normalize_path(target, &path);
                if (r == -ENOMEM)
                        return ops_oom(err);
                if (r < 0)
                        return ops_fail(err, OPS_ERROR_INVALID_REQUEST, "target %s contains \".\" or \"..\"; give the cgroup path "
                                        "as 'oomctl status' shows it, e.g. /system.slice/foo.service", target);
        } else if (unit_name_is_valid(target)) {
                unsigned n = 0;
                r = find_unit(cgroup_tree_root_fd(query_cgroup_tree(m)), "", target, 0, &path, &n);
                if (r < 0)
                        return ops_fail(err, OPS_ERROR_FAILED, "cannot search the cgroup tree at %s for %s: %s",
                                        query_cgroup_root(m), target, strerror(-r));
                if (n == 0)
                        return ops_fail(err, OPS_ERROR_NOT_FOUND, "no cgroup called %s under %s: is the unit running? "
                                        "'systemctl status %s' tells", target, query_cgroup_root(m), target);
                if (n > 1)
                        return ops_fail(err, OPS_ERROR_INVALID_REQUEST, "more than one cgroup is called %s (one is %s); "
                                        "give the full cgroup path instead", target, path);
        } else
                return ops_fail(err, OPS_ERROR_INVALID_REQUEST, "target \"%s\" is neither a cgroup path (starting with '/') "
                                "nor a unit name ending in .service, .scope or .slice", target);

        if (streq(path, "/"))
                return ops_fail(err, OPS_ERROR_PERMISSION_DENIED, "refusing to kill the root cgroup \"/\": it holds every "
                                "process on the host; name the cgroup of the workload instead");
        if (contains_cgroup(path, query_self_cgroup(m)))
                return ops_fail(err, OPS_ERROR_PERMISSION_DENIED, "refusing to kill %s: it contains pressured itself (%s), "
                                "and the host would lose its OOM protection; name a cgroup below it instead",
                                path, query_self_cgroup(m));

        _cleanup_close_ int fd = cgroup_tree_open(query_cgroup_tree(m), path);
        if (fd < 0) {
                if (fd == -ENOENT || fd == -ENOTDIR)
                        return ops_fail(err, OPS_ERROR_NOT_FOUND, "no cgroup %s under %s; 'oomctl status' lists the cgroups",
                                        path, query_cgroup_root(m));
                return ops_fail(err, OPS_ERROR_FAILED, "cannot open cgroup %s: %s", path, strerror(-fd));
        }

        Decision d = {
                .ruleset = "manual",
                .kind = TARGET_CGROUP,
                .cgroup = strdup(path),
                .dry_run = dry_run || query_policy(m)->dry_run,
                .kill_list_index = -1,
        };
        if (!d.cgroup)
                return ops_oom(err);
        char buf[64];
        if (read_file_at(fd, "memory.current", buf, sizeof buf) > 0) {
                const char *p = buf;
                (void) scan_u64(&p, &d.memory);
        }
        if (reason && reason[0])
                snprintf(d.reason, sizeof d.reason, "manual: %s", reason);
        else
                snprintf(d.reason, sizeof d.reason, "manual: requested by uid %u (pid %d)", (unsigned) c->uid, (int) c->pid);
        log_notice("Manual kill of %s requested by uid %u (pid %d)%s: %s", path, (unsigned) c->uid, (int) c->pid,
                   d.dry_run ? ", dry run" : "", d.reason);

        KillResult res;
        r = manager_kill(m, NULL, &d, &res);
        cJSON *o = NULL;
        if (r == -ENOENT)
                ops_fail(err, OPS_ERROR_NOT_FOUND, "cgroup %s vanished before it could be killed; nothing to do", path);
        else if (r == -ESRCH)
                ops_fail(err, OPS_ERROR_NOT_FOUND, "every process of cgroup %s had exited before it could be killed; "
                         "nothing to do", path);
        else if (r < 0)
                ops_fail(err, OPS_ERROR_FAILED, "failed to kill cgroup %s: %s; see the journal (journalctl -u pressured)",
                         path, strerror(-r));
        else if ((o = cJSON_CreateObject())) {
                cJSON_AddStringToObject(o, "cgroup", path);
                /* A dry run: the processes that would have died, and "killed" stays 0. */
                unsigned n = d.dry_run ? res.n_would_kill : res.n_killed;
                cJSON_AddNumberToObject(o, "killed", res.n_killed);
                cJSON_AddNumberToObject(o, "processes", n);
                cJSON_AddNumberToObject(o, "memory_bytes", (double) d.memory);
                cJSON *a = cJSON_AddArrayToObject(o, "pids");
                for (unsigned i = 0; a && i < n && i < KILL_MAX_PIDS_RECORDED; i++)
                        cJSON_AddItemToArray(a, cJSON_CreateNumber(res.pids[i]));
                cJSON_AddStringToObject(o, "method", d.dry_run ? "dry-run" : kill_method_to_string(res.method));
                cJSON_AddBoolToObject(o, "dry_run", d.dry_run);
        } else
                ops_oom(err);
        decision_clear(&d);
        return o;
}
