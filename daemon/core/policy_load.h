/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Reads the policy files: the main file (absent -> the embedded default) and the drop-in
 * directories (*.json, lexical order across all of them), then the change layers (the drop-ins
 * oomctl writes: persisted, then runtime), and hands their text to policy/.
 */

#include <errno.h>
#include <stdbool.h>

#include "policy/policy.h"

/* A drop-in merged after every drop-in directory, in the order given: a change layer. */
typedef struct PolicyLayer {
        const char *path;           /* NULL: no layer; a missing file is fine */
        const char *text;           /* when set, stands in for the file (a change being validated) */
        bool skip;                  /* leave it out (a change that removes it being validated) */
} PolicyLayer;

#define POLICY_LAYERS_MAX 2

typedef struct PolicySources {
        const char *main_path;      /* NULL: the embedded default only */
        const char *main_text;      /* when set, the main document itself (main_path then only names it) */
        bool main_required;         /* main_path must exist (it was given explicitly): no embedded default */
        const char *main_note;      /* appended to main_path in the description, e.g. why it stands in for
                                     * the admin's file; NULL: nothing */
        const char *dropin_dirs[3]; /* NULL-terminated; missing directories are fine */
        PolicyLayer layers[POLICY_LAYERS_MAX];
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

/* What --check-config and `oomctl policy check` validate: `file` ("-" for stdin) as a main document,
 * merged with the drop-ins of `dropin_dir` (NULL: none) as the daemon merges them; or, with
 * `as_dropin`, `file` as a drop-in merged last over `main_path` (NULL: the embedded default) and the
 * drop-ins of `dropin_dir`. Errors as policy_load_detailed(). */
int policy_check_files(const char *file, bool as_dropin, const char *main_path, const char *dropin_dir,
                       Policy **ret, PolicyError *ret_error, char *errbuf, size_t errlen);

/* Whether an error from the loaders above means the policy itself is invalid (bad JSON, a bad value,
 * over a limit) rather than that a file could not be read (missing, a directory, no permission).
 * Both tools exit 3 for the first and 1 for the second. */
static inline bool policy_error_is_invalid(int r) {
        return r == -EINVAL || r == -EFBIG || r == -EBADMSG || r == -E2BIG;
}
