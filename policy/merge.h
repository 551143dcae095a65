/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Policy documents in, a validated Policy out: one document, or a main document with drop-ins
 * merged over it. No I/O: the caller reads the files and hands over their text.
 */

#include <stddef.h>

#include "policy_types.h"

/* Parses and validates one JSON document. Returns 0 and a new Policy, or -EINVAL with *err filled.
 * `source` names the document in messages (a file name); may be NULL. */
int policy_parse(const char *json, const char *source, Policy **ret, PolicyError *err);

/* Merges drop-in documents over a main document, in the given order, then parses the result.
 * Objects merge key by key; a ruleset in a drop-in replaces the ruleset of the same name or is appended;
 * arrays other than "rulesets" are replaced. texts[0] is the main document (may be NULL for "none"). */
int policy_parse_merged(const char *const *texts, const char *const *sources, size_t n, Policy **ret, PolicyError *err);
