/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroup2 tree as the monitor samples it. Each cgroup is opened once as a directory fd and
 * kept across samples, and so is each interface file read from it (within an fd budget): a sample
 * reads a file with one pread() at offset 0, which cgroupfs renders afresh, and no path is
 * resolved twice. Directories are listed with getdents64() only when the root's cgroup.stat counts
 * other descendants, a cgroup vanished, or the listing grew old (cgroupfs sets no mtime on a
 * directory whose children change). The directory inode is the identity: a cgroup removed and
 * created again under the same name has a new inode and gets a new entry, so its growth and rates
 * never mix with the old one's; its kept files answer ENODEV, which has the tree listed again.
 * Only the cgroups the policy can reach are walked, and only the files it needs are read: each
 * cgroup's files are cgroup_entry.c's.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/candidate.h"
#include "read/cgroup_entry.h"
#include "read/cgroup_files.h"
#include "read/cgroup_tree.h"
#include "policy/engine.h"
#include "read/fileio.h"
#include "util/log.h"
#include "policy/macro.h"

DEFINE_POINTER_CLEANUP(CGroupTree, cgroup_tree_free);

struct CGroupTree {
        char *root_path;
        int root_fd;
        unsigned generation;

        CGroupEntry **entries;  /* every cached entry, root first */
        size_t n_entries, alloc_entries;

        CGroupEntry **slots;    /* path -> entry, open addressing */
        size_t n_slots;

        CGroupFiles files;      /* the entries' read buffer and kept-open file budget */
        char *dents;            /* getdents64 buffer */

        usec_t listing_max_age; /* 0: list every sample */
        usec_t listed_usec;     /* when the listing epoch last began */
        unsigned listing_epoch; /* bumped when the listings go out of date: an entry visited with an
                                 * older epoch is listed again (each walk lists only what it visits) */
        const SampleNeeds *widest; /* the needs whose walks free unvisited entries; NULL: every walk */
        int stat_fd;            /* the root's cgroup.stat, -1 until opened */
        uint64_t nr_descendants; /* its count at the last sample, UINT64_MAX when unknown */
        bool listing_stale;     /* a cgroup vanished: list again at the next sample */
};

#define DENTS_SIZE (32u * 1024u)
#define CGROUP_FILE_SIZE 8192u /* memory.stat is the largest file we read, ~1.5 kB on 6.x */

static void entry_clear_listing(CGroupEntry *e) {
        e->n_children_listed = 0;
        e->child_names_len = 0;
        e->listed = false;
}

static const char *entry_child_name(const CGroupEntry *e, size_t i) {
        return e->child_names + e->child_name_off[i];
}

static CGroupEntry *entry_free(CGroupTree *t, CGroupEntry *e) {
        if (!e)
                return NULL;
        cgroup_entry_close_files(&t->files, e);
        if (e->fd >= 0 && e->fd != t->root_fd)
                close(e->fd);
        entry_clear_listing(e);
        free(e->child_names);
        free(e->child_name_off);
        free(e->child_inodes);
        free(e->path);
        free(e);
        return NULL;
}

/* A cgroup found gone: it is dropped from this sample, and the tree is listed again at the next,
 * in case it was created again under the same name. */
static void entry_mark_vanished(CGroupTree *t, CGroupEntry *e) {
        e->vanished = true;
        t->listing_stale = true;
}

/* FNV-1a: short strings, no adversary (paths come from the kernel). */
static size_t path_hash(const char *s) {
        uint64_t h = UINT64_C(14695981039346656037);

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * UINT64_C(1099511628211);
        return (size_t) h;
}

static CGroupEntry **map_slot(CGroupTree *t, const char *path) {
        size_t mask = t->n_slots - 1, i = path_hash(path) & mask;

        while (t->slots[i] && !streq(t->slots[i]->path, path))
                i = (i + 1) & mask;
        return &t->slots[i];
}

