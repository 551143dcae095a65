/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes the policies of policy-worst-case.h into a directory, NAME.json at the limit and
 * NAME-past.json one past it, to time `pressured --check-config` on them by hand (README "Limits").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-worst-case.h"

static int write_case(const char *dir, WorstCase c, bool over) {
        char path[4096];
        char *text = worst_case_policy(c, over);
        FILE *f;
        int ok;

        snprintf(path, sizeof path, "%s/%s%s.json", dir, worst_case_name(c), over ? "-past" : "");
        f = fopen(path, "we");
        ok = f && fputs(text, f) >= 0;
        if (f && fclose(f) != 0)
                ok = 0;
        if (!ok)
                perror(path);
        free(text);
        return ok ? 0 : -1;
}

int main(int argc, char *argv[]) {
        int r = 0;

        if (argc != 2) {
                fprintf(stderr, "usage: %s DIR\n", argv[0]);
                return 2;
        }
        for (WorstCase c = 0; c < _WORST_CASE_MAX; c++)
                if (write_case(argv[1], c, false) < 0 || write_case(argv[1], c, true) < 0)
                        r = 1;
        return r;
}
