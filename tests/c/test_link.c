/* C ABI tests for network interfaces across namespaces (run as root). 198.18.0.0/15 only. */
#define _GNU_SOURCE
#include <nsrun.h>

#include <stdlib.h>
#include <unistd.h>

#include "check.h"

struct find { const char *name; int found; int up; int has_addr; };

static int visit(const struct nsrun_link_info *i, void *arg)
{
    struct find *f = arg;
    if (strcmp(i->name, f->name) == 0) {
        f->found = 1;
        f->up = i->up;
        for (size_t k = 0; k < i->naddresses; k++)
            if (strcmp(i->addresses[k], "198.18.0.1/24") == 0)
                f->has_addr = 1;
        CHECK(i->kind != NULL && strcmp(i->kind, "veth") == 0);
        CHECK(i->mac != NULL && strlen(i->mac) == 17);
    }
    return 0;
}

int main(void)
{
    char net0[64], a[16], b[16];
    snprintf(net0, sizeof net0, "nsrun-ctest-net0-%d", (int)getpid());
    snprintf(a, sizeof a, "nc%da", (int)getpid() % 100000);
    snprintf(b, sizeof b, "nc%db", (int)getpid() % 100000);

    int lab = nsrun_netns_add(net0);
    int peer = nsrun_ns_create(NSRUN_NET);
    CHECK(lab >= 0 && peer >= 0);
    CHECK(nsrun_link_veth(-1, a, -1, b) == 0);
    CHECK(nsrun_link_move(-1, a, lab, "eth1") == 0);
    CHECK(nsrun_link_move(-1, b, peer, NULL) == 0);
    CHECK(nsrun_link_add_address(lab, "eth1", "198.18.0.1/24") == 0);
    CHECK(nsrun_link_set_up(lab, "eth1", 1) == 0);
    CHECK(nsrun_link_set_mtu(lab, "eth1", 1400) == 0);
    CHECK(nsrun_link_add_address(peer, b, "198.18.0.2/24") == 0);
    CHECK(nsrun_link_set_up(peer, b, 1) == 0);
    CHECK(nsrun_link_add_route(peer, "default", "198.18.0.1", NULL) == 0);

    struct find f = {"eth1", 0, 0, 0};
    CHECK(nsrun_link_list(lab, visit, &f) == 0);
    CHECK(f.found && f.up && f.has_addr);
    struct find gone = {a, 0, 0, 0};
    CHECK(nsrun_link_list(-1, visit, &gone) == 0 && !gone.found); /* not on the host any more */

    /* Errors name the interface or value; the calling thread stays in its namespace. */
    int home = nsrun_ns_current(NSRUN_NET);
    CHECK_FAILS(nsrun_link_set_up(lab, "nosuch0", 1), ENODEV, "nosuch0: no such interface");
    CHECK_FAILS(nsrun_link_add_address(lab, "eth1", "198.18.0.1"), EINVAL, "prefix length");
    CHECK_FAILS(nsrun_link_veth(lab, "aaaaaaaaaaaaaaaa", -1, "b"), EINVAL, "longer than 15");
    CHECK_FAILS(nsrun_link_move(lab, "lo", peer, NULL), EINVAL, "loopback");
    CHECK_FAILS(nsrun_link_add_route(peer, "198.18.9.0/24", "fd00::1", NULL), EINVAL, "address family");
    int uts = nsrun_ns_current(NSRUN_UTS);
    CHECK_FAILS(nsrun_link_set_up(uts, "lo", 1), EINVAL, "is a uts namespace, not net");
    CHECK_FAILS(nsrun_link_set_up(9999, "lo", 1), EBADF, "not an open file descriptor");
    CHECK_FAILS(nsrun_link_set_up(lab, NULL, 1), EINVAL, "name is NULL");
    CHECK_FAILS(nsrun_link_list(lab, NULL, NULL), EINVAL, "visit is NULL");
    int now = nsrun_ns_current(NSRUN_NET);
    CHECK(nsrun_ns_same(now, home) == 1);

    CHECK(nsrun_link_delete(peer, b) == 0); /* takes eth1 in net0 with it */
    struct find f2 = {"eth1", 0, 0, 0};
    nsrun_link_list(lab, visit, &f2);
    CHECK(!f2.found);
    close(now); close(home); close(uts); close(peer); close(lab);
    CHECK(nsrun_netns_delete(net0) == 0);
    return report();
}
