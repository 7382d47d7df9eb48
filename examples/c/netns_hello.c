/* Create a named network namespace, look inside it from this thread, come back, delete it.
 * Build: cc netns_hello.c $(pkg-config --cflags --libs nsrun) -o netns_hello
 * Run as root: ./netns_hello lab */
#include <nsrun.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int fail(const char *what)
{
    fprintf(stderr, "%s: %s\n", what, nsrun_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "lab";

    int lab = nsrun_netns_add(name); /* like `ip netns add`, and visible to it */
    if (lab < 0)
        return fail("nsrun_netns_add");

    struct nsrun_ns_id id;
    nsrun_ns_id(lab, &id);
    printf("created /run/netns/%s: net:[%llu]\n", name, (unsigned long long)id.ino);

    int host = nsrun_ns_enter(lab, NSRUN_NET); /* this thread only; returns where it was */
    if (host < 0)
        return fail("nsrun_ns_enter");
    fflush(stdout);
    system("ip -o link show | cut -d: -f2"); /* a child started now sees only lo */
    int back = nsrun_ns_enter(host, NSRUN_NET);
    if (back < 0)
        return fail("nsrun_ns_enter (back)");

    int now = nsrun_ns_current(NSRUN_NET);
    printf("back on the host: %s\n", nsrun_ns_same(now, host) == 1 ? "yes" : "no");

    close(now);
    close(back);
    close(host);
    close(lab);
    if (nsrun_netns_delete(name) < 0) /* also removes mounts other tools stacked on it */
        return fail("nsrun_netns_delete");
    printf("deleted %s\n", name);
    return 0;
}
