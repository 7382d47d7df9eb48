//! The default isolation of a launch, prepared before the clone: which capabilities leave the
//! bounding set, and the seccomp filter (classic BPF) the launch child installs just before it
//! execs nsrun-init (the init, the boot and shutdown commands, the payload and every exec'd
//! command inherit both). `Launch::privileged(true)` skips all of it.
//!
//! Kept: what a router's init scripts and daemons use inside their own namespaces: mount in
//! the launch's mount namespace and sethostname (CAP_SYS_ADMIN), net admin and raw sockets in a
//! private or joined network namespace, chown, setuid/setgid, kill, mknod of character devices,
//! chroot, nice, resource limits, binding low ports, setting file capabilities.
//! Dropped: what reaches the host beyond those namespaces (see [`DROPPED`]).
//!
//! The filter refuses (EPERM) mknod/mknodat of a block device, so no host disk can be reached
//! through a node of the container's own, and the host-wide kernel interfaces that
//! CAP_SYS_ADMIN would still open: keyrings (root's keyring is the host root's), BPF, perf,
//! syslog, swap, kexec, module loading, open_by_handle_at, port I/O, process accounting.
//! It also refuses the nsfs ioctls that walk the kernel's list of mount namespaces
//! (NS_MNT_GET_NEXT/PREV, Linux 6.12+): with CAP_SYS_ADMIN and CAP_SYS_CHROOT in the host's user
//! namespace they hand out the host's mount namespace, and `setns` into it is a full escape.
//! statmount/listmount answer ENOSYS (as on a kernel without them; libmount falls back to
//! /proc/self/mountinfo): given another namespace's id they list the host's mounts.
//! Filtering mknod rather than dropping CAP_MKNOD keeps character devices (a router's
//! /dev/ttyS0, /dev/net/tun) and costs one compare per mknod call; every other system call
//! passes after two loads and a few compares.

/// Capabilities dropped from the bounding set in every default launch, with what they reach.
pub(crate) const DROPPED: &[(u32, &str)] = &[
    (
        2,
        "CAP_DAC_READ_SEARCH: open_by_handle_at opens any host file by handle",
    ),
    (16, "CAP_SYS_MODULE: kernel modules"),
    (17, "CAP_SYS_RAWIO: /dev/mem, port I/O, raw block I/O"),
    (
        19,
        "CAP_SYS_PTRACE: ptrace, pidfd_getfd and /proc/PID/mem of nsrun's init",
    ),
    (20, "CAP_SYS_PACCT: process accounting to a host file"),
    (25, "CAP_SYS_TIME: the host's clock"),
    (29, "CAP_AUDIT_WRITE: the host's audit log"),
    (30, "CAP_AUDIT_CONTROL: the host's audit rules"),
    (32, "CAP_MAC_OVERRIDE"),
    (33, "CAP_MAC_ADMIN: the host's LSM policy"),
    (34, "CAP_SYSLOG: the kernel log, kernel addresses"),
    (35, "CAP_WAKE_ALARM: host wake-ups"),
    (36, "CAP_BLOCK_SUSPEND: host suspend"),
    (37, "CAP_AUDIT_READ"),
    (38, "CAP_PERFMON: kernel-wide performance monitoring"),
    (39, "CAP_BPF: BPF programs and maps"),
    (
        40,
        "CAP_CHECKPOINT_RESTORE: /proc/PID/map_files, ns_last_pid",
    ),
];
/// Also dropped when the network namespace is the host's.
pub(crate) const DROPPED_HOST_NET: &[u32] =
    &[12 /* CAP_NET_ADMIN */, 13 /* CAP_NET_RAW */];
/// Also dropped when the PID namespace is the host's (reboot(2) would reboot the host).
pub(crate) const DROPPED_HOST_PID: &[u32] = &[22 /* CAP_SYS_BOOT */];

/// What the launch child applies before exec (everything allocated here, before the clone).
pub(crate) struct Isolation {
    /// Capability numbers to drop from the bounding set.
    pub drop: Vec<u32>,
    /// The instructions `prog` points to.
    _filter: Vec<libc::sock_filter>,
    pub prog: libc::sock_fprog,
}

