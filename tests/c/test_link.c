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

struct route_find { const char *dst; char gateway[64]; int found; int family; };

static int visit_route(const struct nsrun_route *r, void *arg)
{
    struct route_find *f = arg;
    CHECK(r->dst != NULL && r->protocol != NULL && r->scope != NULL && r->type_ != NULL);
    if (strcmp(r->dst, f->dst) == 0) {
        f->found++;
        f->family = r->family;
        snprintf(f->gateway, sizeof f->gateway, "%s", r->gateway ? r->gateway : "");
    }
    return 0;
}

struct members { int n; char names[4][16]; };

static int visit_member(const struct nsrun_link_info *i, void *arg)
{
    struct members *m = arg;
    CHECK(i->master != NULL && strcmp(i->master, "br0") == 0);
    if (m->n < 4)
        snprintf(m->names[m->n++], 16, "%s", i->name);
    return 0;
}

/* Routes, bridges, VLANs and sysctls, all inside namespaces made here: nothing on the host. */
static void net_breadth(void)
{
    char lab_name[64], buf[64], host_fwd[8];
    snprintf(lab_name, sizeof lab_name, "nsrun-ctest-br-%d", (int)getpid());
    int lab = nsrun_netns_add(lab_name);
    int other = nsrun_ns_create(NSRUN_NET);
    CHECK(lab >= 0 && other >= 0);
    CHECK(nsrun_sysctl_get(-1, "net.ipv4.ip_forward", host_fwd, sizeof host_fwd) == 1);
    /* A descriptor carries no name: messages name the netns by its id, as /proc shows it. */
    struct nsrun_ns_id id;
    CHECK(nsrun_ns_id(lab, &id) == 0);
    char shown[64];
    snprintf(shown, sizeof shown, "net:[%llu]", (unsigned long long)id.ino);

    CHECK(nsrun_link_veth(lab, "a0", lab, "a1") == 0);
    CHECK(nsrun_link_add_address(lab, "a0", "198.18.1.2/24") == 0);
    CHECK(nsrun_link_add_address(lab, "a0", "fd00:1::2/64") == 0);
    CHECK(nsrun_link_set_up(lab, "a0", 1) == 0 && nsrun_link_set_up(lab, "a1", 1) == 0);

    /* Routes: add, duplicate, list, replace, delete, delete again; both families. */
    CHECK(nsrun_link_add_route(lab, "198.18.0.0/24", "198.18.1.1", NULL) == 0);
    CHECK(nsrun_link_add_route(lab, "fd00:9::/64", "fd00:1::1", "a0") == 0);
    char want[160];
    snprintf(want, sizeof want, "route 198.18.0.0/24 via 198.18.1.1 already exists in netns %s", shown);
    CHECK_FAILS(nsrun_link_add_route(lab, "198.18.0.0/24", "198.18.1.9", NULL), EEXIST, want);
    struct route_find f4 = {"198.18.0.0/24", "", 0, 0}, f6 = {"fd00:9::/64", "", 0, 0};
    CHECK(nsrun_link_list_routes(lab, 0, 254, visit_route, &f4) == 0);
    CHECK(nsrun_link_list_routes(lab, 6, 254, visit_route, &f6) == 0);
    CHECK(f4.found == 1 && f4.family == 4 && strcmp(f4.gateway, "198.18.1.1") == 0);
    CHECK(f6.found == 1 && f6.family == 6 && strcmp(f6.gateway, "fd00:1::1") == 0);
    CHECK(nsrun_link_replace_route(lab, "198.18.0.0/24", "198.18.1.3", NULL) == 0);
    struct route_find r4 = {"198.18.0.0/24", "", 0, 0};
    CHECK(nsrun_link_list_routes(lab, 4, 254, visit_route, &r4) == 0);
    CHECK(r4.found == 1 && strcmp(r4.gateway, "198.18.1.3") == 0);
    CHECK(nsrun_link_del_route(lab, "198.18.0.0/24", NULL, NULL) == 0);
    CHECK(nsrun_link_del_route(lab, "fd00:9::/64", NULL, NULL) == 0);
    snprintf(want, sizeof want, "no route 198.18.0.0/24 in netns %s", shown);
    CHECK_FAILS(nsrun_link_del_route(lab, "198.18.0.0/24", NULL, NULL), ESRCH, want);
    CHECK_FAILS(nsrun_link_add_route(lab, "198.18.0.0/40", "198.18.1.1", NULL), EINVAL, "destination");
    CHECK_FAILS(nsrun_link_list_routes(lab, 5, 254, visit_route, NULL), EINVAL, "address family");

    /* A bridge with two members; one leaves; a member from another netns is refused. */
    CHECK(nsrun_link_bridge(lab, "br0", 1400, 1) == 0);
    CHECK(nsrun_link_veth(lab, "m0", other, "p0") == 0);
    CHECK(nsrun_link_veth(lab, "m1", other, "p1") == 0);
    CHECK(nsrun_link_set_master(lab, "m0", "br0") == 0);
    CHECK(nsrun_link_set_master(lab, "m1", "br0") == 0);
    struct members m = {0};
    CHECK(nsrun_link_members(lab, "br0", visit_member, &m) == 0);
    CHECK(m.n == 2 && strcmp(m.names[0], "m0") == 0 && strcmp(m.names[1], "m1") == 0);
    CHECK(nsrun_link_set_master(lab, "m0", NULL) == 0);
    struct members m2 = {0};
    CHECK(nsrun_link_members(lab, "br0", visit_member, &m2) == 0 && m2.n == 1);
    snprintf(want, sizeof want, "p0: no such interface in netns %s", shown);
    CHECK_FAILS(nsrun_link_set_master(lab, "p0", "br0"), ENODEV, want);
    CHECK_FAILS(nsrun_link_set_master(lab, "m1", "a0"), EINVAL, "is not a bridge");
    CHECK_FAILS(nsrun_link_bridge(lab, "br0", 0, 0), EEXIST, "already exists");

    /* VLAN: ids checked before the kernel; a kernel without 8021q is said so. */
    CHECK_FAILS(nsrun_link_vlan(lab, "a0", 0, NULL), EINVAL, "between 1 and 4094");
    CHECK_FAILS(nsrun_link_vlan(lab, "a0", 4095, NULL), EINVAL, "between 1 and 4094");
    errno = 0;
    int v = nsrun_link_vlan(lab, "a0", 100, NULL);
    CHECK(v == 0 || (errno == EOPNOTSUPP && strstr(nsrun_last_error(), "802.1Q") != NULL));
    if (v == 0)
        CHECK(nsrun_link_delete(lab, "a0.100") == 0);

    /* Sysctls: the lab's forwarding changes, the host's does not. */
    const char *flip = strcmp(host_fwd, "1") == 0 ? "0" : "1";
    CHECK(nsrun_sysctl_set(lab, "net.ipv4.ip_forward", flip) == 0);
    CHECK(nsrun_sysctl_get(lab, "net.ipv4.ip_forward", buf, sizeof buf) == 1 && strcmp(buf, flip) == 0);
    CHECK(nsrun_sysctl_get(-1, "net.ipv4.ip_forward", buf, sizeof buf) == 1 && strcmp(buf, host_fwd) == 0);
    CHECK_FAILS(nsrun_sysctl_get(lab, "net.ipv4.ip_forward", buf, 1), ERANGE, "needs 2 bytes");
    CHECK_FAILS(nsrun_sysctl_get(lab, "net.ipv4.nosuch", buf, sizeof buf), ENOENT, "no such sysctl");
    CHECK_FAILS(nsrun_sysctl_set(lab, "kernel.hostname", "x"), EINVAL, "not per network namespace");
    CHECK_FAILS(nsrun_sysctl_get(lab, NULL, buf, sizeof buf), EINVAL, "key is NULL");
    CHECK(nsrun_sysctl_get_host("kernel.ostype", buf, sizeof buf) == 5 && strcmp(buf, "Linux") == 0);

    close(other);
    close(lab);
    CHECK(nsrun_netns_delete(lab_name) == 0);
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
    net_breadth();
    return report();
}