/* Rebuilds the path map from the entry list, sized for it at most half full. */
static int map_rebuild(CGroupTree *t) {
        size_t n = 64;

        while (n < t->n_entries * 2 + 2)
                n *= 2;
        if (n != t->n_slots) {
                CGroupEntry **slots = calloc(n, sizeof(CGroupEntry *));
                if (!slots)
                        return -ENOMEM;
                free(t->slots);
                t->slots = slots;
                t->n_slots = n;
        } else
                memset(t->slots, 0, n * sizeof(CGroupEntry *));

        for (size_t i = 0; i < t->n_entries; i++)
                *map_slot(t, t->entries[i]->path) = t->entries[i];
        return 0;
}

/* Adds an entry to the list and the map, replacing (not freeing) any entry of the same path. */
static int tree_add(CGroupTree *t, CGroupEntry *e) {
        if (t->n_entries == t->alloc_entries) {
                size_t alloc = t->alloc_entries ? t->alloc_entries * 2 : 64;
                CGroupEntry **entries = realloc(t->entries, alloc * sizeof(CGroupEntry *));
                if (!entries)
                        return -ENOMEM;
                t->entries = entries;
                t->alloc_entries = alloc;
        }
        t->entries[t->n_entries++] = e;
        if ((t->n_entries + 1) * 2 > t->n_slots)
                return map_rebuild(t);
        *map_slot(t, e->path) = e;
        return 0;
}

/* Frees the entries found vanished, and when `unvisited` those the last sample did not visit.
 * Every kind of sample walks the one tree, and a narrower walk (the detectors') does not visit
 * the candidates only a whole sample reads: their entries, open files and history must outlive
 * it, or each whole sample would open them again and start their growth and rates over. So only
 * a walk of the widest needs (cgroup_tree_set_widest_needs()), which reaches every cgroup any
 * walk does, frees what it did not visit: a cgroup removed, or out of a new policy's reach. A
 * cgroup found gone (vanished) is freed by any walk; one removed that a narrower walk does not
 * read is out of its samples at once (its parent's listing no longer names it), and freed by the
 * next widest walk. */
static int tree_prune(CGroupTree *t, bool unvisited) {
        size_t j = 0;

        for (size_t i = 1; i < t->n_entries; i++) {
                CGroupEntry *e = t->entries[i];

                e->doomed = (unvisited && e->generation != t->generation) || e->vanished;
        }
        /* an entry kept unvisited may outlive its parent's: it learns its parent again when a
         * walk visits it, and cgroup_tree_sample_paths() does not read it until then */
        for (size_t i = 1; i < t->n_entries; i++) {
                CGroupEntry *e = t->entries[i];

                if (!e->doomed && e->parent && e->parent->doomed)
                        e->parent = NULL;
        }
        for (size_t i = 0; i < t->n_entries; i++) {
                CGroupEntry *e = t->entries[i];

                if (i > 0 && e->doomed)
                        entry_free(t, e);
                else
                        t->entries[j++] = e;
        }
        if (j == t->n_entries)
                return 0;
        t->n_entries = j;
        return map_rebuild(t);
}

int cgroup_tree_new(const char *root, CGroupTree **ret) {
        _cleanup_(cgroup_tree_freep) CGroupTree *t = NULL;
        CGroupEntry *e;
        struct stat st;
        int r;

        if (!root || !ret)
                return -EINVAL;

        t = calloc(1, sizeof(CGroupTree));
        if (!t)
                return -ENOMEM;
        t->root_fd = t->stat_fd = -1;
        t->nr_descendants = UINT64_MAX;
        t->root_path = strdup(root);
        t->files.buf_size = CGROUP_FILE_SIZE;
        t->files.buf = malloc(t->files.buf_size);
        t->dents = malloc(DENTS_SIZE);
        if (!t->root_path || !t->files.buf || !t->dents)
                return -ENOMEM;

        t->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (t->root_fd < 0)
                return log_error_errno(errno, "Failed to open the cgroup2 root %s: %m", root);
        if (fstat(t->root_fd, &st) < 0)
                return -errno;

        e = cgroup_entry_new();
        if (!e)
                return -ENOMEM;
        e->fd = t->root_fd;
        e->inode = e->dirent_inode = st.st_ino;
        e->path = strdup("/");
        if (!e->path) {
                entry_free(t, e);
                return -ENOMEM;
        }
        r = tree_add(t, e);
        if (r < 0) {
                entry_free(t, e);
                return r;
        }

        *ret = TAKE_PTR(t);
        return 0;
}

