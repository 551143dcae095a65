/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Reads the policy files: the main file (absent -> the embedded default) and the drop-in
 * directories (*.json, lexical order across all of them), and hands their text to policy/.
 */

#include "../policy/policy.h"

typedef struct PolicySources {
        const char *main_path;      /* NULL: the embedded default only */
        const char *main_text;      /* when set, the main document itself (main_path then only names it) */
        const char *dropin_dirs[3]; /* NULL-terminated; missing directories are fine */
        const char *base_text;      /* merged under everything (the main document and drop-ins override it):
                                     * the rulesets from systemd's ManagedOOM*= annotations; NULL: none */
        const char *base_name;      /* names it in messages and in the description */
} PolicySources;

/* Loads and validates. On error returns negative errno and writes a one-line message
 * ("/etc/pressured/policy.json: rulesets[0].name: ...") into errbuf. *ret_description
 * (malloc'd) lists what was loaded, for the log. */
int policy_load(const PolicySources *src, Policy **ret, char **ret_description, char *errbuf, size_t errlen);

/* Like policy_load(), and on a validation error also fills *ret_error (may be NULL) with the bare
 * JSON path and message, for callers that hand the path on (the control socket, D-Bus). */
int policy_load_detailed(const PolicySources *src, Policy **ret, char **ret_description,
                         PolicyError *ret_error, char *errbuf, size_t errlen);

/* Loads exactly one file (or "-" for stdin) as a main document, for --check-config. */
int policy_load_file(const char *path, Policy **ret, char *errbuf, size_t errlen);
