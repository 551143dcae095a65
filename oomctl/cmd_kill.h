/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * oomctl kill-list (show, add, remove, move) and kill: the kill list of the running policy, and
 * manual kills. Each takes the parsed command line and returns an exit code (command.h).
 */
#include "command.h"

int cmd_kill_list_show(const Args *a);
int cmd_kill_list_add(const Args *a);
int cmd_kill_list_remove(const Args *a);
int cmd_kill_list_move(const Args *a);
int cmd_kill(const Args *a);
