/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/macro.h"
#include "policy/policy_file.h"
#include "core/policy_load.h"

static void format_error(const char *source, const PolicyError *e, char *errbuf, size_t errlen) {
        if (e->path[0])
                snprintf(errbuf, errlen, "%s: %s: %s", source, e->path, e->message);
        else
                snprintf(errbuf, errlen, "%s: %s", source, e->message);
}

int policy_load_file(const char *path, Policy **ret, char *errbuf, size_t errlen) {
        _cleanup_free_ char *text = NULL;
        PolicyError e = {};
        int r = policy_file_read(path, &text, errbuf, errlen);
        if (r < 0)
                return r;
        r = policy_parse(text, strcmp(path, "-") == 0 ? "<stdin>" : path, ret, &e);
        if (r < 0)
                format_error(strcmp(path, "-") == 0 ? "<stdin>" : path, &e, errbuf, errlen);
        return r;
}

static int json_suffix(const struct dirent *d) {
        size_t l = strlen(d->d_name);
        return d->d_name[0] != '.' && l > 5 && strcmp(d->d_name + l - 5, ".json") == 0;
}

typedef struct Dropin {
        char *name;
        char *path;
} Dropin;

static int dropin_cmp(const void *a, const void *b) {
        const Dropin *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        return c ? c : strcmp(x->path, y->path);
}

int policy_load(const PolicySources *src, Policy **ret, char **ret_description, char *errbuf, size_t errlen) {
        return policy_load_detailed(src, ret, ret_description, NULL, errbuf, errlen);
}

