/* C ABI tests for namespace handles, against the real kernel (run as root). */
#define _GNU_SOURCE
#include <nsrun.h>

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char dir[128];

static int same_as_current(int fd, int kind)
{
    int cur = nsrun_ns_current(kind);
    int r = nsrun_ns_same(fd, cur);
    close(cur);
    return r;
}

static void test_version(void)
{
    CHECK(strcmp(nsrun_version(), NSRUN_VERSION) == 0);
    char buf[32];
    snprintf(buf, sizeof buf, "%d.%d.%d", NSRUN_VERSION_MAJOR, NSRUN_VERSION_MINOR, NSRUN_VERSION_PATCH);
    CHECK(strcmp(buf, NSRUN_VERSION) == 0);
    CHECK(NSRUN_NET == CLONE_NEWNET && NSRUN_MNT == CLONE_NEWNS && NSRUN_PID == CLONE_NEWPID &&
          NSRUN_USER == CLONE_NEWUSER && NSRUN_UTS == CLONE_NEWUTS && NSRUN_IPC == CLONE_NEWIPC &&
          NSRUN_CGROUP == CLONE_NEWCGROUP && NSRUN_TIME == CLONE_NEWTIME);
}

static void test_create_every_kind(void)
{
    const int kinds[] = {NSRUN_MNT, NSRUN_UTS, NSRUN_IPC, NSRUN_NET, NSRUN_PID, NSRUN_USER, NSRUN_CGROUP, NSRUN_TIME};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        int before = nsrun_ns_current(kinds[i]);
        int fd = nsrun_ns_create(kinds[i]);
        CHECK(fd >= 0);
        CHECK(nsrun_ns_kind(fd) == kinds[i]);
        CHECK(nsrun_ns_same(fd, before) == 0);
        CHECK(same_as_current(before, kinds[i]) == 1); /* the caller did not move */
        CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        close(fd);
        close(before);
    }
}

static void *create_in_thread(void *arg)
{
    (void)arg;
    int before = nsrun_ns_current(NSRUN_NET);
    int fd = nsrun_ns_create(NSRUN_USER);
    int fd2 = nsrun_ns_create(NSRUN_NET);
    long ok = fd >= 0 && fd2 >= 0 && same_as_current(before, NSRUN_NET) == 1;
    close(fd);
    close(fd2);
    close(before);
    return (void *)ok;
}

static void test_create_from_threads(void)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        CHECK(pthread_create(&t[i], NULL, create_in_thread, NULL) == 0);
    for (int i = 0; i < 3; i++) {
        void *ok = NULL;
        pthread_join(t[i], &ok);
        CHECK(ok == (void *)1);
    }
}

struct find { struct nsrun_ns_id id; const char *path; int found_path; };

static int visit_find(const struct nsrun_ns_info *info, void *arg)
{
    struct find *f = arg;
    if (info->id.dev == f->id.dev && info->id.ino == f->id.ino) {
        for (size_t i = 0; i < info->npaths; i++)
            if (strcmp(info->paths[i], f->path) == 0)
                f->found_path = 1;
        return info->kind == NSRUN_NET ? 7 : 8; /* stops the walk */
    }
    return 0;
}

