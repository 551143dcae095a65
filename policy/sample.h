/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the monitor hands the policy engine once per sample. Plain data, filled by daemon/
 * (or by a test), read by policy/. Every byte figure is in bytes, every time in microseconds
 * on CLOCK_MONOTONIC.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef uint64_t usec_t;
#define USEC_PER_SEC  UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)

/* One line of a PSI file: "some avg10=0.00 avg60=0.00 avg300=0.00 total=0". */
typedef struct PsiLine {
        double avg10, avg60, avg300; /* percent, 0..100 */
        uint64_t total_usec;
        bool valid;                  /* false when the line was absent (e.g. "full" in cpu.pressure) */
} PsiLine;

typedef struct PsiStats {
        PsiLine some, full;
} PsiStats;

/* The /proc/meminfo figures the engine uses, in bytes. */
typedef struct MemInfo {
        uint64_t mem_total, mem_free, mem_available;
        uint64_t swap_total, swap_free;
        uint64_t cached, buffers, shmem;
        bool valid;
} MemInfo;

/* The /proc/vmstat counters the engine uses (cumulative page counts). */
typedef struct VmStat {
        uint64_t pgscan;  /* pgscan_kswapd + pgscan_direct (+ pgscan_khugepaged) */
        uint64_t pgsteal; /* pgsteal_kswapd + pgsteal_direct */
        uint64_t pswpout, pswpin;
        bool valid;
} VmStat;

typedef struct SystemSample {
        PsiStats mem_psi, io_psi;
        MemInfo meminfo;
        VmStat vmstat;
        double pgscan_rate;      /* pages/s since the previous sample, derived */
        usec_t last_pgscan_usec; /* last time the pgscan counter moved, 0 = never seen moving */
} SystemSample;

typedef enum Preference {
        PREFERENCE_OMIT = -2,   /* never a candidate */
        PREFERENCE_AVOID = -1,  /* last resort */
        PREFERENCE_NONE = 0,
        PREFERENCE_PREFER = 1,  /* first */
} Preference;

/* Which per-cgroup files a sample read. The monitor reads only what the policy needs. */
typedef enum CGroupField {
        CG_MEMORY_CURRENT = 1u << 0,
        CG_MEMORY_STAT    = 1u << 1, /* anon, file, pgscan */
        CG_MEMORY_PROTECT = 1u << 2, /* memory.low, memory.min */
        CG_MEMORY_LIMITS  = 1u << 3, /* memory.high, memory.max */
        CG_SWAP_CURRENT   = 1u << 4,
        CG_MEMORY_PSI     = 1u << 5,
        CG_IO_PSI         = 1u << 6,
        CG_EVENTS         = 1u << 7, /* cgroup.events populated */
        CG_OOM_GROUP      = 1u << 8,
        CG_XATTRS         = 1u << 9, /* user.oomd_* / trusted.oomd_* preference */
} CGroupField;

typedef struct CGroupSample {
        char *path;             /* relative to the cgroup2 mount, "/" for the root, "/system.slice/x.service" */
        uint64_t inode;         /* identity: a recreated cgroup has a new inode */
        uint64_t parent_inode;  /* 0 for the root */
        unsigned fields;        /* CGroupField bits that were read successfully */

        uint64_t memory_current, memory_low, memory_min, memory_high, memory_max, swap_current;
        uint64_t anon, file, pgscan; /* memory.stat; pgscan is cumulative pages */
        PsiStats mem_psi, io_psi;
        bool populated;
        bool oom_group;
        Preference preference;  /* from xattrs; policy globs are applied by the engine */
        unsigned nr_children;   /* child cgroups present in this sample */

        /* Derived by the monitor across samples (policy/derive.h). */
        double average_usage;     /* decaying average of memory_current */
        double growth;            /* memory_current / average_usage, 1.0 when unknown */
        double pgscan_rate;       /* pages/s since the previous sample */
        usec_t last_pgscan_usec;  /* last time pgscan moved */
        uint64_t protection;      /* effective memory.min/low protection */
        uint64_t effective_usage; /* memory_current - protection, floored at 0 */
} CGroupSample;

/* One process, read in degraded mode and for "granularity": "process". */
typedef struct ProcSample {
        pid_t pid;
        uid_t uid;
        char comm[16];
        char *cgroup;           /* the cgroup2 path from /proc/PID/cgroup ("0::/..."), "/" if unknown */
        uint64_t rss;           /* bytes */
        uint64_t rss_anon;      /* bytes */
        uint64_t swap;          /* bytes (VmSwap) */
        int oom_score;
        int oom_score_adj;
        bool kernel_thread;
        uint64_t start_time;    /* /proc/PID/stat field 22, to tell a reused pid apart */
        bool kill_pending;      /* SIGKILL pending: already killed, still exiting (often held in the
                                 * kernel on I/O); killing it again would do nothing */
} ProcSample;

typedef struct Snapshot {
        usec_t now;
        bool degraded;          /* no memory controller on cgroup v2: candidates are processes */
        pid_t self_pid;
        const char *self_cgroup; /* our own cgroup2 path, never a candidate */
        SystemSample system;
        CGroupSample *cgroups;  /* the root "/" first when sampled; order otherwise unspecified */
        size_t n_cgroups;
        bool partial;           /* cgroups holds only the sources that met each detector's condition at the
                                 * last evaluation (engine_partial_sources): a detector these sources no
                                 * longer satisfy cannot tell, and engine_evaluate() returns -EAGAIN */
        ProcSample *procs;
        size_t n_procs;
} Snapshot;

/* Frees what the sample arrays own (paths); leaves the Snapshot zeroed. */
void snapshot_clear(Snapshot *s);
