/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The names the policy format gives its enums ("pressure_above", "size_or_growth", "avg10"...),
 * indexed by the enum and NULL-terminated: one table each, read by the parser and written back by
 * the serializer.
 */

#include "policy_types.h"

extern const char *const detector_type_names[_DETECTOR_TYPE_MAX + 1];
extern const char *const ranker_names[_RANKER_TYPE_MAX + 1];
extern const char *const resource_names[3];
extern const char *const kind_names[3];
extern const char *const window_names[4]; /* the kernel's averages; PSI_WINDOW_EXACT is a duration */
extern const char *const granularity_names[3];
extern const char *const action_type_names[2];
extern const char *const unit_method_names[_UNIT_METHOD_MAX + 1];

/* "kill", "stop", "restart"; NULL when out of range. */
const char *unit_method_to_string(UnitMethod m);