int policy_load_detailed(const PolicySources *src, Policy **ret, char **ret_description,
                         PolicyError *ret_error, char *errbuf, size_t errlen) {
        Dropin dropins[POLICY_MAX_DROPINS];
        size_t n_dropins = 0;
        char *texts[POLICY_MAX_DROPINS + 2 + POLICY_LAYERS_MAX] = {};
        const char *sources[POLICY_MAX_DROPINS + 2 + POLICY_LAYERS_MAX] = {};
        size_t n = 0;
        int r = 0;
        char desc[4096];
        size_t dl = 0;

        /* The base (systemd's annotations) comes first, so everything after it may override it. */
        size_t m = 0;
        if (src->base_text) {
                texts[0] = strdup(src->base_text);
                sources[0] = src->base_name ? src->base_name : "generated rulesets";
                m = 1;
                if (!texts[0]) {
                        r = -ENOMEM;
                        snprintf(errbuf, errlen, "out of memory while loading the policy");
                        goto finish;
                }
        }
        n = m;

        /* The main document: given text, the file if it exists, else the embedded default. */
        if (src->main_text) {
                texts[m] = strdup(src->main_text);
                sources[m] = src->main_path ? src->main_path : "<request>";
                dl += snprintf(desc + dl, sizeof desc - dl, "%s", sources[m]);
        } else if (src->main_path && (src->main_required || access(src->main_path, F_OK) == 0)) {
                r = policy_file_read(src->main_path, &texts[m], errbuf, errlen);
                if (r < 0)
                        goto finish;
                sources[m] = src->main_path;
                dl += snprintf(desc + dl, sizeof desc - dl, "%s", src->main_path);
        } else {
                /* Behind a base document the default has to be spelled out: only the first may be "none". */
                texts[m] = m ? strdup(policy_default_json) : NULL;
                sources[m] = "embedded default policy";
                dl += snprintf(desc + dl, sizeof desc - dl, "embedded default policy%s%s%s",
                               src->main_path ? " (" : "", src->main_path ? src->main_path : "",
                               src->main_path ? " does not exist)" : "");
        }
        if (src->main_note && dl < sizeof desc)
                dl += snprintf(desc + dl, sizeof desc - dl, " (%s)", src->main_note);
        n = m + 1;
        if (!texts[m] && (src->main_text || (m && streq(sources[m], "embedded default policy")))) {
                r = -ENOMEM;
                snprintf(errbuf, errlen, "out of memory while loading the policy");
                goto finish;
        }

        /* Drop-ins: *.json from every directory, ordered by file name across directories. */
        for (size_t i = 0; i < ELEMENTSOF(src->dropin_dirs) && src->dropin_dirs[i]; i++) {
                struct dirent **list = NULL;
                int k = scandir(src->dropin_dirs[i], &list, json_suffix, alphasort);
                if (k < 0) {
                        if (errno == ENOENT || errno == ENOTDIR)
                                continue;
                        r = -errno;
                        snprintf(errbuf, errlen, "%s: cannot list the policy drop-in directory: %s",
                                 src->dropin_dirs[i], strerror(errno));
                        goto finish;
                }
                for (int j = 0; j < k; j++) {
                        if (r >= 0 && n_dropins == POLICY_MAX_DROPINS) {
                                r = -E2BIG;
                                snprintf(errbuf, errlen, "%s: more than %u policy drop-ins in all, the limit (POLICY_MAX_DROPINS); "
                                         "merge them into fewer files", src->dropin_dirs[i], POLICY_MAX_DROPINS);
                        }
                        if (r >= 0 && asprintf(&dropins[n_dropins].path, "%s/%s", src->dropin_dirs[i], list[j]->d_name) < 0)
                                r = -ENOMEM;
                        if (r >= 0 && !(dropins[n_dropins++].name = strdup(list[j]->d_name)))
                                r = -ENOMEM;
                        free(list[j]);
                }
                free(list);
                if (r == -ENOMEM)
                        snprintf(errbuf, errlen, "out of memory while listing the policy drop-ins");
                if (r < 0)
                        goto finish;
        }
        qsort(dropins, n_dropins, sizeof(Dropin), dropin_cmp);

        for (size_t i = 0; i < n_dropins; i++) {
                r = policy_file_read(dropins[i].path, &texts[n], errbuf, errlen);
                if (r < 0)
                        goto finish;
                sources[n++] = dropins[i].path;
                if (dl < sizeof desc)
                        dl += snprintf(desc + dl, sizeof desc - dl, " + %s", dropins[i].path);
        }

        /* The change layers, after every drop-in: a change made with oomctl wins over the files. */
        for (size_t i = 0; i < POLICY_LAYERS_MAX; i++) {
                const PolicyLayer *l = &src->layers[i];
                if (!l->path || l->skip)
                        continue;
                if (l->text) {
                        texts[n] = strdup(l->text);
                        if (!texts[n]) {
                                r = -ENOMEM;
                                snprintf(errbuf, errlen, "out of memory while loading the policy");
                                goto finish;
                        }
                } else if (access(l->path, F_OK) < 0)
                        continue;
                else {
                        r = policy_file_read(l->path, &texts[n], errbuf, errlen);
                        if (r < 0)
                                goto finish;
                }
                sources[n++] = l->path;
                if (dl < sizeof desc)
                        dl += snprintf(desc + dl, sizeof desc - dl, " + %s", l->path);
        }

        PolicyError e = {};
        r = policy_parse_merged((const char *const *) texts, sources, n, ret, &e);
        if (r < 0) {
                format_error(n > m + 1 ? "policy (after merging drop-ins)" : sources[m], &e, errbuf, errlen);
                if (ret_error)
                        *ret_error = e;
                goto finish;
        }
        if (m && dl < sizeof desc)
                dl += snprintf(desc + dl, sizeof desc - dl, " over %s", sources[0]);
        if (ret_description)
                *ret_description = strdup(desc);
        r = 0;

finish:
        for (size_t i = 0; i < n_dropins; i++) {
                free(dropins[i].path);
                free(dropins[i].name);
        }
        for (size_t i = 0; i < n; i++)
                free(texts[i]);
        return r;
}

int policy_check_files(const char *file, bool as_dropin, const char *main_path, const char *dropin_dir,
                       Policy **ret, PolicyError *ret_error, char *errbuf, size_t errlen) {
        _cleanup_free_ char *text = NULL;
        const char *name = streq(file, "-") ? "<stdin>" : file;
        struct stat st;
        int r;

        if (dropin_dir && stat(dropin_dir, &st) < 0) {
                r = -errno;
                snprintf(errbuf, errlen, "%s: cannot read the drop-in directory: %s", dropin_dir, strerror(errno));
                return r;
        }
        if (dropin_dir && !S_ISDIR(st.st_mode)) {
                snprintf(errbuf, errlen, "%s is not a directory: --policy-dir names the directory of drop-ins", dropin_dir);
                return -ENOTDIR;
        }
        r = policy_file_read(file, &text, errbuf, errlen);
        if (r < 0)
                return r;

        PolicySources src = { .dropin_dirs = { dropin_dir, NULL } };
        if (as_dropin) {
                src.main_path = main_path;
                src.main_required = main_path != NULL;
                src.layers[0] = (PolicyLayer) { .path = name, .text = text };
        } else {
                src.main_path = name;
                src.main_text = text;
        }
        return policy_load_detailed(&src, ret, NULL, ret_error, errbuf, errlen);
}
