/* The floor for nsrun's *default* rootfs launch: a minimal C program doing the same work, with
 * no check, no error report and no generality.   launch_full_c ROOTFS PROGRAM
 *
 * launch_c.c is the bare floor (clone + pivot_root + /proc + exec). A default nsrun launch also
 * does what issue 11's hardening and the design ask for, and this program does exactly that, in
 * the order nsrun does (compare `strace -f` of both):
 *   - clone(new mnt, pid, uts, ipc, net), mounts made slave, the rootfs bound onto itself and
 *     made nodev (mount_setattr, recursive);
 *   - /proc, read-only /sys, /dev (tmpfs with null, zero, full, random, urandom, tty, pts, shm
 *     and the fd/std* links), /tmp and /run (tmpfs); /proc/sys read-only but /proc/sys/net;
 *   - runc's masked paths: /dev/null over the /proc files, an empty read-only tmpfs over
 *     /proc/acpi and /sys/firmware, /proc/bus, /proc/fs and /proc/irq read-only;
 *   - pivot_root; capabilities out of the bounding set; a seccomp filter of the same shape;
 *   - an init as PID 1: it forks the program, waits for it and exits with its status (nsrun's
 *     init is a separate, sealed program; this one is the same process: that exec is part of
 *     what the ratio measures).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static char stack[64 * 1024];
static char **args;

static void ro_recursive(const char *path, int ro)
{
    struct mount_attr a = {0};
    if (ro)
        a.attr_set = MOUNT_ATTR_RDONLY;
    else
        a.attr_clr = MOUNT_ATTR_RDONLY;
    mount(path, path, NULL, MS_BIND | MS_REC, NULL);
    syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &a, sizeof a);
}

static void seccomp_filter(void)
{
#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, off)
#define JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, t, f)
#define RET(v) BPF_STMT(BPF_RET | BPF_K, v)
#define EPERM_ RET(SECCOMP_RET_ERRNO | 1)
#define DENY(nr) JEQ(nr, 0, 1), EPERM_
    struct sock_filter f[] = {
        LD(offsetof(struct seccomp_data, arch)),
        JEQ(AUDIT_ARCH_X86_64, 0, 49),
        LD(offsetof(struct seccomp_data, nr)),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~0x40000000u),
        JEQ(SYS_mknod, 0, 5),
        LD(offsetof(struct seccomp_data, args[1])),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, S_IFMT),
        JEQ(S_IFBLK, 0, 1),
        EPERM_,
        RET(SECCOMP_RET_ALLOW),
        JEQ(SYS_mknodat, 0, 5),
        LD(offsetof(struct seccomp_data, args[2])),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, S_IFMT),
        JEQ(S_IFBLK, 0, 1),
        EPERM_,
        RET(SECCOMP_RET_ALLOW),
        DENY(SYS_keyctl), DENY(SYS_add_key), DENY(SYS_request_key), DENY(SYS_bpf),
        DENY(SYS_perf_event_open), DENY(SYS_syslog), DENY(SYS_swapon), DENY(SYS_swapoff),
        DENY(SYS_kexec_load), DENY(SYS_kexec_file_load), DENY(SYS_open_by_handle_at),
        DENY(SYS_init_module), DENY(SYS_finit_module), DENY(SYS_delete_module), DENY(SYS_iopl),
        DENY(SYS_ioperm), DENY(SYS_acct),
        RET(SECCOMP_RET_ALLOW),
        RET(SECCOMP_RET_ALLOW), /* other architectures (nsrun filters i386 too) */
    };
    struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static int child(void *arg)
{
    (void)arg;
    static const int drop[] = {2, 16, 17, 19, 20, 25, 29, 30, 32, 33, 34, 35, 36, 37, 38, 39, 40};
    static const char *const masked_files[] = {"proc/keys", "proc/timer_list", "proc/kmsg",
                                               "proc/kallsyms"};
    static const struct {
        const char *name;
        dev_t dev;
    } nodes[] = {{"dev/null", 0x103}, {"dev/zero", 0x105}, {"dev/full", 0x107},
                 {"dev/random", 0x108}, {"dev/urandom", 0x109}, {"dev/tty", 0x500}};
    const char *root = args[1];
    umask(0);
    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL);
    mount(root, root, NULL, MS_BIND | MS_REC, NULL);
    struct mount_attr nodev = {.attr_set = MOUNT_ATTR_NODEV};
    syscall(SYS_mount_setattr, AT_FDCWD, root, AT_RECURSIVE, &nodev, sizeof nodev);
    if (chdir(root))
        return 125;
    mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k");
    mount("tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    mount("tmpfs", "run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755");
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
        mknod(nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].dev >> 8, nodes[i].dev & 0xff));
    mkdir("dev/pts", 0755);
    mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620");
    mkdir("dev/shm", 01777);
    symlink("pts/ptmx", "dev/ptmx");
    symlink("/proc/self/fd", "dev/fd");
    symlink("/proc/self/fd/0", "dev/stdin");
    symlink("/proc/self/fd/1", "dev/stdout");
    symlink("/proc/self/fd/2", "dev/stderr");
    ro_recursive("proc/sys", 1);
    ro_recursive("proc/sys/net", 0);
    for (size_t i = 0; i < sizeof masked_files / sizeof masked_files[0]; i++)
        mount("dev/null", masked_files[i], NULL, MS_BIND, NULL);
    mount("tmpfs", "proc/acpi", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=555,size=4k");
    mount("tmpfs", "sys/firmware", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=555,size=4k");
    ro_recursive("proc/bus", 1);
    ro_recursive("proc/fs", 1);
    ro_recursive("proc/irq", 1);
    if (syscall(SYS_pivot_root, ".", ".") || umount2(".", MNT_DETACH) || chdir("/"))
        return 125;
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        prctl(PR_CAPBSET_DROP, drop[i], 0, 0, 0);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    seccomp_filter();
    /* The init: fork the program, wait for it. */
    pid_t pid = fork();
    if (pid == 0) {
        execv(args[2], &args[2]);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return 125;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    args = argv;
    pid_t pid = clone(child, stack + sizeof stack,
                      CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD, NULL);
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return 1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
