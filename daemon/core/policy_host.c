/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "policy/describe.h"
#include "policy/engine.h"
#include "policy/macro.h"
#include "policy/policy_file.h"
#include "util/clock.h"
#include "util/log.h"
#include "read/cgroup_tree.h"
#include "read/fileio.h"
#include "read/meminfo.h"
#include "record/state_files.h"
#include "systemd/annotations.h"
#include "core/ladder.h"
#include "core/manager-internal.h"
#include "core/policy_host.h"
#include "core/policy_load.h"
#include "core/sampler.h"

/* Looks up the policy's admin_group once per policy load, so authorization never waits on NSS. */
static void manager_resolve_admin_group(Manager *m, const char *name) {
        bool was = m->have_admin_gid;
        gid_t old = m->admin_gid;

        m->have_admin_gid = false;
        if (!name)
                return;
        long size = sysconf(_SC_GETGR_R_SIZE_MAX);
        _cleanup_free_ char *buf = malloc(size > 0 ? (size_t) size : 16384);
        struct group g, *res = NULL;
        int r = buf ? getgrnam_r(name, &g, buf, size > 0 ? (size_t) size : 16384, &res) : ENOMEM;
        if (r != 0 || !res) {
                log_warning("The policy's admin_group \"%s\" %s: only root may kill or change the policy until "
                            "the group exists and the policy is reloaded", name, r ? strerror(r) : "does not exist");
                return;
        }
        m->admin_gid = res->gr_gid;
        m->have_admin_gid = true;
        if (!was || old != m->admin_gid)
                log_info("Members of group %s (gid %u) may kill and change the policy, besides root", name,
                         (unsigned) m->admin_gid);
}

/* Installs a freshly loaded policy (at start or on reload). */
static int manager_set_policy(Manager *m, Policy *p, char *description) {
        SampleNeeds needs = {}, detect_needs = {};
        int r;

        if (m->config.dry_run)
                p->dry_run = true;
        r = policy_needs(p, m->degraded, &needs);
        if (r >= 0)
                r = policy_needs_detectors(p, m->degraded, &detect_needs);
        /* What the published levels need, whatever the policy reads: each full sample knows every
         * monitored cgroup's size and pressure, and every sample the system's pressure. */
        if (!m->degraded)
                needs.cgroup_fields |= CG_MEMORY_CURRENT | CG_MEMORY_PSI;
        needs.system_mem_psi = detect_needs.system_mem_psi = true;
        if (r >= 0 && m->n_pending > 0)
                ladder_cancel_all_pending(m, "the policy was replaced and the new one decides afresh");
        if (r >= 0)
                r = m->engine ? engine_set_policy(m->engine, p) : engine_new(p, &m->engine);
        if (r < 0) {
                sample_needs_clear(&needs);
                sample_needs_clear(&detect_needs);
                return r;
        }
        sample_needs_clear(&m->needs);
        sample_needs_clear(&m->detect_needs);
        m->needs = needs;
        m->detect_needs = detect_needs;
        m->last_full_usec = 0;
        victimless_reset(&m->victimless); /* the rulesets are numbered anew */
        /* quiet was decided under the old rules: the new ones are evaluated now */
        m->quiet = false;
        if (m->sample_timer)
                manager_schedule(m, 1);
        /* the tree lists its directories again when the root's cgroup.stat counts other
         * descendants or a cgroup vanished; without that count, at each full-sample interval */
        cgroup_tree_set_listing_max_age(m->tree, p->interval_usec);
        manager_resolve_admin_group(m, p->admin_group);
        policy_free(m->policy);
        m->policy = p;
        free(m->policy_description);
        m->policy_description = description;
        return sampler_plan_triggers(m);
}

/* Tells subscribers (socket and D-Bus) that the running policy changed. */
static void manager_announce_policy(Manager *m) {
        Event e = {
                .kind = EVENT_POLICY_CHANGED,
                .time = now_usec(CLOCK_REALTIME),
                .policy_changed = {
                        .source = m->policy_description ? m->policy_description : "",
                        .rulesets = m->policy->n_rulesets,
                        .kill_list_entries = m->policy->n_kill_list,
                        .dry_run = m->policy->dry_run,
                },
        };
        manager_publish(m, &e);
}

DEFINE_POINTER_CLEANUP(cJSON, cJSON_Delete);

