/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * PSI triggers: "some|full <stall us> <window us>" written to a pressure file, then waited on
 * with EPOLLPRI through sd-event. Where the kernel refuses triggers (EINVAL, EPERM: seen on
 * hybrid hosts and in containers), the set says so once and the daemon polls instead.
 */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "policy/sample.h"

#define PSI_TRIGGER_WINDOW_USEC   (1 * USEC_PER_SEC)  /* the kernel's minimum for unprivileged is 2 s; root may use 500 ms..10 s */
#define PSI_TRIGGER_MIN_STALL_USEC (50 * USEC_PER_MSEC) /* below this a trigger fires on ordinary page cache churn */

typedef struct PsiTriggerSet PsiTriggerSet;

/* Called when a trigger fires: `path` is the pressure file, relative name as registered. */
typedef void (*psi_trigger_handler_t)(const char *path, void *userdata);

int psi_trigger_set_new(sd_event *e, psi_trigger_handler_t cb, void *userdata, PsiTriggerSet **ret);
PsiTriggerSet *psi_trigger_set_free(PsiTriggerSet *s);

/* Arms a trigger on the pressure file (dirfd + name, or AT_FDCWD + absolute path). Idempotent for
 * the same key. Returns 0 on success, -EOPNOTSUPP when triggers are unavailable on this host (logged
 * once for the whole set), other negative errno otherwise. */
int psi_trigger_add(PsiTriggerSet *s, const char *key, int dirfd, const char *name, bool full, usec_t stall_usec);

/* Removes every trigger whose key is not in keep[] (n entries). */
void psi_trigger_prune(PsiTriggerSet *s, const char *const *keep, size_t n);

/* Watches an fd that reports EPOLLPRI when its trigger fires (psi_trigger_add's, once written). Takes
 * the fd, closed on error too. */
int psi_trigger_adopt(PsiTriggerSet *s, const char *key, int fd);

/* Direct mode: the trigger fds leave sd-event's epoll for the set's own, which psi_trigger_wait_direct()
 * waits on. A trigger's event is cleared by the kernel when polled, so a trigger fd must be in one
 * epoll set only, polled directly (an epoll set holding another one polls its items). A trigger
 * found pending while its fd moves has its handler called. Triggers added later follow the mode. */
int psi_trigger_set_direct(PsiTriggerSet *s, bool on);
bool psi_trigger_direct(const PsiTriggerSet *s);

#define PSI_WAIT_OTHER 1 /* other_fd is readable */
#define PSI_WAIT_FIRED 2 /* a trigger fired: its handler ran */

/* One epoll_wait on the set's epoll (direct mode only), which also holds other_fd (EPOLLIN) — sd-event's
 * fd, which then holds no trigger fd, so polling it takes nothing from a trigger. Calls the handler of
 * every trigger that fired. Returns PSI_WAIT_* bits, 0 on timeout or a signal, negative errno on error. */
int psi_trigger_wait_direct(PsiTriggerSet *s, int other_fd, int timeout_ms);

/* False once a write was refused: the daemon then polls. */
bool psi_trigger_available(const PsiTriggerSet *s);
size_t psi_trigger_count(const PsiTriggerSet *s);
