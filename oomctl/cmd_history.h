/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * oomctl history: the kills pressured recorded, from the daemon or, when it is not running, from
 * its history file. Takes the parsed command line and returns an exit code (command.h).
 */
#include "command.h"

int cmd_history(const Args *a);
