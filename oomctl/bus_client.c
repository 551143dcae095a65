/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "bus_client.h"
#include "macro.h"
#include "policy_file.h"
#include "protocol.h"
#include "protocol_ops.h"

#define BUS_REPLY_TIMEOUT_USEC ((uint64_t) CLIENT_REPLY_TIMEOUT_SEC * UINT64_C(1000000))

DEFINE_POINTER_CLEANUP(cJSON, cJSON_Delete);

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

struct BusClient {
        sd_bus *bus;
        cJSON *pending;        /* the event the last signal gave, until bus_client_next_event() hands it out */
        bool pressured_left;   /* NameOwnerChanged: org.pressured.oom1 lost its owner */
};

int bus_client_open(BusClient **ret) {
        _cleanup_free_ BusClient *b = calloc(1, sizeof *b);
        if (!b)
                return -ENOMEM;
        int r = sd_bus_open_system(&b->bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b);
        return 0;
}

BusClient *bus_client_free(BusClient *b) {
        if (!b)
                return NULL;
        sd_bus_flush_close_unref(b->bus);
        cJSON_Delete(b->pending);
        free(b);
        return NULL;
}

/* ---- errors ---- */

static void set_error(ClientError *err, const char *code, const char *message, const char *path) {
        snprintf(err->code, sizeof err->code, "%s", code);
        snprintf(err->message, sizeof err->message, "%s", message ?: "");
        snprintf(err->path, sizeof err->path, "%s", path ?: "");
}

/* InvalidPolicy says "PATH: MESSAGE" when the problem has a JSON path (no spaces in it). */
static void set_policy_error(ClientError *err, const char *message) {
        const char *colon = message ? strstr(message, ": ") : NULL;
        size_t n = colon ? (size_t) (colon - message) : 0;

        if (n == 0 || n >= sizeof err->path || memchr(message, ' ', n)) {
                set_error(err, "invalid-policy", message, NULL);
                return;
        }
        set_error(err, "invalid-policy", colon + 2, NULL);
        memcpy(err->path, message, n);
        err->path[n] = '\0';
}

/* Turns a failed call into client_call()'s contract (see bus_client.h). */
static int map_error(int r, const sd_bus_error *e, const char *op, ClientError *err) {
        if (!sd_bus_error_is_set(e))
                return r == -ENOTCONN ? -ECONNRESET : r;

        const char *message = e->message ?: e->name;
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) || sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
                set_error(err, "", message, NULL);
                return -ESRCH;
        }
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_DISCONNECTED)) {
                set_error(err, "", message, NULL);
                return -ECONNRESET;
        }
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY) || sd_bus_error_has_name(e, SD_BUS_ERROR_TIMEOUT)) {
                set_error(err, "", message, NULL);
                return -ETIMEDOUT;
        }
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED)) {
                /* pressured's own refusal says what is needed; the bus policy's ("Rejected send message, ...")
                 * does not, so say it here. */
                if (strncmp(message, "Rejected send message", strlen("Rejected send message")) == 0) {
                        char text[sizeof err->message];
                        snprintf(text, sizeof text,
                                 "%s needs root or the admin group, and the system bus refused the call before it reached "
                                 "pressured (its bus policy, org.pressured.oom1.conf in /usr/share/dbus-1/system.d, lets "
                                 "root and group \"pressured\" call it): run oomctl as root (sudo oomctl ...)", op);
                        set_error(err, "permission-denied", text, NULL);
                } else
                        set_error(err, "permission-denied", message, NULL);
                return 1;
        }
        static const struct { const char *name, *code; } names[] = {
                { PROTOCOL_BUS_ERROR_PREFIX "InvalidRequest", "invalid-request" },
                { PROTOCOL_BUS_ERROR_PREFIX "NotFound", "not-found" },
                { PROTOCOL_BUS_ERROR_PREFIX "TooLarge", "too-large" },
                { PROTOCOL_BUS_ERROR_PREFIX "Failed", "failed" },
                { SD_BUS_ERROR_INVALID_ARGS, "invalid-request" },
                { SD_BUS_ERROR_UNKNOWN_METHOD, "unknown-op" },
                { SD_BUS_ERROR_UNKNOWN_INTERFACE, "unknown-op" },
                { SD_BUS_ERROR_UNKNOWN_OBJECT, "unknown-op" },
                { SD_BUS_ERROR_UNKNOWN_PROPERTY, "unknown-op" },
        };
        if (sd_bus_error_has_name(e, PROTOCOL_BUS_ERROR_PREFIX "InvalidPolicy")) {
                set_policy_error(err, message);
                return 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (sd_bus_error_has_name(e, names[i].name)) {
                        set_error(err, names[i].code, message, NULL);
                        return 1;
                }
        /* Any other error: name it, the admin may look it up. */
        char text[sizeof err->message];
        snprintf(text, sizeof text, "%s (%s)", message, e->name);
        set_error(err, "failed", text, NULL);
        return 1;
}

