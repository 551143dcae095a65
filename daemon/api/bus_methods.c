/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "config.h"
#include "policy/json_text.h"
#include "policy/macro.h"
#include "policy/protocol.h"
#include "policy/utf8.h"
#include "api/bus_cgroup.h"
#include "api/bus_methods.h"
#include "util/log.h"
#include "core/query.h"
#include "api/op_table.h"
#include "api/operations.h"
#include "core/level_tracker.h"

DEFINE_POINTER_CLEANUP(cJSON, cJSON_Delete);

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
        case OPS_ERROR_INVALID_REQUEST: return PROTOCOL_BUS_ERROR_PREFIX "InvalidRequest";
        case OPS_ERROR_NOT_FOUND: return PROTOCOL_BUS_ERROR_PREFIX "NotFound";
        case OPS_ERROR_INVALID_POLICY: return PROTOCOL_BUS_ERROR_PREFIX "InvalidPolicy";
        case OPS_ERROR_TOO_LARGE: return PROTOCOL_BUS_ERROR_PREFIX "TooLarge";
        default: return PROTOCOL_BUS_ERROR_PREFIX "Failed";
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
                        return sd_bus_error_setf((error), PROTOCOL_BUS_ERROR_PREFIX "Failed",              \
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

/* One operation through the op table for the caller of msg: op_dispatch() authorizes it. Returns the
 * result, or NULL with *error filled (and *ret_r the negative errno sd-bus wants with it). */
static cJSON *run_op(Manager *m, sd_bus_message *msg, Op op, OpArgs *a, sd_bus_error *error, int *ret_r) {
        Caller c;
        OpsError err;
        int r = caller_from_message(m, msg, op, &c);
        if (r < 0) {
                *ret_r = sd_bus_error_setf(error, PROTOCOL_BUS_ERROR_PREFIX "Failed", "cannot tell who is calling (%s); try again",
                                           strerror(-r));
                return NULL;
        }
        cJSON *o = op_dispatch(m, &c, op, NULL, a, &err);
        if (!o)
                *ret_r = set_ops_error(error, &err);
        return o;
}

/* run_op() for an operation that takes no argument. */
#define RUN(op, o)                                                             \
        OpArgs _a;                                                             \
        int _r = 0;                                                            \
        op_args_init(&_a);                                                     \
        _cleanup_(cJSON_Deletep) cJSON *o = run_op(m, msg, (op), &_a, error, &_r); \
        if (!o)                                                                \
                return _r

static int method_get_status(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        RUN(OP_STATUS, o);
        return reply_json(msg, o);
}

static int method_list_cgroups(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Caller c;
        OpsError err;
        CALLER_OR_FAIL(msg, OP_STATUS, c, error);
        if (!op_admit(m, &c, OP_STATUS, &err))
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
        if (!op_admit(m, &c, OP_STATUS, &err))
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
        OpArgs a;
        int dry_run;
        op_args_init(&a);
        int r = sd_bus_message_read(msg, "ssb", &a.target, &a.reason, &dry_run);
        if (r < 0)
                return r;
        a.dry_run = dry_run;
        _cleanup_(cJSON_Deletep) cJSON *o = run_op(m, msg, OP_KILL, &a, error, &r);
        if (!o)
                return r;

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
        RUN(OP_POLICY_GET, o);
        return reply_json(msg, cJSON_GetObjectItemCaseSensitive(o, "policy"));
}

/* Runs a policy change and replies what every one replies: where the running policy now comes from. */
static int reply_source(Manager *m, sd_bus_message *msg, Op op, OpArgs *a, sd_bus_error *error) {
        int r = 0;
        _cleanup_(cJSON_Deletep) cJSON *o = run_op(m, msg, op, a, error, &r);
        if (!o)
                return r;
        return sd_bus_reply_method_return(msg, "s", json_string(o, "policy_source"));
}

static int method_set_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        OpArgs a;
        int persist;
        op_args_init(&a);
        int r = sd_bus_message_read(msg, "sb", &a.policy_text, &persist);
        if (r < 0)
                return r;
        a.persist = persist;
        /* Who may ask comes before what was asked (op_dispatch): a refused caller learns nothing about the document. */
        return reply_source(m, msg, OP_POLICY_SET, &a, error);
}

