/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "table.h"

#define COLUMN_GAP 2
#define ELASTIC_MIN_WIDTH 12

struct Table {
        size_t n_columns, n_rows;
        char **headers;
        char **cells;     /* n_rows * n_columns */
        char **colors;    /* same shape; NULL for none */
        bool *right;
        size_t elastic;   /* n_columns: none */
        bool no_header;   /* --no-legend */
};

Table *table_new(size_t n_columns, const char *const *headers) {
        Table *t = calloc(1, sizeof *t);
        if (!t)
                return NULL;
        t->n_columns = n_columns;
        t->elastic = n_columns;
        t->headers = calloc(n_columns, sizeof(char *));
        t->right = calloc(n_columns, sizeof(bool));
        if (!t->headers || !t->right)
                return table_free(t);
        for (size_t i = 0; i < n_columns; i++)
                if (!(t->headers[i] = strdup(headers[i])))
                        return table_free(t);
        return t;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; t->headers && i < t->n_columns; i++)
                free(t->headers[i]);
        for (size_t i = 0; i < t->n_rows * t->n_columns; i++) {
                free(t->cells[i]);
                free(t->colors[i]);
        }
        free(t->headers);
        free(t->cells);
        free(t->colors);
        free(t->right);
        free(t);
        return NULL;
}

void table_align_right(Table *t, size_t col) {
        if (col < t->n_columns)
                t->right[col] = true;
}

void table_set_elastic(Table *t, size_t col) {
        t->elastic = col;
}

void table_set_header(Table *t, bool show) {
        t->no_header = !show;
}

size_t table_rows(const Table *t) {
        return t->n_rows;
}

int table_add_row(Table *t, const char *const *cells) {
        size_t n = (t->n_rows + 1) * t->n_columns;
        char **c = realloc(t->cells, n * sizeof(char *));
        if (!c)
                return -ENOMEM;
        t->cells = c;
        char **k = realloc(t->colors, n * sizeof(char *));
        if (!k)
                return -ENOMEM;
        t->colors = k;

        char **row = t->cells + t->n_rows * t->n_columns;
        for (size_t i = 0; i < t->n_columns; i++) {
                row[i] = strdup(cells[i] ? cells[i] : "-");
                t->colors[t->n_rows * t->n_columns + i] = NULL;
                if (!row[i]) {
                        for (size_t j = 0; j < i; j++)
                                free(row[j]);
                        return -ENOMEM;
                }
        }
        t->n_rows++;
        return 0;
}

int table_color_last(Table *t, size_t col, const char *sgr) {
        if (t->n_rows == 0 || col >= t->n_columns)
                return -EINVAL;
        char **slot = &t->colors[(t->n_rows - 1) * t->n_columns + col];
        free(*slot);
        *slot = sgr ? strdup(sgr) : NULL;
        return !sgr || *slot ? 0 : -ENOMEM;
}

static void print_cell(FILE *f, const char *text, size_t width, bool right, bool last, const char *sgr) {
        size_t len = strlen(text);
        char buf[4096];

        if (len > width) {
                /* Keep the end: the leaf of a cgroup path says most. */
                snprintf(buf, sizeof buf, "...%s", text + len - (width > 3 ? width - 3 : 0));
                text = buf;
                len = strlen(text);
        }
        size_t pad = width > len ? width - len : 0;
        if (right)
                fprintf(f, "%*s", (int) pad, "");
        if (sgr)
                fprintf(f, "\033[%sm%s\033[0m", sgr, text);
        else
                fputs(text, f);
        if (!right && !last)
                fprintf(f, "%*s", (int) pad, "");
        if (!last)
                fprintf(f, "%*s", COLUMN_GAP, "");
}

void table_print(const Table *t, FILE *f, unsigned max_width, bool color) {
        size_t *w = calloc(t->n_columns, sizeof(size_t));
        if (!w)
                return;
        size_t total = 0;
        for (size_t i = 0; i < t->n_columns; i++) {
                w[i] = t->no_header ? 0 : strlen(t->headers[i]);
                for (size_t r = 0; r < t->n_rows; r++) {
                        size_t l = strlen(t->cells[r * t->n_columns + i]);
                        if (l > w[i])
                                w[i] = l;
                }
                total += w[i] + (i + 1 < t->n_columns ? COLUMN_GAP : 0);
        }
        if (max_width > 0 && total > max_width && t->elastic < t->n_columns) {
                size_t excess = total - max_width;
                size_t e = w[t->elastic];
                size_t header = t->no_header ? 0 : strlen(t->headers[t->elastic]);
                size_t floor = header > ELASTIC_MIN_WIDTH ? header : ELASTIC_MIN_WIDTH;
                w[t->elastic] = e > floor + excess ? e - excess : (e > floor ? floor : e);
        }

        for (size_t i = 0; !t->no_header && i < t->n_columns; i++)
                print_cell(f, t->headers[i], w[i], t->right[i], i + 1 == t->n_columns, color ? "1" : NULL);
        if (!t->no_header)
                fputc('\n', f);
        for (size_t r = 0; r < t->n_rows; r++) {
                for (size_t i = 0; i < t->n_columns; i++)
                        print_cell(f, t->cells[r * t->n_columns + i], w[i], t->right[i], i + 1 == t->n_columns,
                                   color ? t->colors[r * t->n_columns + i] : NULL);
                fputc('\n', f);
        }
        free(w);
}

bool stdout_wants_color(void) {
        const char *nc = getenv("NO_COLOR");
        if (nc && *nc)
                return false;
        const char *term = getenv("TERM");
        if (term && strcmp(term, "dumb") == 0)
                return false;
        return isatty(STDOUT_FILENO);
}

unsigned stdout_columns(void) {
        struct winsize ws;
        if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_col == 0)
                return 0;
        return ws.ws_col;
}
