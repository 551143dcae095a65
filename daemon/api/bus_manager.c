/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "config.h"
#include "policy/json_text.h"
#include "policy/macro.h"
#include "policy/utf8.h"
#include "api/bus_cgroup.h"
#include "api/bus_manager.h"
#include "api/event_json.h"
#include "util/log.h"
#include "api/operations.h"
#include "core/level_tracker.h"
#include "core/query.h"

DEFINE_POINTER_CLEANUP(cJSON, cJSON_Delete);

struct BusManager {
        Manager *manager;
        BusConnection *connection;      /* the manager's; its setup registers our objects and names */
        BusCGroups cgroups;

        bool have_name;                 /* we own org.pressured.oom1 */
        bool have_lmm;                  /* we own org.freedesktop.LowMemoryMonitor */
        bool lost;                      /* the bus went away (or was never there): say so once, and when it is back */
        bool queued_logged;             /* "someone else owns the name" said once */
        bool lmm_logged;                /* "LowMemoryMonitor is someone else's" said once */
        bool refused_logged;            /* "the bus policy refuses us the name" said once */
};

static const char *strna(const char *s) {
        return s ? s : "n/a";
}

static const char *bus_address(void) {
        return bus_connection_address();
}

/* ---- calls: credentials in, the operations layer, typed replies out ---- */

/* The caller's groups as dbus-daemon tells them (UnixGroupIDs: from SO_PEERGROUPS, else the user
 * database, as its own <policy group=...> rules see them). sd-bus's creds do not carry them from
 * dbus-daemon, and guessing them from /proc/PID would race with pid reuse. */
static int caller_groups_from_bus(sd_bus_message *msg, Caller *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(sd_bus_message_get_bus(msg), "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                   "org.freedesktop.DBus", "GetConnectionCredentials", &error, &reply, "s",
                                   sd_bus_message_get_sender(msg));
        sd_bus_error_free(&error);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r > 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key;
                r = sd_bus_message_read(reply, "s", &key);
                if (r >= 0 && streq(key, "UnixGroupIDs")) {
                        r = sd_bus_message_enter_container(reply, 'v', "au");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(reply, 'a', "u");
                        uint32_t g;
                        while (r >= 0 && (r = sd_bus_message_read(reply, "u", &g)) > 0)
                                if (c->n_groups < CALLER_GROUPS_MAX)
                                        c->groups[c->n_groups++] = g;
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else if (r >= 0)
                        r = sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = 1;
        }
        return r < 0 ? r : 0;
}

/* The caller as the bus knows it: effective ids where sd-bus has them, as SO_PEERCRED gives the socket.
 * Asking costs a round trip to dbus-daemon that the event loop waits for (at most
 * BUS_CALL_TIMEOUT_USEC), so it is asked only where the answer matters: read-only operations are
 * open to anyone and go ahead as "anyone". */
static int caller_from_message(Manager *m, sd_bus_message *msg, Op op, Caller *ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        if (op_is_read_only(op)) {
                *ret = (Caller) { .uid = (uid_t) -1, .gid = (gid_t) -1 };
                return 0;
        }
        uint64_t mask = SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID | SD_BUS_CREDS_EGID | SD_BUS_CREDS_GID |
                        SD_BUS_CREDS_PID | SD_BUS_CREDS_SUPPLEMENTARY_GIDS;
        int r = sd_bus_query_sender_creds(msg, mask, &creds);
        if (r < 0)
                return r;

        /* Whatever the bus cannot tell stays "nobody": no privilege is granted on a guess. */
        Caller c = { .uid = (uid_t) -1, .gid = (gid_t) -1, .pid = 0 };
        if (sd_bus_creds_get_euid(creds, &c.uid) < 0 && sd_bus_creds_get_uid(creds, &c.uid) < 0)
                return -ENODATA;
        if (sd_bus_creds_get_egid(creds, &c.gid) < 0)
                (void) sd_bus_creds_get_gid(creds, &c.gid);
        (void) sd_bus_creds_get_pid(creds, &c.pid);
        const gid_t *groups = NULL;
        int n = sd_bus_creds_get_supplementary_gids(creds, &groups);
        for (int i = 0; i < n && c.n_groups < CALLER_GROUPS_MAX; i++)
                c.groups[c.n_groups++] = groups[i];
        /* Groups matter only for a caller other than root while an admin group is set. */
        if (n < 0 && c.uid != 0 && query_admin_gid(m, NULL)) {
                r = caller_groups_from_bus(msg, &c);
                if (r < 0)
                        log_debug_errno(r, "Failed to ask the bus for the groups of %s: %m; treating the caller as in no group",
                                        strna(sd_bus_message_get_sender(msg)));
        }
        log_debug("D-Bus caller %s: uid %d gid %d pid %d, %zu group(s)", strna(sd_bus_message_get_sender(msg)),
                  (int) c.uid, (int) c.gid, (int) c.pid, c.n_groups);
        *ret = c;
        return 0;
}

