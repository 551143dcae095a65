/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/epoll.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "policy/format.h"
#include "policy/macro.h"
#include "util/log.h"
#include "core/psi_trigger.h"

typedef struct PsiTrigger {
        char *key;
        int fd;
        sd_event_source *source;
        PsiTriggerSet *set;
} PsiTrigger;

struct PsiTriggerSet {
        sd_event *event;
        psi_trigger_handler_t cb;
        void *userdata;
        PsiTrigger **items;
        size_t n;
        bool unavailable;
};

static void trigger_free(PsiTrigger *t) {
        if (!t)
                return;
        sd_event_source_disable_unref(t->source);
        if (t->fd >= 0)
                close(t->fd);
        free(t->key);
        free(t);
}

int psi_trigger_set_new(sd_event *e, psi_trigger_handler_t cb, void *userdata, PsiTriggerSet **ret) {
        PsiTriggerSet *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(e);
        s->cb = cb;
        s->userdata = userdata;
        *ret = s;
        return 0;
}

PsiTriggerSet *psi_trigger_set_free(PsiTriggerSet *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++)
                trigger_free(s->items[i]);
        free(s->items);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

static int on_trigger(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        PsiTrigger *t = userdata;

        if (revents & EPOLLERR) {
                /* The pressure file's cgroup is gone. Drop the trigger; the next sample prunes it anyway. */
                log_debug("PSI trigger on %s reported an error (its cgroup was removed?), disarming it", t->key);
                sd_event_source_set_enabled(src, SD_EVENT_OFF);
                return 0;
        }
        t->set->cb(t->key, t->set->userdata);
        return 0;
}

int psi_trigger_add(PsiTriggerSet *s, const char *key, int dirfd, const char *name, bool full, usec_t stall_usec) {
        if (s->unavailable)
                return -EOPNOTSUPP;
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->items[i]->key, key) == 0)
                        return 0;

        if (stall_usec < PSI_TRIGGER_MIN_STALL_USEC)
                stall_usec = PSI_TRIGGER_MIN_STALL_USEC;
        if (stall_usec > PSI_TRIGGER_WINDOW_USEC)
                stall_usec = PSI_TRIGGER_WINDOW_USEC;

        _cleanup_close_ int fd = openat(dirfd, name, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Only the kernel's pressure files take a trigger. Anything else (a test's fixture /proc or
         * cgroup tree) would store the text, overwriting the pressure figures the daemon reads next. */
        struct statfs fs;
        if (fstatfs(fd, &fs) < 0)
                return -errno;
        if (fs.f_type != PROC_SUPER_MAGIC && fs.f_type != CGROUP2_SUPER_MAGIC)
                return log_debug_errno(-EINVAL, "Not arming a PSI trigger on %s: it is not on procfs or cgroup2, so it "
                                       "is no kernel pressure file; it is polled instead", name);

        char buf[64];
        int l = snprintf(buf, sizeof buf, "%s %llu %llu", full ? "full" : "some",
                         (unsigned long long) stall_usec, (unsigned long long) PSI_TRIGGER_WINDOW_USEC);
        if (write(fd, buf, (size_t) l + 1) < 0) {
                int r = -errno;
                if (r == -EINVAL || r == -EPERM || r == -EOPNOTSUPP || r == -EACCES) {
                        s->unavailable = true;
                        char window[16];
                        format_duration(window, sizeof window, PSI_TRIGGER_WINDOW_USEC);
                        log_notice_errno(r, "PSI triggers are not available on this host (%s refused a trigger for a %s stall "
                                         "> %g%% over %s: %m); falling back to polling at the policy's interval. Reaction "
                                         "is bounded by that interval.", name, full ? "full" : "some",
                                         100.0 * (double) stall_usec / (double) PSI_TRIGGER_WINDOW_USEC, window);
                        for (size_t i = 0; i < s->n; i++)
                                trigger_free(s->items[i]);
                        s->n = 0;
                        return -EOPNOTSUPP;
                }
                return r;
        }

        PsiTrigger *t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        t->fd = -1;
        t->set = s;
        t->key = strdup(key);
        PsiTrigger **n = realloc(s->items, (s->n + 1) * sizeof *n);
        if (!t->key || !n) {
                if (n)
                        s->items = n;
                trigger_free(t);
                return -ENOMEM;
        }
        s->items = n;
        int r = sd_event_add_io(s->event, &t->source, fd, EPOLLPRI, on_trigger, t);
        if (r < 0) {
                trigger_free(t);
                return r;
        }
        t->fd = TAKE_FD(fd);
        sd_event_source_set_description(t->source, "psi-trigger");
        s->items[s->n++] = t;
        log_debug("Armed PSI trigger \"%s\" on %s", buf, key);
        return 0;
}

void psi_trigger_prune(PsiTriggerSet *s, const char *const *keep, size_t n) {
        size_t j = 0;
        for (size_t i = 0; i < s->n; i++) {
                bool kept = false;
                for (size_t k = 0; k < n && !kept; k++)
                        kept = strcmp(s->items[i]->key, keep[k]) == 0;
                if (kept)
                        s->items[j++] = s->items[i];
                else
                        trigger_free(s->items[i]);
        }
        s->n = j;
}

bool psi_trigger_available(const PsiTriggerSet *s) {
        return !s->unavailable;
}

size_t psi_trigger_count(const PsiTriggerSet *s) {
        return s->n;
}
