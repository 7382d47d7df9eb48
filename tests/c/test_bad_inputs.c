/* Bad-input matrix of the C ABI (issue 11, must-hold 5): every case fails with -1 (or NULL),
 * the errno of the layer's convention and a message naming the argument or path, and changes
 * nothing this test could have made: fds, mounts and /run/netns entries carrying its pid tag,
 * files in its scratch directory, child processes. Run as root; NSRUN_TEST_ROOTFS = fixture.
 *
 * Cases that need validation in core/src/launch (launch v2) are in needs_launch_v2() and are
 * reported separately: they do not count as failures until core refuses them. */
#define _GNU_SOURCE
#include <nsrun.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static const char *rootfs;
static char tag[32];      /* "-PID-" */
static char scratch[256]; /* a private directory named with the tag */
static int cases;

struct state { int fds, mounts, netns, files, children; };

static int count_dir(const char *path, const char *needle)
{
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.' && (!needle || strstr(e->d_name, needle));
    if (d)
        closedir(d);
    return n;
}

static int count_lines(const char *path, const char *needle)
{
    char line[8192];
    FILE *f = fopen(path, "re");
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return n;
}

static int children(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
    FILE *f = fopen(path, "re");
    int n = 0, pid;
    while (f && fscanf(f, "%d", &pid) == 1)
        n++;
    if (f)
        fclose(f);
    return n;
}

static struct state snapshot(void)
{
    struct state s;
    s.fds = count_dir("/proc/self/fd", NULL) - 1; /* minus opendir's own descriptor */
    s.mounts = count_lines("/proc/self/mountinfo", tag);
    s.netns = count_dir("/run/netns", tag);
    s.files = count_dir(scratch, NULL);
    s.children = children();
    return s;
}

static int same_state(struct state a, struct state b)
{
    return a.fds == b.fds && a.mounts == b.mounts && a.netns == b.netns && a.files == b.files &&
           a.children == b.children;
}

/* One case: `call` fails with errno `e` and a message containing `needle`; nothing changed. */
#define BAD(call, e, needle)                                                        \
    do {                                                                            \
        cases++;                                                                    \
        struct state before_ = snapshot();                                          \
        CHECK_FAILS(call, e, needle);                                               \
        CHECK(same_state(before_, snapshot()));                                     \
    } while (0)

/* The same for a call returning a pointer (NULL on failure). */
#define BAD_PTR(call, e, needle) BAD((call) == NULL ? -1 : 0, e, needle)

/* A spawn of a fresh launch of /bin/true set up by `setup` (a statement using `l`). */
#define BAD_SPAWN(setup, e, needle)                                                 \
    do {                                                                            \
        const char *argv_[] = {"/bin/true", NULL};                                  \
        struct nsrun_launch *l = nsrun_launch_new(argv_);                           \
        CHECK(l != NULL);                                                           \
        setup;                                                                      \
        BAD_PTR(nsrun_launch_spawn(l), e, needle);                                  \
        nsrun_launch_free(l);                                                       \
    } while (0)

static int visit_ns(const struct nsrun_ns_info *i, void *arg) { (void)i; (void)arg; return 0; }
static int visit_link(const struct nsrun_link_info *i, void *arg) { (void)i; (void)arg; return 0; }

