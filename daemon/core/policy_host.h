/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The policy host: where the running policy comes from (systemd's annotations, the main document or
 * an `oomctl policy set` override, the drop-ins, the change layers), loading, installing and
 * announcing it (PolicyChanged), and the commands that change it (core/manager.h includes them for
 * the front ends).
 */

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "policy/policy.h"
#include "core/manager_config.h"

/* Loads the policy from its sources and installs it: at start (`initial`: a bad policy is an error
 * that stops the daemon) or on SIGHUP (a bad one is logged and the running one kept). */
int manager_load_policy(Manager *m, bool initial);

/* Validates `text` as the new main policy document (drop-ins and change layers merge over it),
 * writes it as sent to RUNTIME_DIR/policy.json (or STATE_DIR/policy.json with persist, removing the
 * runtime one), where it stands in for --config until reverted, installs it and announces
 * PolicyChanged. `who` names the caller in the log. On a bad policy returns -EINVAL with *perr filled
 * and the old policy kept; on other errors negative errno with errbuf saying what failed. */
int manager_replace_policy(Manager *m, const char *text, bool persist, const char *who,
                           PolicyError *perr, char *errbuf, size_t errlen);

/* Sets top-level `key` to `value` in the runtime change layer (RUNTIME_DIR/changes.json), or with
 * persist in the persisted one (STATE_DIR/changes.json, taking the key out of the runtime layer):
 * drop-ins that hold only what oomctl changed, merged over the admin's files at every load. Validates
 * first; installs, logs (`who` did `what`) and announces. Errors as manager_replace_policy(). */
int manager_change_policy_layer(Manager *m, const char *key, const cJSON *value, bool persist, const char *who,
                                const char *what, PolicyError *perr, char *errbuf, size_t errlen);

/* Removes the runtime change layer and the runtime policy.json (with persist also the persisted
 * ones), then loads the policy from what remains. Refuses, removing nothing, when what remains is
 * invalid. `removed` gets the removed files, comma-separated ("" for none). Errors as above. */
int manager_revert_policy(Manager *m, bool persist, const char *who, char *removed, size_t removed_len,
                          PolicyError *perr, char *errbuf, size_t errlen);

/* Re-reads the policy files (as SIGHUP does) and announces PolicyChanged. On error the old policy is
 * kept and -EINVAL (with *perr) or another negative errno is returned, errbuf saying why. */
int manager_reload_policy(Manager *m, PolicyError *perr, char *errbuf, size_t errlen);

/* Turns dry run on or off for the running policy (until the next load, where --dry-run wins). */
void manager_set_dry_run(Manager *m, bool dry_run);
