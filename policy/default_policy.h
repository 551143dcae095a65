/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The policy that applies when no policy file exists, embedded as JSON text. */

/* The embedded default policy, as JSON text. */
extern const char policy_default_json[];