static void namespaces(int devnull, int net, int uts)
{
    char path[512], missing[512], file[512];
    snprintf(path, sizeof path, "%s/held", scratch);
    snprintf(missing, sizeof missing, "%s/missing", scratch);
    snprintf(file, sizeof file, "%s/regular", scratch);
    close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    CHECK(nsrun_ns_persist(net, path) == 0);

    BAD(nsrun_ns_open(NULL, 0), EINVAL, "nsrun_ns_open: path is NULL");
    BAD(nsrun_ns_open("", 0), ENOENT, "open namespace");
    BAD(nsrun_ns_open("/nonexistent-nsrun", 0), ENOENT, "/nonexistent-nsrun");
    BAD(nsrun_ns_open("/etc/hostname", 0), EINVAL, "/etc/hostname: not a namespace file");
    BAD(nsrun_ns_open("/proc/self/ns", 0), EINVAL, "not a namespace file");
    BAD(nsrun_ns_open("/dev/null", 0), EINVAL, "/dev/null: not a namespace file");
    BAD(nsrun_ns_open("/proc/self/ns/net", NSRUN_UTS), EINVAL, "is a net namespace, not uts");
    BAD(nsrun_ns_open("/proc/self/ns/net", 12345), EINVAL, "not a namespace kind");
    BAD(nsrun_ns_open("/proc/self/ns/net", -1), EINVAL, "not a namespace kind");
    BAD(nsrun_ns_open("/proc/self/ns/net", NSRUN_NET | NSRUN_UTS), EINVAL, "not a namespace kind");
    BAD(nsrun_ns_open(file, 0), EINVAL, "not a namespace file");
    BAD(nsrun_ns_open_pid(-1, NSRUN_NET), EINVAL, "-1");
    BAD(nsrun_ns_open_pid(0, NSRUN_NET), EINVAL, "0");
    BAD(nsrun_ns_open_pid(INT_MAX, NSRUN_NET), ENOENT, "/proc/2147483647/ns/net");
    BAD(nsrun_ns_open_pid(getpid(), 0), EINVAL, "nsrun_ns_open_pid: 0x0 is not a namespace kind");
    BAD(nsrun_ns_open_pid(getpid(), NSRUN_NET | NSRUN_PID), EINVAL, "not a namespace kind");
    BAD(nsrun_ns_current(0), EINVAL, "nsrun_ns_current: 0x0 is not a namespace kind");
    BAD(nsrun_ns_current(0x7fffffff), EINVAL, "not a namespace kind");
    BAD(nsrun_ns_create(0), EINVAL, "nsrun_ns_create: 0x0 is not a namespace kind");
    BAD(nsrun_ns_create(-1), EINVAL, "not a namespace kind");
    BAD(nsrun_ns_create(NSRUN_NET | NSRUN_UTS), EINVAL, "not a namespace kind");
    BAD(nsrun_ns_persist(-1, missing), EBADF, "-1");
    BAD(nsrun_ns_persist(1000, missing), EBADF, "1000");
    BAD(nsrun_ns_persist(devnull, missing), EINVAL, "not a namespace");
    BAD(nsrun_ns_persist(net, NULL), EINVAL, "nsrun_ns_persist: path is NULL");
    BAD(nsrun_ns_persist(net, "/nonexistent-nsrun-dir/x"), ENOENT, "/nonexistent-nsrun-dir/x");
    BAD(nsrun_ns_persist(net, path), EEXIST, "already holds net:[");
    BAD(nsrun_ns_persist(uts, path), EEXIST, path);
    BAD(nsrun_ns_persist(net, scratch), EISDIR, scratch);
    BAD(nsrun_ns_unpersist(NULL), EINVAL, "nsrun_ns_unpersist: path is NULL");
    BAD(nsrun_ns_unpersist(file), EINVAL, "no namespace is bound there");
    BAD(nsrun_ns_unpersist(missing), ENOENT, missing);
    BAD(nsrun_ns_unpersist(""), ENOENT, "unpersist");
    BAD(nsrun_ns_enter(-1, 0), EBADF, "-1");
    BAD(nsrun_ns_enter(net, NSRUN_UTS), EINVAL, "is a net namespace, not uts");
    BAD(nsrun_ns_enter(devnull, 0), EINVAL, "not a namespace");
    BAD(nsrun_ns_enter(net, 3), EINVAL, "not a namespace kind");
    BAD(nsrun_ns_kind(-1), EBADF, "-1");
    BAD(nsrun_ns_kind(devnull), EINVAL, "not a namespace");
    BAD(nsrun_ns_id(net, NULL), EINVAL, "nsrun_ns_id: id is NULL");
    struct nsrun_ns_id id;
    BAD(nsrun_ns_id(-1, &id), EBADF, "-1");
    BAD(nsrun_ns_same(-1, net), EBADF, "-1");
    BAD(nsrun_ns_same(net, devnull), EINVAL, "not a namespace");
    BAD(nsrun_ns_parent(net), EINVAL, "net");
    BAD(nsrun_ns_parent(-1), EBADF, "-1");
    BAD(nsrun_ns_owner(devnull), EINVAL, "not a namespace");
    BAD(nsrun_ns_list(0, NULL, NULL), EINVAL, "nsrun_ns_list: visit is NULL");
    BAD(nsrun_ns_list(3, visit_ns, NULL), EINVAL, "not a namespace kind");

    CHECK(nsrun_ns_unpersist(path) == 0);
    unlink(file);
}

