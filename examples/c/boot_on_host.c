/* boot_on_host: the router developer's shell script, done right in C.
 *
 *   ip netns add NET; ip link add ... type veth; ip link set vethX netns NET name eth1;
 *   unshare -mpuf chroot ROOTFS /etc/rcS ...; ip netns del NET
 *
 * becomes: a named netns, a veth pair born in a second namespace standing for the test host,
 * one end moved into NET as eth1 (no interface ever appears in the host's own namespace), the
 * rootfs booted joined to NET (/etc/rcS S boot, the command, /etc/rcS K shutdown), and
 * everything removed on exit.
 *
 * Build: cc boot_on_host.c $(pkg-config --cflags --libs nsrun) -o boot_on_host
 * Run: ./boot_on_host ROOTFS NET [CMD...]        (default CMD: an interactive /bin/sh)
 * As root, NET is /run/netns/NET (seen by `ip netns`); as an ordinary user the same program
 * runs rootless: NET lives in the user's own directory, held by nsrun's per-user keeper.
 */
#include <nsrun.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define TRY(call)                                                   \
    do {                                                            \
        if ((call) < 0) {                                           \
            fprintf(stderr, "%s: %s\n", #call, nsrun_last_error()); \
            goto out;                                               \
        }                                                           \
    } while (0)

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ROOTFS NET [CMD...]\n", argv[0]);
        return 2;
    }
    const char *rootfs = argv[1], *net = argv[2];
    const char *shell[] = {"/bin/sh", "-i", NULL};
    const char *const *cmd = argc > 3 ? (const char *const *)&argv[3] : shell;
    char host_end[16], peer_end[16];
    snprintf(host_end, sizeof host_end, "bh%da", (int)getpid() % 100000);
    snprintf(peer_end, sizeof peer_end, "bh%db", (int)getpid() % 100000);

    int status = NSRUN_EXIT_SETUP_FAILED, netns = -1, peer = -1;
    struct nsrun_launch *l = NULL;
    struct nsrun_child *c = NULL;

    TRY(netns = nsrun_netns_add(net)); /* refused if NET exists: no netns bound over another */
    TRY(peer = nsrun_ns_create(NSRUN_NET));
    TRY(nsrun_link_veth(peer, host_end, peer, peer_end));
    TRY(nsrun_link_move(peer, host_end, netns, "eth1"));
    TRY(nsrun_link_add_address(netns, "eth1", "198.18.0.1/24"));
    TRY(nsrun_link_set_up(netns, "eth1", 1));
    TRY(nsrun_link_set_up(netns, "lo", 1));
    TRY(nsrun_link_add_address(peer, peer_end, "198.18.0.2/24"));
    TRY(nsrun_link_set_up(peer, peer_end, 1));

    if (!(l = nsrun_launch_new(cmd))) {
        fprintf(stderr, "nsrun_launch_new: %s\n", nsrun_last_error());
        goto out;
    }
    TRY(nsrun_launch_rootfs(l, rootfs));
    TRY(nsrun_launch_ns_join(l, netns));
    TRY(nsrun_launch_rcs(l)); /* /etc/rcS S boot before, /etc/rcS K shutdown after */
    TRY(nsrun_launch_interactive(l, isatty(0)));
    if (!(c = nsrun_launch_spawn(l))) {
        fprintf(stderr, "boot %s: %s\n", rootfs, nsrun_last_error());
        status = errno == ENOENT ? NSRUN_EXIT_NOT_FOUND : NSRUN_EXIT_SETUP_FAILED;
        goto out;
    }
    TRY(nsrun_child_wait(c, -1, &status)); /* the init runs the shutdown script at the end */
    printf("boot_on_host: %s exited with status %d\n", rootfs, status);

out:
    nsrun_child_free(c); /* kills the container if it still runs */
    nsrun_launch_free(l);
    if (peer >= 0)
        close(peer); /* the peer namespace goes, and the veth pair with it */
    if (netns >= 0) {
        close(netns);
        if (nsrun_netns_delete(net) < 0)
            fprintf(stderr, "nsrun_netns_delete: %s\n", nsrun_last_error());
    }
    return status < 0 ? 128 - status : status;
}
