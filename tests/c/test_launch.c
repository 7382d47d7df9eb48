/* C ABI tests for launching a rootfs (run as root; NSRUN_TEST_ROOTFS = the busybox fixture). */
#define _GNU_SOURCE
#include <nsrun.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static const char *rootfs;

static int read_all(int fd, char *buf, size_t size)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = 0;
    return (int)n;
}

/* Host mounts this test could have left: at or under the rootfs, or named after this process
 * (other mounts on the host belong to others, e.g. a concurrent test run). */
static int mount_count(void)
{
    char tag[32], line[8192];
    snprintf(tag, sizeof tag, "-%d ", (int)getpid());
    FILE *f = fopen("/proc/self/mountinfo", "re");
    int lines = 0;
    while (f && fgets(line, sizeof line, f))
        lines += strstr(line, rootfs) != NULL || strstr(line, tag) != NULL;
    if (f)
        fclose(f);
    return lines;
}

static void test_run_capture_and_status(void)
{
    const char *argv[] = {"/bin/sh", "-c", "echo hello from $(hostname); exit 7", NULL};
    struct nsrun_launch *l = nsrun_launch_new(argv);
    CHECK(l != NULL);
    CHECK(nsrun_launch_rootfs(l, rootfs) == 0);
    CHECK(nsrun_launch_hostname(l, "r1") == 0);
    CHECK(nsrun_launch_stdio(l, NSRUN_STDIO_NULL, NSRUN_STDIO_PIPE, NSRUN_STDIO_INHERIT) == 0);
    struct nsrun_child *c = nsrun_launch_spawn(l);
    CHECK(c != NULL && nsrun_child_pid(c) > 0);
    int out = nsrun_child_take_fd(c, 1);
    CHECK(out >= 0);
    CHECK_FAILS(nsrun_child_take_fd(c, 1), EBADF, "not piped");
    char buf[256];
    read_all(out, buf, sizeof buf);
    close(out);
    CHECK(strcmp(buf, "hello from r1\n") == 0);
    int status = -1;
    CHECK(nsrun_child_wait(c, -1, &status) == 1);
    CHECK(status == 7);
    nsrun_child_free(c);

    /* The builder is reusable. */
    c = nsrun_launch_spawn(l);
    CHECK(c != NULL);
    int fd = nsrun_child_take_fd(c, 1);
    CHECK(fd >= 0);
    read_all(fd, buf, sizeof buf);
    close(fd);
    CHECK(strcmp(buf, "hello from r1\n") == 0);
    CHECK(nsrun_child_wait(c, 5000, &status) == 1 && status == 7);
    nsrun_child_free(c);
    nsrun_launch_free(l);
}

static void test_stop_boot_shutdown_and_namespaces(void)
{
    const char *argv[] = {"/bin/sh", "-c", "sleep 1000", NULL};
    const char *boot[] = {"/etc/rcS", "S", "boot", NULL};
    struct nsrun_launch *l = nsrun_launch_new(argv);
    nsrun_launch_rootfs(l, rootfs);
    CHECK(nsrun_launch_ns_new(l, NSRUN_NET) == 0);
    CHECK(nsrun_launch_boot(l, boot) == 0);
    CHECK(nsrun_launch_rcs(l) == 0); /* keeps that boot, adds nsrun's /etc/rcS K shutdown */
    CHECK(nsrun_launch_stdio(l, NSRUN_STDIO_NULL, NSRUN_STDIO_PIPE, NSRUN_STDIO_INHERIT) == 0);
    struct nsrun_child *c = nsrun_launch_spawn(l);
    CHECK(c != NULL);
    int net = nsrun_child_ns(c, NSRUN_NET);
    int host = nsrun_ns_current(NSRUN_NET);
    CHECK(net >= 0 && nsrun_ns_same(net, host) == 0);
    int status = 0;
    CHECK(nsrun_child_wait(c, 100, &status) == 0); /* still running: timeout */
    int out = nsrun_child_take_fd(c, 1);
    CHECK(nsrun_child_stop(c, 5000, &status) == 0);
    CHECK(status == 128 + SIGTERM);
    char buf[512];
    read_all(out, buf, sizeof buf);
    CHECK(strstr(buf, "rcS: boot: router up") != NULL);
    CHECK(strstr(buf, "rcS: shutdown: stopping") != NULL);
    close(out);
    close(net);
    close(host);
    nsrun_child_free(c);
    nsrun_launch_free(l);
}