static void netns(const char *name)
{
    char long_name[300];
    memset(long_name, 'x', 256);
    long_name[256] = 0;
    char missing[64];
    snprintf(missing, sizeof missing, "nsrun-cbad%smissing", tag);
    int fd = nsrun_netns_add(name);
    CHECK(fd >= 0);

    BAD(nsrun_netns_add(NULL), EINVAL, "nsrun_netns_add: name is NULL");
    BAD(nsrun_netns_add(""), EINVAL, "name \"\" is empty");
    BAD(nsrun_netns_add("a/b"), EINVAL, "contains '/'");
    BAD(nsrun_netns_add(".."), EINVAL, "is not a name");
    BAD(nsrun_netns_add("."), EINVAL, "is not a name");
    BAD(nsrun_netns_add("a\nb"), EINVAL, "control character");
    BAD(nsrun_netns_add("a\tb"), EINVAL, "control character");
    BAD(nsrun_netns_add("a b"), EINVAL, "whitespace");
    BAD(nsrun_netns_add("-x"), EINVAL, "option");
    BAD(nsrun_netns_add(long_name), EINVAL, "longer than 255 bytes");
    BAD(nsrun_netns_add("\xff\xfe"), EINVAL, "nsrun_netns_add: name is not valid UTF-8");
    BAD(nsrun_netns_add(name), EEXIST, "already holds net:[");
    BAD(nsrun_netns_open(missing), ENOENT, missing);
    BAD(nsrun_netns_open("a\rb"), EINVAL, "control character");
    BAD(nsrun_netns_open(NULL), EINVAL, "name is NULL");
    BAD(nsrun_netns_delete(missing), ENOENT, missing);
    BAD(nsrun_netns_delete("../netns"), EINVAL, "contains '/'");
    BAD(nsrun_netns_delete(NULL), EINVAL, "name is NULL");
    BAD(nsrun_netns_list(NULL, NULL), EINVAL, "nsrun_netns_list: visit is NULL");

    close(fd);
    CHECK(nsrun_netns_delete(name) == 0);
}