/* The files oomctl writes, in RUNTIME_DIR (until reboot) and STATE_DIR (persisted). */
#define POLICY_OVERRIDE_FILE "policy.json"  /* `oomctl policy set`: the main document, as sent */
#define POLICY_CHANGES_FILE "changes.json"  /* kill-list changes: a drop-in with only the changed keys */

/* Where each source of the policy is, for one load. */
typedef struct PolicyPaths {
        char main[4096];
        char note[4352];
        char runtime_dropins[4096];
        char layers[POLICY_LAYERS_MAX][4096];  /* [POLICY_LAYER_PERSISTED], [POLICY_LAYER_RUNTIME] */
        char base_name[128];
} PolicyPaths;

enum { POLICY_LAYER_PERSISTED, POLICY_LAYER_RUNTIME };

/* systemd's ManagedOOM*= annotations, as the document every policy load merges the files over. */
static void manager_policy_base(Manager *m, PolicySources *src, char *name, size_t size) {
        unsigned n = 0;
        src->base_text = systemd_annotations_policy_json(m->annotations, &n);
        snprintf(name, size, "systemd's ManagedOOM*= settings of %u unit(s)", n);
        src->base_name = name;
}

/* Every source of the policy, in merge order: systemd's annotations; the main document (an override
 * from `oomctl policy set`, RUNTIME_DIR before STATE_DIR, else --config, else the embedded default);
 * the drop-in directories; the persisted change layer; the runtime change layer. `drop_runtime` and
 * `drop_persisted` leave out what a revert removes. The admin's files are read afresh at every load. */
static void manager_policy_sources(Manager *m, bool drop_runtime, bool drop_persisted, PolicyPaths *b,
                                   PolicySources *src) {
        *src = (PolicySources) { .dropin_dirs = { m->config.dropin_dir, b->runtime_dropins, NULL } };
        snprintf(b->runtime_dropins, sizeof b->runtime_dropins, "%s/policy.d", m->config.runtime_dir);

        /* The main document: a runtime override, else a persisted one, else --config. */
        const struct { const char *dir; bool dropped; const char *how, *until; } overrides[] = {
                { m->config.runtime_dir, drop_runtime, "'oomctl policy set'", " until reboot", },
                { m->config.state_dir, drop_persisted, "'oomctl policy set --persist'", "" },
        };
        src->main_path = m->config.config_path;
        src->main_required = m->config.config_required;
        for (size_t i = 0; i < ELEMENTSOF(overrides); i++) {
                snprintf(b->main, sizeof b->main, "%s/" POLICY_OVERRIDE_FILE, overrides[i].dir);
                if (overrides[i].dropped || access(b->main, F_OK) < 0)
                        continue;
                snprintf(b->note, sizeof b->note, "set with %s in place of %s%s; 'oomctl policy revert%s' drops it",
                         overrides[i].how, m->config.config_path, overrides[i].until, i == 0 ? "" : " --persist");
                src->main_path = b->main;
                src->main_note = b->note;
                src->main_required = false;
                break;
        }

        snprintf(b->layers[POLICY_LAYER_PERSISTED], sizeof b->layers[0], "%s/" POLICY_CHANGES_FILE, m->config.state_dir);
        snprintf(b->layers[POLICY_LAYER_RUNTIME], sizeof b->layers[0], "%s/" POLICY_CHANGES_FILE, m->config.runtime_dir);
        src->layers[POLICY_LAYER_PERSISTED] = (PolicyLayer) { .path = b->layers[POLICY_LAYER_PERSISTED], .skip = drop_persisted };
        src->layers[POLICY_LAYER_RUNTIME] = (PolicyLayer) { .path = b->layers[POLICY_LAYER_RUNTIME], .skip = drop_runtime };
        manager_policy_base(m, src, b->base_name, sizeof b->base_name);
}

/* Installs a policy loaded from its sources; on failure frees it and keeps the old one. */
static int manager_install_policy(Manager *m, Policy *p, char *desc, char *err, size_t errlen) {
        int r = manager_set_policy(m, p, desc);
        if (r < 0) {
                policy_free(p);
                free(desc);
                snprintf(err, errlen, "failed to install the new policy: %s; the old policy keeps running", strerror(-r));
                return log_error_errno(r, "Failed to install the new policy: %m");
        }
        return 0;
}