static void test_join_a_named_netns(void)
{
    char name[64];
    snprintf(name, sizeof name, "nsrun-ctest-launch-%d", (int)getpid());
    int lab = nsrun_netns_add(name);
    const char *argv[] = {"/bin/sh", "-c", "readlink /proc/self/ns/net", NULL};
    struct nsrun_launch *l = nsrun_launch_new(argv);
    nsrun_launch_rootfs(l, rootfs);
    CHECK(nsrun_launch_ns_join(l, lab) == 0);
    nsrun_launch_stdio(l, NSRUN_STDIO_NULL, NSRUN_STDIO_PIPE, NSRUN_STDIO_INHERIT);
    struct nsrun_child *c = nsrun_launch_spawn(l);
    CHECK(c != NULL);
    int out = nsrun_child_take_fd(c, 1);
    char buf[128], expect[64];
    read_all(out, buf, sizeof buf);
    struct nsrun_ns_id id;
    nsrun_ns_id(lab, &id);
    snprintf(expect, sizeof expect, "net:[%llu]\n", (unsigned long long)id.ino);
    CHECK(strcmp(buf, expect) == 0);
    int status;
    CHECK(nsrun_child_wait(c, -1, &status) == 1 && status == 0);
    close(out);
    nsrun_child_free(c);
    nsrun_launch_free(l);
    close(lab);
    CHECK(nsrun_netns_delete(name) == 0);
}

static void test_free_kills_a_running_child(void)
{
    const char *argv[] = {"/bin/sleep", "1000", NULL};
    struct nsrun_launch *l = nsrun_launch_new(argv);
    nsrun_launch_rootfs(l, rootfs);
    struct nsrun_child *c = nsrun_launch_spawn(l);
    pid_t pid = nsrun_child_pid(c);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/%d", (int)pid);
    CHECK(access(proc, F_OK) == 0);
    nsrun_child_free(c);
    CHECK(access(proc, F_OK) == -1);
    nsrun_launch_free(l);
}

static void test_errors(void)
{
    const char *missing[] = {"/no/such/program", NULL};
    struct nsrun_launch *l = nsrun_launch_new(missing);
    nsrun_launch_rootfs(l, rootfs);
    errno = 0;
    CHECK(nsrun_launch_spawn(l) == NULL);
    CHECK(errno == ENOENT);
    CHECK(strstr(nsrun_last_error(), "launch: exec /no/such/program: program not found") != NULL);
    nsrun_launch_rootfs(l, "/nonexistent-rootfs");
    CHECK(nsrun_launch_spawn(l) == NULL && errno == ENOENT);
    CHECK(strstr(nsrun_last_error(), "launch: rootfs /nonexistent-rootfs") != NULL);
    nsrun_launch_free(l);

    errno = 0;
    CHECK(nsrun_launch_new(NULL) == NULL && errno == EINVAL);
    CHECK(strstr(nsrun_last_error(), "argv is NULL") != NULL);
    const char *empty[] = {NULL};
    CHECK(nsrun_launch_new(empty) == NULL && errno == EINVAL);
    CHECK_FAILS(nsrun_launch_rootfs(NULL, "/"), EINVAL, "launch is NULL");
    CHECK(nsrun_launch_spawn(NULL) == NULL && errno == EINVAL);
    CHECK_FAILS(nsrun_child_wait(NULL, 0, NULL), EINVAL, "child is NULL");
    CHECK(nsrun_child_pid(NULL) == -1);
    nsrun_child_free(NULL);
    nsrun_launch_free(NULL);

    const char *t[] = {"/bin/true", NULL};
    l = nsrun_launch_new(t);
    CHECK_FAILS(nsrun_launch_ns_new(l, 12345), EINVAL, "not a set of NSRUN_* kinds");
    CHECK_FAILS(nsrun_launch_ns_join(l, 9999), EBADF, "not an open file descriptor");
    CHECK_FAILS(nsrun_launch_stdio(l, 9999, -1, -1), EBADF, "not an open file descriptor");
    CHECK_FAILS(nsrun_launch_rootfs(l, NULL), EINVAL, "path is NULL");
    const char *bad_env[] = {"NOEQUALS", NULL};
    CHECK_FAILS(nsrun_launch_env(l, bad_env), EINVAL, "not NAME=value");
    nsrun_launch_ns_inherit(l, NSRUN_MNT);
    nsrun_launch_rootfs(l, rootfs);
    CHECK(nsrun_launch_spawn(l) == NULL && errno == EINVAL);
    CHECK(strstr(nsrun_last_error(), "needs a new mount namespace") != NULL);
    nsrun_launch_free(l);
}