CGroupTree *cgroup_tree_free(CGroupTree *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_entries; i++)
                entry_free(t, t->entries[i]);
        if (t->root_fd >= 0)
                close(t->root_fd);
        if (t->stat_fd >= 0)
                close(t->stat_fd);
        free(t->entries);
        free(t->slots);
        free(t->files.buf);
        free(t->dents);
        free(t->root_path);
        free(t);
        return NULL;
}

void cgroup_tree_set_listing_max_age(CGroupTree *t, usec_t usec) {
        if (!t)
                return;
        t->listing_max_age = usec;
        t->listing_stale = true; /* a new policy may walk elsewhere: start from a fresh listing */
}

void cgroup_tree_set_widest_needs(CGroupTree *t, const SampleNeeds *needs) {
        if (t)
                t->widest = needs;
}

int cgroup_tree_root_fd(CGroupTree *t) {
        return t ? t->root_fd : -EBADF;
}

bool cgroup_tree_has_memory_controller(CGroupTree *t) {
        const char *p;

        if (!t || read_file_at_grow(t->root_fd, "cgroup.controllers", &t->files.buf, &t->files.buf_size) < 0)
                return false;
        /* "cpuset cpu io memory hugetlb pids rdma misc" */
        for (p = t->files.buf; (p = strstr(p, "memory")); p += 6)
                if ((p == t->files.buf || p[-1] == ' ') && (p[6] == ' ' || p[6] == '\n' || p[6] == 0))
                        return true;
        return false;
}