static void links(int devnull, int uts)
{
    int lab = nsrun_ns_create(NSRUN_NET), peer = nsrun_ns_create(NSRUN_NET);
    CHECK(lab >= 0 && peer >= 0);
    CHECK(nsrun_link_veth(lab, "v0", lab, "v1") == 0);

    BAD(nsrun_link_set_up(lab, "nosuch0", 1), ENODEV, "nosuch0: no such interface");
    BAD(nsrun_link_set_up(-5, "lo", 1), EBADF, "-5");
    BAD(nsrun_link_set_up(devnull, "lo", 1), EINVAL, "not a namespace");
    BAD(nsrun_link_set_up(uts, "lo", 1), EINVAL, "not net");
    BAD(nsrun_link_set_up(lab, NULL, 1), EINVAL, "nsrun_link_set_up: name is NULL");
    BAD(nsrun_link_set_up(lab, "", 1), EINVAL, "name");
    BAD(nsrun_link_set_mtu(lab, NULL, 1500), EINVAL, "nsrun_link_set_mtu: name is NULL");
    BAD(nsrun_link_set_mtu(lab, "nosuch0", 1500), ENODEV, "nosuch0");
    BAD(nsrun_link_set_mtu(lab, "v0", 1), EINVAL, "v0");
    BAD(nsrun_link_set_mtu(lab, "v0", 0xffffffffu), EINVAL, "v0");
    BAD(nsrun_link_add_address(lab, "v0", "198.18.0.1"), EINVAL, "prefix length");
    BAD(nsrun_link_add_address(lab, "v0", "198.18.0.1/33"), EINVAL, "198.18.0.1/33");
    BAD(nsrun_link_add_address(lab, "v0", "fd00::1/129"), EINVAL, "fd00::1/129");
    BAD(nsrun_link_add_address(lab, "v0", "not-an-ip/24"), EINVAL, "not-an-ip/24");
    BAD(nsrun_link_add_address(lab, "v0", "198.18.0.1/x"), EINVAL, "198.18.0.1/x");
    BAD(nsrun_link_add_address(lab, "v0", ""), EINVAL, "address");
    BAD(nsrun_link_add_address(lab, "v0", NULL), EINVAL, "cidr is NULL");
    BAD(nsrun_link_add_address(lab, "nosuch0", "198.18.0.1/24"), ENODEV, "nosuch0");
    BAD(nsrun_link_del_address(lab, "v0", "198.18.9.9/24"), EADDRNOTAVAIL, "v0");
    BAD(nsrun_link_veth(lab, "aaaaaaaaaaaaaaaa", lab, "b"), EINVAL, "longer than 15");
    BAD(nsrun_link_veth(lab, "", lab, "b"), EINVAL, "name");
    BAD(nsrun_link_veth(lab, "a/b", lab, "b"), EINVAL, "a/b");
    BAD(nsrun_link_veth(lab, "a b", lab, "b"), EINVAL, "a b");
    BAD(nsrun_link_veth(lab, "x", lab, NULL), EINVAL, "nsrun_link_veth: peer is NULL");
    BAD(nsrun_link_veth(lab, "v0", lab, "v9"), EEXIST, "v0");
    BAD(nsrun_link_move(lab, "lo", peer, NULL), EINVAL, "loopback");
    BAD(nsrun_link_move(lab, "nosuch0", peer, NULL), ENODEV, "nosuch0");
    BAD(nsrun_link_move(lab, "v0", -1, NULL), EBADF, "-1");
    BAD(nsrun_link_move(lab, "v0", uts, NULL), EINVAL, "not net");
    BAD(nsrun_link_move(lab, "v0", peer, "aaaaaaaaaaaaaaaa"), EINVAL, "longer than 15");
    BAD(nsrun_link_add_route(lab, "198.18.9.0/24", "fd00::1", NULL), EINVAL, "address family");
    BAD(nsrun_link_add_route(lab, "default", NULL, NULL), EINVAL, "via");
    BAD(nsrun_link_add_route(lab, "bogus", "198.18.0.1", NULL), EINVAL, "bogus");
    BAD(nsrun_link_add_route(lab, NULL, "198.18.0.1", NULL), EINVAL, "dst is NULL");
    BAD(nsrun_link_add_route(lab, "default", NULL, "nosuch0"), ENODEV, "nosuch0");
    BAD(nsrun_link_delete(lab, "nosuch0"), ENODEV, "nosuch0");
    BAD(nsrun_link_delete(lab, NULL), EINVAL, "name is NULL");
    BAD(nsrun_link_list(lab, NULL, NULL), EINVAL, "nsrun_link_list: visit is NULL");
    BAD(nsrun_link_list(-7, visit_link, NULL), EBADF, "-7");

    close(lab);
    close(peer);
}