static void test_exec_into_a_running_launch(void)
{
    const char *argv[] = {"/bin/sleep", "1000", NULL};
    struct nsrun_launch *l = nsrun_launch_new(argv);
    CHECK(l != NULL);
    CHECK(nsrun_launch_rootfs(l, rootfs) == 0);
    CHECK(nsrun_launch_hostname(l, "cexec") == 0);
    CHECK(nsrun_launch_stdio(l, NSRUN_STDIO_NULL, NSRUN_STDIO_NULL, NSRUN_STDIO_INHERIT) == 0);
    struct nsrun_child *c = nsrun_launch_spawn(l);
    CHECK(c != NULL);

    const char *sh[] = {"/bin/sh", "-c", "hostname; pwd; echo $V; exit 5", NULL};
    const char *envp[] = {"V=v", "PATH=/bin", NULL};
    struct nsrun_exec *e =
        nsrun_child_exec(c, sh, envp, "/etc", NSRUN_STDIO_NULL, NSRUN_STDIO_PIPE, NSRUN_STDIO_INHERIT);
    CHECK(e != NULL && nsrun_exec_pid(e) > 0);
    int out = nsrun_exec_take_fd(e, 1);
    char buf[256];
    CHECK(read_all(out, buf, sizeof buf) > 0);
    CHECK(strcmp(buf, "cexec\n/etc\nv\n") == 0);
    close(out);
    int status = -1;
    CHECK(nsrun_exec_wait(e, -1, &status) == 1 && status == 5);
    nsrun_exec_free(e);

    /* By pid, as `nsrun exec --target` does. */
    const char *host[] = {"hostname", NULL};
    e = nsrun_exec_target(nsrun_child_pid(c), host, NULL, NULL, NSRUN_STDIO_NULL, NSRUN_STDIO_PIPE,
                          NSRUN_STDIO_INHERIT);
    CHECK(e != NULL);
    out = nsrun_exec_take_fd(e, 1);
    CHECK(read_all(out, buf, sizeof buf) > 0 && strcmp(buf, "cexec\n") == 0);
    close(out);
    CHECK(nsrun_exec_wait(e, 5000, &status) == 1 && status == 0);
    nsrun_exec_free(e);

    /* Not found: NULL with ENOENT and the stage. */
    const char *missing[] = {"/no/such", NULL};
    errno = 0;
    CHECK(nsrun_child_exec(c, missing, NULL, NULL, NSRUN_STDIO_NULL, NSRUN_STDIO_NULL, NSRUN_STDIO_NULL) == NULL);
    CHECK(errno == ENOENT && strstr(nsrun_last_error(), "launch: exec /no/such") != NULL);

    /* A long-running command dies with the launch; then exec is refused with ESRCH. */
    e = nsrun_child_exec(c, argv, NULL, NULL, NSRUN_STDIO_NULL, NSRUN_STDIO_NULL, NSRUN_STDIO_NULL);
    CHECK(e != NULL);
    CHECK(nsrun_exec_wait(e, 50, &status) == 0);
    CHECK(nsrun_child_stop(c, 5000, &status) == 0);
    CHECK(nsrun_exec_wait(e, -1, &status) == 1 && (status == 128 + SIGTERM || status == 128 + SIGKILL));
    nsrun_exec_free(e);
    errno = 0;
    CHECK(nsrun_child_exec(c, host, NULL, NULL, NSRUN_STDIO_NULL, NSRUN_STDIO_NULL, NSRUN_STDIO_NULL) == NULL);
    CHECK(errno == ESRCH && strstr(nsrun_last_error(), "not running") != NULL);
    nsrun_child_free(c);
    nsrun_launch_free(l);
    nsrun_exec_free(NULL);
}

