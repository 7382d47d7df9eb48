//! The default isolation of a launch, prepared before the clone: which capabilities leave the
//! bounding set, and the seccomp filter (classic BPF) the launch child installs just before it
//! execs nsrun-init (the init, the boot and shutdown commands, the payload and every exec'd
//! command inherit both). `Launch::privileged(true)` skips all of it.
//!
//! Kept: what a router's init scripts and daemons use inside their own namespaces: mount in
//! the launch's mount namespace and sethostname (CAP_SYS_ADMIN), net admin and raw sockets in a
//! private or joined network namespace, chown, setuid/setgid, kill, mknod of the usual character
//! devices, chroot, nice, resource limits, binding low ports, setting file capabilities.
//! Dropped: what reaches the host beyond those namespaces (see [`DROPPED`]).
//!
//! The filter refuses (EPERM) mknod/mknodat of a block device, and of any character device but
//! the few in [`CHAR_DEVICES`], so no host disk or console can be reached through a node of the
//! container's own (the rootfs is mounted nodev for the nodes it ships), and the host-wide
//! kernel interfaces that CAP_SYS_ADMIN would still open: keyrings (root's keyring is the host
//! root's), BPF, perf, syslog, swap, kexec, module loading, open_by_handle_at, port I/O,
//! process accounting.
//! It also refuses the nsfs ioctls that walk the kernel's list of mount namespaces
//! (NS_MNT_GET_NEXT/PREV, Linux 6.12+): with CAP_SYS_ADMIN and CAP_SYS_CHROOT in the host's user
//! namespace they hand out the host's mount namespace, and `setns` into it is a full escape.
//! statmount/listmount answer ENOSYS (as on a kernel without them; libmount falls back to
//! /proc/self/mountinfo): given another namespace's id they list the host's mounts. TIOCSTI
//! and TIOCLINUX are refused (keystrokes into the caller's terminal).
//! The rootfs is a directory of a host filesystem, so its superblock is the host's: the filter
//! refuses reconfiguring a superblock (mount with MS_REMOUNT but not MS_BIND: a router's
//! `mount -o remount,ro /` would make the host's root filesystem read-only; fspick answers
//! ENOSYS), the ioctls that freeze, shut down, trim, relabel or grow a filesystem, and
//! fanotify (FAN_MARK_FILESYSTEM hands out descriptors of host files). x32 calls are refused.
//! Filtering mknod rather than dropping CAP_MKNOD keeps the character devices a router's
//! scripts make (/dev/net/tun, /dev/ppp). A system call outside these rules passes after three
//! loads and about thirty compares (216 instructions in all on x86_64, with the i386 block).

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
/// ioctl commands refused as they are (all 32 bits): the terminal ones bubblewrap refuses.
/// With CAP_SYS_ADMIN, TIOCSTI pushes keystrokes into any terminal the launch holds (the
/// caller's shell runs them once nsrun exits); TIOCLINUX pastes a virtual console's selection.
const IOCTL_EXACT: &[u32] = &[0x5412 /* TIOCSTI */, 0x541c /* TIOCLINUX */];
/// ioctl commands refused by type and number (any size and direction bits): the walk over
/// mount namespaces, and what a launch would do to the host filesystem its rootfs lives on
/// (the superblock is the host's): freeze and thaw, shut down (ext4, XFS), trim, set the
/// label or the UUID, grow.
const IOCTL_TYPE_NR: &[u32] = &[
    NS_MNT_GET_NEXT,
    NS_MNT_GET_PREV,
    0x5877, // FIFREEZE
    0x5878, // FITHAW
    0x5879, // FITRIM
    0x587d, // EXT4_IOC_SHUTDOWN, XFS_IOC_GOINGDOWN
    0x9432, // FS_IOC_SETFSLABEL
    0x662c, // EXT4_IOC_SETFSUUID
    0x6607, // EXT4_IOC_GROUP_EXTEND
    0x6608, // EXT4_IOC_GROUP_ADD
    0x6610, // EXT4_IOC_RESIZE_FS
];
/// fspick(2): reconfigures a superblock through the new mount API (see mount's rule).
const SYS_FSPICK: u32 = 433;
/// The character devices a launch may create with mknod: what a router's init scripts make
/// in their /dev (null, zero, full, random, urandom, tty, ptmx, net/tun, fuse, ppp). Every
/// other number is refused, as runc's device allowlist refuses opening it: with the
/// capabilities a launch keeps, a node of the host's console or a virtual terminal takes
/// TIOCSTI (keystrokes into a host login), SCSI generic (21) and NVMe/bsg character devices
/// write the host's disks, /dev/mem and /dev/port need CAP_SYS_RAWIO anyway.
const CHAR_DEVICES: &[(u32, u32)] = &[
    (1, 3),
    (1, 5),
    (1, 7),
    (1, 8),
    (1, 9),
    (5, 0),
    (5, 2),
    (10, 200),
    (10, 229),
    (108, 0),
];