static const char *error_name(OpsErrorCode code) {
        switch (code) {
        case OPS_ERROR_PERMISSION_DENIED: return SD_BUS_ERROR_ACCESS_DENIED;
        case OPS_ERROR_INVALID_REQUEST: return "org.pressured.oom1.Error.InvalidRequest";
        case OPS_ERROR_NOT_FOUND: return "org.pressured.oom1.Error.NotFound";
        case OPS_ERROR_INVALID_POLICY: return "org.pressured.oom1.Error.InvalidPolicy";
        case OPS_ERROR_TOO_LARGE: return "org.pressured.oom1.Error.TooLarge";
        default: return "org.pressured.oom1.Error.Failed";
        }
}

/* Fills a D-Bus error from an OpsError; returns the negative errno sd-bus wants with it. */
static int set_ops_error(sd_bus_error *error, const OpsError *err) {
        if (err->code == OPS_ERROR_INVALID_POLICY && err->path[0])
                return sd_bus_error_setf(error, error_name(err->code), "%s: %s", err->path, err->message);
        return sd_bus_error_setf(error, error_name(err->code), "%s", err->message);
}

/* The caller of msg, or an error reply saying why it is unknown. */
#define CALLER_OR_FAIL(msg, op, c, error)                                                                \
        do {                                                                                            \
                int _r = caller_from_message(m, (msg), (op), &(c));                                       \
                if (_r < 0)                                                                             \
                        return sd_bus_error_setf((error), "org.pressured.oom1.Error.Failed",              \
                                                 "cannot tell who is calling (%s); try again", strerror(-_r)); \
        } while (0)

static const char *json_string(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        return cJSON_IsString(v) ? v->valuestring : "";
}

static double json_number(const cJSON *o, const char *key, double fallback) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

static uint64_t json_u64(const cJSON *o, const char *key) {
        double d = json_number(o, key, 0);
        return d <= 0 ? 0 : d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t) d;
}

static bool json_bool(const cJSON *o, const char *key) {
        return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* Replies with one JSON document as text. */
static int reply_json(sd_bus_message *msg, const cJSON *doc) {
        _cleanup_free_ char *text = doc ? json_print_utf8(doc, false) : NULL;
        if (!text)
                return -ENOMEM;
        return sd_bus_reply_method_return(msg, "s", text);
}

static int method_get_status(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Caller c;
        OpsError err;
        CALLER_OR_FAIL(msg, OP_STATUS, c, error);
        _cleanup_(cJSON_Deletep) cJSON *o = ops_status(m, &c, &err);
        if (!o)
                return set_ops_error(error, &err);
        return reply_json(msg, o);
}

static int method_list_cgroups(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Caller c;
        OpsError err;
        CALLER_OR_FAIL(msg, OP_STATUS, c, error);
        if (!ops_authorize(m, &c, OP_STATUS, &err))
                return set_ops_error(error, &err);

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sostd)");
        size_t n = 0;
        const LevelEntry *e = query_levels(m) ? level_tracker_entries(query_levels(m), &n) : NULL;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const CGroupSample *s = e[i].sample;
                _cleanup_free_ char *object = NULL, *buf = NULL;
                r = bus_cgroup_object_path(e[i].path, &object);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "(sostd)", utf8_valid_or_copy(e[i].path, &buf), object, pressure_level_to_string(e[i].level),
                                                  s->fields & CG_MEMORY_CURRENT ? s->memory_current : UINT64_MAX,
                                                  (s->fields & CG_MEMORY_PSI) && s->mem_psi.full.valid ? s->mem_psi.full.avg10 : -1.0);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_cgroup(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *path;
        Caller c;
        OpsError err;
        int r = sd_bus_message_read(msg, "s", &path);
        if (r < 0)
                return r;
        CALLER_OR_FAIL(msg, OP_STATUS, c, error);
        if (!ops_authorize(m, &c, OP_STATUS, &err))
                return set_ops_error(error, &err);
        if (!query_levels(m) || !level_tracker_find(query_levels(m), path))
                return sd_bus_error_setf(error, error_name(OPS_ERROR_NOT_FOUND),
                                         "cgroup %s is not monitored: it does not exist, or the policy reads no cgroup "
                                         "there; ListCGroups (or 'oomctl status') lists the monitored ones", path);
        _cleanup_free_ char *object = NULL;
        r = bus_cgroup_object_path(path, &object);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "o", object);
}

static int method_kill(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *target, *reason;
        int dry_run;
        Caller c;
        OpsError err;
        int r = sd_bus_message_read(msg, "ssb", &target, &reason, &dry_run);
        if (r < 0)
                return r;
        CALLER_OR_FAIL(msg, OP_KILL, c, error);
        _cleanup_(cJSON_Deletep) cJSON *o = ops_kill(m, &c, target, reason, dry_run, &err);
        if (!o)
                return set_ops_error(error, &err);

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *buf = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "su", utf8_valid_or_copy(json_string(o, "cgroup"), &buf),
                                          (uint32_t) json_u64(o, "killed"));
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "u");
        const cJSON *pids = cJSON_GetObjectItemCaseSensitive(o, "pids"), *p;
        cJSON_ArrayForEach(p, pids)
                if (r >= 0 && cJSON_IsNumber(p))
                        r = sd_bus_message_append(reply, "u", (uint32_t) p->valuedouble);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "sb", json_string(o, "method"), json_bool(o, "dry_run"));
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Caller c;
        OpsError err;
        CALLER_OR_FAIL(msg, OP_POLICY_GET, c, error);
        _cleanup_(cJSON_Deletep) cJSON *o = ops_policy_get(m, &c, &err);
        if (!o)
                return set_ops_error(error, &err);
        return reply_json(msg, cJSON_GetObjectItemCaseSensitive(o, "policy"));
}

