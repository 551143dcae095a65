/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <grp.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "policy/candidate.h"
#include "policy/describe.h"
#include "policy/engine.h"
#include "policy/format.h"
#include "policy/macro.h"
#include "policy/policy_file.h"
#include "api/bus_manager.h"
#include "read/cgroup_tree.h"
#include "util/clock.h"
#include "record/history.h"
#include "policy/utf8.h"
#include "record/kill_report.h"
#include "read/fileio.h"
#include "act/killer.h"
#include "util/log.h"
#include "api/control_socket.h"
#include "core/manager-internal.h"
#include "api/operations.h"
#include "core/policy_load.h"
#include "act/hook_runner.h"
#include "core/level_tracker.h"
#include "read/procfs.h"
#include "core/psi_trigger.h"
#include "systemd/annotations.h"
#include "record/state_files.h"
#include "util/unit_name.h"
#include "act/unit_stopper.h"

/* After a PSI trigger fires, keep sampling at the normal interval this long even if memory looks fine. */
#define TRIGGER_HOLD_USEC (10 * USEC_PER_SEC)
/* With PSI triggers armed and this much memory available, nothing can surprise us between samples
 * faster than the trigger would report it, so sampling slows down by QUIET_INTERVAL_FACTOR. */
#define QUIET_MEM_AVAILABLE_PERMYRIAD 2000
#define QUIET_INTERVAL_FACTOR 4
#define QUIET_INTERVAL_MAX_USEC (10 * USEC_PER_SEC)
/* The fastest a process is assumed to allocate, and swap to fill (earlyoom's 6000 and 800 MiB/s). */
#define MAX_ALLOC_BYTES_PER_SEC (6000.0 * 1024 * 1024)
#define MAX_SWAP_FILL_BYTES_PER_SEC (800.0 * 1024 * 1024)
/* While quiet, the detectors are still evaluated this often, a belt to the guards' braces: their
 * files alone are read (the detectors' sample), and a ruleset that fires reads the rest at once.
 * The candidates' figures (status, the published cgroups) are refreshed when a client asks. */
#define QUIET_REFRESH_USEC (60 * USEC_PER_SEC)
/* While quiet, /proc/meminfo is looked at no more often than this (earlyoom's shortest sleep), even
 * where the fastest allocator could close the gap to the floors sooner: a small machine, or one
 * whose MemAvailable is low but steady, stays quiet and looks this often. */
#define QUIET_MIN_WAKE_USEC (100 * USEC_PER_MSEC)
/* Quiet ends when MemAvailable (SwapFree) is down to this many times a floor a rule relies on, so
 * that the candidates' growth is measured for a while before that rule can fire. */
#define QUIET_FLOOR_MARGIN 2
/* Degraded mode: processes have no growth or rates to keep current, so while no ruleset fires a
 * sample reads the detectors' files alone (/proc/meminfo, /proc/pressure/memory, ...) and every
 * /proc/PID only this often (for status and the published cgroups); a ruleset that fires has them
 * read in the same sample, before a victim is chosen. */
#define DEGRADED_CANDIDATES_REFRESH_USEC (60 * USEC_PER_SEC)
/* Degraded mode: a request (status, dump, kill list) reads the processes again when the last read
 * of them is older than this, so its memory figures are current without a scan per request. */
#define REQUEST_CANDIDATES_MAX_AGE_USEC (5 * USEC_PER_SEC)
/* The status file is rewritten at most this often (and after every kill or reload). */
#define STATUS_REFRESH_USEC (10 * USEC_PER_SEC)
/* A request's figures are fresh enough when the last sample is younger than this: without it, a
 * client asking for status in a loop would make the daemon sample the whole tree per request. */
#define REQUEST_REFRESH_MIN_AGE_USEC USEC_PER_SEC
/* The sampling timer's slack: within these bounds, a tenth of the delay (manager_schedule_from). */
#define SAMPLE_ACCURACY_MIN_USEC USEC_PER_MSEC
#define SAMPLE_ACCURACY_MAX_USEC (250 * USEC_PER_MSEC)
/* A stall this fraction of the detector threshold wakes us through the trigger, ahead of the detector. */
#define TRIGGER_THRESHOLD_FRACTION 0.5
/* Wake on "some 100ms per 1s" when no rule names system pressure, so MemAvailable floors react early. */
#define TRIGGER_DEFAULT_STALL_USEC (100 * USEC_PER_MSEC)
/* A pre-kill hook of an action without prekill_timeout is a notification the kill does not wait
 * for; it still may not run for ever (the longest prekill_timeout a policy may set). */
#define PREKILL_HOOK_UNWAITED_MAX_USEC (60 * USEC_PER_SEC)
/* PRESSURED_* variables a pre-kill hook gets (README "Pre-kill hooks"). */
#define PREKILL_HOOK_ENV_MAX 16

const char *manager_mode_name(const Manager *m) {
        return m->degraded ? "degraded" : "cgroup";
}

/* The status data (RUNTIME_DIR/status.json): mode and why, policy, system figures, kills. The
 * same data "oomctl status" gets, so the file and the socket never disagree, less the table of
 * cgroups: with thousands of them, writing it every STATUS_REFRESH_USEC cost more than the sample. */
static void manager_write_status(Manager *m, usec_t now) {
        OpsError err;
        cJSON *o = ops_status_summary(m, &err);
        if (!o)
                return;
        _cleanup_free_ char *text = json_print_utf8(o, true);
        cJSON_Delete(o);
        if (!text)
                return;
        int r = write_file_atomic(m->config.runtime_dir, "status.json", text);
        if (r < 0)
                log_debug_errno(r, "Failed to write %s/status.json: %m", m->config.runtime_dir);
        m->last_status_usec = now;
}

/* Decides the mode: cgroup when the cgroup2 mount has the memory controller, degraded otherwise. */
static int manager_detect_mode(Manager *m) {
        int r;

        if (m->config.cgroup_root)
                m->cgroup_root = strdup(m->config.cgroup_root);
        else {
                r = cgroup2_find_mount(m->config.proc_root, &m->cgroup_root);
                if (r < 0 && r != -ENOENT)
                        return log_error_errno(r, "Failed to read %s/self/mountinfo to find the cgroup2 mount: %m",
                                               m->config.proc_root);
        }

        if (m->cgroup_root) {
                r = cgroup_tree_new(m->cgroup_root, &m->tree);
                if (r >= 0)
                        r = cgroup_tree_new(m->cgroup_root, &m->detect_tree);
                if (r < 0) {
                        log_warning_errno(r, "Cannot open the cgroup2 hierarchy at %s: %m; "
                                          "running in degraded mode without cgroups", m->cgroup_root);
                        m->tree = cgroup_tree_free(m->tree);
                        free(m->cgroup_root);
                        m->cgroup_root = NULL;
                }
        }

        if (!m->tree) {
                m->degraded = true;
                m->mode_reason = strdup("no usable cgroup2 hierarchy on this host (cgroup v1 only?): "
                                        "watching system pressure and MemAvailable, killing processes by RSS");
        } else if (!cgroup_tree_has_memory_controller(m->tree)) {
                m->degraded = true;
                if (asprintf(&m->mode_reason,
                             "cgroup2 at %s has no memory controller (it is bound to cgroup v1 on hybrid hosts): "
                             "watching system pressure and MemAvailable, killing processes by RSS. "
                             "Boot with systemd.unified_cgroup_hierarchy=1 for per-cgroup decisions",
                             m->cgroup_root) < 0)
                        m->mode_reason = NULL;
        } else {
                m->degraded = false;
                if (asprintf(&m->mode_reason, "cgroup2 at %s with the memory controller", m->cgroup_root) < 0)
                        m->mode_reason = NULL;
        }
        if (!m->mode_reason)
                return log_oom();

        r = proc_cgroup_path(m->config.proc_root, getpid(), &m->self_cgroup);
        if (r < 0)
                m->self_cgroup = strdup("/");
        return 0;
}

/* The stall (per PSI_TRIGGER_WINDOW_USEC) that wakes us ahead of a detector's threshold. */
static usec_t trigger_stall_usec(double threshold_percent) {
        return (usec_t) (threshold_percent / 100.0 * TRIGGER_THRESHOLD_FRACTION * PSI_TRIGGER_WINDOW_USEC);
}

/* Collects, once per policy, the memory-pressure detectors that triggers can serve, and the system
 * trigger's setting: "some" at a fraction of the lowest memory-pressure threshold of any detector, on
 * the system or a cgroup (none: a default that still wakes us early). No cgroup stalls more than
 * the system does "some", so that one trigger guards every such detector while the daemon is quiet. */
