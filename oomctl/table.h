/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Aligned text tables for a terminal: a header line, left-aligned text columns, right-aligned
 * figures, an optional colour per cell (escape codes do not count towards widths), and one
 * elastic column that is shortened from the left ("...service") when the table is wider than
 * the terminal.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct Table Table;

/* A table with n columns and these headers (copied). NULL on ENOMEM. */
Table *table_new(size_t n_columns, const char *const *headers);
/* Frees a table; accepts NULL; returns NULL. */
Table *table_free(Table *t);

static inline void table_freep(Table **t) {
        table_free(*t);
}

/* Right-aligns column `col` (figures). */
void table_align_right(Table *t, size_t col);
/* The column that gives up width when the table does not fit (default: none). */
void table_set_elastic(Table *t, size_t col);
/* Whether the header line is printed (default: yes; oomctl --no-legend turns it off). */
void table_set_header(Table *t, bool show);
/* Appends a row of n_columns cells (copied; NULL prints as "-"). 0 or -ENOMEM. */
int table_add_row(Table *t, const char *const *cells);
/* Colours one cell of the last row added with an ANSI SGR code such as "1;31" (copied), used only when printing in colour. */
int table_color_last(Table *t, size_t col, const char *sgr);
/* Prints the table. max_width 0 means no limit. */
void table_print(const Table *t, FILE *f, unsigned max_width, bool color);
size_t table_rows(const Table *t);

/* True when stdout should get colour: a terminal, and NO_COLOR unset (https://no-color.org). */
bool stdout_wants_color(void);
/* The terminal's width, or 0 when stdout is not a terminal. */
unsigned stdout_columns(void);
