/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <string.h>

#include "fuzz-util.h"
#include "daemon/util/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        /* the readers log what they reject: once per input would bury libFuzzer's own output */
        log_setup(LOG_TARGET_STDERR, LOG_EMERG);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* an exact-size copy, so ASan catches a parser reading past the NUL */
        char *text = malloc(size + 1);

        if (!text)
                return 0;
        if (size > 0)
                memcpy(text, data, size);
        text[size] = 0;
        fuzz_text(text, size);
        free(text);
        return 0;
}