static int manager_plan_triggers(Manager *m) {
        const Policy *p = m->policy;
        double sys_threshold = -1;

        m->n_watched = 0;
        for (size_t i = 0; i < p->n_rulesets; i++)
                for (size_t g = 0; g < p->rulesets[i].n_groups; g++)
                        for (size_t k = 0; k < p->rulesets[i].groups[g].n; k++) {
                                const Detector *det = &p->rulesets[i].groups[g].detectors[k];
                                if ((det->type != DETECTOR_PRESSURE_ABOVE && det->type != DETECTOR_PRESSURE_RISING_BEYOND) ||
                                    det->resource != PSI_RESOURCE_MEMORY)
                                        continue;
                                if (sys_threshold < 0 || det->threshold < sys_threshold)
                                        sys_threshold = det->threshold;
                                if (m->n_watched < ELEMENTSOF(m->watched))
                                        m->watched[m->n_watched++] = det;
                        }
        m->guard_stall_usec = sys_threshold < 0 ? TRIGGER_DEFAULT_STALL_USEC : trigger_stall_usec(sys_threshold);
        if (m->guard_stall_usec < PSI_TRIGGER_MIN_STALL_USEC)
                m->guard_stall_usec = PSI_TRIGGER_MIN_STALL_USEC;
        return 0;
}

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

static void manager_cancel_all_pending(Manager *m, const char *why);
static void manager_schedule(Manager *m, usec_t delay);

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
                manager_cancel_all_pending(m, "the policy was replaced and the new one decides afresh");
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
        m->victimless_set = 0; /* the rulesets are numbered anew */
        /* quiet was decided under the old rules: the new ones are evaluated now */
        m->quiet = false;
        if (m->sample_timer)
                manager_schedule(m, 1);
        /* the trees list their directories again when the root's cgroup.stat counts other
         * descendants or a cgroup vanished; without that count, at each full-sample interval */
        cgroup_tree_set_listing_max_age(m->tree, p->interval_usec);
        cgroup_tree_set_listing_max_age(m->detect_tree, p->interval_usec);
        manager_resolve_admin_group(m, p->admin_group);
        policy_free(m->policy);
        m->policy = p;
        free(m->policy_description);
        m->policy_description = description;
        return manager_plan_triggers(m);
}

void manager_publish(Manager *m, const cJSON *event) {
        if (m->control)
                control_socket_broadcast(m->control, event);
        bus_manager_emit_event(m->bus, event);
}

/* A new event object with its name and time, or NULL when out of memory. */
static cJSON *event_new(const char *name) {
        cJSON *e = cJSON_CreateObject();
        if (!e)
                return NULL;
        cJSON_AddStringToObject(e, "event", name);
        cJSON_AddNumberToObject(e, "time", (double) now_usec(CLOCK_REALTIME));
        return e;
}

/* Tells subscribers (socket and D-Bus) that the running policy changed. */
static void manager_announce_policy(Manager *m) {
        cJSON *e = event_new("PolicyChanged");
        if (!e)
                return;
        cJSON_AddStringToObject(e, "source", m->policy_description ? m->policy_description : "");
        cJSON_AddNumberToObject(e, "rulesets", (double) m->policy->n_rulesets);
        cJSON_AddNumberToObject(e, "kill_list_entries", (double) m->policy->n_kill_list);
        cJSON_AddBoolToObject(e, "dry_run", m->policy->dry_run);
        manager_publish(m, e);
        cJSON_Delete(e);
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
        if (m->meminfo_fd < 0 || pread_file_grow(m->meminfo_fd, &m->meminfo_buf, &m->meminfo_size) < 0 ||
            meminfo_parse(m->meminfo_buf, &mi) < 0)
                mi.valid = false;
        for (size_t i = 0; i < m->policy->n_rulesets; i++) {
                char line[1024];
                ruleset_describe(m->policy, &m->policy->rulesets[i], &mi, m->degraded, line, sizeof line);
                log_info("Ruleset %s %s", m->policy->rulesets[i].name, line);
        }
}

/* Without CAP_KILL, kill(2) reaches only processes of pressured's own user: a policy that picks
 * another user's process would fail at the worst moment. Said once at start. */
static void manager_check_cap_kill(void) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};

        if (syscall(SYS_capget, &h, d) < 0) {
                log_debug_errno(errno, "Failed to read pressured's capabilities: %m");
                return;
        }
        if (d[CAP_TO_INDEX(CAP_KILL)].effective & CAP_TO_MASK(CAP_KILL))
                return;
        log_warning("Running without CAP_KILL: pressured can signal only processes of its own user (uid %u), so a "
                    "kill of anyone else's fails when memory runs out. Run it as root with CAP_KILL, as pressured.service "
                    "does (CapabilityBoundingSet=CAP_KILL ...)", (unsigned) geteuid());
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

