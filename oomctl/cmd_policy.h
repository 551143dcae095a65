/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * oomctl policy (show, check, set, reload, revert) and dry-run: the running policy. Each takes the
 * parsed command line and returns an exit code (command.h).
 */
#include "command.h"

int cmd_policy_show(const Args *a);
/* Validates locally; needs no daemon. */
int cmd_policy_check(const Args *a);
int cmd_policy_set(const Args *a);
int cmd_policy_reload(const Args *a);
int cmd_policy_revert(const Args *a);
int cmd_dry_run(const Args *a);