static void launch_setters(int devnull)
{
    const char *argv[] = {"/bin/true", NULL};
    const char *empty[] = {NULL};
    const char *no_eq[] = {"NOEQ", NULL};
    const char *empty_name[] = {"=x", NULL};
    struct nsrun_launch *l = nsrun_launch_new(argv);
    CHECK(l != NULL);

    BAD_PTR(nsrun_launch_new(NULL), EINVAL, "nsrun_launch_new: argv is NULL");
    BAD_PTR(nsrun_launch_new(empty), EINVAL, "nsrun_launch_new: argv is empty");
    BAD(nsrun_launch_rootfs(NULL, "/"), EINVAL, "nsrun_launch_rootfs: launch is NULL");
    BAD(nsrun_launch_rootfs(l, NULL), EINVAL, "nsrun_launch_rootfs: path is NULL");
    BAD(nsrun_launch_rootfs(l, ""), EINVAL, "nsrun_launch_rootfs: path is empty");
    BAD(nsrun_launch_ns_new(l, 0), EINVAL, "nsrun_launch_ns_new: 0x0 is not a set of NSRUN_* kinds");
    BAD(nsrun_launch_ns_new(l, 1 << 3), EINVAL, "0x8 is not a set");
    BAD(nsrun_launch_ns_new(l, NSRUN_NET | 1), EINVAL, "is not a set");
    BAD(nsrun_launch_ns_inherit(l, -1), EINVAL, "nsrun_launch_ns_inherit");
    BAD(nsrun_launch_ns_join(l, -1), EBADF, "-1");
    BAD(nsrun_launch_ns_join(l, devnull), EINVAL, "not a namespace");
    BAD(nsrun_launch_ns_join(NULL, devnull), EINVAL, "launch is NULL");
    BAD(nsrun_launch_hostname(l, NULL), EINVAL, "nsrun_launch_hostname: name is NULL");
    BAD(nsrun_launch_hostname(l, "\xff"), EINVAL, "name is not valid UTF-8");
    BAD(nsrun_launch_bind(l, NULL, "/x", 0), EINVAL, "nsrun_launch_bind: source is NULL");
    BAD(nsrun_launch_bind(l, "/tmp", NULL, 0), EINVAL, "nsrun_launch_bind: target is NULL");
    BAD(nsrun_launch_bind(l, "/tmp", "", 0), EINVAL, "nsrun_launch_bind: target is empty");
    BAD(nsrun_launch_bind(l, "", "/x", 1), EINVAL, "nsrun_launch_bind: source is empty");
    BAD(nsrun_launch_env(l, NULL), EINVAL, "nsrun_launch_env: envp is NULL");
    BAD(nsrun_launch_env(l, no_eq), EINVAL, "\"NOEQ\" is not NAME=value");
    BAD(nsrun_launch_env(l, empty_name), EINVAL, "\"=x\" is not NAME=value");
    BAD(nsrun_launch_cwd(l, NULL), EINVAL, "nsrun_launch_cwd: dir is NULL");
    BAD(nsrun_launch_cwd(l, ""), EINVAL, "nsrun_launch_cwd: dir is empty");
    BAD(nsrun_launch_user(l, (uid_t)-1, 0), EINVAL, "nsrun_launch_user: uid 4294967295");
    BAD(nsrun_launch_user(l, 0, (gid_t)-1), EINVAL, "nsrun_launch_user: gid 4294967295");
    BAD(nsrun_launch_user(NULL, 0, 0), EINVAL, "launch is NULL");
    BAD(nsrun_launch_map_root_user(NULL), EINVAL, "launch is NULL");
    BAD(nsrun_launch_stdio(l, -5, NSRUN_STDIO_INHERIT, NSRUN_STDIO_INHERIT), EINVAL, "stdin -5 is not NSRUN_STDIO");
    BAD(nsrun_launch_stdio(l, NSRUN_STDIO_NULL, 999, NSRUN_STDIO_NULL), EBADF, "stdout");
    BAD(nsrun_launch_stdio(l, NSRUN_STDIO_NULL, NSRUN_STDIO_NULL, INT_MIN), EINVAL, "stderr -2147483648");
    BAD(nsrun_launch_boot(l, empty), EINVAL, "nsrun_launch_boot: argv is empty");
    BAD(nsrun_launch_boot(l, NULL), EINVAL, "nsrun_launch_boot: argv is NULL");
    BAD(nsrun_launch_shutdown(l, empty), EINVAL, "nsrun_launch_shutdown: argv is empty");
    BAD(nsrun_launch_init(NULL, 1), EINVAL, "launch is NULL");
    BAD(nsrun_launch_interactive(NULL, 1), EINVAL, "launch is NULL");
    BAD_PTR(nsrun_launch_spawn(NULL), EINVAL, "nsrun_launch_spawn: launch is NULL");
    nsrun_launch_free(l);
}