static void test_persist_enter_list(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/net", dir);
    int ns = nsrun_ns_create(NSRUN_NET);
    CHECK(ns >= 0);
    CHECK(nsrun_ns_persist(ns, path) == 0);

    int again = nsrun_ns_open(path, NSRUN_NET);
    CHECK(again >= 0);
    CHECK(nsrun_ns_same(ns, again) == 1);
    struct nsrun_ns_id a, b;
    CHECK(nsrun_ns_id(ns, &a) == 0 && nsrun_ns_id(again, &b) == 0);
    CHECK(a.dev == b.dev && a.ino == b.ino);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_ino == a.ino);

    /* Occupied: refused, and the message names the namespace already there. */
    int other = nsrun_ns_create(NSRUN_NET);
    char expect[64];
    snprintf(expect, sizeof expect, "net:[%llu]", (unsigned long long)a.ino);
    CHECK_FAILS(nsrun_ns_persist(other, path), EEXIST, expect);
    CHECK(nsrun_ns_same(again, ns) == 1);

    /* list finds it by its path. */
    struct find f = {a, path, 0};
    CHECK(nsrun_ns_list(NSRUN_NET, visit_find, &f) == 7);
    CHECK(f.found_path == 1);

    /* enter returns the previous namespace; entering that goes back. */
    int host = nsrun_ns_current(NSRUN_NET);
    int prev = nsrun_ns_enter(ns, NSRUN_NET);
    CHECK(prev >= 0);
    CHECK(same_as_current(ns, NSRUN_NET) == 1);
    CHECK(nsrun_ns_same(prev, host) == 1);
    int back = nsrun_ns_enter(prev, 0);
    CHECK(back >= 0);
    CHECK(same_as_current(host, NSRUN_NET) == 1);
    CHECK(nsrun_ns_same(back, ns) == 1);
    close(back);
    close(prev);
    close(host);

    /* Wrong kind for enter: nothing changes. */
    CHECK_FAILS(nsrun_ns_enter(ns, NSRUN_UTS), EINVAL, "is a net namespace, not uts");

    CHECK(nsrun_ns_unpersist(path) == 0);
    CHECK(access(path, F_OK) == -1 && errno == ENOENT);
    CHECK_FAILS(nsrun_ns_unpersist(path), ENOENT, path);
    close(again);
    close(other);
    close(ns);
}

static void test_parent_owner(void)
{
    int user = nsrun_ns_create(NSRUN_USER);
    int mine = nsrun_ns_current(NSRUN_USER);
    int parent = nsrun_ns_parent(user);
    int owner = nsrun_ns_owner(user);
    CHECK(nsrun_ns_same(parent, mine) == 1);
    CHECK(nsrun_ns_same(owner, mine) == 1);
    CHECK_FAILS(nsrun_ns_parent(mine), EPERM, "NS_GET_PARENT");
    close(user); close(mine); close(parent); close(owner);
}

static void test_netns(void)
{
    char name[64], cmd[160];
    snprintf(name, sizeof name, "nsrun-ctest-%d", (int)getpid());
    int fd = nsrun_netns_add(name);
    CHECK(fd >= 0);
    snprintf(cmd, sizeof cmd, "ip netns list | grep -qw %s", name);
    CHECK(system(cmd) == 0);
    int opened = nsrun_netns_open(name);
    CHECK(nsrun_ns_same(fd, opened) == 1);
    char path[128];
    snprintf(path, sizeof path, "/run/netns/%s", name);
    int by_name = nsrun_netns_resolve(name), by_path = nsrun_netns_resolve(path);
    CHECK(nsrun_ns_same(fd, by_name) == 1 && nsrun_ns_same(fd, by_path) == 1);
    close(by_name);
    close(by_path);
    CHECK_FAILS(nsrun_netns_resolve("/proc/self/ns/uts"), EINVAL, "uts");
    CHECK_FAILS(nsrun_netns_add(name), EEXIST, "already holds");
    CHECK(nsrun_netns_delete(name) == 0);
    CHECK(system(cmd) != 0);
    CHECK_FAILS(nsrun_netns_open(name), ENOENT, name);
    close(fd);
    close(opened);

    CHECK_FAILS(nsrun_netns_add("a/b"), EINVAL, "contains '/'");
    CHECK_FAILS(nsrun_netns_add(".."), EINVAL, "not a name");
    CHECK_FAILS(nsrun_netns_add(""), EINVAL, "empty");
    CHECK(access("/run/netns/a", F_OK) == -1);
}