/* The reply of every policy change: where the running policy now comes from. */
static int reply_source(sd_bus_message *msg, cJSON *o, const OpsError *err, sd_bus_error *error) {
        if (!o)
                return set_ops_error(error, err);
        int r = sd_bus_reply_method_return(msg, "s", json_string(o, "policy_source"));
        cJSON_Delete(o);
        return r;
}

static int method_set_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *text;
        int persist;
        Caller c;
        OpsError err;
        int r = sd_bus_message_read(msg, "sb", &text, &persist);
        if (r < 0)
                return r;
        CALLER_OR_FAIL(msg, OP_POLICY_SET, c, error);
        /* Who may ask comes before what was asked: a refused caller learns nothing about the document. */
        if (!ops_authorize(m, &c, OP_POLICY_SET, &err))
                return set_ops_error(error, &err);
        /* before cJSON, which would cut a string at \u0000 and let the rest of it go unchecked */
        char why[512];
        if (json_text_check(text, strlen(text), why, sizeof why) < 0)
                return sd_bus_error_setf(error, error_name(OPS_ERROR_INVALID_POLICY),
                                         "%s; the running policy is unchanged", why);
        _cleanup_(cJSON_Deletep) cJSON *doc = cJSON_Parse(text);
        if (!doc) {
                const char *at = cJSON_GetErrorPtr();
                return sd_bus_error_setf(error, error_name(OPS_ERROR_INVALID_POLICY),
                                         "the policy is not valid JSON (near byte %zu: \"%.20s\"); the running policy is "
                                         "unchanged. Check the file with 'pressured --check-config FILE'",
                                         at && at >= text ? (size_t) (at - text) : (size_t) 0, at ? at : "");
        }
        return reply_source(msg, ops_policy_set(m, &c, doc, persist, &err), &err, error);
}

/* SetPolicy with the document in a sealed memfd: any policy up to POLICY_MAX_BYTES, whatever the
 * bus's message limits. The caller is authorized before the descriptor is read (ops_policy_set_fd). */
static int method_set_policy_from_fd(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int fd, persist;
        Caller c;
        OpsError err;
        int r = sd_bus_message_read(msg, "hb", &fd, &persist); /* fd stays the message's */
        if (r < 0)
                return r;
        CALLER_OR_FAIL(msg, OP_POLICY_SET, c, error);
        return reply_source(msg, ops_policy_set_fd(m, &c, fd, persist, &err), &err, error);
}

static int method_reload_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Caller c;
        OpsError err;
        CALLER_OR_FAIL(msg, OP_POLICY_RELOAD, c, error);
        return reply_source(msg, ops_policy_reload(m, &c, &err), &err, error);
}

static int method_revert_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int persist;
        Caller c;
        OpsError err;
        int r = sd_bus_message_read(msg, "b", &persist);
        if (r < 0)
                return r;
        CALLER_OR_FAIL(msg, OP_POLICY_REVERT, c, error);
        _cleanup_(cJSON_Deletep) cJSON *o = ops_policy_revert(m, &c, persist, &err);
        if (!o)
                return set_ops_error(error, &err);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", json_string(o, "policy_source"));
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "s");
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(o, "removed"))
                if (r >= 0 && cJSON_IsString(f))
                        r = sd_bus_message_append(reply, "s", f->valuestring);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_get_policy_sources(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Caller c;
        OpsError err;
        CALLER_OR_FAIL(msg, OP_POLICY_GET, c, error);
        _cleanup_(cJSON_Deletep) cJSON *o = ops_policy_get(m, &c, &err);
        if (!o)
                return set_ops_error(error, &err);
        return reply_json(msg, cJSON_GetObjectItemCaseSensitive(o, "sources"));
}

static int method_get_kill_list(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Caller c;
        OpsError err;
        CALLER_OR_FAIL(msg, OP_KILL_LIST, c, error);
        _cleanup_(cJSON_Deletep) cJSON *o = ops_kill_list(m, &c, &err);
        if (!o)
                return set_ops_error(error, &err);

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssd)");
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "entries")) {
                const cJSON *mem = cJSON_GetObjectItemCaseSensitive(e, "min_memory");
                char membuf[32] = "";
                if (cJSON_IsString(mem))
                        snprintf(membuf, sizeof membuf, "%s", mem->valuestring);
                else if (cJSON_IsNumber(mem)) /* a byte count written as a number */
                        snprintf(membuf, sizeof membuf, "%.0f", mem->valuedouble);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "(ssd)", json_string(e, "pattern"), membuf,
                                                  json_number(e, "min_pressure", -1));
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_add_kill_list_entry(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *pattern, *min_memory;
        double min_pressure;
        int32_t position;
        int persist;
        Caller c;
        OpsError err;
        int r = sd_bus_message_read(msg, "ssdib", &pattern, &min_memory, &min_pressure, &position, &persist);
        if (r < 0)
                return r;
        CALLER_OR_FAIL(msg, OP_KILL_LIST_ADD, c, error);
        return reply_source(msg, ops_kill_list_add(m, &c, pattern, min_memory[0] ? min_memory : NULL, min_pressure,
                                                   position, persist, &err), &err, error);
}