static void launch_spawns(void)
{
    char missing[512];
    snprintf(missing, sizeof missing, "%s/no-rootfs", scratch);
    const char *bad_prog[] = {"/no/such/prog", NULL};
    const char *shutdown[] = {"/bin/true", NULL};
    const char *boot3[] = {"/bin/sh", "-c", "exit 3", NULL};

    BAD_SPAWN((nsrun_launch_rootfs(l, rootfs), nsrun_launch_ns_inherit(l, NSRUN_MNT)), EINVAL,
              "rootfs");
    BAD_SPAWN((nsrun_launch_hostname(l, "h"), nsrun_launch_ns_inherit(l, NSRUN_UTS)), EINVAL,
              "hostname");
    BAD_SPAWN((nsrun_launch_shutdown(l, shutdown), nsrun_launch_init(l, 0)), EINVAL, "shutdown");
    BAD_SPAWN((nsrun_launch_rootfs(l, rootfs), nsrun_launch_bind(l, "/tmp", "/../x", 0)), EINVAL,
              "'..'");
    BAD_SPAWN((nsrun_launch_bind(l, "/tmp", "/tmp", 0), nsrun_launch_ns_inherit(l, NSRUN_MNT)),
              EINVAL, "mounts");
    BAD_SPAWN(nsrun_launch_rootfs(l, missing), ENOENT, missing);
    BAD_SPAWN(nsrun_launch_rootfs(l, "/etc/hostname"), ENOTDIR, "/etc/hostname");
    BAD_SPAWN((nsrun_launch_rootfs(l, rootfs), nsrun_launch_bind(l, "/nonexistent-nsrun-src", "/tmp", 0)),
              ENOENT, "bind source /nonexistent-nsrun-src");
    BAD_SPAWN(nsrun_launch_hostname(l, "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"),
              EINVAL, "hostname");
    BAD_SPAWN((nsrun_launch_rootfs(l, rootfs), nsrun_launch_boot(l, boot3)), ECHILD,
              "boot command exited with status 3");
    {
        struct nsrun_launch *l = nsrun_launch_new(bad_prog);
        nsrun_launch_rootfs(l, rootfs);
        BAD_PTR(nsrun_launch_spawn(l), ENOENT, "/no/such/prog: program not found");
        nsrun_launch_free(l);
    }
}

static void child_handle(void)
{
    const char *argv[] = {"/bin/true", NULL};
    struct nsrun_launch *l = nsrun_launch_new(argv);
    nsrun_launch_rootfs(l, rootfs);
    struct nsrun_child *c = nsrun_launch_spawn(l);
    CHECK(c != NULL);
    int status = -1;
    CHECK(nsrun_child_wait(c, -1, &status) == 1 && status == 0);

    BAD(nsrun_child_pid(NULL), EINVAL, "nsrun_child_pid: child is NULL");
    BAD(nsrun_child_take_fd(c, 5), EINVAL, "5 is not 0, 1 or 2");
    BAD(nsrun_child_take_fd(c, -1), EINVAL, "-1 is not 0, 1 or 2");
    BAD(nsrun_child_take_fd(c, 1), EBADF, "stream 1 is not piped");
    BAD(nsrun_child_take_fd(NULL, 0), EINVAL, "child is NULL");
    BAD(nsrun_child_wait(NULL, 0, &status), EINVAL, "child is NULL");
    BAD(nsrun_child_signal(NULL, 15), EINVAL, "child is NULL");
    BAD(nsrun_child_stop(NULL, 0, &status), EINVAL, "child is NULL");
    BAD(nsrun_child_ns(c, 0), EINVAL, "nsrun_child_ns: 0x0 is not a namespace kind");
    BAD(nsrun_child_ns(NULL, NSRUN_NET), EINVAL, "child is NULL");

    nsrun_child_free(c);
    nsrun_launch_free(l);
}