/* Loads the policy from its sources and installs it. */
static int manager_load_policy_from(Manager *m, const PolicySources *src, PolicyError *perr, char *err, size_t errlen) {
        Policy *p = NULL;
        char *desc = NULL;
        int r = policy_load_detailed(src, &p, &desc, perr, err, errlen);
        if (r < 0)
                return r;
        return manager_install_policy(m, p, desc, err, errlen);
}

static void manager_log_policy(Manager *m, bool initial) {
        log_info("%s policy from %s: %zu ruleset(s), %zu kill-list entr%s%s",
                 initial ? "Loaded" : "Reloaded", m->policy_description, m->policy->n_rulesets,
                 m->policy->n_kill_list, m->policy->n_kill_list == 1 ? "y" : "ies",
                 m->policy->dry_run ? ", dry run: nothing will be killed" : "");

        /* What each ruleset will do, in this machine's figures, so a mistaken policy shows before it
         * fires. The totals come from /proc/meminfo now; without them the percents stand alone. */
        MemInfo mi = {};
        if (system_files_read_meminfo(&m->system_files, m->config.proc_root, &mi) < 0)
                mi.valid = false;
        for (size_t i = 0; i < m->policy->n_rulesets; i++) {
                char line[1024];
                ruleset_describe(m->policy, &m->policy->rulesets[i], &mi, m->degraded, line, sizeof line);
                log_info("Ruleset %s %s", m->policy->rulesets[i].name, line);
        }
}

static int manager_load_policy_detailed(Manager *m, bool initial, PolicyError *perr, char *err, size_t errlen) {
        PolicyPaths b;
        PolicySources src;
        int r;

        manager_policy_sources(m, false, false, &b, &src);
        r = manager_load_policy_from(m, &src, perr, err, errlen);
        if (r < 0) {
                if (initial)
                        return log_error_errno(r, "Invalid policy, not starting: %s. Fix it and check with 'pressured --check-config FILE'.", err);
                log_error_errno(r, "Policy reload failed, keeping the policy that was running (%s): %s",
                                m->policy_description, err);
                return r;
        }
        manager_log_policy(m, initial);
        if (!initial)
                manager_announce_policy(m);
        return 0;
}

int manager_load_policy(Manager *m, bool initial) {
        char err[1024] = "";
        return manager_load_policy_detailed(m, initial, NULL, err, sizeof err);
}

int manager_reload_policy(Manager *m, PolicyError *perr, char *errbuf, size_t errlen) {
        int r = manager_load_policy_detailed(m, false, perr, errbuf, errlen);
        if (r >= 0)
                manager_write_status(m, now_usec(CLOCK_MONOTONIC));
        return r;
}

/* After a change is installed: the log, the subscribers, status.json. */
static void manager_policy_changed(Manager *m) {
        log_info("The policy now comes from %s: %zu ruleset(s), %zu kill-list entr%s%s", m->policy_description,
                 m->policy->n_rulesets, m->policy->n_kill_list, m->policy->n_kill_list == 1 ? "y" : "ies",
                 m->policy->dry_run ? ", dry run: nothing will be killed" : "");
        manager_announce_policy(m);
        manager_write_status(m, now_usec(CLOCK_MONOTONIC));
}