static int method_remove_kill_list_entry(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint32_t index;
        int persist;
        Caller c;
        OpsError err;
        int r = sd_bus_message_read(msg, "ub", &index, &persist);
        if (r < 0)
                return r;
        CALLER_OR_FAIL(msg, OP_KILL_LIST_REMOVE, c, error);
        return reply_source(msg, ops_kill_list_remove(m, &c, index, persist, &err), &err, error);
}

static int method_move_kill_list_entry(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint32_t from, to;
        int persist;
        Caller c;
        OpsError err;
        int r = sd_bus_message_read(msg, "uub", &from, &to, &persist);
        if (r < 0)
                return r;
        CALLER_OR_FAIL(msg, OP_KILL_LIST_MOVE, c, error);
        return reply_source(msg, ops_kill_list_move(m, &c, from, to, persist, &err), &err, error);
}

static int method_list_kills(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint64_t since;
        Caller c;
        OpsError err;
        int r = sd_bus_message_read(msg, "t", &since);
        if (r < 0)
                return r;
        CALLER_OR_FAIL(msg, OP_HISTORY, c, error);
        _cleanup_(cJSON_Deletep) cJSON *o = ops_history(m, &c, since, &err);
        if (!o)
                return set_ops_error(error, &err);
        return reply_json(msg, cJSON_GetObjectItemCaseSensitive(o, "kills"));
}

/* A sealed memfd holding text: the reader gets a file it can neither change nor see change. */
static int memfd_with_text(const char *text) {
        _cleanup_close_ int fd = memfd_create("pressured-dump", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        size_t len = strlen(text);
        for (size_t done = 0; done < len;) {
                ssize_t k = write(fd, text + done, len - done);
                if (k < 0)
                        return -errno;
                done += (size_t) k;
        }
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0 ||
            lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        return TAKE_FD(fd);
}

static int method_dump(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Caller c;
        OpsError err;
        CALLER_OR_FAIL(msg, OP_DUMP, c, error);
        _cleanup_(cJSON_Deletep) cJSON *o = ops_dump(m, &c, &err);
        if (!o)
                return set_ops_error(error, &err);
        _cleanup_close_ int fd = memfd_with_text(json_string(o, "text"));
        if (fd < 0)
                return sd_bus_error_setf(error, error_name(OPS_ERROR_FAILED), "cannot create the memfd for the dump: %s",
                                         strerror(-fd));
        return sd_bus_reply_method_return(msg, "h", fd); /* sd-bus sends a duplicate; ours closes here */
}

/* ---- Manager properties ---- */

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const MemInfo *mi = &query_last_system(m)->meminfo;
        const PsiStats *psi = &query_last_system(m)->mem_psi;

        if (streq(property, "Version"))
                return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
        if (streq(property, "Mode"))
                return sd_bus_message_append(reply, "s", query_mode_name(m));
        if (streq(property, "ModeReason"))
                return sd_bus_message_append(reply, "s", query_mode_reason(m) ? query_mode_reason(m) : "");
        if (streq(property, "Wakeups"))
                return sd_bus_message_append(reply, "s", query_psi_triggers_available(m) ? "psi-triggers" : "polling");
        if (streq(property, "PolicySource"))
                return sd_bus_message_append(reply, "s", query_policy_description(m) ? query_policy_description(m) : "");
        if (streq(property, "DryRun"))
                return sd_bus_message_append(reply, "b", query_policy(m)->dry_run);
        if (streq(property, "MemoryTotal"))
                return sd_bus_message_append(reply, "t", mi->valid ? mi->mem_total : UINT64_MAX);
        if (streq(property, "MemoryAvailable"))
                return sd_bus_message_append(reply, "t", mi->valid ? mi->mem_available : UINT64_MAX);
        if (streq(property, "SwapTotal"))
                return sd_bus_message_append(reply, "t", mi->valid ? mi->swap_total : UINT64_MAX);
        if (streq(property, "SwapFree"))
                return sd_bus_message_append(reply, "t", mi->valid ? mi->swap_free : UINT64_MAX);
        if (streq(property, "MemoryPressureSome"))
                return sd_bus_message_append(reply, "d", psi->some.valid ? psi->some.avg10 : -1.0);
        if (streq(property, "MemoryPressureFull"))
                return sd_bus_message_append(reply, "d", psi->full.valid ? psi->full.avg10 : -1.0);
        if (streq(property, "PressureLevel"))
                return sd_bus_message_append(reply, "s", pressure_level_to_string(query_levels(m) ? level_tracker_system_level(query_levels(m))
                                                                                             : PRESSURE_LEVEL_UNKNOWN));
        if (streq(property, "KillCount"))
                return sd_bus_message_append(reply, "t", query_kill_count(m));
        return -EINVAL;
}