int cgroup_tree_open(CGroupTree *t, const char *path) {
        int fd;

        if (!t || !path || path[0] != '/')
                return -EINVAL;
        while (*path == '/')
                path++;
        fd = openat(t->root_fd, *path ? path : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/* Number of components of a path glob: "/" 0, "/a" 1, "/a/b*" 2. */
static unsigned glob_depth(const char *glob) {
        unsigned n = 0;

        if (streq(glob, "/"))
                return 0;
        for (; *glob; glob++)
                n += *glob == '/';
        return n;
}

/* True when a cgroup at `path` (depth components) may match some pattern itself (exact) or be
 * an ancestor of a match (deeper): the first `depth` components of the pattern match the path. */
static bool patterns_reach(const PatternList *l, const char *path, unsigned depth, bool deeper) {
        for (size_t i = 0; i < l->n; i++) {
                const Pattern *p = &l->items[i];
                unsigned n = glob_depth(p->glob), seen = 0;
                char prefix[PATH_MAX];
                size_t len;

                if (!p->is_path || n < depth + (deeper ? 1 : 0))
                        continue;
                if (depth == 0)
                        return true;

                /* cut the glob before its (depth+1)-th '/' */
                for (len = 0; p->glob[len]; len++)
                        if (p->glob[len] == '/' && seen++ == depth)
                                break;
                if (len >= sizeof prefix)
                        return true; /* absurdly long: walk rather than miss */
                memcpy(prefix, p->glob, len);
                prefix[len] = 0;
                if (fnmatch(prefix, path, FNM_PATHNAME) == 0)
                        return true;
        }
        return false;
}

static int child_path(const CGroupEntry *parent, const char *name, char **ret) {
        size_t a = strlen(parent->path), b = strlen(name);
        char *s;

        if (streq(parent->path, "/"))
                a = 0;
        s = malloc(a + 1 + b + 1);
        if (!s)
                return -ENOMEM;
        memcpy(s, parent->path, a);
        s[a] = '/';
        memcpy(s + a + 1, name, b + 1);
        *ret = s;
        return 0;
}

/* Finds the cached entry of a child, or opens it. NULL in *ret when it vanished meanwhile. */
static int child_get(CGroupTree *t, CGroupEntry *parent, const char *name, uint64_t d_ino, CGroupEntry **ret) {
        _cleanup_free_ char *path = NULL;
        CGroupEntry *e, *old;
        struct stat st;
        int r, fd;

        r = child_path(parent, name, &path);
        if (r < 0)
                return r;

        old = *map_slot(t, path);
        if (old && old->dirent_inode == d_ino && !old->vanished) {
                *ret = old;
                return 0;
        }
        /* new, or removed and created again under the same name: the old entry (if any) is
         * replaced in the map and freed after this sample as unvisited */
        if (old)
                entry_mark_vanished(t, old);

        *ret = NULL;
        fd = openat(parent->fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                int err = errno;

                /* out of fds or memory is the daemon's problem, to report */
                if (err == EMFILE || err == ENFILE || err == ENOMEM)
                        return log_error_errno(err, "Failed to open cgroup %s: %m. Raise LimitNOFILE= of pressured.service above the number of monitored cgroups.", path);
                /* gone already (ENOENT, ENODEV), or out of reach: one cgroup must not blind the sample */
                if (err != ENOENT && err != ENODEV && err != ENOTDIR)
                        log_debug_errno(err, "Failed to open cgroup %s, skipping it: %m", path);
                t->listing_stale = true; /* the listing named it: that listing is out of date */
                return 0;
        }
        if (fstat(fd, &st) < 0) {
                close(fd);
                return 0;
        }

        e = cgroup_entry_new();
        if (!e) {
                close(fd);
                return -ENOMEM;
        }
        e->fd = fd;
        e->inode = st.st_ino;
        e->dirent_inode = d_ino;
        e->path = TAKE_PTR(path);
        r = tree_add(t, e);
        if (r < 0) {
                entry_free(t, e);
                return r;
        }
        *ret = e;
        return 0;
}

typedef struct Queue {
        CGroupEntry **items;
        size_t n, alloc;
} Queue;

static int queue_push(Queue *q, CGroupEntry *e) {
        if (q->n == q->alloc) {
                size_t alloc = q->alloc ? q->alloc * 2 : 64;
                CGroupEntry **items = realloc(q->items, alloc * sizeof(CGroupEntry *));
                if (!items)
                        return -ENOMEM;
                q->items = items;
                q->alloc = alloc;
        }
        q->items[q->n++] = e;
        return 0;
}

static void entry_visit(CGroupTree *t, CGroupEntry *e, CGroupEntry *parent, const SampleNeeds *needs) {
        e->generation = t->generation;
        e->parent = parent;
        e->depth = parent ? parent->depth + 1 : 0;
        e->matched = pattern_list_match(&needs->cgroups, e->path, NULL);
        e->all_below = parent && (parent->all_below || (needs->descendants && parent->matched));
        e->kept = !parent || e->matched || e->all_below;
        /* memory.stat is the dearest file by far (the kernel formats some 50 counters): only where a
         * rule reads it; the globs are matched only for the cgroups this sample reads */
        e->read_stat = e->kept && ((needs->stat_descendants && e->all_below) ||
                                   pattern_list_match(&needs->stat_cgroups, e->path, NULL));
        e->vanished = false;
        e->alive_checked = false;
        e->sampled = false;
        e->nr_children = 0;
        if (e->files_epoch != t->listing_epoch) {
                e->absent = 0; /* files come with a controller enabled above: look again */
                e->files_epoch = t->listing_epoch;
        }
}

/* The names are packed in one buffer: a strdup() per child costs its malloc header and rounding,
 * as much as the name again. */
static int entry_add_listed_child(CGroupEntry *e, const char *name, uint64_t d_ino) {
        size_t len = strlen(name) + 1;

        if (e->n_children_listed == e->alloc_children_listed) {
                size_t alloc = e->alloc_children_listed ? e->alloc_children_listed * 2 : 8;
                uint32_t *offs = realloc(e->child_name_off, alloc * sizeof(uint32_t));
                if (!offs)
                        return -ENOMEM;
                e->child_name_off = offs;
                uint64_t *inodes = realloc(e->child_inodes, alloc * sizeof(uint64_t));
                if (!inodes)
                        return -ENOMEM;
                e->child_inodes = inodes;
                e->alloc_children_listed = alloc;
        }
        if (e->child_names_len + len > UINT32_MAX)
                return -E2BIG;
        if (e->child_names_len + len > e->child_names_alloc) {
                size_t alloc = e->child_names_alloc ? e->child_names_alloc : 256;
                while (alloc < e->child_names_len + len)
                        alloc *= 2;
                char *names = realloc(e->child_names, alloc);
                if (!names)
                        return -ENOMEM;
                e->child_names = names;
                e->child_names_alloc = alloc;
        }
        memcpy(e->child_names + e->child_names_len, name, len);
        e->child_name_off[e->n_children_listed] = (uint32_t) e->child_names_len;
        e->child_names_len += len;
        e->child_inodes[e->n_children_listed++] = d_ino;
        return 0;
}

/* Lists the child directories of e into its cached listing. A cgroup removed under us lists none. */
static int entry_list(CGroupTree *t, CGroupEntry *e) {
        entry_clear_listing(e);

        if (lseek(e->fd, 0, SEEK_SET) < 0)
                return e->parent ? 0 : -errno;

        for (;;) {
                ssize_t n = getdents64(e->fd, t->dents, DENTS_SIZE);

                if (n < 0) {
                        if (errno == ENOENT || errno == ENODEV)
                                return 0; /* removed under us */
                        return -errno;
                }
                if (n == 0)
                        break;

                for (ssize_t off = 0; off < n;) {
                        struct dirent64 *de = (struct dirent64 *) (t->dents + off);
                        int r;

                        off += de->d_reclen;
                        if (de->d_name[0] == '.' && (de->d_name[1] == 0 || (de->d_name[1] == '.' && de->d_name[2] == 0)))
                                continue;
                        if (de->d_type != DT_DIR) {
                                struct stat st;

                                if (de->d_type != DT_UNKNOWN)
                                        continue;
                                if (fstatat(e->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                                        continue;
                        }
                        r = entry_add_listed_child(e, de->d_name, de->d_ino);
                        if (r < 0)
                                return r;
                }
        }
        e->listed = true;
        return 0;
}

/* Queues the child directories of e that the patterns can reach, listing e first when this
 * sample lists the tree or e was never listed. */
static int entry_list_children(CGroupTree *t, CGroupEntry *e, const SampleNeeds *needs, Queue *q) {
        bool all = e->all_below || (needs->descendants && e->matched);
        int r;

        if (!all && !patterns_reach(&needs->cgroups, e->path, e->depth, true))
                return 0;

        /* listed again when the listings went out of date since it was last listed (a walk that
         * visits it but not its children leaves that to the walk that reads them) */
        if (e->listing_epoch != t->listing_epoch || !e->listed) {
                r = entry_list(t, e);
                if (r < 0)
                        return r;
                e->listing_epoch = t->listing_epoch;
        }

        for (size_t i = 0; i < e->n_children_listed; i++) {
                CGroupEntry *child = NULL;

                if (!all) {
                        _cleanup_free_ char *path = NULL;

                        r = child_path(e, entry_child_name(e, i), &path);
                        if (r < 0)
                                return r;
                        if (!patterns_reach(&needs->cgroups, path, e->depth + 1, false))
                                continue;
                }

                r = child_get(t, e, entry_child_name(e, i), e->child_inodes[i], &child);
                if (r < 0)
                        return r;
                if (!child)
                        continue;
                entry_visit(t, child, e, needs);
                r = queue_push(q, child);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The number of live cgroups below the root, from its cgroup.stat kept open; UINT64_MAX when
 * that cannot be read (a fixture tree without the file). */
static uint64_t tree_read_descendants(CGroupTree *t) {
        uint64_t nr;

        if (t->stat_fd < 0)
                t->stat_fd = openat(t->root_fd, "cgroup.stat", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (t->stat_fd < 0)
                return UINT64_MAX;
        if (pread_file_grow(t->stat_fd, &t->files.buf, &t->files.buf_size) < 0 || cgroup_stat_parse_descendants(t->files.buf, &nr) < 0) {
                close(t->stat_fd);
                t->stat_fd = -1;
                return UINT64_MAX;
        }
        return nr;
}

/* Whether the listings went out of date: the directories are listed again as walks visit them. */
static bool tree_must_list(CGroupTree *t, usec_t now) {
        uint64_t nr, prev = t->nr_descendants;
        usec_t age = now - t->listed_usec;

        if (t->listing_max_age == 0)
                return true;
        nr = t->nr_descendants = tree_read_descendants(t);
        if (t->listing_stale || t->generation == 1 || now < t->listed_usec)
                return true;
        if (nr == UINT64_MAX)
                return age >= t->listing_max_age;
        return nr != prev || age >= CGROUP_TREE_LISTING_MAX_AGE_USEC;
}

/* How many interface files a tree may keep open: CGROUP_TREE_FILE_FDS_MAX, or less under a low
 * RLIMIT_NOFILE (see CGROUP_TREE_FILE_FDS_RLIMIT_DIVISOR). */
static size_t file_fd_budget(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                return CGROUP_TREE_FILE_FDS_MAX;
        if (rl.rlim_cur / CGROUP_TREE_FILE_FDS_RLIMIT_DIVISOR < CGROUP_TREE_FILE_FDS_MAX)
                return rl.rlim_cur / CGROUP_TREE_FILE_FDS_RLIMIT_DIVISOR;
        return CGROUP_TREE_FILE_FDS_MAX;
}

static void samples_free(CGroupSample *s, size_t n) {
        if (!s)
                return;
        for (size_t i = 0; i < n; i++)
                free(s[i].path);
        free(s);
}

int cgroup_tree_sample(CGroupTree *t, const SampleNeeds *needs, usec_t now, Snapshot *snap) {
        Queue q = {};
        CGroupSample *samples = NULL;
        size_t n = 0;
        int r;

        if (!t || !needs || !snap)
                return -EINVAL;

        t->generation++;
        if (tree_must_list(t, now)) {
                t->listing_epoch++;
                t->listed_usec = now;
                t->listing_stale = false;
                t->files.max_fds = file_fd_budget();
        }
        entry_visit(t, t->entries[0], NULL, needs);
        r = queue_push(&q, t->entries[0]);

        /* breadth first, so the root comes first and parents before children */
        for (size_t i = 0; r >= 0 && i < q.n; i++)
                r = entry_list_children(t, q.items[i], needs, &q);
        if (r < 0)
                goto finish;

        /* ancestors of kept cgroups are kept, so ranking can descend to them */
        for (size_t i = q.n; i-- > 1;)
                if (q.items[i]->kept)
                        q.items[i]->parent->kept = true;

        samples = calloc(q.n, sizeof(CGroupSample));
        if (!samples) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0; i < q.n; i++) {
                CGroupEntry *e = q.items[i];

                if (!e->kept || (e->parent && e->parent->vanished))
                        continue;
                r = cgroup_entry_sample(&t->files, e, needs->cgroup_fields & (e->read_stat ? ~0u : ~(unsigned) CG_MEMORY_STAT),
                                        &samples[n]);
                if (r == -ENODEV || e->vanished) {
                        /* removed while we read it: drop silently, and list again at the next
                         * sample in case it was created again under the same name */
                        t->listing_stale = true;
                        continue;
                }
                samples[n].path = strdup(e->path);
                if (!samples[n].path) {
                        r = -ENOMEM;
                        goto finish;
                }
                if (e->parent)
                        e->parent->nr_children++;
                e->sampled = true;
                n++;
        }

        /* nr_children is known only now; then derive against each cgroup's previous sample */
        for (size_t i = 0, j = 0; i < q.n; i++) {
                CGroupEntry *e = q.items[i];

                if (!e->sampled)
                        continue;
                CGroupSample *s = &samples[j++];
                s->nr_children = e->last_nr_children = e->nr_children;
                cgroup_history_derive(&e->history, s, now);
                e->has_history = true;
        }

        for (size_t i = 0; i < snap->n_cgroups; i++)
                free(snap->cgroups[i].path);
        free(snap->cgroups);
        snap->cgroups = TAKE_PTR(samples);
        snap->n_cgroups = n;
        r = 0;

finish:
        samples_free(samples, n);
        free(q.items);
        {
                int k = tree_prune(t, !t->widest || needs == t->widest);
                if (r >= 0 && k < 0)
                        r = k;
        }
        return r;
}

int cgroup_tree_sample_paths(CGroupTree *t, const SampleNeeds *needs, const char *const *paths, size_t n_paths,
                             usec_t now, Snapshot *snap) {
        CGroupSample *samples;
        size_t n = 0;
        int r = 0;

        if (!t || !needs || !snap || (n_paths > 0 && !paths))
                return -EINVAL;
        samples = calloc(n_paths + 1, sizeof(CGroupSample));
        if (!samples)
                return -ENOMEM;
        for (size_t i = 0; i <= n_paths; i++) {
                CGroupEntry *e = i == 0 ? t->entries[0] : *map_slot(t, paths[i - 1]);
                CGroupSample *s = &samples[n];

                /* only what a walk found and read before: its place in the tree and its figures are known */
                if (!e || !e->has_history || e->vanished || (i > 0 && !e->parent)) {
                        r = -ENOENT;
                        goto finish;
                }
                /* memory.stat as these needs ask, whatever the last walk's were */
                e->read_stat = (needs->stat_descendants && e->all_below) ||
                               pattern_list_match(&needs->stat_cgroups, e->path, NULL);
                r = cgroup_entry_sample(&t->files, e, needs->cgroup_fields & (e->read_stat ? ~0u : ~(unsigned) CG_MEMORY_STAT), s);
                if (r == -ENODEV || e->vanished) {
                        t->listing_stale = true; /* the next walk lists the tree again */
                        r = -ENOENT;
                        goto finish;
                }
                s->path = strdup(e->path);
                if (!s->path) {
                        r = -ENOMEM;
                        goto finish;
                }
                n++;
                s->nr_children = e->last_nr_children;
                cgroup_history_derive(&e->history, s, now);
        }

        for (size_t i = 0; i < snap->n_cgroups; i++)
                free(snap->cgroups[i].path);
        free(snap->cgroups);
        snap->cgroups = TAKE_PTR(samples);
        snap->n_cgroups = n;
        return 0;

finish:
        samples_free(samples, n);
        return r;
}

void cgroup_samples_fill_rss(CGroupSample *cgroups, size_t n, const ProcSample *procs, size_t n_procs) {
        for (size_t i = 0; i < n; i++) {
                CGroupSample *cg = &cgroups[i];
                cg->memory_current = procs_memory_at_or_below(procs, n_procs, cg->path, false);
                cg->anon = procs_memory_at_or_below(procs, n_procs, cg->path, true);
                cg->fields |= CG_MEMORY_CURRENT;
        }
}