int manager_replace_policy(Manager *m, const char *text, bool persist, const char *who,
                           PolicyError *perr, char *errbuf, size_t errlen) {
        const char *dir = persist ? m->config.state_dir : m->config.runtime_dir;
        char runtime_path[4096];
        PolicyPaths b;
        PolicySources src;
        Policy *p = NULL;
        char *desc = NULL;
        int r;

        /* Validate first, with everything that merges over it: a bad policy never reaches the disk. */
        manager_policy_sources(m, false, false, &b, &src); /* the main document is replaced below */
        snprintf(b.main, sizeof b.main, "%s/" POLICY_OVERRIDE_FILE, dir);
        snprintf(b.note, sizeof b.note, "set with 'oomctl policy set%s' in place of %s%s; 'oomctl policy revert%s' drops it",
                 persist ? " --persist" : "", m->config.config_path, persist ? "" : " until reboot", persist ? " --persist" : "");
        src.main_path = b.main;
        src.main_note = b.note;
        src.main_text = text;
        src.main_required = false;
        r = policy_load_detailed(&src, &p, &desc, perr, errbuf, errlen);
        if (r < 0)
                return r;

        /* Kept as sent: the admin's own words, not the expanded policy. */
        r = mkdir_p(dir, 0755);
        if (r >= 0)
                r = write_file_atomic(dir, POLICY_OVERRIDE_FILE, text);
        if (r < 0) {
                policy_free(p);
                free(desc);
                snprintf(errbuf, errlen, "cannot write %s: %s; the old policy keeps running", b.main, strerror(-r));
                return log_error_errno(r, "Failed to write the new policy to %s: %m; the old policy keeps running", b.main);
        }
        snprintf(runtime_path, sizeof runtime_path, "%s/" POLICY_OVERRIDE_FILE, m->config.runtime_dir);
        if (persist && unlink(runtime_path) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Failed to remove %s: %m; it overrides the persisted policy %s until removed",
                                  runtime_path, b.main);

        r = manager_install_policy(m, p, desc, errbuf, errlen);
        if (r < 0)
                return r;
        log_notice("Policy set by %s, written to %s%s; it stands in for %s until 'oomctl policy revert%s'",
                   who, b.main, persist ? " (persistent)" : " (until reboot)", m->config.config_path,
                   persist ? " --persist" : "");
        manager_policy_changed(m);
        return 0;
}

/* Reads a change layer; a missing file is an empty layer. */
static int layer_read(const char *path, bool persisted, cJSON **ret, char *errbuf, size_t errlen) {
        _cleanup_free_ char *text = NULL;
        if (access(path, F_OK) < 0) {
                *ret = cJSON_CreateObject();
                return *ret ? 0 : -ENOMEM;
        }
        int r = policy_file_read(path, &text, errbuf, errlen);
        if (r < 0)
                return r;
        *ret = cJSON_Parse(text);
        if (!cJSON_IsObject(*ret)) {
                cJSON_Delete(*ret);
                *ret = NULL;
                snprintf(errbuf, errlen, "%s is not a JSON object: the change layer is damaged; remove it with "
                         "'oomctl policy revert%s'", path, persisted ? " --persist" : "");
                return -EINVAL;
        }
        return 0;
}

/* Writes a change layer, or removes it when it holds nothing. */
static int layer_write(const char *dir, const char *path, const cJSON *layer) {
        if (!layer->child)
                return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
        _cleanup_free_ char *text = cJSON_Print(layer);
        if (!text)
                return -ENOMEM;
        int r = mkdir_p(dir, 0755);
        return r < 0 ? r : write_file_atomic(dir, POLICY_CHANGES_FILE, text);
}

int manager_change_policy_layer(Manager *m, const char *key, const cJSON *value, bool persist, const char *who,
                                const char *what, PolicyError *perr, char *errbuf, size_t errlen) {
        _cleanup_(cJSON_Deletep) cJSON *runtime = NULL, *persisted = NULL;
        _cleanup_free_ char *runtime_text = NULL, *persisted_text = NULL;
        PolicyPaths b;
        PolicySources src;
        Policy *p = NULL;
        char *desc = NULL;
        int r;

        manager_policy_sources(m, false, false, &b, &src);
        r = layer_read(b.layers[POLICY_LAYER_RUNTIME], false, &runtime, errbuf, errlen);
        if (r >= 0 && persist)
                r = layer_read(b.layers[POLICY_LAYER_PERSISTED], true, &persisted, errbuf, errlen);
        if (r < 0)
                return r;

        /* The key goes to its layer; a persisted change also takes the key out of the runtime layer,
         * which would hide it until reboot (the value already includes what the runtime layer had). */
        cJSON *copy = cJSON_Duplicate(value, true);
        cJSON *target = persist ? persisted : runtime;
        bool ok = copy && (cJSON_GetObjectItemCaseSensitive(target, key) ?
                           cJSON_ReplaceItemInObjectCaseSensitive(target, key, copy) :
                           cJSON_AddItemToObject(target, key, copy));
        if (!ok) {
                cJSON_Delete(copy);
                snprintf(errbuf, errlen, "out of memory while changing the policy; nothing changed");
                return -ENOMEM;
        }
        if (persist)
                cJSON_DeleteItemFromObjectCaseSensitive(runtime, key);

        runtime_text = cJSON_Print(runtime);
        persisted_text = persist ? cJSON_Print(persisted) : NULL;
        if (!runtime_text || (persist && !persisted_text)) {
                snprintf(errbuf, errlen, "out of memory while changing the policy; nothing changed");
                return -ENOMEM;
        }
        src.layers[POLICY_LAYER_RUNTIME].text = runtime_text;
        src.layers[POLICY_LAYER_RUNTIME].skip = !runtime->child;
        if (persist)
                src.layers[POLICY_LAYER_PERSISTED].text = persisted_text;
        r = policy_load_detailed(&src, &p, &desc, perr, errbuf, errlen);
        if (r < 0)
                return r;

        const char *path = b.layers[persist ? POLICY_LAYER_PERSISTED : POLICY_LAYER_RUNTIME];
        r = layer_write(persist ? m->config.state_dir : m->config.runtime_dir, path, target);
        if (r >= 0 && persist)
                r = layer_write(m->config.runtime_dir, b.layers[POLICY_LAYER_RUNTIME], runtime);
        if (r < 0) {
                policy_free(p);
                free(desc);
                snprintf(errbuf, errlen, "cannot write %s: %s; the old policy keeps running", path, strerror(-r));
                return log_error_errno(r, "Failed to write the policy change to %s: %m; the old policy keeps running", path);
        }
        r = manager_install_policy(m, p, desc, errbuf, errlen);
        if (r < 0)
                return r;
        log_notice("Policy changed by %s: %s; \"%s\" kept in %s%s", who, what, key, path,
                   persist ? " (persistent; 'oomctl policy revert --persist' drops it)" :
                             " (until reboot; 'oomctl policy revert' drops it)");
        manager_policy_changed(m);
        return 0;
}

