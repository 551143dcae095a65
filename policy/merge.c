/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Policy documents -> one JSON tree -> Policy. Each document is checked as text and as a tree
 * (json_text_validate(), then at most POLICY_MAX_KEYS keys per object, none twice), drop-ins are
 * merged over the main document as JSON trees, and the merged tree is validated once (parse.c).
 * The merge moves nodes instead of copying them and never frees one before the end, so a table of
 * node addresses tells which document set the value an error is about.
 */

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "default_policy.h"
#include "json_text.h"
#include "macro.h"
#include "merge.h"
#include "parse.h"
#include "parser.h"

#define SOURCE_DEFAULT_NAME "the embedded default policy"

DEFINE_POINTER_CLEANUP(Policy, policy_free);

static void text_position(const char *text, const char *at, size_t *line, size_t *column) {
        *line = 1;
        *column = 1;
        for (const char *s = text; s < at && *s; s++) {
                if (*s == '\n') {
                        (*line)++;
                        *column = 1;
                } else
                        (*column)++;
        }
}

/* True when the text ends inside a string or with a bracket or brace still open: a truncated file.
 * cJSON's error position alone cannot tell, it often points at the start of the unfinished value. */
static bool text_unclosed(const char *s) {
        bool in_string = false;
        long depth = 0;

        for (; *s; s++) {
                if (in_string) {
                        if (*s == '\\' && s[1])
                                s++;
                        else if (*s == '"')
                                in_string = false;
                } else if (*s == '"')
                        in_string = true;
                else if (*s == '{' || *s == '[')
                        depth++;
                else if (*s == '}' || *s == ']')
                        depth--;
        }
        return in_string || depth > 0;
}

static int key_index_compare(const void *a, const void *b, void *userdata) {
        const cJSON *const *keys = userdata;
        size_t x = *(const size_t *) a, y = *(const size_t *) b;
        int c = strcmp(keys[x]->string, keys[y]->string);

        return c ? c : (x > y) - (x < y);
}

/* The first key of `obj` that repeats an earlier one: its position, or SIZE_MAX when every key
 * differs. The keys, at most POLICY_MAX_KEYS, are sorted by name, so a document of many keys
 * costs n log n comparisons, not n^2. */
static size_t first_duplicate_key(const cJSON *obj, size_t n) {
        const cJSON *keys[POLICY_MAX_KEYS], *c;
        size_t order[POLICY_MAX_KEYS], i = 0, first = SIZE_MAX, run = 0;

        cJSON_ArrayForEach(c, obj) {
                keys[i] = c;
                order[i] = i;
                i++;
        }
        qsort_r(order, n, sizeof(size_t), key_index_compare, keys);
        /* in a run of equal names, the second (by position) is the first to repeat one */
        for (i = 1; i < n; i++) {
                if (!streq(keys[order[i]]->string, keys[order[run]]->string))
                        run = i;
                else if (i == run + 1 && order[i] < first)
                        first = order[i];
        }
        return first;
}

/* Checks the tree as parsed, before anything reads it: at most POLICY_MAX_KEYS keys per object,
 * none twice. Depth is bounded by json_text_validate(), which ran first. */
static int check_tree(Parser *p, const cJSON *node) {
        const cJSON *c;
        size_t i = 0, n, dup = SIZE_MAX;
        int r;

        if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
                return 0;
        if (cJSON_IsObject(node)) {
                n = (size_t) cJSON_GetArraySize(node);
                if (n > POLICY_MAX_KEYS)
                        return parse_fail(p, node, "an object with %zu keys, more than the limit of %u (POLICY_MAX_KEYS); "
                                    "no object of a policy has more than 15: look for a pasted or generated block",
                                    n, POLICY_MAX_KEYS);
                dup = first_duplicate_key(node, n);
        }
        cJSON_ArrayForEach(c, node) {
                size_t m = cJSON_IsObject(node) ? path_push_key(p, c->string) : path_push_index(p, i);

                if (i == dup)
                        return parse_fail(p, c, "duplicate key \"%s\": a key may appear only once in an object; remove one of them",
                                    c->string);
                r = check_tree(p, c);
                if (r < 0)
                        return r;
                path_pop(p, m);
                i++;
        }
        return 0;
}

