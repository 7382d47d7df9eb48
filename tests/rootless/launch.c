/* A rootless launch through the C API: run as an ordinary user by tests/rootless (the
 * launch gets a user namespace of its own by default; argv[1] = "0" forces none).
 *   launch ROOTFS AUTO|0|1 CMD...   exit status: the program's, or 125 with the error on stderr
 * NSRUN_C_LAUNCH_TIMES=N spawns the same builder N times in turn (the last status counts). */
#include <nsrun.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s ROOTFS auto|0|1 CMD...\n", argv[0]);
        return 2;
    }
    int status = NSRUN_EXIT_SETUP_FAILED;
    struct nsrun_launch *l = nsrun_launch_new((const char *const *)&argv[3]);
    struct nsrun_child *c = NULL;
    int rootless = argv[2][0] == 'a' ? -1 : atoi(argv[2]);
    const char *times_env = getenv("NSRUN_C_LAUNCH_TIMES");
    int times = times_env ? atoi(times_env) : 1;
    if (!l || nsrun_launch_rootfs(l, argv[1]) < 0 || nsrun_launch_ns_new(l, NSRUN_NET) < 0 ||
        nsrun_launch_hostname(l, "c-router") < 0 || nsrun_launch_rcs(l) < 0 ||
        nsrun_launch_rootless(l, rootless) < 0)
        times = 0;
    for (int i = 0; i < times; i++) {
        if (!(c = nsrun_launch_spawn(l)) || nsrun_child_wait(c, -1, &status) < 0) {
            times = 0;
            break;
        }
        nsrun_child_free(c);
        c = NULL;
    }
    if (times == 0) {
        fprintf(stderr, "launch: %s\n", nsrun_last_error());
        status = NSRUN_EXIT_SETUP_FAILED;
    }
    nsrun_child_free(c);
    nsrun_launch_free(l);
    return status;
}