int manager_revert_policy(Manager *m, bool persist, const char *who, char *removed, size_t removed_len,
                          PolicyError *perr, char *errbuf, size_t errlen) {
        PolicyPaths b;
        PolicySources src;
        Policy *p = NULL;
        char *desc = NULL;
        char paths[4][4096];
        size_t n = 0, l = 0;
        int r;

        snprintf(paths[n++], sizeof paths[0], "%s/" POLICY_CHANGES_FILE, m->config.runtime_dir);
        snprintf(paths[n++], sizeof paths[0], "%s/" POLICY_OVERRIDE_FILE, m->config.runtime_dir);
        if (persist) {
                snprintf(paths[n++], sizeof paths[0], "%s/" POLICY_CHANGES_FILE, m->config.state_dir);
                snprintf(paths[n++], sizeof paths[0], "%s/" POLICY_OVERRIDE_FILE, m->config.state_dir);
        }

        /* What remains must be a valid policy: otherwise nothing is removed and the admin learns what to fix. */
        manager_policy_sources(m, true, persist, &b, &src);
        r = policy_load_detailed(&src, &p, &desc, perr, errbuf, errlen);
        if (r < 0)
                return r;

        removed[0] = 0;
        for (size_t i = 0; i < n; i++) {
                if (unlink(paths[i]) < 0) {
                        if (errno == ENOENT)
                                continue;
                        r = -errno;
                        policy_free(p);
                        free(desc);
                        snprintf(errbuf, errlen, "cannot remove %s: %s; the policy keeps running as it was%s", paths[i],
                                 strerror(-r), l ? "" : " (nothing was removed)");
                        return log_error_errno(r, "Failed to remove %s while reverting the policy: %m", paths[i]);
                }
                if (l < removed_len)
                        l += snprintf(removed + l, removed_len - l, "%s%s", l ? ", " : "", paths[i]);
        }

        r = manager_install_policy(m, p, desc, errbuf, errlen);
        if (r < 0)
                return r;
        log_notice("Policy reverted by %s: %s%s; the policy comes from %s", who,
                   l ? "removed " : "there were no changes to remove", removed, m->policy_description);
        manager_policy_changed(m);
        return 0;
}

void manager_set_dry_run(Manager *m, bool dry_run) {
        bool changed = m->policy->dry_run != dry_run;
        m->config.dry_run = dry_run;
        m->policy->dry_run = dry_run;
        if (changed)
                        log_notice("Dry run turned %s at runtime%s", dry_run ? "on" : "off",
                           dry_run ? ": nothing will be killed" : ": rulesets without their own dry_run will kill again");
        manager_announce_policy(m);
        manager_write_status(m, now_usec(CLOCK_MONOTONIC));
}

