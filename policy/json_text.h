/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The check a JSON text from outside gets before cJSON parses it, for what cJSON would take in
 * silently and get wrong. The policy parser runs it on every document; the control socket and the
 * D-Bus service run it on a request before they parse it, so that a policy inside a request is
 * held to the same rules as a policy file.
 *
 * A text passes when:
 *  - it has no NUL byte, and no string in it has the escape \u0000 (cJSON would end the string
 *    there and quietly drop the rest: "ok\u0000BAD" would become "ok");
 *  - it is valid UTF-8: no overlong forms, no UTF-16 surrogates (U+D800..U+DFFF), nothing above
 *    U+10FFFF, no sequence cut short; and no \uXXXX escape spells half a surrogate pair;
 *  - no string holds a raw control character (U+0001..U+001F), which JSON requires escaped;
 *  - objects and arrays nest at most JSON_MAX_DEPTH deep.
 * It does not check the grammar: that is cJSON's job, and a text that is not JSON passes here
 * unless it breaks one of the rules above.
 */

#include <stddef.h>
#include <cjson/cJSON.h>

#include "policy_limits.h"

typedef struct JsonTextError {
        size_t offset;        /* bytes from the start of the text */
        size_t line, column;  /* from 1; the column counts bytes */
        char path[256];       /* JSON path of the value, e.g. "rulesets[0].name"; "" for the document itself */
        char message[256];    /* what is wrong there, where (byte, line, column) and what to do */
} JsonTextError;

/* Checks buf[0..len) (no NUL terminator needed). Returns 0, or -EBADMSG with *ret_error (may be
 * NULL) saying what was found where. */
int json_text_validate(const char *buf, size_t len, JsonTextError *ret_error);

/* json_text_validate() with its error as one line, "PATH: MESSAGE" (or MESSAGE alone for the
 * document), in errbuf (may be NULL when errsize is 0). Returns 0 or -EBADMSG. For callers that
 * answer a request line: refuse the request with the line as its message. */
int json_text_check(const char *buf, size_t len, char *errbuf, size_t errsize);

/* A new object appended to the array a, or NULL when out of memory (nothing is appended then). */
cJSON *json_array_add_object(cJSON *a);
