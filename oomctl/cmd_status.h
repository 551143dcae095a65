/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * oomctl status, monitor and dump: the commands that read pressured's state and follow its events.
 * Each takes the parsed command line and returns an exit code (command.h).
 */
#include "command.h"

int cmd_status(const Args *a);
/* Follows the events until pressured goes away; returns only then. */
int cmd_monitor(const Args *a);
int cmd_dump(const Args *a);