static void test_pass_fd_id_maps_host_dev_proc_sys(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "passed\n", 7) == 7);
    close(p[1]);
    const char *argv[] = {"/bin/sh", "-c",
                          "cat <&7; cat /proc/self/uid_map; test -e /dev/tty0 && echo hostdev; "
                          "touch /proc/sys/kernel/hostname 2>/dev/null && echo sysrw",
                          NULL};
    struct nsrun_launch *l = nsrun_launch_new(argv);
    CHECK(nsrun_launch_rootfs(l, rootfs) == 0);
    CHECK(nsrun_launch_pass_fd(l, p[0], 7) == 0);
    close(p[0]);
    struct nsrun_id_map uid = {0, 0, 65536}, gid = {0, 0, 65536};
    CHECK(nsrun_launch_id_maps(l, &uid, 1, &gid, 1) == 0);
    CHECK(nsrun_launch_stdio(l, NSRUN_STDIO_NULL, NSRUN_STDIO_PIPE, NSRUN_STDIO_INHERIT) == 0);
    struct nsrun_child *c = nsrun_launch_spawn(l);
    CHECK(c != NULL);
    char buf[256];
    int fd = nsrun_child_take_fd(c, 1);
    CHECK(read_all(fd, buf, sizeof buf) > 0);
    close(fd);
    CHECK(strstr(buf, "passed\n") == buf);
    CHECK(strstr(buf, "65536") != NULL);
    int status;
    CHECK(nsrun_child_wait(c, -1, &status) == 1);
    nsrun_child_free(c);
    nsrun_launch_free(l);
    CHECK_FAILS(nsrun_launch_id_maps(NULL, &uid, 1, &gid, 1), EINVAL, "NULL");

    const char *argv2[] = {"/bin/sh", "-c", "test -e /dev/tty0 && echo hostdev; "
                                            "echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo sysrw",
                           NULL};
    l = nsrun_launch_new(argv2);
    CHECK(nsrun_launch_rootfs(l, rootfs) == 0);
    CHECK(nsrun_launch_host_dev(l, 1) == 0);
    CHECK(nsrun_launch_proc_sys_writable(l, 1) == 0);
    CHECK(nsrun_launch_stdio(l, NSRUN_STDIO_NULL, NSRUN_STDIO_PIPE, NSRUN_STDIO_INHERIT) == 0);
    c = nsrun_launch_spawn(l);
    CHECK(c != NULL);
    fd = nsrun_child_take_fd(c, 1);
    CHECK(read_all(fd, buf, sizeof buf) > 0);
    close(fd);
    CHECK(strcmp(buf, "hostdev\nsysrw\n") == 0);
    CHECK(nsrun_child_wait(c, -1, &status) == 1);
    nsrun_child_free(c);
    nsrun_launch_free(l);
}

/* The default isolation drops CAP_SYS_MODULE (16) from the bounding set; privileged keeps it. */
static void test_privileged(void)
{
    const char *argv[] = {"/bin/sh", "-c", "grep CapBnd /proc/self/status | cut -f2", NULL};
    char first[64] = "", buf[64];
    for (int privileged = 0; privileged <= 1; privileged++) {
        struct nsrun_launch *l = nsrun_launch_new(argv);
        CHECK(nsrun_launch_rootfs(l, rootfs) == 0);
        CHECK(nsrun_launch_privileged(l, privileged) == 0);
        CHECK(nsrun_launch_stdio(l, NSRUN_STDIO_NULL, NSRUN_STDIO_PIPE, NSRUN_STDIO_INHERIT) == 0);
        struct nsrun_child *c = nsrun_launch_spawn(l);
        CHECK(c != NULL);
        int fd = nsrun_child_take_fd(c, 1);
        CHECK(read_all(fd, buf, sizeof buf) > 0);
        close(fd);
        unsigned long long bnd = strtoull(buf, NULL, 16);
        CHECK(((bnd >> 16) & 1) == (unsigned long long)privileged);
        if (!privileged)
            snprintf(first, sizeof first, "%s", buf);
        int status;
        CHECK(nsrun_child_wait(c, -1, &status) == 1);
        nsrun_child_free(c);
        nsrun_launch_free(l);
    }
    CHECK(strcmp(first, buf) != 0);
    CHECK_FAILS(nsrun_launch_privileged(NULL, 1), EINVAL, "NULL");
}

int main(void)
{
    rootfs = getenv("NSRUN_TEST_ROOTFS");
    if (!rootfs) {
        fprintf(stderr, "set NSRUN_TEST_ROOTFS to the busybox fixture rootfs\n");
        return 2;
    }
    int mounts = mount_count();
    test_run_capture_and_status();
    test_stop_boot_shutdown_and_namespaces();
    test_join_a_named_netns();
    test_free_kills_a_running_child();
    test_errors();
    test_exec_into_a_running_launch();
    test_pass_fd_id_maps_host_dev_proc_sys();
    test_privileged();
    CHECK(mount_count() == mounts); /* nothing stayed mounted on the host */
    return report();
}