/* ---- calls ---- */

/* Calls a Manager method with arguments of `types`. Returns sd_bus_call()'s value. */
static int call_method(BusClient *b, const char *member, sd_bus_error *e, sd_bus_message **reply, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(b->bus, &m, PROTOCOL_BUS_SERVICE, PROTOCOL_BUS_MANAGER_PATH,
                                                PROTOCOL_BUS_MANAGER_INTERFACE, member);
        if (r < 0)
                return r;
        if (types) {
                va_list ap;
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return r;
        }
        return sd_bus_call(b->bus, m, BUS_REPLY_TIMEOUT_USEC, e, reply);
}

/* Reads one string argument and parses it as JSON. */
static int read_json(sd_bus_message *reply, cJSON **ret) {
        const char *text;
        int r = sd_bus_message_read(reply, "s", &text);
        if (r < 0)
                return -EBADMSG;
        *ret = cJSON_Parse(text);
        return *ret ? 0 : -EBADMSG;
}

static cJSON *object_with(const char *key, cJSON *value) {
        cJSON *o = value ? cJSON_CreateObject() : NULL;
        if (!o || !cJSON_AddItemToObject(o, key, value)) {
                cJSON_Delete(o);
                cJSON_Delete(value);
                return NULL;
        }
        return o;
}

/* Each op below runs its method and builds the socket's result for it (daemon/operations.c). */
/* Each takes the request's arguments as op_args_parse() read them, by the rules the daemon reads them by. */
typedef int (*OpFunc)(BusClient *b, const OpArgs *a, sd_bus_error *e, cJSON **ret);

static int op_status(BusClient *b, const OpArgs *a, sd_bus_error *e, cJSON **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = call_method(b, "GetStatus", e, &reply, NULL);
        if (r < 0)
                return r;
        r = read_json(reply, ret);
        if (r == 0 && !cJSON_IsObject(*ret)) {
                cJSON_Delete(*ret);
                return -EBADMSG;
        }
        return r;
}

static int op_kill_list(BusClient *b, const OpArgs *a, sd_bus_error *e, cJSON **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
        cJSON *entries = o ? cJSON_AddArrayToObject(o, "entries") : NULL;
        const char *pattern, *min_memory;
        double min_pressure;

        if (!entries)
                return -ENOMEM;
        int r = call_method(b, "GetKillList", e, &reply, NULL);
        if (r < 0)
                return r;
        if (sd_bus_message_enter_container(reply, 'a', "(ssd)") < 0)
                return -EBADMSG;
        for (int i = 0; (r = sd_bus_message_read(reply, "(ssd)", &pattern, &min_memory, &min_pressure)) > 0; i++) {
                cJSON *x = cJSON_CreateObject();
                if (!x || !cJSON_AddItemToArray(entries, x)) {
                        cJSON_Delete(x);
                        return -ENOMEM;
                }
                if (!cJSON_AddNumberToObject(x, "index", i) || !cJSON_AddStringToObject(x, "pattern", pattern) ||
                    !(min_memory[0] ? cJSON_AddStringToObject(x, "min_memory", min_memory) : cJSON_AddNullToObject(x, "min_memory")) ||
                    !(min_pressure >= 0 ? cJSON_AddNumberToObject(x, "min_pressure", min_pressure)
                                        : cJSON_AddNullToObject(x, "min_pressure")))
                        return -ENOMEM;
        }
        if (r < 0)
                return -EBADMSG;
        *ret = TAKE_PTR(o);
        return 0;
}

