/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A Policy back to JSON text, for `oomctl policy show` and the D-Bus Policy property. */

#include "policy_types.h"

/* Serializes a Policy back to JSON text (malloc'd), equivalent for policy_parse. */
char *policy_to_json(const Policy *p);