/* SetPolicy with the document in a sealed memfd: any policy up to POLICY_MAX_BYTES, whatever the
 * bus's message limits. The caller is authorized (op_dispatch) before the descriptor is read. */
static int method_set_policy_from_fd(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        OpArgs a;
        int persist;
        op_args_init(&a);
        int r = sd_bus_message_read(msg, "hb", &a.fd, &persist); /* fd stays the message's */
        if (r < 0)
                return r;
        a.persist = persist;
        a.policy_fd = true;
        a.fd_state = OP_FD_ONE;
        return reply_source(m, msg, OP_POLICY_SET, &a, error);
}

static int method_reload_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        OpArgs a;
        op_args_init(&a);
        return reply_source(userdata, msg, OP_POLICY_RELOAD, &a, error);
}

static int method_revert_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        OpArgs a;
        int persist;
        op_args_init(&a);
        int r = sd_bus_message_read(msg, "b", &persist);
        if (r < 0)
                return r;
        a.persist = persist;
        _cleanup_(cJSON_Deletep) cJSON *o = run_op(m, msg, OP_POLICY_REVERT, &a, error, &r);
        if (!o)
                return r;
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
        RUN(OP_POLICY_GET, o);
        return reply_json(msg, cJSON_GetObjectItemCaseSensitive(o, "sources"));
}

static int method_get_kill_list(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        RUN(OP_KILL_LIST, o);

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
        OpArgs a;
        int32_t position;
        int persist;
        op_args_init(&a);
        int r = sd_bus_message_read(msg, "ssdib", &a.pattern, &a.min_memory, &a.min_pressure, &position, &persist);
        if (r < 0)
                return r;
        if (!a.min_memory[0])
                a.min_memory = NULL;
        a.position = position;
        a.persist = persist;
        return reply_source(userdata, msg, OP_KILL_LIST_ADD, &a, error);
}

static int method_remove_kill_list_entry(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        OpArgs a;
        uint32_t index;
        int persist;
        op_args_init(&a);
        int r = sd_bus_message_read(msg, "ub", &index, &persist);
        if (r < 0)
                return r;
        a.index = index;
        a.persist = persist;
        return reply_source(userdata, msg, OP_KILL_LIST_REMOVE, &a, error);
}

static int method_move_kill_list_entry(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        OpArgs a;
        uint32_t from, to;
        int persist;
        op_args_init(&a);
        int r = sd_bus_message_read(msg, "uub", &from, &to, &persist);
        if (r < 0)
                return r;
        a.from = from;
        a.to = to;
        a.persist = persist;
        return reply_source(userdata, msg, OP_KILL_LIST_MOVE, &a, error);
}

static int method_list_kills(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        OpArgs a;
        uint64_t since;
        op_args_init(&a);
        int r = sd_bus_message_read(msg, "t", &since);
        if (r < 0)
                return r;
        a.since = (int64_t) since;
        _cleanup_(cJSON_Deletep) cJSON *o = run_op(m, msg, OP_HISTORY, &a, error, &r);
        if (!o)
                return r;
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
        RUN(OP_DUMP, o);
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
        OpArgs a;
        int b;
        op_args_init(&a);
        int r = sd_bus_message_read(value, "b", &b);
        if (r < 0)
                return r;
        a.dry_run = b;
        _cleanup_(cJSON_Deletep) cJSON *o = run_op(m, sd_bus_get_current_message(bus), OP_SET_DRY_RUN, &a, error, &r);
        return o ? 0 : r;
}

/* Every member is UNPRIVILEGED for sd-bus (which would demand CAP_SYS_ADMIN otherwise): the
 * operations layer decides, so the policy's admin_group works on the bus as on the socket. */
#define OPEN SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable manager_vtable[] = {
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
const sd_bus_vtable lmm_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_SIGNAL_WITH_NAMES("LowMemoryWarning", "y", SD_BUS_PARAM(level), 0),
        SD_BUS_VTABLE_END,
};

