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

/* False once a write was refused: the daemon then polls. */
bool psi_trigger_available(const PsiTriggerSet *s);
size_t psi_trigger_count(const PsiTriggerSet *s);