/* DryRun is set through the operations layer with the setter's credentials, like every privileged op. */
static int property_set_dry_run(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *value, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Caller c;
        OpsError err;
        int b;
        int r = sd_bus_message_read(value, "b", &b);
        if (r < 0)
                return r;
        CALLER_OR_FAIL(sd_bus_get_current_message(bus), OP_SET_DRY_RUN, c, error);
        _cleanup_(cJSON_Deletep) cJSON *o = ops_set_dry_run(m, &c, b, &err);
        if (!o)
                return set_ops_error(error, &err);
        return 0;
}

/* Every member is UNPRIVILEGED for sd-bus (which would demand CAP_SYS_ADMIN otherwise): the
 * operations layer decides, so the policy's admin_group works on the bus as on the socket. */
#define OPEN SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("GetStatus", "", "", "s", SD_BUS_PARAM(status_json), method_get_status, OPEN),
        SD_BUS_METHOD_WITH_NAMES("ListCGroups", "", "", "a(sostd)", SD_BUS_PARAM(cgroups), method_list_cgroups, OPEN),
        SD_BUS_METHOD_WITH_NAMES("GetCGroup", "s", SD_BUS_PARAM(path), "o", SD_BUS_PARAM(object), method_get_cgroup, OPEN),
        SD_BUS_METHOD_WITH_NAMES("Kill", "ssb", SD_BUS_PARAM(target) SD_BUS_PARAM(reason) SD_BUS_PARAM(dry_run),
                                 "suausb", SD_BUS_PARAM(cgroup) SD_BUS_PARAM(processes_killed) SD_BUS_PARAM(pids)
                                 SD_BUS_PARAM(method) SD_BUS_PARAM(was_dry_run), method_kill, OPEN),
        SD_BUS_METHOD_WITH_NAMES("GetPolicy", "", "", "s", SD_BUS_PARAM(policy_json), method_get_policy, OPEN),
        SD_BUS_METHOD_WITH_NAMES("SetPolicy", "sb", SD_BUS_PARAM(policy_json) SD_BUS_PARAM(persist),
                                 "s", SD_BUS_PARAM(source), method_set_policy, OPEN),
        SD_BUS_METHOD_WITH_NAMES("SetPolicyFromFd", "hb", SD_BUS_PARAM(policy_fd) SD_BUS_PARAM(persist),
                                 "s", SD_BUS_PARAM(source), method_set_policy_from_fd, OPEN),
        SD_BUS_METHOD_WITH_NAMES("ReloadPolicy", "", "", "s", SD_BUS_PARAM(source), method_reload_policy, OPEN),
        SD_BUS_METHOD_WITH_NAMES("RevertPolicy", "b", SD_BUS_PARAM(persist), "sas", SD_BUS_PARAM(source) SD_BUS_PARAM(removed),
                                 method_revert_policy, OPEN),
        SD_BUS_METHOD_WITH_NAMES("GetPolicySources", "", "", "s", SD_BUS_PARAM(sources_json), method_get_policy_sources, OPEN),
        SD_BUS_METHOD_WITH_NAMES("GetKillList", "", "", "a(ssd)", SD_BUS_PARAM(entries), method_get_kill_list, OPEN),
        SD_BUS_METHOD_WITH_NAMES("AddKillListEntry", "ssdib",
                                 SD_BUS_PARAM(pattern) SD_BUS_PARAM(min_memory) SD_BUS_PARAM(min_pressure)
                                 SD_BUS_PARAM(position) SD_BUS_PARAM(persist),
                                 "s", SD_BUS_PARAM(source), method_add_kill_list_entry, OPEN),
        SD_BUS_METHOD_WITH_NAMES("RemoveKillListEntry", "ub", SD_BUS_PARAM(index) SD_BUS_PARAM(persist),
                                 "s", SD_BUS_PARAM(source), method_remove_kill_list_entry, OPEN),
        SD_BUS_METHOD_WITH_NAMES("MoveKillListEntry", "uub", SD_BUS_PARAM(from) SD_BUS_PARAM(to) SD_BUS_PARAM(persist),
                                 "s", SD_BUS_PARAM(source), method_move_kill_list_entry, OPEN),
        SD_BUS_METHOD_WITH_NAMES("ListKills", "t", SD_BUS_PARAM(since_usec), "s", SD_BUS_PARAM(kills_json),
                                 method_list_kills, OPEN),
        SD_BUS_METHOD_WITH_NAMES("Dump", "", "", "h", SD_BUS_PARAM(fd), method_dump, OPEN),

        SD_BUS_SIGNAL_WITH_NAMES("KillPending", "sssstdbt",
                                 SD_BUS_PARAM(cgroup) SD_BUS_PARAM(unit) SD_BUS_PARAM(ruleset) SD_BUS_PARAM(reason)
                                 SD_BUS_PARAM(memory_bytes) SD_BUS_PARAM(pressure) SD_BUS_PARAM(dry_run)
                                 SD_BUS_PARAM(prekill_timeout_usec), 0),
        SD_BUS_SIGNAL_WITH_NAMES("KillCancelled", "sssss",
                                 SD_BUS_PARAM(cgroup) SD_BUS_PARAM(unit) SD_BUS_PARAM(ruleset) SD_BUS_PARAM(reason)
                                 SD_BUS_PARAM(verdict), 0),
        SD_BUS_SIGNAL_WITH_NAMES("Killed", "sssssuttdb",
                                 SD_BUS_PARAM(cgroup) SD_BUS_PARAM(unit) SD_BUS_PARAM(ruleset) SD_BUS_PARAM(reason)
                                 SD_BUS_PARAM(method) SD_BUS_PARAM(processes_killed) SD_BUS_PARAM(memory_bytes)
                                 SD_BUS_PARAM(freed_bytes) SD_BUS_PARAM(pressure) SD_BUS_PARAM(dry_run), 0),
        SD_BUS_SIGNAL_WITH_NAMES("PressureChanged", "sssd",
                                 SD_BUS_PARAM(cgroup) SD_BUS_PARAM(level) SD_BUS_PARAM(previous_level) SD_BUS_PARAM(pressure), 0),
        SD_BUS_SIGNAL_WITH_NAMES("PressureRecovered", "sst",
                                 SD_BUS_PARAM(cgroup) SD_BUS_PARAM(worst_level) SD_BUS_PARAM(duration_usec), 0),
        SD_BUS_SIGNAL_WITH_NAMES("PolicyChanged", "suub",
                                 SD_BUS_PARAM(source) SD_BUS_PARAM(rulesets) SD_BUS_PARAM(kill_list_entries)
                                 SD_BUS_PARAM(dry_run), 0),

        SD_BUS_PROPERTY("Version", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Mode", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ModeReason", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Wakeups", "s", property_get, 0, 0),
        SD_BUS_PROPERTY("PolicySource", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_WRITABLE_PROPERTY("DryRun", "b", property_get, property_set_dry_run, 0,
                                 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE | OPEN),
        SD_BUS_PROPERTY("MemoryTotal", "t", property_get, 0, 0),
        SD_BUS_PROPERTY("MemoryAvailable", "t", property_get, 0, 0),
        SD_BUS_PROPERTY("SwapTotal", "t", property_get, 0, 0),
        SD_BUS_PROPERTY("SwapFree", "t", property_get, 0, 0),
        SD_BUS_PROPERTY("MemoryPressureSome", "d", property_get, 0, 0),
        SD_BUS_PROPERTY("MemoryPressureFull", "d", property_get, 0, 0),
        SD_BUS_PROPERTY("PressureLevel", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("KillCount", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

/* dbus/org.freedesktop.LowMemoryMonitor.xml: what GLib's GMemoryMonitor and the portal listen to. */
static const sd_bus_vtable lmm_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_SIGNAL_WITH_NAMES("LowMemoryWarning", "y", SD_BUS_PARAM(level), 0),
        SD_BUS_VTABLE_END,
};

/* ---- events to signals ---- */

static void emit_manager_changed(BusManager *b, const char *property, const char *property2) {
        sd_bus *bus = bus_connection_get(b->connection);
        int r = sd_bus_emit_properties_changed(bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, property, property2, NULL);
        if (r < 0)
                log_debug_errno(r, "Failed to send PropertiesChanged(%s) on %s: %m", property, BUS_MANAGER_PATH);
}

/* D-Bus strings must be valid UTF-8 and a cgroup's or a process's name may not be: the signals
 * carry U+FFFD for such bytes, as the socket's events do; the lookups use the real name. */
#define V(s, buf) utf8_valid_or_copy((s), (buf))

void bus_manager_emit_event(BusManager *b, const Event *e) {
        sd_bus *bus = b ? bus_connection_get(b->connection) : NULL;
        if (!bus || !e)
                return;
        _cleanup_free_ char *b1 = NULL, *b2 = NULL, *b3 = NULL, *b4 = NULL, *b5 = NULL;
        const LevelTracker *levels = query_levels(b->manager);
        const char *name = event_kind_to_string(e->kind);
        int r = 0;

        switch (e->kind) {
        case EVENT_KILL_PENDING:
                r = sd_bus_emit_signal(bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, name, "sssstdbt",
                                       V(e->kill_pending.cgroup, &b1), V(e->kill_pending.unit, &b2),
                                       V(e->kill_pending.ruleset, &b3), V(e->kill_pending.reason, &b4),
                                       e->kill_pending.memory_bytes, e->kill_pending.pressure, e->kill_pending.dry_run,
                                       e->kill_pending.prekill_timeout_usec);
                break;
        case EVENT_KILL_CANCELLED:
                r = sd_bus_emit_signal(bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, name, "sssss",
                                       V(e->kill_cancelled.cgroup, &b1), V(e->kill_cancelled.unit, &b2),
                                       V(e->kill_cancelled.ruleset, &b3), V(e->kill_cancelled.reason, &b4),
                                       prekill_verdict_to_string(e->kill_cancelled.verdict));
                break;
        case EVENT_KILLED:
                r = sd_bus_emit_signal(bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, name, "sssssuttdb",
                                       V(e->killed.cgroup, &b1), V(e->killed.unit, &b2), V(e->killed.ruleset, &b3),
                                       V(e->killed.reason, &b4), V(e->killed.method, &b5), (uint32_t) e->killed.killed,
                                       e->killed.memory_bytes, e->killed.freed_bytes, e->killed.pressure,
                                       e->killed.dry_run);
                if (!e->killed.dry_run) { /* the manager counted it before publishing */
                        emit_manager_changed(b, "KillCount", NULL);
                        if (levels && level_tracker_find(levels, e->killed.cgroup))
                                bus_cgroup_emit_changed(bus, e->killed.cgroup, "KillCount");
                }
                break;
        case EVENT_POLICY_CHANGED:
                r = sd_bus_emit_signal(bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, name, "suub",
                                       V(e->policy_changed.source, &b1), (uint32_t) e->policy_changed.rulesets,
                                       (uint32_t) e->policy_changed.kill_list_entries, e->policy_changed.dry_run);
                emit_manager_changed(b, "PolicySource", "DryRun");
                break;
        case EVENT_PRESSURE_CHANGED:
                r = sd_bus_emit_signal(bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, name, "sssd",
                                       V(e->pressure_changed.cgroup, &b1),
                                       pressure_level_to_string(e->pressure_changed.level),
                                       pressure_level_to_string(e->pressure_changed.previous),
                                       e->pressure_changed.pressure);
                if (streq(e->pressure_changed.cgroup, "/"))
                        emit_manager_changed(b, "PressureLevel", NULL);
                else
                        bus_cgroup_emit_changed(bus, e->pressure_changed.cgroup, "Level");
                break;
        case EVENT_PRESSURE_RECOVERED:
                r = sd_bus_emit_signal(bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, name, "sst",
                                       V(e->pressure_recovered.cgroup, &b1),
                                       pressure_level_to_string(e->pressure_recovered.worst),
                                       e->pressure_recovered.duration_usec);
                break;
        case EVENT_LOW_MEMORY_WARNING:
                if (b->have_lmm)
                        r = sd_bus_emit_signal(bus, BUS_LMM_PATH, BUS_LMM_NAME, "LowMemoryWarning", "y",
                                               pressure_level_to_lmm(e->low_memory.level));
                break;
        case EVENT_CGROUP_ADDED:
                bus_cgroup_emit_added(bus, &b->cgroups, e->cgroup.cgroup);
                break;
        case EVENT_CGROUP_REMOVED:
                bus_cgroup_emit_removed(bus, &b->cgroups, e->cgroup.cgroup);
                break;
        default:
                break;
        }
        if (r < 0)
                log_debug_errno(r, "Failed to send the %s signal: %m", name);
}
#undef V

/* ---- the connection ---- */

/* The connection drops the bus `delay` from now and connects again, registering us anew. */
static void bus_schedule_reconnect(BusManager *b, usec_t delay) {
        bus_connection_reconnect(b->connection, delay);
}

/* Says once that the bus is gone and what still works; the reconnect timer does the rest. */
static void bus_lost(BusManager *b, const char *why) {
        if (!b->lost)
                log_warning("Lost the system bus at %s (%s): the D-Bus API is off, the control socket still serves; "
                            "reconnecting every %" PRIu64 " s", bus_address(), why, (uint64_t) (BUS_RECONNECT_USEC / USEC_PER_SEC));
        b->lost = true;
        b->have_name = b->have_lmm = false;
        bus_schedule_reconnect(b, 0); /* drops the connection outside its own callback */
}

static int on_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        bus_lost(userdata, "disconnected");
        return 0;
}

static int on_name_lost(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *b = userdata;
        const char *name;
        if (sd_bus_message_read(msg, "s", &name) < 0)
                return 0;
        if (streq(name, BUS_SERVICE_NAME))
                bus_lost(b, "the bus took the name " BUS_SERVICE_NAME " away");
        else if (streq(name, BUS_LMM_NAME)) {
                log_info("Lost the name " BUS_LMM_NAME ": LowMemoryWarning is no longer sent by pressured");
                b->have_lmm = false;
        }
        return 0;
}

static int on_name_acquired(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *b = userdata;
        const char *name;
        if (sd_bus_message_read(msg, "s", &name) < 0 || !streq(name, BUS_SERVICE_NAME) || b->have_name)
                return 0;
        b->have_name = true;
        /* Also arrives just before the RequestName reply; news only when we were queued behind another owner. */
        if (b->queued_logged)
                log_notice("Now the owner of " BUS_SERVICE_NAME " on the system bus (the previous owner left): "
                           "the D-Bus API is served by this pressured");
        b->queued_logged = false;
        return 0;
}

static int on_request_name(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        BusManager *b = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        uint32_t result = 0;

        if (e && !sd_bus_error_has_names(e, SD_BUS_ERROR_ACCESS_DENIED, SD_BUS_ERROR_NOT_SUPPORTED,
                                         SD_BUS_ERROR_INVALID_ARGS)) {
                /* No answer at all (the connection died on the way): the disconnect handling says so. */
                log_debug("No answer to the request for " BUS_SERVICE_NAME " (%s: %s); retrying", e->name, strna(e->message));
                bus_schedule_reconnect(b, BUS_RECONNECT_USEC);
                return 0;
        }
        if (e) {
                if (!b->refused_logged)
                        log_warning("The system bus refused the name " BUS_SERVICE_NAME " (%s: %s): the D-Bus API is off, the "
                                    "control socket still serves. Is org.pressured.oom1.conf installed in "
                                    "/usr/share/dbus-1/system.d? Reload dbus after installing it; retrying every %" PRIu64 " s",
                                    e->name, e->message, (uint64_t) (BUS_RECONNECT_USEC / USEC_PER_SEC));
                b->refused_logged = true;
                b->lost = true;
                bus_schedule_reconnect(b, BUS_RECONNECT_USEC);
                return 0;
        }
        (void) sd_bus_message_read(reply, "u", &result);
        if (result == 1 || result == 4) { /* primary owner, or already were */
                b->have_name = true;
                b->queued_logged = b->refused_logged = false;
                if (b->lost)
                        log_notice("Back on the system bus at %s as " BUS_SERVICE_NAME ": the D-Bus API is on again", bus_address());
                else
                        log_info("On the system bus at %s as " BUS_SERVICE_NAME, bus_address());
                b->lost = false;
        } else if (!b->queued_logged) {
                b->queued_logged = true;
                log_warning("Another process owns " BUS_SERVICE_NAME " on the system bus (another pressured?): D-Bus "
                            "calls go to it. This pressured waits in the queue and takes the name when it leaves; "
                            "'busctl status " BUS_SERVICE_NAME "' shows the owner");
        }
        return 0;
}

static int on_request_lmm(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        BusManager *b = userdata;
        uint32_t result = 0;

        if (sd_bus_message_is_method_error(reply, NULL) &&
            !sd_bus_message_is_method_error(reply, SD_BUS_ERROR_ACCESS_DENIED))
                return 0; /* no answer (the connection died): asked again on the next connection */
        if (!sd_bus_message_is_method_error(reply, NULL))
                (void) sd_bus_message_read(reply, "u", &result);
        if (result == 1 || result == 4) {
                b->have_lmm = true;
                log_info("Owning " BUS_LMM_NAME ": desktop applications get LowMemoryWarning from pressured");
                return 0;
        }
        b->have_lmm = false;
        if (!b->lmm_logged)
                log_info(BUS_LMM_NAME " is %s: LowMemoryWarning is left to %s",
                         sd_bus_message_is_method_error(reply, NULL) ? "not ours to take (bus policy)" : "owned by another process",
                         sd_bus_message_is_method_error(reply, NULL) ? "whoever may own it" : "that owner (low-memory-monitor?)");
        b->lmm_logged = true;
        return 0;
}

/* The connection's setup: registers every object and asks for the names on a new connection. The
 * answers arrive later. */
static int bus_setup(sd_bus *bus, void *userdata) {
        BusManager *b = userdata;
        const char *step = "register " BUS_MANAGER_PATH;
        int r = 0;

        b->have_name = b->have_lmm = false;
#define STEP(what, call)                \
        if (r >= 0) {                   \
                step = (what);          \
                r = (call);             \
        }
        STEP("register " BUS_MANAGER_PATH,
             sd_bus_add_object_vtable(bus, NULL, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, manager_vtable, b->manager));
        STEP("register the object manager", sd_bus_add_object_manager(bus, NULL, BUS_MANAGER_PATH));
        STEP("register the cgroup objects", bus_cgroup_register(bus, &b->cgroups));
        STEP("register " BUS_LMM_PATH, sd_bus_add_object_vtable(bus, NULL, BUS_LMM_PATH, BUS_LMM_NAME, lmm_vtable, b));
        STEP("watch for Disconnected",
             sd_bus_match_signal_async(bus, NULL, NULL, "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
                                       "Disconnected", on_disconnected, NULL, b));
        STEP("watch for NameLost",
             sd_bus_match_signal_async(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameLost", on_name_lost, NULL, b));
        STEP("watch for NameAcquired",
             sd_bus_match_signal_async(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameAcquired", on_name_acquired, NULL, b));
        STEP("request " BUS_SERVICE_NAME,
             sd_bus_request_name_async(bus, NULL, BUS_SERVICE_NAME, SD_BUS_NAME_QUEUE, on_request_name, b));
        STEP("request " BUS_LMM_NAME, sd_bus_request_name_async(bus, NULL, BUS_LMM_NAME, 0, on_request_lmm, b));
#undef STEP
        if (r < 0)
                return log_debug_errno(r, "Failed to %s on the system bus: %m", step);
        return 0;
}

void bus_manager_on_event(const Event *e, void *userdata) {
        bus_manager_emit_event(userdata, e);
}

int bus_manager_new(Manager *m, BusConnection *connection, BusManager **ret) {
        BusManager *b = calloc(1, sizeof *b);
        if (!b)
                return log_oom();
        b->manager = m;
        b->connection = connection;
        b->cgroups.manager = m;

        bus_connection_set_setup(connection, bus_setup, b);
        int r = bus_connection_start(connection);
        if (r < 0) {
                log_notice_errno(r, "No system bus at %s (%m): D-Bus API off, control socket at %s/control.sock still "
                                 "serves; retrying every %" PRIu64 " s", bus_address(), query_config(m)->runtime_dir,
                                 (uint64_t) (BUS_RECONNECT_USEC / USEC_PER_SEC));
                b->lost = true;
        }
        *ret = b;
        return 0;
}

BusManager *bus_manager_free(BusManager *b) {
        if (!b)
                return NULL;
        /* The connection outlives us (the manager's); no setup may call into a freed service. */
        bus_connection_set_setup(b->connection, NULL, NULL);
        free(b);
        return NULL;
}