// SAFETY: `prog.filter` points into `filter`, owned by the same struct and never changed.
unsafe impl Send for Isolation {}
// SAFETY: as above; read-only once built.
unsafe impl Sync for Isolation {}

pub(crate) fn prepare(host_net: bool, host_pid: bool) -> Isolation {
    let mut drop: Vec<u32> = DROPPED.iter().map(|(c, _)| *c).collect();
    if host_net {
        drop.extend_from_slice(DROPPED_HOST_NET);
    }
    if host_pid {
        drop.extend_from_slice(DROPPED_HOST_PID);
    }
    let mut filter = filter();
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_mut_ptr(),
    };
    Isolation {
        drop,
        _filter: filter,
        prog,
    }
}

const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
const AUDIT_ARCH_I386: u32 = 0x4000_0003;
const AUDIT_ARCH_AARCH64: u32 = 0xC000_00B7;
const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
/// x32 system calls are x86_64 numbers with this bit set.
const X32_BIT: u32 = 0x4000_0000;
/// Offsets in `struct seccomp_data`.
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
fn off_arg_low(i: u32) -> u32 {
    16 + 8 * i
}

/// The nsfs ioctls that hand out other mount namespaces, by type and number only: the kernel
/// accepts them with any size and direction bits (extensible ioctls), so the filter compares
/// the low 16 bits of the command.
const NS_MNT_GET_NEXT: u32 = 0xb70b;
const NS_MNT_GET_PREV: u32 = 0xb70c;
const IOC_TYPE_NR_MASK: u32 = 0xffff;
/// statmount(2) and listmount(2): the same number on every architecture (Linux 6.8+).
const SYS_STATMOUNT: u32 = 457;
const SYS_LISTMOUNT: u32 = 458;

/// System calls of one architecture: (mknod, mknodat), ioctl and the refused ones.
struct Table {
    arch: u32,
    mask_x32: bool,
    mknod: Option<u32>,
    mknodat: u32,
    ioctl: u32,
    denied: &'static [u32],
}

#[cfg(target_arch = "x86_64")]
const TABLES: &[Table] = &[
    Table {
        arch: AUDIT_ARCH_X86_64,
        mask_x32: true,
        mknod: Some(libc::SYS_mknod as u32),
        mknodat: libc::SYS_mknodat as u32,
        ioctl: libc::SYS_ioctl as u32,
        denied: &[
            libc::SYS_keyctl as u32,
            libc::SYS_add_key as u32,
            libc::SYS_request_key as u32,
            libc::SYS_bpf as u32,
            libc::SYS_perf_event_open as u32,
            libc::SYS_syslog as u32,
            libc::SYS_swapon as u32,
            libc::SYS_swapoff as u32,
            libc::SYS_kexec_load as u32,
            libc::SYS_kexec_file_load as u32,
            libc::SYS_open_by_handle_at as u32,
            libc::SYS_init_module as u32,
            libc::SYS_finit_module as u32,
            libc::SYS_delete_module as u32,
            libc::SYS_iopl as u32,
            libc::SYS_ioperm as u32,
            libc::SYS_acct as u32,
        ],
    },
    // 32-bit programs (a router rootfs may be i386) enter through the i386 table.
    Table {
        arch: AUDIT_ARCH_I386,
        mask_x32: false,
        mknod: Some(14),
        mknodat: 297,
        ioctl: 54,
        denied: &[
            288, // keyctl
            286, // add_key
            287, // request_key
            357, // bpf
            336, // perf_event_open
            103, // syslog
            87,  // swapon
            115, // swapoff
            283, // kexec_load
            342, // open_by_handle_at
            128, // init_module
            350, // finit_module
            129, // delete_module
            110, // iopl
            101, // ioperm
            51,  // acct
        ],
    },
];

#[cfg(target_arch = "aarch64")]
const TABLES: &[Table] = &[Table {
    arch: AUDIT_ARCH_AARCH64,
    mask_x32: false,
    mknod: None,
    mknodat: libc::SYS_mknodat as u32,
    ioctl: libc::SYS_ioctl as u32,
    denied: &[
        libc::SYS_keyctl as u32,
        libc::SYS_add_key as u32,
        libc::SYS_request_key as u32,
        libc::SYS_bpf as u32,
        libc::SYS_perf_event_open as u32,
        libc::SYS_syslog as u32,
        libc::SYS_swapon as u32,
        libc::SYS_swapoff as u32,
        libc::SYS_kexec_load as u32,
        libc::SYS_kexec_file_load as u32,
        libc::SYS_open_by_handle_at as u32,
        libc::SYS_init_module as u32,
        libc::SYS_finit_module as u32,
        libc::SYS_delete_module as u32,
        libc::SYS_acct as u32,
    ],
}];