static int op_kill(BusClient *b, const OpArgs *a, sd_bus_error *e, cJSON **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *cgroup, *method;
        uint32_t killed;
        const uint32_t *pids;
        size_t pids_size;
        int dry_run;

        int r = call_method(b, "Kill", e, &reply, "ssb", a->target, a->reason ? a->reason : "",
                            (int) a->dry_run);
        if (r < 0)
                return r;
        if (sd_bus_message_read(reply, "su", &cgroup, &killed) < 0 ||
            sd_bus_message_read_array(reply, 'u', (const void **) &pids, &pids_size) < 0 ||
            sd_bus_message_read(reply, "sb", &method, &dry_run) < 0)
                return -EBADMSG;

        _cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
        cJSON *list;
        if (!o || !cJSON_AddStringToObject(o, "cgroup", cgroup) || !cJSON_AddNumberToObject(o, "killed", killed) ||
            !(list = cJSON_AddArrayToObject(o, "pids")))
                return -ENOMEM;
        for (size_t i = 0; i < pids_size / sizeof *pids; i++)
                if (!cJSON_AddItemToArray(list, cJSON_CreateNumber(pids[i])))
                        return -ENOMEM;
        if (!cJSON_AddStringToObject(o, "method", method) || !cJSON_AddBoolToObject(o, "dry_run", dry_run))
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

static int op_policy_get(BusClient *b, const OpArgs *a, sd_bus_error *e, cJSON **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *source = NULL;
        cJSON *doc;

        int r = call_method(b, "GetPolicy", e, &reply, NULL);
        if (r < 0)
                return r;
        r = read_json(reply, &doc);
        if (r < 0)
                return r;
        _cleanup_(cJSON_Deletep) cJSON *o = object_with("policy", doc);
        if (!o)
                return -ENOMEM;
        r = sd_bus_get_property_string(b->bus, PROTOCOL_BUS_SERVICE, PROTOCOL_BUS_MANAGER_PATH, PROTOCOL_BUS_MANAGER_INTERFACE,
                                       "PolicySource", e, &source);
        if (r < 0)
                return r;
        if (!cJSON_AddStringToObject(o, "source", source))
                return -ENOMEM;
        /* Where each ruleset and kill-list entry came from; a pressured without the method has none to tell. */
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *sreply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error se = SD_BUS_ERROR_NULL;
        cJSON *sources;
        if (call_method(b, "GetPolicySources", &se, &sreply, NULL) >= 0 && read_json(sreply, &sources) >= 0 &&
            !cJSON_AddItemToObject(o, "sources", sources)) {
                cJSON_Delete(sources);
                return -ENOMEM;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

/* The policy changes all answer with where the running policy now comes from. */
static int read_policy_source(sd_bus_message *reply, cJSON **ret) {
        const char *source;
        if (sd_bus_message_read(reply, "s", &source) < 0)
                return -EBADMSG;
        *ret = object_with("policy_source", cJSON_CreateString(source));
        return *ret ? 0 : -ENOMEM;
}

static int op_policy_set(BusClient *b, const OpArgs *a, sd_bus_error *e, cJSON **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const cJSON *doc = a->policy;
        _cleanup_free_ char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
        if (!text)
                return doc ? -ENOMEM : -EINVAL;
        /* In a sealed memfd, as on the socket: any policy up to POLICY_MAX_BYTES, one way for every size. */
        _cleanup_close_ int fd = policy_memfd_new("oomctl-policy", text, strlen(text));
        if (fd < 0)
                return fd;
        int r = call_method(b, "SetPolicyFromFd", e, &reply, "hb", fd, (int) a->persist);
        return r < 0 ? r : read_policy_source(reply, ret);
}

static int op_policy_reload(BusClient *b, const OpArgs *a, sd_bus_error *e, cJSON **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = call_method(b, "ReloadPolicy", e, &reply, NULL);
        return r < 0 ? r : read_policy_source(reply, ret);
}

static int op_policy_revert(BusClient *b, const OpArgs *a, sd_bus_error *e, cJSON **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *source, *f;
        int r = call_method(b, "RevertPolicy", e, &reply, "b", (int) a->persist);
        if (r < 0)
                return r;
        if (sd_bus_message_read(reply, "s", &source) < 0 || sd_bus_message_enter_container(reply, 'a', "s") < 0)
                return -EBADMSG;
        _cleanup_(cJSON_Deletep) cJSON *o = object_with("policy_source", cJSON_CreateString(source));
        cJSON *removed = o ? cJSON_AddArrayToObject(o, "removed") : NULL;
        if (!removed)
                return -ENOMEM;
        while ((r = sd_bus_message_read(reply, "s", &f)) > 0)
                if (!cJSON_AddItemToArray(removed, cJSON_CreateString(f)))
                        return -ENOMEM;
        if (r < 0 || sd_bus_message_exit_container(reply) < 0)
                return -EBADMSG;
        *ret = TAKE_PTR(o);
        return 0;
}

static int op_kill_list_add(BusClient *b, const OpArgs *a, sd_bus_error *e, cJSON **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = call_method(b, "AddKillListEntry", e, &reply, "ssdib", a->pattern,
                            a->min_memory ? a->min_memory : "", a->min_pressure,
                            (int32_t) a->position, (int) a->persist);
        return r < 0 ? r : read_policy_source(reply, ret);
}

static int op_kill_list_remove(BusClient *b, const OpArgs *a, sd_bus_error *e, cJSON **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = call_method(b, "RemoveKillListEntry", e, &reply, "ub", (uint32_t) a->index,
                            (int) a->persist);
        return r < 0 ? r : read_policy_source(reply, ret);
}

static int op_kill_list_move(BusClient *b, const OpArgs *a, sd_bus_error *e, cJSON **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = call_method(b, "MoveKillListEntry", e, &reply, "uub", (uint32_t) a->from,
                            (uint32_t) a->to, (int) a->persist);
        return r < 0 ? r : read_policy_source(reply, ret);
}

static int op_history(BusClient *b, const OpArgs *a, sd_bus_error *e, cJSON **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        cJSON *kills;

        int r = call_method(b, "ListKills", e, &reply, "t", (uint64_t) a->since);
        if (r < 0)
                return r;
        r = read_json(reply, &kills);
        if (r < 0)
                return r;
        if (!cJSON_IsArray(kills)) {
                cJSON_Delete(kills);
                return -EBADMSG;
        }
        *ret = object_with("kills", kills);
        return *ret ? 0 : -ENOMEM;
}

/* The whole memfd, from its start (the descriptor shares its offset with the daemon's copy). */
static int read_memfd(int fd, char **ret) {
        size_t size = 0, cap = 64 * 1024;
        _cleanup_free_ char *buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (size == cap) {
                        if (cap >= BUS_DUMP_MAX_BYTES)
                                return -EFBIG;
                        cap *= 2;
                        char *n = realloc(buf, cap + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                }
                ssize_t k = pread(fd, buf + size, cap - size, (off_t) size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                size += (size_t) k;
        }
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

static int op_dump(BusClient *b, const OpArgs *a, sd_bus_error *e, cJSON **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *text = NULL;
        int fd;

        int r = call_method(b, "Dump", e, &reply, NULL);
        if (r < 0)
                return r;
        if (sd_bus_message_read(reply, "h", &fd) < 0)
                return -EBADMSG;
        r = read_memfd(fd, &text);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        *ret = object_with("text", cJSON_CreateString(text));
        return *ret ? 0 : -ENOMEM;
}

/* The DryRun property, set with the caller's credentials as the socket's "set-dry-run" is. */
static int op_set_dry_run(BusClient *b, const OpArgs *a, sd_bus_error *e, cJSON **ret) {
        _cleanup_free_ char *source = NULL;
        int dry_run;
        int r = sd_bus_set_property(b->bus, PROTOCOL_BUS_SERVICE, PROTOCOL_BUS_MANAGER_PATH, PROTOCOL_BUS_MANAGER_INTERFACE,
                                    "DryRun", e, "b",
                                    (int) a->dry_run);
        if (r < 0)
                return r;
        r = sd_bus_get_property_trivial(b->bus, PROTOCOL_BUS_SERVICE, PROTOCOL_BUS_MANAGER_PATH, PROTOCOL_BUS_MANAGER_INTERFACE,
                                        "DryRun", e, 'b', &dry_run);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(b->bus, PROTOCOL_BUS_SERVICE, PROTOCOL_BUS_MANAGER_PATH, PROTOCOL_BUS_MANAGER_INTERFACE,
                                       "PolicySource", e, &source);
        if (r < 0)
                return r;
        _cleanup_(cJSON_Deletep) cJSON *o = object_with("policy_source", cJSON_CreateString(source));
        if (!o || !cJSON_AddBoolToObject(o, "dry_run", dry_run))
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

/* By Op; subscribe has no call here (bus_client_subscribe). */
static const OpFunc ops[_OP_MAX] = {
        [OP_STATUS] = op_status,
        [OP_KILL_LIST] = op_kill_list,
        [OP_KILL_LIST_ADD] = op_kill_list_add,
        [OP_KILL_LIST_REMOVE] = op_kill_list_remove,
        [OP_KILL_LIST_MOVE] = op_kill_list_move,
        [OP_KILL] = op_kill,
        [OP_POLICY_GET] = op_policy_get,
        [OP_POLICY_SET] = op_policy_set,
        [OP_POLICY_RELOAD] = op_policy_reload,
        [OP_POLICY_REVERT] = op_policy_revert,
        [OP_HISTORY] = op_history,
        [OP_DUMP] = op_dump,
        [OP_SET_DRY_RUN] = op_set_dry_run,
};

int bus_client_call(BusClient *b, const cJSON *request, cJSON **ret_result, ClientError *err) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(request, "op"));
        int op = name ? op_from_string(name) : -1;
        OpArgs args;
        OpsError oe;

        *err = (ClientError) {};
        if (op < 0 || !ops[op])
                return -EOPNOTSUPP;
        /* The daemon's own rules: an argument it would refuse is refused here, in its words. */
        op_args_init(&args);
        if (!op_args_parse(op, request, &args, &oe)) {
                set_error(err, ops_error_code_to_string(oe.code), oe.message, NULL);
                return 1;
        }
        cJSON *result = NULL;
        int r = ops[op](b, &args, &e, &result);
        if (r < 0)
                return map_error(r, &e, name, err);
        *ret_result = result;
        return 0;
}

int bus_client_pressured_present(BusClient *b) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int has;

        int r = sd_bus_call_method(b->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                   "NameHasOwner", &e, &reply, "s", PROTOCOL_BUS_SERVICE);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "b", &has);
        return r < 0 ? r : has != 0;
}

/* ---- signals ---- */

/* Each signal, its signature, and the names its arguments take in the socket's event object. */
static const struct SignalShape {
        const char *interface, *member, *signature;
        const char *fields[10];
} signal_shapes[] = {
        { PROTOCOL_BUS_MANAGER_INTERFACE, PROTOCOL_EVENT_KILL_PENDING, "sssstdbt",
          { "cgroup", "unit", "ruleset", "reason", "memory_bytes", "pressure", "dry_run", "prekill_timeout_usec" } },
        { PROTOCOL_BUS_MANAGER_INTERFACE, PROTOCOL_EVENT_KILL_CANCELLED, "sssss",
          { "cgroup", "unit", "ruleset", "reason", "verdict" } },
        { PROTOCOL_BUS_MANAGER_INTERFACE, PROTOCOL_EVENT_KILLED, "sssssuttdb",
          { "cgroup", "unit", "ruleset", "reason", "method", "killed", "memory_bytes", "freed_bytes", "pressure", "dry_run" } },
        { PROTOCOL_BUS_MANAGER_INTERFACE, PROTOCOL_EVENT_PRESSURE_CHANGED, "sssd",
          { "cgroup", "level", "previous_level", "pressure" } },
        { PROTOCOL_BUS_MANAGER_INTERFACE, PROTOCOL_EVENT_PRESSURE_RECOVERED, "sst",
          { "cgroup", "worst_level", "duration_usec" } },
        { PROTOCOL_BUS_MANAGER_INTERFACE, PROTOCOL_EVENT_POLICY_CHANGED, "suub",
          { "source", "rulesets", "kill_list_entries", "dry_run" } },
        { PROTOCOL_BUS_LMM_NAME, PROTOCOL_EVENT_LOW_MEMORY_WARNING, "y", { "level" } },
};

/* Reads the arguments of `m` (of shape s) into o, one field per signature character. */
static int read_fields(sd_bus_message *m, const struct SignalShape *s, cJSON *o) {
        for (size_t i = 0; s->signature[i]; i++) {
                const char *name = s->fields[i];
                char type = s->signature[i];
                cJSON *v = NULL;
                union { const char *s; uint64_t t; uint32_t u; double d; int b; uint8_t y; } x;
                char sig[2] = { type, 0 };

                if (sd_bus_message_read(m, sig, &x) < 0)
                        return -EBADMSG;
                switch (type) {
                case 's': v = cJSON_CreateString(x.s); break;
                case 't': v = cJSON_CreateNumber((double) x.t); break;
                case 'u': v = cJSON_CreateNumber(x.u); break;
                case 'd': v = cJSON_CreateNumber(x.d); break;
                case 'b': v = cJSON_CreateBool(x.b); break;
                case 'y': v = cJSON_CreateNumber(x.y); break;
                }
                if (!v || !cJSON_AddItemToObject(o, name, v)) {
                        cJSON_Delete(v);
                        return -ENOMEM;
                }
        }
        return 0;
}

/* The signal as the socket's event: "event", "time" (when it was received: signals carry no time), its arguments. */
static int event_from_signal(sd_bus_message *m, cJSON **ret) {
        for (size_t i = 0; i < ELEMENTSOF(signal_shapes); i++) {
                const struct SignalShape *s = &signal_shapes[i];
                if (!sd_bus_message_is_signal(m, s->interface, s->member))
                        continue;
                if (!sd_bus_message_has_signature(m, s->signature))
                        return -EBADMSG;
                struct timespec now;
                uint64_t t = 0;
                if (sd_bus_message_get_realtime_usec(m, &t) < 0 && clock_gettime(CLOCK_REALTIME, &now) == 0)
                        t = (uint64_t) now.tv_sec * 1000000 + (uint64_t) now.tv_nsec / 1000;
                _cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
                if (!o || !cJSON_AddStringToObject(o, "event", s->member) || !cJSON_AddNumberToObject(o, "time", (double) t))
                        return -ENOMEM;
                int r = read_fields(m, s, o);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(o);
                return 1;
        }
        return 0;
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusClient *b = userdata;
        cJSON *ev = NULL;
        if (event_from_signal(m, &ev) > 0) {
                cJSON_Delete(b->pending);
                b->pending = ev;
        }
        return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusClient *b = userdata;
        const char *name, *old_owner, *new_owner;
        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 && streq(name, PROTOCOL_BUS_SERVICE) && !new_owner[0])
                b->pressured_left = true;
        return 0;
}

int bus_client_subscribe(BusClient *b) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *owner;
        char match[512];

        /* First hear of pressured leaving, then find who it is: nothing falls between the two. */
        int r = sd_bus_add_match(b->bus, NULL,
                                 "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                 "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" PROTOCOL_BUS_SERVICE "'",
                                 on_name_owner_changed, b);
        if (r < 0)
                return r;
        r = sd_bus_call_method(b->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetNameOwner", &e, &reply, "s", PROTOCOL_BUS_SERVICE);
        if (r < 0)
                return sd_bus_error_has_name(&e, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ? -ESRCH : r;
        if (sd_bus_message_read(reply, "s", &owner) < 0)
                return -EBADMSG;

        /* Matched on the owner's unique name: a well-known sender cannot be checked on this side. */
        snprintf(match, sizeof match, "type='signal',sender='%s',path='" PROTOCOL_BUS_MANAGER_PATH "',"
                 "interface='" PROTOCOL_BUS_MANAGER_INTERFACE "'", owner);
        r = sd_bus_add_match(b->bus, NULL, match, on_signal, b);
        if (r < 0)
                return r;
        snprintf(match, sizeof match, "type='signal',sender='%s',path='" PROTOCOL_BUS_LMM_PATH "',"
                 "interface='" PROTOCOL_BUS_LMM_NAME "',member='LowMemoryWarning'", owner);
        return sd_bus_add_match(b->bus, NULL, match, on_signal, b);
}

/* Whether the connection outlives a short wait: when the bus daemon stops, pressured's name goes
 * first and the connection right after, and the admin should hear about the bus, not pressured. */
static bool bus_still_open(BusClient *b) {
        uint64_t end = now_usec() + BUS_LEAVE_SETTLE_USEC;
        for (uint64_t n; (n = now_usec()) < end;) {
                int r = sd_bus_process(b->bus, NULL);
                if (r < 0 || sd_bus_is_open(b->bus) <= 0)
                        return false;
                if (r == 0 && sd_bus_wait(b->bus, end - n) < 0)
                        return sd_bus_is_open(b->bus) > 0;
        }
        return sd_bus_is_open(b->bus) > 0;
}

int bus_client_next_event(BusClient *b, cJSON **ret) {
        for (;;) {
                if (b->pending) {
                        *ret = TAKE_PTR(b->pending);
                        return 0;
                }
                if (b->pressured_left)
                        return bus_still_open(b) ? -ESRCH : -ECONNRESET;
                int r = sd_bus_process(b->bus, NULL);
                if (r < 0)
                        return r == -ENOTCONN ? -ECONNRESET : r;
                if (r > 0)
                        continue;
                if (sd_bus_is_open(b->bus) <= 0)
                        return -ECONNRESET;
                r = sd_bus_wait(b->bus, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        return r == -ENOTCONN ? -ECONNRESET : r;
        }
}