static int manager_load_policy(Manager *m, bool initial) {
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

/* Step 1 of the ladder, the announcement: KillPending, with how long the target has to shed memory. */
static void manager_announce_kill(Manager *m, const Decision *d, usec_t wait_usec) {
        cJSON *e = event_new("KillPending");
        if (!e)
                return;
        cJSON_AddStringToObject(e, "cgroup", d->cgroup);
        cJSON_AddStringToObject(e, "unit", unit_name_of_cgroup(d->cgroup));
        cJSON_AddStringToObject(e, "ruleset", d->ruleset);
        cJSON_AddStringToObject(e, "reason", d->reason);
        cJSON_AddNumberToObject(e, "memory_bytes", (double) d->memory);
        cJSON_AddNumberToObject(e, "pressure", d->pressure);
        cJSON_AddBoolToObject(e, "dry_run", d->dry_run);
        cJSON_AddNumberToObject(e, "prekill_timeout_usec", (double) wait_usec);
        manager_publish(m, e);
        cJSON_Delete(e);
}

/* Step 5 of the ladder: the journal entry and the history line, the status file's summary, Killed. */
static void manager_record_kill(Manager *m, const Decision *d, const KillResult *res, int kill_error) {
        cJSON *summary = NULL;

        free(m->dying_told); /* a new kill: its victim's wait, if any, is told again */
        m->dying_told = NULL;
        if (kill_report(d, res, kill_error, m->history, &summary) <= 0)
                return;
        /* Counted before Killed goes out, so the KillCount properties it refreshes are current. */
        if (!d->dry_run) {
                m->kill_count++;
                (void) level_tracker_count_kill(m->levels, d->cgroup);
        }
        if (summary) {
                cJSON *e = cJSON_Duplicate(summary, true);
                if (e) {
                        cJSON_DeleteItemFromObject(e, "victim");
                        cJSON_AddStringToObject(e, "event", "Killed");
                        manager_publish(m, e);
                        cJSON_Delete(e);
                }
        }
        cJSON_Delete(m->last_kill);
        m->last_kill = summary;
}

/* A stop or restart through systemd is over (unit_stopper.c): its record, and the rulesets that
 * waited for the victim go on, counting pressure from now. */
static void on_unit_stop_done(const Decision *d, const KillResult *res, int error, void *userdata) {
        Manager *m = userdata;
        manager_record_kill(m, d, res, error);
        engine_victim_gone(m->engine, d, now_usec(CLOCK_MONOTONIC));
        m->last_status_usec = 0; /* publish it now */
}

/* Whether every process in the cgroup of decision d was already killed and is still exiting (SIGKILL
 * pending): a killed process can take seconds to go when the kernel holds it on I/O (swap under a
 * thrash), and while it does its cgroup looks like the same victim come back. Killing it again, or
 * its cgroup or unit, ends nothing more; the wait is logged once per cgroup. False when the cgroup
 * cannot be read or holds a process not yet killed (a re-forked worker is a new victim). */
static bool manager_victim_dying(Manager *m, const Decision *d) {
        ProcSample *procs = NULL;
        size_t n = 0, dying = 0;
        char who[128] = "";

        if (d->dry_run || m->degraded || d->kind != TARGET_CGROUP || !m->tree)
                return false;
        _cleanup_close_ int fd = cgroup_tree_open(m->tree, d->cgroup);
        if (fd < 0 || proc_scan_cgroup(m->config.proc_root, fd, &procs, &n) < 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (procs[i].kill_pending) {
                        if (dying++ == 0)
                                snprintf(who, sizeof who, "%d (%s)", (int) procs[i].pid, procs[i].comm);
                }
        proc_samples_free(procs, n);
        if (n == 0 || dying < n)
                return false;
        if (!m->dying_told || !streq(m->dying_told, d->cgroup)) {
                log_notice("Ruleset %s chose %s again, but its %zu process(es), pid %s%s, were already killed and are still "
                           "exiting (held in the kernel, most often on swap I/O): waiting for them rather than killing "
                           "again", d->ruleset, d->cgroup, n, who, n > 1 ? " and others" : "");
                free(m->dying_told);
                m->dying_told = strdup(d->cgroup);
        }
        return true;
}

/* One action per victim at a time: a stop in flight ends within stop_timeout + 1 s, and a victim
 * already killed and still exiting is waited for. */
static bool manager_victim_busy(Manager *m, const Decision *d) {
        if (d->dry_run)
                return false;
        if (unit_stopper_busy(m->stopper, d->cgroup)) {
                log_debug("Ruleset %s chose %s again while its unit is being stopped; waiting for that stop",
                          d->ruleset, d->cgroup);
                return true;
        }
        return manager_victim_dying(m, d);
}

/* With granularity process: picks the process of cgroup d->cgroup that the kill ends, filling
 * d->pid, d->start_time, d->comm and d->memory. 0, -EPERM when none may be killed, negative errno. */
static int manager_pick_process(Manager *m, const Snapshot *snap, Decision *d) {
        ProcSample *procs = NULL;
        size_t n = 0;
        int r;

        _cleanup_close_ int fd = m->tree ? cgroup_tree_open(m->tree, d->cgroup) : -ENODEV;
        if (fd < 0)
                return fd;
        r = proc_scan_cgroup(m->config.proc_root, fd, &procs, &n);
        if (r < 0)
                return r;
        ssize_t i = engine_pick_process(m->policy, snap, procs, n, d->cgroup);
        if (i < 0) {
                log_warning("Cgroup %s was chosen by ruleset %s but holds no process that may be killed "
                            "(all omitted, protected by oom_score_adj -1000, already killed and exiting, or gone); the ruleset waits out "
                            "its post-action delay before it tries again", d->cgroup, d->ruleset);
                r = -EPERM;
        } else {
                d->pid = procs[i].pid;
                d->start_time = procs[i].start_time;
                d->memory = procs[i].rss;
                memcpy(d->comm, procs[i].comm, sizeof d->comm);
        }
        proc_samples_free(procs, n);
        return r;
}

/* The processes at or below cgroup d->cgroup, for the record of a kill of it: their RSS becomes
 * d->memory in degraded mode (no memory.current there); in a dry run, they are the processes that
 * would have died (res->n_would_kill, the first of them in res->pids). */
static void manager_count_cgroup_victims(Manager *m, Decision *d, KillResult *res) {
        ProcSample *procs = NULL;
        size_t n = 0;
        uint64_t rss = 0;

        if (proc_scan(m->config.proc_root, &procs, &n) < 0)
                return; /* logged; the record goes without */
        m->n_process_scans++;
        for (size_t i = 0; i < n; i++) {
                if (procs[i].kernel_thread || !cgroup_path_at_or_below(procs[i].cgroup ?: "/", d->cgroup))
                        continue;
                rss += procs[i].rss;
                if (d->dry_run && res->n_would_kill < KILL_MAX_PIDS_RECORDED)
                        res->pids[res->n_would_kill] = procs[i].pid;
                if (d->dry_run)
                        res->n_would_kill++;
        }
        if (m->degraded)
                d->memory = rss;
        proc_samples_free(procs, n);
}

/* A dry run: the record names what the kill would have ended (its processes, or the process the
 * kill would pick), as a kill's record does. */
static void manager_dry_run_victims(Manager *m, const Snapshot *snap, Decision *d, KillResult *res) {
        if (d->kind == TARGET_CGROUP && d->granularity_process && snap && !m->degraded)
                (void) manager_pick_process(m, snap, d); /* it logs when there is none */
        if (d->kind == TARGET_PROCESS || (d->granularity_process && d->pid > 0)) {
                res->pids[0] = d->pid;
                res->n_would_kill = d->pid > 0;
        } else
                manager_count_cgroup_victims(m, d, res);
}

/* Steps 2 to 5 for a decision already announced. */
static int manager_kill_announced(Manager *m, const Snapshot *snap, Decision *d, KillResult *res) {
        int r = 0;

        *res = (KillResult) {};
        if (manager_victim_busy(m, d))
                return -EALREADY;
        if (d->dry_run) {
                manager_dry_run_victims(m, snap, d, res);
                manager_record_kill(m, d, res, 0);
                return 0;
        }

        int root_fd = m->tree ? cgroup_tree_root_fd(m->tree) : -1;
        if (!m->degraded) {
                r = unit_stopper_start(m->stopper, root_fd, d, m->policy->fast_interval_usec);
                if (r != 0)
                        return r; /* under way (1), or already (-EALREADY) */
        }
        if (d->kind == TARGET_PROCESS)
                /* Degraded mode: the memory controller is elsewhere, so don't touch cgroup xattrs. */
                r = killer_kill_process(m->config.proc_root, d->pid, d->start_time,
                                        m->degraded ? -1 : root_fd, m->degraded ? NULL : d->cgroup, res);
        else if (d->granularity_process && snap) {
                r = manager_pick_process(m, snap, d);
                if (r >= 0)
                        r = killer_kill_process(m->config.proc_root, d->pid, d->start_time, root_fd, d->cgroup, res);
        } else if (root_fd < 0)
                r = -ENODEV;
        else {
                if (m->degraded) /* what the cgroup holds, while its processes are still there */
                        manager_count_cgroup_victims(m, d, res);
                r = killer_kill_cgroup(root_fd, d->cgroup, false, res);
        }
        if (r == 0 && res->n_killed == 0)
                /* Its processes exited between the sample that chose it and the kill: not a kill, nor a
                 * victim to wait for, and not one of the incident's max_kills_per_incident. */
                r = -ESRCH;

        manager_record_kill(m, d, res, r);
        return r;
}

/* Whether the ruleset's post-action delay should start after a kill attempt that failed with r:
 * it failed for a reason that the next sample would only meet again (a victim that vanished on its
 * own is the exception: resample). A dry run also waits out the delay, or it would log every sample. */
static bool kill_attempt_counts(int r) {
        return r != -ENOENT && r != -ESRCH;
}

/* Tells the engine how a kill attempt that returned r went: a stop under way (1: the victim is gone
 * when the stopper says so, on_unit_stop_done), a kill done (0: process_mrelease or cgroup.kill, the
 * victim is gone now), or a failure or dry run (no victim to wait for). */
static void manager_kill_outcome(Manager *m, const Decision *d, int r, usec_t now) {
        if (d->dry_run || r < 0) {
                engine_action_done(m->engine, d, d->dry_run || kill_attempt_counts(r), now);
                return;
        }
        if (engine_action_started(m->engine, d, now) < 0)
                log_oom(); /* the engine counts from now anyway, below or when the stop ends */
        if (r == 0)
                engine_victim_gone(m->engine, d, now);
}

int manager_kill(Manager *m, const Snapshot *snap, Decision *d, KillResult *res) {
        *res = (KillResult) {};
        if (manager_victim_busy(m, d))
                return -EALREADY;
        manager_announce_kill(m, d, 0);
        int r = manager_kill_announced(m, snap, d, res);
        manager_kill_outcome(m, d, r, now_usec(CLOCK_MONOTONIC));
        return r;
}

/* ---- step 1 of the ladder: the pre-kill hook and the wait ---- */

/* The hook's environment (README "Pre-kill hooks"): NULL-terminated, each string malloc'd. */
static char **prekill_hook_env(Manager *m, const Decision *d) {
        char **env = calloc(PREKILL_HOOK_ENV_MAX + 1, sizeof(char *));
        size_t n = 0;
        if (!env)
                return NULL;
#define ENV_ADD(...) do { if (n < PREKILL_HOOK_ENV_MAX && asprintf(&env[n], __VA_ARGS__) >= 0) n++; } while (0)
        ENV_ADD("PRESSURED_CGROUP=%s", d->cgroup);
        if (m->cgroup_root && !m->degraded)
                ENV_ADD("PRESSURED_CGROUP_PATH=%s%s", m->cgroup_root, streq(d->cgroup, "/") ? "" : d->cgroup);
        ENV_ADD("PRESSURED_UNIT=%s", unit_name_of_cgroup(d->cgroup));
        ENV_ADD("PRESSURED_RULESET=%s", d->ruleset);
        ENV_ADD("PRESSURED_REASON=%s", d->reason);
        ENV_ADD("PRESSURED_MEMORY_BYTES=%" PRIu64, d->memory);
        ENV_ADD("PRESSURED_PRESSURE=%.2f", d->pressure);
        ENV_ADD("PRESSURED_PREKILL_TIMEOUT_USEC=%" PRIu64, d->prekill_timeout_usec);
        ENV_ADD("PRESSURED_METHOD=%s", unit_method_to_string(d->method));
        if (d->kind == TARGET_PROCESS) {
                ENV_ADD("PRESSURED_PID=%d", (int) d->pid);
                ENV_ADD("PRESSURED_COMM=%s", d->comm);
        }
#undef ENV_ADD
        return env;
}

static void strv_free_all(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

static void on_prekill_hook_exit(uint64_t id, int status, void *userdata);

/* Runs the decision's pre-kill hook, if it has one, until `deadline`. Returns its run id, 0 for none. */
static uint64_t manager_start_prekill_hook(Manager *m, const Decision *d, usec_t deadline) {
        uint64_t id = 0;
        if (!d->prekill_hook || !d->prekill_hook[0])
                return 0;
        char **env = prekill_hook_env(m, d);
        int r = env ? hook_runner_start(m->hooks, d->prekill_hook, env, deadline, on_prekill_hook_exit, m, &id) : -ENOMEM;
        strv_free_all(env);
        if (r < 0) {
                log_error_errno(r, "Failed to run the pre-kill hook %s of ruleset %s for %s: %m. %s; fix the hook's path "
                                "or permissions in the policy (prekill_hook)", d->prekill_hook[0], d->ruleset, d->cgroup,
                                d->prekill_timeout_usec > 0 ? "The kill still waits out prekill_timeout" : "The kill goes ahead");
                return 0;
        }
        log_info("Started the pre-kill hook %s of ruleset %s for %s", d->prekill_hook[0], d->ruleset, d->cgroup);
        return id;
}

static void manager_drop_pending(Manager *m, size_t i) {
        PendingKill *p = &m->pending[i];
        if (p->hook_id && !p->hook_exited)
                hook_runner_forget(m->hooks, p->hook_id); /* it runs on until it exits or its deadline */
        decision_clear(&p->decision);
        memmove(p, p + 1, (m->n_pending - i - 1) * sizeof *p);
        m->n_pending--;
}

/* Calls off pending kill i: logs, publishes KillCancelled, releases the ruleset. */
static void manager_cancel_pending(Manager *m, size_t i, PrekillVerdict v, const char *why, usec_t now) {
        PendingKill *p = &m->pending[i];
        const Decision *d = &p->decision;
        char waited[32];

        format_duration(waited, sizeof waited, now - p->since);
        log_notice("Spared %s: the kill that ruleset %s announced %s ago is called off, %s", d->cgroup, d->ruleset,
                   waited, why);
        cJSON *e = event_new("KillCancelled");
        if (e) {
                cJSON_AddStringToObject(e, "cgroup", d->cgroup);
                cJSON_AddStringToObject(e, "unit", unit_name_of_cgroup(d->cgroup));
                cJSON_AddStringToObject(e, "ruleset", d->ruleset);
                cJSON_AddStringToObject(e, "reason", why);
                cJSON_AddStringToObject(e, "verdict", prekill_verdict_to_string(v));
                manager_publish(m, e);
                cJSON_Delete(e);
        }
        engine_action_done(m->engine, d, false, now); /* releases the ruleset (a stale decision is ignored) */
        manager_drop_pending(m, i);
}

/* Before a new policy replaces the one the pending decisions borrow their names from. */
static void manager_cancel_all_pending(Manager *m, const char *why) {
        usec_t now = now_usec(CLOCK_MONOTONIC);
        while (m->n_pending > 0)
                manager_cancel_pending(m, m->n_pending - 1, PREKILL_VERDICT_STALE, why, now);
}

/* Announces a fresh decision and either carries it out now or, with a prekill_timeout, makes it
 * pending (taking *d over). Returns true when the decision was handled here (pending, or a victim
 * already being dealt with); false when the caller must carry it out now (already announced). */
static bool manager_announce_or_defer(Manager *m, Decision *d, usec_t now) {
        if (manager_victim_busy(m, d))
                return true;
        for (size_t i = 0; i < m->n_pending; i++)
                if (streq(m->pending[i].decision.cgroup, d->cgroup)) {
                        log_debug("Ruleset %s chose %s, which already waits out the pre-kill time of ruleset %s",
                                  d->ruleset, d->cgroup, m->pending[i].decision.ruleset);
                        return true;
                }

        /* A dry run neither runs the hook nor waits: it shows what would be killed, now. */
        usec_t wait = d->dry_run ? 0 : d->prekill_timeout_usec;
        manager_announce_kill(m, d, wait);
        if (d->dry_run)
                return false;
        if (wait == 0) {
                /* A hook without a wait is a notification: the kill does not wait for it. */
                uint64_t id = manager_start_prekill_hook(m, d, now + PREKILL_HOOK_UNWAITED_MAX_USEC);
                if (id)
                        hook_runner_forget(m->hooks, id);
                return false;
        }

        PendingKill *q = realloc(m->pending, (m->n_pending + 1) * sizeof *q);
        if (!q) {
                log_oom();
                return false; /* better the kill without its wait than no kill */
        }
        m->pending = q;
        PendingKill *p = &m->pending[m->n_pending++];
        *p = (PendingKill) { .decision = *d, .since = now, .deadline = now + wait };
        *d = (Decision) { .kill_list_index = -1 };
        p->hook_id = manager_start_prekill_hook(m, &p->decision, p->deadline);
        engine_hold(m->engine, &p->decision);

        char span[32];
        format_duration(span, sizeof span, wait);
        log_notice("Kill of %s by ruleset %s pending: it has %s to shed memory below the ruleset's criteria%s (%s)",
                   p->decision.cgroup, p->decision.ruleset, span,
                   p->hook_id ? ", or until its pre-kill hook exits" : "", p->decision.reason);
        return true;
}

/* Each sample (a full one): spares the targets that no longer meet their ruleset's criteria, and
 * carries out the kills whose wait is over (deadline reached, or the hook exited). */
static void manager_check_pending(Manager *m, const Snapshot *snap, usec_t now) {
        for (size_t i = 0; i < m->n_pending;) {
                PendingKill *p = &m->pending[i];
                char why[512];
                PrekillVerdict v = engine_recheck(m->engine, snap, &p->decision, why, sizeof why);
                if (v != PREKILL_VERDICT_STANDS) {
                        manager_cancel_pending(m, i, v, why, now);
                        continue;
                }
                if (now < p->deadline && !p->hook_exited) {
                        i++;
                        continue;
                }

                char waited[32];
                format_duration(waited, sizeof waited, now - p->since);
                if (p->hook_exited)
                        log_notice("The pre-kill hook for %s is over after %s and the target still meets ruleset %s's "
                                   "criteria (%s); killing it", p->decision.cgroup, waited, p->decision.ruleset, why);
                else
                        log_notice("%s still meets ruleset %s's criteria after its %s pre-kill time (%s); killing it",
                                   p->decision.cgroup, p->decision.ruleset, waited, why);
                Decision d = p->decision;
                p->decision = (Decision) { .kill_list_index = -1 };
                manager_drop_pending(m, i);

                KillResult res;
                int r = manager_kill_announced(m, snap, &d, &res);
                manager_kill_outcome(m, &d, r, now);
                decision_clear(&d);
                m->last_status_usec = 0; /* publish the kill now */
        }
}

static void manager_sample(Manager *m);
static usec_t manager_next_interval(Manager *m, usec_t now);

static void on_prekill_hook_exit(uint64_t id, int status, void *userdata) {
        Manager *m = userdata;
        for (size_t i = 0; i < m->n_pending; i++) {
                PendingKill *p = &m->pending[i];
                if (p->hook_id != id)
                        continue;
                p->hook_exited = true;
                if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                        log_info("The pre-kill hook for %s (ruleset %s) exited successfully", p->decision.cgroup,
                                 p->decision.ruleset);
                else if (WIFEXITED(status))
                        log_warning("The pre-kill hook %s for %s (ruleset %s) failed with exit status %d; see its output above",
                                    p->decision.prekill_hook[0], p->decision.cgroup, p->decision.ruleset, WEXITSTATUS(status));
                else if (WIFSIGNALED(status))
                        log_warning("The pre-kill hook %s for %s (ruleset %s) was killed by signal %s",
                                    p->decision.prekill_hook[0], p->decision.cgroup, p->decision.ruleset,
                                    strsignal(WTERMSIG(status)));
                /* Decide now, not at the next tick. */
                manager_sample(m);
                manager_schedule(m, manager_next_interval(m, now_usec(CLOCK_MONOTONIC)));
                return;
        }
}

/* Arms a trigger on the memory.pressure of every sampled cgroup a pressure detector watches, adding
 * each file to keep[] (owned strings, *n of them, at most `room`). -EOPNOTSUPP once refused. */
static int manager_arm_cgroup_triggers(Manager *m, const Snapshot *snap, char **keep, size_t room, size_t *n) {
        for (size_t s = 0; s < snap->n_cgroups && *n < room; s++) {
                const CGroupSample *cg = &snap->cgroups[s];
                if (!(cg->fields & CG_MEMORY_PSI) || streq(cg->path, "/"))
                        continue;
                for (size_t w = 0; w < m->n_watched; w++) {
                        const Detector *det = m->watched[w];
                        if (!pattern_list_match(&det->cgroups, cg->path, NULL))
                                continue;
                        if (asprintf(&keep[*n], "%s%s/memory.pressure", m->cgroup_root, cg->path) < 0)
                                return -ENOMEM;
                        const char *path = keep[(*n)++];
                        if (psi_trigger_add(m->triggers, path, AT_FDCWD, path, det->kind == PSI_KIND_FULL,
                                            trigger_stall_usec(det->threshold)) == -EOPNOTSUPP)
                                return -EOPNOTSUPP;
                        break; /* one trigger per file: the first detector watching it sets it */
                }
        }
        return 0;
}

/* Keeps one PSI trigger on every pressure file the rules watch, one on the system's for the rules,
 * and one at the system's "low" level (some 70 ms per 1 s, as low-memory-monitor arms), so that
 * LowMemoryWarning and PressureChanged "/" go out when pressure starts, not at the next poll. */
static void manager_update_triggers(Manager *m, const Snapshot *snap) {
        const char *keep[MANAGER_MAX_CGROUP_TRIGGERS + 2];
        char *owned[MANAGER_MAX_CGROUP_TRIGGERS];
        char sys_path[4096], sys_key[4200], level_key[4200];
        size_t n = 0;
        int r;

        m->guard_armed = false;
        if (!psi_trigger_available(m->triggers))
                return;

        snprintf(sys_path, sizeof sys_path, "%s/pressure/memory", m->config.proc_root);
        /* the setting is in the key, so that a policy with another threshold re-arms it */
        snprintf(sys_key, sizeof sys_key, "%s#some-%llu", sys_path, (unsigned long long) m->guard_stall_usec);
        r = psi_trigger_add(m->triggers, sys_key, AT_FDCWD, sys_path, false, m->guard_stall_usec);
        if (r == -EOPNOTSUPP)
                return;
        if (r < 0)
                log_debug_errno(r, "Failed to arm a PSI trigger on %s: %m", sys_path);
        m->guard_armed = r >= 0;
        snprintf(level_key, sizeof level_key, "%s#level", sys_path);
        r = psi_trigger_add(m->triggers, level_key, AT_FDCWD, sys_path, false,
                            (usec_t) (LEVEL_SYSTEM_LOW_SOME_PERCENT / 100.0 * PSI_TRIGGER_WINDOW_USEC));
        if (r == -EOPNOTSUPP)
                return;
        if (r < 0)
                log_debug_errno(r, "Failed to arm the low-memory PSI trigger on %s: %m", sys_path);

        if (m->cgroup_root && m->n_watched > 0)
                r = manager_arm_cgroup_triggers(m, snap, owned, ELEMENTSOF(owned), &n);
        if (r != -EOPNOTSUPP) {
                memcpy(keep, owned, n * sizeof(char *));
                keep[n] = sys_key;
                keep[n + 1] = level_key;
                psi_trigger_prune(m->triggers, keep, n + 2);
        }
        for (size_t i = 0; i < n; i++)
                free(owned[i]);
}

/* While quiet: how long the fastest allocator (swap filler) would take to bring MemAvailable
 * (SwapFree) down to QUIET_FLOOR_MARGIN times the floors the rules rely on. A gap already closed
 * (or unknown) is 0: quiet is over. */
static usec_t quiet_runway(const EngineGuard *g, const MemInfo *mi) {
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

/* While quiet: the sample timer's next firing, quiet's periodic whole sample (QUIET_REFRESH_USEC
 * after the last). The looks at /proc/meminfo in between are manager_wait_quiet()'s. */
static usec_t manager_quiet_wake(const Manager *m, usec_t now) {
        usec_t since = now - m->last_sample_usec;
        return since >= QUIET_REFRESH_USEC ? 1 : QUIET_REFRESH_USEC - since;
}

/* While quiet: the delay to the next look at /proc/meminfo, the time the fastest allocator (swap
 * filler) would take to close the gap to the floors, within QUIET_MIN_WAKE_USEC and
 * QUIET_REFRESH_USEC. */
static usec_t manager_quiet_look_delay(const Manager *m) {
        usec_t runway = quiet_runway(&m->guard, &m->last_system.meminfo);

        if (runway < QUIET_MIN_WAKE_USEC)
                return QUIET_MIN_WAKE_USEC;
        return runway > QUIET_REFRESH_USEC ? QUIET_REFRESH_USEC : runway;
}

/* Why the daemon may not go quiet after this sample, or NULL when it may. */
static const char *manager_not_quiet_reason(Manager *m, usec_t now) {
        double guard_percent = m->guard_armed ? 100.0 * (double) m->guard_stall_usec / PSI_TRIGGER_WINDOW_USEC : 0;

        if (m->n_pending > 0)
                return "a kill is waiting for its target to exit";
        if (m->last_trigger_usec != 0 && now - m->last_trigger_usec <= TRIGGER_HOLD_USEC)
                return "a PSI trigger fired less than 10 s ago";
        if (!level_tracker_calm(m->levels))
                return "a cgroup's published pressure level is not ok";
        if (!engine_guarded(m->engine, guard_percent, &m->guard))
                return m->guard_armed ? "a detector is arming or holding, or no trigger or floor can stand in for it" :
                                        "the system PSI trigger is not armed";
        if (quiet_runway(&m->guard, &m->last_system.meminfo) == 0)
                return "MemAvailable or SwapFree is down to twice a floor a rule relies on";
        return NULL;
}

/* Decides, after a sample, whether the daemon may go quiet (Manager.quiet). */
static void manager_update_quiet(Manager *m, usec_t now) {
        const char *why = manager_not_quiet_reason(m, now);
        bool was = m->quiet;

        m->quiet = !why;
        if (m->quiet && !was)
                log_debug("Quiet: no rule can fire before a PSI trigger does or MemAvailable falls; "
                          "sampling only /proc/meminfo until then");
        else if (why && why != m->not_quiet_reason)
                log_debug("Not quiet, sampling at the policy's interval: %s", why);
        m->not_quiet_reason = why;
}

/* A look at /proc/meminfo alone, while quiet. Returns true when quiet goes on (the figures are
 * kept for status); false when a whole sample must run now. */
static bool manager_quiet_look(Manager *m) {
        MemInfo mi;

        if (m->meminfo_fd < 0)
                return false;
        if (pread_file_grow(m->meminfo_fd, &m->meminfo_buf, &m->meminfo_size) < 0 ||
            meminfo_parse(m->meminfo_buf, &mi) < 0)
                return false;
        m->n_quiet_checks++;
        if (quiet_runway(&m->guard, &mi) == 0)
                return false;
        m->last_system.meminfo = mi;
        return true;
}

/* How long until the next sample. Fast while a detector is arming. Otherwise never longer than
 * the time the fastest allocator could take to eat what is left of MemAvailable (earlyoom's
 * reasoning: a hog can outrun a fixed 1 s poll on a small machine), and within that, slow while
 * PSI triggers stand guard over plentiful memory, the policy's interval otherwise. */
static usec_t manager_next_interval(Manager *m, usec_t now) {
        const Policy *p = m->policy;
        const MemInfo *mi = &m->last_system.meminfo;
        usec_t next = p->interval_usec;

        if (m->quiet)
                return manager_quiet_wake(m, now);

        if (m->n_pending > 0) { /* re-check the targets every fast interval, and be there at the deadline */
                for (size_t i = 0; i < m->n_pending; i++)
                        if (m->pending[i].deadline > now && m->pending[i].deadline - now < next)
                                next = m->pending[i].deadline - now;
                if (next > p->fast_interval_usec)
                        next = p->fast_interval_usec;
                return next > 0 ? next : 1;
        }
        if (engine_arming(m->engine))
                return p->fast_interval_usec;
        bool guarded = psi_trigger_available(m->triggers) && psi_trigger_count(m->triggers) > 0 &&
                now - m->last_trigger_usec > TRIGGER_HOLD_USEC;
        bool plentiful = mi->valid && mi->mem_available > mi->mem_total / 10000 * QUIET_MEM_AVAILABLE_PERMYRIAD;
        if (guarded && plentiful) {
                next = p->interval_usec * QUIET_INTERVAL_FACTOR;
                if (next > QUIET_INTERVAL_MAX_USEC)
                        next = p->interval_usec > QUIET_INTERVAL_MAX_USEC ? p->interval_usec : QUIET_INTERVAL_MAX_USEC;
        }
        if (mi->valid) {
                usec_t runway = (usec_t) ((double) mi->mem_available / MAX_ALLOC_BYTES_PER_SEC * USEC_PER_SEC);
                if (runway < next)
                        next = runway;
        }
        return next < p->fast_interval_usec ? p->fast_interval_usec : next;
}

/* Logs a failure to read system figures once, and again only when it changes or clears:
 * it happens every sample, and the log must stay readable. */
static void manager_note_system_error(Manager *m, int r, const char *err) {
        if (r >= 0) {
                if (m->system_error)
                        log_notice("System memory figures can be read again; every rule works as configured");
                free(m->system_error);
                m->system_error = NULL;
                return;
        }
        if (m->system_error && strcmp(m->system_error, err) == 0)
                return;
        log_warning_errno(r, "Failed to read system memory figures: %s. Rules that need them cannot fire "
                          "until this is fixed; the others keep working (logged again only if this changes)", err);
        free(m->system_error);
        m->system_error = strdup(err);
}

/* Reads the cgroups (and processes) a sample needs: all the policy reads when `full`, else what
 * the detectors read, and for quiet's periodic sample (`refresh`) only what can guard them. */
static void manager_read_cgroups(Manager *m, bool full, bool refresh, Snapshot *snap) {
        SampleNeeds guards = sample_needs_guards(&m->detect_needs); /* borrowed: not cleared */
        const SampleNeeds *needs = full ? &m->needs : refresh ? &guards : &m->detect_needs;
        CGroupTree *tree = full ? m->tree : m->detect_tree;
        int r;

        if (tree) {
                r = cgroup_tree_sample(tree, needs, snap->now, snap);
                if (r < 0)
                        log_debug_errno(r, "Failed to sample the cgroup tree at %s: %m", m->cgroup_root);
        }
        if (needs->procs && !snap->procs) {
                m->n_process_scans++;
                r = proc_scan(m->config.proc_root, &snap->procs, &snap->n_procs);
                if (r < 0)
                        log_debug_errno(r, "Failed to scan processes in %s: %m", m->config.proc_root);
        }
}

static void manager_free_last_cgroups(Manager *m) {
        for (size_t i = 0; i < m->n_last_cgroups; i++)
                free(m->last_cgroups[i].path);
        free(m->last_cgroups);
        m->last_cgroups = NULL;
        m->n_last_cgroups = 0;
}

/* Keeps a tracker announcement until the update is done: the tracker's table is in flux during it,
 * and the bus reads that table to answer for the objects it announces. */
static void on_level_event(const LevelEvent *e, void *userdata) {
        Manager *m = userdata;
        QueuedLevelEvent *q = realloc(m->level_events, (m->n_level_events + 1) * sizeof *q);
        if (!q) {
                log_debug("Out of memory, dropping a level announcement of %s", e->path);
                return;
        }
        m->level_events = q;
        q[m->n_level_events].event = *e;
        q[m->n_level_events].path = strdup(e->path);
        if (!q[m->n_level_events].path)
                return;
        q[m->n_level_events].event.path = q[m->n_level_events].path;
        m->n_level_events++;
}

/* The event a level announcement becomes for subscribers, or NULL (added/removed are the bus's alone). */
static cJSON *level_event_to_json(const LevelEvent *e) {
        cJSON *o = NULL;
        switch (e->kind) {
        case LEVEL_EVENT_CHANGED:
                if ((o = event_new("PressureChanged"))) {
                        cJSON_AddStringToObject(o, "cgroup", e->path);
                        cJSON_AddStringToObject(o, "level", pressure_level_to_string(e->level));
                        cJSON_AddStringToObject(o, "previous_level", pressure_level_to_string(e->previous));
                        cJSON_AddNumberToObject(o, "pressure", e->pressure);
                }
                break;
        case LEVEL_EVENT_RECOVERED:
                if ((o = event_new("PressureRecovered"))) {
                        cJSON_AddStringToObject(o, "cgroup", e->path);
                        cJSON_AddStringToObject(o, "worst_level", pressure_level_to_string(e->worst));
                        cJSON_AddNumberToObject(o, "duration_usec", (double) e->duration_usec);
                }
                break;
        case LEVEL_EVENT_LOW_MEMORY:
                if ((o = event_new("LowMemoryWarning")))
                        cJSON_AddNumberToObject(o, "level", pressure_level_to_lmm(e->level));
                break;
        default:
                break;
        }
        return o;
}

/* Announces what the tracker reported, now that its table is settled. Removals go first: a
 * cgroup recreated under the same path is removed and added, and must end up present. */
static void manager_flush_level_events(Manager *m) {
        for (size_t i = 0; i < m->n_level_events; i++)
                if (m->level_events[i].event.kind == LEVEL_EVENT_REMOVED)
                        bus_manager_cgroup_removed(m->bus, m->level_events[i].path);
        for (size_t i = 0; i < m->n_level_events; i++) {
                const LevelEvent *e = &m->level_events[i].event;
                if (e->kind == LEVEL_EVENT_ADDED)
                        bus_manager_cgroup_added(m->bus, e->path);
                else if (e->kind != LEVEL_EVENT_REMOVED) {
                        cJSON *o = level_event_to_json(e);
                        if (o)
                                manager_publish(m, o);
                        cJSON_Delete(o);
                }
        }
        for (size_t i = 0; i < m->n_level_events; i++)
                free(m->level_events[i].path);
        free(m->level_events);
        m->level_events = NULL;
        m->n_level_events = 0;
}

/* The system's stall over a window, percent: full when that is what made it critical, else some. */
static double system_stall_percent(const PsiStats *prev, const PsiStats *cur, usec_t window, PressureLevel l) {
        const PsiLine *a = l == PRESSURE_LEVEL_CRITICAL ? &prev->full : &prev->some;
        const PsiLine *b = l == PRESSURE_LEVEL_CRITICAL ? &cur->full : &cur->some;
        if (!a->valid || !b->valid || b->total_usec < a->total_usec || window == 0)
                return -1;
        return 100.0 * (double) (b->total_usec - a->total_usec) / (double) window;
}

/* Feeds the tracker: the cgroups of a full sample (m->last_cgroups, just replaced), and the system's
 * level over the window since the last measurement (windows too short to tell are stretched). */
static void manager_update_levels(Manager *m, bool full, usec_t now) {
        const PsiStats *cur = &m->last_system.mem_psi;
        int r;

        if (full) {
                r = level_tracker_update(m->levels, m->last_cgroups, m->n_last_cgroups, now, on_level_event, m);
                if (r < 0)
                        log_debug_errno(r, "Failed to update the published cgroup levels: %m; trying again next sample");
        }
        if (cur->some.valid && !m->have_level_psi) {
                m->level_psi = *cur;
                m->level_psi_usec = now;
                m->have_level_psi = true;
        } else if (cur->some.valid && now - m->level_psi_usec >= LEVEL_SYSTEM_MIN_WINDOW_USEC) {
                usec_t window = now - m->level_psi_usec;
                PressureLevel l = pressure_level_of_system(&m->level_psi, cur, window);
                level_tracker_update_system(m->levels, l, system_stall_percent(&m->level_psi, cur, window, l), now,
                                            on_level_event, m);
                m->level_psi = *cur;
                m->level_psi_usec = now;
        }
        manager_flush_level_events(m);
}

/* One sample: read what the policy needs, decide, act. Never blocks. */
static void manager_sample(Manager *m) {
        usec_t now = now_usec(CLOCK_MONOTONIC);
        Snapshot snap = {
                .now = now,
                .degraded = m->degraded,
                .self_pid = getpid(),
                .self_cgroup = m->self_cgroup,
        };
        Decision d = {};
        int r;

        m->in_sample = true;
        m->last_sample_usec = now;
        m->n_samples++;
        bool refresh = m->quiet_refresh; /* quiet's periodic sample: no reclaim counters (sample_needs_guards) */
        char err[2048];
        r = system_sample_read(m->config.proc_root, m->needs.system_mem_psi, m->needs.system_io_psi,
                               m->needs.meminfo, m->needs.vmstat && !refresh, &snap.system, err, sizeof err);
        manager_note_system_error(m, r, err);
        derive_system(&snap.system, m->have_prev ? &m->prev_system : NULL, m->prev_time, now);

        /* Candidates are read every interval (so growth and rates stay current) and whenever a
         * ruleset fires; in between only what the detectors watch, and for quiet's periodic sample only
         * what can guard them. Degraded mode's candidates are processes, with no growth to measure:
         * they are read every interval only while a ruleset fires, else every
         * DEGRADED_CANDIDATES_REFRESH_USEC (and when a request wants them). */
        usec_t full_every = m->degraded && engine_fired_set(m->engine) == 0 ? DEGRADED_CANDIDATES_REFRESH_USEC :
                                                                               m->policy->interval_usec;
        bool full = m->last_full_usec == 0 || m->n_pending > 0 || m->candidates_wanted ||
                    (!refresh && now - m->last_full_usec >= full_every);
        m->quiet_refresh = false;
        m->candidates_wanted = false;
        manager_read_cgroups(m, full, refresh, &snap);
        r = engine_evaluate(m->engine, &snap, &d);
        /* A ruleset fired on the detectors' figures: read the candidates and decide, unless every
         * ruleset that fired found no victim in the last whole sample (the candidates are read again
         * at the interval; reading them every fast interval cost most of the CPU with 1,000 cgroups
         * under lasting pressure, all of them omitted). */
        if (r == 0 && !full && (engine_fired_set(m->engine) & ~m->victimless_set) != 0) {
                full = true;
                manager_read_cgroups(m, true, false, &snap);
                r = engine_evaluate(m->engine, &snap, &d);
        }
        if (full) {
                m->n_candidate_samples++;
                m->last_full_usec = now;
                m->victimless_set = r == 0 ? engine_fired_set(m->engine) : 0;
        }
        char notice[768];
        if (engine_take_notice(m->engine, notice, sizeof notice))
                log_warning("%s", notice);
        if (r < 0)
                log_error_errno(r, "The policy engine failed on this sample: %m");
        else if (r > 0) {
                if (!manager_announce_or_defer(m, &d, now)) {
                        KillResult res;
                        int k = manager_kill_announced(m, &snap, &d, &res);
                        manager_kill_outcome(m, &d, k, now);
                }
                m->last_status_usec = 0; /* publish the kill now */
        }
        decision_clear(&d);
        if (full)
                manager_check_pending(m, &snap, now);

        manager_update_triggers(m, &snap);

        if (full) { /* kept for "status": the cgroups with everything the policy reads */
                if (m->degraded)
                        cgroup_samples_fill_rss(snap.cgroups, snap.n_cgroups, snap.procs, snap.n_procs);
                manager_free_last_cgroups(m);
                m->last_cgroups = snap.cgroups;
                m->n_last_cgroups = snap.n_cgroups;
                snap.cgroups = NULL;
                snap.n_cgroups = 0;
        }

        m->prev_system = snap.system;
        m->last_system = snap.system;
        if (snap.system.meminfo.valid)
                systemd_annotations_set_have_swap(m->annotations, snap.system.meminfo.swap_total > 0);
        m->prev_time = now;
        m->have_prev = true;
        snapshot_clear(&snap);

        manager_update_levels(m, full, now);
        manager_update_quiet(m, now);

        if (now - m->last_status_usec >= STATUS_REFRESH_USEC)
                manager_write_status(m, now);
        m->in_sample = false;
}

void manager_refresh(Manager *m) {
        usec_t now = now_usec(CLOCK_MONOTONIC);

        if (m->in_sample)
                return;
        if (m->quiet) {
                if (now < m->last_sample_usec + REQUEST_REFRESH_MIN_AGE_USEC)
                        return;
        } else if (!m->degraded || now < m->last_full_usec + REQUEST_CANDIDATES_MAX_AGE_USEC)
                return; /* the figures are at most an interval old */
        m->candidates_wanted = m->degraded;
        manager_sample(m);
        manager_schedule(m, manager_next_interval(m, now_usec(CLOCK_MONOTONIC)));
}

/* The next sample, `delay` after `now`. sd-event may fire a timer up to its accuracy late (so that
 * the wake-ups of many programs coincide); its default, 250 ms, stretched a 100 ms fast_interval to
 * as much as 350 ms. The slack is a tenth of the delay, within 1 ms and 250 ms. */
static void manager_schedule_from(Manager *m, usec_t now, usec_t delay) {
        usec_t accuracy = delay / 10;

        if (accuracy < SAMPLE_ACCURACY_MIN_USEC)
                accuracy = SAMPLE_ACCURACY_MIN_USEC;
        if (accuracy > SAMPLE_ACCURACY_MAX_USEC)
                accuracy = SAMPLE_ACCURACY_MAX_USEC;
        sd_event_source_set_time_accuracy(m->sample_timer, accuracy);
        sd_event_source_set_time(m->sample_timer, now + delay);
        sd_event_source_set_enabled(m->sample_timer, SD_EVENT_ONESHOT);
}

static void manager_schedule(Manager *m, usec_t delay) {
        manager_schedule_from(m, now_usec(CLOCK_MONOTONIC), delay);
}

static int on_sample_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        m->quiet_refresh = m->quiet; /* while quiet, the timer fires only for the periodic sample */
        manager_sample(m);
        manager_schedule(m, manager_next_interval(m, now_usec(CLOCK_MONOTONIC)));
        return 0;
}

/* One turn of the event loop while quiet: sd-event waits until its next event or the next look at
 * /proc/meminfo, whichever comes first, and the look runs when the wait timed out. No timer is
 * armed and re-armed for the looks. The wait must be sd-event's own: polling its descriptor from
 * outside consumes a PSI trigger's event (the kernel's poll clears it), and sd-event then never
 * sees the trigger fire. */
static int manager_wait_quiet(Manager *m) {
        int r = sd_event_run(m->event, manager_quiet_look_delay(m));
        if (r < 0)
                return log_error_errno(r, "The event loop failed: %m");
        if (r > 0 || !m->quiet || sd_event_get_state(m->event) == SD_EVENT_FINISHED)
                return 0; /* something ran: the next turn computes the look's delay again */
        if (!manager_quiet_look(m)) { /* MemAvailable is falling towards a floor */
                manager_sample(m);
                manager_schedule(m, manager_next_interval(m, now_usec(CLOCK_MONOTONIC)));
        }
        return 0;
}

static void on_psi_trigger(const char *path, void *userdata) {
        Manager *m = userdata;
        log_debug("PSI trigger fired on %s, sampling now", path);
        m->last_trigger_usec = now_usec(CLOCK_MONOTONIC);
        manager_sample(m);
        manager_schedule(m, manager_next_interval(m, m->last_trigger_usec));
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        log_info("SIGHUP received, reloading the policy");
        sd_notify(false, "RELOADING=1");
        (void) manager_load_policy(m, false);
        sd_notify(false, "READY=1");
        manager_write_status(m, now_usec(CLOCK_MONOTONIC));
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        log_info("%s received, exiting", si->ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
        sd_notify(false, "STOPPING=1");
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* One instance per runtime directory: two killers would race each other. */
static int manager_lock(Manager *m) {
        char path[4096];
        snprintf(path, sizeof path, "%s/pressured.lock", m->config.runtime_dir);
        m->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (m->lock_fd < 0)
                return log_error_errno(errno, "Failed to open the lock file %s: %m", path);
        if (flock(m->lock_fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        return log_error_errno(EBUSY, "Another pressured is already running with runtime directory %s "
                                               "(it holds %s); stop it first or pass a different --runtime-dir", m->config.runtime_dir, path);
                return log_error_errno(errno, "Failed to lock %s: %m", path);
        }
        return 0;
}

/* A killer must not be swapped out or OOM-killed while memory is short; and it keeps fds of every
 * watched cgroup and of the files it reads there, so it takes every file descriptor the hard limit
 * allows. */
static void manager_protect_self(Manager *m) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        log_debug_errno(errno, "Failed to raise the open file limit: %m");
        }
        if (m->tree && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
            rl.rlim_cur < (rlim_t) CGROUP_TREE_FILE_FDS_MAX * CGROUP_TREE_FILE_FDS_RLIMIT_DIVISOR)
                log_notice("The open file limit is %llu: pressured keeps at most %llu cgroup files open per sample "
                           "kind and opens the rest anew each sample, which costs CPU with many cgroups. "
                           "Raise LimitNOFILE= of pressured.service to %u or more to avoid that",
                           (unsigned long long) rl.rlim_cur,
                           (unsigned long long) (rl.rlim_cur / CGROUP_TREE_FILE_FDS_RLIMIT_DIVISOR),
                           CGROUP_TREE_FILE_FDS_MAX * CGROUP_TREE_FILE_FDS_RLIMIT_DIVISOR);

        if (geteuid() != 0)
                return;
        if (!m->config.no_mlock && mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0)
                log_notice_errno(errno, "Failed to lock pressured's memory (mlockall): %m; it may be paged out under pressure");
        _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "-1000", 5) < 0)
                log_notice_errno(errno, "Failed to set pressured's oom_score_adj to -1000: %m; the kernel OOM killer might pick it");
}

/* PID 1's annotations changed (read for the first time, a unit came or went, a set-property): the
 * policy is loaded again over them, as on SIGHUP. A failure keeps the running policy. */
static void on_annotations_changed(void *userdata) {
        Manager *m = userdata;
        unsigned n = 0;
        (void) systemd_annotations_policy_json(m->annotations, &n);
        log_info("systemd's ManagedOOM*= settings changed (%u unit(s) annotated); loading the policy again", n);
        char err[1024] = "";
        (void) manager_reload_policy(m, NULL, err, sizeof err);
}

static void on_bus_connected(sd_bus *bus, void *userdata) {
        Manager *m = userdata;
        systemd_annotations_attach(m->annotations, bus);
}

int manager_new(const ManagerConfig *c, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof *m);
        int r;

        if (!m)
                return log_oom();
        m->config = *c;
        m->lock_fd = -1;
        m->meminfo_fd = -1;

        r = mkdir_p(c->runtime_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create the runtime directory %s: %m; pass --runtime-dir", c->runtime_dir);
        r = manager_lock(m);
        if (r < 0)
                return r;

        r = manager_detect_mode(m);
        if (r < 0)
                return r;

        char meminfo_path[4096];
        snprintf(meminfo_path, sizeof meminfo_path, "%s/meminfo", c->proc_root);
        m->meminfo_fd = open(meminfo_path, O_RDONLY | O_CLOEXEC);
        if (m->meminfo_fd < 0) /* every sample then reports it: system_sample_read opens it anew */
                log_debug_errno(errno, "Failed to open %s: %m; never quiet", meminfo_path);

        r = manager_load_policy(m, true);
        if (r < 0)
                return r;

        /* Without a history the daemon still kills and serves: a full or read-only disk must not
         * take the host's OOM protection with it. Kills are then in the journal only. */
        r = mkdir_p(c->state_dir, 0755);
        if (r < 0)
                log_error_errno(r, "Failed to create the state directory %s: %m; kills are logged but not kept in the "
                                "history. Pass --state-dir to use another directory", c->state_dir);
        else
                (void) history_open(c->state_dir, HISTORY_DEFAULT_MAX_ENTRIES, &m->history); /* says what and why */
        /* The kill count goes on across restarts: it starts from the real kills the history holds. */
        m->kill_count = history_kills(m->history);

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");

        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        sd_event_source *src;
        r = sd_event_add_signal(m->event, &src, SIGTERM, on_exit_signal, m);
        if (r >= 0) {
                sd_event_source_set_description(src, "sigterm");
                sd_event_source_set_floating(src, true);
                sd_event_source_unref(src);
                r = sd_event_add_signal(m->event, &src, SIGINT, on_exit_signal, m);
        }
        if (r >= 0) {
                sd_event_source_set_description(src, "sigint");
                sd_event_source_set_floating(src, true);
                sd_event_source_unref(src);
                r = sd_event_add_signal(m->event, &src, SIGHUP, on_sighup, m);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to set up signal handling: %m");
        sd_event_source_set_description(src, "sighup");
        sd_event_source_set_floating(src, true);
        sd_event_source_unref(src);

        r = sd_event_add_time(m->event, &m->sample_timer, CLOCK_MONOTONIC, 0, 0, on_sample_timer, m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the sampling timer: %m");
        sd_event_source_set_description(m->sample_timer, "sample");
        /* Sampling beats every other source: a kill must not wait behind a slow bus client. */
        sd_event_source_set_priority(m->sample_timer, SD_EVENT_PRIORITY_IMPORTANT);

        r = psi_trigger_set_new(m->event, on_psi_trigger, m, &m->triggers);
        if (r < 0)
                return log_oom();

        m->levels = level_tracker_new();
        if (!m->levels)
                return log_oom();

        char sock[4096];
        snprintf(sock, sizeof sock, "%s/control.sock", c->runtime_dir);
        r = control_socket_new(m, m->event, sock, &m->control);
        if (r < 0)
                return r; /* control_socket_new said what and why */

        if (!c->no_bus) {
                r = bus_manager_new(m, m->event, &m->bus);
                if (r < 0)
                        return r; /* out of memory only: a missing bus is logged and retried */
        } else
                log_info("D-Bus service off (--no-bus): the control socket at %s serves alone", sock);
        r = hook_runner_new(m->event, &m->hooks);
        if (r < 0)
                return log_error_errno(r, "Failed to set up running pre-kill hooks: %m");
        r = unit_stopper_new(m->event, m->bus, on_unit_stop_done, m, &m->stopper);
        if (r < 0)
                return log_error_errno(r, "Failed to set up stopping units through systemd: %m");
        r = systemd_annotations_new(m->event, on_annotations_changed, m, &m->annotations);
        if (r < 0)
                return log_error_errno(r, "Failed to set up reading systemd's ManagedOOM*= settings: %m");
        if (m->bus) {
                r = bus_manager_add_connect_hook(m->bus, on_bus_connected, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch the system bus for systemd's ManagedOOM*= settings: %m");
        } else
                log_info("systemd's ManagedOOM*= settings are not read without the system bus (--no-bus)");

        (void) sd_event_set_watchdog(m->event, true);
        manager_protect_self(m);
        manager_check_cap_kill();

        log_notice("pressured %s started in %s mode: %s", PACKAGE_VERSION, manager_mode_name(m), m->mode_reason);
        *ret = TAKE_PTR(m);
        return 0;
}

int manager_run(Manager *m) {
        manager_sample(m);
        manager_write_status(m, now_usec(CLOCK_MONOTONIC));
        manager_schedule(m, manager_next_interval(m, now_usec(CLOCK_MONOTONIC)));
        sd_notifyf(false, "READY=1\nSTATUS=%s mode, %s", manager_mode_name(m),
                   psi_trigger_available(m->triggers) ? "waiting on PSI triggers" : "polling");
        int r = 0;
        while (sd_event_get_state(m->event) != SD_EVENT_FINISHED) {
                r = m->quiet ? manager_wait_quiet(m) : sd_event_run(m->event, UINT64_MAX);
                if (r < 0)
                        break;
        }
        if (r >= 0)
                (void) sd_event_get_exit_code(m->event, &r);
        /* A status file outliving its daemon would tell readers a stopped pressured still guards the host. */
        char path[4096];
        snprintf(path, sizeof path, "%s/status.json", m->config.runtime_dir);
        (void) unlink(path);
        return r;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        unit_stopper_free(m->stopper); /* first: it holds a connect hook on the bus and the tree's root fd */
        while (m->n_pending > 0)
                manager_drop_pending(m, m->n_pending - 1);
        free(m->pending);
        free(m->dying_told);
        hook_runner_free(m->hooks);
        systemd_annotations_free(m->annotations);
        bus_manager_free(m->bus);
        control_socket_free(m->control);
        level_tracker_free(m->levels);
        for (size_t i = 0; i < m->n_level_events; i++)
                free(m->level_events[i].path);
        free(m->level_events);
        manager_free_last_cgroups(m);
        sd_event_source_disable_unref(m->sample_timer);
        psi_trigger_set_free(m->triggers);
        sd_event_unref(m->event);
        history_free(m->history);
        engine_free(m->engine);
        sample_needs_clear(&m->needs);
        sample_needs_clear(&m->detect_needs);
        policy_free(m->policy);
        free(m->policy_description);
        cgroup_tree_free(m->tree);
        cgroup_tree_free(m->detect_tree);
        free(m->cgroup_root);
        free(m->mode_reason);
        free(m->self_cgroup);
        free(m->system_error);
        cJSON_Delete(m->last_kill);
        if (m->lock_fd >= 0)
                close(m->lock_fd);
        if (m->meminfo_fd >= 0)
                close(m->meminfo_fd);
        free(m->meminfo_buf);
        free(m);
        return NULL;
}