fn stmt(code: u32, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jeq(k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    }
}

fn ld(off: u32) -> libc::sock_filter {
    stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, off)
}

fn ret(v: u32) -> libc::sock_filter {
    stmt(libc::BPF_RET | libc::BPF_K, v)
}

fn eperm() -> libc::sock_filter {
    ret(SECCOMP_RET_ERRNO | libc::EPERM as u32)
}

fn and(k: u32) -> libc::sock_filter {
    stmt(libc::BPF_ALU | libc::BPF_AND | libc::BPF_K, k)
}

/// The block for one architecture: loads the number, refuses the denied calls and block
/// device nodes, allows the rest.
fn block(t: &Table) -> Vec<libc::sock_filter> {
    let mut b = vec![ld(OFF_NR)];
    if t.mask_x32 {
        b.push(and(!X32_BIT));
    }
    let mknod = t.mknod.map(|nr| (nr, 1)).into_iter();
    for (nr, arg) in mknod.chain([(t.mknodat, 2)]) {
        // Not this call: skip the five instructions that check its mode.
        b.push(jeq(nr, 0, 5));
        b.push(ld(off_arg_low(arg)));
        b.push(and(libc::S_IFMT));
        b.push(jeq(libc::S_IFBLK, 0, 1));
        b.push(eperm());
        b.push(ret(SECCOMP_RET_ALLOW));
    }
    // Not ioctl: skip the six instructions that check its command.
    b.push(jeq(t.ioctl, 0, 6));
    b.push(ld(off_arg_low(1)));
    b.push(and(IOC_TYPE_NR_MASK));
    b.push(jeq(NS_MNT_GET_NEXT, 2, 0));
    b.push(jeq(NS_MNT_GET_PREV, 1, 0));
    b.push(ret(SECCOMP_RET_ALLOW));
    b.push(eperm());
    for nr in [SYS_STATMOUNT, SYS_LISTMOUNT] {
        b.push(jeq(nr, 0, 1));
        b.push(ret(SECCOMP_RET_ERRNO | libc::ENOSYS as u32));
    }
    for nr in t.denied {
        b.push(jeq(*nr, 0, 1));
        b.push(eperm());
    }
    b.push(ret(SECCOMP_RET_ALLOW));
    b
}

/// The whole program: dispatch on the architecture, one block each; unknown ones pass (the
/// kernel only offers the ones above on these machines).
pub(crate) fn filter() -> Vec<libc::sock_filter> {
    let _ = (AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64);
    let mut f = vec![ld(OFF_ARCH)];
    for t in TABLES {
        let b = block(t);
        assert!(b.len() < 256, "seccomp block too long for a BPF jump");
        f.push(jeq(t.arch, 0, b.len() as u8));
        f.extend(b);
    }
    f.push(ret(SECCOMP_RET_ALLOW));
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_is_short_and_ends_by_allowing() {
        let f = filter();
        assert!(f.len() < 200);
        let last = f.last().unwrap();
        assert_eq!(last.code as u32, libc::BPF_RET | libc::BPF_K);
        assert_eq!(last.k, SECCOMP_RET_ALLOW);
    }

    #[test]
    fn drop_lists_follow_the_namespaces() {
        let i = prepare(true, true);
        for c in [12, 13, 22, 16, 17, 19, 25, 2] {
            assert!(i.drop.contains(&c), "{c}");
        }
        let i = prepare(false, false);
        for c in [12, 13, 22] {
            assert!(!i.drop.contains(&c), "{c}");
        }
        // CAP_SYS_ADMIN, CAP_MKNOD, CAP_SETUID, CAP_CHOWN stay.
        for c in [21, 27, 7, 0] {
            assert!(!i.drop.contains(&c), "{c}");
        }
    }
}