static int origins_add_tree(Parser *p, const cJSON *node, size_t doc) {
        const cJSON *c;
        int r;

        if (p->n_origins == p->n_origins_allocated) {
                size_t n = p->n_origins_allocated ? p->n_origins_allocated * 2 : 256;
                Origin *o = reallocarray(p->origins, n, sizeof(Origin));
                if (!o)
                        return -ENOMEM;
                p->origins = o;
                p->n_origins_allocated = n;
        }
        p->origins[p->n_origins++] = (Origin) { node, doc };
        cJSON_ArrayForEach(c, node) {
                r = origins_add_tree(p, c, doc);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Records that every node of `root` came from document `doc`. */
static int origins_add(Parser *p, const cJSON *root, size_t doc) {
        int r = origins_add_tree(p, root, doc);

        if (r >= 0)
                qsort(p->origins, p->n_origins, sizeof(Origin), parser_origin_compare);
        return r;
}

/* Parses document `doc` into a cJSON tree: its strings sound (json_text_validate()), valid JSON,
 * no duplicate keys, an object at the top. */
static int parse_document(Parser *p, const char *text, size_t doc, cJSON **ret) {
        const char *end = NULL;
        JsonTextError text_error;
        size_t line, column;
        cJSON *root;
        int r;

        if (!text[strspn(text, " \t\r\n")])
                return parse_fail_doc(p, doc, "the document is empty; expected a JSON object such as {\"rulesets\": [...]}");
        /* before cJSON, which would cut a string at \u0000 and take any byte */
        if (json_text_validate(text, strlen(text), &text_error) < 0) {
                path_append(p, "%s", text_error.path);
                return parse_fail_doc(p, doc, "%s", text_error.message);
        }

        root = cJSON_ParseWithOpts(text, &end, true);
        if (!root) {
                char near[40] = "";

                if (text_unclosed(text)) {
                        text_position(text, text + strlen(text), &line, &column);
                        return parse_fail_doc(p, doc, "invalid JSON: the document ends too early, at line %zu: it is truncated, or a bracket, brace or quote is not closed",
                                        line);
                }
                if (!end)
                        end = text + strlen(text);
                text_position(text, end, &line, &column);
                if (*end) {
                        size_t k = strcspn(end, "\r\n");
                        snprintf(near, sizeof(near), ", near '%.*s'", (int) (k < 16 ? k : 16), end);
                }
                return parse_fail_doc(p, doc, "invalid JSON: parsing stopped at line %zu, column %zu (byte %zu)%s; look for a missing comma or quote, a trailing comma, or a comment (comments are not allowed)",
                                line, column, (size_t) (end - text), near);
        }

        if (p->n_docs > 1) {
                r = origins_add(p, root, doc);
                if (r < 0) {
                        cJSON_Delete(root);
                        return r;
                }
        }

        r = check_tree(p, root);
        if (r < 0) {
                cJSON_Delete(root);
                return r;
        }
        if (!cJSON_IsObject(root)) {
                r = parse_fail(p, root, "expected a JSON object at the top level, such as {\"rulesets\": [...]}, got %s", GOT(root));
                cJSON_Delete(root);
                return r;
        }
        *ret = root;
        return 0;
}

static cJSON *find_ruleset(cJSON *rulesets, const char *name) {
        cJSON *c;

        cJSON_ArrayForEach(c, rulesets) {
                const cJSON *n = json_child(c, "name");
                if (cJSON_IsString(n) && streq(n->valuestring, name))
                        return c;
        }
        return NULL;
}

/* Puts `new` where `old` is in `array` and moves `old` to the graveyard, in constant time. Linked in
 * by hand: cJSON_InsertItemInArray refuses to insert after a detach in Debian's 1.7.15, and
 * cJSON_ReplaceItemViaPointer frees the old item, whose address the origin table still holds.
 * cJSON's list: each item's prev is the one before it, the first item's prev is the last. */
static void array_replace(cJSON *array, cJSON *old, cJSON *new, cJSON *graveyard) {
        new->next = old->next;
        if (old == array->child) {
                new->prev = old->prev == old ? new : old->prev;
                array->child = new;
        } else {
                new->prev = old->prev;
                old->prev->next = new;
        }
        if (new->next)
                new->next->prev = new;
        else
                array->child->prev = new;
        old->next = old->prev = NULL;
        cJSON_AddItemToArray(graveyard, old);
}

/* Merges drop-in rulesets into dst_root's "rulesets" by name. Replaced and removed nodes go to
 * `graveyard` rather than being freed, so no node address is reused while errors may still
 * need the origin table. */
static int merge_rulesets(Parser *p, cJSON *dst_root, cJSON *src, cJSON *graveyard) {
        cJSON *dst = cJSON_GetObjectItemCaseSensitive(dst_root, "rulesets"), *e, *next;
        _cleanup_free_ const char **seen = NULL;
        size_t i = 0, n_dst;
        int r;

        path_push_key(p, "rulesets");
        if (!cJSON_IsArray(src))
                return parse_fail(p, src, "expected an array of rulesets, got %s", GOT(src));
        if (dst && !cJSON_IsArray(dst))
                return parse_fail(p, dst, "expected an array of rulesets, got %s", GOT(dst));
        /* bounds the merge: each ruleset is looked up by name among at most the limit */
        r = check_rulesets(p, src);
        if (r < 0)
                return r;
        n_dst = (size_t) cJSON_GetArraySize(dst);
        if (!dst) {
                dst = cJSON_AddArrayToObject(dst_root, "rulesets");
                if (!dst)
                        return -ENOMEM;
        }
        /* names of this drop-in's rulesets so far; the nodes stay alive, in dst or the graveyard */
        seen = calloc((size_t) cJSON_GetArraySize(src) + 1, sizeof(char *));
        if (!seen)
                return -ENOMEM;

        for (e = src->child; e; e = next, i++) {
                size_t m = path_push_index(p, i);
                const cJSON *name, *enabled;
                cJSON *old;

                next = e->next;
                if (!cJSON_IsObject(e))
                        return parse_fail(p, e, "expected a ruleset object, got %s", GOT(e));
                name = json_child(e, "name");
                if (!cJSON_IsString(name) || !name->valuestring[0])
                        return parse_fail(p, e, "a ruleset in a drop-in needs a \"name\": it replaces the ruleset of that name, adds a new one, or removes one with \"enabled\": false");
                for (size_t j = 0; j < i; j++)
                        if (streq(seen[j], name->valuestring)) {
                                path_push_key(p, "name");
                                return parse_fail(p, name, "duplicate ruleset name \"%s\" in one drop-in; merge the two rulesets into one",
                                            name->valuestring);
                        }
                seen[i] = name->valuestring;

                enabled = json_child(e, "enabled");
                if (enabled) {
                        if (!cJSON_IsBool(enabled)) {
                                path_push_key(p, "enabled");
                                return parse_fail(p, enabled, "expected a boolean (false removes the ruleset), got %s", GOT(enabled));
                        }
                        if (cJSON_IsFalse(enabled)) {
                                if (cJSON_GetArraySize(e) != 2)
                                        return parse_fail(p, e, "a ruleset with \"enabled\": false removes ruleset \"%s\" and must have no other keys than \"name\" and \"enabled\"",
                                                    name->valuestring);
                                old = find_ruleset(dst, name->valuestring);
                                if (!old)
                                        return parse_fail(p, e, "cannot remove ruleset \"%s\": no ruleset of that name is defined before this drop-in; check the name",
                                                    name->valuestring);
                                cJSON_AddItemToArray(graveyard, cJSON_DetachItemViaPointer(dst, old));
                                n_dst--;
                                path_pop(p, m);
                                continue;
                        }
                        cJSON_AddItemToArray(graveyard, cJSON_DetachItemViaPointer(e, (cJSON *) enabled));
                }

                cJSON_DetachItemViaPointer(src, e);
                old = find_ruleset(dst, name->valuestring);
                if (old)
                        array_replace(dst, old, e, graveyard);
                else {
                        cJSON_AddItemToArray(dst, e);
                        if (++n_dst > POLICY_MAX_RULESETS) {
                                path_pop(p, m);
                                return check_rulesets(p, dst);
                        }
                }
                path_pop(p, m);
        }
        path_pop(p, 0);
        return 0;
}

/* Key by key: objects merge recursively, anything else from src replaces what dst has. */
static int merge_object(Parser *p, cJSON *dst, cJSON *src, bool top, cJSON *graveyard) {
        cJSON *c, *next;
        int r;

        for (c = src->child; c; c = next) {
                cJSON *old = cJSON_GetObjectItemCaseSensitive(dst, c->string);

                next = c->next;
                if (top && streq(c->string, "rulesets")) {
                        r = merge_rulesets(p, dst, c, graveyard);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (cJSON_IsObject(old) && cJSON_IsObject(c)) {
                        r = merge_object(p, old, c, false, graveyard);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (old)
                        cJSON_AddItemToArray(graveyard, cJSON_DetachItemViaPointer(dst, old));
                /* the detached node keeps its key (c->string), so it can be linked in as is */
                cJSON_AddItemToArray(dst, cJSON_DetachItemViaPointer(src, c));
        }
        return 0;
}

/* All documents together within POLICY_MAX_BYTES: the size of a policy bounds the cost of loading it. */
static int check_total_size(Parser *p, const char *const *texts, size_t n) {
        size_t total = 0;

        for (size_t i = 0; i < n; i++)
                total += texts[i] ? strlen(texts[i]) : 0;
        if (total <= POLICY_MAX_BYTES)
                return 0;
        if (n == 1)
                return parse_fail_doc(p, 0, "the policy is %zu bytes, more than the limit of " POLICY_MAX_BYTES_TEXT
                                " (POLICY_MAX_BYTES); a policy is a few KiB: is it the right file?", total);
        return parse_fail_doc(p, 0, "the policy's %zu documents are %zu bytes together, more than the limit of " POLICY_MAX_BYTES_TEXT
                        " (POLICY_MAX_BYTES); a policy is a few KiB: look for a drop-in that does not belong", n, total);
}

static int parse_documents(const char *const *texts, const char *const *sources, size_t n, Policy **ret,
                           PolicyError *err) {
        _cleanup_(policy_freep) Policy *pol = NULL;
        _cleanup_free_ const char **names = NULL;
        cJSON *main_doc = NULL, *graveyard = NULL;
        Parser p = { .err = err };
        int r;

        if (err)
                *err = (PolicyError) {};
        if (!ret)
                return -EINVAL;

        /* texts[0] == NULL (or no text at all) means: no main file, the embedded default applies */
        p.n_docs = n > 0 ? n : 1;
        names = calloc(p.n_docs, sizeof(char *));
        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < p.n_docs; i++) {
                if (i == 0 && (n == 0 || !texts[0]))
                        names[i] = SOURCE_DEFAULT_NAME;
                else if (sources && sources[i])
                        names[i] = sources[i];
                else if (i == 0)
                        names[i] = "the main policy";
                else
                        names[i] = "a drop-in without a name";
        }
        p.sources = names;

        r = check_total_size(&p, texts, n);
        if (r < 0)
                return r;

        graveyard = cJSON_CreateArray();
        if (!graveyard)
                return -ENOMEM;

        r = parse_document(&p, n > 0 && texts[0] ? texts[0] : policy_default_json, 0, &main_doc);
        if (r < 0)
                goto finish;

        for (size_t i = 1; i < n; i++) {
                cJSON *doc = NULL;

                if (!texts[i]) {
                        r = parse_fail_doc(&p, i, "drop-in has no text; read the file or leave it out");
                        goto finish;
                }
                r = parse_document(&p, texts[i], i, &doc);
                if (r < 0)
                        goto finish;
                cJSON_AddItemToArray(graveyard, doc); /* keeps the drop-in alive until the end */
                r = merge_object(&p, main_doc, doc, true, graveyard);
                if (r < 0)
                        goto finish;
        }

        pol = calloc(1, sizeof(Policy));
        if (!pol) {
                r = -ENOMEM;
                goto finish;
        }
        r = policy_parse_object(&p, main_doc, pol);
        if (r < 0)
                goto finish;

        *ret = TAKE_PTR(pol);
        r = 0;
finish:
        if (r == -ENOMEM && err)
                snprintf(err->message, sizeof(err->message), "out of memory while reading the policy");
        cJSON_Delete(main_doc);
        cJSON_Delete(graveyard);
        free(p.origins);
        return r;
}

int policy_parse(const char *json, const char *source, Policy **ret, PolicyError *err) {
        if (!json) {
                if (err) {
                        *err = (PolicyError) {};
                        snprintf(err->message, sizeof(err->message), "no policy text given");
                }
                return -EINVAL;
        }
        return parse_documents(&json, &source, 1, ret, err);
}

int policy_parse_merged(const char *const *texts, const char *const *sources, size_t n, Policy **ret,
                        PolicyError *err) {
        if (n > 0 && !texts) {
                if (err) {
                        *err = (PolicyError) {};
                        snprintf(err->message, sizeof(err->message), "no policy texts given");
                }
                return -EINVAL;
        }
        return parse_documents(texts, sources, n, ret, err);
}