/// statmount(2) and listmount(2): the same number on every architecture (Linux 6.8+).
const SYS_STATMOUNT: u32 = 457;
const SYS_LISTMOUNT: u32 = 458;

/// System calls of one architecture: (mknod, mknodat), ioctl, mount and the refused ones.
struct Table {
    arch: u32,
    refuse_x32: bool,
    mknod: Option<u32>,
    mknodat: u32,
    ioctl: u32,
    mount: u32,
    denied: &'static [u32],
}

#[cfg(target_arch = "x86_64")]
const TABLES: &[Table] = &[
    Table {
        arch: AUDIT_ARCH_X86_64,
        refuse_x32: true,
        mknod: Some(libc::SYS_mknod as u32),
        mknodat: libc::SYS_mknodat as u32,
        ioctl: libc::SYS_ioctl as u32,
        mount: libc::SYS_mount as u32,
        denied: &[
            libc::SYS_fanotify_init as u32,
            libc::SYS_fanotify_mark as u32,
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
        refuse_x32: false,
        mknod: Some(14),
        mknodat: 297,
        ioctl: 54,
        mount: 21,
        denied: &[
            338, // fanotify_init
            339, // fanotify_mark
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
    refuse_x32: false,
    mknod: None,
    mknodat: libc::SYS_mknodat as u32,
    ioctl: libc::SYS_ioctl as u32,
    mount: libc::SYS_mount as u32,
    denied: &[
        libc::SYS_fanotify_init as u32,
        libc::SYS_fanotify_mark as u32,
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

/// A conditional jump on the accumulator against `k` (`op`: BPF_JEQ, BPF_JSET).
fn jump(op: u32, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: (libc::BPF_JMP | op | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    }
}

fn jeq(k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    jump(libc::BPF_JEQ, k, jt, jf)
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

fn jset(k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    jump(libc::BPF_JSET, k, jt, jf)
}

fn enosys() -> libc::sock_filter {
    ret(SECCOMP_RET_ERRNO | libc::ENOSYS as u32)
}

fn and(k: u32) -> libc::sock_filter {
    stmt(libc::BPF_ALU | libc::BPF_AND | libc::BPF_K, k)
}

/// The block for one architecture: loads the number, then decides mknod by mode and device,
/// ioctl by command, mount by flags, refuses the denied calls, answers ENOSYS for the ones a
/// launch should see as missing, allows the rest.
fn block(t: &Table) -> Vec<libc::sock_filter> {
    let mut b = vec![ld(OFF_NR)];
    if t.refuse_x32 {
        // x32 system calls (x86_64 numbers with X32_BIT, and their own 512..547 for ioctl,
        // kexec_load, ...): no router rootfs is x32, so every one is refused.
        b.push(jset(X32_BIT, 0, 1));
        b.push(enosys());
    }
    let mknod = t.mknod.map(|nr| (nr, 1)).into_iter();
    let n = CHAR_DEVICES.len() as u8;
    for (nr, mode) in mknod.chain([(t.mknodat, 2)]) {
        // Not this call: skip the 7 + n instructions that check its mode and device.
        b.push(jeq(nr, 0, 7 + n));
        b.push(ld(off_arg_low(mode)));
        b.push(and(libc::S_IFMT));
        // A block device: refused. Not a character device (a fifo, a socket, a file): allowed.
        b.push(jeq(libc::S_IFBLK, 2 + n, 0));
        b.push(jeq(libc::S_IFCHR, 0, 2 + n));
        // The device number follows the mode; the kernel reads its low 32 bits
        // (`new_decode_dev`), which for these numbers are `major << 8 | minor`.
        b.push(ld(off_arg_low(mode + 1)));
        for (i, (major, minor)) in CHAR_DEVICES.iter().enumerate() {
            b.push(jeq(major << 8 | minor, n - i as u8, 0));
        }
        b.push(eperm());
        b.push(ret(SECCOMP_RET_ALLOW));
    }
    // ioctl: the exact commands, then the ones compared by type and number only.
    let (e, m) = (IOCTL_EXACT.len(), IOCTL_TYPE_NR.len());
    let len = 5 + e + m;
    let (base, deny) = (b.len(), len - 1);
    b.push(jeq(t.ioctl, 0, (len - 1) as u8));
    b.push(ld(off_arg_low(1)));
    for cmd in IOCTL_EXACT {
        let at = b.len() - base;
        b.push(jeq(*cmd, (deny - at - 1) as u8, 0));
    }
    b.push(and(IOC_TYPE_NR_MASK));
    for cmd in IOCTL_TYPE_NR {
        let at = b.len() - base;
        b.push(jeq(*cmd, (deny - at - 1) as u8, 0));
    }
    b.push(ret(SECCOMP_RET_ALLOW));
    b.push(eperm());
    // mount(2) reconfiguring a superblock (MS_REMOUNT without MS_BIND): the rootfs is a
    // directory of a host filesystem, so `mount -o remount,ro /` would remount the host's.
    // A bind remount (the launch's own mount's flags) passes.
    b.push(jeq(t.mount, 0, 5));
    b.push(ld(off_arg_low(3)));
    b.push(and((libc::MS_REMOUNT | libc::MS_BIND) as u32));
    b.push(jeq(libc::MS_REMOUNT as u32, 0, 1));
    b.push(eperm());
    b.push(ret(SECCOMP_RET_ALLOW));
    for nr in [SYS_STATMOUNT, SYS_LISTMOUNT, SYS_FSPICK] {
        b.push(jeq(nr, 0, 1));
        b.push(enosys());
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
        assert!(f.len() < 256, "{}", f.len());
        let last = f.last().unwrap();
        assert_eq!(last.code as u32, libc::BPF_RET | libc::BPF_K);
        assert_eq!(last.k, SECCOMP_RET_ALLOW);
    }

    /// Runs the filter on one system call, as the kernel's classic-BPF interpreter would
    /// (the few instructions it uses).
    fn verdict(arch: u32, nr: u32, args: [u64; 6]) -> u32 {
        let mut data = [0u8; 64];
        data[0..4].copy_from_slice(&nr.to_ne_bytes());
        data[4..8].copy_from_slice(&arch.to_ne_bytes());
        for (i, a) in args.iter().enumerate() {
            data[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_ne_bytes());
        }
        let f = filter();
        let (mut pc, mut acc) = (0usize, 0u32);
        loop {
            let i = f[pc];
            let code = i.code as u32;
            pc += 1;
            match code {
                c if c == libc::BPF_LD | libc::BPF_W | libc::BPF_ABS => {
                    let k = i.k as usize;
                    acc = u32::from_ne_bytes(data[k..k + 4].try_into().unwrap());
                }
                c if c == libc::BPF_ALU | libc::BPF_AND | libc::BPF_K => acc &= i.k,
                c if c == libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K => {
                    pc += if acc == i.k { i.jt } else { i.jf } as usize;
                }
                c if c == libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K => {
                    pc += if acc & i.k != 0 { i.jt } else { i.jf } as usize;
                }
                c if c == libc::BPF_RET | libc::BPF_K => return i.k,
                other => panic!("instruction {other:#x} not interpreted"),
            }
        }
    }

    const ENOSYS: u32 = SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
    const EPERM: u32 = SECCOMP_RET_ERRNO | libc::EPERM as u32;

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn filter_decides_mknod_ioctl_and_the_refused_calls() {
        let dev = |ma: u64, mi: u64| ma << 8 | mi;
        let chr = libc::S_IFCHR as u64 | 0o600;
        // (arch, mknod, mknodat, ioctl, bpf, getpid, mount, fanotify_init) per table.
        for (arch, mknod, mknodat, ioctl, bpf, getpid, mount, fan) in [
            (AUDIT_ARCH_X86_64, 133, 259, 16, 321, 39, 165, 300),
            (AUDIT_ARCH_I386, 14, 297, 54, 357, 20, 21, 338),
        ] {
            let at = |mode: u64, d: u64| verdict(arch, mknodat, [0, 0, mode, d, 0, 0]);
            let plain = |mode: u64, d: u64| verdict(arch, mknod, [0, mode, d, 0, 0, 0]);
            for call in [&at as &dyn Fn(u64, u64) -> u32, &plain] {
                assert_eq!(call(chr, dev(1, 3)), SECCOMP_RET_ALLOW);
                assert_eq!(call(chr, dev(10, 200)), SECCOMP_RET_ALLOW);
                assert_eq!(call(chr, dev(108, 0)), SECCOMP_RET_ALLOW);
                assert_eq!(call(chr, dev(21, 0)), EPERM, "SCSI generic");
                assert_eq!(call(chr, dev(5, 1)), EPERM, "console");
                assert_eq!(call(chr, dev(4, 1)), EPERM, "a virtual terminal");
                assert_eq!(
                    call(chr, 1 << 32 | dev(1, 3)),
                    SECCOMP_RET_ALLOW,
                    "high bits"
                );
                assert_eq!(call(libc::S_IFBLK as u64, dev(7, 0)), EPERM);
                assert_eq!(call(libc::S_IFIFO as u64 | 0o600, 0), SECCOMP_RET_ALLOW);
                assert_eq!(call(0o600, 0), SECCOMP_RET_ALLOW, "a regular file");
            }
            for cmd in [
                0x8010_b70b_u64,
                0x8010_b70c,
                0x8018_b70c,
                0xffff_ffff_8010_b70b,
            ] {
                assert_eq!(
                    verdict(arch, ioctl, [3, cmd, 0, 0, 0, 0]),
                    EPERM,
                    "{cmd:#x}"
                );
            }
            for cmd in [0x5412_u64, 0x541c] {
                assert_eq!(
                    verdict(arch, ioctl, [0, cmd, 0, 0, 0, 0]),
                    EPERM,
                    "{cmd:#x}"
                );
            }
            // NS_GET_USERNS, NS_MNT_GET_INFO, TCGETS: allowed.
            for cmd in [0xb701_u64, 0x8010_b70a, 0x5401] {
                assert_eq!(
                    verdict(arch, ioctl, [3, cmd, 0, 0, 0, 0]),
                    SECCOMP_RET_ALLOW
                );
            }
            // FIFREEZE, EXT4_IOC_SHUTDOWN, FS_IOC_SETFSLABEL (any size bits): refused.
            for cmd in [0xc004_5877_u64, 0x8004_587d, 0x4100_9432, 0x4004_6610] {
                assert_eq!(
                    verdict(arch, ioctl, [3, cmd, 0, 0, 0, 0]),
                    EPERM,
                    "{cmd:#x}"
                );
            }
            let remount = libc::MS_REMOUNT;
            let bind = libc::MS_BIND;
            let ro = libc::MS_RDONLY;
            assert_eq!(verdict(arch, mount, [0, 0, 0, remount | ro, 0, 0]), EPERM);
            assert_eq!(verdict(arch, mount, [0, 0, 0, remount, 0, 0]), EPERM);
            assert_eq!(
                verdict(arch, mount, [0, 0, 0, remount | bind | ro, 0, 0]),
                SECCOMP_RET_ALLOW
            );
            assert_eq!(
                verdict(arch, mount, [0, 0, 0, bind, 0, 0]),
                SECCOMP_RET_ALLOW
            );
            assert_eq!(verdict(arch, mount, [0, 0, 0, 0, 0, 0]), SECCOMP_RET_ALLOW);
            assert_eq!(verdict(arch, fan, [0; 6]), EPERM);
            assert_eq!(verdict(arch, fan + 1, [0; 6]), EPERM);
            assert_eq!(verdict(arch, SYS_FSPICK, [0; 6]), ENOSYS);
            assert_eq!(verdict(arch, bpf, [0; 6]), EPERM);
            assert_eq!(verdict(arch, SYS_STATMOUNT, [0; 6]), ENOSYS);
            assert_eq!(verdict(arch, SYS_LISTMOUNT, [0; 6]), ENOSYS);
            assert_eq!(verdict(arch, getpid, [0; 6]), SECCOMP_RET_ALLOW);
        }
        // Every x32 call is refused, its own numbers (ioctl 514) and the shared ones.
        for nr in [514, 528, 39, 16, 321] {
            assert_eq!(
                verdict(AUDIT_ARCH_X86_64, nr | X32_BIT, [0; 6]),
                ENOSYS,
                "{nr}"
            );
        }
        // An architecture the filter does not know passes untouched.
        assert_eq!(verdict(0x1234, 321, [0; 6]), SECCOMP_RET_ALLOW);
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
