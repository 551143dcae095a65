/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <poll.h>
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
        uint64_t id;     /* the set's epoll names a trigger by id: a handler may free triggers */
        bool disarmed;   /* reported EPOLLERR: its cgroup is gone */
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
        bool direct;      /* the trigger fds are in epoll_fd, not in sd-event's epoll */
        int epoll_fd;     /* direct mode's epoll: the trigger fds and other_fd */
        int other_fd;     /* the caller's fd in epoll_fd (sd-event's), or -1 */
        uint64_t next_id;
};

#define OTHER_FD_ID UINT64_C(0)

static void trigger_free(PsiTrigger *t) {
        if (!t)
                return;
        if (t->set->direct && !t->disarmed && t->fd >= 0)
                (void) epoll_ctl(t->set->epoll_fd, EPOLL_CTL_DEL, t->fd, NULL);
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
        s->epoll_fd = -1;
        s->other_fd = -1;
        s->next_id = OTHER_FD_ID + 1;
        *ret = s;
        return 0;
}

PsiTriggerSet *psi_trigger_set_free(PsiTriggerSet *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++)
                trigger_free(s->items[i]);
        free(s->items);
        if (s->epoll_fd >= 0)
                close(s->epoll_fd);
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
                t->disarmed = true;
                return 0;
        }
        t->set->cb(t->key, t->set->userdata);
        return 0;
}

static int direct_add(PsiTriggerSet *s, int fd, uint32_t events, uint64_t id) {
        struct epoll_event ev = { .events = events, .data.u64 = id };
        if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return -errno;
        return 0;
}

/* Puts a new trigger's fd in the one epoll set that watches triggers now: sd-event's, or the set's
 * own while direct. Never both: the kernel clears a trigger's event when it is polled, so a second
 * watcher would take it from the first. */
static int trigger_watch(PsiTrigger *t, int fd) {
        PsiTriggerSet *s = t->set;
        int r = sd_event_add_io(s->event, &t->source, fd, EPOLLPRI, on_trigger, t);
        if (r < 0)
                return r;
        sd_event_source_set_description(t->source, "psi-trigger");
        if (!s->direct)
                return 0;
        r = sd_event_source_set_enabled(t->source, SD_EVENT_OFF);
        if (r < 0)
                return r;
        return direct_add(s, fd, EPOLLPRI, t->id);
}

/* Takes the trigger's event before its fd moves to another epoll set. Adding an fd to an epoll set
 * polls it, which clears a pending trigger event, and the set's epoll_wait polls again and finds
 * nothing: the event would be lost. Polled here it is seen, and told to the handler. */
static bool trigger_take_pending(PsiTrigger *t) {
        struct pollfd p = { .fd = t->fd, .events = POLLPRI };
        return poll(&p, 1, 0) > 0 && (p.revents & POLLPRI);
}

int psi_trigger_set_direct(PsiTriggerSet *s, bool on) {
        int r;

        if (s->direct == on)
                return 0;
        if (on && s->epoll_fd < 0) {
                s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
                if (s->epoll_fd < 0)
                        return -errno;
        }
        bool fired[s->n > 0 ? s->n : 1];
        uint64_t ids[s->n > 0 ? s->n : 1];
        size_t n = s->n;
        for (size_t i = 0; i < n; i++) {
                PsiTrigger *t = s->items[i];
                ids[i] = t->id;
                fired[i] = false;
                if (t->disarmed)
                        continue;
                if (on) {
                        r = sd_event_source_set_enabled(t->source, SD_EVENT_OFF);
                        if (r < 0)
                                return r;
                        fired[i] = trigger_take_pending(t);
                        r = direct_add(s, t->fd, EPOLLPRI, t->id);
                        if (r < 0)
                                return r;
                } else {
                        if (epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, t->fd, NULL) < 0)
                                return -errno;
                        fired[i] = trigger_take_pending(t);
                        r = sd_event_source_set_enabled(t->source, SD_EVENT_ON);
                        if (r < 0)
                                return r;
                }
        }
        s->direct = on;
        /* Handlers last: one may add or prune triggers, which must then go to the set's new home. */
        for (size_t i = 0; i < n; i++) {
                if (!fired[i])
                        continue;
                for (size_t j = 0; j < s->n; j++)
                        if (s->items[j]->id == ids[i]) {
                                s->cb(s->items[j]->key, s->userdata);
                                break;
                        }
        }
        return 0;
}

bool psi_trigger_direct(const PsiTriggerSet *s) {
        return s->direct;
}

static PsiTrigger *trigger_by_id(PsiTriggerSet *s, uint64_t id) {
        for (size_t i = 0; i < s->n; i++)
                if (s->items[i]->id == id)
                        return s->items[i];
        return NULL;
}

int psi_trigger_wait_direct(PsiTriggerSet *s, int other_fd, int timeout_ms) {
        struct epoll_event evs[16];
        int r;

        if (!s->direct)
                return -EINVAL;
        if (other_fd != s->other_fd) {
                if (s->other_fd >= 0)
                        (void) epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, s->other_fd, NULL);
                s->other_fd = -1;
                r = direct_add(s, other_fd, EPOLLIN, OTHER_FD_ID);
                if (r < 0)
                        return r;
                s->other_fd = other_fd;
        }
        int k = epoll_wait(s->epoll_fd, evs, ELEMENTSOF(evs), timeout_ms);
        if (k < 0)
                return errno == EINTR ? 0 : -errno;
        int ret = 0;
        for (int i = 0; i < k; i++) {
                if (evs[i].data.u64 == OTHER_FD_ID) {
                        ret |= PSI_WAIT_OTHER;
                        continue;
                }
                /* Looked up again for each event: the handler before may have pruned this one. */
                PsiTrigger *t = trigger_by_id(s, evs[i].data.u64);
                if (!t || t->disarmed)
                        continue;
                if (evs[i].events & EPOLLERR) {
                        log_debug("PSI trigger on %s reported an error (its cgroup was removed?), disarming it", t->key);
                        (void) epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, t->fd, NULL);
                        t->disarmed = true;
                        continue;
                }
                ret |= PSI_WAIT_FIRED;
                s->cb(t->key, s->userdata);
        }
        return ret;
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

        int r = psi_trigger_adopt(s, key, TAKE_FD(fd));
        if (r < 0)
                return r;
        log_debug("Armed PSI trigger \"%s\" on %s", buf, key);
        return 0;
}

int psi_trigger_adopt(PsiTriggerSet *s, const char *key, int fd_in) {
        _cleanup_close_ int fd = fd_in;
        int r;

        PsiTrigger *t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        t->fd = -1;
        t->set = s;
        t->id = s->next_id++;
        t->key = strdup(key);
        PsiTrigger **n = realloc(s->items, (s->n + 1) * sizeof *n);
        if (!t->key || !n) {
                if (n)
                        s->items = n;
                trigger_free(t);
                return -ENOMEM;
        }
        s->items = n;
        r = trigger_watch(t, fd);
        if (r < 0) {
                trigger_free(t);
                return r;
        }
        t->fd = TAKE_FD(fd);
        s->items[s->n++] = t;
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
