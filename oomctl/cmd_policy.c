/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomctl's commands on the running policy: policy (show, check, set, reload, revert) and dry-run.
 * `policy check` validates locally, with the daemon's own reader of policy files and drop-ins.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd_policy.h"
#include "command.h"
#include "daemon/core/policy_load.h"
#include "json_text.h"
#include "macro.h"
#include "policy.h"
#include "policy_file.h"

/* ---- policy ---- */

/* Reads a policy file; EXIT_OK, or the exit code after saying why on stderr: a file that cannot be
 * read (missing, a directory, not readable) is a failed request, 1; only text that cannot be a
 * policy (too large, a NUL byte) is an invalid policy, 3. */
static int read_policy_or_explain(const char *path, char **ret) {
        char why[1024];
        int r = policy_file_read(path, ret, why, sizeof why);

        if (r == -EISDIR)
                fprintf(stderr, "%s: %s: give a policy file, not a directory.\n", path, strerror(EISDIR));
        else if (r < 0) {
                size_t l = strlen(why);
                /* the same words as pressured --check-config, ended as a sentence once */
                fprintf(stderr, "%s%s\n", why, l > 0 && strchr(".?!", why[l - 1]) ? "" : ".");
        }
        if (r >= 0)
                return EXIT_OK;
        return r == -EFBIG || r == -EBADMSG ? EXIT_INVALID_POLICY : EXIT_REFUSED;
}

static void policy_show_human(const Args *a, const cJSON *r) {
        const cJSON *p = get(r, "policy"), *sources = get(r, "sources"), *e;
        printf("Policy from %s\n", get_str(r, "source") ?: "?");
        if (sources) {
                printf("Rulesets, and the file each comes from:\n");
                cJSON_ArrayForEach(e, get(sources, "rulesets"))
                        printf("  %-32s %s\n", get_str(e, "name") ?: "?", get_str(e, "source") ?: "?");
                const cJSON *list = get(p, "kill_list");
                if (cJSON_GetArraySize(list) == 0)
                        printf("Kill list: empty\n");
                else
                        printf("Kill list, from %s:\n", get_str(sources, "kill_list") ?: "?");
                int i = 0;
                cJSON_ArrayForEach(e, list)
                        printf("  %3d  %s\n", i++, get_str(e, "pattern") ?: "?");
        }
        printf("The running policy, merged, every default written out:\n");
        print_json(p ? p : r);
        (void) a;
}

int cmd_policy_show(const Args *a) {
        return call_and_print(a, request_new("policy-get"), policy_show_human);
}

int cmd_policy_check(const Args *a) {
        const char *file = a->pos[0];
        bool as_dropin = a->given & OPT_DROPIN;
        const char *main_path = (a->given & OPT_CONFIG) ? a->config : NULL;
        const char *dir = (a->given & OPT_POLICY_DIR) ? a->policy_dir : NULL;
        PolicyError err = { 0 };
        char why[1024] = "";
        Policy *p = NULL;

        if (main_path && !as_dropin) {
                fprintf(stderr, "--config names the main policy a drop-in is checked over: give it with --dropin, "
                                "or check the main file itself (oomctl policy check %s).\n", main_path);
                return EXIT_USAGE;
        }
        int r = policy_check_files(file, as_dropin, main_path, dir, &p, &err, why, sizeof why);
        if (a->given & OPT_JSON) {
                cJSON *o = cJSON_CreateObject();
                if (o) {
                        cJSON_AddStringToObject(o, "file", file);
                        cJSON_AddBoolToObject(o, "valid", r >= 0);
                        cJSON_AddBoolToObject(o, "dropin", as_dropin);
                        if (r < 0) {
                                cJSON_AddStringToObject(o, "path", err.path);
                                cJSON_AddStringToObject(o, "message", err.message[0] ? err.message : why);
                        } else {
                                cJSON_AddNumberToObject(o, "rulesets", (double) p->n_rulesets);
                                cJSON_AddNumberToObject(o, "kill_list_entries", (double) p->n_kill_list);
                        }
                        print_json(o);
                        cJSON_Delete(o);
                }
        } else if (r < 0)
                fprintf(stderr, "%s\n", why);
        else
                printf("%s: valid %s%s%s%s (%zu ruleset%s, %zu kill-list entr%s%s).\n", file,
                       as_dropin ? "drop-in over " : "policy", as_dropin ? (main_path ?: "the embedded default policy") : "",
                       dir ? (as_dropin ? " and the drop-ins of " : " merged with the drop-ins of ") : "", dir ?: "",
                       p->n_rulesets, p->n_rulesets == 1 ? "" : "s", p->n_kill_list, p->n_kill_list == 1 ? "y" : "ies",
                       p->dry_run ? ", dry run" : "");
        policy_free(p);
        if (r >= 0)
                return EXIT_OK;
        /* a file that cannot be read (missing, a directory, no permission) is a failure, not an invalid policy */
        return policy_error_is_invalid(r) ? EXIT_INVALID_POLICY : EXIT_REFUSED;
}