/* Refused by core/src/launch since launch v2 (validated before anything is done). */
static void needs_launch_v2(void)
{
    const char *argv[] = {"/bin/true", NULL};
    char missing[512];
    snprintf(missing, sizeof missing, "%s/no-rootfs", scratch);
    static const struct { const char *what; int e; const char *needle; } list[] = {
        {"hostname empty", EINVAL, "hostname"},
        {"relative cwd", EINVAL, "cwd"},
        {"relative bind target", EINVAL, "target"},
        {"bind target \"/\" (over the root)", EINVAL, "target"},
        {"missing rootfs named as such (not 'in the rootfs')", ENOENT, "launch: rootfs"},
    };
    int pending = 0;
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        struct nsrun_launch *l = nsrun_launch_new(argv);
        switch (i) {
        case 0: nsrun_launch_hostname(l, ""); break;
        case 1: nsrun_launch_rootfs(l, rootfs); nsrun_launch_cwd(l, "etc"); break;
        case 2: nsrun_launch_rootfs(l, rootfs); nsrun_launch_bind(l, "/tmp", "tmp", 0); break;
        case 3: nsrun_launch_rootfs(l, rootfs); nsrun_launch_bind(l, "/tmp", "/", 0); break;
        case 4: nsrun_launch_rootfs(l, missing); break;
        }
        struct state before = snapshot();
        errno = 0;
        struct nsrun_child *c = nsrun_launch_spawn(l);
        int err = errno;
        int ok = c == NULL && err == list[i].e && strstr(nsrun_last_error(), list[i].needle) != NULL &&
                 strstr(nsrun_last_error(), "launch") != NULL;
        if (c) {
            nsrun_child_stop(c, 1000, NULL);
            nsrun_child_free(c);
        }
        CHECK(same_state(before, snapshot()));
        CHECK(ok);
        if (!ok) {
            pending++;
            printf("needs_launch_v2: %s (got %s, errno %d: %s)\n", list[i].what,
                   c ? "success" : "failure", err, c ? "" : nsrun_last_error());
        }
        nsrun_launch_free(l);
    }
    printf("needs_launch_v2: %d of %zu cases still accepted or unclear\n", pending,
           sizeof list / sizeof list[0]);
}

int main(void)
{
    rootfs = getenv("NSRUN_TEST_ROOTFS");
    if (!rootfs) {
        fprintf(stderr, "set NSRUN_TEST_ROOTFS to the busybox fixture rootfs\n");
        return 2;
    }
    snprintf(tag, sizeof tag, "-%d-", (int)getpid());
    snprintf(scratch, sizeof scratch, "/tmp/nsrun%scbad", tag);
    CHECK(mkdir(scratch, 0700) == 0);
    char name[64];
    snprintf(name, sizeof name, "nsrun-cbad%snet", tag);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int net = nsrun_ns_create(NSRUN_NET);
    int uts = nsrun_ns_current(NSRUN_UTS);
    CHECK(devnull >= 0 && net >= 0 && uts >= 0);
    /* The library keeps one close-on-exec descriptor from its first launch on: the sealed memfd
     * holding nsrun-init, which every launch execs. Launch once, so the cases below compare
     * descriptor counts with it already there. */
    const char *warm[] = {"/bin/true", NULL};
    struct nsrun_launch *w = nsrun_launch_new(warm);
    struct nsrun_child *wc = w ? nsrun_launch_spawn(w) : NULL;
    CHECK(wc != NULL && nsrun_child_wait(wc, -1, NULL) == 1);
    nsrun_child_free(wc);
    nsrun_launch_free(w);

    namespaces(devnull, net, uts);
    netns(name);
    links(devnull, uts);
    launch_setters(devnull);
    launch_spawns();
    child_handle();
    needs_launch_v2();

    close(devnull);
    close(net);
    close(uts);
    CHECK(rmdir(scratch) == 0);
    printf("%d bad-input cases\n", cases);
    return report();
}
