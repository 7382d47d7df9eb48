/* The floor: the fewest syscalls that create+persist / open / delete / enter+leave network
 * namespaces.
 *   netns_c add N PREFIX | open N PREFIX | del N PREFIX | enter N NAME    prints seconds elapsed
 * open is what a verified handle needs: open, fstat (its identity), NS_GET_NSTYPE (its kind). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    int n = atoi(argv[2]);
    char path[256];
    double t0 = now();
    if (argv[1][0] == 'a') {
        /* One-time set-up, not timed (MS_REC walks every mount below: it grows with N). */
        mkdir("/run/netns", 0755);
        if (mount("", "/run/netns", "none", MS_SHARED | MS_REC, NULL) != 0) {
            mount("/run/netns", "/run/netns", "none", MS_BIND | MS_REC, NULL);
            mount("", "/run/netns", "none", MS_SHARED | MS_REC, NULL);
        }
        t0 = now();
        for (int i = 0; i < n; i++) {
            snprintf(path, sizeof path, "/run/netns/%s-%d", argv[3], i);
            int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
            if (fd < 0 || unshare(CLONE_NEWNET) != 0 || mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) != 0) {
                perror(path);
                return 1;
            }
            close(fd);
        }
    } else if (argv[1][0] == 'o') {
        for (int i = 0; i < n; i++) {
            struct stat st;
            snprintf(path, sizeof path, "/run/netns/%s-%d", argv[3], i);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || fstat(fd, &st) != 0 || ioctl(fd, _IO(0xb7, 0x3)) != CLONE_NEWNET) {
                perror(path);
                return 1;
            }
            close(fd);
        }
    } else if (argv[1][0] == 'd') {
        for (int i = 0; i < n; i++) {
            snprintf(path, sizeof path, "/run/netns/%s-%d", argv[3], i);
            if (umount2(path, MNT_DETACH) != 0 || unlink(path) != 0) {
                perror(path);
                return 1;
            }
        }
    } else {
        snprintf(path, sizeof path, "/run/netns/%s", argv[3]);
        int target = open(path, O_RDONLY | O_CLOEXEC);
        t0 = now();
        for (int i = 0; i < n; i++) {
            int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
            if (setns(target, CLONE_NEWNET) != 0 || setns(self, CLONE_NEWNET) != 0)
                return 1;
            close(self);
        }
    }
    printf("%.6f\n", now() - t0);
    return 0;
}
