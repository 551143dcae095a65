/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The policy library's public face: JSON text in, a validated intermediate form (Policy) out, and
 * what the monitor and the engine need from it. No I/O here: the daemon reads the files and hands
 * over their text. The JSON format is documented in README.md ("Policy format"). Each part has its
 * own header, included here so that a user of the policy includes this one:
 */

#include "default_policy.h" /* the embedded default policy */
#include "merge.h"          /* policy_parse(), policy_parse_merged(): documents -> Policy */
#include "names.h"          /* the names of the format's enums, unit_method_to_string() */
#include "needs.h"          /* what a sample must read for a policy */
#include "parse.h"          /* policy_free() */
#include "pattern.h"        /* pattern_match() */
#include "policy_types.h"   /* Policy and its parts */
#include "quantity.h"       /* sizes and durations as a policy writes them */
#include "serialize.h"      /* policy_to_json() */