int cmd_policy_set(const Args *a) {
        const char *file = a->pos[0];
        _cleanup_free_ char *text = NULL;

        policy_request_file = file;
        int x = read_policy_or_explain(file, &text);
        if (x != EXIT_OK)
                return x;
        /* before cJSON, which would cut a string at \u0000 and send the daemon what is left */
        char why[512];
        if (json_text_check(text, strlen(text), why, sizeof why) < 0) {
                fprintf(stderr, "%s: %s.\n", file, why);
                return EXIT_INVALID_POLICY;
        }
        cJSON *doc = cJSON_Parse(text);
        if (!cJSON_IsObject(doc)) {
                const char *at = doc ? NULL : cJSON_GetErrorPtr();
                if (at)
                        fprintf(stderr, "%s: not valid JSON at byte %td: fix the file, then check it with "
                                        "\"oomctl policy check %s\".\n", file, at - text, file);
                else
                        fprintf(stderr, "%s: the policy must be a JSON object ({...}).\n", file);
                cJSON_Delete(doc);
                return EXIT_INVALID_POLICY;
        }
        cJSON *req = request_new("policy-set");
        if (!req || !cJSON_AddItemToObject(req, "policy", doc)) {
                cJSON_Delete(doc);
                cJSON_Delete(req);
                fprintf(stderr, "out of memory building the request\n");
                return EXIT_REFUSED;
        }
        if (!cJSON_AddBoolToObject(req, "persist", (a->given & OPT_PERSIST) != 0)) {
                cJSON_Delete(req);
                req = NULL;
        }
        char done[4200];
        snprintf(done, sizeof done, "Policy from %s is running", file);
        return call_change(a, req, done);
}

int cmd_policy_reload(const Args *a) {
        cJSON *result = NULL;
        int x = call(a, request_new("policy-reload"), &result);
        if (x != EXIT_OK)
                return x;
        if (a->given & OPT_JSON)
                print_json(result);
        else
                printf("Reloaded the policy from %s.\n", get_str(result, "policy_source") ?: "?");
        cJSON_Delete(result);
        return EXIT_OK;
}

int cmd_policy_revert(const Args *a) {
        cJSON *req = request_new("policy-revert"), *result = NULL;
        if (req && !add_persist(a, req)) {
                cJSON_Delete(req);
                req = NULL;
        }
        int x = call(a, req, &result);
        if (x != EXIT_OK)
                return x;
        if (a->given & OPT_JSON)
                print_json(result);
        else {
                const cJSON *removed = get(result, "removed"), *f;
                if (cJSON_GetArraySize(removed) == 0)
                        printf("There were no %s changes to revert.\n", a->given & OPT_PERSIST ? "runtime or persisted" : "runtime");
                else
                        printf("Reverted: removed ");
                int i = 0;
                cJSON_ArrayForEach(f, removed)
                        printf("%s%s", i++ ? ", " : "", cJSON_GetStringValue(f) ?: "?");
                if (i)
                        printf(".\n");
                printf("The policy now comes from %s.\n", get_str(result, "policy_source") ?: "?");
        }
        cJSON_Delete(result);
        return EXIT_OK;
}

/* ---- dry run ---- */

int cmd_dry_run(const Args *a) {
        const char *v = a->pos[0];
        bool on;
        if (streq(v, "on") || streq(v, "yes") || streq(v, "true") || streq(v, "1"))
                on = true;
        else if (streq(v, "off") || streq(v, "no") || streq(v, "false") || streq(v, "0"))
                on = false;
        else {
                fprintf(stderr, "\"dry-run %s\": give on or off.\n", v);
                return usage_error("dry-run");
        }
        cJSON *req = request_new("set-dry-run");
        if (req && !cJSON_AddBoolToObject(req, "dry_run", on)) {
                cJSON_Delete(req);
                req = NULL;
        }
        cJSON *result = NULL;
        int x = call(a, req, &result);
        if (x != EXIT_OK)
                return x;
        if (a->given & OPT_JSON)
                print_json(result);
        else if (get_bool(result, "dry_run"))
                printf("Dry run is on: pressured logs and records its decisions and kills nothing, until \"oomctl dry-run "
                       "off\". A restart goes back to what the policy says.\n");
        else
                printf("Dry run is off: pressured kills again (rulesets with their own \"dry_run\" still do not). A "
                       "restart goes back to what the policy says.\n");
        cJSON_Delete(result);
        return EXIT_OK;
}
