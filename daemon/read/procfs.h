/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Every procfs and cgroupfs reader at once, for code outside read/ that uses several. Each reader
 * has its own header; code in read/ and new code include the one they need.
 */

#include "read/cgroup_files.h"
#include "read/fileio.h"
#include "read/meminfo.h"
#include "read/mountinfo.h"
#include "read/proc_scan.h"
#include "read/psi.h"
#include "read/system_sample.h"
