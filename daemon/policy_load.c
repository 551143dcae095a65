/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../policy/macro.h"
#include "policy_load.h"

#define POLICY_FILE_MAX_BYTES (1024 * 1024) /* a policy is a few KiB; anything near this is a mistake */
#define POLICY_DROPINS_MAX 256

/* Reads a whole file (fd) into a NUL-terminated malloc'd string. */
static int read_all_fd(int fd, char **ret) {
        size_t size = 0, cap = 4096;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (size + 1 >= cap) {
                        if (cap >= POLICY_FILE_MAX_BYTES)
                                return -EFBIG;
                        cap *= 2;
                        char *n = realloc(buf, cap);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                }
                ssize_t k = read(fd, buf + size, cap - 1 - size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                size += (size_t) k;
        }
        buf[size] = 0;
        if (strlen(buf) != size)
                return -EBADMSG; /* a NUL byte: not a JSON text */
        *ret = TAKE_PTR(buf);
        return 0;
}

static int read_text(const char *path, char **ret, char *errbuf, size_t errlen) {
        _cleanup_close_ int fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                int r = -errno;
                snprintf(errbuf, errlen, "%s: cannot open the policy file: %s", path, strerror(-r));
                return r;
        }
        int r = read_all_fd(fd, ret);
        if (r < 0)
                snprintf(errbuf, errlen, "%s: cannot read the policy file: %s", path,
                         r == -EFBIG ? "larger than 1 MiB, which no policy needs" :
                         r == -EBADMSG ? "it contains a NUL byte; is it a JSON text file?" : strerror(-r));
        return r;
}

static void format_error(const char *source, const PolicyError *e, char *errbuf, size_t errlen) {
        if (e->path[0])
                snprintf(errbuf, errlen, "%s: %s: %s", source, e->path, e->message);
        else
                snprintf(errbuf, errlen, "%s: %s", source, e->message);
}

int policy_load_file(const char *path, Policy **ret, char *errbuf, size_t errlen) {
        _cleanup_free_ char *text = NULL;
        PolicyError e = {};
        int r = read_text(path, &text, errbuf, errlen);
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
        Dropin dropins[POLICY_DROPINS_MAX];
        size_t n_dropins = 0;
        char *texts[POLICY_DROPINS_MAX + 2] = {};
        const char *sources[POLICY_DROPINS_MAX + 2] = {};
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
        } else if (src->main_path && access(src->main_path, F_OK) == 0) {
                r = read_text(src->main_path, &texts[m], errbuf, errlen);
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
                        if (n_dropins < POLICY_DROPINS_MAX) {
                                char *p = NULL;
                                if (asprintf(&p, "%s/%s", src->dropin_dirs[i], list[j]->d_name) >= 0) {
                                        dropins[n_dropins].path = p;
                                        dropins[n_dropins].name = strdup(list[j]->d_name);
                                        n_dropins++;
                                }
                        }
                        free(list[j]);
                }
                free(list);
        }
        qsort(dropins, n_dropins, sizeof(Dropin), dropin_cmp);

        for (size_t i = 0; i < n_dropins; i++) {
                r = read_text(dropins[i].path, &texts[n], errbuf, errlen);
                if (r < 0)
                        goto finish;
                sources[n++] = dropins[i].path;
                if (dl < sizeof desc)
                        dl += snprintf(desc + dl, sizeof desc - dl, " + %s", dropins[i].path);
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
