/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The policy's objects read from one JSON tree into a Policy (policy_parse_object(), used by
 * merge.c once the documents are one tree), and the Policy freed again.
 */

#include "policy_types.h"

struct cJSON;
struct Parser;

/* Frees a Policy; accepts NULL; returns NULL. */
Policy *policy_free(Policy *p);

/* Reads the merged tree `root` into `pol` (zeroed by the caller): every key checked, defaults
 * filled in. 0, -EINVAL with the error reported through the parser, or -ENOMEM. Internal to policy/. */
int policy_parse_object(struct Parser *p, const struct cJSON *root, Policy *pol);