static void test_bad_input(void)
{
    char file[256];
    snprintf(file, sizeof file, "%s/plain", dir);
    int pf = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK(write(pf, "x", 1) == 1);

    CHECK_FAILS(nsrun_ns_open(NULL, 0), EINVAL, "path is NULL");
    CHECK_FAILS(nsrun_ns_persist(0, NULL), EINVAL, "path is NULL");
    CHECK_FAILS(nsrun_ns_unpersist(NULL), EINVAL, "path is NULL");
    CHECK_FAILS(nsrun_netns_add(NULL), EINVAL, "name is NULL");
    CHECK_FAILS(nsrun_netns_open(NULL), EINVAL, "name is NULL");
    CHECK_FAILS(nsrun_netns_delete(NULL), EINVAL, "name is NULL");
    CHECK_FAILS(nsrun_ns_list(0, NULL, NULL), EINVAL, "visit is NULL");
    CHECK_FAILS(nsrun_netns_list(NULL, NULL), EINVAL, "visit is NULL");
    int cur = nsrun_ns_current(NSRUN_NET);
    CHECK_FAILS(nsrun_ns_id(cur, NULL), EINVAL, "id is NULL");

    CHECK_FAILS(nsrun_ns_kind(-1), EBADF, "not an open file descriptor");
    int closed = nsrun_ns_current(NSRUN_UTS);
    close(closed);
    CHECK_FAILS(nsrun_ns_kind(closed), EBADF, "not an open file descriptor");
    CHECK_FAILS(nsrun_ns_enter(closed, 0), EBADF, "not an open file descriptor");
    CHECK_FAILS(nsrun_ns_same(cur, 9999), EBADF, "9999");
    CHECK_FAILS(nsrun_ns_kind(pf), EINVAL, "not a namespace file");
    CHECK(fcntl(pf, F_GETFD) >= 0); /* the caller's descriptor stays open */
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    CHECK_FAILS(nsrun_ns_persist(sv[0], "/tmp/never"), EINVAL, "not a namespace file");
    CHECK(access("/tmp/never", F_OK) == -1);
    char sockpath[64];
    snprintf(sockpath, sizeof sockpath, "/proc/self/fd/%d", sv[0]);
    CHECK_FAILS(nsrun_ns_open(sockpath, 0), EINVAL, "socket");

    CHECK_FAILS(nsrun_ns_open(file, 0), EINVAL, "regular file");
    CHECK_FAILS(nsrun_ns_open(dir, 0), EINVAL, "directory");
    CHECK_FAILS(nsrun_ns_open("/nonexistent/x", 0), ENOENT, "/nonexistent/x");
    CHECK_FAILS(nsrun_ns_open("/proc/self/ns/uts", NSRUN_NET), EINVAL, "is a uts namespace, not net");
    CHECK_FAILS(nsrun_ns_create(12345), EINVAL, "not a namespace kind");
    CHECK_FAILS(nsrun_ns_current(0), EINVAL, "not a namespace kind");

    /* persist onto a directory, a symlink, a non-empty file: refused, nothing left */
    char link[256];
    snprintf(link, sizeof link, "%s/link", dir);
    CHECK(symlink("/tmp/nsrun-ctest-target", link) == 0);
    CHECK_FAILS(nsrun_ns_persist(cur, dir), EISDIR, dir);
    CHECK_FAILS(nsrun_ns_persist(cur, link), ELOOP, "symbolic link");
    CHECK(access("/tmp/nsrun-ctest-target", F_OK) == -1);
    CHECK_FAILS(nsrun_ns_persist(cur, file), EEXIST, "non-empty");
    CHECK_FAILS(nsrun_ns_unpersist(file), EINVAL, "no namespace is bound");
    CHECK(access(file, F_OK) == 0);
    unlink(link);
    close(sv[0]); close(sv[1]);
    close(cur);
    close(pf);
    unlink(file);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/nsrun-ctest-%d", (int)getpid());
    if (mkdir(dir, 0700) != 0) {
        perror(dir);
        return 2;
    }
    test_version();
    test_create_every_kind();
    test_create_from_threads();
    test_persist_enter_list();
    test_parent_owner();
    test_netns();
    test_bad_input();
    CHECK(rmdir(dir) == 0); /* every test removed what it made */
    return report();
}
