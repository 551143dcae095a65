/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "policy.h"

/* What holds for every policy the parser accepted: it serializes, the text parses again, and that
 * serializes to the same text; every ruleset names its source document; policy_needs() copes. */
void fuzz_check_policy(const Policy *p);

/* What holds for every rejection: -EINVAL with a message. */
void fuzz_check_policy_error(int r, const Policy *p, const PolicyError *err);
