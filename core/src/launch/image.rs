//! The nsrun-init image: built by `core/build.rs`, embedded here, and at first use per process
//! copied into a sealed memfd that every launch execs (`execveat(fd, "", AT_EMPTY_PATH)`).
//!
//! The seals (F_SEAL_WRITE, SHRINK, GROW, SEAL) make the image immutable for everyone, the
//! container's root included, as runc does against CVE-2019-5736: /proc/1/exe of a launch is
//! this memfd and cannot be written. Nothing is installed: libnsrun.so, the Python extension
//! and the CLI each carry the image.

use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::OnceLock;

use nix::errno::Errno;

use crate::error::{Error, Result};

static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/nsrun-init"));

static SEALED: OnceLock<std::result::Result<OwnedFd, Errno>> = OnceLock::new();

const MFD_CLOEXEC: u32 = 0x1;
const MFD_ALLOW_SEALING: u32 = 0x2;
/// Linux 6.3+: the memfd may be executed even where vm.memfd_noexec asks for MFD_NOEXEC_SEAL.
const MFD_EXEC: u32 = 0x10;

/// The sealed memfd holding nsrun-init (created once per process, close-on-exec).
pub(crate) fn sealed() -> Result<BorrowedFd<'static>> {
    match SEALED.get_or_init(create) {
        Ok(fd) => Ok(fd.as_fd()),
        Err(e) => Err(Error::sys_nopath("launch: seal the nsrun-init image", *e)),
    }
}

/// memfd_create(2), write, fcntl(F_ADD_SEALS).
fn create() -> std::result::Result<OwnedFd, Errno> {
    let name = c"nsrun-init";
    let flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
    // SAFETY: memfd_create with a NUL-terminated name; returns a new descriptor or -1.
    let mut fd = unsafe { libc::syscall(libc::SYS_memfd_create, name.as_ptr(), flags | MFD_EXEC) };
    if fd < 0 && Errno::last() == Errno::EINVAL {
        // Kernels before 6.3 do not know MFD_EXEC (their memfds are executable anyway).
        // SAFETY: as above.
        fd = unsafe { libc::syscall(libc::SYS_memfd_create, name.as_ptr(), flags) };
    }
    let fd = Errno::result(fd)? as i32;
    // SAFETY: the kernel just returned this descriptor; we own it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut done = 0;
    while done < IMAGE.len() {
        match nix::unistd::write(&fd, &IMAGE[done..]) {
            Ok(n) => done += n,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    let seals = libc::F_SEAL_SEAL | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE;
    // SAFETY: F_ADD_SEALS on our memfd with an integer argument.
    Errno::result(unsafe {
        libc::fcntl(
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            libc::F_ADD_SEALS,
            seals,
        )
    })?;
    Ok(fd)
}
