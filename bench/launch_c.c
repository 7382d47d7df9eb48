/* The floor for a rootfs launch: clone(new mnt,pid,uts,ipc,net) + pivot_root + mount proc +
 * exec + wait, nothing else.   launch_c ROOTFS PROGRAM */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char stack[64 * 1024];
static char **args;

static int child(void *arg)
{
    (void)arg;
    const char *root = args[1];
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) || mount(root, root, NULL, MS_BIND | MS_REC, NULL) ||
        chdir(root) || syscall(SYS_pivot_root, ".", ".") || umount2(".", MNT_DETACH) || chdir("/") ||
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) {
        perror("setup");
        return 125;
    }
    execv(args[2], &args[2]);
    perror("exec");
    return 127;
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
